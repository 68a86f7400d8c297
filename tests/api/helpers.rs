//! Test harness: a real local server per test, over DynamoDB Local and the SES emulator that
//! `scripts/test` starts (their endpoints come from `AWS_ENDPOINT_URL_DYNAMODB` and
//! `AWS_ENDPOINT_URL_SES`). Each test works on its own tenants, users and emails, so tests run
//! in parallel and in any order; the table is created once per run from `template.yaml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use invites_local::app::{Clients, LocalApp};
use invites_local::{dev, server, template};
use invites_shared::auth::Claims;
use invites_shared::config::Env;
use invites_shared::domain::{
    Clock, EmailAddress, Invite, InviteId, Role, Tenant, TenantId, User, UserId,
};
use invites_shared::store::Store;
use serde_json::{json, Value};

pub const TEST_SECRET: &str = "integration-test-secret-0123456789abcdef";
pub const TEST_ISSUER: &str = "https://auth.invites.test";
pub const TEST_AUDIENCE: &str = "invites-api";

/// The repository's root folder (this crate lives in `tests/`).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_path_buf()
}

/// Environment variables of a test app, as one process environment for all four functions.
#[derive(Debug, Clone)]
pub struct TestEnv(Vec<(String, String)>);

impl TestEnv {
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    pub fn env(&self) -> Env<impl Fn(&str) -> Option<String> + '_> {
        Env::new(|name: &str| self.get(name))
    }
}

/// Environment a test app's configuration is read from.
pub fn test_env(table: &str) -> Vec<(String, String)> {
    [
        ("TABLE_NAME", table),
        ("SENDER_EMAIL", "invites@example.com"),
        ("INVITE_LINK_BASE_URL", "https://app.example.com/invites"),
        ("JWT_HS256_SECRET", TEST_SECRET),
        ("JWT_ISSUER", TEST_ISSUER),
        ("JWT_AUDIENCE", TEST_AUDIENCE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The environment of a function binary under test: the test configuration and this run's
/// AWS endpoints and credentials (the emulators).
pub fn binary_env() -> std::collections::HashMap<String, String> {
    let mut env: std::collections::HashMap<String, String> =
        test_env(table_name()).into_iter().collect();
    env.extend(std::env::vars().filter(|(k, _)| k.starts_with("AWS_")));
    env
}

pub fn ses_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_SES")
        .expect("AWS_ENDPOINT_URL_SES is not set: run the tests with scripts/test")
}

/// The table of this test run, created from template.yaml on first use.
pub fn table_name() -> &'static str {
    static TABLE: OnceLock<String> = OnceLock::new();
    TABLE.get_or_init(|| {
        assert!(
            std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
            "AWS_ENDPOINT_URL_DYNAMODB is not set: run the tests with scripts/test"
        );
        let name = format!("invites-test-{}", uuid::Uuid::new_v4().simple());
        let created = name.clone();
        // Own thread and runtime: each test has its own runtime, which may end first.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let client = Clients::from_env().await.dynamodb;
                let path = repo().join(template::TEMPLATE_FILE);
                let definition = template::load_table_definition(&path).unwrap();
                assert!(template::create_table(&client, &created, &definition)
                    .await
                    .unwrap());
            });
        })
        .join()
        .expect("creating the test table failed");
        name
    })
}

pub fn test_config() -> TestEnv {
    test_config_with(&[])
}

/// The test configuration with some variables set (`Some`) or removed (`None`).
pub fn test_config_with(overrides: &[(&str, Option<&str>)]) -> TestEnv {
    let mut env = test_env(table_name());
    for (name, value) in overrides {
        env.retain(|(k, _)| k != name);
        if let Some(value) = value {
            env.push((name.to_string(), value.to_string()));
        }
    }
    TestEnv(env)
}

/// The four functions as the local server runs them, with the test configuration.
pub async fn test_app(env: &TestEnv, clock: Clock) -> LocalApp {
    LocalApp::build(&env.env(), Clients::from_env().await, clock).unwrap()
}

/// The four functions whose DynamoDB and/or SES clients talk to other endpoints (fault
/// injection).
pub async fn app_with_endpoints(dynamodb: Option<&str>, ses: Option<&str>) -> LocalApp {
    let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
    let mut clients = Clients::from_env().await;
    if let Some(endpoint) = dynamodb {
        clients.dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .endpoint_url(endpoint)
                .build(),
        );
    }
    if let Some(endpoint) = ses {
        clients.ses = aws_sdk_ses::Client::from_conf(
            aws_sdk_ses::config::Builder::from(&sdk)
                .endpoint_url(endpoint)
                .build(),
        );
    }
    LocalApp::build(&test_config().env(), clients, Clock::system()).unwrap()
}

/// Someone with a token: a user acting in a tenant.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub tenant: TenantId,
    pub token: String,
}

impl Actor {
    /// A pending `User` invite from this admin to a new address with `label`, made at
    /// `created` and expiring a week later (not yet stored: see `insert_invites`).
    pub fn invite_made_at(
        &self,
        label: &str,
        created: invites_shared::domain::Timestamp,
    ) -> Invite {
        Invite {
            id: InviteId::new_random(),
            tenant_id: self.tenant,
            email: EmailAddress::parse(&unique_email(label)).unwrap(),
            role: Role::User,
            expires_at: created.plus(chrono::Duration::days(7)),
            accepted_at: None,
            accepted_by_user_id: None,
            created_at: created,
            updated_at: created,
            invited_by_user_id: self.user.id,
            email_id: None,
            groups: Default::default(),
            skipped_groups: Default::default(),
            delivery: None,
        }
    }

    pub fn email(&self) -> &str {
        self.user.email.as_str()
    }
}

pub struct TestApp {
    pub address: String,
    /// The store, for fixtures (tenants, users, memberships) and for checking what was written.
    pub store: Store,
    pub clock: Clock,
    pub http: reqwest::Client,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn unique_email(label: &str) -> String {
    format!("{label}.{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Claims of a token for `user` acting in `tenant`, valid for `ttl` from now.
pub fn claims_for(
    user: UserId,
    email: &EmailAddress,
    tenant: TenantId,
    ttl: chrono::Duration,
) -> Claims {
    let mut claims = Claims::new(user, email, tenant, chrono::Utc::now().timestamp(), ttl);
    claims.iss = Some(TEST_ISSUER.to_owned());
    claims.aud = Some(TEST_AUDIENCE.to_owned());
    claims
}

pub fn token(user: UserId, email: &EmailAddress, tenant: TenantId) -> String {
    claims_for(user, email, tenant, chrono::Duration::hours(1)).mint_hs256(TEST_SECRET.as_bytes())
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(test_config(), Clock::system()).await
    }

    /// An app whose clock runs `offset` ahead: invites made by others look older to it.
    pub async fn spawn_shifted(offset: chrono::Duration) -> Self {
        Self::spawn_with(test_config(), Clock::shifted(offset)).await
    }

    pub async fn spawn_with(env: TestEnv, clock: Clock) -> Self {
        Self::spawn_functions(test_app(&env, clock).await, clock).await
    }

    /// Serves `app`, whose functions run on the system clock.
    pub async fn spawn_with_state(app: LocalApp) -> Self {
        Self::spawn_functions(app, Clock::system()).await
    }

    async fn spawn_functions(app: LocalApp, clock: Clock) -> Self {
        let store = Store::new(Clients::from_env().await.dynamodb, table_name());
        let (address, server) = server::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), Arc::new(app))
            .await
            .unwrap();
        Self {
            address: format!("http://{address}"),
            store,
            clock,
            http: reqwest::Client::new(),
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    // ----- fixtures ------------------------------------------------------------------------

    pub async fn tenant(&self) -> Tenant {
        self.tenant_with_idp(None).await
    }

    pub async fn tenant_with_idp(&self, idp_config: Option<Value>) -> Tenant {
        let name = format!("Tenant {}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        dev::create_tenant(&self.store, None, &name, idp_config)
            .await
            .unwrap()
    }

    pub async fn user(&self, label: &str) -> User {
        let email = EmailAddress::parse(&unique_email(label)).unwrap();
        dev::create_user(&self.store, None, email).await.unwrap()
    }

    pub async fn add_member(&self, tenant: TenantId, user: UserId, role: Role) {
        dev::add_member(&self.store, tenant, user, role)
            .await
            .unwrap();
    }

    /// A new user who is a member of `tenant` with `role`, acting in it.
    pub async fn member(&self, tenant: TenantId, role: Role) -> Actor {
        let user = self.user(&role.as_str().to_lowercase()).await;
        self.add_member(tenant, user.id, role).await;
        self.actor(user, tenant)
    }

    pub fn actor(&self, user: User, tenant: TenantId) -> Actor {
        let token = token(user.id, &user.email, tenant);
        Actor {
            user,
            tenant,
            token,
        }
    }

    /// A new tenant with an admin.
    pub async fn tenant_admin(&self) -> Actor {
        let tenant = self.tenant().await;
        self.member(tenant.id, Role::Admin).await
    }

    // ----- requests ------------------------------------------------------------------------

    pub async fn post_invite(&self, token: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url("/v1/invites"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Creates an invite and returns its body, asserting 201.
    pub async fn invite(&self, actor: &Actor, email: &str, role: &str) -> Value {
        let response = self
            .post_invite(
                &actor.token,
                json!({ "tenant_id": actor.tenant, "email": email, "role": role }),
            )
            .await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "create invite failed: {body}");
        body
    }

    pub async fn list(&self, token: &str, query: &str) -> reqwest::Response {
        self.http
            .get(self.url(&format!("/v1/invites?{query}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Lists and returns the body, asserting 200.
    pub async fn list_ok(&self, token: &str, query: &str) -> Value {
        let response = self.list(token, query).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "list failed: {body}");
        body
    }

    pub async fn accept(&self, token: &str, invite_id: &str) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/v1/invites/{invite_id}/accept")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, token: &str, invite_id: &str) -> reqwest::Response {
        self.http
            .delete(self.url(&format!("/v1/invites/{invite_id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Emails the SES emulator received for `to`.
    pub async fn emails_to(&self, to: &str) -> Vec<Value> {
        let store: Value = self
            .http
            .get(format!("{}/store", ses_endpoint()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        store["emails"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|email| {
                email["destination"]["to"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == to)
            })
            .cloned()
            .collect()
    }

    pub async fn membership_role(&self, tenant: TenantId, user: UserId) -> Option<Role> {
        self.store
            .get_membership(tenant, user)
            .await
            .unwrap()
            .map(|m| m.role)
    }
}

/// Status and JSON body (or `Value::Null` for an empty body).
pub async fn status_and_body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// `host:port` of DynamoDB Local, for proxies in front of it.
pub fn dynamodb_upstream() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .unwrap()
        .trim_start_matches("http://")
        .to_owned()
}

/// A file of `tests/fixtures` (test-only keys, a JWKS).
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures").join(name)).unwrap()
}

/// The claims of a valid token for `actor`, as JSON (for tests that sign tokens by hand).
pub fn claims_json(actor: &Actor) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "sub": actor.user.id, "email": actor.email(), "tenant_id": actor.tenant,
        "iat": now, "exp": now + 3600, "iss": TEST_ISSUER, "aud": TEST_AUDIENCE,
    })
}

/// An error body without its `request_id`, after checking that it is the `x-request-id`
/// header's (every error is `{detail, code, request_id}`).
pub async fn error_of(response: reqwest::Response) -> (u16, Value) {
    let header = response
        .headers()
        .get("x-request-id")
        .map(|id| id.to_str().unwrap().to_owned());
    let (status, mut body) = status_and_body(response).await;
    let id = body
        .as_object_mut()
        .and_then(|body| body.remove("request_id"))
        .unwrap_or_else(|| panic!("no request_id in {body}"));
    assert_eq!(
        Some(id.as_str().unwrap().to_owned()),
        header,
        "request_id and x-request-id"
    );
    assert!(!header.unwrap_or_default().is_empty());
    (status, body)
}

/// Writes pending invites straight to the store, 16 at a time (faster than the API, and with
/// the creation instants a test needs).
pub async fn insert_invites(store: &Store, invites: Vec<Invite>) {
    let mut tasks = tokio::task::JoinSet::new();
    for invite in invites {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .insert_pending_invite(&invite, None, u64::MAX, false)
                .await
                .unwrap()
        });
        if tasks.len() >= 16 {
            tasks.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}
