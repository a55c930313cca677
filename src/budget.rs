//! The time a request has for AWS calls, kept where every call passes: an
//! SDK interceptor on each client.
//!
//! - A call that makes or changes something is not started unless one
//!   attempt can end (answered, or abandoned by the SDK's attempt timeout)
//!   before the work deadline. The deadline then never cuts such a call
//!   mid-flight, where AWS would act and the handler never learn of it.
//! - Every attempt of a call that makes something (`Create…`, `Put…`) is
//!   counted until AWS refuses it. A Create that fails with that count
//!   above zero may have left something whose id it never learnt; its
//!   answer says so, and the Delete that follows looks for it by the tags
//!   it was given at birth.
//!
//! Calls that only look (`Describe…`, `List…`, `Get…`) or remove
//! (`Delete…`, `Stop…`) always go: a cut removal is repeated by the next
//! Delete, and cleanup must not be refused for lack of time.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::timeout::TimeoutConfig;
use tokio::time::Instant;

tokio::task_local! {
    static BUDGET: Budget;
}

/// What one attempt is assumed to need when the client sets no attempt
/// timeout (an answered call takes well under a second).
const UNBOUNDED_ATTEMPT_TIME: Duration = Duration::from_secs(2);

/// One request's deadline for AWS calls and its count of calls that may
/// have made something.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    until: Instant,
    unrefused_makes: Arc<AtomicUsize>,
}

impl Budget {
    pub(crate) fn new(until: Instant) -> Self {
        Budget {
            until,
            unrefused_makes: Arc::default(),
        }
    }

    /// Runs `work` with every AWS call in it held to this budget.
    pub(crate) async fn run<F: Future>(&self, work: F) -> F::Output {
        BUDGET.scope(self.clone(), work).await
    }

    /// Whether a call that makes something was sent and not refused: it
    /// succeeded, failed on the server's side, or was never answered.
    pub(crate) fn may_have_made_something(&self) -> bool {
        self.unrefused_makes.load(Ordering::SeqCst) > 0
    }
}

/// Why a call (or a retry of it) was not sent.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.describe())]
pub(crate) struct NoTimeLeft {
    pub operation: String,
    pub left: Duration,
    pub needed: Duration,
    /// What became of the attempts before this one.
    pub earlier: Earlier,
}

/// The attempts of a call before the one not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Earlier {
    /// None: the call was never sent.
    None,
    /// Each was refused by AWS (throttled, say): nothing was done.
    Refused,
    /// One was sent and not refused (no answer, or a server error): it
    /// may have acted.
    MayHaveActed,
}

impl NoTimeLeft {
    fn describe(&self) -> String {
        let (operation, left, needed) = (&self.operation, self.left, self.needed);
        let short = format!("{left:.1?} left before the deadline, and one attempt may take {needed:.1?}");
        match self.earlier {
            Earlier::None => format!("{operation} was not sent: {short}"),
            Earlier::Refused => {
                format!("{operation} was refused by AWS and not retried: {short}")
            }
            Earlier::MayHaveActed => format!(
                "{operation} was sent but not answered in time, so it may have acted; it was not retried: {short}"
            ),
        }
    }
}

/// Marks, in an operation's config bag, that one of its attempts that
/// makes something went unrefused.
#[derive(Debug, Clone, Copy)]
struct UnrefusedAttempt;

impl aws_smithy_types::config_bag::Storable for UnrefusedAttempt {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

/// The interceptor every client carries. Outside a request (no budget in
/// scope) it lets everything through.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DeadlineGuard;

/// Calls that make something new, which could be left behind.
fn makes(operation: &str) -> bool {
    operation.starts_with("Create") || operation.starts_with("Put")
}

/// Calls that must not start without time to end: those that make or change.
fn guarded(operation: &str) -> bool {
    makes(operation) || operation.starts_with("Start") || operation.starts_with("Update")
}

fn operation(cfg: &ConfigBag) -> &str {
    cfg.load::<Metadata>().map(Metadata::name).unwrap_or_default()
}

impl Intercept for DeadlineGuard {
    fn name(&self) -> &'static str {
        "DeadlineGuard"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = operation(cfg);
        if !guarded(operation) {
            return Ok(());
        }
        let needed = cfg
            .load::<TimeoutConfig>()
            .and_then(TimeoutConfig::operation_attempt_timeout)
            .unwrap_or(UNBOUNDED_ATTEMPT_TIME);
        let earlier = match cfg.load::<RequestAttempts>().map(RequestAttempts::attempts) {
            Some(attempt) if attempt > 1 && cfg.load::<UnrefusedAttempt>().is_some() => Earlier::MayHaveActed,
            Some(attempt) if attempt > 1 => Earlier::Refused,
            _ => Earlier::None,
        };
        let checked = BUDGET.try_with(|budget| {
            let left = budget.until.saturating_duration_since(Instant::now());
            if left < needed {
                return Err(NoTimeLeft {
                    operation: operation.to_owned(),
                    left,
                    needed,
                    earlier,
                });
            }
            if makes(operation) {
                budget.unrefused_makes.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        });
        match checked {
            Ok(Err(no_time)) => {
                tracing::warn!(cause = %no_time, "call not started");
                Err(no_time.into())
            }
            // Sent, or outside any request.
            Ok(Ok(())) | Err(_) => Ok(()),
        }
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let refused = context
            .response()
            .is_some_and(|response| response.status().is_client_error());
        if !refused && makes(operation(cfg)) {
            cfg.interceptor_state().store_put(UnrefusedAttempt);
        }
        if refused && makes(operation(cfg)) {
            // A 4xx: AWS did not act on this attempt.
            let _ = BUDGET.try_with(|budget| {
                let _ = budget
                    .unrefused_makes
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            });
        }
        Ok(())
    }
}

/// The [`NoTimeLeft`] somewhere in `err`'s chain of causes.
pub(crate) fn no_time_left<'e>(err: &'e (dyn std::error::Error + 'static)) -> Option<&'e NoTimeLeft> {
    let mut cause = Some(err);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<NoTimeLeft>() {
            return Some(found);
        }
        cause = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makers_and_changers_are_guarded_lookers_and_removers_are_not() {
        for op in [
            "CreateInput",
            "PutParameter",
            "StartChannel",
            "UpdateChannel",
            "CreateSecret",
        ] {
            assert!(guarded(op), "{op}");
        }
        for op in [
            "DescribeInput",
            "ListChannels",
            "GetSecretValue",
            "DeleteInput",
            "StopChannel",
        ] {
            assert!(!guarded(op), "{op}");
        }
        assert!(!makes("StartChannel"), "starting makes nothing that could be orphaned");
    }

    #[test]
    fn the_cause_is_found_deep_in_a_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] NoTimeLeft);
        let err = Outer(NoTimeLeft {
            operation: "CreateInput".into(),
            left: Duration::from_millis(1500),
            needed: Duration::from_secs(3),
            earlier: Earlier::None,
        });
        let found = no_time_left(&err).expect("found");
        assert_eq!(
            found.to_string(),
            "CreateInput was not sent: 1.5s left before the deadline, and one attempt may take 3.0s"
        );
        let retry = NoTimeLeft {
            earlier: Earlier::MayHaveActed,
            ..err.0
        };
        assert_eq!(
            retry.to_string(),
            "CreateInput was sent but not answered in time, so it may have acted; it was not retried: 1.5s left before the deadline, and one attempt may take 3.0s"
        );
    }
}
