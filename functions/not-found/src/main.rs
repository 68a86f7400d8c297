//! Lambda entry point of API Gateway's `$default` route.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    invites_shared::telemetry::init();
    lambda_http::run(lambda_http::service_fn(|req| async move {
        Ok::<_, std::convert::Infallible>(not_found::handle(&req))
    }))
    .await
}
