//! Groups on invites (ksapi 3.x): named on create, checked against the tenant, joined on
//! accept, skipped (and said so) when deleted in between.

use invites_shared::domain::Role;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn invite_groups_are_joined_on_accept_and_deleted_ones_skipped() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let (kept, gone) = (app.group(admin.tenant).await, app.group(admin.tenant).await);
    let invitee = app.user("grouped").await;
    let response = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": invitee.email, "groups": [kept, gone, kept] }),
        )
        .await;
    let (status, invite) = status_and_body(response).await;
    assert_eq!(status, 201, "{invite}");
    assert_eq!(invite["groups"], json!([kept, gone]), "distinct, in order");

    app.store.delete_group(admin.tenant, gone).await.unwrap();
    let actor = app.actor(invitee.clone(), admin.tenant);
    let id = invite["id"].as_str().unwrap();
    let (status, body) = status_and_body(app.accept(&actor.token, id).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["skipped_groups"], json!([gone]));
    assert_eq!(
        app.group_members(admin.tenant, kept).await,
        vec![invitee.id]
    );
    assert!(app.group_members(admin.tenant, gone).await.is_empty());

    // A retry gets the same answer.
    let (status, again) = status_and_body(app.accept(&actor.token, id).await).await;
    assert_eq!((status, again), (200, body));
}

#[tokio::test]
async fn unknown_and_foreign_groups_are_422s_that_name_them() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let other = app.tenant_admin().await;
    let (mine, theirs) = (app.group(admin.tenant).await, app.group(other.tenant).await);
    let unknown = uuid::Uuid::new_v4();
    let response = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": unique_email("g"), "groups": [mine, theirs, unknown] }),
        )
        .await;
    let (status, body) = error_of(response).await;
    assert_eq!(status, 422, "{body}");
    let issues = body["detail"].as_array().unwrap();
    assert_eq!(issues.len(), 2, "{body}");
    assert_eq!(issues[0]["loc"], json!(["body", "groups", 1]));
    assert_eq!(issues[1]["loc"], json!(["body", "groups", 2]));
    // The foreign group is answered exactly like an unknown one.
    assert_eq!(
        issues[0]["msg"]
            .as_str()
            .unwrap()
            .replace(&theirs.to_string(), "X"),
        issues[1]["msg"]
            .as_str()
            .unwrap()
            .replace(&unknown.to_string(), "X")
    );
    // Nothing was written.
    assert_eq!(app.list_ok(&admin.token, "").await["total"], 0);

    let eleven: Vec<_> = (0..11).map(|_| uuid::Uuid::new_v4()).collect();
    let response = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": unique_email("g"), "groups": eleven }),
        )
        .await;
    let (status, body) = error_of(response).await;
    assert_eq!(
        (status, body["detail"][0]["type"].clone()),
        (422, json!("too_long"))
    );
}

#[tokio::test]
async fn a_re_invite_replaces_the_groups_and_a_direct_add_joins_them() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let group = app.group(admin.tenant).await;
    let email = unique_email("again");
    let body = |groups: serde_json::Value| json!({ "tenant_id": admin.tenant, "email": email, "groups": groups });
    let (_, first) =
        status_and_body(app.post_invite(&admin.token, body(json!([group]))).await).await;
    let (_, second) = status_and_body(app.post_invite(&admin.token, body(json!(null))).await).await;
    assert_eq!(first["id"], second["id"]);
    assert_eq!(
        (first["groups"].clone(), second["groups"].clone()),
        (json!([group]), json!([]))
    );

    // External IdP, known user: added at once, with the groups.
    let tenant = app.tenant_with_idp(Some(json!({ "type": "saml" }))).await;
    let owner = app.member(tenant.id, Role::Owner).await;
    let group = app.group(tenant.id).await;
    let user = app.user("direct").await;
    let response = app
        .post_invite(
            &owner.token,
            json!({ "tenant_id": tenant.id, "email": user.email, "groups": [group] }),
        )
        .await;
    let (status, invite) = status_and_body(response).await;
    assert_eq!(status, 201, "{invite}");
    assert!(invite["accepted_at"].is_string());
    assert_eq!(app.group_members(tenant.id, group).await, vec![user.id]);
}

#[tokio::test]
async fn an_accept_that_read_the_invite_before_an_update_does_not_go_through() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let (old, new) = (app.group(admin.tenant).await, app.group(admin.tenant).await);
    let invitee = app.user("raced").await;
    let response = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": invitee.email, "groups": [old] }),
        )
        .await;
    let (_, invite) = status_and_body(response).await;
    let id: invites_shared::domain::InviteId =
        uuid::Uuid::parse_str(invite["id"].as_str().unwrap())
            .unwrap()
            .into();
    // The accept read the invite with the old group…
    let read = app.store.get_invite(id).await.unwrap().unwrap();
    // …then the admin moved it to another group…
    let moved = app
        .patch(&admin.token, &id.to_string(), json!({ "groups": [new] }))
        .await;
    assert_eq!(moved.status(), 200);
    // …so the accept's write, conditioned on the version it read, does not go through.
    let joining = invites_shared::store::Joining {
        tenant: admin.tenant,
        user: invitee.id,
        role: read.role,
        groups: &[old],
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
    assert!(app.group_members(admin.tenant, old).await.is_empty());
    // Through the API, the retry joins the group the invite names now.
    let actor = app.actor(invitee.clone(), admin.tenant);
    assert_eq!(
        app.accept(&actor.token, &id.to_string()).await.status(),
        200
    );
    assert_eq!(app.group_members(admin.tenant, new).await, vec![invitee.id]);
    assert!(app.group_members(admin.tenant, old).await.is_empty());
}
