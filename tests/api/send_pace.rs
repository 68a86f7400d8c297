//! Invitation emails keep to the SES sending rate across concurrent creates (#15, bulk
//! onboarding): with `SES_MAX_SEND_RATE` the real create-invite binary waits for a second
//! that has room, and answers 429 (invite saved, email unclaimed) when none comes in time.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use invites_bench::runtime_api::{FunctionProcess, Outcome};
use invites_local::events::ApiEvent;
use serde_json::{json, Value};

use crate::events::function_binary;
use crate::helpers::*;

async fn create(process: &mut FunctionProcess, token: &str, tenant: &str, email: &str) -> Value {
    let event = ApiEvent::new("POST", "/v1/invites", "/v1/invites")
        .bearer(token)
        .json_body(json!({ "tenant_id": tenant, "email": email, "role": "USER" }));
    let Outcome::Response(response) = process.invoke(event.to_json()).await.unwrap() else {
        panic!("create-invite failed");
    };
    let mut body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    body["statusCode"] = response["statusCode"].clone();
    body
}

#[tokio::test]
async fn emails_keep_to_the_sending_rate_and_a_full_window_is_a_429() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let tenant = admin.tenant.to_string();
    let mut env = binary_env();
    env.insert("SES_MAX_SEND_RATE".into(), "2".into());
    let binary = function_binary("create-invite");
    let timeout = Duration::from_secs(6);
    let mut process = FunctionProcess::start_with_timeout(&binary, &env, None, timeout)
        .await
        .unwrap();

    // Six emails at two per second span three seconds: more than one second from the first to
    // the last (unpaced, they take a few tens of milliseconds).
    let started = Instant::now();
    let mut addresses = Vec::new();
    for _ in 0..6 {
        let address = unique_email("paced");
        let body = create(&mut process, &admin.token, &tenant, &address).await;
        assert_eq!(body["statusCode"], 201, "{body}");
        assert!(body["email_id"].is_string(), "{body}");
        addresses.push(address);
    }
    let elapsed = started.elapsed();
    assert!(elapsed > Duration::from_secs(1), "{elapsed:?}");
    for address in &addresses {
        assert_eq!(app.emails_to(address).await.len(), 1, "{address}");
    }

    // Every second the request could wait for is full: 429, the invite saved without an email.
    // (It waits at most a few seconds; 30 are filled so that a slow fill cannot leave a gap.)
    let dynamodb = invites_local::app::Clients::from_env().await.dynamodb;
    let now = chrono::Utc::now().timestamp();
    for second in now..now + 30 {
        dynamodb
            .put_item()
            .table_name(table_name())
            .item("pk", AttributeValue::S(format!("SES_PACE#{second}")))
            .item("sk", AttributeValue::S("SES_PACE".into()))
            .item("sends", AttributeValue::N("1000".into()))
            .item("ttl", AttributeValue::N((second + 3600).to_string()))
            .send()
            .await
            .unwrap();
    }
    let late = unique_email("late");
    let refused = create(&mut process, &admin.token, &tenant, &late).await;
    assert_eq!(refused["statusCode"], 429, "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("SES sending rate (2 per second)"),
        "{detail}"
    );
    assert!(detail.contains("the invite is saved"), "{detail}");
    assert!(app.emails_to(&late).await.is_empty());
    process.stop().await;

    // Unpaced, the same request sends the email of the saved invite (its claim was released).
    let again = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": tenant, "email": late, "role": "USER" }),
        )
        .await;
    assert_eq!(again.status(), 201);
    assert_eq!(app.emails_to(&late).await.len(), 1);
    let page = app.list_ok(&admin.token, "limit=100").await;
    assert_eq!(page["total"], 7, "{page}");
}
