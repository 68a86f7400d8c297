//! Cold starts, round-robin over the functions.

use std::collections::HashMap;

use invites_bench::runtime_api::FunctionProcess;
use serde_json::json;

use crate::setup::{Bench, FUNCTIONS, SES_FLOOR};
use crate::stats::*;
use crate::{Args, Error, Report};

/// Each function's floor (bench/dynamodb-floor): the same kinds of requests, in the same
/// order, as its cold-start event makes (create a new invite for someone without an account:
/// BatchGet, TransactWrite, SES, UpdateItem; accept: BatchGet, BatchGet, TransactWrite;
/// delete: BatchGet, TransactWrite; update: BatchGet, TransactWrite of the invite and the list
/// version; preview: a GetItem beside the rate window's UpdateItem, then a BatchGet),
/// on the floor binary that links what the function links: (function, label, binary,
/// FLOOR_REQUESTS).
pub const FLOORS: [(&str, &str, &str, &str); 6] = [
    (
        "create-invite",
        "floor of create-invite",
        SES_FLOOR,
        "batch_get,transact,ses,update",
    ),
    (
        "list-invites",
        "floor of list-invites",
        "dynamodb-floor",
        "batch_get,query",
    ),
    (
        "accept-invite",
        "floor of accept-invite",
        "dynamodb-floor",
        "batch_get,batch_get,transact",
    ),
    (
        "delete-invite",
        "floor of delete-invite",
        "dynamodb-floor",
        "batch_get,transact",
    ),
    (
        "update-invite",
        "floor of update-invite",
        "dynamodb-floor",
        "batch_get,move",
    ),
    (
        "preview-invite",
        "floor of preview-invite",
        "dynamodb-floor",
        "get+count,batch_get",
    ),
];

/// The label of the floor `function` (or variant binary) is compared with.
fn matching_floor(function: &str) -> &'static str {
    FLOORS
        .iter()
        .find(|(name, ..)| *name == function)
        .map(|(_, label, ..)| *label)
        .unwrap_or("dynamodb-floor")
}

/// Rounds of starts run before the counted ones (see `run`).
pub const WARMUP_ROUNDS: usize = 5;

/// list-invites with `JWT_HS256_SECRET_ID`: what reading the key at cold start costs.
const SECRET_VARIANT: &str = "list-invites, key from Secrets Manager";

/// With an X-Ray daemon address, as Lambda sets it under active tracing: what sending each SDK
/// call as a subsegment costs (a local UDP socket plays the daemon).
const TRACED_VARIANTS: [(&str, &str); 2] = [
    ("create-invite, traced (X-Ray daemon set)", "create-invite"),
    ("list-invites, traced (X-Ray daemon set)", "list-invites"),
];

const COLD_HEADER: &str = "\
### Cold start

Init: process start → first poll of the Runtime API (configuration, SDK clients, token key, and
the DynamoDB connection opened by a warm-up `GetItem`). First response: process start → answer
of the first invocation, its DynamoDB (and SES) requests included. Each function's floor is
`bench/dynamodb-floor`: `lambda_http` + the AWS SDK built the same way (create-invite's also
links SES), opening its connection with a `GetItem` during init and making, per request, the
same kinds of requests as the function's first one, in the same order, on items of the same
shape (a write puts an invite-shaped item with every list index key), nothing else: no auth,
no parsing, no logging. `dynamodb-floor` alone makes one `GetItem`; hello-world does no I/O.
Five uncounted rounds of starts come first, so that DynamoDB Local's JVM has run every kind of
request before the counted ones (real DynamoDB is never cold).
Locally there is no TLS handshake (DynamoDB Local and the SES
emulator speak plain HTTP) and the binaries are in the page cache: in Lambda both add to every
function and to the floor alike, so compare ratios to the floor, not milliseconds.

";

pub async fn run(bench: &mut Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    eprintln!("cold starts: {} per function", args.starts);
    let mut cold: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut init: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut off_wire: HashMap<&str, Vec<f64>> = HashMap::new();
    // The functions, and list-invites reading its key from Secrets Manager (when moto runs).
    let mut variants: Vec<(&str, &str, HashMap<String, String>)> = FUNCTIONS
        .iter()
        .map(|function| (*function, *function, bench.env.clone()))
        .collect();
    if let Some(env) = &bench.secret_env {
        variants.push((SECRET_VARIANT, "list-invites", env.clone()));
    }
    let daemon = std::net::UdpSocket::bind("127.0.0.1:0")?;
    for (label, function) in TRACED_VARIANTS {
        let mut env = bench.env.clone();
        env.insert(
            "AWS_XRAY_DAEMON_ADDRESS".into(),
            daemon.local_addr()?.to_string(),
        );
        variants.push((label, function, env));
    }
    for (_, label, binary, requests) in FLOORS {
        let mut env = bench.env.clone();
        env.insert("FLOOR_REQUESTS".into(), requests.into());
        env.insert("FLOOR_TENANT".into(), bench.tenant.to_string());
        env.insert("FLOOR_USER".into(), bench.admin.id.to_string());
        variants.push((label, binary, env));
    }
    // The first rounds are not counted: they warm DynamoDB Local's JVM up on every kind of
    // request (real DynamoDB is never cold), so that the counted starts compare our processes.
    for round in 0..WARMUP_ROUNDS + args.starts {
        for (label, function, env) in &variants {
            let (label, function) = (*label, *function);
            let event = bench.next_event(function);
            bench.wire.take();
            let mut process = FunctionProcess::start(&bench.binaries[function], env, None).await?;
            let outcome = process.invoke(event).await?;
            let elapsed = process.since_start();
            let on_wire = bench.wire.take();
            let init_time = process.init_duration().unwrap_or_default();
            process.stop().await;
            let status = status_of(&outcome);
            if !(200..300).contains(&status) {
                return Err(
                    format!("{function}: cold invocation answered {status}: {outcome:?}").into(),
                );
            }
            if round < WARMUP_ROUNDS {
                continue;
            }
            cold.entry(label).or_default().push(ms(elapsed));
            init.entry(label).or_default().push(ms(init_time));
            off_wire
                .entry(label)
                .or_default()
                .push(ms(elapsed.saturating_sub(on_wire)));
        }
    }
    let median = |values: &[f64]| percentile(&sorted(values.to_vec()), 50.0);
    let hello_cold = median(&cold["hello-world"]);
    let floor_init = median(&init["dynamodb-floor"]);
    report.md.push_str(COLD_HEADER);
    let baseline = args.baseline_results()?;
    if let Some((name, _)) = &baseline {
        report.md.push_str(&format!(
            "Before: the medians of the baseline run `{name}`, same harness and machine.\n\n"
        ));
    }
    report.md.push_str("| function | init median / p90 ms | init ÷ floor | first response median / p90 ms | first response ÷ its floor | first response off the wire median ms | off the wire ÷ its floor's | first response ÷ hello-world | before: init / first response median ms |\n|---|---|---:|---|---:|---:|---:|---:|---|\n");
    for (function, binary, _) in &variants {
        let (function, binary) = (*function, *binary);
        let (c, i) = (
            sorted(cold[function].clone()),
            sorted(init[function].clone()),
        );
        let own = sorted(off_wire[function].clone());
        let own50 = percentile(&own, 50.0);
        let (c50, c90, i50, i90) = (
            percentile(&c, 50.0),
            percentile(&c, 90.0),
            percentile(&i, 50.0),
            percentile(&i, 90.0),
        );
        let before = baseline
            .as_ref()
            .map(|(_, results)| &results["cold_start_ms"][function])
            .filter(|previous| !previous.is_null())
            .map(|previous| {
                let median = |phase: &str| previous[phase]["median"].as_f64().unwrap_or(f64::NAN);
                format!("{:.1} / {:.1}", median("init"), median("first_response"))
            })
            .unwrap_or_else(|| "–".to_owned());
        report.md.push_str(&format!(
            "| {function} | {i50:.1} / {i90:.1} | {:.2}× | {c50:.1} / {c90:.1} | {:.2}× | {own50:.1} | {:.2}× | {:.2}× | {before} |\n",
            i50 / floor_init,
            c50 / median(&cold[matching_floor(binary)]),
            own50 / median(&off_wire[matching_floor(binary)]),
            c50 / hello_cold
        ));
        report.results["cold_start_ms"][function] = json!({
            "first_response": { "median": c50, "p90": c90, "all": c },
            "init": { "median": i50, "p90": i90, "all": i },
            "off_wire": { "median": own50, "all": own },
        });
    }
    Ok(())
}
