//! `invites-local`: serve the API locally, create the table from `template.yaml`, and seed
//! tenants, users, memberships and tokens. Every command but `serve` prints one JSON object.
//!
//! Configuration comes from the same environment variables as the Lambda functions
//! (`TABLE_NAME`, `JWT_HS256_SECRET`, `AWS_ENDPOINT_URL_DYNAMODB`, …); see README.md.
//! `make-events` needs none: it writes `events/` from the demo ids and `events/env.json`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use invites_local::app::{Clients, LocalApp};
use invites_local::{dev, directory_cli, events, platform, server, template, Error};
use invites_shared::config::{AuthConfig, Env};
use invites_shared::domain::{Clock, EmailAddress, TenantId, User, UserId};
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
    /// Serve the six endpoints over HTTP.
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
    /// Load a platform's directory: one EventBridge event per line (docs/events.md), applied as
    /// directory-sync applies them.
    Import { file: PathBuf },
    /// Create the template's directory chain on the emulator: the queue, its DLQ and the rule
    /// sending the platform's events to it; prints their URLs for `serve`.
    SetupDirectoryEvents {
        #[arg(long, default_value = "invites-directory")]
        name: String,
    },
    /// Publish directory events as the platform does (EventBridge PutEvents): a JSON file with
    /// one event, an array of them, or one per line; each `{"detail-type", "detail"}`.
    Publish { file: PathBuf },
    #[command(flatten)]
    Directory(directory_cli::DirectoryCommand),
    /// Feed what SES would report about an invite's latest email (AWS's documented sample of
    /// KIND: send, delivery, delivery-delay, bounce, complaint, reject) through email-events.
    SesEvent {
        kind: String,
        #[arg(long)]
        invite: uuid::Uuid,
    },
    /// Move a pending invite's expiry into the past (to see the expired page, or test it).
    AgeInvite {
        #[arg(long)]
        invite: uuid::Uuid,
        /// How long ago it expired.
        #[arg(long, default_value_t = 1)]
        minutes_ago: i64,
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
        Command::Import { file } => {
            let sync = directory_sync::DirectorySync::from_env().await?;
            print(invites_local::import::import(&sync, &file).await?);
            return Ok(());
        }
        Command::MakeEvents { dir } => return make_events(&dir),
        Command::SetupDirectoryEvents { name } => {
            let clients = platform::Clients::from_env().await;
            let queues = platform::setup(&clients, &name).await?;
            print(json!({ "queue_url": queues.queue_url, "dlq_url": queues.dlq_url }));
            return Ok(());
        }
        Command::Publish { file } => {
            let text = std::fs::read_to_string(&file)?;
            let events: Vec<serde_json::Value> = match serde_json::from_str(&text) {
                Ok(serde_json::Value::Array(events)) => events,
                Ok(event) => vec![event],
                Err(_) => text
                    .lines()
                    .filter(|line| !line.trim().is_empty())
                    .map(serde_json::from_str)
                    .collect::<Result<_, _>>()?,
            };
            let clients = platform::Clients::from_env().await;
            print(json!({ "published": platform::publish(&clients, &events).await? }));
            return Ok(());
        }
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
        Command::Serve { .. }
        | Command::MakeEvents { .. }
        | Command::Import { .. }
        | Command::SetupDirectoryEvents { .. }
        | Command::Publish { .. } => unreachable!("handled above"),
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
        Command::Directory(command) => print(directory_cli::run(&store, command).await?),
        Command::SesEvent { kind, invite } => {
            let batch = invites_local::ses_events::batch_for(&store, &kind, invite.into()).await?;
            let function = email_events::EmailEvents::from_env().await?;
            let (answer, _) = function.record(&batch).await;
            let delivery = store
                .get_invite(invite.into())
                .await?
                .and_then(|found| found.delivery);
            print(
                json!({ "invite_id": invite, "fed": kind, "answer": answer, "delivery": delivery }),
            );
        }
        Command::AgeInvite {
            invite,
            minutes_ago,
        } => {
            let at = Clock::system()
                .now()
                .plus(chrono::Duration::minutes(-minutes_ago));
            dev::age_invite(&store, invite.into(), at).await?;
            print(json!({ "invite_id": invite, "expires_at": at }));
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

async fn serve(addr: SocketAddr) -> Result<(), Error> {
    invites_shared::telemetry::init();
    let app = LocalApp::from_env().await?;
    let (bound, task) = server::spawn(addr, std::sync::Arc::new(app)).await?;
    // With the directory chain set up (DIRECTORY_QUEUE_URL), play Lambda's SQS event source.
    if let Ok(queue_url) = std::env::var("DIRECTORY_QUEUE_URL") {
        let sync = directory_sync::DirectorySync::from_env().await?;
        let sqs = platform::Clients::from_env().await.sqs;
        tokio::spawn(platform::poll(sqs, queue_url.clone(), sync));
        eprintln!("directory-sync consumes {queue_url}");
    }
    // With a bus to publish to (EVENT_BUS_NAME), play the stream's event source too.
    if std::env::var("EVENT_BUS_NAME").is_ok() {
        let publisher = publish_events::PublishEvents::from_env().await?;
        let clients = invites_local::app::Clients::from_env().await;
        let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
        let table = std::env::var("TABLE_NAME")?;
        let stream = invites_local::stream::StreamReader::open(
            &clients.dynamodb,
            aws_sdk_dynamodbstreams::Client::new(&sdk),
            &table,
            false,
        )
        .await?;
        let retirer = retire_invites::RetireInvites::from_env().await?;
        let ttl = invites_local::lifecycle::TtlEmulator::new(clients.dynamodb.clone(), &table);
        tokio::spawn(platform::consume_stream(
            stream,
            publisher,
            retirer,
            ttl,
            Duration::from_secs(30),
        ));
        eprintln!(
            "publish-events reads the table's stream to the bus {}; retire-invites counts TTL's removals",
            std::env::var("EVENT_BUS_NAME")?
        );
    }
    // EventBridge Scheduler's part: the expiry sweep, every EXPIRY_SWEEP_SECONDS (5).
    let every: u64 = Env::process().number("EXPIRY_SWEEP_SECONDS", 5)?;
    let sweeper = expire_invites::ExpireInvites::from_env().await?;
    tokio::spawn(invites_local::lifecycle::expire_loop(
        sweeper,
        Duration::from_secs(every.max(1)),
    ));
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
