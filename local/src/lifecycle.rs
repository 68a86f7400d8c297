//! The end of invites' lives, locally: what AWS runs on its own here runs in the local server.
//!
//! - `expire_loop` plays EventBridge Scheduler for `expire-invites` (every few seconds here,
//!   every minute by default in AWS).
//! - `TtlEmulator` plays DynamoDB's TTL, which DynamoDB Local does not run: it deletes items
//!   whose `ttl` has passed and marks their stream records as the service's removals
//!   (`userIdentity`), as AWS's stream does, so that `retire-invites` and `publish-events`
//!   see what they would see in AWS.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use expire_invites::ExpireInvites;
use serde_json::{json, Value};

use crate::Error;

/// Runs the expiry sweep every `every`, until the task is dropped.
pub async fn expire_loop(sweeper: ExpireInvites, every: Duration) {
    loop {
        if let Err(error) = sweeper.handle(Instant::now() + every).await {
            tracing::warn!(error = %invites_shared::http::error_chain(&error), "expiry sweep failed");
        }
        tokio::time::sleep(every).await;
    }
}

/// DynamoDB's TTL for DynamoDB Local.
pub struct TtlEmulator {
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    /// `pk|sk` of the items removed and not yet seen on the stream.
    removed: Mutex<HashSet<String>>,
}

fn key_text(pk: &str, sk: &str) -> String {
    format!("{pk}|{sk}")
}

impl TtlEmulator {
    pub fn new(dynamodb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            dynamodb,
            table: table.into(),
            removed: Mutex::new(HashSet::new()),
        }
    }

    /// Deletes every item whose `ttl` (epoch seconds) is before `now_epoch`, each on condition
    /// that it still is (a write meanwhile that moved `ttl` keeps the item, as in AWS).
    /// Returns how many it removed.
    pub async fn sweep(&self, now_epoch: i64) -> Result<usize, Error> {
        let now = AttributeValue::N(now_epoch.to_string());
        let mut start = None;
        let mut removed = 0;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(&self.table)
                .filter_expression("#ttl < :now")
                .projection_expression("pk, sk")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":now", now.clone())
                .set_exclusive_start_key(start.take())
                .send()
                .await?;
            for item in page.items() {
                let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) =
                    (item.get("pk"), item.get("sk"))
                else {
                    continue;
                };
                // Recorded first: the stream may carry the removal before this call returns.
                self.removed
                    .lock()
                    .expect("not poisoned")
                    .insert(key_text(pk, sk));
                let deleted = self
                    .dynamodb
                    .delete_item()
                    .table_name(&self.table)
                    .key("pk", AttributeValue::S(pk.clone()))
                    .key("sk", AttributeValue::S(sk.clone()))
                    .condition_expression("#ttl < :now")
                    .expression_attribute_names("#ttl", "ttl")
                    .expression_attribute_values(":now", now.clone())
                    .send()
                    .await;
                match deleted {
                    Ok(_) => removed += 1,
                    Err(_) => {
                        self.removed
                            .lock()
                            .expect("not poisoned")
                            .remove(&key_text(pk, sk));
                    }
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(removed);
            }
        }
    }

    /// Marks the stream records of removals this emulator made as AWS marks TTL's removals.
    pub fn tag(&self, records: &mut [Value]) {
        let mut removed = self.removed.lock().expect("not poisoned");
        for record in records.iter_mut() {
            if record["eventName"] != "REMOVE" {
                continue;
            }
            let keys = &record["dynamodb"]["Keys"];
            let (Some(pk), Some(sk)) = (keys["pk"]["S"].as_str(), keys["sk"]["S"].as_str()) else {
                continue;
            };
            // Only a removal of an item whose ttl had passed: a caller's later delete of a
            // reused key (a rate window) is not TTL's.
            let ttl_passed = record["dynamodb"]["OldImage"]["ttl"]["N"]
                .as_str()
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|ttl| ttl < chrono::Utc::now().timestamp());
            if ttl_passed && removed.remove(&key_text(pk, sk)) {
                record["userIdentity"] =
                    json!({ "type": "Service", "principalId": "dynamodb.amazonaws.com" });
            }
        }
    }
}
