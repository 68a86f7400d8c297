//! Lambda entry point of `expire-invites` (a scheduled sweep; the event's content is unused).

use expire_invites::ExpireInvites;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    expire_invites::run(ExpireInvites::from_env).await
}
