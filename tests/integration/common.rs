//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate uses its own subset

use std::time::Duration;

use livestream_resources::App;
use livestream_resources::Clients;
use livestream_resources::aws::http_connector;
use livestream_resources::cfn::sender::Allowlist;
use serde_json::Value;
use testkit::receiver::Receiver;
use tokio::time::Instant;

/// Plenty of time: the Lambda maximum.
pub(crate) const LAMBDA_TIME: Duration = Duration::from_secs(900);
pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// Clients whose every call lands on `fake_aws`, which records it; tests
/// assert "no AWS call" by counting its requests.
pub(crate) async fn clients_at(endpoint: &str) -> Clients {
    Clients::new(&testkit::moto::sdk_config(endpoint).await)
}

pub(crate) async fn recording_clients() -> (Clients, Receiver) {
    let fake_aws = Receiver::start().await;
    let clients = clients_at(&format!("http://{}", fake_aws.host())).await;
    (clients, fake_aws)
}

/// An app that may answer to `receiver`.
pub(crate) fn app(clients: Clients, receiver: &Receiver) -> App {
    App::new(clients, Allowlist::parse(&receiver.host()), http_connector())
}

pub(crate) fn deadline_in(time: Duration) -> Instant {
    Instant::now() + time
}

/// Handles `event` with plenty of time and returns the one response body.
pub(crate) async fn answer(app: &App, receiver: &Receiver, event: Value) -> Value {
    app.handle(event, deadline_in(LAMBDA_TIME))
        .await
        .expect("response delivered");
    receiver.response(WAIT).await
}

pub(crate) fn reason(response: &Value) -> &str {
    response["Reason"].as_str().expect("Reason is a string")
}

/// One stack resource's conversation with the handler: events go in
/// through `App::handle`, responses come back from the receiver, AWS is the
/// emulator behind the faithful layer.
#[derive(Clone)]
pub(crate) struct Session {
    pub app: App,
    pub receiver: Receiver,
    pub aws: testkit::faithful::Faithful,
    pub clients: Clients,
    pub logical_id: String,
}

impl Session {
    pub(crate) async fn emulated() -> Self {
        Self::emulated_at(testkit::faithful::Faithful::start(&testkit::moto::moto().endpoint).await).await
    }

    /// A session whose AWS is the given faithful layer.
    pub(crate) async fn emulated_at(aws: testkit::faithful::Faithful) -> Self {
        let clients = clients_at(&aws.endpoint()).await;
        Self::with_clients(aws, clients).await
    }

    /// As `emulated_at`, with the SDK abandoning an attempt after `attempt`
    /// (the deployed handler's clients do after 30 s).
    pub(crate) async fn with_attempt_timeout(aws: testkit::faithful::Faithful, attempt: Duration) -> Self {
        let config = testkit::moto::sdk_config(&aws.endpoint())
            .await
            .to_builder()
            .timeout_config(livestream_resources::aws::timeout_config(attempt))
            .build();
        Self::with_clients(aws, Clients::new(&config)).await
    }

    async fn with_clients(aws: testkit::faithful::Faithful, clients: Clients) -> Self {
        let receiver = Receiver::start().await;
        Session {
            app: app(clients.clone(), &receiver),
            receiver,
            aws,
            clients,
            logical_id: "Resource".to_owned(),
        }
    }

    /// The same AWS and receiver, as another resource of the stack.
    pub(crate) fn for_resource(&self, logical_id: &str) -> Self {
        Session {
            logical_id: logical_id.to_owned(),
            ..self.clone()
        }
    }

    /// Handles `event` and returns the response it PUT.
    pub(crate) async fn send(&self, event: Value) -> Value {
        self.send_with(event, LAMBDA_TIME).await
    }

    /// Handles `event` with `time_left` before the Lambda deadline.
    pub(crate) async fn send_with(&self, mut event: Value, time_left: Duration) -> Value {
        event["LogicalResourceId"] = serde_json::json!(self.logical_id);
        let before = self.receiver.requests().len();
        self.app
            .handle(event, deadline_in(time_left))
            .await
            .expect("response delivered");
        self.receiver.wait_for(before + 1, WAIT).await[before].json()
    }

    pub(crate) async fn create(&self, kind: &str, props: Value) -> Value {
        self.send(testkit::events::event("Create", kind, props, &self.receiver.url()))
            .await
    }

    pub(crate) async fn update(&self, kind: &str, physical_id: &str, old: Value, new: Value) -> Value {
        let event = testkit::events::event("Update", kind, new, &self.receiver.url());
        let event = testkit::events::with(event, "PhysicalResourceId", physical_id);
        self.send(testkit::events::with(event, "OldResourceProperties", old))
            .await
    }

    pub(crate) async fn delete(&self, kind: &str, physical_id: &str, props: Value) -> Value {
        let event = testkit::events::event("Delete", kind, props, &self.receiver.url());
        self.send(testkit::events::with(event, "PhysicalResourceId", physical_id))
            .await
    }
}

/// Asserts a SUCCESS and returns the physical id.
pub(crate) fn succeeded(response: &Value) -> String {
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    response["PhysicalResourceId"].as_str().expect("id").to_owned()
}

/// Asserts a FAILED and returns the Reason.
pub(crate) fn failed(response: &Value) -> String {
    assert_eq!(response["Status"], "FAILED", "{response}");
    reason(response).to_owned()
}
