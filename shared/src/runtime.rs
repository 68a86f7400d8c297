//! The per-request wrapper every function runs its handler in, and the Lambda entry point.
//!
//! A function is a state type implementing [`Function`]; its `main` is
//! `runtime::run(State::from_env)`, which names the handler statically. The local server
//! and the tests call [`serve`] with the same state types.

use std::future::Future;
use std::time::Duration;

use lambda_http::http::HeaderValue;
use lambda_http::request::RequestContext;
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use tracing::Instrument;

use crate::budget;
use crate::emf::{self, MetricLine, Unit};
use crate::http::{ensure_body_within, error_chain, ApiError, REQUEST_ID_HEADER};
use crate::metrics;
use crate::state::{Common, StartupError};

/// The timeout a request gets when its context carries no deadline: the template's
/// `Timeout` (a test keeps the two equal).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One endpoint: its state, and what it does with a request.
pub trait Function: Send + Sync {
    /// The function's name in logs (its binary's name).
    const NAME: &'static str;
    /// The function's own error type, with its own messages.
    type Error: Into<ApiError> + Send;

    fn common(&self) -> &Common;

    fn handle(
        &self,
        req: Request,
    ) -> impl Future<Output = Result<Response<Body>, Self::Error>> + Send;

    /// Why `error` refused the request, for the `Rejected` metric; `None`: the answer's
    /// `code` (`not_found`, `conflict`, …).
    fn rejection_reason(_error: &Self::Error) -> Option<&'static str> {
        None
    }
}

/// Handles one request: never fails, errors become their HTTP answers. Opens the request's
/// log span, meters its AWS cost, refuses oversized bodies and holds it to its deadline.
pub async fn serve<F: Function>(function: &F, req: Request) -> Response<Body> {
    let context = req.lambda_context_ref();
    let request_id = request_id(&req);
    // No deadline (0) only outside Lambda; a deadline already past leaves no time at all.
    let timeout = context
        .filter(|c| c.deadline != 0)
        .map_or(DEFAULT_TIMEOUT, |c| time_until(c.deadline));
    let span = tracing::info_span!("request", request_id = %request_id, function = F::NAME);
    async move {
        let started = std::time::Instant::now();
        let deadline = budget::deadline_after(timeout);
        let (result, measured) = metrics::measure(budget::within(deadline, async {
            ensure_body_within(req.body(), function.common().max_body_bytes)
                .map_err(|error| (None, error))?;
            function
                .handle(req)
                .await
                .map_err(|error| (F::rejection_reason(&error), error.into()))
        }))
        .await;
        // Why it was refused (the `Rejected` metric): the function's reason, else the code.
        let mut rejection = None;
        let mut response = result
            .unwrap_or_else(|exhausted| Err((None, exhausted.into())))
            .unwrap_or_else(|(reason, error): (Option<&'static str>, ApiError)| {
                rejection = Some(reason.unwrap_or_else(|| error.code()));
                error.into_response(&request_id)
            });
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        let usage = measured.usage;
        let status = response.status().as_u16();
        tracing::info!(
            status,
            elapsed_us = started.elapsed().as_micros() as u64,
            dependency_us = usage.dependency_time.as_micros() as u64,
            aws_calls = usage.aws_calls,
            read_units = usage.read_units,
            write_units = usage.write_units,
            "request handled"
        );
        metrics_line::<F>(&measured, rejection, status, started.elapsed(), &request_id).emit();
        response
    }
    .instrument(span)
    .await
}

/// The request's metrics (`emf`): latency, capacity used, server errors, what the handler
/// counted, and why it was refused if it was (4xx).
fn metrics_line<F: Function>(
    measured: &metrics::Measured,
    rejection: Option<&'static str>,
    status: u16,
    elapsed: Duration,
    request_id: &str,
) -> MetricLine {
    let mut line = MetricLine::new(emf::function_name(F::NAME))
        .add("Requests", Unit::Count, 1.0)
        .add(
            "ServerErrors",
            Unit::Count,
            f64::from(u8::from(status >= 500)),
        )
        .add(
            "Latency",
            Unit::Milliseconds,
            elapsed.as_secs_f64() * 1000.0,
        )
        .add("ReadCapacityUnits", Unit::Count, measured.usage.read_units)
        .add(
            "WriteCapacityUnits",
            Unit::Count,
            measured.usage.write_units,
        )
        .property("request_id", request_id)
        .property("status", status);
    for (name, value) in &measured.counts {
        line = line.add(name, Unit::Count, *value);
    }
    match rejection {
        Some(reason) if (400..500).contains(&status) => line.rejected(reason),
        _ => line,
    }
}

/// The request's id: API Gateway's (what its access logs show), else the invocation's.
pub fn request_id(req: &Request) -> String {
    let from_gateway = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    from_gateway
        .filter(|id| !id.is_empty())
        .or_else(|| req.lambda_context_ref().map(|c| c.request_id.clone()))
        .unwrap_or_default()
}

/// Time from now until `deadline_ms` (milliseconds since the Unix epoch); zero if past or unset.
fn time_until(deadline_ms: u64) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_millis(deadline_ms).saturating_sub(now)
}

/// The Lambda entry point: builds the state once, opens the DynamoDB connection during init,
/// then serves invocations with `F`'s handler.
pub async fn run<F, Init, Fut>(init: Init) -> Result<(), lambda_http::Error>
where
    F: Function,
    Init: FnOnce() -> Fut,
    Fut: Future<Output = Result<F, StartupError>>,
{
    crate::telemetry::init();
    let function = init().await.inspect_err(|error| {
        tracing::error!(function = F::NAME, error = %error_chain(error), "cannot start");
    })?;
    // Paying the TLS handshake during init keeps it off the first request. Not fatal: the
    // first request retries the connection anyway.
    if let Err(error) = function.common().store.warm_up().await {
        tracing::warn!(error = %error_chain(&error), "DynamoDB warm-up failed");
    }
    function.common().verifier.prefetch().await;
    let function = &function;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(serve(function, req).await)
    }))
    .await
}
