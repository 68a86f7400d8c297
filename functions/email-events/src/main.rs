//! Lambda entry point of `email-events` (SQS batches of SES sending events from EventBridge).

use email_events::EmailEvents;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::batch::run(EmailEvents::from_env).await
}
