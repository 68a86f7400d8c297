//! SES's delivery reports on invitations (#17): AWS's documented samples
//! (`tests/fixtures/ses-events/`) as the queue delivers them, through the real `email-events`
//! binary over the Runtime API; then what the API shows, what create refuses, and the
//! `InviteBounced` event the stream carries out through the real `publish-events`.

use std::time::Duration;

use invites_bench::runtime_api::{FunctionProcess, Outcome};
use invites_local::platform;
use invites_shared::domain::EmailId;
use serde_json::{json, Value};

use crate::events::function_binary;
use crate::events_out::{bus_queue, drain, of_tenant, table_stream};
use crate::helpers::*;
use crate::list_status::list_costs_in;

/// An invite the API made and emailed: (id, address, email id).
async fn emailed(app: &TestApp, admin: &Actor, label: &str) -> (String, String, String) {
    let address = unique_email(label);
    let invite = app.invite(admin, &address, "USER").await;
    assert_eq!(invite["delivery"]["status"], "sent", "{invite}");
    let id = invite["id"].as_str().unwrap().to_owned();
    (id, address, invite["email_id"].as_str().unwrap().to_owned())
}

/// The sample `kind` about one email, as a queue message body.
fn report(kind: &str, (invite, address, email_id): &(String, String, String)) -> String {
    let path = repo().join(format!("tests/fixtures/ses-events/{kind}.json"));
    std::fs::read_to_string(path)
        .unwrap()
        .replace("{{EMAIL}}", address)
        .replace("{{MESSAGE_ID}}", &format!("test-{}", uuid::Uuid::new_v4()))
        .replace("{{EMAIL_ID}}", email_id)
        .replace("{{INVITE_ID}}", invite)
}

/// Runs one batch of message bodies through the function; no message may need a retry.
async fn feed(process: &mut FunctionProcess, bodies: &[String]) {
    let records: Vec<Value> = bodies
        .iter()
        .map(|body| json!({ "messageId": uuid::Uuid::new_v4().to_string(), "body": body }))
        .collect();
    let Outcome::Response(answer) = process.invoke(json!({ "Records": records })).await.unwrap()
    else {
        panic!("email-events failed");
    };
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
}

async fn delivery_of(app: &TestApp, admin: &Actor, invite: &str) -> Value {
    let page = app.list_ok(&admin.token, "limit=100").await;
    let items = page["items"].as_array().unwrap();
    let item = items.iter().find(|item| item["id"] == invite).unwrap();
    item["delivery"].clone()
}

#[tokio::test]
async fn delivery_reports_only_move_forward_and_bounces_stop_further_invitations() {
    let app = TestApp::spawn().await;
    let clients = platform::Clients::from_env().await;
    let bus = bus_queue(&clients).await;
    let mut stream = table_stream().await;
    let admin = app.tenant_admin().await;
    let delivered = emailed(&app, &admin, "delivered").await;
    let bounced = emailed(&app, &admin, "bounced").await;
    let complained = emailed(&app, &admin, "complained").await;
    let mut env = binary_env();
    env.insert("EMAIL_SUPPRESSION_DAYS".into(), "30".into());
    let binary = function_binary("email-events");
    let mut process = FunctionProcess::start(&binary, &env, None).await.unwrap();

    // Sent, then delivered; a late delay and the delivery again change nothing.
    let sends = [report("send", &delivered), report("delivery", &delivered)];
    feed(&mut process, &sends).await;
    let first = delivery_of(&app, &admin, &delivered.0).await;
    assert_eq!(first["status"], "delivered", "{first}");
    assert_eq!(first["detail"], "250 2.6.0 Message received");
    assert_eq!(first["at"], "2016-10-19T23:21:04.133000Z");
    let late = [
        report("delivery-delay", &delivered),
        report("delivery", &delivered),
    ];
    feed(&mut process, &late).await;
    assert_eq!(delivery_of(&app, &admin, &delivered.0).await, first);

    // A permanent bounce (reported twice: the repeat extends nothing); the delivery SES
    // reports after it changes nothing.
    feed(&mut process, &[report("bounce", &bounced)]).await;
    feed(&mut process, &[report("bounce", &bounced)]).await;
    feed(&mut process, &[report("delivery", &bounced)]).await;
    let bounce = delivery_of(&app, &admin, &bounced.0).await;
    assert_eq!(bounce["status"], "bounced", "{bounce}");
    let detail = bounce["detail"].as_str().unwrap();
    assert_eq!(detail, "Permanent/General: smtp; 550 5.1.1 user unknown");

    // A complaint after the delivery.
    let complaint = [
        report("delivery", &complained),
        report("complaint", &complained),
    ];
    feed(&mut process, &complaint).await;
    let complaint = delivery_of(&app, &admin, &complained.0).await;
    assert_eq!(complaint["status"], "complained", "{complaint}");

    // Not ours, or not about an invite that exists: no-ops, and nothing to retry.
    let stranger = (
        uuid::Uuid::new_v4().to_string(),
        unique_email("stranger"),
        uuid::Uuid::new_v4().to_string(),
    );
    // Untagged, about the delivered invite: acting on it would make that one bounced.
    let untagged = report("bounce", &delivered).replace("\"invite_id\"", "\"other_tag\"");
    feed(
        &mut process,
        &[report("bounce", &stranger), untagged, "{".into()],
    )
    .await;
    // A report of an earlier email of the invite: the latest one's status stays.
    let earlier = (
        delivered.0.clone(),
        delivered.1.clone(),
        EmailId::new_random().to_string(),
    );
    feed(&mut process, &[report("reject", &earlier)]).await;
    assert_eq!(delivery_of(&app, &admin, &delivered.0).await, first);
    process.stop().await;

    // The list of invites that need attention, and its complement.
    let attention = app.list_ok(&admin.token, "delivery=bounced").await;
    assert_eq!(attention["total"], 1, "{attention}");
    assert_eq!(attention["items"][0]["id"], bounced.0.as_str());
    let fine = app.list_ok(&admin.token, "delivery=delivered").await;
    assert_eq!(fine["total"], 1, "{fine}");
    assert_eq!(fine["items"][0]["id"], delivered.0.as_str());
    let sorted = app
        .list_ok(
            &admin.token,
            "delivery=bounced&sort_by=expires_at&status=pending",
        )
        .await;
    assert_eq!(sorted["total"], 1, "{sorted}");
    let bad = app.list(&admin.token, "delivery=lost").await;
    assert_eq!(bad.status(), 422);
    // It is its own index partition: with a cap of 2 invites examined, the tenant's 3 are too
    // many for a filter, while the one bounced invite is read alone.
    let mut capped = binary_env();
    capped.insert("LIST_MAX_EXAMINED".into(), "2".into());
    let queries = [
        vec![("delivery", "bounced".to_owned())],
        vec![("email", "bounced".to_owned())],
    ];
    let answers = list_costs_in(&capped, &admin.token, &queries).await;
    assert_eq!(answers[0].0["statusCode"], 200, "{}", answers[0].0);
    assert_eq!(answers[0].0["total"], 1);
    assert_eq!(answers[1].0["statusCode"], 422, "{}", answers[1].0);

    // The bounced and the complaining addresses get no invitation, from any tenant; only the
    // tenant whose invitation it was learns why.
    for (address, why) in [
        (&bounced.1, "bounced permanently"),
        (&complained.1, "marked an invitation as spam"),
    ] {
        let other = app.tenant_admin().await;
        for (inviter, own) in [(&admin, true), (&other, false)] {
            let body = json!({ "tenant_id": inviter.tenant, "email": address, "role": "USER" });
            let refused = app.post_invite(&inviter.token, body).await;
            assert_eq!(refused.status(), 422);
            let refused: Value = refused.json().await.unwrap();
            let issue = &refused["detail"][0];
            assert_eq!(issue["loc"], json!(["body", "email"]), "{refused}");
            let msg = issue["msg"].as_str().unwrap();
            assert_eq!(msg.contains(why), own, "{msg}");
            assert!(
                msg.contains("no invitation email goes to it until"),
                "{msg}"
            );
        }
        assert_eq!(
            app.emails_to(address).await.len(),
            1,
            "only the first email"
        );
    }
    // The strangers' reports suppressed nothing.
    let stranger_invite = json!({ "tenant_id": admin.tenant, "email": stranger.1, "role": "USER" });
    assert_eq!(
        app.post_invite(&admin.token, stranger_invite)
            .await
            .status(),
        201
    );
    // The delivered address is not suppressed: a re-invite goes through.
    let again = json!({ "tenant_id": admin.tenant, "email": delivered.1, "role": "USER" });
    assert_eq!(app.post_invite(&admin.token, again).await.status(), 201);

    // The invitation page's preview says it too.
    let preview: Value = app.preview(&bounced.0).await.json().await.unwrap();
    assert_eq!(preview["delivery_status"], "bounced", "{preview}");

    // Out on the bus: one InviteBounced, for the bounced invite.
    let mut records = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !records
        .iter()
        .any(|r: &Value| r["dynamodb"]["NewImage"]["delivery_status"]["S"] == "complained")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the complaint never reached the stream"
        );
        records.extend(stream.read().await.unwrap());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let records = of_tenant(records, &admin.tenant.to_string());
    let mut env = binary_env();
    env.insert("EVENT_BUS_NAME".into(), "default".into());
    let mut publisher = FunctionProcess::start(&function_binary("publish-events"), &env, None)
        .await
        .unwrap();
    let Outcome::Response(answer) = publisher
        .invoke(json!({ "Records": records }))
        .await
        .unwrap()
    else {
        panic!("publish-events failed");
    };
    assert_eq!(answer["batchItemFailures"], json!([]));
    publisher.stop().await;
    let bounces: Vec<Value> = drain(&clients, &bus)
        .await
        .into_iter()
        .filter(|event| event["detail-type"] == "InviteBounced")
        .collect();
    assert_eq!(bounces.len(), 1, "{bounces:?}");
    assert_eq!(bounces[0]["detail"]["invite_id"], bounced.0.as_str());
    assert_eq!(bounces[0]["detail"]["email_id"], bounced.2.as_str());
    assert!(bounces[0]["detail"]["bounce"]
        .as_str()
        .unwrap()
        .contains("550 5.1.1"));
}

/// A new email starts its delivery over: what SES said of the previous one no longer applies
/// to the invite, and reports about that one are stale.
#[tokio::test]
async fn a_new_email_resets_the_delivery() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let first = emailed(&app, &admin, "resent").await;
    let mut process = FunctionProcess::start(&function_binary("email-events"), &binary_env(), None)
        .await
        .unwrap();
    feed(&mut process, &[report("delivery-delay", &first)]).await;
    assert_eq!(
        delivery_of(&app, &admin, &first.0).await["status"],
        "delayed"
    );
    let invite_id = uuid::Uuid::parse_str(&first.0).unwrap().into();
    let invite = app.store.get_invite(invite_id).await.unwrap().unwrap();
    let resent = EmailId::new_random();
    let now = app.clock.now();
    assert!(app
        .store
        .record_email_sent(&invite, resent, now)
        .await
        .unwrap());
    let fresh = delivery_of(&app, &admin, &first.0).await;
    assert_eq!(fresh["status"], "sent", "{fresh}");
    assert_eq!(fresh["detail"], Value::Null);
    // The old email's bounce arrives late: the new email's delivery stays, and the address,
    // which may work now, is not suppressed.
    feed(&mut process, &[report("bounce", &first)]).await;
    assert_eq!(delivery_of(&app, &admin, &first.0).await, fresh);
    let again = json!({ "tenant_id": admin.tenant, "email": first.1, "role": "USER" });
    assert_eq!(app.post_invite(&admin.token, again).await.status(), 201);
    let second = (first.0.clone(), first.1.clone(), resent.to_string());
    feed(&mut process, &[report("delivery", &second)]).await;
    process.stop().await;
    assert_eq!(
        delivery_of(&app, &admin, &first.0).await["status"],
        "delivered"
    );
}
