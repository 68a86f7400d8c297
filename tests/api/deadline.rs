//! One time budget per request: a dependency that accepts connections and then never answers
//! turns into a 503 before the function's timeout, through the local server and through a
//! function binary under the Lambda Runtime API, with nothing half-written. Timeouts are 4 s:
//! the deadline's margin is a tenth of it, which must cover the hops on a loaded machine.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use invites_bench::runtime_api::{FunctionProcess, Outcome};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::events::function_binary;
use crate::helpers::*;

/// A TCP proxy that forwards until stalled, then holds every connection open without passing
/// a byte either way: a dependency that hangs.
struct StallingProxy {
    stalled: Arc<AtomicBool>,
}

impl StallingProxy {
    async fn start(upstream: String) -> (Self, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let stalled = Arc::new(AtomicBool::new(false));
        let flag = stalled.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(forward(client_read, server_write, flag.clone()));
                tokio::spawn(forward(server_read, client_write, flag.clone()));
            }
        });
        (Self { stalled }, format!("http://{address}"))
    }

    fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }
}

async fn forward(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    stalled: Arc<AtomicBool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn a_hanging_dynamodb_gives_503_before_the_request_timeout_on_every_endpoint() {
    let healthy = TestApp::spawn().await;
    let admin = healthy.tenant_admin().await;
    let invite = healthy.invite(&admin, &unique_email("kept"), "USER").await;
    let id = invite["id"].as_str().unwrap().to_owned();

    let (proxy, endpoint) = StallingProxy::start(dynamodb_upstream()).await;
    let mut functions = app_with_endpoints(Some(&endpoint), None).await;
    let timeout = Duration::from_secs(4);
    functions.request_timeout = timeout;
    let app = TestApp::spawn_with_state(functions).await;
    assert_eq!(app.list(&admin.token, "").await.status(), 200);

    proxy.stall();
    let email = unique_email("never-written");
    let started = Instant::now();
    let answers = [
        app.list(&admin.token, "").await,
        app.post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": email }),
        )
        .await,
        app.accept(&admin.token, &id).await,
        app.delete(&admin.token, &id).await,
    ];
    for response in answers {
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, 503, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("retry"),
            "{body}"
        );
    }
    // Four requests, each cut at its deadline (the timeout less a margin), none past it.
    assert!(
        started.elapsed() < timeout * 4,
        "took {:?}",
        started.elapsed()
    );

    // Nothing half-written: the invite is untouched, the new email has no invite.
    let page = healthy.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], id.as_str());
    assert_eq!(page["items"][0]["status"], "pending");
    assert!(healthy.emails_to(&email).await.is_empty());
}

#[tokio::test]
async fn a_function_binary_answers_503_before_its_lambda_deadline() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let (proxy, endpoint) = StallingProxy::start(dynamodb_upstream()).await;
    let mut env: std::collections::HashMap<String, String> =
        test_env(table_name()).into_iter().collect();
    for name in [
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_EC2_METADATA_DISABLED",
    ] {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.into(), value);
        }
    }
    env.insert("AWS_ENDPOINT_URL_DYNAMODB".into(), endpoint);
    env.insert("RUST_LOG".into(), "warn".into());
    let timeout = Duration::from_secs(4);
    let mut process =
        FunctionProcess::start_with_timeout(&function_binary("list-invites"), &env, None, timeout)
            .await
            .unwrap();
    let event = invites_local::events::ApiEvent::new("GET", "/v1/invites", "/v1/invites")
        .bearer(&admin.token)
        .to_json();
    let status = |outcome: &Outcome| match outcome {
        Outcome::Response(response) => response["statusCode"].clone(),
        Outcome::Error(error) => panic!("the function failed: {error}"),
    };
    assert_eq!(
        status(&process.invoke(event.clone()).await.unwrap()),
        json!(200)
    );

    proxy.stall();
    let started = Instant::now();
    let outcome = process.invoke(event).await.unwrap();
    let elapsed = started.elapsed();
    process.stop().await;
    assert_eq!(status(&outcome), json!(503));
    let Outcome::Response(response) = outcome else {
        unreachable!()
    };
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("retry"),
        "{body}"
    );
    assert!(
        elapsed < timeout,
        "answered after {elapsed:?}, past the {timeout:?} deadline"
    );
}

#[tokio::test]
async fn a_hanging_ses_gives_503_before_the_request_timeout_and_a_repeat_completes_it() {
    let healthy = TestApp::spawn().await;
    let admin = healthy.tenant_admin().await;
    let ses = ses_endpoint().trim_start_matches("http://").to_owned();
    let (proxy, endpoint) = StallingProxy::start(ses).await;
    proxy.stall();
    let mut functions = app_with_endpoints(None, Some(&endpoint)).await;
    let timeout = Duration::from_secs(4);
    functions.request_timeout = timeout;
    let app = TestApp::spawn_with_state(functions).await;
    let email = unique_email("ses-hangs");
    let body = json!({ "tenant_id": admin.tenant, "email": email });

    let started = Instant::now();
    let response = app.post_invite(&admin.token, body.clone()).await;
    let elapsed = started.elapsed();
    let (status, error) = status_and_body(response).await;
    assert_eq!(status, 503, "{error}");
    assert!(
        error["detail"].as_str().unwrap().contains("in time"),
        "{error}"
    );
    assert!(elapsed < timeout, "answered after {elapsed:?}");

    // The invite is there and claims no email; none was sent; repeating completes it.
    let page = healthy.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["email_id"], Value::Null);
    assert!(healthy.emails_to(&email).await.is_empty());
    let (status, done) = status_and_body(healthy.post_invite(&admin.token, body).await).await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["id"], page["items"][0]["id"]);
    assert_ne!(done["email_id"], Value::Null);
    assert_eq!(healthy.emails_to(&email).await.len(), 1);
}
