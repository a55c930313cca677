//! The cost guard's answers to what the emulator cannot stage, with the
//! SDK's mock client: a stop refused because the channel is stopping
//! already, a stop whose answer was lost, events of an earlier run that
//! arrive after a restart, late events, a topic that cannot be reached,
//! a channel of another account.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, StateValue};
use aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_medialive::operation::list_channels::ListChannelsOutput;
use aws_sdk_medialive::operation::stop_channel::{StopChannelError, StopChannelOutput};
use aws_sdk_medialive::types::error::ConflictException;
use aws_sdk_medialive::types::{ChannelState, ChannelSummary};
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleOutput;
use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleOutput;
use aws_sdk_scheduler::operation::get_schedule::{GetScheduleError, GetScheduleOutput};
use aws_sdk_scheduler::operation::update_schedule::UpdateScheduleOutput;
use aws_sdk_scheduler::types::{ScheduleState, Target};
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_sdk_sns::types::error::NotFoundException;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::ErrorMetadata;
use livestream_resources::aws::GuardClients;
use livestream_resources::guard::{Guard, GuardAction, GuardConfig, GuardEvent};

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/live/1";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:live-cost-guard";
const HOUR: u64 = 3600;

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn config() -> GuardConfig {
    GuardConfig {
        stack_id: STACK.into(),
        max_run_hours: 8,
        idle_minutes: 30,
        idle_alarm: Some("live-no-input-video".into()),
        input_loss_alarm: Some("live-input-loss".into()),
        schedule_group: "live-cost-guard".into(),
        scheduler_role_arn: "arn:aws:iam::123456789012:role/live-scheduler".into(),
        topic_arn: Some("arn:aws:sns:us-east-1:123456789012:live-guard".into()),
        recordings: None,
    }
}

fn channel_in(state: ChannelState) -> Rule {
    mock!(aws_sdk_medialive::Client::describe_channel).then_output(move || {
        DescribeChannelOutput::builder()
            .id("1234567")
            .name("live-livestream")
            .state(state.clone())
            .set_tags(Some(HashMap::from([(
                "livestream:stack-id".to_owned(),
                STACK.to_owned(),
            )])))
            .build()
    })
}

fn running_and_ours() -> Rule {
    channel_in(ChannelState::Running)
}

/// The guard's record of the run that started at `started_at`.
fn armed_for(started_at: u64) -> Rule {
    mock!(aws_sdk_scheduler::Client::get_schedule).then_output(move || {
        let input = serde_json::json!({"source": "livestream.cost-guard", "detail-type": "Maximum run time reached",
            "detail": {"channelId": "1234567", "startedAt": started_at, "stopAt": started_at + 8 * HOUR}});
        GetScheduleOutput::builder()
            .name("max-run-1234567")
            .target(
                Target::builder()
                    .arn(FUNCTION)
                    .role_arn("arn:aws:iam::123456789012:role/live-scheduler")
                    .input(input.to_string())
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

fn nothing_armed() -> Rule {
    mock!(aws_sdk_scheduler::Client::get_schedule).then_error(|| {
        GetScheduleError::ResourceNotFoundException(
            aws_sdk_scheduler::types::error::ResourceNotFoundException::builder()
                .message("Schedule max-run-1234567 does not exist.")
                .meta(ErrorMetadata::builder().code("ResourceNotFoundException").build())
                .build()
                .unwrap(),
        )
    })
}

fn conflict() -> StopChannelError {
    StopChannelError::ConflictException(
        ConflictException::builder()
            .meta(
                ErrorMetadata::builder()
                    .code("ConflictException")
                    .message("Channel is stopping")
                    .build(),
            )
            .build(),
    )
}

fn published() -> Rule {
    mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build())
}

fn guard(medialive: &[&Rule], scheduler: &[&Rule], sns: &[&Rule]) -> Guard {
    guard_with_alarms(&[], medialive, scheduler, sns)
}

fn guard_with_alarms(cloudwatch: &[&Rule], medialive: &[&Rule], scheduler: &[&Rule], sns: &[&Rule]) -> Guard {
    Guard::new(
        config(),
        GuardClients {
            cloudwatch: mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, cloudwatch),
            medialive: mock_client!(aws_sdk_medialive, RuleMode::MatchAny, medialive),
            mediapackagev2: mock_client!(aws_sdk_mediapackagev2, RuleMode::MatchAny, &[]),
            s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[]),
            scheduler: mock_client!(aws_sdk_scheduler, RuleMode::MatchAny, scheduler),
            sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, sns),
        },
    )
}

fn state_change(state: &str, at: u64) -> GuardEvent {
    GuardEvent::ChannelState {
        channel_id: "1234567".into(),
        state: state.into(),
        at,
        region: "us-east-1".into(),
        account: "123456789012".into(),
    }
}

fn max_run(started_at: u64) -> GuardEvent {
    GuardEvent::MaxRunReached {
        channel_id: "1234567".into(),
        started_at,
    }
}

/// The no-input alarm's state change, as EventBridge delivers it.
fn alarm_event() -> GuardEvent {
    GuardEvent::Alarm {
        alarm_name: "live-no-input-video".into(),
        state: "ALARM".into(),
    }
}

/// The no-input alarm as CloudWatch describes it now: `state` since
/// `since`, on channel 1234567's pipeline 0, 30 one-minute periods.
fn alarm_now(state: StateValue, since: u64) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(|r| r.alarm_names() == ["live-no-input-video"])
        .then_output(move || {
            let metric = Metric::builder()
                .namespace("AWS/MediaLive")
                .metric_name("InputVideoFrameRate")
                .dimensions(Dimension::builder().name("ChannelId").value("1234567").build())
                .dimensions(Dimension::builder().name("Pipeline").value("0").build())
                .build();
            let frames = MetricDataQuery::builder()
                .id("frames0")
                .metric_stat(MetricStat::builder().metric(metric).period(60).stat("Maximum").build())
                .return_data(false)
                .build();
            let idle = MetricDataQuery::builder()
                .id("idle")
                .expression("FILL(frames0, 0) < 1")
                .build();
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("live-no-input-video")
                        .state_value(state.clone())
                        .state_transitioned_timestamp(DateTime::from_secs(since as i64))
                        .state_updated_timestamp(DateTime::from_secs(since as i64))
                        .evaluation_periods(30)
                        .datapoints_to_alarm(30)
                        .metrics(idle)
                        .metrics(frames)
                        .build(),
                )
                .build()
        })
}

fn nothing_because(action: &GuardAction, words: &str) -> bool {
    matches!(action, GuardAction::Nothing(why) if why.contains(words))
}

#[tokio::test]
async fn a_stop_refused_because_the_channel_is_stopping_already_is_not_an_error() {
    let started = now() - 8 * HOUR;
    let (describe, armed) = (running_and_ours(), armed_for(started));
    let refuse = mock!(aws_sdk_medialive::Client::stop_channel).then_error(conflict);
    let publish = published();
    let guard = guard(&[&describe, &refuse], &[&armed], &[&publish]);
    let action = guard.handle(max_run(started), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "stopping already"), "{action:?}");
    assert_eq!(refuse.num_calls(), 1);
    assert_eq!(publish.num_calls(), 0, "nothing was stopped, nothing is said");
}

#[tokio::test]
async fn a_stop_whose_answer_was_lost_is_this_invocations_stop_and_is_said() {
    let started = now() - 8 * HOUR;
    let (describe, armed, publish) = (running_and_ours(), armed_for(started), published());
    // The first attempt acts but its answer is lost (a 500); the retry
    // finds the channel stopping.
    let stop = mock!(aws_sdk_medialive::Client::stop_channel)
        .sequence()
        .http_status(500, None)
        .error(conflict)
        .build();
    let guard = guard(&[&describe, &stop], &[&armed], &[&publish]);
    let action = guard.handle(max_run(started), FUNCTION).await.unwrap();
    assert_eq!(
        action,
        GuardAction::Stopped {
            channel_id: "1234567".into(),
            guard: "max-run"
        }
    );
    assert_eq!(stop.num_calls(), 2);
    assert_eq!(publish.num_calls(), 1, "the stop is said");
}

#[tokio::test]
async fn a_max_run_event_of_an_earlier_run_never_stops_the_current_one() {
    let (first_run, second_run) = (now() - 9 * HOUR, now() - 600);
    let describe = running_and_ours();
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    // Stopped and started again: the guard armed the second run.
    let armed = armed_for(second_run);
    let guard_now = guard(&[&describe, &stop], &[&armed], &[]);
    let action = guard_now.handle(max_run(first_run), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "stale"), "{action:?}");
    // Stopped, not started again: the run's record is gone.
    let none = nothing_armed();
    let guard_after_stop = guard(&[&describe, &stop], &[&none], &[]);
    let action = guard_after_stop.handle(max_run(first_run), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "has ended"), "{action:?}");
    assert_eq!(stop.num_calls(), 0);
}

#[tokio::test]
async fn an_alarm_retried_after_a_restart_never_stops_the_new_run() {
    let restarted = now() - 60;
    let describe = running_and_ours();
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    let armed = armed_for(restarted);
    // The alarm went off before the restart and has not been evaluated
    // since; Lambda delivers its event again now.
    let still_alarm = alarm_now(StateValue::Alarm, restarted - 600);
    let guard = guard_with_alarms(&[&still_alarm], &[&describe, &stop], &[&armed], &[]);
    let action = guard.handle(alarm_event(), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "earlier run"), "{action:?}");
    // Evaluated since on the new run's data: OK, so the event is stale.
    let ok_now = alarm_now(StateValue::Ok, now() - 30);
    let guard = guard_with_alarms(&[&ok_now], &[&describe, &stop], &[&armed], &[]);
    let action = guard.handle(alarm_event(), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "no longer in ALARM"), "{action:?}");
    assert_eq!(stop.num_calls(), 0);
}

#[tokio::test]
async fn an_idle_run_the_guard_never_saw_start_is_stopped_and_its_message_counts_the_alarms_minutes() {
    // Both guards were off when it started (nothing recorded), or its
    // RUNNING never reached the guard: the alarm in ALARM now is enough.
    let (describe, none, publish) = (running_and_ours(), nothing_armed(), published());
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    let in_alarm = alarm_now(StateValue::Alarm, now() - 60);
    let guard = guard_with_alarms(&[&in_alarm], &[&describe, &stop], &[&none], &[&publish]);
    let action = guard.handle(alarm_event(), FUNCTION).await.unwrap();
    assert!(
        matches!(
            action,
            GuardAction::Stopped {
                guard: "idle-input",
                ..
            }
        ),
        "{action:?}"
    );
    assert_eq!((stop.num_calls(), publish.num_calls()), (1, 1));
}

#[tokio::test]
async fn an_alarm_dated_in_the_future_or_naming_no_channel_is_not_believed() {
    let started = now() - 600;
    let (describe, armed) = (running_and_ours(), armed_for(started));
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    let publish = published();
    // Dated 9999: read as now, which is after the run started: a real
    // ALARM of this run, stopped; the date itself decides nothing.
    let future = alarm_now(StateValue::Alarm, 253_402_300_799);
    let guard = guard_with_alarms(&[&future], &[&describe, &stop], &[&armed], &[&publish]);
    let action = guard.handle(alarm_event(), FUNCTION).await.unwrap();
    assert!(matches!(action, GuardAction::Stopped { .. }), "{action:?}");
    // An alarm CloudWatch does not have stops nothing.
    let missing =
        mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(|| DescribeAlarmsOutput::builder().build());
    let guard = guard_with_alarms(&[&missing], &[&describe, &stop], &[&armed], &[&publish]);
    let action = guard.handle(alarm_event(), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "does not exist"), "{action:?}");
    assert_eq!(stop.num_calls(), 1);
}

#[tokio::test]
async fn a_starting_channel_is_not_stopped_for_an_alarm() {
    let starting = channel_in(ChannelState::Starting);
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    let in_alarm = alarm_now(StateValue::Alarm, now() - 60);
    let guard = guard_with_alarms(&[&in_alarm], &[&starting, &stop], &[], &[]);
    let action = guard.handle(alarm_event(), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "STARTING"), "{action:?}");
    assert_eq!(stop.num_calls(), 0);
}

#[tokio::test]
async fn a_schedule_firing_after_its_cap_was_raised_or_removed_arms_again_and_stops_nothing() {
    let started = now() - 8 * HOUR;
    let (describe, armed) = (running_and_ours(), armed_for(started));
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    // Raised to 10 h by an update: armed again for started + 10 h.
    let expected = format!("at({})", at_text(started + 10 * HOUR));
    let rearmed = mock!(aws_sdk_scheduler::Client::update_schedule)
        .match_requests(move |r| r.schedule_expression() == Some(expected.as_str()))
        .then_output(|| UpdateScheduleOutput::builder().schedule_arn("x").build().unwrap());
    let mut raised = guard(&[&describe, &stop], &[&armed, &rearmed], &[]);
    raised.config.max_run_hours = 10;
    let action = raised.handle(max_run(started), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "armed again"), "{action:?}");
    assert_eq!(rearmed.num_calls(), 1);
    // Turned off (0) by an update: the record stays, disabled.
    let disabled = mock!(aws_sdk_scheduler::Client::update_schedule)
        .match_requests(|r| r.state() == Some(&ScheduleState::Disabled))
        .then_output(|| UpdateScheduleOutput::builder().schedule_arn("x").build().unwrap());
    let mut off = guard(&[&describe, &stop], &[&armed, &disabled], &[]);
    off.config.max_run_hours = 0;
    let action = off.handle(max_run(started), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "no longer capped"), "{action:?}");
    assert_eq!((disabled.num_calls(), stop.num_calls()), (1, 0));
}

#[tokio::test]
async fn a_late_running_event_arms_from_its_own_time_and_a_very_late_one_stops_at_once() {
    let started = now() - 2 * HOUR;
    let (describe, none) = (running_and_ours(), nothing_armed());
    let expected = format!("at({})", at_text(started + 8 * HOUR));
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .match_requests(move |r| r.schedule_expression() == Some(expected.as_str()))
        .then_output(|| CreateScheduleOutput::builder().schedule_arn("x").build().unwrap());
    let guard_now = guard(&[&describe], &[&none, &create], &[]);
    let action = guard_now
        .handle(state_change("RUNNING", started), FUNCTION)
        .await
        .unwrap();
    assert_eq!(
        action,
        GuardAction::Armed {
            schedule: "max-run-1234567".into(),
            stop_at: Some(started + 8 * HOUR)
        }
    );
    assert_eq!(create.num_calls(), 1, "armed at the event's time + 8 h");

    // Delivered after its cap had passed: stopped now, not armed for later.
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    let publish = published();
    let guard_late = guard(&[&describe, &stop], &[&none], &[&publish]);
    let action = guard_late
        .handle(state_change("RUNNING", now() - 9 * HOUR), FUNCTION)
        .await
        .unwrap();
    assert!(
        matches!(action, GuardAction::Stopped { guard: "max-run", .. }),
        "{action:?}"
    );
    assert_eq!((stop.num_calls(), publish.num_calls()), (1, 1));
}

/// `yyyy-mm-ddThh:mm:ss` of an epoch time, as the schedule's expression holds it.
fn at_text(epoch: u64) -> String {
    let time = DateTime::from_secs(epoch as i64);
    time.fmt(aws_smithy_types::date_time::Format::DateTime).unwrap()[..19].to_owned()
}

#[tokio::test]
async fn a_notification_that_fails_fails_the_invocation_and_its_retry_does_not_stop_twice() {
    let started = now() - 8 * HOUR;
    let armed = armed_for(started);
    let describe = mock!(aws_sdk_medialive::Client::describe_channel)
        .sequence()
        .output(|| {
            DescribeChannelOutput::builder()
                .id("1234567")
                .state(ChannelState::Running)
                .set_tags(Some(HashMap::from([(
                    "livestream:stack-id".to_owned(),
                    STACK.to_owned(),
                )])))
                .build()
        })
        .output(|| {
            DescribeChannelOutput::builder()
                .id("1234567")
                .state(ChannelState::Stopping)
                .set_tags(Some(HashMap::from([(
                    "livestream:stack-id".to_owned(),
                    STACK.to_owned(),
                )])))
                .build()
        })
        .build();
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    let unreachable = mock!(aws_sdk_sns::Client::publish).then_error(|| {
        PublishError::NotFoundException(
            NotFoundException::builder()
                .meta(
                    ErrorMetadata::builder()
                        .code("NotFound")
                        .message("Topic does not exist")
                        .build(),
                )
                .build(),
        )
    });
    let guard = guard(&[&describe, &stop], &[&armed], &[&unreachable]);
    let err = guard.handle(max_run(started), FUNCTION).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("is stopped, but the notification could not be sent"),
        "{err}"
    );
    assert_eq!(stop.num_calls(), 1);
    assert_eq!(unreachable.num_calls(), 3, "tried again before failing");
    // Lambda retries the event: the channel is stopping, not stopped twice.
    let retried = guard.handle(max_run(started), FUNCTION).await.unwrap();
    assert!(nothing_because(&retried, "already"), "{retried:?}");
    assert_eq!(stop.num_calls(), 1);
}

#[tokio::test]
async fn a_schedule_armed_before_is_kept_not_moved() {
    let started = now() - HOUR;
    let (describe, armed) = (running_and_ours(), armed_for(started));
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_output(|| CreateScheduleOutput::builder().schedule_arn("x").build().unwrap());
    let guard = guard(&[&describe], &[&armed, &create], &[]);
    // RUNNING again (delivered twice, or after a recovery): the cap counts
    // from the first.
    let action = guard.handle(state_change("RUNNING", now()), FUNCTION).await.unwrap();
    assert!(nothing_because(&action, "armed already"), "{action:?}");
    assert_eq!(create.num_calls(), 0);
}

#[tokio::test]
async fn late_events_are_checked_against_the_channel_now() {
    // A RUNNING delivered after the channel stopped arms nothing.
    let idle = channel_in(ChannelState::Idle);
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_output(|| CreateScheduleOutput::builder().schedule_arn("x").build().unwrap());
    let guard_when_idle = guard(&[&idle], &[&create], &[]);
    let action = guard_when_idle
        .handle(state_change("RUNNING", now() - 60), FUNCTION)
        .await
        .unwrap();
    assert!(nothing_because(&action, "stale"), "{action:?}");
    assert_eq!(create.num_calls(), 0);

    // A STOPPED delivered after the channel started again disarms nothing.
    let describe = running_and_ours();
    let delete =
        mock!(aws_sdk_scheduler::Client::delete_schedule).then_output(|| DeleteScheduleOutput::builder().build());
    let guard_when_running = guard(&[&describe], &[&delete], &[]);
    let action = guard_when_running
        .handle(state_change("STOPPED", now() - 60), FUNCTION)
        .await
        .unwrap();
    assert!(nothing_because(&action, "stale"), "{action:?}");
    assert_eq!(delete.num_calls(), 0);
}

#[tokio::test]
async fn a_channel_without_this_stacks_tag_is_never_armed_nor_stopped() {
    let foreign = mock!(aws_sdk_medialive::Client::describe_channel).then_output(|| {
        DescribeChannelOutput::builder()
            .id("1234567")
            .state(ChannelState::Running)
            .build()
    });
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_output(|| CreateScheduleOutput::builder().schedule_arn("x").build().unwrap());
    let started = now() - 9 * HOUR;
    let armed = armed_for(started);
    let guard = guard(&[&foreign, &stop], &[&create, &armed], &[]);
    let armed_action = guard.handle(state_change("RUNNING", now()), FUNCTION).await.unwrap();
    assert!(matches!(armed_action, GuardAction::Nothing(_)), "{armed_action:?}");
    let stopped = guard.handle(max_run(started), FUNCTION).await.unwrap();
    assert!(matches!(stopped, GuardAction::Nothing(_)), "{stopped:?}");
    assert_eq!((stop.num_calls(), create.num_calls()), (0, 0));
}

#[tokio::test]
async fn a_channel_of_another_account_or_region_is_left_alone_without_a_call() {
    let describe = running_and_ours();
    let guard = guard(&[&describe], &[], &[]);
    for (region, account) in [("us-east-1", "999999999999"), ("eu-west-1", "123456789012")] {
        let event = GuardEvent::ChannelState {
            channel_id: "1234567".into(),
            state: "RUNNING".into(),
            at: now(),
            region: region.into(),
            account: account.into(),
        };
        let action = guard.handle(event, FUNCTION).await.unwrap();
        assert!(nothing_because(&action, "not this stack's"), "{action:?}");
    }
    assert_eq!(describe.num_calls(), 0);
}

/// ListChannels: ours running, ours idle, and another stack's running.
fn channels_listed() -> Rule {
    mock!(aws_sdk_medialive::Client::list_channels).then_output(|| {
        let ours = HashMap::from([("livestream:stack-id".to_owned(), STACK.to_owned())]);
        let summary = |id: &str, state: ChannelState, tags: HashMap<String, String>| {
            ChannelSummary::builder()
                .id(id)
                .state(state)
                .set_tags(Some(tags))
                .build()
        };
        ListChannelsOutput::builder()
            .channels(summary("1234567", ChannelState::Running, ours.clone()))
            .channels(summary("2345678", ChannelState::Idle, ours))
            .channels(summary("3456789", ChannelState::Running, HashMap::new()))
            .build()
    })
}

#[tokio::test]
async fn the_check_arms_a_run_going_on_that_the_guard_never_saw_and_only_that() {
    let (listed, none) = (channels_listed(), nothing_armed());
    let (from, to) = (now(), now() + 8 * HOUR + 5);
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .match_requests(move |r| {
            r.name() == Some("max-run-1234567")
                && r.schedule_expression()
                    .is_some_and(|e| (from + 8 * HOUR..=to).any(|t| e == format!("at({})", at_text(t))))
        })
        .then_output(|| CreateScheduleOutput::builder().schedule_arn("x").build().unwrap());
    let guard = guard(&[&listed], &[&none, &create], &[]);
    let done = guard.rearm(FUNCTION).await.unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert!(done[0].contains("1234567") && done[0].contains("capped at"), "{done:?}");
    assert_eq!(
        create.num_calls(),
        1,
        "one schedule, for this stack's running channel, capped from now"
    );
}

#[tokio::test]
async fn the_check_stops_a_run_past_a_lowered_cap() {
    let started = now() - 3 * HOUR;
    let (listed, armed, describe, publish) = (channels_listed(), armed_for(started), running_and_ours(), published());
    let stop = mock!(aws_sdk_medialive::Client::stop_channel).then_output(|| StopChannelOutput::builder().build());
    let mut guard = guard(&[&listed, &describe, &stop], &[&armed], &[&publish]);
    guard.config.max_run_hours = 2;
    let done = guard.rearm(FUNCTION).await.unwrap();
    assert!(done[0].contains("stopped"), "{done:?}");
    assert_eq!((stop.num_calls(), publish.num_calls()), (1, 1));
}

/// A stop whose harvest the channel group's quota refuses: the guard keeps
/// the run as still to harvest (its record written before the run's own is
/// deleted), says it waits, and deletes nothing it still needs.
#[tokio::test]
async fn a_harvest_refused_for_the_quota_waits_and_keeps_the_run() {
    use aws_sdk_mediapackagev2::operation::create_harvest_job::CreateHarvestJobError;
    use aws_sdk_mediapackagev2::types::error::ServiceQuotaExceededException;
    use livestream_resources::guard::{GuardAction, RecordingsConfig};

    let started_at = now() - HOUR;
    let recorded_run = mock!(aws_sdk_scheduler::Client::get_schedule).then_output(move || {
        let input = serde_json::json!({"source": "livestream.cost-guard", "detail-type": "Maximum run time reached",
            "detail": {"channelId": "1234567", "startedAt": started_at, "stopAt": started_at + 8 * HOUR, "record": "live"}});
        GetScheduleOutput::builder()
            .name("max-run-1234567")
            .target(Target::builder().arn(FUNCTION).role_arn("r").input(input.to_string()).build().unwrap())
            .build()
    });
    let kept = mock!(aws_sdk_scheduler::Client::create_schedule)
        .match_requests(|r| r.name().is_some_and(|n| n.starts_with("record-1234567-")))
        .then_output(|| CreateScheduleOutput::builder().schedule_arn("arn").build().unwrap());
    let run_deleted = mock!(aws_sdk_scheduler::Client::delete_schedule)
        .match_requests(|r| r.name() == Some("max-run-1234567"))
        .then_output(|| DeleteScheduleOutput::builder().build());
    let kept_deleted = mock!(aws_sdk_scheduler::Client::delete_schedule)
        .match_requests(|r| r.name().is_some_and(|n| n.starts_with("record-")))
        .then_output(|| DeleteScheduleOutput::builder().build());
    let quota = mock!(aws_sdk_mediapackagev2::Client::create_harvest_job).then_error(|| {
        CreateHarvestJobError::ServiceQuotaExceededException(
            ServiceQuotaExceededException::builder()
                .message("You have reached the quota of harvest jobs in progress")
                .meta(ErrorMetadata::builder().code("ServiceQuotaExceededException").build())
                .build(),
        )
    });
    let stopped = channel_in(ChannelState::Idle);
    let mut config = config();
    config.recordings = Some(RecordingsConfig {
        bucket: "live-recordings".into(),
        channel_group: "live".into(),
    });
    let guard = Guard::new(
        config,
        GuardClients {
            cloudwatch: mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &[]),
            medialive: mock_client!(aws_sdk_medialive, RuleMode::MatchAny, [&stopped]),
            mediapackagev2: mock_client!(aws_sdk_mediapackagev2, RuleMode::MatchAny, [&quota]),
            s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, &[]),
            scheduler: mock_client!(
                aws_sdk_scheduler,
                RuleMode::MatchAny,
                [&recorded_run, &kept, &run_deleted, &kept_deleted]
            ),
            sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, &[]),
        },
    );
    let action = guard.handle(state_change("STOPPED", now()), FUNCTION).await.unwrap();
    match action {
        GuardAction::Waiting(why) => assert!(why.contains("quota") && why.contains("run-"), "{why}"),
        other => panic!("expected to wait, got {other:?}"),
    }
    assert_eq!(quota.num_calls(), 1);
    assert_eq!(kept.num_calls(), 1, "the run is kept as still to harvest");
    assert_eq!(run_deleted.num_calls(), 1, "the run's own record goes");
    assert_eq!(kept_deleted.num_calls(), 0, "what still waits is not deleted");
}
