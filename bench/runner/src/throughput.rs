//! Requests per second of the local server with DynamoDB Local, measured with wrk.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::setup::{find_binary, Bench};
use crate::{Args, Error, Report};

const HEADER: &str = "| endpoint | clients | requests/s | p50 ms | p99 ms | non-2xx | socket errors (connect/read/write/timeout) | invites made / creates answered |\n|---|---:|---:|---:|---:|---:|---|---|\n";

/// A wrk script whose every request creates an invite for an address no other request uses:
/// each wrk thread gets its own number (wrk's Lua threads share one random seed, so random
/// addresses would repeat across threads and turn creates into refreshes).
fn create_script(path: &Path, bench: &Bench, run: &str) -> Result<(), Error> {
    let script = format!(
        r#"local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
local n = 0
request = function()
  n = n + 1
  local body = string.format('{{"tenant_id":"{tenant}","email":"w.{run}.t%d.%d@example.com"}}', id, n)
  return wrk.format("POST", "/v1/invites", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
"#,
        tenant = bench.tenant,
        token = bench.admin_token,
    );
    std::fs::write(path, script)?;
    Ok(())
}

/// Like `create_script`, with each request's tenant taken in turn from `tenants` (the admin is
/// an admin of each): the same load spread over many tenants, to compare with one tenant.
fn create_spread_script(
    path: &Path,
    tenants: &[invites_shared::domain::TenantId],
    token: &str,
    run: &str,
) -> Result<(), Error> {
    let list = tenants
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let script = format!(
        r#"local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
local tenants = {{ {list} }}
local n = 0
request = function()
  n = n + 1
  local tenant = tenants[((id * 7 + n) % #tenants) + 1]
  local body = string.format('{{"tenant_id":"%s","email":"s.{run}.t%d.%d@example.com"}}', tenant, id, n)
  return wrk.format("POST", "/v1/invites", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
"#
    );
    std::fs::write(path, script)?;
    Ok(())
}

/// Invites in all of `tenants`, from their counters.
async fn invites_in(
    bench: &Bench,
    tenants: &[invites_shared::domain::TenantId],
) -> Result<u64, Error> {
    let mut total = 0;
    for tenant in tenants {
        total += bench.store.invite_counts(*tenant).await?.total;
    }
    Ok(total)
}

/// What wrk printed, read.
struct WrkOutput(String);

impl WrkOutput {
    fn value_after(&self, prefix: &str) -> String {
        self.0
            .lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .unwrap_or_else(|| "0".into())
    }

    /// Requests completed (`N requests in …`).
    fn requests(&self) -> u64 {
        self.0
            .lines()
            .find(|l| l.contains(" requests in "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    fn non_2xx(&self) -> u64 {
        self.0
            .lines()
            .find(|l| l.contains("Non-2xx"))
            .and_then(|l| l.split(':').nth(1))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// `connect/read/write/timeout`; wrk prints the line only when one is not zero.
    fn socket_errors(&self) -> String {
        let Some(line) = self.0.lines().find(|l| l.contains("Socket errors:")) else {
            return "0/0/0/0".to_owned();
        };
        line.split(':')
            .nth(1)
            .unwrap_or_default()
            .split(',')
            .map(|part| part.split_whitespace().last().unwrap_or("?").to_owned())
            .collect::<Vec<_>>()
            .join("/")
    }
}

pub async fn run(bench: &Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    if args.seconds == 0 {
        return Ok(());
    }
    eprintln!(
        "throughput: {:?} clients, {} s each",
        args.clients, args.seconds
    );
    report.md.push_str(&format!(
        "\n### Throughput of the local server with DynamoDB Local ({} s per run, wrk)\n\n",
        args.seconds
    ));
    report.md.push_str(HEADER);
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = tokio::process::Command::new(find_binary(&args.bin_dir, "invites-local")?)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env_clear()
        .envs(&bench.env)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let script = std::env::temp_dir().join(format!("bench-create-{}.lua", uuid::Uuid::new_v4()));
    // The hot-tenant comparison: the most clients, creating into as many tenants as clients.
    let most = args.clients.iter().copied().max().unwrap_or(1);
    let mut spread = Vec::new();
    for i in 0..most {
        spread.push(
            bench
                .tenant_with_admin(&format!("Bench Spread Tenant {i}"))
                .await?,
        );
    }
    let runs = ["list", "create"]
        .into_iter()
        .flat_map(|endpoint| args.clients.iter().map(move |clients| (endpoint, *clients)))
        .chain(std::iter::once(("create, one tenant each", most)));
    for (endpoint, clients) in runs {
        let clients = &clients;
        {
            let mut command = std::process::Command::new("wrk");
            command.args([
                "--latency",
                "-t",
                &(*clients).min(2).to_string(),
                "-c",
                &clients.to_string(),
                "-d",
                &format!("{}s", args.seconds),
                "-H",
                &format!("Authorization: Bearer {}", bench.admin_token),
            ]);
            let counted: Vec<_> = if endpoint == "create" {
                create_script(&script, bench, &format!("c{clients}"))?;
                command.args(["-s", &script.display().to_string()]);
                vec![bench.tenant]
            } else if endpoint != "list" {
                create_spread_script(&script, &spread, &bench.admin_token, &format!("s{clients}"))?;
                command.args(["-s", &script.display().to_string()]);
                spread.clone()
            } else {
                vec![bench.tenant]
            };
            command.arg(format!("http://127.0.0.1:{port}/v1/invites?limit=20"));
            let before = invites_in(bench, &counted).await?;
            let output = WrkOutput(String::from_utf8_lossy(&command.output()?.stdout).into_owned());
            // Requests still in flight when wrk stops may land after it; give them a moment.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let made = invites_in(bench, &counted).await? - before;
            let (requests, non_2xx) = (output.requests(), output.non_2xx());
            let made_cell = if endpoint != "list" {
                format!("{made} / {}", requests - non_2xx)
            } else {
                "–".to_owned()
            };
            let (rps, p50, p99) = (
                output.value_after("Requests/sec:"),
                output.value_after("50%"),
                output.value_after("99%"),
            );
            let socket_errors = output.socket_errors();
            report.md.push_str(&format!(
                "| {endpoint} | {clients} | {rps} | {p50} | {p99} | {non_2xx} | {socket_errors} | {made_cell} |\n"
            ));
            report.results["throughput"][endpoint][clients.to_string()] = json!({
                "requests_per_s": rps, "p50": p50, "p99": p99, "requests": requests,
                "non_2xx": non_2xx, "socket_errors": socket_errors, "invites_made": made,
                "raw": output.0,
            });
        }
    }
    let _ = std::fs::remove_file(&script);
    let _ = server.kill().await;
    Ok(())
}
