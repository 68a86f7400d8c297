//! Token attacks and tenant isolation: nobody gets in who should not, and failed attempts
//! change nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use invites_shared::domain::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::snapshot::{send_everywhere, Snapshot};

fn sign(algorithm: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, key).unwrap()
}

fn hs256(secret: &[u8], claims: &Value) -> String {
    sign(Algorithm::HS256, &EncodingKey::from_secret(secret), claims)
}

fn rs256(claims: &Value) -> String {
    sign(
        Algorithm::RS256,
        &EncodingKey::from_rsa_pem(fixture("rsa-private.pem").as_bytes()).unwrap(),
        claims,
    )
}

fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// Each token must get 401 (with `WWW-Authenticate: Bearer`) on every endpoint, and nothing
/// may change: the invite, the admin's role, the counters, the emails.
async fn assert_refused_everywhere(
    app: &TestApp,
    admin: &Actor,
    invite_id: &str,
    tokens: &[(&str, String)],
) {
    let invitee = app
        .store
        .get_invite(uuid::Uuid::parse_str(invite_id).unwrap().into())
        .await
        .unwrap()
        .expect("the target invite exists")
        .email
        .to_string();
    let attack_emails: Vec<String> = tokens.iter().map(|_| unique_email("attack")).collect();
    let mut watched = attack_emails.clone();
    watched.push(invitee);
    let users = [admin.user.id];
    let before = Snapshot::take(app, admin.tenant, invite_id, &users, &watched).await;
    assert!(before.has_invite(), "the target invite exists");
    for ((what, token), email) in tokens.iter().zip(&attack_emails) {
        let attempts = [
            app.post_invite(token, json!({ "tenant_id": admin.tenant, "email": email }))
                .await,
            app.list(token, "").await,
            app.accept(token, invite_id).await,
            app.delete(token, invite_id).await,
        ];
        for response in attempts {
            assert_eq!(response.status(), 401, "{what} was not refused");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
    }
    let after = Snapshot::take(app, admin.tenant, invite_id, &users, &watched).await;
    assert_eq!(after, before, "an attack changed something");
}

#[tokio::test]
async fn forged_expired_and_malformed_tokens_are_refused_without_side_effects() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invite = app.invite(&admin, &unique_email("target"), "USER").await;
    let id = invite["id"].as_str().unwrap();
    let good = claims_json(&admin);
    let now = chrono::Utc::now().timestamp();
    let with = |patch: Value| {
        let mut c = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let secret = TEST_SECRET.as_bytes();
    let valid = hs256(secret, &good);
    let mut parts: Vec<&str> = valid.split('.').collect();
    let other_tenant =
        URL_SAFE_NO_PAD.encode(with(json!({ "tenant_id": uuid::Uuid::new_v4() })).to_string());
    parts[1] = &other_tenant;
    let tampered = parts.join(".");

    let tokens = [
        ("alg none", unsigned(&good)),
        (
            "alg none with a signature",
            format!("{}sig", unsigned(&good)),
        ),
        (
            "HS256 with a wrong secret",
            hs256(b"not-the-secret-0123456789abcdef-xyz", &good),
        ),
        ("RS256 when only HS256 is configured", rs256(&good)),
        ("expired", hs256(secret, &with(json!({ "exp": now - 5 })))),
        (
            "not yet valid",
            hs256(secret, &with(json!({ "nbf": now + 3600 }))),
        ),
        ("no exp", hs256(secret, &with(json!({ "exp": null })))),
        // jsonwebtoken 9.3 ignored a claim of the wrong type (GHSA-h395-gr6q-cpjc).
        (
            "nbf of the wrong type",
            hs256(secret, &with(json!({ "nbf": "tomorrow" }))),
        ),
        (
            "exp of the wrong type",
            hs256(secret, &with(json!({ "exp": "never" }))),
        ),
        ("no sub", hs256(secret, &with(json!({ "sub": null })))),
        (
            "sub not a uuid",
            hs256(secret, &with(json!({ "sub": "admin" }))),
        ),
        (
            "tenant_id not a uuid",
            hs256(secret, &with(json!({ "tenant_id": "t1" }))),
        ),
        ("tampered payload", tampered),
        ("garbage", "garbage".to_owned()),
        ("three empty parts", "..".to_owned()),
    ];
    assert_refused_everywhere(&app, &admin, id, &tokens).await;
}

#[tokio::test]
async fn empty_bearer_and_malformed_cookies_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let token = &admin.token;
    let headers: Vec<(&str, String)> = vec![
        ("authorization", "Bearer".to_owned()),
        ("authorization", "Bearer ".to_owned()),
        ("authorization", format!("Basic {token}")),
        ("authorization", token.clone()),
        ("cookie", format!("ks_uat {token}")),
        ("cookie", format!("KS_UAT={token}")),
        ("cookie", format!("ks_uat=\"{token}")),
        ("cookie", format!("ks_uat=Bearer {token}")),
        ("cookie", format!("ks_uat={token}x")),
        ("cookie", "ks_uat=".to_owned()),
    ];
    let invite = app
        .invite(&admin, &unique_email("cookie-target"), "USER")
        .await;
    let id = invite["id"].as_str().unwrap();
    let attack = unique_email("cookie-attack");
    let users = [admin.user.id];
    let watched = [attack.clone(), invite["email"].as_str().unwrap().to_owned()];
    let before = Snapshot::take(&app, admin.tenant, id, &users, &watched).await;
    for (name, value) in headers {
        let statuses = send_everywhere(&app, (name, &value), admin.tenant, id, &attack).await;
        assert_eq!(statuses, [401; 4], "{name}: {value}");
    }
    assert_eq!(
        Snapshot::take(&app, admin.tenant, id, &users, &watched).await,
        before
    );
    // The scheme is case-insensitive, and a well-formed quoted cookie works.
    for (name, value) in [
        ("authorization", format!("bEaReR {token}")),
        ("cookie", format!("ks_uat=\"{token}\"")),
    ] {
        let response = app
            .http
            .get(app.url("/v1/invites"))
            .header(name, &value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}: {value}");
    }
}

#[tokio::test]
async fn with_an_rs256_key_configured_hmac_and_confused_tokens_are_refused() {
    let public = fixture("rsa-public.pem");
    let app = TestApp::spawn_with(
        test_config_with(&[
            ("JWT_HS256_SECRET", None),
            ("JWT_PUBLIC_KEY_PEM", Some(&public)),
        ]),
        invites_shared::domain::Clock::system(),
    )
    .await;
    let tenant = app.tenant().await;
    let user = app.user("rsa").await;
    app.add_member(tenant.id, user.id, Role::Admin).await;
    let mut admin = app.actor(user, tenant.id);
    admin.token = rs256(&claims_json(&admin));
    let invite = app
        .invite(&admin, &unique_email("rsa-target"), "USER")
        .await;

    let good = claims_json(&admin);
    let tokens = [
        (
            "HS256 signed with the public key as secret",
            hs256(public.as_bytes(), &good),
        ),
        (
            "HS256 with the old shared secret",
            hs256(TEST_SECRET.as_bytes(), &good),
        ),
        ("ES256 when only RS256 is configured", {
            let key = EncodingKey::from_ec_pem(fixture("ec-private.pem").as_bytes()).unwrap();
            sign(Algorithm::ES256, &key, &good)
        }),
        ("alg none", unsigned(&good)),
    ];
    assert_refused_everywhere(&app, &admin, invite["id"].as_str().unwrap(), &tokens).await;
}

#[tokio::test]
async fn es256_tokens_verify_when_an_es256_key_is_configured() {
    let app = TestApp::spawn_with(
        test_config_with(&[
            ("JWT_PUBLIC_KEY_PEM", Some(&fixture("ec-public.pem"))),
            ("JWT_PUBLIC_KEY_ALGORITHM", Some("ES256")),
        ]),
        invites_shared::domain::Clock::system(),
    )
    .await;
    let admin = app.tenant_admin().await;
    let key = EncodingKey::from_ec_pem(fixture("ec-private.pem").as_bytes()).unwrap();
    let es = sign(Algorithm::ES256, &key, &claims_json(&admin));
    // Both configured keys work: HS256 (the actor's own token) and ES256.
    assert_eq!(app.list(&admin.token, "").await.status(), 200);
    assert_eq!(app.list(&es, "").await.status(), 200);
    assert_eq!(
        app.list(&rs256(&claims_json(&admin)), "").await.status(),
        401
    );
}

#[tokio::test]
async fn issuer_and_audience_are_enforced_when_configured() {
    let app = TestApp::spawn_with(
        test_config_with(&[
            ("JWT_ISSUER", Some("https://auth.example.com")),
            ("JWT_AUDIENCE", Some("invites-api")),
        ]),
        invites_shared::domain::Clock::system(),
    )
    .await;
    let mut admin = app.tenant_admin().await;
    let mut base = claims_json(&admin);
    for claim in ["iss", "aud"] {
        base.as_object_mut().unwrap().remove(claim);
    }
    let with = |iss: Option<&str>, aud: Option<&str>| {
        let mut c = base.clone();
        if let Some(iss) = iss {
            c["iss"] = json!(iss);
        }
        if let Some(aud) = aud {
            c["aud"] = json!(aud);
        }
        hs256(TEST_SECRET.as_bytes(), &c)
    };
    admin.token = with(Some("https://auth.example.com"), Some("invites-api"));
    assert_eq!(app.list(&admin.token, "").await.status(), 200);
    let invite = app
        .invite(&admin, &unique_email("iss-target"), "USER")
        .await;
    let tokens: Vec<(&str, String)> = [
        ("no iss, no aud", None, None),
        ("no aud", Some("https://auth.example.com"), None),
        ("no iss", None, Some("invites-api")),
        (
            "wrong iss",
            Some("https://evil.example.com"),
            Some("invites-api"),
        ),
        (
            "wrong aud",
            Some("https://auth.example.com"),
            Some("another-api"),
        ),
    ]
    .into_iter()
    .map(|(what, iss, aud)| (what, with(iss, aud)))
    .collect();
    assert_refused_everywhere(&app, &admin, invite["id"].as_str().unwrap(), &tokens).await;
}

#[tokio::test]
async fn with_only_an_es256_key_es256_works_and_nothing_else_does() {
    let public = fixture("ec-public.pem");
    let app = TestApp::spawn_with(
        test_config_with(&[
            ("JWT_HS256_SECRET", None),
            ("JWT_PUBLIC_KEY_PEM", Some(&public)),
            ("JWT_PUBLIC_KEY_ALGORITHM", Some("ES256")),
        ]),
        invites_shared::domain::Clock::system(),
    )
    .await;
    let mut admin = app.tenant_admin().await;
    let key = EncodingKey::from_ec_pem(fixture("ec-private.pem").as_bytes()).unwrap();
    let good = claims_json(&admin);
    admin.token = sign(Algorithm::ES256, &key, &good);
    assert_eq!(app.list(&admin.token, "").await.status(), 200);
    let invite = app.invite(&admin, &unique_email("es-target"), "USER").await;
    let tokens = [
        (
            "HS256 with the shared test secret",
            hs256(TEST_SECRET.as_bytes(), &good),
        ),
        (
            "HS256 signed with the EC public key",
            hs256(public.as_bytes(), &good),
        ),
        ("RS256", rs256(&good)),
        ("alg none", unsigned(&good)),
        ("ES256 with a tampered payload", {
            let mut parts: Vec<String> = admin.token.split('.').map(str::to_owned).collect();
            let mut other = good.clone();
            other["tenant_id"] = json!(uuid::Uuid::new_v4());
            parts[1] = URL_SAFE_NO_PAD.encode(other.to_string());
            parts.join(".")
        }),
    ];
    assert_refused_everywhere(&app, &admin, invite["id"].as_str().unwrap(), &tokens).await;
}
