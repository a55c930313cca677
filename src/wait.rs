//! Polling until a resource reaches a state, bounded by the work deadline.
//! Checks at once, then backs off; gives up before the deadline with a
//! message that says what it was waiting for and where things stood.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

const FIRST_PAUSE: Duration = Duration::from_millis(250);
const MAX_PAUSE: Duration = Duration::from_secs(5);
/// Time kept for one more look (an API call) before the deadline, so the
/// wait ends with its own message rather than being cut off mid-call.
const LOOK_TIME: Duration = Duration::from_secs(2);

/// What one look found.
pub(crate) enum Look<T> {
    Done(T),
    /// Not yet; the text says where things stand (a state name).
    NotYet(String),
}

/// Calls `look` until it reports `Done`, fails, or `until` would pass.
pub(crate) async fn until<T, F, Fut>(what: &str, until: Instant, mut look: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Look<T>, Error>>,
{
    let mut pause = FIRST_PAUSE;
    loop {
        let last = match look().await? {
            Look::Done(value) => return Ok(value),
            Look::NotYet(state) => state,
        };
        if Instant::now() + pause + LOOK_TIME >= until {
            return Err(Error::TimedOut(format!(
                "{what} did not happen before the deadline (still {last})"
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn looks_at_once_then_backs_off() {
        let looks = AtomicU32::new(0);
        let start = Instant::now();
        let value = until("ready", start + Duration::from_secs(60), || async {
            let n = looks.fetch_add(1, Ordering::SeqCst);
            Ok(if n == 3 {
                Look::Done(n)
            } else {
                Look::NotYet(format!("look {n}"))
            })
        })
        .await
        .unwrap();
        assert_eq!(value, 3);
        // 0.25 + 0.5 + 1 s of pauses before the fourth look.
        assert_eq!(start.elapsed(), Duration::from_millis(1750));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_before_the_deadline_saying_where_things_stood() {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(10);
        let result: Result<(), Error> = until("channel 7 IDLE", deadline, || async {
            Ok(Look::NotYet("CREATING".into()))
        })
        .await;
        let message = result.unwrap_err().to_string();
        assert_eq!(
            message,
            "channel 7 IDLE did not happen before the deadline (still CREATING)"
        );
        assert!(Instant::now() < deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_ends_the_wait() {
        let result: Result<(), Error> = until("x", Instant::now() + Duration::from_secs(10), || async {
            Err(Error::BadState("CREATE_FAILED".into()))
        })
        .await;
        assert_eq!(result.unwrap_err().to_string(), "CREATE_FAILED");
    }
}
