//! `DELETE /v1/invites/{invite_id}`: hard-deletes an invite of the caller's current tenant.

use lambda_http::{Body, Request, Response};

use super::{require_manager, ATTEMPTS};
use crate::http::{no_content, parse_invite_id, ApiError};
use crate::state::AppState;
use crate::store::{DeleteOutcome, StoreError};

pub async fn delete_invite(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.verifier.authenticate(req.headers())?;
    let invite_id = parse_invite_id(&req)?;
    let tenant = caller.current_tenant_id;
    for _ in 0..ATTEMPTS {
        let (role, invite) = state
            .store
            .load_role_and_invite(tenant, caller.user_id, invite_id)
            .await?;
        require_manager(role)?;
        // Another tenant's invite is answered exactly like a missing one.
        let invite = invite
            .filter(|invite| invite.tenant_id == tenant)
            .ok_or(ApiError::NotFound("Invite not found"))?;
        match state
            .store
            .delete_invite(&invite, state.clock.now())
            .await?
        {
            DeleteOutcome::Deleted => {
                tracing::info!(invite_id = %invite.id, "invite deleted");
                return Ok(no_content());
            }
            DeleteOutcome::Changed => continue,
        }
    }
    Err(StoreError::Contended.into())
}
