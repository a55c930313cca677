//! The cost guard: stops the stack's MediaLive channel when it has run
//! longer than `MaxRunHours` or has had no input video for
//! `IdleStopMinutes`, and says so in the log and on an SNS topic.
//!
//! Nothing runs while the channel is stopped. AWS drives it all:
//! - EventBridge sends the channel's state changes. RUNNING arms the
//!   guard for that run: a one-time EventBridge Scheduler schedule in the
//!   stack's schedule group, `max-run-<channel>`, at the run's start (the
//!   event's time) + `MaxRunHours`, whose input records the start. It is
//!   the guard's record of the current run (disabled, never firing, when
//!   `MaxRunHours` is 0). A stop (STOPPING, STOPPED, DELETED) deletes it.
//!   A start by any means (console, CLI, the stack) arms it; a stop by any
//!   means disarms it.
//! - The schedule, when it fires, invokes this function with a
//!   [`MAX_RUN_SOURCE`] event naming the run's start: stop the channel.
//! - A CloudWatch alarm on the channel's input (input loss, or no frames,
//!   on every pipeline) goes into ALARM after `IdleStopMinutes`;
//!   EventBridge sends that change: stop the channel.
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

mod config;
mod event;
mod function;
mod watch;

pub use config::{GuardConfig, IDLE_MINUTES_LIMIT, MAX_RUN_HOURS_LIMIT, STACK_ID_ENV, whole_number};
pub use event::{GuardEvent, MAX_RUN_DETAIL_TYPE, MAX_RUN_SOURCE, UnknownEvent};
pub use function::{GUARD_CHECK_KIND, GUARD_TIME, GuardFunction};
pub use watch::{Guard, GuardAction, duration_words};
