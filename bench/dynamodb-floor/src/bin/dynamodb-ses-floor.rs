//! The floor of a function that also sends email (create-invite): the DynamoDB floor plus the
//! SES SDK, built the same way, and `ses` in `FLOOR_REQUESTS`: a `SendEmail` of an
//! invitation-sized message.

use aws_sdk_ses::types::{Body, Content, Destination, Message};
use dynamodb_floor::{plan_from_env, serve, BoxError, Floor, Kind};

async fn send_email(ses: &aws_sdk_ses::Client) -> Result<(), BoxError> {
    let text = |data: String| Content::builder().data(data).charset("UTF-8").build();
    let body = "You have been invited to join a team. Open the link to accept. ".repeat(16);
    ses.send_email()
        .source("floor@invites.bench")
        .destination(
            Destination::builder()
                .to_addresses("floor@example.com")
                .build(),
        )
        .message(
            Message::builder()
                .subject(text("You're invited".into())?)
                .body(
                    Body::builder()
                        .text(text(body.clone())?)
                        .html(text(format!("<p>{body}</p>"))?)
                        .build(),
                )
                .build(),
        )
        .send()
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let plan = plan_from_env()?;
    let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
    let floor = Floor::open(aws_sdk_dynamodb::Client::new(&sdk)).await?;
    let ses = aws_sdk_ses::Client::new(&sdk);
    serve(plan, |kind| {
        let (floor, ses) = (&floor, &ses);
        async move {
            match kind {
                Kind::Ses => send_email(ses).await,
                other => floor.send(other).await,
            }
        }
    })
    .await
}
