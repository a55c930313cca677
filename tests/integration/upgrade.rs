//! Stacks made from the templates as they stood before they were made
//! from one source (`tests/fixtures/hand-written/`), then updated with
//! today's: nothing a user relies on moves. The MediaLive input and
//! channel keep their ids and the running channel is never stopped, the
//! playback URLs, the player's settings and the alarms stay, the
//! foundation's exports too, and the stacks still delete to nothing.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_medialive::types::ChannelState;
use testkit::live_events::{EVENT_LIST_KEY, EVENT_TEMPLATE, FOUNDATION_TEMPLATE, stops_of, template};
use testkit::stack::{Player, Rig, Stack, Template};

use super::guard::settled_state;
use super::stack::{assert_nothing_left, delete};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
const CODE_BUCKET_PREFIX: &str = "local-code";
const DEMO_SOURCE_KEY: &str = "livestream/v0/demo-source.mp4";

fn hand_written(file: &str) -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hand-written")
        .join(file);
    Template::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn code() -> Vec<(String, String)> {
    [
        ("CodeBucketPrefix", CODE_BUCKET_PREFIX),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", DEMO_SOURCE_KEY),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec()
}

/// What a user of the stack reads and relies on.
#[derive(Debug, PartialEq, Eq)]
struct Kept {
    ids: BTreeMap<&'static str, Option<String>>,
    outputs: BTreeMap<String, String>,
}

/// `after` keeps every id and output of `before`, with the same values;
/// the outputs it adds are exactly `added` (recordings, say).
fn keeps(after: &Kept, before: &Kept, added: &[&str]) {
    assert_eq!(after.ids, before.ids);
    for (name, value) in &before.outputs {
        assert_eq!(after.outputs.get(name), Some(value), "output {name}");
    }
    let mut new: Vec<&str> = after
        .outputs
        .keys()
        .filter(|name| !before.outputs.contains_key(*name))
        .map(String::as_str)
        .collect();
    new.sort_unstable();
    assert_eq!(new, added, "outputs added by the update");
}

/// `after` holds every key of `before` with the same value, and adds only `added`.
fn config_keeps(after: &serde_json::Value, before: &serde_json::Value, added: &[&str]) {
    let (after, before) = (after.as_object().unwrap(), before.as_object().unwrap());
    for (key, value) in before {
        assert_eq!(after.get(key), Some(value), "config.json's {key}");
    }
    let mut new: Vec<&str> = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .map(String::as_str)
        .collect();
    new.sort_unstable();
    assert_eq!(new, added, "config.json keys added by the update");
}

fn kept(player: &Player, stack: &Stack, ids: &[&'static str]) -> Kept {
    Kept {
        ids: ids
            .iter()
            .map(|id| (*id, stack.physical_id(id).map(str::to_owned)))
            .collect(),
        outputs: player.outputs(stack).unwrap().into_iter().collect(),
    }
}

/// Updates `stack` to `template` with the parameters it has; must succeed.
async fn update(player: &mut Player, stack: Stack, template: Template) -> Stack {
    player
        .update(stack, template, &[])
        .await
        .map_err(|(_, failure)| failure)
        .expect("the update to today's template succeeds")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_stack_of_the_hand_written_template_updates_to_todays_and_nothing_moves() {
    let rig = Rig::start(Path::new(BINARY)).await;
    rig.upload_demo_source(CODE_BUCKET_PREFIX, DEMO_SOURCE_KEY)
        .await
        .unwrap();
    let mut player = rig.player("upgraded");
    let mut given = code();
    given.push(("ChannelStart".to_owned(), "Yes".to_owned()));
    let stack = player.create(hand_written("template.yaml"), &given).await.unwrap();
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Running);
    let ids = [
        "MediaLiveInput",
        "MediaLiveChannel",
        "NoInputVideoAlarm",
        "InputLossAlarm",
        "MediaPackage5xxAlarm",
        "DemoBucket",
        "Distribution",
    ];
    let before = kept(&player, &stack, &ids);
    let bucket = stack.physical_id("DemoBucket").unwrap().to_owned();
    let config = rig.s3_json(&bucket, "player/config.json").await.unwrap();

    let stack = update(&mut player, stack, template("template.yaml").unwrap()).await;
    // Recordings came with the update: their outputs, and the player lists them.
    keeps(
        &kept(&player, &stack, &ids),
        &before,
        &["CostPerRunningHour", "RecordingsBucket", "RecordingsList"],
    );
    config_keeps(
        &rig.s3_json(&bucket, "player/config.json").await.unwrap().unwrap(),
        config.as_ref().unwrap(),
        &["recordings", "recordingsOf"],
    );
    assert_eq!(stops_of(&rig, &channel), 0, "the running channel was never stopped");
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Running);

    delete(&mut player, stack).await;
    assert_nothing_left(&rig).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_written_foundation_and_its_running_event_update_to_todays_and_nothing_moves() {
    let rig = Rig::start(Path::new(BINARY)).await;
    rig.upload_demo_source(CODE_BUCKET_PREFIX, DEMO_SOURCE_KEY)
        .await
        .unwrap();
    let mut foundation_player = rig.player("home");
    let foundation = foundation_player
        .create(hand_written(FOUNDATION_TEMPLATE), &code())
        .await
        .unwrap();
    let mut event_player = rig.event_player("talk", &foundation).await;
    let event_parameters = [("Foundation", "home"), ("ChannelStart", "Yes"), ("EventTitle", "Talk")]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let event = event_player
        .create(hand_written(EVENT_TEMPLATE), &event_parameters)
        .await
        .unwrap();
    let channel = event.physical_id("MediaLiveChannel").unwrap().to_owned();
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Running);
    let foundation_ids = [
        "DemoBucket",
        "Distribution",
        "PackagerGroup",
        "ResourcesFunction",
        "GuardFunction",
    ];
    let event_ids = [
        "MediaLiveInput",
        "MediaLiveChannel",
        "NoInputVideoAlarm",
        "InputLossAlarm",
        "MediaPackage5xxAlarm",
    ];
    let (foundation_before, event_before) = (
        kept(&foundation_player, &foundation, &foundation_ids),
        kept(&event_player, &event, &event_ids),
    );
    let bucket = foundation.physical_id("DemoBucket").unwrap().to_owned();
    let listed = rig.s3_json(&bucket, EVENT_LIST_KEY).await.unwrap();
    let entry = rig.s3_json(&bucket, "player/events/talk/config.json").await.unwrap();

    // The foundation first (its exports, which the event imports, stay),
    // then the event.
    let foundation = update(
        &mut foundation_player,
        foundation,
        template(FOUNDATION_TEMPLATE).unwrap(),
    )
    .await;
    let event = update(&mut event_player, event, template(EVENT_TEMPLATE).unwrap()).await;
    keeps(
        &kept(&foundation_player, &foundation, &foundation_ids),
        &foundation_before,
        &["GuardSchedules", "RecordingsBucket", "RecordingsList"],
    );
    // The one id that moves: the input-loss alarm is named under the
    // foundation now, so the foundation's guard takes it (CloudFormation
    // makes the new alarm and deletes the old; the channel is untouched).
    let mut event_before = event_before;
    event_before
        .ids
        .insert("InputLossAlarm", Some("home/talk/input-loss".to_owned()));
    keeps(
        &kept(&event_player, &event, &event_ids),
        &event_before,
        &["CostPerRunningHour"],
    );
    assert!(
        !rig.aws.alarm_names().contains(&"talk-input-loss".to_owned()),
        "the old alarm is deleted"
    );
    assert_eq!(rig.s3_json(&bucket, EVENT_LIST_KEY).await.unwrap(), listed);
    config_keeps(
        &rig.s3_json(&bucket, "player/events/talk/config.json")
            .await
            .unwrap()
            .unwrap(),
        entry.as_ref().unwrap(),
        &["recordings", "recordingsOf"],
    );
    assert_eq!(
        stops_of(&rig, &channel),
        0,
        "the event's running channel was never stopped"
    );
    delete(&mut event_player, event).await;
    delete(&mut foundation_player, foundation).await;
    assert_nothing_left(&rig).await;
}
