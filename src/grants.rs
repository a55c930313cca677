//! IAM is eventually consistent: a grant a stack has just made (an
//! event's own policy on its foundation's roles, `AWS::IAM::RolePolicy`)
//! can still be refused for a while after CloudFormation reports it made
//! (IAM User Guide, "Troubleshoot IAM": changes "are not always
//! immediately visible"). A call that relies on such a grant is tried
//! again while IAM refuses it, for a while, then fails naming the action.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

/// How long IAM may take to apply a new grant, in practice.
pub(crate) const SETTLING: Duration = Duration::from_secs(45);
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(8);

/// `call`, tried again while IAM refuses it (AccessDenied), for at most
/// [`SETTLING`] and never past `until`; its last refusal then says which
/// action (`ssm:PutParameter`) stayed refused and for how long.
pub(crate) async fn once_granted<T, F, Fut>(action: &str, until: Instant, mut call: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let started = Instant::now();
    let until = until.min(started + SETTLING);
    let mut pause = FIRST_PAUSE;
    loop {
        match call().await {
            Err(Error::Aws(refused)) if refused.is_access_denied() => {
                if Instant::now() + pause >= until {
                    let waited = started.elapsed().as_secs();
                    return Err(Error::Aws(refused.noting(&format!(
                        "{action} was still refused after {waited} s: the stack's grant of it is missing, or IAM has not applied it yet (deploy again in a minute)"
                    ))));
                }
                tracing::warn!(
                    action,
                    "refused by IAM; a grant just made may not apply yet: trying again"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AwsError;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn denied() -> Error {
        Error::Aws(AwsError::for_test(
            "PutParameter",
            "AccessDeniedException",
            400,
            "User is not authorized to perform: ssm:PutParameter",
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_that_passes_is_tried_again_until_it_does() {
        let calls = AtomicU32::new(0);
        let far = Instant::now() + Duration::from_secs(600);
        let value = once_granted("ssm:PutParameter", far, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(denied())
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(value.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_that_lasts_fails_naming_the_action_within_the_settling_time() {
        let start = Instant::now();
        let far = start + Duration::from_secs(600);
        let err = once_granted("ssm:PutParameter", far, || async { Err::<(), _>(denied()) })
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("ssm:PutParameter was still refused after"), "{err}");
        assert!(start.elapsed() <= SETTLING, "{:?}", start.elapsed());
        // Other failures are not tried again.
        let calls = AtomicU32::new(0);
        let other = once_granted("ssm:PutParameter", far, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(Error::Unexpected("broken".into()))
        })
        .await;
        assert!(other.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_comes_first_when_it_is_nearer() {
        let start = Instant::now();
        let near = start + Duration::from_secs(5);
        let err = once_granted("ssm:PutParameter", near, || async { Err::<(), _>(denied()) }).await;
        assert!(err.is_err());
        assert!(start.elapsed() <= Duration::from_secs(5));
    }
}
