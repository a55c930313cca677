//! The AWS clients, built once at start-up and shared by every request.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Media APIs throttle at a few calls a second; retry harder than the
/// default three attempts. The deadline bounds it all.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(6)
        .with_max_backoff(Duration::from_secs(8))
}

#[derive(Debug, Clone)]
pub struct Clients {
    pub mediapackage: aws_sdk_mediapackage::Client,
    pub medialive: aws_sdk_medialive::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        Clients {
            mediapackage: aws_sdk_mediapackage::Client::new(config),
            medialive: aws_sdk_medialive::Client::new(config),
            secretsmanager: aws_sdk_secretsmanager::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
        }
    }

    /// From the environment, as aws-config reads it: credentials, region and
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`.
    pub async fn from_env() -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            // Media APIs throttle at a few calls a second; retry harder than
            // the default three attempts. The deadline bounds it all.
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(6)
                    .with_max_backoff(Duration::from_secs(8)),
            )
            // A call that hangs is abandoned and retried instead of eating
            // the invocation's time.
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .build(),
            )
            .load()
            .await;
        Self::new(&config)
    }
}
