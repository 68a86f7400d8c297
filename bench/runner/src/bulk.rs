//! Onboarding a team: 500 invitations (`--bulk-invites`) into one tenant from 16 clients at
//! once, against the local server with the email pace on (`SES_MAX_SEND_RATE`), as an admin's
//! script would send them (a 429 waits a second and repeats). Time, latency, capacity, SES sends and the
//! busiest second of sending.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::setup::{find_binary, Bench};
use crate::stats::percentile;
use crate::{Args, Error, Report};

const CLIENTS: usize = 16;
/// The usual starting sending rate of a production SES account.
const SEND_RATE: u32 = 14;

pub async fn run(bench: &Bench, args: &Args, report: &mut Report) -> Result<(), Error> {
    let invites = args.bulk_invites;
    if invites == 0 {
        return Ok(());
    }
    eprintln!("bulk: {invites} invites, {CLIENTS} clients, {SEND_RATE} emails/s");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::env::temp_dir().join(format!("bench-bulk-{}.log", uuid::Uuid::new_v4()));
    let mut server = tokio::process::Command::new(find_binary(&args.bin_dir, "invites-local")?)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env_clear()
        .envs(&bench.env)
        .env("SES_MAX_SEND_RATE", SEND_RATE.to_string())
        .env("RUST_LOG", "info")
        .stdout(std::fs::File::create(&log)?)
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tenant = bench.tenant_with_admin("Bench Onboarding").await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let (http, token, run) = (http.clone(), bench.admin_token.clone(), run.clone());
        let url = format!("http://127.0.0.1:{port}/v1/invites");
        clients.spawn(async move {
            let (mut latencies, mut refused) = (Vec::new(), 0u64);
            for n in (client..invites).step_by(CLIENTS) {
                let body =
                    json!({ "tenant_id": tenant, "email": format!("bulk.{run}.{n}@example.com") });
                loop {
                    let sent = Instant::now();
                    let status = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    if status != 429 {
                        break (status == 201).then_some(()).ok_or(status)?;
                    }
                    refused += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            Ok::<_, u16>((latencies, refused))
        });
    }
    let (mut latencies, mut refused, mut failed) = (Vec::new(), 0, Vec::new());
    while let Some(done) = clients.join_next().await {
        match done? {
            Ok((times, retries)) => {
                latencies.extend(times);
                refused += retries;
            }
            Err(status) => failed.push(status),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = server.kill().await;
    let (mut rcu, mut wcu) = (0.0, 0.0);
    for line in crate::stats::handled_lines(&log) {
        rcu += line["read_units"].as_f64().unwrap_or(0.0);
        wcu += line["write_units"].as_f64().unwrap_or(0.0);
    }
    let _ = std::fs::remove_file(&log);
    let counts = bench.store.invite_counts(tenant).await?;
    let ses = bench.env["AWS_ENDPOINT_URL_SES"].clone();
    let store: Value = http
        .get(format!("{ses}/store"))
        .send()
        .await?
        .json()
        .await?;
    let mut per_second: HashMap<i64, u32> = HashMap::new();
    let mut sent = 0;
    for mail in store["emails"].as_array().into_iter().flatten() {
        let to = mail["destination"]["to"][0].as_str().unwrap_or_default();
        if to.starts_with(&format!("bulk.{run}.")) {
            sent += 1;
            *per_second
                .entry(mail["at"].as_i64().unwrap_or(0))
                .or_default() += 1;
        }
    }
    let busiest = per_second.values().copied().max().unwrap_or(0);
    latencies.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
    report.md.push_str(&format!(
        "\n### Onboarding a team: {invites} invites into one tenant, {CLIENTS} clients, emails paced at {SEND_RATE}/s\n\n\
         | time | invites made | SES sends | busiest second (sends) | 429s repeated after 1 s | failed clients | request p50 / p99 ms | RCU / WCU in all | per invite |\n\
         |---:|---:|---:|---:|---:|---:|---|---|---|\n\
         | {elapsed:.1} s | {} | {sent} | {busiest} | {refused} | {} | {p50:.0} / {p99:.0} | {rcu:.0} / {wcu:.0} | {:.1} / {:.1} |\n",
        counts.total,
        failed.len(),
        rcu / invites as f64,
        wcu / invites as f64,
    ));
    report.results["bulk"] = json!({
        "invites": invites, "clients": CLIENTS, "send_rate": SEND_RATE, "seconds": elapsed,
        "made": counts.total, "ses_sends": sent, "busiest_second": busiest, "refused_429": refused,
        "failed_clients": failed, "p50_ms": p50, "p99_ms": p99, "rcu": rcu, "wcu": wcu,
    });
    Ok(())
}
