//! Token attacks and tenant isolation: nobody gets in who should not, and failed attempts
//! change nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use invites_shared::domain::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::*;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/fixtures").join(name)).unwrap()
}

fn claims(actor: &Actor) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": actor.user.id, "email": actor.email(), "tenant_id": actor.tenant, "iat": now, "exp": now + 3600 })
}

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

/// Each token must get 401 on every endpoint, and nothing may change.
async fn assert_refused_everywhere(
    app: &TestApp,
    admin: &Actor,
    invite_id: &str,
    tokens: &[(&str, String)],
) {
    for (what, token) in tokens {
        let attempts = [
            app.post_invite(
                token,
                json!({ "tenant_id": admin.tenant, "email": unique_email("attack") }),
            )
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
    let page = app.list_ok(&admin.token, "").await;
    assert_eq!(page["total"], 1, "an attack changed the tenant's invites");
    assert_eq!(page["items"][0]["id"], invite_id);
}

#[tokio::test]
async fn forged_expired_and_malformed_tokens_are_refused_without_side_effects() {
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let invite = app.invite(&admin, &unique_email("target"), "USER").await;
    let id = invite["id"].as_str().unwrap();
    let good = claims(&admin);
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
    for (name, value) in headers {
        let response = app
            .http
            .get(app.url("/v1/invites"))
            .header(name, &value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{name}: {value}");
    }
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
    admin.token = rs256(&claims(&admin));
    let invite = app
        .invite(&admin, &unique_email("rsa-target"), "USER")
        .await;

    let good = claims(&admin);
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
    let es = sign(Algorithm::ES256, &key, &claims(&admin));
    // Both configured keys work: HS256 (the actor's own token) and ES256.
    assert_eq!(app.list(&admin.token, "").await.status(), 200);
    assert_eq!(app.list(&es, "").await.status(), 200);
    assert_eq!(app.list(&rs256(&claims(&admin)), "").await.status(), 401);
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
    let admin = app.tenant_admin().await;
    let base = claims(&admin);
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
    assert_eq!(
        app.list(
            &with(Some("https://auth.example.com"), Some("invites-api")),
            ""
        )
        .await
        .status(),
        200
    );
    for (iss, aud) in [
        (None, None),
        (Some("https://auth.example.com"), None),
        (None, Some("invites-api")),
        (Some("https://evil.example.com"), Some("invites-api")),
        (Some("https://auth.example.com"), Some("another-api")),
    ] {
        assert_eq!(
            app.list(&with(iss, aud), "").await.status(),
            401,
            "iss {iss:?}, aud {aud:?}"
        );
    }
}

#[tokio::test]
async fn another_tenants_members_can_neither_read_change_nor_learn_of_its_invites() {
    let app = TestApp::spawn().await;
    let victim = app.tenant_admin().await;
    let victim_user = app.member(victim.tenant, Role::User).await;
    let invite = app.invite(&victim, &unique_email("victim"), "USER").await;
    let id = invite["id"].as_str().unwrap().to_owned();
    let before = app.list_ok(&victim.token, "").await;

    let other = app.tenant().await;
    let mut attackers = Vec::new();
    for role in [Role::User, Role::Admin, Role::Owner] {
        attackers.push((role, app.member(other.id, role).await));
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    for (role, attacker) in &attackers {
        let create = app
            .post_invite(
                &attacker.token,
                json!({ "tenant_id": victim.tenant, "email": unique_email("in") }),
            )
            .await;
        assert_eq!(create.status(), 403, "{role} created into another tenant");
        let list = app
            .list(&attacker.token, &format!("tenant_id={}", victim.tenant))
            .await;
        assert_eq!(list.status(), 403, "{role} listed another tenant");
        let own = app.list(&attacker.token, "").await;
        if role.can_manage_invites() {
            let page: Value = own.json().await.unwrap();
            assert!(page["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["tenant_id"] == attacker.tenant.to_string()));
            let foreign = status_and_body(app.delete(&attacker.token, &id).await).await;
            let missing = status_and_body(app.delete(&attacker.token, &unknown).await).await;
            assert_eq!(
                foreign, missing,
                "{role}: a foreign invite must look unknown"
            );
            assert_eq!(foreign.0, 404);
        } else {
            assert_eq!(own.status(), 403);
            assert_eq!(app.delete(&attacker.token, &id).await.status(), 403);
        }
        // Accepting needs the invitee's email, whoever asks.
        assert_eq!(app.accept(&attacker.token, &id).await.status(), 403);
    }

    // A plain member of the victim's own tenant is no admin.
    assert_eq!(
        app.post_invite(
            &victim_user.token,
            json!({ "tenant_id": victim.tenant, "email": unique_email("u") })
        )
        .await
        .status(),
        403
    );
    assert_eq!(app.list(&victim_user.token, "").await.status(), 403);
    assert_eq!(app.delete(&victim_user.token, &id).await.status(), 403);

    assert_eq!(
        app.list_ok(&victim.token, "").await,
        before,
        "the victim's invites changed"
    );
}

#[tokio::test]
async fn demoted_and_removed_admins_lose_every_right_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.tenant_admin().await;
    let admin = app.member(owner.tenant, Role::Admin).await;
    let invite = app.invite(&owner, &unique_email("keep"), "USER").await;
    let id = invite["id"].as_str().unwrap();
    let create = || {
        app.post_invite(
            &admin.token,
            json!({ "tenant_id": admin.tenant, "email": unique_email("d") }),
        )
    };

    assert_eq!(create().await.status(), 201);
    app.add_member(admin.tenant, admin.user.id, Role::User)
        .await;
    assert_eq!(create().await.status(), 403);
    assert_eq!(app.list(&admin.token, "").await.status(), 403);
    assert_eq!(app.delete(&admin.token, id).await.status(), 403);

    app.store
        .remove_membership(admin.tenant, admin.user.id)
        .await
        .unwrap();
    assert_eq!(create().await.status(), 403);
    assert_eq!(app.list(&admin.token, "").await.status(), 403);
    assert_eq!(app.delete(&admin.token, id).await.status(), 403);
    assert_eq!(app.list_ok(&owner.token, "").await["total"], 2);
}

#[tokio::test]
async fn tenant_and_inviter_names_are_escaped_in_the_email() {
    let app = TestApp::spawn().await;
    let tenant = invites_local::dev::create_tenant(
        &app.store,
        None,
        "<script>alert(\"pwned\")</script> & 'Co'",
        None,
    )
    .await
    .unwrap();
    let admin = app.member(tenant.id, Role::Admin).await;
    let email = unique_email("escape");
    app.invite(&admin, &email, "USER").await;

    let sent = &app.emails_to(&email).await[0];
    let html = sent["body"]["html"].as_str().unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#x27;Co&#x27;"),
        "{html}"
    );
}
