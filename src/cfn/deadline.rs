//! When the work must stop so that the response still gets out in time.
//!
//! ```text
//! received ──── work ────┤ work_until ── delivery ──┤ deliver_by ── 5 s ──┤ deadline
//! ```
//! The deadline is the Lambda deadline, or receipt + `ServiceTimeout` when
//! that comes first (CloudFormation stops listening then). Delivery gets a
//! share of the time left, enough for a PUT and a few retries.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// The response is delivered at least this long before the deadline.
pub const SAFETY_MARGIN: Duration = Duration::from_secs(5);
/// The most time reserved for delivering the response.
const MAX_DELIVERY_RESERVE: Duration = Duration::from_secs(10);
/// The least, even when the invocation has almost no time.
const MIN_DELIVERY_RESERVE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The kind's work (AWS calls, waits) ends here.
    pub work_until: Instant,
    /// The response must be delivered by here.
    pub deliver_by: Instant,
}

impl Deadline {
    pub fn new(received: Instant, lambda_deadline: Instant, service_timeout: Option<Duration>) -> Self {
        let deadline = match service_timeout {
            Some(timeout) => lambda_deadline.min(received + timeout),
            None => lambda_deadline,
        };
        let deliver_by = deadline.checked_sub(SAFETY_MARGIN).unwrap_or(received).max(received);
        let available = deliver_by.saturating_duration_since(received);
        let reserve = (available / 3)
            .clamp(MIN_DELIVERY_RESERVE, MAX_DELIVERY_RESERVE)
            .min(available);
        Deadline {
            work_until: deliver_by - reserve,
            deliver_by,
        }
    }
}

/// Why the work produced no result of its own.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Interrupted {
    #[error("timed out: the operation did not finish before the handler's deadline")]
    TimedOut,
    #[error("internal error: the handler panicked: {0}")]
    Panicked(String),
}

/// Runs `work` on its own task until `until`. A panic inside it and running
/// out of time both come back as [`Interrupted`], so the caller always has
/// something to answer with; on timeout the task is aborted.
pub async fn race<T, F>(until: Instant, work: F) -> Result<T, Interrupted>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut task = tokio::spawn(work);
    match tokio::time::timeout_at(until, &mut task).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(join_error)) => match join_error.try_into_panic() {
            Ok(payload) => Err(Interrupted::Panicked(panic_message(payload.as_ref()))),
            // Only a panic or an abort ends a task early, and nothing else aborts it.
            Err(_) => Err(Interrupted::Panicked("task cancelled".to_owned())),
        },
        Err(_elapsed) => {
            task.abort();
            Err(Interrupted::TimedOut)
        }
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn long_invocations_reserve_ten_seconds_for_delivery() {
        let now = Instant::now();
        let d = Deadline::new(now, now + secs(900), None);
        assert_eq!(d.deliver_by, now + secs(895));
        assert_eq!(d.work_until, now + secs(885));
    }

    #[test]
    fn short_invocations_still_get_work_time() {
        let now = Instant::now();
        let d = Deadline::new(now, now + secs(11), None);
        assert_eq!(d.deliver_by, now + secs(6));
        assert_eq!(d.work_until, now + secs(4));
    }

    #[test]
    fn service_timeout_wins_when_earlier() {
        let now = Instant::now();
        let d = Deadline::new(now, now + secs(900), Some(secs(60)));
        assert_eq!(d.deliver_by, now + secs(55));
        assert!(d.work_until < d.deliver_by);
    }

    #[test]
    fn a_deadline_already_gone_leaves_no_work_time() {
        let now = Instant::now();
        let d = Deadline::new(now, now + secs(2), None);
        assert_eq!(d.deliver_by, now);
        assert_eq!(d.work_until, now);
    }

    #[tokio::test(start_paused = true)]
    async fn hanging_work_is_cut_off() {
        let until = Instant::now() + secs(3);
        let result = race(until, std::future::pending::<()>()).await;
        assert_eq!(result, Err(Interrupted::TimedOut));
        assert!(Instant::now() >= until);
    }

    #[tokio::test]
    async fn a_panic_becomes_an_error() {
        let result = race(Instant::now() + secs(5), async { panic!("boom") }).await;
        assert_eq!(result, Err::<(), _>(Interrupted::Panicked("boom".into())));
    }

    #[tokio::test]
    async fn finished_work_returns_its_value() {
        assert_eq!(race(Instant::now() + secs(5), async { 7 }).await, Ok(7));
    }
}
