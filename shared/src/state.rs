//! What every handler needs, built once per process (cold start) and shared by invocations.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

use crate::auth::TokenVerifier;
use crate::config::{AwsClientConfig, Config, ConfigError};
use crate::domain::Clock;
use crate::mail::Mailer;
use crate::metrics::CostMeter;
use crate::store::Store;

/// Configuration, SDK clients and token verifier.
#[derive(Clone)]
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub mailer: Mailer,
    pub verifier: TokenVerifier,
    pub clock: Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the token verification key is unusable: {0}")]
    Key(#[from] jsonwebtoken::errors::Error),
}

/// Loads the AWS SDK configuration (region, credentials, endpoints from the standard
/// variables) with explicit timeouts, standard retries and TLS through rustls + ring.
pub async fn load_sdk_config(aws: &AwsClientConfig) -> aws_config::SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(aws.connect_timeout)
                .operation_attempt_timeout(aws.operation_attempt_timeout)
                .operation_timeout(aws.operation_timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(aws.max_attempts))
        .load()
        .await
}

impl AppState {
    /// Reads the environment and builds everything; called once per process.
    pub async fn from_env() -> Result<Self, StartupError> {
        Self::build(Config::from_env()?, Clock::system()).await
    }

    pub async fn build(config: Config, clock: Clock) -> Result<Self, StartupError> {
        let sdk = load_sdk_config(&config.aws).await;
        let verifier = TokenVerifier::new(&config.auth)?;
        // The cost meter on both clients: what each request spends shows in its log line.
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(CostMeter)
                .build(),
        );
        let ses = aws_sdk_ses::Client::from_conf(
            aws_sdk_ses::config::Builder::from(&sdk)
                .interceptor(CostMeter)
                .build(),
        );
        Ok(Self {
            store: Store::new(dynamodb, config.table_name.clone()),
            mailer: Mailer::new(ses, config.sender_email.clone()),
            verifier,
            clock,
            config,
        })
    }
}
