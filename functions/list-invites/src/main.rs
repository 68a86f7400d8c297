//! Lambda entry point of `GET /v1/invites`.

use list_invites::ListInvites;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::runtime::run(ListInvites::from_env).await
}
