//! The holes a security review found (issue 11), each with the test that failed before its
//! fix: cross-site requests through the cookie, Unicode look-alike emails, unverified emails,
//! an accept racing a role change, a tenant whose record is gone, production defaults.

use invites_shared::domain::{Clock, EmailAddress, Role};
use serde_json::{json, Value};

use crate::helpers::*;

const ALLOWED: &str = "https://app.example.com";

async fn app_allowing_the_front_end() -> TestApp {
    TestApp::spawn_with(
        test_config_with(&[("ALLOWED_ORIGINS", Some(ALLOWED))]),
        Clock::system(),
    )
    .await
}

#[tokio::test]
async fn a_cross_site_form_post_cannot_accept_through_the_cookie() {
    let app = app_allowing_the_front_end().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("csrf-accept").await;
    let invite = app.invite(&admin, invitee.email.as_str(), "ADMIN").await;
    let id = invite["id"].as_str().unwrap();
    let invitee = app.actor(invitee, admin.tenant);
    let form_post = |origin: &'static str| {
        app.http
            .post(app.url(&format!("/v1/invites/{id}/accept")))
            .header("cookie", format!("ks_uat={}", invitee.token))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body("")
            .send()
    };
    let (status, body) = status_and_body(form_post("https://evil.example").await.unwrap()).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("Cross-site"),
        "{body}"
    );
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        None
    );
    // Referer names the origin when Origin is absent.
    let referred = app
        .http
        .post(app.url(&format!("/v1/invites/{id}/accept")))
        .header("cookie", format!("ks_uat={}", invitee.token))
        .header("referer", "https://evil.example/page")
        .send()
        .await
        .unwrap();
    assert_eq!(referred.status(), 403);
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        None
    );
    // The front end's own origin works.
    assert_eq!(form_post(ALLOWED).await.unwrap().status(), 200);
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        Some(Role::Admin)
    );
}

#[tokio::test]
async fn cookie_creates_need_an_allowed_origin_and_a_json_body() {
    let app = app_allowing_the_front_end().await;
    let admin = app.tenant_admin().await;
    let create =
        |origin: Option<&'static str>, content_type: Option<&'static str>, email: String| {
            let mut request = app
                .http
                .post(app.url("/v1/invites"))
                .header("cookie", format!("ks_uat={}", admin.token))
                .body(json!({ "tenant_id": admin.tenant, "email": email }).to_string());
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            request.send()
        };
    // A JSON create from a foreign origin: refused, nothing written, no email.
    let foreign = unique_email("csrf-json");
    let (status, body) = status_and_body(
        create(
            Some("https://evil.example"),
            Some("application/json"),
            foreign.clone(),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // A `Blob` without a type sends no content type: on the cookie path that is not JSON.
    let untyped = unique_email("csrf-blob");
    let (status, body) =
        status_and_body(create(Some(ALLOWED), None, untyped.clone()).await.unwrap()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["type"], "model_attributes_type", "{body}");
    let page = app.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 0, "{page}");
    assert!(app.emails_to(&foreign).await.is_empty());
    // The allowed origin with JSON works; so does a non-browser client (no Origin).
    for origin in [Some(ALLOWED), None] {
        let response = create(origin, Some("application/json"), unique_email("csrf-ok"));
        assert_eq!(response.await.unwrap().status(), 201, "{origin:?}");
    }
    // Bearer clients are unchanged: a foreign origin and no content type are fine for them.
    let bearer = app
        .http
        .post(app.url("/v1/invites"))
        .bearer_auth(&admin.token)
        .header("origin", "https://evil.example")
        .body(json!({ "tenant_id": admin.tenant, "email": unique_email("bearer") }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 201);
    // Reads through the cookie are not changes.
    let read = app
        .http
        .get(app.url("/v1/invites"))
        .header("cookie", format!("ks_uat={}", admin.token))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

#[tokio::test]
async fn a_kelvin_sign_is_not_a_k() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let local = format!("kate.{}", uuid::Uuid::new_v4().simple());
    let kate = format!("{local}@corp.example.com");
    let invite = app.invite(&admin, &kate, "USER").await;
    let id = invite["id"].as_str().unwrap();
    for look_alike in [
        kate.replacen('k', "\u{212A}", 1), // KELVIN SIGN
        kate.replacen("kate", "KATE", 1)
            .replacen('K', "\u{212A}", 1),
        kate.replacen('a', "\u{0430}", 1), // CYRILLIC SMALL A
    ] {
        let user = invites_local::dev::create_user(
            &app.store,
            None,
            EmailAddress::parse(&look_alike).unwrap(),
        )
        .await
        .unwrap();
        let impostor = app.actor(user, admin.tenant);
        let (status, body) = status_and_body(app.accept(&impostor.token, id).await).await;
        assert_eq!(status, 403, "{look_alike:?}: {body}");
    }
    let page = app.list_ok(&admin.token, "").await;
    assert_eq!(page["items"][0]["status"], "pending");
}

#[tokio::test]
async fn an_unverified_email_cannot_accept() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("unverified").await;
    let invite = app.invite(&admin, invitee.email.as_str(), "USER").await;
    let id = invite["id"].as_str().unwrap();
    let with_flag = |flag: Value| {
        let ttl = chrono::Duration::hours(1);
        let mut claims = claims_for(invitee.id, &invitee.email, admin.tenant, ttl);
        claims.email_verified = flag.as_bool();
        claims.mint_hs256(TEST_SECRET.as_bytes())
    };
    for unverified in [json!(false)] {
        let (status, body) = status_and_body(app.accept(&with_flag(unverified), id).await).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["detail"], "Verify your email address before accepting");
    }
    assert_eq!(app.membership_role(admin.tenant, invitee.id).await, None);
    // The claim absent is accepted by default…
    assert_eq!(app.accept(&with_flag(Value::Null), id).await.status(), 200);

    // …and refused where the deployment requires the claim.
    let strict = TestApp::spawn_with(
        test_config_with(&[("REQUIRE_EMAIL_VERIFIED", Some("true"))]),
        Clock::system(),
    )
    .await;
    let other = strict.user("strict").await;
    let invite = strict.invite(&admin, other.email.as_str(), "USER").await;
    let id = invite["id"].as_str().unwrap();
    let token = |verified: Option<bool>| {
        let mut claims = claims_for(
            other.id,
            &other.email,
            admin.tenant,
            chrono::Duration::hours(1),
        );
        claims.email_verified = verified;
        claims.mint_hs256(TEST_SECRET.as_bytes())
    };
    assert_eq!(strict.accept(&token(None), id).await.status(), 403);
    assert_eq!(strict.accept(&token(Some(true)), id).await.status(), 200);
}

#[tokio::test]
async fn an_accept_that_read_the_old_role_cannot_grant_it() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    app.add_member(admin.tenant, admin.user.id, Role::Owner)
        .await;
    let invitee = app.user("role-race").await;
    let invite = app.invite(&admin, invitee.email.as_str(), "OWNER").await;
    let id: invites_shared::domain::InviteId =
        uuid::Uuid::parse_str(invite["id"].as_str().unwrap())
            .unwrap()
            .into();
    // The accept read the invite as OWNER…
    let read = app.store.get_invite(id).await.unwrap().unwrap();
    // …then the admin lowered it to USER (a re-invite refreshes the pending invite)…
    app.invite(&admin, invitee.email.as_str(), "USER").await;
    // …and the accept's write, conditioned on the role it read, does not go through.
    let joining = invites_shared::store::Joining {
        tenant: admin.tenant,
        user: invitee.id,
        role: read.role,
        groups: &[],
        now: app.clock.now(),
    };
    let outcome = app
        .store
        .accept_invite(&read, &joining, &Default::default())
        .await
        .unwrap();
    assert!(
        matches!(outcome, invites_shared::store::AcceptOutcome::Changed),
        "{outcome:?}"
    );
    assert_eq!(app.membership_role(admin.tenant, invitee.id).await, None);
    // Through the API, the retry reads the new role.
    let actor = app.actor(invitee, admin.tenant);
    let (status, body) = status_and_body(app.accept(&actor.token, &id.to_string()).await).await;
    assert_eq!((status, body["role"].clone()), (200, json!("USER")));
}

#[tokio::test]
async fn invites_of_a_tenant_whose_record_is_gone_answer_what_is_true() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("orphan").await;
    let accepting = app.invite(&admin, invitee.email.as_str(), "USER").await;
    let deleting = app
        .invite(&admin, &unique_email("orphan-delete"), "USER")
        .await;
    app.store.delete_tenant(admin.tenant).await.unwrap();

    let invitee = app.actor(invitee, admin.tenant);
    let (status, body) = status_and_body(
        app.accept(&invitee.token, accepting["id"].as_str().unwrap())
            .await,
    )
    .await;
    assert_eq!(
        (status, body["detail"].clone()),
        (404, json!("Tenant not found"))
    );
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        None
    );

    let id = deleting["id"].as_str().unwrap();
    assert_eq!(app.delete(&admin.token, id).await.status(), 204);
    let id = uuid::Uuid::parse_str(id).unwrap().into();
    assert_eq!(app.store.get_invite(id).await.unwrap(), None);
}
