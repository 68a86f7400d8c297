//! The one place where a request becomes a verified caller: token from the `Authorization`
//! header or the `ks_uat` cookie, signature and claims checked, ids parsed, and for the cookie
//! the cross-site rule (`csrf`).

mod api_key;
mod claims;
mod credential;
mod csrf;
mod keys;

use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::Request;
use uuid::Uuid;

use crate::config::AuthConfig;
use crate::domain::{EmailAddress, Role, TenantId, Timestamp, UserId};
use crate::store::Store;
pub use api_key::{api_key_digest, is_api_key, API_KEY_PREFIX};
pub use claims::Claims;
use credential::credential;
pub use credential::token_from_headers;
use keys::{Key, RemoteJwks};

/// Name of the cookie browsers send the user access token in.
pub const TOKEN_COOKIE: &str = "ks_uat";

/// Who is calling, as proven by a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub email: EmailAddress,
    /// The tenant the user is currently working in (an API key's owner may have none).
    pub current_tenant_id: Option<TenantId>,
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
    #[error("Invalid, expired or revoked API key")]
    InvalidApiKey,
    /// The credential could not be checked because the store is unavailable (answered 503).
    #[error("Credentials could not be checked right now; retry in a few seconds")]
    Unavailable,
    /// The store refused the lookup (a misconfiguration or a corrupt record): answered 500.
    #[error("Internal Server Error")]
    Internal,
    /// A cookie-authenticated change from an origin that is not allowed (answered 403).
    #[error(
        "Cross-site request refused: a request authenticated by the ks_uat cookie may only \
         change data from an allowed origin"
    )]
    ForeignOrigin,
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

    /// Finds the credential in the request's headers and verifies it: an API key against its
    /// record in `store`, a token by signature and claims; a cookie must also pass the
    /// cross-site rule.
    pub async fn authenticate(
        &self,
        req: &Request,
        store: &Store,
        now: Timestamp,
    ) -> Result<Caller, AuthError> {
        let (token, via_cookie) = credential(req.headers())?;
        if via_cookie && !csrf::origin_allowed(req.method(), req.headers(), &self.allowed_origins) {
            return Err(AuthError::ForeignOrigin);
        }
        if !via_cookie && is_api_key(token) {
            return api_key::caller_for_api_key(store, token, now).await;
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
        current_tenant_id: Some(parse_uuid(&claims.tenant_id)?.into()),
        email_verified: claims.email_verified,
        via_cookie: false,
    })
}

fn parse_uuid(raw: &str) -> Result<Uuid, AuthError> {
    Uuid::parse_str(raw).map_err(|_| AuthError::Invalid)
}
