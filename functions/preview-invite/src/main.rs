//! Lambda entry point of `GET /v1/invites/{invite_id}/preview`.

use preview_invite::PreviewInvite;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::runtime::run(PreviewInvite::from_env).await
}
