//! Tenants, users and memberships: records the platform owns and this service reads.

use serde::Serialize;

use super::{EmailAddress, Role, TenantId, UserId};

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
