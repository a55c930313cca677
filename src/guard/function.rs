//! The guard's function: what its Lambda invocations carry (the
//! EventBridge events it acts on, and its own deploy-time check) and how
//! each ends.

use aws_smithy_runtime_api::client::http::SharedHttpConnector;
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use serde_json::value::RawValue;
use tracing::Instrument;

use std::time::Duration;

use super::watch::{Guard, GuardAction};
use super::{GuardConfig, GuardEvent};
use crate::aws::GuardClients;
use crate::cfn::answer::{Answerer, HandlerError, Incoming, Payload, Respond, lambda_deadline};
use crate::cfn::deadline::Deadline;
use crate::cfn::event::{Invocation, RequestType};
use crate::cfn::response::ResponseBody;
use crate::cfn::sender::Allowlist;

/// A guard's work is a few calls; this bounds a hung one.
pub const GUARD_TIME: Duration = Duration::from_secs(60);

/// The custom resource the cost guard answers itself, at deploy time: its
/// SUCCESS proves the guard starts with the settings the stack gave it,
/// its FAILED says why not.
pub const GUARD_CHECK_KIND: &str = "CostGuardCheck";

/// The guard's function: the guard, or why its settings cannot be read
/// (said at deploy time by its check, and on every event after; settings
/// that do not read never stop the function from starting).
#[derive(Debug)]
pub struct GuardFunction {
    guard: Result<Guard, String>,
    answerer: Answerer,
}

impl GuardFunction {
    /// `http` is the connector the clients use ([`crate::aws::http_connector`]).
    pub fn new(
        config: Result<GuardConfig, String>,
        aws: GuardClients,
        allowlist: Allowlist,
        http: SharedHttpConnector,
    ) -> Self {
        if let Err(why) = &config {
            tracing::error!(cause = %why, "the cost guard's settings cannot be read");
        }
        GuardFunction {
            guard: config.map(|config| Guard::new(config, aws)),
            answerer: Answerer::new(allowlist, http),
        }
    }

    /// The Lambda entry point: an EventBridge event (or the guard's own
    /// schedule's) is acted on; the deploy check is answered; anything
    /// else is refused.
    pub async fn invoke(&self, event: LambdaEvent<Box<RawValue>>) -> Result<(), HandlerError> {
        let LambdaEvent { payload, context } = event;
        let deadline = lambda_deadline(context.deadline);
        let payload = match Payload::of(&payload)? {
            Payload::TooLarge(raw, values) => return self.answerer.refuse_too_large(raw, values, deadline).await,
            Payload::Read(payload) => payload,
        };
        match Incoming::of(&payload) {
            Incoming::CustomResource => {
                let check = Check {
                    function: self,
                    function_arn: &context.invoked_function_arn,
                };
                self.answerer.answer(payload, deadline, &check).await
            }
            Incoming::AwsEvent => self.on_event(&payload, &context.invoked_function_arn).await,
            Incoming::Unknown(what) => {
                tracing::error!(event = %what, "refused: not an event this function handles");
                Err(HandlerError::UnknownEvent(what))
            }
        }
    }

    /// An EventBridge-shaped event. Errors end the invocation in error, so
    /// Lambda retries it (asynchronous invocations are retried twice).
    pub async fn on_event(&self, payload: &Value, function_arn: &str) -> Result<(), HandlerError> {
        let text = |key: &str| payload.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let span = tracing::info_span!(
            "event",
            source = text("source"),
            DetailType = text("detail-type"),
            id = text("id")
        );
        async {
            let guard = match &self.guard {
                Ok(guard) => guard,
                Err(why) => {
                    tracing::error!(cause = %why, "the cost guard cannot run");
                    return Err(HandlerError::Guard(why.clone()));
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
}

/// The guard's check, as this invocation answers it: its function's ARN
/// is the target of the schedules it arms.
struct Check<'a> {
    function: &'a GuardFunction,
    function_arn: &'a str,
}

impl Respond for Check<'_> {
    /// The deploy-time check: SUCCESS with the settings the guard runs
    /// with when they read and match what the stack sent; otherwise FAILED
    /// saying why, so a guard that cannot work fails the deploy instead of
    /// staying silent. On Create and Update it also arms every run of the
    /// stack's channels going on, as the settings say now (a run the guard
    /// never saw start, a cap an update changed). A Delete always
    /// succeeds; no other kind is answered.
    async fn respond(&self, invocation: Invocation, deadline: Deadline) -> ResponseBody {
        let ids = &invocation.ids;
        let physical_id = invocation
            .physical_resource_id
            .clone()
            .unwrap_or_else(|| format!("{}-cost-guard", invocation.stack_name()));
        if invocation.request_type == RequestType::Delete {
            return ResponseBody::success(ids, physical_id, Default::default(), false);
        }
        if invocation.kind_name() != GUARD_CHECK_KIND {
            let reason = format!(
                "the cost guard answers only its own check ({GUARD_CHECK_KIND}), not {}",
                invocation.kind_name()
            );
            return ResponseBody::failed(ids, physical_id, &reason);
        }
        let guard = match &self.function.guard {
            Ok(guard) => guard,
            Err(why) => return ResponseBody::failed(ids, physical_id, &format!("the cost guard cannot run: {why}")),
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
        let mut data: std::collections::BTreeMap<String, String> =
            running.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        // Arming is the guard's own work, not the deploy's: a refusal or a
        // slow AWS is logged, and the stack (or its rollback) goes on; the
        // next RUNNING arms the run all the same.
        let until = deadline.work_until;
        let armed = tokio::time::timeout_at(until, guard.rearm(self.function_arn)).await;
        let armed = match armed {
            Ok(Ok(lines)) => format!("{} run(s) going on armed", lines.len()),
            Ok(Err(err)) => {
                tracing::error!(cause = %err, "cost guard check: the runs going on could not be armed");
                format!("not armed: {err}")
            }
            Err(_) => {
                tracing::error!("cost guard check: arming the runs going on ran out of time");
                "not armed: out of time".to_owned()
            }
        };
        data.insert("Armed".to_owned(), armed);
        ResponseBody::success(ids, physical_id, data, false)
    }
}
