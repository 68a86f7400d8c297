//! `PATCH /v1/invites/{id}` (ksapi 3.x `update_invite`).

use invites_shared::domain::Role;
use serde_json::json;

use crate::helpers::*;

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

#[tokio::test]
async fn an_admin_changes_expiry_and_groups_of_a_pending_invite() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let group = app.group(admin.tenant).await;
    let invite = app.invite(&admin, &unique_email("upd"), "USER").await;
    let id = invite["id"].as_str().unwrap();

    let expires = (chrono::Utc::now() + chrono::Duration::days(20))
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string();
    let response = app
        .patch(
            &admin.token,
            id,
            json!({ "expires_at": expires, "groups": [group] }),
        )
        .await;
    let (status, updated) = status_and_body(response).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["groups"], json!([group]));
    let at = chrono::DateTime::parse_from_rfc3339(updated["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(at, chrono::DateTime::parse_from_rfc3339(&expires).unwrap());
    assert!(updated["updated_at"].as_str() > invite["updated_at"].as_str());

    // null and absent change nothing; [] clears the groups.
    let (_, same) = status_and_body(
        app.patch(
            &admin.token,
            id,
            json!({ "expires_at": null, "groups": null }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (same["groups"].clone(), same["expires_at"].clone()),
        (json!([group]), updated["expires_at"].clone())
    );
    let (_, cleared) =
        status_and_body(app.patch(&admin.token, id, json!({ "groups": [] })).await).await;
    assert_eq!(cleared["groups"], json!([]));
    // The list shows the change (and sorts by the new expiry).
    let page = app.list_ok(&admin.token, "sort_by=EXPIRES_AT").await;
    assert_eq!(page["items"][0]["expires_at"], updated["expires_at"]);
}

#[tokio::test]
async fn bad_expiries_and_groups_are_422s() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let other = app.tenant_admin().await;
    let foreign = app.group(other.tenant).await;
    let invite = app.invite(&admin, &unique_email("upd"), "USER").await;
    let id = invite["id"].as_str().unwrap();
    for body in [
        json!({ "expires_at": in_days(-1) }),
        json!({ "expires_at": in_days(400) }),
        json!({ "expires_at": "tomorrow" }),
        json!({ "expires_at": 5 }),
        json!({ "groups": [foreign] }),
        json!({ "groups": "all" }),
    ] {
        let (status, error) = error_of(app.patch(&admin.token, id, body.clone()).await).await;
        assert_eq!(status, 422, "{body} -> {error}");
        assert_eq!(error["code"], "unprocessable_entity");
    }
    let (status, _) = error_of(app.patch(&admin.token, id, json!([1])).await).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn only_managers_of_the_invites_tenant_and_only_pending_invites() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let outsider = app.tenant_admin().await;
    let user = app.member(admin.tenant, Role::User).await;
    let invitee = app.user("pending").await;
    let invite = app.invite(&admin, invitee.email.as_str(), "USER").await;
    let id = invite["id"].as_str().unwrap();
    let body = json!({ "groups": [] });

    let (status, _) = error_of(app.patch(&user.token, id, body.clone()).await).await;
    assert_eq!(status, 403);
    // Another tenant's admin: exactly like an unknown invite.
    let (status, foreign) = error_of(app.patch(&outsider.token, id, body.clone()).await).await;
    let (_, unknown) = error_of(
        app.patch(
            &outsider.token,
            &uuid::Uuid::new_v4().to_string(),
            body.clone(),
        )
        .await,
    )
    .await;
    assert_eq!((status, foreign), (404, unknown));

    let actor = app.actor(invitee, admin.tenant);
    assert_eq!(app.accept(&actor.token, id).await.status(), 200);
    let (status, error) = error_of(app.patch(&admin.token, id, body.clone()).await).await;
    assert_eq!((status, error["code"].clone()), (409, json!("conflict")));

    // Expired: 410, from an app whose clock is past the expiry.
    let later = TestApp::spawn_shifted(chrono::Duration::days(8)).await;
    let stale = app.invite(&admin, &unique_email("stale"), "USER").await;
    let (status, error) = error_of(
        later
            .patch(&admin.token, stale["id"].as_str().unwrap(), body)
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].clone()),
        (410, json!("conflict")),
        "{error}"
    );
}

#[tokio::test]
async fn an_admin_cannot_change_an_owners_invite() {
    let app = TestApp::spawn().await;
    let owner = app.tenant_admin().await;
    app.add_member(owner.tenant, owner.user.id, Role::Owner)
        .await;
    let admin = app.member(owner.tenant, Role::Admin).await;
    let invite = app
        .invite(&owner, &unique_email("future-owner"), "OWNER")
        .await;
    let id = invite["id"].as_str().unwrap();
    let later = json!({ "expires_at": in_days(300) });
    let (status, error) = error_of(app.patch(&admin.token, id, later.clone()).await).await;
    assert_eq!(
        (status, error["code"].clone()),
        (403, json!("forbidden")),
        "{error}"
    );
    assert_eq!(app.patch(&owner.token, id, later).await.status(), 200);
}

/// The invite an update or a re-invite answers with is built from what it wrote (a
/// transaction returns no values): it must be what the list then shows, field for field.
#[tokio::test]
async fn an_update_and_a_re_invite_answer_with_the_invite_as_stored() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let group = app.group(admin.tenant).await;
    let email = unique_email("stored");
    let invite = app.invite(&admin, &email, "USER").await;
    let id = invite["id"].as_str().unwrap();
    let stored = |list: serde_json::Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == id)
            .cloned()
            .unwrap()
    };

    let body = json!({ "expires_at": in_days(20), "groups": [group] });
    let (status, updated) = status_and_body(app.patch(&admin.token, id, body).await).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated,
        stored(app.list_ok(&admin.token, "limit=100").await)
    );

    let body = json!({ "tenant_id": admin.tenant, "email": email, "role": "ADMIN" });
    let (status, refreshed) = status_and_body(app.post_invite(&admin.token, body).await).await;
    assert!(status == 200 || status == 201, "{status}: {refreshed}");
    assert_eq!(refreshed["role"], "ADMIN");
    assert_eq!(
        refreshed,
        stored(app.list_ok(&admin.token, "limit=100").await)
    );
}

/// The platform may delete a tenant item before its invites: an update of one is written
/// without the list version (no points to keep), not retried into a 503.
#[tokio::test]
async fn an_update_whose_tenant_item_is_gone_is_written_alone() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invite = app.invite(&admin, &unique_email("orphan"), "USER").await;
    let id = invite["id"].as_str().unwrap();
    app.store.delete_tenant(admin.tenant).await.unwrap();

    let body = json!({ "expires_at": in_days(20) });
    let (status, updated) = status_and_body(app.patch(&admin.token, id, body).await).await;
    assert_eq!(status, 200, "{updated}");
    assert!(updated["updated_at"].as_str() > invite["updated_at"].as_str());
    // Written, not only answered: the answer is built from the write.
    let stored = app
        .store
        .get_invite(uuid::Uuid::parse_str(id).unwrap().into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.updated_at.to_rfc3339(), updated["updated_at"]);
    assert_eq!(stored.expires_at.to_rfc3339(), updated["expires_at"]);
}
