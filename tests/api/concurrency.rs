//! Races: the invariants hold under concurrent requests because DynamoDB enforces them.

use futures::future::join_all;
use invites_shared::domain::Role;
use serde_json::json;

use crate::helpers::*;

const RACERS: usize = 50;

#[tokio::test]
async fn fifty_simultaneous_accepts_all_get_the_same_answer_and_accept_once() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("racer").await;
    let invite = app.invite(&admin, invitee.email.as_str(), "ADMIN").await;
    let id = invite["id"].as_str().unwrap();
    let invitee = app.actor(invitee, admin.tenant);

    let answers = join_all(
        (0..RACERS).map(|_| async { status_and_body(app.accept(&invitee.token, id).await).await }),
    )
    .await;

    let expected = (
        200,
        json!({ "tenant_id": admin.tenant, "role": "ADMIN", "skipped_groups": [] }),
    );
    assert!(
        answers.iter().all(|answer| answer == &expected),
        "{answers:?}"
    );
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!((counts.total, counts.accepted), (1, 1));
    assert_eq!(
        app.membership_role(admin.tenant, invitee.user.id).await,
        Some(Role::Admin)
    );
}

#[tokio::test]
async fn fifty_simultaneous_invites_of_one_email_make_one_pending_invite() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let email = unique_email("stampede");

    let answers = join_all((0..RACERS).map(|_| async {
        status_and_body(
            app.post_invite(
                &admin.token,
                json!({ "tenant_id": admin.tenant, "email": email }),
            )
            .await,
        )
        .await
    }))
    .await;

    assert!(
        answers.iter().all(|(status, _)| *status == 201),
        "{answers:?}"
    );
    let id = &answers[0].1["id"];
    assert!(answers.iter().all(|(_, body)| &body["id"] == id));
    let page = app.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    // The email is claimed in DynamoDB before it is sent: with the re-invite cooldown, one
    // email for all of them (without it, one per request: tests/api/create.rs).
    assert_eq!(app.emails_to(&email).await.len(), 1);
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!(counts.total, 1);
}

#[tokio::test]
async fn simultaneous_invites_of_different_emails_all_count() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;

    let (app, admin) = (&app, &admin);
    let answers = join_all((0..RACERS).map(|i| async move {
        let body = json!({ "tenant_id": admin.tenant, "email": unique_email(&format!("many{i}")) });
        status_and_body(app.post_invite(&admin.token, body).await)
            .await
            .0
    }))
    .await;

    assert!(answers.iter().all(|status| *status == 201), "{answers:?}");
    assert_eq!(
        app.list_ok(&admin.token, "limit=100").await["total"],
        RACERS
    );
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!(counts.total, RACERS as u64);
}

/// When a request was sent and when its answer came back.
type Span = (std::time::Instant, std::time::Instant);

async fn timed(request: impl std::future::Future<Output = reqwest::Response>) -> (u16, Span) {
    let sent = std::time::Instant::now();
    let status = request.await.status().as_u16();
    (status, (sent, std::time::Instant::now()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn accept_racing_delete_ends_in_one_of_two_consistent_states() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let admin = app.tenant_admin().await;
    let mut endings = std::collections::BTreeMap::new();
    let mut overlapping = 0;
    let mut rounds = 0;
    // The quickest accept and delete seen here (an accept makes one more round trip than a
    // delete): a head start is a fraction of the other request's quickest time, so that the
    // later one always starts while the first is in flight, whatever this machine's speed.
    let mut accept_takes = std::time::Duration::from_millis(5);
    let mut delete_takes = std::time::Duration::from_millis(3);
    // Until each ending has been seen twice: the head start alternates sides and grows.
    while endings.len() < 2 || endings.values().any(|seen| *seen < 2) {
        assert!(
            rounds < 80,
            "only these endings in {rounds} rounds: {endings:?}"
        );
        let round = rounds;
        rounds += 1;
        let invitee = app.user(&format!("race{round}")).await;
        let invite = app.invite(&admin, invitee.email.as_str(), "USER").await;
        let id = invite["id"].as_str().unwrap().to_owned();
        let invitee = app.actor(invitee, admin.tenant);
        // At most 0.6 of the other's quickest: timer and scheduling jitter on a loaded
        // machine must not push the later start past the first request's end.
        let step = (round % 7) as u32;
        let (accept_waits, delete_waits) = if round % 2 == 0 {
            (std::time::Duration::ZERO, accept_takes * step / 10)
        } else {
            (delete_takes * step / 10, std::time::Duration::ZERO)
        };
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let accepting = tokio::spawn({
            let (app, barrier, id, token) = (
                app.clone(),
                barrier.clone(),
                id.clone(),
                invitee.token.clone(),
            );
            async move {
                barrier.wait().await;
                tokio::time::sleep(accept_waits).await;
                timed(app.accept(&token, &id)).await
            }
        });
        let deleting = tokio::spawn({
            let (app, barrier, id, token) = (
                app.clone(),
                barrier.clone(),
                id.clone(),
                admin.token.clone(),
            );
            async move {
                barrier.wait().await;
                tokio::time::sleep(delete_waits).await;
                timed(app.delete(&token, &id)).await
            }
        });
        let (accepted, accept_span) = accepting.await.unwrap();
        let (deleted, delete_span) = deleting.await.unwrap();
        let (took, delete_took) = (accept_span.1 - accept_span.0, delete_span.1 - delete_span.0);
        if round == 0 {
            (accept_takes, delete_takes) = (took, delete_took);
        } else {
            accept_takes = accept_takes.min(took);
            delete_takes = delete_takes.min(delete_took);
        }
        if accept_span.0 < delete_span.1 && delete_span.0 < accept_span.1 {
            overlapping += 1;
        }
        let member = app
            .membership_role(admin.tenant, invitee.user.id)
            .await
            .is_some();

        assert_eq!(deleted, 204, "round {round}");
        match accepted {
            200 => assert!(member, "round {round}: accepted but no membership"),
            404 => assert!(!member, "round {round}: not accepted but a membership"),
            other => panic!("round {round}: accept answered {other}"),
        }
        *endings.entry(accepted).or_insert(0) += 1;
        let invite_id = uuid::Uuid::parse_str(&id).unwrap().into();
        assert_eq!(app.store.get_invite(invite_id).await.unwrap(), None);
    }
    // The two requests were in flight at the same time in (nearly) every round: at most one
    // round in four may miss on a loaded machine.
    assert!(
        overlapping * 4 >= rounds * 3,
        "only {overlapping} of {rounds} rounds overlapped"
    );
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!(
        (counts.total, counts.accepted),
        (0, 0),
        "endings: {endings:?}"
    );
}
