//! Minimal `lambda_http` function: the cold-start baseline the benchmark compares against.

use lambda_http::{service_fn, Body, Request, Response};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(|_req: Request| async {
        Ok::<_, std::convert::Infallible>(Response::new(Body::from("hello")))
    }))
    .await
}
