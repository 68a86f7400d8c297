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
