//! The cost guard: stops the stack's MediaLive channel when it has run
//! longer than `MaxRunHours` or has had no input video for
//! `IdleStopMinutes`, and says so in the log and on an SNS topic.
//!
//! Nothing runs while the channel is stopped. AWS drives it all:
//! - EventBridge sends the channel's state changes: RUNNING arms the
//!   max-run guard (a one-time EventBridge Scheduler schedule in the
//!   stack's schedule group, at start + `MaxRunHours`); STOPPING, STOPPED
//!   or DELETED disarms it (the schedule is deleted). A start by any means
//!   (console, CLI, the stack) re-arms it; a stop by any means disarms it.
//!   Each event is checked against the channel's state now, as EventBridge
//!   may deliver late, twice, or out of order.
//! - The schedule, when it fires, invokes this function with a
//!   [`MAX_RUN_SOURCE`] event: stop the channel.
//! - A CloudWatch alarm on the channel's input video frame rate (every
//!   pipeline) goes into ALARM after `IdleStopMinutes` without video;
//!   EventBridge sends that state change: stop the channel.
//!
//! The guard stops only a channel tagged with this stack's id, and only
//! when it is running. Deleting the stack deletes the schedule group, and
//! every schedule in it, with the rules and alarms.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use serde_json::{Value, json};

use crate::error::{Error, Found, aws_error};
use crate::kinds::STACK_ID_TAG;

/// The `source` of the events this guard's own schedules send.
pub const MAX_RUN_SOURCE: &str = "livestream.cost-guard";
pub const MAX_RUN_DETAIL_TYPE: &str = "Maximum run time reached";
const MEDIALIVE_SOURCE: &str = "aws.medialive";
const CHANNEL_STATE_CHANGE: &str = "MediaLive Channel State Change";
const CLOUDWATCH_SOURCE: &str = "aws.cloudwatch";
const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";

/// The guard's settings, from the function's environment (the template
/// sets them on the guard function only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// Only a channel tagged with this stack id is ever stopped.
    pub stack_id: String,
    /// 0: the max-run guard is off.
    pub max_run_hours: u32,
    /// For the messages only; the alarm itself counts the minutes.
    pub idle_minutes: u32,
    /// The alarm whose ALARM state means "no input video".
    pub idle_alarm: Option<String>,
    pub schedule_group: String,
    /// The role EventBridge Scheduler assumes to invoke this function.
    pub scheduler_role_arn: String,
    pub topic_arn: Option<String>,
}

pub const STACK_ID_ENV: &str = "LIVESTREAM_GUARD_STACK_ID";

impl GuardConfig {
    /// `None` when this function is not the guard (no guard settings).
    pub fn from_env() -> Result<Option<Self>, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let Some(stack_id) = var(STACK_ID_ENV) else {
            return Ok(None);
        };
        let number = |name: &str| -> Result<u32, String> {
            var(name)
                .unwrap_or_else(|| "0".to_owned())
                .parse()
                .map_err(|_| format!("{name} must be a whole number"))
        };
        let required = |name: &str| var(name).ok_or_else(|| format!("{name} is not set"));
        Ok(Some(GuardConfig {
            stack_id,
            max_run_hours: number("LIVESTREAM_GUARD_MAX_RUN_HOURS")?,
            idle_minutes: number("LIVESTREAM_GUARD_IDLE_MINUTES")?,
            idle_alarm: var("LIVESTREAM_GUARD_IDLE_ALARM"),
            schedule_group: required("LIVESTREAM_GUARD_SCHEDULE_GROUP")?,
            scheduler_role_arn: required("LIVESTREAM_GUARD_SCHEDULER_ROLE_ARN")?,
            topic_arn: var("LIVESTREAM_GUARD_TOPIC_ARN"),
        }))
    }
}

/// An event the guard acts on, read from an EventBridge-shaped payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardEvent {
    /// The channel changed state (EventBridge, from MediaLive).
    ChannelState { channel_id: String, state: String },
    /// The guard's own schedule fired.
    MaxRunReached { channel_id: String, started_at: u64 },
    /// A CloudWatch alarm changed state.
    Alarm {
        alarm_name: String,
        state: String,
        channel_id: Option<String>,
    },
}

/// Why an EventBridge-shaped payload is not one the guard knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownEvent(pub String);

impl GuardEvent {
    /// Reads `source` / `detail-type` / `detail` of an EventBridge event.
    pub fn parse(event: &Value) -> Result<Self, UnknownEvent> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let source = event["source"].as_str().unwrap_or_default();
        let detail_type = event["detail-type"].as_str().unwrap_or_default();
        let detail = &event["detail"];
        let missing = |what: &str| UnknownEvent(format!("{detail_type} event from {source} without {what}"));
        match (source, detail_type) {
            (MEDIALIVE_SOURCE, CHANNEL_STATE_CHANGE) => {
                let arn = text(&detail["channel_arn"]).ok_or_else(|| missing("detail.channel_arn"))?;
                let channel_id = arn
                    .rsplit_once(":channel:")
                    .map(|(_, id)| id.to_owned())
                    .filter(|id| crate::kinds::is_medialive_id(id))
                    .ok_or_else(|| missing("a channel ARN in detail.channel_arn"))?;
                let state = text(&detail["state"]).ok_or_else(|| missing("detail.state"))?;
                Ok(GuardEvent::ChannelState { channel_id, state })
            }
            (MAX_RUN_SOURCE, MAX_RUN_DETAIL_TYPE) => {
                let channel_id = text(&detail["channelId"])
                    .filter(|id| crate::kinds::is_medialive_id(id))
                    .ok_or_else(|| missing("detail.channelId"))?;
                let started_at = detail["startedAt"]
                    .as_u64()
                    .ok_or_else(|| missing("detail.startedAt"))?;
                Ok(GuardEvent::MaxRunReached { channel_id, started_at })
            }
            (CLOUDWATCH_SOURCE, ALARM_STATE_CHANGE) => {
                let alarm_name = text(&detail["alarmName"]).ok_or_else(|| missing("detail.alarmName"))?;
                let state = text(&detail["state"]["value"]).ok_or_else(|| missing("detail.state.value"))?;
                // The channel is the ChannelId dimension of the alarm's metrics.
                let channel_id = detail["configuration"]["metrics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m["metricStat"]["metric"]["dimensions"]["ChannelId"].as_str())
                    .find(|id| crate::kinds::is_medialive_id(id))
                    .map(str::to_owned);
                Ok(GuardEvent::Alarm {
                    alarm_name,
                    state,
                    channel_id,
                })
            }
            _ => Err(UnknownEvent(format!(
                "an event from source {source:?} of type {detail_type:?}; the guard knows {CHANNEL_STATE_CHANGE:?} from {MEDIALIVE_SOURCE}, {ALARM_STATE_CHANGE:?} from {CLOUDWATCH_SOURCE} and its own {MAX_RUN_DETAIL_TYPE:?}"
            ))),
        }
    }
}

/// What the guard did, for the log and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardAction {
    Armed {
        schedule: String,
        stop_at: u64,
    },
    Disarmed {
        schedule: String,
    },
    Stopped {
        channel_id: String,
        guard: &'static str,
    },
    /// Nothing to do, and why.
    Nothing(String),
}

/// A channel as the guard's role lets it see one.
enum Channel {
    Described(Box<DescribeChannelOutput>),
    /// IAM refused to describe it: not this stack's channel.
    Refused,
}

impl Channel {
    fn state(&self) -> Option<String> {
        match self {
            Channel::Described(channel) => channel.state().map(|s| s.as_str().to_owned()),
            Channel::Refused => None,
        }
    }

    fn name(&self) -> Option<&str> {
        match self {
            Channel::Described(channel) => channel.name(),
            Channel::Refused => None,
        }
    }
}

/// The AWS clients the guard uses.
#[derive(Debug, Clone)]
pub struct GuardClients {
    pub medialive: aws_sdk_medialive::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub sns: aws_sdk_sns::Client,
}

pub struct Guard {
    pub config: GuardConfig,
    pub aws: GuardClients,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The schedule that stops `channel_id` (one per channel; names are at
/// most 64 characters, channel ids are digits).
fn schedule_name(channel_id: &str) -> String {
    format!("max-run-{channel_id}")
}

/// `at(yyyy-mm-ddThh:mm:ss)` in UTC, as EventBridge Scheduler reads it.
fn at_expression(epoch_secs: u64) -> String {
    let days = epoch_secs / 86_400;
    let rem = epoch_secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "at({year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02})",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The states in which a channel runs (and bills), or is about to.
fn is_on(state: &str) -> bool {
    matches!(state, "RUNNING" | "STARTING" | "RECOVERING")
}

/// "3 h 05 min", "12 min".
pub fn duration_words(seconds: u64) -> String {
    let minutes = seconds / 60;
    match minutes / 60 {
        0 => format!("{minutes} min"),
        hours => format!("{hours} h {:02} min", minutes % 60),
    }
}

impl Guard {
    /// Acts on one event. `function_arn` is this function's (the schedule's target).
    pub async fn handle(&self, event: GuardEvent, function_arn: &str) -> Result<GuardAction, Error> {
        match event {
            GuardEvent::ChannelState { channel_id, state } => match state.as_str() {
                "RUNNING" => self.arm(&channel_id, function_arn).await,
                "STOPPING" | "STOPPED" | "IDLE" | "DELETING" | "DELETED" => self.disarm(&channel_id).await,
                other => Ok(GuardAction::Nothing(format!(
                    "channel {channel_id} is {other}; the guard waits for RUNNING or a stop"
                ))),
            },
            GuardEvent::MaxRunReached { channel_id, started_at } => {
                let ran = now_secs().saturating_sub(started_at);
                let why = format!(
                    "it ran for {} ({} h allowed)",
                    duration_words(ran),
                    self.config.max_run_hours
                );
                self.stop(&channel_id, "max-run", &why).await
            }
            GuardEvent::Alarm {
                alarm_name,
                state,
                channel_id,
            } => {
                if self.config.idle_alarm.as_deref() != Some(alarm_name.as_str()) {
                    return Ok(GuardAction::Nothing(format!(
                        "alarm {alarm_name} is not this stack's no-input alarm"
                    )));
                }
                if state != "ALARM" {
                    return Ok(GuardAction::Nothing(format!("alarm {alarm_name} is {state}")));
                }
                let Some(channel_id) = channel_id else {
                    return Ok(GuardAction::Nothing(format!(
                        "alarm {alarm_name} names no ChannelId dimension"
                    )));
                };
                // The start time lives in the max-run schedule.
                let ran = match self.started_at(&channel_id).await {
                    Some(started) => format!("it ran for {}", duration_words(now_secs().saturating_sub(started))),
                    None => "how long it ran is known only with MaxRunHours above 0".to_owned(),
                };
                let why = format!("it had no input video for {} min ({ran})", self.config.idle_minutes);
                self.stop(&channel_id, "idle-input", &why).await
            }
        }
    }

    async fn arm(&self, channel_id: &str, function_arn: &str) -> Result<GuardAction, Error> {
        if self.config.max_run_hours == 0 {
            return Ok(GuardAction::Nothing("the max-run guard is off (MaxRunHours 0)".into()));
        }
        let Some(state) = self.state_if_ours(channel_id).await? else {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is not this stack's; not armed"
            )));
        };
        // EventBridge may deliver late and out of order: a RUNNING that
        // arrives after the stop must not arm.
        if !is_on(&state) {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is {state} now; this RUNNING event is stale"
            )));
        }
        let started_at = now_secs();
        let stop_at = started_at + u64::from(self.config.max_run_hours) * 3600;
        let name = schedule_name(channel_id);
        let input = json!({
            "source": MAX_RUN_SOURCE,
            "detail-type": MAX_RUN_DETAIL_TYPE,
            "detail": {"channelId": channel_id, "startedAt": started_at},
        })
        .to_string();
        let target = Target::builder()
            .arn(function_arn)
            .role_arn(&self.config.scheduler_role_arn)
            .input(input)
            .build()
            .map_err(|err| Error::Unexpected(format!("schedule target: {err}")))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|err| Error::Unexpected(format!("schedule window: {err}")))?;
        let expression = at_expression(stop_at);
        let created = self
            .aws
            .scheduler
            .create_schedule()
            .name(&name)
            .group_name(&self.config.schedule_group)
            .schedule_expression(&expression)
            .flexible_time_window(window)
            .target(target)
            .action_after_completion(ActionAfterCompletion::Delete)
            .description(format!(
                "Stops MediaLive channel {channel_id} {} h after it started",
                self.config.max_run_hours
            ))
            .send()
            .await
            .map_err(aws_error("CreateSchedule"));
        match created {
            Ok(_) => {}
            // Armed already for this run (the event delivered twice): the
            // cap counts from the first start and is never pushed back.
            Err(Error::Aws(err)) if err.is_conflict() => {
                return Ok(GuardAction::Nothing(format!(
                    "channel {channel_id} is armed already ({name}); the cap counts from its first RUNNING"
                )));
            }
            Err(err) => return Err(err),
        }
        tracing::info!(
            channel_id,
            schedule = %name,
            stop_at = %expression,
            max_run_hours = self.config.max_run_hours,
            "cost guard armed: the channel will be stopped at the time given unless it stops before"
        );
        Ok(GuardAction::Armed {
            schedule: name,
            stop_at,
        })
    }

    async fn disarm(&self, channel_id: &str) -> Result<GuardAction, Error> {
        // A stop that arrives after the next start is stale: keep the guard.
        let state = self.describe(channel_id).await?.and_then(|c| c.state());
        if let Some(state) = state.filter(|state| is_on(state)) {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is {state} again; this stop event is stale"
            )));
        }
        let name = schedule_name(channel_id);
        let deleted = self
            .aws
            .scheduler
            .delete_schedule()
            .name(&name)
            .group_name(&self.config.schedule_group)
            .send()
            .await
            .map_err(aws_error("DeleteSchedule"))
            .found()?;
        if deleted.is_none() {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} stopped; no max-run schedule was armed"
            )));
        }
        tracing::info!(channel_id, schedule = %name, "cost guard disarmed: the channel stopped");
        Ok(GuardAction::Disarmed { schedule: name })
    }

    /// When the channel started, as its max-run schedule recorded it.
    async fn started_at(&self, channel_id: &str) -> Option<u64> {
        let schedule = self
            .aws
            .scheduler
            .get_schedule()
            .name(schedule_name(channel_id))
            .group_name(&self.config.schedule_group)
            .send()
            .await
            .ok()?;
        let input: Value = serde_json::from_str(schedule.target()?.input()?).ok()?;
        input["detail"]["startedAt"].as_u64()
    }

    /// The channel, `None` when it does not exist. The guard's role may
    /// describe only channels tagged with its stack's id, so another
    /// stack's channel is refused by IAM: that reads as "not ours" too.
    async fn describe(&self, channel_id: &str) -> Result<Option<Channel>, Error> {
        let described = self
            .aws
            .medialive
            .describe_channel()
            .channel_id(channel_id)
            .send()
            .await
            .map_err(aws_error("DescribeChannel"));
        match described {
            Ok(channel) => Ok(Some(Channel::Described(Box::new(channel)))),
            Err(Error::Aws(err)) if err.is_access_denied() => Ok(Some(Channel::Refused)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn is_ours(&self, channel: &Channel) -> bool {
        let Channel::Described(channel) = channel else {
            return false;
        };
        channel
            .tags()
            .and_then(|tags| tags.get(STACK_ID_TAG))
            .is_some_and(|id| *id == self.config.stack_id)
    }

    /// The channel's state, when it exists and carries this stack's id.
    async fn state_if_ours(&self, channel_id: &str) -> Result<Option<String>, Error> {
        Ok(self
            .describe(channel_id)
            .await?
            .filter(|channel| self.is_ours(channel))
            .map(|channel| channel.state().unwrap_or_default()))
    }

    async fn stop(&self, channel_id: &str, guard: &'static str, why: &str) -> Result<GuardAction, Error> {
        let Some(channel) = self.describe(channel_id).await? else {
            return Ok(GuardAction::Nothing(format!("channel {channel_id} no longer exists")));
        };
        if !self.is_ours(&channel) {
            tracing::warn!(channel_id, guard, "not this stack's channel; the guard leaves it alone");
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is not this stack's"
            )));
        }
        let state = channel.state().unwrap_or_default();
        if !is_on(&state) {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is already {state}; not stopped again"
            )));
        }
        let stopped = self
            .aws
            .medialive
            .stop_channel()
            .channel_id(channel_id)
            .send()
            .await
            .map_err(aws_error("StopChannel"));
        match stopped {
            Ok(_) => {}
            // Stopping or stopped already (by someone else, since the look).
            Err(Error::Aws(err)) if err.is_conflict() => {
                return Ok(GuardAction::Nothing(format!(
                    "channel {channel_id} could not be stopped now ({err}); it is stopping already"
                )));
            }
            Err(err) => return Err(err),
        }
        let name = channel.name().unwrap_or(channel_id);
        tracing::warn!(channel_id, guard, reason = why, "cost guard stopped the channel");
        if let Some(topic) = &self.config.topic_arn {
            let message = format!(
                "The cost guard stopped the MediaLive channel {name} ({channel_id}): {why}.\n\n\
                 A stopped channel does not bill for encoding. Start it again when you need it, \
                 from the MediaLive console or with:\n  aws medialive start-channel --channel-id {channel_id}\n\n\
                 Stack: {}",
                self.config.stack_id
            );
            let published = self
                .aws
                .sns
                .publish()
                .topic_arn(topic)
                .subject("Live stream channel stopped by the cost guard")
                .message(message)
                .send()
                .await
                .map_err(aws_error("Publish"));
            // The channel is stopped either way; the log says so too.
            if let Err(err) = published {
                tracing::error!(cause = %err, "the notification was not sent");
            }
        }
        Ok(GuardAction::Stopped {
            channel_id: channel_id.to_owned(),
            guard,
        })
    }
}

/// A guard's work is a few calls; this bounds a hung one.
pub const GUARD_TIME: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_scheduler_reads_them() {
        assert_eq!(at_expression(0), "at(1970-01-01T00:00:00)");
        assert_eq!(at_expression(1_795_000_000), "at(2026-11-18T11:06:40)");
        assert_eq!(at_expression(951_782_400), "at(2000-02-29T00:00:00)");
        assert_eq!(duration_words(125), "2 min");
        assert_eq!(duration_words(3 * 3600 + 5 * 60), "3 h 05 min");
    }

    #[test]
    fn events_are_read_by_source_and_type() {
        let state = json!({"source": "aws.medialive", "detail-type": "MediaLive Channel State Change",
            "detail": {"channel_arn": "arn:aws:medialive:us-east-1:123456789012:channel:1234567", "state": "RUNNING"}});
        assert_eq!(
            GuardEvent::parse(&state),
            Ok(GuardEvent::ChannelState {
                channel_id: "1234567".into(),
                state: "RUNNING".into()
            })
        );
        let alarm = json!({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
            "detail": {"alarmName": "live-no-input-video", "state": {"value": "ALARM"},
              "configuration": {"metrics": [{"id": "p0", "metricStat": {"metric": {"namespace": "AWS/MediaLive",
                "name": "InputVideoFrameRate", "dimensions": {"ChannelId": "1234567", "Pipeline": "0"}}}},
                {"id": "frames", "expression": "MAX([p0])"}]}}});
        assert_eq!(
            GuardEvent::parse(&alarm),
            Ok(GuardEvent::Alarm {
                alarm_name: "live-no-input-video".into(),
                state: "ALARM".into(),
                channel_id: Some("1234567".into())
            })
        );
        for bad in [
            json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
            json!({"source": "aws.medialive", "detail-type": "MediaLive Channel State Change", "detail": {"state": "RUNNING"}}),
            json!({"source": "aws.medialive", "detail-type": "MediaLive Channel State Change",
                "detail": {"channel_arn": "arn:aws:medialive:us-east-1:1:channel:../x", "state": "RUNNING"}}),
            json!({"source": MAX_RUN_SOURCE, "detail-type": MAX_RUN_DETAIL_TYPE, "detail": {"channelId": "1"}}),
        ] {
            assert!(GuardEvent::parse(&bad).is_err(), "{bad}");
        }
    }
}
