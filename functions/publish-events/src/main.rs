//! Lambda entry point of `publish-events` (DynamoDB stream batches of the invites table).

use publish_events::PublishEvents;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::batch::run(PublishEvents::from_env).await
}
