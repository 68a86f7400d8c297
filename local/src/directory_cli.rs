//! The dev tool's commands for directory records: memberships, tenant settings, groups and
//! API keys.

use clap::Subcommand;
use invites_shared::domain::{Clock, GroupId, GroupIds, LinkRole, Role};
use invites_shared::store::Store;
use serde_json::json;

use crate::{directory, Error};

#[derive(Subcommand)]
pub enum DirectoryCommand {
    /// Change a tenant's settings (invite link, kill switch, seat cap, deactivation).
    UpdateTenant {
        #[arg(long)]
        id: uuid::Uuid,
        #[arg(long)]
        can_invite: Option<bool>,
        #[arg(long, conflicts_with = "no_seat_cap")]
        seat_cap: Option<u64>,
        #[arg(long)]
        no_seat_cap: bool,
        #[arg(long)]
        link_enabled: Option<bool>,
        /// USER or ADMIN.
        #[arg(long)]
        link_role: Option<String>,
        /// Comma-separated group ids (empty: none).
        #[arg(long)]
        link_groups: Option<String>,
        #[arg(long)]
        deactivated: Option<bool>,
    },
    /// A user's membership of a tenant, or null.
    GetMember {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        user: uuid::Uuid,
    },
    /// Create a group in a tenant.
    CreateGroup {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        name: String,
    },
    /// Delete a group of a tenant.
    DeleteGroup {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        group: uuid::Uuid,
    },
    /// The users who joined a group.
    GroupMembers {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        group: uuid::Uuid,
    },
    /// Create an API key (`sk-user-…`) for a user; the key is printed once.
    CreateApiKey {
        #[arg(long)]
        user: uuid::Uuid,
        /// Hours until it expires (0: already expired); none: it does not expire.
        #[arg(long)]
        expires_in_hours: Option<i64>,
    },
    /// Revoke an API key, given the key itself.
    RevokeApiKey {
        #[arg(long)]
        key: String,
    },
    /// Add a user to a tenant with a role, or change their role.
    AddMember {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        user: uuid::Uuid,
        /// USER, ADMIN or OWNER.
        #[arg(long)]
        role: String,
    },
    /// Remove a user from a tenant.
    RemoveMember {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        user: uuid::Uuid,
    },
}

/// The commands for tenant settings, groups and API keys.
pub async fn run(store: &Store, command: DirectoryCommand) -> Result<serde_json::Value, Error> {
    let now = Clock::system().now();
    Ok(match command {
        DirectoryCommand::AddMember { tenant, user, role } => {
            let role = Role::parse(&role).ok_or("role must be USER, ADMIN or OWNER")?;
            json!(crate::dev::add_member(store, tenant.into(), user.into(), role).await?)
        }
        DirectoryCommand::RemoveMember { tenant, user } => {
            store.remove_membership(tenant.into(), user.into()).await?;
            json!({ "tenant_id": tenant, "user_id": user, "removed": true })
        }
        DirectoryCommand::UpdateTenant {
            id,
            can_invite,
            seat_cap,
            no_seat_cap,
            link_enabled,
            link_role,
            link_groups,
            deactivated,
        } => {
            let link_role = link_role
                .map(|raw| LinkRole::parse(&raw).ok_or("link role must be USER or ADMIN"))
                .transpose()?;
            let link_groups = link_groups
                .map(|raw| -> Result<GroupIds, Error> {
                    let ids = raw
                        .split(',')
                        .filter(|id| !id.trim().is_empty())
                        .map(|id| uuid::Uuid::parse_str(id.trim()).map(GroupId::from))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(GroupIds::new(ids)?)
                })
                .transpose()?;
            let changes = directory::TenantChanges {
                can_invite,
                seat_cap: if no_seat_cap {
                    Some(None)
                } else {
                    seat_cap.map(Some)
                },
                link_enabled,
                link_role,
                link_groups,
                deactivated,
            };
            let tenant = directory::update_tenant(store, id.into(), changes).await?;
            json!({
                "id": tenant.id,
                "name": tenant.name,
                "settings": tenant.settings,
                "deactivated": tenant.deactivated,
                "member_count": tenant.member_count,
            })
        }
        DirectoryCommand::GetMember { tenant, user } => {
            json!({ "membership": store.get_membership(tenant.into(), user.into()).await? })
        }
        DirectoryCommand::CreateGroup { tenant, name } => {
            json!(directory::create_group(store, tenant.into(), &name).await?)
        }
        DirectoryCommand::DeleteGroup { tenant, group } => {
            store.delete_group(tenant.into(), group.into()).await?;
            json!({ "tenant_id": tenant, "group_id": group, "deleted": true })
        }
        DirectoryCommand::GroupMembers { tenant, group } => {
            let users = store.group_member_ids(tenant.into(), group.into()).await?;
            json!({ "user_ids": users })
        }
        DirectoryCommand::CreateApiKey {
            user,
            expires_in_hours,
        } => {
            let expires_at = expires_in_hours
                .map(|hours| {
                    chrono::Duration::try_hours(hours)
                        .and_then(|ttl| now.as_datetime().checked_add_signed(ttl))
                        .map(invites_shared::domain::Timestamp::from_datetime)
                        .ok_or("--expires-in-hours is out of range")
                })
                .transpose()?;
            let (record, key) = directory::create_api_key(store, user.into(), expires_at).await?;
            json!({ "key_id": record.key_id, "user_id": user, "key": key, "expires_at": expires_at })
        }
        DirectoryCommand::RevokeApiKey { key } => {
            let record = directory::revoke_api_key(store, &key).await?;
            json!({ "key_id": record.key_id, "revoked": true })
        }
    })
}
