use invites_shared::domain::{EmailAddress, Role, User};
use serde_json::json;

use crate::helpers::*;

/// An admin's tenant, a pending invite in it and the invitee (a user with that email).
async fn invited(app: &TestApp, role: &str) -> (Actor, String, Actor) {
    let admin = app.tenant_admin().await;
    let invitee = app.user("invitee").await;
    let invite = app.invite(&admin, invitee.email.as_str(), role).await;
    let invitee = app.actor(invitee, admin.tenant);
    (admin, invite["id"].as_str().unwrap().to_owned(), invitee)
}

#[tokio::test]
async fn the_invitee_accepts_and_becomes_a_member_with_the_invited_role() {
    let app = TestApp::spawn().await;
    let (admin, id, invitee) = invited(&app, "ADMIN").await;

    let (status, body) = status_and_body(app.accept(&invitee.token, &id).await).await;

    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({ "tenant_id": admin.tenant, "role": "ADMIN", "skipped_groups": [] })
    );
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        Some(Role::Admin)
    );
    let page = app.list_ok(&admin.token, "status=accepted").await;
    assert_eq!(page["items"][0]["id"], id);
    assert_ne!(page["items"][0]["accepted_at"], serde_json::Value::Null);
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!((counts.total, counts.accepted), (1, 1));
}

#[tokio::test]
async fn the_email_match_is_case_insensitive() {
    let app = TestApp::spawn().await;
    let (_, id, invitee) = invited(&app, "USER").await;
    let shouting = invites_shared::auth::Claims {
        email: invitee.email().to_uppercase(),
        ..claims_for(
            invitee.user.id,
            &invitee.user.email,
            invitee.tenant,
            chrono::Duration::hours(1),
        )
    };
    let token = shouting.mint_hs256(TEST_SECRET.as_bytes());

    assert_eq!(app.accept(&token, &id).await.status(), 200);
}

#[tokio::test]
async fn someone_with_another_email_cannot_accept() {
    let app = TestApp::spawn().await;
    let (admin, id, _) = invited(&app, "USER").await;
    let stranger = app.user("stranger").await;
    let stranger = app.actor(stranger, admin.tenant);

    let (status, body) = status_and_body(app.accept(&stranger.token, &id).await).await;

    assert_eq!(status, 403);
    assert_eq!(
        body["detail"],
        "This invite was sent to a different email address"
    );
    // The admin is no exception either.
    assert_eq!(app.accept(&admin.token, &id).await.status(), 403);
    assert_eq!(
        app.membership_role(admin.tenant, stranger.user.id).await,
        None
    );
}

#[tokio::test]
async fn an_unknown_invite_is_not_found() {
    let app = TestApp::spawn().await;
    let user = app.user("nobody").await;
    let actor = app.actor(user, invites_shared::domain::TenantId::new_random());

    let (status, body) = status_and_body(
        app.accept(&actor.token, &uuid::Uuid::new_v4().to_string())
            .await,
    )
    .await;

    assert_eq!(status, 404);
    assert_eq!(body["detail"], "Invite not found");
}

#[tokio::test]
async fn an_expired_invite_is_gone() {
    let app = TestApp::spawn().await;
    let (admin, id, invitee) = invited(&app, "USER").await;
    let later =
        TestApp::spawn_shifted(chrono::Duration::days(7) + chrono::Duration::seconds(1)).await;

    let (status, body) = status_and_body(later.accept(&invitee.token, &id).await).await;

    assert_eq!(status, 410);
    assert_eq!(body["detail"], "Invite has expired");
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        None
    );
}

#[tokio::test]
async fn a_retry_by_the_same_user_gets_the_same_answer_and_others_a_conflict() {
    let app = TestApp::spawn().await;
    let (admin, id, invitee) = invited(&app, "USER").await;
    let (_, first) = status_and_body(app.accept(&invitee.token, &id).await).await;

    let (status, again) = status_and_body(app.accept(&invitee.token, &id).await).await;
    assert_eq!(status, 200);
    assert_eq!(again, first);

    // Another account with the same email (say, a second sign-up) cannot take it over.
    let twin = User {
        id: invites_shared::domain::UserId::new_random(),
        email: EmailAddress::parse(invitee.email()).unwrap(),
        first_name: None,
        last_name: None,
        current_tenant_id: None,
    };
    let twin = app.actor(twin, admin.tenant);
    let (status, body) = status_and_body(app.accept(&twin.token, &id).await).await;
    assert_eq!(status, 409);
    assert_eq!(body["detail"], "Invite has already been accepted");
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!(counts.accepted, 1);
}

#[tokio::test]
async fn concurrent_accepts_all_succeed_and_accept_once() {
    let app = TestApp::spawn().await;
    let (admin, id, invitee) = invited(&app, "USER").await;

    let answers = futures::future::join_all(
        (0..10).map(|_| async { status_and_body(app.accept(&invitee.token, &id).await).await }),
    )
    .await;

    assert!(
        answers
            .iter()
            .all(|(status, body)| *status == 200 && body == &answers[0].1),
        "{answers:?}"
    );
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!((counts.total, counts.accepted), (1, 1));
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        Some(Role::User)
    );
}

#[tokio::test]
async fn a_member_already_cannot_accept_another_invite_into_the_tenant() {
    let app = TestApp::spawn().await;
    let (admin, id, invitee) = invited(&app, "ADMIN").await;
    // They joined some other way meanwhile, as a USER.
    app.add_member(admin.tenant, invitee.user.id, Role::User)
        .await;

    let (status, body) = status_and_body(app.accept(&invitee.token, &id).await).await;

    assert_eq!(status, 409);
    assert_eq!(body["detail"], "You are already a member of this tenant");
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        Some(Role::User)
    );
}

#[tokio::test]
async fn a_deleted_invite_cannot_be_accepted() {
    let app = TestApp::spawn().await;
    let (admin, id, invitee) = invited(&app, "USER").await;
    assert_eq!(app.delete(&admin.token, &id).await.status(), 204);

    assert_eq!(app.accept(&invitee.token, &id).await.status(), 404);
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        None
    );
}
