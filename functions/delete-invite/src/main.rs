//! Lambda entry point of `DELETE /v1/invites/{invite_id}`.

use delete_invite::DeleteInvite;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::runtime::run(DeleteInvite::from_env).await
}
