//! Time on the wire to a dependency, measured by a TCP proxy in front of it: from the first
//! byte of a request passed upstream to the last byte of its answer passed back. What a
//! function spends outside that (decoding the event, auth, serialising and signing SDK
//! requests, parsing answers, logging, the Runtime API exchange) is its own overhead.
//!
//! The functions call their dependencies one at a time, so one exchange is in flight at once:
//! a request byte after an answer closes the exchange before it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Exchanges {
    request_started: Option<Instant>,
    last_answer: Option<Instant>,
    total: Duration,
}

impl Exchanges {
    fn close(&mut self) {
        if let (Some(started), Some(answered)) = (self.request_started, self.last_answer) {
            self.total += answered.saturating_duration_since(started);
        }
        self.request_started = None;
        self.last_answer = None;
    }
}

/// A proxy in front of one dependency; every proxy shares one meter.
#[derive(Clone, Default)]
pub struct WireMeter {
    exchanges: Arc<Mutex<Exchanges>>,
}

impl WireMeter {
    /// Starts a proxy to `upstream` (`host:port`); returns its `http://` endpoint.
    pub async fn proxy(&self, upstream: String) -> std::io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let exchanges = self.exchanges.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(forward(client_read, server_write, exchanges.clone(), true));
                tokio::spawn(forward(server_read, client_write, exchanges.clone(), false));
            }
        });
        Ok(format!("http://{address}"))
    }

    /// Wire time since the last call.
    pub fn take(&self) -> Duration {
        let mut exchanges = self.exchanges.lock().unwrap();
        exchanges.close();
        std::mem::take(&mut exchanges.total)
    }
}

async fn forward(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    exchanges: Arc<Mutex<Exchanges>>,
    is_request: bool,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if is_request {
            let mut exchanges = exchanges.lock().unwrap();
            if exchanges.last_answer.is_some() {
                exchanges.close();
            }
            exchanges.request_started.get_or_insert_with(Instant::now);
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
        if !is_request {
            exchanges.lock().unwrap().last_answer = Some(Instant::now());
        }
    }
}
