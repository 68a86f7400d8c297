//! The end of an invite's life: publishing its expiry (the sweep marks it, the stream carries
//! the mark to `publish-events`) and counting its removal after retention (DynamoDB's TTL
//! deletes it; `retire-invites` moves the counters).

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::items::*;
use super::keys::*;
use super::sdk::classify;
use super::{Store, StoreError};
use crate::domain::{EmailAddress, InviteId, TenantId, Timestamp};

/// Where a read of one `expiring` partition stopped (DynamoDB's `LastEvaluatedKey`).
#[derive(Debug, Clone)]
pub struct DueCursor(Item);

/// A pending invite whose expiry is due, as the `expiring` index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueInvite {
    pub id: InviteId,
    pub tenant_id: TenantId,
    pub expires_at: Timestamp,
}

/// An invite DynamoDB's TTL removed: what its counters and pending slot need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredInvite {
    pub id: InviteId,
    pub tenant_id: TenantId,
    /// Its address (`None` if unreadable: the counters still move, no slot is freed).
    pub email: Option<EmailAddress>,
    pub accepted: bool,
    /// Its expiry was announced (counted among the tenant's announced expiries).
    pub expiry_announced: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetireOutcome {
    Counted,
    /// This removal was counted before (a repeated stream record).
    AlreadyCounted,
    /// The tenant item is gone: there are no counters to keep.
    NoTenant,
}

/// How long a retirement marker lives: well past the 24 h a stream keeps the records that
/// could repeat it.
const MARKER_LIFETIME: chrono::Duration = chrono::Duration::days(7);

impl Store {
    /// Up to `limit` invites of the `expiring` partition `shard` that expired by `now`, oldest
    /// first, from `after` on; and where to go on from, if there may be more.
    pub async fn due_invites(
        &self,
        shard: &str,
        now: Timestamp,
        limit: i32,
        after: Option<DueCursor>,
    ) -> Result<(Vec<DueInvite>, Option<DueCursor>), StoreError> {
        // Sort keys are `<expires_at>#<id>`: everything below `<now>` has expired by `now`.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(INDEX_EXPIRING)
            .key_condition_expression("#shard = :shard AND #expires_sk < :now")
            .expression_attribute_names("#shard", EXPIRY_SHARD)
            .expression_attribute_names("#expires_sk", EXPIRES_SK)
            .expression_attribute_values(":shard", s(shard))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .limit(limit)
            .set_exclusive_start_key(after.map(|cursor| cursor.0))
            .send()
            .await
            .map_err(classify)?;
        // An unreadable entry is logged and passed over: it sorts first in its range, and
        // failing on it would stop every sweep of the table.
        let due = output
            .items()
            .iter()
            .filter_map(|item| {
                let due = (|| {
                    Ok::<_, StoreError>(DueInvite {
                        id: InviteId::from(invite_id_from_pk(item)?),
                        tenant_id: TenantId::from(get_uuid(item, "expiring invite", "tenant_id")?),
                        expires_at: get_time(item, "expiring invite", "expires_at")?,
                    })
                })();
                due.inspect_err(|error| {
                    tracing::error!(pk = opt_str(item, PK).unwrap_or_default(), %error, "unreadable expiring entry skipped");
                })
                .ok()
            })
            .collect();
        Ok((due, output.last_evaluated_key.map(DueCursor)))
    }

    /// Marks `due` expired (`change = expired`, out of the `expiring` index, into the tenant's
    /// `X` partition and its count of announced expiries) if it is still the pending invite
    /// that expired at `due.expires_at`; `false` if it was accepted, deleted or marked
    /// meanwhile.
    pub async fn mark_expired(&self, due: &DueInvite, now: Timestamp) -> Result<bool, StoreError> {
        let mark = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(due.id), INVITE_SK)))
            .update_expression("SET #change = :expired, #state_pk = :state_pk REMOVE #shard")
            .condition_expression(
                "attribute_exists(#shard) AND attribute_not_exists(accepted_at) \
                 AND expires_at = :expires_at AND expires_at <= :now",
            )
            .expression_attribute_names("#change", CHANGE)
            .expression_attribute_names("#shard", EXPIRY_SHARD)
            .expression_attribute_names("#state_pk", STATE_PK)
            .expression_attribute_values(":expired", s(EXPIRED_CHANGE))
            .expression_attribute_values(
                ":state_pk",
                s(state_partition(due.tenant_id, Lifecycle::Expired)),
            )
            .expression_attribute_values(":expires_at", s(due.expires_at.to_rfc3339()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .build()
            .expect("key and expression are set");
        let mark = TransactWriteItem::builder().update(mark).build();
        let counted = self.count_change(due.tenant_id, 0, 0, 1);
        // The tenant item may be gone: the invite is marked all the same, without counters.
        self.write_beside_tenant(mark, counted, "mark expired")
            .await
    }

    /// Counts the removal of `invite` by DynamoDB's TTL: the tenant's counters lose it, once
    /// (a marker beside the tenant makes a repeated record a no-op), and the pending slot of
    /// an expired invite is freed if it still names it.
    pub async fn retire_invite(
        &self,
        invite: &RetiredInvite,
        now: Timestamp,
    ) -> Result<RetireOutcome, StoreError> {
        let mut marker = key(tenant_pk(invite.tenant_id), retired_sk(invite.id));
        marker.insert("entity".into(), s("retired"));
        let forget_at = now.plus(MARKER_LIFETIME).as_datetime().timestamp();
        marker.insert(TTL.into(), n(forget_at));
        let items = vec![
            TransactWriteItem::builder()
                .put(self.put(marker, "attribute_not_exists(pk)"))
                .build(),
            self.count_change(
                invite.tenant_id,
                -1,
                if invite.accepted { -1 } else { 0 },
                if invite.expiry_announced { -1 } else { 0 },
            ),
        ];
        let outcome = match self.transact(items).await? {
            Ok(()) => RetireOutcome::Counted,
            Err(cancelled) if cancelled.failed(0) => RetireOutcome::AlreadyCounted,
            Err(cancelled) if cancelled.failed(1) => RetireOutcome::NoTenant,
            Err(cancelled) => {
                return Err(StoreError::Failed(
                    format!("retire invite cancelled: {:?}", cancelled.0).into(),
                ))
            }
        };
        // Also when counted before: a retry may come from a failure right here.
        if let (false, Some(email)) = (invite.accepted, &invite.email) {
            self.free_pending_slot(invite.tenant_id, invite.id, email)
                .await?;
        }
        Ok(outcome)
    }

    async fn free_pending_slot(
        &self,
        tenant: TenantId,
        id: InviteId,
        email: &EmailAddress,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(tenant_pk(tenant), pending_slot_sk(email))))
            .condition_expression("invite_id = :invite")
            .expression_attribute_values(":invite", s(id.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Empty, or already naming a newer invite: nothing of this one to free.
            Err(SdkError::ServiceError(context))
                if context.err().is_conditional_check_failed_exception() =>
            {
                Ok(())
            }
            Err(other) => Err(classify(other)),
        }
    }
}

/// The invite id of an index item from its table key (`INVITE#<id>`; the index projects
/// keys, `expires_at` and `tenant_id` only).
fn invite_id_from_pk(item: &Item) -> Result<uuid::Uuid, StoreError> {
    get_str(item, "expiring invite", PK)?
        .strip_prefix("INVITE#")
        .and_then(|raw| uuid::Uuid::parse_str(raw).ok())
        .ok_or_else(|| corrupt("expiring invite", PK))
}
