//! Email abuse: re-invites within the cooldown send no second email; a tenant's open invites
//! are capped (issue 11, item 10).

use invites_shared::domain::Clock;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_reinvite_within_the_cooldown_refreshes_but_sends_no_second_email() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("cooldown");
    let first = app.invite(&admin, &email, "USER").await;
    assert_eq!(app.emails_to(&email).await.len(), 1);

    let again = app.invite(&admin, &email, "ADMIN").await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["role"], "ADMIN", "the invite is refreshed");
    assert!(again["expires_at"].as_str() >= first["expires_at"].as_str());
    assert_eq!(again["email_id"], first["email_id"], "no new email");
    assert_eq!(app.emails_to(&email).await.len(), 1);

    // Past the cooldown (a clock 11 minutes ahead), a re-invite sends again.
    let later = TestApp::spawn_shifted(chrono::Duration::minutes(11)).await;
    let third = later.invite(&admin, &email, "ADMIN").await;
    assert_eq!(third["id"], first["id"]);
    assert_ne!(third["email_id"], first["email_id"]);
    assert_ne!(third["email_id"], Value::Null);
    assert_eq!(app.emails_to(&email).await.len(), 2);
}

#[tokio::test]
async fn a_tenant_cannot_hold_more_open_invites_than_its_cap() {
    let app = TestApp::spawn_with(
        test_config_with(&[("MAX_PENDING_INVITES", Some("3"))]),
        Clock::system(),
    )
    .await;
    let admin = app.tenant_admin().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            app.invite(&admin, &unique_email(&format!("cap{n}")), "USER")
                .await["id"]
                .clone(),
        );
    }
    let refused = unique_email("cap-over");
    let body = json!({ "tenant_id": admin.tenant, "email": refused });
    let (status, error) = status_and_body(app.post_invite(&admin.token, body.clone()).await).await;
    assert_eq!(status, 429, "{error}");
    assert!(
        error["detail"].as_str().unwrap().contains("3 open invites"),
        "{error}"
    );
    assert!(app.emails_to(&refused).await.is_empty());
    assert_eq!(app.list_ok(&admin.token, "").await["total"], 3);

    // Re-inviting a pending address is a refresh, not a new open invite: still allowed.
    let pending = app.list_ok(&admin.token, "").await["items"][0]["email"].clone();
    let refresh = json!({ "tenant_id": admin.tenant, "email": pending });
    assert_eq!(app.post_invite(&admin.token, refresh).await.status(), 201);

    // Deleting one makes room.
    assert_eq!(
        app.delete(&admin.token, ids[0].as_str().unwrap())
            .await
            .status(),
        204
    );
    assert_eq!(app.post_invite(&admin.token, body).await.status(), 201);
}
