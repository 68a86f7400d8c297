//! Tenant invite links, the `can_invite` kill switch, seat caps and deactivated tenants.

use invites_local::directory::TenantChanges;
use invites_shared::domain::{LinkRole, Role};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_tenant_id_joins_through_an_enabled_link_with_its_role_and_groups() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let (group, gone) = (app.group(admin.tenant).await, app.group(admin.tenant).await);
    app.enable_link(admin.tenant, LinkRole::Admin, &[group, gone])
        .await;
    app.store.delete_group(admin.tenant, gone).await.unwrap();
    // Someone signed in to another tenant.
    let elsewhere = app.tenant().await;
    let joiner = app.member(elsewhere.id, Role::User).await;

    let tenant = admin.tenant.to_string();
    let (status, body) = status_and_body(app.accept(&joiner.token, &tenant).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({ "tenant_id": admin.tenant, "role": "ADMIN", "skipped_groups": [gone] })
    );
    assert_eq!(
        app.membership_role(admin.tenant, joiner.user.id).await,
        Some(Role::Admin)
    );
    assert_eq!(
        app.group_members(admin.tenant, group).await,
        vec![joiner.user.id]
    );
    // Joining again answers with the role held, and writes nothing.
    let (status, again) = status_and_body(app.accept(&joiner.token, &tenant).await).await;
    assert_eq!((status, again["role"].clone()), (200, json!("ADMIN")));
    assert_eq!(
        app.store
            .get_tenant(admin.tenant)
            .await
            .unwrap()
            .unwrap()
            .member_count,
        2
    );
}

#[tokio::test]
async fn a_disabled_link_and_the_kill_switch_have_distinct_400s() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let joiner = app.member(app.tenant().await.id, Role::User).await;
    let tenant = admin.tenant.to_string();

    let (status, error) = error_of(app.accept(&joiner.token, &tenant).await).await;
    assert_eq!((status, error["code"].clone()), (400, json!("bad_request")));
    assert!(error["detail"]
        .as_str()
        .unwrap()
        .contains("does not have invite link enabled"));

    app.enable_link(admin.tenant, LinkRole::User, &[]).await;
    app.change_tenant(
        admin.tenant,
        TenantChanges {
            can_invite: Some(false),
            ..Default::default()
        },
    )
    .await;
    let (status, error) = error_of(app.accept(&joiner.token, &tenant).await).await;
    assert_eq!(status, 400);
    assert!(error["detail"]
        .as_str()
        .unwrap()
        .contains("does not support inviting users"));
    // The kill switch stops create too.
    let response = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": unique_email("k") }),
        )
        .await;
    let (status, error) = error_of(response).await;
    assert_eq!(status, 400);
    assert!(error["detail"]
        .as_str()
        .unwrap()
        .contains("does not support inviting users"));
    assert_eq!(
        app.membership_role(admin.tenant, joiner.user.id).await,
        None
    );
}

#[tokio::test]
async fn a_full_tenant_refuses_accepts_and_concurrent_ones_never_pass_the_cap() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await; // one member
    let mut invitees = Vec::new();
    for _ in 0..6 {
        let user = app.user("seat").await;
        let invite = app.invite(&admin, user.email.as_str(), "USER").await;
        invitees.push((
            app.actor(user, admin.tenant),
            invite["id"].as_str().unwrap().to_owned(),
        ));
    }
    app.set_seat_cap(admin.tenant, Some(3)).await;
    let accepts = invitees
        .iter()
        .map(|(actor, id)| app.accept(&actor.token, id));
    let statuses: Vec<u16> = futures::future::join_all(accepts)
        .await
        .iter()
        .map(|response| response.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 403).count(),
        4,
        "{statuses:?}"
    );
    let tenant = app.store.get_tenant(admin.tenant).await.unwrap().unwrap();
    assert_eq!(tenant.member_count, 3);

    let mut refused = None;
    for (actor, id) in &invitees {
        if app
            .membership_role(admin.tenant, actor.user.id)
            .await
            .is_none()
        {
            refused = Some((actor, id));
        }
    }
    let (actor, id) = refused.unwrap();
    let (status, error) = error_of(app.accept(&actor.token, id).await).await;
    assert_eq!(
        (status, error["code"].clone()),
        (403, json!("quota_exceeded")),
        "{error}"
    );
    // The refused invite is still pending, and a freed seat lets it through.
    app.set_seat_cap(admin.tenant, Some(4)).await;
    assert_eq!(app.accept(&actor.token, id).await.status(), 200);
}

#[tokio::test]
async fn a_deactivated_tenant_refuses_create_accept_and_link() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("deact").await;
    let invite = app.invite(&admin, invitee.email.as_str(), "USER").await;
    app.enable_link(admin.tenant, LinkRole::User, &[]).await;
    app.deactivate(admin.tenant).await;

    let response = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": unique_email("d") }),
        )
        .await;
    let (status, error) = error_of(response).await;
    assert_eq!(
        (status, error["code"].clone()),
        (403, json!("tenant_deactivated"))
    );
    let actor = app.actor(invitee, admin.tenant);
    let (status, error) = error_of(
        app.accept(&actor.token, invite["id"].as_str().unwrap())
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].clone()),
        (403, json!("tenant_deactivated"))
    );
    let joiner = app.member(app.tenant().await.id, Role::User).await;
    let (status, error) =
        error_of(app.accept(&joiner.token, &admin.tenant.to_string()).await).await;
    assert_eq!(
        (status, error["code"].clone()),
        (403, json!("tenant_deactivated"))
    );
    let (status, _) = error_of(
        app.patch(&admin.token, invite["id"].as_str().unwrap(), json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    // Admins may still see and clean up their invites.
    assert_eq!(app.list_ok(&admin.token, "").await["total"], 1);
}

#[tokio::test]
async fn a_link_turned_off_between_the_read_and_the_write_lets_nobody_in() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    app.enable_link(admin.tenant, LinkRole::User, &[]).await;
    let joiner = app.member(app.tenant().await.id, Role::User).await;
    // The join read the tenant with its link on…
    let read = app.store.get_tenant(admin.tenant).await.unwrap().unwrap();
    assert!(read.settings.invite_link.enabled);
    // …then an admin turned the link off, and another deactivated a second tenant.
    app.change_tenant(
        admin.tenant,
        TenantChanges {
            link_enabled: Some(false),
            ..Default::default()
        },
    )
    .await;
    let joining = invites_shared::store::Joining {
        tenant: admin.tenant,
        user: joiner.user.id,
        role: Role::User,
        groups: &[],
        now: app.clock.now(),
    };
    let outcome = app.store.join_by_link(&joining).await.unwrap();
    assert!(
        matches!(outcome, invites_shared::store::AcceptOutcome::TenantRefused),
        "{outcome:?}"
    );
    assert_eq!(
        app.membership_role(admin.tenant, joiner.user.id).await,
        None
    );

    app.enable_link(admin.tenant, LinkRole::User, &[]).await;
    app.deactivate(admin.tenant).await;
    let outcome = app.store.join_by_link(&joining).await.unwrap();
    assert!(
        matches!(outcome, invites_shared::store::AcceptOutcome::TenantRefused),
        "{outcome:?}"
    );
    assert_eq!(
        app.membership_role(admin.tenant, joiner.user.id).await,
        None
    );
}
