//! `PATCH /v1/invites/{invite_id}`: changes the expiry or the groups of a pending invite.
//!
//! Admins and owners of the caller's current tenant only; an invite of another tenant is
//! answered like a missing one (404). Only a pending invite changes: an accepted one is a 409,
//! an expired one a 410 (invite again instead, which makes a fresh pending invite). Groups
//! must be groups of the invite's tenant.

pub mod input;

use invites_shared::auth::{require_manager, AuthError, NotAManager};
use invites_shared::aws;
use invites_shared::config::{self, CommonSettings};
use invites_shared::domain::{Clock, InviteStatus};
use invites_shared::http::{json_response, parse_invite_id, unknown_groups, ApiError, Invalid};
use invites_shared::runtime::Function;
use invites_shared::state::{Common, StartupError};
use invites_shared::store::{self, InviteChanges, StoreError};
use invites_shared::view::{InviteLinks, InviteResponse};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use input::{expiry_issue, parse_update_invite};

/// The furthest an admin may push an invite's expiry.
pub const LONGEST_EXPIRY_DAYS: i64 = 365;

/// What update-invite reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub links: InviteLinks,
}

impl invites_shared::config::FunctionSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn read<L: Fn(&str) -> Option<String>>(
        env: &invites_shared::config::Env<L>,
    ) -> Result<Self, invites_shared::config::ConfigError> {
        Ok(Self {
            common: CommonSettings::read(env)?,
            links: InviteLinks::read(env)?,
        })
    }
}

/// The function's state, built once per process.
pub struct UpdateInvite {
    common: Common,
    links: InviteLinks,
}

impl UpdateInvite {
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
            links: settings.links,
        })
    }
}

/// Everything update-invite can answer other than 200.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    NotAManager(#[from] NotAManager),
    #[error("Invite not found")]
    NotFound,
    #[error("Only an owner can change an invite to the owner role")]
    OwnerOnly,
    #[error("Invite has already been accepted")]
    AlreadyAccepted,
    #[error("Invite has expired: invite the same email again to send a new invite")]
    Expired,
    #[error("This tenant is deactivated: its invites cannot change")]
    TenantDeactivated,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<UpdateError> for ApiError {
    fn from(error: UpdateError) -> Self {
        match error {
            UpdateError::Unauthenticated(e) => e.into(),
            UpdateError::Invalid(e) => e.into(),
            UpdateError::NotAManager(e) => e.into(),
            e @ UpdateError::NotFound => ApiError::NotFound(e.to_string()),
            e @ UpdateError::OwnerOnly => ApiError::Forbidden(e.to_string()),
            e @ UpdateError::AlreadyAccepted => ApiError::Conflict(e.to_string()),
            e @ UpdateError::Expired => ApiError::Gone(e.to_string()),
            e @ UpdateError::TenantDeactivated => ApiError::TenantDeactivated(e.to_string()),
            UpdateError::Store(e) => e.into(),
        }
    }
}

impl Function for UpdateInvite {
    const NAME: &'static str = "update-invite";
    type Error = UpdateError;

    fn common(&self) -> &Common {
        &self.common
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, UpdateError> {
        let caller = self.common.authenticate(&req).await?;
        let invite_id = parse_invite_id(&req)?;
        let input = parse_update_invite(req.headers(), req.body(), caller.via_cookie)?;
        // An API key whose owner has no current tenant has no invite to change here.
        let tenant = caller.current_tenant_id.ok_or(UpdateError::NotFound)?;
        let store = &self.common.store;
        let longest = chrono::Duration::days(LONGEST_EXPIRY_DAYS);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.common.clock.now();
            let asked = input.groups.clone().unwrap_or_default();
            let managed = store
                .load_managed_invite(tenant, caller.user_id, invite_id, &asked)
                .await?;
            let role = require_manager(managed.caller_role)?;
            let invite = managed
                .invite
                .filter(|invite| invite.tenant_id == tenant)
                .ok_or(UpdateError::NotFound)?;
            // As on create: an admin may not keep an owner's invite alive or regroup it.
            if !role.can_grant(invite.role) {
                return Err(UpdateError::OwnerOnly);
            }
            if managed.tenant.is_some_and(|tenant| tenant.deactivated) {
                return Err(UpdateError::TenantDeactivated);
            }
            match invite.status(now) {
                InviteStatus::Accepted => return Err(UpdateError::AlreadyAccepted),
                InviteStatus::Expired => return Err(UpdateError::Expired),
                InviteStatus::Pending => {}
            }
            let mut issues: Vec<_> = input
                .expires_at
                .and_then(|at| expiry_issue(at, now, longest))
                .into_iter()
                .collect();
            issues.extend(unknown_groups(&asked, &managed.existing_groups));
            if !issues.is_empty() {
                return Err(Invalid(issues).into());
            }
            let changes = InviteChanges {
                expires_at: input.expires_at,
                groups: input.groups.clone(),
            };
            match store.update_invite(&invite, &changes, now).await? {
                Some(updated) => {
                    invites_shared::metrics::count("InvitesUpdated");
                    tracing::info!(invite_id = %updated.id, "invite updated");
                    let body = InviteResponse::new(&updated, &self.links, now);
                    return Ok(json_response(StatusCode::OK, &body));
                }
                // Accepted, expired or deleted meanwhile: read again, which tells.
                None => store::pause_before_retry(attempt).await?,
            }
        }
    }
}
