//! `directory-sync`, the real binary over the Runtime API with SQS batch events: every
//! detail-type, versions (out of order, duplicates, tombstones), a malformed event in a batch
//! (to the DLQ, the rest applied), then the API deciding with what arrived.

use invites_bench::runtime_api::{FunctionProcess, Outcome};
use invites_shared::domain::{EmailAddress, Role, TenantId, UserId};
use serde_json::{json, Value};

use crate::events::function_binary;
use crate::helpers::*;

/// An EventBridge event as the rule delivers it to the queue.
pub(crate) fn event(kind: &str, detail: Value) -> String {
    json!({
        "version": "0", "id": uuid::Uuid::new_v4(), "detail-type": kind,
        "source": "platform.directory", "account": "000000000000",
        "time": "2026-12-03T10:00:00Z", "region": "us-east-1", "resources": [], "detail": detail,
    })
    .to_string()
}

/// An SQS batch of `bodies`, message ids m0, m1, …
pub(crate) fn batch(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({
                "messageId": format!("m{i}"), "receiptHandle": "r", "body": body,
                "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:directory",
            })
        })
        .collect();
    json!({ "Records": records })
}

pub(crate) async fn sqs() -> aws_sdk_sqs::Client {
    let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
    aws_sdk_sqs::Client::new(&sdk)
}

/// The function binary with its DLQ (a fresh queue in the SQS emulator).
pub(crate) async fn start() -> (FunctionProcess, String) {
    let queue = sqs()
        .await
        .create_queue()
        .queue_name(format!("directory-dlq-{}", uuid::Uuid::new_v4().simple()))
        .send()
        .await
        .unwrap();
    let dlq = queue.queue_url().unwrap().to_owned();
    let mut env = binary_env();
    env.insert("DIRECTORY_DLQ_URL".into(), dlq.clone());
    env.insert("RUST_LOG".into(), "warn".into());
    let process = FunctionProcess::start(&function_binary("directory-sync"), &env, None)
        .await
        .unwrap();
    (process, dlq)
}

/// Runs one batch; the ids of the messages reported failed.
pub(crate) async fn run(process: &mut FunctionProcess, bodies: &[String]) -> Vec<String> {
    match process.invoke(batch(bodies)).await.unwrap() {
        Outcome::Response(response) => response["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_owned())
            .collect(),
        Outcome::Error(error) => panic!("directory-sync failed: {error}"),
    }
}

pub(crate) fn tenant_detail(id: TenantId, version: u64, deactivated: bool) -> Value {
    json!({
        "tenant_id": id, "name": format!("Synced {version}"), "idp_config": null,
        "deactivated": deactivated, "version": version,
        "settings": { "can_invite": true, "seat_cap": null,
                      "invite_link": { "enabled": false, "role": "USER", "groups": [] } },
    })
}

#[tokio::test]
async fn directory_events_decide_what_the_api_allows() {
    let app = TestApp::spawn().await;
    let (mut process, _) = start().await;
    let tenant = TenantId::new_random();
    let admin = UserId::new_random();
    let email = unique_email("synced-admin");
    let group = uuid::Uuid::new_v4();
    let key = format!("sk-user-{}", uuid::Uuid::new_v4().simple());
    let bodies = [
        event("TenantUpserted", tenant_detail(tenant, 1, false)),
        event(
            "UserUpserted",
            json!({ "user_id": admin, "email": email, "first_name": "Ada",
            "last_name": null, "current_tenant_id": tenant, "version": 1 }),
        ),
        event(
            "MembershipUpserted",
            json!({ "tenant_id": tenant, "user_id": admin, "role": "ADMIN", "version": 1 }),
        ),
        event(
            "GroupUpserted",
            json!({ "tenant_id": tenant, "group_id": group, "name": "Eng", "version": 1 }),
        ),
        event(
            "ApiKeyUpserted",
            json!({ "key_id": uuid::Uuid::new_v4(), "user_id": admin,
            "key_sha256": invites_shared::auth::api_key_digest(&key), "expires_at": null,
            "revoked": false, "version": 1 }),
        ),
    ];
    // The membership may run before its tenant exists in a batch run side by side: retried.
    let mut failed = run(&mut process, &bodies).await;
    for _ in 0..3 {
        if failed.is_empty() {
            break;
        }
        let again: Vec<String> = failed
            .iter()
            .map(|id| bodies[id[1..].parse::<usize>().unwrap()].clone())
            .collect();
        failed = run(&mut process, &again).await;
    }
    assert!(failed.is_empty(), "{failed:?}");

    // The synced admin invites (with the synced group), by token and by the synced key.
    let user = app.store.get_user(admin).await.unwrap().unwrap();
    let actor = app.actor(user, tenant);
    let response = app
        .post_invite(
            &actor.token,
            json!({ "tenant_id": tenant, "email": unique_email("x"), "groups": [group] }),
        )
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(app.list_ok(&key, "").await["total"], 1);
    assert_eq!(
        app.store
            .get_tenant(tenant)
            .await
            .unwrap()
            .unwrap()
            .member_count,
        1
    );

    // Removed: refused at once, and the seat is freed.
    let removed = event(
        "MembershipRemoved",
        json!({ "tenant_id": tenant, "user_id": admin, "version": 2 }),
    );
    assert!(run(&mut process, &[removed]).await.is_empty());
    assert_eq!(app.list(&actor.token, "").await.status(), 403);
    assert_eq!(
        app.store
            .get_tenant(tenant)
            .await
            .unwrap()
            .unwrap()
            .member_count,
        0
    );
    // A late upsert (version 1, a duplicate of the first) does not bring it back.
    assert!(run(&mut process, &[bodies[2].clone()]).await.is_empty());
    assert_eq!(app.membership_role(tenant, admin).await, None);
    // A newer one does.
    let back = event(
        "MembershipUpserted",
        json!({ "tenant_id": tenant, "user_id": admin, "role": "OWNER", "version": 3 }),
    );
    assert!(run(&mut process, &[back]).await.is_empty());
    assert_eq!(app.membership_role(tenant, admin).await, Some(Role::Owner));

    // Deactivated by a newer TenantUpserted: create refuses; an older one changes nothing.
    let deactivate = event("TenantUpserted", tenant_detail(tenant, 5, true));
    let older = event("TenantUpserted", tenant_detail(tenant, 4, false));
    assert!(run(&mut process, &[deactivate, older]).await.is_empty());
    let (status, error) = error_of(
        app.post_invite(
            &actor.token,
            json!({ "tenant_id": tenant, "email": unique_email("y") }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].clone()),
        (403, json!("tenant_deactivated"))
    );
    process.stop().await;
}

#[tokio::test]
async fn an_email_change_moves_the_email_record_and_a_delete_leaves_a_tombstone() {
    let app = TestApp::spawn().await;
    let (mut process, _) = start().await;
    let user = UserId::new_random();
    let (old, new) = (unique_email("old"), unique_email("new"));
    let upsert = |email: &str, version: u64| {
        event(
            "UserUpserted",
            json!({ "user_id": user, "email": email, "first_name": null,
            "last_name": null, "version": version }),
        )
    };
    assert!(run(&mut process, &[upsert(&old, 1)]).await.is_empty());
    assert!(run(&mut process, &[upsert(&new, 2), upsert(&old, 1)])
        .await
        .is_empty());
    let find = |email: String| {
        let store = app.store.clone();
        async move {
            store
                .find_user_id_by_email(&EmailAddress::parse(&email).unwrap())
                .await
                .unwrap()
        }
    };
    assert_eq!(find(old.clone()).await, None);
    assert_eq!(find(new.clone()).await, Some(user));

    // Another user cannot take an email someone still holds: retried, not applied.
    let other = event(
        "UserUpserted",
        json!({ "user_id": UserId::new_random(), "email": new,
        "first_name": null, "last_name": null, "version": 1 }),
    );
    assert_eq!(run(&mut process, &[other]).await, ["m0"]);

    let deleted = event("UserDeleted", json!({ "user_id": user, "version": 3 }));
    assert!(run(&mut process, &[deleted]).await.is_empty());
    assert_eq!(find(new.clone()).await, None);
    assert!(app.store.get_user(user).await.unwrap().is_none());
    // The tombstone keeps a late upsert out; a newer one re-creates.
    assert!(run(&mut process, &[upsert(&new, 2)]).await.is_empty());
    assert!(app.store.get_user(user).await.unwrap().is_none());
    assert!(run(&mut process, &[upsert(&new, 4)]).await.is_empty());
    assert_eq!(find(new).await, Some(user));
    process.stop().await;
}

#[tokio::test]
async fn a_malformed_event_goes_to_the_dlq_with_its_reason_and_the_batch_goes_on() {
    let app = TestApp::spawn().await;
    let (mut process, dlq) = start().await;
    let tenant = TenantId::new_random();
    let group = uuid::Uuid::new_v4();
    let bodies = [
        "not json at all".to_owned(),
        event("TenantUpserted", tenant_detail(tenant, 1, false)),
        event(
            "MembershipUpserted",
            json!({ "tenant_id": tenant, "user_id": UserId::new_random(), "role": "KING", "version": 1 }),
        ),
        event("Unheard", json!({})),
        event(
            "GroupDeleted",
            json!({ "tenant_id": tenant, "group_id": group, "version": 1 }),
        ),
    ];
    assert!(
        run(&mut process, &bodies).await.is_empty(),
        "malformed ones are acknowledged"
    );
    assert!(app.store.get_tenant(tenant).await.unwrap().is_some());

    let received = sqs()
        .await
        .receive_message()
        .queue_url(&dlq)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap();
    let mut reasons: Vec<String> = received
        .messages()
        .iter()
        .map(|m| {
            m.message_attributes().unwrap()["reason"]
                .string_value()
                .unwrap()
                .to_owned()
        })
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("unknown role")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("unknown detail-type")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("not an EventBridge event")),
        "{reasons:?}"
    );
    process.stop().await;
}
