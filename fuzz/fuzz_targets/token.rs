//! Token extraction and verification never panic, and accept nothing unsigned.
#![no_main]

use invites_shared::auth::{token_from_headers, TokenVerifier};
use invites_shared::config::AuthConfig;
use lambda_http::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = AuthConfig {
        hs256_secrets: vec![b"fuzzing-secret-0123456789abcdef-0123".to_vec()],
        hs256_secret_ids: Vec::new(),
        public_key: None,
        jwks: None,
        jwks_url: None,
        jwks_refresh: std::time::Duration::from_secs(60),
        jwks_max_age: std::time::Duration::from_secs(3600),
        issuer: "https://auth.example.com".to_owned(),
        audience: "invites-api".to_owned(),
        leeway_seconds: 0,
        allowed_origins: vec!["https://app.example.com".to_owned()],
    };
    let verifier = TokenVerifier::new(&config).expect("HS256 needs no key parsing");
    let text = String::from_utf8_lossy(data);
    // Random bytes are never a valid signature.
    assert!(verifier.verify_known(&text).is_err());

    let (header, cookie) = data.split_at(data.len() / 2);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(header) {
        headers.insert("authorization", value);
    }
    if let Ok(value) = HeaderValue::from_bytes(cookie) {
        headers.insert("cookie", value);
    }
    let _ = token_from_headers(&headers);
    let mut request = lambda_http::Request::default();
    *request.headers_mut() = headers;
    if let Ok((token, _)) = token_from_headers(&request.headers()).map(|t| (t, ())) {
        assert!(verifier.verify_known(token).is_err());
    }
});
