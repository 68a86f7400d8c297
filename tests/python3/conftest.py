"""Fixtures of the ksapi 3.18.2 suite. In 3.x the operations take no `authorization=` argument:
credentials live on the Configuration, so every caller gets its own ApiClient."""

import contextlib

import ksapi
import pytest

from ks3 import API_URL, add_member, new_tenant, new_user, token


@pytest.fixture
def _clients():
    with contextlib.ExitStack() as stack:
        def make(**credentials):
            config = ksapi.Configuration(host=API_URL, **credentials)
            return ksapi.InvitesApi(stack.enter_context(ksapi.ApiClient(config)))

        yield make


@pytest.fixture
def client_for(_clients):
    """An InvitesApi sending `Authorization: Bearer <credential>` (a JWT or an sk-user- key);
    with None, one sending no credentials at all."""
    return lambda credential: _clients(access_token=credential)


@pytest.fixture
def cookie_client_for(_clients):
    """An InvitesApi sending the JWT as the browser does: `Cookie: ks_uat=<jwt>`. The client
    sends the cookieAuth api_key value verbatim as the Cookie header, hence the `ks_uat=`."""
    return lambda jwt: _clients(api_key={"cookieAuth": f"ks_uat={jwt}"})


@pytest.fixture
def anonymous(client_for):
    return client_for(None)


@pytest.fixture
def tenant():
    return new_tenant()


@pytest.fixture
def actor(client_for):
    """actor(tenant, role=None, **names): a new user (member of tenant with role, if given) and
    an InvitesApi signed in as them with tenant as their current tenant."""
    def make(tenant_id, role=None, **names):
        user = new_user(**names)
        if role:
            add_member(tenant_id, user, role)
        return user, client_for(token(user, tenant_id))

    return make


@pytest.fixture
def admin(tenant, actor):
    return actor(tenant, "ADMIN")


@pytest.fixture
def outsider(actor):
    """A user signed in to a tenant of their own (USER there), for the tenant invite link."""
    return actor(new_tenant("Py3 Elsewhere"), "USER")
