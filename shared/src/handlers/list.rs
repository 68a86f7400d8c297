//! `GET /v1/invites`: a page of a tenant's invites.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::{require_manager, InviteResponse};
use crate::http::{json_response, parse_list_invites, ApiError};
use crate::state::AppState;

#[derive(Serialize)]
struct InvitePageResponse {
    items: Vec<InviteResponse>,
    total: u64,
    limit: u32,
    offset: u64,
}

pub async fn list_invites(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = state.verifier.authenticate(req.headers())?;
    let input = parse_list_invites(req.uri().query())?;
    let tenant = input.tenant_id.unwrap_or(caller.current_tenant_id);
    let (role, counts) = state
        .store
        .load_role_and_counts(tenant, caller.user_id)
        .await?;
    require_manager(role)?;
    let now = state.clock.now();
    let page = state
        .store
        .list_invites(tenant, &input.query, counts, now)
        .await?;
    let body = InvitePageResponse {
        items: page
            .items
            .iter()
            .map(|invite| InviteResponse::new(invite, &state.config, now))
            .collect(),
        total: page.total,
        limit: input.query.limit,
        offset: input.query.offset,
    };
    Ok(json_response(StatusCode::OK, &body))
}
