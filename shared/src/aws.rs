//! The AWS SDK's configuration (timeouts, retries, TLS) and the one classifier of its errors.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::config::AwsClientConfig;
use crate::metrics::CostMeter;
use crate::xray::XRaySubsegments;

/// Loads the SDK configuration (region, credentials, endpoints from the standard variables)
/// with explicit timeouts, standard retries and TLS through rustls + ring.
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

/// A DynamoDB client with the cost meter, so each request's log line shows what it spent,
/// and its calls traced (X-Ray subsegments).
pub fn dynamodb_client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
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
