//! `invites-bench`: cold start, warm latency, peak memory, DynamoDB cost and throughput of the
//! four functions, side by side with a hello-world `lambda_http` function, against DynamoDB
//! Local and the SES emulator. Run through `scripts/bench`, which builds the release binaries,
//! starts the emulators and writes BENCHMARKS.md.

mod bulk;
mod cold;
mod list_cost;
mod setup;
mod stats;
mod targets;
mod throughput;
mod warm;

use std::path::PathBuf;

use clap::Parser;
use serde_json::{json, Value};

pub use invites_shared::BoxError as Error;

#[derive(Parser)]
pub struct Args {
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
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000,100000")]
    sizes: Vec<usize>,
    /// Concurrent clients for the throughput table.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    clients: Vec<usize>,
    /// Seconds per throughput run; 0 skips throughput.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Invitations of the onboarding run (16 clients, one tenant, emails paced); 0 skips it.
    #[arg(long, default_value_t = 500)]
    bulk_invites: usize,
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Raw results (JSON).
    #[arg(long)]
    out: PathBuf,
    /// Result tables (Markdown).
    #[arg(long)]
    markdown: PathBuf,
    /// An earlier run's raw results, shown beside this run's figures.
    #[arg(long)]
    baseline: Option<PathBuf>,
}

impl Args {
    /// The baseline's file name and results, if one was given.
    fn baseline_results(&self) -> Result<Option<(String, Value)>, Error> {
        let Some(path) = &self.baseline else {
            return Ok(None);
        };
        let results = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        Ok(Some((name.into_owned(), results)))
    }
}

/// What the sections write: Markdown tables and the raw results.
pub struct Report {
    md: String,
    results: Value,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let mut bench = setup::Bench::set_up(&args).await?;
    let mut report = Report {
        md: String::new(),
        results: json!({ "table": bench.table(), "args": {
            "starts": args.starts, "warm": args.warm, "sizes": args.sizes,
            "clients": args.clients, "seconds": args.seconds } }),
    };
    // Cold starts first, on an emulator that has written little (setup.rs: `stock`).
    bench.stock(cold::WARMUP_ROUNDS + args.starts).await?;
    cold::run(&mut bench, &args, &mut report).await?;
    bench.stock(args.warm + 1).await?;
    warm::run(&mut bench, &args, &mut report).await?;
    list_cost::run(&mut bench, &args, &mut report).await?;
    throughput::run(&bench, &args, &mut report).await?;
    bulk::run(&bench, &args, &mut report).await?;
    targets::write(&mut report);
    std::fs::write(&args.out, serde_json::to_string_pretty(&report.results)?)?;
    std::fs::write(&args.markdown, report.md)?;
    eprintln!(
        "wrote {} and {}",
        args.out.display(),
        args.markdown.display()
    );
    Ok(())
}
