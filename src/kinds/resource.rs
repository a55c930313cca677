//! What every kind shares: the request as a kind sees it, what it answers
//! with, the ownership tags, and the [`Resource`] trait each implements.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

use crate::aws::Clients;
use crate::budget::Budget;
use crate::cfn::event::Invocation;
use crate::cfn::props::{PropError, Props};
use crate::error::Error;
use crate::ownership::{LOGICAL_ID_TAG, REQUEST_ID_TAG, STACK_ID_TAG};

/// What a successful Create or Update reports back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub physical_id: String,
    pub data: BTreeMap<String, String>,
    /// Set when `data` holds a secret: CloudFormation then masks it.
    pub no_echo: bool,
}

impl Outcome {
    pub(crate) fn new(physical_id: impl Into<String>) -> Self {
        Outcome {
            physical_id: physical_id.into(),
            data: BTreeMap::new(),
            no_echo: false,
        }
    }

    pub(crate) fn with_data(mut self, data: BTreeMap<String, String>) -> Self {
        self.data.extend(data);
        self
    }
}

/// The request as a kind sees it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub stack_id: String,
    pub stack_name: String,
    pub request_id: String,
    pub logical_id: String,
    /// The kind's waits end here, leaving time to answer.
    pub work_until: Instant,
    created: Arc<Mutex<Option<String>>>,
    budget: Budget,
}

impl Request {
    pub(crate) fn new(invocation: &Invocation, work_until: Instant) -> Self {
        Request {
            stack_id: invocation.ids.stack_id.clone(),
            stack_name: invocation.stack_name().to_owned(),
            request_id: invocation.ids.request_id.clone(),
            logical_id: invocation.ids.logical_resource_id.clone(),
            work_until,
            created: Arc::default(),
            budget: Budget::new(work_until),
        }
    }

    /// The budget every AWS call of this request is held to.
    pub(crate) fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Records that a resource now exists under `physical_id`. If the Create
    /// then fails or runs out of time, the FAILED response carries this id,
    /// so the rollback's Delete removes what was made.
    pub(crate) fn record_created(&self, physical_id: &str) {
        *self.created.lock().unwrap_or_else(PoisonError::into_inner) = Some(physical_id.to_owned());
    }

    /// Forgets a recorded resource that was removed again.
    pub(crate) fn clear_created(&self) {
        *self.created.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub(crate) fn created(&self) -> Option<String> {
        self.created.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Tags that mark a resource as made by this stack resource, and by
    /// this request. A Create delivered twice (Lambda retries) finds its own
    /// resource by them and adopts it; a resource without them belongs to
    /// someone else; the Delete after a Create that never learnt the id of
    /// what it made finds it by the request's tag.
    pub(crate) fn ownership_tags(&self) -> HashMap<String, String> {
        HashMap::from([
            (STACK_ID_TAG.to_owned(), self.stack_id.clone()),
            (LOGICAL_ID_TAG.to_owned(), self.logical_id.clone()),
            (REQUEST_ID_TAG.to_owned(), self.request_id.clone()),
        ])
    }

    /// Whether `tags` mark a resource made by this stack resource in the
    /// request `request_id`.
    pub(crate) fn made_in<'t>(&self, request_id: &str, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> bool {
        let tags: Vec<_> = tags.into_iter().collect();
        tags.contains(&(REQUEST_ID_TAG, request_id)) && self.owns(tags)
    }

    /// Whether `tags` mark a resource made by this stack (by any of its
    /// resources): what acting on another resource's channel requires.
    pub(crate) fn in_stack<'t>(&self, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> bool {
        tags.into_iter()
            .any(|(key, value)| key == STACK_ID_TAG && value == self.stack_id)
    }

    /// Whether `tags` carry this stack resource's ownership tags.
    pub(crate) fn owns<'t>(&self, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> bool {
        let (mut stack, mut logical) = (false, false);
        for (key, value) in tags {
            stack |= key == STACK_ID_TAG && value == self.stack_id;
            logical |= key == LOGICAL_ID_TAG && value == self.logical_id;
        }
        stack && logical
    }

    /// The stack's Region (read from the StackId, an ARN).
    pub(crate) fn region(&self) -> &str {
        self.stack_id.split(':').nth(3).unwrap_or_default()
    }

    /// The ARN of `resource` of `service` in the stack's partition, region
    /// and account (read from the StackId, itself an ARN).
    pub(crate) fn arn(&self, service: &str, resource: &str) -> String {
        let mut parts = self.stack_id.split(':').skip(1);
        let partition = parts.next().unwrap_or("aws");
        let region = parts.nth(1).unwrap_or_default();
        let account = parts.next().unwrap_or_default();
        format!("arn:{partition}:{service}:{region}:{account}:{resource}")
    }

    /// Whether a Delete may remove a resource with `tags`; logs why not.
    /// A Delete naming something this stack resource did not make (an
    /// invented or mistaken id) must never remove someone else's resource.
    pub(crate) fn may_delete<'t>(&self, what: &str, tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> bool {
        let ours = self.owns(tags);
        if !ours {
            tracing::warn!(
                resource = %what,
                "not made by this stack resource (its ownership tags differ); left in place"
            );
        }
        ours
    }

    /// The error for a resource that exists but is not this stack resource's.
    pub(crate) fn not_ours(&self, what: &str) -> Error {
        Error::Conflict(format!(
            "{what} already exists and was not created by {} of this stack; choose another name or remove it",
            self.logical_id
        ))
    }
}

/// One resource kind.
pub(crate) trait Resource {
    /// The kind's name in `Custom::<NAME>` or the `Resource` property.
    const NAME: &'static str;
    /// Every property the kind accepts (besides the ones always allowed).
    const PROPERTIES: &'static [&'static str];
    /// The validated properties.
    type Spec: Send + Sync;

    /// Validates the properties; runs before any AWS call.
    fn parse(props: Props<'_>) -> Result<Self::Spec, PropError>;

    fn create(aws: &Clients, req: &Request, spec: &Self::Spec) -> impl Future<Output = Result<Outcome, Error>> + Send;

    /// `old` is `None` when the old properties no longer validate.
    fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Self::Spec>,
        new: &Self::Spec,
    ) -> impl Future<Output = Result<Outcome, Error>> + Send;

    /// `spec` is `None` when the properties do not validate; a Delete must
    /// still succeed then. Not found counts as deleted.
    fn delete(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        spec: Option<&Self::Spec>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Whether `physical_id` could name one of this kind's resources. The
    /// Delete of one that cannot (empty, over-long, wrong shape) touches
    /// nothing, so it never blocks a rollback.
    fn could_be_id(physical_id: &str) -> bool {
        crate::ownership::plausible_id(physical_id)
    }

    /// Deletes whatever the Create `request_id` made without learning its
    /// id (its answer was lost or its time ran out), found by the
    /// [`REQUEST_ID_TAG`] it was given at birth. Finding nothing is success.
    fn delete_made_in(
        aws: &Clients,
        req: &Request,
        request_id: &str,
        spec: Option<&Self::Spec>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_made_in_the_stacks_partition_region_and_account() {
        let req = Request {
            stack_id: "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/live/abc".into(),
            stack_name: "live".into(),
            request_id: "r".into(),
            logical_id: "Channel".into(),
            work_until: Instant::now(),
            created: Arc::default(),
            budget: Budget::new(Instant::now()),
        };
        assert_eq!(
            req.arn("medialive", "channel:42"),
            "arn:aws-cn:medialive:cn-north-1:123456789012:channel:42"
        );
    }
}
