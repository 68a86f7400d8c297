//! The list's filters that no key condition serves, as one DynamoDB filter expression.

use aws_sdk_dynamodb::types::AttributeValue;

use super::items::s;
use crate::domain::{InviteListQuery, InviteStatus, SortField, Timestamp};

/// A filter expression with its names and values.
pub(super) struct Filter {
    pub expression: String,
    pub names: Vec<(&'static str, &'static str)>,
    pub values: Vec<(&'static str, AttributeValue)>,
}

/// The filter of `query`'s conditions (status decided at `now`), less the date range on
/// `keyed`, when a key condition serves it.
pub(super) fn filter(query: &InviteListQuery, now: Timestamp, keyed: Option<SortField>) -> Filter {
    let mut parts = Vec::new();
    let mut names = Vec::new();
    let mut values = Vec::new();
    if let Some(needle) = &query.email_contains {
        parts.push("contains(#email, :email)");
        names.push(("#email", "email"));
        values.push((":email", s(needle.clone())));
    }
    if let Some(status) = query.status {
        names.push(("#accepted_at", "accepted_at"));
        match status {
            InviteStatus::Accepted => parts.push("attribute_exists(#accepted_at)"),
            InviteStatus::Pending | InviteStatus::Expired => {
                parts.push(if status == InviteStatus::Pending {
                    "attribute_not_exists(#accepted_at) AND #expires_at > :now"
                } else {
                    "attribute_not_exists(#accepted_at) AND #expires_at <= :now"
                });
                names.push(("#expires_at", "expires_at"));
                values.push((":now", s(now.to_rfc3339())));
            }
        }
    }
    if let Some(delivery) = query.delivery {
        // Redundant on `by_delivery` itself; needed on the unannounced expiries that
        // `status=expired` also reads.
        parts.push("#delivery_status = :delivery_status");
        names.push(("#delivery_status", super::keys::DELIVERY_STATUS));
        values.push((":delivery_status", s(delivery.as_str())));
    }
    if let Some(role) = query.role {
        parts.push("#role = :role");
        names.push(("#role", "role"));
        values.push((":role", s(role.as_str())));
    }
    if let Some(inviter) = query.invited_by {
        parts.push("#invited_by = :invited_by");
        names.push(("#invited_by", "invited_by_user_id"));
        values.push((":invited_by", s(inviter.to_string())));
    }
    // Stored instants are fixed-width UTC strings: string order is time order.
    let ranges = [
        (
            SortField::CreatedAt,
            "#created_at",
            "created_at",
            &query.created,
            [":created_after", ":created_before"],
        ),
        (
            SortField::UpdatedAt,
            "#updated_at",
            "updated_at",
            &query.updated,
            [":updated_after", ":updated_before"],
        ),
    ];
    for (field, name, attribute, range, [after, before]) in ranges {
        if range.is_open() || keyed == Some(field) {
            continue;
        }
        names.push((name, attribute));
        if let Some(at) = range.after {
            parts.push(if name == "#created_at" {
                "#created_at >= :created_after"
            } else {
                "#updated_at >= :updated_after"
            });
            values.push((after, s(at.to_rfc3339())));
        }
        if let Some(at) = range.before {
            parts.push(if name == "#created_at" {
                "#created_at < :created_before"
            } else {
                "#updated_at < :updated_before"
            });
            values.push((before, s(at.to_rfc3339())));
        }
    }
    Filter {
        expression: parts.join(" AND "),
        names,
        values,
    }
}
