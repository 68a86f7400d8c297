//! The claims of a user access token: what the platform signs and what this service reads.

use serde::{Deserialize, Serialize};

#[cfg(feature = "dev-tools")]
use crate::domain::{EmailAddress, TenantId, UserId};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
