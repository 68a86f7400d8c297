//! Tenants, users, memberships and API keys: records the platform owns and this service reads.

use serde::Serialize;

use super::{EmailAddress, GroupIds, Role, TenantId, Timestamp, UserId};

/// A tenant as the invites service sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    /// Set for tenants that sign in through their own identity provider.
    pub idp_config: Option<serde_json::Value>,
    pub settings: TenantSettings,
    /// A deactivated tenant takes no new invites or members and previews as unavailable.
    pub deactivated: bool,
    /// Members now, kept with every membership written, for the seat cap.
    pub member_count: u64,
}

impl Tenant {
    pub fn has_external_idp(&self) -> bool {
        self.idp_config.is_some()
    }

    /// Whether one more member fits under the seat cap.
    pub fn has_free_seat(&self) -> bool {
        self.settings
            .seat_cap
            .is_none_or(|cap| self.member_count < cap)
    }
}

/// What a tenant's admins decide about joining it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantSettings {
    /// The kill switch: `false` stops invites and the invite link.
    pub can_invite: bool,
    pub invite_link: InviteLinkSettings,
    /// The most members the tenant may have; none means no limit.
    pub seat_cap: Option<u64>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            can_invite: true,
            invite_link: InviteLinkSettings::default(),
            seat_cap: None,
        }
    }
}

/// The tenant-wide invite link: accepting the tenant's id joins it with `role` and `groups`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InviteLinkSettings {
    pub enabled: bool,
    pub role: LinkRole,
    pub groups: GroupIds,
}

/// The roles an invite link may grant: never `OWNER`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LinkRole {
    #[default]
    User,
    Admin,
}

impl LinkRole {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "USER" => Some(Self::User),
            "ADMIN" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn role(self) -> Role {
        match self {
            Self::User => Role::User,
            Self::Admin => Role::Admin,
        }
    }
}

/// A user of the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: EmailAddress,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The tenant the user works in now: an API key's requests act in it.
    pub current_tenant_id: Option<TenantId>,
}

/// A user's role in a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub role: Role,
}

/// An API key (`sk-user-…`) as stored: by the SHA-256 of the key, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub key_id: uuid::Uuid,
    pub user_id: UserId,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
}

impl ApiKey {
    pub fn is_usable(&self, now: Timestamp) -> bool {
        !self.revoked && self.expires_at.is_none_or(|at| now < at)
    }
}
