use invites_shared::domain::Role;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn every_endpoint_requires_a_token() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4();
    let requests = [
        app.http.post(app.url("/v1/invites")).json(&json!({})),
        app.http.get(app.url("/v1/invites")),
        app.http.post(app.url(&format!("/v1/invites/{id}/accept"))),
        app.http.delete(app.url(&format!("/v1/invites/{id}"))),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            error_of(response).await.1,
            json!({ "detail": "Not authenticated", "code": "unauthorized" })
        );
    }
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let mut expired = claims_for(
        admin.user.id,
        &admin.user.email,
        admin.tenant,
        chrono::Duration::hours(1),
    );
    expired.exp = chrono::Utc::now().timestamp() - 10;
    let expired = expired.mint_hs256(TEST_SECRET.as_bytes());
    let claims = claims_for(
        admin.user.id,
        &admin.user.email,
        admin.tenant,
        chrono::Duration::hours(1),
    );
    let wrong_key = claims.mint_hs256(b"another-secret-0123456789abcdef-xyz");
    let mut parts: Vec<String> = admin.token.split('.').map(str::to_owned).collect();
    parts[2] = parts[2].chars().rev().collect();
    let tampered = parts.join(".");

    for (token, detail) in [
        (expired.as_str(), "Token has expired"),
        (wrong_key.as_str(), "Could not validate credentials"),
        (tampered.as_str(), "Could not validate credentials"),
        ("garbage", "Could not validate credentials"),
    ] {
        let (status, body) = status_and_body(app.list(token, "").await).await;
        assert_eq!(status, 401, "{token}");
        assert_eq!(body["detail"], detail);
    }
}

#[tokio::test]
async fn the_cookie_works_and_the_header_wins_over_it() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let user = app.member(admin.tenant, Role::User).await;

    let with_cookie = app
        .http
        .get(app.url("/v1/invites"))
        .header("cookie", format!("theme=dark; ks_uat={}", admin.token))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), 200);

    let both = app
        .http
        .get(app.url("/v1/invites"))
        .header("authorization", format!("Bearer {}", user.token))
        .header("cookie", format!("ks_uat={}", admin.token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        both.status(),
        403,
        "the header's user (not an admin) decides"
    );
}
