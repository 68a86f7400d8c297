//! The query of `GET /v1/invites`, parsed into typed input.

use std::collections::HashMap;

use invites_shared::domain::{
    DeliveryStatus, InviteListQuery, InviteStatus, ListCursor, Role, SortDirection, SortField,
    TenantId, TimeRange, Timestamp, UserId, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MIN_PAGE_SIZE,
};
use invites_shared::http::{enum_issue, loc, parse_uuid, Invalid, ValidationIssue};
use serde_json::json;

/// The list query, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInvitesInput {
    /// `None`: the caller's current tenant.
    pub tenant_id: Option<TenantId>,
    pub query: InviteListQuery,
}

/// The last value of each query parameter (Starlette's rule for repeated names).
fn query_pairs(query: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Parses an integer query parameter bounded below by `min` and, if given, above by `max`.
fn bounded_int(
    params: &HashMap<String, String>,
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

/// An instant as clients send it (see `Timestamp::parse_client`); a `+` that form decoding
/// turned into a space is read back as `+`.
fn parse_instant(raw: &str) -> Option<Timestamp> {
    Timestamp::parse_client(&raw.replace(' ', "+"))
}

/// The sort key a `cursor` resumes after, if it is one of this very query (422 otherwise). A
/// cursor serves reads of one ordered partition: no `offset`, no filter but `status`, and
/// `sort_by=accepted_at` only with a `status`.
fn resume_key(raw: &str, query: &InviteListQuery) -> Result<String, Invalid> {
    let issue = |message: &str| {
        Invalid(vec![ValidationIssue::new(
            "value_error",
            loc("query", "cursor"),
            message,
            json!(raw),
        )])
    };
    if query.offset != 0 || !query.resumable() {
        return Err(issue(
            "Value error, a cursor cannot be combined with offset, with filters other than \
             status, or with sort_by=accepted_at without status",
        ));
    }
    ListCursor::resume_key(raw, query).ok_or_else(|| {
        issue("Value error, not a cursor of this query: pass the next_cursor of its previous page")
    })
}

/// Parses the list-invites query string; unknown parameters are ignored, as FastAPI does.
pub fn parse_list_invites(query: Option<&str>) -> Result<ListInvitesInput, Invalid> {
    let params = query_pairs(query);
    let mut issues = Vec::new();

    let email_contains = params
        .get("email")
        .map(|raw| raw.trim().to_ascii_lowercase())
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
    let delivery = params.get("delivery").and_then(|raw| {
        let parsed = DeliveryStatus::parse(raw);
        if parsed.is_none() {
            let expected = DeliveryStatus::EXPECTED;
            issues.push(enum_issue("query", "delivery", expected, json!(raw)));
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
    let role = params.get("role").and_then(|raw| {
        let parsed = Role::parse(raw);
        if parsed.is_none() {
            issues.push(enum_issue("query", "role", Role::EXPECTED, json!(raw)));
        }
        parsed
    });
    let invited_by = params.get("invited_by").and_then(|raw| {
        parse_uuid("query", "invited_by", &json!(raw))
            .map(UserId::from)
            .map_err(|issue| issues.push(issue))
            .ok()
    });
    let mut instant = |name: &'static str| {
        let raw = params.get(name)?;
        parse_instant(raw)
            .ok_or_else(|| {
                issues.push(ValidationIssue::new(
                    "datetime_parsing",
                    loc("query", name),
                    "Input should be a valid datetime",
                    json!(raw),
                ))
            })
            .ok()
    };
    let created = TimeRange {
        after: instant("created_after"),
        before: instant("created_before"),
    };
    let updated = TimeRange {
        after: instant("updated_after"),
        before: instant("updated_before"),
    };
    let tenant_id = params.get("tenant_id").and_then(|raw| {
        parse_uuid("query", "tenant_id", &json!(raw))
            .map(TenantId::from)
            .map_err(|issue| issues.push(issue))
            .ok()
    });

    if !issues.is_empty() {
        return Err(Invalid(issues));
    }
    let mut query = InviteListQuery {
        email_contains,
        status,
        delivery,
        role,
        invited_by,
        created,
        updated,
        limit: u32::try_from(limit).unwrap_or(MAX_PAGE_SIZE),
        offset,
        sort_by,
        sort_dir,
        after: None,
    };
    if let Some(raw) = params.get("cursor") {
        query.after = Some(resume_key(raw, &query)?);
    }
    Ok(ListInvitesInput { tenant_id, query })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(result: Result<impl std::fmt::Debug, Invalid>) -> Vec<ValidationIssue> {
        result.expect_err("expected a validation error").0
    }

    #[test]
    fn instants_in_every_form_clients_send() {
        let expected = Timestamp::parse("2025-01-02T03:04:05.5Z").unwrap();
        for raw in [
            "2025-01-02T03:04:05.5Z",
            "2025-01-02T03:04:05.500000+00:00",
            "2025-01-02T03:04:05.500000+0000",
            "2025-01-02T03:04:05.500000 0000",
            "2025-01-02T03:04:05.500000",
            "2025-01-02T04:04:05.500000+0100",
        ] {
            assert_eq!(parse_instant(raw), Some(expected), "{raw}");
        }
        for bad in ["yesterday", "2025-13-01T00:00:00Z", ""] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
        let input = parse_list_invites(Some(
            "role=ADMIN&created_after=2025-01-02T03%3A04%3A05.000000%2B0000&updated_before=2026-01-01T00:00:00",
        ))
        .unwrap();
        assert_eq!(input.query.role, Some(Role::Admin));
        assert!(input.query.created.after.is_some() && input.query.updated.before.is_some());
        assert!(input.query.has_filter());
        for (query, kind) in [
            ("role=admin", "enum"),
            ("invited_by=me", "uuid_parsing"),
            ("created_before=soon", "datetime_parsing"),
        ] {
            assert_eq!(
                issues(parse_list_invites(Some(query)))[0].kind,
                kind,
                "{query}"
            );
        }
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
}
