//! The targets of design.md, judged from this run's results only: no figure in BENCHMARKS.md is
//! typed by hand.

use serde_json::Value;

use crate::Report;

const INVITE_FUNCTIONS: [&str; 6] = [
    "create-invite",
    "list-invites",
    "accept-invite",
    "delete-invite",
    "update-invite",
    "preview-invite",
];

/// The smallest and largest of `field` over the invite functions.
fn range(results: &Value, path: &[&str]) -> (f64, f64) {
    let values: Vec<f64> = INVITE_FUNCTIONS
        .iter()
        .filter_map(|function| {
            let mut value = &results[path[0]][*function];
            for key in &path[1..] {
                value = &value[*key];
            }
            value.as_f64()
        })
        .collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

fn verdict(met: bool) -> &'static str {
    if met {
        "**met**"
    } else {
        "**missed**"
    }
}

pub fn write(report: &mut Report) {
    let results = &report.results;
    let median =
        |label: &str, phase: &str| results["cold_start_ms"][label][phase]["median"].as_f64();
    let mut rows = Vec::new();
    // Each function against its floor: the same kinds of requests (cold.rs); end to end, and
    // with the time spent waiting on DynamoDB/SES taken out (our code's share).
    let cold_targets = [
        ("first_response", "cold start (first response) ≤ 1.15× its floor (the same kinds of requests)"),
        ("off_wire", "cold start off the wire (first response minus time waiting on DynamoDB/SES) ≤ 1.15× its floor's"),
    ];
    for (phase, target) in cold_targets {
        let ratios: Vec<f64> = crate::cold::FLOORS
            .iter()
            .filter_map(|(function, floor, ..)| {
                Some(median(function, phase)? / median(floor, phase)?)
            })
            .collect();
        if !ratios.is_empty() {
            let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            rows.push(format!(
                "| {target} | {} : {low:.2}–{high:.2}× |",
                verdict(high <= 1.15)
            ));
        }
    }
    let (_, whole) = range(results, &["warm", "whole_overhead_ms", "p99"]);
    let (_, handler) = range(results, &["warm", "handler_overhead_ms", "p99"]);
    rows.push(format!(
        "| our overhead ≤ 1 ms at p99 | {} : whole ≤ {whole:.2} ms, handler-only ≤ {handler:.2} ms |",
        verdict(whole <= 1.0)
    ));
    let (_, rss) = range(results, &["warm", "peak_rss_mib"]);
    rows.push(format!(
        "| peak RSS ≤ 32 MiB (Lambda's smallest size is 128 MB) | {} : ≤ {rss:.1} MiB |",
        verdict(rss <= 32.0)
    ));
    if let Some(sizes) = results["list_cost_rcu"].as_object() {
        let first_pages: Vec<f64> = sizes
            .values()
            .filter_map(|costs| costs["limit=20"].as_f64())
            .collect();
        let same = first_pages.windows(2).all(|pair| pair[0] == pair[1]);
        let sizes: Vec<&String> = sizes.keys().collect();
        rows.push(format!(
            "| list first page costs the same at every tenant size | {} : {first_pages:?} RCU at {sizes:?} invites |",
            verdict(same && !first_pages.is_empty())
        ));
    }
    if let Some(sizes) = results["list_cost_rcu"].as_object() {
        // Deep offsets from their skip points, against the first page of the same tenant.
        let from_points: Vec<f64> = sizes
            .values()
            .flat_map(|costs| {
                let first = costs["limit=20"].as_f64().unwrap_or(f64::NAN);
                [
                    "offset 500 again",
                    "offset 520 (the next page)",
                    "offset 5,000 again",
                ]
                .into_iter()
                .filter_map(move |column| Some(costs[column].as_f64()? / first))
            })
            .filter(|ratio| ratio.is_finite())
            .collect();
        if !from_points.is_empty() {
            let high = from_points.iter().copied().fold(0.0, f64::max);
            rows.push(format!(
                "| offset 500 / 5,000 read again or paged on ≤ 3× the first page | {} : ≤ {high:.2}× |",
                verdict(high <= 3.0)
            ));
        }
    }
    report
        .md
        .push_str("\n### Targets (computed from this run)\n\n| target | result |\n|---|---|\n");
    for row in rows {
        report.md.push_str(&row);
        report.md.push('\n');
    }
}
