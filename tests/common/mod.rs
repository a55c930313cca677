//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test crate uses its own subset

use std::time::Duration;

use livestream_resources::App;
use livestream_resources::Clients;
use livestream_resources::cfn::sender::Allowlist;
use serde_json::Value;
use testkit::receiver::Receiver;
use tokio::time::Instant;

/// Plenty of time: the Lambda maximum.
pub const LAMBDA_TIME: Duration = Duration::from_secs(900);
pub const WAIT: Duration = Duration::from_secs(30);

/// Clients whose every call lands on `fake_aws`, which records it; tests
/// assert "no AWS call" by counting its requests.
pub async fn clients_at(endpoint: &str) -> Clients {
    Clients::new(&testkit::moto::sdk_config(endpoint).await)
}

pub async fn recording_clients() -> (Clients, Receiver) {
    let fake_aws = Receiver::start().await;
    let clients = clients_at(&format!("http://{}", fake_aws.host())).await;
    (clients, fake_aws)
}

/// An app that may answer to `receiver`.
pub fn app(clients: Clients, receiver: &Receiver) -> App {
    App::new(clients, Allowlist::parse(&receiver.host())).expect("building the app")
}

pub fn deadline_in(time: Duration) -> Instant {
    Instant::now() + time
}

/// Handles `event` with plenty of time and returns the one response body.
pub async fn answer(app: &App, receiver: &Receiver, event: Value) -> Value {
    app.handle(event, deadline_in(LAMBDA_TIME))
        .await
        .expect("response delivered");
    receiver.response(WAIT).await
}

pub fn reason(response: &Value) -> &str {
    response["Reason"].as_str().expect("Reason is a string")
}
