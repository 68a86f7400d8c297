//! Structured JSON logs. Tokens, `Authorization` headers and cookies are never logged:
//! nothing of ours records headers, and handlers log ids, not credentials.
//!
//! `RUST_LOG` is a level (`error`, `warn`, `info`, `debug`, `trace`) for this project's crates
//! only. Other crates are capped at `info`: at `trace` the Lambda runtime logs each raw event,
//! headers and cookies included, and below `info` the SDK logs requests. Directives in
//! `RUST_LOG` (`crate=level`) are not honoured, so that no setting can turn those on.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

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
    "not_found",
    "invites_local",
];

/// The filter for `rust_log`: its level for our crates, at most `info` for the others.
pub fn filter(rust_log: Option<&str>) -> EnvFilter {
    let level = rust_log
        .and_then(|raw| raw.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let others = level.min(LevelFilter::INFO);
    let mut directives = vec![others.to_string()];
    directives.extend(OURS.iter().map(|krate| format!("{krate}={level}")));
    EnvFilter::new(directives.join(","))
}

/// JSON lines on stdout (CloudWatch in Lambda). Each line carries the current span, which
/// holds the request id.
pub fn init() {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    // A second init (tests, local server) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_crates_never_log_below_info() {
        for (rust_log, expected) in [
            (Some("trace"), "info,invites_shared=trace"),
            (Some("debug"), "info,invites_shared=debug"),
            (Some("warn"), "warn,invites_shared=warn"),
            (Some("lambda_runtime=trace"), "info,invites_shared=info"),
            (None, "info,invites_shared=info"),
        ] {
            let text = filter(rust_log).to_string();
            let (first, rest) = expected.split_once(',').unwrap();
            assert!(text.contains(rest), "{rust_log:?}: {text}");
            assert!(
                text.split(',').any(|directive| directive == first),
                "{rust_log:?}: {text}"
            );
        }
    }
}
