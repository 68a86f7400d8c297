//! Skip points: where a deep `offset` starts reading, kept by the server for each list order.
//!
//! DynamoDB has no offset: the invites before it are read. A request that pays for a skip of
//! at least `SKIP_POINTS_FROM` invites, or that started from a skip point, leaves points for
//! its own offset and for the next page's: the key, in the order, of the invite just before.
//! A later request for that offset in that order reads from there, the cost of its page, while
//! the point still holds:
//! - the tenant's `list_version` is the one the point was read at (every write that moves an
//!   invite within an order bumps it: the counters' transactions, a re-invite, an update);
//! - for `pending` and `expired`, as many expiries are waiting for the sweep as then (those
//!   move an invite from one to the other with time alone, and the sweep bumps the version);
//! - it is younger than `LIFETIME_SECONDS`, which bounds what a read of an index that had not
//!   caught up with a write yet (GSIs are eventually consistent) could leave behind.
//!
//! Saving is best effort: a point that is not written costs a later request its shortcut,
//! never an answer.

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};

use super::items::*;
use super::keys::*;
use super::{classify, Store};
use crate::domain::{InviteListQuery, TenantId, Timestamp};

/// Skips shorter than this cost less than keeping points for them.
pub const SKIP_POINTS_FROM: u64 = 100;
/// How long a skip point is trusted.
const LIFETIME_SECONDS: i64 = 15 * 60;
/// How long DynamoDB's TTL keeps one (its deletion is lazy; the lifetime is checked on read).
const KEPT_SECONDS: i64 = 24 * 60 * 60;

const AFTER: &str = "after";
const UNANNOUNCED: &str = "unannounced";
const WRITTEN_AT: &str = "written_at";

/// Where an offset of one order started when it was last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipPoint {
    after: String,
    version: u64,
    unannounced: u64,
    written_at: Timestamp,
}

impl SkipPoint {
    /// The sort key to resume after, if nothing that moves the offset happened since.
    pub(super) fn resume_key(
        &self,
        version: u64,
        unannounced: u64,
        now: Timestamp,
    ) -> Option<&str> {
        let age = now.as_datetime() - self.written_at.as_datetime();
        let fresh =
            age >= chrono::Duration::zero() && age < chrono::Duration::seconds(LIFETIME_SECONDS);
        (fresh && self.version == version && self.unannounced == unannounced)
            .then_some(self.after.as_str())
    }
}

/// The key of the skip point `query` could start from: deep offsets of a resumable order.
pub(super) fn skip_point_key(tenant: TenantId, query: &InviteListQuery) -> Option<Item> {
    if query.offset < SKIP_POINTS_FROM || query.after.is_some() {
        return None;
    }
    let order = query.resumable_order()?;
    Some(key(
        skip_points_pk(tenant),
        skip_point_sk(&order, query.offset),
    ))
}

/// Whether `item` is a skip point (they have a partition of their own).
pub(super) fn is_skip_point(item: &Item) -> bool {
    opt_str(item, PK).is_some_and(|pk| pk.starts_with("SKIP#"))
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

/// The skip points a page leaves: `(offset, key of the invite just before it)`.
/// `key_before` is known when the page paid for its skip; `last_key` when the page is full.
pub(super) fn points_to_leave(
    query: &InviteListQuery,
    resumed: bool,
    key_before: Option<String>,
    last_key: Option<&String>,
) -> Vec<(u64, String)> {
    let deep = query.offset >= SKIP_POINTS_FROM;
    if query.after.is_some() || query.resumable_order().is_none() || !(deep || resumed) {
        return Vec::new();
    }
    let mut points = Vec::with_capacity(2);
    if let (false, Some(key)) = (resumed, key_before) {
        points.push((query.offset, key));
    }
    if let Some(key) = last_key {
        points.push((query.offset + u64::from(query.limit), key.clone()));
    }
    points
}

impl Store {
    /// Writes `points` of `query`'s order, read at the tenant's `version`, best effort.
    pub(super) async fn save_skip_points(
        &self,
        tenant: TenantId,
        query: &InviteListQuery,
        points: &[(u64, String)],
        (version, unannounced): (u64, u64),
        now: Timestamp,
    ) {
        let Some(order) = query.resumable_order() else {
            return;
        };
        if points.is_empty() {
            return;
        }
        let kept_until = now.as_datetime().timestamp() + KEPT_SECONDS;
        let requests = points.iter().map(|(offset, after)| {
            let mut item = key(skip_points_pk(tenant), skip_point_sk(&order, *offset));
            item.insert(AFTER.into(), s(after.clone()));
            item.insert(LIST_VERSION.into(), n(version.min(i64::MAX as u64) as i64));
            item.insert(
                UNANNOUNCED.into(),
                n(unannounced.min(i64::MAX as u64) as i64),
            );
            item.insert(WRITTEN_AT.into(), s(now.to_rfc3339()));
            item.insert(TTL.into(), n(kept_until));
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("the item is set");
            WriteRequest::builder().put_request(put).build()
        });
        let written = self
            .client
            .batch_write_item()
            .request_items(&self.table, requests.collect())
            .send()
            .await;
        if let Err(error) = written {
            tracing::warn!(error = %classify(error), "skip points not saved");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Clock;

    fn point(version: u64, unannounced: u64, written_at: Timestamp) -> SkipPoint {
        SkipPoint {
            after: "2026-01-01T00:00:00.000000Z#id".into(),
            version,
            unannounced,
            written_at,
        }
    }

    #[test]
    fn a_skip_point_holds_only_while_nothing_moved_and_not_for_long() {
        let now = Clock::system().now();
        let minutes = |m| now.plus(chrono::Duration::minutes(m));
        assert!(point(3, 1, minutes(-1)).resume_key(3, 1, now).is_some());
        assert!(
            point(3, 1, minutes(-1)).resume_key(4, 1, now).is_none(),
            "a write since"
        );
        assert!(
            point(3, 1, minutes(-1)).resume_key(3, 2, now).is_none(),
            "an expiry since"
        );
        assert!(
            point(3, 1, minutes(-16)).resume_key(3, 1, now).is_none(),
            "too old"
        );
        assert!(
            point(3, 1, minutes(1)).resume_key(3, 1, now).is_none(),
            "from the future"
        );
    }
}
