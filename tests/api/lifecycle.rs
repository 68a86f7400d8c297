//! The end of an invite's life: `InviteExpired` from the expiry sweep (the real
//! `expire-invites` binary, then the stream through the real `publish-events` to the bus), and
//! retention (TTL's removals, played by the local TTL emulator since DynamoDB Local has no TTL,
//! through the real `retire-invites`: the counters stay equal to a full count).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use invites_bench::runtime_api::{FunctionProcess, Outcome};
use invites_local::lifecycle::TtlEmulator;
use invites_local::platform;
use invites_local::stream::StreamReader;
use invites_shared::domain::Timestamp;
use invites_shared::store::keys;
use serde_json::{json, Value};

use crate::events::function_binary;
use crate::events_out::{bus_queue, drain, of_tenant};
use crate::helpers::*;

type Item = HashMap<String, AttributeValue>;

async fn dynamodb() -> aws_sdk_dynamodb::Client {
    invites_local::app::Clients::from_env().await.dynamodb
}

async fn stream() -> StreamReader {
    let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
    StreamReader::open(
        &dynamodb().await,
        aws_sdk_dynamodbstreams::Client::new(&sdk),
        table_name(),
        false,
    )
    .await
    .unwrap()
}

/// Reads the stream until every one of `wanted` holds for some record; everything read.
async fn read_until(stream: &mut StreamReader, wanted: &[&dyn Fn(&Value) -> bool]) -> Vec<Value> {
    let mut records: Vec<Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !wanted.iter().all(|done| records.iter().any(done)) {
        assert!(
            Instant::now() < deadline,
            "the write never reached the stream"
        );
        records.extend(stream.read().await.unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    records
}

async fn start(function: &str) -> FunctionProcess {
    let mut env = binary_env();
    if function == "publish-events" {
        env.insert("EVENT_BUS_NAME".into(), "default".into());
    }
    env.insert("RUST_LOG".into(), "warn".into());
    FunctionProcess::start(&function_binary(function), &env, None)
        .await
        .unwrap()
}

async fn invoke(process: &mut FunctionProcess, event: Value) -> Value {
    match process.invoke(event).await.unwrap() {
        Outcome::Response(answer) => answer,
        other => panic!("the function failed: {other:?}"),
    }
}

fn sweep_event() -> Value {
    let text = std::fs::read_to_string(repo().join("events/expire-invites.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn stored(pk: String, sk: &str) -> Option<Item> {
    dynamodb()
        .await
        .get_item()
        .table_name(table_name())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

async fn invite_item(id: &str) -> Option<Item> {
    stored(format!("INVITE#{id}"), "INVITE").await
}

fn text(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

/// Moves an invite's expiry to `at`, as time passing would (its keys follow).
pub(crate) async fn expire_at(id: &str, at: Timestamp) {
    let invite_id = uuid::Uuid::parse_str(id).unwrap().into();
    dynamodb()
        .await
        .update_item()
        .table_name(table_name())
        .key("pk", AttributeValue::S(format!("INVITE#{id}")))
        .key("sk", AttributeValue::S("INVITE".into()))
        .update_expression("SET expires_at = :at, expires_sk = :sk")
        .expression_attribute_values(":at", AttributeValue::S(at.to_rfc3339()))
        .expression_attribute_values(":sk", AttributeValue::S(keys::time_sk(at, invite_id)))
        .send()
        .await
        .unwrap();
}

/// Moves an invite's `ttl` into the past, as its retention running out would.
async fn retention_over(id: &str) {
    dynamodb()
        .await
        .update_item()
        .table_name(table_name())
        .key("pk", AttributeValue::S(format!("INVITE#{id}")))
        .key("sk", AttributeValue::S("INVITE".into()))
        .update_expression("SET #ttl = :past")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_values(
            ":past",
            AttributeValue::N((chrono::Utc::now().timestamp() - 1).to_string()),
        )
        .send()
        .await
        .unwrap();
}

fn kinds_of(events: &[Value], invite: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["detail"]["invite_id"] == invite)
        .map(|e| e["detail-type"].as_str().unwrap().to_owned())
        .collect()
}

fn id_of(invite: &Value) -> String {
    invite["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_expired_invite_is_published_once_as_invite_expired() {
    let app = TestApp::spawn().await;
    let clients = platform::Clients::from_env().await;
    let queue = bus_queue(&clients).await;
    let mut stream = stream().await;
    let admin = app.tenant_admin().await;
    let late = app.user("expired").await;
    let expired = id_of(&app.invite(&admin, late.email.as_str(), "USER").await);
    let pending = id_of(&app.invite(&admin, &unique_email("pending"), "USER").await);
    let deleted = id_of(&app.invite(&admin, &unique_email("deleted"), "USER").await);
    let invitee = app.user("accepted").await;
    let accepted = id_of(&app.invite(&admin, invitee.email.as_str(), "USER").await);
    let actor = app.actor(invitee, admin.tenant);
    assert_eq!(app.accept(&actor.token, &accepted).await.status(), 200);
    assert!(
        text(&invite_item(&accepted).await.unwrap(), keys::EXPIRY_SHARD).is_none(),
        "an accepted invite leaves the expiring index"
    );
    // Deleted before its expiry: never announced (other tests sweep the table at any time, so
    // it is deleted first).
    assert_eq!(app.delete(&admin.token, &deleted).await.status(), 204);
    let past = Timestamp::from_datetime(chrono::Utc::now() - chrono::Duration::seconds(2));
    for id in [&expired, &accepted] {
        expire_at(id, past).await;
    }

    let mut sweeper = start("expire-invites").await;
    let answer = invoke(&mut sweeper, sweep_event()).await;
    // Other tests sweep the same table at the same time: this sweep or theirs marked it.
    assert!(answer["expired"].is_u64(), "{answer}");
    assert_eq!(answer["more"], false);
    let marked = invite_item(&expired).await.unwrap();
    assert_eq!(text(&marked, keys::CHANGE).as_deref(), Some("expired"));
    assert!(text(&marked, keys::EXPIRY_SHARD).is_none());
    let untouched = invite_item(&pending).await.unwrap();
    assert!(text(&untouched, keys::EXPIRY_SHARD).is_some());
    assert!(text(&untouched, keys::CHANGE).is_none());
    assert!(text(&invite_item(&accepted).await.unwrap(), keys::CHANGE).is_none());
    // The next sweep finds nothing of these again.
    invoke(&mut sweeper, sweep_event()).await;
    sweeper.stop().await;

    let marked_at = Instant::now();
    let records = read_until(
        &mut stream,
        &[&|r| {
            r["dynamodb"]["NewImage"]["change"]["S"] == "expired"
                && r["dynamodb"]["Keys"]["pk"]["S"] == format!("INVITE#{expired}")
        }],
    )
    .await;
    // The second sweep marked nothing again: one mark of the invite on the stream.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut records = records;
    records.extend(stream.read().await.unwrap());
    let marks = records
        .iter()
        .filter(|r| {
            r["dynamodb"]["Keys"]["pk"]["S"] == format!("INVITE#{expired}")
                && r["dynamodb"]["NewImage"]["change"]["S"] == "expired"
        })
        .count();
    assert_eq!(marks, 1);
    let records = of_tenant(records, &admin.tenant.to_string());
    let mut publisher = start("publish-events").await;
    let answer = invoke(&mut publisher, json!({ "Records": records })).await;
    assert_eq!(answer["batchItemFailures"], json!([]));
    publisher.stop().await;
    let events = drain(&clients, &queue).await;
    eprintln!(
        "stream and publish-events, from the mark to the bus: {} ms",
        marked_at.elapsed().as_millis()
    );
    assert_eq!(
        kinds_of(&events, &expired),
        ["InviteCreated", "InviteExpired"]
    );
    assert_eq!(kinds_of(&events, &pending), ["InviteCreated"]);
    assert_eq!(
        kinds_of(&events, &deleted),
        ["InviteCreated", "InviteDeleted"]
    );
    assert_eq!(
        kinds_of(&events, &accepted),
        ["InviteCreated", "InviteAccepted"]
    );
    let event = events
        .iter()
        .find(|e| e["detail-type"] == "InviteExpired" && e["detail"]["invite_id"] == expired)
        .unwrap();
    assert_eq!(event["detail"]["tenant_id"], json!(admin.tenant));
    assert_eq!(event["detail"]["at"], json!(past.to_rfc3339()));
    // Marked or not, an expired invite cannot be accepted.
    let late = app.actor(late, admin.tenant);
    assert_eq!(app.accept(&late.token, &expired).await.status(), 410);
}

/// The delay from `expires_at` to the mark, with the sweep on a one-second schedule (the local
/// server's default is five, AWS's one minute): a few periods at most, under load.
#[tokio::test]
async fn the_sweep_marks_an_expiry_within_a_few_periods() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let id = id_of(&app.invite(&admin, &unique_email("soon"), "USER").await);
    let expires = Timestamp::from_datetime(chrono::Utc::now() + chrono::Duration::seconds(2));
    expire_at(&id, expires).await;
    let period = Duration::from_secs(1);
    let env = invites_shared::config::Env::new(|name: &str| {
        test_env(table_name())
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    });
    let settings =
        <expire_invites::Settings as invites_shared::config::FunctionSettings>::read(&env).unwrap();
    let sweeper = expire_invites::ExpireInvites::new(
        settings,
        dynamodb().await,
        invites_shared::domain::Clock::system(),
    );
    let task = tokio::spawn(invites_local::lifecycle::expire_loop(sweeper, period));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let item = invite_item(&id).await.unwrap();
        if text(&item, keys::CHANGE).as_deref() == Some("expired") {
            break;
        }
        assert!(Instant::now() < deadline, "never marked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    let delay = chrono::Utc::now() - expires.as_datetime();
    eprintln!(
        "expiry marked {} ms after expires_at",
        delay.num_milliseconds()
    );
    assert!(
        delay >= chrono::Duration::zero(),
        "marked before it expired"
    );
    // Alone, the mark comes within the period (0.1 s measured); beside the whole suite on two
    // cores, sweeps of other tests and a loaded DynamoDB Local add seconds. The bound says
    // "a few periods", not a latency figure.
    assert!(
        delay < chrono::Duration::milliseconds(period.as_millis() as i64 * 12),
        "{delay}"
    );
}

#[tokio::test]
async fn retention_removes_invites_and_the_counters_stay_exact() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let pending = id_of(&app.invite(&admin, &unique_email("kept"), "USER").await);
    let expired_email = unique_email("gone");
    let expired = id_of(&app.invite(&admin, &expired_email, "USER").await);
    let invitee = app.user("retired").await;
    let accepted = id_of(&app.invite(&admin, invitee.email.as_str(), "USER").await);
    let actor = app.actor(invitee, admin.tenant);
    assert_eq!(app.accept(&actor.token, &accepted).await.status(), 200);
    assert_eq!(app.list_ok(&admin.token, "").await["total"], 3);

    // Each invite's ttl: the moment it stops being pending, plus the 90 days of retention.
    let retention = 90 * 24 * 3600;
    let epoch = |item: &Item, field: &str| {
        Timestamp::parse(&text(item, field).unwrap())
            .unwrap()
            .as_datetime()
            .timestamp()
    };
    let item = invite_item(&pending).await.unwrap();
    assert_eq!(
        number(&item, "ttl"),
        Some(epoch(&item, "expires_at") + retention)
    );
    let item = invite_item(&accepted).await.unwrap();
    assert_eq!(
        number(&item, "ttl"),
        Some(epoch(&item, "accepted_at") + retention)
    );

    let past = Timestamp::from_datetime(chrono::Utc::now() - chrono::Duration::seconds(2));
    expire_at(&expired, past).await;
    // The sweep announces the expiry first (counted among the announced expiries).
    let mut sweeper = start("expire-invites").await;
    invoke(&mut sweeper, sweep_event()).await;
    sweeper.stop().await;
    let counts = app.store.invite_counts(admin.tenant).await.unwrap();
    assert_eq!(counts.expired, 1);
    let mut stream = stream().await;
    for id in [&expired, &accepted] {
        retention_over(id).await;
    }
    let ttl = TtlEmulator::new(dynamodb().await, table_name());
    assert!(ttl.sweep(chrono::Utc::now().timestamp()).await.unwrap() >= 2);
    assert!(invite_item(&expired).await.is_none());
    assert!(invite_item(&accepted).await.is_none());
    let removed = |id: &str| {
        let pk = format!("INVITE#{id}");
        move |r: &Value| r["eventName"] == "REMOVE" && r["dynamodb"]["Keys"]["pk"]["S"] == pk
    };
    let mut records = read_until(&mut stream, &[&removed(&expired), &removed(&accepted)]).await;
    ttl.tag(&mut records);
    let removals: Vec<Value> = of_tenant(records, &admin.tenant.to_string())
        .into_iter()
        .filter(retire_invites::is_ttl_removal)
        .collect();
    assert!(removals.len() >= 2);

    // The same batch twice, as Lambda retries: counted once.
    let mut retirer = start("retire-invites").await;
    for _ in 0..2 {
        let answer = invoke(&mut retirer, json!({ "Records": removals })).await;
        assert_eq!(answer["batchItemFailures"], json!([]));
    }
    // A caller's delete is not TTL's: the delete counted itself already.
    let deleted = id_of(&app.invite(&admin, &unique_email("deleted"), "USER").await);
    let mut stream = self::stream().await;
    assert_eq!(app.delete(&admin.token, &deleted).await.status(), 204);
    let records = read_until(&mut stream, &[&removed(&deleted)]).await;
    invoke(&mut retirer, json!({ "Records": records })).await;
    retirer.stop().await;

    let listed = app.list_ok(&admin.token, "").await;
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["items"][0]["id"], pending.as_str());
    let tenant = stored(keys::tenant_pk(admin.tenant), keys::TENANT_SK)
        .await
        .unwrap();
    assert_eq!(number(&tenant, keys::INVITE_COUNT), Some(1));
    assert_eq!(number(&tenant, keys::ACCEPTED_COUNT), Some(0));
    assert_eq!(number(&tenant, keys::OPEN_COUNT), Some(1));
    assert_eq!(
        number(&tenant, keys::EXPIRED_COUNT),
        Some(0),
        "announced, then retired"
    );
    // The expired invite's pending slot went with it: the address can be invited afresh.
    let slot = stored(
        keys::tenant_pk(admin.tenant),
        &format!("PENDING#{expired_email}"),
    )
    .await;
    assert!(slot.is_none());
    let again = app
        .post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": expired_email }),
        )
        .await;
    assert_eq!(again.status(), 201);
}

/// A request that read the clock just before `expires_at` and writes just after the sweep
/// published the expiry must not revive the invite: accept, re-invite and update are refused
/// (the handlers then read again, with a fresh clock, and answer 410 or make a new invite).
#[tokio::test]
async fn writes_with_a_clock_read_before_the_expiry_cannot_revive_an_announced_expiry() {
    use invites_shared::domain::{GroupIds, Role};
    use invites_shared::store::{InviteChanges, Joining, Refresh};

    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invitee = app.user("raced").await;
    let id = id_of(&app.invite(&admin, invitee.email.as_str(), "USER").await);
    let expires = Timestamp::from_datetime(chrono::Utc::now() - chrono::Duration::seconds(1));
    expire_at(&id, expires).await;
    // The request's clock: a millisecond before the expiry.
    let before =
        Timestamp::from_datetime(expires.as_datetime() - chrono::Duration::milliseconds(1));
    let invite_id = uuid::Uuid::parse_str(&id).unwrap().into();
    let invite = app.store.get_invite(invite_id).await.unwrap().unwrap();

    let mut sweeper = start("expire-invites").await;
    invoke(&mut sweeper, sweep_event()).await;
    sweeper.stop().await;
    assert_eq!(
        text(&invite_item(&id).await.unwrap(), keys::CHANGE).as_deref(),
        Some("expired")
    );

    let joining = Joining {
        tenant: admin.tenant,
        user: invitee.id,
        role: Role::User,
        groups: &[],
        now: before,
    };
    let accepted = app
        .store
        .accept_invite(&invite, &joining, &GroupIds::default())
        .await
        .unwrap();
    assert!(
        matches!(accepted, invites_shared::store::AcceptOutcome::Changed),
        "{accepted:?}"
    );
    let groups = GroupIds::default();
    let refresh = Refresh {
        role: Role::Admin,
        invited_by: admin.user.id,
        now: before,
        expires_at: before.plus(chrono::Duration::days(7)),
        groups: &groups,
    };
    let refreshed = app
        .store
        .refresh_pending_invite(&invite, &refresh, None)
        .await
        .unwrap();
    assert!(refreshed.is_none());
    let changes = InviteChanges {
        expires_at: Some(before.plus(chrono::Duration::days(7))),
        groups: None,
    };
    let updated = app
        .store
        .update_invite(&invite, &changes, before)
        .await
        .unwrap();
    assert!(updated.is_none());
    let stored = app.store.get_invite(invite_id).await.unwrap().unwrap();
    assert_eq!(stored.expires_at, expires);
    assert_eq!(stored.accepted_at, None);
    // Through the API, with the real clock: expired.
    let actor = app.actor(invitee, admin.tenant);
    assert_eq!(app.accept(&actor.token, &id).await.status(), 410);
}
