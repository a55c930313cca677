//! Automatic input failover on `template.yaml`, played through the real
//! binary: `FailoverInput` turned on and off by update on a running
//! channel (the second input made before the channel uses it and deleted
//! after it no longer does, the channel running after each update), the
//! backup encoder's endpoints in the outputs, MediaPackage v2 choosing
//! between the pipelines by MediaLive's quality score (MQCS), and what the
//! template refuses before anything is made, naming the parameter.

use std::path::Path;

use aws_sdk_medialive::types::ChannelState;
use testkit::stack::{Player, Rig};

use crate::stack::{assert_nothing_left, assert_nothing_made, channel_state, output, parameters, template, update};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");

/// Where in the transcript a resource's line is (`action` and its id).
fn at(player: &Player, action: &str, logical_id: &str) -> usize {
    player
        .transcript()
        .iter()
        .position(|line| line.contains(action) && line.contains(&format!(" {logical_id} ")))
        .unwrap_or_else(|| panic!("no {action} {logical_id} in:\n{}", player.transcript().join("\n")))
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_is_turned_on_and_off_on_a_running_channel_by_update() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("failover");
    let push = [
        ("InputType", "RTMP_PUSH"),
        ("InputCIDR", "203.0.113.0/24"),
        ("ChannelStart", "Yes"),
    ];
    let stack = player
        .create(template(), &parameters(&push))
        .await
        .unwrap_or_else(|failure| panic!("{failure}\n{}", player.transcript().join("\n")));
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let input = stack.physical_id("MediaLiveInput").unwrap().to_owned();
    assert!(stack.resource("MediaLiveFailoverInput").is_none());
    // MediaPackage v2 serves the better of the two pipelines by MediaLive's
    // quality score, and tells CloudFront the score.
    let v2 = aws_sdk_mediapackagev2::Client::new(&rig.sdk_config().await);
    let packaged = v2
        .get_channel()
        .channel_group_name("failover")
        .channel_name("failover")
        .send()
        .await
        .unwrap();
    assert_eq!(
        packaged
            .input_switch_configuration()
            .and_then(|c| c.mqcs_input_switching()),
        Some(true)
    );
    assert_eq!(
        packaged.output_header_configuration().and_then(|c| c.publish_mqcs()),
        Some(true)
    );

    let stack = update(
        &mut player,
        stack,
        &[("FailoverInput", "Yes"), ("FailoverOnSilence", "2000")],
    )
    .await;
    let backup = stack.physical_id("MediaLiveFailoverInput").unwrap().to_owned();
    assert!(
        at(&player, "CREATE", "MediaLiveFailoverInput") < at(&player, "UPDATE", "MediaLiveChannel"),
        "the second input is made before the channel uses it"
    );
    assert_eq!(
        stack.physical_id("MediaLiveChannel"),
        Some(channel.as_str()),
        "the same channel"
    );
    assert_eq!(
        stack.physical_id("MediaLiveInput"),
        Some(input.as_str()),
        "the same primary input"
    );
    assert_eq!(
        channel_state(&rig, &channel).await,
        ChannelState::Running,
        "running again after the update"
    );
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    let described = medialive.describe_channel().channel_id(&channel).send().await.unwrap();
    let settings = described.input_attachments()[0]
        .automatic_input_failover_settings()
        .unwrap();
    assert_eq!(settings.secondary_input_id(), Some(backup.as_str()));
    assert_eq!(settings.failover_conditions().len(), 2, "input loss, and silence");
    let outputs = player.outputs(&stack).unwrap();
    let backup_endpoints = output(&outputs, "BackupIngestEndpoints");
    let endpoints = output(&outputs, "IngestEndpoints");
    assert_eq!(
        backup_endpoints.split(' ').count(),
        2,
        "STANDARD: one per pipeline: {backup_endpoints}"
    );
    assert!(
        backup_endpoints.starts_with("rtmp://") && backup_endpoints != endpoints,
        "{backup_endpoints}"
    );

    let stack = update(&mut player, stack, &[("FailoverInput", "No")]).await;
    assert!(stack.resource("MediaLiveFailoverInput").is_none());
    assert!(
        at(&player, "CLEANUP", "MediaLiveFailoverInput") > at(&player, "UPDATE", "MediaLiveChannel"),
        "the second input is deleted after the channel no longer uses it"
    );
    let described = medialive.describe_channel().channel_id(&channel).send().await.unwrap();
    assert_eq!(described.input_attachments().len(), 1);
    assert_eq!(channel_state(&rig, &channel).await, ChannelState::Running);

    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_nothing_left(&rig).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_on_an_input_type_that_cannot_and_thresholds_under_medialives_minimums_are_refused_before_anything_is_made()
 {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("failover-refused");
    for (given, named) in [
        (vec![("FailoverInput", "Yes")], "FailoverInput"),
        (
            vec![
                ("InputType", "RTMP_PUSH"),
                ("InputCIDR", "203.0.113.0/24"),
                ("FailoverInput", "Yes"),
                ("FailoverOnBlack", "500"),
            ],
            "FailoverOnBlack",
        ),
        (
            vec![
                ("InputType", "RTP_PUSH"),
                ("InputCIDR", "203.0.113.0/24"),
                ("FailoverInput", "Yes"),
                ("FailoverAfterMs", "50"),
            ],
            "FailoverAfterMs",
        ),
    ] {
        let failure = player
            .create(template(), &parameters(&given))
            .await
            .expect_err("refused");
        assert!(failure.reason.contains(named), "{given:?}: {}", failure.reason);
    }
    assert!(rig.receiver.requests().is_empty(), "no request reached the handler");
    assert_nothing_made(&rig).await;
}
