//! Mapping between domain types and DynamoDB items; nothing else touches `AttributeValue`.
//! Invites and slots here; the platform's records in `directory`.

mod directory;

pub use directory::*;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use uuid::Uuid;

use super::keys::*;
use super::StoreError;
use crate::domain::{
    Delivery, DeliveryStatus, EmailAddress, EmailId, GroupId, GroupIds, Invite, InviteId, Role,
    TenantId, Timestamp, UserId,
};

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

pub(super) fn corrupt(what: &str, field: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} item has a missing or invalid {field:?}"))
}

pub(super) fn get_str<'a>(item: &'a Item, what: &str, field: &str) -> Result<&'a str, StoreError> {
    match item.get(field) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(corrupt(what, field)),
    }
}

pub(super) fn opt_str<'a>(item: &'a Item, field: &str) -> Option<&'a str> {
    match item.get(field) {
        Some(AttributeValue::S(value)) => Some(value),
        _ => None,
    }
}

pub(super) fn get_uuid(item: &Item, what: &str, field: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(get_str(item, what, field)?).map_err(|_| corrupt(what, field))
}

pub(super) fn opt_uuid(item: &Item, what: &str, field: &str) -> Result<Option<Uuid>, StoreError> {
    opt_str(item, field)
        .map(|raw| Uuid::parse_str(raw).map_err(|_| corrupt(what, field)))
        .transpose()
}

pub(super) fn get_time(item: &Item, what: &str, field: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(get_str(item, what, field)?).ok_or_else(|| corrupt(what, field))
}

pub(super) fn opt_time(
    item: &Item,
    what: &str,
    field: &str,
) -> Result<Option<Timestamp>, StoreError> {
    opt_str(item, field)
        .map(|raw| Timestamp::parse(raw).ok_or_else(|| corrupt(what, field)))
        .transpose()
}

pub(super) fn get_role(item: &Item, what: &str) -> Result<Role, StoreError> {
    Role::parse(get_str(item, what, "role")?).ok_or_else(|| corrupt(what, "role"))
}

pub(super) fn get_email(item: &Item, what: &str) -> Result<EmailAddress, StoreError> {
    EmailAddress::parse(get_str(item, what, "email")?).map_err(|_| corrupt(what, "email"))
}

/// The invite counters kept on a tenant item (absent counters are zero).
pub fn counts_from_tenant_item(item: &Item) -> super::InviteCounts {
    super::InviteCounts {
        total: get_count(item, INVITE_COUNT),
        accepted: get_count(item, ACCEPTED_COUNT),
        expired: get_count(item, EXPIRED_COUNT),
        version: get_count(item, LIST_VERSION),
        moved_at: opt_str(item, LIST_MOVED_AT).and_then(Timestamp::parse),
    }
}

pub(super) fn get_count(item: &Item, field: &str) -> u64 {
    match item.get(field) {
        Some(AttributeValue::N(raw)) => raw.parse::<i64>().unwrap_or(0).max(0) as u64,
        _ => 0,
    }
}

/// The full invite item, with the keys of every index derived from its fields.
pub fn invite_to_item(invite: &Invite) -> Item {
    let mut item = key(invite_pk(invite.id), INVITE_SK);
    item.insert("entity".into(), s("invite"));
    item.insert("id".into(), s(invite.id.to_string()));
    item.insert("tenant_id".into(), s(invite.tenant_id.to_string()));
    item.insert("email".into(), s(invite.email.as_str()));
    item.insert("role".into(), s(invite.role.as_str()));
    item.insert("expires_at".into(), s(invite.expires_at.to_rfc3339()));
    item.insert("created_at".into(), s(invite.created_at.to_rfc3339()));
    item.insert("updated_at".into(), s(invite.updated_at.to_rfc3339()));
    item.insert(
        "invited_by_user_id".into(),
        s(invite.invited_by_user_id.to_string()),
    );
    if let Some(at) = invite.accepted_at {
        item.insert("accepted_at".into(), s(at.to_rfc3339()));
    }
    if let Some(user) = invite.accepted_by_user_id {
        item.insert("accepted_by_user_id".into(), s(user.to_string()));
    }
    if let Some(email_id) = invite.email_id {
        item.insert("email_id".into(), s(email_id.to_string()));
    }
    if !invite.groups.is_empty() {
        item.insert("groups".into(), group_list(&invite.groups));
    }
    if !invite.skipped_groups.is_empty() {
        item.insert("skipped_groups".into(), group_list(&invite.skipped_groups));
    }
    if let Some(delivery) = &invite.delivery {
        item.extend(delivery_attributes(invite.tenant_id, delivery));
    }
    item.insert(GSI_TENANT.into(), s(invite.tenant_id.to_string()));
    item.insert(CREATED_SK.into(), s(time_sk(invite.created_at, invite.id)));
    item.insert(UPDATED_SK.into(), s(time_sk(invite.updated_at, invite.id)));
    item.insert(EXPIRES_SK.into(), s(time_sk(invite.expires_at, invite.id)));
    item.insert(
        ACCEPTED_PK.into(),
        s(accepted_partition(
            invite.tenant_id,
            invite.accepted_at.is_some(),
        )),
    );
    item.insert(
        ACCEPTED_SK.into(),
        s(accepted_sk(invite.accepted_at, invite.id)),
    );
    let state = if invite.accepted_at.is_some() {
        Lifecycle::Accepted
    } else {
        Lifecycle::Pending
    };
    item.insert(STATE_PK.into(), s(state_partition(invite.tenant_id, state)));
    if invite.accepted_at.is_none() {
        item.insert(EXPIRY_SHARD.into(), s(expiry_shard(invite.id)));
    }
    item
}

pub fn invite_from_item(item: &Item) -> Result<Invite, StoreError> {
    const WHAT: &str = "invite";
    Ok(Invite {
        id: InviteId::from(get_uuid(item, WHAT, "id")?),
        tenant_id: TenantId::from(get_uuid(item, WHAT, "tenant_id")?),
        email: get_email(item, WHAT)?,
        role: get_role(item, WHAT)?,
        expires_at: get_time(item, WHAT, "expires_at")?,
        accepted_at: opt_time(item, WHAT, "accepted_at")?,
        accepted_by_user_id: opt_uuid(item, WHAT, "accepted_by_user_id")?.map(UserId::from),
        created_at: get_time(item, WHAT, "created_at")?,
        updated_at: get_time(item, WHAT, "updated_at")?,
        invited_by_user_id: UserId::from(get_uuid(item, WHAT, "invited_by_user_id")?),
        email_id: opt_uuid(item, WHAT, "email_id")?.map(EmailId::from),
        groups: get_groups(item, WHAT, "groups")?,
        skipped_groups: get_groups(item, WHAT, "skipped_groups")?,
        delivery: get_delivery(item, WHAT)?,
    })
}

/// The invite item's attributes of `delivery` (its `by_delivery` key included).
pub fn delivery_attributes(tenant: TenantId, delivery: &Delivery) -> Item {
    let mut item = Item::new();
    item.insert(DELIVERY_STATUS.into(), s(delivery.status.as_str()));
    item.insert(DELIVERY_AT.into(), s(delivery.at.to_rfc3339()));
    item.insert(DELIVERY_RANK.into(), n(delivery.status.rank().into()));
    item.insert(
        DELIVERY_PK.into(),
        s(delivery_partition(tenant, delivery.status)),
    );
    if let Some(detail) = &delivery.detail {
        item.insert(DELIVERY_DETAIL.into(), s(detail.clone()));
    }
    item
}

fn get_delivery(item: &Item, what: &str) -> Result<Option<Delivery>, StoreError> {
    let Some(raw) = opt_str(item, DELIVERY_STATUS) else {
        return Ok(None);
    };
    let status = DeliveryStatus::parse(raw).ok_or_else(|| corrupt(what, DELIVERY_STATUS))?;
    let at = opt_time(item, what, DELIVERY_AT)?.ok_or_else(|| corrupt(what, DELIVERY_AT))?;
    let detail = opt_str(item, DELIVERY_DETAIL).map(str::to_owned);
    Ok(Some(Delivery::new(status, at, detail)))
}

/// Group ids as a DynamoDB list (a string set cannot be empty and has no order).
pub fn group_list(groups: &GroupIds) -> AttributeValue {
    AttributeValue::L(groups.iter().map(|id| s(id.to_string())).collect())
}

/// A list of group ids; absent is none.
pub(super) fn get_groups(item: &Item, what: &str, field: &str) -> Result<GroupIds, StoreError> {
    let Some(value) = item.get(field) else {
        return Ok(GroupIds::default());
    };
    let AttributeValue::L(values) = value else {
        return Err(corrupt(what, field));
    };
    let ids = values
        .iter()
        .map(|value| match value {
            AttributeValue::S(raw) => Uuid::parse_str(raw).map(GroupId::from).ok(),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| corrupt(what, field))?;
    GroupIds::new(ids).map_err(|_| corrupt(what, field))
}

pub fn pending_slot_item(invite: &Invite) -> Item {
    let mut item = key(tenant_pk(invite.tenant_id), pending_slot_sk(&invite.email));
    item.insert("entity".into(), s("pending_slot"));
    item.insert("invite_id".into(), s(invite.id.to_string()));
    item
}

pub fn invite_id_from_pending_slot(item: &Item) -> Result<InviteId, StoreError> {
    get_uuid(item, "pending slot", "invite_id").map(InviteId::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Clock;

    #[test]
    fn invite_round_trips_and_carries_index_keys() {
        let now = Clock::system().now();
        let invite = Invite {
            id: InviteId::new_random(),
            tenant_id: TenantId::new_random(),
            email: EmailAddress::parse("a@example.com").unwrap(),
            role: Role::Admin,
            expires_at: now.plus(chrono::Duration::days(7)),
            accepted_at: Some(now),
            accepted_by_user_id: Some(UserId::new_random()),
            created_at: now,
            updated_at: now,
            invited_by_user_id: UserId::new_random(),
            email_id: Some(EmailId::new_random()),
            groups: GroupIds::new([GroupId::new_random()]).unwrap(),
            skipped_groups: GroupIds::new([GroupId::new_random()]).unwrap(),
            delivery: None,
        };
        let item = invite_to_item(&invite);
        assert_eq!(invite_from_item(&item).unwrap(), invite);
        assert_eq!(item[ACCEPTED_PK], s(format!("{}#A", invite.tenant_id)));
        assert!(
            matches!(&item[CREATED_SK], AttributeValue::S(sk) if sk.ends_with(&invite.id.to_string()))
        );
    }
}
