//! `POST /v1/invites/{invite_id}/accept`: the invitee joins the tenant.
//!
//! Any signed-in user may accept an invite addressed to their own email. The invite is marked
//! accepted and the membership created in one transaction, so of many concurrent accepts
//! exactly one succeeds; a retry by the user who accepted gets the same answer again.

use invites_shared::auth::AuthError;
use invites_shared::aws;
use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::domain::{Clock, Invite, InviteStatus, Role, TenantId};
use invites_shared::http::{json_response, parse_invite_id, ApiError, Invalid};
use invites_shared::runtime::Function;
use invites_shared::state::{Common, StartupError};
use invites_shared::store::{self, AcceptOutcome, StoreError};
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
        let require_email_verified = match env.optional("REQUIRE_EMAIL_VERIFIED").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "REQUIRE_EMAIL_VERIFIED",
                    reason: format!("{other:?} is not true or false"),
                })
            }
        };
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
            AcceptError::Store(e) => e.into(),
        }
    }
}

/// `AcceptInviteResponse`.
#[derive(Serialize)]
struct AcceptInviteResponse {
    tenant_id: TenantId,
    role: Role,
}

fn accepted(invite: &Invite) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &AcceptInviteResponse {
            tenant_id: invite.tenant_id,
            role: invite.role,
        },
    )
}

impl Function for AcceptInvite {
    const NAME: &'static str = "accept-invite";
    type Error = AcceptError;

    fn common(&self) -> &Common {
        &self.common
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, AcceptError> {
        let caller = self.common.verifier.authenticate(&req).await?;
        let invite_id = parse_invite_id(&req)?;
        let verified = match caller.email_verified {
            Some(verified) => verified,
            None => !self.require_email_verified,
        };
        if !verified {
            return Err(AcceptError::EmailNotVerified);
        }
        let store = &self.common.store;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.common.clock.now();
            let invite = store
                .get_invite(invite_id)
                .await?
                .ok_or(AcceptError::NotFound)?;
            if invite.email != caller.email {
                return Err(AcceptError::OtherEmail);
            }
            match invite.status(now) {
                // A retry by the user who accepted gets the same answer again.
                InviteStatus::Accepted if invite.accepted_by_user_id == Some(caller.user_id) => {
                    return Ok(accepted(&invite))
                }
                InviteStatus::Accepted => return Err(AcceptError::AlreadyAccepted),
                InviteStatus::Expired => return Err(AcceptError::Expired),
                InviteStatus::Pending => {}
            }
            match store.accept_invite(&invite, caller.user_id, now).await? {
                AcceptOutcome::Accepted => {
                    tracing::info!(invite_id = %invite.id, tenant_id = %invite.tenant_id, "invite accepted");
                    return Ok(accepted(&invite));
                }
                AcceptOutcome::AlreadyMember => return Err(AcceptError::AlreadyMember),
                AcceptOutcome::TenantGone => return Err(AcceptError::TenantNotFound),
                // Changed meanwhile (accepted, expired, deleted, another role): read again.
                AcceptOutcome::Changed => store::pause_before_retry(attempt).await?,
            }
        }
    }
}
