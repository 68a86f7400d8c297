//! `retire-invites`: DynamoDB's TTL removes accepted and expired invites a retention period
//! after they stopped being pending; this function, fed the table's stream, takes each such
//! removal off its tenant's counters, so that they stay equal to a full count.
//!
//! Only TTL's removals count (`userIdentity` is the DynamoDB service): a caller's delete moved
//! the counters in its own transaction. A repeated record is a no-op (a marker per invite,
//! written in the counters' transaction). A failed record is reported, and Lambda retries the
//! batch from it.

use invites_shared::config::{self, TableSettings};
use invites_shared::domain::{Clock, EmailAddress, InviteId, TenantId};
use invites_shared::emf::{self, MetricLine, Unit};
use invites_shared::http::error_chain;
use invites_shared::state::StartupError;
use invites_shared::store::{keys, RetireOutcome, RetiredInvite, Store};
use serde_json::{json, Value};

/// What retire-invites reads from its environment: the table only.
pub type Settings = TableSettings;

/// Whether `record` is DynamoDB's TTL removing an item (as the stream marks it).
pub fn is_ttl_removal(record: &Value) -> bool {
    record["eventName"] == "REMOVE"
        && record["userIdentity"]["type"] == "Service"
        && record["userIdentity"]["principalId"] == "dynamodb.amazonaws.com"
}

/// The removed invite of a TTL removal record; `None` for anything else (other items, other
/// removals) or an image that is not an invite's.
pub fn retired_invite(record: &Value) -> Option<RetiredInvite> {
    if !is_ttl_removal(record) {
        return None;
    }
    let image = &record["dynamodb"]["OldImage"];
    let string = |name: &str| image[name]["S"].as_str();
    if string("entity") != Some("invite") {
        return None;
    }
    let uuid = |name: &str| string(name).and_then(|raw| uuid::Uuid::parse_str(raw).ok());
    Some(RetiredInvite {
        id: InviteId::from(uuid("id")?),
        tenant_id: TenantId::from(uuid("tenant_id")?),
        email: string("email").and_then(|raw| EmailAddress::parse(raw).ok()),
        accepted: string("accepted_at").is_some(),
        expiry_announced: string(keys::CHANGE) == Some(keys::EXPIRED_CHANGE),
    })
}

/// The function's state, built once per process.
pub struct RetireInvites {
    store: Store,
    clock: Clock,
}

impl RetireInvites {
    pub async fn from_env() -> Result<Self, StartupError> {
        let (settings, sdk) = config::load::<Settings>().await?;
        let dynamodb = invites_shared::aws::dynamodb_client(&sdk);
        Ok(Self::new(settings, dynamodb, Clock::system()))
    }

    pub fn new(settings: Settings, dynamodb: aws_sdk_dynamodb::Client, clock: Clock) -> Self {
        Self {
            store: Store::new(dynamodb, settings.0.table_name),
            clock,
        }
    }

    /// One stream batch (`{"Records": [...]}`), in order; the answer names the first record
    /// that could not be counted, so that Lambda retries from it (`ReportBatchItemFailures`).
    pub async fn handle(&self, batch: &Value) -> Value {
        let records: &[Value] = batch["Records"].as_array().map_or(&[], Vec::as_slice);
        let mut retired = 0u32;
        let answer = self.retire_all(records, &mut retired).await;
        MetricLine::new(emf::function_name("retire-invites"))
            .add("InvitesRetired", Unit::Count, f64::from(retired))
            .emit();
        answer
    }

    async fn retire_all(&self, records: &[Value], retired: &mut u32) -> Value {
        for record in records {
            if is_ttl_removal(record) && record["dynamodb"]["OldImage"]["entity"]["S"] == "invite" {
                let Some(invite) = retired_invite(record) else {
                    // Cannot be counted on any retry: say so and go on.
                    tracing::error!(
                        event_id = record["eventID"].as_str().unwrap_or_default(),
                        "a removed invite's image is unreadable; its tenant's counters are off by one"
                    );
                    continue;
                };
                match self.store.retire_invite(&invite, self.clock.now()).await {
                    Ok(outcome) => {
                        *retired += u32::from(outcome == RetireOutcome::Counted);
                        let outcome = match outcome {
                            RetireOutcome::Counted => "counted",
                            RetireOutcome::AlreadyCounted => "already counted",
                            RetireOutcome::NoTenant => "no tenant",
                        };
                        tracing::info!(invite_id = %invite.id, tenant_id = %invite.tenant_id, outcome, "retired");
                    }
                    Err(error) => {
                        tracing::warn!(invite_id = %invite.id, error = %error_chain(&error), "retire failed");
                        let sequence = &record["dynamodb"]["SequenceNumber"];
                        return json!({ "batchItemFailures": [{ "itemIdentifier": sequence }] });
                    }
                }
            }
        }
        json!({ "batchItemFailures": [] })
    }
}

impl invites_shared::batch::BatchFunction for RetireInvites {
    const NAME: &'static str = "retire-invites";

    fn handle_batch(&self, batch: &Value) -> impl std::future::Future<Output = Value> + Send {
        self.handle(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removal(identity: Value, accepted: bool) -> Value {
        let mut image = json!({
            "entity": { "S": "invite" },
            "id": { "S": "0b6f4f3e-8a4a-4d5e-9a52-4f0c1f7a2b11" },
            "tenant_id": { "S": "5d0c6f0e-1f1a-4c3b-8d2e-6a7b8c9d0e1f" },
            "email": { "S": "ada@example.com" },
        });
        if accepted {
            image["accepted_at"] = json!({ "S": "2026-01-01T00:00:00.000000Z" });
        }
        json!({ "eventName": "REMOVE", "userIdentity": identity, "dynamodb": { "OldImage": image } })
    }

    #[test]
    fn only_ttl_removals_of_invites_are_retired() {
        let ttl = json!({ "type": "Service", "principalId": "dynamodb.amazonaws.com" });
        let retired = retired_invite(&removal(ttl.clone(), true)).unwrap();
        assert!(retired.accepted);
        assert!(!retired_invite(&removal(ttl, false)).unwrap().accepted);
        // A caller's delete (no identity) already moved the counters.
        assert!(retired_invite(&removal(Value::Null, true)).is_none());
        let other = json!({ "type": "Service", "principalId": "someone.else" });
        assert!(retired_invite(&removal(other, true)).is_none());
    }
}
