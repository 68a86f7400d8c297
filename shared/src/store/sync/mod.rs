//! The platform's directory changes, applied by version: every write is conditional on the
//! stored version being older, so an out-of-order or repeated event changes nothing, and a
//! delete leaves a tombstone holding its version, so a late upsert cannot bring the record
//! back. Records written before versions existed (the dev tool) count as version 0.

mod memberships;
mod records;
mod users;

use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};

use super::items::*;
use super::keys::*;
use super::{Store, StoreError};

/// What an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    Applied,
    /// The stored record (or its tombstone) is as new or newer: nothing to do.
    Stale,
    /// It cannot be applied yet (the email belongs to another user still, the tenant is not
    /// there yet): a later event resolves it, so the message is retried.
    Blocked(&'static str),
}

/// "The stored version, if any, is older than `:v`": the condition of every versioned write.
const OLDER: &str = "(attribute_not_exists(#version) OR #version < :v)";

impl Store {
    /// A put of `item` that only replaces an older version.
    fn versioned_put(&self, mut item: Item, version: u64) -> TransactWriteItem {
        item.insert(VERSION.into(), version_value(version));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(OLDER)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_values(":v", version_value(version))
            .build()
            .expect("table, item and condition are set");
        TransactWriteItem::builder().put(put).build()
    }

    /// The tombstone of (`pk`, `sk`) at `version`, unless a newer one is there.
    fn tombstone(&self, pk: String, sk: &str, version: u64) -> TransactWriteItem {
        let mut item = key(pk, tombstone_sk(sk));
        item.insert("entity".into(), s("tombstone"));
        self.versioned_put(item, version)
    }

    /// No tombstone of (`pk`, `sk`) as new as `version`: the record was not deleted since.
    fn not_deleted_since(&self, pk: String, sk: &str, version: u64) -> TransactWriteItem {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, tombstone_sk(sk))))
            .condition_expression(OLDER)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_values(":v", version_value(version))
            .build()
            .expect("key and condition are set");
        TransactWriteItem::builder().condition_check(check).build()
    }

    /// The item at `key` does not exist (yet).
    fn absent(&self, key: Item) -> TransactWriteItem {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("key and condition are set");
        TransactWriteItem::builder().condition_check(check).build()
    }

    /// The condition "the item is exactly the one read" (its version, or no version).
    fn as_read(
        read: &Item,
    ) -> (
        &'static str,
        Option<aws_sdk_dynamodb::types::AttributeValue>,
    ) {
        match read.get(VERSION) {
            Some(version) => (
                "attribute_exists(pk) AND #version = :read",
                Some(version.clone()),
            ),
            None => (
                "attribute_exists(pk) AND attribute_not_exists(#version)",
                None,
            ),
        }
    }

    /// Deletes the item at `key` if it is still exactly `read`.
    fn delete_as_read(&self, key: Item, read: &Item) -> TransactWriteItem {
        let (condition, version) = Self::as_read(read);
        let mut delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression(condition)
            .expression_attribute_names("#version", VERSION);
        if let Some(version) = version {
            delete = delete.expression_attribute_values(":read", version);
        }
        TransactWriteItem::builder()
            .delete(delete.build().expect("key is set"))
            .build()
    }

    /// Replaces `read` with `item` at `version`, if it is still exactly `read`.
    fn put_as_read(&self, mut item: Item, read: &Item, version: u64) -> TransactWriteItem {
        item.insert(VERSION.into(), version_value(version));
        let (condition, read_version) = Self::as_read(read);
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .expression_attribute_names("#version", VERSION);
        if let Some(read_version) = read_version {
            put = put.expression_attribute_values(":read", read_version);
        }
        TransactWriteItem::builder()
            .put(put.build().expect("table, item and condition are set"))
            .build()
    }

    /// Runs a versioned transaction: any failed condition means something as new or newer is
    /// stored (the callers put only version conditions in).
    async fn apply_versioned(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<SyncOutcome, StoreError> {
        Ok(match self.transact(items).await? {
            Ok(()) => SyncOutcome::Applied,
            Err(_) => SyncOutcome::Stale,
        })
    }
}

fn version_value(version: u64) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(version.to_string())
}

/// The version stored on an item (0 when it has none).
fn stored_version(item: &Item) -> u64 {
    match item.get(VERSION) {
        Some(aws_sdk_dynamodb::types::AttributeValue::N(raw)) => raw.parse().unwrap_or(0),
        _ => 0,
    }
}
