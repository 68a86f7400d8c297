//! Every key, index and attribute name of the single table.
//!
//! | item            | pk                    | sk                 |
//! |-----------------|-----------------------|--------------------|
//! | tenant          | `TENANT#<tenant>`     | `TENANT`           |
//! | membership      | `TENANT#<tenant>`     | `MEMBER#<user>`    |
//! | pending slot    | `TENANT#<tenant>`     | `PENDING#<email>`  |
//! | invite          | `INVITE#<invite>`     | `INVITE`           |
//! | user            | `USER#<user>`         | `USER`             |
//! | user email slot | `USEREMAIL#<email>`   | `USEREMAIL`        |
//! | group           | `TENANT#<tenant>`     | `GROUP#<group>`    |
//! | group member    | `TENANT#<tenant>`     | `GROUPMEMBER#<group>#<user>` |
//! | API key         | `APIKEY#<sha256 hex>` | `APIKEY`           |
//! | rate window     | `RATE#<scope>#<client>` | `<window start>` |
//! | retired invite  | `TENANT#<tenant>`     | `RETIRED#<invite>` |
//! | skip point      | `SKIP#<tenant>`       | `<list order>#<position>` |
//!
//! The pending slot holds the id of the one pending invite of (tenant, email); creating it
//! with `attribute_not_exists` is what makes a second pending invite impossible. The email
//! slot makes an email belong to one user.
//!
//! Invites carry the keys of four sparse GSIs, one per sort order of the list endpoint. Each
//! sort key ends in the invite id, so ties break by id. `by_accepted` splits a tenant in two
//! partitions, accepted (`<tenant>#A`, sorted by `accepted_at`) and not accepted
//! (`<tenant>#N`, sorted by id), so invites without `accepted_at` come last either way.
//!
//! Four more GSIs serve a status filter as a key condition: `by_state_created`,
//! `by_state_updated`, `by_state_expires` and `by_state_accepted`, each on `state_pk`
//! (`<tenant>#P` pending, `<tenant>#X` expired and announced by the sweep, `<tenant>#A`
//! accepted) with the sort key of its order. An invite past its expiry but not yet swept
//! (at most one sweep period) is still in `P`: the list finds those few as a key range of
//! `by_state_expires` and counts them as expired.
//!
//! A fifth sparse GSI, `expiring`, holds the pending invites whose expiry has not been
//! published yet, spread over a few fixed partitions and sorted by expiry: the expiry sweep
//! reads what is due as a key range. Accepting an invite or publishing its expiry drops it.
//!
//! Retention: every invite carries `ttl`, the instant it stopped (or will stop) being pending
//! plus the retention period; DynamoDB's TTL removes it then, and `retire-invites` moves the
//! tenant's counters, once per invite (the `RETIRED#` marker).

use crate::domain::{EmailAddress, GroupId, InviteId, TenantId, Timestamp, UserId};

pub const PK: &str = "pk";
pub const SK: &str = "sk";

pub const TENANT_SK: &str = "TENANT";
pub const INVITE_SK: &str = "INVITE";
pub const USER_SK: &str = "USER";
pub const USER_EMAIL_SK: &str = "USEREMAIL";
pub const API_KEY_SK: &str = "APIKEY";
/// Epoch seconds after which DynamoDB's TTL may delete the item (rate windows, invites past
/// their retention, retirement markers).
pub const TTL: &str = "ttl";
/// Members of the tenant, on the tenant item: what the seat cap limits.
pub const MEMBER_COUNT: &str = "member_count";
/// The platform's version of a directory record (absent: written here, version 0).
pub const VERSION: &str = "version";
/// Set on a tenant item the platform deleted: a tombstone in place.
pub const DELETED: &str = "deleted";
/// Sort key prefix of the tombstone a deleted user, membership or group leaves.
pub const TOMBSTONE: &str = "TOMBSTONE#";

/// The tenant's seat cap (absent: no limit).
pub const SEAT_CAP: &str = "seat_cap";

/// GSI attributes of invites.
pub const GSI_TENANT: &str = "gsi_tenant";
pub const CREATED_SK: &str = "created_sk";
pub const UPDATED_SK: &str = "updated_sk";
pub const EXPIRES_SK: &str = "expires_sk";
pub const ACCEPTED_PK: &str = "accepted_pk";
/// The invite's lifecycle partition (`state_partition`), key of the `by_state_*` indexes.
pub const STATE_PK: &str = "state_pk";
pub const ACCEPTED_SK: &str = "accepted_sk";

pub const INDEX_BY_CREATED: &str = "by_created";
pub const INDEX_BY_UPDATED: &str = "by_updated";
pub const INDEX_BY_EXPIRES: &str = "by_expires";
pub const INDEX_BY_ACCEPTED: &str = "by_accepted";
pub const INDEX_EXPIRING: &str = "expiring";
pub const INDEX_BY_STATE_CREATED: &str = "by_state_created";
pub const INDEX_BY_STATE_UPDATED: &str = "by_state_updated";
pub const INDEX_BY_STATE_EXPIRES: &str = "by_state_expires";
pub const INDEX_BY_STATE_ACCEPTED: &str = "by_state_accepted";
/// Invites by the status of their latest email (`delivery_pk`), newest first by `created_sk`.
pub const INDEX_BY_DELIVERY: &str = "by_delivery";
pub const DELIVERY_PK: &str = "delivery_pk";

/// Every index the list reads (the sweep's `expiring` is not one): what list-invites may query.
pub const LIST_INDEXES: [&str; 9] = [
    INDEX_BY_CREATED,
    INDEX_BY_UPDATED,
    INDEX_BY_EXPIRES,
    INDEX_BY_ACCEPTED,
    INDEX_BY_STATE_CREATED,
    INDEX_BY_STATE_UPDATED,
    INDEX_BY_STATE_EXPIRES,
    INDEX_BY_STATE_ACCEPTED,
    INDEX_BY_DELIVERY,
];
/// The delivery's fields on the invite item.
pub const DELIVERY_STATUS: &str = "delivery_status";
pub const DELIVERY_AT: &str = "delivery_at";
pub const DELIVERY_DETAIL: &str = "delivery_detail";
pub const DELIVERY_RANK: &str = "delivery_rank";

/// Partition of the `expiring` index: present only while an invite is pending and its expiry
/// unpublished. A few fixed partitions, so no single one takes every invite write.
pub const EXPIRY_SHARD: &str = "expiry_shard";
pub const EXPIRY_SHARDS: u8 = 8;

/// Counters kept on the tenant item, changed in the same transaction as the invites.
pub const INVITE_COUNT: &str = "invite_count";
pub const ACCEPTED_COUNT: &str = "accepted_count";
/// Invites whose expiry the sweep announced (`state_pk` `X`) and that are not deleted.
pub const EXPIRED_COUNT: &str = "expired_count";
/// On the tenant item, bumped in the same transaction as every write that moves invites
/// within the list orders (a count's change, a re-invite, an update), with the instant in
/// `LIST_MOVED_AT`: a skip point read at another version no longer says where an offset
/// starts (skip_points.rs).
pub const LIST_VERSION: &str = "list_version";
pub const LIST_MOVED_AT: &str = "list_moved_at";
/// When an invite's last invitation email was claimed for sending: only one request at a time
/// sends, and none within the re-invite cooldown.
pub const EMAIL_CLAIMED_AT: &str = "email_claimed_at";
/// The deadline of the request that made the claim: until then the email is in flight.
pub const EMAIL_CLAIM_ENDS: &str = "email_claim_ends";
/// The claim under which the last email was sent and recorded (equal to `email_claimed_at`
/// once that claim's email went out).
pub const EMAIL_SENT_CLAIM: &str = "email_sent_claim";

/// The last change of an invite's pending life (`refreshed` by a re-invite, `updated` by an
/// admin's PATCH, `expired` by the expiry sweep), which the stream carries to `publish-events`.
pub const CHANGE: &str = "change";

/// Part of every condition that makes or keeps an invite pending (accept, re-invite, update):
/// not once the expiry sweep published its expiry. A request that read the clock just before
/// `expires_at` could otherwise revive an invite already announced expired. Needs `#change`
/// and `:expired` (`EXPIRED_CHANGE`).
pub const NOT_MARKED_EXPIRED: &str = "(attribute_not_exists(#change) OR #change <> :expired)";
pub const EXPIRED_CHANGE: &str = "expired";
/// The other values of `change`: a re-invite's and an admin's update.
pub const REFRESHED_CHANGE: &str = "refreshed";
pub const UPDATED_CHANGE: &str = "updated";

/// Invites not accepted and not deleted (pending or expired): what the pending cap limits.
pub const OPEN_COUNT: &str = "open_count";

pub fn tenant_pk(tenant: TenantId) -> String {
    format!("TENANT#{tenant}")
}

pub fn member_sk(user: UserId) -> String {
    format!("MEMBER#{user}")
}

pub fn pending_slot_sk(email: &EmailAddress) -> String {
    format!("PENDING#{email}")
}

/// The tombstone of the item at (`pk`, `sk`): same partition, so one transaction covers both.
pub fn tombstone_sk(sk: &str) -> String {
    format!("{TOMBSTONE}{sk}")
}

/// What every group's sort key starts with.
pub const GROUP_SK_PREFIX: &str = "GROUP#";

pub fn group_sk(group: GroupId) -> String {
    format!("{GROUP_SK_PREFIX}{group}")
}

pub fn group_member_sk(group: GroupId, user: UserId) -> String {
    format!("GROUPMEMBER#{group}#{user}")
}

/// The key of an API key's record: the SHA-256 of the key, so the key itself is never stored
/// and finding it is one keyed read (no comparison of secrets).
pub fn api_key_pk(sha256_hex: &str) -> String {
    format!("APIKEY#{sha256_hex}")
}

/// The partition of `invite` in the `expiring` index (from its id's random bits).
pub fn expiry_shard(invite: InviteId) -> String {
    let last = *invite.as_uuid().as_bytes().last().unwrap_or(&0);
    format!("EXPIRING#{}", last % EXPIRY_SHARDS)
}

pub fn expiry_shards() -> impl Iterator<Item = String> {
    (0..EXPIRY_SHARDS).map(|shard| format!("EXPIRING#{shard}"))
}

/// The marker that `invite`'s retention removal was counted (stream records can repeat).
pub fn retired_sk(invite: InviteId) -> String {
    format!("RETIRED#{invite}")
}

/// The partition of `tenant`'s skip points: apart from the tenant's own items, so that the
/// list function may write there and nowhere else (its IAM policy's leading keys).
pub fn skip_points_pk(tenant: TenantId) -> String {
    format!("{SKIP_POINTS_PREFIX}{tenant}")
}

pub const SKIP_POINTS_PREFIX: &str = "SKIP#";

pub fn skip_point_sk(order: &str, offset: u64) -> String {
    format!("{order}#{offset}")
}

pub fn rate_pk(scope: &str, client: &str) -> String {
    format!("RATE#{scope}#{client}")
}

pub fn invite_pk(invite: InviteId) -> String {
    format!("INVITE#{invite}")
}

pub fn user_pk(user: UserId) -> String {
    format!("USER#{user}")
}

pub fn user_email_pk(email: &EmailAddress) -> String {
    format!("USEREMAIL#{email}")
}

/// Sort key of a time-ordered index: the instant, then the id for ties.
pub fn time_sk(at: Timestamp, invite: InviteId) -> String {
    format!("{}#{invite}", at.to_rfc3339())
}

/// Where an invite is in its life, as its `state_pk` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Not accepted, expiry not announced (possibly just past, until the sweep comes).
    Pending,
    /// Expiry announced by the sweep.
    Expired,
    Accepted,
}

/// The `by_delivery` partition of `tenant`'s invites whose latest email is at `status`.
pub fn delivery_partition(tenant: TenantId, status: crate::domain::DeliveryStatus) -> String {
    format!("{tenant}#{}", status.as_str())
}

pub fn state_partition(tenant: TenantId, state: Lifecycle) -> String {
    let letter = match state {
        Lifecycle::Pending => "P",
        Lifecycle::Expired => "X",
        Lifecycle::Accepted => "A",
    };
    format!("{tenant}#{letter}")
}

pub fn accepted_partition(tenant: TenantId, accepted: bool) -> String {
    format!("{tenant}#{}", if accepted { "A" } else { "N" })
}

pub fn accepted_sk(accepted_at: Option<Timestamp>, invite: InviteId) -> String {
    match accepted_at {
        Some(at) => time_sk(at, invite),
        None => invite.to_string(),
    }
}
