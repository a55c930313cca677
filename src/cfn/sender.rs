//! Delivering the response to the presigned ResponseURL.
//!
//! Only AWS hosts over https, plus hosts an operator lists in
//! `RESPONSE_URL_ALLOWED_HOSTS`, are ever contacted. Network errors, 5xx and
//! 429 are retried with full-jitter backoff until `deliver_by`; any other 4xx
//! is final (a presigned URL that says 403 will say it again).
//!
//! The PUT goes through the connector the AWS clients use (the SDK's own,
//! handed in): one HTTP and TLS stack in the process, and the system's
//! trust store parsed once.

use std::fmt;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{HttpConnector, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use tokio::time::Instant;
use url::Url;

pub const ALLOWED_HOSTS_ENV: &str = "RESPONSE_URL_ALLOWED_HOSTS";
const AWS_HOST_SUFFIXES: &[&str] = &[".amazonaws.com", ".amazonaws.com.cn"];
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the one attempt made past `deliver_by` may take.
const LAST_CHANCE: Duration = Duration::from_secs(2);
const BACKOFF_BASE: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(4);

/// A ResponseURL that passed the allowlist. Its `Display` leaves out the
/// query string, which holds the presigned signature.
#[derive(Clone)]
pub struct ResponseUrl(Url);

impl fmt::Display for ResponseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", redact(&self.0))
    }
}

impl fmt::Debug for ResponseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn redact(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlRejected {
    #[error("ResponseURL is not a valid URL")]
    Unparsable,
    #[error("ResponseURL host {0} is neither an AWS host nor listed in {ALLOWED_HOSTS_ENV}")]
    HostNotAllowed(String),
    #[error("ResponseURL {0} must use https (plain http only for hosts listed in {ALLOWED_HOSTS_ENV})")]
    NotHttps(String),
    #[error("ResponseURL must not carry credentials")]
    Credentials,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("ResponseURL answered HTTP {0}; not retried")]
    Refused(u16),
    #[error("response not delivered before the deadline after {attempts} attempt(s); last: {last}")]
    OutOfTime { attempts: u32, last: String },
}

/// Which hosts may receive responses.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    /// Lower-cased `host` or `host:port` entries.
    extra: Vec<String>,
}

impl Allowlist {
    /// From a comma-separated list, as in [`ALLOWED_HOSTS_ENV`].
    pub fn parse(list: &str) -> Self {
        Allowlist {
            extra: list
                .split(',')
                .map(|entry| entry.trim().to_ascii_lowercase())
                .filter(|entry| !entry.is_empty())
                .collect(),
        }
    }

    pub fn from_env() -> Self {
        Self::parse(&std::env::var(ALLOWED_HOSTS_ENV).unwrap_or_default())
    }

    pub fn check(&self, url: &str) -> Result<ResponseUrl, UrlRejected> {
        let url = Url::parse(url).map_err(|_| UrlRejected::Unparsable)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlRejected::Credentials);
        }
        let host = url.host_str().ok_or(UrlRejected::Unparsable)?.to_ascii_lowercase();
        let listed = self.extra.iter().any(|entry| {
            entry == &host
                || url
                    .port_or_known_default()
                    .is_some_and(|port| *entry == format!("{host}:{port}"))
        });
        let aws = AWS_HOST_SUFFIXES.iter().any(|suffix| host.ends_with(suffix));
        match url.scheme() {
            "https" if aws || listed => Ok(ResponseUrl(url)),
            "http" if listed => Ok(ResponseUrl(url)),
            "http" if aws => Err(UrlRejected::NotHttps(host)),
            "https" | "http" => Err(UrlRejected::HostNotAllowed(host)),
            _ => Err(UrlRejected::NotHttps(host)),
        }
    }
}

/// PUTs response bodies. Redirects are never followed (the SDK's
/// connector does not): a presigned URL is the final address.
#[derive(Debug, Clone)]
pub struct Sender {
    http: SharedHttpConnector,
}

impl Sender {
    pub fn new(http: SharedHttpConnector) -> Self {
        Sender { http }
    }

    /// One PUT of `body` to `url`: its status, or why there is none.
    async fn put(&self, url: &ResponseUrl, body: &Bytes, time: Duration) -> Result<u16, String> {
        let mut request = HttpRequest::new(SdkBody::from(body.clone()));
        request.set_method("PUT").map_err(|err| err.to_string())?;
        request.set_uri(url.0.as_str()).map_err(|err| err.to_string())?;
        // S3 presigned URLs are signed without a content type.
        request
            .headers_mut()
            .try_insert("content-type", "")
            .map_err(|err| err.to_string())?;
        request
            .headers_mut()
            .try_insert("content-length", body.len().to_string())
            .map_err(|err| err.to_string())?;
        match tokio::time::timeout(time, self.http.call(request)).await {
            Err(_) => Err("timed out".to_owned()),
            Ok(Ok(response)) => Ok(response.status().as_u16()),
            Ok(Err(err)) => Err(describe(&err)),
        }
    }

    /// PUTs `body` until it is accepted, refused, or `deliver_by` passes.
    /// Returns the number of attempts it took. The first attempt is made
    /// even when `deliver_by` has already passed: a late answer still beats
    /// a stack that waits an hour for one.
    pub async fn deliver(&self, url: &ResponseUrl, body: Vec<u8>, deliver_by: Instant) -> Result<u32, DeliveryError> {
        // Shared by every attempt, not copied.
        let body = Bytes::from(body);
        let mut attempts = 0;
        let mut last = String::from("no attempt was made");
        loop {
            let now = Instant::now();
            let mut left = deliver_by.saturating_duration_since(now);
            if left.is_zero() {
                if attempts > 0 {
                    return Err(DeliveryError::OutOfTime { attempts, last });
                }
                left = LAST_CHANCE;
            }
            attempts += 1;
            match self.put(url, &body, left.min(ATTEMPT_TIMEOUT)).await {
                Ok(status) if (200..300).contains(&status) => return Ok(attempts),
                Ok(status) if status == 429 || status >= 500 => last = format!("HTTP {status}"),
                Ok(status) => return Err(DeliveryError::Refused(status)),
                Err(cause) => last = cause,
            }
            tracing::warn!(attempt = attempts, cause = %last, "response delivery failed; retrying");
            let pause = backoff(attempts);
            if Instant::now() + pause >= deliver_by {
                return Err(DeliveryError::OutOfTime { attempts, last });
            }
            tokio::time::sleep(pause).await;
        }
    }
}

/// What a failed attempt says, from the innermost cause: the connector's
/// errors never carry the URL, so the signed query string stays out.
fn describe(err: &ConnectorError) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_io() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(err);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// Full jitter: a random pause up to an exponentially growing cap.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE.saturating_mul(1 << attempt.min(8)).min(BACKOFF_CAP);
    let fraction = getrandom::u32().unwrap_or(u32::MAX / 2) as f64 / u32::MAX as f64;
    ceiling.mul_f64(fraction).max(Duration::from_millis(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_hosts_over_https_are_accepted() {
        let allow = Allowlist::default();
        assert!(allow.check("https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/a?X-Amz-Signature=1").is_ok());
        assert!(allow.check("https://bucket.s3.cn-north-1.amazonaws.com.cn/a").is_ok());
    }

    #[test]
    fn other_hosts_and_plain_http_are_refused() {
        let allow = Allowlist::default();
        assert_eq!(
            allow.check("https://evil.example.com/a").unwrap_err(),
            UrlRejected::HostNotAllowed("evil.example.com".into())
        );
        assert_eq!(
            allow.check("https://amazonaws.com.evil.example/a").unwrap_err(),
            UrlRejected::HostNotAllowed("amazonaws.com.evil.example".into())
        );
        assert!(matches!(
            allow.check("http://s3.amazonaws.com/a"),
            Err(UrlRejected::NotHttps(_))
        ));
        assert!(matches!(
            allow.check("ftp://s3.amazonaws.com/a"),
            Err(UrlRejected::NotHttps(_))
        ));
        assert_eq!(
            allow.check("https://u:p@s3.amazonaws.com/a").unwrap_err(),
            UrlRejected::Credentials
        );
        assert_eq!(allow.check("not a url").unwrap_err(), UrlRejected::Unparsable);
    }

    #[test]
    fn listed_hosts_may_use_http_with_or_without_port() {
        let allow = Allowlist::parse(" 127.0.0.1:8080 , Receiver.Local ");
        assert!(allow.check("http://127.0.0.1:8080/r").is_ok());
        assert!(allow.check("http://127.0.0.1:9090/r").is_err());
        assert!(allow.check("http://receiver.local:1234/r").is_ok());
        assert!(allow.check("https://receiver.local/r").is_ok());
    }

    #[test]
    fn display_hides_the_signature() {
        let url = Allowlist::default()
            .check("https://b.s3.amazonaws.com/stack/req?X-Amz-Signature=abcdef&X-Amz-Credential=AKIA")
            .unwrap();
        assert_eq!(url.to_string(), "https://b.s3.amazonaws.com/stack/req");
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        for attempt in 0..40 {
            assert!(backoff(attempt) <= BACKOFF_CAP);
        }
    }
}
