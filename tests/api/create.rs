use invites_shared::domain::{Role, TenantId};
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn an_admin_invites_by_email_and_the_invitation_is_sent() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("new");

    let invite = app.invite(&admin, &email, "USER").await;

    assert_eq!(invite["email"], email);
    assert_eq!(invite["tenant_id"], admin.tenant.to_string());
    assert_eq!(invite["role"], "USER");
    assert_eq!(invite["status"], "pending");
    assert_eq!(invite["accepted_at"], Value::Null);
    assert_eq!(invite["invited_by_user_id"], admin.user.id.to_string());
    let id = invite["id"].as_str().unwrap();
    assert_eq!(
        invite["invite_link"],
        format!("https://app.example.com/invites/{id}")
    );
    assert!(uuid::Uuid::parse_str(invite["email_id"].as_str().unwrap()).is_ok());
    let created =
        chrono::DateTime::parse_from_rfc3339(invite["created_at"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(invite["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::Duration::days(7));

    let emails = app.emails_to(&email).await;
    assert_eq!(emails.len(), 1);
    let sent = &emails[0];
    assert_eq!(sent["from"], "invites@example.com");
    assert!(sent["body"]["text"]
        .as_str()
        .unwrap()
        .contains(invite["invite_link"].as_str().unwrap()));
    assert!(sent["body"]["html"]
        .as_str()
        .unwrap()
        .contains(invite["invite_link"].as_str().unwrap()));
    assert!(sent["body"]["text"]
        .as_str()
        .unwrap()
        .contains(admin.email()));
    assert!(sent["subject"].as_str().unwrap().contains("Tenant"));
}

#[tokio::test]
async fn the_email_is_trimmed_and_lower_cased_and_the_role_defaults_to_user() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("mixed");
    let shouted = format!("  {}  ", email.to_uppercase());

    let response = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": shouted }),
        )
        .await;
    let (status, invite) = status_and_body(response).await;

    assert_eq!(status, 201);
    assert_eq!(invite["email"], email);
    assert_eq!(invite["role"], "USER");
}

/// An app whose re-invites always send (no cooldown), as a deployment may configure.
async fn app_without_email_cooldown() -> TestApp {
    let env = test_config_with(&[("INVITE_EMAIL_COOLDOWN_MINUTES", Some("0"))]);
    TestApp::spawn_with(env, invites_shared::domain::Clock::system()).await
}

#[tokio::test]
async fn inviting_again_refreshes_the_one_pending_invite() {
    let app = app_without_email_cooldown().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("again");
    let first = app.invite(&admin, &email, "USER").await;

    let second = app.invite(&admin, &email.to_uppercase(), "ADMIN").await;

    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["role"], "ADMIN");
    assert_eq!(second["created_at"], first["created_at"]);
    assert!(second["expires_at"].as_str() > first["expires_at"].as_str());
    assert!(second["updated_at"].as_str() > first["updated_at"].as_str());
    assert_ne!(second["email_id"], first["email_id"]);
    assert_eq!(app.emails_to(&email).await.len(), 2);
    let page = app.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["role"], "ADMIN");
}

#[tokio::test]
async fn concurrent_invites_of_one_email_leave_exactly_one_pending_invite() {
    let app = app_without_email_cooldown().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("race");

    let requests = (0..10).map(|_| app.invite(&admin, &email, "USER"));
    let invites = futures::future::join_all(requests).await;

    let first_id = &invites[0]["id"];
    assert!(invites.iter().all(|invite| &invite["id"] == first_id));
    let page = app.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // Without the cooldown, never more than one email per request (a request whose claim
    // loses to a concurrent one sends none).
    let sent = app.emails_to(&email).await.len();
    assert!((1..=10).contains(&sent), "{sent} emails");
}

#[tokio::test]
async fn an_expired_invite_is_replaced_by_a_new_one() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("expired");
    let old = app.invite(&admin, &email, "USER").await;

    let later = TestApp::spawn_shifted(chrono::Duration::days(8)).await;
    let new = later.invite(&admin, &email, "USER").await;

    assert_ne!(new["id"], old["id"]);
    let page = later.list_ok(&admin.token, "sort_by=created_at").await;
    assert_eq!(page["total"], 2);
    let statuses: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["expired", "pending"]);
}

#[tokio::test]
async fn only_admins_and_owners_invite_and_only_owners_invite_owners() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant().await;
    let owner = app.member(tenant.id, Role::Owner).await;
    let admin = app.member(tenant.id, Role::Admin).await;
    let user = app.member(tenant.id, Role::User).await;
    let body =
        |role: &str| json!({ "tenant_id": tenant.id, "email": unique_email("x"), "role": role });

    let (status, _) = status_and_body(app.post_invite(&owner.token, body("OWNER")).await).await;
    assert_eq!(status, 201);
    let (status, error) = status_and_body(app.post_invite(&admin.token, body("OWNER")).await).await;
    assert_eq!(status, 403);
    assert_eq!(error["detail"], "Only an owner can invite an owner");
    let (status, _) = status_and_body(app.post_invite(&admin.token, body("ADMIN")).await).await;
    assert_eq!(status, 201);
    let (status, error) = status_and_body(app.post_invite(&user.token, body("USER")).await).await;
    assert_eq!(status, 403);
    assert!(error["detail"]
        .as_str()
        .unwrap()
        .contains("admins and owners"));
}

#[tokio::test]
async fn inviting_into_a_tenant_one_is_not_a_member_of_is_forbidden() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let other = app.tenant().await;

    for tenant in [other.id, TenantId::new_random()] {
        let response = app
            .post_invite(
                &admin.token,
                json!({ "tenant_id": tenant, "email": unique_email("x") }),
            )
            .await;
        assert_eq!(response.status(), 403);
    }
}

#[tokio::test]
async fn inviting_an_existing_member_is_a_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let member = app.member(admin.tenant, Role::User).await;

    let response = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": member.email() }),
        )
        .await;
    let (status, body) = status_and_body(response).await;

    assert_eq!(status, 409);
    assert_eq!(body["detail"], "User is already a member of this tenant");
    assert!(app.emails_to(member.email()).await.is_empty());
}

#[tokio::test]
async fn an_external_idp_tenant_adds_a_known_user_directly_without_email() {
    let app = TestApp::spawn().await;
    let tenant = app
        .tenant_with_idp(Some(
            json!({ "type": "oidc", "issuer": "https://idp.example.com" }),
        ))
        .await;
    let admin = app.member(tenant.id, Role::Admin).await;
    let known = app.user("known").await;

    let invite = app.invite(&admin, known.email.as_str(), "ADMIN").await;

    assert_eq!(invite["status"], "accepted");
    assert_ne!(invite["accepted_at"], Value::Null);
    assert_eq!(invite["email_id"], Value::Null);
    assert_eq!(
        app.membership_role(tenant.id, known.id).await,
        Some(Role::Admin)
    );
    assert!(app.emails_to(known.email.as_str()).await.is_empty());
    let counts = app.store.invite_counts(tenant.id).await.unwrap();
    assert_eq!((counts.total, counts.accepted), (1, 1));
    // Inviting them again: they are a member now.
    let again = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": tenant.id, "email": known.email }),
        )
        .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn an_external_idp_tenant_keeps_a_pending_invite_without_email_for_an_unknown_user() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant_with_idp(Some(json!({ "type": "saml" }))).await;
    let admin = app.member(tenant.id, Role::Admin).await;
    let email = unique_email("future");

    let invite = app.invite(&admin, &email, "USER").await;

    assert_eq!(invite["status"], "pending");
    assert_eq!(invite["email_id"], Value::Null);
    assert!(app.emails_to(&email).await.is_empty());

    // After their first sign-in through the IdP, inviting again adds them with the same invite.
    let user = invites_local::dev::create_user(
        &app.store,
        None,
        invites_shared::domain::EmailAddress::parse(&email).unwrap(),
    )
    .await
    .unwrap();
    let again = app.invite(&admin, &email, "ADMIN").await;
    assert_eq!(again["id"], invite["id"]);
    assert_eq!(again["status"], "accepted");
    assert_eq!(again["role"], "ADMIN");
    assert_eq!(
        app.membership_role(tenant.id, user.id).await,
        Some(Role::Admin)
    );
    let counts = app.store.invite_counts(tenant.id).await.unwrap();
    assert_eq!((counts.total, counts.accepted), (1, 1));
}

#[tokio::test]
async fn a_pending_external_idp_invite_is_accepted_after_first_sign_in() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant_with_idp(Some(json!({ "type": "oidc" }))).await;
    let admin = app.member(tenant.id, Role::Admin).await;
    let email = unique_email("later");
    let invite = app.invite(&admin, &email, "USER").await;

    let user = app.user("signed-in").await;
    let user = invites_shared::domain::User {
        email: invites_shared::domain::EmailAddress::parse(&email).unwrap(),
        ..user
    };
    let invitee = app.actor(user.clone(), tenant.id);
    let (status, body) = status_and_body(
        app.accept(&invitee.token, invite["id"].as_str().unwrap())
            .await,
    )
    .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.membership_role(tenant.id, user.id).await,
        Some(Role::User)
    );
}
