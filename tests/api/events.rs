//! Every file in events/ (what `sam local invoke -e` takes) runs through the real function
//! binary over the Lambda Runtime API, against DynamoDB Local and the SES emulator.

use std::collections::HashMap;
use std::path::PathBuf;

use invites_bench::runtime_api::{FunctionProcess, Outcome};
use invites_local::dev;
use serde_json::Value;

use crate::helpers::*;

/// The function binaries are built by `scripts/test` (`cargo build --workspace --bins`).
pub fn function_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let binary = target.join("debug").join(name);
    assert!(
        binary.exists(),
        "{} is missing: run scripts/test, which builds the function binaries",
        binary.display()
    );
    binary
}

fn read_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("events").join(name)).unwrap())
        .unwrap()
}

/// env.json's variables, pointed at this run's table and emulators.
fn function_env() -> HashMap<String, String> {
    let mut env: HashMap<String, String> = read_json("env.json")["Parameters"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    env.insert("TABLE_NAME".into(), table_name().to_owned());
    for name in ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SES"] {
        env.insert(name.into(), std::env::var(name).unwrap());
    }
    env.insert("RUST_LOG".into(), "warn".into());
    env
}

/// The EMF lines (those with `_aws`) of a function's captured stdout.
fn metric_lines(log: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect()
}

#[tokio::test]
async fn every_event_file_runs_through_its_function_over_the_runtime_api() {
    let app = TestApp::spawn().await;
    let demo = dev::seed_demo(
        &app.store,
        app.clock.now(),
        chrono::Duration::hours(create_invite::DEFAULT_INVITE_LIFETIME_HOURS),
    )
    .await
    .unwrap();
    let env = function_env();

    // In this order: update and preview the demo invite, accept it, then delete it.
    let cases = [
        ("create-invite.json", "create-invite", 201),
        ("list-invites.json", "list-invites", 200),
        ("list-invites-cookie.json", "list-invites", 200),
        ("update-invite.json", "update-invite", 200),
        ("preview-invite.json", "preview-invite", 200),
        ("accept-invite.json", "accept-invite", 200),
        ("delete-invite.json", "delete-invite", 204),
        ("not-found.json", "not-found", 404),
        ("method-not-allowed.json", "not-found", 405),
    ];
    let emails_before = app.emails_to("new.colleague@example.com").await.len();
    let mut listed_names = Vec::new();
    let logs = std::env::temp_dir().join(format!("event-logs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&logs).unwrap();
    let mut metrics_of = std::collections::HashMap::new();
    for (file, function, expected) in cases {
        listed_names.push(file);
        let log = logs.join(file);
        let mut process = FunctionProcess::start(&function_binary(function), &env, Some(&log))
            .await
            .unwrap();
        let outcome = process.invoke(read_json(file)).await.unwrap();
        process.stop().await;
        metrics_of.insert(file, metric_lines(&log));
        let Outcome::Response(response) = outcome else {
            panic!("{file}: the function reported an error: {outcome:?}");
        };
        assert_eq!(response["statusCode"], expected, "{file}: {response}");
        // Every answer names API Gateway's request id (the event's requestContext.requestId).
        assert_eq!(
            response["headers"]["x-request-id"], "local-request-id",
            "{file}"
        );
        if function == "preview-invite" {
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            assert_eq!(body["state"], "valid", "{file}: {body}");
        }
        if function == "not-found" {
            // The contract's shapes, as the local server answers them, not API Gateway's own.
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            let (detail, code) = if expected == 404 {
                ("Not Found", "not_found")
            } else {
                ("Method Not Allowed", "bad_request")
            };
            // The request id is API Gateway's, from the event's requestContext.
            let expected_body = serde_json::json!({
                "detail": detail, "code": code, "request_id": "local-request-id"
            });
            assert_eq!(body, expected_body, "{file}");
            assert_eq!(
                response["headers"]["x-request-id"], "local-request-id",
                "{file}"
            );
            if expected == 405 {
                assert_eq!(
                    response["headers"]["allow"], "GET, POST",
                    "{file}: {response}"
                );
            }
        }
        if function == "list-invites" {
            let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
            assert!(
                body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["id"] == demo.invite_id.to_string()),
                "{file}: {body}"
            );
        }
    }
    // Exactly one email for the one create event (counted from before: the emulator may have
    // served earlier runs).
    assert_eq!(
        app.emails_to("new.colleague@example.com").await.len(),
        emails_before + 1
    );
    assert_eq!(app.store.get_invite(demo.invite_id).await.unwrap(), None);
    assert!(app
        .store
        .get_membership(demo.tenant.id, demo.invitee.id)
        .await
        .unwrap()
        .is_some());

    // Each request's EMF line (CloudWatch's metrics from the logs): what it did and cost.
    let create = &metrics_of["create-invite.json"];
    assert_eq!(create.len(), 1, "one metrics line per request: {create:?}");
    let create = &create[0];
    assert_eq!(create["InvitesCreated"], 1.0, "{create}");
    assert_eq!(create["EmailsSent"], 1.0, "{create}");
    assert_eq!(create["ServerErrors"], 0.0, "{create}");
    assert!(
        create["ReadCapacityUnits"].as_f64().unwrap() > 0.0,
        "{create}"
    );
    assert!(
        create["WriteCapacityUnits"].as_f64().unwrap() > 0.0,
        "{create}"
    );
    assert_eq!(create["FunctionName"], "create-invite");
    assert_eq!(create["request_id"], "local-request-id");
    let declared: Vec<&str> = create["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap())
        .collect();
    assert!(declared.contains(&"InvitesCreated") && declared.contains(&"Latency"));
    let accept = &metrics_of["accept-invite.json"][0];
    assert_eq!(accept["InvitesAccepted"], 1.0, "{accept}");
    assert!(
        accept["WriteCapacityUnits"].as_f64().unwrap() > 0.0,
        "{accept}"
    );
    // Accepting the deleted invite again: a rejection, by reason.
    let log = logs.join("accept-again");
    let mut process = FunctionProcess::start(&function_binary("accept-invite"), &env, Some(&log))
        .await
        .unwrap();
    let outcome = process
        .invoke(read_json("accept-invite.json"))
        .await
        .unwrap();
    process.stop().await;
    assert!(matches!(outcome, Outcome::Response(ref r) if r["statusCode"] == 404));
    let rejected = &metric_lines(&log)[0];
    assert_eq!(rejected["Rejected"], 1, "{rejected}");
    assert_eq!(rejected["Reason"], "invite_not_found");
    assert_eq!(
        rejected["_aws"]["CloudWatchMetrics"][1]["Dimensions"],
        serde_json::json!([["FunctionName", "Reason"]])
    );
    let _ = std::fs::remove_dir_all(&logs);

    // The expiry sweep's schedule event (EventBridge Scheduler's shape).
    let mut process = FunctionProcess::start(&function_binary("expire-invites"), &env, None)
        .await
        .unwrap();
    let outcome = process
        .invoke(read_json("expire-invites.json"))
        .await
        .unwrap();
    process.stop().await;
    let Outcome::Response(swept) = outcome else {
        panic!("expire-invites.json: the function reported an error: {outcome:?}");
    };
    assert_eq!(swept["more"], false, "{swept}");
    listed_names.push("expire-invites.json");

    // An SES bounce as the email-events queue delivers it (about the demo invite, which has
    // no email: a report of another email, recorded as nothing, and no failure to retry).
    let mut process = FunctionProcess::start(&function_binary("email-events"), &env, None)
        .await
        .unwrap();
    let outcome = process
        .invoke(read_json("email-events.json"))
        .await
        .unwrap();
    process.stop().await;
    let Outcome::Response(answer) = outcome else {
        panic!("email-events.json: the function reported an error: {outcome:?}");
    };
    assert_eq!(
        answer["batchItemFailures"],
        serde_json::json!([]),
        "{answer}"
    );
    listed_names.push("email-events.json");

    // Every event file is covered.
    let mut on_disk: Vec<String> = std::fs::read_dir(repo().join("events"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json") && name != "env.json")
        .collect();
    on_disk.sort();
    listed_names.sort();
    assert_eq!(on_disk, listed_names);
}

#[test]
fn the_event_files_are_generated_from_the_demo_ids() {
    let env = read_json("env.json");
    let signer = invites_local::events::DemoSigner::from_env_json(&env["Parameters"]).unwrap();
    for (name, event) in invites_local::events::demo_events(&signer) {
        assert_eq!(
            read_json(name),
            event,
            "events/{name} is stale: run `invites-local make-events`"
        );
    }
}
