//! A directory event as the platform publishes it (see docs/events.md), parsed into typed
//! records: whatever does not parse is malformed, with the reason why.

use invites_shared::domain::{
    ApiKey, EmailAddress, Group, GroupId, GroupIds, InviteLinkSettings, LinkRole, Membership, Role,
    Tenant, TenantId, TenantSettings, Timestamp, User, UserId,
};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// One directory change, with the platform's version of its entity.
#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryEvent {
    TenantUpserted(Tenant, u64),
    TenantDeleted(TenantId, u64),
    UserUpserted(User, u64),
    UserDeleted(UserId, u64),
    MembershipUpserted(Membership, u64),
    MembershipRemoved(TenantId, UserId, u64),
    GroupUpserted(Group, u64),
    GroupDeleted(TenantId, GroupId, u64),
    ApiKeyUpserted {
        sha256_hex: String,
        key: ApiKey,
        version: u64,
    },
}

/// Why an event can never be applied (logged, and the event sent to the DLQ).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed event: {0}")]
pub struct Malformed(pub String);

fn bad(reason: impl Into<String>) -> Malformed {
    Malformed(reason.into())
}

/// The parts of the EventBridge envelope that matter.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: Value,
}

#[derive(Deserialize)]
struct TenantDetail {
    tenant_id: Uuid,
    name: String,
    idp_config: Option<Value>,
    settings: SettingsDetail,
    deactivated: bool,
    version: u64,
}

#[derive(Deserialize)]
struct SettingsDetail {
    can_invite: bool,
    invite_link: LinkDetail,
    seat_cap: Option<u64>,
}

#[derive(Deserialize)]
struct LinkDetail {
    enabled: bool,
    role: String,
    groups: Vec<Uuid>,
}

#[derive(Deserialize)]
struct UserDetail {
    user_id: Uuid,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(default)]
    current_tenant_id: Option<Uuid>,
    version: u64,
}

#[derive(Deserialize)]
struct MembershipDetail {
    tenant_id: Uuid,
    user_id: Uuid,
    #[serde(default)]
    role: Option<String>,
    version: u64,
}

#[derive(Deserialize)]
struct GroupDetail {
    tenant_id: Uuid,
    group_id: Uuid,
    #[serde(default)]
    name: Option<String>,
    version: u64,
}

#[derive(Deserialize)]
struct ApiKeyDetail {
    key_id: Uuid,
    user_id: Uuid,
    key_sha256: String,
    expires_at: Option<String>,
    revoked: bool,
    version: u64,
}

#[derive(Deserialize)]
struct DeletedDetail {
    #[serde(default)]
    tenant_id: Option<Uuid>,
    #[serde(default)]
    user_id: Option<Uuid>,
    version: u64,
}

fn detail<T: for<'de> Deserialize<'de>>(kind: &str, value: Value) -> Result<T, Malformed> {
    serde_json::from_value(value).map_err(|e| bad(format!("{kind}: {e}")))
}

fn required<T>(kind: &str, field: &str, value: Option<T>) -> Result<T, Malformed> {
    value.ok_or_else(|| bad(format!("{kind}: missing field `{field}`")))
}

fn role(kind: &str, raw: &str) -> Result<Role, Malformed> {
    Role::parse(raw).ok_or_else(|| bad(format!("{kind}: unknown role {raw:?}")))
}

/// Parses an SQS message body holding an EventBridge event.
pub fn parse(body: &str) -> Result<DirectoryEvent, Malformed> {
    let envelope: Envelope =
        serde_json::from_str(body).map_err(|e| bad(format!("not an EventBridge event: {e}")))?;
    let kind = envelope.detail_type.as_str();
    let value = envelope.detail;
    Ok(match kind {
        "TenantUpserted" => {
            let d: TenantDetail = detail(kind, value)?;
            let link = d.settings.invite_link;
            let link_role = LinkRole::parse(&link.role)
                .ok_or_else(|| bad(format!("{kind}: invite_link.role must be USER or ADMIN")))?;
            let groups = GroupIds::new(link.groups.into_iter().map(GroupId::from))
                .map_err(|e| bad(format!("{kind}: invite_link.groups: {e}")))?;
            if d.name.trim().is_empty() {
                return Err(bad(format!("{kind}: empty name")));
            }
            let tenant = Tenant {
                id: d.tenant_id.into(),
                name: d.name,
                idp_config: d.idp_config.filter(|config| !config.is_null()),
                settings: TenantSettings {
                    can_invite: d.settings.can_invite,
                    invite_link: InviteLinkSettings {
                        enabled: link.enabled,
                        role: link_role,
                        groups,
                    },
                    seat_cap: d.settings.seat_cap,
                },
                deactivated: d.deactivated,
                member_count: 0,
            };
            DirectoryEvent::TenantUpserted(tenant, d.version)
        }
        "TenantDeleted" => {
            let d: DeletedDetail = detail(kind, value)?;
            DirectoryEvent::TenantDeleted(
                required(kind, "tenant_id", d.tenant_id)?.into(),
                d.version,
            )
        }
        "UserUpserted" => {
            let d: UserDetail = detail(kind, value)?;
            let email = EmailAddress::parse(&d.email)
                .map_err(|e| bad(format!("{kind}: invalid email: {e}")))?;
            let user = User {
                id: d.user_id.into(),
                email,
                first_name: d.first_name,
                last_name: d.last_name,
                current_tenant_id: d.current_tenant_id.map(TenantId::from),
            };
            DirectoryEvent::UserUpserted(user, d.version)
        }
        "UserDeleted" => {
            let d: DeletedDetail = detail(kind, value)?;
            DirectoryEvent::UserDeleted(required(kind, "user_id", d.user_id)?.into(), d.version)
        }
        "MembershipUpserted" => {
            let d: MembershipDetail = detail(kind, value)?;
            let membership = Membership {
                tenant_id: d.tenant_id.into(),
                user_id: d.user_id.into(),
                role: role(kind, &required(kind, "role", d.role)?)?,
            };
            DirectoryEvent::MembershipUpserted(membership, d.version)
        }
        "MembershipRemoved" => {
            let d: MembershipDetail = detail(kind, value)?;
            DirectoryEvent::MembershipRemoved(d.tenant_id.into(), d.user_id.into(), d.version)
        }
        "GroupUpserted" => {
            let d: GroupDetail = detail(kind, value)?;
            let group = Group {
                id: d.group_id.into(),
                tenant_id: d.tenant_id.into(),
                name: required(kind, "name", d.name)?,
            };
            DirectoryEvent::GroupUpserted(group, d.version)
        }
        "GroupDeleted" => {
            let d: GroupDetail = detail(kind, value)?;
            DirectoryEvent::GroupDeleted(d.tenant_id.into(), d.group_id.into(), d.version)
        }
        "ApiKeyUpserted" => {
            let d: ApiKeyDetail = detail(kind, value)?;
            let hex = d.key_sha256;
            if hex.len() != 64
                || !hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Err(bad(format!(
                    "{kind}: key_sha256 must be 64 lower-case hex digits"
                )));
            }
            let expires_at = d
                .expires_at
                .map(|raw| {
                    Timestamp::parse(&raw)
                        .ok_or_else(|| bad(format!("{kind}: expires_at is not RFC 3339")))
                })
                .transpose()?;
            let key = ApiKey {
                key_id: d.key_id,
                user_id: d.user_id.into(),
                expires_at,
                revoked: d.revoked,
            };
            DirectoryEvent::ApiKeyUpserted {
                sha256_hex: hex,
                key,
                version: d.version,
            }
        }
        other => return Err(bad(format!("unknown detail-type {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, detail: Value) -> String {
        json!({ "version": "0", "id": "x", "source": "platform.directory", "detail-type": kind, "detail": detail }).to_string()
    }

    #[test]
    fn every_kind_parses_and_bad_ones_say_why() {
        let t = Uuid::new_v4();
        let u = Uuid::new_v4();
        let tenant = json!({ "tenant_id": t, "name": "Acme", "idp_config": null, "deactivated": false, "version": 3,
            "settings": { "can_invite": true, "seat_cap": 5, "invite_link": { "enabled": true, "role": "ADMIN", "groups": [] } } });
        assert!(matches!(
            parse(&event("TenantUpserted", tenant)),
            Ok(DirectoryEvent::TenantUpserted(_, 3))
        ));
        let member = json!({ "tenant_id": t, "user_id": u, "role": "OWNER", "version": 1 });
        assert!(parse(&event("MembershipUpserted", member)).is_ok());
        let user = json!({ "user_id": u, "email": "A@Example.com", "first_name": null, "last_name": "B", "version": 2 });
        let Ok(DirectoryEvent::UserUpserted(user, 2)) = parse(&event("UserUpserted", user)) else {
            panic!()
        };
        assert_eq!(user.email.as_str(), "a@example.com");

        for (kind, detail) in [
            ("TenantDeleted", json!({ "version": 1 })),
            (
                "MembershipUpserted",
                json!({ "tenant_id": t, "user_id": u, "role": "ROOT", "version": 1 }),
            ),
            ("UserDeleted", json!({ "user_id": u, "version": -1 })),
            (
                "UserUpserted",
                json!({ "user_id": u, "email": "nope", "first_name": null, "last_name": null, "version": 1 }),
            ),
            (
                "ApiKeyUpserted",
                json!({ "key_id": u, "user_id": u, "key_sha256": "ABC", "expires_at": null, "revoked": false, "version": 1 }),
            ),
            ("Whatever", json!({})),
        ] {
            let error = parse(&event(kind, detail)).unwrap_err();
            assert!(!error.0.is_empty(), "{kind}");
        }
        assert!(parse("not json").is_err());
    }
}
