//! `DemoPlayer` with the SDK's mock client, for what the emulator cannot
//! be made to do on cue: another event changing the foundation's events
//! folder between one writer's listing and its write.

use crate::common::*;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_s3::types::Object;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use serde_json::json;
use testkit::events::event;
use testkit::receiver::Receiver;

const EVENTS: &str = "player/events/";
const INDEX: &str = "player/events/index.json";

fn listing(keys: &[&str]) -> ListObjectsV2Output {
    ListObjectsV2Output::builder()
        .set_contents(Some(
            keys.iter().map(|key| Object::builder().key(*key).build()).collect(),
        ))
        .build()
}

/// A PutObject of the list naming exactly `events`.
fn list_written(events: &'static [&'static str]) -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_s3::Client::put_object)
        .match_requests(move |put| {
            let body = put
                .body()
                .bytes()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
            put.key() == Some(INDEX) && body == Some(json!({ "events": events }))
        })
        .then_output(|| PutObjectOutput::builder().build())
}

#[tokio::test]
async fn an_event_that_arrives_meanwhile_is_listed_by_a_second_write_one_listing_per_round() {
    // Nothing at the event's own folder yet (the ownership check).
    let own_folder = mock!(aws_sdk_s3::Client::list_objects_v2)
        .match_requests(|list| list.prefix() == Some("player/events/keynote/"))
        .then_output(|| listing(&[]));
    let config = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(|put| put.key() == Some("player/events/keynote/config.json"))
        .then_output(|| PutObjectOutput::builder().build());
    // Workshop's config lands between keynote's first listing and its
    // check; from then on the folder holds both.
    let events_folder = mock!(aws_sdk_s3::Client::list_objects_v2)
        .match_requests(|list| list.prefix() == Some(EVENTS))
        .sequence()
        .output(|| listing(&["player/events/keynote/config.json"]))
        .output(|| {
            listing(&[
                "player/events/keynote/config.json",
                "player/events/workshop/config.json",
            ])
        })
        .repeatedly()
        .build();
    let (keynote_only, both) = (list_written(&["keynote"]), list_written(&["keynote", "workshop"]));

    let receiver = Receiver::start().await;
    let (clients, _fake_aws) = recording_clients().await;
    let clients = livestream_resources::Clients {
        s3: mock_client!(
            aws_sdk_s3,
            RuleMode::MatchAny,
            [&own_folder, &config, &events_folder, &keynote_only, &both]
        ),
        ..clients
    };
    let app = app(clients, &receiver);
    let properties = json!({
        "Bucket": "demo-bucket",
        "Prefix": "player/events/keynote/",
        "Event": "Keynote",
        "HlsUrl": "https://d111111abcdef8.cloudfront.net/out/v1/live/keynote/ts/index.m3u8",
    });
    let response = answer(
        &app,
        &receiver,
        event("Create", "DemoPlayer", properties, &receiver.url()),
    )
    .await;

    assert_eq!(response["Status"], "SUCCESS", "{response}");
    assert_eq!(config.num_calls(), 1, "the event writes its config.json once");
    assert_eq!(keynote_only.num_calls(), 1, "the list as first seen");
    assert_eq!(both.num_calls(), 1, "written again once the folder changed");
    assert_eq!(
        events_folder.num_calls(),
        3,
        "one listing before the first write and one after each: a round's check is the next round's listing"
    );
}
