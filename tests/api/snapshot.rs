//! What an attack could change, taken before and after it: the target invite as stored
//! (status, role, expiry, email id, …), members' roles, the tenant's counters, and the emails
//! the SES emulator holds for the addresses involved.

use invites_shared::domain::{Invite, Role, TenantId, UserId};
use serde_json::json;

use crate::helpers::*;

#[derive(Debug, PartialEq)]
pub struct Snapshot {
    invite: Option<Invite>,
    roles: Vec<Option<Role>>,
    counts: (u64, u64),
    emails: Vec<usize>,
}

impl Snapshot {
    pub fn has_invite(&self) -> bool {
        self.invite.is_some()
    }

    pub async fn take(
        app: &TestApp,
        tenant: TenantId,
        invite_id: &str,
        users: &[UserId],
        emails: &[String],
    ) -> Self {
        let id = uuid::Uuid::parse_str(invite_id).unwrap().into();
        let mut roles = Vec::new();
        for user in users {
            roles.push(app.membership_role(tenant, *user).await);
        }
        let mut sent = Vec::new();
        for email in emails {
            sent.push(app.emails_to(email).await.len());
        }
        let counts = app.store.invite_counts(tenant).await.unwrap();
        Self {
            invite: app.store.get_invite(id).await.unwrap(),
            roles,
            counts: (counts.total, counts.accepted),
            emails: sent,
        }
    }
}

/// Sends `header: value` (and nothing else that authenticates) to all four endpoints: create
/// into `tenant` for `email`, list, accept and delete `invite_id`. Returns the four statuses.
pub async fn send_everywhere(
    app: &TestApp,
    header: (&str, &str),
    tenant: TenantId,
    invite_id: &str,
    email: &str,
) -> [u16; 4] {
    let (name, value) = header;
    let requests = [
        app.http
            .post(app.url("/v1/invites"))
            .json(&json!({ "tenant_id": tenant, "email": email })),
        app.http.get(app.url("/v1/invites")),
        app.http
            .post(app.url(&format!("/v1/invites/{invite_id}/accept"))),
        app.http
            .delete(app.url(&format!("/v1/invites/{invite_id}"))),
    ];
    let mut statuses = [0; 4];
    for (slot, request) in statuses.iter_mut().zip(requests) {
        let response = request.header(name, value).send().await.unwrap();
        *slot = response.status().as_u16();
    }
    statuses
}
