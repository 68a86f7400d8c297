"""Helpers of the ksapi 3.18.2 suite: the dev tool (seeds the table the server reads) and the
error bodies the client hands back.

scripts/test starts the server and exports INVITES_API_URL and INVITES_LOCAL_BIN (the dev tool,
which prints one JSON object per command).
"""

import json
import os
import subprocess
import uuid
from uuid import UUID

from ksapi.models import ErrorResponse, HTTPValidationError, InviteUserRequest

API_URL = os.environ["INVITES_API_URL"]
DEV_TOOL = os.environ["INVITES_LOCAL_BIN"]
TENANT_NAME = "Py3 Tenant"


def dev(*args):
    done = subprocess.run([DEV_TOOL, *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, f"{DEV_TOOL} {' '.join(map(str, args))}: {done.stderr}"
    return json.loads(done.stdout)


def fresh_email():
    return f"py3.{uuid.uuid4().hex}@example.com"


def new_tenant(name=TENANT_NAME):
    return dev("create-tenant", "--name", name)["id"]


def new_user(first_name=None, last_name=None, current_tenant=None):
    args = ["create-user", "--email", fresh_email()]
    for flag, value in (("--first-name", first_name), ("--last-name", last_name),
                        ("--current-tenant", current_tenant)):
        if value is not None:
            args += [flag, value]
    return dev(*args)


def add_member(tenant, user, role):
    dev("add-member", "--tenant", tenant, "--user", user["id"], "--role", role)


def token(user, tenant):
    """A user access token (JWT) whose current tenant is `tenant`."""
    return dev("token", "--user", user["id"], "--email", user["email"], "--tenant", tenant)["token"]


def membership(tenant, user):
    return dev("get-member", "--tenant", tenant, "--user", user["id"])["membership"]


def new_group(tenant, name="Py3 Group"):
    return dev("create-group", "--tenant", tenant, "--name", name)["id"]


def group_members(tenant, group):
    return set(dev("group-members", "--tenant", tenant, "--group", group)["user_ids"])


def update_tenant(tenant, *flags):
    return dev("update-tenant", "--id", tenant, *flags)


def invite(api, tenant, email=None, role="USER", groups=None):
    return api.create_invite(
        InviteUserRequest(tenant_id=UUID(tenant), email=email or fresh_email(), role=role, groups=groups)
    )


def ids(page):
    return [item.id for item in page.items]


def error_of(excinfo, status, code):
    """The ErrorResponse of a refused call, after checking its status, code and request id."""
    exc = excinfo.value
    assert exc.status == status, exc.body
    error = ErrorResponse.from_json(exc.body)
    assert error.code == code, exc.body
    assert error.request_id == exc.headers["x-request-id"]
    return error


def validation_error_of(excinfo):
    """A 422: FastAPI's `detail` list (parsed by the client's HTTPValidationError model) plus
    `code` and `request_id`. ErrorResponse cannot parse it: its `detail` is a StrictStr."""
    exc = excinfo.value
    assert exc.status == 422, exc.body
    error = HTTPValidationError.from_json(exc.body)
    assert isinstance(error.detail, list) and error.detail, exc.body
    assert error.additional_properties["code"] == "unprocessable_entity"
    assert error.additional_properties["request_id"] == exc.headers["x-request-id"]
    return error
