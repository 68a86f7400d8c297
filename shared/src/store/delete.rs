//! Deleting an invite, with the tenant's counters and pending slot following it.

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};

use super::items::*;
use super::keys::*;
use super::{item_sk, Store, StoreError};
use crate::domain::{Invite, InviteId, InviteStatus, Role, TenantId, Timestamp, UserId};

#[derive(Debug)]
pub enum DeleteOutcome {
    Deleted,
    /// The invite changed or vanished meanwhile; read again.
    Changed,
}

impl Store {
    /// The caller's role in `tenant` and the invite `id`, in one round trip.
    pub async fn load_role_and_invite(
        &self,
        tenant: TenantId,
        caller: UserId,
        id: InviteId,
    ) -> Result<(Option<Role>, Option<Invite>), StoreError> {
        let found = self
            .batch_get(vec![
                key(tenant_pk(tenant), member_sk(caller)),
                key(invite_pk(id), INVITE_SK),
            ])
            .await?;
        let (mut role, mut invite) = (None, None);
        for item in &found {
            match item_sk(item) {
                Some(INVITE_SK) => invite = Some(invite_from_item(item)?),
                Some(_) => role = Some(membership_from_item(item)?.role),
                None => {}
            }
        }
        Ok((role, invite))
    }

    /// Deletes `invite` as it was read: the counters follow it, and so does the pending slot
    /// while the invite is pending. The slot of an expired invite may already name a newer
    /// invite; it is left alone (a slot naming a missing invite is simply replaced later).
    pub async fn delete_invite(
        &self,
        invite: &Invite,
        now: Timestamp,
    ) -> Result<DeleteOutcome, StoreError> {
        // Whether the sweep announced its expiry decides a counter; the invite does not say,
        // so guess from its status, and try the other way once if the guess was wrong.
        let expired = invite.status(now) == InviteStatus::Expired;
        match self.delete_as(invite, now, expired).await? {
            DeleteOutcome::Changed if invite.accepted_at.is_none() => {
                self.delete_as(invite, now, !expired).await
            }
            outcome => Ok(outcome),
        }
    }

    async fn delete_as(
        &self,
        invite: &Invite,
        now: Timestamp,
        announced: bool,
    ) -> Result<DeleteOutcome, StoreError> {
        let accepted = invite.accepted_at.is_some();
        let condition = if accepted {
            "tenant_id = :tenant AND attribute_exists(accepted_at)".to_owned()
        } else if announced {
            "tenant_id = :tenant AND attribute_not_exists(accepted_at) AND #change = :expired"
                .to_owned()
        } else {
            format!(
                "tenant_id = :tenant AND attribute_not_exists(accepted_at) AND {NOT_MARKED_EXPIRED}"
            )
        };
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .condition_expression(condition)
            .expression_attribute_values(":tenant", s(invite.tenant_id.to_string()));
        if !accepted {
            delete = delete
                .expression_attribute_names("#change", CHANGE)
                .expression_attribute_values(":expired", s(EXPIRED_CHANGE));
        }
        let delete = delete.build().expect("key is set");
        let delete = TransactWriteItem::builder().delete(delete).build();
        let release = (invite.status(now) == InviteStatus::Pending)
            .then(|| self.release_pending_slot(invite));
        let counters = self.count_change(
            invite.tenant_id,
            -1,
            if accepted { -1 } else { 0 },
            if announced && !accepted { -1 } else { 0 },
        );
        let items = [Some(delete.clone()), Some(counters), release.clone()];
        match self.transact(items.into_iter().flatten().collect()).await? {
            Ok(()) => Ok(DeleteOutcome::Deleted),
            // The counters live on the tenant item: when the tenant is gone, the invite still
            // goes, without counters to keep.
            Err(cancelled) if cancelled.failed(1) && !cancelled.failed(0) => {
                let items = [Some(delete), release].into_iter().flatten().collect();
                match self.transact(items).await? {
                    Ok(()) => Ok(DeleteOutcome::Deleted),
                    Err(_) => Ok(DeleteOutcome::Changed),
                }
            }
            Err(_) => Ok(DeleteOutcome::Changed),
        }
    }
}
