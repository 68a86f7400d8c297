//! Where a request carries its credential: the `Authorization` header, else the `ks_uat`
//! cookie.

use lambda_http::http::{self, HeaderMap};

use super::{AuthError, TOKEN_COOKIE};

/// The bearer token from `Authorization`, else the `ks_uat` cookie. A present but unusable
/// `Authorization` header is an error: it never falls back to the cookie.
pub fn token_from_headers(headers: &HeaderMap) -> Result<&str, AuthError> {
    credential(headers).map(|(token, _)| token)
}

/// The token, and whether it came from the cookie.
pub(super) fn credential(headers: &HeaderMap) -> Result<(&str, bool), AuthError> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| AuthError::Invalid)?.trim();
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::Missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Missing);
        }
        let token = token.trim();
        return if token.is_empty() {
            Err(AuthError::Missing)
        } else {
            Ok((token, false))
        };
    }
    for value in headers.get_all(http::header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            if let Some((name, token)) = pair.trim().split_once('=') {
                if name.trim() == TOKEN_COOKIE {
                    let token = token.trim();
                    // RFC 6265 allows a value in double quotes; only a balanced pair is removed.
                    let token = token
                        .strip_prefix('"')
                        .and_then(|t| t.strip_suffix('"'))
                        .unwrap_or(token);
                    if !token.is_empty() {
                        return Ok((token, true));
                    }
                }
            }
        }
    }
    Err(AuthError::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let h = headers(&[("authorization", &format!("{scheme} abc.def.ghi"))]);
            assert_eq!(token_from_headers(&h), Ok("abc.def.ghi"));
        }
    }

    #[test]
    fn header_wins_over_cookie() {
        let h = headers(&[
            ("authorization", "Bearer from-header"),
            ("cookie", "ks_uat=from-cookie"),
        ]);
        assert_eq!(token_from_headers(&h), Ok("from-header"));
    }

    #[test]
    fn cookie_is_found_among_others() {
        let h = headers(&[("cookie", "theme=dark; ks_uat=tok; other=1")]);
        assert_eq!(token_from_headers(&h), Ok("tok"));
        let h = headers(&[("cookie", "theme=dark"), ("cookie", "ks_uat=\"tok2\"")]);
        assert_eq!(token_from_headers(&h), Ok("tok2"));
    }

    #[test]
    fn empty_or_foreign_schemes_are_not_tokens() {
        for value in ["Bearer", "Bearer   ", "Basic abc", "abc"] {
            let h = headers(&[("authorization", value), ("cookie", "ks_uat=tok")]);
            assert!(token_from_headers(&h).is_err(), "{value}");
        }
        assert_eq!(
            token_from_headers(&headers(&[("cookie", "ks_uat=")])),
            Err(AuthError::Missing)
        );
        assert_eq!(
            token_from_headers(&HeaderMap::new()),
            Err(AuthError::Missing)
        );
    }
}
