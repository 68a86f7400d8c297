//! A local HTTP server routing to the same handlers the Lambda functions run, with the routes
//! of `crate::routes` (which a test checks against `template.yaml`), and the one hyper serve
//! loop of the project (the benchmark's Runtime API runs on it too).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use invites_shared::http::{body_bytes, ApiError};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};
use tokio::net::TcpListener;

use crate::app::LocalApp;
use invites_shared::routes;

/// The TCP peer of a request: its source IP as API Gateway would give it.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// Serves HTTP/1 on `listener`, each request answered by `respond`, until the task is dropped.
pub async fn serve_http<F, Fut>(listener: TcpListener, respond: F) -> std::io::Result<()>
where
    F: Fn(hyper::Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = hyper::Response<Full<Bytes>>> + Send,
{
    loop {
        let (stream, peer) = listener.accept().await?;
        let respond = respond.clone();
        tokio::spawn(async move {
            let service = service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(Peer(peer));
                let respond = respond.clone();
                async move { Ok::<_, Infallible>(respond(req).await) }
            });
            // Connection errors (client went away) concern that connection only.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Binds `addr` and serves the API; returns the bound address (useful with port 0) and the task.
pub async fn spawn(
    addr: SocketAddr,
    app: Arc<LocalApp>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let respond = move |req| {
        let app = app.clone();
        async move { respond(&app, req).await }
    };
    Ok((bound, tokio::spawn(serve_http(listener, respond))))
}

async fn respond(app: &LocalApp, req: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let limit = app.max_body_bytes();
    // Read at most one byte past the limit: enough to know it is too large.
    let bytes = match Limited::new(body, limit + 1).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let request_id = uuid::Uuid::new_v4().to_string();
            let response = ApiError::PayloadTooLarge { limit }.into_response(&request_id);
            return to_hyper(response);
        }
    };
    if parts.method == hyper::Method::GET {
        if let Some((content_type, body)) = crate::docs::docs_resource(parts.uri.path()) {
            return hyper::Response::builder()
                .header(hyper::header::CONTENT_TYPE, content_type)
                .body(Full::new(body))
                .expect("static parts are valid");
        }
    }
    let web = crate::web::WebRequest {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &bytes,
    };
    if let Some(response) = crate::web::respond(app.sign_in.as_ref(), web).await {
        return response;
    }
    let (route, parameters) = match routes::resolve(&parts.method, parts.uri.path()) {
        Ok((route, parameters)) => (Some(route), parameters),
        Err(_) => (None, Vec::new()),
    };
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(not_text) => Body::Binary(not_text.into_bytes()),
        }
    };
    let path_parameters: std::collections::HashMap<String, String> = parameters
        .into_iter()
        .map(|(name, value)| {
            let decoded = percent_encoding::percent_decode_str(&value)
                .decode_utf8_lossy()
                .into_owned();
            (name, decoded)
        })
        .collect();
    // What Lambda gives each invocation: a request id and a deadline.
    let mut context = lambda_http::lambda_runtime::Context::default();
    context.request_id = uuid::Uuid::new_v4().to_string();
    context.deadline = deadline_ms(app.request_timeout);
    let mut request_context = ApiGatewayV2httpRequestContext::default();
    request_context.request_id = Some(context.request_id.clone());
    request_context.http.method = parts.method.clone();
    request_context.http.source_ip = parts
        .extensions
        .get::<Peer>()
        .map(|peer| peer.0.ip().to_string());
    let request = lambda_http::http::Request::from_parts(parts, body)
        .with_path_parameters(path_parameters)
        .with_request_context(RequestContext::ApiGatewayV2(request_context))
        .with_lambda_context(context);
    to_hyper(app.handle(route, request).await)
}

/// Milliseconds since the Unix epoch, `timeout` from now: the Lambda context's deadline format.
fn deadline_ms(timeout: std::time::Duration) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now + timeout).as_millis() as u64
}

fn to_hyper(response: lambda_http::Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = Bytes::copy_from_slice(body_bytes(&body));
    hyper::Response::from_parts(parts, Full::new(bytes))
}
