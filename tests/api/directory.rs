//! Fixtures and requests of the ksapi 3.x features: groups, tenant settings, API keys, and the
//! update and preview operations.

use invites_local::directory::{self, TenantChanges};
use invites_shared::domain::{GroupId, GroupIds, LinkRole, Tenant, TenantId, Timestamp, UserId};
use serde_json::Value;

use crate::helpers::TestApp;

impl TestApp {
    pub async fn group(&self, tenant: TenantId) -> GroupId {
        directory::create_group(&self.store, tenant, "Group")
            .await
            .unwrap()
            .id
    }

    pub async fn change_tenant(&self, tenant: TenantId, changes: TenantChanges) -> Tenant {
        directory::update_tenant(&self.store, tenant, changes)
            .await
            .unwrap()
    }

    /// Turns the tenant's invite link on with `role` and `groups`.
    pub async fn enable_link(&self, tenant: TenantId, role: LinkRole, groups: &[GroupId]) {
        let changes = TenantChanges {
            link_enabled: Some(true),
            link_role: Some(role),
            link_groups: Some(GroupIds::new(groups.iter().copied()).unwrap()),
            ..TenantChanges::default()
        };
        self.change_tenant(tenant, changes).await;
    }

    pub async fn set_seat_cap(&self, tenant: TenantId, cap: Option<u64>) {
        let changes = TenantChanges {
            seat_cap: Some(cap),
            ..TenantChanges::default()
        };
        self.change_tenant(tenant, changes).await;
    }

    pub async fn deactivate(&self, tenant: TenantId) {
        let changes = TenantChanges {
            deactivated: Some(true),
            ..TenantChanges::default()
        };
        self.change_tenant(tenant, changes).await;
    }

    pub async fn api_key(&self, user: UserId, expires_at: Option<Timestamp>) -> String {
        directory::create_api_key(&self.store, user, expires_at)
            .await
            .unwrap()
            .1
    }

    pub async fn group_members(&self, tenant: TenantId, group: GroupId) -> Vec<UserId> {
        self.store.group_member_ids(tenant, group).await.unwrap()
    }

    pub async fn patch(&self, token: &str, invite_id: &str, body: Value) -> reqwest::Response {
        self.http
            .patch(self.url(&format!("/v1/invites/{invite_id}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn preview(&self, invite_id: &str) -> reqwest::Response {
        self.http
            .get(self.url(&format!("/v1/invites/{invite_id}/preview")))
            .send()
            .await
            .unwrap()
    }
}
