//! Small statistics and log reading.

use std::path::Path;
use std::time::Duration;

use invites_bench::runtime_api::Outcome;
use serde_json::Value;

/// Percentile of a sorted list (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    values
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The "request handled" lines of a function's log.
pub fn handled_lines(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "request handled")
        .map(|line| line["fields"].clone())
        .collect()
}

pub fn status_of(outcome: &Outcome) -> i64 {
    match outcome {
        Outcome::Response(response) => response["statusCode"].as_i64().unwrap_or(0),
        Outcome::Error(_) => -1,
    }
}
