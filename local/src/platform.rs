//! The platform's side, locally: the EventBridge rule → SQS queue → `directory-sync` chain of
//! the template, on the emulator (moto), so that a developer can publish a directory event and
//! watch the API decide with it.
//!
//! `setup` creates the queue, its DLQ and the rule (names as in the template); `poll` plays
//! Lambda's SQS event source: it receives batches, runs `directory-sync`'s handler and deletes
//! what it applied; `publish` is the platform's `PutEvents`.

use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use directory_sync::DirectorySync;
use serde_json::{json, Value};

use crate::Error;

/// The source the template's rule listens for (parameter `DirectorySource`).
pub const SOURCE: &str = "platform.directory";
const RULE: &str = "invites-directory";

/// The queues of the chain.
#[derive(Debug, Clone)]
pub struct Queues {
    pub queue_url: String,
    pub dlq_url: String,
}

pub struct Clients {
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
}

impl Clients {
    pub async fn from_env() -> Self {
        let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
        Self {
            sqs: aws_sdk_sqs::Client::new(&sdk),
            events: aws_sdk_eventbridge::Client::new(&sdk),
        }
    }
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, Error> {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await?;
    attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| "the queue has no ARN".into())
}

/// Creates (or finds) the queue `name`, its DLQ `name-dlq` and the rule sending the platform's
/// directory events on the default bus to the queue.
pub async fn setup(clients: &Clients, name: &str) -> Result<Queues, Error> {
    let sqs = &clients.sqs;
    let dlq_url = sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await?
        .queue_url
        .ok_or("no DLQ url")?;
    let redrive =
        json!({ "deadLetterTargetArn": queue_arn(sqs, &dlq_url).await?, "maxReceiveCount": "5" });
    let queue_url = sqs
        .create_queue()
        .queue_name(name)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            redrive.to_string(),
        )
        .send()
        .await?
        .queue_url
        .ok_or("no queue url")?;
    let rule = format!("{RULE}-{name}");
    clients
        .events
        .put_rule()
        .name(&rule)
        .event_pattern(json!({ "source": [SOURCE] }).to_string())
        .send()
        .await?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id("directory-queue")
        .arn(queue_arn(sqs, &queue_url).await?)
        .build()?;
    clients
        .events
        .put_targets()
        .rule(&rule)
        .targets(target)
        .send()
        .await?;
    Ok(Queues { queue_url, dlq_url })
}

/// Publishes directory events (`{"detail-type", "detail"}` or whole EventBridge events) as the
/// platform does; the ids EventBridge gave them.
pub async fn publish(clients: &Clients, events: &[Value]) -> Result<Vec<String>, Error> {
    let mut ids = Vec::new();
    for chunk in events.chunks(10) {
        let mut request = clients.events.put_events();
        for event in chunk {
            let kind = event["detail-type"]
                .as_str()
                .ok_or("an event needs a detail-type")?;
            request = request.entries(
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .source(event["source"].as_str().unwrap_or(SOURCE))
                    .detail_type(kind)
                    .detail(event["detail"].to_string())
                    .build(),
            );
        }
        let output = request.send().await?;
        if output.failed_entry_count() > 0 {
            return Err(
                format!("EventBridge refused {} events", output.failed_entry_count()).into(),
            );
        }
        ids.extend(
            output
                .entries()
                .iter()
                .filter_map(|e| e.event_id().map(str::to_owned)),
        );
    }
    Ok(ids)
}

/// Lambda's SQS event source for `directory-sync`, until the task is dropped: batches of up to
/// ten, applied ones deleted, failed ones left for SQS to redeliver.
pub async fn poll(sqs: aws_sdk_sqs::Client, queue_url: String, sync: DirectorySync) {
    loop {
        match poll_once(&sqs, &queue_url, &sync).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "directory events handled"),
            Err(error) => {
                tracing::warn!(error = %invites_shared::http::error_chain(error.as_ref()), "directory queue poll failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn poll_once(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    sync: &DirectorySync,
) -> Result<usize, Error> {
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .visibility_timeout(30)
        .send()
        .await?;
    let messages = received.messages();
    if messages.is_empty() {
        return Ok(0);
    }
    let mut batch = SqsEvent::default();
    batch.records = messages
        .iter()
        .map(|message| {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id().map(str::to_owned);
            record.body = message.body().map(str::to_owned);
            record
        })
        .collect();
    let response = sync.handle(batch).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    for message in messages {
        if !failed.contains(&message.message_id().unwrap_or_default()) {
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
        }
    }
    Ok(messages.len())
}

/// A handler of stream batches that answers with `batchItemFailures`.
type BatchAnswer<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Value> + Send + 'a>>;

/// Offers `pending` to a handler; keeps what it must be offered again (from the failed record
/// on, as Lambda retries).
async fn offer<'a>(
    pending: Vec<Value>,
    handle: impl FnOnce(Value) -> BatchAnswer<'a>,
) -> Vec<Value> {
    if pending.is_empty() {
        return pending;
    }
    let answer = handle(json!({ "Records": pending.clone() })).await;
    match answer["batchItemFailures"][0]["itemIdentifier"].as_str() {
        None => Vec::new(),
        Some(sequence) => pending
            .into_iter()
            .skip_while(|record| record["dynamodb"]["SequenceNumber"].as_str() != Some(sequence))
            .collect(),
    }
}

/// Lambda's stream event sources of the template, until the task is dropped: what the table's
/// stream holds from now on, in order, to `publish-events` (to the bus) and the TTL removals of
/// invites to `retire-invites`; and DynamoDB's TTL, which DynamoDB Local lacks, every `ttl_every`.
pub async fn consume_stream(
    mut stream: crate::stream::StreamReader,
    publisher: publish_events::PublishEvents,
    retirer: retire_invites::RetireInvites,
    ttl: crate::lifecycle::TtlEmulator,
    ttl_every: Duration,
) {
    let (publisher, retirer) = (&publisher, &retirer);
    let (mut to_publish, mut to_retire) = (Vec::new(), Vec::new());
    let mut last_ttl_sweep: Option<std::time::Instant> = None;
    loop {
        if last_ttl_sweep.is_none_or(|at| at.elapsed() >= ttl_every) {
            last_ttl_sweep = Some(std::time::Instant::now());
            if let Err(error) = ttl.sweep(chrono::Utc::now().timestamp()).await {
                tracing::warn!(error = %invites_shared::http::error_chain(error.as_ref()), "TTL sweep failed")
            }
        }
        match stream.read().await {
            Ok(mut records) => {
                ttl.tag(&mut records);
                // As the template's filter: only TTL's removals of invites reach retire-invites.
                to_retire.extend(
                    records
                        .iter()
                        .filter(|r| retire_invites::is_ttl_removal(r))
                        .cloned(),
                );
                to_publish.extend(records);
            }
            Err(error) => {
                tracing::warn!(error = %invites_shared::http::error_chain(error.as_ref()), "stream read failed")
            }
        }
        to_publish = offer(to_publish, |batch| {
            Box::pin(async move { publisher.handle(&batch).await })
        })
        .await;
        to_retire = offer(to_retire, |batch| {
            Box::pin(async move { retirer.handle(&batch).await })
        })
        .await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
