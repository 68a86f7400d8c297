//! Roles of tenant members.

use std::fmt;

use serde::Serialize;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_grant_owner() {
        assert!(Role::Owner.can_grant(Role::Owner));
        assert!(!Role::Admin.can_grant(Role::Owner));
        assert!(Role::Admin.can_grant(Role::Admin));
        assert!(!Role::User.can_grant(Role::User));
    }
}
