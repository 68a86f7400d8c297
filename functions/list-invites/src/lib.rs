//! `GET /v1/invites`: a page of a tenant's invites, with `total`.
//!
//! `input` parses the query; the store reads the page off the index of the requested order
//! and takes `total` from the tenant's counters (see `invites_shared::store` for the costs).

pub mod input;

use invites_shared::auth::{require_manager, AuthError, NotAManager};
use invites_shared::aws;
use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::domain::{Clock, InviteListQuery, ListCursor, TimeRange};
use invites_shared::http::{json_response, loc, ApiError, Invalid, ValidationIssue};
use invites_shared::runtime::Function;
use invites_shared::state::{Common, StartupError};
use invites_shared::store::{FilterTooBroad, ListFailure, SkipPoints, StoreError, MAX_EXAMINED};
use invites_shared::view::{InviteLinks, InviteResponse};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;

use input::parse_list_invites;

/// What list-invites reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub links: InviteLinks,
    /// The most invites a filtered list reads per request (`LIST_MAX_EXAMINED`).
    pub max_examined: usize,
    /// `SKIP_POINTS`: `on` (the default) or `off`.
    pub skip_points: SkipPoints,
}

impl FunctionSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        let max_examined = env.number("LIST_MAX_EXAMINED", MAX_EXAMINED)?;
        if !(1..=100_000).contains(&max_examined) {
            return Err(ConfigError::Invalid {
                name: "LIST_MAX_EXAMINED",
                reason: "must be between 1 and 100000".into(),
            });
        }
        let skip_points = env.choice(
            "SKIP_POINTS",
            SkipPoints::On,
            &[("on", SkipPoints::On), ("off", SkipPoints::Off)],
        )?;
        Ok(Self {
            common: CommonSettings::read(env)?,
            links: InviteLinks::read(env)?,
            max_examined,
            skip_points,
        })
    }
}

/// The function's state, built once per process.
pub struct ListInvites {
    common: Common,
    links: InviteLinks,
    max_examined: usize,
    skip_points: SkipPoints,
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
            max_examined: settings.max_examined,
            skip_points: settings.skip_points,
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
    #[error("the filter's scope is too large to read in one request")]
    TooBroad(ValidationIssue),
}

impl From<ListError> for ApiError {
    fn from(error: ListError) -> Self {
        match error {
            ListError::Unauthenticated(e) => e.into(),
            ListError::Invalid(e) => e.into(),
            ListError::NotAManager(e) => e.into(),
            e @ ListError::NoCurrentTenant => ApiError::BadRequest(e.to_string()),
            ListError::Store(e) => e.into(),
            ListError::TooBroad(issue) => ApiError::Validation(vec![issue]),
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

/// The 422 for a filtered list whose scope holds more invites than one request reads, on
/// the first filter that made it a scan, with the ways to narrow it.
fn too_broad_issue(query: &InviteListQuery, too_broad: FilterTooBroad) -> ValidationIssue {
    let range_field = |range: &TimeRange, after: &'static str, before: &'static str| {
        let at = range.after.or(range.before)?;
        let name = if range.after.is_some() { after } else { before };
        Some((name, json!(at.to_rfc3339())))
    };
    let (field, input) = None
        .or_else(|| query.delivery.map(|d| ("delivery", json!(d.as_str()))))
        .or_else(|| query.email_contains.as_ref().map(|e| ("email", json!(e))))
        .or_else(|| query.role.map(|role| ("role", json!(role.as_str()))))
        .or_else(|| {
            query
                .invited_by
                .map(|user| ("invited_by", json!(user.to_string())))
        })
        .or_else(|| range_field(&query.created, "created_after", "created_before"))
        .or_else(|| range_field(&query.updated, "updated_after", "updated_before"))
        .unwrap_or(("status", json!(null)));
    let scope = match too_broad.in_scope {
        Some(count) => format!("{count} invites"),
        None => format!("more than {} invites", too_broad.max_examined),
    };
    let max = too_broad.max_examined;
    let msg = if too_broad.date_range {
        format!(
            "Value error, the invites in this date range are read to count them, at most {max} \
             per request, and it holds more than {max}: narrow the range, or add status."
        )
    } else {
        format!(
            "Value error, this filter is answered by reading every invite it could match, at \
             most {max} per request, and here that is {scope}. Narrow it with status, or with \
             created_after/created_before and sort_by=created_at (or updated_after/\
             updated_before and sort_by=updated_at): those are read as a range, not examined \
             one by one."
        )
    };
    ValidationIssue::new("value_error", loc("query", field), msg, input)
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
        let context = store
            .load_list_context(tenant, caller.user_id, &input.query, self.skip_points)
            .await?;
        require_manager(context.role)?;
        let now = self.common.clock.now();
        let page = store
            .list_invites(tenant, &input.query, &context, now, self.max_examined)
            .await
            .map_err(|failure| match failure {
                ListFailure::Store(error) => ListError::Store(error),
                ListFailure::TooBroad(too_broad) => {
                    ListError::TooBroad(too_broad_issue(&input.query, too_broad))
                }
            })?;
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
