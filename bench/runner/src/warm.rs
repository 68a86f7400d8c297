//! Warm invocations: latency, overhead, memory and DynamoDB cost per function.

use std::time::Instant;

use invites_bench::runtime_api::FunctionProcess;
use serde_json::json;

use crate::setup::{Bench, FUNCTIONS};
use crate::stats::*;
use crate::{Args, Error, Report};

pub async fn run(bench: &mut Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    eprintln!("warm: {} invocations per function", args.warm);
    report
        .md
        .push_str("\n### Warm invocations (through the Runtime API)\n\n");
    report.md.push_str("| function | round trip p50 / p99 ms | handler p50 / p99 ms | in DynamoDB/SES (median share) | our overhead p50 / p99 ms | peak RSS MiB | RCU / WCU per request |\n|---|---|---|---:|---|---:|---|\n");
    for function in FUNCTIONS {
        let log = std::env::temp_dir().join(format!(
            "bench-{function}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut process =
            FunctionProcess::start(&bench.binaries[function], &bench.env, Some(&log)).await?;
        process.invoke(bench.next_event(function)).await?; // the cold one, not counted
        let mut round_trips = Vec::with_capacity(args.warm);
        for _ in 0..args.warm {
            let event = bench.next_event(function);
            let started = Instant::now();
            let outcome = process.invoke(event).await?;
            round_trips.push(ms(started.elapsed()));
            let status = status_of(&outcome);
            if !(200..300).contains(&status) {
                return Err(format!("{function}: warm invocation answered {status}").into());
            }
        }
        let rss_mib = process.peak_rss_kib().unwrap_or(0) as f64 / 1024.0;
        process.stop().await;
        let lines = handled_lines(&log);
        let _ = std::fs::remove_file(&log);
        let field = |name: &str| -> Vec<f64> {
            lines
                .iter()
                .skip(1)
                .map(|l| l[name].as_f64().unwrap_or(0.0))
                .collect()
        };
        let handler = sorted(field("elapsed_us").iter().map(|us| us / 1000.0).collect());
        let dependency: Vec<f64> = field("dependency_us")
            .iter()
            .map(|us| us / 1000.0)
            .collect();
        let overhead = sorted(
            field("elapsed_us")
                .iter()
                .zip(field("dependency_us"))
                .map(|(e, d)| (e - d) / 1000.0)
                .collect(),
        );
        let shares = sorted(
            field("elapsed_us")
                .iter()
                .zip(&dependency)
                .map(|(e, d)| if *e > 0.0 { d * 1000.0 / e } else { 0.0 })
                .collect(),
        );
        let (rcu, wcu) = (sorted(field("read_units")), sorted(field("write_units")));
        let round_trips = sorted(round_trips);
        let cell = |v: &[f64]| {
            if v.is_empty() {
                "–".to_owned()
            } else {
                format!("{:.2} / {:.2}", percentile(v, 50.0), percentile(v, 99.0))
            }
        };
        report.md.push_str(&format!(
            "| {function} | {} | {} | {} | {} | {rss_mib:.1} | {} |\n",
            cell(&round_trips),
            cell(&handler),
            if shares.is_empty() {
                "–".to_owned()
            } else {
                format!("{:.0}%", percentile(&shares, 50.0) * 100.0)
            },
            cell(&overhead),
            if rcu.is_empty() {
                "–".to_owned()
            } else {
                format!("{} / {}", percentile(&rcu, 50.0), percentile(&wcu, 50.0))
            },
        ));
        report.results["warm"][function] = json!({
            "round_trip_ms": { "p50": percentile(&round_trips, 50.0), "p99": percentile(&round_trips, 99.0) },
            "handler_ms": { "p50": percentile(&handler, 50.0), "p99": percentile(&handler, 99.0) },
            "overhead_ms": { "p50": percentile(&overhead, 50.0), "p99": percentile(&overhead, 99.0) },
            "dependency_share_median": percentile(&shares, 50.0),
            "peak_rss_mib": rss_mib,
            "read_units_median": percentile(&rcu, 50.0),
            "write_units_median": percentile(&wcu, 50.0),
        });
    }
    Ok(())
}
