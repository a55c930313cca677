//! The compiled Lambda binary end to end: a local Lambda Runtime API hands
//! it events, the emulator stands in for AWS, a receiver takes the PUTs.

use std::path::Path;
use std::time::Duration;

use crate::common::WAIT;
use serde_json::{Value, json};
use testkit::events::{event, unique, with};
use testkit::lambda::LambdaProcess;
use testkit::moto::{moto, sdk_config};
use testkit::receiver::{Receiver, SIGNATURE};
use testkit::runtime_api::{Outcome, RuntimeApi};
use tokio::time::Instant;

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
const LOOKUP: &str = "MediaPackageEndPointUrl";

struct Rig {
    api: RuntimeApi,
    lambda: LambdaProcess,
    receiver: Receiver,
}

/// The binary with AWS at `aws_endpoint` and `receiver` allowed.
async fn start(aws_endpoint: &str) -> Rig {
    let api = RuntimeApi::start().await;
    let receiver = Receiver::start().await;
    let lambda = LambdaProcess::spawn(
        Path::new(BINARY),
        &api.address(),
        &[
            ("AWS_ENDPOINT_URL", aws_endpoint.to_owned()),
            ("RESPONSE_URL_ALLOWED_HOSTS", receiver.host()),
        ],
    );
    Rig { api, lambda, receiver }
}

async fn cmaf_endpoint() -> String {
    let mediapackage = aws_sdk_mediapackage::Client::new(&sdk_config(&moto().endpoint).await);
    testkit::fixtures::cmaf_endpoint(&mediapackage, &unique("channel")).await
}

fn log_lines(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("log line is not one JSON object: {line}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_update_delete_of_a_lookup_through_the_binary() {
    let endpoint = cmaf_endpoint().await;
    let rig = start(&moto().endpoint).await;

    let create = event("Create", LOOKUP, json!({"EndpointId": endpoint}), &rig.receiver.url());
    assert_eq!(
        rig.api.invoke(create.to_string(), Duration::from_secs(60)).await,
        Outcome::Response("null".into())
    );
    let response = rig.receiver.response(WAIT).await;
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert_eq!(response["PhysicalResourceId"], endpoint.as_str());
    let url = response["Data"]["Url"].as_str().expect("Url in Data");
    assert!(url.starts_with("https://") && url.contains(&endpoint), "{url}");
    assert_eq!(response["Data"]["DomainName"], url.split('/').nth(2).unwrap());

    let update = with(
        event("Update", LOOKUP, json!({"EndpointId": endpoint}), &rig.receiver.url()),
        "PhysicalResourceId",
        endpoint.clone(),
    );
    let update = with(update, "OldResourceProperties", json!({"EndpointId": endpoint}));
    rig.api.invoke(update.to_string(), Duration::from_secs(60)).await;
    let delete = with(
        event("Delete", LOOKUP, json!({"EndpointId": endpoint}), &rig.receiver.url()),
        "PhysicalResourceId",
        endpoint.clone(),
    );
    rig.api.invoke(delete.to_string(), Duration::from_secs(60)).await;

    let puts = rig.receiver.wait_for(3, WAIT).await;
    for put in &puts[1..] {
        let response = put.json();
        assert_eq!(response["Status"], "SUCCESS", "{response}");
        assert_eq!(response["PhysicalResourceId"], endpoint.as_str());
    }
    rig.lambda.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_aws_endpoint_ends_in_failed_before_the_deadline() {
    let hang = testkit::blackhole::start().await;
    let rig = start(&format!("http://{hang}")).await;
    let time_left = Duration::from_secs(14);
    let deadline = Instant::now() + time_left;
    let create = event("Create", LOOKUP, json!({"EndpointId": "anything"}), &rig.receiver.url());
    let outcome = rig.api.invoke(create.to_string(), time_left).await;
    assert_eq!(
        outcome,
        Outcome::Response("null".into()),
        "delivered, so the invocation succeeds"
    );
    let puts = rig.receiver.wait_for(1, WAIT).await;
    let arrived = Instant::now();
    assert!(
        arrived + Duration::from_secs(5) <= deadline,
        "delivered at least 5 s before the deadline"
    );
    let response = puts[0].json();
    assert_eq!(response["Status"], "FAILED");
    assert!(
        response["Reason"].as_str().unwrap().starts_with("timed out"),
        "{response}"
    );
    rig.lambda.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_are_json_lines_naming_the_request_and_hiding_secrets() {
    let rig = start(&moto().endpoint).await;
    let password = "hunter2-correct-horse-battery";
    let create = event(
        "Create",
        LOOKUP,
        json!({"EndpointId": "x", "PriPass": password, "CdnSecret": password}),
        &rig.receiver.url(),
    );
    let request_id = create["RequestId"].as_str().unwrap().to_owned();
    rig.api.invoke(create.to_string(), Duration::from_secs(60)).await;
    let response = rig.receiver.response(WAIT).await;
    assert_eq!(response["Status"], "FAILED");
    assert!(
        response["Reason"].as_str().unwrap().starts_with("unknown property"),
        "{response}"
    );

    let lines = rig.lambda.stop().await;
    assert!(!lines.is_empty(), "the binary logs something");
    for line in &lines {
        assert!(!line.contains(password), "a property value was logged: {line}");
        assert!(!line.contains(SIGNATURE), "the ResponseURL query was logged: {line}");
    }
    let about_request: Vec<Value> = log_lines(&lines)
        .into_iter()
        .filter(|l| l.get("RequestId").is_some())
        .collect();
    assert!(about_request.len() >= 2, "{lines:#?}");
    for line in &about_request {
        assert_eq!(line["RequestId"], request_id.as_str());
        assert_eq!(line["RequestType"], "Create");
        assert_eq!(line["ResourceType"], "Custom::MediaPackageEndPointUrl");
        assert_eq!(line["LogicalResourceId"], "Resource");
        assert_eq!(line["StackId"], testkit::events::STACK_ID);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cdn_secret_value_is_answered_with_no_echo_and_never_logged() {
    let rig = start(&moto().endpoint).await;
    let name = format!("MediaPackage/{}", unique("log-test"));
    let create = event(
        "Create",
        "MediaPackageCdnSecret",
        json!({"Name": name}),
        &rig.receiver.url(),
    );
    rig.api.invoke(create.to_string(), Duration::from_secs(60)).await;
    let response = rig.receiver.response(WAIT).await;
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert_eq!(response["NoEcho"], true);
    let value = response["Data"]["CdnIdentifier"].as_str().unwrap().to_owned();
    let arn = response["PhysicalResourceId"].as_str().unwrap().to_owned();

    let delete = with(
        event(
            "Delete",
            "MediaPackageCdnSecret",
            json!({"Name": name}),
            &rig.receiver.url(),
        ),
        "PhysicalResourceId",
        arn,
    );
    rig.api.invoke(delete.to_string(), Duration::from_secs(60)).await;
    assert_eq!(rig.receiver.wait_for(2, WAIT).await[1].json()["Status"], "SUCCESS");

    let lines = rig.lambda.stop().await;
    assert!(
        lines.iter().any(|line| line.contains("created CDN identifier secret")),
        "{lines:#?}"
    );
    for line in &lines {
        assert!(!line.contains(&value), "the CDN identifier was logged: {line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_passwords_are_stored_as_secure_strings_and_never_logged() {
    let rig = start(&moto().endpoint).await;
    let (primary, secondary) = ("pri-pw-Zq8vX1", "sec-pw-Yt7uW2");
    let props = json!({"Type": "RTMP_PULL", "PriUrl": "rtmp://a.example.com/app/s", "SecUrl": "rtmp://b.example.com/app/s",
                       "PriUser": "enc", "PriPass": primary, "SecUser": "enc", "SecPass": secondary});
    let mut create = event("Create", "MediaLiveInput", props.clone(), &rig.receiver.url());
    create["LogicalResourceId"] = json!("PullInput");
    rig.api.invoke(create.to_string(), Duration::from_secs(60)).await;
    let response = rig.receiver.response(WAIT).await;
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert!(!response.to_string().contains(primary), "no password in the response");
    let ssm = aws_sdk_ssm::Client::new(&sdk_config(&moto().endpoint).await);
    let stored = ssm
        .get_parameter()
        .name("/live-test/PullInput/primary")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.parameter().unwrap().r#type().unwrap().as_str(), "SecureString");

    let id = response["PhysicalResourceId"].as_str().unwrap().to_owned();
    let mut delete = with(
        event("Delete", "MediaLiveInput", props, &rig.receiver.url()),
        "PhysicalResourceId",
        id,
    );
    delete["LogicalResourceId"] = json!("PullInput");
    rig.api.invoke(delete.to_string(), Duration::from_secs(60)).await;
    assert_eq!(rig.receiver.wait_for(2, WAIT).await[1].json()["Status"], "SUCCESS");
    assert!(
        ssm.get_parameter()
            .name("/live-test/PullInput/primary")
            .send()
            .await
            .is_err(),
        "parameter deleted"
    );

    let lines = rig.lambda.stop().await;
    assert!(
        lines
            .iter()
            .any(|line| line.contains("stored pull password as SecureString")),
        "{lines:#?}"
    );
    for line in &lines {
        assert!(
            !line.contains(primary) && !line.contains(secondary),
            "a password was logged: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unusable_events_fail_the_invocation_and_contact_nobody() {
    let rig = start(&moto().endpoint).await;
    let outcome = rig.api.invoke("this is not JSON", Duration::from_secs(60)).await;
    assert!(matches!(outcome, Outcome::Error(_)), "{outcome:?}");

    let mut no_url = event("Create", LOOKUP, json!({"EndpointId": "x"}), "");
    no_url.as_object_mut().unwrap().remove("ResponseURL");
    let outcome = rig.api.invoke(no_url.to_string(), Duration::from_secs(60)).await;
    assert!(
        matches!(&outcome, Outcome::Error(body) if body.contains("NoResponseUrl")),
        "{outcome:?}"
    );

    let stranger = Receiver::start().await;
    let elsewhere = event("Create", LOOKUP, json!({"EndpointId": "x"}), &stranger.url());
    let outcome = rig.api.invoke(elsewhere.to_string(), Duration::from_secs(60)).await;
    assert!(
        matches!(&outcome, Outcome::Error(body) if body.contains("ResponseUrlRejected")),
        "{outcome:?}"
    );
    assert!(
        stranger.requests().is_empty(),
        "a URL outside the allowlist is never contacted"
    );
    assert!(rig.receiver.requests().is_empty());

    let lines = rig.lambda.stop().await;
    log_lines(&lines);
    assert!(lines.iter().any(|l| l.contains("ResponseURL refused")), "{lines:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_aws_error_stays_bounded_in_the_response_and_the_log() {
    // An AWS answer of about a megabyte, full of characters JSON escapes.
    let message = "\"quoted\\ \u{1}".repeat(100_000);
    let body: std::sync::Arc<str> = json!({"__type": "BadRequestException", "message": message})
        .to_string()
        .into();
    let fake_aws = Receiver::start().await;
    fake_aws.script(std::iter::repeat_n(testkit::receiver::Answer::Json(400, body), 10));
    let rig = start(&format!("http://{}", fake_aws.host())).await;

    let create = event("Create", LOOKUP, json!({"EndpointId": "x"}), &rig.receiver.url());
    rig.api.invoke(create.to_string(), Duration::from_secs(60)).await;
    let puts = rig.receiver.wait_for(1, WAIT).await;
    assert!(puts[0].body.len() <= 4096, "{} bytes", puts[0].body.len());
    let response = puts[0].json();
    assert_eq!(response["Status"], "FAILED");
    let reason = response["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with("DescribeOriginEndpoint: BadRequestException: \"quoted") && reason.len() > 1000,
        "the Reason keeps what fits: {reason}"
    );

    let lines = rig.lambda.stop().await;
    let longest = lines.iter().map(String::len).max().unwrap_or_default();
    assert!(longest <= 16 * 1024, "a log line of {longest} bytes");
    assert!(
        lines.iter().any(|line| line.contains("bytes in all")),
        "cut lines say so"
    );
}
