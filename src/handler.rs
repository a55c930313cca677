//! The custom-resource function: each CloudFormation request goes to its
//! kind ([`crate::kinds`]), raced against the deadline; the protocol around
//! it (bounding, parsing, answering, delivering) is [`crate::cfn::answer`].

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::SharedHttpConnector;
use lambda_runtime::LambdaEvent;
use serde_json::value::RawValue;
use tracing::Instrument;

use crate::aws::Clients;
use crate::cfn::answer::{Answerer, HandlerError, Incoming, Payload, Respond, lambda_deadline};
use crate::cfn::deadline::{self, Deadline};
use crate::cfn::event::{Invocation, RequestType};
use crate::cfn::response::{ResponseBody, is_sentinel, unconfirmed_id};
use crate::cfn::sender::Allowlist;
use crate::kinds::{self, Request};

/// The custom-resource function, built once per Lambda instance.
#[derive(Debug, Clone)]
pub struct App {
    aws: Arc<Clients>,
    answerer: Answerer,
}

impl App {
    /// `http` is the connector the clients use ([`crate::aws::http_connector`]).
    pub fn new(aws: Clients, allowlist: Allowlist, http: SharedHttpConnector) -> Self {
        App {
            aws: Arc::new(aws),
            answerer: Answerer::new(allowlist, http),
        }
    }

    /// The Lambda entry point: bounds the event (one that holds more values
    /// than any real one is answered from its top level unread, so the
    /// largest, densest event CloudFormation can send never costs more
    /// memory than the function has), then answers a custom-resource
    /// request and refuses anything else.
    pub async fn invoke(&self, event: LambdaEvent<Box<RawValue>>) -> Result<(), HandlerError> {
        let LambdaEvent { payload, context } = event;
        let deadline = lambda_deadline(context.deadline);
        let payload = match Payload::of(&payload)? {
            Payload::TooLarge(raw, values) => return self.answerer.refuse_too_large(raw, values, deadline).await,
            Payload::Read(payload) => payload,
        };
        let what = match Incoming::of(&payload) {
            Incoming::CustomResource => return self.handle(payload, deadline).await,
            Incoming::AwsEvent => {
                "an EventBridge event, but this function is not configured as the cost guard".to_owned()
            }
            Incoming::Unknown(what) => what,
        };
        tracing::error!(event = %what, "refused: not an event this function handles");
        Err(HandlerError::UnknownEvent(what))
    }

    /// Answers one custom-resource event. `Ok` once the response has been
    /// delivered; any event with an acceptable ResponseURL gets a response.
    pub async fn handle(
        &self,
        raw: serde_json::Value,
        lambda_deadline: tokio::time::Instant,
    ) -> Result<(), HandlerError> {
        self.answerer.answer(raw, lambda_deadline, self).await
    }
}

impl Respond for App {
    /// The response for a well-formed request: its kind's work, raced
    /// against the deadline.
    async fn respond(&self, invocation: Invocation, deadline: Deadline) -> ResponseBody {
        let ids = invocation.ids.clone();
        let request_type = invocation.request_type;
        let existing_id = invocation.physical_resource_id.clone().unwrap_or_default();
        let kind = invocation.kind_name().to_owned();

        if request_type == RequestType::Delete && is_sentinel(&existing_id) {
            tracing::info!("the Create had failed before anything existed; nothing to delete");
            return ResponseBody::success(&ids, existing_id, Default::default(), false);
        }
        if !kinds::is_known(&kind) {
            if request_type == RequestType::Delete {
                tracing::warn!(kind = %kind, "unknown resource kind; nothing to delete");
                return ResponseBody::success(&ids, existing_id, Default::default(), false);
            }
            let reason = format!(
                "unknown resource kind {kind:?}; known kinds: {}",
                kinds::names().join(", ")
            );
            return ResponseBody::failed(&ids, existing_id, &reason);
        }

        tracing::info!(kind = %kind, "handling request");
        let request = Request::new(&invocation, deadline.work_until);
        let aws = Arc::clone(&self.aws);
        let work_request = request.clone();
        let work = async move { kinds::perform(&kind, &aws, &work_request, &invocation).await }.in_current_span();
        let failure = match deadline::race(deadline.work_until, work).await {
            Ok(Ok(outcome)) => {
                return ResponseBody::success(&ids, outcome.physical_id, outcome.data, outcome.no_echo);
            }
            Ok(Err(error)) => error.to_string(),
            Err(interrupted) => interrupted.to_string(),
        };
        // A failed Create answers with whatever it already made (so the
        // rollback deletes it); when a call that makes something may have
        // acted unseen, with an id that has the rollback look for it by
        // tags; otherwise with the sentinel. Update and Delete keep the
        // existing id so CloudFormation's view does not change.
        let physical_id = match request_type {
            RequestType::Create => request.created().unwrap_or_else(|| {
                if request.budget().may_have_made_something() {
                    tracing::warn!(
                        "a call that makes something was sent and not refused; the Delete will look for what it made"
                    );
                    unconfirmed_id(&ids.request_id)
                } else {
                    String::new()
                }
            }),
            RequestType::Update | RequestType::Delete => existing_id,
        };
        ResponseBody::failed(&ids, physical_id, &failure)
    }
}
