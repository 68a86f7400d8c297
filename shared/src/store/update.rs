//! Changing a pending invite's expiry or groups.

use aws_sdk_dynamodb::types::Update;

use super::items::*;
use super::keys::*;
use super::{item_sk, Store, StoreError};
use crate::domain::{
    GroupId, GroupIds, Invite, InviteId, Role, Tenant, TenantId, Timestamp, UserId,
};

/// What an admin's change to an invite is decided on, read in one round trip.
#[derive(Debug, Default)]
pub struct ManagedInvite {
    pub tenant: Option<Tenant>,
    pub caller_role: Option<Role>,
    pub invite: Option<Invite>,
    /// Those of the groups asked about that exist in the tenant.
    pub existing_groups: Vec<GroupId>,
}

/// The fields an update sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteChanges {
    pub expires_at: Option<Timestamp>,
    pub groups: Option<GroupIds>,
}

impl Store {
    /// The tenant, the caller's role in it, the invite `id` and which of `groups` exist in
    /// the tenant, in one round trip.
    pub async fn load_managed_invite(
        &self,
        tenant: TenantId,
        caller: UserId,
        id: InviteId,
        groups: &GroupIds,
    ) -> Result<ManagedInvite, StoreError> {
        let member = member_sk(caller);
        let mut keys = vec![
            key(tenant_pk(tenant), TENANT_SK),
            key(tenant_pk(tenant), member.clone()),
            key(invite_pk(id), INVITE_SK),
        ];
        keys.extend(
            groups
                .iter()
                .map(|group| key(tenant_pk(tenant), group_sk(group))),
        );
        let mut managed = ManagedInvite::default();
        let mut found_groups = Vec::new();
        for item in &self.batch_get(keys).await? {
            match item_sk(item) {
                Some(INVITE_SK) => managed.invite = Some(invite_from_item(item)?),
                Some(TENANT_SK) => managed.tenant = tenant_from_item(item)?,
                Some(sk) if sk == member => {
                    managed.caller_role = Some(membership_from_item(item)?.role)
                }
                Some(_) => found_groups.push(group_id_from_item(item)?),
                None => {}
            }
        }
        managed.existing_groups = groups
            .iter()
            .filter(|id| found_groups.contains(id))
            .collect();
        Ok(managed)
    }

    /// Applies `changes` to `invite` if it is still a pending invite of its tenant; `None`
    /// when it is not (accepted, expired or deleted meanwhile: read again to tell which).
    pub async fn update_invite(
        &self,
        invite: &Invite,
        changes: &InviteChanges,
        now: Timestamp,
    ) -> Result<Option<Invite>, StoreError> {
        let mut sets = vec![
            "updated_at = :now",
            "#updated_sk = :updated_sk",
            "#change = :updated",
            // Still pending: heals an invite written before the state indexes existed.
            "#state_pk = :state_pk",
        ];
        let mut removes = Vec::new();
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .condition_expression(format!(
                "attribute_exists(pk) AND tenant_id = :tenant AND attribute_not_exists(accepted_at) \
                 AND expires_at > :now AND {NOT_MARKED_EXPIRED}"
            ))
            .expression_attribute_values(":expired", s(EXPIRED_CHANGE))
            .expression_attribute_names("#state_pk", STATE_PK)
            .expression_attribute_values(
                ":state_pk",
                s(state_partition(invite.tenant_id, Lifecycle::Pending)),
            )
            .expression_attribute_values(":tenant", s(invite.tenant_id.to_string()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_names("#updated_sk", UPDATED_SK)
            .expression_attribute_values(":updated_sk", s(time_sk(now, invite.id)))
            // What the stream tells consumers this write was (publish-events).
            .expression_attribute_names("#change", CHANGE)
            .expression_attribute_values(":updated", s(UPDATED_CHANGE));
        if let Some(expires_at) = changes.expires_at {
            sets.extend([
                "expires_at = :expires",
                "#expires_sk = :expires_sk",
                "#ttl = :ttl",
                "#expiry_shard = :expiry_shard",
            ]);
            update = update
                .expression_attribute_names("#expiry_shard", EXPIRY_SHARD)
                .expression_attribute_values(":expiry_shard", s(expiry_shard(invite.id)))
                .expression_attribute_names("#expires_sk", EXPIRES_SK)
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_values(":ttl", self.retention_ttl(expires_at))
                .expression_attribute_values(":expires", s(expires_at.to_rfc3339()))
                .expression_attribute_values(":expires_sk", s(time_sk(expires_at, invite.id)));
        }
        match &changes.groups {
            Some(groups) if groups.is_empty() => removes.push("#groups"),
            Some(groups) => {
                sets.push("#groups = :groups");
                update = update.expression_attribute_values(":groups", group_list(groups));
            }
            None => {}
        }
        if changes.groups.is_some() {
            update = update.expression_attribute_names("#groups", "groups");
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let update = update
            .update_expression(expression)
            .build()
            .expect("key and expression are set");
        let updated = Invite {
            updated_at: now,
            expires_at: changes.expires_at.unwrap_or(invite.expires_at),
            groups: changes
                .groups
                .clone()
                .unwrap_or_else(|| invite.groups.clone()),
            ..invite.clone()
        };
        // Its updated_at (and maybe expires_at) order moved.
        self.write_moving_invite(update, updated).await
    }
}
