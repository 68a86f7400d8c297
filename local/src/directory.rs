//! Dev commands for the records ksapi 3.x features read: tenant settings (invite link, kill
//! switch, seat cap, deactivation), groups and API keys.

use invites_shared::auth::{api_key_digest, API_KEY_PREFIX};
use invites_shared::domain::{
    ApiKey, Group, GroupId, GroupIds, LinkRole, Tenant, TenantId, Timestamp, UserId,
};
use invites_shared::store::Store;

use crate::dev::DevError;

/// Changes to a tenant's settings; `None` keeps a setting as it is.
#[derive(Debug, Default)]
pub struct TenantChanges {
    pub can_invite: Option<bool>,
    /// `Some(None)` removes the cap.
    pub seat_cap: Option<Option<u64>>,
    pub link_enabled: Option<bool>,
    pub link_role: Option<LinkRole>,
    pub link_groups: Option<GroupIds>,
    pub deactivated: Option<bool>,
}

pub async fn update_tenant(
    store: &Store,
    id: TenantId,
    changes: TenantChanges,
) -> Result<Tenant, DevError> {
    let mut tenant = store
        .get_tenant(id)
        .await?
        .ok_or_else(|| format!("tenant {id} not found"))?;
    let settings = &mut tenant.settings;
    if let Some(can_invite) = changes.can_invite {
        settings.can_invite = can_invite;
    }
    if let Some(cap) = changes.seat_cap {
        settings.seat_cap = cap;
    }
    if let Some(enabled) = changes.link_enabled {
        settings.invite_link.enabled = enabled;
    }
    if let Some(role) = changes.link_role {
        settings.invite_link.role = role;
    }
    if let Some(groups) = changes.link_groups {
        settings.invite_link.groups = groups;
    }
    if let Some(deactivated) = changes.deactivated {
        tenant.deactivated = deactivated;
    }
    store.put_tenant(&tenant).await?;
    Ok(tenant)
}

pub async fn create_group(store: &Store, tenant: TenantId, name: &str) -> Result<Group, DevError> {
    let group = Group {
        id: GroupId::new_random(),
        tenant_id: tenant,
        name: name.to_owned(),
    };
    store.put_group(&group).await?;
    Ok(group)
}

/// A new API key for `user`: the key itself is returned once and only its SHA-256 stored.
pub async fn create_api_key(
    store: &Store,
    user: UserId,
    expires_at: Option<Timestamp>,
) -> Result<(ApiKey, String), DevError> {
    let mut secret = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
        .map_err(|_| "no randomness available")?;
    let key = format!(
        "{API_KEY_PREFIX}{}",
        secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let record = ApiKey {
        key_id: uuid::Uuid::new_v4(),
        user_id: user,
        expires_at,
        revoked: false,
    };
    store.put_api_key(&api_key_digest(&key), &record).await?;
    Ok((record, key))
}

/// Revokes the key `key` (the `sk-user-…` secret itself: records are found by its hash).
pub async fn revoke_api_key(store: &Store, key: &str) -> Result<ApiKey, DevError> {
    let digest = api_key_digest(key);
    let (mut record, _) = store
        .find_api_key(&digest)
        .await?
        .ok_or("no such API key")?;
    record.revoked = true;
    store.put_api_key(&digest, &record).await?;
    Ok(record)
}
