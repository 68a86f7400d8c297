//! X-Ray subsegments for the AWS SDK calls. With active tracing, Lambda records each
//! invocation's segment and runs the X-Ray daemon beside the function
//! (`AWS_XRAY_DAEMON_ADDRESS`); this interceptor adds one subsegment per DynamoDB, SES,
//! EventBridge or SQS call under it: the service, the operation, when, how long, and whether it
//! failed or was throttled.
//!
//! No X-Ray SDK (there is none for Rust) and no OpenTelemetry collector layer: one UDP
//! datagram per call in the daemon's documented format, sent without waiting. Outside Lambda
//! (no daemon address) or for an invocation X-Ray did not sample, nothing is sent.

use std::net::UdpSocket;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde_json::{json, Value};

/// The daemon's socket, bound once per process when Lambda names a daemon.
fn daemon() -> Option<&'static (UdpSocket, String)> {
    static DAEMON: OnceLock<Option<(UdpSocket, String)>> = OnceLock::new();
    DAEMON
        .get_or_init(|| {
            let address = std::env::var("AWS_XRAY_DAEMON_ADDRESS").ok()?;
            // "host:port", or "tcp:host:port udp:host:port" (segments go over UDP).
            let udp = address
                .split_whitespace()
                .find_map(|part| part.strip_prefix("udp:"))
                .unwrap_or(&address)
                .to_owned();
            let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
            socket.set_nonblocking(true).ok()?;
            Some((socket, udp))
        })
        .as_ref()
}

/// The invocation's trace (`_X_AMZN_TRACE_ID`, which the Lambda runtime sets per invocation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    pub root: String,
    pub parent: String,
    pub sampled: bool,
}

impl TraceHeader {
    /// `Root=1-…;Parent=…;Sampled=1`; `None` without a root and a parent.
    pub fn parse(raw: &str) -> Option<Self> {
        let field = |name: &str| {
            raw.split(';')
                .filter_map(|part| part.trim().split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_owned())
        };
        Some(Self {
            root: field("Root")?,
            parent: field("Parent")?,
            sampled: field("Sampled").as_deref() == Some("1"),
        })
    }
}

/// One call, as a subsegment document of the daemon's protocol (after its header line).
pub fn subsegment(
    trace: &TraceHeader,
    service: &str,
    operation: &str,
    started: SystemTime,
    ended: SystemTime,
    status: Option<u16>,
    failed: bool,
) -> Value {
    let seconds = |at: SystemTime| {
        at.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default()
    };
    let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
    let mut document = json!({
        "name": service,
        "id": id,
        "trace_id": trace.root,
        "parent_id": trace.parent,
        "type": "subsegment",
        "namespace": "aws",
        "start_time": seconds(started),
        "end_time": seconds(ended),
        "aws": { "operation": operation },
    });
    if let Some(status) = status {
        document["http"] = json!({ "response": { "status": status } });
        document["throttle"] = json!(status == 429);
        document["error"] = json!((400..500).contains(&status));
        document["fault"] = json!(status >= 500);
    }
    if failed && status.is_none() {
        // No answer at all (timeout, connection): a fault.
        document["fault"] = json!(true);
    }
    document
}

/// When the call started (kept in the operation's config bag between the two hooks).
#[derive(Debug, Clone, Copy)]
struct CallStarted(SystemTime);

impl Storable for CallStarted {
    type Storer = StoreReplace<Self>;
}

/// The SDK interceptor; installed on every client (`aws.rs`).
#[derive(Debug, Clone, Copy)]
pub struct XRaySubsegments;

impl Intercept for XRaySubsegments {
    fn name(&self) -> &'static str {
        "XRaySubsegments"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if daemon().is_some() {
            cfg.interceptor_state()
                .store_put(CallStarted(SystemTime::now()));
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some((socket, address)) = daemon() else {
            return Ok(());
        };
        let trace = std::env::var("_X_AMZN_TRACE_ID")
            .ok()
            .and_then(|raw| TraceHeader::parse(&raw));
        let (Some(trace), Some(CallStarted(started))) = (trace, cfg.load::<CallStarted>()) else {
            return Ok(());
        };
        if !trace.sampled {
            return Ok(());
        }
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_owned(), m.name().to_owned()))
            .unwrap_or_default();
        let status = context.response().map(|r| r.status().as_u16());
        let failed = matches!(context.output_or_error(), Some(Err(_)));
        let document = subsegment(
            &trace,
            &service,
            &operation,
            *started,
            SystemTime::now(),
            status,
            failed,
        );
        let datagram = format!("{{\"format\": \"json\", \"version\": 1}}\n{document}");
        // Fire and forget: a full buffer or an absent daemon costs the request nothing.
        let _ = socket.send_to(datagram.as_bytes(), address.as_str());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_a_subsegment_of_the_invocation() {
        let trace = TraceHeader::parse(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .unwrap();
        assert!(trace.sampled);
        let start = UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_000);
        let end = start + std::time::Duration::from_millis(12);
        let document = subsegment(&trace, "DynamoDB", "GetItem", start, end, Some(200), false);
        assert_eq!(document["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(document["parent_id"], "53995c3f42cd8ad8");
        assert_eq!(document["type"], "subsegment");
        assert_eq!(document["aws"]["operation"], "GetItem");
        assert_eq!(document["id"].as_str().unwrap().len(), 16);
        let took =
            document["end_time"].as_f64().unwrap() - document["start_time"].as_f64().unwrap();
        assert!((took - 0.012).abs() < 1e-6);
        assert_eq!(document["fault"], false);
        let throttled = subsegment(&trace, "DynamoDB", "Query", start, end, Some(429), true);
        assert_eq!(throttled["throttle"], true);
        let unanswered = subsegment(&trace, "SES", "SendEmail", start, end, None, true);
        assert_eq!(unanswered["fault"], true);
        assert!(TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793").is_none());
        let unsampled = TraceHeader::parse("Root=1-a-b;Parent=c;Sampled=0").unwrap();
        assert!(!unsampled.sampled);
    }
}
