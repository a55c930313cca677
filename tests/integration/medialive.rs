//! MediaLive kinds against the emulator behind the faithful layer, which
//! adds what moto lacks: security groups, not-found, conflicts, and state
//! changes that take several describes.

use std::time::Duration;

use crate::common::*;
use aws_sdk_medialive::types::{ChannelState, InputSourceEndBehavior};
use serde_json::{Value, json};
use testkit::events::{STACK_ID, event, unique};
use testkit::faithful::Faithful;
use tokio::time::Instant;

const INPUT: &str = "MediaLiveInput";
const CHANNEL: &str = "MediaLiveChannel";
const START: &str = "MediaLiveChannelStart";
const ROLE: &str = "arn:aws:iam::123456789012:role/MediaLiveAccess";

async fn channel_state(session: &Session, id: &str) -> Option<ChannelState> {
    let described = session.clients.medialive.describe_channel().channel_id(id).send().await;
    match described {
        Ok(channel) => channel.state().cloned(),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => None,
        Err(err) => panic!("describing channel {id}: {err:?}"),
    }
}

/// The channel as MediaLive describes it.
async fn stored_channel(
    session: &Session,
    id: &str,
) -> aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput {
    session
        .clients
        .medialive
        .describe_channel()
        .channel_id(id)
        .send()
        .await
        .unwrap()
}

/// Deleted: DELETING, DELETED, or no longer found.
async fn input_gone(session: &Session, id: &str) -> bool {
    let described = session.clients.medialive.describe_input().input_id(id).send().await;
    match described {
        Ok(input) => input
            .state()
            .is_some_and(|s| matches!(s.as_str(), "DELETING" | "DELETED")),
        Err(err) => err.as_service_error().is_some_and(|e| e.is_not_found_exception()),
    }
}

async fn group_exists(session: &Session, id: &str) -> bool {
    let described = session
        .clients
        .medialive
        .describe_input_security_group()
        .input_security_group_id(id)
        .send()
        .await;
    match described {
        Ok(_) => true,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => false,
        Err(err) => panic!("describing group {id}: {err:?}"),
    }
}

async fn stored_input(
    session: &Session,
    id: &str,
) -> aws_sdk_medialive::operation::describe_input::DescribeInputOutput {
    session
        .clients
        .medialive
        .describe_input()
        .input_id(id)
        .send()
        .await
        .unwrap()
}

async fn group_cidrs(session: &Session, id: &str) -> Vec<String> {
    let described = session
        .clients
        .medialive
        .describe_input_security_group()
        .input_security_group_id(id)
        .send()
        .await
        .unwrap();
    described
        .whitelist_rules()
        .iter()
        .filter_map(|r| r.cidr().map(str::to_owned))
        .collect()
}

async fn parameter(session: &Session, name: &str) -> Option<(String, String)> {
    let found = session
        .clients
        .ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .ok()?;
    let parameter = found.parameter()?;
    Some((parameter.r#type()?.as_str().to_owned(), parameter.value()?.to_owned()))
}

/// Properties of a valid input of each type.
fn input_props(input_type: &str) -> Value {
    match input_type {
        "RTP_PUSH" | "UDP_PUSH" => json!({"Type": input_type, "Cidr": "203.0.113.0/24, 198.51.100.7/32"}),
        "RTMP_PUSH" => json!({"Type": input_type, "Cidr": "0.0.0.0/0", "StreamName": "show"}),
        "RTMP_PULL" => {
            json!({"Type": input_type, "PriUrl": "rtmp://origin-a.example.com/app/stream", "SecUrl": "rtmp://origin-b.example.com/app/stream",
                              "PriUser": "encoder", "PriPass": "pri-pass-value-1", "SecUser": "encoder", "SecPass": "sec-pass-value-2"})
        }
        "URL_PULL" => {
            json!({"Type": input_type, "PriUrl": "https://cdn.example.com/a/index.m3u8", "SecUrl": "https://cdn.example.com/b/index.m3u8"})
        }
        "MP4_FILE" => {
            json!({"Type": input_type, "PriUrl": "s3ssl://media-bucket/loop.mp4", "SecUrl": "s3ssl://media-bucket/loop.mp4"})
        }
        "TS_FILE" => {
            json!({"Type": input_type, "PriUrl": "https://files.example.com/a.ts", "SecUrl": "https://files.example.com/b.ts"})
        }
        "MEDIACONNECT" => json!({"Type": input_type, "RoleArn": ROLE,
            "PriMediaConnectArn": "arn:aws:mediaconnect:us-east-1:123456789012:flow:1-AbCd:live-a",
            "SecMediaConnectArn": "arn:aws:mediaconnect:us-east-1:123456789012:flow:1-EfGh:live-b"}),
        _ => json!({"Type": input_type, "PriDeviceId": "hd-0123456789abcdef", "SecDeviceId": "hd-fedcba9876543210"}),
    }
}

#[tokio::test]
async fn every_input_type_through_create_update_delete() {
    for input_type in [
        "RTP_PUSH",
        "RTMP_PUSH",
        "UDP_PUSH",
        "RTMP_PULL",
        "URL_PULL",
        "MP4_FILE",
        "TS_FILE",
        "MEDIACONNECT",
        "INPUT_DEVICE",
    ] {
        let session = Session::emulated()
            .await
            .for_resource(&unique("Input").replace('-', ""));
        let props = input_props(input_type);
        let created = session.create(INPUT, props.clone()).await;
        let id = succeeded(&created);
        let data = &created["Data"];
        assert_eq!(data["Id"], id.as_str(), "{input_type}");
        assert!(data["Arn"].as_str().unwrap().contains(&id));
        let stored = stored_input(&session, &id).await;
        assert_eq!(stored.r#type().map(|t| t.as_str()), Some(input_type));
        assert_eq!(
            stored.name(),
            Some(format!("live-test-{}", session.logical_id).as_str()),
            "default name"
        );
        assert_eq!(stored.tags().unwrap()["livestream:stack-id"], STACK_ID);

        let push = input_type.ends_with("_PUSH");
        let group = data["SecurityGroupId"].as_str().unwrap().to_owned();
        assert_eq!(
            !group.is_empty(),
            push,
            "{input_type}: a security group exactly for push inputs"
        );
        if push {
            assert_eq!(stored.security_groups(), std::slice::from_ref(&group));
            let cidrs = group_cidrs(&session, &group).await;
            assert_eq!(cidrs.len(), props["Cidr"].as_str().unwrap().split(',').count());
            assert!(data["EndPoint1"].as_str().unwrap().contains("://"), "{data}");
            assert!(data["EndPoint2"].as_str().unwrap().contains("://"));
        } else {
            assert_eq!(
                (data["EndPoint1"].as_str(), data["EndPoint2"].as_str()),
                (Some(""), Some(""))
            );
        }
        if input_type == "RTMP_PUSH" {
            assert_eq!(data["EndPoint1"], "rtmp://198.51.100.10:1935/show/primary");
            assert_eq!(data["EndPoint2"], "rtmp://198.51.100.11:1935/show/secondary");
        }
        let primary = format!("/live-test/{}/primary", session.logical_id);
        let secondary = format!("/live-test/{}/secondary", session.logical_id);
        match input_type {
            "RTMP_PULL" => {
                let sources = stored.sources();
                assert_eq!(sources.len(), 2);
                assert_eq!(sources[0].password_param(), Some(primary.as_str()));
                assert_eq!(sources[1].password_param(), Some(secondary.as_str()));
                assert_eq!(sources[0].username(), Some("encoder"));
                assert_eq!(
                    parameter(&session, &primary).await,
                    Some(("SecureString".into(), "pri-pass-value-1".into()))
                );
                assert_eq!(
                    parameter(&session, &secondary).await,
                    Some(("SecureString".into(), "sec-pass-value-2".into()))
                );
            }
            "URL_PULL" | "MP4_FILE" | "TS_FILE" => {
                let urls: Vec<&str> = stored.sources().iter().filter_map(|s| s.url()).collect();
                assert_eq!(
                    urls,
                    [props["PriUrl"].as_str().unwrap(), props["SecUrl"].as_str().unwrap()]
                );
            }
            "MEDIACONNECT" => {
                assert_eq!(stored.media_connect_flows().len(), 2);
                assert_eq!(stored.role_arn(), Some(ROLE));
            }
            "INPUT_DEVICE" => assert_eq!(stored.input_devices().len(), 2),
            _ => {}
        }

        // In place: the CIDRs of a push input, the URLs of a pull input.
        let mut changed = props.clone();
        if push {
            changed["Cidr"] = json!("192.0.2.0/24");
        } else if props.get("PriUrl").is_some() {
            let url = props["PriUrl"].as_str().unwrap().replace("a", "c");
            changed["PriUrl"] = json!(url);
        }
        let updated = session.update(INPUT, &id, props.clone(), changed.clone()).await;
        assert_eq!(succeeded(&updated), id, "{input_type}: in place");
        if push {
            let cidrs = group_cidrs(&session, &group).await;
            assert_eq!(cidrs, ["192.0.2.0/24"]);
        } else if let Some(url) = changed.get("PriUrl") {
            let stored = stored_input(&session, &id).await;
            assert_eq!(stored.sources()[0].url(), url.as_str());
        }

        succeeded(&session.delete(INPUT, &id, changed).await);
        assert!(input_gone(&session, &id).await, "{input_type}: input deleted");
        if push {
            assert!(
                !group_exists(&session, &group).await,
                "{input_type}: its security group deleted"
            );
        }
        assert_eq!(
            parameter(&session, &primary).await,
            None,
            "{input_type}: parameters deleted"
        );
        assert_eq!(parameter(&session, &secondary).await, None);
    }
}

#[tokio::test]
async fn a_single_pipeline_input_has_one_source_and_a_type_change_replaces_it() {
    let session = Session::emulated().await.for_resource("SingleInput");
    let props =
        json!({"Type": "URL_PULL", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "https://cdn.example.com/index.m3u8"});
    let id = succeeded(&session.create(INPUT, props.clone()).await);
    let stored = stored_input(&session, &id).await;
    assert_eq!(stored.sources().len(), 1);

    let push = json!({"Type": "RTMP_PUSH", "ChannelClass": "SINGLE_PIPELINE", "Cidr": "0.0.0.0/0"});
    let replaced = session.update(INPUT, &id, props.clone(), push.clone()).await;
    let new_id = succeeded(&replaced);
    assert_ne!(new_id, id, "a new Type is a new input");
    assert_eq!(replaced["Data"]["EndPoint1"], "rtmp://198.51.100.10:1935/live/primary");
    assert_eq!(replaced["Data"]["EndPoint2"], "", "one destination for SINGLE_PIPELINE");
    succeeded(&session.delete(INPUT, &id, props).await);
    succeeded(&session.delete(INPUT, &new_id, push).await);
}

#[tokio::test]
async fn a_security_group_whose_answer_was_lost_is_made_once() {
    let session = Session::emulated().await.for_resource("LostGroupAnswer");
    // MediaLive makes the group, the answer is lost; CreateInputSecurityGroup
    // has no idempotency token, so a blind retry would make a second one.
    session.aws.lose_answer(
        "medialive",
        "POST /prod/inputSecurityGroups",
        0,
        503,
        "ServiceUnavailableException",
    );
    let props = input_props("RTMP_PUSH");
    let created = session.create(INPUT, props.clone()).await;
    let id = succeeded(&created);
    let group = created["Data"]["SecurityGroupId"].as_str().unwrap().to_owned();
    assert_eq!(
        session.aws.count("medialive", "POST", "/prod/inputSecurityGroups"),
        1,
        "not created a second time"
    );
    assert!(group_exists(&session, &group).await);
    succeeded(&session.delete(INPUT, &id, props).await);
    assert!(
        !group_exists(&session, &group).await,
        "the one group goes with the input"
    );
}

#[tokio::test]
async fn a_failed_second_password_leaves_no_parameter_behind() {
    let session = Session::emulated().await.for_resource("HalfStoredPasswords");
    // The first PutParameter goes through, the second is refused.
    session
        .aws
        .fail("ssm", "PutParameter", 1, 400, "ParameterLimitExceeded");
    let created = session.create(INPUT, input_props("RTMP_PULL")).await;
    assert!(failed(&created).contains("ParameterLimitExceeded"), "{created}");
    // CloudFormation's rollback: a Delete of whatever id the Create answered.
    let id = created["PhysicalResourceId"].as_str().unwrap().to_owned();
    succeeded(&session.delete(INPUT, &id, input_props("RTMP_PULL")).await);
    for pipeline in ["primary", "secondary"] {
        let name = format!("/live-test/HalfStoredPasswords/{pipeline}");
        assert_eq!(parameter(&session, &name).await, None, "{name} was left behind");
    }
}

#[tokio::test]
async fn a_password_refused_by_iam_while_a_new_grant_applies_is_stored_once_it_does() {
    let session = Session::emulated().await.for_resource("GrantJustMade");
    // IAM applies an event's new grant a little late: its first two tries
    // are refused as AWS refuses them.
    session.aws.fail("ssm", "PutParameter", 0, 400, "AccessDeniedException");
    session.aws.fail("ssm", "PutParameter", 0, 400, "AccessDeniedException");
    let id = succeeded(&session.create(INPUT, input_props("RTMP_PULL")).await);
    for pipeline in ["primary", "secondary"] {
        let name = format!("/live-test/GrantJustMade/{pipeline}");
        assert!(parameter(&session, &name).await.is_some(), "{name} is stored");
    }
    succeeded(&session.delete(INPUT, &id, input_props("RTMP_PULL")).await);
}

#[tokio::test]
async fn a_failed_replacement_deletes_the_input_it_made() {
    let session = Session::emulated().await.for_resource("FailedReplacement");
    let props = input_props("URL_PULL");
    let id = succeeded(&session.create(INPUT, props.clone()).await);
    let listed = |session: &Session| {
        let session = session.clone();
        async move {
            let inputs = session
                .clients
                .medialive
                .list_inputs()
                .send()
                .await
                .expect("listing inputs");
            inputs
                .inputs()
                .iter()
                .filter(|i| !matches!(i.state().map(|s| s.as_str()), Some("DELETING" | "DELETED")))
                .filter_map(|i| i.id().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    let before = listed(&session).await;

    // A new Type needs a new input; it is made, then the first look at it
    // fails, so the Update fails after the new input exists.
    session
        .aws
        .fail("medialive", "GET /prod/inputs/", 0, 400, "BadRequestException");
    let file = input_props("MP4_FILE");
    let updated = session.update(INPUT, &id, props.clone(), file).await;
    assert!(failed(&updated).contains("BadRequestException"), "{updated}");
    assert_eq!(
        updated["PhysicalResourceId"],
        id.as_str(),
        "a failed Update keeps the old id"
    );
    let mut after = listed(&session).await;
    after.retain(|input| !before.contains(input));
    assert!(after.is_empty(), "the replacement was left behind: {after:?}");
    assert_eq!(
        session.aws.count("medialive", "DELETE", "/prod/inputs/"),
        1,
        "the new input, not the old one, was deleted"
    );
    assert!(!input_gone(&session, &id).await, "the old input is untouched");
    succeeded(&session.delete(INPUT, &id, props).await);
}

async fn url_input(session: &Session) -> String {
    let props = input_props("URL_PULL");
    succeeded(&session.create(INPUT, props).await)
}

fn channel_props(input: &str, profile: &str) -> Value {
    json!({"Name": unique("live-channel"), "InputId": input, "Role": ROLE, "EncodingProfile": profile,
           "MediaPackageChannelId": "live-mp", "Type": "URL_PULL", "LogLevel": "WARNING"})
}

#[tokio::test]
async fn a_channel_with_each_profile_through_create_update_delete() {
    for (profile, rungs, resolution, bitrate) in [
        ("HD-1080p", 6, "HD", "MAX_20_MBPS"),
        ("HD-720p", 5, "HD", "MAX_10_MBPS"),
        ("sd-540p", 4, "SD", "MAX_10_MBPS"),
    ] {
        let session = Session::emulated().await.for_resource("Channel");
        let input = url_input(&session.for_resource("Input")).await;
        let props = channel_props(&input, profile);
        let created = session.create(CHANNEL, props.clone()).await;
        let id = succeeded(&created);
        assert_eq!(created["Data"]["ChannelId"], id.as_str());
        assert!(created["Data"]["Arn"].as_str().unwrap().contains(&id));
        assert_eq!(
            channel_state(&session, &id).await,
            Some(ChannelState::Idle),
            "answered once IDLE"
        );

        let stored = stored_channel(&session, &id).await;
        let settings = stored.encoder_settings().unwrap();
        assert_eq!(settings.video_descriptions().len(), rungs, "{profile}");
        assert_eq!(settings.output_groups()[0].outputs().len(), rungs);
        let spec = stored.input_specification().unwrap();
        assert_eq!(
            (
                spec.resolution().unwrap().as_str(),
                spec.maximum_bitrate().unwrap().as_str()
            ),
            (resolution, bitrate)
        );
        assert_eq!(spec.codec().unwrap().as_str(), "AVC");
        let attachment = &stored.input_attachments()[0];
        assert_eq!(attachment.input_id(), Some(input.as_str()));
        let settings = attachment.input_settings().unwrap();
        assert_eq!(
            settings.source_end_behavior(),
            Some(&InputSourceEndBehavior::Loop),
            "URL_PULL loops by default"
        );
        assert_eq!(settings.audio_selectors()[0].name(), Some("default"));
        let destination = &stored.destinations()[0];
        assert_eq!(destination.id(), Some("destination1"));
        assert_eq!(destination.media_package_settings()[0].channel_id(), Some("live-mp"));
        assert_eq!(stored.role_arn(), Some(ROLE));
        assert_eq!(stored.tags().unwrap()["livestream:logical-id"], "Channel");

        let mut smaller = props.clone();
        smaller["EncodingProfile"] = json!("SD-540p");
        let updated = session.update(CHANNEL, &id, props.clone(), smaller.clone()).await;
        assert_eq!(succeeded(&updated), id, "in place");
        let stored = stored_channel(&session, &id).await;
        assert_eq!(stored.encoder_settings().unwrap().video_descriptions().len(), 4);
        assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Idle));

        succeeded(&session.delete(CHANNEL, &id, smaller).await);
        assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Deleted));
        // The input is still attached for a while; its Delete waits.
        succeeded(
            &session
                .for_resource("Input")
                .delete(INPUT, &input, input_props("URL_PULL"))
                .await,
        );
        assert!(input_gone(&session, &input).await);
        assert!(
            session.aws.refusals().is_empty(),
            "never a call in the wrong state: {:?}",
            session.aws.refusals()
        );
    }
}

#[tokio::test]
async fn start_update_while_running_and_delete_a_running_channel() {
    let session = Session::emulated().await.for_resource("Channel");
    let input = url_input(&session.for_resource("Input")).await;
    let props = channel_props(&input, "HD-720p");
    let id = succeeded(&session.create(CHANNEL, props.clone()).await);

    let started = session
        .for_resource("Start")
        .create(START, json!({"ChannelId": id}))
        .await;
    assert_eq!(succeeded(&started), id);
    assert_eq!(started["Data"]["State"], "RUNNING");
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Running));

    let mut changed = props.clone();
    changed["LogLevel"] = json!("DEBUG");
    succeeded(&session.update(CHANNEL, &id, props, changed.clone()).await);
    assert_eq!(
        channel_state(&session, &id).await,
        Some(ChannelState::Running),
        "stopped, updated, started again"
    );
    assert_eq!(
        session
            .aws
            .count("medialive", "POST", &format!("/prod/channels/{id}/stop")),
        1
    );
    assert_eq!(
        session
            .aws
            .count("medialive", "POST", &format!("/prod/channels/{id}/start")),
        2
    );

    // Deleting the channel while it runs (its start resource still there).
    succeeded(&session.delete(CHANNEL, &id, changed).await);
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Deleted));
    assert!(session.aws.refusals().is_empty(), "{:?}", session.aws.refusals());
    assert_eq!(
        session
            .aws
            .count("medialive", "DELETE", &format!("/prod/channels/{id}")),
        1,
        "deleted once, when idle"
    );
}

/// Calls that stop, start or change the channel `id`.
fn disruptive_calls(session: &Session, id: &str) -> usize {
    let path = format!("/prod/channels/{id}");
    session.aws.count("medialive", "POST", &format!("{path}/stop"))
        + session.aws.count("medialive", "POST", &format!("{path}/start"))
        + session.aws.count("medialive", "PUT", &path)
}

/// A running HD-720p channel: its session, properties and id.
async fn running_channel() -> (Session, Value, String) {
    let session = Session::emulated().await.for_resource("Channel");
    let input = url_input(&session.for_resource("Input")).await;
    let props = channel_props(&input, "HD-720p");
    let id = start_channel(&session, &props).await;
    (session, props, id)
}

/// A channel made from `props` and started; its id.
async fn start_channel(session: &Session, props: &Value) -> String {
    let id = succeeded(&session.create(CHANNEL, props.clone()).await);
    succeeded(
        &session
            .for_resource("Start")
            .create(START, json!({"ChannelId": id}))
            .await,
    );
    id
}

#[tokio::test]
async fn an_update_that_changes_nothing_the_channel_holds_leaves_it_running() {
    let (session, props, id) = running_channel().await;
    let before = disruptive_calls(&session, &id);
    let calls_before = session.aws.calls().len();

    // CloudFormation sends an Update when any property changes, also one
    // the channel does not hold, such as ServiceTimeout.
    let mut same = props.clone();
    same["ServiceTimeout"] = json!("600");
    let updated = session.update(CHANNEL, &id, props, same).await;
    assert_eq!(succeeded(&updated), id);
    assert_eq!(updated["Data"]["ChannelId"], id.as_str());
    assert!(
        updated["Data"]["Arn"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":channel:{id}")),
        "{}",
        updated["Data"]
    );
    assert_eq!(session.aws.calls().len(), calls_before, "no AWS call at all");
    assert_eq!(disruptive_calls(&session, &id), before);
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Running));
}

#[tokio::test]
async fn the_rollback_of_a_refused_update_leaves_a_running_channel_alone() {
    let (session, props, id) = running_channel().await;

    // The update to an unknown profile was refused before any call; the
    // rollback then sends those refused properties as the old ones.
    let mut refused = props.clone();
    refused["EncodingProfile"] = json!("UHD-2160p");
    failed(&session.update(CHANNEL, &id, props.clone(), refused.clone()).await);
    let before = disruptive_calls(&session, &id);
    let rolled_back = session.update(CHANNEL, &id, refused, props).await;
    assert_eq!(succeeded(&rolled_back), id);
    assert_eq!(
        disruptive_calls(&session, &id),
        before,
        "not stopped, restarted or updated"
    );
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Running));
}

#[tokio::test]
async fn a_running_channel_whose_update_medialive_refuses_is_back_on_air_and_its_rollback_touches_nothing() {
    let (session, props, id) = running_channel().await;
    // MediaLive refuses the new settings once the channel is stopped for them.
    session.aws.fail_saying(
        "medialive",
        &format!("PUT /prod/channels/{id}"),
        0,
        422,
        "UnprocessableEntityException",
        "Invalid encoder settings (the emulator's own words for a refusal)",
    );
    let mut changed = props.clone();
    changed["EncodingProfile"] = json!("HD-1080p");
    let reason = failed(&session.update(CHANNEL, &id, props.clone(), changed.clone()).await);
    assert!(
        reason.contains("UpdateChannel") && reason.contains("Invalid encoder settings"),
        "{reason}"
    );
    assert_eq!(
        channel_state(&session, &id).await,
        Some(ChannelState::Running),
        "started again as it was"
    );
    // CloudFormation's rollback: the same update, old and new swapped. The
    // channel holds the old properties: nothing is stopped or sent.
    let before = disruptive_calls(&session, &id);
    assert_eq!(succeeded(&session.update(CHANNEL, &id, changed, props).await), id);
    assert_eq!(disruptive_calls(&session, &id), before);
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Running));
}

#[tokio::test]
async fn a_channel_class_change_is_refused_and_its_swapped_rollback_accepted() {
    let (session, props, id) = running_channel().await;
    let mut single = props.clone();
    single["ChannelClass"] = json!("SINGLE_PIPELINE");
    let reason = failed(&session.update(CHANNEL, &id, props.clone(), single.clone()).await);
    assert!(
        reason.contains("ChannelClass") && reason.contains("it is STANDARD"),
        "{reason}"
    );
    let before = disruptive_calls(&session, &id);
    // The rollback asks for the class the channel has: accepted, no call
    // that changes anything (no UPDATE_ROLLBACK_FAILED).
    assert_eq!(succeeded(&session.update(CHANNEL, &id, single, props).await), id);
    assert_eq!(disruptive_calls(&session, &id), before);
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Running));
}

#[tokio::test]
async fn the_start_resource_stops_the_channel_on_delete() {
    let session = Session::emulated().await.for_resource("Channel");
    let input = url_input(&session.for_resource("Input")).await;
    let id = succeeded(&session.create(CHANNEL, channel_props(&input, "SD-540p")).await);
    let start = session.for_resource("Start");
    succeeded(&start.create(START, json!({"ChannelId": id})).await);
    succeeded(&start.delete(START, &id, json!({"ChannelId": id})).await);
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Idle));
    let gone = start.delete(START, "1234567", json!({"ChannelId": "1234567"})).await;
    assert_eq!(succeeded(&gone), "1234567", "a channel that is gone: nothing to stop");
    let missing = failed(&start.create(START, json!({"ChannelId": "7654321"})).await);
    assert_eq!(missing, "MediaLive channel 7654321 does not exist");
    assert!(
        session.aws.refusals().iter().all(|r| r.code == "NotFoundException"),
        "{:?}",
        session.aws.refusals()
    );
}

#[tokio::test]
async fn a_repeated_create_leaves_one_input_and_one_channel() {
    let session = Session::emulated().await.for_resource("Input");
    let create_input = event("Create", INPUT, input_props("RTMP_PUSH"), &session.receiver.url());
    let first = session.send(create_input.clone()).await;
    let second = session.send(create_input).await;
    assert_eq!(succeeded(&first), succeeded(&second));
    assert_eq!(first["Data"], second["Data"], "the same input and security group");
    assert_eq!(
        session.aws.count("medialive", "POST", "/prod/inputSecurityGroups"),
        1,
        "one security group"
    );
    let input = first["PhysicalResourceId"].as_str().unwrap().to_owned();

    let channel = session.for_resource("Channel");
    let create_channel = event(
        "Create",
        CHANNEL,
        channel_props(&input, "SD-540p"),
        &channel.receiver.url(),
    );
    let first = channel.send(create_channel.clone()).await;
    let second = channel.send(create_channel).await;
    assert_eq!(succeeded(&first), succeeded(&second));
    let listed = session.clients.medialive.list_channels().send().await.unwrap();
    let named = listed
        .channels()
        .iter()
        .filter(|c| c.id() == first["PhysicalResourceId"].as_str())
        .count();
    assert_eq!(named, 1);
}

#[tokio::test]
async fn create_failed_answers_with_the_channel_id_and_the_rollback_removes_it() {
    let session = Session::emulated().await.for_resource("Channel");
    let input = url_input(&session.for_resource("Input")).await;
    let mut props = channel_props(&input, "SD-540p");
    props["Name"] = json!("live-fail-create");
    let response = session.create(CHANNEL, props.clone()).await;
    let reason = failed(&response);
    assert!(reason.contains("CREATE_FAILED"), "{reason}");
    let id = response["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert_eq!(
        channel_state(&session, &id).await,
        Some(ChannelState::CreateFailed),
        "the id is the channel's"
    );
    succeeded(&session.delete(CHANNEL, &id, props).await);
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Deleted));
}

#[tokio::test]
async fn a_wait_that_cannot_finish_ends_in_time_naming_the_state() {
    let aws = Faithful::with_transitions(&testkit::moto::moto().endpoint, 1_000_000).await;
    let session = Session::emulated_at(aws).await.for_resource("Channel");
    let input = url_input(&session.for_resource("Input")).await;
    let deadline = Instant::now() + Duration::from_secs(14);
    let mut create = event(
        "Create",
        CHANNEL,
        channel_props(&input, "SD-540p"),
        &session.receiver.url(),
    );
    create["LogicalResourceId"] = json!("Channel");
    session.app.handle(create, deadline).await.expect("delivered");
    let arrived = Instant::now();
    let response = session.receiver.wait_for(2, WAIT).await[1].json();
    let reason = failed(&response);
    assert!(
        reason.ends_with("did not happen before the deadline (still CREATING)"),
        "{reason}"
    );
    assert!(
        arrived + Duration::from_secs(5) <= deadline,
        "answered at least 5 s before the deadline"
    );
    let id = response["PhysicalResourceId"].as_str().unwrap();
    assert!(
        channel_state(&session, id).await.is_some(),
        "the id is the channel's, for the rollback"
    );
}

#[tokio::test]
async fn a_create_cut_off_after_the_security_group_leaves_nothing_behind() {
    let session = Session::emulated().await.for_resource("Input");
    let mut props = input_props("RTP_PUSH");
    props["Name"] = json!("hang-create");
    let deadline = Instant::now() + Duration::from_secs(12);
    let create = event("Create", INPUT, props.clone(), &session.receiver.url());
    let mut create = create;
    create["LogicalResourceId"] = json!("Input");
    session.app.handle(create, deadline).await.expect("delivered");
    let response = session.receiver.wait_for(1, WAIT).await[0].json();
    failed(&response);
    let id = response["PhysicalResourceId"].as_str().unwrap().to_owned();
    let group = id
        .strip_prefix("input-security-group:")
        .expect("the group's id, for the rollback")
        .to_owned();
    assert!(group_exists(&session, &group).await);
    succeeded(&session.delete(INPUT, &id, props).await);
    assert!(!group_exists(&session, &group).await, "the rollback removed the group");
}

#[tokio::test]
async fn deleting_unknown_channels_and_inputs_succeeds() {
    let session = Session::emulated().await;
    succeeded(&session.delete(CHANNEL, "9999999", channel_props("1", "SD-540p")).await);
    succeeded(&session.delete(INPUT, "8888888", input_props("URL_PULL")).await);
    succeeded(
        &session
            .delete(INPUT, "input-security-group:77", input_props("RTP_PUSH"))
            .await,
    );
}

#[tokio::test]
async fn a_single_pipeline_input_is_refused_for_a_standard_channel_before_the_call() {
    let session = Session::emulated().await.for_resource("Channel");
    let mut single = input_props("URL_PULL");
    single["ChannelClass"] = json!("SINGLE_PIPELINE");
    single.as_object_mut().unwrap().remove("SecUrl");
    let input = succeeded(&session.for_resource("Input").create(INPUT, single).await);
    let reason = failed(&session.create(CHANNEL, channel_props(&input, "SD-540p")).await);
    assert_eq!(
        reason,
        format!(
            "property InputId names SINGLE_PIPELINE input {input}, which cannot feed a STANDARD channel (ChannelClass); make both the same class"
        )
    );
    assert_eq!(
        session.aws.count("medialive", "POST", "/prod/channels"),
        0,
        "no CreateChannel"
    );
    let mut matching = channel_props(&input, "SD-540p");
    matching["ChannelClass"] = json!("SINGLE_PIPELINE");
    let id = succeeded(&session.create(CHANNEL, matching.clone()).await);
    succeeded(&session.delete(CHANNEL, &id, matching).await);
}

#[tokio::test]
async fn a_delete_naming_an_input_or_channel_this_stack_did_not_make_leaves_it() {
    let session = Session::emulated().await;
    let medialive = &session.clients.medialive;
    // Made by someone else: no ownership tags.
    let input = medialive
        .create_input()
        .name(unique("theirs"))
        .r#type(aws_sdk_medialive::types::InputType::UrlPull)
        .sources(
            aws_sdk_medialive::types::InputSourceRequest::builder()
                .url("https://a.example.com/x.m3u8")
                .build(),
        )
        .sources(
            aws_sdk_medialive::types::InputSourceRequest::builder()
                .url("https://b.example.com/x.m3u8")
                .build(),
        )
        .send()
        .await
        .expect("creating a foreign input")
        .input
        .and_then(|i| i.id)
        .expect("an id");
    let mine = session.for_resource("Channel");
    let channel = succeeded(&mine.create(CHANNEL, channel_props(&input, "SD-540p")).await);
    let theirs = Session {
        logical_id: "SomeoneElse".into(),
        ..mine.clone()
    };
    succeeded(&theirs.delete(CHANNEL, &channel, channel_props(&input, "SD-540p")).await);
    assert!(channel_state(&session, &channel).await.is_some(), "the channel stays");
    succeeded(&mine.delete(CHANNEL, &channel, channel_props(&input, "SD-540p")).await);
    succeeded(
        &session
            .for_resource("Input")
            .delete(INPUT, &input, input_props("URL_PULL"))
            .await,
    );
    let kept = medialive
        .describe_input()
        .input_id(&input)
        .send()
        .await
        .expect("the input stays");
    assert_ne!(kept.state().map(|s| s.as_str()), Some("DELETED"));
    assert_eq!(
        session.aws.count("medialive", "DELETE", "/prod/inputs"),
        0,
        "no DeleteInput"
    );
}

#[tokio::test]
async fn the_start_resource_never_starts_or_stops_another_stacks_channel() {
    let session = Session::emulated().await.for_resource("Channel");
    let input = url_input(&session.for_resource("Input")).await;
    let id = succeeded(&session.create(CHANNEL, channel_props(&input, "SD-540p")).await);
    // The same channel, as another stack's start resource sees it.
    let other_stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/other/0c1e11ef-5b6f-3f40-9a4c-0a1b2c3d4e5f";
    let start = session.for_resource("Start");
    let foreign = |request_type: &str| {
        let event = event(request_type, START, json!({"ChannelId": id}), &start.receiver.url());
        testkit::events::with(event, "StackId", other_stack)
    };

    let refused = failed(&start.send(foreign("Create")).await);
    assert!(
        refused.contains(&id) && refused.contains("not made by this stack"),
        "{refused}"
    );
    let starts = || {
        session
            .aws
            .count("medialive", "POST", &format!("/prod/channels/{id}/start"))
    };
    let stops = || {
        session
            .aws
            .count("medialive", "POST", &format!("/prod/channels/{id}/stop"))
    };
    assert_eq!(starts(), 0, "never started");

    // Running by its own stack's start; the other stack's Delete leaves it running.
    succeeded(&start.create(START, json!({"ChannelId": id})).await);
    let delete = testkit::events::with(foreign("Delete"), "PhysicalResourceId", id.as_str());
    succeeded(&start.send(delete).await);
    assert_eq!(stops(), 0, "never stopped");
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Running));
    succeeded(&start.delete(START, &id, json!({"ChannelId": id})).await);
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Idle));
}

/// The failover settings MediaLive holds on the channel's primary attachment.
async fn failover_of(session: &Session, id: &str) -> Option<aws_sdk_medialive::types::AutomaticInputFailoverSettings> {
    stored_channel(session, id)
        .await
        .input_attachments()
        .first()
        .and_then(|a| a.automatic_input_failover_settings())
        .cloned()
}

/// Automatic input failover on a running channel: turned on and off by
/// update (the channel stopped for it and running again after), the pair
/// attached as MediaLive holds it, and what MediaLive refuses refused
/// naming the property: a pair of two types, a type that cannot fail
/// over, a secondary another channel uses, a threshold under its minimum;
/// and every bundled profile with a pair, as MediaLive's model has it.
#[tokio::test]
async fn failover_is_turned_on_and_off_on_a_running_channel_and_refusals_name_the_property() {
    let session = Session::emulated().await.for_resource("Channel");
    let inputs = session.for_resource("Input");
    let push = |name: &str| {
        let mut props = input_props("RTMP_PUSH");
        props["Name"] = json!(unique(name));
        props
    };
    let primary = succeeded(&inputs.create(INPUT, push("primary")).await);
    let backup = succeeded(&inputs.for_resource("Backup").create(INPUT, push("backup")).await);
    let mut props = channel_props(&primary, "HD-720p");
    props["Type"] = json!("RTMP_PUSH");
    let id = start_channel(&session, &props).await;
    assert_eq!(failover_of(&session, &id).await, None);

    let mut on = props.clone();
    on["FailoverInputId"] = json!(backup);
    on["FailoverOnSilenceMs"] = json!("2000");
    let before = disruptive_calls(&session, &id);
    assert_eq!(
        succeeded(&session.update(CHANNEL, &id, props.clone(), on.clone()).await),
        id
    );
    assert!(
        disruptive_calls(&session, &id) > before,
        "MediaLive updates only an idle channel"
    );
    assert_eq!(
        channel_state(&session, &id).await,
        Some(ChannelState::Running),
        "back on air"
    );
    let held = failover_of(&session, &id)
        .await
        .expect("failover settings on the primary attachment");
    assert_eq!(held.secondary_input_id(), Some(backup.as_str()));
    assert_eq!(
        held.input_preference().map(|p| p.as_str()),
        Some("PRIMARY_INPUT_PREFERRED")
    );
    assert_eq!(held.failover_conditions().len(), 2, "input loss and silence");

    // Nothing changed: not touched again.
    let before = disruptive_calls(&session, &id);
    succeeded(&session.update(CHANNEL, &id, on.clone(), on.clone()).await);
    assert_eq!(disruptive_calls(&session, &id), before);

    // Refused, naming the property, the channel left running as it was.
    let pull = succeeded(&inputs.for_resource("Pull").create(INPUT, input_props("URL_PULL")).await);
    let other = succeeded(&inputs.for_resource("Other").create(INPUT, push("other")).await);
    let mut other_channel = channel_props(&other, "HD-720p");
    other_channel["Type"] = json!("RTMP_PUSH");
    let taken = succeeded(&inputs.for_resource("Taken").create(INPUT, push("taken")).await);
    other_channel["FailoverInputId"] = json!(taken);
    let other_id = succeeded(
        &session
            .for_resource("OtherChannel")
            .create(CHANNEL, other_channel.clone())
            .await,
    );
    for (change, value, says) in [
        ("FailoverInputId", json!(pull), "pair must be of one type"),
        ("FailoverInputId", json!(taken), "already uses"),
        ("FailoverAfterMs", json!("50"), "FailoverAfterMs"),
    ] {
        let mut refused = on.clone();
        refused[change] = value;
        let answer = session.update(CHANNEL, &id, on.clone(), refused).await;
        let reason = answer["Reason"].as_str().unwrap_or_default().to_owned();
        assert_eq!(answer["Status"], "FAILED", "{answer}");
        assert!(reason.contains(change) && reason.contains(says), "{reason}");
        assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Running));
    }
    let mut pull_channel = channel_props(&pull, "HD-720p");
    pull_channel["FailoverInputId"] = json!(succeeded(
        &inputs
            .for_resource("Pull2")
            .create(INPUT, input_props("URL_PULL"))
            .await
    ));
    let answer = session.for_resource("PullChannel").create(CHANNEL, pull_channel).await;
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap_or_default()
            .contains("fails over only between inputs of the types"),
        "{answer}"
    );

    // Off again: the secondary is free, the channel running.
    assert_eq!(
        succeeded(&session.update(CHANNEL, &id, on.clone(), props.clone()).await),
        id
    );
    assert_eq!(failover_of(&session, &id).await, None);
    assert_eq!(stored_channel(&session, &id).await.input_attachments().len(), 1);
    assert_eq!(channel_state(&session, &id).await, Some(ChannelState::Running));

    for (channel, props) in [(&id, &props), (&other_id, &other_channel)] {
        succeeded(&session.delete(CHANNEL, channel, props.clone()).await);
    }

    // Every bundled profile with a failover pair: the whole CreateChannel
    // request as MediaLive's model has it (the faithful layer checks it).
    for profile in ["HD-1080p", "HD-720p", "SD-540p"] {
        let pair = inputs.for_resource(profile);
        let primary = succeeded(&pair.create(INPUT, push("primary")).await);
        let backup = succeeded(&pair.for_resource("Backup").create(INPUT, push("backup")).await);
        let mut paired = channel_props(&primary, profile);
        paired["Type"] = json!("RTMP_PUSH");
        paired["FailoverInputId"] = json!(backup);
        paired["FailoverOnBlackMs"] = json!("1000");
        let channel = session.for_resource(profile);
        let made = succeeded(&channel.create(CHANNEL, paired.clone()).await);
        assert!(failover_of(&session, &made).await.is_some(), "{profile}");
        succeeded(&channel.delete(CHANNEL, &made, paired).await);
    }
}
