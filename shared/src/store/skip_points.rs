//! Skip points: where a deep `offset` starts reading, kept by the server for each list order.
//!
//! DynamoDB has no offset: the invites before it are read. Points sit on a grid, every
//! `SKIP_POINT_STEP` positions from `SKIP_POINTS_FROM` on; each holds the key, in its order, of
//! the invite just before its position. A request for a deep offset starts from the point at or
//! below it and reads at most `SKIP_POINT_STEP - 1` invites more than its page; a request that
//! read past grid positions leaves points there (the two nearest its page). So the first read
//! of `offset=5000` pays for 5,000 invites, and the same offset again, the next page, or any
//! offset near it costs about a page. An order of a tenant has at most one point per
//! `SKIP_POINT_STEP` of its invites.
//!
//! A point is used only while it still says where its position starts:
//! - the tenant's `list_version` is the one it was read at. Every write that moves an invite
//!   within an order bumps it in the same transaction (keys.rs);
//! - for `pending` and `expired`, as many expiries wait for the sweep as then (those move an
//!   invite from one to the other with time alone; the sweep bumps the version);
//! - its chain is younger than `LIFETIME_SECONDS`: points left by a request that started from
//!   a point inherit that point's age. This bounds the case the version cannot see: an
//!   invite DynamoDB's TTL removed before retire-invites counted it.
//!
//! A read within `SETTLE_MILLIS` of the tenant's last move leaves no point: the index it read
//! may not have caught up with that write yet (GSIs are eventually consistent). Saving is best
//! effort and short: a point that is not written costs a later request its shortcut, never
//! an answer.

use std::time::Duration;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};

use super::items::*;
use super::keys::*;
use super::{classify, Store};
use crate::domain::{InviteListQuery, TenantId, Timestamp};

/// Offsets below this are read from the top: cheaper than a point's read and write.
pub const SKIP_POINTS_FROM: u64 = 100;
/// The grid the points sit on.
pub const SKIP_POINT_STEP: u64 = 50;
/// How long a chain of points is trusted.
const LIFETIME_SECONDS: i64 = 15 * 60;
/// How long after the tenant's last move a read may leave points.
const SETTLE_MILLIS: i64 = 1_000;
/// How long DynamoDB's TTL keeps a point (its deletion is lazy; the lifetime is what counts).
const KEPT_SECONDS: i64 = 60 * 60;
/// The longest a save may hold up the list's answer.
const SAVE_TIMEOUT: Duration = Duration::from_millis(300);

const AFTER: &str = "after";
const UNANNOUNCED: &str = "unannounced";
const WRITTEN_AT: &str = "written_at";

/// Whether list requests start from skip points and leave them (`SKIP_POINTS`). Off while a
/// writer that does not bump `list_version` may still serve (a release rolling out or back:
/// docs/operations.md); then every offset is read from the top.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SkipPoints {
    #[default]
    On,
    Off,
}

/// Where a grid position of one order started when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipPoint {
    after: String,
    version: u64,
    unannounced: u64,
    /// When the chain this point belongs to was first read.
    written_at: Timestamp,
}

/// Where a read of a query starts: the top, or a skip point.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ReadStart {
    /// The position of the first invite read.
    pub at: u64,
    /// Resume after this sort key (the point's); `None` from the top.
    pub after: Option<String>,
    /// The age of the point's chain, which points left from here inherit.
    pub chain_started: Option<Timestamp>,
}

/// The grid position at or below `offset`, if it is deep enough for points.
fn grid_below(offset: u64) -> Option<u64> {
    let position = offset / SKIP_POINT_STEP * SKIP_POINT_STEP;
    (position >= SKIP_POINTS_FROM).then_some(position)
}

impl SkipPoint {
    /// Where `query` starts from this point (the one at its `grid_below`), if nothing that
    /// moves positions happened since.
    pub(super) fn start(
        &self,
        query: &InviteListQuery,
        (version, unannounced): (u64, u64),
        now: Timestamp,
    ) -> Option<ReadStart> {
        let age = now.as_datetime() - self.written_at.as_datetime();
        let fresh =
            age >= chrono::Duration::zero() && age < chrono::Duration::seconds(LIFETIME_SECONDS);
        let holds = fresh && self.version == version && self.unannounced == unannounced;
        holds.then(|| ReadStart {
            at: grid_below(query.offset).unwrap_or(0),
            after: Some(self.after.clone()),
            chain_started: Some(self.written_at),
        })
    }
}

/// The key of the skip point `query` could start from: deep offsets of a resumable order.
pub(super) fn skip_point_key(tenant: TenantId, query: &InviteListQuery) -> Option<Item> {
    if query.after.is_some() {
        return None;
    }
    let position = grid_below(query.offset)?;
    let order = query.resumable_order()?;
    Some(key(skip_points_pk(tenant), skip_point_sk(&order, position)))
}

/// Whether `item` is a skip point (they have a partition of their own).
pub(super) fn is_skip_point(item: &Item) -> bool {
    opt_str(item, PK).is_some_and(|pk| pk.starts_with(SKIP_POINTS_PREFIX))
}

/// A skip point as stored; `None` if unreadable (then it is not used).
pub(super) fn skip_point_from_item(item: &Item) -> Option<SkipPoint> {
    Some(SkipPoint {
        after: opt_str(item, AFTER)?.to_owned(),
        version: get_count(item, LIST_VERSION),
        unannounced: get_count(item, UNANNOUNCED),
        written_at: Timestamp::parse(opt_str(item, WRITTEN_AT)?)?,
    })
}

/// The points a read of `query` leaves: the two highest grid positions it read past, each
/// with the key of the invite just before it. `keys` are the sort keys of every invite the
/// read went through, the first at position `start.at`.
pub(super) fn points_to_leave(
    query: &InviteListQuery,
    start: &ReadStart,
    keys: &[String],
) -> Vec<(u64, String)> {
    if query.after.is_some() || query.resumable_order().is_none() {
        return Vec::new();
    }
    let end = start.at + keys.len() as u64;
    let mut points = Vec::with_capacity(2);
    let mut position = end / SKIP_POINT_STEP * SKIP_POINT_STEP;
    while points.len() < 2 && position > start.at && position >= SKIP_POINTS_FROM {
        let before = usize::try_from(position - 1 - start.at).unwrap_or(usize::MAX);
        if let Some(key) = keys.get(before) {
            points.push((position, key.clone()));
        }
        position -= SKIP_POINT_STEP;
    }
    points
}

/// What a page's points were read at: the tenant's version and last move, and the waiting
/// expiries it counted.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadAt {
    pub version: u64,
    pub moved_at: Option<Timestamp>,
    pub unannounced: u64,
}

impl Store {
    /// Writes `points` of `query`'s order, best effort and within `SAVE_TIMEOUT`.
    pub(super) async fn save_skip_points(
        &self,
        tenant: TenantId,
        query: &InviteListQuery,
        (points, chain_started): (&[(u64, String)], Option<Timestamp>),
        read_at: ReadAt,
        now: Timestamp,
    ) {
        let Some(order) = query.resumable_order() else {
            return;
        };
        let settled = read_at.moved_at.is_none_or(|moved| {
            now.as_datetime() - moved.as_datetime() >= chrono::Duration::milliseconds(SETTLE_MILLIS)
        });
        if points.is_empty() || !settled {
            return;
        }
        let written_at = chain_started.unwrap_or(now);
        let kept_until = now.as_datetime().timestamp() + KEPT_SECONDS;
        let requests = points.iter().map(|(position, after)| {
            let mut item = key(skip_points_pk(tenant), skip_point_sk(&order, *position));
            item.insert(AFTER.into(), s(after.clone()));
            item.insert(LIST_VERSION.into(), n(clamp(read_at.version)));
            item.insert(UNANNOUNCED.into(), n(clamp(read_at.unannounced)));
            item.insert(WRITTEN_AT.into(), s(written_at.to_rfc3339()));
            item.insert(TTL.into(), n(kept_until));
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("the item is set");
            WriteRequest::builder().put_request(put).build()
        });
        let write = self
            .client
            .batch_write_item()
            .request_items(&self.table, requests.collect())
            .send();
        match tokio::time::timeout(SAVE_TIMEOUT, write).await {
            Ok(Ok(output)) => {
                let left = output
                    .unprocessed_items
                    .and_then(|mut left| left.remove(&self.table))
                    .map_or(0, |left| left.len());
                if left > 0 {
                    tracing::warn!(left, "skip points not all saved");
                }
            }
            Ok(Err(error)) => tracing::warn!(error = %classify(error), "skip points not saved"),
            Err(_) => tracing::warn!("skip points not saved in time"),
        }
    }
}

fn clamp(count: u64) -> i64 {
    count.min(i64::MAX as u64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Clock, SortDirection};

    fn query(offset: u64) -> InviteListQuery {
        InviteListQuery {
            offset,
            sort_dir: SortDirection::Descending,
            ..InviteListQuery::default()
        }
    }

    fn point(version: u64, unannounced: u64, written_at: Timestamp) -> SkipPoint {
        SkipPoint {
            after: "2026-01-01T00:00:00.000000Z#id".into(),
            version,
            unannounced,
            written_at,
        }
    }

    #[test]
    fn a_point_holds_only_while_nothing_moved_and_not_for_long() {
        let now = Clock::system().now();
        let minutes = |m| now.plus(chrono::Duration::minutes(m));
        let q = query(530);
        let start = point(3, 1, minutes(-1)).start(&q, (3, 1), now).unwrap();
        assert_eq!((start.at, start.chain_started), (500, Some(minutes(-1))));
        assert!(
            point(3, 1, minutes(-1)).start(&q, (4, 1), now).is_none(),
            "a write since"
        );
        assert!(
            point(3, 1, minutes(-1)).start(&q, (3, 2), now).is_none(),
            "an expiry since"
        );
        assert!(
            point(3, 1, minutes(-16)).start(&q, (3, 1), now).is_none(),
            "too old"
        );
        assert!(
            point(3, 1, minutes(1)).start(&q, (3, 1), now).is_none(),
            "from the future"
        );
    }

    #[test]
    fn points_sit_on_the_grid_nearest_the_page_and_only_where_the_read_went() {
        let keys = |from: u64, to: u64| (from..to).map(|p| format!("k{p}")).collect::<Vec<_>>();
        // A first read of offset 500 went through positions 0..520: points at 500 and 450.
        let top = ReadStart::default();
        assert_eq!(
            points_to_leave(&query(500), &top, &keys(0, 520)),
            [(500, "k499".to_owned()), (450, "k449".to_owned())]
        );
        // From the point at 500, a page at 540 went through 500..560: a point at 550 only.
        let from_500 = ReadStart {
            at: 500,
            ..ReadStart::default()
        };
        assert_eq!(
            points_to_leave(&query(540), &from_500, &keys(500, 560)),
            [(550, "k549".to_owned())]
        );
        // Shallow reads and cursors leave none.
        assert!(points_to_leave(&query(20), &top, &keys(0, 40)).is_empty());
        let by_cursor = InviteListQuery {
            after: Some("k".into()),
            ..query(0)
        };
        assert!(points_to_leave(&by_cursor, &top, &keys(0, 200)).is_empty());
        assert_eq!(skip_point_key(TenantId::new_random(), &query(99)), None);
    }
}
