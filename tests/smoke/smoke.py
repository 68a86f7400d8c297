"""Smoke test of a deployed Invites API with the published client (ksapi 3.18.2), run by the
deploy workflow after each deploy. Read-only: it sends no invitation email.

INVITES_API_URL: the stack's ApiUrl output. SMOKE_TOKEN: a credential (an API key `sk-user-…`
or a JWT) of an ADMIN whose current tenant is SMOKE_TENANT_ID, a tenant kept for this purpose;
both are required.
"""

import os
import sys
import uuid

import ksapi
from ksapi.exceptions import ApiException

API_URL = os.environ["INVITES_API_URL"]


def client(token=None):
    return ksapi.InvitesApi(ksapi.ApiClient(ksapi.Configuration(host=API_URL, access_token=token)))


def main():
    checks = []

    try:
        client().list_invites()
        checks.append(("anonymous list is refused", False))
    except ApiException as error:
        checks.append(("anonymous list is refused (401)", error.status == 401))

    preview = client().preview_invite(uuid.uuid4())
    state = getattr(preview.state, "value", preview.state)
    checks.append(("an unknown invite previews as not_found", state == "not_found"))

    token, tenant = os.environ.get("SMOKE_TOKEN"), os.environ.get("SMOKE_TENANT_ID")
    if not token or not tenant:
        print("SMOKE_TOKEN and SMOKE_TENANT_ID are required", file=sys.stderr)
        return 1
    page = client(token).list_invites(limit=5)  # the token's tenant
    own = all(str(item.tenant_id) == tenant for item in page.items)
    checks.append(("an admin lists their tenant's invites, and only those", own))

    for name, passed in checks:
        print(f"{'ok  ' if passed else 'FAIL'} {name}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
