//! `publish-events`: every committed invite change, read from the table's DynamoDB Stream, is
//! published to EventBridge — at least once (a record is retried until its events are taken),
//! only if its write committed (the stream has only committed writes), and never from a
//! request handler. Consumers dedupe on the detail's `event_id` (the stream record's id and
//! what it means, the same on every retry).
//!
//! Events: `InviteCreated`, `InviteRefreshed`, `InviteUpdated`, `InviteAccepted` (with the
//! membership made), `InviteExpired` (from the expiry sweep's mark), `InviteDeleted` (by a
//! caller or, `reason: retention`, by DynamoDB's TTL); see docs/events.md.

pub mod derive;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::emf::{self, MetricLine, Unit};
use invites_shared::http::error_chain;
use invites_shared::state::StartupError;
use serde_json::{json, Value};

pub use derive::{events_of, InviteEvent};

/// The `source` of the events, by default.
pub const DEFAULT_SOURCE: &str = "invites.api";

/// What publish-events reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// The bus (`EVENT_BUS_NAME`: `default` or a bus's name).
    pub bus: String,
    pub source: String,
}

impl FunctionSettings for Settings {
    fn common(&self) -> &CommonSettings {
        &self.common
    }

    fn common_mut(&mut self) -> &mut CommonSettings {
        &mut self.common
    }

    fn read<L: Fn(&str) -> Option<String>>(env: &Env<L>) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonSettings::read_unauthenticated(env)?,
            bus: env.required("EVENT_BUS_NAME")?,
            source: env
                .optional("EVENT_SOURCE")
                .unwrap_or_else(|| DEFAULT_SOURCE.to_owned()),
        })
    }
}

/// The function's state, built once per process.
pub struct PublishEvents {
    events: aws_sdk_eventbridge::Client,
    bus: String,
    source: String,
}

impl PublishEvents {
    pub async fn from_env() -> Result<Self, StartupError> {
        let (settings, sdk) = config::load::<Settings>().await?;
        let events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&sdk)
                .interceptor(invites_shared::xray::XRaySubsegments)
                .build(),
        );
        Ok(Self::new(settings, events))
    }

    pub fn new(settings: Settings, events: aws_sdk_eventbridge::Client) -> Self {
        Self {
            events,
            bus: settings.bus,
            source: settings.source,
        }
    }

    fn entry(&self, event: &InviteEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&self.source)
            .detail_type(event.detail_type)
            .detail(event.detail.to_string())
            .build()
    }

    /// One stream batch (`{"Records": [...]}`): the answer names the first record whose events
    /// were not all taken, so that Lambda retries from it (`ReportBatchItemFailures`).
    pub async fn handle(&self, batch: &Value) -> Value {
        let records: &[Value] = batch["Records"].as_array().map_or(&[], Vec::as_slice);
        // (index of the record, its event), in stream order.
        let pending: Vec<(usize, InviteEvent)> = records
            .iter()
            .enumerate()
            .flat_map(|(index, record)| events_of(record).into_iter().map(move |e| (index, e)))
            .collect();
        let mut first_failed: Option<usize> = None;
        for chunk in pending.chunks(10) {
            let mut request = self.events.put_events();
            for (_, event) in chunk {
                request = request.entries(self.entry(event));
            }
            let failed_at = match request.send().await {
                Ok(output) => output
                    .entries()
                    .iter()
                    .zip(chunk)
                    .find(|(result, _)| result.error_code().is_some())
                    .map(|(result, (index, _))| {
                        tracing::warn!(code = ?result.error_code(), "an event was not taken");
                        *index
                    }),
                Err(error) => {
                    tracing::warn!(error = %error_chain(&error), "PutEvents failed");
                    Some(chunk[0].0)
                }
            };
            if let Some(index) = failed_at {
                first_failed = Some(index);
                break;
            }
            for (_, event) in chunk {
                tracing::info!(
                    detail_type = event.detail_type,
                    event_id = event.detail["event_id"].as_str().unwrap_or_default(),
                    invite_id = event.detail["invite_id"].as_str().unwrap_or_default(),
                    "published"
                );
            }
        }
        let published = pending.len()
            - first_failed.map_or(0, |index| {
                pending.iter().filter(|(at, _)| *at >= index).count()
            });
        MetricLine::new(emf::function_name("publish-events"))
            .add("EventsPublished", Unit::Count, published as f64)
            .add(
                "RecordsFailed",
                Unit::Count,
                f64::from(u8::from(first_failed.is_some())),
            )
            .emit();
        let failures: Vec<Value> = first_failed
            .and_then(|index| records[index]["dynamodb"]["SequenceNumber"].as_str())
            .map(|sequence| json!({ "itemIdentifier": sequence }))
            .into_iter()
            .collect();
        json!({ "batchItemFailures": failures })
    }
}

impl invites_shared::batch::BatchFunction for PublishEvents {
    const NAME: &'static str = "publish-events";

    fn handle_batch(&self, batch: &Value) -> impl std::future::Future<Output = Value> + Send {
        self.handle(batch)
    }
}
