//! `DELETE /v1/invites/{invite_id}`: hard-deletes an invite of the caller's current tenant.
//!
//! Another tenant's invite is answered exactly like a missing one (404), so invite ids of
//! other tenants cannot be probed. The tenant's counters and pending slot follow the invite
//! in the same transaction.

use invites_shared::auth::{require_manager, AuthError, NotAManager};
use invites_shared::aws;
use invites_shared::config::{self, CommonSettings};
use invites_shared::domain::Clock;
use invites_shared::http::{no_content, parse_invite_id, ApiError, Invalid};
use invites_shared::runtime::Function;
use invites_shared::state::{Common, StartupError};
use invites_shared::store::{self, DeleteOutcome, StoreError};
use lambda_http::{Body, Request, Response};

/// What this function reads from its environment: only what every function reads.
pub type Settings = CommonSettings;

/// The function's state, built once per process.
pub struct DeleteInvite {
    common: Common,
}

impl DeleteInvite {
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
            common: Common::new(&settings, dynamodb, clock)?,
        })
    }
}

/// Everything delete-invite can answer other than 204.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    NotAManager(#[from] NotAManager),
    #[error("Invite not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DeleteError> for ApiError {
    fn from(error: DeleteError) -> Self {
        match error {
            DeleteError::Unauthenticated(e) => e.into(),
            DeleteError::Invalid(e) => e.into(),
            DeleteError::NotAManager(e) => e.into(),
            e @ DeleteError::NotFound => ApiError::NotFound(e.to_string()),
            DeleteError::Store(e) => e.into(),
        }
    }
}

impl Function for DeleteInvite {
    const NAME: &'static str = "delete-invite";
    type Error = DeleteError;

    fn common(&self) -> &Common {
        &self.common
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, DeleteError> {
        let caller = self.common.authenticate(&req).await?;
        let invite_id = parse_invite_id(&req)?;
        // An API key whose owner has no current tenant has no invite to delete here.
        let tenant = caller.current_tenant_id.ok_or(DeleteError::NotFound)?;
        let store = &self.common.store;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (role, invite) = store
                .load_role_and_invite(tenant, caller.user_id, invite_id)
                .await?;
            require_manager(role)?;
            let invite = invite
                .filter(|invite| invite.tenant_id == tenant)
                .ok_or(DeleteError::NotFound)?;
            match store
                .delete_invite(&invite, self.common.clock.now())
                .await?
            {
                DeleteOutcome::Deleted => {
                    invites_shared::metrics::count("InvitesDeleted");
                    tracing::info!(invite_id = %invite.id, "invite deleted");
                    return Ok(no_content());
                }
                // Changed or vanished meanwhile: read it again.
                DeleteOutcome::Changed => store::pause_before_retry(attempt).await?,
            }
        }
    }
}
