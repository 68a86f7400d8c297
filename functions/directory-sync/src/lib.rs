//! `directory-sync`: applies the platform's directory events to the table.
//!
//! EventBridge → SQS → this function, in batches with partial batch responses: each message is
//! one event (see docs/events.md). Applied by version (`store::sync`): old and repeated events
//! change nothing. A malformed event goes to the dead-letter queue at once, with its reason; an
//! event that cannot apply yet or meets a transient failure is reported failed, and SQS retries
//! it (and after `maxReceiveCount` moves it to the DLQ). One bad message never holds up the rest.

pub mod event;

use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use invites_shared::budget;
use invites_shared::config::{self, CommonSettings, ConfigError, Env, FunctionSettings};
use invites_shared::domain::Clock;
use invites_shared::http::error_chain;
use invites_shared::state::StartupError;
use invites_shared::store::{Store, StoreError, SyncOutcome};
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};

pub use event::{parse, DirectoryEvent, Malformed};

/// How long one event may take, retries included.
const PER_EVENT: Duration = Duration::from_secs(5);

/// What directory-sync reads from its environment.
#[derive(Clone)]
pub struct Settings {
    pub common: CommonSettings,
    /// Where malformed events go (`DIRECTORY_DLQ_URL`); unset, they are only logged and
    /// reported failed, so SQS's own redrive moves them.
    pub dlq_url: Option<String>,
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
            dlq_url: env.optional("DIRECTORY_DLQ_URL"),
        })
    }
}

/// The function's state, built once per process.
pub struct DirectorySync {
    store: Store,
    sqs: aws_sdk_sqs::Client,
    dlq_url: Option<String>,
    clock: Clock,
}

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Done(SyncOutcome),
    Malformed(Malformed),
    /// Retry later (SQS redelivers).
    Failed(String),
}

impl DirectorySync {
    pub async fn from_env() -> Result<Self, StartupError> {
        let (settings, sdk) = config::load::<Settings>().await?;
        let dynamodb = invites_shared::aws::dynamodb_client(&sdk);
        Ok(Self::new(
            settings,
            dynamodb,
            aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(&sdk)
                    .interceptor(invites_shared::xray::XRaySubsegments)
                    .build(),
            ),
            Clock::system(),
        ))
    }

    pub fn new(
        settings: Settings,
        dynamodb: aws_sdk_dynamodb::Client,
        sqs: aws_sdk_sqs::Client,
        clock: Clock,
    ) -> Self {
        Self {
            store: Store::new(dynamodb, settings.common.table_name),
            sqs,
            dlq_url: settings.dlq_url,
            clock,
        }
    }

    /// Applies one parsed event.
    pub async fn apply(&self, event: &DirectoryEvent) -> Result<SyncOutcome, StoreError> {
        let store = &self.store;
        match event {
            DirectoryEvent::TenantUpserted(tenant, v) => store.sync_tenant(tenant, *v).await,
            DirectoryEvent::TenantDeleted(tenant, v) => {
                store.sync_tenant_deleted(*tenant, *v).await
            }
            DirectoryEvent::UserUpserted(user, v) => store.sync_user(user, *v).await,
            DirectoryEvent::UserDeleted(user, v) => store.sync_user_deleted(*user, *v).await,
            DirectoryEvent::MembershipUpserted(membership, v) => {
                store
                    .sync_membership(membership, *v, self.clock.now())
                    .await
            }
            DirectoryEvent::MembershipRemoved(tenant, user, v) => {
                store.sync_membership_removed(*tenant, *user, *v).await
            }
            DirectoryEvent::GroupUpserted(group, v) => store.sync_group(group, *v).await,
            DirectoryEvent::GroupDeleted(tenant, group, v) => {
                store.sync_group_deleted(*tenant, *group, *v).await
            }
            DirectoryEvent::ApiKeyUpserted {
                sha256_hex,
                key,
                version,
            } => store.sync_api_key(sha256_hex, key, *version).await,
        }
    }

    /// Parses and applies one message body, within its own time budget.
    pub async fn apply_body(&self, body: &str) -> Applied {
        let event = match parse(body) {
            Ok(event) => event,
            Err(malformed) => return Applied::Malformed(malformed),
        };
        let deadline = budget::deadline_after(PER_EVENT);
        match budget::within(deadline, self.apply(&event)).await {
            Ok(Ok(SyncOutcome::Blocked(reason))) => Applied::Failed(reason.to_owned()),
            Ok(Ok(outcome)) => Applied::Done(outcome),
            Ok(Err(error)) => Applied::Failed(error_chain(&error)),
            Err(exhausted) => Applied::Failed(exhausted.to_string()),
        }
    }

    /// One SQS batch: the ids of the messages to retry.
    pub async fn handle(&self, batch: SqsEvent) -> SqsBatchResponse {
        // Side by side: a batch is at most ten messages, and versions make order irrelevant.
        let results = join_all(
            batch
                .records
                .iter()
                .map(|message| self.handle_message(message)),
        )
        .await;
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = results
            .into_iter()
            .flatten()
            .map(|id| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failure
            })
            .collect();
        response
    }

    /// `Some(message id)` when the message is to be retried.
    async fn handle_message(&self, message: &SqsMessage) -> Option<String> {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        match self.apply_body(body).await {
            Applied::Done(outcome) => {
                tracing::info!(message_id = %id, ?outcome, "directory event applied");
                None
            }
            Applied::Failed(reason) => {
                tracing::warn!(message_id = %id, %reason, "directory event not applied; retried");
                Some(id)
            }
            Applied::Malformed(malformed) => {
                // The event's own id and type, where they can be read; never its content.
                let envelope: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
                tracing::error!(
                    message_id = %id,
                    event_id = envelope["id"].as_str().unwrap_or_default(),
                    detail_type = envelope["detail-type"].as_str().unwrap_or_default(),
                    reason = %malformed.0,
                    "malformed directory event"
                );
                match self.dead_letter(body, &malformed.0).await {
                    Ok(()) => None,
                    // Without the DLQ (or if it fails), SQS's redrive takes it there.
                    Err(()) => Some(id),
                }
            }
        }
    }

    async fn dead_letter(&self, body: &str, reason: &str) -> Result<(), ()> {
        let Some(url) = &self.dlq_url else {
            return Err(());
        };
        let reason_attribute = aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(reason.chars().take(1000).collect::<String>())
            .build()
            .map_err(drop)?;
        self.sqs
            .send_message()
            .queue_url(url)
            .message_body(body)
            .message_attributes("reason", reason_attribute)
            .send()
            .await
            .map(drop)
            .map_err(|error| {
                tracing::error!(error = %error_chain(&error), "could not dead-letter a malformed event");
            })
    }
}

/// The Lambda entry point: the state built once, then one batch per invocation.
pub async fn run<Init, Fut>(init: Init) -> Result<(), lambda_http::Error>
where
    Init: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<DirectorySync, StartupError>>,
{
    invites_shared::telemetry::init();
    let function = init().await.inspect_err(|error| {
        tracing::error!(function = "directory-sync", error = %error_chain(error), "cannot start");
    })?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(function.handle(event.payload).await)
    }))
    .await
}
