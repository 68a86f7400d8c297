//! What every function's `main` runs: state built once, then the Lambda runtime loop.

use lambda_http::{service_fn, Request};

use crate::handlers::{handle, Endpoint};
use crate::state::AppState;

/// Builds the state, opens the DynamoDB connection during init, and serves `endpoint`.
pub async fn run(endpoint: Endpoint) -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let state = AppState::from_env().await?;
    // Paying the TLS handshake during init keeps it off the first request. Not fatal: the
    // first request retries the connection anyway.
    if let Err(error) = state.store.warm_up().await {
        tracing::warn!(error = %crate::http::error_chain(&error), "DynamoDB warm-up failed");
    }
    let state = &state;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(handle(endpoint, state, req).await)
    }))
    .await
}
