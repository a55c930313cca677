//! MediaPackage and Secrets Manager behaviour the emulator cannot show,
//! with the SDK's mock client: not-found, throttling, conflicts, paging.

use crate::common::*;
use aws_sdk_mediapackage::operation::create_channel::{CreateChannelError, CreateChannelOutput};
use aws_sdk_mediapackage::operation::delete_channel::{DeleteChannelError, DeleteChannelOutput};
use aws_sdk_mediapackage::operation::delete_origin_endpoint::{DeleteOriginEndpointError, DeleteOriginEndpointOutput};
use aws_sdk_mediapackage::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_mediapackage::operation::describe_origin_endpoint::DescribeOriginEndpointOutput;
use aws_sdk_mediapackage::operation::list_origin_endpoints::ListOriginEndpointsOutput;
use aws_sdk_mediapackage::operation::update_origin_endpoint::UpdateOriginEndpointError;
use aws_sdk_mediapackage::types::OriginEndpoint;
use aws_sdk_mediapackage::types::error::{NotFoundException, TooManyRequestsException, UnprocessableEntityException};
use aws_sdk_secretsmanager::operation::delete_secret::DeleteSecretError;
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use aws_sdk_secretsmanager::types::error::ResourceNotFoundException;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use livestream_resources::{App, Clients};
use serde_json::json;
use testkit::events::{event, with};
use testkit::receiver::Receiver;

/// Error metadata as the SDK parses it off the wire.
fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn mediapackage(rules: &[&Rule]) -> aws_sdk_mediapackage::Client {
    mock_client!(aws_sdk_mediapackage, RuleMode::MatchAny, rules, |config| config
        .retry_config(livestream_resources::aws::retry_config()))
}

async fn app_with(
    receiver: &Receiver,
    mediapackage: aws_sdk_mediapackage::Client,
    secrets: Option<aws_sdk_secretsmanager::Client>,
) -> App {
    let (clients, _) = recording_clients().await;
    let clients = Clients {
        mediapackage,
        secretsmanager: secrets.unwrap_or(clients.secretsmanager.clone()),
        ..clients
    };
    app(clients, receiver)
}

/// The tags this handler puts on what the test events' resource makes.
fn our_tags() -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([
        (
            livestream_resources::ownership::STACK_ID_TAG.to_owned(),
            testkit::events::STACK_ID.to_owned(),
        ),
        (
            livestream_resources::ownership::LOGICAL_ID_TAG.to_owned(),
            "Resource".to_owned(),
        ),
    ])
}

fn our_channel() -> Rule {
    mock!(aws_sdk_mediapackage::Client::describe_channel).then_output(|| {
        DescribeChannelOutput::builder()
            .id("live")
            .set_tags(Some(our_tags()))
            .build()
    })
}

fn delete_event(kind: &str, id: &str, props: serde_json::Value, receiver: &Receiver) -> serde_json::Value {
    with(event("Delete", kind, props, &receiver.url()), "PhysicalResourceId", id)
}

#[tokio::test]
async fn not_found_on_delete_is_success_for_every_kind() {
    let empty = mock!(aws_sdk_mediapackage::Client::list_origin_endpoints)
        .then_output(|| ListOriginEndpointsOutput::builder().build());
    let channel_gone = mock!(aws_sdk_mediapackage::Client::delete_channel).then_error(|| {
        DeleteChannelError::NotFoundException(
            NotFoundException::builder()
                .meta(meta("NotFoundException", "gone"))
                .build(),
        )
    });
    let endpoint_gone = mock!(aws_sdk_mediapackage::Client::delete_origin_endpoint).then_error(|| {
        DeleteOriginEndpointError::NotFoundException(
            NotFoundException::builder()
                .meta(meta("NotFoundException", "gone"))
                .build(),
        )
    });
    let secret_gone = mock!(aws_sdk_secretsmanager::Client::delete_secret).then_error(|| {
        DeleteSecretError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .meta(meta("ResourceNotFoundException", "gone"))
                .build(),
        )
    });
    // Each was ours a moment ago (the Delete checks its tags first) and is
    // gone by the time the delete call lands.
    let channel = our_channel();
    let endpoint = mock!(aws_sdk_mediapackage::Client::describe_origin_endpoint).then_output(|| {
        DescribeOriginEndpointOutput::builder()
            .id("live-hls")
            .set_tags(Some(our_tags()))
            .build()
    });
    let secret = mock!(aws_sdk_secretsmanager::Client::describe_secret).then_output(|| {
        let tags = our_tags().into_iter().map(|(key, value)| {
            aws_sdk_secretsmanager::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        });
        DescribeSecretOutput::builder().set_tags(Some(tags.collect())).build()
    });
    let receiver = Receiver::start().await;
    let secrets = mock_client!(aws_sdk_secretsmanager, [&secret, &secret_gone]);
    let app = app_with(
        &receiver,
        mediapackage(&[&empty, &channel, &endpoint, &channel_gone, &endpoint_gone]),
        Some(secrets),
    )
    .await;

    let cases = [
        ("MediaPackageChannel", "live", json!({"ChannelId": "live"})),
        (
            "MediaPackageEndPoint",
            "live-hls",
            json!({"EndPoint": "HLS", "ChannelId": "live"}),
        ),
        (
            "MediaPackageCdnSecret",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbC",
            json!({}),
        ),
    ];
    for (kind, id, props) in cases {
        let response = answer_next(&app, &receiver, delete_event(kind, id, props, &receiver)).await;
        assert_eq!(response["Status"], "SUCCESS", "{kind}: {response}");
        assert_eq!(response["PhysicalResourceId"], id);
    }
    assert_eq!(
        (
            channel_gone.num_calls(),
            endpoint_gone.num_calls(),
            secret_gone.num_calls()
        ),
        (1, 1, 1)
    );
}

/// Handles `event` and returns the response it produced (the receiver may
/// hold earlier ones).
async fn answer_next(app: &App, receiver: &Receiver, event: serde_json::Value) -> serde_json::Value {
    let before = receiver.requests().len();
    app.handle(event, deadline_in(LAMBDA_TIME)).await.expect("delivered");
    receiver.wait_for(before + 1, WAIT).await[before].json()
}

#[tokio::test]
async fn throttling_is_retried() {
    let throttled_then_created = mock!(aws_sdk_mediapackage::Client::create_channel)
        .sequence()
        .error(|| {
            CreateChannelError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .meta(meta("TooManyRequestsException", "slow down"))
                    .build(),
            )
        })
        .times(2)
        .output(|| {
            CreateChannelOutput::builder()
                .id("live")
                .arn("arn:aws:mediapackage:us-east-1:1:channels/x")
                .build()
        })
        .build();
    let receiver = Receiver::start().await;
    let app = app_with(&receiver, mediapackage(&[&throttled_then_created]), None).await;
    let response = answer(
        &app,
        &receiver,
        event(
            "Create",
            "MediaPackageChannel",
            json!({"ChannelId": "live"}),
            &receiver.url(),
        ),
    )
    .await;
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert_eq!(
        throttled_then_created.num_calls(),
        3,
        "two throttled attempts, then the channel"
    );
}

#[tokio::test]
async fn a_conflict_fails_with_the_aws_message_and_keeps_the_id() {
    let busy = mock!(aws_sdk_mediapackage::Client::update_origin_endpoint).then_error(|| {
        UpdateOriginEndpointError::UnprocessableEntityException(
            UnprocessableEntityException::builder()
                .meta(meta(
                    "UnprocessableEntityException",
                    "endpoint live-hls is being updated",
                ))
                .build(),
        )
    });
    let receiver = Receiver::start().await;
    let app = app_with(&receiver, mediapackage(&[&busy]), None).await;
    let props = json!({"EndPoint": "HLS", "ChannelId": "live"});
    let update = with(
        event("Update", "MediaPackageEndPoint", props.clone(), &receiver.url()),
        "PhysicalResourceId",
        "live-hls",
    );
    let response = answer(&app, &receiver, with(update, "OldResourceProperties", props)).await;
    assert_eq!(response["Status"], "FAILED");
    assert_eq!(
        reason(&response),
        "UpdateOriginEndpoint: UnprocessableEntityException: endpoint live-hls is being updated"
    );
    assert_eq!(response["PhysicalResourceId"], "live-hls");
}

fn endpoint(id: &str, channel: &str) -> OriginEndpoint {
    OriginEndpoint::builder().id(id).channel_id(channel).build()
}

#[tokio::test]
async fn channel_delete_follows_every_page_and_checks_each_endpoints_channel() {
    let first_page = mock!(aws_sdk_mediapackage::Client::list_origin_endpoints)
        .match_requests(|request| request.next_token().is_none())
        .then_output(|| {
            ListOriginEndpointsOutput::builder()
                .origin_endpoints(endpoint("live-hls", "live"))
                .origin_endpoints(endpoint("live-dash", "live"))
                .next_token("page-2")
                .build()
        });
    // The service filters by channel; the handler does not rely on it.
    let second_page = mock!(aws_sdk_mediapackage::Client::list_origin_endpoints)
        .match_requests(|request| request.next_token() == Some("page-2"))
        .then_output(|| {
            ListOriginEndpointsOutput::builder()
                .origin_endpoints(endpoint("live-cmaf", "live"))
                .origin_endpoints(endpoint("stranger-hls", "stranger"))
                .build()
        });
    let delete_ours = mock!(aws_sdk_mediapackage::Client::delete_origin_endpoint)
        .match_requests(|request| request.id().is_some_and(|id| id.starts_with("live-")))
        .then_output(|| DeleteOriginEndpointOutput::builder().build());
    let delete_stranger = mock!(aws_sdk_mediapackage::Client::delete_origin_endpoint)
        .match_requests(|request| request.id() == Some("stranger-hls"))
        .then_output(|| DeleteOriginEndpointOutput::builder().build());
    let delete_channel = mock!(aws_sdk_mediapackage::Client::delete_channel)
        .match_requests(|request| request.id() == Some("live"))
        .then_output(|| DeleteChannelOutput::builder().build());
    let channel = our_channel();
    let receiver = Receiver::start().await;
    let rules = [
        &channel,
        &first_page,
        &second_page,
        &delete_ours,
        &delete_stranger,
        &delete_channel,
    ];
    let app = app_with(&receiver, mediapackage(&rules), None).await;
    let response = answer(
        &app,
        &receiver,
        delete_event("MediaPackageChannel", "live", json!({"ChannelId": "live"}), &receiver),
    )
    .await;
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert_eq!((first_page.num_calls(), second_page.num_calls()), (1, 1));
    assert_eq!(delete_ours.num_calls(), 3);
    assert_eq!(delete_stranger.num_calls(), 0);
    assert_eq!(delete_channel.num_calls(), 1);
}
