//! Structured JSON logs. Tokens, `Authorization` headers and cookies are never logged:
//! nothing of ours records headers, and handlers log ids, not credentials.
//!
//! `RUST_LOG` is a level (`error`, `warn`, `info`, `debug`, `trace`) for this project's crates
//! only. Other crates are capped at `info`: at `trace` the Lambda runtime logs each raw event,
//! headers and cookies included, and below `info` the SDK logs requests. Directives in
//! `RUST_LOG` (`crate=level`) are not honoured, so that no setting can turn those on.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The crates whose logs `RUST_LOG` governs.
const OURS: &[&str] = &[
    "invites_shared",
    "create_invite",
    "list_invites",
    "accept_invite",
    "delete_invite",
    "update_invite",
    "preview_invite",
    "directory_sync",
    "publish_events",
    "expire_invites",
    "retire_invites",
    "email_events",
    "not_found",
    "invites_local",
];

/// The filter for `rust_log`: its level for our crates, at most `info` for the others. A
/// plain per-crate filter, not `EnvFilter`: that one's directive language needs the regex
/// engine, half a megabyte of every binary for a feature no setting here may use.
pub fn filter(rust_log: Option<&str>) -> Targets {
    let level = rust_log
        .and_then(|raw| raw.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    Targets::new()
        .with_default(level.min(LevelFilter::INFO))
        .with_targets(OURS.iter().map(|krate| (*krate, level)))
}

/// JSON lines on stdout (CloudWatch in Lambda). Each line carries the current span, which
/// holds the request id.
pub fn init() {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    let lines = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_filter(filter);
    // A second init (tests, local server) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::registry().with(lines).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_crates_never_log_below_info() {
        use tracing::Level;
        for (rust_log, ours, others) in [
            (Some("trace"), Level::TRACE, Level::INFO),
            (Some("debug"), Level::DEBUG, Level::INFO),
            (Some("warn"), Level::WARN, Level::WARN),
            (Some("lambda_runtime=trace"), Level::INFO, Level::INFO),
            (None, Level::INFO, Level::INFO),
        ] {
            let filter = filter(rust_log);
            let enabled = |target, level| filter.would_enable(target, &level);
            assert!(enabled("invites_shared", ours), "{rust_log:?}");
            assert!(enabled("list_invites::input", ours), "{rust_log:?}");
            assert!(enabled("aws_smithy_runtime", others), "{rust_log:?}");
            for below in [Level::DEBUG, Level::TRACE] {
                assert!(!enabled("lambda_runtime", below), "{rust_log:?}");
                assert!(
                    !enabled("aws_smithy_runtime::client", below),
                    "{rust_log:?}"
                );
            }
            if ours < Level::TRACE {
                assert!(!enabled("invites_shared", Level::TRACE), "{rust_log:?}");
            }
        }
    }
}
