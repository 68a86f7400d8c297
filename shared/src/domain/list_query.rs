//! A validated request for a page of a tenant's invites.

use super::{DeliveryStatus, InviteStatus, Role, Timestamp, UserId};

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
    /// The status of the invite's latest email (`by_delivery`).
    pub delivery: Option<DeliveryStatus>,
    pub role: Option<Role>,
    pub invited_by: Option<UserId>,
    pub created: TimeRange,
    pub updated: TimeRange,
    /// Within `MIN_PAGE_SIZE..=MAX_PAGE_SIZE`.
    pub limit: u32,
    pub offset: u64,
    pub sort_by: SortField,
    pub sort_dir: SortDirection,
    /// Resume after the invite whose key in the order is this (a cursor from a previous
    /// page); never with an `offset` or filters other than `status`.
    pub after: Option<String>,
}

/// A list request without parameters: the first page of every invite, oldest first.
impl Default for InviteListQuery {
    fn default() -> Self {
        Self {
            email_contains: None,
            status: None,
            delivery: None,
            role: None,
            invited_by: None,
            created: TimeRange::default(),
            updated: TimeRange::default(),
            limit: DEFAULT_PAGE_SIZE,
            offset: 0,
            sort_by: SortField::CreatedAt,
            sort_dir: SortDirection::Ascending,
            after: None,
        }
    }
}

/// The opaque `cursor` of a page: the query it belongs to and the key, in the list's order,
/// of the page's last invite. Hex text, so that it passes through a URL untouched. It can only
/// position a read within the caller's own tenant: the tenant never comes from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    shape: String,
    sort_key: String,
}

impl ListCursor {
    /// The cursor that resumes `query` after the invite whose key in its order is `sort_key`.
    pub fn after(query: &InviteListQuery, sort_key: String) -> Self {
        Self {
            shape: query.shape(),
            sort_key,
        }
    }

    pub fn encode(&self) -> String {
        format!("v1\n{}\n{}", self.shape, self.sort_key)
            .bytes()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// The sort key to resume after, if `raw` is a cursor of `query` (same order, direction
    /// and filters) ending in an invite id.
    pub fn resume_key(raw: &str, query: &InviteListQuery) -> Option<String> {
        if raw.len() % 2 != 0 || raw.len() > 1024 {
            return None;
        }
        let bytes = (0..raw.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(raw.get(at..at + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, '\n');
        let (version, shape, sort_key) = (parts.next()?, parts.next()?, parts.next()?);
        let id = sort_key.rsplit('#').next()?;
        let valid = version == "v1"
            && shape == query.shape()
            && uuid::Uuid::parse_str(id).is_ok()
            && sort_key.len() <= 200;
        valid.then(|| sort_key.to_owned())
    }
}

impl InviteListQuery {
    /// What a cursor must match: the order, its direction and the filters.
    fn shape(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.sort_by,
            self.sort_dir,
            self.status,
            self.delivery,
            self.email_contains,
            self.role,
            self.invited_by,
            self.created,
            self.updated
        )
    }

    /// The order an `offset` of this query counts in, when a key can resume it (`resumable`):
    /// the order, its direction and the status, the only filter such a query has.
    pub fn resumable_order(&self) -> Option<String> {
        self.resumable()
            .then(|| format!("{:?}|{:?}|{:?}", self.sort_by, self.sort_dir, self.status))
    }

    /// Whether a cursor can resume this query: it reads one ordered partition (no filter but
    /// `status`; `accepted_at` order only with a `status`).
    pub fn resumable(&self) -> bool {
        !(self.has_filter_besides_status()
            || (self.sort_by == SortField::AcceptedAt && self.status.is_none()))
    }

    /// Any filter other than `status` (those a key condition cannot serve).
    pub fn has_filter_besides_status(&self) -> bool {
        self.email_contains.is_some()
            || self.delivery.is_some()
            || self.role.is_some()
            || self.invited_by.is_some()
            || !self.created.is_open()
            || !self.updated.is_open()
    }

    pub fn has_filter(&self) -> bool {
        self.email_contains.is_some()
            || self.delivery.is_some()
            || self.status.is_some()
            || self.role.is_some()
            || self.invited_by.is_some()
            || !self.created.is_open()
            || !self.updated.is_open()
    }
}
