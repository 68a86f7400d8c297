//! `invites-local`: serve the API locally, create the table from `template.yaml`, and seed
//! tenants, users, memberships and tokens. Every command but `serve` prints one JSON object.
//!
//! Configuration comes from the same environment variables as the Lambda functions
//! (`TABLE_NAME`, `JWT_HS256_SECRET`, `AWS_ENDPOINT_URL_DYNAMODB`, …); see README.md.
//! `make-events` needs none: it writes `events/` from the demo ids and `events/env.json`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use invites_local::app::{Clients, LocalApp};
use invites_local::{dev, directory, events, server, template, Error};
use invites_shared::config::{AuthConfig, Env};
use invites_shared::domain::{
    Clock, EmailAddress, GroupId, GroupIds, LinkRole, Role, TenantId, User, UserId,
};
use invites_shared::store::Store;
use serde_json::json;

#[derive(Parser)]
#[command(about = "Local server and dev tools of the Invites API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the four endpoints over HTTP.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8000")]
        addr: SocketAddr,
    },
    /// Create the DynamoDB table (TABLE_NAME) as template.yaml defines it.
    CreateTable {
        #[arg(long, default_value = template::TEMPLATE_FILE)]
        template: PathBuf,
    },
    /// Create or update a tenant.
    CreateTenant {
        #[arg(long)]
        name: String,
        /// JSON identity-provider configuration: makes it an external-IdP tenant.
        #[arg(long)]
        idp_config: Option<String>,
        #[arg(long)]
        id: Option<uuid::Uuid>,
    },
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
    /// Create a user (or return the existing user with that email, given these details).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        id: Option<uuid::Uuid>,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        /// The tenant the user works in: where their API keys act.
        #[arg(long)]
        current_tenant: Option<uuid::Uuid>,
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
    /// Mint an HS256 user access token (JWT_HS256_SECRET).
    Token {
        #[arg(long)]
        user: uuid::Uuid,
        #[arg(long)]
        email: String,
        /// The user's current tenant.
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long, default_value_t = 12)]
        ttl_hours: i64,
    },
    /// Create the demo tenant with an admin, an invitee and a pending invite for them (fixed
    /// ids, used by events/), and print tokens for both.
    SeedDemo,
    /// Write the API Gateway events of events/ (for `sam local invoke -e`) from the demo ids,
    /// with tokens signed by the secret in events/env.json.
    MakeEvents {
        #[arg(long, default_value = "events")]
        dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "invites-local: {}",
                invites_shared::http::error_chain(error.as_ref())
            );
            ExitCode::FAILURE
        }
    }
}

fn email(raw: &str) -> Result<EmailAddress, Error> {
    EmailAddress::parse(raw).map_err(|e| format!("invalid email {raw:?}: {e}").into())
}

fn print(value: serde_json::Value) {
    println!("{value}");
}

async fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Serve { addr } => return serve(addr).await,
        Command::MakeEvents { dir } => return make_events(&dir),
        _ => {}
    }
    let env = Env::process();
    let store = Store::new(
        Clients::from_env().await.dynamodb,
        env.required("TABLE_NAME")?,
    );
    let auth = || AuthConfig::read(&env);
    let hours = chrono::Duration::hours;
    match command {
        Command::Serve { .. } | Command::MakeEvents { .. } => unreachable!("handled above"),
        Command::CreateTable { template: path } => {
            let definition = template::load_table_definition(&path)?;
            let created =
                template::create_table(store.client(), store.table_name(), &definition).await?;
            print(json!({ "table": store.table_name(), "created": created }));
        }
        Command::CreateTenant {
            name,
            idp_config,
            id,
        } => {
            let idp_config = idp_config
                .map(|raw| serde_json::from_str(&raw))
                .transpose()?;
            let tenant =
                dev::create_tenant(&store, id.map(TenantId::from), &name, idp_config).await?;
            print(json!({ "id": tenant.id, "name": tenant.name, "idp_config": tenant.idp_config }));
        }
        Command::CreateUser {
            email: raw,
            id,
            first_name,
            last_name,
            current_tenant,
        } => {
            let user = User {
                id: id.map_or_else(UserId::new_random, Into::into),
                email: email(&raw)?,
                first_name,
                last_name,
                current_tenant_id: current_tenant.map(Into::into),
            };
            print(json!(dev::create_user_with(&store, user).await?));
        }
        command @ (Command::UpdateTenant { .. }
        | Command::GetMember { .. }
        | Command::CreateGroup { .. }
        | Command::DeleteGroup { .. }
        | Command::GroupMembers { .. }
        | Command::CreateApiKey { .. }
        | Command::RevokeApiKey { .. }) => print(directory_command(&store, command).await?),
        Command::AddMember { tenant, user, role } => {
            let role = Role::parse(&role).ok_or("role must be USER, ADMIN or OWNER")?;
            let membership = dev::add_member(&store, tenant.into(), user.into(), role).await?;
            print(json!(membership));
        }
        Command::RemoveMember { tenant, user } => {
            store.remove_membership(tenant.into(), user.into()).await?;
            print(json!({ "tenant_id": tenant, "user_id": user, "removed": true }));
        }
        Command::Token {
            user,
            email: raw,
            tenant,
            ttl_hours,
        } => {
            let token = dev::mint_token(
                &auth()?,
                user.into(),
                &email(&raw)?,
                tenant.into(),
                hours(ttl_hours),
            )?;
            print(json!({ "token": token }));
        }
        Command::SeedDemo => {
            let lifetime = env.number(
                "INVITE_LIFETIME_HOURS",
                create_invite::DEFAULT_INVITE_LIFETIME_HOURS,
            )?;
            let demo = dev::seed_demo(&store, Clock::system().now(), hours(lifetime)).await?;
            let auth = auth()?;
            let token = |user: &invites_shared::domain::User| {
                dev::mint_token(&auth, user.id, &user.email, demo.tenant.id, hours(12))
            };
            print(json!({
                "tenant_id": demo.tenant.id,
                "admin_user_id": demo.admin.id,
                "admin_email": demo.admin.email,
                "token": token(&demo.admin)?,
                "invitee_user_id": demo.invitee.id,
                "invitee_email": demo.invitee.email,
                "invitee_token": token(&demo.invitee)?,
                "demo_invite_id": demo.invite_id,
            }));
        }
    }
    Ok(())
}

/// The commands for tenant settings, groups and API keys.
async fn directory_command(store: &Store, command: Command) -> Result<serde_json::Value, Error> {
    let now = Clock::system().now();
    Ok(match command {
        Command::UpdateTenant {
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
        Command::GetMember { tenant, user } => {
            json!({ "membership": store.get_membership(tenant.into(), user.into()).await? })
        }
        Command::CreateGroup { tenant, name } => {
            json!(directory::create_group(store, tenant.into(), &name).await?)
        }
        Command::DeleteGroup { tenant, group } => {
            store.delete_group(tenant.into(), group.into()).await?;
            json!({ "tenant_id": tenant, "group_id": group, "deleted": true })
        }
        Command::GroupMembers { tenant, group } => {
            let users = store.group_member_ids(tenant.into(), group.into()).await?;
            json!({ "user_ids": users })
        }
        Command::CreateApiKey {
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
        Command::RevokeApiKey { key } => {
            let record = directory::revoke_api_key(store, &key).await?;
            json!({ "key_id": record.key_id, "revoked": true })
        }
        _ => unreachable!("only directory commands are passed here"),
    })
}

async fn serve(addr: SocketAddr) -> Result<(), Error> {
    invites_shared::telemetry::init();
    let app = LocalApp::from_env().await?;
    let (bound, task) = server::spawn(addr, std::sync::Arc::new(app)).await?;
    tracing::info!(%bound, "Invites API listening");
    eprintln!("Invites API listening on http://{bound}");
    tokio::select! {
        result = task => result??,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

fn make_events(dir: &std::path::Path) -> Result<(), Error> {
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("env.json"))?)?;
    let signer = events::DemoSigner::from_env_json(&env["Parameters"])?;
    for (name, event) in events::demo_events(&signer) {
        std::fs::write(dir.join(name), serde_json::to_string_pretty(&event)? + "\n")?;
        print(json!({ "written": dir.join(name) }));
    }
    Ok(())
}
