//! The cost guard through the compiled binary, as the template deploys it:
//! a second function with the environment `template.yaml` gives
//! `GuardFunction`, against the emulator. The events EventBridge and the
//! scheduler would send (a channel that turned RUNNING or stopped, the
//! guard's own schedule firing, the no-input alarm going into ALARM) are
//! replayed on it; the test checks what it armed, what it stopped, what
//! it left alone, and what it told the SNS topic.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_medialive::types::ChannelState;
use serde_json::{Value, json};
use testkit::receiver::Receiver;
use testkit::runtime_api::Outcome;
use testkit::stack::{Function, Rig, Stack, Template};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
const INVOKE_TIME: Duration = Duration::from_secs(60);

fn template() -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    Template::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn parameters(stack_start: &str) -> Vec<(String, String)> {
    [
        ("CodeBucketPrefix", "local-code"),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", "livestream/v0/demo-source.mp4"),
        ("InputType", "RTMP_PUSH"),
        ("InputCIDR", "203.0.113.7/32"),
        ("ChannelClass", "SINGLE_PIPELINE"),
        ("ChannelStart", stack_start),
        // The guard alone; recording runs is tested in recordings.rs.
        ("RecordRuns", "No"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn channel_arn(id: &str) -> String {
    format!("arn:aws:medialive:us-east-1:123456789012:channel:{id}")
}

fn state_change(channel_id: &str, state: &str) -> Value {
    testkit::events::channel_state_change(&channel_arn(channel_id), state)
}

/// "CloudWatch Alarm State Change" for a metric-math alarm on a channel.
pub(crate) fn alarm_change(alarm_name: &str, state: &str, channel_id: &str) -> Value {
    json!({
        "version": "0",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": "123456789012",
        "time": testkit::events::now_rfc3339(),
        "region": "us-east-1",
        "resources": [format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{alarm_name}")],
        "detail": {
            "alarmName": alarm_name,
            "state": {"value": state, "reason": "Threshold Crossed", "timestamp": "2026-11-23T10:30:00.000+0000"},
            "previousState": {"value": "OK"},
            "configuration": {"metrics": [
                {"id": "frames", "expression": "MAX([p0])", "returnData": true},
                {"id": "p0", "returnData": false, "metricStat": {"metric": {
                    "namespace": "AWS/MediaLive", "name": "InputVideoFrameRate",
                    "dimensions": {"ChannelId": channel_id, "Pipeline": "0"}},
                    "period": 60, "stat": "Maximum"}}
            ]}
        }
    })
}

pub(crate) async fn invoke(function: &Function, event: &Value) -> Outcome {
    function.api.invoke(event.to_string(), INVOKE_TIME).await
}

pub(crate) fn succeeded(outcome: &Outcome) {
    assert!(matches!(outcome, Outcome::Response(_)), "{outcome:?}");
}

async fn medialive(rig: &Rig) -> aws_sdk_medialive::Client {
    aws_sdk_medialive::Client::new(&rig.sdk_config().await)
}

async fn scheduler(rig: &Rig) -> aws_sdk_scheduler::Client {
    aws_sdk_scheduler::Client::new(&rig.sdk_config().await)
}

/// Describes the channel until it settles (the faithful layer finishes a
/// state change after a few looks, as MediaLive after a few seconds).
pub(crate) async fn settled_state(rig: &Rig, channel_id: &str) -> ChannelState {
    let medialive = medialive(rig).await;
    for _ in 0..20 {
        let state = medialive
            .describe_channel()
            .channel_id(channel_id)
            .send()
            .await
            .unwrap()
            .state()
            .cloned()
            .unwrap();
        if !matches!(state, ChannelState::Starting | ChannelState::Stopping) {
            return state;
        }
    }
    panic!("channel {channel_id} never settled");
}

fn stops(rig: &Rig, channel_id: &str) -> usize {
    rig.aws
        .count("medialive", "POST", &format!("/prod/channels/{channel_id}/stop"))
}

pub(crate) async fn start_again(rig: &Rig, channel_id: &str) {
    medialive(rig)
        .await
        .start_channel()
        .channel_id(channel_id)
        .send()
        .await
        .unwrap();
    assert_eq!(settled_state(rig, channel_id).await, ChannelState::Running);
}

/// An HTTP subscriber to the guard's topic: the emulator delivers each
/// message to it as SNS would to a subscribed endpoint.
pub(crate) async fn subscribe(rig: &Rig, stack: &Stack) -> Receiver {
    let receiver = Receiver::start().await;
    let topic = stack.physical_id("GuardTopic").unwrap();
    aws_sdk_sns::Client::new(&rig.sdk_config().await)
        .subscribe()
        .topic_arn(topic)
        .protocol("http")
        .endpoint(receiver.url())
        .send()
        .await
        .unwrap();
    receiver
}

/// The plain message of each notification the subscriber got.
pub(crate) fn messages(receiver: &Receiver) -> Vec<String> {
    receiver
        .requests()
        .iter()
        .map(|r| r.json())
        .filter(|body| body["Type"] == "Notification")
        .map(|body| body["Message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guard_arms_stops_exactly_this_stacks_channel_and_cleans_up() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("guarded");
    let stack = player.create(template(), &parameters("Yes")).await.unwrap();
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Running);
    // Another stack's running channel, which this guard must never touch.
    let mut other_player = rig.other_player("neighbour").await;
    let other = other_player.create(template(), &parameters("Yes")).await.unwrap();
    let neighbour = other.physical_id("MediaLiveChannel").unwrap().to_owned();

    let guard = rig.function(&stack, "GuardFunction").await;
    let inbox = subscribe(&rig, &stack).await;
    let group = stack.physical_id("GuardSchedules").unwrap().to_owned();
    let scheduler = scheduler(&rig).await;

    // RUNNING arms: one schedule, at start + MaxRunHours (8 by default).
    // EventBridge names the channel by its ARN as MediaLive reports it,
    // which names the region and account.
    let reported_arn = attribute(&stack, "MediaLiveChannel", "Arn");
    assert_eq!(reported_arn, channel_arn(&channel));
    // Its RUNNING says it started almost 8 hours ago: the cap is due in
    // 30 s, when the schedule will fire.
    let armed_at = now() - 8 * 3600 + 30;
    let mut running = testkit::events::channel_state_change(&reported_arn, "RUNNING");
    running["time"] = json!(testkit::events::rfc3339(armed_at));
    succeeded(&invoke(&guard, &running).await);
    // Delivered twice (EventBridge delivers at least once): still one.
    succeeded(&invoke(&guard, &running).await);
    let schedules = scheduler.list_schedules().group_name(&group).send().await.unwrap();
    let names: Vec<&str> = schedules.schedules().iter().filter_map(|s| s.name()).collect();
    assert_eq!(names, [format!("max-run-{channel}")]);
    let schedule = scheduler
        .get_schedule()
        .group_name(&group)
        .name(format!("max-run-{channel}"))
        .send()
        .await
        .unwrap();
    let expression = schedule.schedule_expression().unwrap();
    let expected = [at(armed_at + 8 * 3600)];
    assert!(
        expected.iter().any(|e| e == expression),
        "{expression}, expected {expected:?}"
    );
    // Kept once it fires: it records the run until the stop's event deletes it.
    assert_eq!(schedule.action_after_completion().map(|a| a.as_str()), Some("NONE"));
    let target = schedule.target().unwrap();
    assert_eq!(target.role_arn(), attribute(&stack, "GuardSchedulerRole", "Arn"));
    let fired: Value = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(fired["detail"]["channelId"], channel);

    // The schedule fires: the channel stops, once, and the topic hears why.
    assert_eq!(stops(&rig, &channel), 0);
    succeeded(&invoke(&guard, &fired).await);
    assert_eq!(stops(&rig, &channel), 1);
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Idle);
    let said = inbox.wait_for(1, Duration::from_secs(30)).await[0].json();
    let message = said["Message"].as_str().unwrap();
    assert!(
        message.contains(&channel) && message.contains("ran for") && message.contains("8 h allowed"),
        "{message}"
    );
    assert_eq!(said["Subject"], "Live stream channel stopped by the cost guard");
    // Fired again (a retry): a stopped channel is not stopped twice.
    succeeded(&invoke(&guard, &fired).await);
    assert_eq!(stops(&rig, &channel), 1);
    assert_eq!(messages(&inbox).len(), 1);

    // The stop's own event disarms: the schedule is gone.
    succeeded(&invoke(&guard, &state_change(&channel, "STOPPED")).await);
    let left = scheduler.list_schedules().group_name(&group).send().await.unwrap();
    assert!(left.schedules().is_empty(), "{:?}", left.schedules());

    // Started again by hand: re-armed; the no-input alarm stops it.
    start_again(&rig, &channel).await;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING")).await);
    let alarm = stack.physical_id("NoInputVideoAlarm").unwrap().to_owned();
    for ignored in [
        alarm_change(&alarm, "OK", &channel),
        alarm_change("someone-elses-alarm", "ALARM", &channel),
        // This stack's alarm, late or forged while CloudWatch says it is
        // not in ALARM: the event alone stops nothing, whatever channel it names.
        alarm_change(&alarm, "ALARM", &neighbour),
        alarm_change(&alarm, "ALARM", &channel),
    ] {
        succeeded(&invoke(&guard, &ignored).await);
    }
    assert_eq!(stops(&rig, &channel), 1);
    assert_eq!(stops(&rig, &neighbour), 0);
    assert!(rig.aws.set_alarm_state(&alarm, "ALARM"));
    // The channel is the alarm's own, not the one the event names.
    succeeded(&invoke(&guard, &alarm_change(&alarm, "ALARM", &neighbour)).await);
    assert_eq!(stops(&rig, &channel), 2);
    assert_eq!(stops(&rig, &neighbour), 0);
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Idle);
    let said = inbox.wait_for(2, Duration::from_secs(30)).await[1].json();
    let message = said["Message"].as_str().unwrap();
    assert!(message.contains("no input video for 30 min"), "{message}");
    assert!(rig.aws.set_alarm_state(&alarm, "OK"));

    // The neighbour's RUNNING on this guard (EventBridge's rule would not
    // send it): its role may not even describe that channel, so it is not
    // armed.
    succeeded(&invoke(&guard, &state_change(&neighbour, "RUNNING")).await);
    let schedules = scheduler.list_schedules().group_name(&group).send().await.unwrap();
    assert!(
        schedules
            .schedules()
            .iter()
            .all(|s| s.name() != Some(format!("max-run-{neighbour}").as_str())),
        "the neighbour's channel is not armed here"
    );

    // The neighbour's max-run event on this guard: not this stack's channel.
    let forged = json!({"source": "livestream.cost-guard", "detail-type": "Maximum run time reached",
        "detail": {"channelId": neighbour, "startedAt": armed_at}});
    succeeded(&invoke(&guard, &forged).await);
    assert_eq!(stops(&rig, &neighbour), 0);
    assert_eq!(settled_state(&rig, &neighbour).await, ChannelState::Running);

    // Events the guard does not know are refused, saying so.
    for unknown in [
        json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
        json!({"hello": "world"}),
        json!({"source": "aws.medialive", "detail-type": "MediaLive Channel State Change", "detail": {}}),
    ] {
        let outcome = invoke(&guard, &unknown).await;
        assert!(
            matches!(&outcome, Outcome::Error(body) if body.contains("UnknownEvent")),
            "{unknown}: {outcome:?}"
        );
    }
    // The custom-resource function is not the guard: it refuses such events.
    let outcome = rig
        .api
        .invoke(state_change(&channel, "RUNNING").to_string(), INVOKE_TIME)
        .await;
    assert!(
        matches!(&outcome, Outcome::Error(body) if body.contains("not configured as the cost guard")),
        "{outcome:?}"
    );

    // Each stop is one log line naming the channel, the guard and the reason.
    let lines = guard.process.stop().await;
    let stopped: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("cost guard stopped the channel"))
        .collect();
    assert_eq!(stopped.len(), 2, "{lines:#?}");
    assert!(
        stopped[0].contains(&channel) && stopped[0].contains("\"guard\":\"max-run\"") && stopped[0].contains("ran for")
    );
    assert!(stopped[1].contains("\"guard\":\"idle-input\""), "{}", stopped[1]);
    assert!(lines.iter().any(|l| l.contains("refused")), "unknown events are logged");

    // Armed again, then the stack is deleted: its schedule group goes, and
    // every schedule in it.
    start_again(&rig, &channel).await;
    let guard = rig.function(&stack, "GuardFunction").await;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING")).await);
    assert!(player.delete(stack).await.is_empty());
    assert!(other_player.delete(other).await.is_empty());
    let left = rig.leftovers().await.unwrap();
    assert!(left.is_empty(), "{left:#?}");

    // IAM allowed every call of both stacks' functions but one kind: the
    // guard's role may not even describe the neighbour's channel (it is
    // tagged with another stack), and the guard took that refusal as "not
    // this stack's".
    let report = rig.iam_report();
    let neighbour_arn = channel_arn(&neighbour);
    let refused_look = |c: &testkit::iam::Checked| {
        c.role == "GuardFunctionRole" && c.action == "medialive:DescribeChannel" && c.resource == neighbour_arn
    };
    assert!(
        report.checked.iter().any(refused_look),
        "the neighbour's channel was looked at"
    );
    report.assert_clean_but(refused_look);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_both_guards_off_nothing_is_armed() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("unguarded");
    let mut given = parameters("Yes");
    given.extend([
        ("MaxRunHours".to_owned(), "0".to_owned()),
        ("IdleStopMinutes".to_owned(), "0".to_owned()),
    ]);
    let stack = player.create(template(), &given).await.unwrap();
    for absent in ["NoInputVideoAlarm", "IdleAlarmRule"] {
        assert!(stack.resource(absent).is_none(), "{absent}");
    }
    // The guard still hears the channel, for when a setting is turned on.
    assert!(stack.resource("ChannelStateRule").is_some());
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let guard = rig.function(&stack, "GuardFunction").await;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING")).await);
    let group = stack.physical_id("GuardSchedules").unwrap();
    let schedules = scheduler(&rig)
        .await
        .list_schedules()
        .group_name(group)
        .send()
        .await
        .unwrap();
    assert!(schedules.schedules().is_empty());
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Running);
    assert!(player.delete(stack).await.is_empty());
    assert!(rig.leftovers().await.unwrap().is_empty());
}

fn attribute(stack: &Stack, logical_id: &str, key: &str) -> String {
    stack.resource(logical_id).unwrap().exposed.attributes[key].clone()
}

/// `at(…)` for an epoch second, computed here independently of the guard.
fn at(epoch: u64) -> String {
    let output = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{epoch}"), "+at(%Y-%m-%dT%H:%M:%S)"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn the_template_admits_exactly_the_settings_the_guard_reads() {
    use livestream_resources::guard::{IDLE_MINUTES_LIMIT, MAX_RUN_HOURS_LIMIT, whole_number};
    let template = template();
    let given = |name: &str, value: &str| {
        let mut all = parameters("No");
        all.push((name.to_owned(), value.to_owned()));
        testkit::stack::parameters::resolve_parameters(&template, &Default::default(), &all)
    };
    let mut samples: Vec<String> = (0..=2000).map(|n| n.to_string()).collect();
    samples.extend(
        [
            "8.5",
            "0.0",
            "1e1",
            "",
            " 8",
            "8 ",
            "+8",
            "08",
            "-1",
            "0x10",
            "٣",
            "99999999999",
        ]
        .map(String::from),
    );
    for (name, limit) in [
        ("MaxRunHours", MAX_RUN_HOURS_LIMIT),
        ("IdleStopMinutes", IDLE_MINUTES_LIMIT),
    ] {
        for value in &samples {
            let template_says = given(name, value).is_ok();
            let guard_says = whole_number(name, value, limit).is_ok();
            assert_eq!(template_says, guard_says, "{name}={value:?}");
        }
    }
    let refused = given("MaxRunHours", "8.5").unwrap_err();
    assert!(refused.contains("MaxRunHours"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guard_that_cannot_start_fails_the_deploy_saying_why() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("broken-guard");
    // Its environment bypassing the parameter's constraint, as an edit of
    // the template could.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let broken = text.replacen(
        "LIVESTREAM_GUARD_MAX_RUN_HOURS: !Ref MaxRunHours",
        "LIVESTREAM_GUARD_MAX_RUN_HOURS: \"8.5\"",
        1,
    );
    assert_ne!(broken, text);
    let failure = player
        .create(Template::parse(&broken).unwrap(), &parameters("No"))
        .await
        .map(|_| ())
        .expect_err("the deploy fails");
    assert_eq!(failure.logical_id, "GuardCheck");
    assert!(
        failure.reason.contains("the cost guard cannot run")
            && failure.reason.contains("MaxRunHours must be a whole number")
            && failure.reason.contains("8.5"),
        "{}",
        failure.reason
    );
    let left = rig.leftovers().await.unwrap();
    assert!(left.is_empty(), "rolled back to nothing: {left:#?}");
}

/// Updates `stack` with `changed`; the update must succeed.
async fn updated(player: &mut testkit::stack::Player, stack: Stack, changed: &[(&str, &str)]) -> Stack {
    let mut given = parameters("Yes");
    given.extend(changed.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    player
        .update(stack, template(), &given)
        .await
        .map_err(|(_, failure)| failure)
        .expect("the update succeeds")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_run_the_guard_never_saw_start_is_stopped_and_an_old_alarm_never_stops_a_new_run() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("unwatched");
    let mut given = parameters("Yes");
    given.extend([
        ("MaxRunHours".to_owned(), "0".to_owned()),
        ("IdleStopMinutes".to_owned(), "0".to_owned()),
    ]);
    // Started with both guards off: the guard recorded nothing of its run.
    let stack = player.create(template(), &given).await.unwrap();
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Running);
    // Turned on while it runs: the guard's check records the run.
    let stack = updated(&mut player, stack, &[("MaxRunHours", "0"), ("IdleStopMinutes", "30")]).await;
    let group = stack.physical_id("GuardSchedules").unwrap().to_owned();
    let scheduler = scheduler(&rig).await;
    let recorded = scheduler
        .get_schedule()
        .group_name(&group)
        .name(format!("max-run-{channel}"))
        .send()
        .await
        .expect("the check recorded the run going on");
    assert_eq!(recorded.state().map(|s| s.as_str()), Some("DISABLED"), "no cap");
    // And even with no record at all (a lost event): the alarm in ALARM
    // now stops it.
    scheduler
        .delete_schedule()
        .group_name(&group)
        .name(format!("max-run-{channel}"))
        .send()
        .await
        .unwrap();
    let guard = rig.function(&stack, "GuardFunction").await;
    let alarm = stack.physical_id("NoInputVideoAlarm").unwrap().to_owned();
    assert!(rig.aws.set_alarm_state_since(&alarm, "ALARM", now() - 600));
    succeeded(&invoke(&guard, &alarm_change(&alarm, "ALARM", &channel)).await);
    assert_eq!(stops(&rig, &channel), 1);
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Idle);

    // Started again by hand while the alarm, not evaluated since, is still
    // in ALARM: its event delivered again stops nothing of the new run.
    succeeded(&invoke(&guard, &state_change(&channel, "STOPPED")).await);
    start_again(&rig, &channel).await;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING")).await);
    succeeded(&invoke(&guard, &alarm_change(&alarm, "ALARM", &channel)).await);
    assert_eq!(stops(&rig, &channel), 1, "the new run goes on");
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Running);

    assert!(player.delete(stack).await.is_empty());
    let left = rig.leftovers().await.unwrap();
    assert!(left.is_empty(), "{left:#?}");
    rig.iam_report().assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn max_run_hours_changed_by_an_update_holds_for_the_run_going_on() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("capped");
    let stack = player.create(template(), &parameters("Yes")).await.unwrap();
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let guard = rig.function(&stack, "GuardFunction").await;
    // It started three hours ago: capped at 8 h, five hours from now.
    let started = now() - 3 * 3600;
    let mut running = state_change(&channel, "RUNNING");
    running["time"] = json!(testkit::events::rfc3339(started));
    succeeded(&invoke(&guard, &running).await);
    let fired = {
        let schedule = scheduler(&rig)
            .await
            .get_schedule()
            .group_name(stack.physical_id("GuardSchedules").unwrap())
            .name(format!("max-run-{channel}"))
            .send()
            .await
            .unwrap();
        serde_json::from_str::<Value>(schedule.target().unwrap().input().unwrap()).unwrap()
    };

    // MaxRunHours=0: no cap any more; the schedule set before, firing,
    // stops nothing.
    let stack = updated(&mut player, stack, &[("MaxRunHours", "0")]).await;
    let guard = rig.function(&stack, "GuardFunction").await;
    succeeded(&invoke(&guard, &fired).await);
    assert_eq!(stops(&rig, &channel), 0);
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Running);

    // MaxRunHours=2: the run is past it, stopped by the deploy's check.
    let inbox = subscribe(&rig, &stack).await;
    let stack = updated(&mut player, stack, &[("MaxRunHours", "2")]).await;
    assert_eq!(stops(&rig, &channel), 1);
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Idle);
    let said = inbox.wait_for(1, Duration::from_secs(30)).await[0].json();
    let message = said["Message"].as_str().unwrap();
    assert!(
        message.contains("ran for 3 h") && message.contains("2 h allowed"),
        "{message}"
    );

    assert!(player.delete(stack).await.is_empty());
    assert!(rig.leftovers().await.unwrap().is_empty());
    rig.iam_report().assert_clean();
}

/// A channel with a failover pair: the no-input alarm reads the channel's
/// input video, which is the active input's, so its ALARM means neither
/// input had video; the guard stops the channel and says so, naming both.
#[tokio::test(flavor = "multi_thread")]
async fn an_idle_stop_of_a_failover_channel_says_neither_input_had_video() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("paired");
    let mut given = parameters("Yes");
    given.push(("FailoverInput".to_owned(), "Yes".to_owned()));
    let stack = player.create(template(), &given).await.unwrap();
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let primary = stack.physical_id("MediaLiveInput").unwrap().to_owned();
    let backup = stack.physical_id("MediaLiveFailoverInput").unwrap().to_owned();
    let guard = rig.function(&stack, "GuardFunction").await;
    let inbox = subscribe(&rig, &stack).await;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING")).await);
    let alarm = stack.physical_id("NoInputVideoAlarm").unwrap().to_owned();
    assert!(rig.aws.set_alarm_state(&alarm, "ALARM"));
    succeeded(&invoke(&guard, &alarm_change(&alarm, "ALARM", &channel)).await);
    assert_eq!(stops(&rig, &channel), 1);
    let said = inbox.wait_for(1, Duration::from_secs(30)).await[0].json();
    let message = said["Message"].as_str().unwrap();
    assert!(
        message.contains("no input video for 30 min on either input of its failover pair")
            && message.contains(&format!("primary {primary}, backup {backup}")),
        "{message}"
    );
    // Priced from the rate table (HD-720p, single-pipeline, v2): what has
    // no rate, v2's audio output, is named.
    assert!(
        message.contains("What it cost: about US$")
            && message.contains("plus 1 audio-only output (no rate in the rate table)"),
        "{message}"
    );
    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
    crate::stack::assert_nothing_left(&rig).await;
}

/// The input-loss alarm of a channel with a failover pair: the guard tells
/// which input each pipeline is on, from MediaLive's `PrimaryInputActive`
/// (as the stand-in channel reports it), and stops nothing; a channel
/// without a pair gets no such notice (the alarm's own says it all).
#[tokio::test]
async fn an_input_loss_of_a_failover_channel_says_which_input_is_on_air() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("paired");
    let mut given = parameters("Yes");
    given.retain(|(key, _)| key != "ChannelClass");
    given.push(("ChannelClass".to_owned(), "STANDARD".to_owned()));
    given.push(("FailoverInput".to_owned(), "Yes".to_owned()));
    let stack = player.create(template(), &given).await.unwrap();
    assert!(
        stack.physical_id("InputLossAlarmRule").is_some(),
        "with FailoverInput=Yes the input-loss alarm reaches the guard"
    );
    // The hourly cost, from the rate table: HD-720p on a standard channel,
    // two inputs (both bill), v2's audio output without a rate.
    let outputs: std::collections::BTreeMap<String, String> = player.outputs(&stack).unwrap().into_iter().collect();
    assert_eq!(
        outputs["CostPerRunningHour"],
        "about US$2.59 an hour, plus 1 audio-only output at a rate the rate table does not give for us-east-1 \
         (us-east-1 on-demand MediaLive: 2 HD AVC inputs up to 10 Mbps at US$0.2340, 1 HD AVC output up to 30 fps at US$0.7020, \
         4 SD AVC outputs up to 30 fps at US$0.3540, 1 audio-only output (rate unknown); \
         MediaPackage and CloudFront bill per GB on top; an estimate from the stack's rate table)"
    );
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let primary = stack.physical_id("MediaLiveInput").unwrap().to_owned();
    let backup = stack.physical_id("MediaLiveFailoverInput").unwrap().to_owned();
    let guard = rig.function(&stack, "GuardFunction").await;
    let inbox = subscribe(&rig, &stack).await;
    // Pipeline 0 went over to the backup a minute ago; pipeline 1 is on
    // its primary; an older minute of pipeline 0 on the primary is not
    // what is on air now.
    let report = |pipeline: &str, value: f64, seconds_ago: u64| {
        rig.aws.report_metric(
            "AWS/MediaLive",
            "PrimaryInputActive",
            &[("ChannelId", &channel), ("Pipeline", pipeline)],
            value,
            seconds_ago,
        );
    };
    report("0", 1.0, 180);
    report("0", 0.0, 60);
    report("1", 1.0, 60);
    let alarm = stack.physical_id("InputLossAlarm").unwrap().to_owned();
    assert_eq!(alarm, "paired-input-loss");
    assert!(rig.aws.set_alarm_state(&alarm, "ALARM"));
    succeeded(&invoke(&guard, &alarm_change(&alarm, "ALARM", &channel)).await);
    assert_eq!(stops(&rig, &channel), 0, "an input loss stops nothing");
    let said = inbox.wait_for(1, Duration::from_secs(30)).await[0].json();
    assert_eq!(said["Subject"], "Live stream input lost: paired-livestream");
    let message = said["Message"].as_str().unwrap();
    assert!(
        message.contains(&format!("Pipeline 0: on its backup input {backup}"))
            && message.contains(&format!("Pipeline 1: on its primary input {primary}")),
        "{message}"
    );
    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");

    // Without a pair: no rule sends the alarm, and a stray event is let be.
    let stack = player.create(template(), &parameters("Yes")).await.unwrap();
    assert!(stack.physical_id("InputLossAlarmRule").is_none());
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let guard = rig.function(&stack, "GuardFunction").await;
    let alarm = stack.physical_id("InputLossAlarm").unwrap().to_owned();
    assert!(rig.aws.set_alarm_state(&alarm, "ALARM"));
    let told = rig.aws.count("sns", "POST", "/");
    succeeded(&invoke(&guard, &alarm_change(&alarm, "ALARM", &channel)).await);
    assert_eq!(rig.aws.count("sns", "POST", "/"), told, "no notice without a pair");
    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
    crate::stack::assert_nothing_left(&rig).await;
}
