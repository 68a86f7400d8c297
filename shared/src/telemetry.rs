//! Structured JSON logs. Tokens, `Authorization` headers and cookies are never logged:
//! nothing here records headers, and handlers log ids, not credentials.

use tracing_subscriber::EnvFilter;

/// JSON lines on stdout (CloudWatch in Lambda), level from `RUST_LOG` (default `info`).
/// Each line carries the current span, which holds the request id.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests, local server) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .try_init();
}
