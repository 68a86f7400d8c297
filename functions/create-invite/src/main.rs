//! Lambda entry point of `POST /v1/invites`.

use create_invite::CreateInvite;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::runtime::run(CreateInvite::from_env).await
}
