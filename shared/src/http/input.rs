//! Parsing of requests into typed input. Every problem becomes a pydantic-v2-shaped
//! `ValidationIssue`, all of them reported at once as FastAPI does.

use lambda_http::http::{header, HeaderMap};
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::error::{ApiError, ValidationIssue};
use crate::domain::{
    EmailAddress, InviteId, InviteListQuery, InviteStatus, Role, SortDirection, SortField,
    TenantId, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MIN_PAGE_SIZE,
};

/// Body of `POST /v1/invites`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInviteInput {
    pub tenant_id: TenantId,
    pub email: EmailAddress,
    pub role: Role,
}

/// Query of `GET /v1/invites`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInvitesInput {
    /// `None`: the caller's current tenant.
    pub tenant_id: Option<TenantId>,
    pub query: InviteListQuery,
}

pub fn body_bytes(body: &Body) -> &[u8] {
    match body {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        // `Body` is non-exhaustive upstream; anything new is treated as no body.
        #[allow(unreachable_patterns)]
        _ => &[],
    }
}

/// 413 for bodies over `limit` bytes, checked before anything parses them.
pub fn ensure_body_within(body: &Body, limit: usize) -> Result<(), ApiError> {
    if body_bytes(body).len() > limit {
        Err(ApiError::PayloadTooLarge { limit })
    } else {
        Ok(())
    }
}

fn loc(place: &str, field: &str) -> Vec<Value> {
    vec![json!(place), json!(field)]
}

fn missing(place: &str, field: &str, input: Value) -> ValidationIssue {
    ValidationIssue::new("missing", loc(place, field), "Field required", input)
}

/// A UUID from a JSON value, or the pydantic-shaped issue saying why it is not one.
// The large error only exists on the rejection path, where it is the response body anyway.
#[allow(clippy::result_large_err)]
fn parse_uuid(place: &str, field: &str, raw: &Value) -> Result<Uuid, ValidationIssue> {
    match raw {
        Value::String(text) => Uuid::parse_str(text).map_err(|e| {
            ValidationIssue::new(
                "uuid_parsing",
                loc(place, field),
                format!("Input should be a valid UUID, {e}"),
                raw.clone(),
            )
            .with_ctx(json!({ "error": e.to_string() }))
        }),
        _ => Err(ValidationIssue::new(
            "uuid_type",
            loc(place, field),
            "UUID input should be a string, bytes or UUID object",
            raw.clone(),
        )),
    }
}

fn enum_issue(place: &str, field: &str, expected: &str, raw: Value) -> ValidationIssue {
    ValidationIssue::new(
        "enum",
        loc(place, field),
        format!("Input should be {expected}"),
        raw,
    )
    .with_ctx(json!({ "expected": expected }))
}

/// True for `application/json` and `application/*+json`, with any parameters.
fn is_json_content_type(headers: &HeaderMap) -> Option<bool> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(
        essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub == "json" || sub.ends_with("+json")),
    )
}

/// Character offset of a serde_json error, as Python's `JSONDecodeError.pos` reports it.
fn json_error_position(text: &str, error: &serde_json::Error) -> usize {
    if error.is_eof() {
        return text.chars().count();
    }
    let mut offset = 0;
    for (index, line) in text.split('\n').enumerate() {
        if index + 1 == error.line() {
            let column = error.column().saturating_sub(1).min(line.len());
            let prefix = line.get(..column).unwrap_or(line);
            return offset + prefix.chars().count();
        }
        offset += line.chars().count() + 1;
    }
    text.chars().count()
}

/// The JSON object of a request body, following FastAPI: no `Content-Type` is read as JSON,
/// a non-JSON `Content-Type` leaves the raw text, which no model accepts.
fn json_object(headers: &HeaderMap, body: &Body) -> Result<Map<String, Value>, ApiError> {
    let bytes = body_bytes(body);
    if bytes.is_empty() {
        return Err(ApiError::validation(ValidationIssue::new(
            "missing",
            vec![json!("body")],
            "Field required",
            Value::Null,
        )));
    }
    let not_an_object = |input: Value| {
        ApiError::validation(ValidationIssue::new(
            "model_attributes_type",
            vec![json!("body")],
            "Input should be a valid dictionary or object to extract fields from",
            input,
        ))
    };
    let text = String::from_utf8_lossy(bytes);
    if is_json_content_type(headers) == Some(false) {
        return Err(not_an_object(json!(text)));
    }
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        let position = json_error_position(&text, &e);
        let reason = e.to_string();
        let reason = reason
            .split(" at line ")
            .next()
            .unwrap_or(&reason)
            .to_owned();
        ApiError::validation(
            ValidationIssue::new(
                "json_invalid",
                vec![json!("body"), json!(position)],
                "JSON decode error",
                json!({}),
            )
            .with_ctx(json!({ "error": reason })),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Err(ApiError::validation(ValidationIssue::new(
            "missing",
            vec![json!("body")],
            "Field required",
            Value::Null,
        ))),
        other => Err(not_an_object(other)),
    }
}

/// Parses the create-invite body.
pub fn parse_create_invite(
    headers: &HeaderMap,
    body: &Body,
) -> Result<CreateInviteInput, ApiError> {
    let object = json_object(headers, body)?;
    let whole = Value::Object(object.clone());
    let mut issues = Vec::new();

    let tenant_id = match object.get("tenant_id") {
        None => {
            issues.push(missing("body", "tenant_id", whole.clone()));
            None
        }
        Some(raw) => parse_uuid("body", "tenant_id", raw)
            .map_err(|issue| issues.push(issue))
            .ok(),
    };

    let email = match object.get("email") {
        None => {
            issues.push(missing("body", "email", whole.clone()));
            None
        }
        Some(Value::String(raw)) => match EmailAddress::parse(raw) {
            Ok(email) => Some(email),
            Err(reason) => {
                issues.push(
                    ValidationIssue::new(
                        "value_error",
                        loc("body", "email"),
                        format!("value is not a valid email address: {reason}"),
                        json!(raw),
                    )
                    .with_ctx(json!({ "reason": reason.to_string() })),
                );
                None
            }
        },
        Some(other) => {
            issues.push(ValidationIssue::new(
                "string_type",
                loc("body", "email"),
                "Input should be a valid string",
                other.clone(),
            ));
            None
        }
    };

    let role = match object.get("role") {
        None => Some(Role::default()),
        Some(raw) => match raw.as_str().and_then(Role::parse) {
            Some(role) => Some(role),
            None => {
                issues.push(enum_issue("body", "role", Role::EXPECTED, raw.clone()));
                None
            }
        },
    };

    match (tenant_id, email, role) {
        (Some(tenant_id), Some(email), Some(role)) if issues.is_empty() => Ok(CreateInviteInput {
            tenant_id: tenant_id.into(),
            email,
            role,
        }),
        _ => Err(ApiError::Validation(issues)),
    }
}

/// The last value of each query parameter (Starlette's rule for repeated names).
fn query_pairs(query: Option<&str>) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Parses an integer query parameter bounded below by `min` and, if given, above by `max`.
fn bounded_int(
    params: &std::collections::HashMap<String, String>,
    name: &str,
    default: u64,
    min: u64,
    max: Option<u64>,
    issues: &mut Vec<ValidationIssue>,
) -> u64 {
    let Some(raw) = params.get(name) else {
        return default;
    };
    let trimmed = raw.trim();
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        issues.push(ValidationIssue::new(
            "int_parsing",
            loc("query", name),
            "Input should be a valid integer, unable to parse string as an integer",
            json!(raw),
        ));
        return default;
    }
    let negative = trimmed.starts_with('-') && digits.bytes().any(|b| b != b'0');
    // Digits beyond u64 are simply "very large": the bound check below answers them.
    let value = if negative {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    if negative || value < min {
        issues.push(
            ValidationIssue::new(
                "greater_than_equal",
                loc("query", name),
                format!("Input should be greater than or equal to {min}"),
                json!(raw),
            )
            .with_ctx(json!({ "ge": min })),
        );
        return default;
    }
    if let Some(max) = max.filter(|max| value > *max) {
        issues.push(
            ValidationIssue::new(
                "less_than_equal",
                loc("query", name),
                format!("Input should be less than or equal to {max}"),
                json!(raw),
            )
            .with_ctx(json!({ "le": max })),
        );
        return default;
    }
    value
}

/// Parses the list-invites query string; unknown parameters are ignored, as FastAPI does.
pub fn parse_list_invites(query: Option<&str>) -> Result<ListInvitesInput, ApiError> {
    let params = query_pairs(query);
    let mut issues = Vec::new();

    let email_contains = params
        .get("email")
        .map(|raw| raw.trim().to_lowercase())
        .filter(|needle| !needle.is_empty());
    let status = params.get("status").and_then(|raw| {
        let parsed = InviteStatus::parse(raw);
        if parsed.is_none() {
            issues.push(enum_issue(
                "query",
                "status",
                InviteStatus::EXPECTED,
                json!(raw),
            ));
        }
        parsed
    });
    let limit = bounded_int(
        &params,
        "limit",
        DEFAULT_PAGE_SIZE.into(),
        MIN_PAGE_SIZE.into(),
        Some(MAX_PAGE_SIZE.into()),
        &mut issues,
    );
    let offset = bounded_int(&params, "offset", 0, 0, None, &mut issues);
    let sort_by = match params.get("sort_by") {
        None => SortField::CreatedAt,
        Some(raw) => SortField::parse(raw).unwrap_or_else(|| {
            issues.push(enum_issue(
                "query",
                "sort_by",
                SortField::EXPECTED,
                json!(raw),
            ));
            SortField::CreatedAt
        }),
    };
    let sort_dir = match params.get("sort_dir") {
        None => SortDirection::Ascending,
        Some(raw) => SortDirection::parse(raw).unwrap_or_else(|| {
            issues.push(enum_issue(
                "query",
                "sort_dir",
                SortDirection::EXPECTED,
                json!(raw),
            ));
            SortDirection::Ascending
        }),
    };
    let tenant_id = params.get("tenant_id").and_then(|raw| {
        parse_uuid("query", "tenant_id", &json!(raw))
            .map(TenantId::from)
            .map_err(|issue| issues.push(issue))
            .ok()
    });

    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    Ok(ListInvitesInput {
        tenant_id,
        query: InviteListQuery {
            email_contains,
            status,
            limit: u32::try_from(limit).unwrap_or(MAX_PAGE_SIZE),
            offset,
            sort_by,
            sort_dir,
        },
    })
}

/// The `{invite_id}` path parameter: from API Gateway's path parameters, else from the path
/// itself (`/v1/invites/{invite_id}[/accept]`), as under Function URLs or the local server.
pub fn parse_invite_id(req: &Request) -> Result<InviteId, ApiError> {
    let from_gateway = req
        .path_parameters_ref()
        .and_then(|params| params.first("invite_id").map(str::to_owned));
    let raw = from_gateway.unwrap_or_else(|| invite_id_segment(req.uri().path()));
    parse_uuid("path", "invite_id", &json!(raw))
        .map(InviteId::from)
        .map_err(ApiError::validation)
}

fn invite_id_segment(path: &str) -> String {
    let segment = path
        .trim_start_matches('/')
        .split('/')
        .nth(2)
        .unwrap_or_default();
    percent_decode(segment)
}

fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers
    }

    fn issues(result: Result<impl std::fmt::Debug, ApiError>) -> Vec<ValidationIssue> {
        match result {
            Err(ApiError::Validation(issues)) => issues,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn create_body_is_parsed_and_normalised() {
        let body = Body::from(
            r#"{"tenant_id":"9b2f0c1e-9d0a-4b6e-8f5c-2f7a1d3c4b5a","email":" Bob@Example.com ","role":"ADMIN"}"#,
        );
        let input = parse_create_invite(&json_headers(), &body).unwrap();
        assert_eq!(input.email.as_str(), "bob@example.com");
        assert_eq!(input.role, Role::Admin);
    }

    #[test]
    fn every_body_problem_is_reported() {
        let body = Body::from(r#"{"tenant_id":"nope","email":5,"role":"admin"}"#);
        let found = issues(parse_create_invite(&json_headers(), &body));
        let kinds: Vec<_> = found.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, ["uuid_parsing", "string_type", "enum"]);
        assert_eq!(found[0].loc, vec![json!("body"), json!("tenant_id")]);
    }

    #[test]
    fn malformed_json_reports_the_position() {
        let found = issues(parse_create_invite(
            &json_headers(),
            &Body::from("{\"a\": }"),
        ));
        assert_eq!(found[0].kind, "json_invalid");
        assert_eq!(found[0].loc, vec![json!("body"), json!(6)]);
        let found = issues(parse_create_invite(
            &json_headers(),
            &Body::from("{\"a\": "),
        ));
        assert_eq!(found[0].loc, vec![json!("body"), json!(6)]);
    }

    #[test]
    fn non_json_content_type_is_not_an_object() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let found = issues(parse_create_invite(&headers, &Body::from("{}")));
        assert_eq!(found[0].kind, "model_attributes_type");
    }

    #[test]
    fn list_query_bounds() {
        for (query, kind) in [
            ("limit=0", "greater_than_equal"),
            ("limit=101", "less_than_equal"),
            ("limit=abc", "int_parsing"),
            ("limit=1.5", "int_parsing"),
            ("offset=-1", "greater_than_equal"),
            ("status=done", "enum"),
            ("sort_by=email", "enum"),
            ("sort_dir=up", "enum"),
            ("tenant_id=42", "uuid_parsing"),
            ("limit=999999999999999999999999", "less_than_equal"),
        ] {
            assert_eq!(
                issues(parse_list_invites(Some(query)))[0].kind,
                kind,
                "{query}"
            );
        }
    }

    #[test]
    fn list_query_defaults_and_last_value_wins() {
        let input = parse_list_invites(Some(
            "limit=5&limit=7&SORT=x&sort_by=EXPIRES_AT&sort_dir=DESC",
        ))
        .unwrap();
        assert_eq!(input.query.limit, 7);
        assert_eq!(input.query.sort_by, SortField::ExpiresAt);
        assert_eq!(input.query.sort_dir, SortDirection::Descending);
        let input = parse_list_invites(None).unwrap();
        assert_eq!(input.query.limit, 20);
        assert_eq!(input.query.offset, 0);
        assert_eq!(input.tenant_id, None);
    }

    #[test]
    fn invite_id_comes_from_the_path_when_gateway_gives_none() {
        let id = Uuid::new_v4();
        let req = lambda_http::http::Request::builder()
            .uri(format!("/v1/invites/{id}/accept"))
            .body(Body::Empty)
            .unwrap();
        assert_eq!(parse_invite_id(&req).unwrap().as_uuid(), id);
        let req = lambda_http::http::Request::builder()
            .uri("/v1/invites/not-a-uuid")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(issues(parse_invite_id(&req))[0].kind, "uuid_parsing");
    }
}
