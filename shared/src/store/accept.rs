//! Joining a tenant: by accepting an invite (the invite marked accepted) or through the
//! tenant's invite link; either way the membership, the seat and the group memberships are
//! written in one transaction.

use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem, Update};

use super::items::*;
use super::keys::*;
use super::sdk::JoinPath;
use super::{item_sk, Store, StoreError};
use crate::domain::{
    GroupId, GroupIds, Invite, InviteId, Membership, Role, Tenant, TenantId, Timestamp, UserId,
};

#[derive(Debug)]
pub enum AcceptOutcome {
    Accepted,
    AlreadyMember,
    /// The invite or one of the groups changed since they were read (accepted, expired,
    /// deleted, given another role); read again.
    Changed,
    /// The tenant item refused the new member: it is gone or its seats are taken (read it
    /// again to tell which).
    TenantRefused,
}

/// Who joins which tenant with which role, and the groups (read as existing) they join.
pub struct Joining<'a> {
    pub tenant: TenantId,
    pub user: UserId,
    pub role: Role,
    pub groups: &'a [GroupId],
    pub now: Timestamp,
}

impl Store {
    /// Marks a pending invite accepted by `joining.user` and makes them a member (and a member
    /// of `joining.groups`), atomically.
    /// The invite's groups that no longer exist are recorded on it as skipped, so that a
    /// retried accept gets the same answer.
    pub async fn accept_invite(
        &self,
        invite: &Invite,
        joining: &Joining<'_>,
        skipped: &GroupIds,
    ) -> Result<AcceptOutcome, StoreError> {
        let now = joining.now;
        let mut set = String::from(
            "SET accepted_at = :now, accepted_by_user_id = :user, updated_at = :now, \
             #updated_sk = :updated_sk, #accepted_pk = :accepted_pk, #accepted_sk = :accepted_sk, \
             #ttl = :ttl, #state_pk = :state_pk",
        );
        if !skipped.is_empty() {
            set.push_str(", skipped_groups = :skipped");
        }
        // Accepted, it leaves the expiry sweep's index.
        set.push_str(" REMOVE #expiry_shard");
        let mut accept = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .update_expression(set)
            .expression_attribute_names("#expiry_shard", EXPIRY_SHARD)
            .expression_attribute_names("#state_pk", STATE_PK)
            .expression_attribute_values(
                ":state_pk",
                s(state_partition(invite.tenant_id, Lifecycle::Accepted)),
            )
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":ttl", self.retention_ttl(now));
        if !skipped.is_empty() {
            accept = accept.expression_attribute_values(":skipped", group_list(skipped));
        }
        let accept = accept
            // The invite as read is the invite granted: any change meanwhile (a re-invite with
            // another role, an update of its groups) moves `updated_at` and fails this.
            .condition_expression(format!(
                "attribute_exists(pk) AND attribute_not_exists(accepted_at) AND expires_at > :now \
                 AND updated_at = :read_updated_at AND {NOT_MARKED_EXPIRED}"
            ))
            .expression_attribute_names("#change", CHANGE)
            .expression_attribute_values(":expired", s(EXPIRED_CHANGE))
            .expression_attribute_values(":read_updated_at", s(invite.updated_at.to_rfc3339()))
            .expression_attribute_names("#updated_sk", UPDATED_SK)
            .expression_attribute_names("#accepted_pk", ACCEPTED_PK)
            .expression_attribute_names("#accepted_sk", ACCEPTED_SK)
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":user", s(joining.user.to_string()))
            .expression_attribute_values(":updated_sk", s(time_sk(now, invite.id)))
            .expression_attribute_values(
                ":accepted_pk",
                s(accepted_partition(invite.tenant_id, true)),
            )
            .expression_attribute_values(":accepted_sk", s(accepted_sk(Some(now), invite.id)))
            .build()
            .expect("key and expression are set");
        let mut items = vec![
            TransactWriteItem::builder().update(accept).build(),
            self.new_membership(joining),
            self.count_new_member(invite.tenant_id, 0, 1, JoinPath::Invite),
            self.release_pending_slot(invite),
        ];
        items.extend(self.group_joins(joining));
        self.run_join(items, 1, 2).await
    }

    /// Makes `joining.user` a member through the tenant's invite link.
    pub async fn join_by_link(&self, joining: &Joining<'_>) -> Result<AcceptOutcome, StoreError> {
        let mut items = vec![
            self.new_membership(joining),
            self.count_new_member(joining.tenant, 0, 0, JoinPath::Link),
        ];
        items.extend(self.group_joins(joining));
        self.run_join(items, 0, 1).await
    }

    pub(super) fn new_membership(&self, joining: &Joining<'_>) -> TransactWriteItem {
        let membership = Membership {
            tenant_id: joining.tenant,
            user_id: joining.user,
            role: joining.role,
        };
        TransactWriteItem::builder()
            .put(self.put(
                membership_to_item(&membership, joining.now),
                "attribute_not_exists(pk)",
            ))
            .build()
    }

    fn exists_check(&self, key: Item) -> TransactWriteItem {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("key and condition are set");
        TransactWriteItem::builder().condition_check(check).build()
    }

    /// For each group: it must still exist, and the user joins it.
    pub(super) fn group_joins(&self, joining: &Joining<'_>) -> Vec<TransactWriteItem> {
        joining
            .groups
            .iter()
            .flat_map(|&group| {
                let member = group_member_item(joining.tenant, group, joining.user, joining.now);
                [
                    self.exists_check(key(tenant_pk(joining.tenant), group_sk(group))),
                    TransactWriteItem::builder()
                        .put(self.put_unconditional(member))
                        .build(),
                ]
            })
            .collect()
    }

    /// Runs a join whose membership and tenant counters are the items at those indexes.
    async fn run_join(
        &self,
        items: Vec<TransactWriteItem>,
        membership_at: usize,
        tenant_at: usize,
    ) -> Result<AcceptOutcome, StoreError> {
        match self.transact(items).await? {
            Ok(()) => Ok(AcceptOutcome::Accepted),
            // The invite (when there is one, first) changed: that decides, read again.
            Err(cancelled) if membership_at > 0 && cancelled.failed(0) => {
                Ok(AcceptOutcome::Changed)
            }
            Err(cancelled) if cancelled.failed(membership_at) => Ok(AcceptOutcome::AlreadyMember),
            Err(cancelled) if cancelled.failed(tenant_at) => Ok(AcceptOutcome::TenantRefused),
            Err(_) => Ok(AcceptOutcome::Changed),
        }
    }
}

/// What a join is decided on, read in one round trip.
#[derive(Debug, Default)]
pub struct JoinContext {
    pub tenant: Option<Tenant>,
    /// The joining user's role in the tenant, if they are a member already.
    pub member_role: Option<Role>,
    /// Those of the groups asked about that exist in the tenant.
    pub existing_groups: Vec<GroupId>,
}

/// What `POST /v1/invites/{id}/accept` finds under its id: a tenant (its invite link) is
/// looked for first, then an invite.
#[derive(Debug, Default)]
pub struct AcceptTarget {
    pub tenant: Option<Tenant>,
    pub invite: Option<Invite>,
}

impl Store {
    /// The tenant and the invite with this id, in one round trip.
    pub async fn load_accept_target(&self, id: uuid::Uuid) -> Result<AcceptTarget, StoreError> {
        let found = self
            .batch_get(vec![
                key(tenant_pk(TenantId::from(id)), TENANT_SK),
                key(invite_pk(InviteId::from(id)), INVITE_SK),
            ])
            .await?;
        let mut target = AcceptTarget::default();
        for item in &found {
            match item_sk(item) {
                Some(TENANT_SK) => target.tenant = tenant_from_item(item)?,
                Some(INVITE_SK) => target.invite = Some(invite_from_item(item)?),
                _ => {}
            }
        }
        Ok(target)
    }

    /// The tenant, the user's membership in it and which of `groups` exist, in one round trip.
    pub async fn load_join_context(
        &self,
        tenant: TenantId,
        user: UserId,
        groups: &GroupIds,
    ) -> Result<JoinContext, StoreError> {
        let mut keys = vec![
            key(tenant_pk(tenant), TENANT_SK),
            key(tenant_pk(tenant), member_sk(user)),
        ];
        keys.extend(
            groups
                .iter()
                .map(|group| key(tenant_pk(tenant), group_sk(group))),
        );
        let mut context = JoinContext::default();
        let member_key = member_sk(user);
        let mut found_groups = Vec::new();
        for item in &self.batch_get(keys).await? {
            match item_sk(item) {
                Some(TENANT_SK) => context.tenant = tenant_from_item(item)?,
                Some(sk) if sk == member_key => {
                    context.member_role = Some(membership_from_item(item)?.role)
                }
                Some(_) => found_groups.push(group_id_from_item(item)?),
                None => {}
            }
        }
        context.existing_groups = groups
            .iter()
            .filter(|id| found_groups.contains(id))
            .collect();
        Ok(context)
    }
}
