//! Dev commands' logic: tenants, users, memberships and tokens, against the configured table.

use chrono::Utc;
use invites_shared::domain::{EmailAddress, Membership, Role, Tenant, TenantId, User, UserId};
use invites_shared::store::{Store, StoreError};
use jsonwebtoken::{EncodingKey, Header};
use serde::Serialize;

/// Claims of a user access token, as the platform issues them.
#[derive(Debug, Serialize)]
pub struct TokenClaims {
    pub sub: String,
    pub email: String,
    pub tenant_id: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

impl TokenClaims {
    pub fn new(
        user: UserId,
        email: &EmailAddress,
        tenant: TenantId,
        ttl: chrono::Duration,
    ) -> Self {
        let now = Utc::now().timestamp();
        Self {
            sub: user.to_string(),
            email: email.to_string(),
            tenant_id: tenant.to_string(),
            iat: now,
            exp: now + ttl.num_seconds(),
            iss: None,
            aud: None,
        }
    }
}

/// Signs `claims` with HS256.
pub fn mint_hs256(claims: &TokenClaims, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing cannot fail")
}

pub async fn create_tenant(
    store: &Store,
    id: Option<TenantId>,
    name: &str,
    idp_config: Option<serde_json::Value>,
) -> Result<Tenant, StoreError> {
    let tenant = Tenant {
        id: id.unwrap_or_else(TenantId::new_random),
        name: name.to_owned(),
        idp_config,
    };
    store.put_tenant(&tenant).await?;
    Ok(tenant)
}

/// Creates a user, or returns the one that already has this email.
pub async fn create_user(
    store: &Store,
    id: Option<UserId>,
    email: EmailAddress,
) -> Result<User, StoreError> {
    let user = User {
        id: id.unwrap_or_else(UserId::new_random),
        email,
    };
    if store.create_user(&user).await? {
        return Ok(user);
    }
    let existing = store
        .find_user_id_by_email(&user.email)
        .await?
        .expect("the email slot exists");
    Ok(User {
        id: existing,
        email: user.email,
    })
}

pub async fn add_member(
    store: &Store,
    tenant: TenantId,
    user: UserId,
    role: Role,
) -> Result<Membership, StoreError> {
    let membership = Membership {
        tenant_id: tenant,
        user_id: user,
        role,
    };
    store
        .put_membership(&membership, invites_shared::domain::Clock::system().now())
        .await?;
    Ok(membership)
}
