"""The published Python client ksapi 3.18.2, unchanged, against the local server: the tenant
invite link, seat caps, API keys, the cookie, deleting, and the error bodies."""

import uuid
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest
from ksapi.exceptions import (
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from ksapi.models import TenantUserRole, UpdateInviteRequest

from ks3 import (
    add_member, dev, error_of, group_members, ids, invite, membership, new_group, new_user, token,
    update_tenant, validation_error_of,
)

ADMIN, USER = TenantUserRole.ADMIN, TenantUserRole.USER


# --- the tenant invite link: accept_invite(<tenant id>) ----------------------------------------

def test_tenant_link_admits_anyone_signed_in_with_its_role_and_groups(tenant, outsider):
    group = new_group(tenant)
    update_tenant(tenant, "--link-enabled", "true", "--link-role", "ADMIN", "--link-groups", group)
    user, api = outsider
    accepted = api.accept_invite(UUID(tenant))
    assert (accepted.tenant_id, accepted.role) == (UUID(tenant), ADMIN)
    assert not accepted.skipped_groups
    assert membership(tenant, user)["role"] == "ADMIN"
    assert user["id"] in group_members(tenant, group)


def test_tenant_link_disabled_is_a_bad_request(tenant, outsider):
    update_tenant(tenant, "--link-enabled", "false")
    user, api = outsider
    with pytest.raises(BadRequestException) as refused:
        api.accept_invite(UUID(tenant))
    assert "does not have invite link enabled" in error_of(refused, 400, "bad_request").detail
    assert membership(tenant, user) is None


def test_tenant_link_of_a_tenant_that_cannot_invite_is_a_distinct_bad_request(tenant, outsider):
    update_tenant(tenant, "--link-enabled", "true", "--link-role", "USER", "--can-invite", "false")
    user, api = outsider
    with pytest.raises(BadRequestException) as refused:
        api.accept_invite(UUID(tenant))
    detail = error_of(refused, 400, "bad_request").detail
    assert "does not support inviting users" in detail and "invite link" not in detail
    assert membership(tenant, user) is None


# --- seats ----------------------------------------------------------------------------------

def test_a_full_tenant_refuses_acceptance_until_its_cap_is_raised(tenant, admin, client_for):
    _, api = admin  # the tenant's only member
    invitee = new_user()
    created = invite(api, tenant, email=invitee["email"])
    update_tenant(tenant, "--seat-cap", "1")
    invitee_api = client_for(token(invitee, tenant))
    with pytest.raises(ForbiddenException) as refused:
        invitee_api.accept_invite(created.id)
    error_of(refused, 403, "quota_exceeded")
    assert membership(tenant, invitee) is None
    update_tenant(tenant, "--seat-cap", "2")
    assert invitee_api.accept_invite(created.id).role == USER
    assert membership(tenant, invitee)["role"] == "USER"


# --- API keys (sk-user-..., sent as a bearer credential) ---------------------------------------

def test_an_api_key_manages_invites_with_its_owners_live_role(tenant, client_for):
    owner = new_user(current_tenant=tenant)
    add_member(tenant, owner, "ADMIN")
    key = dev("create-api-key", "--user", owner["id"])["key"]
    assert key.startswith("sk-user-")
    api = client_for(key)
    created = invite(api, tenant)
    assert created.invited_by_user_id == UUID(owner["id"])
    assert ids(api.list_invites()) == [created.id]
    expires = datetime.now(timezone.utc) + timedelta(days=9)
    updated = api.update_invite(created.id, UpdateInviteRequest(expires_at=expires))
    assert abs(updated.expires_at - expires) < timedelta(seconds=1)
    deleted = api.delete_invite_with_http_info(created.id)
    assert (deleted.status_code, deleted.data) == (204, None)
    assert api.list_invites().total == 0
    add_member(tenant, owner, "USER")  # demoted: the key follows at once
    with pytest.raises(ForbiddenException) as refused:
        api.list_invites()
    error_of(refused, 403, "forbidden")


def test_revoked_expired_and_unknown_keys_are_unauthorized(tenant, client_for):
    owner = new_user(current_tenant=tenant)
    add_member(tenant, owner, "ADMIN")
    revoked = dev("create-api-key", "--user", owner["id"])
    assert client_for(revoked["key"]).list_invites().total == 0
    dev("revoke-api-key", "--key", revoked["key"])
    expired = dev("create-api-key", "--user", owner["id"], "--expires-in-hours", "0")["key"]
    unknown = f"sk-user-{uuid.uuid4().hex}"
    for key in (revoked["key"], expired, unknown):
        with pytest.raises(UnauthorizedException) as refused:
            client_for(key).list_invites()
        error_of(refused, 401, "unauthorized")


# --- the browser's cookie -------------------------------------------------------------------

def test_the_ks_uat_cookie_signs_in_a_list(tenant, admin, cookie_client_for):
    user, api = admin
    created = invite(api, tenant)
    page = cookie_client_for(token(user, tenant)).list_invites()
    assert (page.total, ids(page)) == (1, [created.id])


# --- delete ---------------------------------------------------------------------------------

def test_delete_answers_204_and_returns_nothing(tenant, admin):
    _, api = admin
    created = invite(api, tenant)
    assert api.delete_invite(created.id) is None
    assert api.list_invites().total == 0
    with pytest.raises(NotFoundException) as missing:
        api.delete_invite(created.id)
    error_of(missing, 404, "not_found")


# --- error bodies ---------------------------------------------------------------------------

def test_every_error_body_is_detail_code_and_the_request_id(tenant, admin, actor, anonymous):
    with pytest.raises(UnauthorizedException) as unauthenticated:
        anonymous.list_invites()
    assert error_of(unauthenticated, 401, "unauthorized").detail == "Not authenticated"

    _, member = actor(tenant, "USER")
    with pytest.raises(ForbiddenException) as forbidden:
        member.list_invites()
    error_of(forbidden, 403, "forbidden")

    _, api = admin
    with pytest.raises(NotFoundException) as missing:
        api.delete_invite(uuid.uuid4())
    error_of(missing, 404, "not_found")

    already = new_user()
    add_member(tenant, already, "USER")
    with pytest.raises(ConflictException) as conflict:
        invite(api, tenant, email=already["email"])
    assert error_of(conflict, 409, "conflict").detail == "User is already a member of this tenant"

    created = invite(api, tenant)
    with pytest.raises(UnprocessableEntityException) as invalid:
        past = datetime(2000, 1, 1, tzinfo=timezone.utc)
        api.update_invite(created.id, UpdateInviteRequest(expires_at=past))
    issue = validation_error_of(invalid).detail[0]
    assert issue.msg and issue.type
