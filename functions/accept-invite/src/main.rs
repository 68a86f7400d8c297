//! Lambda entry point of `POST /v1/invites/{invite_id}/accept`.

use accept_invite::AcceptInvite;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::runtime::run(AcceptInvite::from_env).await
}
