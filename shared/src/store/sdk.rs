//! SDK plumbing shared by the use cases: error classification, consistent batch reads,
//! transactions retried on conflicts, and the write items several use cases build.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};

use super::items::*;
use super::keys::*;
use super::{Store, StoreError};
use crate::aws::is_transient;
use crate::budget;
use crate::domain::{Invite, TenantId};

type HttpResponse = aws_sdk_dynamodb::config::http::HttpResponse;

pub(super) fn classify<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if is_transient(&error) {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Failed(Box::new(error))
    }
}

/// The output of a conditional `UpdateItem`, or `None` when its condition failed (an outcome,
/// not an error).
pub(super) fn unless_condition_failed(
    result: Result<UpdateItemOutput, SdkError<UpdateItemError, HttpResponse>>,
) -> Result<Option<UpdateItemOutput>, StoreError> {
    match result {
        Ok(output) => Ok(Some(output)),
        Err(SdkError::ServiceError(context))
            if context.err().is_conditional_check_failed_exception() =>
        {
            Ok(None)
        }
        Err(other) => Err(classify(other)),
    }
}

/// The instant a write moved a tenant's invites, for `LIST_MOVED_AT`: the store's own clock
/// (the writes that bump the version take no `now`), precise enough for the settling delay
/// it serves (skip_points.rs).
pub(super) fn moved_now() -> AttributeValue {
    s(crate::domain::Timestamp::from_datetime(chrono::Utc::now()).to_rfc3339())
}

/// How a new member comes in: by an invite (or a direct add), or through the tenant's link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JoinPath {
    Invite,
    Link,
}

/// Why a transaction was cancelled: one DynamoDB reason code per item, in order.
#[derive(Debug)]
pub(super) struct Cancelled(pub Vec<String>);

impl Cancelled {
    pub fn failed(&self, index: usize) -> bool {
        self.0
            .get(index)
            .is_some_and(|code| code == "ConditionalCheckFailed")
    }
}

impl Store {
    /// One item by key, read consistently.
    pub(super) async fn get_consistent(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item)
    }

    /// Adds `by` to the tenant's member count; fails if the tenant item is gone.
    pub(super) fn member_count_by(&self, tenant: TenantId, by: i64) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), TENANT_SK)))
            .update_expression("ADD #members :by")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#members", MEMBER_COUNT)
            .expression_attribute_values(":by", n(by))
            .build()
            .expect("key and expression are set");
        TransactWriteItem::builder().update(update).build()
    }

    /// Consistent reads of up to 100 keys; unprocessed keys are asked for again.
    pub(super) async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        let mut pending = keys;
        for attempt in 0u32.. {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                budget::retry_pause(attempt).await?;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Failed(Box::new(e)))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(classify)?;
            if let Some(mut responses) = output.responses {
                found.extend(responses.remove(&self.table).unwrap_or_default());
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .map(|keys_and_attributes| keys_and_attributes.keys)
                .unwrap_or_default();
        }
        Ok(found)
    }

    /// Runs a transaction, trying again while it is cancelled only by concurrent ones.
    pub(super) async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Cancelled>, StoreError> {
        for attempt in 0u32.. {
            if attempt > 0 {
                budget::retry_pause(attempt).await?;
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Ok(())),
                Err(error) => error,
            };
            match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let codes: Vec<String> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|reason| reason.code().unwrap_or("None").to_owned())
                        .collect();
                    // Only cancellations caused by concurrent transactions are worth retrying.
                    let conflicted = codes
                        .iter()
                        .any(|code| code == "TransactionConflict" || code == "ThrottlingError");
                    let condition_failed =
                        codes.iter().any(|code| code == "ConditionalCheckFailed");
                    // Anything else (a validation error, an item too large) is a bug, not an
                    // outcome: reading again would not change it.
                    let unexpected = codes.iter().any(|code| {
                        !matches!(
                            code.as_str(),
                            "None"
                                | "ConditionalCheckFailed"
                                | "TransactionConflict"
                                | "ThrottlingError"
                        )
                    });
                    if unexpected {
                        return Err(StoreError::Failed(
                            format!("transaction cancelled: {codes:?}").into(),
                        ));
                    }
                    if condition_failed || !conflicted {
                        return Ok(Err(Cancelled(codes)));
                    }
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => {}
                _ => return Err(classify(error)),
            }
        }
        unreachable!("the loop only ends by returning")
    }

    pub(super) fn put_unconditional(&self, item: Item) -> Put {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .expect("table and item are set")
    }

    pub(super) fn put(&self, item: Item, condition: &str) -> Put {
        self.put_with(item, condition, &[])
    }

    pub(super) fn put_with(&self, item: Item, condition: &str, values: &[(&str, String)]) -> Put {
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition);
        for (name, value) in values {
            put = put.expression_attribute_values(*name, s(value.clone()));
        }
        put.build().expect("table, item and condition are set")
    }

    /// Adds `invites`, `accepted` and `expired` (announced expiries) to the tenant's counters
    /// (and invites minus accepted to the open count); fails if the tenant is gone.
    pub(super) fn count_change(
        &self,
        tenant: TenantId,
        invites: i64,
        accepted: i64,
        expired: i64,
    ) -> TransactWriteItem {
        self.counters(tenant, (invites, accepted, expired), None)
    }

    /// Like `count_change`, with one more member, refused (condition failed) when the tenant
    /// is gone, deactivated, every seat of its seat cap is taken, or (through its link) it no
    /// longer takes people that way: concurrent joins never pass the cap, and a tenant changed
    /// between the read and the write decides.
    pub(super) fn count_new_member(
        &self,
        tenant: TenantId,
        invites: i64,
        accepted: i64,
        path: JoinPath,
    ) -> TransactWriteItem {
        let mut condition = String::from(
            "attribute_exists(pk) AND (attribute_not_exists(#cap) OR #members < #cap \
             OR (attribute_not_exists(#members) AND #cap > :zero)) \
             AND (attribute_not_exists(deactivated) OR deactivated = :false) \
             AND (attribute_not_exists(deleted) OR deleted = :false)",
        );
        if path == JoinPath::Link {
            condition.push_str(
                " AND link_enabled = :true AND (attribute_not_exists(can_invite) OR can_invite = :true)",
            );
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), TENANT_SK)))
            .update_expression(
                "ADD #total :total, #accepted :accepted, #open :open, #members :one, \
                 #list_version :one SET #list_moved_at = :moved_at",
            )
            .expression_attribute_names("#list_version", LIST_VERSION)
            .expression_attribute_names("#list_moved_at", LIST_MOVED_AT)
            .expression_attribute_values(":moved_at", moved_now())
            .condition_expression(condition)
            .expression_attribute_names("#total", INVITE_COUNT)
            .expression_attribute_names("#accepted", ACCEPTED_COUNT)
            .expression_attribute_names("#open", OPEN_COUNT)
            .expression_attribute_names("#members", MEMBER_COUNT)
            .expression_attribute_names("#cap", SEAT_CAP)
            .expression_attribute_values(":total", n(invites))
            .expression_attribute_values(":accepted", n(accepted))
            .expression_attribute_values(":open", n(invites - accepted))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":false", AttributeValue::Bool(false));
        if path == JoinPath::Link {
            update = update.expression_attribute_values(":true", AttributeValue::Bool(true));
        }
        let update = update.build().expect("key and expression are set");
        TransactWriteItem::builder().update(update).build()
    }

    /// A new open invite, refused (condition failed) when the tenant already has `cap` open
    /// invites. Tenants counted before the open count existed start from none.
    pub(super) fn count_new_invite_capped(&self, tenant: TenantId, cap: u64) -> TransactWriteItem {
        self.counters(tenant, (1, 0, 0), Some(cap))
    }

    /// Adds (invites, accepted, announced expiries) to the tenant's counters, and their
    /// difference to the open count.
    fn counters(
        &self,
        tenant: TenantId,
        (invites, accepted, expired): (i64, i64, i64),
        cap: Option<u64>,
    ) -> TransactWriteItem {
        // Every count change moves an invite within some list order: the version follows.
        let mut expression =
            String::from("ADD #total :total, #accepted :accepted, #open :open, #list_version :one");
        if expired != 0 {
            expression.push_str(", #expired :expired");
        }
        expression.push_str(" SET #list_moved_at = :moved_at");
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), TENANT_SK)))
            .update_expression(expression)
            .expression_attribute_names("#total", INVITE_COUNT)
            .expression_attribute_names("#accepted", ACCEPTED_COUNT)
            .expression_attribute_names("#open", OPEN_COUNT)
            .expression_attribute_names("#list_version", LIST_VERSION)
            .expression_attribute_names("#list_moved_at", LIST_MOVED_AT)
            .expression_attribute_values(":moved_at", moved_now())
            .expression_attribute_values(":total", n(invites))
            .expression_attribute_values(":accepted", n(accepted))
            .expression_attribute_values(":open", n(invites - accepted))
            .expression_attribute_values(":one", n(1));
        if expired != 0 {
            update = update
                .expression_attribute_names("#expired", EXPIRED_COUNT)
                .expression_attribute_values(":expired", n(expired));
        }
        update = match cap {
            None => update.condition_expression("attribute_exists(pk)"),
            Some(cap) => update
                .condition_expression(
                    "attribute_exists(pk) AND (attribute_not_exists(#open) OR #open < :cap) \
                     AND (attribute_not_exists(deleted) OR deleted = :false)",
                )
                .expression_attribute_values(":cap", n(cap.min(i64::MAX as u64) as i64))
                .expression_attribute_values(":false", AttributeValue::Bool(false)),
        };
        let update = update.build().expect("key and expression are set");
        TransactWriteItem::builder().update(update).build()
    }

    /// Writes `change`, which turns an invite into `moved`, in one transaction with its
    /// tenant's `list_version` bump, for a write that moves an invite within an order without
    /// changing a count (a re-invite, an update): the skip points read before it stop holding
    /// at the same instant (skip_points.rs), and no failure in between can leave them
    /// standing. `moved` when written (built by the caller: a transaction returns no values,
    /// and a read-back could fail after the commit or show a later write), or `None` when the
    /// invite's condition failed: it moved on. A tenant item that is gone has no points to
    /// keep: the invite is written alone (`write_beside_tenant`).
    pub(super) async fn write_moving_invite(
        &self,
        change: Update,
        moved: Invite,
    ) -> Result<Option<Invite>, StoreError> {
        let bump = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(moved.tenant_id), TENANT_SK)))
            .update_expression("ADD #list_version :one SET #list_moved_at = :moved_at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#list_version", LIST_VERSION)
            .expression_attribute_names("#list_moved_at", LIST_MOVED_AT)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":moved_at", moved_now())
            .build()
            .expect("key and expression are set");
        let change = TransactWriteItem::builder().update(change).build();
        let bump = TransactWriteItem::builder().update(bump).build();
        let written = self
            .write_beside_tenant(change, bump, "move invite")
            .await?;
        Ok(written.then_some(moved))
    }

    /// Writes `item` in one transaction with `tenant_item`, an update of its tenant's item
    /// conditioned on that item existing; if the tenant item is gone (the platform may delete
    /// it before its invites), `item` alone. `false` when `item`'s own condition failed.
    /// `what` names the write in an unexpected cancellation's error.
    pub(super) async fn write_beside_tenant(
        &self,
        item: TransactWriteItem,
        tenant_item: TransactWriteItem,
        what: &str,
    ) -> Result<bool, StoreError> {
        match self.transact(vec![item.clone(), tenant_item]).await? {
            Ok(()) => Ok(true),
            Err(cancelled) if cancelled.failed(0) => Ok(false),
            Err(cancelled) if cancelled.failed(1) => Ok(self.transact(vec![item]).await?.is_ok()),
            Err(cancelled) => Err(StoreError::Failed(
                format!("{what} cancelled: {:?}", cancelled.0).into(),
            )),
        }
    }

    /// Removes the tenant's pending slot for `invite`, unless it already points elsewhere.
    pub(super) fn release_pending_slot(&self, invite: &Invite) -> TransactWriteItem {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                tenant_pk(invite.tenant_id),
                pending_slot_sk(&invite.email),
            )))
            .condition_expression("attribute_not_exists(pk) OR invite_id = :invite")
            .expression_attribute_values(":invite", s(invite.id.to_string()))
            .build()
            .expect("key is set");
        TransactWriteItem::builder().delete(delete).build()
    }
}
