//! Reading a run of invites off one partition of a list index, in order.

use super::items::*;
use super::keys::INVITE_SK;
use super::list_filter::Filter;
use super::{classify, Store, StoreError};
use crate::domain::Invite;

/// A run of invites read in order from one index partition.
pub(super) struct Segment {
    pub index: &'static str,
    pub partition_attribute: &'static str,
    pub partition: String,
    /// How many invites it holds, from the tenant's counters (0 when unknown).
    pub count: u64,
    /// Only sort keys in this range (a key condition).
    pub range: KeyRange,
    /// The sort key attribute of its index.
    pub sort_attribute: &'static str,
    /// Resume after the invite with this sort key (a cursor).
    pub after: Option<String>,
}

/// Bounds on a segment's sort key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct KeyRange {
    pub from: Option<String>,
    /// Exclusive; with `from` too it is sent as `BETWEEN`, which is exact because the bounds
    /// built here (`<instant>#` or `<instant>$`) never equal a stored key (those end in an id).
    pub below: Option<String>,
}

impl KeyRange {
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.below.is_none()
    }
}

/// How many invites a request may still examine (read before its filter applies).
pub(super) struct ExamineBudget {
    pub left: usize,
    /// Set when a read stopped with invites left to examine.
    pub exceeded: bool,
}

impl ExamineBudget {
    pub fn new(left: usize) -> Self {
        Self {
            left,
            exceeded: false,
        }
    }
}

/// The index position just after the invite a cursor names: its table key (from the id at the
/// end of the sort key) and its keys in the segment's index, in the caller's partition.
fn resume_at(segment: &Segment) -> Option<Item> {
    let after = segment.after.as_ref()?;
    let id = after.rsplit('#').next()?;
    let mut key = key(format!("INVITE#{id}"), INVITE_SK);
    key.insert(
        segment.partition_attribute.into(),
        s(segment.partition.clone()),
    );
    key.insert(segment.sort_attribute.into(), s(after.clone()));
    Some(key)
}

/// Reads a segment in order, all of it or its first `want` invites, page by page.
pub(super) async fn read_segment(
    store: &Store,
    segment: &Segment,
    filter: Option<&Filter>,
    forward: bool,
    want: Option<usize>,
) -> Result<Vec<Invite>, StoreError> {
    read_pages(store, segment, filter, forward, want, None).await
}

/// Reads all of a segment that matches `filter`, examining at most `budget.left` invites; if
/// more remain, stops and sets `budget.exceeded`.
pub(super) async fn read_segment_within(
    store: &Store,
    segment: &Segment,
    filter: &Filter,
    forward: bool,
    budget: &mut ExamineBudget,
) -> Result<Vec<Invite>, StoreError> {
    read_pages(store, segment, Some(filter), forward, None, Some(budget)).await
}

async fn read_pages(
    store: &Store,
    segment: &Segment,
    filter: Option<&Filter>,
    forward: bool,
    want: Option<usize>,
    mut budget: Option<&mut ExamineBudget>,
) -> Result<Vec<Invite>, StoreError> {
    let mut invites = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let mut request = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(segment.index)
            .expression_attribute_names("#partition", segment.partition_attribute)
            .expression_attribute_values(":partition", s(segment.partition.clone()))
            .scan_index_forward(forward)
            .set_exclusive_start_key(start.take().or_else(|| resume_at(segment)));
        let range = &segment.range;
        let condition = match (&range.from, &range.below) {
            (None, None) => "#partition = :partition",
            (Some(_), None) => "#partition = :partition AND #sort >= :from",
            (None, Some(_)) => "#partition = :partition AND #sort < :below",
            (Some(_), Some(_)) => "#partition = :partition AND #sort BETWEEN :from AND :below",
        };
        request = request.key_condition_expression(condition);
        if !range.is_open() {
            request = request.expression_attribute_names("#sort", segment.sort_attribute);
        }
        if let Some(from) = &range.from {
            request = request.expression_attribute_values(":from", s(from.clone()));
        }
        if let Some(below) = &range.below {
            request = request.expression_attribute_values(":below", s(below.clone()));
        }
        if let Some(filter) = filter.filter(|filter| !filter.expression.is_empty()) {
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
        if let Some(budget) = budget.as_deref() {
            // One more than the budget: reading it proves that more remain.
            let examine = budget.left.saturating_add(1).min(i32::MAX as usize);
            request = request.limit(examine as i32);
        }
        let output = request.send().await.map_err(classify)?;
        if let Some(budget) = budget.as_deref_mut() {
            let examined = usize::try_from(output.scanned_count).unwrap_or(0);
            match budget.left.checked_sub(examined) {
                Some(left) => budget.left = left,
                None => {
                    budget.exceeded = true;
                    return Ok(invites);
                }
            }
        }
        for item in output.items() {
            invites.push(invite_from_item(item)?);
        }
        start = output.last_evaluated_key;
        let satisfied = want.is_some_and(|want| invites.len() >= want);
        // With the budget spent and a key left, the next read (limit 1) tells whether more
        // invites follow: DynamoDB hands out a key whenever a limit stops it.
        if start.is_none() || satisfied {
            return Ok(invites);
        }
    }
}
