//! What create-invite reads and writes: its context in two batch reads, then a pending
//! invite inserted or refreshed, or (external IdP) a member added with an accepted invite.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use super::delivery::{suppressed_pk, suppression_from_item, SUPPRESSED_SK};
use super::items::*;
use super::keys::*;
use super::sdk::JoinPath;
use super::Joining;
use super::{item_sk, Store, StoreError};
use crate::domain::{
    EmailAddress, GroupId, GroupIds, Invite, InviteId, Role, Suppression, Tenant, TenantId,
    Timestamp, UserId,
};

/// Everything create-invite must know before it writes, read in one round trip.
#[derive(Debug, Clone)]
pub struct CreateContext {
    pub tenant: Option<Tenant>,
    pub caller_role: Option<Role>,
    pub invitee_user_id: Option<UserId>,
    pub pending_slot: Option<InviteId>,
    /// Those of the groups asked for that exist in the tenant.
    pub existing_groups: Vec<GroupId>,
    /// No invitation email may go to the invitee now (an earlier one bounced or drew a
    /// complaint), from any tenant.
    pub suppressed: Option<Suppression>,
}

/// The invitee's standing in the tenant, read in one round trip.
#[derive(Debug, Clone, Default)]
pub struct InviteeState {
    pub is_member: bool,
    /// The invite the tenant's pending slot for this email points to, if any.
    pub pending_slot_invite: Option<Invite>,
}

/// A claim of the next invitation email, made `now` by a request that runs until `ends`:
/// granted if the last claim is older than the cooldown (`cutoff`), or its request has ended
/// without recording the email as sent (it failed or died).
#[derive(Debug, Clone, Copy)]
struct Claim {
    now: Timestamp,
    cutoff: Timestamp,
    ends: Timestamp,
}

/// When the current request's claim stops being in flight: its deadline.
fn claim_ends(now: Timestamp) -> Timestamp {
    let left = chrono::Duration::from_std(crate::budget::remaining())
        .unwrap_or(chrono::Duration::seconds(10));
    now.plus(left.min(chrono::Duration::minutes(15)))
}

/// What a re-invite changes on a pending invite.
#[derive(Debug, Clone, Copy)]
pub struct Refresh<'a> {
    pub role: Role,
    pub invited_by: UserId,
    pub now: Timestamp,
    pub expires_at: Timestamp,
    pub groups: &'a GroupIds,
}

#[derive(Debug)]
pub enum InsertOutcome {
    Inserted,
    /// Another request took the pending slot first.
    PendingSlotTaken,
    /// The tenant already has as many open invites as it may.
    TenantFull,
}

#[derive(Debug)]
pub enum DirectAddOutcome {
    Added,
    AlreadyMember,
    /// The tenant refused a new member: gone, or no free seat (read again to tell which).
    TenantRefused,
    /// The pending invite changed underneath; read again.
    Changed,
}

impl Store {
    /// Tenant, caller's role, invitee's user id, pending slot and which of `groups` exist in
    /// the tenant, in one round trip.
    pub async fn load_create_context(
        &self,
        tenant: TenantId,
        caller: UserId,
        invitee: &EmailAddress,
        groups: &GroupIds,
        now: Timestamp,
    ) -> Result<CreateContext, StoreError> {
        let mut keys = vec![
            key(tenant_pk(tenant), TENANT_SK),
            key(tenant_pk(tenant), member_sk(caller)),
            key(user_email_pk(invitee), USER_EMAIL_SK),
            key(tenant_pk(tenant), pending_slot_sk(invitee)),
            key(suppressed_pk(invitee), SUPPRESSED_SK),
        ];
        keys.extend(
            groups
                .iter()
                .map(|group| key(tenant_pk(tenant), group_sk(group))),
        );
        let found = self.batch_get(keys).await?;
        let mut context = CreateContext {
            tenant: None,
            caller_role: None,
            invitee_user_id: None,
            pending_slot: None,
            existing_groups: Vec::new(),
            suppressed: None,
        };
        let mut found_groups = Vec::new();
        let member_key = member_sk(caller);
        let pending_slot_key = pending_slot_sk(invitee);
        for item in &found {
            match item_sk(item) {
                Some(TENANT_SK) => context.tenant = tenant_from_item(item)?,
                Some(USER_EMAIL_SK) => {
                    context.invitee_user_id = Some(user_id_from_email_slot(item)?)
                }
                Some(sk) if sk == member_key => {
                    context.caller_role = Some(membership_from_item(item)?.role)
                }
                Some(sk) if sk == pending_slot_key => {
                    context.pending_slot = Some(invite_id_from_pending_slot(item)?)
                }
                Some(sk) if sk.starts_with(GROUP_SK_PREFIX) => {
                    found_groups.push(group_id_from_item(item)?)
                }
                Some(SUPPRESSED_SK) => context.suppressed = suppression_from_item(item, now)?,
                _ => {}
            }
        }
        context.existing_groups = groups
            .iter()
            .filter(|id| found_groups.contains(id))
            .collect();
        Ok(context)
    }

    /// Whether the invitee is a member, and the invite their pending slot points to.
    pub async fn load_invitee_state(
        &self,
        tenant: TenantId,
        invitee: Option<UserId>,
        pending_slot_invite: Option<InviteId>,
    ) -> Result<InviteeState, StoreError> {
        let mut keys = Vec::new();
        if let Some(user) = invitee {
            keys.push(key(tenant_pk(tenant), member_sk(user)));
        }
        if let Some(invite) = pending_slot_invite {
            keys.push(key(invite_pk(invite), INVITE_SK));
        }
        let mut state = InviteeState::default();
        for item in self.batch_get(keys).await? {
            match item_sk(&item) {
                Some(INVITE_SK) => state.pending_slot_invite = Some(invite_from_item(&item)?),
                Some(_) => state.is_member = true,
                None => {}
            }
        }
        Ok(state)
    }

    /// Stores a new pending invite and points the tenant's pending slot at it. `pending_slot`
    /// is the invite the slot named when it was read (an expired one), or `None` if empty.
    /// `claim_email`: the invite is stored with its email claimed (see `refresh_pending_invite`),
    /// so that requests racing this one send no second email. `max_open`: the most open
    /// invites the tenant may hold.
    pub async fn insert_pending_invite(
        &self,
        invite: &Invite,
        pending_slot: Option<InviteId>,
        max_open: u64,
        claim_email: bool,
    ) -> Result<InsertOutcome, StoreError> {
        let mut item = self.invite_item(invite);
        if claim_email {
            item.insert(EMAIL_CLAIMED_AT.into(), s(invite.created_at.to_rfc3339()));
            let ends = claim_ends(invite.created_at);
            item.insert(EMAIL_CLAIM_ENDS.into(), s(ends.to_rfc3339()));
        }
        let pending_slot_put = match pending_slot {
            None => self.put(pending_slot_item(invite), "attribute_not_exists(pk)"),
            Some(previous) => self.put_with(
                pending_slot_item(invite),
                "invite_id = :previous",
                &[(":previous", previous.to_string())],
            ),
        };
        let items = vec![
            TransactWriteItem::builder().put(pending_slot_put).build(),
            TransactWriteItem::builder()
                .put(self.put(item, "attribute_not_exists(pk)"))
                .build(),
            self.count_new_invite_capped(invite.tenant_id, max_open),
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(InsertOutcome::Inserted),
            Err(cancelled) if cancelled.failed(0) => Ok(InsertOutcome::PendingSlotTaken),
            Err(cancelled) if cancelled.failed(2) => Ok(InsertOutcome::TenantFull),
            Err(cancelled) => Err(StoreError::Failed(
                format!("insert invite cancelled: {:?}", cancelled.0).into(),
            )),
        }
    }

    /// Gives a still-pending invite a new role, expiry and inviter; its `email_id` stays that
    /// of the last email that went out. With `email_cooldown`, the same write also claims the
    /// next invitation email, unless one was claimed within the cooldown: of many concurrent
    /// re-invites only one sends, and none within the cooldown. `None` when the invite is no
    /// longer pending; else the invite and whether this request claimed the email.
    pub async fn refresh_pending_invite(
        &self,
        invite: &Invite,
        changes: &Refresh<'_>,
        email_cooldown: Option<chrono::Duration>,
    ) -> Result<Option<(Invite, bool)>, StoreError> {
        let now = changes.now;
        if let Some(cooldown) = email_cooldown {
            let claim = Claim {
                now,
                cutoff: Timestamp::from_datetime(now.as_datetime() - cooldown),
                ends: claim_ends(now),
            };
            let claimed = self.refresh(invite, changes, Some(claim)).await?;
            if let Some(invite) = claimed {
                return Ok(Some((invite, true)));
            }
        }
        // Not pending any more, or within the cooldown: the plain refresh tells which.
        let refreshed = self.refresh(invite, changes, None).await?;
        Ok(refreshed.map(|invite| (invite, false)))
    }

    async fn refresh(
        &self,
        invite: &Invite,
        changes: &Refresh<'_>,
        claim: Option<Claim>,
    ) -> Result<Option<Invite>, StoreError> {
        let Refresh {
            role,
            invited_by,
            now,
            expires_at,
            groups,
        } = *changes;
        let pending = format!(
            "attribute_exists(pk) AND attribute_not_exists(accepted_at) AND expires_at > :now \
             AND {NOT_MARKED_EXPIRED}"
        );
        let mut set = String::from(
            "SET #role = :role, invited_by_user_id = :inviter, updated_at = :updated, \
             expires_at = :expires, #updated_sk = :updated_sk, #expires_sk = :expires_sk, \
             #change = :refreshed, #ttl = :ttl, #expiry_shard = :expiry_shard, \
             #state_pk = :state_pk",
        );
        let mut remove = "";
        if groups.is_empty() {
            remove = " REMOVE #groups";
        } else {
            set.push_str(", #groups = :groups");
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(invite.id), INVITE_SK)))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .expression_attribute_values(":role", s(role.as_str()))
            .expression_attribute_values(":inviter", s(invited_by.to_string()))
            .expression_attribute_values(":updated", s(now.to_rfc3339()))
            .expression_attribute_values(":expires", s(expires_at.to_rfc3339()))
            .expression_attribute_values(":updated_sk", s(time_sk(now, invite.id)))
            .expression_attribute_values(":expires_sk", s(time_sk(expires_at, invite.id)))
            .expression_attribute_names("#role", "role")
            .expression_attribute_names("#updated_sk", UPDATED_SK)
            .expression_attribute_names("#expires_sk", EXPIRES_SK)
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":ttl", self.retention_ttl(expires_at))
            .expression_attribute_names("#expiry_shard", EXPIRY_SHARD)
            .expression_attribute_values(":expiry_shard", s(expiry_shard(invite.id)))
            .expression_attribute_names("#state_pk", STATE_PK)
            .expression_attribute_values(
                ":state_pk",
                s(state_partition(invite.tenant_id, Lifecycle::Pending)),
            )
            .expression_attribute_values(":expired", s(EXPIRED_CHANGE))
            .expression_attribute_names("#groups", "groups")
            // What the stream tells consumers this write was (publish-events).
            .expression_attribute_names("#change", CHANGE)
            .expression_attribute_values(":refreshed", s(REFRESHED_CHANGE));
        if !groups.is_empty() {
            update = update.expression_attribute_values(":groups", group_list(groups));
        }
        update = match claim {
            None => update
                .condition_expression(pending)
                .update_expression(format!("{set}{remove}")),
            Some(claim) => update
                .condition_expression(format!(
                    "{pending} AND (attribute_not_exists(#claimed) OR #claimed <= :cutoff OR \
                     (#ends <= :now AND (attribute_not_exists(#sent) OR #sent <> #claimed)))"
                ))
                .update_expression(format!("{set}, #claimed = :claimed, #ends = :ends{remove}"))
                .expression_attribute_names("#claimed", EMAIL_CLAIMED_AT)
                .expression_attribute_names("#ends", EMAIL_CLAIM_ENDS)
                .expression_attribute_names("#sent", EMAIL_SENT_CLAIM)
                .expression_attribute_values(":claimed", s(claim.now.to_rfc3339()))
                .expression_attribute_values(":cutoff", s(claim.cutoff.to_rfc3339()))
                .expression_attribute_values(":ends", s(claim.ends.to_rfc3339())),
        };
        let update = update.build().expect("key and expression are set");
        let refreshed = Invite {
            role,
            invited_by_user_id: invited_by,
            updated_at: now,
            expires_at,
            groups: groups.clone(),
            ..invite.clone()
        };
        // Its updated_at and expires_at orders moved.
        self.write_moving_invite(update, refreshed).await
    }

    /// External-IdP direct add: the membership, the accepted `invite` and the memberships of
    /// `groups` (read as existing) are written together.
    /// `pending` is the pending invite being turned into `invite` (same id), if there is one.
    pub async fn add_member_with_invite(
        &self,
        invite: &Invite,
        member: UserId,
        pending: Option<&Invite>,
        groups: &[GroupId],
        now: Timestamp,
    ) -> Result<DirectAddOutcome, StoreError> {
        let joining = Joining {
            tenant: invite.tenant_id,
            user: member,
            role: invite.role,
            groups,
            now,
        };
        let mut items = vec![self.new_membership(&joining)];
        match pending {
            None => {
                items.push(
                    TransactWriteItem::builder()
                        .put(self.put(self.invite_item(invite), "attribute_not_exists(pk)"))
                        .build(),
                );
                items.push(self.count_new_member(invite.tenant_id, 1, 1, JoinPath::Invite));
            }
            Some(pending) => {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(self.invite_item(invite)))
                    .condition_expression(format!(
                        "attribute_exists(pk) AND attribute_not_exists(accepted_at) \
                         AND expires_at > :now AND {NOT_MARKED_EXPIRED}"
                    ))
                    .expression_attribute_values(":now", s(now.to_rfc3339()))
                    .expression_attribute_names("#change", CHANGE)
                    .expression_attribute_values(":expired", s(EXPIRED_CHANGE))
                    .build()
                    .expect("table, item and condition are set");
                items.push(TransactWriteItem::builder().put(put).build());
                items.push(self.count_new_member(invite.tenant_id, 0, 1, JoinPath::Invite));
                items.push(self.release_pending_slot(pending));
            }
        }
        items.extend(self.group_joins(&joining));
        match self.transact(items).await? {
            Ok(()) => Ok(DirectAddOutcome::Added),
            Err(cancelled) if cancelled.failed(0) => Ok(DirectAddOutcome::AlreadyMember),
            Err(cancelled) if cancelled.failed(2) => Ok(DirectAddOutcome::TenantRefused),
            Err(_) => Ok(DirectAddOutcome::Changed),
        }
    }
}
