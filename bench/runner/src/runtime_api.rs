//! A minimal AWS Lambda Runtime API, enough to run a function binary as Lambda does: the
//! binary polls `GET /runtime/invocation/next`, gets the queued events one by one, and posts
//! each answer to `/response` (or `/error`). Used by the event tests and the benchmarks.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use invites_local::server::serve_http;
use invites_shared::BoxError as Error;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, Mutex};

/// How long the function gets per invocation unless told otherwise: what the template gives.
pub use invites_shared::runtime::DEFAULT_TIMEOUT;

/// What the function posted for one invocation.
#[derive(Debug)]
pub enum Outcome {
    Response(Value),
    Error(Value),
}

struct Shared {
    events: Mutex<mpsc::Receiver<(String, Value)>>,
    outcomes: mpsc::Sender<(String, Outcome)>,
    /// When the function first asked for work: its init is done.
    first_poll: std::sync::OnceLock<Instant>,
    /// The invocation timeout, announced to the function as its deadline.
    timeout: Duration,
}

/// A function process attached to a Runtime API served here.
pub struct FunctionProcess {
    child: Child,
    events: mpsc::Sender<(String, Value)>,
    outcomes: mpsc::Receiver<(String, Outcome)>,
    server: tokio::task::JoinHandle<()>,
    shared: Arc<Shared>,
    started: Instant,
    next_id: u64,
}

impl FunctionProcess {
    /// Starts `binary` with `env` (plus the Lambda variables) against a fresh Runtime API;
    /// its standard output (the JSON logs) goes to `log`, or nowhere.
    pub async fn start(
        binary: &Path,
        env: &HashMap<String, String>,
        log: Option<&Path>,
    ) -> Result<Self, Error> {
        Self::start_with_timeout(binary, env, log, DEFAULT_TIMEOUT).await
    }

    /// As `start`, with each invocation's deadline `timeout` after the function receives it.
    pub async fn start_with_timeout(
        binary: &Path,
        env: &HashMap<String, String>,
        log: Option<&Path>,
        timeout: Duration,
    ) -> Result<Self, Error> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let address = listener.local_addr()?;
        let (event_tx, event_rx) = mpsc::channel(64);
        let (outcome_tx, outcome_rx) = mpsc::channel(64);
        let shared = Arc::new(Shared {
            events: Mutex::new(event_rx),
            outcomes: outcome_tx,
            first_poll: std::sync::OnceLock::new(),
            timeout,
        });
        let respond = {
            let shared = shared.clone();
            move |req| {
                let shared = shared.clone();
                async move { route(&shared, req).await }
            }
        };
        let server = tokio::spawn(async move {
            let _ = serve_http(listener, respond).await;
        });
        let name = binary
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let started = Instant::now();
        let child = Command::new(binary)
            .env_clear()
            .envs(env)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .stdin(Stdio::null())
            .stdout(match log {
                Some(path) => Stdio::from(std::fs::File::create(path)?),
                None => Stdio::null(),
            })
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        Ok(Self {
            child,
            events: event_tx,
            outcomes: outcome_rx,
            server,
            shared,
            started,
            next_id: 0,
        })
    }

    /// Time since the process was started.
    pub fn since_start(&self) -> Duration {
        self.started.elapsed()
    }

    /// How long the function took from start to its first poll for work (its init).
    pub fn init_duration(&self) -> Option<Duration> {
        self.shared.first_poll.get().map(|at| *at - self.started)
    }

    /// Sends one event and waits for the function's answer.
    pub async fn invoke(&mut self, event: Value) -> Result<Outcome, Error> {
        self.next_id += 1;
        let id = format!("invocation-{}", self.next_id);
        self.events.send((id.clone(), event)).await?;
        // A process that exits says so at once, not when the wait runs out.
        let answer_or_exit = async {
            tokio::select! {
                biased;
                outcome = self.outcomes.recv() => Ok(outcome),
                status = self.child.wait() => Err(status),
            }
        };
        match tokio::time::timeout(self.shared.timeout * 3, answer_or_exit).await {
            Ok(Ok(Some((answered, outcome)))) if answered == id => Ok(outcome),
            Ok(Ok(Some((answered, _)))) => {
                Err(format!("answer for {answered}, expected {id}").into())
            }
            Ok(Ok(None)) => Err("the runtime API stopped".into()),
            Ok(Err(status)) => {
                Err(format!("the function exited ({}) without answering", status?).into())
            }
            Err(_) => Err(format!(
                "the function did not answer within {:?}",
                self.shared.timeout * 3
            )
            .into()),
        }
    }

    /// Peak resident memory of the process so far (Linux `VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find(|line| line.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.server.abort();
    }
}

fn reply(status: u16, body: Bytes) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(body))
        .expect("static parts are valid")
}

/// The request's body as JSON (`null` if it is not JSON).
async fn json_body(req: hyper::Request<Incoming>) -> Value {
    let body = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

async fn route(shared: &Shared, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["2018-06-01", "runtime", "invocation", "next"] => {
            shared.first_poll.get_or_init(Instant::now);
            let next = shared.events.lock().await.recv().await;
            let Some((id, event)) = next else {
                return reply(500, Bytes::from_static(b"{}"));
            };
            let deadline = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis()
                + shared.timeout.as_millis();
            hyper::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .header("lambda-runtime-aws-request-id", id)
                .header("lambda-runtime-deadline-ms", deadline.to_string())
                .header(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:local",
                )
                .header(
                    "lambda-runtime-trace-id",
                    "Root=1-00000000-000000000000000000000000;Parent=0000000000000001;Sampled=1",
                )
                .body(Full::new(Bytes::from(event.to_string())))
                .expect("static parts are valid")
        }
        ["2018-06-01", "runtime", "invocation", id, kind @ ("response" | "error")] => {
            let value = json_body(req).await;
            let outcome = if *kind == "response" {
                Outcome::Response(value)
            } else {
                Outcome::Error(value)
            };
            let _ = shared.outcomes.send(((*id).to_owned(), outcome)).await;
            reply(202, Bytes::from_static(b"{}"))
        }
        ["2018-06-01", "runtime", "init", "error"] => {
            let value = json_body(req).await;
            let _ = shared
                .outcomes
                .send(("init".to_owned(), Outcome::Error(value)))
                .await;
            reply(202, Bytes::from_static(b"{}"))
        }
        _ => reply(404, Bytes::from_static(b"{}")),
    }
}
