//! API keys (`Authorization: Bearer sk-user-…`, ksapi 3.x): the owner's live role in their
//! current tenant; unknown, revoked or expired keys are 401s; the key is never stored.

use invites_local::{dev, directory};
use invites_shared::auth::api_key_digest;
use invites_shared::domain::{EmailAddress, Role, User, UserId};
use serde_json::json;

use crate::helpers::*;

async fn key_owner(app: &TestApp, role: Role) -> (User, invites_shared::domain::TenantId) {
    let tenant = app.tenant().await;
    let user = User {
        id: UserId::new_random(),
        email: EmailAddress::parse(&unique_email("keyed")).unwrap(),
        first_name: None,
        last_name: None,
        current_tenant_id: Some(tenant.id),
    };
    let user = dev::create_user_with(&app.store, user).await.unwrap();
    app.add_member(tenant.id, user.id, role).await;
    (user, tenant.id)
}

#[tokio::test]
async fn a_key_acts_as_its_owner_with_the_owners_live_role() {
    let app = TestApp::spawn().await;
    let (owner, tenant) = key_owner(&app, Role::Admin).await;
    let key = app.api_key(owner.id, None).await;

    let response = app
        .post_invite(
            &key,
            json!({ "tenant_id": tenant, "email": unique_email("k") }),
        )
        .await;
    let (status, invite) = status_and_body(response).await;
    assert_eq!(status, 201, "{invite}");
    assert_eq!(invite["invited_by_user_id"], json!(owner.id));
    let id = invite["id"].as_str().unwrap();
    assert_eq!(
        app.list_ok(&key, "").await["total"],
        1,
        "current tenant by default"
    );
    assert_eq!(
        app.patch(&key, id, json!({ "groups": [] })).await.status(),
        200
    );

    // Demoted: refused at once.
    app.add_member(tenant, owner.id, Role::User).await;
    let (status, _) = error_of(app.list(&key, "").await).await;
    assert_eq!(status, 403);
    app.add_member(tenant, owner.id, Role::Admin).await;
    assert_eq!(app.delete(&key, id).await.status(), 204);
}

#[tokio::test]
async fn unknown_revoked_and_expired_keys_are_401s() {
    let app = TestApp::spawn().await;
    let (owner, _) = key_owner(&app, Role::Admin).await;
    let revoked = app.api_key(owner.id, None).await;
    directory::revoke_api_key(&app.store, &revoked)
        .await
        .unwrap();
    let expired = app.api_key(owner.id, Some(app.clock.now())).await;
    let made_up = format!("sk-user-{}", uuid::Uuid::new_v4().simple());
    for key in [revoked, expired, made_up, "sk-user-".to_owned()] {
        let response = app.list(&key, "").await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let (status, error) = error_of(response).await;
        assert_eq!(
            (status, error["code"].clone()),
            (401, json!("unauthorized")),
            "{key}"
        );
    }
}

#[tokio::test]
async fn only_the_keys_hash_is_stored() {
    let app = TestApp::spawn().await;
    let (owner, _) = key_owner(&app, Role::Admin).await;
    let key = app.api_key(owner.id, None).await;
    let stored = app
        .store
        .find_api_key(&api_key_digest(&key))
        .await
        .unwrap()
        .expect("found by its hash");
    assert_eq!(stored.0.user_id, owner.id);
    // No item anywhere holds the key itself.
    let scan = app
        .store
        .client()
        .scan()
        .table_name(app.store.table_name())
        .send()
        .await
        .unwrap();
    let raw = format!("{:?}", scan.items());
    assert!(!raw.contains(&key), "the key was stored");
}

#[tokio::test]
async fn a_key_owner_without_a_current_tenant_names_one() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let key = app.api_key(admin.user.id, None).await;
    let (status, error) = error_of(app.list(&key, "").await).await;
    assert_eq!(
        (status, error["code"].clone()),
        (400, json!("bad_request")),
        "{error}"
    );
    let page = app
        .list_ok(&key, &format!("tenant_id={}", admin.tenant))
        .await;
    assert_eq!(page["total"], 0);
}
