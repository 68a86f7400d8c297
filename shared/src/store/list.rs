//! The list endpoint's queries.
//!
//! Without filters the page is read straight off the sort order's index, and `total` comes from
//! the tenant's counters: the cost is the page plus the skipped `offset`, whatever the tenant's
//! size. A status or email filter cannot be answered by a key condition, so it reads every
//! invite of the tenant (in one index order) to count the matches.

use aws_sdk_dynamodb::types::AttributeValue;

use super::items::*;
use super::keys::*;
use super::{classify, item_sk, Store, StoreError};
use crate::domain::{
    Invite, InviteListQuery, InviteStatus, Role, SortDirection, SortField, TenantId, Timestamp,
    UserId,
};

/// What the caller knows about the tenant's invites before listing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InviteCounts {
    pub total: u64,
    pub accepted: u64,
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

    /// One page of a tenant's invites and the number matching the query.
    pub async fn list_invites(
        &self,
        tenant: TenantId,
        query: &InviteListQuery,
        counts: InviteCounts,
        now: Timestamp,
    ) -> Result<InvitePage, StoreError> {
        list_page(self, tenant, query, counts, now).await
    }
}

/// One page of invites and how many match the query in all.
#[derive(Debug, Clone)]
pub struct InvitePage {
    pub items: Vec<Invite>,
    pub total: u64,
}

/// A run of invites read in order from one index partition.
struct Segment {
    index: &'static str,
    partition_attribute: &'static str,
    partition: String,
    /// How many invites it holds, from the tenant's counters.
    count: u64,
}

struct Filter {
    expression: String,
    names: Vec<(&'static str, &'static str)>,
    values: Vec<(&'static str, AttributeValue)>,
}

fn segments(tenant: TenantId, query: &InviteListQuery, counts: InviteCounts) -> Vec<Segment> {
    let whole = |index| Segment {
        index,
        partition_attribute: GSI_TENANT,
        partition: tenant.to_string(),
        count: counts.total,
    };
    let accepted = Segment {
        index: INDEX_BY_ACCEPTED,
        partition_attribute: ACCEPTED_PK,
        partition: accepted_partition(tenant, true),
        count: counts.accepted,
    };
    let not_accepted = Segment {
        index: INDEX_BY_ACCEPTED,
        partition_attribute: ACCEPTED_PK,
        partition: accepted_partition(tenant, false),
        count: counts.total.saturating_sub(counts.accepted),
    };
    match query.sort_by {
        SortField::CreatedAt => vec![whole(INDEX_BY_CREATED)],
        SortField::UpdatedAt => vec![whole(INDEX_BY_UPDATED)],
        SortField::ExpiresAt => vec![whole(INDEX_BY_EXPIRES)],
        // Invites never accepted come after the accepted ones in either direction.
        SortField::AcceptedAt => match query.status {
            Some(InviteStatus::Accepted) => vec![accepted],
            Some(InviteStatus::Pending | InviteStatus::Expired) => vec![not_accepted],
            None => vec![accepted, not_accepted],
        },
    }
}

fn filter(query: &InviteListQuery, now: Timestamp) -> Filter {
    let mut parts = Vec::new();
    let mut names = Vec::new();
    let mut values = Vec::new();
    if let Some(needle) = &query.email_contains {
        parts.push("contains(#email, :email)");
        names.push(("#email", "email"));
        values.push((":email", s(needle.clone())));
    }
    if let Some(status) = query.status {
        names.push(("#accepted_at", "accepted_at"));
        match status {
            InviteStatus::Accepted => parts.push("attribute_exists(#accepted_at)"),
            InviteStatus::Pending | InviteStatus::Expired => {
                parts.push(if status == InviteStatus::Pending {
                    "attribute_not_exists(#accepted_at) AND #expires_at > :now"
                } else {
                    "attribute_not_exists(#accepted_at) AND #expires_at <= :now"
                });
                names.push(("#expires_at", "expires_at"));
                values.push((":now", s(now.to_rfc3339())));
            }
        }
    }
    if let Some(role) = query.role {
        parts.push("#role = :role");
        names.push(("#role", "role"));
        values.push((":role", s(role.as_str())));
    }
    if let Some(inviter) = query.invited_by {
        parts.push("#invited_by = :invited_by");
        names.push(("#invited_by", "invited_by_user_id"));
        values.push((":invited_by", s(inviter.to_string())));
    }
    // Stored instants are fixed-width UTC strings: string order is time order.
    let ranges = [
        (
            "#created_at",
            "created_at",
            &query.created,
            [":created_after", ":created_before"],
        ),
        (
            "#updated_at",
            "updated_at",
            &query.updated,
            [":updated_after", ":updated_before"],
        ),
    ];
    for (name, attribute, range, [after, before]) in ranges {
        if range.is_open() {
            continue;
        }
        names.push((name, attribute));
        if let Some(at) = range.after {
            parts.push(if name == "#created_at" {
                "#created_at >= :created_after"
            } else {
                "#updated_at >= :updated_after"
            });
            values.push((after, s(at.to_rfc3339())));
        }
        if let Some(at) = range.before {
            parts.push(if name == "#created_at" {
                "#created_at < :created_before"
            } else {
                "#updated_at < :updated_before"
            });
            values.push((before, s(at.to_rfc3339())));
        }
    }
    Filter {
        expression: parts.join(" AND "),
        names,
        values,
    }
}

async fn list_page(
    store: &Store,
    tenant: TenantId,
    query: &InviteListQuery,
    counts: InviteCounts,
    now: Timestamp,
) -> Result<InvitePage, StoreError> {
    let forward = query.sort_dir == SortDirection::Ascending;
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = query.limit as usize;

    if query.has_filter() {
        let filter = filter(query, now);
        let mut matching = Vec::new();
        for segment in segments(tenant, query, counts) {
            matching.extend(read_segment(store, &segment, Some(&filter), forward, None).await?);
        }
        let total = matching.len() as u64;
        let items = matching.into_iter().skip(offset).take(limit).collect();
        return Ok(InvitePage { items, total });
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
    Ok(InvitePage {
        items,
        total: counts.total,
    })
}

/// Reads a segment in order, all of it or its first `want` invites, page by page.
async fn read_segment(
    store: &Store,
    segment: &Segment,
    filter: Option<&Filter>,
    forward: bool,
    want: Option<usize>,
) -> Result<Vec<Invite>, StoreError> {
    let mut invites = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let mut request = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(segment.index)
            .key_condition_expression("#partition = :partition")
            .expression_attribute_names("#partition", segment.partition_attribute)
            .expression_attribute_values(":partition", s(segment.partition.clone()))
            .scan_index_forward(forward)
            .set_exclusive_start_key(start.take());
        if let Some(filter) = filter {
            request = request.filter_expression(&filter.expression);
            for (name, attribute) in &filter.names {
                request = request.expression_attribute_names(*name, *attribute);
            }
            for (name, value) in &filter.values {
                request = request.expression_attribute_values(*name, value.clone());
            }
        }
        if let Some(want) = want {
            let remaining = want.saturating_sub(invites.len()).clamp(1, 1000);
            request = request.limit(remaining as i32);
        }
        let output = request.send().await.map_err(classify)?;
        for item in output.items() {
            invites.push(invite_from_item(item)?);
        }
        start = output.last_evaluated_key;
        let satisfied = want.is_some_and(|want| invites.len() >= want);
        if start.is_none() || satisfied {
            return Ok(invites);
        }
    }
}
