//! The table's DynamoDB Stream, read as Lambda's stream event source reads it, for
//! `publish-events` locally and in tests: records in Lambda's JSON shape, in order.

use aws_sdk_dynamodbstreams::types::{AttributeValue, ShardIteratorType};
use serde_json::{json, Map, Value};

use crate::Error;

/// Open shard iterators of one table's stream.
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    iterators: Vec<String>,
}

impl StreamReader {
    /// From the stream's start (`TRIM_HORIZON`) or only what comes next (`LATEST`).
    pub async fn open(
        dynamodb: &aws_sdk_dynamodb::Client,
        client: aws_sdk_dynamodbstreams::Client,
        table: &str,
        from_start: bool,
    ) -> Result<Self, Error> {
        let described = dynamodb.describe_table().table_name(table).send().await?;
        let stream_arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .ok_or("the table has no stream")?
            .to_owned();
        let mut reader = Self {
            client,
            stream_arn,
            iterators: Vec::new(),
        };
        let kind = if from_start {
            ShardIteratorType::TrimHorizon
        } else {
            ShardIteratorType::Latest
        };
        reader.open_shards(kind).await?;
        Ok(reader)
    }

    async fn open_shards(&mut self, kind: ShardIteratorType) -> Result<(), Error> {
        let stream = self
            .client
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await?;
        for shard in stream
            .stream_description()
            .map(|d| d.shards())
            .unwrap_or_default()
        {
            let iterator = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(shard.shard_id().unwrap_or_default())
                .shard_iterator_type(kind.clone())
                .send()
                .await?;
            self.iterators
                .extend(iterator.shard_iterator().map(str::to_owned));
        }
        Ok(())
    }

    /// The records written since the last read, as Lambda's `Records`.
    pub async fn read(&mut self) -> Result<Vec<Value>, Error> {
        let mut records = Vec::new();
        let mut next = Vec::new();
        for iterator in std::mem::take(&mut self.iterators) {
            let output = self
                .client
                .get_records()
                .shard_iterator(iterator)
                .send()
                .await?;
            records.extend(output.records().iter().map(record_json));
            next.extend(output.next_shard_iterator().map(str::to_owned));
        }
        self.iterators = next;
        if self.iterators.is_empty() {
            // Shards closed (rolled over): follow the new ones.
            self.open_shards(ShardIteratorType::TrimHorizon).await?;
        }
        Ok(records)
    }
}

fn record_json(record: &aws_sdk_dynamodbstreams::types::Record) -> Value {
    let change = record.dynamodb();
    let image = |item: Option<&std::collections::HashMap<String, AttributeValue>>| {
        item.map(|item| {
            Value::Object(
                item.iter()
                    .map(|(k, v)| (k.clone(), attribute(v)))
                    .collect(),
            )
        })
        .unwrap_or(Value::Null)
    };
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|name| name.as_str()),
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": image(change.and_then(|c| c.keys.as_ref())),
            "NewImage": image(change.and_then(|c| c.new_image.as_ref())),
            "OldImage": image(change.and_then(|c| c.old_image.as_ref())),
            "SequenceNumber": change.and_then(|c| c.sequence_number()),
            "ApproximateCreationDateTime": change
                .and_then(|c| c.approximate_creation_date_time())
                .map(|t| t.secs()),
        },
    })
}

/// An attribute in DynamoDB JSON, as Lambda's stream events carry it.
fn attribute(value: &AttributeValue) -> Value {
    use base64_free::encode;
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(items) => json!({ "SS": items }),
        AttributeValue::Ns(items) => json!({ "NS": items }),
        AttributeValue::B(blob) => json!({ "B": encode(blob.as_ref()) }),
        AttributeValue::Bs(blobs) => {
            json!({ "BS": blobs.iter().map(|b| encode(b.as_ref())).collect::<Vec<_>>() })
        }
        AttributeValue::L(items) => json!({ "L": items.iter().map(attribute).collect::<Vec<_>>() }),
        AttributeValue::M(map) => {
            let map: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), attribute(v))).collect();
            json!({ "M": map })
        }
        _ => Value::Null,
    }
}

/// Base64 without a dependency (binary attributes do not occur in this table; kept correct).
mod base64_free {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
