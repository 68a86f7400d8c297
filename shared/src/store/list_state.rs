//! A page of one status: a key condition on its partition of the order's `by_state_*` index
//! (keys.rs), with `total` from the counters. An invite past its expiry that the sweep has not
//! announced yet is still in `P`: those few are a key range of `by_state_expires`, and count
//! as expired.

use super::items::*;
use super::keys::*;
use super::list::{from_start, in_order, sort_attribute, sort_key, InviteCounts, InvitePage};
use super::list_filter::Filter;
use super::list_read::{read_segment, KeyRange, Segment};
use super::list_scan::ListFailure;
use super::skip_points::SkipPoint;
use super::Store;
use crate::domain::{
    Invite, InviteListQuery, InviteStatus, SortDirection, SortField, TenantId, Timestamp,
};

/// The partitions of the `by_state_*` index of `sort` that hold the invites of `status`: an
/// expired invite is announced (`X`) or, until the sweep comes, still in `P` with its expiry
/// past (a key range of `by_state_expires`).
pub(super) fn state_segments(
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

/// A page of one status, off its partition in the order's `by_state_*` index: the page and
/// the skipped `offset` are read (or the page only, from a skip point), whatever the tenant's
/// size, plus the unannounced expiries (a key range, at most one sweep period's worth) for
/// `pending` and `expired`.
pub(super) async fn status_page(
    store: &Store,
    tenant: TenantId,
    query: &InviteListQuery,
    status: InviteStatus,
    counts: InviteCounts,
    skip_point: Option<&SkipPoint>,
    now: Timestamp,
) -> Result<InvitePage, ListFailure> {
    let unannounced = match status {
        InviteStatus::Accepted => Vec::new(),
        _ => read_segment(store, &unannounced_expiries(tenant, now), None, true, None).await?,
    };
    let waiting = unannounced.len() as u64;
    let start = skip_point
        .and_then(|point| point.start(query, (counts.version, waiting), now))
        .unwrap_or_default();
    let asked = query;
    let resumed = from_start(asked, &start);
    let query = &resumed;

    let forward = query.sort_dir == SortDirection::Ascending;
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = query.limit as usize;
    let want = offset.saturating_add(limit);
    let [segment] = <[Segment; 1]>::try_from(state_segments(tenant, query, status, counts))
        .unwrap_or_else(|_| unreachable!("one partition per status"));
    let total = match status {
        InviteStatus::Accepted => counts.accepted,
        InviteStatus::Pending => segment.count.saturating_sub(waiting),
        InviteStatus::Expired => counts.expired + waiting,
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
    // Past `want`, an expired page's merge of the two reads is not in order any more.
    let keys: Vec<String> = invites
        .iter()
        .take(want)
        .map(|invite| sort_key(invite, query.sort_by))
        .collect();
    let items = invites.into_iter().skip(offset).take(limit).collect();
    let mut page = InvitePage::new(items, total, asked).leaving(asked, &start, &keys);
    page.unannounced = waiting;
    Ok(page)
}
