//! API Gateway HTTP API (payload v2) events: the one builder of them (the benchmark's events
//! and the files in `events/`, which `sam local invoke -e` takes), and the demo events.

use invites_shared::auth::Claims;
use invites_shared::domain::EmailAddress;
use serde_json::{json, Map, Value};

use crate::dev::demo_ids;

/// One API Gateway HTTP API request event.
#[derive(Debug, Clone)]
pub struct ApiEvent {
    method: &'static str,
    route: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    query: Vec<(String, String)>,
    invite_id: Option<String>,
    body: Option<Value>,
    request_id: String,
}

impl ApiEvent {
    /// An event for `method` on `route` (API Gateway syntax), requested as `path`. The
    /// `{invite_id}` path parameter is taken from `path`, as API Gateway does.
    pub fn new(method: &'static str, route: &'static str, path: impl Into<String>) -> Self {
        let path = path.into();
        let invite_id = route
            .contains("{invite_id}")
            .then(|| path.split('/').nth(3).unwrap_or_default().to_owned());
        Self {
            method,
            route,
            path,
            headers: vec![
                ("host".into(), "api.example.com".into()),
                ("user-agent".into(), "sam-local".into()),
                ("accept".into(), "application/json".into()),
            ],
            cookies: Vec::new(),
            query: Vec::new(),
            invite_id,
            body: None,
            request_id: "local-request-id".into(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    pub fn cookie(mut self, cookie: impl Into<String>) -> Self {
        self.cookies.push(cookie.into());
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn json_body(self, body: Value) -> Self {
        let mut event = self.header("content-type", "application/json");
        event.body = Some(body);
        event
    }

    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = id.into();
        self
    }

    pub fn to_json(&self) -> Value {
        let route_key = match self.route {
            "$default" => self.route.to_owned(),
            route => format!("{} {route}", self.method),
        };
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect();
        let raw_query = self
            .query
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": self.path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": "api.example.com",
                "domainPrefix": "api",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "sam-local"
                },
                "requestId": self.request_id,
                "routeKey": route_key,
                "stage": "$default",
                "time": "28/Nov/2026:00:00:00 +0000",
                "timeEpoch": 1795737600000u64
            },
            "isBase64Encoded": false
        });
        if !self.cookies.is_empty() {
            event["cookies"] = json!(self.cookies);
        }
        if !self.query.is_empty() {
            let parameters: Map<String, Value> = self
                .query
                .iter()
                .map(|(name, value)| (name.clone(), json!(value)))
                .collect();
            event["queryStringParameters"] = Value::Object(parameters);
        }
        if let Some(id) = &self.invite_id {
            event["pathParameters"] = json!({ "invite_id": id });
        }
        if let Some(body) = &self.body {
            event["body"] = json!(body.to_string());
        }
        event
    }
}

/// When the demo events' tokens were issued (2026-11-28), and for how long they are valid.
const DEMO_TOKENS_ISSUED_AT: i64 = 1_795_737_600;
const DEMO_TOKENS_TTL_DAYS: i64 = 3653;

/// Signs the demo events' tokens as `events/env.json` configures the functions.
pub struct DemoSigner<'a> {
    pub secret: &'a [u8],
    pub issuer: &'a str,
    pub audience: &'a str,
}

impl DemoSigner<'_> {
    /// The signer `events/env.json`'s `Parameters` describe.
    pub fn from_env_json(parameters: &Value) -> Result<DemoSigner<'_>, String> {
        let get = |name: &str| {
            parameters[name]
                .as_str()
                .ok_or_else(|| format!("events/env.json has no Parameters.{name}"))
        };
        Ok(DemoSigner {
            secret: get("JWT_HS256_SECRET")?.as_bytes(),
            issuer: get("JWT_ISSUER")?,
            audience: get("JWT_AUDIENCE")?,
        })
    }

    fn token(&self, user: uuid::Uuid, email: &str) -> String {
        let email = EmailAddress::parse(email).expect("demo emails are valid");
        let mut claims = Claims::new(
            user.into(),
            &email,
            demo_ids::TENANT.into(),
            DEMO_TOKENS_ISSUED_AT,
            chrono::Duration::days(DEMO_TOKENS_TTL_DAYS),
        );
        claims.iss = Some(self.issuer.to_owned());
        claims.aud = Some(self.audience.to_owned());
        claims.mint_hs256(self.secret)
    }
}

/// The files of `events/`: one event per endpoint over the demo data, with tokens signed as
/// `events/env.json` configures the functions.
pub fn demo_events(signer: &DemoSigner) -> Vec<(&'static str, Value)> {
    let admin = signer.token(demo_ids::ADMIN, demo_ids::ADMIN_EMAIL);
    let invitee = signer.token(demo_ids::INVITEE, demo_ids::INVITEE_EMAIL);
    let invite_path = format!("/v1/invites/{}", demo_ids::INVITE);
    vec![
        (
            "create-invite.json",
            ApiEvent::new("POST", "/v1/invites", "/v1/invites")
                .bearer(&admin)
                .json_body(json!({
                    "tenant_id": demo_ids::TENANT,
                    "email": "new.colleague@example.com",
                    "role": "USER"
                })),
        ),
        (
            "list-invites.json",
            ApiEvent::new("GET", "/v1/invites", "/v1/invites")
                .bearer(&admin)
                .query("status", "pending")
                .query("limit", "10")
                .query("sort_by", "created_at")
                .query("sort_dir", "desc"),
        ),
        (
            "list-invites-cookie.json",
            ApiEvent::new("GET", "/v1/invites", "/v1/invites")
                .cookie("theme=dark")
                .cookie(format!("ks_uat={admin}"))
                .query("email", "invitee"),
        ),
        (
            "accept-invite.json",
            ApiEvent::new(
                "POST",
                "/v1/invites/{invite_id}/accept",
                format!("{invite_path}/accept"),
            )
            .bearer(&invitee),
        ),
        (
            "update-invite.json",
            ApiEvent::new("PATCH", "/v1/invites/{invite_id}", invite_path.clone())
                .bearer(&admin)
                .json_body(json!({ "groups": [] })),
        ),
        // No credential: the invite id is the only one.
        (
            "preview-invite.json",
            ApiEvent::new(
                "GET",
                "/v1/invites/{invite_id}/preview",
                format!("{invite_path}/preview"),
            ),
        ),
        (
            "delete-invite.json",
            ApiEvent::new("DELETE", "/v1/invites/{invite_id}", invite_path).bearer(&admin),
        ),
        // What no route matches reaches the `not-found` function through `$default`.
        (
            "not-found.json",
            ApiEvent::new("GET", "$default", "/v1/invitations").bearer(&admin),
        ),
        (
            "method-not-allowed.json",
            ApiEvent::new("PUT", "$default", "/v1/invites").bearer(&admin),
        ),
    ]
    .into_iter()
    .map(|(name, event)| (name, event.to_json()))
    .collect()
}
