//! The cost guard's answers to what the emulator cannot stage, with the
//! SDK's mock client: a stop refused because the channel is stopping
//! already, a schedule armed before (kept), events that arrive late, a
//! topic that cannot be reached (the channel is stopped all the same).

// Panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_medialive::operation::stop_channel::{StopChannelError, StopChannelOutput};
use aws_sdk_medialive::types::ChannelState;
use aws_sdk_medialive::types::error::ConflictException;
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleOutput;
use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleOutput;
use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::types::error::NotFoundException;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::error::ErrorMetadata;
use livestream_resources::guard::{Guard, GuardAction, GuardClients, GuardConfig, GuardEvent};

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/live/1";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:live-cost-guard";

fn config() -> GuardConfig {
    GuardConfig {
        stack_id: STACK.into(),
        max_run_hours: 8,
        idle_minutes: 30,
        idle_alarm: Some("live-no-input-video".into()),
        schedule_group: "live-cost-guard".into(),
        scheduler_role_arn: "arn:aws:iam::123456789012:role/live-scheduler".into(),
        topic_arn: Some("arn:aws:sns:us-east-1:123456789012:live-guard".into()),
    }
}

fn running_and_ours() -> Rule {
    mock!(aws_sdk_medialive::Client::describe_channel).then_output(|| {
        DescribeChannelOutput::builder()
            .id("1234567")
            .name("live-livestream")
            .state(ChannelState::Running)
            .set_tags(Some(HashMap::from([(
                "livestream:stack-id".to_owned(),
                STACK.to_owned(),
            )])))
            .build()
    })
}

fn guard(medialive: &[&Rule], scheduler: &[&Rule], sns: &[&Rule]) -> Guard {
    Guard {
        config: config(),
        aws: GuardClients {
            medialive: mock_client!(aws_sdk_medialive, RuleMode::MatchAny, medialive),
            scheduler: mock_client!(aws_sdk_scheduler, RuleMode::MatchAny, scheduler),
            sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, sns),
        },
    }
}

fn running() -> GuardEvent {
    GuardEvent::ChannelState {
        channel_id: "1234567".into(),
        state: "RUNNING".into(),
    }
}

fn max_run() -> GuardEvent {
    GuardEvent::MaxRunReached {
        channel_id: "1234567".into(),
        started_at: 0,
    }
}

#[tokio::test]
async fn a_stop_refused_because_the_channel_is_stopping_already_is_not_an_error() {
    let describe = running_and_ours();
    let refuse = mock!(aws_sdk_medialive::Client::stop_channel).then_error(|| {
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
    });
    let publish = mock!(aws_sdk_sns::Client::publish)
        .then_output(|| aws_sdk_sns::operation::publish::PublishOutput::builder().build());
    let guard = guard(&[&describe, &refuse], &[], &[&publish]);
    let action = guard.handle(max_run(), FUNCTION).await.unwrap();
    assert!(
        matches!(&action, GuardAction::Nothing(why) if why.contains("stopping already")),
        "{action:?}"
    );
    assert_eq!(refuse.num_calls(), 1);
    assert_eq!(publish.num_calls(), 0, "nothing was stopped, nothing is said");
}

#[tokio::test]
async fn a_channel_stopped_without_its_notification_is_still_stopped() {
    let describe = running_and_ours();
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
    let guard = guard(&[&describe, &stop], &[], &[&unreachable]);
    let action = guard.handle(max_run(), FUNCTION).await.unwrap();
    assert_eq!(
        action,
        GuardAction::Stopped {
            channel_id: "1234567".into(),
            guard: "max-run"
        }
    );
    assert_eq!((stop.num_calls(), unreachable.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_schedule_armed_before_is_kept_not_moved() {
    let describe = running_and_ours();
    let exists = mock!(aws_sdk_scheduler::Client::create_schedule)
        .match_requests(|r| {
            r.name() == Some("max-run-1234567")
                && r.group_name() == Some("live-cost-guard")
                && r.target().map(|t| t.arn()) == Some(FUNCTION)
        })
        .then_error(|| {
            CreateScheduleError::ConflictException(
                aws_sdk_scheduler::types::error::ConflictException::builder()
                    .message("Schedule max-run-1234567 already exists.")
                    .meta(ErrorMetadata::builder().code("ConflictException").build())
                    .build()
                    .unwrap(),
            )
        });
    let guard = guard(&[&describe], &[&exists], &[]);
    let action = guard.handle(running(), FUNCTION).await.unwrap();
    assert!(
        matches!(&action, GuardAction::Nothing(why) if why.contains("armed already")),
        "{action:?}"
    );
    assert_eq!(exists.num_calls(), 1);
}

#[tokio::test]
async fn late_events_are_checked_against_the_channel_now() {
    // A RUNNING delivered after the channel stopped arms nothing.
    let idle = mock!(aws_sdk_medialive::Client::describe_channel).then_output(|| {
        DescribeChannelOutput::builder()
            .id("1234567")
            .state(ChannelState::Idle)
            .set_tags(Some(HashMap::from([(
                "livestream:stack-id".to_owned(),
                STACK.to_owned(),
            )])))
            .build()
    });
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_output(|| CreateScheduleOutput::builder().schedule_arn("x").build().unwrap());
    let guard_when_idle = guard(&[&idle], &[&create], &[]);
    let action = guard_when_idle.handle(running(), FUNCTION).await.unwrap();
    assert!(
        matches!(&action, GuardAction::Nothing(why) if why.contains("stale")),
        "{action:?}"
    );
    assert_eq!(create.num_calls(), 0);

    // A STOPPED delivered after the channel started again disarms nothing.
    let describe = running_and_ours();
    let delete =
        mock!(aws_sdk_scheduler::Client::delete_schedule).then_output(|| DeleteScheduleOutput::builder().build());
    let guard_when_running = guard(&[&describe], &[&delete], &[]);
    let stopped = GuardEvent::ChannelState {
        channel_id: "1234567".into(),
        state: "STOPPED".into(),
    };
    let action = guard_when_running.handle(stopped, FUNCTION).await.unwrap();
    assert!(
        matches!(&action, GuardAction::Nothing(why) if why.contains("stale")),
        "{action:?}"
    );
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
    let guard = guard(&[&foreign, &stop], &[&create], &[]);
    let armed = guard.handle(running(), FUNCTION).await.unwrap();
    assert!(matches!(armed, GuardAction::Nothing(_)), "{armed:?}");
    let stopped = guard.handle(max_run(), FUNCTION).await.unwrap();
    assert!(matches!(stopped, GuardAction::Nothing(_)), "{stopped:?}");
    assert_eq!((stop.num_calls(), create.num_calls()), (0, 0));
}
