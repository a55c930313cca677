//! Many live events from one deployment: `foundation.yaml` once, and
//! `event.yaml` per event, played as CloudFormation plays them (exports
//! and imports across the stacks) through the compiled handler against
//! the emulator. Events are made and deleted at the same time as each
//! other; none may touch another's channel, and the foundation outlives
//! them all.

use aws_sdk_medialive::types::ChannelState;
use serde_json::Value;
use testkit::live_events::{EVENT_TEMPLATE, FOUNDATION_TEMPLATE, listed_events, sample_events, stops_of, template};
use testkit::stack::{Player, Rig, Stack};

use super::guard::{alarm_change, invoke, messages, settled_state, subscribe, succeeded};
use super::stack::{assert_nothing_left, delete};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
const CODE_BUCKET_PREFIX: &str = "local-code";
const DEMO_SOURCE_KEY: &str = "livestream/v0/demo-source.mp4";

/// A rig with the test source where a deployment has it, and a foundation.
async fn foundation(name: &str) -> (Rig, Player, Stack) {
    foundation_with(name, &[]).await
}

/// The same, with parameters of the foundation's own.
pub(crate) async fn foundation_with(name: &str, given: &[(&str, &str)]) -> (Rig, Player, Stack) {
    let rig = Rig::start(std::path::Path::new(BINARY)).await;
    rig.upload_demo_source(CODE_BUCKET_PREFIX, DEMO_SOURCE_KEY)
        .await
        .expect("uploading the test source");
    let mut player = rig.player(name);
    let code = [
        ("CodeBucketPrefix", CODE_BUCKET_PREFIX),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", DEMO_SOURCE_KEY),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let mut parameters = code.to_vec();
    parameters.extend(given.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let stack = player
        .create(template(FOUNDATION_TEMPLATE).unwrap(), &parameters)
        .await
        .expect("the foundation is created");
    (rig, player, stack)
}

/// One of the sample events' parameters (keynote, workshop, panel), for
/// an event stack called `name`.
pub(crate) fn sample(foundation: &Stack, which: &str) -> Vec<(String, String)> {
    sample_events(&foundation.name)
        .into_iter()
        .find(|(name, _)| name == which)
        .map(|(_, parameters)| parameters)
        .unwrap_or_else(|| panic!("no sample event {which}"))
}

fn channel_of(stack: &Stack) -> String {
    stack
        .physical_id("MediaLiveChannel")
        .expect("an event has a channel")
        .to_owned()
}

async fn list(rig: &Rig, foundation: &Stack) -> Option<Vec<String>> {
    listed_events(rig, foundation.physical_id("DemoBucket").unwrap())
        .await
        .expect("reading the player's list of events")
}

async fn s3_json(rig: &Rig, bucket: &str, key: &str) -> Value {
    rig.s3_json(bucket, key)
        .await
        .expect("reading the player's bucket")
        .unwrap_or_else(|| panic!("no {key} in {bucket}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn events_come_and_go_at_once_without_touching_each_other() {
    let (rig, mut foundation_player, foundation) = foundation("live").await;
    let event_template = template(EVENT_TEMPLATE).unwrap();
    let mut keynote = rig.event_player("keynote", &foundation).await;
    let mut workshop = rig.event_player("workshop", &foundation).await;
    let mut panel = rig.event_player("panel", &foundation).await;

    // Two events created at once.
    let (keynote_parameters, workshop_parameters) = (sample(&foundation, "keynote"), sample(&foundation, "workshop"));
    let (a, b) = tokio::join!(
        keynote.create(event_template.clone(), &keynote_parameters),
        workshop.create(event_template.clone(), &workshop_parameters),
    );
    let (keynote_stack, workshop_stack) = (a.expect("keynote is created"), b.expect("workshop is created"));
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    for stack in [&keynote_stack, &workshop_stack] {
        let channel = channel_of(stack);
        assert_eq!(
            settled_state(&rig, &channel).await,
            ChannelState::Running,
            "{}",
            stack.name
        );
        let described = medialive.describe_channel().channel_id(&channel).send().await.unwrap();
        let tags = described.tags().unwrap();
        assert_eq!(
            tags.get("livestream:foundation"),
            Some(&foundation_player.stack_id),
            "the guard's role finds the channel by this tag"
        );
        let maker = [&keynote, &workshop]
            .into_iter()
            .find(|p| p.stack_name == stack.name)
            .unwrap();
        assert_eq!(
            tags.get("livestream:stack-id"),
            Some(&maker.stack_id),
            "made by the event's stack"
        );
        let destination = &described.destinations()[0].media_package_settings()[0];
        assert_eq!(
            destination.channel_group(),
            Some("live"),
            "in the foundation's channel group"
        );
        assert_eq!(destination.channel_name(), Some(stack.name.as_str()));
    }
    assert_eq!(
        list(&rig, &foundation).await,
        Some(vec!["keynote".to_owned(), "workshop".to_owned()]),
        "both events made at once are listed"
    );
    // The page lists the events; each event's entry names it and its URLs.
    let bucket = foundation.physical_id("DemoBucket").unwrap();
    assert_eq!(s3_json(&rig, bucket, "player/config.json").await["events"], "events/");
    let entry = s3_json(&rig, bucket, "player/events/keynote/config.json").await;
    assert_eq!(entry["event"], "Keynote");
    let outputs = keynote.outputs(&keynote_stack).unwrap();
    let hls = &outputs.iter().find(|(name, _)| name == "HlsUrl").unwrap().1;
    assert_eq!(entry["hls"], hls.as_str());
    assert!(
        hls.ends_with("/out/v1/live/keynote/ts/index.m3u8"),
        "the event's endpoint through the foundation's distribution: {hls}"
    );

    // One event deleted while another is being created.
    let keynote_channel = channel_of(&keynote_stack);
    let panel_parameters = sample(&foundation, "panel");
    let (deleted, created) = tokio::join!(
        keynote.delete(keynote_stack),
        panel.create(event_template.clone(), &panel_parameters),
    );
    assert!(deleted.is_empty(), "{deleted:?}");
    let panel_stack = created.expect("panel is created while keynote is deleted");
    let gone = medialive.describe_channel().channel_id(&keynote_channel).send().await;
    assert!(
        gone.as_ref()
            .map_or(true, |c| c.state() == Some(&ChannelState::Deleted)),
        "keynote's channel is gone: {gone:?}"
    );
    for stack in [&workshop_stack, &panel_stack] {
        let channel = channel_of(stack);
        assert_eq!(
            settled_state(&rig, &channel).await,
            ChannelState::Running,
            "{}",
            stack.name
        );
        assert_eq!(
            stops_of(&rig, &channel),
            0,
            "{}'s channel was never stopped",
            stack.name
        );
    }
    assert_eq!(
        list(&rig, &foundation).await,
        Some(vec!["panel".to_owned(), "workshop".to_owned()])
    );

    // The foundation cannot go while events import it.
    let refused = foundation_player.delete(foundation.clone()).await;
    assert!(
        refused.iter().any(|f| f.reason.contains("in use by panel, workshop")),
        "{refused:?}"
    );
    let (a, b) = tokio::join!(workshop.delete(workshop_stack), panel.delete(panel_stack));
    assert!(a.is_empty() && b.is_empty(), "{a:?} {b:?}");
    assert_eq!(
        list(&rig, &foundation).await,
        None,
        "the last event gone takes the list with it"
    );
    delete(&mut foundation_player, foundation).await;
    assert_nothing_left(&rig).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_refused_by_a_quota_rolls_back_alone_and_says_which_quota() {
    let (rig, mut foundation_player, foundation) = foundation("quota").await;
    let event_template = template(EVENT_TEMPLATE).unwrap();
    let mut first = rig.event_player("first", &foundation).await;
    let first_stack = first
        .create(event_template.clone(), &sample(&foundation, "workshop"))
        .await
        .expect("the first event is created");
    let first_channel = channel_of(&first_stack);

    // MediaLive refuses the next channel, as it does at the account's quota.
    rig.aws.fail_saying(
        "medialive",
        "POST /prod/channels",
        0,
        422,
        "UnprocessableEntityException",
        "You have reached the maximum number of channels for this account in this Region",
    );
    let mut second = rig.event_player("second", &foundation).await;
    let failure = second
        .create(event_template.clone(), &sample(&foundation, "keynote"))
        .await
        .expect_err("the second event's channel is refused");
    assert_eq!(failure.logical_id, "MediaLiveChannel");
    assert!(
        failure.reason.contains("quota \"Channels\"") && failure.reason.contains("Service Quotas"),
        "the Reason names the quota and where to raise it: {}",
        failure.reason
    );

    // The rollback took the second event's all, and nothing of the first.
    let left = rig.leftovers().await.unwrap();
    assert!(!left.iter().any(|line| line.contains("second")), "{left:#?}");
    assert_eq!(settled_state(&rig, &first_channel).await, ChannelState::Running);
    assert_eq!(
        stops_of(&rig, &first_channel),
        0,
        "the first event's channel was never stopped"
    );
    assert_eq!(list(&rig, &foundation).await, Some(vec!["first".to_owned()]));

    delete(&mut first, first_stack).await;
    delete(&mut foundation_player, foundation).await;
    assert_nothing_left(&rig).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_foundations_guard_stops_the_right_events_channel_only() {
    let (rig, mut foundation_player, foundation) = foundation("guarded").await;
    let event_template = template(EVENT_TEMPLATE).unwrap();
    let mut players = [
        rig.event_player("alpha", &foundation).await,
        rig.event_player("beta", &foundation).await,
    ];
    let [alpha, beta] = &mut players;
    let mut parameters = sample(&foundation, "workshop");
    // Each event sets its own idle minutes; the message counts them.
    parameters.push(("IdleStopMinutes".to_owned(), "7".to_owned()));
    let (a, b) = tokio::join!(
        alpha.create(event_template.clone(), &parameters),
        beta.create(event_template.clone(), &parameters),
    );
    let (alpha_stack, beta_stack) = (a.unwrap(), b.unwrap());
    let (alpha_channel, beta_channel) = (channel_of(&alpha_stack), channel_of(&beta_stack));
    let inbox = subscribe(&rig, &foundation).await;
    let guard = rig.function(&foundation, "GuardFunction").await;

    // Each event's channel is armed on its own (MaxRunHours of the foundation).
    for channel in [&alpha_channel, &beta_channel] {
        let arn = format!("arn:aws:medialive:us-east-1:123456789012:channel:{channel}");
        succeeded(&invoke(&guard, &testkit::events::channel_state_change(&arn, "RUNNING")).await);
    }
    let schedules = aws_sdk_scheduler::Client::new(&rig.sdk_config().await)
        .list_schedules()
        .group_name(foundation.physical_id("GuardSchedules").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        schedules.schedules().len(),
        2,
        "one max-run schedule per event's channel"
    );

    // An alarm that is no event's of this foundation stops nothing.
    succeeded(
        &invoke(
            &guard,
            &alarm_change("elsewhere-no-input-video", "ALARM", &alpha_channel),
        )
        .await,
    );
    assert_eq!(stops_of(&rig, &alpha_channel), 0);

    // Alpha's no-input alarm stops alpha's channel, and only it.
    let alarm = alpha_stack.physical_id("NoInputVideoAlarm").unwrap();
    assert_eq!(
        alarm, "guarded/alpha/no-input-video",
        "named as the foundation's rule and guard expect"
    );
    assert!(rig.aws.set_alarm_state(alarm, "ALARM"));
    succeeded(&invoke(&guard, &alarm_change(alarm, "ALARM", &alpha_channel)).await);
    assert_eq!(settled_state(&rig, &alpha_channel).await, ChannelState::Idle);
    assert_eq!(stops_of(&rig, &alpha_channel), 1);
    assert_eq!(settled_state(&rig, &beta_channel).await, ChannelState::Running);
    assert_eq!(
        stops_of(&rig, &beta_channel),
        0,
        "the other event's channel is untouched"
    );
    let sent = messages(&inbox);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("Event: alpha") && sent[0].contains(&alpha_channel),
        "the message names the event: {}",
        sent[0]
    );
    assert!(
        sent[0].contains("no input video for 7 min"),
        "the event's own minutes: {}",
        sent[0]
    );

    // Beta's input-loss alarm is named under the foundation too, so its
    // guard takes it and tells which input of beta's failover pair (the
    // workshop sample has one) is on air; nothing is stopped.
    let lost = beta_stack.physical_id("InputLossAlarm").unwrap();
    assert_eq!(lost, "guarded/beta/input-loss");
    rig.aws.report_metric(
        "AWS/MediaLive",
        "PrimaryInputActive",
        &[("ChannelId", &beta_channel), ("Pipeline", "0")],
        0.0,
        60,
    );
    assert!(rig.aws.set_alarm_state(lost, "ALARM"));
    succeeded(&invoke(&guard, &alarm_change(lost, "ALARM", &beta_channel)).await);
    assert_eq!(stops_of(&rig, &beta_channel), 0);
    let sent = messages(&inbox);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1].contains("beta") && sent[1].contains("Pipeline 0: on its backup input"),
        "{}",
        sent[1]
    );

    // Both runs end at once, each with its event's delete (alpha's channel
    // stopped already, its stop never told to the guard): each recorded,
    // under its own event.
    tokio::join!(delete(alpha, alpha_stack), delete(beta, beta_stack));
    let bucket = foundation.physical_id("RecordingsBucket").unwrap().to_owned();
    let index = rig.s3_json(&bucket, "recordings/index.json").await.unwrap().unwrap();
    let mut recorded: Vec<(String, String)> = index["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["channel"].as_str().unwrap().to_owned(),
                r["hls"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    recorded.sort();
    assert_eq!(recorded.len(), 2, "{index:#}");
    for ((channel, hls), event) in recorded.iter().zip(["alpha", "beta"]) {
        assert_eq!(channel, event);
        assert!(hls.starts_with(&format!("recordings/{event}/")), "{hls}");
    }
    delete(&mut foundation_player, foundation).await;
    assert_nothing_left(&rig).await;
}
