//! Directory deletes and revocations through `directory-sync`, and the backfill import.

use invites_shared::domain::{Role, TenantId, UserId};
use serde_json::json;

use crate::directory_sync::{event, run, sqs, start, tenant_detail};
use crate::helpers::*;

#[tokio::test]
async fn tenant_and_group_deletes_and_key_revocations_arrive_by_version() {
    let app = TestApp::spawn().await;
    let (mut process, _) = start().await;
    let admin = app.tenant_admin().await;
    let tenant = admin.tenant;
    let invite = app
        .invite(&admin, &unique_email("before-delete"), "USER")
        .await;
    let group = app.group(tenant).await;

    let key = app.api_key(admin.user.id, None).await;
    let revoke = event(
        "ApiKeyUpserted",
        json!({ "key_id": uuid::Uuid::new_v4(), "user_id": admin.user.id,
        "key_sha256": invites_shared::auth::api_key_digest(&key), "expires_at": null,
        "revoked": true, "version": 2 }),
    );
    let group_gone = event(
        "GroupDeleted",
        json!({ "tenant_id": tenant, "group_id": group, "version": 1 }),
    );
    let tenant_gone = event(
        "TenantDeleted",
        json!({ "tenant_id": tenant, "version": 7 }),
    );
    assert!(run(&mut process, &[revoke, group_gone, tenant_gone])
        .await
        .is_empty());

    assert_eq!(
        app.list(&key, &format!("tenant_id={tenant}"))
            .await
            .status(),
        401
    );
    assert!(app
        .store
        .existing_groups(
            tenant,
            &invites_shared::domain::GroupIds::new([group]).unwrap()
        )
        .await
        .unwrap()
        .is_empty());
    let (_, preview) = status_and_body(app.preview(invite["id"].as_str().unwrap()).await).await;
    assert_eq!(preview["state"], "tenant_unavailable");
    let (status, _) = error_of(
        app.post_invite(
            &admin.token,
            json!({ "tenant_id": tenant, "email": unique_email("z") }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    // A late upsert stays out; a newer one brings the tenant back with its invite counters.
    assert!(run(
        &mut process,
        &[event("TenantUpserted", tenant_detail(tenant, 6, false))]
    )
    .await
    .is_empty());
    assert!(app.store.get_tenant(tenant).await.unwrap().is_none());
    assert!(run(
        &mut process,
        &[event("TenantUpserted", tenant_detail(tenant, 8, false))]
    )
    .await
    .is_empty());
    assert_eq!(app.list_ok(&admin.token, "").await["total"], 1);
    process.stop().await;
}

#[tokio::test]
async fn the_backfill_file_imports_through_the_same_code() {
    let app = TestApp::spawn().await;
    let env = test_config();
    let settings =
        <directory_sync::Settings as invites_shared::config::FunctionSettings>::read(&env.env())
            .unwrap();
    let clients = invites_local::app::Clients::from_env().await;
    let sync =
        directory_sync::DirectorySync::new(settings, clients.dynamodb, sqs().await, app.clock);
    let file = repo().join("docs/examples/directory.ndjson");
    let summary = invites_local::import::import(&sync, &file).await.unwrap();
    assert_eq!(summary["events"], 6, "{summary}");
    assert_eq!(summary["failed"], json!([]), "{summary}");
    // Again: every event is now a duplicate.
    let again = invites_local::import::import(&sync, &file).await.unwrap();
    assert_eq!(
        (again["applied"].clone(), again["unchanged"].clone()),
        (json!(0), json!(6))
    );
    let tenant: TenantId = uuid::uuid!("11111111-1111-4111-8111-111111111111").into();
    let ada: UserId = uuid::uuid!("33333333-3333-4333-8333-333333333333").into();
    assert_eq!(app.membership_role(tenant, ada).await, Some(Role::Admin));
    assert_eq!(
        app.store
            .get_tenant(tenant)
            .await
            .unwrap()
            .unwrap()
            .member_count,
        2
    );
}

#[tokio::test]
async fn a_delete_racing_an_older_upsert_in_one_batch_always_wins() {
    let app = TestApp::spawn().await;
    let (mut process, _) = start().await;
    let tenant = app.tenant().await.id;
    for _ in 0..8 {
        let user = UserId::new_random();
        let email = unique_email("raced");
        let batch = [
            event(
                "UserUpserted",
                json!({ "user_id": user, "email": email, "first_name": null,
                "last_name": null, "version": 1 }),
            ),
            event("UserDeleted", json!({ "user_id": user, "version": 2 })),
            event(
                "MembershipUpserted",
                json!({ "tenant_id": tenant, "user_id": user, "role": "USER", "version": 1 }),
            ),
            event(
                "MembershipRemoved",
                json!({ "tenant_id": tenant, "user_id": user, "version": 2 }),
            ),
        ];
        // Retried as SQS would until nothing fails.
        let mut bodies = batch.to_vec();
        let mut failed = Vec::new();
        for _ in 0..5 {
            failed = run(&mut process, &bodies).await;
            if failed.is_empty() {
                break;
            }
            bodies = failed
                .iter()
                .map(|id| bodies[id[1..].parse::<usize>().unwrap()].clone())
                .collect();
        }
        assert!(failed.is_empty(), "messages still failing: {failed:?}");
        assert!(
            app.store.get_user(user).await.unwrap().is_none(),
            "the deleted user came back"
        );
        let slot = app
            .store
            .find_user_id_by_email(&invites_shared::domain::EmailAddress::parse(&email).unwrap())
            .await
            .unwrap();
        assert_eq!(slot, None, "the deleted user's email is still taken");
        assert_eq!(
            app.membership_role(tenant, user).await,
            None,
            "the removed member came back"
        );
    }
    assert_eq!(
        app.store
            .get_tenant(tenant)
            .await
            .unwrap()
            .unwrap()
            .member_count,
        0
    );
    process.stop().await;
}
