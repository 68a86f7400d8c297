//! The HS256 key is read from Secrets Manager at cold start (moto in server mode stands in for
//! it), never from the function's configuration; a secret that cannot be read stops the
//! function at init.

use std::collections::HashMap;

use invites_bench::runtime_api::{FunctionProcess, Outcome};
use invites_local::events::ApiEvent;

use crate::events::function_binary;
use crate::helpers::*;

/// `list-invites`' environment with the key named by `JWT_HS256_SECRET_ID` only.
fn env_with_secret_id(id: &str) -> HashMap<String, String> {
    let mut env = binary_env();
    env.remove("JWT_HS256_SECRET");
    env.insert("JWT_HS256_SECRET_ID".into(), id.into());
    env.insert("RUST_LOG".into(), "warn".into());
    env
}

#[tokio::test]
async fn the_token_key_comes_from_secrets_manager_at_cold_start() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER").is_ok(),
        "run the tests with scripts/test, which starts moto"
    );
    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let name = format!("invites/jwt-{}", uuid::Uuid::new_v4().simple());
    let sdk = invites_shared::aws::load_sdk_config(&Default::default()).await;
    aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(&name)
        .secret_string(TEST_SECRET)
        .send()
        .await
        .unwrap();

    let mut process = FunctionProcess::start(
        &function_binary("list-invites"),
        &env_with_secret_id(&name),
        None,
    )
    .await
    .unwrap();
    let list = |token: &str| {
        ApiEvent::new("GET", "/v1/invites", "/v1/invites")
            .bearer(token)
            .to_json()
    };
    let status = |outcome: Outcome| match outcome {
        Outcome::Response(response) => response["statusCode"].as_i64().unwrap(),
        Outcome::Error(error) => panic!("the function failed: {error}"),
    };
    // Signed with the secret that is only in Secrets Manager: verified.
    assert_eq!(
        status(process.invoke(list(&admin.token)).await.unwrap()),
        200
    );
    let other = claims_for(
        admin.user.id,
        &admin.user.email,
        admin.tenant,
        chrono::Duration::hours(1),
    )
    .mint_hs256(b"not-the-secret-in-secrets-manager-0123456789");
    assert_eq!(status(process.invoke(list(&other)).await.unwrap()), 401);
    process.stop().await;

    // A secret that cannot be read: the function does not start.
    let missing = env_with_secret_id("invites/no-such-secret");
    let mut process = FunctionProcess::start(&function_binary("list-invites"), &missing, None)
        .await
        .unwrap();
    let error = process.invoke(list(&admin.token)).await.unwrap_err();
    assert!(error.to_string().contains("exited"), "{error}");
}
