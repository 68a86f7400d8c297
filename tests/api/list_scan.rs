//! Filters no key condition serves read at most `LIST_MAX_EXAMINED` invites per request (#15):
//! a broader scope is refused with a 422 that says how to narrow it, before anything is read
//! when the counters tell its size; a date range on the order's own field is a key range.

use crate::helpers::*;
use crate::list_status::list_costs_in;

const INVITES: usize = 60;
const CAP: usize = 50;

#[tokio::test]
async fn scanning_filters_are_capped_and_date_ranges_on_the_order_are_key_ranges() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let base = app.clock.now();
    // Invite `i` is created `i` seconds after `base`; every tenth address holds "needle".
    let at = |i: usize| base.plus(chrono::Duration::seconds(i as i64));
    let invites: Vec<_> = (0..INVITES)
        .map(|i| admin.invite_made_at(if i % 10 == 0 { "needle" } else { "hay" }, at(i)))
        .collect();
    let fifth = invites[5].id.to_string();
    insert_invites(&app.store, invites).await;
    // Invite 5 has expired (the sweep may announce it or not: both are read).
    crate::lifecycle::expire_at(&fifth, base.plus(chrono::Duration::seconds(-60))).await;
    let instant = |i: usize| at(i).to_rfc3339();
    let q = |pairs: &[(&'static str, String)]| pairs.to_vec();
    let queries = vec![
        // 0: the whole tenant (60) is over the cap.
        q(&[("email", "needle".into())]),
        // 1: created_after invite 20 (inclusive) with the created order: 40 in range.
        q(&[("email", "needle".into()), ("created_after", instant(20))]),
        // 2: a range of 55 is over the cap, found by reading it.
        q(&[("created_after", instant(5))]),
        // 3: created_before invite 10 (exclusive), a status too: 10 in range.
        q(&[
            ("status", "pending".into()),
            ("created_before", instant(10)),
        ]),
        // 4: another order makes the date range a filter: the whole tenant again.
        q(&[
            ("email", "needle".into()),
            ("created_after", instant(20)),
            ("sort_by", "updated_at".into()),
        ]),
        // 5: both bounds.
        q(&[
            ("created_after", instant(30)),
            ("created_before", instant(45)),
            ("sort_dir", "asc".into()),
            ("limit", "100".into()),
        ]),
        // 6: exactly the cap (invites 10..59) is answered; 7: one more is not.
        q(&[
            ("created_after", instant(10)),
            ("created_before", instant(60)),
        ]),
        q(&[("created_after", instant(9))]),
        // 8: a reversed range is empty.
        q(&[
            ("created_after", instant(40)),
            ("created_before", instant(30)),
        ]),
        // 9: a range read newest first.
        q(&[
            ("created_after", instant(30)),
            ("created_before", instant(45)),
            ("sort_dir", "desc".into()),
            ("limit", "100".into()),
        ]),
        // 10: expired in a range: invite 5, announced or not.
        q(&[
            ("status", "expired".into()),
            ("created_before", instant(10)),
        ]),
    ];
    let mut env = binary_env();
    env.insert("LIST_MAX_EXAMINED".into(), CAP.to_string());
    let answers = list_costs_in(&env, &admin.token, &queries).await;
    let status = |n: usize| answers[n].0["statusCode"].as_u64().unwrap();
    let total = |n: usize| answers[n].0["total"].as_u64().unwrap();
    let refused_on = |n: usize| {
        let detail = &answers[n].0["detail"][0];
        assert_eq!(detail["type"], "value_error", "{detail}");
        let msg = detail["msg"].as_str().unwrap();
        assert!(msg.contains("at most 50 per request"), "{msg}");
        detail["loc"][1].as_str().unwrap().to_owned()
    };

    assert_eq!(status(0), 422, "{}", answers[0].0);
    assert_eq!(refused_on(0), "email");
    assert!(answers[0].0["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("60 invites"));
    // Refused from the counters: only the caller's membership and the tenant item were read
    // (1 RCU each); reading the 60 invites would cost more.
    assert!(answers[0].1 <= 2.0, "{:?}", answers[0].1);

    assert_eq!(status(1), 200, "{}", answers[1].0);
    assert_eq!(total(1), 4, "needles 20, 30, 40, 50");
    assert!(answers[1].0["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|item| item["email"].as_str().unwrap().starts_with("needle")));

    assert_eq!(status(2), 422, "{}", answers[2].0);
    assert_eq!(refused_on(2), "created_after");
    assert!(answers[2].0["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("narrow the range"));

    assert_eq!(status(3), 200, "{}", answers[3].0);
    assert_eq!(total(3), 9, "invites 0..9 less the expired one");

    assert_eq!(status(4), 422, "{}", answers[4].0);
    assert_eq!(refused_on(4), "email");

    assert_eq!(status(5), 200, "{}", answers[5].0);
    let created: Vec<String> = answers[5].0["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["created_at"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(total(5), 15);
    assert_eq!(created.len(), 15);
    assert!(
        created.windows(2).all(|pair| pair[0] < pair[1]),
        "{created:?}"
    );
    // The range costs what it holds: 15 invites, not the tenant's 60 (a filter reads all).
    assert!(
        answers[5].1 < answers[1].1,
        "{:?}",
        (answers[5].1, answers[1].1)
    );

    assert_eq!((status(6), total(6)), (200, 50), "{}", answers[6].0);
    assert_eq!(status(7), 422, "{}", answers[7].0);
    assert_eq!(refused_on(7), "created_after");
    assert_eq!((status(8), total(8)), (200, 0), "{}", answers[8].0);
    let newest_first: Vec<String> = answers[9].0["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["created_at"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(newest_first.len(), 15);
    assert!(newest_first.windows(2).all(|pair| pair[0] > pair[1]));
    assert_eq!(newest_first.last().unwrap(), &created[0]);
    assert_eq!((status(10), total(10)), (200, 1), "{}", answers[10].0);
    assert_eq!(answers[10].0["items"][0]["id"], fifth);

    // Without the low cap, the same email filter is answered exactly.
    let whole = app.list_ok(&admin.token, "email=needle").await;
    assert_eq!(whole["total"], 6, "{whole}");
}
