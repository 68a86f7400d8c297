//! Accepting an invite: the invite marked accepted and the membership created, atomically.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

use super::items::*;
use super::keys::*;
use super::{Store, StoreError};
use crate::domain::{Invite, Membership, Timestamp, UserId};

#[derive(Debug)]
pub enum AcceptOutcome {
    Accepted,
    AlreadyMember,
    /// The invite changed since it was read (accepted, expired, deleted, or given another
    /// role); read again.
    Changed,
    /// The invite's tenant no longer exists.
    TenantGone,
}

impl Store {
    /// Marks a pending invite accepted by `user` and creates the membership, atomically.
    pub async fn accept_invite(
        &self,
        invite: &Invite,
        user: UserId,
        now: Timestamp,
    ) -> Result<AcceptOutcome, StoreError> {
        let accept = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .update_expression(
                "SET accepted_at = :now, accepted_by_user_id = :user, updated_at = :now, \
                 #updated_sk = :updated_sk, #accepted_pk = :accepted_pk, #accepted_sk = :accepted_sk",
            )
            // The role read is the role granted: a role lowered meanwhile fails the condition.
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(accepted_at) AND expires_at > :now \
                 AND #role = :role",
            )
            .expression_attribute_names("#role", "role")
            .expression_attribute_values(":role", s(invite.role.as_str()))
            .expression_attribute_names("#updated_sk", UPDATED_SK)
            .expression_attribute_names("#accepted_pk", ACCEPTED_PK)
            .expression_attribute_names("#accepted_sk", ACCEPTED_SK)
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":user", s(user.to_string()))
            .expression_attribute_values(":updated_sk", s(time_sk(now, invite.id)))
            .expression_attribute_values(
                ":accepted_pk",
                s(accepted_partition(invite.tenant_id, true)),
            )
            .expression_attribute_values(":accepted_sk", s(accepted_sk(Some(now), invite.id)))
            .build()
            .expect("key and expression are set");
        let membership = Membership {
            tenant_id: invite.tenant_id,
            user_id: user,
            role: invite.role,
        };
        let items = vec![
            TransactWriteItem::builder().update(accept).build(),
            TransactWriteItem::builder()
                .put(self.put(
                    membership_to_item(&membership, now),
                    "attribute_not_exists(pk)",
                ))
                .build(),
            self.count_change(invite.tenant_id, 0, 1),
            self.release_pending_slot(invite),
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(AcceptOutcome::Accepted),
            Err(cancelled) if cancelled.failed(0) => Ok(AcceptOutcome::Changed),
            Err(cancelled) if cancelled.failed(1) => Ok(AcceptOutcome::AlreadyMember),
            // The counters live on the tenant item, which must exist.
            Err(cancelled) if cancelled.failed(2) => Ok(AcceptOutcome::TenantGone),
            Err(_) => Ok(AcceptOutcome::Changed),
        }
    }
}
