//! A pace for invitation emails across every concurrent create: at most the SES account's
//! sending rate may start in any one second. Each second is a counter item; a send takes the
//! next place in the current second, or in a later one when this one is full, and waits for
//! it. One `UpdateItem` per second tried (1 WCU each): the quota is the account's, so the
//! count must be shared, and the table is the one thing every Lambda instance shares.

use aws_sdk_dynamodb::types::ReturnValue;

use super::items::{key, n};
use super::{classify, Store, StoreError};

const PACE_SK: &str = "SES_PACE";

/// The counter of sends started in the Unix second `second`.
fn pace_pk(second: i64) -> String {
    format!("SES_PACE#{second}")
}

impl Store {
    /// Reserves a place for one send among the `per_second` of a second no earlier than
    /// `now_ms` and no later than `latest_ms` (Unix milliseconds), and returns that second, or
    /// `None` if every second up to `latest_ms` is full. A place taken is spent even if the
    /// send does not happen: the pace errs on the slow side.
    pub async fn reserve_send_second(
        &self,
        per_second: u32,
        now_ms: i64,
        latest_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut second = now_ms.div_euclid(1000);
        while second * 1000 <= latest_ms {
            let output = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key(pace_pk(second), PACE_SK)))
                // The counters go with DynamoDB's TTL an hour later.
                .update_expression("ADD sends :one SET #ttl = if_not_exists(#ttl, :ttl)")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":ttl", n(second + 3600))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await
                .map_err(classify)?;
            let place = output
                .attributes()
                .and_then(|new| new.get("sends"))
                .and_then(|sends| sends.as_n().ok())
                .and_then(|sends| sends.parse::<u64>().ok())
                .ok_or_else(|| StoreError::Corrupt("a pace counter without sends".into()))?;
            if place <= u64::from(per_second) {
                return Ok(Some(second));
            }
            second += 1;
        }
        Ok(None)
    }
}
