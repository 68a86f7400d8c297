//! Dev commands' logic: tenants, users, memberships and tokens, against the configured table.

use chrono::Utc;
use invites_shared::auth::Claims;
use invites_shared::config::AuthConfig;
use invites_shared::domain::{
    EmailAddress, Invite, InviteId, Membership, Role, Tenant, TenantId, TenantSettings, Timestamp,
    User, UserId,
};
use invites_shared::store::{Store, StoreError};

/// Errors of the dev commands: store failures, or a request the data cannot satisfy.
pub type DevError = crate::Error;

/// A user access token as the platform issues them, signed with the configured HS256 secret
/// and carrying the configured issuer and audience.
pub fn mint_token(
    auth: &AuthConfig,
    user: UserId,
    email: &EmailAddress,
    tenant: TenantId,
    ttl: chrono::Duration,
) -> Result<String, DevError> {
    sign(auth, claims(auth, user, email, tenant, ttl))
}

/// A token as a sign-in issues it: the identity provider has verified the email (so that
/// `REQUIRE_EMAIL_VERIFIED=true` deployments accept it too).
pub fn mint_signed_in_token(
    auth: &AuthConfig,
    user: &User,
    tenant: TenantId,
    ttl: chrono::Duration,
) -> Result<String, DevError> {
    let mut claims = claims(auth, user.id, &user.email, tenant, ttl);
    claims.email_verified = Some(true);
    sign(auth, claims)
}

fn claims(
    auth: &AuthConfig,
    user: UserId,
    email: &EmailAddress,
    tenant: TenantId,
    ttl: chrono::Duration,
) -> Claims {
    let mut claims = Claims::new(user, email, tenant, Utc::now().timestamp(), ttl);
    claims.iss = Some(auth.issuer.clone());
    claims.aud = Some(auth.audience.clone());
    claims
}

fn sign(auth: &AuthConfig, claims: Claims) -> Result<String, DevError> {
    let secret = auth
        .hs256_secrets
        .first()
        .ok_or("JWT_HS256_SECRET is not set")?;
    Ok(claims.mint_hs256(secret))
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
        settings: TenantSettings::default(),
        deactivated: false,
        member_count: 0,
    };
    store.put_tenant(&tenant).await?;
    Ok(tenant)
}

/// Creates a user, or returns the one that already has this email.
pub async fn create_user(
    store: &Store,
    id: Option<UserId>,
    email: EmailAddress,
) -> Result<User, DevError> {
    let user = User {
        id: id.unwrap_or_else(UserId::new_random),
        email,
        first_name: None,
        last_name: None,
        current_tenant_id: None,
    };
    create_user_with(store, user).await
}

/// Creates `user` (names and current tenant included), or returns the one that already has
/// this email, with the names and current tenant given here.
pub async fn create_user_with(store: &Store, user: User) -> Result<User, DevError> {
    if store.create_user(&user).await? {
        return Ok(user);
    }
    // Not created: either the email has a user already (return it), or the id is taken by a
    // user with another email.
    let existing = store
        .find_user_id_by_email(&user.email)
        .await?
        .ok_or_else(|| format!("user id {} already belongs to another email", user.id))?;
    // Keep what the existing record has where nothing new is given.
    let current = store.get_user(existing).await?;
    let user = User {
        id: existing,
        first_name: user
            .first_name
            .or_else(|| current.as_ref().and_then(|c| c.first_name.clone())),
        last_name: user
            .last_name
            .or_else(|| current.as_ref().and_then(|c| c.last_name.clone())),
        current_tenant_id: user
            .current_tenant_id
            .or_else(|| current.as_ref().and_then(|c| c.current_tenant_id)),
        ..user
    };
    store.put_user_record(&user).await?;
    Ok(user)
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

/// Fixed ids of the demo data: the one source of them (the events in `events/` are generated
/// from these by `invites-local make-events`).
pub mod demo_ids {
    use uuid::{uuid, Uuid};
    pub const TENANT: Uuid = uuid!("00000000-0000-4000-8000-00000000d001");
    pub const ADMIN: Uuid = uuid!("00000000-0000-4000-8000-00000000a001");
    pub const INVITEE: Uuid = uuid!("00000000-0000-4000-8000-00000000b001");
    pub const INVITE: Uuid = uuid!("00000000-0000-4000-8000-00000000e001");
    pub const ADMIN_EMAIL: &str = "admin@demo.example.com";
    pub const INVITEE_EMAIL: &str = "invitee@demo.example.com";
}

/// What `seed_demo` made.
pub struct Demo {
    pub tenant: Tenant,
    pub admin: User,
    pub invitee: User,
    pub invite_id: InviteId,
}

/// The demo tenant (shared IdP) with an ADMIN, and a pending invite (no email sent) for an
/// invitee who has an account. Idempotent: running it again keeps what exists.
pub async fn seed_demo(
    store: &Store,
    now: Timestamp,
    lifetime: chrono::Duration,
) -> Result<Demo, DevError> {
    let email = |raw: &str| EmailAddress::parse(raw).expect("demo emails are valid");
    let tenant = create_tenant(store, Some(demo_ids::TENANT.into()), "Demo Tenant", None).await?;
    // Named, so that the invitation's preview says who invited.
    let admin = User {
        id: demo_ids::ADMIN.into(),
        email: email(demo_ids::ADMIN_EMAIL),
        first_name: Some("Demo".into()),
        last_name: Some("Admin".into()),
        current_tenant_id: Some(tenant.id),
    };
    let admin = create_user_with(store, admin).await?;
    add_member(store, tenant.id, admin.id, Role::Admin).await?;
    let invitee = create_user(
        store,
        Some(demo_ids::INVITEE.into()),
        email(demo_ids::INVITEE_EMAIL),
    )
    .await?;
    let invite_id = InviteId::from(demo_ids::INVITE);
    if store.get_invite(invite_id).await?.is_none() {
        let invite = Invite {
            id: invite_id,
            tenant_id: tenant.id,
            email: invitee.email.clone(),
            role: Role::User,
            expires_at: now.plus(lifetime),
            accepted_at: None,
            accepted_by_user_id: None,
            created_at: now,
            updated_at: now,
            invited_by_user_id: admin.id,
            email_id: None,
            groups: Default::default(),
            skipped_groups: Default::default(),
            delivery: None,
        };
        store
            .insert_pending_invite(&invite, None, u64::MAX, false)
            .await?;
    }
    Ok(Demo {
        tenant,
        admin,
        invitee,
        invite_id,
    })
}

/// Sets a pending invite's expiry to `at` (its sort key in the expiry indexes too), as time
/// passing would: the dev tool's way to an expired invite without waiting a week.
pub async fn age_invite(store: &Store, invite: InviteId, at: Timestamp) -> Result<(), DevError> {
    use aws_sdk_dynamodb::types::AttributeValue;
    use invites_shared::store::keys;
    store
        .client()
        .update_item()
        .table_name(store.table_name())
        .key(keys::PK, AttributeValue::S(keys::invite_pk(invite)))
        .key(keys::SK, AttributeValue::S(keys::INVITE_SK.into()))
        .condition_expression("attribute_exists(pk) AND attribute_not_exists(accepted_at)")
        .update_expression("SET expires_at = :at, expires_sk = :sk")
        .expression_attribute_values(":at", AttributeValue::S(at.to_rfc3339()))
        .expression_attribute_values(":sk", AttributeValue::S(keys::time_sk(at, invite)))
        .send()
        .await
        .map_err(|error| format!("no pending invite {invite}: {error}"))?;
    Ok(())
}
