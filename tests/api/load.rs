//! The local server as its own process, its JSON logs captured: credentials never reach the
//! logs, every request's lines carry its request id, and a bounded mixed load gives no 5xx and
//! no error line.

use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::future::join_all;
use invites_shared::domain::{EmailAddress, UserId};
use serde_json::{json, Value};

use crate::helpers::*;

struct ServerProcess {
    child: tokio::process::Child,
    url: String,
    log: std::path::PathBuf,
}

impl ServerProcess {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::env::temp_dir().join(format!(
            "invites-server-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let child = tokio::process::Command::new(crate::events::function_binary("invites-local"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .envs(test_env(table_name()))
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if reqwest::get(format!("{url}/v1/invites")).await.is_ok() {
                return Self { child, url, log };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not start");
    }

    /// Stops the server and returns its log lines, parsed.
    async fn stop(mut self) -> Vec<Value> {
        self.child.kill().await.unwrap();
        let text = std::fs::read_to_string(&self.log).unwrap();
        let _ = std::fs::remove_file(&self.log);
        text.lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"))
            })
            .collect()
    }
}

/// Lines logged while handling requests (not at start-up).
fn request_lines(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|line| line["fields"]["message"] != "Invites API listening")
        // The expiry sweep's log and metrics (the local server runs it too) belong to no request.
        .filter(|line| line["fields"]["message"] != "expiry sweep")
        .filter(|line| line.get("_aws").is_none() || line.get("request_id").is_some())
        .collect()
}

#[tokio::test]
async fn logs_are_json_with_request_ids_and_never_hold_credentials() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let server = ServerProcess::start().await;
    let http = reqwest::Client::new();
    let secret_cookie = format!("ks_uat={}; session=s3cr3t-cookie-value", admin.token);
    let api_key = app.api_key(admin.user.id, None).await;
    let made_up_key = format!("sk-user-{}", uuid::Uuid::new_v4().simple());

    let requests = [
        http.get(format!(
            "{}/v1/invites?tenant_id={}",
            server.url, admin.tenant
        ))
        .bearer_auth(&api_key),
        http.get(format!("{}/v1/invites", server.url))
            .bearer_auth(&made_up_key),
        http.get(format!("{}/v1/invites", server.url))
            .bearer_auth(&admin.token),
        http.get(format!("{}/v1/invites", server.url))
            .header("cookie", &secret_cookie),
        http.get(format!("{}/v1/invites", server.url))
            .bearer_auth("forged.token.value"),
        http.post(format!("{}/v1/invites", server.url))
            .bearer_auth(&admin.token)
            .json(&json!({ "tenant_id": admin.tenant, "email": unique_email("logged") })),
    ];
    for request in requests {
        assert!(request.send().await.unwrap().status().as_u16() < 500);
    }

    let lines = server.stop().await;
    let text = lines
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let digest = invites_shared::auth::api_key_digest(&api_key);
    for secret in [
        admin.token.as_str(),
        api_key.as_str(),
        digest.as_str(),
        made_up_key.as_str(),
        "forged.token.value",
        "s3cr3t-cookie-value",
        "Bearer",
    ] {
        assert!(!text.contains(secret), "the logs contain {secret:?}");
    }
    assert!(!text.to_lowercase().contains("authorization"));
    let handled = request_lines(&lines);
    assert!(handled.len() >= 6, "{text}");
    for line in handled {
        // A log line carries it in its span, a metrics line (EMF) at its top.
        let id = line["span"]["request_id"]
            .as_str()
            .or(line["request_id"].as_str());
        assert!(id.is_some_and(|id| !id.is_empty()), "no request id: {line}");
    }
}

#[tokio::test]
async fn the_function_binaries_never_log_credentials() {
    use invites_bench::runtime_api::FunctionProcess;
    use invites_local::events::ApiEvent;

    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invite = app
        .invite(&admin, &unique_email("binary-logs"), "USER")
        .await;
    let id = invite["id"].as_str().unwrap();
    let cookie = format!("ks_uat={}", admin.token);
    let forged = "forged.token.value";
    let mut env = binary_env();
    env.insert("RUST_LOG".into(), "trace".into());
    let path = format!("/v1/invites/{id}");
    let accept_path = format!("{path}/accept");
    let cases = [
        (
            "create-invite",
            ApiEvent::new("POST", "/v1/invites", "/v1/invites")
                .bearer(&admin.token)
                .json_body(json!({ "tenant_id": admin.tenant, "email": unique_email("b") })),
        ),
        (
            "list-invites",
            ApiEvent::new("GET", "/v1/invites", "/v1/invites").cookie(cookie.clone()),
        ),
        (
            "list-invites",
            ApiEvent::new("GET", "/v1/invites", "/v1/invites").bearer(forged),
        ),
        (
            "accept-invite",
            ApiEvent::new("POST", "/v1/invites/{invite_id}/accept", accept_path)
                .bearer(&admin.token),
        ),
        (
            "delete-invite",
            ApiEvent::new("DELETE", "/v1/invites/{invite_id}", path).cookie(cookie.clone()),
        ),
    ];
    for (function, event) in cases {
        let log = std::env::temp_dir().join(format!("{function}-{}.log", uuid::Uuid::new_v4()));
        let binary = crate::events::function_binary(function);
        let mut process = FunctionProcess::start(&binary, &env, Some(&log))
            .await
            .unwrap();
        process.invoke(event.to_json()).await.unwrap();
        process.stop().await;
        let text = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_file(&log);
        assert!(
            text.contains("request handled"),
            "{function} logged nothing: {text}"
        );
        for secret in [admin.token.as_str(), forged, "Bearer", "ks_uat"] {
            assert!(
                !text.contains(secret),
                "{function}'s log contains {secret:?}: {text}"
            );
        }
        assert!(
            !text.to_lowercase().contains("authorization"),
            "{function}: {text}"
        );
    }
}

#[tokio::test]
async fn a_bounded_mixed_load_gives_no_5xx_and_no_error_logs() {
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let clients: usize = std::env::var("LOAD_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let server = ServerProcess::start().await;
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);

    let client = |n: usize| {
        let (http, url, admin) = (http.clone(), server.url.clone(), admin.clone());
        async move {
            // (kind, status) of every request this client made.
            let mut statuses: Vec<(&str, u16)> = Vec::new();
            let mut i = 0usize;
            // At least one round of ten per client (one accept each), however slow the machine.
            while Instant::now() < deadline || i < 10 {
                i += 1;
                let email = unique_email(&format!("load{n}-{i}"));
                let create = |email: &str| {
                    http.post(format!("{url}/v1/invites"))
                        .bearer_auth(&admin.token)
                        .json(&json!({ "tenant_id": admin.tenant, "email": email }))
                        .send()
                };
                match i % 10 {
                    0..=5 => {
                        statuses.push(("create", create(&email).await.unwrap().status().as_u16()))
                    }
                    6..=8 => {
                        let query = [
                            "",
                            "status=pending&limit=5",
                            "sort_by=updated_at&sort_dir=desc&offset=3",
                        ][i % 3];
                        let list = http
                            .get(format!("{url}/v1/invites?{query}"))
                            .bearer_auth(&admin.token)
                            .send();
                        statuses.push(("list", list.await.unwrap().status().as_u16()));
                    }
                    _ => {
                        let invite = create(&email).await.unwrap();
                        statuses.push(("create", invite.status().as_u16()));
                        let id = invite.json::<Value>().await.unwrap()["id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                        let invitee = token(
                            UserId::new_random(),
                            &EmailAddress::parse(&email).unwrap(),
                            admin.tenant,
                        );
                        let accept = http
                            .post(format!("{url}/v1/invites/{id}/accept"))
                            .bearer_auth(&invitee)
                            .send();
                        statuses.push(("accept", accept.await.unwrap().status().as_u16()));
                    }
                }
            }
            statuses
        }
    };
    let made: Vec<(&str, u16)> = join_all((0..clients).map(client))
        .await
        .into_iter()
        .flatten()
        .collect();
    let statuses: Vec<u16> = made.iter().map(|(_, status)| *status).collect();
    // Enough of each kind for the load to mean something.
    for kind in ["create", "list", "accept"] {
        let count = made.iter().filter(|(k, _)| *k == kind).count();
        assert!(count >= 20, "only {count} {kind} requests: {made:?}");
    }

    let lines = server.stop().await;
    let failures: Vec<_> = statuses.iter().filter(|s| **s >= 500).collect();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {failures:?}",
        failures.len(),
        statuses.len()
    );
    assert!(
        statuses.iter().all(|s| [200, 201].contains(s)),
        "unexpected statuses: {statuses:?}"
    );
    let errors: Vec<_> = lines
        .iter()
        .filter(|l| l["level"] == "ERROR" || l["level"] == "WARN")
        .collect();
    assert!(errors.is_empty(), "error log lines: {errors:?}");
    // Both counters the list's totals come from match a full count of the invites (a filter
    // reads every invite of the tenant) and what the clients did.
    let counters = app.store.invite_counts(admin.tenant).await.unwrap();
    let all = app.list_ok(&admin.token, "email=%40&limit=1").await["total"].clone();
    let accepted = app.list_ok(&admin.token, "status=accepted&limit=1").await["total"].clone();
    assert_eq!(all, json!(counters.total));
    assert_eq!(accepted, json!(counters.accepted));
    let created = made
        .iter()
        .filter(|(k, s)| *k == "create" && *s == 201)
        .count();
    let accepts = made
        .iter()
        .filter(|(k, s)| *k == "accept" && *s == 200)
        .count();
    assert_eq!(counters.total, created as u64);
    assert_eq!(counters.accepted, accepts as u64);
    eprintln!(
        "load: {} requests in {seconds} s by {clients} clients, all 2xx",
        statuses.len()
    );
}
