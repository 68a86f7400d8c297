//! What every function's state holds, built once per process (cold start).

use lambda_http::Request;

use crate::auth::{AuthError, Caller, TokenVerifier};
use crate::config::{CommonSettings, ConfigError};
use crate::domain::Clock;
use crate::store::Store;

/// The store, the token verifier, the clock and the request limits of one function.
#[derive(Clone)]
pub struct Common {
    pub store: Store,
    pub verifier: TokenVerifier,
    pub clock: Clock,
    pub max_body_bytes: usize,
}

/// Why a function could not start; the message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the token verification key is unusable: {0}")]
    Key(#[from] jsonwebtoken::errors::Error),
}

impl Common {
    /// The verified caller of `req` (the one place requests are authenticated).
    pub async fn authenticate(&self, req: &Request) -> Result<Caller, AuthError> {
        self.verifier
            .authenticate(req, &self.store, self.clock.now())
            .await
    }

    pub fn new(
        settings: &CommonSettings,
        dynamodb: aws_sdk_dynamodb::Client,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        Ok(Self {
            store: Store::new(dynamodb, settings.table_name.clone())
                .with_retention_days(settings.invite_retention_days),
            verifier: TokenVerifier::new(&settings.auth)?,
            clock,
            max_body_bytes: settings.max_body_bytes,
        })
    }
}
