//! Warm invocations: latency, overhead (two ways), memory, round trips and DynamoDB cost per
//! function.

use std::time::Instant;

use invites_bench::runtime_api::FunctionProcess;
use serde_json::json;

use crate::setup::{Bench, FUNCTIONS};
use crate::stats::*;
use crate::{Args, Error, Report};

const HEADER: &str = "\
Two definitions of our overhead, side by side. **Whole**: the round trip through the Runtime API
(event in, answer out, as Lambda sees it) minus the time on the wire to DynamoDB/SES, measured by
a TCP proxy in front of each (first request byte forwarded → last answer byte forwarded back):
everything the process does itself, event decoding, auth, SDK serialising and signing, answer
parsing, logging and the Runtime API exchange included. **Handler**: the handler's own time minus
the time inside AWS SDK calls (what the function logs): narrower, it counts the SDK's own CPU as
AWS time and leaves out the Runtime API exchange.

| function | round trip p50 / p99 ms | on the wire p50 ms | whole overhead p50 / p99 ms | handler overhead p50 / p99 ms | AWS calls per request | peak RSS MiB | RCU / WCU per request |
|---|---|---:|---|---|---:|---:|---|
";

fn cell(values: &[f64]) -> String {
    if values.is_empty() {
        "–".to_owned()
    } else {
        format!(
            "{:.2} / {:.2}",
            percentile(values, 50.0),
            percentile(values, 99.0)
        )
    }
}

fn median_cell(values: &[f64], digits: usize) -> String {
    if values.is_empty() {
        "–".to_owned()
    } else {
        format!("{:.*}", digits, percentile(values, 50.0))
    }
}

pub async fn run(bench: &mut Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    eprintln!("warm: {} invocations per function", args.warm);
    report
        .md
        .push_str("\n### Warm invocations (through the Runtime API)\n\n");
    report.md.push_str(HEADER);
    for function in FUNCTIONS {
        let log = std::env::temp_dir().join(format!(
            "bench-{function}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut process =
            FunctionProcess::start(&bench.binaries[function], &bench.env, Some(&log)).await?;
        process.invoke(bench.next_event(function)).await?; // the cold one, not counted
        let (mut round_trips, mut wire, mut whole) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..args.warm {
            let event = bench.next_event(function);
            bench.wire.take();
            let started = Instant::now();
            let outcome = process.invoke(event).await?;
            let round_trip = ms(started.elapsed());
            let on_wire = ms(bench.wire.take());
            round_trips.push(round_trip);
            wire.push(on_wire);
            whole.push(round_trip - on_wire);
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
        let handler_overhead = sorted(
            field("elapsed_us")
                .iter()
                .zip(field("dependency_us"))
                .map(|(e, d)| (e - d) / 1000.0)
                .collect(),
        );
        let calls = sorted(field("aws_calls"));
        let (rcu, wcu) = (sorted(field("read_units")), sorted(field("write_units")));
        let (round_trips, wire, whole) = (sorted(round_trips), sorted(wire), sorted(whole));
        report.md.push_str(&format!(
            "| {function} | {} | {} | {} | {} | {} | {rss_mib:.1} | {} |\n",
            cell(&round_trips),
            median_cell(&wire, 2),
            cell(&whole),
            cell(&handler_overhead),
            median_cell(&calls, 0),
            if rcu.is_empty() {
                "–".to_owned()
            } else {
                format!("{} / {}", percentile(&rcu, 50.0), percentile(&wcu, 50.0))
            },
        ));
        let p = |values: &[f64]| json!({ "p50": percentile(values, 50.0), "p99": percentile(values, 99.0) });
        report.results["warm"][function] = json!({
            "round_trip_ms": p(&round_trips),
            "wire_ms": p(&wire),
            "whole_overhead_ms": p(&whole),
            "handler_overhead_ms": p(&handler_overhead),
            "aws_calls_median": percentile(&calls, 50.0),
            "peak_rss_mib": rss_mib,
            "read_units_median": percentile(&rcu, 50.0),
            "write_units_median": percentile(&wcu, 50.0),
        });
    }
    Ok(())
}
