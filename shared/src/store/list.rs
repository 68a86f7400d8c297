//! The list endpoint's queries.
//!
//! Without filters the page is read straight off the sort order's index, and `total` comes from
//! the tenant's counters: the cost is the page plus the skipped `offset`, whatever the tenant's
//! size, and a deep `offset` read before starts from its skip point (skip_points.rs). A status
//! filter alone is a key condition too (list_state.rs). Other filters (email, role, inviter,
//! dates) cannot be key conditions: they read the invites they could match, at most
//! `max_examined` of them (list_scan.rs).

use super::items::*;
use super::keys::*;
use super::list_read::{read_segment, KeyRange, Segment};
use super::list_scan::{filtered_page, ListFailure};
use super::list_state::{state_segments, status_page};
use super::skip_points::*;
use super::{item_sk, Store, StoreError};
use crate::domain::{
    Invite, InviteListQuery, Role, SortDirection, SortField, TenantId, Timestamp, UserId,
};

/// What the caller knows about the tenant's invites before listing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InviteCounts {
    pub total: u64,
    pub accepted: u64,
    /// Expiries announced by the sweep (partition `X`).
    pub expired: u64,
    /// The tenant's `list_version` and when it last moved (keys.rs).
    pub version: u64,
    pub moved_at: Option<Timestamp>,
}

impl InviteCounts {
    /// Not accepted and expiry not announced (partition `P`).
    pub(super) fn unannounced(&self) -> u64 {
        self.total
            .saturating_sub(self.accepted)
            .saturating_sub(self.expired)
    }
}

/// What the list reads before the page, in one round trip.
#[derive(Debug, Clone, Default)]
pub struct ListContext {
    /// The caller's role in the tenant.
    pub role: Option<Role>,
    pub counts: InviteCounts,
    /// Where the query's offset started when it was last read, if it is deep.
    skip_point: Option<SkipPoint>,
    /// Whether the page may leave skip points.
    skip_points: SkipPoints,
}

impl Store {
    /// The caller's role in `tenant`, the tenant's invite counters and (when `skip_points` is
    /// on) the skip point of `query`'s offset, in one round trip.
    pub async fn load_list_context(
        &self,
        tenant: TenantId,
        caller: UserId,
        query: &InviteListQuery,
        skip_points: SkipPoints,
    ) -> Result<ListContext, StoreError> {
        let mut keys = vec![
            key(tenant_pk(tenant), TENANT_SK),
            key(tenant_pk(tenant), member_sk(caller)),
        ];
        if skip_points == SkipPoints::On {
            keys.extend(skip_point_key(tenant, query));
        }
        let mut context = ListContext {
            skip_points,
            ..ListContext::default()
        };
        for item in &self.batch_get(keys).await? {
            if is_skip_point(item) {
                context.skip_point = skip_point_from_item(item);
                continue;
            }
            match item_sk(item) {
                Some(TENANT_SK) => context.counts = counts_from_tenant_item(item),
                Some(_) => context.role = Some(membership_from_item(item)?.role),
                None => {}
            }
        }
        Ok(context)
    }

    /// One page of a tenant's invites and the number matching the query. A filter no key
    /// condition serves reads at most `max_examined` invites (list_scan.rs). A page that paid
    /// for a deep offset leaves skip points for the next requests (skip_points.rs).
    pub async fn list_invites(
        &self,
        tenant: TenantId,
        query: &InviteListQuery,
        context: &ListContext,
        now: Timestamp,
        max_examined: usize,
    ) -> Result<InvitePage, ListFailure> {
        let page = list_page(self, tenant, query, context, now, max_examined).await?;
        if context.skip_points == SkipPoints::Off {
            return Ok(page);
        }
        let read_at = ReadAt {
            version: context.counts.version,
            moved_at: context.counts.moved_at,
            unannounced: page.unannounced,
        };
        let points = (page.skip_points.as_slice(), page.chain_started);
        self.save_skip_points(tenant, query, points, read_at, now)
            .await;
        Ok(page)
    }
}

/// One page of invites and how many match the query in all.
#[derive(Debug, Clone)]
pub struct InvitePage {
    pub items: Vec<Invite>,
    pub total: u64,
    /// The last invite's key in the order, when the page is full (a next page may follow).
    pub last_key: Option<String>,
    /// The skip points this page leaves, the age of their chain, and the unannounced
    /// expiries it counted.
    skip_points: Vec<(u64, String)>,
    chain_started: Option<Timestamp>,
    pub(super) unannounced: u64,
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
            skip_points: Vec::new(),
            chain_started: None,
            unannounced: 0,
        }
    }

    /// Notes the skip points the page leaves: `keys` are those of every invite its read went
    /// through, from `start` (`skip_points::points_to_leave`).
    pub(super) fn leaving(
        mut self,
        query: &InviteListQuery,
        start: &ReadStart,
        keys: &[String],
    ) -> Self {
        self.skip_points = points_to_leave(query, start, keys);
        self.chain_started = start.chain_started;
        self
    }
}

/// `query` read from `start`: after the skip point's key, skipping only what lies between
/// the point and the offset.
pub(super) fn from_start(query: &InviteListQuery, start: &ReadStart) -> InviteListQuery {
    InviteListQuery {
        after: start.after.clone().or_else(|| query.after.clone()),
        offset: query.offset.saturating_sub(start.at),
        ..query.clone()
    }
}

/// The sort key attribute of the indexes of `sort`.
pub(super) fn sort_attribute(sort: SortField) -> &'static str {
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

/// The sort key of `invite` in the index of `sort` (its order, ties by id).
pub(super) fn sort_key(invite: &Invite, sort: SortField) -> String {
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
    context: &ListContext,
    now: Timestamp,
    max_examined: usize,
) -> Result<InvitePage, ListFailure> {
    let counts = context.counts;
    let skip_point = context.skip_point.as_ref();
    if let (Some(status), false) = (query.status, query.has_filter_besides_status()) {
        return status_page(store, tenant, query, status, counts, skip_point, now).await;
    }
    if query.has_filter() {
        return filtered_page(store, tenant, query, counts, now, max_examined).await;
    }
    let start = skip_point
        .and_then(|point| point.start(query, (counts.version, 0), now))
        .unwrap_or_default();
    let (items, keys) = whole_order_page(store, tenant, &from_start(query, &start), counts).await?;
    Ok(InvitePage::new(items, counts.total, query).leaving(query, &start, &keys))
}

/// A page of every invite in the order, and the sort keys of every invite read to reach it
/// (the skipped ones too).
async fn whole_order_page(
    store: &Store,
    tenant: TenantId,
    query: &InviteListQuery,
    counts: InviteCounts,
) -> Result<(Vec<Invite>, Vec<String>), StoreError> {
    let forward = query.sort_dir == SortDirection::Ascending;
    let limit = query.limit as usize;
    let mut items = Vec::with_capacity(limit);
    let mut keys = Vec::new();
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
        keys.extend(read.iter().map(|invite| sort_key(invite, query.sort_by)));
        items.extend(read.into_iter().skip(skip_here).take(wanted));
        skip = 0;
    }
    Ok((items, keys))
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
