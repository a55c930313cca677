//! The way an event travels. [`Incoming::of`] tells a CloudFormation
//! custom-resource event from an EventBridge event by its shape; a custom
//! resource's journey is: check the ResponseURL, parse the envelope, race
//! the kind's work against the deadline, answer, deliver. An EventBridge
//! event goes to the cost guard ([`crate::guard`]), on the function that
//! is configured as the guard.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::LambdaEvent;
use serde_json::Value;
use serde_json::value::RawValue;
use tokio::time::Instant;
use tracing::Instrument;

use crate::aws::Clients;
use crate::cfn::deadline::{self, Deadline};
use crate::cfn::event::{Invocation, ReplyIds, RequestType};
use crate::cfn::response::{ResponseBody, Status, is_sentinel, unconfirmed_id};
use crate::cfn::sender::{Allowlist, DeliveryError, Sender, UrlRejected};
use crate::guard::{GUARD_TIME, Guard, GuardAction, GuardClients, GuardConfig, GuardEvent};
use crate::kinds::{self, Request};

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

/// The custom resource the cost guard answers itself, at deploy time: its
/// SUCCESS proves the guard starts with the settings the stack gave it,
/// its FAILED says why not.
pub const GUARD_CHECK_KIND: &str = "CostGuardCheck";

/// Everything a request needs, built once per Lambda instance.
#[derive(Clone)]
pub struct App {
    aws: Arc<Clients>,
    allowlist: Allowlist,
    sender: Sender,
    /// Set on the function the template deploys as the cost guard: the
    /// guard, or why its settings cannot be read (said at deploy time by
    /// the guard's check, and on every event after).
    guard: Option<Result<Arc<Guard>, String>>,
}

impl App {
    pub fn new(aws: Clients, allowlist: Allowlist) -> Result<Self, reqwest::Error> {
        Ok(App {
            aws: Arc::new(aws),
            allowlist,
            sender: Sender::new()?,
            guard: None,
        })
    }

    /// This function is also (or only) the cost guard.
    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.guard = Some(Ok(Arc::new(guard)));
        self
    }

    /// Settings that do not read never stop the function from starting:
    /// the guard's deploy-time check and every event say what is wrong.
    pub async fn from_env() -> Result<Self, lambda_runtime::Error> {
        let config = crate::aws::load_config().await;
        let mut app = Self::new(Clients::new(&config), Allowlist::from_env())?;
        match GuardConfig::from_env() {
            Ok(Some(guard)) => {
                app = app.with_guard(Guard {
                    config: guard,
                    aws: GuardClients::new(&config),
                });
            }
            Ok(None) => {}
            Err(why) => {
                tracing::error!(cause = %why, "the cost guard's settings cannot be read");
                app.guard = Some(Err(why));
            }
        }
        Ok(app)
    }

    /// The Lambda entry point: bounds the event, then dispatches on its
    /// shape. The payload arrives as raw text; an event holding more values
    /// than any real one is answered (or refused) from its top level alone,
    /// without building it, so the largest, densest event CloudFormation
    /// can send never costs more memory than the function has.
    pub async fn invoke(&self, event: LambdaEvent<Box<RawValue>>) -> Result<(), HandlerError> {
        let LambdaEvent { payload, context } = event;
        let values = json_values(payload.get());
        if values > MAX_EVENT_VALUES {
            return self
                .refuse_oversized(payload.get(), values, lambda_deadline(context.deadline))
                .await;
        }
        let payload: Value = match serde_json::from_str(payload.get()) {
            Ok(payload) => payload,
            Err(err) => {
                let what = format!("an event that is not JSON ({err})");
                tracing::error!(event = %what, "refused: not an event this function handles");
                return Err(HandlerError::UnknownEvent(what));
            }
        };
        match Incoming::of(&payload) {
            Incoming::CustomResource => {
                let deadline = lambda_deadline(context.deadline);
                self.handle(payload, deadline).await
            }
            Incoming::AwsEvent => self.on_aws_event(&payload, &context.invoked_function_arn).await,
            Incoming::Unknown(what) => {
                tracing::error!(event = %what, "refused: not an event this function handles");
                Err(HandlerError::UnknownEvent(what))
            }
        }
    }

    /// An EventBridge-shaped event: the cost guard's. Errors end the
    /// invocation in error, so Lambda retries it (asynchronous invocations
    /// are retried twice).
    pub async fn on_aws_event(&self, payload: &Value, function_arn: &str) -> Result<(), HandlerError> {
        let text = |key: &str| payload.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let span = tracing::info_span!(
            "event",
            source = text("source"),
            DetailType = text("detail-type"),
            id = text("id")
        );
        async {
            let guard = match &self.guard {
                Some(Ok(guard)) => guard,
                Some(Err(why)) => {
                    tracing::error!(cause = %why, "the cost guard cannot run");
                    return Err(HandlerError::Guard(why.clone()));
                }
                None => {
                    let what = "an EventBridge event, but this function is not configured as the cost guard".to_owned();
                    tracing::error!(event = %what, "refused");
                    return Err(HandlerError::UnknownEvent(what));
                }
            };
            let event = GuardEvent::parse(payload).map_err(|unknown| {
                tracing::error!(event = %unknown, "refused: not an event the cost guard knows");
                HandlerError::UnknownEvent(unknown.0)
            })?;
            match tokio::time::timeout(GUARD_TIME, guard.handle(event, function_arn)).await {
                Ok(Ok(GuardAction::Nothing(why))) => {
                    tracing::info!(why = %why, "cost guard: nothing to do");
                    Ok(())
                }
                Ok(Ok(done)) => {
                    tracing::info!(action = ?done, "cost guard: done");
                    Ok(())
                }
                Ok(Err(err)) => {
                    tracing::error!(cause = %err, "cost guard failed");
                    Err(HandlerError::Guard(err.to_string()))
                }
                Err(_) => {
                    tracing::error!("cost guard: AWS did not answer in time");
                    Err(HandlerError::Guard(format!("no answer from AWS within {GUARD_TIME:?}")))
                }
            }
        }
        .instrument(span)
        .await
    }

    /// An event holding more values than any real one: a custom-resource
    /// event is answered FAILED from its top-level fields (read each as raw
    /// text, nothing below them built); any other is refused.
    async fn refuse_oversized(&self, raw: &str, values: usize, deadline: Instant) -> Result<(), HandlerError> {
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
        let envelope: serde_json::Map<String, Value> = top
            .iter()
            .filter(|(key, _)| !key.ends_with("ResourceProperties"))
            .filter_map(|(key, value)| Some((key.clone(), Value::String(serde_json::from_str(value.get()).ok()?))))
            .collect();
        let reason = format!(
            "the event holds {values} JSON values (its ResourceProperties included); a custom resource's event may hold at most {MAX_EVENT_VALUES}: refused unread"
        );
        self.answer(Value::Object(envelope), deadline, Some(reason)).await
    }

    /// Answers one custom-resource event. `Ok` once the response has been
    /// delivered; any event with an acceptable ResponseURL gets a response.
    pub async fn handle(&self, raw: Value, lambda_deadline: Instant) -> Result<(), HandlerError> {
        self.answer(raw, lambda_deadline, None).await
    }

    /// As `handle`; with `refusal`, answers FAILED with it without reading
    /// the request further.
    async fn answer(&self, raw: Value, lambda_deadline: Instant, refusal: Option<String>) -> Result<(), HandlerError> {
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

            let parsed = match refusal {
                Some(reason) => Err(reason),
                None => Invocation::from_value(raw),
            };
            let (body, deadline) = match parsed {
                Ok(invocation) => {
                    let deadline = Deadline::new(received, lambda_deadline, invocation.service_timeout());
                    (self.respond(invocation, deadline).await, deadline)
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

    /// The response for a well-formed request.
    async fn respond(&self, invocation: Invocation, deadline: Deadline) -> ResponseBody {
        let ids = invocation.ids.clone();
        let request_type = invocation.request_type;
        let existing_id = invocation.physical_resource_id.clone().unwrap_or_default();
        let kind = invocation.kind_name().to_owned();

        if kind == GUARD_CHECK_KIND {
            return self.check_guard(&invocation, existing_id);
        }
        if request_type == RequestType::Delete && is_sentinel(&existing_id) {
            tracing::info!("the Create had failed before anything existed; nothing to delete");
            return ResponseBody::success(&ids, existing_id, Default::default(), false);
        }
        if !kinds::is_known(&kind) {
            if request_type == RequestType::Delete {
                tracing::warn!(kind = %kind, "unknown resource kind; nothing to delete");
                return ResponseBody::success(&ids, existing_id, Default::default(), false);
            }
            let reason = format!(
                "unknown resource kind {kind:?}; known kinds: {}",
                kinds::names().join(", ")
            );
            return ResponseBody::failed(&ids, existing_id, &reason);
        }

        tracing::info!(kind = %kind, "handling request");
        let request = Request::new(&invocation, deadline.work_until);
        let aws = Arc::clone(&self.aws);
        let work_request = request.clone();
        let work = async move { kinds::perform(&kind, &aws, &work_request, &invocation).await }.in_current_span();
        let failure = match deadline::race(deadline.work_until, work).await {
            Ok(Ok(outcome)) => {
                return ResponseBody::success(&ids, outcome.physical_id, outcome.data, outcome.no_echo);
            }
            Ok(Err(error)) => error.to_string(),
            Err(interrupted) => interrupted.to_string(),
        };
        // A failed Create answers with whatever it already made (so the
        // rollback deletes it); when a call that makes something may have
        // acted unseen, with an id that has the rollback look for it by
        // tags; otherwise with the sentinel. Update and Delete keep the
        // existing id so CloudFormation's view does not change.
        let physical_id = match request_type {
            RequestType::Create => request.created().unwrap_or_else(|| {
                if request.budget().may_have_made_something() {
                    tracing::warn!(
                        "a call that makes something was sent and not refused; the Delete will look for what it made"
                    );
                    unconfirmed_id(&ids.request_id)
                } else {
                    String::new()
                }
            }),
            RequestType::Update | RequestType::Delete => existing_id,
        };
        ResponseBody::failed(&ids, physical_id, &failure)
    }
}

impl App {
    /// The cost guard's own deploy-time check: SUCCESS with the settings it
    /// runs with when they read and match what the stack sent; otherwise
    /// FAILED saying why, so a guard that cannot work fails the deploy
    /// instead of staying silent. A Delete always succeeds.
    fn check_guard(&self, invocation: &Invocation, existing_id: String) -> ResponseBody {
        let ids = &invocation.ids;
        let physical_id = if existing_id.is_empty() {
            format!("{}-cost-guard", invocation.stack_name())
        } else {
            existing_id
        };
        if invocation.request_type == RequestType::Delete {
            return ResponseBody::success(ids, physical_id, Default::default(), false);
        }
        let guard = match &self.guard {
            Some(Ok(guard)) => guard,
            Some(Err(why)) => {
                return ResponseBody::failed(ids, physical_id, &format!("the cost guard cannot run: {why}"));
            }
            None => {
                return ResponseBody::failed(
                    ids,
                    physical_id,
                    "this function is not the cost guard (it has no guard settings); the check's ServiceToken must be the guard function",
                );
            }
        };
        let config = &guard.config;
        let running = [
            ("MaxRunHours", config.max_run_hours.to_string()),
            ("IdleStopMinutes", config.idle_minutes.to_string()),
        ];
        for (name, value) in &running {
            let given = invocation.properties.get(*name).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            if let Some(given) = given
                && given != *value
            {
                return ResponseBody::failed(
                    ids,
                    physical_id,
                    &format!("the cost guard runs with {name} {value}, the stack gives it {given:?}"),
                );
            }
        }
        tracing::info!(
            max_run_hours = config.max_run_hours,
            idle_minutes = config.idle_minutes,
            "cost guard check: the guard starts with the stack's settings"
        );
        let data = running.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        ResponseBody::success(ids, physical_id, data, false)
    }
}

/// More values than any real event holds (a custom resource's properties
/// are a few dozen); an event beyond it is never built in memory.
pub const MAX_EVENT_VALUES: usize = 20_000;

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
fn lambda_deadline(deadline_ms: u64) -> Instant {
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
