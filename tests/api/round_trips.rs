//! Each endpoint's number of AWS round trips, as each function binary logs it (`aws_calls`):
//! a change that adds one fails here, and BENCHMARKS.md reports the same count.

use invites_bench::runtime_api::{FunctionProcess, Outcome};
use invites_local::events::ApiEvent;
use serde_json::{json, Value};

use crate::events::function_binary;
use crate::helpers::*;

/// Runs `events` through `function`'s binary and returns (status, aws_calls) of each.
async fn calls(function: &str, events: Vec<ApiEvent>) -> Vec<(i64, u64)> {
    let mut env = binary_env();
    env.insert("RUST_LOG".into(), "info".into());
    let log = std::env::temp_dir().join(format!("{function}-{}.log", uuid::Uuid::new_v4()));
    let mut process = FunctionProcess::start(&function_binary(function), &env, Some(&log))
        .await
        .unwrap();
    let mut statuses = Vec::new();
    for event in events {
        match process.invoke(event.to_json()).await.unwrap() {
            Outcome::Response(response) => statuses.push(response["statusCode"].as_i64().unwrap()),
            Outcome::Error(error) => panic!("{function} failed: {error}"),
        }
    }
    process.stop().await;
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let handled: Vec<u64> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "request handled")
        .map(|line| line["fields"]["aws_calls"].as_u64().unwrap())
        .collect();
    assert_eq!(handled.len(), statuses.len(), "{function}: {text}");
    statuses.into_iter().zip(handled).collect()
}

#[tokio::test]
async fn each_endpoint_makes_a_fixed_number_of_aws_round_trips() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("round-trips").await;
    let email = invitee.email.as_str().to_owned();
    let create = || {
        ApiEvent::new("POST", "/v1/invites", "/v1/invites")
            .bearer(&admin.token)
            .json_body(json!({ "tenant_id": admin.tenant, "email": email }))
    };
    // New invite: BatchGet (tenant, caller, invitee's user, pending slot), BatchGet (the
    // invitee's membership: they have an account), TransactWrite, SES, UpdateItem (email id).
    // Refresh within the email cooldown: BatchGet, BatchGet (membership + the pending invite),
    // TransactWrite claiming the email (refused: cooldown), TransactWrite (refresh only); each
    // with the tenant's list version, as the refresh moves the invite in two orders; no SES.
    assert_eq!(
        calls("create-invite", vec![create(), create()]).await,
        [(201, 5), (201, 4)]
    );
    let stranger = ApiEvent::new("POST", "/v1/invites", "/v1/invites")
        .bearer(&admin.token)
        .json_body(json!({ "tenant_id": admin.tenant, "email": unique_email("no-account") }));
    // Nobody with that email, no pending invite: no second read.
    assert_eq!(calls("create-invite", vec![stranger]).await, [(201, 4)]);

    // BatchGet (caller's membership, the tenant's counters), one Query.
    let list = ApiEvent::new("GET", "/v1/invites", "/v1/invites").bearer(&admin.token);
    assert_eq!(calls("list-invites", vec![list]).await, [(200, 2)]);

    let id = app.list_ok(&admin.token, &format!("email={email}")).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invitee = app.actor(invitee, admin.tenant);
    // BatchGet (update's: tenant, caller's membership, the invite), then one TransactWrite of
    // the invite and the tenant's list version (skip points read before it no longer hold).
    let update = ApiEvent::new(
        "PATCH",
        "/v1/invites/{invite_id}",
        format!("/v1/invites/{id}"),
    )
    .bearer(&admin.token)
    .json_body(json!({ "groups": [] }));
    assert_eq!(calls("update-invite", vec![update]).await, [(200, 2)]);
    // The request window's UpdateItem beside the invite's GetItem, then BatchGet (tenant,
    // inviter): two round trips' time.
    let preview = ApiEvent::new(
        "GET",
        "/v1/invites/{invite_id}/preview",
        format!("/v1/invites/{id}/preview"),
    );
    assert_eq!(calls("preview-invite", vec![preview]).await, [(200, 3)]);
    // BatchGet (a tenant with that id — a link — and the invite), BatchGet (the invite's
    // tenant, the caller's membership, the invite's groups), TransactWrite (invite,
    // membership, counters and seat, pending slot, groups).
    let accept = ApiEvent::new(
        "POST",
        "/v1/invites/{invite_id}/accept",
        format!("/v1/invites/{id}/accept"),
    )
    .bearer(&invitee.token);
    assert_eq!(calls("accept-invite", vec![accept]).await, [(200, 3)]);
    // BatchGet (caller's membership, the invite), TransactWrite (invite, counters).
    let delete = ApiEvent::new(
        "DELETE",
        "/v1/invites/{invite_id}",
        format!("/v1/invites/{id}"),
    )
    .bearer(&admin.token);
    assert_eq!(calls("delete-invite", vec![delete]).await, [(204, 2)]);
}
