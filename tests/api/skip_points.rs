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
            page_at(200, &newest),
            page_at(220, &newest),
            page_at(100, &pending),
            page_at(100, &pending),
            page_at(150, &updated_asc),
            page_at(150, &updated_asc),
        ],
    )
    .await;
    let cost: Vec<f64> = runs.iter().map(|(_, rcu)| *rcu).collect();
    let first_page = cost[0];
    assert_eq!(ids(&runs[1].0), newest_first[200..220]);
    assert_eq!(ids(&runs[2].0), newest_first[200..220]);
    assert_eq!(ids(&runs[3].0), newest_first[220..240]);
    assert_eq!(ids(&runs[5].0), newest_first[100..120]);
    assert_eq!(ids(&runs[7].0), oldest_first[150..170]);
    for (body, _) in &runs {
        assert_eq!(body["total"], INVITES, "{body}");
    }
    // The first read of each deep offset pays for its skip; the same offset again starts
    // from its skip point: a first page's cost and the point's read. The next page starts
    // from the same point (the grid is every 50) and reads the 20 between as well.
    for (fresh, again) in [(1, 2), (4, 5), (6, 7)] {
        assert!(cost[fresh] >= 3.0 * first_page, "{cost:?}");
        assert!(cost[again] <= first_page + 1.0, "{cost:?}");
    }
    assert!(cost[3] <= 2.0 * first_page, "{cost:?}");

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
    settle().await;
    let runs = list_costs_in(
        &env,
        &admin.token,
        &[page_at(100, &pending), page_at(100, &pending)],
    )
    .await;
    assert_eq!(ids(&runs[1].0), newest_first[100..120]);
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
