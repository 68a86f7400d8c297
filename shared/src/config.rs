//! Settings every function reads from its environment, and the reader each function uses for
//! its own. Read once per process (cold start); a missing or invalid variable stops the
//! function at init with a message naming it.
//!
//! AWS endpoints, region and credentials are not here: they come from the AWS SDK's own
//! conventions (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SES`, the
//! credentials chain), so local runs need no special code path.

use std::time::Duration;

use jsonwebtoken::Algorithm;

mod env;
pub use env::Env;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("the secret named by {name} could not be read: {reason}")]
    Secret { name: &'static str, reason: String },
}

/// An https URL, or a plain http one on this machine (`localhost`, `127.0.0.1`) only.
pub fn is_https_or_local(url: &str) -> bool {
    let local = ["http://localhost", "http://127.0.0.1"].iter().any(|host| {
        url.strip_prefix(host)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
    });
    url.starts_with("https://") || local
}

/// A function's settings: read from the environment at cold start, holding the common ones.
pub trait FunctionSettings: Sized {
    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError>;
    fn common(&self) -> &CommonSettings;
    fn common_mut(&mut self) -> &mut CommonSettings;
}

impl FunctionSettings for CommonSettings {
    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        CommonSettings::read(env)
    }

    fn common(&self) -> &CommonSettings {
        self
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        self
    }
}

/// The settings of a function that authenticates nobody and reads only the common ones (the
/// table): the schedule and stream consumers.
#[derive(Clone)]
pub struct TableSettings(pub CommonSettings);

impl FunctionSettings for TableSettings {
    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        CommonSettings::read_unauthenticated(env).map(Self)
    }

    fn common(&self) -> &CommonSettings {
        &self.0
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.0
    }
}

/// Reads `S` from the process environment, loads the SDK configuration it asks for, and reads
/// the HS256 secrets it names from Secrets Manager: at cold start, so that the key is never in
/// the function's configuration (readable by anyone allowed `lambda:GetFunctionConfiguration`).
pub async fn load<S: FunctionSettings>() -> Result<(S, crate::aws::SdkConfig), ConfigError> {
    let mut settings = S::read(&Env::process())?;
    let sdk = crate::aws::load_sdk_config(&settings.common().aws).await;
    let auth = &mut settings.common_mut().auth;
    if !auth.hs256_secret_ids.is_empty() {
        let client = aws_sdk_secretsmanager::Client::new(&sdk);
        for (name, id) in std::mem::take(&mut auth.hs256_secret_ids) {
            let secret = read_secret(&client, name, &id).await?;
            auth.hs256_secrets.push(secret);
        }
    }
    Ok((settings, sdk))
}

async fn read_secret(
    client: &aws_sdk_secretsmanager::Client,
    name: &'static str,
    id: &str,
) -> Result<Vec<u8>, ConfigError> {
    let failed = |reason: String| ConfigError::Secret { name, reason };
    let output = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| failed(crate::http::error_chain(&e)))?;
    let secret = output
        .secret_string()
        .ok_or_else(|| failed("it holds no SecretString".into()))?;
    if secret.len() < 32 {
        return Err(failed("it must be at least 32 bytes".into()));
    }
    Ok(secret.as_bytes().to_vec())
}

/// What every function needs: its table, how to verify tokens, SDK limits, body limit.
#[derive(Clone)]
pub struct CommonSettings {
    /// DynamoDB table holding tenants, users, memberships and invites.
    pub table_name: String,
    /// Bodies larger than this are refused with 413 before parsing.
    pub max_body_bytes: usize,
    /// Days an accepted or expired invite is kept (`INVITE_RETENTION_DAYS`).
    pub invite_retention_days: u32,
    pub auth: AuthConfig,
    pub aws: AwsClientConfig,
}

pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024;

impl CommonSettings {
    pub fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        Ok(Self {
            auth: AuthConfig::read(env)?,
            ..Self::read_unauthenticated(env)?
        })
    }

    /// For a function that authenticates nobody (the preview): no key, no secret to read,
    /// and a verifier that refuses every token.
    pub fn read_unauthenticated<L: Fn(&str) -> Option<String>>(
        env: &Env<L>,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.required("TABLE_NAME")?,
            max_body_bytes: env.number("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?,
            invite_retention_days: retention_days(env)?,
            auth: AuthConfig::refusing_all(),
            aws: AwsClientConfig::default(),
        })
    }
}

fn retention_days<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<u32, ConfigError> {
    let days = env.number(
        "INVITE_RETENTION_DAYS",
        crate::store::DEFAULT_RETENTION_DAYS,
    )?;
    if !(1..=3650).contains(&days) {
        return Err(ConfigError::Invalid {
            name: "INVITE_RETENTION_DAYS",
            reason: "must be between 1 and 3650".into(),
        });
    }
    Ok(days)
}

/// How tokens are verified. The algorithm is pinned here, never taken from a token.
#[derive(Clone)]
pub struct AuthConfig {
    /// HS256 shared secrets: the current one, then (during a rotation) the previous one.
    pub hs256_secrets: Vec<Vec<u8>>,
    /// Secrets Manager ids (name or ARN) of HS256 secrets still to be read at cold start, with
    /// the variable that named each (`JWT_HS256_SECRET_ID`, `JWT_HS256_PREVIOUS_SECRET_ID`).
    pub hs256_secret_ids: Vec<(&'static str, String)>,
    /// PEM public key, with the asymmetric algorithm it is for (RS256 or ES256).
    pub public_key: Option<(Algorithm, String)>,
    /// A JWKS document given inline (`JWT_JWKS`).
    pub jwks: Option<jsonwebtoken::jwk::JwkSet>,
    /// A JWKS document's URL (`JWT_JWKS_URL`), and how often it may be fetched again.
    pub jwks_url: Option<String>,
    pub jwks_refresh: Duration,
    /// How old a fetched JWKS may get before the next token fetches it again (removed keys
    /// stop verifying by then).
    pub jwks_max_age: Duration,
    /// The `iss` every token must carry, and the `aud` it must be meant for: required, so
    /// that a token the same key signed for another service is never accepted.
    pub issuer: String,
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway_seconds: u64,
    /// Front-end origins (`ALLOWED_ORIGINS`, comma-separated) from which a request
    /// authenticated by the `ks_uat` cookie may change data.
    pub allowed_origins: Vec<String>,
}

impl AuthConfig {
    /// No key at all: every token is refused.
    pub fn refusing_all() -> Self {
        Self {
            hs256_secrets: Vec::new(),
            hs256_secret_ids: Vec::new(),
            public_key: None,
            jwks: None,
            jwks_url: None,
            jwks_refresh: Duration::from_secs(60),
            jwks_max_age: Duration::from_secs(3600),
            issuer: String::new(),
            audience: String::new(),
            leeway_seconds: 0,
            allowed_origins: Vec::new(),
        }
    }

    pub fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        let mut hs256_secrets = Vec::new();
        for name in ["JWT_HS256_SECRET", "JWT_HS256_PREVIOUS_SECRET"] {
            if let Some(secret) = env.optional(name) {
                if secret.len() < 32 {
                    return Err(ConfigError::Invalid {
                        name,
                        reason: "must be at least 32 bytes".into(),
                    });
                }
                hs256_secrets.push(secret.into_bytes());
            }
        }
        let public_key = match env.optional("JWT_PUBLIC_KEY_PEM") {
            None => None,
            Some(pem) => {
                let algorithm = env.choice(
                    "JWT_PUBLIC_KEY_ALGORITHM",
                    Algorithm::RS256,
                    &[("RS256", Algorithm::RS256), ("ES256", Algorithm::ES256)],
                )?;
                // Keys passed through single-line env vars often carry literal "\n".
                Some((algorithm, pem.replace("\\n", "\n")))
            }
        };
        let hs256_secret_ids: Vec<(&'static str, String)> =
            ["JWT_HS256_SECRET_ID", "JWT_HS256_PREVIOUS_SECRET_ID"]
                .into_iter()
                .filter_map(|name| env.optional(name).map(|id| (name, id)))
                .collect();
        let jwks = env
            .optional("JWT_JWKS")
            .map(|raw| {
                serde_json::from_str(&raw).map_err(|e| ConfigError::Invalid {
                    name: "JWT_JWKS",
                    reason: format!("not a JWKS document: {e}"),
                })
            })
            .transpose()?;
        let jwks_url = env.optional("JWT_JWKS_URL");
        if let Some(url) = &jwks_url {
            if !is_https_or_local(url) {
                return Err(ConfigError::Invalid {
                    name: "JWT_JWKS_URL",
                    reason: "must be an https URL (http only for localhost)".into(),
                });
            }
        }
        let no_key = hs256_secrets.is_empty() && hs256_secret_ids.is_empty();
        if no_key && public_key.is_none() && jwks.is_none() && jwks_url.is_none() {
            return Err(ConfigError::Missing(
                "JWT_HS256_SECRET_ID, JWT_HS256_SECRET, JWT_PUBLIC_KEY_PEM, JWT_JWKS or JWT_JWKS_URL",
            ));
        }
        Ok(Self {
            hs256_secrets,
            hs256_secret_ids,
            public_key,
            jwks,
            jwks_url,
            jwks_refresh: Duration::from_secs(env.number("JWT_JWKS_REFRESH_SECONDS", 60)?),
            jwks_max_age: Duration::from_secs(env.number("JWT_JWKS_MAX_AGE_SECONDS", 3600)?),
            issuer: env.required("JWT_ISSUER")?,
            audience: env.required("JWT_AUDIENCE")?,
            leeway_seconds: env.number("JWT_LEEWAY_SECONDS", 0)?,
            allowed_origins: env
                .optional("ALLOWED_ORIGINS")
                .unwrap_or_default()
                .split(',')
                .map(|origin| origin.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|origin| !origin.is_empty())
                .collect(),
        })
    }
}

/// Timeouts and retries of the SDK clients: below the Lambda timeout, so a stuck dependency
/// becomes a clear 503 instead of a killed invocation. The request's own deadline
/// (`crate::budget`) bounds the whole request on top of these.
#[derive(Clone, Debug)]
pub struct AwsClientConfig {
    pub connect_timeout: Duration,
    pub operation_attempt_timeout: Duration,
    pub operation_timeout: Duration,
    pub max_attempts: u32,
}

impl Default for AwsClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(1_000),
            operation_attempt_timeout: Duration::from_millis(2_000),
            operation_timeout: Duration::from_millis(5_000),
            max_attempts: 3,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    pub fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env::new(move |name: &str| map.get(name).cloned())
    }

    const BASE: &[(&str, &str)] = &[
        ("TABLE_NAME", "invites"),
        ("JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef"),
        ("JWT_ISSUER", "https://auth.example.com"),
        ("JWT_AUDIENCE", "invites-api"),
    ];

    #[test]
    fn defaults_apply() {
        let settings = CommonSettings::read(&env(BASE)).unwrap();
        assert_eq!(settings.max_body_bytes, 16 * 1024);
        assert_eq!(settings.table_name, "invites");
    }

    #[test]
    fn a_key_is_required_and_weak_secrets_are_refused() {
        let without_key: Vec<_> = BASE
            .iter()
            .copied()
            .filter(|(k, _)| !k.starts_with("JWT_HS"))
            .collect();
        assert!(CommonSettings::read(&env(&without_key)).is_err());
        let mut weak = without_key.clone();
        weak.push(("JWT_HS256_SECRET", "short"));
        assert!(CommonSettings::read(&env(&weak)).is_err());
    }

    #[test]
    fn the_table_is_required() {
        let error = CommonSettings::read(&env(&BASE[1..])).err().unwrap();
        assert_eq!(
            error.to_string(),
            "environment variable TABLE_NAME is required"
        );
    }
}
