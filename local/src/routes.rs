//! The API's routes: the local server dispatches with them, and a test checks that
//! `template.yaml` declares exactly the same ones. In AWS, API Gateway routes each to its own
//! function; only the local server dispatches at run time.

use invites_shared::http::ApiError;
use lambda_http::http::Method;

/// The endpoints the local server serves, one per function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    CreateInvite,
    ListInvites,
    AcceptInvite,
    DeleteInvite,
}

/// One HTTP route and the Lambda function serving it.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    /// API Gateway syntax: `{name}` marks a path parameter.
    pub path: &'static str,
    pub endpoint: Endpoint,
    /// Binary (and function directory) name under `functions/`.
    pub function: &'static str,
}

pub fn routes() -> [Route; 4] {
    [
        Route {
            method: Method::POST,
            path: "/v1/invites",
            endpoint: Endpoint::CreateInvite,
            function: "create-invite",
        },
        Route {
            method: Method::GET,
            path: "/v1/invites",
            endpoint: Endpoint::ListInvites,
            function: "list-invites",
        },
        Route {
            method: Method::POST,
            path: "/v1/invites/{invite_id}/accept",
            endpoint: Endpoint::AcceptInvite,
            function: "accept-invite",
        },
        Route {
            method: Method::DELETE,
            path: "/v1/invites/{invite_id}",
            endpoint: Endpoint::DeleteInvite,
            function: "delete-invite",
        },
    ]
}

/// Path parameters captured by a matched route.
pub type PathParameters = Vec<(String, String)>;

fn match_path(pattern: &str, path: &str) -> Option<PathParameters> {
    let mut pattern_parts = pattern.split('/');
    let mut path_parts = path.split('/');
    let mut parameters = Vec::new();
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(parameters),
            (Some(expected), Some(actual)) => {
                if let Some(name) = expected.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if actual.is_empty() {
                        return None;
                    }
                    parameters.push((name.to_owned(), actual.to_owned()));
                } else if expected != actual {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// The endpoint for `method` and `path`; 404 for an unknown path, 405 (with `Allow`) for a
/// known path with another method.
pub fn resolve(method: &Method, path: &str) -> Result<(Endpoint, PathParameters), ApiError> {
    let mut allowed = Vec::new();
    for route in routes() {
        if let Some(parameters) = match_path(route.path, path) {
            if route.method == method {
                return Ok((route.endpoint, parameters));
            }
            allowed.push(route.method);
        }
    }
    if allowed.is_empty() {
        return Err(ApiError::NotFound("Not Found".to_owned()));
    }
    let mut allowed: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    allowed.sort_unstable();
    Err(ApiError::MethodNotAllowed {
        allow: allowed.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_each_route_and_its_parameters() {
        let (endpoint, parameters) = resolve(&Method::POST, "/v1/invites/abc/accept").unwrap();
        assert_eq!(endpoint, Endpoint::AcceptInvite);
        assert_eq!(parameters, vec![("invite_id".to_owned(), "abc".to_owned())]);
        assert_eq!(
            resolve(&Method::GET, "/v1/invites").unwrap().0,
            Endpoint::ListInvites
        );
        assert_eq!(
            resolve(&Method::DELETE, "/v1/invites/x").unwrap().0,
            Endpoint::DeleteInvite
        );
    }

    #[test]
    fn unknown_paths_and_methods() {
        assert!(matches!(
            resolve(&Method::GET, "/v2/invites"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            resolve(&Method::GET, "/v1/invites//accept"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            resolve(&Method::PUT, "/v1/invites"),
            Err(ApiError::MethodNotAllowed { allow }) if allow == "GET, POST"
        ));
        assert!(matches!(
            resolve(&Method::GET, "/v1/invites/x/accept"),
            Err(ApiError::MethodNotAllowed { allow }) if allow == "POST"
        ));
        assert!(matches!(
            resolve(&Method::GET, "/v1/invites/x"),
            Err(ApiError::MethodNotAllowed { allow }) if allow == "DELETE"
        ));
    }
}
