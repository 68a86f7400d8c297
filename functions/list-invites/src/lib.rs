//! `GET /v1/invites`: a page of a tenant's invites, with `total`.
//!
//! `input` parses the query; the store reads the page off the index of the requested order
//! and takes `total` from the tenant's counters (see `invites_shared::store` for the costs).

pub mod input;

use invites_shared::auth::{require_manager, AuthError, NotAManager};
use invites_shared::aws;
use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::domain::{Clock, InviteListQuery, ListCursor};
use invites_shared::http::{json_response, ApiError, Invalid};
use invites_shared::runtime::Function;
use invites_shared::state::{Common, StartupError};
use invites_shared::store::StoreError;
use invites_shared::view::{InviteLinks, InviteResponse};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use input::parse_list_invites;

/// What list-invites reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub links: InviteLinks,
}

impl FunctionSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonSettings::read(env)?,
            links: InviteLinks::read(env)?,
        })
    }
}

/// The function's state, built once per process.
pub struct ListInvites {
    common: Common,
    links: InviteLinks,
}

impl ListInvites {
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

/// Everything list-invites can answer other than 200.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Unauthenticated(#[from] AuthError),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    NotAManager(#[from] NotAManager),
    #[error("This API key's user has no current tenant: pass tenant_id")]
    NoCurrentTenant,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ListError> for ApiError {
    fn from(error: ListError) -> Self {
        match error {
            ListError::Unauthenticated(e) => e.into(),
            ListError::Invalid(e) => e.into(),
            ListError::NotAManager(e) => e.into(),
            e @ ListError::NoCurrentTenant => ApiError::BadRequest(e.to_string()),
            ListError::Store(e) => e.into(),
        }
    }
}

/// `PaginatedResponseInviteResponse`.
#[derive(Serialize)]
struct InvitePageResponse {
    items: Vec<InviteResponse>,
    total: u64,
    limit: u32,
    offset: u64,
    /// Pass as `cursor` for the next page (same query, no offset): it costs what the page
    /// costs, however deep. Null when the page is not full. Clients that page by `offset`
    /// ignore it.
    next_cursor: Option<String>,
}

/// The next page's cursor, for the queries a cursor serves (see `input::resume_key`).
fn cursor_after(query: &InviteListQuery, last_key: Option<String>) -> Option<String> {
    last_key
        .filter(|_| query.resumable())
        .map(|key| ListCursor::after(query, key).encode())
}

impl Function for ListInvites {
    const NAME: &'static str = "list-invites";
    type Error = ListError;

    fn common(&self) -> &Common {
        &self.common
    }

    async fn handle(&self, req: Request) -> Result<Response<Body>, ListError> {
        let caller = self.common.authenticate(&req).await?;
        let input = parse_list_invites(req.uri().query())?;
        let tenant = input
            .tenant_id
            .or(caller.current_tenant_id)
            .ok_or(ListError::NoCurrentTenant)?;
        let store = &self.common.store;
        let (role, counts) = store.load_role_and_counts(tenant, caller.user_id).await?;
        require_manager(role)?;
        let now = self.common.clock.now();
        let page = store
            .list_invites(tenant, &input.query, counts, now)
            .await?;
        let body = InvitePageResponse {
            items: page
                .items
                .iter()
                .map(|invite| InviteResponse::new(invite, &self.links, now))
                .collect(),
            total: page.total,
            limit: input.query.limit,
            offset: input.query.offset,
            next_cursor: cursor_after(&input.query, page.last_key),
        };
        Ok(json_response(StatusCode::OK, &body))
    }
}
