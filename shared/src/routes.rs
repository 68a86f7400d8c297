//! The API's routes, one per function. In AWS, API Gateway routes each to its function and
//! sends what matches none to the `not-found` function (its `$default` route), which answers
//! 404 or 405 from this table; the local server dispatches with it; a test checks that
//! `template.yaml` declares exactly these.

use lambda_http::http::Method;

use crate::http::ApiError;

/// One HTTP route and the Lambda function serving it.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    /// API Gateway syntax: `{name}` marks a path parameter.
    pub path: &'static str,
    /// Binary (and function directory) name under `functions/`.
    pub function: &'static str,
}

pub fn routes() -> [Route; 6] {
    [
        Route {
            method: Method::POST,
            path: "/v1/invites",
            function: "create-invite",
        },
        Route {
            method: Method::GET,
            path: "/v1/invites",
            function: "list-invites",
        },
        Route {
            method: Method::POST,
            path: "/v1/invites/{invite_id}/accept",
            function: "accept-invite",
        },
        Route {
            method: Method::DELETE,
            path: "/v1/invites/{invite_id}",
            function: "delete-invite",
        },
        Route {
            method: Method::PATCH,
            path: "/v1/invites/{invite_id}",
            function: "update-invite",
        },
        Route {
            method: Method::GET,
            path: "/v1/invites/{invite_id}/preview",
            function: "preview-invite",
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

/// The route for `method` and `path`; 404 for an unknown path, 405 (with `Allow`) for a
/// known path with another method.
pub fn resolve(method: &Method, path: &str) -> Result<(Route, PathParameters), ApiError> {
    let mut allowed = Vec::new();
    for route in routes() {
        if let Some(parameters) = match_path(route.path, path) {
            if route.method == method {
                return Ok((route, parameters));
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
        let (route, parameters) = resolve(&Method::POST, "/v1/invites/abc/accept").unwrap();
        assert_eq!(route.function, "accept-invite");
        assert_eq!(parameters, vec![("invite_id".to_owned(), "abc".to_owned())]);
        assert_eq!(
            resolve(&Method::GET, "/v1/invites").unwrap().0.function,
            "list-invites"
        );
        assert_eq!(
            resolve(&Method::DELETE, "/v1/invites/x")
                .unwrap()
                .0
                .function,
            "delete-invite"
        );
        assert_eq!(
            resolve(&Method::PATCH, "/v1/invites/x").unwrap().0.function,
            "update-invite"
        );
        assert_eq!(
            resolve(&Method::GET, "/v1/invites/x/preview")
                .unwrap()
                .0
                .function,
            "preview-invite"
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
            Err(ApiError::MethodNotAllowed { allow }) if allow == "DELETE, PATCH"
        ));
        assert!(matches!(
            resolve(&Method::POST, "/v1/invites/x/preview"),
            Err(ApiError::MethodNotAllowed { allow }) if allow == "GET"
        ));
    }
}
