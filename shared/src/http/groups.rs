//! The `groups` field of create and update bodies: a list of at most ten group UUIDs.

use serde_json::{json, Value};

use super::validation::parse_uuid;
use super::ValidationIssue;
use crate::domain::{GroupId, GroupIds, MAX_GROUPS};

fn at(index: usize) -> Vec<Value> {
    vec![json!("body"), json!("groups"), json!(index)]
}

/// `groups` from a body: `None` for `null`, else the distinct ids, or every problem found.
pub fn parse_groups(raw: &Value) -> Result<Option<GroupIds>, Vec<ValidationIssue>> {
    let items = match raw {
        Value::Null => return Ok(None),
        Value::Array(items) => items,
        other => {
            return Err(vec![ValidationIssue::new(
                "list_type",
                vec![json!("body"), json!("groups")],
                "Input should be a valid list",
                other.clone(),
            )])
        }
    };
    if items.len() > MAX_GROUPS {
        return Err(vec![ValidationIssue::new(
            "too_long",
            vec![json!("body"), json!("groups")],
            format!(
                "List should have at most {MAX_GROUPS} items after validation, not {}",
                items.len()
            ),
            raw.clone(),
        )
        .with_ctx(json!({
            "field_type": "List",
            "max_length": MAX_GROUPS,
            "actual_length": items.len(),
        }))]);
    }
    let mut ids = Vec::new();
    let mut issues = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match parse_uuid("body", "groups", item) {
            Ok(id) => ids.push(GroupId::from(id)),
            Err(mut issue) => {
                issue.loc = at(index);
                issues.push(issue);
            }
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    // At most MAX_GROUPS items, so at most that many distinct ones.
    Ok(Some(GroupIds::new(ids).expect("bounded above")))
}

/// The issue for each of `requested` that is not a group of the tenant (unknown, deleted, or
/// another tenant's: the same answer, so other tenants' groups cannot be probed).
pub fn unknown_groups(requested: &GroupIds, existing: &[GroupId]) -> Vec<ValidationIssue> {
    requested
        .iter()
        .enumerate()
        .filter(|(_, id)| !existing.contains(id))
        .map(|(index, id)| {
            ValidationIssue::new(
                "value_error",
                at(index),
                format!("Value error, group {id} does not exist in this tenant"),
                json!(id.to_string()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_a_bounded_list_of_uuids() {
        assert_eq!(parse_groups(&json!(null)), Ok(None));
        assert_eq!(parse_groups(&json!([])).unwrap().unwrap().len(), 0);
        let id = uuid::Uuid::new_v4().to_string();
        assert_eq!(parse_groups(&json!([id, id])).unwrap().unwrap().len(), 1);
        let issues = parse_groups(&json!(["x", id, 3])).unwrap_err();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0].loc, at(0));
        assert_eq!(issues[1].kind, "uuid_type");
        let eleven: Vec<String> = (0..11).map(|_| uuid::Uuid::new_v4().to_string()).collect();
        assert_eq!(
            parse_groups(&json!(eleven)).unwrap_err()[0].kind,
            "too_long"
        );
        assert_eq!(parse_groups(&json!("a")).unwrap_err()[0].kind, "list_type");
    }
}
