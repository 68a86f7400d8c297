//! DynamoDB access. This module owns every key, index and condition expression; handlers see
//! domain types and outcomes only. Split by use case: `create`, `accept`, `delete`, `list`,
//! `update`, `preview`, `groups`, `api_keys`, `expiry` (expiry sweep, retention), `email_sent`
//! and `send_pace` (around the SES call), `delivery` (SES's reports, suppressed addresses); the
//! `directory` records only the dev tool and tests write, and the `sdk` plumbing.
//!
//! Invariants are held by DynamoDB itself (conditions and `TransactWriteItems`): one pending
//! invite per (tenant, email), one membership per (tenant, user), an invite accepted at most
//! once and never after it expired, and the tenant's invite counters always matching its
//! invites.

mod accept;
mod api_keys;
mod create;
mod delete;
mod delivery;
#[cfg(feature = "dev-tools")]
mod directory;
mod email_sent;
mod expiry;
#[cfg(feature = "dev-tools")]
mod groups;
mod items;
pub mod keys;
mod list;
mod list_filter;
mod list_read;
mod list_scan;
mod list_state;
mod preview;
mod sdk;
mod send_pace;
mod skip_points;
mod sync;
mod update;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use crate::budget::Exhausted;
#[cfg(feature = "dev-tools")]
use crate::domain::{EmailAddress, Membership, UserId};
use crate::domain::{Invite, InviteId, Tenant, TenantId, Timestamp};
use crate::BoxError;
use items::*;
use keys::*;
use sdk::classify;

pub use accept::{AcceptOutcome, AcceptTarget, JoinContext, Joining};
pub use create::{CreateContext, DirectAddOutcome, InsertOutcome, InviteeState, Refresh};
pub use delete::DeleteOutcome;
pub use delivery::DeliveryOutcome;
pub use expiry::{DueCursor, DueInvite, RetireOutcome, RetiredInvite};
pub use list::{InviteCounts, InvitePage, ListContext};
pub use list_scan::{FilterTooBroad, ListFailure, MAX_EXAMINED};
pub use preview::InvitePreview;
pub use skip_points::SkipPoints;
pub use skip_points::SKIP_POINTS_FROM;
pub use sync::SyncOutcome;
pub use update::{InviteChanges, ManagedInvite};

/// A failed store operation. Condition failures are not errors: they come back as outcomes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Timeouts, connection failures, throttling after the SDK's retries, 5xx from DynamoDB.
    #[error("DynamoDB is unavailable")]
    Unavailable(#[source] BoxError),
    /// Concurrent requests kept changing the same items until the request's budget ran out.
    #[error("DynamoDB items kept changing under concurrent requests")]
    Contended(#[from] Exhausted),
    /// A request DynamoDB refused (a bug or a misconfiguration, such as a missing table).
    #[error("DynamoDB refused the request")]
    Failed(#[source] BoxError),
    #[error("corrupt item: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether retrying later may succeed: answered 503 rather than 500.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Contended(_))
    }
}

/// Waits before a request reads again (its `attempt`th time) after a concurrent request
/// changed its items, if its time budget allows another attempt.
pub async fn pause_before_retry(attempt: u32) -> Result<(), StoreError> {
    crate::budget::retry_pause(attempt)
        .await
        .map_err(StoreError::Contended)
}

/// The DynamoDB-backed store.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
    /// How long an invite is kept after it stops being pending (accepted or expired).
    retention: chrono::Duration,
}

/// The retention of accepted and expired invites unless configured.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            retention: chrono::Duration::days(DEFAULT_RETENTION_DAYS.into()),
        }
    }

    pub fn with_retention_days(mut self, days: u32) -> Self {
        self.retention = chrono::Duration::days(days.into());
        self
    }

    /// The `ttl` of an invite that stops being pending at `at`: DynamoDB removes it after.
    fn retention_ttl(&self, at: Timestamp) -> AttributeValue {
        n(at.plus(self.retention).as_datetime().timestamp())
    }

    /// The full item of `invite`, with its retention `ttl`.
    fn invite_item(&self, invite: &Invite) -> Item {
        let mut item = invite_to_item(invite);
        let stops_pending = invite.accepted_at.unwrap_or(invite.expires_at);
        item.insert(TTL.into(), self.retention_ttl(stops_pending));
        item
    }

    #[cfg(feature = "dev-tools")]
    pub fn client(&self) -> &Client {
        &self.client
    }

    #[cfg(feature = "dev-tools")]
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Opens the connection (TLS handshake included) so the first request does not pay it.
    pub async fn warm_up(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key("WARMUP".into(), "WARMUP")))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    pub async fn get_invite(&self, id: InviteId) -> Result<Option<Invite>, StoreError> {
        let item = self.get_consistent(key(invite_pk(id), INVITE_SK)).await?;
        item.as_ref().map(invite_from_item).transpose()
    }

    pub async fn get_tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        let item = self.get_consistent(key(tenant_pk(id), TENANT_SK)).await?;
        Ok(item.as_ref().map(tenant_from_item).transpose()?.flatten())
    }

    #[cfg(feature = "dev-tools")]
    pub async fn get_membership(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<Membership>, StoreError> {
        let item = self
            .get_consistent(key(tenant_pk(tenant), member_sk(user)))
            .await?;
        item.as_ref().map(membership_from_item).transpose()
    }

    #[cfg(feature = "dev-tools")]
    pub async fn find_user_id_by_email(
        &self,
        email: &EmailAddress,
    ) -> Result<Option<UserId>, StoreError> {
        let item = self
            .get_consistent(key(user_email_pk(email), USER_EMAIL_SK))
            .await?;
        item.as_ref().map(user_id_from_email_slot).transpose()
    }
}

fn item_sk(item: &Item) -> Option<&str> {
    match item.get(SK) {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(sk)) => Some(sk),
        _ => None,
    }
}
