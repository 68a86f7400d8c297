//! Requests per second of the local server with DynamoDB Local, measured with wrk.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::setup::{find_binary, Bench};
use crate::{Args, Error, Report};

pub async fn run(bench: &Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    if args.seconds > 0 {
        eprintln!(
            "throughput: {:?} clients, {} s each",
            args.clients, args.seconds
        );
        report.md.push_str(&format!(
            "\n### Throughput of the local server with DynamoDB Local ({} s per run, wrk)\n\n",
            args.seconds
        ));
        report.md.push_str("| endpoint | clients | requests/s | p50 ms | p99 ms | non-2xx |\n|---|---:|---:|---:|---:|---:|\n");
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
        let script = std::env::temp_dir().join("bench-create.lua");
        std::fs::write(
            &script,
            format!(
                r#"local n = 0
request = function()
  n = n + 1
  local body = string.format('{{"tenant_id":"{}","email":"w%d.%d@example.com"}}', math.random(1, 1000000000), n)
  return wrk.format("POST", "/v1/invites", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {}"}}, body)
end
"#,
                bench.tenant, bench.admin_token
            ),
        )?;
        for (endpoint, extra) in [("list", None), ("create", Some(&script))] {
            for clients in &args.clients {
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
                if let Some(script) = extra {
                    command.args(["-s", &script.display().to_string()]);
                }
                command.arg(format!("http://127.0.0.1:{port}/v1/invites?limit=20"));
                let output = String::from_utf8_lossy(&command.output()?.stdout).into_owned();
                let find = |prefix: &str| -> String {
                    output
                        .lines()
                        .find(|l| l.trim_start().starts_with(prefix))
                        .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
                        .unwrap_or_else(|| "0".into())
                };
                let rps = find("Requests/sec:");
                let (p50, p99) = (find("50%"), find("99%"));
                let non_2xx = output
                    .lines()
                    .find(|l| l.contains("Non-2xx"))
                    .and_then(|l| l.split(':').nth(1).map(|s| s.trim().to_owned()))
                    .unwrap_or_else(|| "0".into());
                report.md.push_str(&format!(
                    "| {endpoint} | {clients} | {rps} | {p50} | {p99} | {non_2xx} |\n"
                ));
                report.results["throughput"][endpoint][clients.to_string()] = json!({ "requests_per_s": rps, "p50": p50, "p99": p99, "non_2xx": non_2xx, "raw": output });
            }
        }
        let _ = server.kill().await;
    }
    Ok(())
}
