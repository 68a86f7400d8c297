//! Request validation every endpoint shares: body limits, FastAPI-shaped issues, JSON bodies,
//! UUIDs. Each problem becomes a pydantic-v2-shaped `ValidationIssue`, all of them reported at
//! once as FastAPI does; each function parses its own body or query with these.

use lambda_http::http::{header, HeaderMap};
use lambda_http::{Body, Request, RequestExt};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::error::{ApiError, Invalid, ValidationIssue};
use crate::domain::InviteId;

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

pub fn loc(place: &str, field: &str) -> Vec<Value> {
    vec![json!(place), json!(field)]
}

pub fn missing(place: &str, field: &str, input: Value) -> ValidationIssue {
    ValidationIssue::new("missing", loc(place, field), "Field required", input)
}

/// A UUID from a JSON value, or the pydantic-shaped issue saying why it is not one.
// The large error only exists on the rejection path, where it is the response body anyway.
#[allow(clippy::result_large_err)]
pub fn parse_uuid(place: &str, field: &str, raw: &Value) -> Result<Uuid, ValidationIssue> {
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

pub fn enum_issue(place: &str, field: &str, expected: &str, raw: Value) -> ValidationIssue {
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

/// The JSON object of a request body, following FastAPI: no `Content-Type` is read as JSON
/// (unless `require_json_type`), a non-JSON `Content-Type` leaves the raw text, which no model
/// accepts.
pub fn json_object(
    headers: &HeaderMap,
    body: &Body,
    require_json_type: bool,
) -> Result<Map<String, Value>, Invalid> {
    let bytes = body_bytes(body);
    if bytes.is_empty() {
        return Err(Invalid::from(ValidationIssue::new(
            "missing",
            vec![json!("body")],
            "Field required",
            Value::Null,
        )));
    }
    let not_an_object = |input: Value| {
        Invalid::from(ValidationIssue::new(
            "model_attributes_type",
            vec![json!("body")],
            "Input should be a valid dictionary or object to extract fields from",
            input,
        ))
    };
    let text = String::from_utf8_lossy(bytes);
    let is_json = is_json_content_type(headers).unwrap_or(!require_json_type);
    if !is_json {
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
        Invalid::from(
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
        Value::Null => Err(Invalid::from(ValidationIssue::new(
            "missing",
            vec![json!("body")],
            "Field required",
            Value::Null,
        ))),
        other => Err(not_an_object(other)),
    }
}

/// The `{invite_id}` path parameter, as API Gateway (and the local server) pass it.
pub fn parse_invite_id(req: &Request) -> Result<InviteId, Invalid> {
    let raw = req
        .path_parameters_ref()
        .and_then(|params| params.first("invite_id"));
    let Some(raw) = raw else {
        return Err(Invalid::from(missing("path", "invite_id", Value::Null)));
    };
    parse_uuid("path", "invite_id", &json!(raw))
        .map(InviteId::from)
        .map_err(Invalid::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn issues(result: Result<impl std::fmt::Debug, Invalid>) -> Vec<ValidationIssue> {
        result.expect_err("expected a validation error").0
    }

    fn request(invite_id: Option<&str>) -> Request {
        let req = lambda_http::http::Request::builder()
            .uri("/v1/invites/x/accept")
            .body(Body::Empty)
            .unwrap();
        match invite_id {
            Some(id) => {
                req.with_path_parameters(HashMap::from([("invite_id".to_owned(), id.to_owned())]))
            }
            None => req,
        }
    }

    #[test]
    fn invite_id_comes_from_the_path_parameters() {
        let id = Uuid::new_v4();
        assert_eq!(
            parse_invite_id(&request(Some(&id.to_string())))
                .unwrap()
                .as_uuid(),
            id
        );
        assert_eq!(
            issues(parse_invite_id(&request(Some("not-a-uuid"))))[0].kind,
            "uuid_parsing"
        );
        assert_eq!(issues(parse_invite_id(&request(None)))[0].kind, "missing");
    }

    #[test]
    fn malformed_json_reports_the_position() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let found = issues(json_object(&headers, &Body::from("{\"a\": }"), false));
        assert_eq!(found[0].kind, "json_invalid");
        assert_eq!(found[0].loc, vec![json!("body"), json!(6)]);
        let found = issues(json_object(&headers, &Body::from("{\"a\": "), false));
        assert_eq!(found[0].loc, vec![json!("body"), json!(6)]);
    }

    #[test]
    fn non_json_content_type_is_not_an_object() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        let found = issues(json_object(&headers, &Body::from("{}"), false));
        assert_eq!(found[0].kind, "model_attributes_type");
    }
}
