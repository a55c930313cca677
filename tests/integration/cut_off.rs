//! A Create cut off by its deadline while AWS was making something leaves
//! nothing behind once CloudFormation's rollback Delete has run, and a
//! call that makes something is never started without time to end.
//!
//! Each test runs on its own emulator, so "nothing left" is checked over
//! everything the handler can make. The SDK abandons an attempt after 3 s
//! here (30 s deployed); the slowed call acts at once and answers after a
//! minute, so every attempt of it is abandoned, as when AWS is slow or the
//! network drops answers.

use std::time::Duration;

use crate::common::*;
use serde_json::{Value, json};
use testkit::events::{event, unique, with};
use testkit::faithful::Faithful;
use testkit::moto::{self, Moto};

const ATTEMPT: Duration = Duration::from_secs(3);
const SLOW: Duration = Duration::from_secs(60);
/// Leaves 5 s of work time: the first attempt starts (5 s ≥ 3 s) and is
/// abandoned at 3 s; no second one fits.
const LAMBDA_TIME_LEFT: Duration = Duration::from_millis(12_500);

struct Rig {
    _moto: Moto,
    session: Session,
}

async fn rig(logical_id: &str) -> Rig {
    let moto = moto::dedicated();
    let aws = Faithful::start(&moto.endpoint).await;
    let session = Session::with_attempt_timeout(aws, ATTEMPT)
        .await
        .for_resource(logical_id);
    Rig { _moto: moto, session }
}

impl Rig {
    /// Creates with too little time for the slowed call, then deletes with
    /// the id the Create answered, as CloudFormation's rollback does.
    async fn cut_off_then_rolled_back(&self, kind: &str, props: Value) -> Value {
        let create = event("Create", kind, props.clone(), &self.session.receiver.url());
        let response = self.session.send_with(create, LAMBDA_TIME_LEFT).await;
        let reason = failed(&response);
        assert!(reason.starts_with("timed out"), "{reason}");
        let id = response["PhysicalResourceId"].as_str().expect("an id").to_owned();
        self.session.aws.clear_faults();
        succeeded(&self.session.delete(kind, &id, props).await);
        response
    }

    async fn leftovers(&self) -> Vec<String> {
        let config = moto::sdk_config(&self.session.aws.endpoint()).await;
        testkit::stack::leftovers(&config, &[])
            .await
            .expect("listing what is left")
    }
}

fn url_input() -> Value {
    json!({"Type": "URL_PULL", "PriUrl": "https://cdn.example.com/a/index.m3u8",
           "SecUrl": "https://cdn.example.com/b/index.m3u8"})
}

#[tokio::test]
async fn a_pull_input_made_as_time_ran_out_is_found_and_deleted() {
    let rig = rig("Input").await;
    rig.session.aws.slow_answers("medialive", "POST /prod/inputs", SLOW);
    let response = rig.cut_off_then_rolled_back("MediaLiveInput", url_input()).await;
    assert!(
        response["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("create-unconfirmed:"),
        "{response}"
    );
    // Its first attempt went out: the Reason says it may have acted, not
    // that it was never sent.
    let reason = response["Reason"].as_str().unwrap();
    assert!(
        reason.contains("CreateInput was sent but not answered in time, so it may have acted; it was not retried"),
        "{reason}"
    );
    assert!(rig.session.aws.count("medialive", "POST", "/prod/inputs") >= 1);
    assert_eq!(rig.leftovers().await, Vec::<String>::new());
}

#[tokio::test]
async fn a_push_input_made_as_time_ran_out_goes_before_its_security_group() {
    let rig = rig("Input").await;
    rig.session.aws.slow_answers("medialive", "POST /prod/inputs", SLOW);
    let props = json!({"Type": "RTP_PUSH", "Cidr": "203.0.113.0/24"});
    let response = rig.cut_off_then_rolled_back("MediaLiveInput", props).await;
    assert!(
        response["PhysicalResourceId"]
            .as_str()
            .unwrap()
            .starts_with("input-security-group:"),
        "the group is known: {response}"
    );
    assert_eq!(rig.leftovers().await, Vec::<String>::new());
}

#[tokio::test]
async fn a_medialive_channel_made_as_time_ran_out_is_found_and_deleted() {
    let rig = rig("Channel").await;
    let input = succeeded(
        &rig.session
            .for_resource("Input")
            .create("MediaLiveInput", url_input())
            .await,
    );
    rig.session.aws.slow_answers("medialive", "POST /prod/channels", SLOW);
    let props = json!({"Name": unique("cut-channel"), "InputId": input,
        "Role": "arn:aws:iam::123456789012:role/MediaLiveAccess", "EncodingProfile": "SD-540p",
        "MediaPackageChannelId": "live-mp", "Type": "URL_PULL"});
    rig.cut_off_then_rolled_back("MediaLiveChannel", props).await;
    succeeded(
        &rig.session
            .for_resource("Input")
            .delete("MediaLiveInput", &input, url_input())
            .await,
    );
    assert_eq!(rig.leftovers().await, Vec::<String>::new());
}

#[tokio::test]
async fn a_mediapackage_channel_made_as_time_ran_out_is_found_and_deleted() {
    let rig = rig("PackageChannel").await;
    rig.session.aws.slow_answers("mediapackage", "POST /channels", SLOW);
    // The look for a channel made by a lost attempt is slow as well.
    rig.session.aws.slow_answers("mediapackage", "GET /channels/", SLOW);
    rig.cut_off_then_rolled_back("MediaPackageChannel", json!({"ChannelId": unique("cut")}))
        .await;
    assert_eq!(rig.leftovers().await, Vec::<String>::new());
}

#[tokio::test]
async fn an_origin_endpoint_made_as_time_ran_out_is_found_and_deleted() {
    let rig = rig("Endpoint").await;
    let channel = unique("cut-ch");
    let channel_props = json!({"ChannelId": channel});
    let packaging = rig.session.for_resource("PackageChannel");
    succeeded(&packaging.create("MediaPackageChannel", channel_props.clone()).await);
    rig.session
        .aws
        .slow_answers("mediapackage", "POST /origin_endpoints", SLOW);
    rig.session
        .aws
        .slow_answers("mediapackage", "GET /origin_endpoints/", SLOW);
    let props = json!({"EndPoint": "HLS", "ChannelId": channel});
    rig.cut_off_then_rolled_back("MediaPackageEndPoint", props).await;
    // Checked before the channel goes, as deleting it deletes its endpoints.
    assert_eq!(rig.leftovers().await, vec![format!("MediaPackage channel {channel}")]);
    succeeded(&packaging.delete("MediaPackageChannel", &channel, channel_props).await);
    assert_eq!(rig.leftovers().await, Vec::<String>::new());
}

#[tokio::test]
async fn a_cdn_secret_made_as_time_ran_out_is_found_and_deleted() {
    let rig = rig("CdnSecret").await;
    rig.session.aws.slow_answers("secretsmanager", "CreateSecret", SLOW);
    rig.cut_off_then_rolled_back("MediaPackageCdnSecret", json!({"Name": unique("cut-secret")}))
        .await;
    assert_eq!(rig.leftovers().await, Vec::<String>::new());
}

#[tokio::test]
async fn with_too_little_time_no_create_is_sent_and_the_rollback_touches_nothing() {
    let rig = rig("Input").await;
    let props = json!({"Type": "RTMP_PULL", "PriUrl": "rtmp://origin-a.example.com/app/s",
        "SecUrl": "rtmp://origin-b.example.com/app/s", "PriUser": "enc", "PriPass": "pri-pass-value",
        "SecUser": "enc", "SecPass": "sec-pass-value"});
    let create = event("Create", "MediaLiveInput", props.clone(), &rig.session.receiver.url());
    // 9 s before the Lambda deadline leave 2.7 s of work: under one attempt.
    let response = rig.session.send_with(create, Duration::from_secs(9)).await;
    let reason = failed(&response);
    assert!(
        reason.starts_with("timed out: PutParameter was not sent:") && reason.contains("one attempt may take 3.0s"),
        "{reason}"
    );
    assert_eq!(rig.session.aws.calls(), vec![], "nothing reached AWS");
    let id = response["PhysicalResourceId"].as_str().unwrap();
    assert!(id.starts_with("create-failed:"), "the plain sentinel: {id}");
    let delete = with(
        event("Delete", "MediaLiveInput", props, &rig.session.receiver.url()),
        "PhysicalResourceId",
        id,
    );
    succeeded(&rig.session.send(delete).await);
    assert_eq!(rig.session.aws.calls(), vec![], "the sentinel's Delete touches nothing");
}
