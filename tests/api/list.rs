use invites_shared::domain::Role;
use serde_json::Value;

use crate::helpers::*;

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// An admin with `n` invites, created one after the other, and their ids in creation order.
async fn admin_with_invites(app: &TestApp, n: usize) -> (Actor, Vec<String>) {
    let admin = app.tenant_admin().await;
    let mut created = Vec::new();
    for i in 0..n {
        let invite = app
            .invite(&admin, &unique_email(&format!("p{i}")), "USER")
            .await;
        created.push(invite["id"].as_str().unwrap().to_owned());
    }
    (admin, created)
}

#[tokio::test]
async fn pages_cover_every_invite_once_with_the_right_total() {
    let app = TestApp::spawn().await;
    let (admin, created) = admin_with_invites(&app, 5).await;

    let first = app.list_ok(&admin.token, "limit=2").await;
    let second = app.list_ok(&admin.token, "limit=2&offset=2").await;
    let third = app.list_ok(&admin.token, "limit=2&offset=4").await;
    let beyond = app.list_ok(&admin.token, "limit=2&offset=50").await;

    assert_eq!(
        (
            first["total"].clone(),
            first["limit"].clone(),
            first["offset"].clone()
        ),
        (5.into(), 2.into(), 0.into())
    );
    let all: Vec<String> = [ids(&first), ids(&second), ids(&third)].concat();
    assert_eq!(all, created);
    assert_eq!(third["offset"], 4);
    assert!(ids(&beyond).is_empty());
    assert_eq!(beyond["total"], 5);
    let default = app.list_ok(&admin.token, "").await;
    assert_eq!(default["limit"], 20);
    assert_eq!(ids(&default), created);
}

#[tokio::test]
async fn sorts_by_each_field_in_both_directions() {
    let app = TestApp::spawn().await;
    let (admin, created) = admin_with_invites(&app, 3).await;
    // Refreshing the first invite makes it the most recently updated and latest to expire.
    let first_email = app.list_ok(&admin.token, "limit=1").await["items"][0]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    app.invite(&admin, &first_email, "ADMIN").await;
    let reversed: Vec<String> = created.iter().rev().cloned().collect();
    let refreshed_last = vec![created[1].clone(), created[2].clone(), created[0].clone()];

    for (query, expected) in [
        ("sort_by=created_at", created.clone()),
        ("sort_by=created_at&sort_dir=desc", reversed.clone()),
        ("sort_by=CREATED_AT&sort_dir=DESC", reversed.clone()),
        ("sort_by=updated_at", refreshed_last.clone()),
        ("sort_by=expires_at", refreshed_last.clone()),
        (
            "sort_by=expires_at&sort_dir=desc",
            refreshed_last.iter().rev().cloned().collect(),
        ),
    ] {
        assert_eq!(
            ids(&app.list_ok(&admin.token, query).await),
            expected,
            "{query}"
        );
    }
}

#[tokio::test]
async fn sorting_by_accepted_at_puts_unaccepted_invites_last_either_way() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let mut accepted = Vec::new();
    for i in 0..2 {
        let invitee = app.user(&format!("acc{i}")).await;
        let invite = app.invite(&admin, invitee.email.as_str(), "USER").await;
        let id = invite["id"].as_str().unwrap().to_owned();
        let invitee = app.actor(invitee, admin.tenant);
        assert_eq!(app.accept(&invitee.token, &id).await.status(), 200);
        accepted.push(id);
    }
    let mut pending: Vec<String> = Vec::new();
    for i in 0..2 {
        pending.push(
            app.invite(&admin, &unique_email(&format!("pen{i}")), "USER")
                .await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    pending.sort();

    let ascending = app.list_ok(&admin.token, "sort_by=accepted_at").await;
    assert_eq!(
        ids(&ascending),
        [accepted.clone(), pending.clone()].concat()
    );
    let descending = app
        .list_ok(&admin.token, "sort_by=accepted_at&sort_dir=desc")
        .await;
    let mut pending_desc = pending.clone();
    pending_desc.reverse();
    assert_eq!(
        ids(&descending),
        [vec![accepted[1].clone(), accepted[0].clone()], pending_desc].concat()
    );
    // Pages across the boundary between accepted and not accepted.
    let page = app
        .list_ok(&admin.token, "sort_by=accepted_at&limit=2&offset=1")
        .await;
    assert_eq!(ids(&page), vec![accepted[1].clone(), pending[0].clone()]);
    assert_eq!(page["total"], 4);
}

#[tokio::test]
async fn filters_by_status_and_email_substring_with_matching_totals() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("Alpha").await;
    let accepted = app.invite(&admin, invitee.email.as_str(), "USER").await;
    let invitee = app.actor(invitee, admin.tenant);
    assert_eq!(
        app.accept(&invitee.token, accepted["id"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let pending = app.invite(&admin, &unique_email("alphabet"), "USER").await;
    app.invite(&admin, &unique_email("omega"), "USER").await;

    let only = |page: &Value| (page["total"].as_u64().unwrap(), ids(page));
    assert_eq!(
        only(&app.list_ok(&admin.token, "status=accepted").await),
        (1, vec![accepted["id"].as_str().unwrap().to_owned()])
    );
    assert_eq!(
        only(&app.list_ok(&admin.token, "status=pending").await).0,
        2
    );
    assert_eq!(
        only(&app.list_ok(&admin.token, "status=expired").await).0,
        0
    );
    assert_eq!(only(&app.list_ok(&admin.token, "email=ALPHA").await).0, 2);
    assert_eq!(
        only(
            &app.list_ok(&admin.token, "email=alpha&status=pending")
                .await
        ),
        (1, vec![pending["id"].as_str().unwrap().to_owned()])
    );
    let paged = app
        .list_ok(&admin.token, "email=alpha&limit=1&offset=1")
        .await;
    assert_eq!(paged["total"], 2);
    assert_eq!(ids(&paged).len(), 1);

    // Eight days later the pending ones have expired; the accepted one has not.
    let later = TestApp::spawn_shifted(chrono::Duration::days(8)).await;
    let expired = later
        .list_ok(&admin.token, "status=expired&sort_by=accepted_at")
        .await;
    assert_eq!(expired["total"], 2);
    assert!(expired["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["status"] == "expired"));
    assert_eq!(
        later.list_ok(&admin.token, "status=pending").await["total"],
        0
    );
    assert_eq!(
        later
            .list_ok(&admin.token, "status=accepted&sort_by=accepted_at")
            .await["total"],
        1
    );
}

#[tokio::test]
async fn lists_only_the_tenant_asked_for_and_only_for_its_admins() {
    let app = TestApp::spawn().await;
    let (admin, created) = admin_with_invites(&app, 2).await;
    let (other_admin, _) = admin_with_invites(&app, 3).await;

    assert_eq!(ids(&app.list_ok(&admin.token, "").await), created);
    let (status, _) = status_and_body(
        app.list(&admin.token, &format!("tenant_id={}", other_admin.tenant))
            .await,
    )
    .await;
    assert_eq!(status, 403);

    // Admin of both: tenant_id picks the other tenant.
    app.add_member(other_admin.tenant, admin.user.id, Role::Admin)
        .await;
    let other = app
        .list_ok(&admin.token, &format!("tenant_id={}", other_admin.tenant))
        .await;
    assert_eq!(other["total"], 3);

    let user = app.member(admin.tenant, Role::User).await;
    let (status, body) = status_and_body(app.list(&user.token, "").await).await;
    assert_eq!(status, 403);
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("admins and owners"));
}

#[tokio::test]
async fn a_demoted_admin_loses_access_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    assert_eq!(app.list(&admin.token, "").await.status(), 200);

    app.add_member(admin.tenant, admin.user.id, Role::User)
        .await;
    assert_eq!(app.list(&admin.token, "").await.status(), 403);

    app.store
        .remove_membership(admin.tenant, admin.user.id)
        .await
        .unwrap();
    assert_eq!(app.list(&admin.token, "").await.status(), 403);
}

/// An instant as ksapi 3.x sends it in a query: `%Y-%m-%dT%H:%M:%S.%f%z`, `+` encoded.
fn as_ksapi_3(at: &Value) -> String {
    at.as_str().unwrap().replace('Z', "%2B0000")
}

#[tokio::test]
async fn role_inviter_and_date_range_filters_count_what_they_match() {
    let app = TestApp::spawn().await;
    let first = app.tenant_admin().await;
    let second = app
        .member(first.tenant, invites_shared::domain::Role::Admin)
        .await;
    app.invite(&first, &unique_email("f-user"), "USER").await;
    let admin_invite = app.invite(&first, &unique_email("f-admin"), "ADMIN").await;
    let last = app
        .invite(&second, &unique_email("f-second"), "ADMIN")
        .await;
    let total = |query: String| {
        let app = &app;
        let token = first.token.clone();
        async move { app.list_ok(&token, &query).await["total"].clone() }
    };

    assert_eq!(total("role=ADMIN".into()).await, 2);
    assert_eq!(total(format!("invited_by={}", second.user.id)).await, 1);
    assert_eq!(
        total(format!("role=ADMIN&invited_by={}", first.user.id)).await,
        1
    );
    // created_after is inclusive, created_before exclusive, in the client's own format.
    let at = as_ksapi_3(&last["created_at"]);
    assert_eq!(total(format!("created_after={at}")).await, 1);
    assert_eq!(total(format!("created_before={at}")).await, 2);
    let page = app
        .list_ok(
            &first.token,
            &format!("created_after={}", as_ksapi_3(&admin_invite["created_at"])),
        )
        .await;
    assert_eq!(page["total"], 2);
    // A naive instant is UTC; updated ranges work the same way.
    let naive = last["updated_at"]
        .as_str()
        .unwrap()
        .trim_end_matches('Z')
        .to_owned();
    assert_eq!(total(format!("updated_after={naive}")).await, 1);
    assert_eq!(total(format!("updated_before={naive}&role=USER")).await, 1);
    // Malformed values are 422s, never ignored.
    for query in [
        "role=owner",
        "invited_by=someone",
        "created_after=last-week",
    ] {
        assert_eq!(app.list(&first.token, query).await.status(), 422, "{query}");
    }
}
