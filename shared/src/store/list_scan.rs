//! Lists filtered by what no key condition serves: an email substring, a role, an inviter, or
//! a date range on another field than the order. Their `total` needs every invite in scope
//! read, so the invites a request may examine are capped (`MAX_EXAMINED` by default): cost stays bounded
//! at any tenant size, and a query whose scope is larger is refused with a clear answer
//! instead of being answered from part of it. A date range on the order's own field
//! (`created_*` with `sort_by=created_at`, `updated_*` with `updated_at`) is a key range: it
//! narrows the scope before anything is read, as a status does.

use super::list::{in_order, segments, InviteCounts, InvitePage};
use super::list_filter::filter;
use super::list_read::{read_segment_within, ExamineBudget, KeyRange};
use super::list_state::unannounced_expiries;
use super::StoreError;
use super::{Store, TenantId};
use crate::domain::{InviteListQuery, InviteStatus, SortDirection, SortField, Timestamp};

/// The most invites one filtered list request reads by default: about 0.8 MB of invites,
/// under 200 read units, whatever the tenant's size.
pub const MAX_EXAMINED: usize = 2_000;

/// A filtered list that would examine more invites than a request may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the filter's scope holds more than {max_examined} invites")]
pub struct FilterTooBroad {
    pub max_examined: usize,
    /// How many invites the scope holds, when the counters tell (no date key range).
    pub in_scope: Option<u64>,
    /// The scope was a date range on the order's field: only a narrower range helps.
    pub date_range: bool,
}

/// Why a list request has no page.
#[derive(Debug, thiserror::Error)]
pub enum ListFailure {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    TooBroad(#[from] FilterTooBroad),
}

/// The key range a date filter on the order's own field makes, and that field.
fn date_key_range(query: &InviteListQuery) -> Option<(KeyRange, SortField)> {
    let range = match query.sort_by {
        SortField::CreatedAt => query.created,
        SortField::UpdatedAt => query.updated,
        SortField::ExpiresAt | SortField::AcceptedAt => return None,
    };
    // `#` sorts before every id character: `<instant>#` is just below that instant's keys.
    let bound = |at: Timestamp| format!("{}#", at.to_rfc3339());
    (!range.is_open()).then(|| {
        let keys = KeyRange {
            from: range.after.map(bound),
            below: range.before.map(bound),
        };
        (keys, query.sort_by)
    })
}

pub(super) async fn filtered_page(
    store: &Store,
    tenant: TenantId,
    query: &InviteListQuery,
    counts: InviteCounts,
    now: Timestamp,
    max_examined: usize,
) -> Result<InvitePage, ListFailure> {
    let forward = query.sort_dir == SortDirection::Ascending;
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = query.limit as usize;
    // The delivery index is in creation order: a date range is a key range there only on
    // `created_*` with that order; on any other, it stays in the filter.
    let key_range = date_key_range(query)
        .filter(|(_, field)| query.delivery.is_none() || *field == SortField::CreatedAt);
    if let Some((
        KeyRange {
            from: Some(from),
            below: Some(below),
        },
        _,
    )) = &key_range
    {
        // An empty range (its start at or after its end) holds nothing; DynamoDB would refuse
        // it as a BETWEEN whose bounds are reversed.
        if from >= below {
            return Ok(InvitePage::new(Vec::new(), 0, query));
        }
    }
    let mut segments = segments(tenant, query, counts);
    match &key_range {
        Some((keys, _)) => segments.iter_mut().for_each(|s| s.range = keys.clone()),
        None => {
            // The counters tell the scope's size: a query too broad costs nothing to refuse.
            let in_scope = segments.iter().map(|segment| segment.count).sum::<u64>();
            if in_scope > max_examined as u64 {
                return Err(FilterTooBroad {
                    max_examined,
                    in_scope: Some(in_scope),
                    date_range: false,
                }
                .into());
            }
        }
    }
    let keyed_filter = filter(query, now, key_range.as_ref().map(|(_, field)| *field));
    let mut budget = ExamineBudget::new(max_examined);
    let too_broad = FilterTooBroad {
        max_examined,
        in_scope: None,
        date_range: key_range.is_some(),
    };
    let mut matching = Vec::new();
    let expired = query.status == Some(InviteStatus::Expired);
    // The unannounced expiries first, as in `status_page`: one the sweep marks between the
    // two reads is then in both (dropped below), never in neither. Their index is ordered by
    // expiry, so a date range is a filter there.
    if expired {
        let unannounced = unannounced_expiries(tenant, now);
        let whole_filter = filter(query, now, None);
        matching =
            read_segment_within(store, &unannounced, &whole_filter, forward, &mut budget).await?;
        if budget.exceeded {
            return Err(too_broad.into());
        }
    }
    for segment in &segments {
        let read = read_segment_within(store, segment, &keyed_filter, forward, &mut budget).await?;
        if budget.exceeded {
            return Err(too_broad.into());
        }
        matching.retain(|invite| !read.iter().any(|other| other.id == invite.id));
        matching.extend(read);
    }
    let reordered = query.delivery.is_some() && query.sort_by != SortField::CreatedAt;
    if expired || reordered {
        in_order(&mut matching, query.sort_by, forward);
    }
    let total = matching.len() as u64;
    let items = matching.into_iter().skip(offset).take(limit).collect();
    Ok(InvitePage::new(items, total, query))
}
