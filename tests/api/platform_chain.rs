//! The template's directory chain on the emulator: the platform publishes (EventBridge
//! PutEvents), the rule delivers to the queue, `directory-sync`'s handler applies — then the
//! API decides with it. What `./scripts/run-local` runs.

use std::time::{Duration, Instant};

use invites_local::platform;
use invites_shared::domain::{Role, TenantId, UserId};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_published_membership_reaches_the_api_through_the_queue() {
    let app = TestApp::spawn().await;
    let clients = platform::Clients::from_env().await;
    let name = format!("directory-{}", uuid::Uuid::new_v4().simple());
    let queues = platform::setup(&clients, &name).await.unwrap();
    let env = test_config();
    let settings = directory_sync::Settings {
        common: invites_shared::config::CommonSettings::read_unauthenticated(&env.env()).unwrap(),
        dlq_url: Some(queues.dlq_url.clone()),
    };
    let dynamodb = invites_local::app::Clients::from_env().await.dynamodb;
    let sync =
        directory_sync::DirectorySync::new(settings, dynamodb, clients.sqs.clone(), app.clock);
    let poller = tokio::spawn(platform::poll(
        clients.sqs.clone(),
        queues.queue_url.clone(),
        sync,
    ));

    let (tenant, admin) = (TenantId::new_random(), UserId::new_random());
    let email = unique_email("published");
    let events = [
        json!({ "detail-type": "TenantUpserted", "detail": { "tenant_id": tenant, "name": "Published",
            "idp_config": null, "deactivated": false, "version": 1,
            "settings": { "can_invite": true, "seat_cap": null,
                          "invite_link": { "enabled": false, "role": "USER", "groups": [] } } } }),
        json!({ "detail-type": "UserUpserted", "detail": { "user_id": admin, "email": email,
            "first_name": "Pat", "last_name": null, "version": 1 } }),
        json!({ "detail-type": "MembershipUpserted", "detail": { "tenant_id": tenant,
            "user_id": admin, "role": "ADMIN", "version": 1 } }),
        json!({ "detail-type": "Bogus", "detail": {} }),
    ];
    let ids = platform::publish(&clients, &events).await.unwrap();
    assert_eq!(ids.len(), 4);

    // The membership may be retried once if it ran before its tenant: allow for redelivery.
    // A batch is applied side by side, so the user may land after the membership: wait for both.
    let deadline = Instant::now() + Duration::from_secs(45);
    let user = loop {
        let role = app.membership_role(tenant, admin).await;
        if let (Some(role), Some(user)) = (role, app.store.get_user(admin).await.unwrap()) {
            assert_eq!(role, Role::Admin);
            break user;
        }
        assert!(
            Instant::now() < deadline,
            "the membership or its user never arrived"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let actor = app.actor(user, tenant);
    let response = app
        .post_invite(
            &actor.token,
            json!({ "tenant_id": tenant, "email": unique_email("guest") }),
        )
        .await;
    assert_eq!(response.status(), 201);

    // The malformed one is in the DLQ with its reason.
    let received = clients
        .sqs
        .receive_message()
        .queue_url(&queues.dlq_url)
        .message_attribute_names("All")
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let reasons: Vec<_> = received
        .messages()
        .iter()
        .filter_map(|m| {
            m.message_attributes()?
                .get("reason")?
                .string_value()
                .map(str::to_owned)
        })
        .collect();
    assert!(reasons.iter().any(|r| r.contains("Bogus")), "{reasons:?}");
    poller.abort();
}
