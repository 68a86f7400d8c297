//! Tenant isolation: members of another tenant, demoted admins and plain members can neither
//! read, change nor learn of a tenant's invites.

use invites_shared::domain::Role;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn another_tenants_members_can_neither_read_change_nor_learn_of_its_invites() {
    let app = TestApp::spawn().await;
    let victim = app.tenant_admin().await;
    let victim_user = app.member(victim.tenant, Role::User).await;
    let invite = app.invite(&victim, &unique_email("victim"), "USER").await;
    let id = invite["id"].as_str().unwrap().to_owned();
    let before = app.list_ok(&victim.token, "").await;

    let other = app.tenant().await;
    let mut attackers = Vec::new();
    for role in [Role::User, Role::Admin, Role::Owner] {
        attackers.push((role, app.member(other.id, role).await));
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    for (role, attacker) in &attackers {
        let create = app
            .post_invite(
                &attacker.token,
                json!({ "tenant_id": victim.tenant, "email": unique_email("in") }),
            )
            .await;
        assert_eq!(create.status(), 403, "{role} created into another tenant");
        let list = app
            .list(&attacker.token, &format!("tenant_id={}", victim.tenant))
            .await;
        assert_eq!(list.status(), 403, "{role} listed another tenant");
        if role.can_manage_invites() {
            // Their own list holds their own invite, and nothing of the victim's.
            let theirs = app.invite(attacker, &unique_email("theirs"), "USER").await;
            let page = app.list_ok(&attacker.token, "limit=100").await;
            let items = page["items"].as_array().unwrap();
            assert!(items.iter().any(|i| i["id"] == theirs["id"]), "{page}");
            assert!(
                items.iter().all(
                    |i| i["tenant_id"] == attacker.tenant.to_string() && i["id"] != id.as_str()
                ),
                "{role} saw another tenant's invite: {page}"
            );
            // Byte for byte but for the request id, which is each request's own.
            let foreign = error_of(app.delete(&attacker.token, &id).await).await;
            let missing = error_of(app.delete(&attacker.token, &unknown).await).await;
            assert_eq!(
                foreign, missing,
                "{role}: a foreign invite must look unknown"
            );
            assert_eq!(foreign.0, 404);
        } else {
            assert_eq!(app.list(&attacker.token, "").await.status(), 403);
            assert_eq!(app.delete(&attacker.token, &id).await.status(), 403);
        }
        // Accepting needs the invitee's email, whoever asks.
        assert_eq!(app.accept(&attacker.token, &id).await.status(), 403);
    }

    // A plain member of the victim's own tenant is no admin.
    assert_eq!(
        app.post_invite(
            &victim_user.token,
            json!({ "tenant_id": victim.tenant, "email": unique_email("u") })
        )
        .await
        .status(),
        403
    );
    assert_eq!(app.list(&victim_user.token, "").await.status(), 403);
    assert_eq!(app.delete(&victim_user.token, &id).await.status(), 403);

    assert_eq!(
        app.list_ok(&victim.token, "").await,
        before,
        "the victim's invites changed"
    );
}

#[tokio::test]
async fn demoted_and_removed_admins_lose_every_right_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.tenant_admin().await;
    let admin = app.member(owner.tenant, Role::Admin).await;
    let invite = app.invite(&owner, &unique_email("keep"), "USER").await;
    let id = invite["id"].as_str().unwrap();
    let create = || {
        app.post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": unique_email("d") }),
        )
    };

    assert_eq!(create().await.status(), 201);
    app.add_member(admin.tenant, admin.user.id, Role::User)
        .await;
    assert_eq!(create().await.status(), 403);
    assert_eq!(app.list(&admin.token, "").await.status(), 403);
    assert_eq!(app.delete(&admin.token, id).await.status(), 403);

    app.store
        .remove_membership(admin.tenant, admin.user.id)
        .await
        .unwrap();
    assert_eq!(create().await.status(), 403);
    assert_eq!(app.list(&admin.token, "").await.status(), 403);
    assert_eq!(app.delete(&admin.token, id).await.status(), 403);
    assert_eq!(app.list_ok(&owner.token, "").await["total"], 2);
}

#[tokio::test]
async fn tenant_and_inviter_names_are_escaped_in_the_email() {
    let app = TestApp::spawn().await;
    let tenant = invites_local::dev::create_tenant(
        &app.store,
        None,
        "<script>alert(\"pwned\")</script> & 'Co'",
        None,
    )
    .await
    .unwrap();
    let admin = app.member(tenant.id, Role::Admin).await;
    let email = unique_email("escape");
    app.invite(&admin, &email, "USER").await;

    let sent = &app.emails_to(&email).await[0];
    let html = sent["body"]["html"].as_str().unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#x27;Co&#x27;"),
        "{html}"
    );
}
