//! The template and the code cannot drift: routes, and the table's keys and indexes.

use std::collections::BTreeSet;

use invites_local::template;
use invites_shared::store::keys;

fn template_text() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(template::TEMPLATE_FILE),
    )
    .unwrap()
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
        {
            assert_eq!(event["Type"], "HttpApi");
            let properties = &event["Properties"];
            declared.insert((
                properties["Method"].as_str().unwrap().to_uppercase(),
                properties["Path"].as_str().unwrap().to_owned(),
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
    let expected: BTreeSet<_> = [
        keys::INDEX_BY_CREATED,
        keys::INDEX_BY_UPDATED,
        keys::INDEX_BY_EXPIRES,
        keys::INDEX_BY_ACCEPTED,
    ]
    .into_iter()
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

#[test]
fn the_template_sets_only_variables_the_functions_read_and_all_they_require() {
    let read = std::cell::RefCell::new(BTreeSet::new());
    invites_shared::config::Config::from_lookup(|name| {
        read.borrow_mut().insert(name.to_owned());
        Some(match name {
            "INVITE_LINK_BASE_URL" => "https://app.example.com/invites".to_owned(),
            "INVITE_LIFETIME_HOURS" | "MAX_BODY_BYTES" | "JWT_LEEWAY_SECONDS" => "1".to_owned(),
            "JWT_PUBLIC_KEY_ALGORITHM" => "RS256".to_owned(),
            _ => "x".repeat(32),
        })
    })
    .unwrap();
    let read = read.into_inner();
    let document: serde_yaml::Value = serde_yaml::from_str(&template_text()).unwrap();
    let set: BTreeSet<String> = document["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .filter(|name| name != "RUST_LOG") // read by the log filter
        .collect();
    let unknown: Vec<_> = set.difference(&read).collect();
    assert!(
        unknown.is_empty(),
        "the template sets variables nothing reads: {unknown:?}"
    );
    for required in ["TABLE_NAME", "SENDER_EMAIL", "INVITE_LINK_BASE_URL"] {
        assert!(
            set.contains(required),
            "the template does not set {required}"
        );
    }
}
