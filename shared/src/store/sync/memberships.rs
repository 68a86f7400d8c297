//! Memberships, with the tenant's member count (its seats) following them.

use super::super::item_sk;
use super::*;
use crate::domain::{Membership, TenantId, UserId};

/// A membership's item, its tombstone and whether its tenant's item exists.
struct MembershipState {
    live: Option<Item>,
    tombstone_version: Option<u64>,
    /// The tenant's item exists (it holds the member count, even as a tombstone).
    tenant_known: bool,
    /// The tenant exists and is not deleted: members may be added.
    tenant_live: bool,
}

impl MembershipState {
    /// The membership or its tombstone is as new as `version`, or newer.
    fn has_newer_than(&self, version: u64) -> bool {
        let newest = self
            .live
            .as_ref()
            .map(stored_version)
            .max(self.tombstone_version);
        newest.is_some_and(|stored| stored >= version)
    }
}

impl Store {
    async fn read_membership_state(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<MembershipState, StoreError> {
        let member = member_sk(user);
        let tombstone = tombstone_sk(&member);
        let found = self
            .batch_get(vec![
                key(tenant_pk(tenant), member.clone()),
                key(tenant_pk(tenant), tombstone.clone()),
                key(tenant_pk(tenant), TENANT_SK),
            ])
            .await?;
        let mut state = MembershipState {
            live: None,
            tombstone_version: None,
            tenant_known: false,
            tenant_live: false,
        };
        for item in found {
            match item_sk(&item) {
                Some(sk) if sk == member => state.live = Some(item),
                Some(sk) if sk == tombstone => {
                    state.tombstone_version = Some(stored_version(&item))
                }
                Some(TENANT_SK) => {
                    state.tenant_known = true;
                    state.tenant_live = tenant_from_item(&item)?.is_some();
                }
                _ => {}
            }
        }
        Ok(state)
    }

    /// `MembershipUpserted`: a new member takes a seat (the platform decides; no cap here), a
    /// known one changes role.
    pub async fn sync_membership(
        &self,
        membership: &Membership,
        version: u64,
        now: crate::domain::Timestamp,
    ) -> Result<SyncOutcome, StoreError> {
        let (tenant, user) = (membership.tenant_id, membership.user_id);
        for attempt in 1.. {
            let state = self.read_membership_state(tenant, user).await?;
            if state.has_newer_than(version) {
                return Ok(SyncOutcome::Stale);
            }
            if !state.tenant_live {
                return Ok(SyncOutcome::Blocked(
                    "the tenant is not known yet, or deleted",
                ));
            }
            let mut item = membership_to_item(membership, now);
            item.insert(VERSION.into(), version_value(version));
            let member = member_sk(user);
            let items = match &state.live {
                // A role change, over exactly the membership read (not one removed meanwhile,
                // which would come back uncounted).
                Some(read) => vec![
                    self.put_as_read(item, read, version),
                    self.not_deleted_since(tenant_pk(tenant), &member, version),
                ],
                None => vec![
                    TransactWriteItem::builder()
                        .put(self.put(item, "attribute_not_exists(pk)"))
                        .build(),
                    self.not_deleted_since(tenant_pk(tenant), &member, version),
                    self.member_count_by(tenant, 1),
                ],
            };
            match self.transact(items).await? {
                Ok(()) => return Ok(SyncOutcome::Applied),
                Err(cancelled) if cancelled.failed(1) => return Ok(SyncOutcome::Stale),
                // Created, changed or removed meanwhile (an accept, a concurrent event): again.
                Err(_) => super::super::pause_before_retry(attempt).await?,
            }
        }
        unreachable!("the loop only ends by returning")
    }

    /// `MembershipRemoved`: the member goes (a seat is freed), the tombstone stays.
    pub async fn sync_membership_removed(
        &self,
        tenant: TenantId,
        user: UserId,
        version: u64,
    ) -> Result<SyncOutcome, StoreError> {
        let member = member_sk(user);
        for attempt in 1.. {
            let state = self.read_membership_state(tenant, user).await?;
            if state.has_newer_than(version) {
                return Ok(SyncOutcome::Stale);
            }
            let mut items = vec![self.tombstone(tenant_pk(tenant), &member, version)];
            match &state.live {
                // Still absent at the write, or a concurrent add would outlive the tombstone.
                None => items.push(self.absent(key(tenant_pk(tenant), member.clone()))),
                Some(live) => {
                    items.push(self.delete_as_read(key(tenant_pk(tenant), member.clone()), live));
                    if state.tenant_known {
                        items.push(self.member_count_by(tenant, -1));
                    }
                }
            }
            match self.transact(items).await? {
                Ok(()) => return Ok(SyncOutcome::Applied),
                Err(cancelled) if cancelled.failed(0) => return Ok(SyncOutcome::Stale),
                Err(_) => super::super::pause_before_retry(attempt).await?,
            }
        }
        unreachable!("the loop only ends by returning")
    }
}
