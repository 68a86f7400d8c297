//! API keys (`Authorization: Bearer sk-user-…`): the key's SHA-256 names its record, so the
//! key is never stored and finding it compares no secrets (one keyed read, whatever the key);
//! the caller is the key's owner, acting with their live role in their current tenant.

use ring::digest;

use super::{AuthError, Caller};
use crate::domain::Timestamp;
use crate::http::error_chain;
use crate::store::Store;

/// What every API key starts with; a bearer token without it is a JWT.
pub const API_KEY_PREFIX: &str = "sk-user-";

pub fn is_api_key(token: &str) -> bool {
    token.starts_with(API_KEY_PREFIX)
}

/// Lower-case hex SHA-256 of the whole key: the key of its record.
pub fn api_key_digest(key: &str) -> String {
    digest::digest(&digest::SHA256, key.as_bytes())
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The owner of a live (known, not revoked, not expired) key.
pub(super) async fn caller_for_api_key(
    store: &Store,
    key: &str,
    now: Timestamp,
) -> Result<Caller, AuthError> {
    let found = store
        .find_api_key(&api_key_digest(key))
        .await
        .map_err(|error| {
            // The digest and the key stay out of the log.
            tracing::warn!(error = %error_chain(&error), "API key lookup failed");
            if error.is_transient() {
                AuthError::Unavailable
            } else {
                AuthError::Internal
            }
        })?;
    match found {
        Some((api_key, Some(owner))) if api_key.is_usable(now) => Ok(Caller {
            user_id: owner.id,
            email: owner.email,
            current_tenant_id: owner.current_tenant_id,
            // The platform verified its users' emails before it let them mint keys.
            email_verified: Some(true),
            via_cookie: false,
        }),
        _ => Err(AuthError::InvalidApiKey),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_lower_hex_sha256() {
        assert_eq!(
            api_key_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_api_key("sk-user-x") && !is_api_key("eyJ.sk-user-"));
    }
}
