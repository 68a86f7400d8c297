//! Key rotation: JWKS documents (inline, or fetched from a URL with a rate-limited refetch on
//! an unknown `kid`), keys selected by `kid` and pinned to their algorithm, and two HS256
//! secrets during a rotation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use invites_shared::domain::Clock;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::*;

/// A token signed with a fixture key, naming `kid` (or none).
fn signed(algorithm: Algorithm, kid: Option<&str>, actor: &Actor) -> String {
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(fixture("rsa-private.pem").as_bytes()),
        Algorithm::ES256 => EncodingKey::from_ec_pem(fixture("ec-private.pem").as_bytes()),
        _ => unreachable!("only the fixture key pairs"),
    }
    .unwrap();
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, &claims_json(actor), &key).unwrap()
}

/// The fixture JWKS with only the keys whose `kid` is in `kids`.
fn jwks_with(kids: &[&str]) -> Value {
    let all: Value = serde_json::from_str(&fixture("jwks.json")).unwrap();
    let keys: Vec<Value> = all["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|key| kids.contains(&key["kid"].as_str().unwrap()))
        .cloned()
        .collect();
    json!({ "keys": keys })
}

#[tokio::test]
async fn an_inline_jwks_verifies_by_kid_and_pins_each_key_to_its_algorithm() {
    let jwks = fixture("jwks.json");
    let app = TestApp::spawn_with(
        test_config_with(&[("JWT_JWKS", Some(&jwks))]),
        Clock::system(),
    )
    .await;
    let admin = app.tenant_admin().await;
    for (algorithm, kid, expected) in [
        (Algorithm::RS256, Some("rsa-1"), 200),
        (Algorithm::ES256, Some("ec-1"), 200),
        (Algorithm::RS256, None, 200),
        (Algorithm::RS256, Some("ec-1"), 401),
        (Algorithm::ES256, Some("rsa-1"), 401),
        (Algorithm::RS256, Some("unknown"), 401),
    ] {
        let token = signed(algorithm, kid, &admin);
        assert_eq!(
            app.list(&token, "").await.status(),
            expected,
            "{algorithm:?} {kid:?}"
        );
    }
    // The HS256 secret still works beside the JWKS.
    assert_eq!(app.list(&admin.token, "").await.status(), 200);
}

#[tokio::test]
async fn a_jwks_url_is_refetched_on_an_unknown_kid_at_most_once_per_interval() {
    let served = Arc::new(Mutex::new(jwks_with(&["rsa-1"])));
    let fetches = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/.well-known/jwks.json",
        listener.local_addr().unwrap()
    );
    let respond = {
        let (served, fetches) = (served.clone(), fetches.clone());
        move |_req| {
            let (served, fetches) = (served.clone(), fetches.clone());
            async move {
                fetches.fetch_add(1, Ordering::SeqCst);
                let body = served.lock().unwrap().to_string();
                hyper::Response::builder()
                    .header("content-type", "application/json")
                    .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
                    .unwrap()
            }
        }
    };
    tokio::spawn(invites_local::server::serve_http(listener, respond));
    let app = TestApp::spawn_with(
        test_config_with(&[
            ("JWT_JWKS_URL", Some(&url)),
            ("JWT_JWKS_REFRESH_SECONDS", Some("4")),
            ("JWT_JWKS_MAX_AGE_SECONDS", Some("8")),
        ]),
        Clock::system(),
    )
    .await;
    let admin = app.tenant_admin().await;

    // Intervals of seconds, not milliseconds: the requests inside one must fit in it on a
    // loaded machine.
    let rsa = signed(Algorithm::RS256, Some("rsa-1"), &admin);
    assert_eq!(app.list(&rsa, "").await.status(), 200);
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "fetched once, then cached"
    );
    assert_eq!(app.list(&rsa, "").await.status(), 200);
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // The issuer rotates in a new key; within the interval, unknown kids fetch nothing more.
    *served.lock().unwrap() = jwks_with(&["rsa-1", "ec-1"]);
    let ec = signed(Algorithm::ES256, Some("ec-1"), &admin);
    for n in 0..10 {
        let bogus = signed(Algorithm::ES256, Some(&format!("bogus-{n}")), &admin);
        assert_eq!(app.list(&bogus, "").await.status(), 401);
    }
    assert_eq!(app.list(&ec, "").await.status(), 401);
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "no refetch within the interval"
    );

    // After the interval, the new kid fetches the document again and verifies.
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    assert_eq!(app.list(&ec, "").await.status(), 200);
    assert_eq!(fetches.load(Ordering::SeqCst), 2);

    // The issuer removes rsa-1: once the cache is older than its maximum age (8 s here), the
    // next token fetches the document again and the removed key stops verifying.
    *served.lock().unwrap() = jwks_with(&["ec-1"]);
    assert_eq!(app.list(&rsa, "").await.status(), 200, "still cached");
    tokio::time::sleep(std::time::Duration::from_millis(8100)).await;
    assert_eq!(app.list(&rsa, "").await.status(), 401);
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
    assert_eq!(app.list(&ec, "").await.status(), 200);
}

#[tokio::test]
async fn two_hs256_secrets_verify_during_a_rotation() {
    let new_secret = "the-next-integration-secret-0123456789abcdef";
    let app = TestApp::spawn_with(
        test_config_with(&[
            ("JWT_HS256_SECRET", Some(new_secret)),
            ("JWT_HS256_PREVIOUS_SECRET", Some(TEST_SECRET)),
        ]),
        Clock::system(),
    )
    .await;
    let admin = app.tenant_admin().await;
    let with = |secret: &[u8]| {
        jsonwebtoken::encode(
            &Header::default(),
            &claims_json(&admin),
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    };
    // Tokens signed before the rotation (the previous secret) and after it both verify.
    assert_eq!(app.list(&admin.token, "").await.status(), 200);
    assert_eq!(
        app.list(&with(new_secret.as_bytes()), "").await.status(),
        200
    );
    assert_eq!(
        app.list(&with(b"a-third-secret-nobody-configured-0123456789"), "")
            .await
            .status(),
        401
    );
}
