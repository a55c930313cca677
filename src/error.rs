//! The library's error type. Each variant renders as the one-line `Reason`
//! CloudFormation shows the user, so messages name the property or the AWS
//! operation and never carry secret values.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::cfn::props::PropError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A property failed validation; nothing was sent to AWS.
    #[error(transparent)]
    Property(#[from] PropError),

    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),

    /// A resource reached a state it cannot come back from (CREATE_FAILED, say).
    #[error("{0}")]
    BadState(String),

    /// A wait ran out of time; the text says for what.
    #[error("{0}")]
    TimedOut(String),

    /// A resource exists under the requested name but was not made by this
    /// stack resource, so it is neither adopted nor touched.
    #[error("{0}")]
    Conflict(String),

    /// AWS answered with something the handler cannot use.
    #[error("{0}")]
    Unexpected(String),
}

impl Error {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Aws(e) if e.is_not_found())
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Aws(e) if e.is_transient())
    }
}

/// Not-found as an answer rather than a failure: deleting or describing
/// something already gone.
pub trait Found<T> {
    /// `Ok(Some(value))`, `Ok(None)` when not found, other errors as they are.
    fn found(self) -> Result<Option<T>, Error>;
}

impl<T> Found<T> for Result<T, Error> {
    fn found(self) -> Result<Option<T>, Error> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// An AWS SDK failure reduced to what a user needs: the operation, the
/// service's error code and its message.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {detail}")]
pub struct AwsError {
    pub operation: &'static str,
    pub code: Option<String>,
    pub http_status: Option<u16>,
    detail: String,
}

impl AwsError {
    pub fn new<E, R>(operation: &'static str, err: aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + HttpStatus,
    {
        let http_status = err.raw_response().map(HttpStatus::status_code);
        let code = err.code().map(str::to_owned);
        // The full context, raw response included, goes to the log; the
        // Reason gets the service's own words. Not-found is most often what
        // the caller expects (a Delete of something gone, a first look).
        if means_not_found(http_status, code.as_deref()) {
            tracing::debug!(operation, error = %DisplayErrorContext(&err), "AWS call found nothing");
        } else {
            tracing::warn!(operation, error = %DisplayErrorContext(&err), "AWS call failed");
        }
        let detail = match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            // An error the service model does not know: its status tells most.
            _ => match (err.as_service_error(), http_status) {
                (Some(service_error), Some(status)) => format!("{service_error} (HTTP {status})"),
                (Some(service_error), None) => service_error.to_string(),
                (None, _) => error_chain(&err),
            },
        };
        AwsError {
            operation,
            code,
            http_status,
            detail,
        }
    }

    /// Not-found in any of the forms the services use: a 404, or the error
    /// codes MediaLive, MediaPackage, Secrets Manager and SSM return.
    pub fn is_not_found(&self) -> bool {
        means_not_found(self.http_status, self.code.as_deref())
    }

    /// A failure that says nothing about the request: no answer (a dropped
    /// connection, a timeout), throttling, or a server error. The service
    /// may have acted on the request all the same.
    pub fn is_transient(&self) -> bool {
        self.http_status.is_none_or(|status| status >= 500 || status == 429)
            || self
                .code
                .as_deref()
                .is_some_and(|code| code.starts_with("Throttl") || code == "TooManyRequestsException")
    }

    /// IAM refused: the caller's role may not act on this resource (for
    /// the cost guard, a channel not tagged with its stack).
    pub fn is_access_denied(&self) -> bool {
        self.http_status == Some(403)
            || self
                .code
                .as_deref()
                .is_some_and(|code| code.starts_with("AccessDenied") || code == "AuthorizationError")
    }

    /// The same failure, with `note` after the service's words.
    pub fn noting(mut self, note: &str) -> Self {
        self.detail = format!("{} ({note})", self.detail);
        self
    }

    #[cfg(test)]
    pub(crate) fn for_test(operation: &'static str, code: &str, status: u16, message: &str) -> Self {
        AwsError {
            operation,
            code: Some(code.to_owned()),
            http_status: Some(status),
            detail: format!("{code}: {message}"),
        }
    }

    /// The service refused because of the resource's current state.
    pub fn is_conflict(&self) -> bool {
        self.http_status == Some(409) || self.code.as_deref() == Some("ConflictException")
    }

    /// A refusal that reads as an account quota reached. MediaLive's model
    /// names no error code for it (its creates answer 400 Bad Request or
    /// 422 Unprocessable Entity), so the service's words decide.
    fn reads_as_quota(&self) -> bool {
        let detail = self.detail.to_ascii_lowercase();
        matches!(self.http_status, Some(400 | 403 | 422 | 429))
            && ["limit", "quota", "maximum number"]
                .iter()
                .any(|sign| detail.contains(sign))
    }
}

/// Names the MediaLive quota (as the Service Quotas console lists it) in
/// the Reason of a create that reads as refused by it, with where to raise
/// it; any other error passes unchanged.
pub fn naming_quota(quota: &'static str) -> impl FnOnce(Error) -> Error {
    move |err| match err {
        Error::Aws(mut aws) if aws.reads_as_quota() => {
            aws.detail = format!(
                "{} (the account's MediaLive quota \"{quota}\" in this Region is reached: \
                 delete unused ones, or ask for more in the Service Quotas console under AWS Elemental MediaLive)",
                aws.detail
            );
            Error::Aws(aws)
        }
        other => other,
    }
}

/// Not-found in any of the forms the services use: a 404, or the error
/// codes MediaLive, MediaPackage, Scheduler, Secrets Manager and SSM return.
fn means_not_found(http_status: Option<u16>, code: Option<&str>) -> bool {
    http_status == Some(404)
        || matches!(
            code,
            Some("NotFoundException" | "ResourceNotFoundException" | "ParameterNotFound")
        )
}

/// "dispatch failure: io error: connection refused": each cause once.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// Lets [`AwsError::new`] read the status of whatever raw response type the
/// SDK error carries.
pub trait HttpStatus {
    fn status_code(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// `.map_err(aws_error("Operation"))` on an SDK call.
pub fn aws_error<E, R>(
    operation: &'static str,
) -> impl FnOnce(aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HttpStatus + 'static,
{
    move |err| match crate::budget::no_time_left(&err) {
        // Refused before sending: nothing reached AWS.
        Some(no_time) => Error::TimedOut(format!("timed out: {no_time}")),
        None => Error::Aws(AwsError::new(operation, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, detail: &str) -> Error {
        Error::Aws(AwsError {
            operation: "CreateChannel",
            code: Some("UnprocessableEntityException".into()),
            http_status: Some(status),
            detail: detail.into(),
        })
    }

    #[test]
    fn only_a_refusal_that_reads_as_a_quota_names_one() {
        let named =
            naming_quota("Channels")(refused(422, "UnprocessableEntityException: channel limit exceeded")).to_string();
        assert!(
            named.contains("quota \"Channels\"") && named.contains("Service Quotas"),
            "{named}"
        );
        for other in [
            refused(422, "UnprocessableEntityException: invalid encoder settings"),
            refused(500, "InternalServerErrorException: limit of patience"),
        ] {
            let text = naming_quota("Channels")(other).to_string();
            assert!(!text.contains("quota"), "{text}");
        }
    }
}
