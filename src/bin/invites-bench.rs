//! `invites-bench`: cold start, warm latency, peak memory, DynamoDB cost and throughput of the
//! four functions, side by side with a hello-world `lambda_http` function, against DynamoDB
//! Local and the SES emulator. Run through `scripts/bench`, which builds the release binaries,
//! starts the emulators and writes BENCHMARKS.md.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Parser;
use invites_local::dev;
use invites_local::runtime_api::{FunctionProcess, Outcome};
use invites_local::template;
use invites_shared::config::Config;
use invites_shared::domain::{Clock, EmailAddress, Invite, InviteId, Role, TenantId, User, UserId};
use invites_shared::store::Store;
use invites_shared::AppState;
use serde_json::{json, Value};

const SECRET: &str = "benchmark-secret-0123456789abcdef-0123456789";

#[derive(Parser)]
struct Args {
    /// Folder with the binaries: `<name>` or cargo-lambda's `<name>/bootstrap`.
    #[arg(long)]
    bin_dir: PathBuf,
    /// Cold starts per function.
    #[arg(long, default_value_t = 30)]
    starts: usize,
    /// Warm invocations per function.
    #[arg(long, default_value_t = 1000)]
    warm: usize,
    /// Tenant sizes for the list cost table.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000")]
    sizes: Vec<usize>,
    /// Concurrent clients for the throughput table.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    clients: Vec<usize>,
    /// Seconds per throughput run; 0 skips throughput.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Raw results (JSON).
    #[arg(long)]
    out: PathBuf,
    /// Result tables (Markdown).
    #[arg(long)]
    markdown: PathBuf,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn find_binary(dir: &Path, name: &str) -> Result<PathBuf, Error> {
    [dir.join(name).join("bootstrap"), dir.join(name)]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| format!("no binary {name} in {}", dir.display()).into())
}

/// Percentile of a sorted list (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    values
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Bench {
    env: HashMap<String, String>,
    store: Store,
    tenant: TenantId,
    admin: User,
    admin_token: String,
    lifetime: chrono::Duration,
}

fn token(user: UserId, email: &EmailAddress, tenant: TenantId) -> String {
    let claims = dev::TokenClaims::new(user, email, tenant, chrono::Duration::hours(6));
    dev::mint_hs256(&claims, SECRET.as_bytes())
}

/// An API Gateway HTTP API (v2) event.
fn event(
    method: &str,
    route: &str,
    path: &str,
    query: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {route}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": { "authorization": format!("Bearer {token}"), "content-type": "application/json", "host": "bench" },
        "requestContext": {
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench" },
            "requestId": "bench", "routeKey": format!("{method} {route}"), "stage": "$default",
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench", "domainPrefix": "bench",
            "time": "28/Nov/2026:00:00:00 +0000", "timeEpoch": 0
        },
        "isBase64Encoded": false
    });
    if let Some(id) = path.split('/').nth(3) {
        event["pathParameters"] = json!({ "invite_id": id });
    }
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    event
}

impl Bench {
    fn email(label: &str) -> EmailAddress {
        EmailAddress::parse(&format!(
            "{label}.{}@example.com",
            uuid::Uuid::new_v4().simple()
        ))
        .unwrap()
    }

    /// `count` pending invites in `tenant` (written straight to the store, 32 at a time), with
    /// emails containing `needle` for every hundredth.
    async fn seed_invites(
        &self,
        tenant: TenantId,
        count: usize,
    ) -> Result<Vec<(InviteId, EmailAddress)>, Error> {
        let now = Clock::system().now();
        let mut made = Vec::with_capacity(count);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..count {
            let email = Bench::email(if i % 100 == 0 { "needle" } else { "bench" });
            let invite = Invite {
                id: InviteId::new_random(),
                tenant_id: tenant,
                email: email.clone(),
                role: Role::User,
                expires_at: now.plus(self.lifetime),
                accepted_at: None,
                accepted_by_user_id: None,
                created_at: now,
                updated_at: now,
                invited_by_user_id: self.admin.id,
                email_id: None,
            };
            made.push((invite.id, email));
            let store = self.store.clone();
            tasks.spawn(async move { store.insert_pending_invite(&invite, None).await });
            if tasks.len() >= 32 {
                tasks.join_next().await.unwrap()??;
            }
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        Ok(made)
    }

    /// The event the `n`th invocation of `function` gets.
    fn next_event(&self, function: &str, fresh: &mut Vec<(InviteId, EmailAddress)>) -> Value {
        let t = &self.admin_token;
        match function {
            "create-invite" => {
                let body =
                    json!({ "tenant_id": self.tenant, "email": Bench::email("created").as_str() });
                event("POST", "/v1/invites", "/v1/invites", "", t, Some(body))
            }
            "accept-invite" => {
                let (id, email) = fresh.pop().expect("enough seeded invites");
                let invitee = token(UserId::new_random(), &email, self.tenant);
                event(
                    "POST",
                    "/v1/invites/{invite_id}/accept",
                    &format!("/v1/invites/{id}/accept"),
                    "",
                    &invitee,
                    None,
                )
            }
            "delete-invite" => {
                let (id, _) = fresh.pop().expect("enough seeded invites");
                event(
                    "DELETE",
                    "/v1/invites/{invite_id}",
                    &format!("/v1/invites/{id}"),
                    "",
                    t,
                    None,
                )
            }
            _ => event("GET", "/v1/invites", "/v1/invites", "limit=20", t, None),
        }
    }
}

/// The "request handled" lines of a function's log.
fn handled_lines(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "request handled")
        .map(|line| line["fields"].clone())
        .collect()
}

fn status_of(outcome: &Outcome) -> i64 {
    match outcome {
        Outcome::Response(response) => response["statusCode"].as_i64().unwrap_or(0),
        Outcome::Error(_) => -1,
    }
}

const FUNCTIONS: [&str; 5] = [
    "hello-world",
    "create-invite",
    "list-invites",
    "accept-invite",
    "delete-invite",
];

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let table = format!("invites-bench-{}", uuid::Uuid::new_v4().simple());
    let mut env: HashMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("AWS_"))
        .collect();
    for (k, v) in [
        ("TABLE_NAME", table.as_str()),
        ("SENDER_EMAIL", "bench@example.com"),
        ("INVITE_LINK_BASE_URL", "https://app.example.com/invites"),
        ("JWT_HS256_SECRET", SECRET),
        ("RUST_LOG", "info"),
    ] {
        env.insert(k.into(), v.into());
    }
    let config = Config::from_lookup(|name| env.get(name).cloned())?;
    let state = AppState::build(config.clone(), Clock::system()).await?;
    let definition = template::load_table_definition(&args.template)?;
    template::create_table(state.store.client(), &table, &definition).await?;
    let tenant = dev::create_tenant(&state.store, None, "Bench Tenant", None).await?;
    let admin = dev::create_user(&state.store, None, Bench::email("admin")).await?;
    dev::add_member(&state.store, tenant.id, admin.id, Role::Admin).await?;
    let bench = Bench {
        admin_token: token(admin.id, &admin.email, tenant.id),
        env,
        store: state.store.clone(),
        tenant: tenant.id,
        admin,
        lifetime: config.invite_lifetime,
    };
    let binaries: HashMap<&str, PathBuf> = FUNCTIONS
        .iter()
        .map(|name| Ok((*name, find_binary(&args.bin_dir, name)?)))
        .collect::<Result<_, Error>>()?;
    let mut results = json!({ "table": table, "args": {
        "starts": args.starts, "warm": args.warm, "sizes": args.sizes, "clients": args.clients, "seconds": args.seconds } });
    let mut md = String::new();

    // Invites for accept and delete: one per invocation, made in advance.
    eprintln!("seeding invites for accept and delete");
    let per_function = args.starts + args.warm + 1;
    let mut fresh: HashMap<&str, Vec<(InviteId, EmailAddress)>> = HashMap::new();
    for function in ["accept-invite", "delete-invite"] {
        fresh.insert(
            function,
            bench.seed_invites(bench.tenant, per_function).await?,
        );
    }
    let mut no_invites = Vec::new();

    // ---- cold starts, round-robin over the functions ---------------------------------------
    eprintln!("cold starts: {} per function", args.starts);
    let mut cold: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut init: HashMap<&str, Vec<f64>> = HashMap::new();
    for _ in 0..args.starts {
        for function in FUNCTIONS {
            let pool = fresh.get_mut(function).unwrap_or(&mut no_invites);
            let event = bench.next_event(function, pool);
            let mut process = FunctionProcess::start(&binaries[function], &bench.env, None).await?;
            let outcome = process.invoke(event).await?;
            let elapsed = process.since_start();
            let init_time = process.init_duration().unwrap_or_default();
            process.stop().await;
            let status = status_of(&outcome);
            if !(200..300).contains(&status) {
                return Err(
                    format!("{function}: cold invocation answered {status}: {outcome:?}").into(),
                );
            }
            cold.entry(function).or_default().push(ms(elapsed));
            init.entry(function).or_default().push(ms(init_time));
        }
    }
    let median = |values: &[f64]| percentile(&sorted(values.to_vec()), 50.0);
    let (hello_cold, hello_init) = (median(&cold["hello-world"]), median(&init["hello-world"]));
    md.push_str("### Cold start\n\n");
    md.push_str("Init: process start → first poll of the Runtime API (config, SDK clients, token key, and for the\n");
    md.push_str("invite functions the DynamoDB connection opened by a warm-up GetItem). First response: process start →\n");
    md.push_str("answer of the first invocation, its DynamoDB (and SES) requests included.\n\n");
    md.push_str("| function | init median / p90 ms | init ÷ hello-world | first response median / p90 ms | first response ÷ hello-world |\n|---|---|---:|---|---:|\n");
    for function in FUNCTIONS {
        let (c, i) = (
            sorted(cold[function].clone()),
            sorted(init[function].clone()),
        );
        let (c50, c90, i50, i90) = (
            percentile(&c, 50.0),
            percentile(&c, 90.0),
            percentile(&i, 50.0),
            percentile(&i, 90.0),
        );
        md.push_str(&format!(
            "| {function} | {i50:.1} / {i90:.1} | {:.2}× | {c50:.1} / {c90:.1} | {:.2}× |\n",
            i50 / hello_init,
            c50 / hello_cold
        ));
        results["cold_start_ms"][function] = json!({
            "first_response": { "median": c50, "p90": c90, "all": c },
            "init": { "median": i50, "p90": i90, "all": i },
        });
    }

    // ---- warm latency, overhead, memory, cost ----------------------------------------------
    eprintln!("warm: {} invocations per function", args.warm);
    md.push_str("\n### Warm invocations (through the Runtime API)\n\n");
    md.push_str("| function | round trip p50 / p99 ms | handler p50 / p99 ms | in DynamoDB/SES (median share) | our overhead p50 / p99 ms | peak RSS MiB | RCU / WCU per request |\n|---|---|---|---:|---|---:|---|\n");
    for function in FUNCTIONS {
        let log = std::env::temp_dir().join(format!(
            "bench-{function}-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let mut process =
            FunctionProcess::start(&binaries[function], &bench.env, Some(&log)).await?;
        let pool = fresh.get_mut(function).unwrap_or(&mut no_invites);
        process.invoke(bench.next_event(function, pool)).await?; // the cold one, not counted
        let mut round_trips = Vec::with_capacity(args.warm);
        for _ in 0..args.warm {
            let event = bench.next_event(function, pool);
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
        md.push_str(&format!(
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
        results["warm"][function] = json!({
            "round_trip_ms": { "p50": percentile(&round_trips, 50.0), "p99": percentile(&round_trips, 99.0) },
            "handler_ms": { "p50": percentile(&handler, 50.0), "p99": percentile(&handler, 99.0) },
            "overhead_ms": { "p50": percentile(&overhead, 50.0), "p99": percentile(&overhead, 99.0) },
            "dependency_share_median": percentile(&shares, 50.0),
            "peak_rss_mib": rss_mib,
            "read_units_median": percentile(&rcu, 50.0),
            "write_units_median": percentile(&wcu, 50.0),
        });
    }

    // ---- list cost by tenant size ------------------------------------------------------------
    eprintln!("list cost at tenant sizes {:?}", args.sizes);
    md.push_str(
        "\n### List cost by tenant size (read capacity units per request; invites 0.4 KB each)\n\n",
    );
    md.push_str("| invites in tenant | first page, no filter | offset 500 | status=pending | email filter (1% match) |\n|---:|---:|---:|---:|---:|\n");
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
            FunctionProcess::start(&binaries["list-invites"], &bench.env, Some(&log)).await?;
        let queries = [
            "limit=20",
            "limit=20&offset=500",
            "limit=20&status=pending",
            "limit=20&email=needle",
        ];
        for query in queries {
            process
                .invoke(event(
                    "GET",
                    "/v1/invites",
                    "/v1/invites",
                    query,
                    &admin,
                    None,
                ))
                .await?;
        }
        process.stop().await;
        let lines = handled_lines(&log);
        let _ = std::fs::remove_file(&log);
        let units: Vec<f64> = lines
            .iter()
            .map(|l| l["read_units"].as_f64().unwrap_or(f64::NAN))
            .collect();
        md.push_str(&format!(
            "| {size} | {} |\n",
            units
                .iter()
                .map(|u| format!("{u}"))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        results["list_cost_rcu"][size.to_string()] = json!(queries
            .iter()
            .zip(&units)
            .map(|(q, u)| (q.to_string(), *u))
            .collect::<HashMap<_, _>>());
    }

    // ---- throughput of the local server -------------------------------------------------------
    if args.seconds > 0 {
        eprintln!(
            "throughput: {:?} clients, {} s each",
            args.clients, args.seconds
        );
        md.push_str(&format!(
            "\n### Throughput of the local server with DynamoDB Local ({} s per run, wrk)\n\n",
            args.seconds
        ));
        md.push_str("| endpoint | clients | requests/s | p50 ms | p99 ms | non-2xx |\n|---|---:|---:|---:|---:|---:|\n");
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
                md.push_str(&format!(
                    "| {endpoint} | {clients} | {rps} | {p50} | {p99} | {non_2xx} |\n"
                ));
                results["throughput"][endpoint][clients.to_string()] = json!({ "requests_per_s": rps, "p50": p50, "p99": p99, "non_2xx": non_2xx, "raw": output });
            }
        }
        let _ = server.kill().await;
    }

    std::fs::write(&args.out, serde_json::to_string_pretty(&results)?)?;
    std::fs::write(&args.markdown, md)?;
    eprintln!(
        "wrote {} and {}",
        args.out.display(),
        args.markdown.display()
    );
    Ok(())
}
