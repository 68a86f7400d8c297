//! What a list request costs at growing tenant sizes.

use std::collections::HashMap;

use invites_bench::runtime_api::FunctionProcess;
use invites_local::dev;
use invites_shared::domain::Role;
use serde_json::json;

use crate::setup::{event, token, Bench};
use crate::stats::*;
use crate::{Args, Error, Report};

pub async fn run(bench: &mut Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    eprintln!("list cost at tenant sizes {:?}", args.sizes);
    report.md.push_str(
        "\n### List cost by tenant size (read capacity units per request; invites 0.4 KB each)\n\n",
    );
    report.md.push_str("| invites in tenant | first page, no filter | offset 500 | status=pending | email filter (1% match) |\n|---:|---:|---:|---:|---:|\n");
    for size in &args.sizes {
        let tenant = dev::create_tenant(&bench.store, None, "Bench Size Tenant", None).await?;
        dev::add_member(&bench.store, tenant.id, bench.admin.id, Role::Admin).await?;
        bench.seed_invites(tenant.id, *size).await?;
        let admin = token(bench.admin.id, &bench.admin.email, tenant.id);
        let log = std::env::temp_dir().join(format!(
            "bench-list-{size}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut process =
            FunctionProcess::start(&bench.binaries["list-invites"], &bench.env, Some(&log)).await?;
        let queries = [
            "limit=20",
            "limit=20&offset=500",
            "limit=20&status=pending",
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
        let units: Vec<f64> = lines
            .iter()
            .map(|l| l["read_units"].as_f64().unwrap_or(f64::NAN))
            .collect();
        report.md.push_str(&format!(
            "| {size} | {} |\n",
            units
                .iter()
                .map(|u| format!("{u}"))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        report.results["list_cost_rcu"][size.to_string()] = json!(queries
            .iter()
            .zip(&units)
            .map(|(q, u)| (q.to_string(), *u))
            .collect::<HashMap<_, _>>());
    }
    Ok(())
}
