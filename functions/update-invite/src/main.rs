//! Lambda entry point of `PATCH /v1/invites/{invite_id}`.

use update_invite::UpdateInvite;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::runtime::run(UpdateInvite::from_env).await
}
