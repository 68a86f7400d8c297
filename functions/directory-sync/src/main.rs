//! Lambda entry point of `directory-sync` (SQS batches of the platform's directory events).

use directory_sync::DirectorySync;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    directory_sync::run(DirectorySync::from_env).await
}
