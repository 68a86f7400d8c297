//! Invites and their derived status.

use serde::Serialize;

use super::{
    Delivery, EmailAddress, EmailId, GroupIds, InviteId, Role, TenantId, Timestamp, UserId,
};

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
    /// Groups the invitee joins on accepting (those that still exist then).
    pub groups: GroupIds,
    /// Of `groups`, those that no longer existed when the invite was accepted.
    pub skipped_groups: GroupIds,
    /// What SES last reported about the latest invitation email (none before the first).
    pub delivery: Option<Delivery>,
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

#[cfg(test)]
impl Invite {
    /// A pending `User` invite made `now`, expiring 10 s later: for unit tests.
    pub(crate) fn sample(now: Timestamp) -> Self {
        Invite {
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
            groups: GroupIds::default(),
            skipped_groups: GroupIds::default(),
            delivery: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Clock;

    #[test]
    fn status_is_derived() {
        let now = Clock::system().now();
        let mut invite = Invite::sample(now);
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
}
