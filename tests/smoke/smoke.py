"""Smoke test of a deployed Invites API with the published client (ksapi 3.18.2), run by the
deploy workflow after each deploy. Read-only: it sends no invitation email.

INVITES_API_URL: the stack's ApiUrl output. SMOKE_TOKEN: a credential (an API key `sk-user-…`
or a JWT) of an ADMIN of SMOKE_TENANT_ID, a tenant kept for this purpose.
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

    token = os.environ.get("SMOKE_TOKEN")
    if token:
        page = client(token).list_invites(limit=1)
        checks.append(("an admin lists invites", page.total is not None and page.total >= 0))
    else:
        print("SMOKE_TOKEN is not set: the authenticated check is skipped", file=sys.stderr)

    for name, passed in checks:
        print(f"{'ok  ' if passed else 'FAIL'} {name}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
