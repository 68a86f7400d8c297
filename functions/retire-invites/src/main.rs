//! Lambda entry point of `retire-invites` (DynamoDB stream batches: TTL removals of invites).

use retire_invites::RetireInvites;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::batch::run(RetireInvites::from_env).await
}
