//! The template and the code cannot drift: routes, and the table's keys and indexes.

use std::collections::BTreeSet;

use invites_local::template;
use invites_shared::config::FunctionSettings;

use crate::helpers::repo;
use invites_shared::store::keys;

fn template_text() -> String {
    std::fs::read_to_string(repo().join(template::TEMPLATE_FILE)).unwrap()
}

#[test]
fn the_template_routes_are_exactly_the_served_routes() {
    let resources = template::resources(&template_text()).unwrap();
    let mut declared = BTreeSet::new();
    for resource in resources.values() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_owned();
        for event in resource["Properties"]["Events"]
            .as_mapping()
            .unwrap()
            .values()
            // directory-sync and email-events are fed by their queues, publish-events and
            // retire-invites by the table's stream, expire-invites by a schedule.
            .filter(|event| {
                !["SQS", "DynamoDB", "ScheduleV2"].contains(&event["Type"].as_str().unwrap())
            })
        {
            assert_eq!(event["Type"], "HttpApi");
            let properties = &event["Properties"];
            // No method and path: API Gateway's $default route.
            declared.insert((
                properties["Method"]
                    .as_str()
                    .unwrap_or("ANY")
                    .to_uppercase(),
                properties["Path"].as_str().unwrap_or("$default").to_owned(),
                binary.clone(),
            ));
        }
    }
    let served: BTreeSet<_> = invites_shared::routes::routes()
        .into_iter()
        .map(|route| {
            (
                route.method.to_string(),
                route.path.to_owned(),
                route.function.to_owned(),
            )
        })
        .chain([(
            "ANY".to_owned(),
            "$default".to_owned(),
            "not-found".to_owned(),
        )])
        .collect();
    assert_eq!(declared, served);
}

#[test]
fn the_template_table_has_every_index_the_store_queries() {
    let definition = template::table_definition(&template_text()).unwrap();
    let names: BTreeSet<_> = definition
        .indexes
        .iter()
        .map(|i| i.index_name().to_owned())
        .collect();
    let expected: BTreeSet<_> = keys::LIST_INDEXES
        .into_iter()
        .chain([keys::INDEX_EXPIRING])
        .map(str::to_owned)
        .collect();
    assert_eq!(names, expected);
    let key: Vec<_> = definition
        .key_schema
        .iter()
        .map(|k| k.attribute_name().to_owned())
        .collect();
    assert_eq!(key, [keys::PK, keys::SK]);
}

/// Reads `function`'s settings through `lookup`, as that function does at cold start.
fn read_settings(
    function: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(), invites_shared::config::ConfigError> {
    let env = invites_shared::config::Env::new(lookup);
    match function {
        "create-invite" => create_invite::Settings::read(&env).map(drop),
        "list-invites" => list_invites::Settings::read(&env).map(drop),
        "accept-invite" => accept_invite::Settings::read(&env).map(drop),
        "delete-invite" => delete_invite::Settings::read(&env).map(drop),
        "update-invite" => update_invite::Settings::read(&env).map(drop),
        "preview-invite" => preview_invite::Settings::read(&env).map(drop),
        "directory-sync" => directory_sync::Settings::read(&env).map(drop),
        "publish-events" => publish_events::Settings::read(&env).map(drop),
        "expire-invites" => expire_invites::Settings::read(&env).map(drop),
        "retire-invites" => retire_invites::Settings::read(&env).map(drop),
        "email-events" => email_events::Settings::read(&env).map(drop),
        "not-found" => Ok(()),
        other => panic!("no settings reader for {other}"),
    }
}

/// A valid value for every variable any function reads.
fn plausible(name: &str) -> String {
    match name {
        "INVITE_LINK_BASE_URL" => "https://app.example.com/invites".to_owned(),
        "INVITE_LIFETIME_HOURS"
        | "MAX_BODY_BYTES"
        | "JWT_LEEWAY_SECONDS"
        | "INVITE_RETENTION_DAYS"
        | "LIST_MAX_EXAMINED"
        | "SES_MAX_SEND_RATE"
        | "EMAIL_SUPPRESSION_DAYS" => "1".to_owned(),
        "INVITE_EMAIL_COOLDOWN_MINUTES" | "MAX_PENDING_INVITES" | "PREVIEWS_PER_MINUTE" => {
            "1".to_owned()
        }
        "JWT_PUBLIC_KEY_ALGORITHM" => "RS256".to_owned(),
        "SKIP_POINTS" => "off".to_owned(),
        "REQUIRE_EMAIL_VERIFIED" => "true".to_owned(),
        "JWT_JWKS_URL" => "https://auth.example.com/.well-known/jwks.json".to_owned(),
        "JWT_JWKS" => r#"{"keys":[]}"#.to_owned(),
        "JWT_JWKS_REFRESH_SECONDS" | "JWT_JWKS_MAX_AGE_SECONDS" => "60".to_owned(),
        _ => "x".repeat(32),
    }
}

#[test]
fn each_function_gets_only_the_variables_it_reads_and_all_it_requires() {
    let document: serde_yaml::Value = serde_yaml::from_str(&template_text()).unwrap();
    let names = |variables: &serde_yaml::Value| -> BTreeSet<String> {
        variables
            .as_mapping()
            .map(|m| m.keys().map(|k| k.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let globals = names(&document["Globals"]["Function"]["Environment"]["Variables"]);
    let resources = template::resources(&template_text()).unwrap();
    let mut checked = 0;
    for resource in resources.values() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let function = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        let mut set = globals.clone();
        set.extend(names(&resource["Properties"]["Environment"]["Variables"]));
        set.remove("RUST_LOG"); // read by the log filter
        let read = std::cell::RefCell::new(BTreeSet::new());
        read_settings(function, |name| {
            read.borrow_mut().insert(name.to_owned());
            Some(plausible(name))
        })
        .unwrap();
        let read = read.into_inner();
        let unknown: Vec<_> = set.difference(&read).collect();
        assert!(
            unknown.is_empty(),
            "{function}: the template sets variables it does not read: {unknown:?}"
        );
        // Required: the settings fail without it.
        for name in &read {
            let without =
                read_settings(function, |asked| (asked != name).then(|| plausible(asked)));
            if without.is_err() {
                assert!(
                    set.contains(name),
                    "{function}: the template does not set {name}"
                );
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn production_parameters_have_no_development_defaults() {
    let document: serde_yaml::Value = serde_yaml::from_str(&template_text()).unwrap();
    let parameters = &document["Parameters"];
    // Credentials are allowed for these origins: production must name its own.
    assert!(parameters["AllowedOrigins"]["Default"].is_null());
    // Issuer and audience are checked on every token, so they cannot be left empty.
    for name in ["JwtIssuer", "JwtAudience"] {
        assert!(
            parameters[name]["Default"].is_null(),
            "{name} has a default"
        );
        assert!(
            parameters[name]["MinLength"].as_u64() >= Some(1),
            "{name} may be empty"
        );
    }
    // The emailed link is https, except on this machine.
    let pattern = parameters["InviteLinkBaseUrl"]["AllowedPattern"]
        .as_str()
        .unwrap();
    let pattern = regex_lite::Regex::new(pattern).unwrap();
    for good in [
        "https://app.example.com/invites",
        "http://localhost:3000/invites",
    ] {
        assert!(pattern.is_match(good), "{good}");
    }
    for bad in [
        "http://app.example.com/invites",
        "http://localhost.evil.example/x",
        "/invites",
    ] {
        assert!(!pattern.is_match(bad), "{bad}");
    }
}

/// The invitation page's development sign-in lives in the local server alone: every route a
/// Lambda serves is under `/v1/`, nothing in the template names the sign-in, and no function
/// crate (nor the common crate) depends on the local crate that has it.
#[test]
fn no_lambda_serves_the_development_sign_in() {
    for route in invites_shared::routes::routes() {
        assert!(route.path.starts_with("/v1/"), "{}", route.path);
    }
    assert!(!template_text().contains("/dev/"));
    let mut crates: Vec<_> = std::fs::read_dir(repo().join("functions"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    crates.push(repo().join("shared"));
    assert!(crates.len() >= 12, "{crates:?}");
    for dir in crates {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(!manifest.contains("invites-local"), "{}", dir.display());
    }
}

/// list-invites may query every index its reads use (in AWS, a missing one is an access
/// denied on that kind of list, which DynamoDB Local never shows), and no other.
#[test]
fn list_invites_may_query_exactly_the_list_indexes() {
    let resources = template::resources(&template_text()).unwrap();
    let list = &resources["ListInvitesFunction"];
    let statements = list["Properties"]["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap();
    let query = statements
        .iter()
        .find(|statement| statement["Action"][0] == "dynamodb:Query")
        .expect("a Query statement");
    let granted: BTreeSet<String> = query["Resource"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|resource| {
            let text = resource["Fn::Sub"].as_str().or(resource.as_str()).unwrap();
            text.rsplit('/').next().unwrap().to_owned()
        })
        .collect();
    let read: BTreeSet<String> = keys::LIST_INDEXES.map(str::to_owned).into();
    assert_eq!(granted, read);
}

/// The expiry sweep counts each mark on the tenant item in the same transaction, so it may
/// update `TENANT#` items as well as invites (in AWS, without it every mark is refused;
/// DynamoDB Local checks no permissions).
#[test]
fn the_expiry_sweep_may_update_the_counters_it_moves() {
    assert_eq!(
        key_prefixes("ExpireInvitesFunction", "dynamodb:UpdateItem"),
        BTreeSet::from(["INVITE#*".to_owned(), "TENANT#*".to_owned()])
    );
}

/// An update writes invites (`INVITE#`) and, in the same transaction, bumps its tenant's list
/// version, the only attributes of a tenant item (`TENANT#`) it may write; the list writes skip
/// points in their own partitions (`SKIP#`) and nothing else.
#[test]
fn update_may_bump_the_list_version_and_list_may_write_only_skip_points() {
    assert_eq!(
        key_prefixes("UpdateInviteFunction", "dynamodb:UpdateItem"),
        BTreeSet::from(["INVITE#*".to_owned()])
    );
    let resources = template::resources(&template_text()).unwrap();
    let statements = resources["UpdateInviteFunction"]["Properties"]["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap();
    let tenant_writes: Vec<_> = statements
        .iter()
        .filter(|statement| {
            statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                .as_sequence()
                .is_some_and(|keys| keys.iter().any(|key| key == "TENANT#*"))
        })
        .collect();
    let [bump] = tenant_writes.as_slice() else {
        panic!("one statement on TENANT# items: {tenant_writes:?}");
    };
    let attributes: BTreeSet<&str> = bump["Condition"]["ForAllValues:StringEquals"]
        ["dynamodb:Attributes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|attribute| attribute.as_str().unwrap())
        .collect();
    assert_eq!(
        attributes,
        BTreeSet::from(["pk", "sk", keys::LIST_VERSION, keys::LIST_MOVED_AT])
    );
    assert_eq!(bump["Action"][0], "dynamodb:UpdateItem");
    assert_eq!(
        key_prefixes("ListInvitesFunction", "dynamodb:BatchWriteItem"),
        BTreeSet::from(["SKIP#*".to_owned()])
    );
    let list_actions: Vec<&str> = resources["ListInvitesFunction"]["Properties"]["Policies"][0]
        ["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|statement| statement["Action"].as_sequence())
        .flatten()
        .filter_map(|action| action.as_str())
        .collect();
    for write in [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    ] {
        assert!(
            !list_actions.contains(&write),
            "{write} in {list_actions:?}"
        );
    }
}

/// The leading-key prefixes `function`'s policy allows for the statement whose first action
/// is `action` (DynamoDB Local checks no permissions: only this can catch a missing one).
fn key_prefixes(function: &str, action: &str) -> BTreeSet<String> {
    let resources = template::resources(&template_text()).unwrap();
    let statements = resources[function]["Properties"]["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap();
    let statement = statements
        .iter()
        .find(|statement| statement["Action"][0] == action)
        .unwrap_or_else(|| panic!("{function}: no {action} statement"));
    statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|prefix| prefix.as_str().unwrap().to_owned())
        .collect()
}
