"""Writes the API Gateway HTTP API (payload v2) events in this folder.

The events name the demo data that `invites-local seed-demo` creates (fixed ids), and carry
tokens signed with the local development secret of env.json, valid for ten years. Rerun after
changing the demo data or the secret:

    source local/stack.sh && stack_env 8001 8005 && python3 events/make_events.py
"""

import json
import os
import subprocess
from pathlib import Path

HERE = Path(__file__).parent
DEV_TOOL = HERE.parent / "target" / "debug" / "invites-local"
TENANT = "00000000-0000-4000-8000-00000000d001"
ADMIN = ("00000000-0000-4000-8000-00000000a001", "admin@demo.example.com")
INVITEE = ("00000000-0000-4000-8000-00000000b001", "invitee@demo.example.com")
INVITE = "00000000-0000-4000-8000-00000000e001"
TEN_YEARS_HOURS = str(24 * 3653)


def token(user):
    env = dict(os.environ, JWT_HS256_SECRET=json.loads((HERE / "env.json").read_text())["Parameters"]["JWT_HS256_SECRET"])
    out = subprocess.run(
        [DEV_TOOL, "token", "--user", user[0], "--email", user[1], "--tenant", TENANT, "--ttl-hours", TEN_YEARS_HOURS],
        check=True, capture_output=True, text=True, env=env,
    ).stdout
    return json.loads(out)["token"]


def event(method, route, path, *, headers=None, cookies=None, query="", params=None, path_params=None, body=None):
    headers = {"host": "api.example.com", "user-agent": "sam-local", "accept": "application/json", **(headers or {})}
    ev = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "sam-local"},
            "requestId": "local-request-id",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "28/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1795737600000,
        },
        "isBase64Encoded": False,
    }
    if cookies:
        ev["cookies"] = cookies
    if params:
        ev["queryStringParameters"] = params
    if path_params:
        ev["pathParameters"] = path_params
    if body is not None:
        ev["body"] = json.dumps(body)
    return ev


def main():
    admin, invitee = token(ADMIN), token(INVITEE)
    events = {
        "create-invite.json": event(
            "POST", "/v1/invites", "/v1/invites",
            headers={"authorization": f"Bearer {admin}", "content-type": "application/json"},
            body={"tenant_id": TENANT, "email": "new.colleague@example.com", "role": "USER"},
        ),
        "list-invites.json": event(
            "GET", "/v1/invites", "/v1/invites",
            headers={"authorization": f"Bearer {admin}"},
            query="status=pending&limit=10&sort_by=created_at&sort_dir=desc",
            params={"status": "pending", "limit": "10", "sort_by": "created_at", "sort_dir": "desc"},
        ),
        "list-invites-cookie.json": event(
            "GET", "/v1/invites", "/v1/invites",
            cookies=["theme=dark", f"ks_uat={admin}"],
            query="email=invitee",
            params={"email": "invitee"},
        ),
        "accept-invite.json": event(
            "POST", "/v1/invites/{invite_id}/accept", f"/v1/invites/{INVITE}/accept",
            headers={"authorization": f"Bearer {invitee}"},
            path_params={"invite_id": INVITE},
        ),
        "delete-invite.json": event(
            "DELETE", "/v1/invites/{invite_id}", f"/v1/invites/{INVITE}",
            headers={"authorization": f"Bearer {admin}"},
            path_params={"invite_id": INVITE},
        ),
    }
    for name, ev in events.items():
        (HERE / name).write_text(json.dumps(ev, indent=2) + "\n")


if __name__ == "__main__":
    main()
