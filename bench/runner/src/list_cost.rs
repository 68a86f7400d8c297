//! What a list request costs at growing tenant sizes.

use std::collections::HashMap;

use invites_bench::runtime_api::{FunctionProcess, Outcome};
use serde_json::{json, Value};

use crate::setup::{event, token, Bench};
use crate::stats::*;
use crate::{Args, Error, Report};

/// The columns, in the order they are requested: a deep offset is first read fresh (nothing
/// before it left a skip point), then again and with the next page (from skip points); the
/// cursor is the one the fresh offset-500 page handed out.
const COLUMNS: [(&str, &str); 11] = [
    ("first page, no filter", "limit=20"),
    ("offset 500, first read", "limit=20&offset=500"),
    ("offset 500 again", "limit=20&offset=500"),
    ("offset 520 (the next page)", "limit=20&offset=520"),
    ("offset 5,000, first read", "limit=20&offset=5000"),
    ("offset 5,000 again", "limit=20&offset=5000"),
    ("page 27 by cursor (after offset 500's page)", "cursor"),
    ("status=pending", "limit=20&status=pending"),
    (
        "status=pending offset 500, first read",
        "limit=20&status=pending&offset=500",
    ),
    ("status=expired", "limit=20&status=expired"),
    (
        "email filter (1% match; 422 past the 2,000 invites a filter may read)",
        "limit=20&email=needle",
    ),
];

fn body_of(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Response(response) => {
            serde_json::from_str(response["body"].as_str().unwrap_or("{}")).unwrap_or(Value::Null)
        }
        _ => Value::Null,
    }
}

pub async fn run(bench: &mut Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    eprintln!("list cost at tenant sizes {:?}", args.sizes);
    report.md.push_str(
        "\n### List cost by tenant size (read capacity units per request; invites 0.4 KB each)\n\n\
         A deep offset's first read pays for the invites it skips (DynamoDB has no offset); it \
         leaves skip points (every 50 positions), so that the same offset again, the next page \
         and any offset near it read at most 49 invites more than a page while no write moved \
         the tenant's invites (skip_points.rs). \"–\": the tenant has no invite that deep.\n\n",
    );
    let header: Vec<&str> = COLUMNS.iter().map(|(name, _)| *name).collect();
    report.md.push_str(&format!(
        "| invites in tenant | seeded in | {} |\n|---:|---:|{}\n",
        header.join(" | "),
        "---:|".repeat(COLUMNS.len())
    ));
    for size in &args.sizes {
        let tenant = bench.tenant_with_admin("Bench Size Tenant").await?;
        let seeding = std::time::Instant::now();
        bench.seed_invites(tenant, *size).await?;
        let seeded_in = seeding.elapsed().as_secs_f64();
        eprintln!("  {size} invites seeded in {seeded_in:.1} s");
        // Reads within a second of a write leave no skip points (skip_points.rs).
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
        let admin = token(bench.admin.id, &bench.admin.email, tenant);
        let log = std::env::temp_dir().join(format!(
            "bench-list-{size}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut process =
            FunctionProcess::start(&bench.binaries["list-invites"], &bench.env, Some(&log)).await?;
        let mut cursor = None;
        for (_, query) in COLUMNS {
            let query = match query {
                "cursor" => format!("limit=20&cursor={}", cursor.clone().unwrap_or_default()),
                query => query.to_owned(),
            };
            let outcome = process
                .invoke(event("GET", "/v1/invites", "/v1/invites", &query, &admin))
                .await?;
            if query == "limit=20&offset=500" && cursor.is_none() {
                cursor = body_of(&outcome)["next_cursor"].as_str().map(str::to_owned);
            }
        }
        process.stop().await;
        let lines = handled_lines(&log);
        let _ = std::fs::remove_file(&log);
        let units: Vec<f64> = lines
            .iter()
            .map(|l| l["read_units"].as_f64().unwrap_or(f64::NAN))
            .collect();
        let refused: Vec<bool> = lines.iter().map(|l| l["status"] == 422).collect();
        let beyond = |column: &str| {
            let depth = if column.contains("5,000") {
                5_000
            } else if column.contains("500") || column.contains("520") {
                500
            } else {
                0
            };
            *size <= depth
        };
        let cells: Vec<String> = COLUMNS
            .iter()
            .zip(&units)
            .enumerate()
            .map(|(i, ((column, _), u))| {
                if beyond(column) {
                    "–".to_owned()
                } else if refused.get(i) == Some(&true) {
                    format!("{u} (422)")
                } else {
                    format!("{u}")
                }
            })
            .collect();
        report.md.push_str(&format!(
            "| {size} | {seeded_in:.0} s | {} |\n",
            cells.join(" | ")
        ));
        report.results["list_cost_rcu"][size.to_string()] = json!(COLUMNS
            .iter()
            .zip(&units)
            .map(|((column, query), u)| {
                let name = if *query == "limit=20" {
                    "limit=20"
                } else {
                    column
                };
                (name.to_owned(), *u)
            })
            .collect::<HashMap<_, _>>());
    }
    Ok(())
}
