//! API Gateway's `$default` route: what no other route matches. API Gateway would answer
//! `{"message":"Not Found"}` itself; this function answers as the contract (and FastAPI) does:
//! 404 `{"detail":"Not Found"}` for an unknown path, 405 `{"detail":"Method Not Allowed"}`
//! with `Allow` for a known path asked with another method. No state, no AWS client, no auth:
//! it reveals nothing the route table does not.

use invites_shared::http::ApiError;
use invites_shared::routes;
use lambda_http::{Body, Request, Response};

/// The answer to a request no route took.
pub fn handle(req: &Request) -> Response<Body> {
    let request_id = invites_shared::runtime::request_id(req);
    match routes::resolve(req.method(), req.uri().path()) {
        Err(error) => error.into_response(&request_id),
        // API Gateway only sends here what matched no route; should a route match anyway
        // (a template that lost one), the answer is still that nothing serves it here.
        Ok(_) => ApiError::NotFound("Not Found".to_owned()).into_response(&request_id),
    }
}
