//! Everything the service reads from its environment, read once per process.
//!
//! AWS endpoints, region and credentials are not here: they come from the AWS SDK's own
//! conventions (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SES`, the
//! credentials chain), so local runs need no special code path.

use std::time::Duration;

use jsonwebtoken::Algorithm;

/// Service configuration.
#[derive(Clone)]
pub struct Config {
    /// DynamoDB table holding tenants, users, memberships and invites.
    pub table_name: String,
    /// Verified SES identity the invitation emails come from.
    pub sender_email: String,
    /// Absolute URL the invite id is appended to, giving the link in the email.
    pub invite_link_base_url: String,
    /// How long a new or refreshed invite stays pending.
    pub invite_lifetime: chrono::Duration,
    /// Bodies larger than this are refused with 413 before parsing.
    pub max_body_bytes: usize,
    pub auth: AuthConfig,
    pub aws: AwsClientConfig,
}

/// How tokens are verified. The algorithm is pinned here, never taken from a token.
#[derive(Clone)]
pub struct AuthConfig {
    /// HS256 shared secret.
    pub hs256_secret: Option<Vec<u8>>,
    /// PEM public key, with the asymmetric algorithm it is for (RS256 or ES256).
    pub public_key: Option<(Algorithm, String)>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway_seconds: u64,
}

/// Timeouts and retries of the SDK clients: below the Lambda timeout, so a stuck dependency
/// becomes a clear 503 instead of a killed invocation.
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

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

pub const DEFAULT_INVITE_LIFETIME_HOURS: i64 = 7 * 24;
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let table_name = get("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let sender_email = get("SENDER_EMAIL").ok_or(ConfigError::Missing("SENDER_EMAIL"))?;
        let invite_link_base_url =
            get("INVITE_LINK_BASE_URL").ok_or(ConfigError::Missing("INVITE_LINK_BASE_URL"))?;
        if !(invite_link_base_url.starts_with("https://")
            || invite_link_base_url.starts_with("http://"))
        {
            return Err(ConfigError::Invalid {
                name: "INVITE_LINK_BASE_URL",
                reason: "must be an absolute http(s) URL".into(),
            });
        }
        let invite_lifetime_hours = parse_number(
            "INVITE_LIFETIME_HOURS",
            get("INVITE_LIFETIME_HOURS"),
            DEFAULT_INVITE_LIFETIME_HOURS,
        )?;
        if !(1..=24 * 365).contains(&invite_lifetime_hours) {
            return Err(ConfigError::Invalid {
                name: "INVITE_LIFETIME_HOURS",
                reason: "must be between 1 and 8760".into(),
            });
        }
        let max_body_bytes = parse_number(
            "MAX_BODY_BYTES",
            get("MAX_BODY_BYTES"),
            DEFAULT_MAX_BODY_BYTES,
        )?;

        let hs256_secret = get("JWT_HS256_SECRET").map(String::into_bytes);
        if hs256_secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err(ConfigError::Invalid {
                name: "JWT_HS256_SECRET",
                reason: "must be at least 32 bytes".into(),
            });
        }
        let public_key = match get("JWT_PUBLIC_KEY_PEM") {
            None => None,
            Some(pem) => {
                let algorithm = match get("JWT_PUBLIC_KEY_ALGORITHM").as_deref() {
                    None | Some("RS256") => Algorithm::RS256,
                    Some("ES256") => Algorithm::ES256,
                    Some(other) => {
                        return Err(ConfigError::Invalid {
                            name: "JWT_PUBLIC_KEY_ALGORITHM",
                            reason: format!("{other:?} is not RS256 or ES256"),
                        })
                    }
                };
                // Keys passed through single-line env vars often carry literal "\n".
                Some((algorithm, pem.replace("\\n", "\n")))
            }
        };
        if hs256_secret.is_none() && public_key.is_none() {
            return Err(ConfigError::Missing(
                "JWT_HS256_SECRET or JWT_PUBLIC_KEY_PEM",
            ));
        }
        let auth = AuthConfig {
            hs256_secret,
            public_key,
            issuer: get("JWT_ISSUER"),
            audience: get("JWT_AUDIENCE"),
            leeway_seconds: parse_number("JWT_LEEWAY_SECONDS", get("JWT_LEEWAY_SECONDS"), 0)?,
        };

        Ok(Self {
            table_name,
            sender_email,
            invite_link_base_url: invite_link_base_url.trim_end_matches('/').to_owned(),
            invite_lifetime: chrono::Duration::hours(invite_lifetime_hours),
            max_body_bytes,
            auth,
            aws: AwsClientConfig::default(),
        })
    }

    /// The absolute link an invitee opens to accept `invite_id`.
    pub fn invite_link(&self, invite_id: &crate::domain::InviteId) -> String {
        format!("{}/{}", self.invite_link_base_url, invite_id)
    }
}

fn parse_number<T: std::str::FromStr>(
    name: &'static str,
    raw: Option<String>,
    default: T,
) -> Result<T, ConfigError> {
    match raw {
        None => Ok(default),
        Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("{raw:?} is not a number"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const BASE: &[(&str, &str)] = &[
        ("TABLE_NAME", "invites"),
        ("SENDER_EMAIL", "noreply@example.com"),
        ("INVITE_LINK_BASE_URL", "https://app.example.com/invites/"),
        ("JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef"),
    ];

    #[test]
    fn defaults_apply() {
        let config = Config::from_lookup(lookup(BASE)).unwrap();
        assert_eq!(config.invite_lifetime, chrono::Duration::days(7));
        assert_eq!(config.max_body_bytes, 16 * 1024);
        let id = crate::domain::InviteId::new_random();
        assert_eq!(
            config.invite_link(&id),
            format!("https://app.example.com/invites/{id}")
        );
    }

    #[test]
    fn a_key_is_required_and_weak_secrets_are_refused() {
        let without_key: Vec<_> = BASE[..3].to_vec();
        assert!(Config::from_lookup(lookup(&without_key)).is_err());
        let mut weak = without_key.clone();
        weak.push(("JWT_HS256_SECRET", "short"));
        assert!(Config::from_lookup(lookup(&weak)).is_err());
    }

    #[test]
    fn relative_link_base_is_refused() {
        let mut pairs = BASE.to_vec();
        pairs[2] = ("INVITE_LINK_BASE_URL", "/invites");
        assert!(Config::from_lookup(lookup(&pairs)).is_err());
    }
}
