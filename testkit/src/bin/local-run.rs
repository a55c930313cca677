//! The local run: start the emulator, create a MediaPackage channel with a
//! CMAF endpoint in it, play `events/endpoint-url-create.json` through the
//! real Lambda binary, print the response it PUT. Exits non-zero unless the
//! response is SUCCESS.
//!
//! `LAMBDA_BINARY` overrides the binary (default: target/debug/livestream-resources).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::lambda::LambdaProcess;
use testkit::moto::{moto, sdk_config};
use testkit::receiver::Receiver;
use testkit::runtime_api::RuntimeApi;

const EVENT: &str = "events/endpoint-url-create.json";

#[tokio::main]
async fn main() -> ExitCode {
    let root = testkit::workspace_root();
    let binary = std::env::var_os("LAMBDA_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/debug/livestream-resources"));
    if !binary.exists() {
        eprintln!("{} is missing: run `cargo build` first", binary.display());
        return ExitCode::FAILURE;
    }

    let emulator = moto();
    eprintln!("emulator (moto server) listening at {}", emulator.endpoint);
    let mediapackage = aws_sdk_mediapackage::Client::new(&sdk_config(&emulator.endpoint).await);
    let endpoint = testkit::fixtures::cmaf_endpoint(&mediapackage, "live-demo").await;
    eprintln!("created MediaPackage channel live-demo with CMAF endpoint {endpoint}");

    let receiver = Receiver::start().await;
    let api = RuntimeApi::start().await;
    let lambda = LambdaProcess::spawn(
        &binary,
        &api.address(),
        &[
            ("AWS_ENDPOINT_URL", emulator.endpoint.clone()),
            ("RESPONSE_URL_ALLOWED_HOSTS", receiver.host()),
        ],
    );

    let mut event: Value = match std::fs::read_to_string(root.join(EVENT)).map(|text| serde_json::from_str(&text)) {
        Ok(Ok(event)) => event,
        _ => {
            eprintln!("{EVENT} is missing or not JSON");
            return ExitCode::FAILURE;
        }
    };
    event["ResponseURL"] = json!(receiver.url());
    event["ResourceProperties"]["EndpointId"] = json!(endpoint);
    eprintln!("invoking {} with {EVENT}", binary.display());
    api.invoke(event.to_string(), Duration::from_secs(60)).await;
    let response = receiver.response(Duration::from_secs(60)).await;

    eprintln!("\nthe handler's log:");
    for line in lambda.stop().await {
        eprintln!("  {line}");
    }
    println!("\nresponse PUT to the ResponseURL:");
    println!("{}", serde_json::to_string_pretty(&response).unwrap_or_default());
    if response["Status"] == "SUCCESS" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
