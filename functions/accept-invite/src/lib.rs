//! `POST /v1/invites/{invite_id}/accept`: the caller joins a tenant.
//!
//! The id is looked up as a tenant first (ksapi 3.x): a tenant whose invite link is enabled
//! lets any signed-in user join with the link's role and groups (`link`). Otherwise it is an
//! invite: any signed-in user may accept one addressed to their own email (`invite`). The
//! invite is marked accepted, the membership, its seat and its group memberships written in
//! one transaction, so of many concurrent accepts exactly one succeeds and the seat cap holds;
//! a retry by the user who accepted gets the same answer again.

mod invite;
mod link;

use invites_shared::auth::AuthError;
use invites_shared::aws;
use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::domain::{Clock, GroupIds, Role, Tenant, TenantId};
use invites_shared::http::{json_response, parse_invite_id, ApiError, Invalid};
use invites_shared::runtime::Function;
use invites_shared::state::{Common, StartupError};
use invites_shared::store::StoreError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// What accept-invite reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// Refuse tokens that do not say `email_verified: true` (by default only an explicit
    /// `false` is refused, as not every identity provider sends the claim).
    pub require_email_verified: bool,
}

impl FunctionSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        let require_email_verified = env.choice(
            "REQUIRE_EMAIL_VERIFIED",
            false,
            &[("true", true), ("false", false)],
        )?;
        Ok(Self {
            common: CommonSettings::read(env)?,
            require_email_verified,
        })
    }
}

/// The function's state, built once per process.
pub struct AcceptInvite {
    common: Common,
    require_email_verified: bool,
}

impl AcceptInvite {
    pub async fn from_env() -> Result<Self, StartupError> {
        let (settings, sdk) = config::load::<Settings>().await?;
        Self::new(settings, aws::dynamodb_client(&sdk), Clock::system())
    }

    pub fn new(
        settings: Settings,
        dynamodb: aws_sdk_dynamodb::Client,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        Ok(Self {
            common: Common::new(&settings.common, dynamodb, clock)?,
            require_email_verified: settings.require_email_verified,
        })
    }
}

/// Everything accept-invite can answer other than 200.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("Invite not found")]
    NotFound,
    #[error("This invite was sent to a different email address")]
    OtherEmail,
    #[error("Invite has already been accepted")]
    AlreadyAccepted,
    #[error("Invite has expired")]
    Expired,
    #[error("You are already a member of this tenant")]
    AlreadyMember,
    #[error("Tenant not found")]
    TenantNotFound,
    #[error("This tenant is deactivated: it takes no new members")]
    TenantDeactivated,
    #[error("This tenant does not support inviting users")]
    InvitesDisabled,
    #[error("This tenant does not have invite link enabled")]
    LinkDisabled,
    #[error(
        "This tenant has no free seat: every seat of its seat cap is taken. Ask an admin of \
         the tenant to free a seat or raise the cap, then accept again."
    )]
    NoSeat,
    #[error("Verify your email address before accepting")]
    EmailNotVerified,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AcceptError> for ApiError {
    fn from(error: AcceptError) -> Self {
        match error {
            AcceptError::Unauthenticated(e) => e.into(),
            AcceptError::Invalid(e) => e.into(),
            e @ (AcceptError::NotFound | AcceptError::TenantNotFound) => {
                ApiError::NotFound(e.to_string())
            }
            e @ (AcceptError::OtherEmail | AcceptError::EmailNotVerified) => {
                ApiError::Forbidden(e.to_string())
            }
            e @ (AcceptError::AlreadyAccepted | AcceptError::AlreadyMember) => {
                ApiError::Conflict(e.to_string())
            }
            e @ AcceptError::Expired => ApiError::Gone(e.to_string()),
            e @ AcceptError::TenantDeactivated => ApiError::TenantDeactivated(e.to_string()),
            e @ (AcceptError::InvitesDisabled | AcceptError::LinkDisabled) => {
                ApiError::BadRequest(e.to_string())
            }
            e @ AcceptError::NoSeat => ApiError::QuotaExceeded(e.to_string()),
            AcceptError::Store(e) => e.into(),
        }
    }
}

/// `AcceptInviteResponse`.
#[derive(Serialize)]
struct AcceptInviteResponse<'a> {
    tenant_id: TenantId,
    role: Role,
    /// Groups of the invite (or link) that no longer existed, so were not joined.
    skipped_groups: &'a GroupIds,
}

fn joined(tenant: TenantId, role: Role, skipped_groups: &GroupIds) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &AcceptInviteResponse {
            tenant_id: tenant,
            role,
            skipped_groups,
        },
    )
}

/// A tenant that may take a new member now, as far as its record says (the seat is claimed
/// again by the transaction, which concurrent joins cannot pass).
fn open_for_joining(tenant: Option<Tenant>) -> Result<Tenant, AcceptError> {
    let tenant = tenant.ok_or(AcceptError::TenantNotFound)?;
    if tenant.deactivated {
        return Err(AcceptError::TenantDeactivated);
    }
    if !tenant.has_free_seat() {
        return Err(AcceptError::NoSeat);
    }
    Ok(tenant)
}

impl Function for AcceptInvite {
    const NAME: &'static str = "accept-invite";
    type Error = AcceptError;

    fn common(&self) -> &Common {
        &self.common
    }

    fn rejection_reason(error: &AcceptError) -> Option<&'static str> {
        // Only where the answer's code says less than the error (the rest: its code).
        Some(match error {
            AcceptError::Unauthenticated(_) | AcceptError::Invalid(_) | AcceptError::Store(_) => {
                return None
            }
            AcceptError::NotFound => "invite_not_found",
            AcceptError::OtherEmail => "other_email",
            AcceptError::AlreadyAccepted => "already_accepted",
            AcceptError::Expired => "expired",
            AcceptError::AlreadyMember => "already_member",
            AcceptError::TenantNotFound => "tenant_not_found",
            AcceptError::TenantDeactivated => "tenant_deactivated",
            AcceptError::InvitesDisabled => "invites_disabled",
            AcceptError::LinkDisabled => "link_disabled",
            AcceptError::NoSeat => "no_seat",
            AcceptError::EmailNotVerified => "email_not_verified",
        })
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, AcceptError> {
        let caller = self.common.authenticate(&req).await?;
        let id = parse_invite_id(&req)?.as_uuid();
        let verified = match caller.email_verified {
            Some(verified) => verified,
            None => !self.require_email_verified,
        };
        if !verified {
            return Err(AcceptError::EmailNotVerified);
        }
        let target = self.common.store.load_accept_target(id).await?;
        match target.tenant {
            Some(tenant) => self.join_by_link(&caller, tenant).await,
            None => self.accept_invite(&caller, id.into(), target.invite).await,
        }
    }
}
