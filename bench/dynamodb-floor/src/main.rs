//! The floor a function that must call DynamoDB can reach: `lambda_http` and `aws-sdk-dynamodb`
//! built exactly like the real functions (same features, and the same SDK configuration from
//! the environment, `invites_shared::aws::load_sdk_config`: TLS through rustls + ring), the
//! connection opened during init by a `GetItem` as theirs is, and `FLOOR_CALLS` (default 1)
//! consistent `GetItem`s per request, one after the other, as many round trips as the function
//! it is compared with makes. No auth, no parsing, no logging: what is left is the Rust
//! runtime, the SDK and the round trips. The benchmark compares each function's cold start
//! with this.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{service_fn, Body, Request, Response};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let table = std::env::var("TABLE_NAME")?;
    let calls: usize = std::env::var("FLOOR_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let get = |client: &aws_sdk_dynamodb::Client| {
        client
            .get_item()
            .table_name(&table)
            .key("pk", AttributeValue::S("FLOOR".into()))
            .key("sk", AttributeValue::S("FLOOR".into()))
            .consistent_read(true)
            .send()
    };
    get(&client).await?;
    let (client, get) = (&client, &get);
    lambda_http::run(service_fn(move |_req: Request| async move {
        let mut status = 200;
        for _ in 0..calls {
            if get(client).await.is_err() {
                status = 503;
            }
        }
        let mut response = Response::new(Body::from("{}"));
        *response.status_mut() = status.try_into()?;
        Ok::<_, lambda_http::Error>(response)
    }))
    .await
}
