//! The DynamoDB floor (see the library): `FLOOR_REQUESTS` of DynamoDB kinds only.

use dynamodb_floor::{plan_from_env, serve, Floor};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let plan = plan_from_env()?;
    let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
    let floor = Floor::open(aws_sdk_dynamodb::Client::new(&sdk)).await?;
    serve(plan, |kind| floor.send(kind)).await
}
