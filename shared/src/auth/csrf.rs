//! Cross-site request forgery through the `ks_uat` cookie. A browser attaches the cookie to
//! requests any site makes to us (a form post, a `fetch` with `credentials: "include"`); CORS
//! only stops that site from reading the answer, not the request. So a request authenticated
//! by the cookie that can change something must come from one of the allowed origins, as the
//! browser names it in `Origin` (or, without `Origin`, in `Referer`). A request with neither
//! is not a browser's cross-site request and goes on; bearer requests are not concerned (no
//! browser attaches an `Authorization` header on its own).

use lambda_http::http::{header, HeaderMap, Method};

/// Whether a cookie-authenticated request may proceed.
pub fn origin_allowed(method: &Method, headers: &HeaderMap, allowed: &[String]) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    match request_origin(headers) {
        None => true,
        Some(origin) => allowed.iter().any(|allowed| allowed == &origin),
    }
}

/// The origin the browser names: `Origin`, else the scheme, host and port of `Referer`.
/// `Some` of something that matches no allowed origin when either header is present but
/// unreadable (or `Origin: null`).
fn request_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return Some(origin.to_str().unwrap_or("unreadable").to_ascii_lowercase());
    }
    let referer = headers.get(header::REFERER)?;
    let referer = referer.to_str().unwrap_or("unreadable");
    // scheme://authority[/path…]: the origin ends where the path begins.
    let origin = match referer.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{authority}")
        }
        None => referer.to_owned(),
    };
    Some(origin.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn only_allowed_origins_may_change_things() {
        let allowed = vec!["https://app.example.com".to_owned()];
        let post = Method::POST;
        let ok = |pairs: &[(header::HeaderName, &str)], method: &Method| {
            origin_allowed(method, &headers(pairs), &allowed)
        };
        assert!(ok(&[(header::ORIGIN, "https://app.example.com")], &post));
        assert!(ok(&[(header::ORIGIN, "HTTPS://APP.EXAMPLE.COM")], &post));
        assert!(!ok(&[(header::ORIGIN, "https://evil.example")], &post));
        assert!(!ok(&[(header::ORIGIN, "null")], &post));
        assert!(!ok(
            &[(header::ORIGIN, "https://app.example.com.evil.example")],
            &post
        ));
        assert!(ok(
            &[(header::REFERER, "https://app.example.com/invites/1?x")],
            &post
        ));
        assert!(!ok(
            &[(header::REFERER, "https://evil.example/app.example.com")],
            &post
        ));
        assert!(!ok(
            &[(header::ORIGIN, "https://evil.example")],
            &Method::DELETE
        ));
        assert!(!ok(
            &[(header::ORIGIN, "https://evil.example")],
            &Method::PATCH
        ));
        // Reads, and requests no browser sent cross-site, go on.
        assert!(ok(
            &[(header::ORIGIN, "https://evil.example")],
            &Method::GET
        ));
        assert!(ok(&[], &post));
    }
}
