//! `POST /v1/invites/{invite_id}/accept`: the invitee joins the tenant.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::ATTEMPTS;
use crate::domain::{Invite, InviteStatus, Role, TenantId};
use crate::http::{json_response, parse_invite_id, ApiError};
use crate::state::AppState;
use crate::store::{AcceptOutcome, StoreError};

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

pub async fn accept_invite(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.verifier.authenticate(req.headers())?;
    let invite_id = parse_invite_id(&req)?;
    for _ in 0..ATTEMPTS {
        let now = state.clock.now();
        let invite = state
            .store
            .get_invite(invite_id)
            .await?
            .ok_or(ApiError::NotFound("Invite not found"))?;
        if invite.email != caller.email {
            return Err(ApiError::Forbidden(
                "This invite was sent to a different email address",
            ));
        }
        match invite.status(now) {
            // A retry by the user who accepted gets the same answer again.
            InviteStatus::Accepted if invite.accepted_by_user_id == Some(caller.user_id) => {
                return Ok(accepted(&invite))
            }
            InviteStatus::Accepted => {
                return Err(ApiError::Conflict("Invite has already been accepted"))
            }
            InviteStatus::Expired => return Err(ApiError::Gone("Invite has expired")),
            InviteStatus::Pending => {}
        }
        match state
            .store
            .accept_invite(&invite, caller.user_id, now)
            .await?
        {
            AcceptOutcome::Accepted => {
                tracing::info!(invite_id = %invite.id, tenant_id = %invite.tenant_id, "invite accepted");
                return Ok(accepted(&invite));
            }
            AcceptOutcome::AlreadyMember => {
                return Err(ApiError::Conflict(
                    "You are already a member of this tenant",
                ))
            }
            AcceptOutcome::Changed => continue,
        }
    }
    Err(StoreError::Contended.into())
}
