//! `invites-local ses-event KIND --invite ID`: what SES would report about an invite's latest
//! email (AWS's documented sample of KIND, from `tests/fixtures/ses-events/`), delivered as the
//! EventBridge rule's queue delivers it, through email-events' own code. Locally SES (the
//! emulator) publishes no events; this is how a bounce or a delivery shows up in the list.

use invites_shared::domain::{Clock, InviteId, Timestamp};
use invites_shared::store::Store;
use serde_json::{json, Value};

/// The documented samples, by the name the command takes.
pub const SAMPLES: [(&str, &str); 6] = [
    (
        "send",
        include_str!("../../tests/fixtures/ses-events/send.json"),
    ),
    (
        "delivery-delay",
        include_str!("../../tests/fixtures/ses-events/delivery-delay.json"),
    ),
    (
        "delivery",
        include_str!("../../tests/fixtures/ses-events/delivery.json"),
    ),
    (
        "bounce",
        include_str!("../../tests/fixtures/ses-events/bounce.json"),
    ),
    (
        "complaint",
        include_str!("../../tests/fixtures/ses-events/complaint.json"),
    ),
    (
        "reject",
        include_str!("../../tests/fixtures/ses-events/reject.json"),
    ),
];

/// The sample `kind` about `invite`'s latest email, as an SQS batch of one message.
pub async fn batch_for(store: &Store, kind: &str, invite: InviteId) -> Result<Value, crate::Error> {
    let sample = SAMPLES
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, text)| *text)
        .ok_or_else(|| {
            let names: Vec<_> = SAMPLES.iter().map(|(name, _)| *name).collect();
            format!("no sample {kind:?}: one of {}", names.join(", "))
        })?;
    let found = store.get_invite(invite).await?;
    let found = found.ok_or_else(|| format!("no invite {invite}"))?;
    let email_id = found.email_id.ok_or(
        "this invite has no invitation email (its tenant has its own identity provider, or SES \
         never accepted one), so SES has nothing to report",
    )?;
    let body = sample
        .replace("{{EMAIL}}", found.email.as_str())
        .replace("{{MESSAGE_ID}}", &format!("local-{}", uuid::Uuid::new_v4()))
        .replace("{{EMAIL_ID}}", &email_id.to_string())
        .replace("{{INVITE_ID}}", &invite.to_string());
    // As SES would report it now, not on the documentation's sample dates.
    let mut event: Value = serde_json::from_str(&body)?;
    dated(&mut event, &Clock::system().now().to_rfc3339());
    let body = event.to_string();
    Ok(json!({ "Records": [{ "messageId": uuid::Uuid::new_v4().to_string(), "body": body }] }))
}

/// Every instant in `value` set to `now`.
fn dated(value: &mut Value, now: &str) {
    match value {
        Value::String(text) if Timestamp::parse(text).is_some() => *text = now.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|item| dated(item, now)),
        Value::Object(fields) => fields.values_mut().for_each(|field| dated(field, now)),
        _ => {}
    }
}
