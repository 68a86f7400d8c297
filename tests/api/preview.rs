//! `GET /v1/invites/{id}/preview`: unauthenticated, only what the email told, rate-limited.

use invites_local::dev;
use invites_local::directory::TenantChanges;
use invites_shared::domain::{EmailAddress, Role, User, UserId};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_valid_invite_previews_what_the_email_said_and_no_more() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant().await;
    let inviter = User {
        id: UserId::new_random(),
        email: EmailAddress::parse(&unique_email("ada")).unwrap(),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        current_tenant_id: Some(tenant.id),
    };
    let inviter = dev::create_user_with(&app.store, inviter).await.unwrap();
    app.add_member(tenant.id, inviter.id, Role::Admin).await;
    let admin = app.actor(inviter.clone(), tenant.id);
    let email = unique_email("preview");
    let invite = app.invite(&admin, &email, "ADMIN").await;

    let (status, body) = status_and_body(app.preview(invite["id"].as_str().unwrap()).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "state": "valid",
            "email": email,
            "tenant_name": tenant.name,
            "role": "ADMIN",
            "expires_at": invite["expires_at"],
            "invited_by": { "user_id": inviter.id, "first_name": "Ada", "last_name": "Lovelace" },
            "delivery_status": "sent",
        })
    );
    assert!(
        !body.to_string().contains(inviter.email.as_str()),
        "no inviter email"
    );
}

#[tokio::test]
async fn each_state_is_told_apart() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let state = |body: &serde_json::Value| body["state"].as_str().unwrap().to_owned();

    let (status, body) =
        status_and_body(app.preview(&uuid::Uuid::new_v4().to_string()).await).await;
    assert_eq!((status, body), (200, json!({ "state": "not_found" })));
    // A tenant id is not an invite.
    let (_, body) = status_and_body(app.preview(&admin.tenant.to_string()).await).await;
    assert_eq!(state(&body), "not_found");

    let invitee = app.user("accepts").await;
    let accepted = app.invite(&admin, invitee.email.as_str(), "USER").await;
    let id = accepted["id"].as_str().unwrap();
    let actor = app.actor(invitee.clone(), admin.tenant);
    assert_eq!(app.accept(&actor.token, id).await.status(), 200);
    let (_, body) = status_and_body(app.preview(id).await).await;
    assert_eq!(state(&body), "accepted");
    assert!(body.get("role").is_none() && body.get("invited_by").is_none());

    let pending = app.invite(&admin, &unique_email("later"), "USER").await;
    let later = TestApp::spawn_shifted(chrono::Duration::days(8)).await;
    let (_, body) = status_and_body(later.preview(pending["id"].as_str().unwrap()).await).await;
    assert_eq!(state(&body), "expired");
    assert_eq!(body["invited_by"]["user_id"], json!(admin.user.id));

    app.deactivate(admin.tenant).await;
    let (_, body) = status_and_body(app.preview(pending["id"].as_str().unwrap()).await).await;
    assert_eq!(body, json!({ "state": "tenant_unavailable" }));
    app.change_tenant(
        admin.tenant,
        TenantChanges {
            deactivated: Some(false),
            ..Default::default()
        },
    )
    .await;

    let (status, error) = error_of(app.preview("not-a-uuid").await).await;
    assert_eq!(status, 422, "{error}");
}

/// A preview request from `address`, as API Gateway hands it to the function.
fn preview_from(address: &str, id: &str) -> lambda_http::Request {
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.http.source_ip = Some(address.to_owned());
    lambda_http::http::Request::builder()
        .method("GET")
        .uri(format!("/v1/invites/{id}/preview"))
        .body(lambda_http::Body::Empty)
        .unwrap()
        .with_path_parameters(std::collections::HashMap::from([(
            "invite_id".to_owned(),
            id.to_owned(),
        )]))
        .with_request_context(RequestContext::ApiGatewayV2(context))
}

#[tokio::test]
async fn previews_are_rate_limited_per_client_address() {
    let env = test_config_with(&[("PREVIEWS_PER_MINUTE", Some("3"))]);
    let app = test_app(&env, invites_shared::domain::Clock::system()).await;
    let id = uuid::Uuid::new_v4().to_string();
    let (busy, other) = (
        format!("203.0.113.{}", rand_octet()),
        format!("198.51.100.{}", rand_octet()),
    );
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = invites_shared::runtime::serve(&app.preview, preview_from(&busy, &id)).await;
        statuses.push(response.status().as_u16());
    }
    // A new minute may begin during the loop: at most two windows' worth get through.
    let allowed = statuses.iter().filter(|&&s| s == 200).count();
    assert!((3..=6).contains(&allowed), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    // Another address has its own window.
    let response = invites_shared::runtime::serve(&app.preview, preview_from(&other, &id)).await;
    assert_eq!(response.status(), 200);
}

fn rand_octet() -> u8 {
    uuid::Uuid::new_v4().as_bytes()[0]
}
