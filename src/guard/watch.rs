//! What the guard does with an event: arm and disarm a run, and stop the
//! channel of the run a max-run or idle event is about.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::types::{AlarmType, MetricAlarm, StateValue};
use aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_medialive::types::ChannelState;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target,
};
use aws_smithy_types::date_time::{DateTime, Format};
use serde_json::json;

use super::config::GuardConfig;
use super::event::{GuardEvent, MAX_RUN_DETAIL_TYPE, MAX_RUN_SOURCE};
use super::record::Recordings;
use crate::aws::GuardClients;
use crate::cfn::event::stack_name_of;
use crate::error::{AwsError, Error, Found, aws_error};
use crate::ownership::{FOUNDATION_TAG, STACK_ID_TAG, is_medialive_id};
use crate::recording::runs::{RUN_PREFIX, read_kept};

/// What the guard did, for the log and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardAction {
    Armed {
        schedule: String,
        /// Epoch seconds; `None` for the record of a run with no cap.
        stop_at: Option<u64>,
    },
    Disarmed {
        schedule: String,
    },
    Stopped {
        channel_id: String,
        guard: &'static str,
    },
    /// A run's harvest jobs were made (or were made already).
    Harvesting {
        jobs: Vec<String>,
    },
    /// A harvest waits: the channel group has as many jobs going on as it may.
    Waiting(String),
    /// A completed job's recording is listed.
    Listed {
        job: String,
    },
    /// A failed job was told about (and retried, where it could be).
    Told {
        job: String,
    },
    /// What a look at every run and job made good.
    Reconciled(Vec<String>),
    /// An input loss was told about, with the input each pipeline is on.
    Noticed {
        channel_id: String,
        active: Vec<super::ActiveInput>,
    },
    /// Nothing to do, and why.
    Nothing(String),
}

#[derive(Debug)]
pub struct Guard {
    pub config: GuardConfig,
    pub aws: GuardClients,
    /// Set when runs are recorded.
    pub recordings: Option<Recordings>,
}

/// A channel as the guard's role lets it see one.
pub(super) enum Channel {
    Described(Box<DescribeChannelOutput>),
    /// IAM refused to describe it: not this stack's channel.
    Refused,
}

impl Channel {
    pub(super) fn state(&self) -> Option<&ChannelState> {
        match self {
            Channel::Described(channel) => channel.state(),
            Channel::Refused => None,
        }
    }

    pub(super) fn name(&self) -> Option<&str> {
        match self {
            Channel::Described(channel) => channel.name(),
            Channel::Refused => None,
        }
    }

    pub(super) fn class(&self) -> Option<&aws_sdk_medialive::types::ChannelClass> {
        match self {
            Channel::Described(channel) => channel.channel_class(),
            Channel::Refused => None,
        }
    }

    /// The primary and backup inputs of its automatic input failover
    /// pair, when it has one (the primary's attachment names the secondary).
    pub(super) fn failover_pair(&self) -> Option<(&str, &str)> {
        let Channel::Described(channel) = self else {
            return None;
        };
        let primary = channel.input_attachments().first()?;
        let backup = primary.automatic_input_failover_settings()?.secondary_input_id()?;
        Some((primary.input_id()?, backup))
    }

    fn tag(&self, key: &str) -> Option<&str> {
        match self {
            Channel::Described(channel) => channel.tags().and_then(|tags| tags.get(key)).map(String::as_str),
            Channel::Refused => None,
        }
    }
}

/// The run the guard has armed for a channel, as its schedule records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Run {
    pub(super) started_at: u64,
    /// When its schedule stops it; `None` when there is no cap.
    pub(super) stop_at: Option<u64>,
    /// The MediaPackage v2 channel its recording is harvested from, when
    /// runs are recorded (set at its start: at its end the MediaLive
    /// channel may be gone).
    pub(super) record: Option<String>,
}

/// How late a schedule may fire and still count as on time: a cap that
/// lies further ahead was raised since the schedule was set.
const CAP_SLACK_SECS: u64 = 60;

/// The no-input alarm as CloudWatch holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AlarmNow {
    in_alarm: bool,
    /// When it went into the state it is in (epoch seconds).
    since: u64,
    /// The one channel its metrics name, if they name exactly one.
    channel_id: Option<String>,
    /// How many minutes without input it counts before ALARM.
    minutes: Option<u32>,
}

impl AlarmNow {
    fn of(alarm: &MetricAlarm) -> Self {
        let since = alarm
            .state_transitioned_timestamp()
            .or(alarm.state_updated_timestamp())
            .and_then(|time| u64::try_from(time.secs()).ok())
            // A time in the future cannot be believed: as if it went off now.
            .map_or_else(now_secs, |since| since.min(now_secs()));
        let stats = || alarm.metrics().iter().filter_map(|query| query.metric_stat());
        let mut channels: Vec<&str> = stats()
            .filter_map(|stat| stat.metric())
            .flat_map(|metric| metric.dimensions())
            .filter(|dimension| dimension.name() == Some("ChannelId"))
            .filter_map(|dimension| dimension.value())
            .collect();
        channels.sort_unstable();
        channels.dedup();
        let channel_id = match channels.as_slice() {
            [one] if is_medialive_id(one) => Some((*one).to_owned()),
            _ => None,
        };
        let periods = alarm.datapoints_to_alarm().or(alarm.evaluation_periods());
        let period = stats().filter_map(|stat| stat.period()).max().or(alarm.period());
        let minutes = periods
            .zip(period)
            .and_then(|(periods, period)| u32::try_from(i64::from(periods) * i64::from(period) / 60).ok());
        AlarmNow {
            in_alarm: alarm.state_value() == Some(&StateValue::Alarm),
            since,
            channel_id,
            minutes,
        }
    }
}

pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The schedule that records (and caps) `channel_id`'s run: one per
/// channel; names are at most 64 characters, channel ids are digits.
fn schedule_name(channel_id: &str) -> String {
    format!("{RUN_PREFIX}{channel_id}")
}

/// `at(yyyy-mm-ddThh:mm:ss)` in UTC, as EventBridge Scheduler reads it.
pub(super) fn at_expression(epoch_secs: u64) -> String {
    let text = date_time(epoch_secs).fmt(Format::DateTime).unwrap_or_default();
    // RFC 3339 as the SDK writes it, without the zone the expression omits.
    let seconds = text.get(..19).unwrap_or(&text);
    format!("at({seconds})")
}

/// Epoch seconds as the SDK's time.
pub(super) fn date_time(epoch_secs: u64) -> DateTime {
    DateTime::from_secs(i64::try_from(epoch_secs).unwrap_or(i64::MAX))
}

/// A time for people: `2026-11-18 11:06 UTC`.
pub(super) fn at_utc(epoch_secs: u64) -> String {
    let text = date_time(epoch_secs).fmt(Format::DateTime).unwrap_or_default();
    match (text.get(..10), text.get(11..16)) {
        (Some(day), Some(minute)) => format!("{day} {minute} UTC"),
        _ => text,
    }
}

/// The states in which a channel runs (and bills), or is about to.
pub(super) fn is_on(state: &ChannelState) -> bool {
    matches!(
        state,
        ChannelState::Running | ChannelState::Starting | ChannelState::Recovering
    )
}

/// State changes in EventBridge's words that end a run.
fn ends_a_run(state: &str) -> bool {
    matches!(state, "STOPPING" | "STOPPED" | "IDLE" | "DELETING" | "DELETED")
}

/// "3 h 05 min", "12 min".
pub fn duration_words(seconds: u64) -> String {
    let minutes = seconds / 60;
    match minutes / 60 {
        0 => format!("{minutes} min"),
        hours => format!("{hours} h {:02} min", minutes % 60),
    }
}

/// StopChannel attempts: the SDK's own retries are off for it, so the
/// guard knows whether a conflict answers its own earlier attempt.
const STOP_ATTEMPTS: u32 = 4;
/// SNS attempts, each bounded, before the invocation fails so that Lambda
/// retries the event.
const NOTIFY_ATTEMPTS: u32 = 3;
const NOTIFY_ATTEMPT_TIME: Duration = Duration::from_secs(8);

impl Guard {
    pub fn new(config: GuardConfig, aws: GuardClients) -> Self {
        let recordings = config
            .recordings
            .as_ref()
            .map(|recordings| Recordings::new(recordings, &aws, &config.stack_id));
        Guard {
            config,
            aws,
            recordings,
        }
    }

    /// Acts on one event. `function_arn` is this function's (the schedule's target).
    pub async fn handle(&self, event: GuardEvent, function_arn: &str) -> Result<GuardAction, Error> {
        match event {
            GuardEvent::ChannelState {
                channel_id,
                region,
                account,
                ..
            } if (region.as_str(), account.as_str()) != self.config.scope() => Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is in account {account}, region {region}: not this stack's"
            ))),
            GuardEvent::ChannelState {
                channel_id, state, at, ..
            } => match state.as_str() {
                "RUNNING" => self.arm(&channel_id, at, function_arn).await,
                stop if ends_a_run(stop) => self.disarm(&channel_id, at, function_arn).await,
                other => Ok(GuardAction::Nothing(format!(
                    "channel {channel_id} is {other}; the guard waits for RUNNING or a stop"
                ))),
            },
            GuardEvent::MaxRunReached { channel_id, started_at } => {
                self.max_run(&channel_id, started_at, function_arn).await
            }
            GuardEvent::HarvestJob { group, channel, job } => self.harvest_ended(&group, &channel, &job).await,
            GuardEvent::Reconcile => self.reconcile(function_arn).await,
            GuardEvent::Alarm { alarm_name, state, .. } => {
                let matches =
                    |pattern: &Option<String>| pattern.as_deref().is_some_and(|p| alarm_matches(p, &alarm_name));
                let idle = matches(&self.config.idle_alarm);
                if !idle && !matches(&self.config.input_loss_alarm) {
                    return Ok(GuardAction::Nothing(format!(
                        "alarm {alarm_name} is not this stack's no-input or input-loss alarm"
                    )));
                }
                if state != "ALARM" {
                    return Ok(GuardAction::Nothing(format!("alarm {alarm_name} is {state}")));
                }
                // The event only reports a change: what the alarm says now,
                // since when, and about which channel, CloudWatch tells.
                let Some(alarm) = self.alarm_now(&alarm_name).await? else {
                    return Ok(GuardAction::Nothing(format!("alarm {alarm_name} does not exist")));
                };
                if !alarm.in_alarm {
                    return Ok(GuardAction::Nothing(format!(
                        "alarm {alarm_name} is no longer in ALARM; this event is stale"
                    )));
                }
                let Some(channel_id) = alarm.channel_id.clone() else {
                    return Ok(GuardAction::Nothing(format!(
                        "alarm {alarm_name} names no one ChannelId dimension"
                    )));
                };
                if idle {
                    self.idle(&channel_id, &alarm).await
                } else {
                    self.input_lost(&channel_id, &alarm_name).await
                }
            }
        }
    }

    /// RUNNING at `started_at`: records the run and, with a cap, schedules
    /// its stop at `started_at` + `MaxRunHours` (the event's time, not when
    /// it is processed, so a late event never pushes the cap back).
    async fn arm(&self, channel_id: &str, started_at: u64, function_arn: &str) -> Result<GuardAction, Error> {
        if !self.keeps_runs() {
            return Ok(GuardAction::Nothing(
                "both guards are off and runs are not recorded".into(),
            ));
        }
        let channel = match self.describe(channel_id).await? {
            Some(channel) if self.is_ours(&channel) => channel,
            _ => {
                return Ok(GuardAction::Nothing(format!(
                    "channel {channel_id} is not this stack's; not armed"
                )));
            }
        };
        // EventBridge may deliver late and out of order: a RUNNING that
        // arrives after the stop must not arm.
        let state = channel.state().cloned().unwrap_or_else(|| ChannelState::from(""));
        if !is_on(&state) {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is {state} now; this RUNNING event is stale"
            )));
        }
        let name = schedule_name(channel_id);
        let now = now_secs();
        let replace = match self.run(channel_id).await? {
            // A schedule that fired already belongs to a run the guard
            // stopped, whose stop was never delivered: this is a new run.
            Some(Run {
                stop_at: Some(stop_at), ..
            }) if stop_at <= now && stop_at < started_at => true,
            Some(run) => {
                return Ok(GuardAction::Nothing(format!(
                    "channel {channel_id} is armed already ({name}, for the run started at {}); the cap counts from its first RUNNING",
                    at_expression(run.started_at)
                )));
            }
            None => false,
        };
        let cap = u64::from(self.config.max_run_hours) * 3600;
        let stop_at = (cap > 0).then_some(started_at + cap);
        let record = self.recorded_as(channel.tag(STACK_ID_TAG));
        if let Some(stop_at) = stop_at
            && stop_at <= now
        {
            // Its RUNNING came after the cap had passed: stop it now.
            let ran_for = now.saturating_sub(started_at);
            let why = format!(
                "it ran for {} ({} h allowed)",
                duration_words(ran_for),
                self.config.max_run_hours
            );
            return self.stop(channel_id, "max-run", &why, Some(ran_for)).await;
        }
        let run = Run {
            started_at,
            stop_at,
            record,
        };
        let armed = self.write_run(channel_id, function_arn, &run, replace).await;
        match armed {
            Ok(()) => {}
            // Armed by a concurrent delivery of the same event.
            Err(Error::Aws(err)) if err.is_conflict() => {
                return Ok(GuardAction::Nothing(format!(
                    "channel {channel_id} is armed already ({name}); the cap counts from its first RUNNING"
                )));
            }
            Err(err) => return Err(err),
        }
        match stop_at {
            Some(stop_at) => tracing::info!(
                channel_id,
                schedule = %name,
                stop_at = %at_expression(stop_at),
                max_run_hours = self.config.max_run_hours,
                "cost guard armed: the channel will be stopped at the time given unless it stops before"
            ),
            None => tracing::info!(channel_id, schedule = %name, "cost guard: run recorded (no cap)"),
        }
        Ok(GuardAction::Armed {
            schedule: name,
            stop_at,
        })
    }

    /// Creates (or, for a new run after a stale one, replaces) the
    /// schedule recording `run`.
    async fn write_run(&self, channel_id: &str, function_arn: &str, run: &Run, replace: bool) -> Result<(), Error> {
        let name = schedule_name(channel_id);
        let input = json!({
            "source": MAX_RUN_SOURCE,
            "detail-type": MAX_RUN_DETAIL_TYPE,
            "detail": {"channelId": channel_id, "startedAt": run.started_at, "stopAt": run.stop_at, "record": run.record},
        })
        .to_string();
        let (target, window) = self.schedule_target(function_arn, input)?;
        // With no cap the record never fires: disabled, a year out.
        let (expression, state) = match run.stop_at {
            Some(stop_at) => (at_expression(stop_at), ScheduleState::Enabled),
            None => (at_expression(run.started_at + 366 * 86_400), ScheduleState::Disabled),
        };
        let description = match run.stop_at {
            Some(_) => format!(
                "Stops MediaLive channel {channel_id} {} h after it started",
                self.config.max_run_hours
            ),
            None => format!("Records the run of MediaLive channel {channel_id} for the cost guard"),
        };
        // Kept after it fires: it stays the run's record until the stop's
        // event deletes it.
        let after = ActionAfterCompletion::None;
        if replace {
            self.aws
                .scheduler
                .update_schedule()
                .name(&name)
                .group_name(&self.config.schedule_group)
                .schedule_expression(expression)
                .flexible_time_window(window)
                .target(target)
                .state(state)
                .action_after_completion(after)
                .description(description)
                .send()
                .await
                .map_err(aws_error("UpdateSchedule"))?;
        } else {
            self.aws
                .scheduler
                .create_schedule()
                .name(&name)
                .group_name(&self.config.schedule_group)
                .schedule_expression(expression)
                .flexible_time_window(window)
                .target(target)
                .state(state)
                .action_after_completion(after)
                .description(description)
                .send()
                .await
                .map_err(aws_error("CreateSchedule"))?;
        }
        Ok(())
    }

    /// A schedule's target (this function, with `input`) and its window.
    pub(super) fn schedule_target(
        &self,
        function_arn: &str,
        input: String,
    ) -> Result<(Target, FlexibleTimeWindow), Error> {
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
        Ok((target, window))
    }

    /// A stop at `at`: the run's record goes, and with recordings on its
    /// harvest is made first (the record of what is still to harvest
    /// written before the run's record is deleted: nothing is lost between).
    pub(super) async fn disarm(&self, channel_id: &str, at: u64, function_arn: &str) -> Result<GuardAction, Error> {
        // A stop that arrives after the next start is stale: keep the guard.
        let channel = self.describe(channel_id).await?;
        if let Some(state) = channel.as_ref().and_then(Channel::state).filter(|state| is_on(state)) {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is {state} again; this stop event is stale"
            )));
        }
        if matches!(channel, Some(Channel::Refused)) {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is not this stack's; nothing to disarm"
            )));
        }
        let name = schedule_name(channel_id);
        let to_harvest = match (&self.recordings, self.run(channel_id).await?) {
            (Some(_), Some(run @ Run { record: Some(_), .. })) => {
                Some(self.keep_to_harvest(channel_id, &run, at, function_arn).await?)
            }
            _ => None,
        };
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
        if let Some(pending) = to_harvest {
            tracing::info!(channel_id, schedule = %name, "cost guard disarmed: the channel stopped");
            return self.harvest(&pending).await;
        }
        if deleted.is_none() {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} stopped; no run was armed"
            )));
        }
        tracing::info!(channel_id, schedule = %name, "cost guard disarmed: the channel stopped");
        Ok(GuardAction::Disarmed { schedule: name })
    }

    /// The schedule fired for the run that started at `started_at`: stops
    /// the channel only if that run is the one going on and it has run
    /// `MaxRunHours` as set now (an update may have raised the cap, or
    /// turned it off, since the schedule was set).
    async fn max_run(&self, channel_id: &str, started_at: u64, function_arn: &str) -> Result<GuardAction, Error> {
        let run = match self.run(channel_id).await? {
            None => {
                return Ok(GuardAction::Nothing(format!(
                    "no run of channel {channel_id} is armed: the run this event was for has ended"
                )));
            }
            Some(run) if run.started_at != started_at => {
                return Ok(GuardAction::Nothing(format!(
                    "this event is for the run of channel {channel_id} that started at {}; the current one started at {}: stale",
                    at_expression(started_at),
                    at_expression(run.started_at)
                )));
            }
            Some(run) => run,
        };
        match self.cap(run.started_at) {
            None => {
                self.write_run(channel_id, function_arn, &Run { stop_at: None, ..run }, true)
                    .await?;
                Ok(GuardAction::Nothing(format!(
                    "MaxRunHours is 0 now: the run of channel {channel_id} is no longer capped"
                )))
            }
            Some(stop_at) if stop_at > now_secs() + CAP_SLACK_SECS => {
                let run = Run {
                    stop_at: Some(stop_at),
                    ..run
                };
                self.write_run(channel_id, function_arn, &run, true).await?;
                Ok(GuardAction::Nothing(format!(
                    "MaxRunHours is {} now: channel {channel_id} is armed again for {}",
                    self.config.max_run_hours,
                    at_expression(stop_at)
                )))
            }
            Some(_) => {
                let ran_for = now_secs().saturating_sub(started_at);
                let why = format!(
                    "it ran for {} ({} h allowed)",
                    duration_words(ran_for),
                    self.config.max_run_hours
                );
                self.stop(channel_id, "max-run", &why, Some(ran_for)).await
            }
        }
    }

    /// When the run that started at `started_at` reaches `MaxRunHours` as
    /// set now; `None` when there is no cap.
    fn cap(&self, started_at: u64) -> Option<u64> {
        let cap = u64::from(self.config.max_run_hours) * 3600;
        (cap > 0).then_some(started_at + cap)
    }

    /// The no-input alarm is in ALARM now, since `alarm.since`, about
    /// `channel_id`: stops the channel if it is this stack's and running,
    /// unless its current run started after the alarm went off (an alarm
    /// of the run before a restart). A run whose RUNNING the guard never
    /// saw (a lost event, a guard turned on while it ran) is stopped too:
    /// the alarm is in ALARM now, and a stopped channel sends no data.
    async fn idle(&self, channel_id: &str, alarm: &AlarmNow) -> Result<GuardAction, Error> {
        let channel = match self.ours(channel_id).await? {
            Ok(channel) => channel,
            Err(nothing) => return Ok(nothing),
        };
        match channel.state() {
            Some(ChannelState::Running | ChannelState::Recovering) => {}
            // Starting: nothing of this run has been measured yet.
            Some(state) => {
                return Ok(GuardAction::Nothing(format!(
                    "channel {channel_id} is {state}; the alarm is not about a run going on"
                )));
            }
            None => return Ok(GuardAction::Nothing(format!("channel {channel_id} has no state"))),
        }
        let minutes = alarm.minutes.unwrap_or(self.config.idle_minutes);
        // With a failover pair the channel's input video is the active
        // input's: no video means neither input had any.
        let inputs = channel
            .failover_pair()
            .map(|(primary, backup)| {
                format!(" on either input of its failover pair (primary {primary}, backup {backup})")
            })
            .unwrap_or_default();
        let run = self.run(channel_id).await?;
        let ran_for = run.as_ref().map(|run| now_secs().saturating_sub(run.started_at));
        let why = match run {
            Some(run) if alarm.since < run.started_at => {
                return Ok(GuardAction::Nothing(format!(
                    "the alarm went off at {} for an earlier run; the current one started at {}: stale",
                    at_expression(alarm.since),
                    at_expression(run.started_at)
                )));
            }
            Some(_) => format!(
                "it had no input video for {minutes} min{inputs} (it ran for {})",
                duration_words(ran_for.unwrap_or_default())
            ),
            None => {
                tracing::warn!(
                    channel_id,
                    "the guard never saw this run start (a lost event, or the guard was off); the alarm is in ALARM now"
                );
                format!("it had no input video for {minutes} min{inputs}")
            }
        };
        self.stop(channel_id, "idle-input", &why, ran_for).await
    }

    /// The alarm `name` as CloudWatch holds it now; `None` if it does not
    /// exist. Its state, the time it went into that state, its channel
    /// (the `ChannelId` dimension every metric names), and how many
    /// minutes it counts.
    async fn alarm_now(&self, name: &str) -> Result<Option<AlarmNow>, Error> {
        let described = self
            .aws
            .cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .alarm_types(AlarmType::MetricAlarm)
            .send()
            .await
            .map_err(aws_error("DescribeAlarms"))?;
        Ok(described
            .metric_alarms()
            .iter()
            .find(|alarm| alarm.alarm_name() == Some(name))
            .map(AlarmNow::of))
    }

    /// Arms every run of this stack's channels that is going on now, as
    /// the guard's settings say now: when they change (the guard's check,
    /// at every deploy), a run the guard armed is capped anew, one it did
    /// not see start is recorded (and capped `MaxRunHours` from now), and
    /// one past its new cap is stopped. What it did, one line a channel.
    pub async fn rearm(&self, function_arn: &str) -> Result<Vec<String>, Error> {
        if !self.keeps_runs() {
            return Ok(Vec::new());
        }
        let channels = crate::aws::all_channels(&self.aws.medialive).await?;
        let stack_id = self.config.stack_id.as_str();
        let mut done = Vec::new();
        for channel in channels {
            let tags = channel.tags();
            let tag = |key: &str| tags.and_then(|tags| tags.get(key)).map(String::as_str);
            let ours = tag(STACK_ID_TAG) == Some(stack_id) || tag(FOUNDATION_TAG) == Some(stack_id);
            let (Some(id), Some(state)) = (channel.id(), channel.state()) else {
                continue;
            };
            if !ours || !is_on(state) {
                continue;
            }
            let record = self.recorded_as(tag(STACK_ID_TAG));
            done.push(self.rearm_one(id, record, function_arn).await?);
        }
        Ok(done)
    }

    async fn rearm_one(&self, channel_id: &str, record: Option<String>, function_arn: &str) -> Result<String, Error> {
        let recorded = self.run(channel_id).await?;
        let started_at = recorded.as_ref().map_or_else(now_secs, |run| run.started_at);
        let run = Run {
            started_at,
            stop_at: self.cap(started_at),
            // A run recorded already keeps its channel.
            record: recorded.as_ref().map_or(record, |run| run.record.clone()),
        };
        if recorded.as_ref() == Some(&run) {
            return Ok(format!("channel {channel_id}: armed already"));
        }
        if let Some(stop_at) = run.stop_at
            && stop_at <= now_secs()
        {
            let ran_for = now_secs().saturating_sub(started_at);
            let why = format!(
                "it ran for {} ({} h allowed)",
                duration_words(ran_for),
                self.config.max_run_hours
            );
            self.stop(channel_id, "max-run", &why, Some(ran_for)).await?;
            return Ok(format!("channel {channel_id}: stopped, past MaxRunHours"));
        }
        self.write_run(channel_id, function_arn, &run, recorded.is_some())
            .await?;
        let until = run.stop_at.map_or_else(
            || "no cap".to_owned(),
            |stop_at| format!("capped at {}", at_expression(stop_at)),
        );
        tracing::info!(channel_id, until = %until, "cost guard armed a run going on");
        Ok(format!("channel {channel_id}: {until}"))
    }

    /// Whether the guard keeps a record of runs: for a guard, or to record them.
    fn keeps_runs(&self) -> bool {
        self.config.max_run_hours != 0 || self.config.idle_alarm.is_some() || self.recordings.is_some()
    }

    /// The MediaPackage v2 channel a channel's runs are recorded from:
    /// named after the stack (or event) its `livestream:stack-id` tag
    /// names. `None` when runs are not recorded.
    fn recorded_as(&self, stack_id: Option<&str>) -> Option<String> {
        self.recordings.as_ref()?;
        stack_name_of(stack_id?).map(str::to_owned)
    }

    /// The run recorded for `channel_id`, if any.
    pub(super) async fn run(&self, channel_id: &str) -> Result<Option<Run>, Error> {
        let kept = read_kept(
            &self.aws.scheduler,
            &self.config.schedule_group,
            &schedule_name(channel_id),
        )
        .await?;
        Ok(kept.map(|kept| Run {
            started_at: kept.started_at,
            stop_at: kept.stop_at,
            record: kept.record,
        }))
    }

    /// The channel, `None` when it does not exist. The guard's role may
    /// describe only channels tagged with its stack's id, so another
    /// stack's channel is refused by IAM: that reads as "not ours" too.
    pub(super) async fn describe(&self, channel_id: &str) -> Result<Option<Channel>, Error> {
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

    /// The channel `channel_id` if it still exists and is this stack's;
    /// else what the guard does about it (nothing, and why).
    pub(super) async fn ours(&self, channel_id: &str) -> Result<Result<Channel, GuardAction>, Error> {
        let Some(channel) = self.describe(channel_id).await? else {
            return Ok(Err(GuardAction::Nothing(format!(
                "channel {channel_id} no longer exists"
            ))));
        };
        if !self.is_ours(&channel) {
            tracing::warn!(channel_id, "not this stack's channel; the guard leaves it alone");
            return Ok(Err(GuardAction::Nothing(format!(
                "channel {channel_id} is not this stack's"
            ))));
        }
        Ok(Ok(channel))
    }

    /// Made by this stack, or an event's channel of this foundation.
    fn is_ours(&self, channel: &Channel) -> bool {
        let stack_id = self.config.stack_id.as_str();
        channel.tag(STACK_ID_TAG) == Some(stack_id) || channel.tag(FOUNDATION_TAG) == Some(stack_id)
    }

    /// Stops the channel, if it is this stack's and on, and says why;
    /// `ran_for` (seconds), when known, prices the run.
    async fn stop(
        &self,
        channel_id: &str,
        guard: &'static str,
        why: &str,
        ran_for: Option<u64>,
    ) -> Result<GuardAction, Error> {
        let channel = match self.ours(channel_id).await? {
            Ok(channel) => channel,
            Err(nothing) => return Ok(nothing),
        };
        if let Some(state) = channel.state().filter(|state| !is_on(state)) {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} is already {state}; not stopped again"
            )));
        }
        if let Some(refused) = self.stop_channel(channel_id).await? {
            return Ok(GuardAction::Nothing(refused));
        }
        let name = channel.name().unwrap_or(channel_id);
        // An event's channel was made by the event's own stack.
        let event = channel
            .tag(STACK_ID_TAG)
            .filter(|made_by| *made_by != self.config.stack_id);
        tracing::warn!(channel_id, guard, reason = why, event, "cost guard stopped the channel");
        let cost = self.cost_words(&channel, ran_for);
        self.notify(channel_id, name, event, why, &cost).await?;
        Ok(GuardAction::Stopped {
            channel_id: channel_id.to_owned(),
            guard,
        })
    }

    /// StopChannel, retried here rather than by the SDK: a conflict after
    /// one of this invocation's own attempts went unanswered (it may have
    /// acted) is this invocation's stop. `Some(why)` when the channel was
    /// found stopping by someone else's hand.
    async fn stop_channel(&self, channel_id: &str) -> Result<Option<String>, Error> {
        let mut sent = false;
        for attempt in 1..=STOP_ATTEMPTS {
            let stopped = self
                .aws
                .medialive
                .stop_channel()
                .channel_id(channel_id)
                .customize()
                .config_override(
                    aws_sdk_medialive::config::Builder::default()
                        .retry_config(aws_sdk_medialive::config::retry::RetryConfig::disabled()),
                )
                .send()
                .await
                .map_err(aws_error("StopChannel"));
            match stopped {
                Ok(_) => return Ok(None),
                Err(Error::Aws(err)) if err.is_conflict() && sent => {
                    tracing::info!(
                        channel_id,
                        "an earlier attempt's answer was lost; that attempt stopped it"
                    );
                    return Ok(None);
                }
                Err(Error::Aws(err)) if err.is_conflict() => {
                    return Ok(Some(format!(
                        "channel {channel_id} could not be stopped now ({err}); it is stopping already"
                    )));
                }
                Err(Error::Aws(err)) if err.is_transient() && attempt < STOP_ATTEMPTS => {
                    // No answer or a server error: the attempt may have acted.
                    sent |= may_have_acted(&err);
                    tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
                }
                Err(err) => return Err(err),
            }
        }
        Err(Error::Unexpected(format!(
            "StopChannel of {channel_id} failed {STOP_ATTEMPTS} times"
        )))
    }

    /// One plain message on the topic, tried a few times, each bounded. If
    /// it still fails, the invocation fails (Lambda retries the event; the
    /// channel, stopped already, is not stopped twice).
    /// What the run cost, or what the channel costs an hour, from the
    /// bundled rate table (an estimate: the message says so).
    fn cost_words(&self, channel: &Channel, ran_for: Option<u64>) -> String {
        let Channel::Described(described) = channel else {
            return String::new();
        };
        let estimate = crate::cost::described_per_hour(self.config.scope().0, described);
        let known = estimate.known_per_hour();
        match ran_for {
            Some(seconds) if known > 0.0 => format!(
                "What it cost: {} for the {} it ran, at {} an hour of MediaLive (on-demand rates from the stack's rate table; an estimate).",
                estimate.for_run_words(seconds),
                duration_words(seconds),
                crate::cost::dollars(known)
            ),
            Some(_) => format!("What it cost: {}.", estimate.for_run_words(0)),
            None => format!(
                "MediaLive bills it {} while it runs (on-demand rates from the stack's rate table; an estimate).",
                estimate.per_hour_words()
            ),
        }
    }

    async fn notify(
        &self,
        channel_id: &str,
        name: &str,
        event: Option<&str>,
        why: &str,
        cost: &str,
    ) -> Result<(), Error> {
        let (subject, whose) = match event {
            Some(event) => {
                let name = stack_name_of(event).unwrap_or(event);
                (
                    format!("Live event {name} stopped by the cost guard"),
                    format!("Event: {name} ({event})\nFoundation: {}", self.config.stack_id),
                )
            }
            None => (
                "Live stream channel stopped by the cost guard".to_owned(),
                format!("Stack: {}", self.config.stack_id),
            ),
        };
        let message = format!(
            "The cost guard stopped the MediaLive channel {name} ({channel_id}): {why}.\n\n\
             {cost}\n\n\
             A stopped channel does not bill for encoding. Start it again when you need it, \
             from the MediaLive console or with:\n  aws medialive start-channel --channel-id {channel_id}\n\n\
             {whose}"
        );
        self.publish(&subject, &message).await.map_err(|cause| {
            tracing::error!(channel_id, cause = %cause, "the channel is stopped, but the notification could not be sent");
            Error::Unexpected(format!(
                "channel {channel_id} is stopped, but the notification could not be sent: {cause}"
            ))
        })
    }

    /// One plain message on the topic (none without one), tried a few
    /// times, each bounded; the last failure's words if all failed.
    pub(super) async fn publish(&self, subject: &str, message: &str) -> Result<(), String> {
        let Some(topic) = &self.config.topic_arn else {
            return Ok(());
        };
        let mut failure = None;
        for _ in 0..NOTIFY_ATTEMPTS {
            let published = self
                .aws
                .sns
                .publish()
                .topic_arn(topic)
                .subject(subject)
                .message(message)
                .customize()
                .config_override(
                    aws_sdk_sns::config::Builder::default()
                        .timeout_config(
                            aws_sdk_sns::config::timeout::TimeoutConfig::builder()
                                .operation_attempt_timeout(NOTIFY_ATTEMPT_TIME)
                                .build(),
                        )
                        .retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled()),
                )
                .send()
                .await
                .map_err(aws_error("Publish"));
            match published {
                Ok(_) => return Ok(()),
                Err(err) => {
                    tracing::warn!(cause = %err, "the notification was not sent; trying again");
                    failure = Some(err);
                }
            }
        }
        Err(failure.map(|err| err.to_string()).unwrap_or_default())
    }
}

/// Whether `name` is the alarm `pattern` names: exactly, or with one `*`
/// standing for one event's name (a foundation's guard watches every
/// event's `<foundation>/<event>/no-input-video`; a stack name holds no `/`).
pub(super) fn alarm_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => name
            .strip_prefix(head)
            .and_then(|rest| rest.strip_suffix(tail))
            .is_some_and(|event| !event.is_empty() && !event.contains('/')),
    }
}

/// Whether a failed attempt may have reached MediaLive and acted: it got
/// no answer, or a server error (a throttle or another refusal did not).
fn may_have_acted(err: &AwsError) -> bool {
    err.http_status.is_none_or(|status| status >= 500)
}

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
    fn a_foundations_alarm_pattern_matches_its_events_alarms_only() {
        let pattern = "live/*/no-input-video";
        assert!(alarm_matches(pattern, "live/keynote/no-input-video"));
        assert!(!alarm_matches(pattern, "live//no-input-video"), "an event has a name");
        assert!(!alarm_matches(pattern, "live/a/b/no-input-video"), "one event's name");
        assert!(
            !alarm_matches(pattern, "live-2/keynote/no-input-video"),
            "another foundation"
        );
        assert!(!alarm_matches(pattern, "other/keynote/no-input-video"));
        assert!(!alarm_matches(pattern, "live/keynote/input-loss"));
        assert!(
            !alarm_matches(pattern, "live-keynote-no-input-video"),
            "a stack of its own"
        );
        assert!(alarm_matches("one-no-input-video", "one-no-input-video"));
        assert!(!alarm_matches("one-no-input-video", "one-no-input-video2"));
    }
}
