//! Identifiers: UUIDs that cannot be mistaken for one another.

use std::fmt;

use serde::Serialize;
use uuid::Uuid;

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
uuid_newtype!(
    /// Identifier of a group of a tenant.
    GroupId
);
