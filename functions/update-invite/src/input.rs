//! The body of `PATCH /v1/invites/{invite_id}` (`UpdateInviteRequest`), parsed. Absent and
//! `null` both leave a field unchanged (the client sends `null` for a field set to `None`).

use invites_shared::domain::{GroupIds, Timestamp};
use invites_shared::http::{json_object, loc, parse_groups, Invalid, ValidationIssue};
use lambda_http::http::HeaderMap;
use lambda_http::Body;
use serde_json::{json, Value};

/// `UpdateInviteRequest`, validated for form (the store checks the groups, the handler the
/// expiry against now).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateInviteInput {
    pub expires_at: Option<Timestamp>,
    pub groups: Option<GroupIds>,
}

pub fn parse_update_invite(
    headers: &HeaderMap,
    body: &Body,
    via_cookie: bool,
) -> Result<UpdateInviteInput, Invalid> {
    let object = json_object(headers, body, via_cookie)?;
    let mut issues = Vec::new();
    let expires_at = match object.get("expires_at") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => match Timestamp::parse_client(raw) {
            Some(at) => Some(at),
            None => {
                issues.push(ValidationIssue::new(
                    "datetime_from_date_parsing",
                    loc("body", "expires_at"),
                    "Input should be a valid datetime",
                    json!(raw),
                ));
                None
            }
        },
        Some(other) => {
            issues.push(ValidationIssue::new(
                "datetime_type",
                loc("body", "expires_at"),
                "Input should be a valid datetime",
                other.clone(),
            ));
            None
        }
    };
    let groups = match object.get("groups").map(parse_groups) {
        None => None,
        Some(Ok(groups)) => groups,
        Some(Err(found)) => {
            issues.extend(found);
            None
        }
    };
    if issues.is_empty() {
        Ok(UpdateInviteInput { expires_at, groups })
    } else {
        Err(Invalid(issues))
    }
}

/// The issue for an expiry outside (now, now + `longest`].
pub fn expiry_issue(
    expires_at: Timestamp,
    now: Timestamp,
    longest: chrono::Duration,
) -> Option<ValidationIssue> {
    let reason = if expires_at <= now {
        "expires_at must be in the future"
    } else if expires_at > now.plus(longest) {
        "expires_at is too far in the future"
    } else {
        return None;
    };
    Some(ValidationIssue::new(
        "value_error",
        loc("body", "expires_at"),
        format!(
            "Value error, {reason} (at most {} days from now)",
            longest.num_days()
        ),
        json!(expires_at.to_rfc3339()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::{header, HeaderValue};

    fn parse(body: &str) -> Result<UpdateInviteInput, Invalid> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        parse_update_invite(&headers, &Body::from(body), false)
    }

    #[test]
    fn absent_and_null_change_nothing() {
        assert_eq!(parse("{}").unwrap(), UpdateInviteInput::default());
        assert_eq!(
            parse(r#"{"expires_at":null,"groups":null}"#).unwrap(),
            UpdateInviteInput::default()
        );
        assert_eq!(
            parse(r#"{"groups":[]}"#).unwrap().groups,
            Some(GroupIds::default())
        );
    }

    #[test]
    fn the_clients_datetimes_are_read() {
        for raw in [
            "2030-01-02T03:04:05+00:00",
            "2030-01-02T03:04:05.000001Z",
            "2030-01-02T03:04:05",
        ] {
            let body = format!(r#"{{"expires_at":"{raw}"}}"#);
            assert!(parse(&body).unwrap().expires_at.is_some(), "{raw}");
        }
        let kinds: Vec<_> = parse(r#"{"expires_at":"soon","groups":"g"}"#)
            .unwrap_err()
            .0
            .iter()
            .map(|issue| issue.kind)
            .collect();
        assert_eq!(kinds, ["datetime_from_date_parsing", "list_type"]);
        assert_eq!(
            parse(r#"{"expires_at":5}"#).unwrap_err().0[0].kind,
            "datetime_type"
        );
    }

    #[test]
    fn expiry_must_be_ahead_and_bounded() {
        let now = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let year = chrono::Duration::days(365);
        assert!(expiry_issue(now, now, year).is_some());
        assert!(expiry_issue(now.plus(chrono::Duration::days(1)), now, year).is_none());
        assert!(expiry_issue(now.plus(chrono::Duration::days(366)), now, year).is_some());
    }
}
