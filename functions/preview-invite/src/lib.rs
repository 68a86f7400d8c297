//! `GET /v1/invites/{invite_id}/preview`: what an invitee sees before signing in.
//!
//! Unauthenticated: the invite id in the emailed link is the only credential (122 random
//! bits). So the answer holds only what the invitation email already told its reader (the
//! tenant's name, the role, who invited them, until when, and the address it went to) and
//! nothing for an id that names no invite. Each client address gets a bounded number of
//! previews per minute (a conditional write), on top of the route's throttle in API Gateway.

use invites_shared::aws;
use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::domain::{Clock, DeliveryStatus, InviteStatus, Role, Timestamp, UserId};
use invites_shared::http::{json_response, parse_invite_id, ApiError, Invalid};
use invites_shared::runtime::Function;
use invites_shared::state::{Common, StartupError};
use invites_shared::store::{InvitePreview, StoreError};
use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

/// Previews one client address may ask for per minute, by default.
pub const DEFAULT_PREVIEWS_PER_MINUTE: u32 = 30;

/// What preview-invite reads from its environment: no token key (it verifies none).
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub previews_per_minute: u32,
}

impl FunctionSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        let previews_per_minute = env.number("PREVIEWS_PER_MINUTE", DEFAULT_PREVIEWS_PER_MINUTE)?;
        if previews_per_minute == 0 {
            return Err(ConfigError::Invalid {
                name: "PREVIEWS_PER_MINUTE",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            common: CommonSettings::read_unauthenticated(env)?,
            previews_per_minute,
        })
    }
}

/// The function's state, built once per process.
pub struct PreviewInvite {
    common: Common,
    previews_per_minute: u32,
}

impl PreviewInvite {
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
            previews_per_minute: settings.previews_per_minute,
        })
    }
}

/// Everything preview-invite can answer other than 200.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("Too many invite previews from this address; wait a minute and try again")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PreviewError> for ApiError {
    fn from(error: PreviewError) -> Self {
        match error {
            PreviewError::Invalid(e) => e.into(),
            e @ PreviewError::TooMany => ApiError::TooManyRequests(e.to_string()),
            PreviewError::Store(e) => e.into(),
        }
    }
}

/// `InvitePreviewState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PreviewState {
    Valid,
    Expired,
    Accepted,
    NotFound,
    TenantUnavailable,
}

/// `UserInfo`: a display name only, never the inviter's email.
#[derive(Debug, Serialize)]
pub struct InviterInfo {
    user_id: UserId,
    first_name: Option<String>,
    last_name: Option<String>,
}

/// `InvitePreviewResponse`: fields other than `state` only where the state needs them.
#[derive(Debug, Serialize)]
pub struct InvitePreviewResponse {
    state: PreviewState,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invited_by: Option<InviterInfo>,
    /// Whether the invitation email arrived, as SES last said (its status only).
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_status: Option<DeliveryStatus>,
}

impl InvitePreviewResponse {
    fn only(state: PreviewState) -> Self {
        Self {
            state,
            email: None,
            tenant_name: None,
            role: None,
            expires_at: None,
            invited_by: None,
            delivery_status: None,
        }
    }

    /// Valid and expired invites show what the email said (an expired one, so that its reader
    /// knows whom to ask for a new one); an accepted one only where to sign in, and as whom.
    pub fn of(preview: InvitePreview, now: Timestamp) -> Self {
        let Some(invite) = preview.invite else {
            return Self::only(PreviewState::NotFound);
        };
        let Some(tenant) = preview.tenant.filter(|tenant| !tenant.deactivated) else {
            return Self::only(PreviewState::TenantUnavailable);
        };
        let state = match invite.status(now) {
            InviteStatus::Pending => PreviewState::Valid,
            InviteStatus::Expired => PreviewState::Expired,
            InviteStatus::Accepted => {
                return Self {
                    email: Some(invite.email.to_string()),
                    tenant_name: Some(tenant.name),
                    ..Self::only(PreviewState::Accepted)
                }
            }
        };
        let inviter = preview
            .inviter
            .filter(|user| user.id == invite.invited_by_user_id);
        Self {
            state,
            email: Some(invite.email.to_string()),
            tenant_name: Some(tenant.name),
            role: Some(invite.role),
            expires_at: Some(invite.expires_at),
            invited_by: Some(InviterInfo {
                user_id: invite.invited_by_user_id,
                first_name: inviter.as_ref().and_then(|user| user.first_name.clone()),
                last_name: inviter.and_then(|user| user.last_name),
            }),
            delivery_status: invite.delivery.as_ref().map(|delivery| delivery.status),
        }
    }
}

/// The caller's address as API Gateway saw it (the TCP peer locally), as the rate window
/// counts it: an IPv6 client is its /64, which one subscriber typically holds whole.
fn client_address(req: &Request) -> String {
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.as_deref(),
        _ => None,
    };
    match source_ip.map(str::parse::<std::net::IpAddr>) {
        Some(Ok(std::net::IpAddr::V6(v6))) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(Ok(v4)) => v4.to_string(),
        _ => "unknown".to_owned(),
    }
}

impl Function for PreviewInvite {
    const NAME: &'static str = "preview-invite";
    type Error = PreviewError;

    fn common(&self) -> &Common {
        &self.common
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, PreviewError> {
        let invite_id = parse_invite_id(&req)?;
        let store = &self.common.store;
        let now = self.common.clock.now();
        let address = client_address(&req);
        let (allowed, preview) = tokio::join!(
            store.take_rate_slot("preview", &address, self.previews_per_minute, 60, now),
            store.load_preview(invite_id),
        );
        if !allowed? {
            return Err(PreviewError::TooMany);
        }
        let body = InvitePreviewResponse::of(preview?, now);
        Ok(json_response(StatusCode::OK, &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;

    fn from(address: &str) -> String {
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http.source_ip = Some(address.to_owned());
        let req = Request::default().with_request_context(RequestContext::ApiGatewayV2(context));
        client_address(&req)
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        assert_eq!(from("2001:db8:1:2:aaaa::1"), from("2001:db8:1:2:bbbb::9"));
        assert_ne!(from("2001:db8:1:2::1"), from("2001:db8:1:3::1"));
        assert_eq!(from("203.0.113.7"), "203.0.113.7");
        assert_eq!(from("not an address"), "unknown");
    }
}
