//! Dependency faults: SES or DynamoDB down or refusing. Callers get a clear 502/503, nothing is
//! half-made, and the same process serves normally once the dependency is back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use invites_shared::domain::InviteId;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::*;

/// An address nothing listens on.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

/// An HTTP server answering every request with `status` and `body` (an SES error document).
async fn answering(status: u16, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let respond = move |_req| async move {
        hyper::Response::builder()
            .status(status)
            .header("content-type", "text/xml")
            .body(http_body_util::Full::new(hyper::body::Bytes::from_static(
                body.as_bytes(),
            )))
            .unwrap()
    };
    tokio::spawn(invites_local::server::serve_http(listener, respond));
    format!("http://{address}")
}

const SES_REJECTED: &str = r#"<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>MessageRejected</Code><Message>Email address is not verified.</Message></Error><RequestId>1</RequestId></ErrorResponse>"#;
const SES_BROKEN: &str = r#"<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom</Message></Error><RequestId>2</RequestId></ErrorResponse>"#;

/// Creating through `broken` fails with `status`; the invite is saved without an email id, and
/// repeating the request through a healthy app sends the email for the same invite.
async fn assert_ses_failure_is_recoverable(broken: &TestApp, status: u16, hint: &str) {
    let healthy = TestApp::spawn().await;
    let admin = healthy.tenant_admin().await;
    let email = unique_email("ses-fault");
    let body = json!({ "tenant_id": admin.tenant, "email": email });

    let (got, error) = status_and_body(broken.post_invite(&admin.token, body.clone()).await).await;
    assert_eq!(got, status, "{error}");
    assert!(error["detail"].as_str().unwrap().contains(hint), "{error}");
    assert!(
        error["detail"]
            .as_str()
            .unwrap()
            .contains("repeat the same request"),
        "{error}"
    );

    let page = healthy.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 1);
    let saved = &page["items"][0];
    assert_eq!(saved["status"], "pending");
    assert_eq!(
        saved["email_id"],
        Value::Null,
        "an unsent invitation must not claim an email"
    );
    assert!(healthy.emails_to(&email).await.is_empty());

    let (got, retried) = status_and_body(healthy.post_invite(&admin.token, body).await).await;
    assert_eq!(got, 201);
    assert_eq!(retried["id"], saved["id"]);
    assert_ne!(retried["email_id"], Value::Null);
    assert_eq!(healthy.emails_to(&email).await.len(), 1);
}

#[tokio::test]
async fn ses_unreachable_gives_503_and_a_retry_sends_the_email() {
    let broken =
        TestApp::spawn_with_state(app_with_endpoints(None, Some(&closed_port().await)).await).await;
    assert_ses_failure_is_recoverable(&broken, 503, "unavailable").await;
}

#[tokio::test]
async fn ses_refusing_gives_502_and_a_retry_sends_the_email() {
    let broken = TestApp::spawn_with_state(
        app_with_endpoints(None, Some(&answering(400, SES_REJECTED).await)).await,
    )
    .await;
    assert_ses_failure_is_recoverable(&broken, 502, "refused").await;
}

#[tokio::test]
async fn ses_failing_inside_gives_503_and_a_retry_sends_the_email() {
    let broken = TestApp::spawn_with_state(
        app_with_endpoints(None, Some(&answering(500, SES_BROKEN).await)).await,
    )
    .await;
    assert_ses_failure_is_recoverable(&broken, 503, "unavailable").await;
}

/// A TCP proxy to DynamoDB Local that can be cut (refusing new and killing open connections).
struct Switch {
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Switch {
    async fn start(upstream: String) -> (Self, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (flag, tasks) = (up.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: the connection closes at once
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(task.abort_handle());
            }
        });
        (Self { up, open }, format!("http://{address}"))
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// A TCP proxy to the SES emulator that cuts `dynamodb` the moment SES is called: the email
/// goes out, and everything after it finds DynamoDB gone (a crash right after the send).
async fn ses_cutting(dynamodb: Arc<Switch>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = ses_endpoint().trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            dynamodb.cut();
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut server) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn losing_dynamodb_right_after_ses_leaves_an_invite_that_claims_no_email() {
    let healthy = TestApp::spawn().await;
    let admin = healthy.tenant_admin().await;
    let (switch, endpoint) = Switch::start(dynamodb_upstream()).await;
    let switch = Arc::new(switch);
    let ses = ses_cutting(switch.clone()).await;
    let crashing =
        TestApp::spawn_with_state(app_with_endpoints(Some(&endpoint), Some(&ses)).await).await;
    let email = unique_email("crash-window");
    let body = json!({ "tenant_id": admin.tenant, "email": email });

    let (status, error) =
        status_and_body(crashing.post_invite(&admin.token, body.clone()).await).await;
    assert_eq!(status, 503, "{error}");
    assert!(
        error["detail"].as_str().unwrap().contains("was sent"),
        "{error}"
    );
    assert_eq!(
        healthy.emails_to(&email).await.len(),
        1,
        "SES accepted the email"
    );

    // The safe side: the invite exists and does not claim an email id it never recorded.
    let page = healthy.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 1);
    let saved = &page["items"][0];
    assert_eq!(saved["status"], "pending");
    assert_eq!(saved["email_id"], Value::Null, "{saved}");

    // Repeating the request once the claim's in-flight time has passed (a clock 11 s ahead)
    // completes it: same invite, an email id, a second email.
    let later = TestApp::spawn_shifted(chrono::Duration::seconds(11)).await;
    let (status, done) = status_and_body(later.post_invite(&admin.token, body).await).await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["id"], saved["id"]);
    assert_ne!(done["email_id"], Value::Null);
    assert_eq!(healthy.emails_to(&email).await.len(), 2);
    let page = healthy.list_ok(&admin.token, "").await;
    assert_eq!(page["items"][0]["email_id"], done["email_id"]);
}

#[tokio::test]
async fn dynamodb_down_gives_503_and_the_same_process_recovers() {
    let healthy = TestApp::spawn().await;
    let admin = healthy.tenant_admin().await;
    let (switch, endpoint) = Switch::start(dynamodb_upstream()).await;
    let app = TestApp::spawn_with_state(app_with_endpoints(Some(&endpoint), None).await).await;
    assert_eq!(app.list(&admin.token, "").await.status(), 200);

    switch.cut();
    let email = unique_email("ddb-down");
    let attempts = [
        app.list(&admin.token, "").await,
        app.post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": email }),
        )
        .await,
        app.accept(&admin.token, &InviteId::new_random().to_string())
            .await,
        app.delete(&admin.token, &InviteId::new_random().to_string())
            .await,
    ];
    for response in attempts {
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, 503, "{body}");
        assert!(body["detail"].as_str().unwrap().contains("retry"), "{body}");
    }

    switch.restore();
    assert_eq!(app.list(&admin.token, "").await.status(), 200);
    let invite = app.invite(&admin, &email, "USER").await;
    assert_eq!(invite["status"], "pending");
    assert_eq!(healthy.emails_to(&email).await.len(), 1);
}

#[test]
fn sdk_timeouts_stay_below_the_lambda_timeout() {
    let aws = invites_shared::config::AwsClientConfig::default();
    let template = std::fs::read_to_string(repo().join("template.yaml")).unwrap();
    let template: serde_yaml::Value = serde_yaml::from_str(&template).unwrap();
    let seconds = template["Globals"]["Function"]["Timeout"]
        .as_u64()
        .expect("Globals.Function.Timeout is set");
    let lambda_timeout = std::time::Duration::from_secs(seconds);
    assert!(aws.connect_timeout < aws.operation_attempt_timeout);
    assert!(aws.operation_attempt_timeout <= aws.operation_timeout);
    assert!(aws.operation_timeout < lambda_timeout);
    assert_eq!(
        invites_shared::runtime::DEFAULT_TIMEOUT,
        lambda_timeout,
        "requests without a Lambda deadline (the local server) get the template's timeout"
    );
    assert!(
        aws.max_attempts >= 2,
        "standard retry mode retries throttling"
    );
}
