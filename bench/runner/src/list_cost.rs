//! What a list request costs at growing tenant sizes.

use std::collections::HashMap;

use invites_bench::runtime_api::FunctionProcess;
use serde_json::json;

use crate::setup::{event, token, Bench};
use crate::stats::*;
use crate::{Args, Error, Report};

pub async fn run(bench: &mut Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    eprintln!("list cost at tenant sizes {:?}", args.sizes);
    report.md.push_str(
        "\n### List cost by tenant size (read capacity units per request; invites 0.4 KB each)\n\n",
    );
    report.md.push_str("| invites in tenant | first page, no filter | offset 500 | page 26 by cursor (offset 500) | status=pending | status=expired | email filter (1% match; 422 past the 2,000 invites a filter may read) |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    for size in &args.sizes {
        let tenant = bench.tenant_with_admin("Bench Size Tenant").await?;
        bench.seed_invites(tenant, *size).await?;
        let admin = token(bench.admin.id, &bench.admin.email, tenant);
        let log = std::env::temp_dir().join(format!(
            "bench-list-{size}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut process =
            FunctionProcess::start(&bench.binaries["list-invites"], &bench.env, Some(&log)).await?;
        // The cursor of the page that ends at 500 (read first, not measured below).
        let before = process
            .invoke(event(
                "GET",
                "/v1/invites",
                "/v1/invites",
                "limit=20&offset=480",
                &admin,
            ))
            .await?;
        let cursor = match &before {
            invites_bench::runtime_api::Outcome::Response(response) => {
                serde_json::from_str::<serde_json::Value>(response["body"].as_str().unwrap_or("{}"))
                    .ok()
                    .and_then(|body| body["next_cursor"].as_str().map(str::to_owned))
            }
            _ => None,
        };
        // A tenant of 500 or fewer has no page after 500: that column shows "–".
        let has_cursor = cursor.is_some();
        let by_cursor = format!("limit=20&cursor={}", cursor.unwrap_or_default());
        let queries = [
            "limit=20",
            "limit=20&offset=500",
            by_cursor.as_str(),
            "limit=20&status=pending",
            "limit=20&status=expired",
            "limit=20&email=needle",
        ];
        for query in queries {
            process
                .invoke(event("GET", "/v1/invites", "/v1/invites", query, &admin))
                .await?;
        }
        process.stop().await;
        let lines = handled_lines(&log);
        let _ = std::fs::remove_file(&log);
        // The first line is the unmeasured request for the cursor.
        let units: Vec<f64> = lines
            .iter()
            .skip(1)
            .map(|l| l["read_units"].as_f64().unwrap_or(f64::NAN))
            .collect();
        let refused: Vec<bool> = lines.iter().skip(1).map(|l| l["status"] == 422).collect();
        report.md.push_str(&format!(
            "| {size} | {} |\n",
            units
                .iter()
                .enumerate()
                .map(|(i, u)| if i == 2 && !has_cursor {
                    "–".to_owned()
                } else if refused.get(i) == Some(&true) {
                    format!("{u} (422)")
                } else {
                    format!("{u}")
                })
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        report.results["list_cost_rcu"][size.to_string()] = json!(queries
            .iter()
            .zip(&units)
            .map(|(q, u)| (
                if q.contains("cursor=") {
                    "limit=20&cursor (at 500)".to_owned()
                } else {
                    q.to_string()
                },
                *u
            ))
            .collect::<HashMap<_, _>>());
    }
    Ok(())
}
