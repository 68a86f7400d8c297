//! The body of `POST /v1/invites`, parsed into typed input.

use invites_shared::domain::{EmailAddress, GroupIds, Role, TenantId};
use invites_shared::http::{
    enum_issue, json_object, loc, missing, parse_groups, parse_uuid, Invalid, ValidationIssue,
};
use lambda_http::http::HeaderMap;
use lambda_http::Body;
use serde_json::{json, Value};

/// `InviteUserRequest`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInviteInput {
    pub tenant_id: TenantId,
    pub email: EmailAddress,
    pub role: Role,
    /// Groups the invitee joins on accepting (ksapi 3.x); none when absent or `null`.
    pub groups: GroupIds,
}

/// Parses the create-invite body.
pub fn parse_create_invite(
    headers: &HeaderMap,
    body: &Body,
    via_cookie: bool,
) -> Result<CreateInviteInput, Invalid> {
    // A browser's body (cookie auth) must say it is JSON: a cross-site page cannot send that
    // without a CORS preflight, which the API refuses for other origins.
    let object = json_object(headers, body, via_cookie)?;
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

    let groups = match object.get("groups").map(parse_groups) {
        None => GroupIds::default(),
        Some(Ok(groups)) => groups.unwrap_or_default(),
        Some(Err(found)) => {
            issues.extend(found);
            GroupIds::default()
        }
    };

    match (tenant_id, email, role) {
        (Some(tenant_id), Some(email), Some(role)) if issues.is_empty() => Ok(CreateInviteInput {
            tenant_id: tenant_id.into(),
            email,
            role,
            groups,
        }),
        _ => Err(Invalid(issues)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::{header, HeaderValue};

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers
    }

    fn issues(result: Result<impl std::fmt::Debug, Invalid>) -> Vec<ValidationIssue> {
        result.expect_err("expected a validation error").0
    }

    #[test]
    fn create_body_is_parsed_and_normalised() {
        let body = Body::from(
            r#"{"tenant_id":"9b2f0c1e-9d0a-4b6e-8f5c-2f7a1d3c4b5a","email":" Bob@Example.com ","role":"ADMIN"}"#,
        );
        let input = parse_create_invite(&json_headers(), &body, false).unwrap();
        assert_eq!(input.email.as_str(), "bob@example.com");
        assert_eq!(input.role, Role::Admin);
    }

    #[test]
    fn every_body_problem_is_reported() {
        let body = Body::from(r#"{"tenant_id":"nope","email":5,"role":"admin"}"#);
        let found = issues(parse_create_invite(&json_headers(), &body, false));
        let kinds: Vec<_> = found.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, ["uuid_parsing", "string_type", "enum"]);
        assert_eq!(found[0].loc, vec![json!("body"), json!("tenant_id")]);
    }
}
