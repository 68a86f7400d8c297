//! The AWS SDK's configuration (timeouts, retries, TLS) and the one classifier of its errors.
//!
//! The configuration is read from the environment only, as Lambda provides it (region,
//! credentials and, locally, endpoint URLs), without `aws-config`: its provider chains (profile
//! files, SSO, web identity through STS, IMDS) never apply in Lambda and put the STS client and
//! the profile parser into every binary and every cold start.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::default_async_sleep;
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

pub use aws_types::SdkConfig;

use crate::config::AwsClientConfig;
use crate::metrics::CostMeter;
use crate::xray::XRaySubsegments;

/// A variable of the process environment, if set and not empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// `AWS_ENDPOINT_URL_<SERVICE>` (then `AWS_ENDPOINT_URL`) for each client, as the SDK names
/// them: the local emulators' addresses. Unset in AWS.
#[derive(Debug)]
struct EnvEndpoints;

impl LoadServiceConfig for EnvEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_ascii_uppercase().replace(' ', "_");
        env(&format!("{}_{service}", key.env())).or_else(|| env(key.env()))
    }
}

/// The SDK configuration from the environment (region, the function's credentials, endpoints)
/// with explicit timeouts, standard retries and TLS through rustls + ring.
pub async fn load_sdk_config(aws: &AwsClientConfig) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    // Lambda gives each instance its role's credentials in these variables.
    let credentials = match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Some(SharedCredentialsProvider::new(Credentials::new(
            id,
            secret,
            env("AWS_SESSION_TOKEN"),
            None,
            "environment",
        ))),
        _ => None,
    };
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client)
        .time_source(SharedTimeSource::default())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(aws.connect_timeout)
                .operation_attempt_timeout(aws.operation_attempt_timeout)
                .operation_timeout(aws.operation_timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(aws.max_attempts))
        .service_config(EnvEndpoints);
    builder.set_region(region.map(Region::new));
    builder.set_credentials_provider(credentials);
    builder.set_sleep_impl(default_async_sleep());
    builder.build()
}

/// A DynamoDB client with the cost meter, so each request's log line shows what it spent,
/// and its calls traced (X-Ray subsegments).
pub fn dynamodb_client(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(CostMeter)
            .interceptor(XRaySubsegments)
            .build(),
    )
}

/// Error codes that mean "too much at once, try again later", across DynamoDB and SES.
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "TransactionConflictException",
    "TransactionInProgressException",
];

/// Whether a failed AWS call may succeed if repeated later: timeouts, connection failures,
/// unreadable answers, 5xx and throttling. Anything else is a refusal of this very request.
pub fn is_transient<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(context) => {
            context.raw().status().is_server_error()
                || context
                    .err()
                    .code()
                    .is_some_and(|code| THROTTLING_CODES.contains(&code))
        }
        _ => false,
    }
}
