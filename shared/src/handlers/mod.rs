//! The four endpoints. The Lambda mains, the local server and the tests all call these.

mod accept;
mod create;
mod delete;
mod list;

use std::time::Instant;

use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use tracing::Instrument;

use crate::config::Config;
use crate::domain::{EmailId, Invite, InviteId, InviteStatus, Role, TenantId, Timestamp, UserId};
use crate::http::{ensure_body_within, ApiError};
use crate::metrics;
use crate::state::AppState;

/// The endpoints of the API; each is deployed as its own Lambda function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    CreateInvite,
    ListInvites,
    AcceptInvite,
    DeleteInvite,
}

/// Handles one request for `endpoint`: never fails, errors become their HTTP answers.
pub async fn handle(endpoint: Endpoint, state: &AppState, req: Request) -> Response<Body> {
    let request_id = req
        .lambda_context_ref()
        .map(|context| context.request_id.clone())
        .unwrap_or_default();
    let span = tracing::info_span!("request", request_id = %request_id, endpoint = ?endpoint);
    async move {
        let started = Instant::now();
        let (result, usage) = metrics::measure(async {
            ensure_body_within(req.body(), state.config.max_body_bytes)?;
            match endpoint {
                Endpoint::CreateInvite => create::create_invite(state, req).await,
                Endpoint::ListInvites => list::list_invites(state, req).await,
                Endpoint::AcceptInvite => accept::accept_invite(state, req).await,
                Endpoint::DeleteInvite => delete::delete_invite(state, req).await,
            }
        })
        .await;
        let response = result.unwrap_or_else(ApiError::into_response);
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            dependency_us = usage.dependency_time.as_micros() as u64,
            aws_calls = usage.aws_calls,
            read_units = usage.read_units,
            write_units = usage.write_units,
            "request handled"
        );
        response
    }
    .instrument(span)
    .await
}

/// How often a request re-reads and tries again when a concurrent one changed its items.
const ATTEMPTS: usize = 5;

const NOT_A_MANAGER: &str = "Only admins and owners of this tenant can manage its invites";

/// The caller's role, if it lets them manage the tenant's invites.
fn require_manager(role: Option<Role>) -> Result<Role, ApiError> {
    role.filter(|role| role.can_manage_invites())
        .ok_or(ApiError::Forbidden(NOT_A_MANAGER))
}

/// `InviteResponse` of the contract, plus `status` and `invited_by_user_id`.
#[derive(Debug, Serialize)]
pub struct InviteResponse {
    pub id: InviteId,
    pub tenant_id: TenantId,
    pub email: String,
    pub role: Role,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub invite_link: String,
    pub email_id: Option<EmailId>,
    pub status: InviteStatus,
    pub invited_by_user_id: UserId,
}

impl InviteResponse {
    pub fn new(invite: &Invite, config: &Config, now: Timestamp) -> Self {
        Self {
            id: invite.id,
            tenant_id: invite.tenant_id,
            email: invite.email.to_string(),
            role: invite.role,
            expires_at: invite.expires_at,
            accepted_at: invite.accepted_at,
            created_at: invite.created_at,
            updated_at: invite.updated_at,
            invite_link: config.invite_link(&invite.id),
            email_id: invite.email_id,
            status: invite.status(now),
            invited_by_user_id: invite.invited_by_user_id,
        }
    }
}
