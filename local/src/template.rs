//! The DynamoDB table as `template.yaml` defines it: local runs and tests create their table
//! from the template itself, so the two cannot drift.

use std::path::Path;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use serde_yaml::Value;

/// Path of the template from the repository root.
pub const TEMPLATE_FILE: &str = "template.yaml";

/// Key schema and indexes of the template's one DynamoDB table.
#[derive(Debug, Clone)]
pub struct TableDefinition {
    pub attributes: Vec<AttributeDefinition>,
    pub key_schema: Vec<KeySchemaElement>,
    pub indexes: Vec<GlobalSecondaryIndex>,
    /// The stream's view type (`StreamSpecification.StreamViewType`), if the table has one.
    pub stream_view: Option<String>,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn field<'a>(value: &'a Value, name: &str) -> Result<&'a Value, Error> {
    value
        .get(name)
        .ok_or_else(|| format!("template: missing {name}").into())
}

fn text<'a>(value: &'a Value, name: &str) -> Result<&'a str, Error> {
    field(value, name)?
        .as_str()
        .ok_or_else(|| format!("template: {name} is not a string").into())
}

fn list<'a>(value: &'a Value, name: &str) -> Result<&'a Vec<Value>, Error> {
    field(value, name)?
        .as_sequence()
        .ok_or_else(|| format!("template: {name} is not a list").into())
}

fn key_schema(value: &Value) -> Result<Vec<KeySchemaElement>, Error> {
    list(value, "KeySchema")?
        .iter()
        .map(|element| {
            Ok(KeySchemaElement::builder()
                .attribute_name(text(element, "AttributeName")?)
                .key_type(KeyType::from(text(element, "KeyType")?))
                .build()?)
        })
        .collect()
}

/// The resources of `template` (YAML text).
pub fn resources(template: &str) -> Result<serde_yaml::Mapping, Error> {
    let document: Value = serde_yaml::from_str(template)?;
    Ok(field(&document, "Resources")?
        .as_mapping()
        .ok_or("template: Resources is not a mapping")?
        .clone())
}

/// Reads the table definition from the template's only `AWS::DynamoDB::Table`.
pub fn table_definition(template: &str) -> Result<TableDefinition, Error> {
    let resources = resources(template)?;
    let mut tables = resources.values().filter(|resource| {
        resource.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table")
    });
    let table = tables.next().ok_or("template: no AWS::DynamoDB::Table")?;
    if tables.next().is_some() {
        return Err("template: more than one AWS::DynamoDB::Table".into());
    }
    let properties = field(table, "Properties")?;
    let attributes = list(properties, "AttributeDefinitions")?
        .iter()
        .map(|attribute| {
            Ok(AttributeDefinition::builder()
                .attribute_name(text(attribute, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(attribute, "AttributeType")?))
                .build()?)
        })
        .collect::<Result<_, Error>>()?;
    let indexes = match properties.get("GlobalSecondaryIndexes") {
        None => Vec::new(),
        Some(_) => list(properties, "GlobalSecondaryIndexes")?
            .iter()
            .map(|index| {
                let projection = field(index, "Projection")?;
                let non_key = projection
                    .get("NonKeyAttributes")
                    .and_then(Value::as_sequence)
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(|n| n.as_str().map(str::to_owned))
                            .collect()
                    });
                Ok(GlobalSecondaryIndex::builder()
                    .index_name(text(index, "IndexName")?)
                    .set_key_schema(Some(key_schema(index)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(text(
                                projection,
                                "ProjectionType",
                            )?))
                            .set_non_key_attributes(non_key)
                            .build(),
                    )
                    .build()?)
            })
            .collect::<Result<_, Error>>()?,
    };
    let stream_view = properties
        .get("StreamSpecification")
        .map(|stream| text(stream, "StreamViewType").map(str::to_owned))
        .transpose()?;
    Ok(TableDefinition {
        attributes,
        key_schema: key_schema(properties)?,
        indexes,
        stream_view,
    })
}

/// Reads the template file and its table definition.
pub fn load_table_definition(path: &Path) -> Result<TableDefinition, Error> {
    let template = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    table_definition(&template)
}

/// Creates table `name` as defined; `Ok(false)` if it already exists.
pub async fn create_table(
    client: &Client,
    name: &str,
    definition: &TableDefinition,
) -> Result<bool, Error> {
    let result = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(definition.attributes.clone()))
        .set_key_schema(Some(definition.key_schema.clone()))
        .set_global_secondary_indexes(
            (!definition.indexes.is_empty()).then(|| definition.indexes.clone()),
        )
        .set_stream_specification(definition.stream_view.as_deref().map(|view| {
            aws_sdk_dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::from(view))
                .build()
                .expect("enabled is set")
        }))
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            Ok(false)
        }
        Err(error) => Err(Box::new(error)),
    }
}
