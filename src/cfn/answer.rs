//! One custom-resource event's journey, whatever answers it: bound the raw
//! event, check the ResponseURL, parse the envelope, let a [`Respond`]er
//! decide within the deadline, deliver. Knows nothing of media services:
//! the custom-resource function and the cost guard's deploy check are both
//! responders.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_runtime_api::client::http::SharedHttpConnector;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::time::Instant;
use tracing::Instrument;

use super::deadline::Deadline;
use super::event::{Invocation, ReplyIds};
use super::response::{ResponseBody, Status};
use super::sender::{Allowlist, DeliveryError, Sender, UrlRejected};

/// Why an invocation ends in error (and Lambda may retry it).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("event has no ResponseURL; no response can be sent")]
    NoResponseUrl,
    #[error("{0}; it was not contacted")]
    UrlRejected(#[from] UrlRejected),
    #[error(transparent)]
    NotDelivered(#[from] DeliveryError),
    #[error("refused: {0}")]
    UnknownEvent(String),
    #[error("the cost guard failed: {0}")]
    Guard(String),
}

/// What the runtime reports to Lambda when an invocation fails.
impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        let error_type = match error {
            HandlerError::NoResponseUrl => "NoResponseUrl",
            HandlerError::UrlRejected(_) => "ResponseUrlRejected",
            HandlerError::NotDelivered(_) => "ResponseNotDelivered",
            HandlerError::UnknownEvent(_) => "UnknownEvent",
            HandlerError::Guard(_) => "GuardFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// What an invocation carries, told apart by shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// From CloudFormation: a custom-resource request.
    CustomResource,
    /// From EventBridge (or a schedule of the guard's): `source` and `detail-type`.
    AwsEvent,
    /// Neither; the text says what it held.
    Unknown(String),
}

impl Incoming {
    pub fn of(payload: &Value) -> Self {
        let Some(fields) = payload.as_object() else {
            return Incoming::Unknown("an event that is not a JSON object".into());
        };
        if ["RequestType", "ResponseURL", "StackId"]
            .iter()
            .any(|k| fields.contains_key(*k))
        {
            return Incoming::CustomResource;
        }
        if fields.get("source").is_some_and(Value::is_string) && fields.get("detail-type").is_some_and(Value::is_string)
        {
            return Incoming::AwsEvent;
        }
        let mut keys: Vec<&str> = fields.keys().map(String::as_str).take(8).collect();
        keys.sort_unstable();
        Incoming::Unknown(format!(
            "an event that is neither a CloudFormation request (RequestType) nor an EventBridge event (source, detail-type); its keys: {}",
            if keys.is_empty() {
                "none".to_owned()
            } else {
                keys.join(", ")
            }
        ))
    }
}

/// Decides the answer to a well-formed custom-resource request.
pub trait Respond {
    fn respond(&self, invocation: Invocation, deadline: Deadline) -> impl Future<Output = ResponseBody> + Send;
}

/// Answers FAILED with its reason, whatever the request.
struct Refusal(String);

impl Respond for Refusal {
    async fn respond(&self, invocation: Invocation, _deadline: Deadline) -> ResponseBody {
        let physical_id = invocation.physical_resource_id.unwrap_or_default();
        ResponseBody::failed(&invocation.ids, physical_id, &self.0)
    }
}

/// The ResponseURL allowlist and the sender: what every answer needs.
#[derive(Debug, Clone)]
pub struct Answerer {
    allowlist: Allowlist,
    sender: Sender,
}

/// More values than any real event holds (a custom resource's properties
/// are a few dozen); an event beyond it is never built in memory.
pub const MAX_EVENT_VALUES: usize = 20_000;

/// An invocation's payload, bounded: built as JSON only when it holds at
/// most [`MAX_EVENT_VALUES`] values.
#[derive(Debug)]
pub enum Payload<'a> {
    Read(Value),
    /// Its raw text and how many values it holds.
    TooLarge(&'a str, usize),
}

impl<'a> Payload<'a> {
    /// One counting pass over the raw text, then the JSON if it is small enough.
    pub fn of(raw: &'a RawValue) -> Result<Self, HandlerError> {
        let values = json_values(raw.get());
        if values > MAX_EVENT_VALUES {
            return Ok(Payload::TooLarge(raw.get(), values));
        }
        serde_json::from_str(raw.get()).map(Payload::Read).map_err(|err| {
            let what = format!("an event that is not JSON ({err})");
            tracing::error!(event = %what, "refused: not an event this function handles");
            HandlerError::UnknownEvent(what)
        })
    }
}

impl Answerer {
    /// Answers through `http`, the connector the AWS clients use.
    pub fn new(allowlist: Allowlist, http: SharedHttpConnector) -> Self {
        Answerer {
            allowlist,
            sender: Sender::new(http),
        }
    }

    /// An event holding more values than any real one: a custom-resource
    /// event is answered FAILED from its top-level fields (read each as raw
    /// text, nothing below them built); any other is refused.
    pub async fn refuse_too_large(&self, raw: &str, values: usize, deadline: Instant) -> Result<(), HandlerError> {
        let top: std::collections::BTreeMap<String, &RawValue> = serde_json::from_str(raw).unwrap_or_default();
        let custom_resource = ["RequestType", "ResponseURL", "StackId"]
            .iter()
            .any(|key| top.contains_key(*key));
        if !custom_resource {
            let what = format!("an event of {values} JSON values; at most {MAX_EVENT_VALUES} are read");
            tracing::error!(event = %what, "refused: not an event this function handles");
            return Err(HandlerError::UnknownEvent(what));
        }
        // The envelope's own fields only: its properties are never built.
        let mut envelope: serde_json::Map<String, Value> = top
            .iter()
            .filter(|(key, _)| !key.ends_with("ResourceProperties"))
            .filter_map(|(key, value)| Some((key.clone(), Value::String(serde_json::from_str(value.get()).ok()?))))
            .collect();
        envelope.insert("ResourceProperties".to_owned(), Value::Object(serde_json::Map::new()));
        let reason = format!(
            "the event holds {values} JSON values (its ResourceProperties included); a custom resource's event may hold at most {MAX_EVENT_VALUES}: refused unread"
        );
        self.answer(Value::Object(envelope), deadline, &Refusal(reason)).await
    }

    /// Answers one custom-resource event with `responder`. `Ok` once the
    /// response has been delivered; any event with an acceptable
    /// ResponseURL gets a response.
    pub async fn answer(
        &self,
        raw: Value,
        lambda_deadline: Instant,
        responder: &impl Respond,
    ) -> Result<(), HandlerError> {
        let received = Instant::now();
        let text = |key: &str| raw.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let span = tracing::info_span!(
            "request",
            RequestType = text("RequestType"),
            ResourceType = text("ResourceType"),
            LogicalResourceId = text("LogicalResourceId"),
            RequestId = text("RequestId"),
            StackId = text("StackId"),
        );
        // What a FAILED answer needs if the event cannot be read; the event
        // itself is then consumed, not copied.
        let (salvaged, physical_id) = (ReplyIds::salvage(&raw), text("PhysicalResourceId"));
        async move {
            let time_left_ms =
                u64::try_from(lambda_deadline.saturating_duration_since(received).as_millis()).unwrap_or(u64::MAX);
            tracing::info!(time_left_ms, "received");
            let Some(url) = raw.get("ResponseURL").and_then(Value::as_str) else {
                tracing::error!("event has no ResponseURL; nothing can be answered");
                return Err(HandlerError::NoResponseUrl);
            };
            let url = self.allowlist.check(url).inspect_err(|rejected| {
                tracing::error!(cause = %rejected, "ResponseURL refused; it is never contacted");
            })?;

            let (body, deadline) = match Invocation::from_value(raw) {
                Ok(invocation) => {
                    let deadline = Deadline::new(received, lambda_deadline, invocation.service_timeout());
                    (responder.respond(invocation, deadline).await, deadline)
                }
                Err(reason) => {
                    tracing::error!(cause = %reason, "malformed event; answering FAILED");
                    let body = ResponseBody::failed(&salvaged, physical_id, &reason);
                    (body, Deadline::new(received, lambda_deadline, None))
                }
            };

            let status = body.status;
            let physical_id = body.physical_resource_id.clone();
            match status {
                Status::Success => tracing::info!(PhysicalResourceId = %physical_id, "answering SUCCESS"),
                Status::Failed => {
                    tracing::warn!(PhysicalResourceId = %physical_id, Reason = %body.reason, "answering FAILED")
                }
            }
            let bytes = body.encode();
            match self.sender.deliver(&url, bytes, deadline.deliver_by).await {
                Ok(attempts) => {
                    tracing::info!(attempts, url = %url, "response delivered");
                    Ok(())
                }
                Err(err) => {
                    tracing::error!(cause = %err, url = %url, "response not delivered");
                    Err(err.into())
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// How many JSON values `raw` holds, at most: its separators and openings
/// outside strings, counted in one pass over the bytes.
fn json_values(raw: &str) -> usize {
    let (mut count, mut in_string, mut escaped) = (1, false, false);
    for byte in raw.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b',' | b'[' | b'{' => count += 1,
            _ => {}
        }
    }
    count
}

/// Epoch milliseconds before 2001: no real Lambda deadline.
const EARLIEST_REAL_DEADLINE_MS: u64 = 1_000_000_000_000;
/// Lambda allows at most 15 minutes.
const LAMBDA_MAX_TIME: Duration = Duration::from_secs(900);

/// Lambda gives the deadline as epoch milliseconds; timers want an Instant.
/// Some local runtime emulators (cargo-lambda's `watch`) send the function
/// timeout itself instead; such a value is read as a duration.
pub fn lambda_deadline(deadline_ms: u64) -> Instant {
    let now = Instant::now();
    if deadline_ms < EARLIEST_REAL_DEADLINE_MS {
        tracing::warn!(
            deadline_ms,
            "the runtime's deadline is not an epoch time; reading it as a duration"
        );
        return now + Duration::from_millis(deadline_ms).min(LAMBDA_MAX_TIME);
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let left_ms = u128::from(deadline_ms).saturating_sub(now_ms);
    now + Duration::from_millis(u64::try_from(left_ms).unwrap_or(u64::MAX)).min(LAMBDA_MAX_TIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_counted_outside_strings() {
        assert_eq!(json_values("0"), 1);
        assert_eq!(json_values("[0,0,0]"), 4);
        assert_eq!(json_values(r#"{"a":"x,[{","b":[1]}"#), 4);
        assert_eq!(
            json_values(r#"{"a":"\",","b":1}"#),
            3,
            "an escaped quote stays inside the string"
        );
    }

    #[test]
    fn epoch_deadlines_become_instants() {
        let in_a_minute = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64 + 60_000;
        let left = lambda_deadline(in_a_minute).saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(58) && left <= Duration::from_secs(60),
            "{left:?}"
        );
    }

    #[test]
    fn a_duration_sent_as_deadline_is_read_as_one() {
        let left = lambda_deadline(600_000).saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(598) && left <= Duration::from_secs(600),
            "{left:?}"
        );
    }

    #[test]
    fn a_past_deadline_leaves_no_time() {
        assert!(lambda_deadline(EARLIEST_REAL_DEADLINE_MS + 1) <= Instant::now());
    }
}
