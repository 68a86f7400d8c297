//! Request parsing never panics: bodies, query strings, paths and email addresses.
#![no_main]

use create_invite::input::parse_create_invite;
use invites_shared::domain::EmailAddress;
use invites_shared::http::parse_invite_id;
use lambda_http::http::{HeaderMap, HeaderValue, Request};
use lambda_http::{Body, RequestExt};
use list_invites::input::parse_list_invites;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut headers = HeaderMap::new();
    if data.first().is_some_and(|b| b % 2 == 0) {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
    }
    let _ = parse_create_invite(&headers, &Body::from(data.to_vec()), false);
    let _ = parse_create_invite(&headers, &Body::from(text.to_string()), true);
    let _ = parse_list_invites(Some(&text));
    if let Ok(email) = EmailAddress::parse(&text) {
        // A valid address never carries what would break an email header.
        assert!(!email
            .as_str()
            .chars()
            .any(|c| c.is_control() || c == ',' || c == '<' || c == ' '));
    }
    let request = Request::builder()
        .body(Body::Empty)
        .expect("an empty request is valid")
        .with_path_parameters(std::collections::HashMap::from([(
            "invite_id".to_owned(),
            text.to_string(),
        )]));
    let _ = parse_invite_id(&request);
});
