//! The cost guard: stops the stack's MediaLive channel when it has run
//! longer than `MaxRunHours` or has had no input video for
//! `IdleStopMinutes`, and says so in the log and on an SNS topic.
//!
//! Nothing runs while the channel is stopped. AWS drives it all:
//! - EventBridge sends the channel's state changes, whatever the settings.
//!   RUNNING records the run: a one-time EventBridge Scheduler schedule in
//!   the stack's schedule group, `max-run-<channel>`, at the run's start
//!   (the event's time) + `MaxRunHours`, whose input records the start
//!   (disabled, never firing, when `MaxRunHours` is 0). A stop (STOPPING,
//!   STOPPED, DELETED) deletes it. A start by any means (console, CLI, the
//!   stack) arms it; a stop by any means disarms it.
//! - The schedule, when it fires, invokes this function with a
//!   [`MAX_RUN_SOURCE`] event naming the run's start: stop the channel if
//!   it has run `MaxRunHours` as set now (an update may have raised the
//!   cap, or turned it off, since).
//! - A CloudWatch alarm on the channel's input (no input video on every
//!   pipeline) goes into ALARM after `IdleStopMinutes`; EventBridge sends
//!   that change: the guard asks CloudWatch whether the alarm is in ALARM
//!   now, since when and about which channel, and stops that channel. It
//!   needs no record of the run: a RUNNING it never saw (a lost event, a
//!   guard turned on while the channel ran) does not keep a forgotten
//!   channel billing.
//! - The input-loss alarm going into ALARM, on a channel with a failover
//!   pair, is followed by a notice of which input each pipeline is on
//!   ([`active_input`](self)); nothing is stopped.
//! - Its deploy-time check ([`GUARD_CHECK_KIND`]), sent at every deploy,
//!   arms the runs going on as the settings say now: a run never seen
//!   start is recorded (capped `MaxRunHours` from then), a lowered cap
//!   already passed stops the channel.
//!
//! - With recordings on (MediaPackage v2), a run's end makes its harvest
//!   jobs ([`record`](self)): see `record.rs`.
//!
//! EventBridge and Lambda deliver late, twice, out of order: every event
//! is checked against the channel's state now, and every stop against the
//! run it is about. A max-run event stops only the run whose start it
//! names; an alarm only a run that started before it went into ALARM.
//!
//! The guard stops only a channel tagged with this stack's id (its role
//! may not even look at another), in its own account and region, and only
//! when it is running. Deleting the stack deletes the schedule group, and
//! every schedule in it, with the rules and alarms.

mod active_input;
mod config;
mod event;
mod function;
mod record;
mod watch;

pub use active_input::ActiveInput;
pub use config::{
    GuardConfig, IDLE_MINUTES_LIMIT, MAX_RUN_HOURS_LIMIT, RECORDINGS_BUCKET_ENV, RECORDINGS_GROUP_ENV,
    RecordingsConfig, STACK_ID_ENV, whole_number,
};
pub use event::{GuardEvent, MAX_RUN_DETAIL_TYPE, MAX_RUN_SOURCE, RECONCILE_DETAIL_TYPE, UnknownEvent};
pub use function::{GUARD_CHECK_KIND, GUARD_TIME, GuardFunction};
pub use record::Recordings;
pub use watch::{Guard, GuardAction, duration_words};
