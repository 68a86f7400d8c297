//! Items of the records the platform owns: tenants (with their settings), users, memberships,
//! groups and API keys.

use aws_sdk_dynamodb::types::AttributeValue;

use super::*;
use crate::domain::{
    ApiKey, Group, GroupId, InviteLinkSettings, LinkRole, Membership, Tenant, TenantSettings, User,
};

fn get_bool(item: &Item, field: &str, absent: bool) -> bool {
    match item.get(field) {
        Some(AttributeValue::Bool(flag)) => *flag,
        _ => absent,
    }
}

fn opt_number(item: &Item, what: &str, field: &str) -> Result<Option<u64>, StoreError> {
    match item.get(field) {
        None => Ok(None),
        Some(AttributeValue::N(raw)) => raw.parse().map(Some).map_err(|_| corrupt(what, field)),
        Some(_) => Err(corrupt(what, field)),
    }
}

/// The tenant's own fields; its counters are never written from here, so that a tenant
/// written again keeps them.
pub fn tenant_to_item(tenant: &Tenant) -> Item {
    let mut item = key(tenant_pk(tenant.id), TENANT_SK);
    item.insert("entity".into(), s("tenant"));
    item.insert("id".into(), s(tenant.id.to_string()));
    item.insert("name".into(), s(tenant.name.clone()));
    if let Some(config) = &tenant.idp_config {
        item.insert("idp_config".into(), s(config.to_string()));
    }
    let settings = &tenant.settings;
    item.insert(
        "can_invite".into(),
        AttributeValue::Bool(settings.can_invite),
    );
    let link = &settings.invite_link;
    item.insert("link_enabled".into(), AttributeValue::Bool(link.enabled));
    item.insert("link_role".into(), s(link.role.role().as_str()));
    item.insert("link_groups".into(), group_list(&link.groups));
    if let Some(cap) = settings.seat_cap {
        item.insert(SEAT_CAP.into(), n(cap.min(i64::MAX as u64) as i64));
    }
    item.insert(
        "deactivated".into(),
        AttributeValue::Bool(tenant.deactivated),
    );
    item
}

/// The tenant an item holds; `None` for the tombstone the platform's delete left (kept in
/// place so that the tenant's invite counters survive a re-creation).
pub fn tenant_from_item(item: &Item) -> Result<Option<Tenant>, StoreError> {
    const WHAT: &str = "tenant";
    if get_bool(item, DELETED, false) {
        return Ok(None);
    }
    let idp_config = opt_str(item, "idp_config")
        .map(|raw| serde_json::from_str(raw).map_err(|_| corrupt(WHAT, "idp_config")))
        .transpose()?
        .filter(|config: &serde_json::Value| !config.is_null());
    let link_role = match opt_str(item, "link_role") {
        None => LinkRole::default(),
        Some(raw) => LinkRole::parse(raw).ok_or_else(|| corrupt(WHAT, "link_role"))?,
    };
    Ok(Some(Tenant {
        id: TenantId::from(get_uuid(item, WHAT, "id")?),
        name: get_str(item, WHAT, "name")?.to_owned(),
        idp_config,
        settings: TenantSettings {
            // Tenants written before the settings existed could invite.
            can_invite: get_bool(item, "can_invite", true),
            invite_link: InviteLinkSettings {
                enabled: get_bool(item, "link_enabled", false),
                role: link_role,
                groups: get_groups(item, WHAT, "link_groups")?,
            },
            seat_cap: opt_number(item, WHAT, SEAT_CAP)?,
        },
        deactivated: get_bool(item, "deactivated", false),
        member_count: get_count(item, MEMBER_COUNT),
    }))
}

pub fn membership_to_item(membership: &Membership, now: Timestamp) -> Item {
    let mut item = key(
        tenant_pk(membership.tenant_id),
        member_sk(membership.user_id),
    );
    item.insert("entity".into(), s("membership"));
    item.insert("tenant_id".into(), s(membership.tenant_id.to_string()));
    item.insert("user_id".into(), s(membership.user_id.to_string()));
    item.insert("role".into(), s(membership.role.as_str()));
    item.insert("created_at".into(), s(now.to_rfc3339()));
    item
}

pub fn membership_from_item(item: &Item) -> Result<Membership, StoreError> {
    const WHAT: &str = "membership";
    Ok(Membership {
        tenant_id: TenantId::from(get_uuid(item, WHAT, "tenant_id")?),
        user_id: UserId::from(get_uuid(item, WHAT, "user_id")?),
        role: get_role(item, WHAT)?,
    })
}

pub fn user_to_item(user: &User) -> Item {
    let mut item = key(user_pk(user.id), USER_SK);
    item.insert("entity".into(), s("user"));
    item.insert("id".into(), s(user.id.to_string()));
    item.insert("email".into(), s(user.email.as_str()));
    if let Some(name) = &user.first_name {
        item.insert("first_name".into(), s(name.clone()));
    }
    if let Some(name) = &user.last_name {
        item.insert("last_name".into(), s(name.clone()));
    }
    if let Some(tenant) = user.current_tenant_id {
        item.insert("current_tenant_id".into(), s(tenant.to_string()));
    }
    item
}

pub fn user_from_item(item: &Item) -> Result<User, StoreError> {
    const WHAT: &str = "user";
    Ok(User {
        id: UserId::from(get_uuid(item, WHAT, "id")?),
        email: get_email(item, WHAT)?,
        first_name: opt_str(item, "first_name").map(str::to_owned),
        last_name: opt_str(item, "last_name").map(str::to_owned),
        current_tenant_id: opt_uuid(item, WHAT, "current_tenant_id")?.map(TenantId::from),
    })
}

pub fn user_email_slot(user: &User) -> Item {
    let mut item = key(user_email_pk(&user.email), USER_EMAIL_SK);
    item.insert("entity".into(), s("user_email"));
    item.insert("user_id".into(), s(user.id.to_string()));
    item
}

pub fn user_id_from_email_slot(item: &Item) -> Result<UserId, StoreError> {
    get_uuid(item, "user email", "user_id").map(UserId::from)
}

pub fn group_to_item(group: &Group) -> Item {
    let mut item = key(tenant_pk(group.tenant_id), group_sk(group.id));
    item.insert("entity".into(), s("group"));
    item.insert("id".into(), s(group.id.to_string()));
    item.insert("tenant_id".into(), s(group.tenant_id.to_string()));
    item.insert("name".into(), s(group.name.clone()));
    item
}

pub fn group_id_from_item(item: &Item) -> Result<GroupId, StoreError> {
    get_uuid(item, "group", "id").map(GroupId::from)
}

pub fn group_member_item(tenant: TenantId, group: GroupId, user: UserId, now: Timestamp) -> Item {
    let mut item = key(tenant_pk(tenant), group_member_sk(group, user));
    item.insert("entity".into(), s("group_member"));
    item.insert("group_id".into(), s(group.to_string()));
    item.insert("user_id".into(), s(user.to_string()));
    item.insert("created_at".into(), s(now.to_rfc3339()));
    item
}

pub fn api_key_to_item(sha256_hex: &str, key_record: &ApiKey) -> Item {
    let mut item = key(api_key_pk(sha256_hex), API_KEY_SK);
    item.insert("entity".into(), s("api_key"));
    item.insert("key_id".into(), s(key_record.key_id.to_string()));
    item.insert("user_id".into(), s(key_record.user_id.to_string()));
    if let Some(at) = key_record.expires_at {
        item.insert("expires_at".into(), s(at.to_rfc3339()));
    }
    item.insert("revoked".into(), AttributeValue::Bool(key_record.revoked));
    item
}

pub fn api_key_from_item(item: &Item) -> Result<ApiKey, StoreError> {
    const WHAT: &str = "API key";
    Ok(ApiKey {
        key_id: get_uuid(item, WHAT, "key_id")?,
        user_id: UserId::from(get_uuid(item, WHAT, "user_id")?),
        expires_at: opt_time(item, WHAT, "expires_at")?,
        // Only an explicit `false` is a live key.
        revoked: get_bool(item, "revoked", true),
    })
}
