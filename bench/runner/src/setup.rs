//! The benchmark's fixture: a table made from the template, a tenant with an admin, invites
//! seeded in advance for accept and delete, and the event each invocation gets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use invites_bench::wire::WireMeter;
use invites_local::app::Clients;
use invites_local::events::ApiEvent;
use invites_local::{dev, template};
use invites_shared::auth::Claims;
use invites_shared::domain::{Clock, EmailAddress, Invite, InviteId, Role, TenantId, User, UserId};
use invites_shared::store::Store;
use serde_json::{json, Value};

use crate::{Args, Error};

const SECRET: &str = "benchmark-secret-0123456789abcdef-0123456789";

pub const FUNCTIONS: [&str; 8] = [
    "hello-world",
    "dynamodb-floor",
    "create-invite",
    "list-invites",
    "accept-invite",
    "delete-invite",
    "update-invite",
    "preview-invite",
];

/// The floor that also links SES (create-invite's), measured in the cold starts only.
pub const SES_FLOOR: &str = "dynamodb-ses-floor";

/// Everything the benchmark's sections share.
pub struct Bench {
    pub env: HashMap<String, String>,
    pub store: Store,
    pub tenant: TenantId,
    pub admin: User,
    pub admin_token: String,
    pub binaries: HashMap<&'static str, PathBuf>,
    /// The time the functions spend on the wire to DynamoDB and SES (their endpoints in
    /// `env` are proxies that measure it).
    pub wire: WireMeter,
    /// `env` with the HS256 key named in Secrets Manager instead (when the run has moto).
    pub secret_env: Option<HashMap<String, String>>,
    /// Pending invites made in advance, one per accept or delete invocation.
    fresh: HashMap<&'static str, Vec<(InviteId, EmailAddress)>>,
    lifetime: chrono::Duration,
}

pub fn find_binary(dir: &Path, name: &str) -> Result<PathBuf, Error> {
    [dir.join(name).join("bootstrap"), dir.join(name)]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| format!("no binary {name} in {}", dir.display()).into())
}

const ISSUER: &str = "https://auth.invites.bench";
const AUDIENCE: &str = "invites-api";

pub fn token(user: UserId, email: &EmailAddress, tenant: TenantId) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = Claims::new(user, email, tenant, now, chrono::Duration::hours(6));
    claims.iss = Some(ISSUER.to_owned());
    claims.aud = Some(AUDIENCE.to_owned());
    claims.mint_hs256(SECRET.as_bytes())
}

/// An API Gateway event from the benchmark's admin (or whoever `token` is).
pub fn event(
    method: &'static str,
    route: &'static str,
    path: &str,
    query: &str,
    token: &str,
) -> Value {
    let mut event = ApiEvent::new(method, route, path.to_owned())
        .bearer(token)
        .request_id("bench");
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        event = event.query(name, value);
    }
    event.to_json()
}

impl Bench {
    /// A fresh table and tenant (no invites yet: [`Bench::stock`] seeds them).
    pub async fn set_up(args: &Args) -> Result<Self, Error> {
        let table = format!("invites-bench-{}", uuid::Uuid::new_v4().simple());
        let mut env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("AWS_"))
            .collect();
        for (k, v) in [
            ("TABLE_NAME", table.as_str()),
            ("SENDER_EMAIL", "bench@example.com"),
            ("INVITE_LINK_BASE_URL", "https://app.example.com/invites"),
            ("JWT_HS256_SECRET", SECRET),
            ("JWT_ISSUER", ISSUER),
            ("JWT_AUDIENCE", AUDIENCE),
            // The benchmark's tenants hold thousands of open invites on purpose.
            ("MAX_PENDING_INVITES", "100000000"),
            ("RUST_LOG", "info"),
        ] {
            env.insert(k.into(), v.into());
        }
        let store = Store::new(Clients::from_env().await.dynamodb, table.clone());
        let wire = WireMeter::default();
        for name in ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SES"] {
            let upstream = env.get(name).ok_or(format!("{name} is not set"))?;
            let upstream = upstream.trim_start_matches("http://").to_owned();
            env.insert(name.into(), wire.proxy(upstream).await?);
        }
        let definition = template::load_table_definition(&args.template)?;
        template::create_table(store.client(), &table, &definition).await?;
        let tenant = dev::create_tenant(&store, None, "Bench Tenant", None).await?;
        let admin = dev::create_user(&store, None, Bench::email("admin")).await?;
        dev::add_member(&store, tenant.id, admin.id, Role::Admin).await?;
        let binaries = FUNCTIONS
            .iter()
            .chain([&SES_FLOOR])
            .map(|name| Ok((*name, find_binary(&args.bin_dir, name)?)))
            .collect::<Result<_, Error>>()?;
        let mut bench = Bench {
            admin_token: token(admin.id, &admin.email, tenant.id),
            env,
            store,
            tenant: tenant.id,
            admin,
            binaries,
            wire,
            secret_env: None,
            fresh: HashMap::new(),
            lifetime: chrono::Duration::hours(create_invite::DEFAULT_INVITE_LIFETIME_HOURS),
        };
        if std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER").is_ok() {
            let name = format!("invites-bench/jwt-{}", uuid::Uuid::new_v4().simple());
            let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
            aws_sdk_secretsmanager::Client::new(&sdk)
                .create_secret()
                .name(&name)
                .secret_string(SECRET)
                .send()
                .await?;
            let mut env = bench.env.clone();
            env.remove("JWT_HS256_SECRET");
            env.insert("JWT_HS256_SECRET_ID".into(), name);
            bench.secret_env = Some(env);
        }
        Ok(bench)
    }

    /// `per_function` more pending invites for accept, delete, update and preview each, seeded
    /// just before the section that uses them: seeding all in advance would leave DynamoDB
    /// Local with thousands of stream records, which slow every later write (see
    /// bench/READING.md), so cold starts would be measured on a slowed emulator.
    pub async fn stock(&mut self, per_function: usize) -> Result<(), Error> {
        eprintln!("seeding {per_function} invites each for accept, delete, update and preview");
        for function in [
            "accept-invite",
            "delete-invite",
            "update-invite",
            "preview-invite",
        ] {
            let invites = self.seed_invites(self.tenant, per_function).await?;
            self.fresh.entry(function).or_default().extend(invites);
        }
        Ok(())
    }

    pub fn table(&self) -> &str {
        self.store.table_name()
    }

    pub fn email(label: &str) -> EmailAddress {
        EmailAddress::parse(&format!(
            "{label}.{}@example.com",
            uuid::Uuid::new_v4().simple()
        ))
        .unwrap()
    }

    /// A new tenant named `name` whose admin is the bench's admin.
    pub async fn tenant_with_admin(&self, name: &str) -> Result<TenantId, Error> {
        let tenant = dev::create_tenant(&self.store, None, name, None).await?;
        dev::add_member(&self.store, tenant.id, self.admin.id, Role::Admin).await?;
        Ok(tenant.id)
    }

    /// `count` pending invites in `tenant` (batch writes straight to the store, in tasks of 100
    /// invites, 8 tasks in flight), with emails containing `needle` for every hundredth.
    pub async fn seed_invites(
        &self,
        tenant: TenantId,
        count: usize,
    ) -> Result<Vec<(InviteId, EmailAddress)>, Error> {
        let now = Clock::system().now();
        let invites: Vec<Invite> = (0..count)
            .map(|i| Invite {
                id: InviteId::new_random(),
                tenant_id: tenant,
                email: Bench::email(if i % 100 == 0 { "needle" } else { "bench" }),
                role: Role::User,
                expires_at: now.plus(self.lifetime),
                accepted_at: None,
                accepted_by_user_id: None,
                created_at: now,
                updated_at: now,
                invited_by_user_id: self.admin.id,
                email_id: None,
                groups: Default::default(),
                skipped_groups: Default::default(),
                delivery: None,
            })
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in invites.chunks(100) {
            let (store, chunk) = (self.store.clone(), chunk.to_vec());
            tasks.spawn(async move { store.bulk_insert_pending_invites(tenant, &chunk).await });
            if tasks.len() >= 8 {
                tasks.join_next().await.unwrap()??;
            }
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        Ok(invites
            .into_iter()
            .map(|invite| (invite.id, invite.email))
            .collect())
    }

    /// The event the next invocation of `function` gets.
    pub fn next_event(&mut self, function: &str) -> Value {
        let admin = self.admin_token.clone();
        let admin = admin.as_str();
        match function {
            "create-invite" => {
                let email = Bench::email("created");
                ApiEvent::new("POST", "/v1/invites", "/v1/invites")
                    .bearer(admin)
                    .request_id("bench")
                    .json_body(json!({ "tenant_id": self.tenant, "email": email.as_str() }))
                    .to_json()
            }
            "accept-invite" => {
                let (id, email) = self.take_fresh(function);
                let invitee = token(UserId::new_random(), &email, self.tenant);
                let path = format!("/v1/invites/{id}/accept");
                event(
                    "POST",
                    "/v1/invites/{invite_id}/accept",
                    &path,
                    "",
                    &invitee,
                )
            }
            "delete-invite" => {
                let (id, _) = self.take_fresh(function);
                let path = format!("/v1/invites/{id}");
                event("DELETE", "/v1/invites/{invite_id}", &path, "", admin)
            }
            "update-invite" => {
                let (id, _) = self.take_fresh(function);
                let path = format!("/v1/invites/{id}");
                ApiEvent::new("PATCH", "/v1/invites/{invite_id}", path)
                    .bearer(admin)
                    .request_id("bench")
                    .json_body(json!({ "groups": [] }))
                    .to_json()
            }
            "preview-invite" => {
                // Unauthenticated, and from as many addresses as invites: no window fills up.
                let (id, _) = self.take_fresh(function);
                let path = format!("/v1/invites/{id}/preview");
                let mut event = ApiEvent::new("GET", "/v1/invites/{invite_id}/preview", path)
                    .request_id("bench")
                    .to_json();
                let address = id.as_uuid().as_bytes()[..2].to_vec();
                event["requestContext"]["http"]["sourceIp"] =
                    json!(format!("10.0.{}.{}", address[0], address[1]));
                event
            }
            _ => event("GET", "/v1/invites", "/v1/invites", "limit=20", admin),
        }
    }

    fn take_fresh(&mut self, function: &str) -> (InviteId, EmailAddress) {
        self.fresh
            .get_mut(function)
            .and_then(Vec::pop)
            .expect("enough seeded invites")
    }
}
