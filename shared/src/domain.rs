//! Domain types. Each is parsed once at the edge and cannot hold an invalid value afterwards.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use uuid::Uuid;

/// Longest address the contract accepts (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
const MAX_LOCAL_PART_LEN: usize = 64;
const MAX_DOMAIN_LABEL_LEN: usize = 63;

macro_rules! uuid_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            // Lower-case hyphenated, as the contract requires.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.as_hyphenated().fmt(f)
            }
        }
    };
}

uuid_newtype!(
    /// Identifier of an invite.
    InviteId
);
uuid_newtype!(
    /// Identifier of a tenant.
    TenantId
);
uuid_newtype!(
    /// Identifier of a user (the token's `sub`).
    UserId
);
uuid_newtype!(
    /// Identifier of one invitation email sent for an invite.
    EmailId
);

/// A syntactically valid email address: trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

/// Why a string is not an acceptable email address; the text is shown to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidEmail(&'static str);

impl EmailAddress {
    /// Trims, lower-cases and validates. Rejects anything that could break an email header
    /// (control characters, CR/LF, commas, angle brackets, quotes, spaces).
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(InvalidEmail("An email address cannot be empty."));
        }
        if email.chars().count() > MAX_EMAIL_LEN {
            return Err(InvalidEmail(
                "The email address is too long (at most 254 characters).",
            ));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(InvalidEmail("An email address must have an @-sign."));
        };
        if local.is_empty() {
            return Err(InvalidEmail("There must be something before the @-sign."));
        }
        if domain.is_empty() {
            return Err(InvalidEmail("There must be something after the @-sign."));
        }
        if local.len() > MAX_LOCAL_PART_LEN {
            return Err(InvalidEmail(
                "The email address is too long before the @-sign (at most 64 characters).",
            ));
        }
        if !local.chars().all(is_local_part_char) {
            return Err(InvalidEmail(
                "The email address contains invalid characters before the @-sign.",
            ));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(InvalidEmail(
                "The email address has a misplaced period before the @-sign.",
            ));
        }
        validate_domain(domain)?;
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 5322 `atext` plus `.`; non-ASCII letters are allowed (SMTPUTF8), controls never.
fn is_local_part_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~.".contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

fn validate_domain(domain: &str) -> Result<(), InvalidEmail> {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(InvalidEmail(
            "The part after the @-sign is not valid. It should have a period.",
        ));
    }
    for label in &labels {
        let valid_chars = label.chars().all(|c| {
            c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
        });
        if label.is_empty()
            || label.len() > MAX_DOMAIN_LABEL_LEN
            || !valid_chars
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(InvalidEmail("The part after the @-sign is not valid."));
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(InvalidEmail(
            "The part after the @-sign is not valid. It is not within a valid top-level domain.",
        ));
    }
    Ok(())
}

/// A member's role in a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    #[default]
    User,
    Admin,
    Owner,
}

impl Role {
    pub const EXPECTED: &'static str = "'USER', 'ADMIN' or 'OWNER'";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "USER" => Some(Self::User),
            "ADMIN" => Some(Self::Admin),
            "OWNER" => Some(Self::Owner),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Admin => "ADMIN",
            Self::Owner => "OWNER",
        }
    }

    /// Admins and owners manage invites.
    pub fn can_manage_invites(self) -> bool {
        matches!(self, Self::Admin | Self::Owner)
    }

    /// Only an owner may hand out the owner role.
    pub fn can_grant(self, granted: Role) -> bool {
        self.can_manage_invites() && (granted != Role::Owner || self == Role::Owner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Derived state of an invite; never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InviteStatus {
    Pending,
    Accepted,
    Expired,
}

impl InviteStatus {
    pub const EXPECTED: &'static str = "'pending', 'accepted' or 'expired'";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// A UTC instant, always rendered as `YYYY-MM-DDTHH:MM:SS.ffffffZ`: fixed width, so the
/// stored strings sort chronologically (the list indexes rely on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        // Microsecond precision: what is stored is exactly what is returned.
        let micros = at.timestamp_micros();
        Self(DateTime::from_timestamp_micros(micros).unwrap_or(at))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|at| Self::from_datetime(at.with_timezone(&Utc)))
    }

    pub fn plus(self, duration: chrono::Duration) -> Self {
        Self::from_datetime(self.0 + duration)
    }

    pub fn to_rfc3339(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    pub fn as_datetime(self) -> DateTime<Utc> {
        self.0
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

/// Source of "now". Tests shift it to see invites expire without waiting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset: chrono::Duration,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock running `offset` ahead of the system clock.
    pub fn shifted(offset: chrono::Duration) -> Self {
        Self { offset }
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_datetime(Utc::now() + self.offset)
    }
}

/// An invite as stored. Its status is derived, never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: InviteId,
    pub tenant_id: TenantId,
    pub email: EmailAddress,
    pub role: Role,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub accepted_by_user_id: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub invited_by_user_id: UserId,
    pub email_id: Option<EmailId>,
}

impl Invite {
    pub fn status(&self, now: Timestamp) -> InviteStatus {
        if self.accepted_at.is_some() {
            InviteStatus::Accepted
        } else if self.expires_at <= now {
            InviteStatus::Expired
        } else {
            InviteStatus::Pending
        }
    }
}

/// A tenant as the invites service sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    /// Set for tenants that sign in through their own identity provider.
    pub idp_config: Option<serde_json::Value>,
}

impl Tenant {
    pub fn has_external_idp(&self) -> bool {
        self.idp_config.is_some()
    }
}

/// A user of the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: EmailAddress,
}

/// A user's role in a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub role: Role,
}

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

/// A validated list request for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteListQuery {
    /// Lower-cased substring the email must contain.
    pub email_contains: Option<String>,
    pub status: Option<InviteStatus>,
    /// Within `MIN_PAGE_SIZE..=MAX_PAGE_SIZE`.
    pub limit: u32,
    pub offset: u64,
    pub sort_by: SortField,
    pub sort_dir: SortDirection,
}

impl InviteListQuery {
    pub fn has_filter(&self) -> bool {
        self.email_contains.is_some() || self.status.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = EmailAddress::parse("  Alice.Smith+x@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "alice.smith+x@example.com");
    }

    #[test]
    fn email_rejects_header_breaking_and_malformed_input() {
        for bad in [
            "",
            "   ",
            "no-at-sign",
            "@example.com",
            "alice@",
            "alice@localhost",
            "alice@example..com",
            "alice@-example.com",
            "alice@example.123",
            "a b@example.com",
            "alice@example.com\r\nBcc: evil@example.com",
            "alice\n@example.com",
            "<alice@example.com>",
            "alice,bob@example.com",
            "\"alice\"@example.com",
            ".alice@example.com",
            "al..ice@example.com",
            "alice@exa_mple.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn email_length_limits_hold() {
        let local = "a".repeat(64);
        let domain = format!("{}.com", "b".repeat(60));
        assert!(EmailAddress::parse(&format!("{local}@{domain}")).is_ok());
        assert!(EmailAddress::parse(&format!("{}a@{domain}", local)).is_err());
        let long = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        assert!(long.len() > MAX_EMAIL_LEN);
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn only_owners_grant_owner() {
        assert!(Role::Owner.can_grant(Role::Owner));
        assert!(!Role::Admin.can_grant(Role::Owner));
        assert!(Role::Admin.can_grant(Role::Admin));
        assert!(!Role::User.can_grant(Role::User));
    }

    #[test]
    fn status_is_derived() {
        let now = Clock::system().now();
        let mut invite = Invite {
            id: InviteId::new_random(),
            tenant_id: TenantId::new_random(),
            email: EmailAddress::parse("a@example.com").unwrap(),
            role: Role::User,
            expires_at: now.plus(chrono::Duration::seconds(10)),
            accepted_at: None,
            accepted_by_user_id: None,
            created_at: now,
            updated_at: now,
            invited_by_user_id: UserId::new_random(),
            email_id: None,
        };
        assert_eq!(invite.status(now), InviteStatus::Pending);
        assert_eq!(
            invite.status(now.plus(chrono::Duration::seconds(10))),
            InviteStatus::Expired
        );
        invite.accepted_at = Some(now);
        assert_eq!(
            invite.status(now.plus(chrono::Duration::days(30))),
            InviteStatus::Accepted
        );
    }

    #[test]
    fn timestamps_are_fixed_width_and_sortable() {
        let a = Timestamp::parse("2026-01-02T03:04:05Z").unwrap();
        let b = Timestamp::parse("2026-01-02T03:04:05.5+00:00").unwrap();
        assert_eq!(a.to_rfc3339(), "2026-01-02T03:04:05.000000Z");
        assert_eq!(b.to_rfc3339(), "2026-01-02T03:04:05.500000Z");
        assert!(a.to_rfc3339() < b.to_rfc3339());
    }
}
