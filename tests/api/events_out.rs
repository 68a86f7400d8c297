//! Invite events out: the table's stream (DynamoDB Local) → the real `publish-events` binary
//! over the Runtime API → EventBridge (moto) → a rule → a queue the test reads. Exactly the
//! committed writes, each once, with ids that stay the same when a batch is retried.

use std::time::Duration;

use invites_bench::runtime_api::{FunctionProcess, Outcome};
use invites_local::platform;
use invites_shared::domain::Role;
use serde_json::{json, Value};

use crate::events::function_binary;
use crate::helpers::*;

/// A reader of the test table's stream, from now on.
pub async fn table_stream() -> invites_local::stream::StreamReader {
    let dynamodb = invites_local::app::Clients::from_env().await.dynamodb;
    let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
    invites_local::stream::StreamReader::open(
        &dynamodb,
        aws_sdk_dynamodbstreams::Client::new(&sdk),
        table_name(),
        false,
    )
    .await
    .unwrap()
}

/// A queue receiving what the rule sends for source `invites.api` on the default bus.
pub async fn bus_queue(clients: &platform::Clients) -> String {
    let name = format!("invite-events-{}", uuid::Uuid::new_v4().simple());
    let url = clients
        .sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = format!("arn:aws:sqs:us-east-1:123456789012:{name}");
    clients
        .events
        .put_rule()
        .name(&name)
        .event_pattern(json!({ "source": ["invites.api"] }).to_string())
        .send()
        .await
        .unwrap();
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id("q")
        .arn(arn)
        .build()
        .unwrap();
    clients
        .events
        .put_targets()
        .rule(&name)
        .targets(target)
        .send()
        .await
        .unwrap();
    url
}

/// The stream records of `tenant`'s items: other tests write to the same table at the same
/// time, and publishing their records here would duplicate their events on the bus.
pub fn of_tenant(records: Vec<Value>, tenant: &str) -> Vec<Value> {
    records
        .into_iter()
        .filter(|r| {
            let image = |name: &str| r["dynamodb"][name]["tenant_id"]["S"] == tenant;
            image("NewImage") || image("OldImage")
        })
        .collect()
}

pub async fn drain(clients: &platform::Clients, url: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if received.messages().is_empty() {
            return events;
        }
        for message in received.messages() {
            events.push(serde_json::from_str(message.body().unwrap()).unwrap());
            let handle = message.receipt_handle().unwrap();
            clients
                .sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(handle)
                .send()
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn each_committed_invite_change_is_published_once() {
    let app = TestApp::spawn().await;
    let clients = platform::Clients::from_env().await;
    let queue = bus_queue(&clients).await;
    let mut stream = table_stream().await;

    let admin = app.tenant_admin().await;
    let group = app.group(admin.tenant).await;
    let invitee = app.user("published").await;
    let kept = app.invite(&admin, invitee.email.as_str(), "USER").await;
    let kept_id = kept["id"].as_str().unwrap().to_owned();
    app.invite(&admin, invitee.email.as_str(), "ADMIN").await; // refreshed
    let patch = app
        .patch(&admin.token, &kept_id, json!({ "groups": [group] }))
        .await;
    assert_eq!(patch.status(), 200);
    let actor = app.actor(invitee.clone(), admin.tenant);
    // Racing accepts: one commits, so one InviteAccepted.
    let accepts = (0..6).map(|_| app.accept(&actor.token, &kept_id));
    for response in futures::future::join_all(accepts).await {
        assert_eq!(response.status(), 200);
    }
    let gone = app.invite(&admin, &unique_email("gone"), "USER").await;
    let gone_id = gone["id"].as_str().unwrap().to_owned();
    assert_eq!(app.delete(&admin.token, &gone_id).await.status(), 204);
    let refused = app.member(admin.tenant, Role::User).await; // a 403 writes nothing
    assert_eq!(
        app.post_invite(
            &refused.token,
            json!({ "tenant_id": admin.tenant, "email": unique_email("no") })
        )
        .await
        .status(),
        403
    );

    // Read until the last write (the delete) is on the stream.
    let mut records = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !records.iter().any(|r: &Value| {
        r["eventName"] == "REMOVE"
            && r["dynamodb"]["Keys"]["pk"]["S"] == format!("INVITE#{gone_id}")
    }) {
        assert!(
            std::time::Instant::now() < deadline,
            "the delete never reached the stream"
        );
        records.extend(stream.read().await.unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let records = of_tenant(records, &admin.tenant.to_string());
    let mut env = binary_env();
    env.insert("EVENT_BUS_NAME".into(), "default".into());
    env.insert("RUST_LOG".into(), "warn".into());
    let mut process = FunctionProcess::start(&function_binary("publish-events"), &env, None)
        .await
        .unwrap();
    // The same batch twice, as Lambda retries: consumers see the same event ids again.
    for _ in 0..2 {
        let Outcome::Response(answer) =
            process.invoke(json!({ "Records": records })).await.unwrap()
        else {
            panic!("publish-events failed");
        };
        assert_eq!(answer["batchItemFailures"], json!([]));
    }
    process.stop().await;

    let events = drain(&clients, &queue).await;
    // The refused create published nothing: this tenant's events are the two invites'.
    let tenant = admin.tenant.to_string();
    for event in events
        .iter()
        .filter(|e| e["detail"]["tenant_id"] == tenant.as_str())
    {
        let invite = event["detail"]["invite_id"].as_str().unwrap();
        assert!(invite == kept_id || invite == gone_id, "{event}");
    }
    let of = |invite: &str| -> Vec<(String, String)> {
        events
            .iter()
            .filter(|e| e["detail"]["invite_id"] == invite)
            .map(|e| {
                (
                    e["detail-type"].as_str().unwrap().to_owned(),
                    e["detail"]["event_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let kept_events = of(&kept_id);
    let kinds: Vec<&str> = kept_events.iter().map(|(k, _)| k.as_str()).collect();
    let once = [
        "InviteCreated",
        "InviteRefreshed",
        "InviteUpdated",
        "InviteAccepted",
    ];
    assert_eq!(kinds, [once, once].concat(), "{kept_events:?}");
    assert_eq!(
        kept_events[..4],
        kept_events[4..],
        "retried events keep their ids"
    );
    let gone_kinds: Vec<String> = of(&gone_id).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        gone_kinds,
        [
            "InviteCreated",
            "InviteDeleted",
            "InviteCreated",
            "InviteDeleted"
        ]
    );

    let accepted = events
        .iter()
        .find(|e| {
            e["detail-type"] == "InviteAccepted" && e["detail"]["invite_id"] == kept_id.as_str()
        })
        .unwrap();
    assert_eq!(accepted["source"], "invites.api");
    assert_eq!(
        accepted["detail"]["membership"],
        json!({ "tenant_id": admin.tenant, "user_id": invitee.id, "role": "ADMIN", "groups_joined": [group] })
    );
    let text = serde_json::to_string(&events).unwrap();
    assert!(
        !text.contains(&admin.token) && !text.contains("email_claimed_at"),
        "no token or claim"
    );
}
