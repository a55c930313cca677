//! The custom-resource engine in-process: dispatch, validation, response
//! size, delivery retries, the URL allowlist, the deadline and panics.
//! AWS is either the SDK's mock client or a local endpoint that records
//! (or swallows) every call.

use std::time::Duration;

use crate::common::*;
use aws_sdk_mediapackage::operation::describe_origin_endpoint::{
    DescribeOriginEndpointError, DescribeOriginEndpointOutput,
};
use aws_sdk_mediapackage::types::error::NotFoundException;
use aws_smithy_mocks::{mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use livestream_resources::HandlerError;
use livestream_resources::cfn::response::is_sentinel;
use livestream_resources::cfn::sender::{DeliveryError, UrlRejected};
use serde_json::json;
use testkit::events::{event, with};
use testkit::receiver::{Answer, Receiver};
use tokio::time::Instant;

const LOOKUP: &str = "MediaPackageEndPointUrl";
const HLS_URL: &str = "https://abc.mediapackage.us-east-1.amazonaws.com/out/v1/f00/index.m3u8";

fn found(url: &'static str) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_mediapackage::Client::describe_origin_endpoint)
        .then_output(move || DescribeOriginEndpointOutput::builder().id("ep").url(url).build())
}

async fn lookup_app(rule: &aws_smithy_mocks::Rule, receiver: &Receiver) -> livestream_resources::App {
    let (clients, _fake_aws) = recording_clients().await;
    let clients = livestream_resources::Clients {
        mediapackage: mock_client!(aws_sdk_mediapackage, [rule]),
        ..clients
    };
    app(clients, receiver)
}

#[tokio::test]
async fn lookup_create_answers_with_url_data() {
    let receiver = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let response = answer(
        &app,
        &receiver,
        event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url()),
    )
    .await;
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert_eq!(response["PhysicalResourceId"], "ep");
    assert_eq!(response["Data"]["Url"], HLS_URL);
    assert_eq!(response["Data"]["Manifest"], "/f00/index.m3u8");
    assert_eq!(response["NoEcho"], false);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn the_put_has_an_empty_content_type_and_exact_length() {
    let receiver = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    answer(
        &app,
        &receiver,
        event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url()),
    )
    .await;
    let put = &receiver.requests()[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.header("content-type"), Some(""));
    assert_eq!(put.header("content-length"), Some(put.body.len().to_string().as_str()));
    assert!(
        put.target.contains("X-Amz-Signature="),
        "the query string is sent as given"
    );
}

#[tokio::test]
async fn update_looks_up_again_and_delete_makes_no_call() {
    let receiver = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let update = with(
        event("Update", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url()),
        "PhysicalResourceId",
        "ep",
    );
    let update = with(update, "OldResourceProperties", json!({"EndpointId": "ep"}));
    let response = answer(&app, &receiver, update).await;
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert_eq!(response["PhysicalResourceId"], "ep");
    assert_eq!(rule.num_calls(), 1);

    let receiver = Receiver::start().await;
    let app = lookup_app(&rule, &receiver).await;
    let delete = with(
        event("Delete", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url()),
        "PhysicalResourceId",
        "ep",
    );
    let response = answer(&app, &receiver, delete).await;
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(response["PhysicalResourceId"], "ep");
    assert_eq!(rule.num_calls(), 1, "Delete of a lookup calls nothing");
}

#[tokio::test]
async fn not_found_fails_create_with_the_aws_error_and_a_sentinel() {
    let receiver = Receiver::start().await;
    let rule = mock!(aws_sdk_mediapackage::Client::describe_origin_endpoint).then_error(|| {
        // As the SDK parses it from the wire: code and message in the metadata.
        let meta = ErrorMetadata::builder()
            .code("NotFoundException")
            .message("endpoint nope not found")
            .build();
        DescribeOriginEndpointError::NotFoundException(
            NotFoundException::builder()
                .message("endpoint nope not found")
                .meta(meta)
                .build(),
        )
    });
    let app = lookup_app(&rule, &receiver).await;
    let response = answer(
        &app,
        &receiver,
        event("Create", LOOKUP, json!({"EndpointId": "nope"}), &receiver.url()),
    )
    .await;
    assert_eq!(response["Status"], "FAILED");
    assert_eq!(
        reason(&response),
        "DescribeOriginEndpoint: NotFoundException: endpoint nope not found"
    );
    assert!(is_sentinel(response["PhysicalResourceId"].as_str().unwrap()));
}

#[tokio::test]
async fn unknown_kind_fails_create_and_update_listing_the_known_ones() {
    for request_type in ["Create", "Update"] {
        let receiver = Receiver::start().await;
        let (clients, fake_aws) = recording_clients().await;
        let app = app(clients, &receiver);
        let e = with(
            event(request_type, "MediaLiveTeleporter", json!({}), &receiver.url()),
            "PhysicalResourceId",
            "old-id",
        );
        let e = with(e, "OldResourceProperties", json!({}));
        let response = answer(&app, &receiver, e).await;
        assert_eq!(response["Status"], "FAILED");
        let known = livestream_resources::kinds::names().join(", ");
        assert_eq!(
            reason(&response),
            format!("unknown resource kind \"MediaLiveTeleporter\"; known kinds: {known}")
        );
        assert!(known.contains("MediaLiveInput") && known.contains("MediaPackageEndPointUrl"));
        if request_type == "Update" {
            assert_eq!(response["PhysicalResourceId"], "old-id", "a failed Update keeps the id");
        }
        assert!(fake_aws.requests().is_empty());
    }
}

#[tokio::test]
async fn unknown_kind_delete_succeeds_without_an_aws_call() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let e = with(
        event("Delete", "MediaLiveTeleporter", json!({}), &receiver.url()),
        "PhysicalResourceId",
        "x-1",
    );
    let response = answer(&app, &receiver, e).await;
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(response["PhysicalResourceId"], "x-1");
    assert!(fake_aws.requests().is_empty());
}

#[tokio::test]
async fn kind_may_come_from_the_resource_property() {
    let receiver = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let mut e = event(
        "Create",
        "AnythingElse",
        json!({"EndpointId": "ep", "Resource": LOOKUP}),
        &receiver.url(),
    );
    e["ResourceType"] = json!("AWS::CloudFormation::CustomResource");
    let response = answer(&app, &receiver, e).await;
    assert_eq!(response["Status"], "SUCCESS", "{response}");
}

#[tokio::test]
async fn unknown_property_is_named_with_a_suggestion_and_nothing_is_called() {
    let receiver = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let e = event(
        "Create",
        LOOKUP,
        json!({"EndpointId": "ep", "EndPointID": "typo"}),
        &receiver.url(),
    );
    let response = answer(&app, &receiver, e).await;
    assert_eq!(response["Status"], "FAILED");
    assert_eq!(
        reason(&response),
        "unknown property EndPointID (did you mean EndpointId?)"
    );
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn missing_required_property_fails_before_any_call() {
    let receiver = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let response = answer(&app, &receiver, event("Create", LOOKUP, json!({}), &receiver.url())).await;
    assert_eq!(reason(&response), "property EndpointId is required");
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn delete_after_a_failed_create_makes_no_call() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let create = answer(
        &app,
        &receiver,
        event("Create", LOOKUP, json!({"Bogus": 1}), &receiver.url()),
    )
    .await;
    let sentinel = create["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(is_sentinel(&sentinel));

    let receiver = Receiver::start().await;
    let app = crate::common::app(clients_at(&format!("http://{}", fake_aws.host())).await, &receiver);
    let delete = with(
        event("Delete", LOOKUP, json!({"Bogus": 1}), &receiver.url()),
        "PhysicalResourceId",
        sentinel.clone(),
    );
    let response = answer(&app, &receiver, delete).await;
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(response["PhysicalResourceId"], sentinel.as_str());
    assert!(fake_aws.requests().is_empty());
}

#[tokio::test]
async fn delete_with_an_id_cloudformation_invented_succeeds() {
    let receiver = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let invented = "live-test-Resource-1A2B3C4D5E6F";
    let e = with(
        event("Delete", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url()),
        "PhysicalResourceId",
        invented,
    );
    let response = answer(&app, &receiver, e).await;
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(response["PhysicalResourceId"], invented);
}

#[tokio::test]
async fn long_non_ascii_reason_keeps_the_body_within_4096_bytes() {
    let receiver = Receiver::start().await;
    let (clients, _) = recording_clients().await;
    let app = app(clients, &receiver);
    let kind = "Kanäle-日本語-".repeat(300);
    answer(&app, &receiver, event("Create", &kind, json!({}), &receiver.url())).await;
    let put = &receiver.requests()[0];
    assert!(put.body.len() <= 4096, "{} bytes", put.body.len());
    assert_eq!(put.header("content-length"), Some(put.body.len().to_string().as_str()));
    let response = put.json();
    assert_eq!(response["Status"], "FAILED");
    assert!(reason(&response).starts_with("unknown resource kind \"Kanäle-日本語-"));
    assert!(reason(&response).ends_with('…'));
}

#[tokio::test]
async fn oversized_data_fails_within_4096_bytes_and_keeps_the_id() {
    static LONG_URL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "https://h.mediapackage.us-east-1.amazonaws.com/out/v1/{}/index.m3u8",
            "a".repeat(3000)
        )
    });
    let receiver = Receiver::start().await;
    let rule = mock!(aws_sdk_mediapackage::Client::describe_origin_endpoint)
        .then_output(|| DescribeOriginEndpointOutput::builder().url(LONG_URL.as_str()).build());
    let app = lookup_app(&rule, &receiver).await;
    answer(
        &app,
        &receiver,
        event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url()),
    )
    .await;
    let put = &receiver.requests()[0];
    assert!(put.body.len() <= 4096, "{} bytes", put.body.len());
    let response = put.json();
    assert_eq!(response["Status"], "FAILED");
    assert_eq!(response["PhysicalResourceId"], "ep");
    assert!(
        reason(&response).contains("exceeds the 4096-byte response limit"),
        "{response}"
    );
}

#[tokio::test]
async fn a_500_is_retried_and_the_response_delivered_once() {
    let receiver = Receiver::start().await;
    receiver.script([Answer::Status(500), Answer::Status(503), Answer::Status(429)]);
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let e = event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url());
    app.handle(e, deadline_in(LAMBDA_TIME))
        .await
        .expect("delivered after retries");
    let puts = receiver.requests();
    assert_eq!(puts.len(), 4, "three refusals, then one success, nothing after");
    assert!(puts.iter().all(|put| put.body == puts[0].body));
    assert_eq!(rule.num_calls(), 1, "the work is not repeated for a retry");
}

#[tokio::test]
async fn a_403_is_final() {
    let receiver = Receiver::start().await;
    receiver.script([Answer::Status(403)]);
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let e = event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url());
    let result = app.handle(e, deadline_in(LAMBDA_TIME)).await;
    assert!(
        matches!(result, Err(HandlerError::NotDelivered(DeliveryError::Refused(status))) if status == 403),
        "{result:?}"
    );
    assert_eq!(receiver.requests().len(), 1, "no retry storm");
}

#[tokio::test]
async fn a_hanging_response_url_is_given_up_in_time() {
    let receiver = Receiver::start().await;
    receiver.script(std::iter::repeat_n(Answer::Hang, 100));
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let lambda_deadline = deadline_in(Duration::from_secs(9));
    let e = event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url());
    let result = app.handle(e, lambda_deadline).await;
    assert!(
        matches!(result, Err(HandlerError::NotDelivered(DeliveryError::OutOfTime { .. }))),
        "{result:?}"
    );
    // The last attempt is cut off at deliver_by (deadline - 5 s); returning
    // takes a moment more.
    let finished = Instant::now();
    assert!(
        finished + Duration::from_millis(4_750) <= lambda_deadline,
        "gave up by 5 s before the deadline"
    );
}

#[tokio::test]
async fn with_under_5_s_left_the_response_is_still_attempted_once() {
    let receiver = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let e = event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url());
    app.handle(e, deadline_in(Duration::from_secs(3)))
        .await
        .expect("delivered late rather than never");
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn a_url_outside_the_allowlist_is_never_contacted() {
    let receiver = Receiver::start().await;
    let elsewhere = Receiver::start().await;
    let rule = found(HLS_URL);
    let app = lookup_app(&rule, &receiver).await;
    let e = event("Create", LOOKUP, json!({"EndpointId": "ep"}), &elsewhere.url());
    let result = app.handle(e, deadline_in(LAMBDA_TIME)).await;
    assert!(
        matches!(result, Err(HandlerError::UrlRejected(UrlRejected::HostNotAllowed(_)))),
        "{result:?}"
    );
    assert!(elsewhere.requests().is_empty());
    assert_eq!(rule.num_calls(), 0, "no work without a way to answer");
}

#[tokio::test]
async fn an_event_without_response_url_fails_the_invocation() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let mut e = event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url());
    e.as_object_mut().unwrap().remove("ResponseURL");
    let result = app.handle(e, deadline_in(LAMBDA_TIME)).await;
    assert!(matches!(result, Err(HandlerError::NoResponseUrl)), "{result:?}");
    assert!(fake_aws.requests().is_empty());
}

#[tokio::test]
async fn a_malformed_event_with_a_response_url_is_answered_failed() {
    let receiver = Receiver::start().await;
    let (clients, _) = recording_clients().await;
    let app = app(clients, &receiver);
    let e = event("Explode", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url());
    let response = answer(&app, &receiver, e.clone()).await;
    assert_eq!(response["Status"], "FAILED");
    assert!(
        reason(&response).starts_with("malformed custom-resource event"),
        "{response}"
    );
    assert_eq!(response["RequestId"], e["RequestId"]);
    assert_eq!(response["LogicalResourceId"], "Resource");
}

#[tokio::test]
async fn a_hanging_aws_call_ends_in_failed_at_least_5_s_before_the_deadline() {
    let receiver = Receiver::start().await;
    let hang = testkit::blackhole::start().await;
    let app = app(clients_at(&format!("http://{hang}")).await, &receiver);
    let lambda_deadline = deadline_in(Duration::from_secs(12));
    let e = event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url());
    app.handle(e, lambda_deadline).await.expect("delivered");
    let arrived = Instant::now();
    let response = receiver.response(WAIT).await;
    assert_eq!(response["Status"], "FAILED");
    assert!(reason(&response).starts_with("timed out"), "{response}");
    assert!(arrived + Duration::from_secs(5) <= lambda_deadline);
}

#[tokio::test]
async fn service_timeout_brings_the_deadline_forward() {
    let receiver = Receiver::start().await;
    let hang = testkit::blackhole::start().await;
    let app = app(clients_at(&format!("http://{hang}")).await, &receiver);
    let started = Instant::now();
    // Sent as a number here; CloudFormation sends "9".
    let e = event(
        "Create",
        LOOKUP,
        json!({"EndpointId": "ep", "ServiceTimeout": 9}),
        &receiver.url(),
    );
    app.handle(e, deadline_in(LAMBDA_TIME)).await.expect("delivered");
    let response = receiver.response(WAIT).await;
    assert_eq!(response["Status"], "FAILED");
    assert!(
        started.elapsed() <= Duration::from_secs(4),
        "answered by receipt + 9 s - 5 s"
    );
}

#[tokio::test]
async fn a_panic_in_a_kind_still_ends_in_failed() {
    let receiver = Receiver::start().await;
    let rule = mock!(aws_sdk_mediapackage::Client::describe_origin_endpoint)
        .then_output(|| -> DescribeOriginEndpointOutput { panic!("mock exploded") });
    let app = lookup_app(&rule, &receiver).await;
    let response = answer(
        &app,
        &receiver,
        event("Create", LOOKUP, json!({"EndpointId": "ep"}), &receiver.url()),
    )
    .await;
    assert_eq!(response["Status"], "FAILED");
    assert_eq!(reason(&response), "internal error: the handler panicked: mock exploded");
}

#[tokio::test]
async fn response_urls_an_attacker_would_send_are_refused_and_never_contacted() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let long_path = "a".repeat(100_000);
    let attacks = [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_owned(),
        "https://169.254.169.254/latest/api/token".to_owned(),
        "http://[fd00:ec2::254]/latest/meta-data/".to_owned(),
        "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x".to_owned(),
        "https://s3.amazonaws.com.attacker.example/x".to_owned(),
        "https://attackeramazonaws.com/x".to_owned(),
        "https://user:pass@s3.amazonaws.com/x".to_owned(),
        "file:///etc/passwd".to_owned(),
        format!("https://attacker.example/{long_path}"),
        "not a url".to_owned(),
    ];
    for url in &attacks {
        let e = event("Create", LOOKUP, json!({"EndpointId": "ep"}), url);
        let result = app.handle(e, deadline_in(LAMBDA_TIME)).await;
        assert!(
            matches!(result, Err(HandlerError::UrlRejected(_))),
            "{url:.80}: {result:?}"
        );
    }
    assert!(receiver.requests().is_empty());
    assert!(fake_aws.requests().is_empty(), "no work without a safe way to answer");
}

#[tokio::test]
async fn a_several_megabyte_event_is_answered_within_the_body_limit() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let huge = "\"\\".repeat(2_500_000);
    let e = event(
        "Create",
        "MediaPackageChannel",
        json!({"ChannelId": huge}),
        &receiver.url(),
    );
    app.handle(e, deadline_in(LAMBDA_TIME)).await.expect("delivered");
    let put = receiver.wait_for(1, WAIT).await[0].clone();
    assert!(put.body.len() <= 4096, "{} bytes", put.body.len());
    let response = put.json();
    assert_eq!(response["Status"], "FAILED");
    assert!(
        reason(&response).starts_with("property ChannelId must be"),
        "{response}"
    );

    // Megabyte-long ids as well: cut to fit, quickly.
    let mut e = event(
        "Create",
        "MediaPackageChannel",
        json!({"ChannelId": "x y"}),
        &receiver.url(),
    );
    e["LogicalResourceId"] = json!("L".repeat(1_000_000));
    e["RequestId"] = json!("\"".repeat(1_000_000));
    app.handle(e, deadline_in(LAMBDA_TIME)).await.expect("delivered");
    let put = receiver.wait_for(2, WAIT).await[1].clone();
    assert!(put.body.len() <= 4096, "{} bytes", put.body.len());
    assert_eq!(put.json()["Status"], "FAILED");
    assert!(fake_aws.requests().is_empty());
}
