//! The one place where a request becomes a verified caller: token from the `Authorization`
//! header or the `ks_uat` cookie, signature and claims checked, ids parsed, and for the cookie
//! the cross-site rule (`csrf`).

mod csrf;
mod keys;

use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::http::{self, HeaderMap};
use lambda_http::Request;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::AuthConfig;
use crate::domain::{EmailAddress, Role, TenantId, UserId};
use keys::{Key, RemoteJwks};

/// Name of the cookie browsers send the user access token in.
pub const TOKEN_COOKIE: &str = "ks_uat";

/// Who is calling, as proven by a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub email: EmailAddress,
    /// The tenant the user is currently working in.
    pub current_tenant_id: TenantId,
    /// The token's `email_verified`, if it has one.
    pub email_verified: Option<bool>,
    /// Authenticated by the `ks_uat` cookie (a browser) rather than an `Authorization` header.
    pub via_cookie: bool,
}

/// Why a request is not authenticated. The text is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Not authenticated")]
    Missing,
    #[error("Token has expired")]
    Expired,
    #[error("Could not validate credentials")]
    Invalid,
    /// A cookie-authenticated change from an origin that is not allowed (answered 403).
    #[error(
        "Cross-site request refused: a request authenticated by the ks_uat cookie may only \
         change data from an allowed origin"
    )]
    ForeignOrigin,
}

/// Claims of a user access token: what the platform signs and what this service reads.
/// `iat`, `exp`, `iss` and `aud` are checked by `jsonwebtoken` while verifying, so they are
/// only ever written here (by the dev tool and the tests), never read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub email: String,
    pub tenant_id: String,
    #[serde(skip_deserializing)]
    pub iat: i64,
    #[serde(skip_deserializing)]
    pub exp: i64,
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// `false` when the identity provider has not verified `email`; absent when it does not
    /// say. Some providers send it as a string.
    #[serde(
        default,
        deserialize_with = "verified_flag",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
}

/// `true`/`false`, or their strings; anything else is not a verification.
fn verified_flag<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => None,
        serde_json::Value::Bool(flag) => Some(flag),
        serde_json::Value::String(text) if text == "true" => Some(true),
        _ => Some(false),
    })
}

#[cfg(feature = "dev-tools")]
impl Claims {
    /// Claims for `user` acting in `tenant`, issued at `issued_at` (Unix seconds) for `ttl`.
    pub fn new(
        user: UserId,
        email: &EmailAddress,
        tenant: TenantId,
        issued_at: i64,
        ttl: chrono::Duration,
    ) -> Self {
        Self {
            sub: user.to_string(),
            email: email.to_string(),
            tenant_id: tenant.to_string(),
            iat: issued_at,
            exp: issued_at + ttl.num_seconds(),
            iss: None,
            aud: None,
            email_verified: None,
        }
    }

    /// Signs the claims with HS256.
    pub fn mint_hs256(&self, secret: &[u8]) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            self,
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .expect("HS256 signing of plain claims cannot fail")
    }
}

/// The caller may not manage this tenant's invites (not a member, or a plain `USER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Only admins and owners of this tenant can manage its invites")]
pub struct NotAManager;

/// The caller's role, if it lets them manage the tenant's invites. The role comes from the
/// membership record, never from the token, so a demotion takes effect at once.
pub fn require_manager(role: Option<Role>) -> Result<Role, NotAManager> {
    role.filter(|role| role.can_manage_invites())
        .ok_or(NotAManager)
}

/// Verifies user access tokens with the keys and algorithms pinned by configuration.
#[derive(Clone)]
pub struct TokenVerifier {
    /// Configured keys: HS256 secrets, the PEM public key, inline JWKS keys.
    keys: Vec<Key>,
    /// The JWKS fetched from a URL, if one is configured.
    remote: Option<Arc<RemoteJwks>>,
    issuer: String,
    audience: String,
    leeway_seconds: u64,
    /// Origins from which a cookie-authenticated request may change data.
    allowed_origins: Vec<String>,
}

impl TokenVerifier {
    pub fn new(config: &AuthConfig) -> Result<Self, jsonwebtoken::errors::Error> {
        let mut keys: Vec<Key> = config
            .hs256_secrets
            .iter()
            .map(|secret| Key {
                kid: None,
                algorithm: Algorithm::HS256,
                key: DecodingKey::from_secret(secret),
            })
            .collect();
        if let Some((algorithm, pem)) = &config.public_key {
            let key = match algorithm {
                Algorithm::ES256 => DecodingKey::from_ec_pem(pem.as_bytes())?,
                _ => DecodingKey::from_rsa_pem(pem.as_bytes())?,
            };
            keys.push(Key {
                kid: None,
                algorithm: *algorithm,
                key,
            });
        }
        if let Some(jwks) = &config.jwks {
            keys.extend(keys::keys_of(jwks));
        }
        let remote = config
            .jwks_url
            .as_ref()
            .map(|url| RemoteJwks::new(url.clone(), config.jwks_refresh, config.jwks_max_age));
        Ok(Self {
            keys,
            remote,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway_seconds: config.leeway_seconds,
            allowed_origins: config.allowed_origins.clone(),
        })
    }

    /// Fetches the JWKS URL, if one is configured (at cold start, off the first request).
    pub async fn prefetch(&self) {
        if let Some(remote) = &self.remote {
            remote.refresh().await;
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.leeway_seconds;
        validation.validate_nbf = true;
        // Issuer and audience must be present and right: a token the same key signed for
        // another service is refused.
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation
    }

    /// The token verified by one of `keys`: `None` when no key is for its algorithm and `kid`.
    /// The algorithm is the key's, never the token's choice: a token whose header names
    /// another algorithm than the key's is not tried with it.
    fn verify_with(
        &self,
        keys: &[Key],
        token: &str,
        header: &jsonwebtoken::Header,
    ) -> Option<Result<Claims, AuthError>> {
        let mut tried = false;
        for key in keys.iter().filter(|key| key.algorithm == header.alg) {
            if key.kid.is_some() && header.kid.is_some() && key.kid != header.kid {
                continue;
            }
            tried = true;
            match jsonwebtoken::decode::<Claims>(token, &key.key, &self.validation(key.algorithm)) {
                Ok(data) => return Some(Ok(data.claims)),
                Err(e) if *e.kind() == jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    return Some(Err(AuthError::Expired))
                }
                Err(_) => {}
            }
        }
        tried.then_some(Err(AuthError::Invalid))
    }

    /// Verifies `token` with the keys at hand (configured, and the JWKS cache), no fetching.
    pub fn verify_known(&self, token: &str) -> Result<Caller, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid)?;
        let cached = self
            .remote
            .as_ref()
            .map(|remote| remote.cached())
            .unwrap_or_default();
        match self.verify_with(&self.keys, token, &header) {
            Some(Ok(claims)) => caller_of(claims),
            Some(Err(AuthError::Expired)) => Err(AuthError::Expired),
            // No configured key verified it: the JWKS keys may.
            _ => self
                .verify_with(&cached, token, &header)
                .unwrap_or(Err(AuthError::Invalid))
                .and_then(caller_of),
        }
    }

    /// Verifies `token`; a `kid` not in the JWKS cache fetches the JWKS URL again (at most
    /// once per refresh interval) before the token is refused.
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid)?;
        let configured = self.verify_with(&self.keys, token, &header);
        let Some(remote) = &self.remote else {
            return configured
                .unwrap_or(Err(AuthError::Invalid))
                .and_then(caller_of);
        };
        // A configured key that verified it, or found it expired, decides; otherwise the JWKS
        // keys may (a PEM key and a JWKS URL can be configured together).
        match configured {
            Some(Ok(claims)) => return caller_of(claims),
            Some(Err(AuthError::Expired)) => return Err(AuthError::Expired),
            _ => {}
        }
        remote.refresh_if_old().await;
        if let Some(result) = self.verify_with(&remote.cached(), token, &header) {
            return result.and_then(caller_of);
        }
        if header.kid.is_some() && remote.refresh().await {
            if let Some(result) = self.verify_with(&remote.cached(), token, &header) {
                return result.and_then(caller_of);
            }
        }
        Err(AuthError::Invalid)
    }

    /// Finds the token in the request's headers and verifies it; a cookie must also pass the
    /// cross-site rule.
    pub async fn authenticate(&self, req: &Request) -> Result<Caller, AuthError> {
        let (token, via_cookie) = credential(req.headers())?;
        if via_cookie && !csrf::origin_allowed(req.method(), req.headers(), &self.allowed_origins) {
            return Err(AuthError::ForeignOrigin);
        }
        Ok(Caller {
            via_cookie,
            ..self.verify(token).await?
        })
    }
}

/// The caller a verified token's claims name.
fn caller_of(claims: Claims) -> Result<Caller, AuthError> {
    Ok(Caller {
        user_id: parse_uuid(&claims.sub)?.into(),
        email: EmailAddress::parse(&claims.email).map_err(|_| AuthError::Invalid)?,
        current_tenant_id: parse_uuid(&claims.tenant_id)?.into(),
        email_verified: claims.email_verified,
        via_cookie: false,
    })
}

fn parse_uuid(raw: &str) -> Result<Uuid, AuthError> {
    Uuid::parse_str(raw).map_err(|_| AuthError::Invalid)
}

/// The bearer token from `Authorization`, else the `ks_uat` cookie. A present but unusable
/// `Authorization` header is an error: it never falls back to the cookie.
pub fn token_from_headers(headers: &HeaderMap) -> Result<&str, AuthError> {
    credential(headers).map(|(token, _)| token)
}

/// The token, and whether it came from the cookie.
fn credential(headers: &HeaderMap) -> Result<(&str, bool), AuthError> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| AuthError::Invalid)?.trim();
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::Missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Missing);
        }
        let token = token.trim();
        return if token.is_empty() {
            Err(AuthError::Missing)
        } else {
            Ok((token, false))
        };
    }
    for value in headers.get_all(http::header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            if let Some((name, token)) = pair.trim().split_once('=') {
                if name.trim() == TOKEN_COOKIE {
                    let token = token.trim();
                    // RFC 6265 allows a value in double quotes; only a balanced pair is removed.
                    let token = token
                        .strip_prefix('"')
                        .and_then(|t| t.strip_suffix('"'))
                        .unwrap_or(token);
                    if !token.is_empty() {
                        return Ok((token, true));
                    }
                }
            }
        }
    }
    Err(AuthError::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn email_verified_is_true_only_when_it_says_so() {
        let parse = |flag: &str| {
            let json =
                format!(r#"{{"sub":"s","email":"e","tenant_id":"t","email_verified":{flag}}}"#);
            serde_json::from_str::<Claims>(&json)
                .unwrap()
                .email_verified
        };
        assert_eq!(parse("true"), Some(true));
        assert_eq!(parse(r#""true""#), Some(true));
        assert_eq!(parse("false"), Some(false));
        assert_eq!(parse(r#""false""#), Some(false));
        assert_eq!(parse(r#""yes""#), Some(false));
        assert_eq!(parse("1"), Some(false));
        assert_eq!(parse("null"), None);
        let absent: Claims =
            serde_json::from_str(r#"{"sub":"s","email":"e","tenant_id":"t"}"#).unwrap();
        assert_eq!(absent.email_verified, None);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let h = headers(&[("authorization", &format!("{scheme} abc.def.ghi"))]);
            assert_eq!(token_from_headers(&h), Ok("abc.def.ghi"));
        }
    }

    #[test]
    fn header_wins_over_cookie() {
        let h = headers(&[
            ("authorization", "Bearer from-header"),
            ("cookie", "ks_uat=from-cookie"),
        ]);
        assert_eq!(token_from_headers(&h), Ok("from-header"));
    }

    #[test]
    fn cookie_is_found_among_others() {
        let h = headers(&[("cookie", "theme=dark; ks_uat=tok; other=1")]);
        assert_eq!(token_from_headers(&h), Ok("tok"));
        let h = headers(&[("cookie", "theme=dark"), ("cookie", "ks_uat=\"tok2\"")]);
        assert_eq!(token_from_headers(&h), Ok("tok2"));
    }

    #[test]
    fn empty_or_foreign_schemes_are_not_tokens() {
        for value in ["Bearer", "Bearer   ", "Basic abc", "abc"] {
            let h = headers(&[("authorization", value), ("cookie", "ks_uat=tok")]);
            assert!(token_from_headers(&h).is_err(), "{value}");
        }
        assert_eq!(
            token_from_headers(&headers(&[("cookie", "ks_uat=")])),
            Err(AuthError::Missing)
        );
        assert_eq!(
            token_from_headers(&HeaderMap::new()),
            Err(AuthError::Missing)
        );
    }
}
