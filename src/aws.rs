//! The AWS clients, built once at start-up and shared by every request.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector, http_client_fn};

use crate::budget::DeadlineGuard;

/// Sets how long one attempt of an AWS call may take, in seconds.
pub const ATTEMPT_TIMEOUT_ENV: &str = "LIVESTREAM_ATTEMPT_TIMEOUT_SECS";
/// A call that hangs is abandoned and retried after this long instead of
/// eating the invocation's time. It is also the time a call that makes or
/// changes something needs left before it is started.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Media APIs throttle at a few calls a second; retry harder than the
/// default three attempts. The deadline bounds it all.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(6)
        .with_max_backoff(Duration::from_secs(8))
}

/// How long connecting to AWS, or to the ResponseURL, may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connect and attempt timeouts for every client.
pub fn timeout_config(attempt: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(attempt)
        .build()
}

/// The attempt timeout from [`ATTEMPT_TIMEOUT_ENV`], else the default.
fn attempt_timeout_from_env() -> Duration {
    let configured = std::env::var(ATTEMPT_TIMEOUT_ENV).ok();
    match configured.as_deref().map(str::parse::<u64>) {
        None => DEFAULT_ATTEMPT_TIMEOUT,
        Some(Ok(secs)) if secs > 0 => Duration::from_secs(secs),
        Some(_) => {
            tracing::warn!(
                variable = ATTEMPT_TIMEOUT_ENV,
                value = configured.as_deref().unwrap_or_default(),
                "not a whole number of seconds above 0; using the default"
            );
            DEFAULT_ATTEMPT_TIMEOUT
        }
    }
}

#[derive(Debug, Clone)]
pub struct Clients {
    pub mediapackage: aws_sdk_mediapackage::Client,
    /// v2 resources are CloudFormation's own; the handler only waits on
    /// their harvest jobs (`LastRecording`).
    pub mediapackagev2: aws_sdk_mediapackagev2::Client,
    pub medialive: aws_sdk_medialive::Client,
    pub s3: aws_sdk_s3::Client,
    /// Only to see the guard's records of runs (`LastRecording`).
    pub scheduler: aws_sdk_scheduler::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl Clients {
    /// Clients from `config`, each carrying the [`DeadlineGuard`].
    pub fn new(config: &SdkConfig) -> Self {
        Clients {
            mediapackage: aws_sdk_mediapackage::Client::from_conf(
                aws_sdk_mediapackage::config::Builder::from(config)
                    .interceptor(DeadlineGuard)
                    .build(),
            ),
            mediapackagev2: aws_sdk_mediapackagev2::Client::from_conf(
                aws_sdk_mediapackagev2::config::Builder::from(config)
                    .interceptor(DeadlineGuard)
                    .build(),
            ),
            medialive: aws_sdk_medialive::Client::from_conf(
                aws_sdk_medialive::config::Builder::from(config)
                    .interceptor(DeadlineGuard)
                    .build(),
            ),
            s3: aws_sdk_s3::Client::from_conf(s3_config(config).interceptor(DeadlineGuard).build()),
            scheduler: aws_sdk_scheduler::Client::from_conf(
                aws_sdk_scheduler::config::Builder::from(config)
                    .interceptor(DeadlineGuard)
                    .build(),
            ),
            secretsmanager: aws_sdk_secretsmanager::Client::from_conf(
                aws_sdk_secretsmanager::config::Builder::from(config)
                    .interceptor(DeadlineGuard)
                    .build(),
            ),
            ssm: aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::config::Builder::from(config)
                    .interceptor(DeadlineGuard)
                    .build(),
            ),
        }
    }

    /// From the environment (see [`load_config`]).
    pub async fn from_env() -> Self {
        Self::new(&load_config(http_connector()).await)
    }
}

/// The process's one HTTP connector (rustls, the system's trust store),
/// shared by every AWS client and by the response PUT. Left to itself,
/// each SDK client builds its own at construction, each parsing the whole
/// trust store again: five clients, five times, on every cold start.
pub fn http_connector() -> SharedHttpConnector {
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build();
    SharedHttpConnector::new(
        Connector::builder()
            .connector_settings(settings)
            .sleep_impl(SharedAsyncSleep::new(TokioSleep::new()))
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .build(),
    )
}

/// The SDK configuration from the environment, as aws-config reads it:
/// credentials, region and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`;
/// with this project's retries and timeouts.
pub async fn load_config(http: SharedHttpConnector) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client_fn(move |_settings, _components| http.clone()))
        .retry_config(retry_config())
        .timeout_config(timeout_config(attempt_timeout_from_env()))
        .load()
        .await
}

/// Every MediaLive channel of the Region, all pages.
pub async fn all_channels(
    medialive: &aws_sdk_medialive::Client,
) -> Result<Vec<aws_sdk_medialive::types::ChannelSummary>, crate::Error> {
    medialive
        .list_channels()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(crate::error::aws_error("ListChannels"))
}

/// S3's settings: an endpoint of one's own (an emulator, a proxy) has no
/// per-bucket host names; AWS itself gets virtual hosts.
fn s3_config(config: &SdkConfig) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some())
}

/// The AWS clients the cost guard uses. They carry no [`DeadlineGuard`]:
/// a guard event has no CloudFormation deadline, only the guard's own
/// time bound.
#[derive(Debug, Clone)]
pub struct GuardClients {
    /// The no-input alarm's state now, which an alarm event only reports.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub medialive: aws_sdk_medialive::Client,
    /// Harvest jobs, and the recordings bucket their list is kept in.
    pub mediapackagev2: aws_sdk_mediapackagev2::Client,
    pub s3: aws_sdk_s3::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub sns: aws_sdk_sns::Client,
}

impl GuardClients {
    pub fn new(config: &SdkConfig) -> Self {
        GuardClients {
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            medialive: aws_sdk_medialive::Client::new(config),
            mediapackagev2: aws_sdk_mediapackagev2::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config(config).build()),
            scheduler: aws_sdk_scheduler::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
        }
    }
}
