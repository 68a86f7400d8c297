//! The list endpoint's queries.
//!
//! Without filters the page is read straight off the sort order's index, and `total` comes from
//! the tenant's counters: the cost is the page plus the skipped `offset`, whatever the tenant's
//! size. A status filter alone is a key condition too: the `by_state_*` index of the order,
//! partition `A`, `P` or `X` (keys.rs), with `total` from the counters; the few invites past
//! their expiry that the sweep has not marked yet (`P`, expiry before now: a key range) count
//! as expired. Other filters (email, role, inviter, dates) cannot be key conditions: they read
//! every invite of the tenant (of its status partition, with a status) to count the matches.

use super::items::*;
use super::keys::*;
use super::list_filter::Filter;
use super::list_read::{read_segment, KeyRange, Segment};
use super::list_scan::{filtered_page, ListFailure};
use super::{item_sk, Store, StoreError};
use crate::domain::{
    Invite, InviteListQuery, InviteStatus, Role, SortDirection, SortField, TenantId, Timestamp,
    UserId,
};

/// What the caller knows about the tenant's invites before listing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InviteCounts {
    pub total: u64,
    pub accepted: u64,
    /// Expiries announced by the sweep (partition `X`).
    pub expired: u64,
}

impl InviteCounts {
    /// Not accepted and expiry not announced (partition `P`).
    fn unannounced(&self) -> u64 {
        self.total
            .saturating_sub(self.accepted)
            .saturating_sub(self.expired)
    }
}

impl Store {
    /// The caller's role in `tenant` and the tenant's invite counters, in one round trip.
    pub async fn load_role_and_counts(
        &self,
        tenant: TenantId,
        caller: UserId,
    ) -> Result<(Option<Role>, InviteCounts), StoreError> {
        let found = self
            .batch_get(vec![
                key(tenant_pk(tenant), TENANT_SK),
                key(tenant_pk(tenant), member_sk(caller)),
            ])
            .await?;
        let (mut role, mut counts) = (None, InviteCounts::default());
        for item in &found {
            match item_sk(item) {
                Some(TENANT_SK) => counts = counts_from_tenant_item(item),
                Some(_) => role = Some(membership_from_item(item)?.role),
                None => {}
            }
        }
        Ok((role, counts))
    }

    /// One page of a tenant's invites and the number matching the query. A filter no key
    /// condition serves reads at most `max_examined` invites (list_scan.rs).
    pub async fn list_invites(
        &self,
        tenant: TenantId,
        query: &InviteListQuery,
        counts: InviteCounts,
        now: Timestamp,
        max_examined: usize,
    ) -> Result<InvitePage, ListFailure> {
        list_page(self, tenant, query, counts, now, max_examined).await
    }
}

/// One page of invites and how many match the query in all.
#[derive(Debug, Clone)]
pub struct InvitePage {
    pub items: Vec<Invite>,
    pub total: u64,
    /// The last invite's key in the order, when the page is full (a next page may follow).
    pub last_key: Option<String>,
}

impl InvitePage {
    pub(super) fn new(items: Vec<Invite>, total: u64, query: &InviteListQuery) -> Self {
        let last_key = (items.len() == query.limit as usize)
            .then(|| items.last().map(|invite| sort_key(invite, query.sort_by)))
            .flatten();
        Self {
            items,
            total,
            last_key,
        }
    }
}

/// The sort key attribute of the indexes of `sort`.
fn sort_attribute(sort: SortField) -> &'static str {
    match sort {
        SortField::CreatedAt => CREATED_SK,
        SortField::UpdatedAt => UPDATED_SK,
        SortField::ExpiresAt => EXPIRES_SK,
        SortField::AcceptedAt => ACCEPTED_SK,
    }
}

pub(super) fn segments(
    tenant: TenantId,
    query: &InviteListQuery,
    counts: InviteCounts,
) -> Vec<Segment> {
    if let Some(delivery) = query.delivery {
        // Its own partition of `by_delivery`, in creation order (list_scan.rs reorders).
        return vec![Segment {
            index: INDEX_BY_DELIVERY,
            partition_attribute: DELIVERY_PK,
            partition: delivery_partition(tenant, delivery),
            count: 0,
            range: KeyRange::default(),
            sort_attribute: CREATED_SK,
            after: None,
        }];
    }
    if let Some(status) = query.status {
        return state_segments(tenant, query, status, counts);
    }
    let whole = |index| Segment {
        index,
        partition_attribute: GSI_TENANT,
        partition: tenant.to_string(),
        count: counts.total,
        range: KeyRange::default(),
        sort_attribute: sort_attribute(query.sort_by),
        after: query.after.clone(),
    };
    let accepted_segment = |accepted: bool, count| Segment {
        index: INDEX_BY_ACCEPTED,
        partition_attribute: ACCEPTED_PK,
        partition: accepted_partition(tenant, accepted),
        count,
        range: KeyRange::default(),
        sort_attribute: ACCEPTED_SK,
        after: None,
    };
    match query.sort_by {
        SortField::CreatedAt => vec![whole(INDEX_BY_CREATED)],
        SortField::UpdatedAt => vec![whole(INDEX_BY_UPDATED)],
        SortField::ExpiresAt => vec![whole(INDEX_BY_EXPIRES)],
        // Invites never accepted come after the accepted ones in either direction.
        SortField::AcceptedAt => vec![
            accepted_segment(true, counts.accepted),
            accepted_segment(false, counts.total.saturating_sub(counts.accepted)),
        ],
    }
}

/// The partitions of the `by_state_*` index of `sort` that hold the invites of `status`: an
/// expired invite is announced (`X`) or, until the sweep comes, still in `P` with its expiry
/// past (a key range of `by_state_expires`).
fn state_segments(
    tenant: TenantId,
    query: &InviteListQuery,
    status: InviteStatus,
    counts: InviteCounts,
) -> Vec<Segment> {
    let index = match query.sort_by {
        SortField::CreatedAt => INDEX_BY_STATE_CREATED,
        SortField::UpdatedAt => INDEX_BY_STATE_UPDATED,
        SortField::ExpiresAt => INDEX_BY_STATE_EXPIRES,
        SortField::AcceptedAt => INDEX_BY_STATE_ACCEPTED,
    };
    let partition = |state, count| Segment {
        index,
        partition_attribute: STATE_PK,
        partition: state_partition(tenant, state),
        count,
        range: KeyRange::default(),
        sort_attribute: sort_attribute(query.sort_by),
        after: query.after.clone(),
    };
    match status {
        InviteStatus::Accepted => vec![partition(Lifecycle::Accepted, counts.accepted)],
        InviteStatus::Pending => vec![partition(Lifecycle::Pending, counts.unannounced())],
        InviteStatus::Expired => vec![partition(Lifecycle::Expired, counts.expired)],
    }
}

/// The invites of `tenant` past their expiry whose expiry the sweep has not announced yet:
/// at most one sweep period's worth, read as a key range.
pub(super) fn unannounced_expiries(tenant: TenantId, now: Timestamp) -> Segment {
    Segment {
        index: INDEX_BY_STATE_EXPIRES,
        partition_attribute: STATE_PK,
        partition: state_partition(tenant, Lifecycle::Pending),
        count: 0,
        // `$` sorts after the `#` before the id: an expiry at `now` exactly is in the range.
        range: KeyRange {
            from: None,
            below: Some(format!("{}$", now.to_rfc3339())),
        },
        sort_attribute: EXPIRES_SK,
        after: None,
    }
}

/// The sort key of `invite` in the index of `sort` (its order, ties by id).
fn sort_key(invite: &Invite, sort: SortField) -> String {
    match sort {
        SortField::CreatedAt => time_sk(invite.created_at, invite.id),
        SortField::UpdatedAt => time_sk(invite.updated_at, invite.id),
        SortField::ExpiresAt => time_sk(invite.expires_at, invite.id),
        SortField::AcceptedAt => accepted_sk(invite.accepted_at, invite.id),
    }
}

/// Puts invites read from several partitions in the list's order.
/// By `accepted_at`, invites never accepted come after the accepted ones in either
/// direction, as the reads in order give them.
pub(super) fn in_order(invites: &mut [Invite], sort: SortField, forward: bool) {
    let never_accepted =
        |invite: &Invite| sort == SortField::AcceptedAt && invite.accepted_at.is_none();
    invites.sort_by_cached_key(|invite| {
        let key = sort_key(invite, sort);
        (
            never_accepted(invite),
            if forward {
                Ok(key)
            } else {
                Err(std::cmp::Reverse(key))
            },
        )
    });
}

async fn list_page(
    store: &Store,
    tenant: TenantId,
    query: &InviteListQuery,
    counts: InviteCounts,
    now: Timestamp,
    max_examined: usize,
) -> Result<InvitePage, ListFailure> {
    let forward = query.sort_dir == SortDirection::Ascending;
    let limit = query.limit as usize;

    if let (Some(status), false) = (query.status, query.has_filter_besides_status()) {
        return status_page(store, tenant, query, status, counts, now).await;
    }
    if query.has_filter() {
        return filtered_page(store, tenant, query, counts, now, max_examined).await;
    }

    let mut items = Vec::with_capacity(limit);
    let mut skip = query.offset;
    for segment in segments(tenant, query, counts) {
        let wanted = limit - items.len();
        if wanted == 0 {
            break;
        }
        if skip >= segment.count {
            skip -= segment.count;
            continue;
        }
        let skip_here = skip as usize;
        let read = read_segment(store, &segment, None, forward, Some(skip_here + wanted)).await?;
        items.extend(read.into_iter().skip(skip_here).take(wanted));
        skip = 0;
    }
    Ok(InvitePage::new(items, counts.total, query))
}

/// A page of one status, off its partition in the order's `by_state_*` index: the page and
/// the skipped `offset` are read, whatever the tenant's size, plus the unannounced expiries
/// (a key range, at most one sweep period's worth) for `pending` and `expired`.
async fn status_page(
    store: &Store,
    tenant: TenantId,
    query: &InviteListQuery,
    status: InviteStatus,
    counts: InviteCounts,
    now: Timestamp,
) -> Result<InvitePage, ListFailure> {
    let forward = query.sort_dir == SortDirection::Ascending;
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = query.limit as usize;
    let want = offset.saturating_add(limit);
    let [segment] = <[Segment; 1]>::try_from(state_segments(tenant, query, status, counts))
        .unwrap_or_else(|_| unreachable!("one partition per status"));
    let unannounced = match status {
        InviteStatus::Accepted => Vec::new(),
        _ => read_segment(store, &unannounced_expiries(tenant, now), None, true, None).await?,
    };
    let total = match status {
        InviteStatus::Accepted => counts.accepted,
        InviteStatus::Pending => segment.count.saturating_sub(unannounced.len() as u64),
        InviteStatus::Expired => counts.expired + unannounced.len() as u64,
    };
    // Past the end: nothing to read (an offset is not a reason to read a whole partition).
    if query.after.is_none() && query.offset >= total {
        return Ok(InvitePage::new(Vec::new(), total, query));
    }
    let invites = match status {
        InviteStatus::Accepted => read_segment(store, &segment, None, forward, Some(want)).await?,
        InviteStatus::Pending => {
            // Those past their expiry are not pending; they are read (few) and dropped.
            let pending = Filter {
                expression: "#expires_at > :now".into(),
                names: vec![("#expires_at", "expires_at")],
                values: vec![(":now", s(now.to_rfc3339()))],
            };
            read_segment(store, &segment, Some(&pending), forward, Some(want)).await?
        }
        InviteStatus::Expired => {
            let mut read = read_segment(store, &segment, None, forward, Some(want)).await?;
            // Those a cursor already passed stay behind it.
            let beyond = |invite: &Invite| match &query.after {
                None => true,
                Some(after) if forward => sort_key(invite, query.sort_by) > *after,
                Some(after) => sort_key(invite, query.sort_by) < *after,
            };
            // One the sweep marked between the two reads is in both: keep the first.
            let announced: std::collections::HashSet<_> = read.iter().map(|i| i.id).collect();
            read.extend(
                unannounced
                    .into_iter()
                    .filter(|invite| !announced.contains(&invite.id))
                    .filter(beyond),
            );
            in_order(&mut read, query.sort_by, forward);
            read
        }
    };
    let items = invites.into_iter().skip(offset).take(limit).collect();
    Ok(InvitePage::new(items, total, query))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Clock;

    fn invite(accepted_after: Option<i64>) -> Invite {
        let now = Clock::system().now();
        let accepted_at = accepted_after.map(|s| now.plus(chrono::Duration::seconds(s)));
        Invite {
            accepted_at,
            ..Invite::sample(now)
        }
    }

    /// What the reads of `by_accepted` give: accepted ones in order, then the rest.
    #[test]
    fn by_accepted_at_the_never_accepted_come_last_both_ways() {
        let (first, second, never) = (invite(Some(1)), invite(Some(2)), invite(None));
        for (forward, expected) in [
            (true, [first.id, second.id]),
            (false, [second.id, first.id]),
        ] {
            let mut invites = vec![never.clone(), second.clone(), first.clone()];
            in_order(&mut invites, SortField::AcceptedAt, forward);
            let ids: Vec<_> = invites.iter().map(|i| i.id).collect();
            assert_eq!(
                ids,
                [expected[0], expected[1], never.id],
                "forward {forward}"
            );
        }
    }
}
