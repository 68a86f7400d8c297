//! A validated request for a page of a tenant's invites.

use super::{InviteStatus, Role, Timestamp, UserId};

/// The field a list of invites is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
    AcceptedAt,
}

impl SortField {
    pub const EXPECTED: &'static str = "'created_at', 'updated_at', 'expires_at' or 'accepted_at'";

    /// Lower- or upper-case spellings are accepted.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "created_at" => Some(Self::CreatedAt),
            "updated_at" => Some(Self::UpdatedAt),
            "expires_at" => Some(Self::ExpiresAt),
            "accepted_at" => Some(Self::AcceptedAt),
            _ => None,
        }
    }
}

/// Direction of a list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

impl SortDirection {
    pub const EXPECTED: &'static str = "'asc' or 'desc'";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "asc" => Some(Self::Ascending),
            "desc" => Some(Self::Descending),
            _ => None,
        }
    }
}

/// Smallest and largest page size a list request may ask for.
pub const MIN_PAGE_SIZE: u32 = 1;
pub const MAX_PAGE_SIZE: u32 = 100;
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// Instants a timestamp must fall in: from `after` (inclusive) to `before` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub after: Option<Timestamp>,
    pub before: Option<Timestamp>,
}

impl TimeRange {
    pub fn is_open(&self) -> bool {
        self.after.is_none() && self.before.is_none()
    }
}

/// A validated list request for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteListQuery {
    /// Lower-cased substring the email must contain.
    pub email_contains: Option<String>,
    pub status: Option<InviteStatus>,
    pub role: Option<Role>,
    pub invited_by: Option<UserId>,
    pub created: TimeRange,
    pub updated: TimeRange,
    /// Within `MIN_PAGE_SIZE..=MAX_PAGE_SIZE`.
    pub limit: u32,
    pub offset: u64,
    pub sort_by: SortField,
    pub sort_dir: SortDirection,
}

impl InviteListQuery {
    /// Any filter other than `status` (those a key condition cannot serve).
    pub fn has_filter_besides_status(&self) -> bool {
        self.email_contains.is_some()
            || self.role.is_some()
            || self.invited_by.is_some()
            || !self.created.is_open()
            || !self.updated.is_open()
    }

    pub fn has_filter(&self) -> bool {
        self.email_contains.is_some()
            || self.status.is_some()
            || self.role.is_some()
            || self.invited_by.is_some()
            || !self.created.is_open()
            || !self.updated.is_open()
    }
}
