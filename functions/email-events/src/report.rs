//! An SES sending event, as EventBridge delivers it (`detail` is SES's event record), read into
//! what the invite needs: which email of which invite, the delivery it reports, and whether the
//! address must get no more invitations.

use invites_shared::domain::{
    Delivery, DeliveryStatus, EmailAddress, EmailId, InviteId, SuppressionReason, Timestamp,
    EMAIL_ID_TAG, INVITE_ID_TAG,
};
use serde_json::Value;

/// One SES report about one invitation email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub invite: InviteId,
    pub email_id: EmailId,
    pub delivery: Delivery,
    /// The address to stop inviting, and why: a permanent bounce or a complaint.
    pub suppress: Option<(EmailAddress, SuppressionReason)>,
}

/// Why an event is not a report this service acts on (none is worth retrying).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAReport {
    /// Not JSON, or not an SES event record.
    Unreadable,
    /// An event type the invites do not track (opens, clicks, rendering failures…).
    OtherType(String),
    /// Without this service's `invite_id` and `email_id` tags: not one of its invitations.
    Untagged,
}

/// The first value of the message tag `name` (SES sends tags as lists).
fn tag<'a>(mail: &'a Value, name: &str) -> Option<&'a str> {
    mail["tags"][name][0].as_str()
}

fn instant(raw: &Value) -> Option<Timestamp> {
    raw.as_str().and_then(Timestamp::parse)
}

/// `a: b` of the parts present.
fn joined(parts: &[Option<&str>]) -> Option<String> {
    let present: Vec<&str> = parts.iter().flatten().copied().collect();
    (!present.is_empty()).then(|| present.join(": "))
}

/// Reads an EventBridge event (or a bare SES record) of SES.
pub fn read(body: &str) -> Result<Report, NotAReport> {
    let event: Value = serde_json::from_str(body).map_err(|_| NotAReport::Unreadable)?;
    // EventBridge wraps the record in `detail`; SNS and Firehose deliver it bare.
    let record = if event["detail"].is_object() {
        &event["detail"]
    } else {
        &event
    };
    let kind = record["eventType"]
        .as_str()
        .or_else(|| record["notificationType"].as_str())
        .ok_or(NotAReport::Unreadable)?;
    let mail = &record["mail"];
    let uuid = |name| tag(mail, name).and_then(|raw| uuid::Uuid::parse_str(raw).ok());
    let (Some(invite), Some(email_id)) = (uuid(INVITE_ID_TAG), uuid(EMAIL_ID_TAG)) else {
        return Err(NotAReport::Untagged);
    };
    let recipient = mail["destination"][0]
        .as_str()
        .and_then(|raw| EmailAddress::parse(raw).ok());
    let (status, section, detail, suppress) = match kind {
        "Send" => (DeliveryStatus::Sent, "send", None, None),
        "DeliveryDelay" => {
            let delay = &record["deliveryDelay"];
            let diagnostic = delay["delayedRecipients"][0]["diagnosticCode"].as_str();
            let detail = joined(&[delay["delayType"].as_str(), diagnostic]);
            (DeliveryStatus::Delayed, "deliveryDelay", detail, None)
        }
        "Delivery" => {
            let detail = record["delivery"]["smtpResponse"]
                .as_str()
                .map(str::to_owned);
            (DeliveryStatus::Delivered, "delivery", detail, None)
        }
        "Bounce" => {
            let bounce = &record["bounce"];
            let kind = joined(&[
                bounce["bounceType"].as_str(),
                bounce["bounceSubType"].as_str(),
            ])
            .map(|kind| kind.replace(": ", "/"));
            let diagnostic = bounce["bouncedRecipients"][0]["diagnosticCode"].as_str();
            let detail = joined(&[kind.as_deref(), diagnostic]);
            // A transient bounce (a full mailbox) is no reason to stop inviting the address.
            let permanent = bounce["bounceType"] == "Permanent";
            let suppress = permanent.then_some(SuppressionReason::Bounce);
            (DeliveryStatus::Bounced, "bounce", detail, suppress)
        }
        "Complaint" => {
            let feedback = record["complaint"]["complaintFeedbackType"].as_str();
            let detail = Some(feedback.unwrap_or("complaint").to_owned());
            let suppress = Some(SuppressionReason::Complaint);
            (DeliveryStatus::Complained, "complaint", detail, suppress)
        }
        "Reject" => {
            let detail = record["reject"]["reason"].as_str().map(str::to_owned);
            (DeliveryStatus::Rejected, "reject", detail, None)
        }
        other => return Err(NotAReport::OtherType(other.to_owned())),
    };
    let at = instant(&record[section]["timestamp"])
        .or_else(|| instant(&mail["timestamp"]))
        .or_else(|| instant(&event["time"]))
        .ok_or(NotAReport::Unreadable)?;
    Ok(Report {
        invite: invite.into(),
        email_id: email_id.into(),
        delivery: Delivery::new(status, at, detail),
        suppress: suppress.and_then(|reason| Some((recipient?, reason))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "0b6f4f3e-8a4a-4d5e-9a52-4f0c1f7a2b11";
    const EMAIL_ID: &str = "5d0c6f0e-1f1a-4c3b-8d2e-6a7b8c9d0e1f";

    fn sample(name: &str) -> String {
        let path = format!(
            "{}/../../tests/fixtures/ses-events/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path)
            .unwrap()
            .replace("{{EMAIL}}", "ada@example.com")
            .replace("{{MESSAGE_ID}}", "0100-example")
            .replace("{{EMAIL_ID}}", EMAIL_ID)
            .replace("{{INVITE_ID}}", INVITE)
    }

    #[test]
    fn each_documented_sample_is_read() {
        let expected = [
            ("send", DeliveryStatus::Sent, None),
            (
                "delivery-delay",
                DeliveryStatus::Delayed,
                Some("TransientCommunicationFailure"),
            ),
            ("delivery", DeliveryStatus::Delivered, Some("250 2.6.0")),
            (
                "bounce",
                DeliveryStatus::Bounced,
                Some("Permanent/General: smtp; 550 5.1.1"),
            ),
            ("complaint", DeliveryStatus::Complained, Some("abuse")),
            ("reject", DeliveryStatus::Rejected, Some("Bad content")),
        ];
        for (name, status, detail) in expected {
            let report = read(&sample(name)).unwrap();
            assert_eq!(report.invite.to_string(), INVITE);
            assert_eq!(report.email_id.to_string(), EMAIL_ID);
            assert_eq!(report.delivery.status, status, "{name}");
            match detail {
                Some(start) => {
                    let text = report.delivery.detail.unwrap();
                    assert!(text.starts_with(start), "{name}: {text}");
                }
                None => assert_eq!(report.delivery.detail, None, "{name}"),
            }
            let suppressed = matches!(name, "bounce" | "complaint");
            assert_eq!(report.suppress.is_some(), suppressed, "{name}");
        }
        // The bounce's own time, not the send's.
        let bounce = read(&sample("bounce")).unwrap();
        assert_eq!(
            bounce.delivery.at.to_rfc3339(),
            "2017-08-05T00:41:02.669000Z"
        );
    }

    #[test]
    fn a_transient_bounce_does_not_suppress_and_strangers_are_not_reports() {
        let transient = sample("bounce").replace("\"Permanent\"", "\"Transient\"");
        assert_eq!(read(&transient).unwrap().suppress, None);
        let untagged = sample("delivery").replace("\"invite_id\"", "\"other\"");
        assert_eq!(read(&untagged), Err(NotAReport::Untagged));
        let open = sample("delivery").replace("\"Delivery\"", "\"Open\"");
        assert_eq!(read(&open), Err(NotAReport::OtherType("Open".into())));
        assert_eq!(read("not json"), Err(NotAReport::Unreadable));
    }
}
