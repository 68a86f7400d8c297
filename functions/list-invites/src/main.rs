//! Lambda function for one endpoint; the handler lives in `invites-shared`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::lambda::run(invites_shared::Endpoint::ListInvites).await
}
