//! From a stream record of the table to the invite events it means. Only invite items count;
//! email bookkeeping (a record whose `updated_at` did not move) means nothing.

use invites_shared::domain::DeliveryStatus;
use invites_shared::store::keys;
use serde_json::{json, Map, Value};

/// One event to publish: its detail-type and detail (whose `event_id` consumers dedupe on).
#[derive(Debug, Clone, PartialEq)]
pub struct InviteEvent {
    pub detail_type: &'static str,
    pub detail: Value,
}

/// A string attribute of an image in DynamoDB JSON (`{"S": "…"}`).
fn string<'a>(image: &'a Value, name: &str) -> Option<&'a str> {
    image.get(name)?.get("S")?.as_str()
}

/// A list of strings (`{"L": [{"S": "…"}, …]}`); absent is empty.
fn strings(image: &Value, name: &str) -> Vec<String> {
    image
        .get(name)
        .and_then(|value| value.get("L"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.get("S")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn is_invite(image: &Value) -> bool {
    string(image, "entity") == Some("invite")
}

/// What every invite event carries: ids and state, never a token, a secret or an email claim.
fn base(image: &Value, event_id: String) -> Map<String, Value> {
    let mut detail = Map::new();
    detail.insert("event_id".into(), json!(event_id));
    for field in [
        "id",
        "tenant_id",
        "email",
        "role",
        "expires_at",
        "invited_by_user_id",
    ] {
        if let Some(value) = string(image, field) {
            let key = if field == "id" { "invite_id" } else { field };
            detail.insert(key.into(), json!(value));
        }
    }
    detail.insert("groups".into(), json!(strings(image, "groups")));
    detail
}

fn created(image: &Value, event_id: &str) -> InviteEvent {
    let mut detail = base(image, format!("{event_id}:created"));
    detail.insert("at".into(), json!(string(image, "created_at")));
    InviteEvent {
        detail_type: "InviteCreated",
        detail: Value::Object(detail),
    }
}

/// The membership the accept made: tenant, user, role, and the groups joined (the invite's
/// groups but those skipped because they were gone).
fn accepted(image: &Value, event_id: &str) -> InviteEvent {
    let mut detail = base(image, format!("{event_id}:accepted"));
    let skipped = strings(image, "skipped_groups");
    let joined: Vec<String> = strings(image, "groups")
        .into_iter()
        .filter(|group| !skipped.contains(group))
        .collect();
    detail.insert("at".into(), json!(string(image, "accepted_at")));
    detail.insert(
        "membership".into(),
        json!({
            "tenant_id": string(image, "tenant_id"),
            "user_id": string(image, "accepted_by_user_id"),
            "role": string(image, "role"),
            "groups_joined": joined,
        }),
    );
    InviteEvent {
        detail_type: "InviteAccepted",
        detail: Value::Object(detail),
    }
}

/// The events of one stream record (`eventID`, `eventName`, images in DynamoDB JSON).
pub fn events_of(record: &Value) -> Vec<InviteEvent> {
    let event_id = record["eventID"].as_str().unwrap_or_default();
    let change = &record["dynamodb"];
    let (old, new) = (&change["OldImage"], &change["NewImage"]);
    match record["eventName"].as_str() {
        Some("INSERT") if is_invite(new) => {
            // An external-IdP direct add writes the invite already accepted.
            let mut events = vec![created(new, event_id)];
            if string(new, "accepted_at").is_some() {
                events.push(accepted(new, event_id));
            }
            events
        }
        Some("MODIFY") if is_invite(new) => {
            if string(old, "accepted_at").is_none() && string(new, "accepted_at").is_some() {
                return vec![accepted(new, event_id)];
            }
            // The expiry sweep's mark: the only write that sets `change = expired`.
            let expired = Some(keys::EXPIRED_CHANGE);
            if string(new, keys::CHANGE) == expired && string(old, keys::CHANGE) != expired {
                let mut detail = base(new, format!("{event_id}:expired"));
                detail.insert("at".into(), json!(string(new, "expires_at")));
                return vec![InviteEvent {
                    detail_type: "InviteExpired",
                    detail: Value::Object(detail),
                }];
            }
            // SES reported a bounce of the invite's latest email (email-events).
            let bounced = Some(DeliveryStatus::Bounced.as_str());
            let status = keys::DELIVERY_STATUS;
            if string(new, status) == bounced && string(old, status) != bounced {
                let mut detail = base(new, format!("{event_id}:bounced"));
                detail.insert("at".into(), json!(string(new, keys::DELIVERY_AT)));
                detail.insert("email_id".into(), json!(string(new, "email_id")));
                detail.insert("bounce".into(), json!(string(new, keys::DELIVERY_DETAIL)));
                return vec![InviteEvent {
                    detail_type: "InviteBounced",
                    detail: Value::Object(detail),
                }];
            }
            if string(old, "updated_at") == string(new, "updated_at") {
                return Vec::new();
            }
            // A re-invite (create) or an admin's update (PATCH): each write says which.
            let detail_type = match string(new, keys::CHANGE) {
                Some(keys::UPDATED_CHANGE) => "InviteUpdated",
                _ => "InviteRefreshed",
            };
            let mut detail = base(new, format!("{event_id}:changed"));
            detail.insert("at".into(), json!(string(new, "updated_at")));
            vec![InviteEvent {
                detail_type,
                detail: Value::Object(detail),
            }]
        }
        Some("REMOVE") if is_invite(old) => {
            let mut detail = base(old, format!("{event_id}:deleted"));
            detail.insert(
                "at".into(),
                json!(record["dynamodb"]["ApproximateCreationDateTime"]),
            );
            // DynamoDB's TTL removing an invite past its retention, or a caller's delete.
            let by_ttl = record["userIdentity"]["type"] == "Service"
                && record["userIdentity"]["principalId"] == "dynamodb.amazonaws.com";
            let reason = if by_ttl { "retention" } else { "deleted" };
            detail.insert("reason".into(), json!(reason));
            vec![InviteEvent {
                detail_type: "InviteDeleted",
                detail: Value::Object(detail),
            }]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(pairs: &[(&str, &str)]) -> Value {
        let mut map = Map::new();
        map.insert("entity".into(), json!({ "S": "invite" }));
        for (k, v) in pairs {
            map.insert((*k).into(), json!({ "S": v }));
        }
        Value::Object(map)
    }

    #[test]
    fn each_change_means_its_event() {
        let pending = image(&[("id", "i"), ("tenant_id", "t"), ("updated_at", "1")]);
        let insert =
            json!({ "eventID": "e1", "eventName": "INSERT", "dynamodb": { "NewImage": pending } });
        assert_eq!(events_of(&insert)[0].detail_type, "InviteCreated");
        let accepted = image(&[
            ("id", "i"),
            ("tenant_id", "t"),
            ("updated_at", "2"),
            ("accepted_at", "2"),
            ("accepted_by_user_id", "u"),
        ]);
        let accept = json!({ "eventID": "e2", "eventName": "MODIFY", "dynamodb": { "OldImage": pending, "NewImage": accepted } });
        let events = events_of(&accept);
        assert_eq!(events[0].detail_type, "InviteAccepted");
        assert_eq!(events[0].detail["membership"]["user_id"], "u");
        // Recording an email id moves nothing a consumer cares for.
        let mut bookkeeping = pending.clone();
        bookkeeping["email_id"] = json!({ "S": "m" });
        let record = json!({ "eventID": "e3", "eventName": "MODIFY", "dynamodb": { "OldImage": pending, "NewImage": bookkeeping } });
        assert!(events_of(&record).is_empty());
        let mut updated = image(&[
            ("id", "i"),
            ("tenant_id", "t"),
            ("updated_at", "3"),
            ("change", "updated"),
        ]);
        updated["groups"] = json!({ "L": [{ "S": "g" }] });
        let record = json!({ "eventID": "e4", "eventName": "MODIFY", "dynamodb": { "OldImage": pending, "NewImage": updated } });
        assert_eq!(events_of(&record)[0].detail_type, "InviteUpdated");
        assert_eq!(events_of(&record)[0].detail["groups"], json!(["g"]));
        let remove =
            json!({ "eventID": "e5", "eventName": "REMOVE", "dynamodb": { "OldImage": pending } });
        assert_eq!(events_of(&remove)[0].detail_type, "InviteDeleted");
        assert_eq!(events_of(&remove)[0].detail["reason"], "deleted");
        let by_ttl = json!({ "eventID": "e7", "eventName": "REMOVE", "dynamodb": { "OldImage": pending },
            "userIdentity": { "type": "Service", "principalId": "dynamodb.amazonaws.com" } });
        assert_eq!(events_of(&by_ttl)[0].detail["reason"], "retention");
        // The sweep's mark is the expiry; the same mark seen again is not.
        let expired = image(&[
            ("id", "i"),
            ("tenant_id", "t"),
            ("updated_at", "1"),
            ("change", "expired"),
        ]);
        let record = json!({ "eventID": "e8", "eventName": "MODIFY", "dynamodb": { "OldImage": pending, "NewImage": expired } });
        assert_eq!(events_of(&record)[0].detail_type, "InviteExpired");
        assert_eq!(events_of(&record)[0].detail["event_id"], "e8:expired");
        let record = json!({ "eventID": "e9", "eventName": "MODIFY", "dynamodb": { "OldImage": expired, "NewImage": expired } });
        assert!(events_of(&record).is_empty());
        // Other items (tenants, slots, memberships) publish nothing.
        let tenant = json!({ "eventID": "e6", "eventName": "INSERT", "dynamodb": { "NewImage": { "entity": { "S": "tenant" } } } });
        assert!(events_of(&tenant).is_empty());
    }

    #[test]
    fn a_bounce_of_the_latest_email_is_announced_once() {
        let sent = image(&[("delivery_status", "delivered"), ("updated_at", "t")]);
        let bounced = image(&[
            ("delivery_status", "bounced"),
            (
                "delivery_detail",
                "Permanent/General: smtp; 550 5.1.1 user unknown",
            ),
            ("updated_at", "t"),
        ]);
        let record = json!({
            "eventID": "e2", "eventName": "MODIFY",
            "dynamodb": { "OldImage": sent, "NewImage": bounced.clone() },
        });
        let events = events_of(&record);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].detail_type, "InviteBounced");
        assert_eq!(events[0].detail["event_id"], "e2:bounced");
        assert!(events[0].detail["bounce"].as_str().unwrap().contains("550"));
        // The same status again (a repeat) is no news.
        let again = json!({
            "eventID": "e3", "eventName": "MODIFY",
            "dynamodb": { "OldImage": bounced.clone(), "NewImage": bounced },
        });
        assert!(events_of(&again).is_empty());
    }
}
