//! The functions an event source feeds in batches (the table's stream, a queue): JSON in, the
//! batch's answer out (its `batchItemFailures`). One entry point for all of them.

use std::future::Future;

use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use serde_json::Value;

use crate::http::error_chain;
use crate::state::StartupError;

/// A function fed batches: its state, and what it does with one batch.
pub trait BatchFunction: Send + Sync {
    /// The function's name in logs (its binary's name).
    const NAME: &'static str;

    fn handle_batch(&self, batch: &Value) -> impl Future<Output = Value> + Send;
}

/// The Lambda entry point: the state built once, then one batch per invocation. A batch
/// never fails the invocation: what must be retried is named in the answer.
pub async fn run<F, Init, Fut>(init: Init) -> Result<(), lambda_http::Error>
where
    F: BatchFunction,
    Init: FnOnce() -> Fut,
    Fut: Future<Output = Result<F, StartupError>>,
{
    crate::telemetry::init();
    let function = init().await.inspect_err(|error| {
        tracing::error!(function = F::NAME, error = %error_chain(error), "cannot start");
    })?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, std::convert::Infallible>(function.handle_batch(&event.payload).await)
    }))
    .await
}
