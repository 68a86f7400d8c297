//! Deep offsets start from the server's skip points (#15): the same deep offset read again,
//! or the next page's, costs about a first page; a write that moves invites in an order, or
//! an expiry coming due, voids the points, so that an answer never differs from a fresh skip.

use serde_json::Value;

use crate::helpers::*;
use crate::lifecycle::expire_at;
use crate::list_status::list_costs_in;

const INVITES: usize = 240;

fn ids(body: &Value) -> Vec<String> {
    assert_eq!(body["statusCode"], 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|invite| invite["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits out the settling delay after the tenant's last write (skip_points.rs).
async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
}

fn page_at(offset: usize, more: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut query = vec![("offset", offset.to_string()), ("limit", "20".to_owned())];
    query.extend(more.iter().map(|(name, value)| (*name, value.to_string())));
    query
}

#[tokio::test]
async fn a_deep_offset_read_again_costs_a_page_until_something_moves() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let base = app.clock.now().plus(chrono::Duration::hours(-1));
    let invites: Vec<_> = (0..INVITES)
        .map(|i| admin.invite_made_at("deep", base.plus(chrono::Duration::seconds(i as i64))))
        .collect();
    // created_at newest first (`sort_dir=desc`); updated_at equals created_at here.
    let mut newest_first: Vec<String> = invites.iter().rev().map(|i| i.id.to_string()).collect();
    let mut oldest_first: Vec<String> = invites.iter().map(|i| i.id.to_string()).collect();
    insert_invites(&app.store, invites).await;
    // A read within a second of a write leaves no points (its index may lag the write).
    settle().await;
    let env = binary_env();
    let newest = [("sort_dir", "desc")];
    let pending = [("status", "pending"), ("sort_dir", "desc")];
    let updated_asc = [("sort_by", "updated_at"), ("sort_dir", "asc")];

    let runs = list_costs_in(
        &env,
        &admin.token,
        &[
            page_at(0, &[]),
            page_at(200, &newest),
            page_at(100, &pending),
            page_at(150, &updated_asc),
        ],
    )
    .await;
    let cost: Vec<f64> = runs.iter().map(|(_, rcu)| *rcu).collect();
    let first_page = cost[0];
    assert_eq!(ids(&runs[1].0), newest_first[200..220]);
    assert_eq!(ids(&runs[2].0), newest_first[100..120]);
    assert_eq!(ids(&runs[3].0), oldest_first[150..170]);
    for (body, _) in &runs {
        assert_eq!(body["total"], INVITES, "{body}");
    }
    // The first read of each deep offset pays for its skip; the same offset again starts
    // from its skip point: a first page's cost and the point's read (point_at: a save may
    // time out on a loaded machine, and the next read leaves it).
    for fresh in [1, 2, 3] {
        assert!(cost[fresh] >= 3.0 * first_page, "{cost:?}");
    }
    let again = point_at(200, &env, &admin.token, &newest).await;
    assert_eq!(again, newest_first[200..220]);
    // The next page starts from the same point (the grid is every 50) and reads the 20
    // between as well.
    let runs = list_costs_in(&env, &admin.token, &[page_at(220, &newest)]).await;
    assert!(runs[0].1 <= 2.0 * first_page, "{runs:?}");
    assert_eq!(ids(&runs[0].0), newest_first[220..240]);
    let again = point_at(100, &env, &admin.token, &pending).await;
    assert_eq!(again, newest_first[100..120]);
    let again = point_at(150, &env, &admin.token, &updated_asc).await;
    assert_eq!(again, oldest_first[150..170]);

    // A new invite moves every other one down, newest first.
    let created = app.invite(&admin, &unique_email("new"), "USER").await;
    newest_first.insert(0, created["id"].as_str().unwrap().to_owned());
    // An update moves the oldest invite to the end of the updated_at order.
    let oldest = oldest_first.remove(0);
    let in_a_week = app.clock.now().plus(chrono::Duration::days(7)).to_rfc3339();
    let updated = app
        .patch(
            &admin.token,
            &oldest,
            serde_json::json!({ "expires_at": in_a_week }),
        )
        .await;
    assert_eq!(updated.status(), 200);
    oldest_first.push(created["id"].as_str().unwrap().to_owned());
    oldest_first.push(oldest);
    let runs = list_costs_in(
        &env,
        &admin.token,
        &[
            page_at(200, &newest),
            page_at(220, &newest),
            page_at(150, &updated_asc),
        ],
    )
    .await;
    assert_eq!(ids(&runs[0].0), newest_first[200..220]);
    assert_eq!(ids(&runs[1].0), newest_first[220..240]);
    assert_eq!(ids(&runs[2].0), oldest_first[150..170]);

    // Time alone makes an invite expired: the pending order loses it without a write.
    let before = point_at(100, &env, &admin.token, &pending).await;
    assert_eq!(before, newest_first[100..120]);
    let now_expired = newest_first.remove(50);
    expire_at(
        &now_expired,
        app.clock.now().plus(chrono::Duration::minutes(-1)),
    )
    .await;
    let runs = list_costs_in(&env, &admin.token, &[page_at(100, &pending)]).await;
    assert_eq!(ids(&runs[0].0), newest_first[100..120]);
    assert_eq!(runs[0].0["total"], INVITES);
}

/// How a test moves one invite to the end of the `updated_at` order.
#[derive(Debug, Clone, Copy)]
enum Move {
    Update,
    ReInvite,
    Accept,
}

/// Reads the page at `offset` until it starts from a skip point (saving one is best effort,
/// and may time out on a loaded machine); its ids.
async fn point_at(
    offset: usize,
    env: &std::collections::HashMap<String, String>,
    token: &str,
    order: &[(&'static str, &str)],
) -> Vec<String> {
    settle().await;
    let first_page = page_at(0, order);
    let deep = page_at(offset, order);
    for _ in 0..5 {
        let runs = list_costs_in(
            env,
            token,
            &[first_page.clone(), deep.clone(), deep.clone()],
        )
        .await;
        if runs[2].1 <= runs[0].1 + 1.0 {
            return ids(&runs[2].0);
        }
    }
    panic!("no skip point at {offset} after five tries");
}

/// A point standing where a write passes is void after it: an update, a re-invite and an
/// accept each move one invite from before offset 150 to the end of the `updated_at` order,
/// with no other write in between, and a skip point read at 150 beforehand would start the
/// page one invite late.
#[tokio::test]
async fn an_update_a_re_invite_and_an_accept_each_void_the_points_they_pass() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let joining = app.user("joining").await;
    let base = app.clock.now().plus(chrono::Duration::hours(-1));
    let mut invites: Vec<_> = (0..INVITES)
        .map(|i| admin.invite_made_at("moved", base.plus(chrono::Duration::seconds(i as i64))))
        .collect();
    invites[30].email = joining.email.clone();
    let email_of: std::collections::HashMap<String, String> = invites
        .iter()
        .map(|invite| (invite.id.to_string(), invite.email.as_str().to_owned()))
        .collect();
    let mut expected: Vec<String> = invites.iter().map(|i| i.id.to_string()).collect();
    let joining_invite = expected[30].clone();
    insert_invites(&app.store, invites).await;
    let env = binary_env();
    let updated_asc = [("sort_by", "updated_at"), ("sort_dir", "asc")];

    for step in [Move::Update, Move::ReInvite, Move::Accept] {
        let before = point_at(150, &env, &admin.token, &updated_asc).await;
        assert_eq!(before, expected[150..170], "{step:?}");

        let moved = match step {
            Move::Accept => joining_invite.clone(),
            Move::Update | Move::ReInvite => expected[0].clone(),
        };
        let status = match step {
            Move::Update => {
                let in_a_week = app.clock.now().plus(chrono::Duration::days(7));
                let body = serde_json::json!({ "expires_at": in_a_week.to_rfc3339() });
                app.patch(&admin.token, &moved, body).await.status()
            }
            Move::ReInvite => {
                let body = serde_json::json!({
                    "tenant_id": admin.tenant, "email": email_of[&moved], "role": "USER"
                });
                app.post_invite(&admin.token, body).await.status()
            }
            Move::Accept => {
                let token = token(joining.id, &joining.email, admin.tenant);
                app.accept(&token, &moved).await.status()
            }
        };
        assert!(status.is_success(), "{step:?}: {status}");
        expected.retain(|id| *id != moved);
        expected.push(moved);

        let runs = list_costs_in(&env, &admin.token, &[page_at(150, &updated_asc)]).await;
        assert_eq!(ids(&runs[0].0), expected[150..170], "after {step:?}");
    }
}

/// `SKIP_POINTS=off` (while an older writer may serve: docs/operations.md) neither uses nor
/// leaves points: every deep read pays for its skip, and answers the same.
#[tokio::test]
async fn with_skip_points_off_every_deep_offset_is_read_from_the_top() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let base = app.clock.now().plus(chrono::Duration::hours(-1));
    let invites: Vec<_> = (0..INVITES)
        .map(|i| admin.invite_made_at("off", base.plus(chrono::Duration::seconds(i as i64))))
        .collect();
    let newest_first: Vec<String> = invites.iter().rev().map(|i| i.id.to_string()).collect();
    insert_invites(&app.store, invites).await;
    settle().await;
    let newest = [("sort_dir", "desc")];
    let mut off = binary_env();
    off.insert("SKIP_POINTS".into(), "off".into());

    let queries = [
        page_at(0, &[]),
        page_at(200, &newest),
        page_at(200, &newest),
    ];
    let runs = list_costs_in(&off, &admin.token, &queries).await;
    let cost: Vec<f64> = runs.iter().map(|(_, rcu)| *rcu).collect();
    assert!(cost[1] >= 3.0 * cost[0], "{cost:?}");
    assert!(cost[2] >= 3.0 * cost[0], "{cost:?}");
    assert_eq!(ids(&runs[2].0), newest_first[200..220]);

    // Turned on, the first read still pays: none were left while off. Then it leaves one.
    let on = binary_env();
    let runs = list_costs_in(&on, &admin.token, &queries[..2]).await;
    assert!(runs[1].1 >= 3.0 * runs[0].1, "{runs:?}");
    let again = point_at(200, &on, &admin.token, &newest).await;
    assert_eq!(again, newest_first[200..220]);
}
