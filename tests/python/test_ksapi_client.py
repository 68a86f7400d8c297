"""The published Python client (ksapi 1.67.0), unchanged, against the local server.

scripts/test starts the server and exports INVITES_API_URL and INVITES_LOCAL_BIN (the dev
tool, used to seed tenants, users and tokens in the same table).
"""

import json
import os
import subprocess
import uuid

import ksapi
import pytest
from ksapi.models.invite_user_request import InviteUserRequest

API_URL = os.environ["INVITES_API_URL"]
DEV_TOOL = os.environ["INVITES_LOCAL_BIN"]


def dev(*args):
    out = subprocess.run([DEV_TOOL, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def actor(tenant_id, role=None, email=None):
    """A new user (member of tenant_id with role, if given) and their bearer header value."""
    email = email or f"py.{uuid.uuid4().hex}@example.com"
    user = dev("create-user", "--email", email)
    if role:
        dev("add-member", "--tenant", tenant_id, "--user", user["id"], "--role", role)
    token = dev("token", "--user", user["id"], "--email", email, "--tenant", tenant_id)["token"]
    return email, f"Bearer {token}"


@pytest.fixture
def api():
    with ksapi.ApiClient(ksapi.Configuration(host=API_URL)) as client:
        yield ksapi.InvitesApi(client)


@pytest.fixture
def tenant():
    return dev("create-tenant", "--name", "Py Tenant")["id"]


def test_create_list_accept_delete_round_trip(api, tenant):
    _, admin = actor(tenant, "ADMIN")
    invitee_email, invitee = actor(tenant)

    invite = api.create_invite(
        InviteUserRequest(tenant_id=uuid.UUID(tenant), email=invitee_email.upper(), role="ADMIN"),
        authorization=admin,
    )
    assert invite.email == invitee_email
    assert invite.role.value == "ADMIN"
    assert invite.accepted_at is None
    assert invite.email_id is not None
    assert invite.invite_link.endswith(str(invite.id))

    page = api.list_invites(authorization=admin, status=ksapi.InviteStatus("pending"), limit=10)
    assert page.total == 1 and page.items[0].id == invite.id

    accepted = api.accept_invite(invite.id, authorization=invitee)
    assert str(accepted.tenant_id) == tenant and accepted.role.value == "ADMIN"
    again = api.accept_invite(invite.id, authorization=invitee)
    assert again == accepted

    page = api.list_invites(authorization=admin, email=invitee_email[:6].upper())
    assert page.total == 1 and page.items[0].accepted_at is not None

    api.delete_invite(invite.id, authorization=admin)
    assert api.list_invites(authorization=admin).total == 0


def test_errors_reach_the_client_as_api_exceptions(api, tenant):
    _, user = actor(tenant, "USER")
    with pytest.raises(ksapi.ApiException) as denied:
        api.list_invites(authorization=user)
    assert denied.value.status == 403

    with pytest.raises(ksapi.ApiException) as unauthenticated:
        api.list_invites()
    assert unauthenticated.value.status == 401
    error = json.loads(unauthenticated.value.body)
    assert (error["detail"], error["code"]) == ("Not authenticated", "unauthorized")
    assert error["request_id"] == unauthenticated.value.headers["x-request-id"]

    _, admin = actor(tenant, "ADMIN")
    with pytest.raises(ksapi.ApiException) as missing:
        api.delete_invite(uuid.uuid4(), authorization=admin)
    assert missing.value.status == 404

    member_email, _ = actor(tenant, "USER")
    with pytest.raises(ksapi.ApiException) as conflict:
        api.create_invite(
            InviteUserRequest(tenant_id=uuid.UUID(tenant), email=member_email), authorization=admin
        )
    assert conflict.value.status == 409
    error = json.loads(conflict.value.body)
    assert (error["detail"], error["code"]) == ("User is already a member of this tenant", "conflict")
