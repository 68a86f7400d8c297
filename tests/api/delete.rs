use invites_shared::domain::Role;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_deletes_an_invite_for_good() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("gone");
    let invite = app.invite(&admin, &email, "USER").await;
    let id = invite["id"].as_str().unwrap();

    let response = app.delete(&admin.token, id).await;
    assert_eq!(response.status(), 204);
    assert!(response.text().await.unwrap().is_empty());

    assert_eq!(app.delete(&admin.token, id).await.status(), 404);
    assert_eq!(app.list_ok(&admin.token, "").await["total"], 0);
    // The pending slot went with it: a new invite gets a new id.
    let again = app.invite(&admin, &email, "USER").await;
    assert_ne!(again["id"], invite["id"]);
}

#[tokio::test]
async fn deleting_an_accepted_invite_keeps_the_counters_right() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("accepted").await;
    let invite = app.invite(&admin, invitee.email.as_str(), "USER").await;
    let id = invite["id"].as_str().unwrap();
    let invitee = app.actor(invitee, admin.tenant);
    assert_eq!(app.accept(&invitee.token, id).await.status(), 200);

    assert_eq!(app.delete(&admin.token, id).await.status(), 204);

    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!((counts.total, counts.accepted), (0, 0));
    // The membership stays: deleting the invite does not remove the member.
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        Some(Role::User)
    );
}

#[tokio::test]
async fn another_tenants_invite_is_answered_exactly_like_an_unknown_one() {
    let app = TestApp::spawn().await;
    let victim = app.tenant_admin().await;
    let invite = app.invite(&victim, &unique_email("victim"), "USER").await;
    let attacker = app.tenant_admin().await;

    // Byte for byte but for the request id, which is each request's own.
    let foreign = error_of(
        app.delete(&attacker.token, invite["id"].as_str().unwrap())
            .await,
    )
    .await;
    let unknown = error_of(
        app.delete(&attacker.token, &uuid::Uuid::new_v4().to_string())
            .await,
    )
    .await;

    assert_eq!(foreign, unknown);
    assert_eq!(foreign.0, 404);
    assert_eq!(app.list_ok(&victim.token, "").await["total"], 1);
}

#[tokio::test]
async fn the_current_tenant_decides_even_for_an_admin_of_both() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invite = app.invite(&admin, &unique_email("x"), "USER").await;
    let other = app.tenant().await;
    app.add_member(other.id, admin.user.id, Role::Owner).await;
    let elsewhere = app.actor(admin.user.clone(), other.id);

    assert_eq!(
        app.delete(&elsewhere.token, invite["id"].as_str().unwrap())
            .await
            .status(),
        404
    );
    assert_eq!(
        app.delete(&admin.token, invite["id"].as_str().unwrap())
            .await
            .status(),
        204
    );
}

#[tokio::test]
async fn members_who_are_not_admins_cannot_delete() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invite = app.invite(&admin, &unique_email("x"), "USER").await;
    let user = app.member(admin.tenant, Role::User).await;

    let (status, _) = status_and_body(
        app.delete(&user.token, invite["id"].as_str().unwrap())
            .await,
    )
    .await;
    assert_eq!(status, 403);
    // Not even an unknown id tells them anything more.
    let (status, _) = status_and_body(
        app.delete(&user.token, &uuid::Uuid::new_v4().to_string())
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(app.list_ok(&admin.token, "").await["total"], 1);
}

#[tokio::test]
async fn deleting_an_expired_invite_leaves_its_successor_pending() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("succession");
    let old = app.invite(&admin, &email, "USER").await;
    let later = TestApp::spawn_shifted(chrono::Duration::days(8)).await;
    let new = later.invite(&admin, &email, "USER").await;
    assert_ne!(new["id"], old["id"]);

    let response = later
        .delete(&admin.token, old["id"].as_str().unwrap())
        .await;
    assert_eq!(response.status(), 204);

    // The newer invite still holds the pending slot: inviting again refreshes it.
    let again = later.invite(&admin, &email, "ADMIN").await;
    assert_eq!(again["id"], new["id"]);
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!(counts.total, 1);
}
