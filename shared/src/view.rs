//! `InviteResponse`, the invite as create, list and update return it.

use serde::Serialize;

use crate::config::{is_https_or_local, ConfigError, Env};
use crate::domain::{
    Delivery, EmailId, GroupIds, Invite, InviteId, InviteStatus, Role, TenantId, Timestamp, UserId,
};

/// Where invitees open their invites: the base URL the invite id is appended to.
#[derive(Debug, Clone)]
pub struct InviteLinks {
    base_url: String,
}

impl InviteLinks {
    /// Reads `INVITE_LINK_BASE_URL`, an absolute http(s) URL.
    pub fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        let base_url = env.required("INVITE_LINK_BASE_URL")?;
        // Plain http only on this machine: a link that travels by email must not be.
        if !is_https_or_local(&base_url) {
            return Err(ConfigError::Invalid {
                name: "INVITE_LINK_BASE_URL",
                reason: "must be an absolute https URL (http only for localhost)".into(),
            });
        }
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The absolute link an invitee opens to accept `invite_id`.
    pub fn link(&self, invite_id: &InviteId) -> String {
        format!("{}/{}", self.base_url, invite_id)
    }
}

/// `InviteResponse` of the contract (with ksapi 3.x's `groups`), plus `status` and
/// `invited_by_user_id`.
#[derive(Debug, Serialize)]
pub struct InviteResponse {
    pub id: InviteId,
    pub tenant_id: TenantId,
    pub email: String,
    pub role: Role,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub invite_link: String,
    pub email_id: Option<EmailId>,
    pub status: InviteStatus,
    pub invited_by_user_id: UserId,
    pub groups: GroupIds,
    /// What SES last reported about the latest invitation email (`{status, at, detail}`),
    /// null before the first: an extra field, which both client generations ignore.
    pub delivery: Option<Delivery>,
}

impl InviteResponse {
    pub fn new(invite: &Invite, links: &InviteLinks, now: Timestamp) -> Self {
        Self {
            id: invite.id,
            tenant_id: invite.tenant_id,
            email: invite.email.to_string(),
            role: invite.role,
            expires_at: invite.expires_at,
            accepted_at: invite.accepted_at,
            created_at: invite.created_at,
            updated_at: invite.updated_at,
            invite_link: links.link(&invite.id),
            email_id: invite.email_id,
            status: invite.status(now),
            invited_by_user_id: invite.invited_by_user_id,
            groups: invite.groups.clone(),
            delivery: invite.delivery.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env;

    #[test]
    fn links_append_the_id_to_the_base() {
        let links = InviteLinks::read(&env(&[(
            "INVITE_LINK_BASE_URL",
            "https://app.example.com/invites/",
        )]))
        .unwrap();
        let id = InviteId::new_random();
        assert_eq!(
            links.link(&id),
            format!("https://app.example.com/invites/{id}")
        );
    }

    #[test]
    fn links_are_https_except_on_localhost() {
        let read = |url| InviteLinks::read(&env(&[("INVITE_LINK_BASE_URL", url)]));
        for bad in [
            "/invites",
            "http://app.example.com/invites",
            "http://localhost.evil.example/x",
            "ftp://x",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
        for good in [
            "https://app.example.com/invites",
            "http://localhost:3000/invites",
            "http://127.0.0.1/x",
        ] {
            assert!(read(good).is_ok(), "{good}");
        }
        assert!(InviteLinks::read(&env(&[])).is_err());
    }
}
