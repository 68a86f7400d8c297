//! The floors a function that calls DynamoDB (and SES) can reach: `lambda_http` and the AWS
//! SDK built exactly like the real functions (same features, the same SDK configuration from
//! the environment, `invites_shared::aws::load_sdk_config`), the DynamoDB connection opened
//! during init by a `GetItem` as theirs is, and per request the same kinds of requests as the
//! function it stands beside, on items of the same shape, in the same order (`FLOOR_REQUESTS`).
//! No auth, no parsing, no logging, no decisions: what is left is the Rust runtime, the SDK
//! and the round trips. The benchmark compares each function's cold start with its floor.
//!
//! `FLOOR_REQUESTS`: comma-separated steps, run one after the other; a step of kinds joined
//! by `+` runs them side by side. Kinds: `get` (consistent `GetItem` of an invite-shaped item),
//! `batch_get` (consistent `BatchGetItem` of the tenant item and a membership), `query` (a
//! page of 20 off `by_created`), `transact` (`TransactWriteItems`: a new invite-shaped item
//! with every list index key, a counter and a slot, as a create does), `update` (`UpdateItem`
//! of the invite-shaped item's order keys, returning it), `move` (`TransactWriteItems`: that
//! update beside a counter's, as an update or a re-invite bumps the list version), `count`
//! (`UpdateItem` adding to a counter), and `ses` (`SendEmail`, in `dynamodb-ses-floor` only).

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use invites_shared::store::keys::*;
use lambda_http::{service_fn, Body, Request, Response};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Get,
    BatchGet,
    Query,
    Transact,
    Update,
    Move,
    Count,
    Ses,
}

impl Kind {
    fn parse(raw: &str) -> Result<Self, BoxError> {
        Ok(match raw.trim() {
            "get" => Self::Get,
            "batch_get" => Self::BatchGet,
            "query" => Self::Query,
            "transact" => Self::Transact,
            "update" => Self::Update,
            "move" => Self::Move,
            "count" => Self::Count,
            "ses" => Self::Ses,
            other => return Err(format!("FLOOR_REQUESTS: unknown request {other:?}").into()),
        })
    }
}

/// The steps of a request, from `FLOOR_REQUESTS` (default: one `get`).
pub fn plan_from_env() -> Result<Vec<Vec<Kind>>, BoxError> {
    let raw = std::env::var("FLOOR_REQUESTS").unwrap_or_else(|_| "get".into());
    raw.split(',')
        .map(|step| step.split('+').map(Kind::parse).collect())
        .collect()
}

/// The table and the benchmark's tenant and member whose items the reads fetch.
pub struct Floor {
    client: Client,
    table: String,
    tenant: String,
    member: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{:020}", now.as_micros())
}

/// A fresh id for the items a write adds.
fn fresh_id() -> String {
    format!("{}-{}", now(), std::process::id())
}

/// An item shaped like an invite: its size and every list index key (written to the same
/// indexes), in a partition of its own (`floor`) that no tenant lists.
fn invite_shaped(id: &str) -> HashMap<String, AttributeValue> {
    let at = now();
    HashMap::from([
        (PK.into(), s(format!("FLOOR#{id}"))),
        (SK.into(), s(INVITE_SK)),
        ("entity".into(), s("floor")),
        ("id".into(), s(id)),
        ("tenant_id".into(), s("floor")),
        ("email".into(), s("someone.with.a.long.address@example.com")),
        ("role".into(), s("user")),
        ("created_at".into(), s(&at)),
        ("updated_at".into(), s(&at)),
        ("expires_at".into(), s(&at)),
        (
            "invited_by_user_id".into(),
            s("00000000-0000-4000-8000-000000000000"),
        ),
        (GSI_TENANT.into(), s("floor")),
        (CREATED_SK.into(), s(format!("{at}#{id}"))),
        (UPDATED_SK.into(), s(format!("{at}#{id}"))),
        (EXPIRES_SK.into(), s(format!("{at}#{id}"))),
        (ACCEPTED_PK.into(), s("floor#N")),
        (ACCEPTED_SK.into(), s(id)),
        (STATE_PK.into(), s("floor#P")),
        (DELIVERY_PK.into(), s("floor#sent")),
    ])
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> HashMap<String, AttributeValue> {
    HashMap::from([(PK.into(), s(pk)), (SK.into(), s(sk))])
}

impl Floor {
    /// From `TABLE_NAME`, `FLOOR_TENANT` and `FLOOR_USER`; opens the connection as the
    /// functions do (a `GetItem` during init).
    pub async fn open(client: Client) -> Result<Self, BoxError> {
        let floor = Self {
            client,
            table: std::env::var("TABLE_NAME")?,
            tenant: std::env::var("FLOOR_TENANT").unwrap_or_else(|_| "floor".into()),
            member: std::env::var("FLOOR_USER").unwrap_or_else(|_| "floor".into()),
        };
        floor.send(Kind::Get).await?;
        Ok(floor)
    }

    /// One DynamoDB request of `kind`.
    pub async fn send(&self, kind: Kind) -> Result<(), BoxError> {
        let table = &self.table;
        match kind {
            Kind::Get => drop(
                self.client
                    .get_item()
                    .table_name(table)
                    .set_key(Some(key("FLOOR#fixed", INVITE_SK)))
                    .consistent_read(true)
                    .send()
                    .await?,
            ),
            Kind::BatchGet => {
                let keys = KeysAndAttributes::builder()
                    .keys(key(format!("TENANT#{}", self.tenant), TENANT_SK))
                    .keys(key(
                        format!("TENANT#{}", self.tenant),
                        format!("MEMBER#{}", self.member),
                    ))
                    .consistent_read(true)
                    .build()?;
                drop(
                    self.client
                        .batch_get_item()
                        .request_items(table, keys)
                        .send()
                        .await?,
                )
            }
            Kind::Query => drop(
                self.client
                    .query()
                    .table_name(table)
                    .index_name(INDEX_BY_CREATED)
                    .key_condition_expression("#p = :p")
                    .expression_attribute_names("#p", GSI_TENANT)
                    .expression_attribute_values(":p", s(&self.tenant))
                    .scan_index_forward(false)
                    .limit(20)
                    .send()
                    .await?,
            ),
            Kind::Transact => {
                let id = fresh_id();
                let put = |item| {
                    Put::builder()
                        .table_name(table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                };
                let mut slot = key(format!("FLOOR#{id}"), "SLOT");
                slot.insert("invite_id".into(), s(&id));
                let items = vec![
                    TransactWriteItem::builder().put(put(slot)?).build(),
                    TransactWriteItem::builder()
                        .put(put(invite_shaped(&id))?)
                        .build(),
                    TransactWriteItem::builder().update(self.counter()?).build(),
                ];
                drop(
                    self.client
                        .transact_write_items()
                        .set_transact_items(Some(items))
                        .send()
                        .await?,
                )
            }
            Kind::Update => {
                let moved = self.moved()?;
                drop(
                    self.client
                        .update_item()
                        .table_name(table)
                        .set_key(Some(moved.key))
                        .update_expression(moved.update_expression)
                        .set_expression_attribute_names(moved.expression_attribute_names)
                        .set_expression_attribute_values(moved.expression_attribute_values)
                        .return_values(ReturnValue::AllNew)
                        .send()
                        .await?,
                )
            }
            Kind::Move => {
                let items = vec![
                    TransactWriteItem::builder().update(self.moved()?).build(),
                    TransactWriteItem::builder().update(self.counter()?).build(),
                ];
                drop(
                    self.client
                        .transact_write_items()
                        .set_transact_items(Some(items))
                        .send()
                        .await?,
                )
            }
            Kind::Count => {
                let counter = self.counter()?;
                drop(
                    self.client
                        .update_item()
                        .table_name(table)
                        .set_key(Some(counter.key))
                        .update_expression(counter.update_expression)
                        .set_expression_attribute_values(counter.expression_attribute_values)
                        .send()
                        .await?,
                )
            }
            Kind::Ses => return Err("FLOOR_REQUESTS: ses needs dynamodb-ses-floor".into()),
        }
        Ok(())
    }

    /// An update's or a re-invite's change to the invite-shaped item's orders.
    fn moved(&self) -> Result<Update, BoxError> {
        let at = now();
        Ok(Update::builder()
            .table_name(&self.table)
            .set_key(Some(key("FLOOR#fixed", INVITE_SK)))
            .update_expression("SET updated_at = :at, #u = :sk, #e = :sk")
            .expression_attribute_names("#u", UPDATED_SK)
            .expression_attribute_names("#e", EXPIRES_SK)
            .expression_attribute_values(":at", s(&at))
            .expression_attribute_values(":sk", s(format!("{at}#fixed")))
            .build()?)
    }

    fn counter(&self) -> Result<Update, BoxError> {
        Ok(Update::builder()
            .table_name(&self.table)
            .set_key(Some(key("FLOOR", "COUNTER")))
            .update_expression("ADD n :one")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .build()?)
    }
}

/// Serves invocations: each runs `plan` with `send` and answers `{}` (503 if one failed).
pub async fn serve<F, Fut>(plan: Vec<Vec<Kind>>, send: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Kind) -> Fut + Sync,
    Fut: Future<Output = Result<(), BoxError>> + Send,
{
    let (plan, send) = (&plan, &send);
    lambda_http::run(service_fn(move |_req: Request| async move {
        let mut failed = false;
        for step in plan {
            failed |= match step.as_slice() {
                [a, b] => {
                    let (a, b) = tokio::join!(send(*a), send(*b));
                    a.is_err() || b.is_err()
                }
                kinds => {
                    let mut failed = false;
                    for kind in kinds {
                        failed |= send(*kind).await.is_err();
                    }
                    failed
                }
            };
        }
        let mut response = Response::new(Body::from("{}"));
        *response.status_mut() = if failed { 503 } else { 200 }.try_into()?;
        Ok::<_, lambda_http::Error>(response)
    }))
    .await
}
