//! The cost guard as deployed: its rules enabled and sending to it, its
//! schedule group, a running channel's record, and what it caps a
//! forgotten channel at.

use aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_medialive::types::ChannelState;
use aws_sdk_scheduler::error::DisplayErrorContext;
use livestream_resources::cost;
use livestream_resources::recording::runs::RUN_PREFIX;

use crate::{Clients, Kind, Line, StackView};

/// Every EventBridge rule of the stack that holds the guard: enabled, and
/// sending to the guard function.
pub(crate) async fn rules(aws: &Clients, guarded_by: &StackView) -> Vec<Line> {
    let Some(guard) = guarded_by.physical_id("GuardFunction") else {
        return vec![Line::fail(
            "guard",
            format!("{} has no GuardFunction", guarded_by.name),
            "deploy it from this project's template.yaml or foundation.yaml",
        )];
    };
    let mut lines = Vec::new();
    for (logical, rule) in guarded_by.of_type("AWS::Events::Rule") {
        let described = match aws.events.describe_rule().name(rule).send().await {
            Ok(described) => described,
            Err(err) => {
                lines.push(Line::fail(
                    "guard",
                    format!("rule {rule} ({logical}) cannot be read: {}", DisplayErrorContext(&err)),
                    format!("deploy {} again: the rule is the stack's", guarded_by.name),
                ));
                continue;
            }
        };
        let state = described.state().map(|s| s.as_str().to_owned()).unwrap_or_default();
        if state != "ENABLED" {
            lines.push(Line::fail(
                "guard",
                format!("rule {rule} ({logical}) is {state}: the cost guard hears nothing through it"),
                format!("aws events enable-rule --name {rule}"),
            ));
            continue;
        }
        let targets = match aws.events.list_targets_by_rule().rule(rule).send().await {
            Ok(listed) => listed.targets().iter().map(|t| t.arn().to_owned()).collect::<Vec<_>>(),
            Err(err) => {
                lines.push(Line::fail(
                    "guard",
                    format!(
                        "the targets of rule {rule} cannot be read: {}",
                        DisplayErrorContext(&err)
                    ),
                    "give the credentials events:ListTargetsByRule, or look in the EventBridge console",
                ));
                continue;
            }
        };
        if targets.iter().any(|arn| arn.ends_with(&format!(":function:{guard}"))) {
            lines.push(Line::holds(
                "guard",
                format!("rule {rule} ({logical}) is enabled and sends to the cost guard {guard}"),
            ));
        } else {
            lines.push(Line::fail(
                "guard",
                format!(
                    "rule {rule} ({logical}) sends to {}, not to the cost guard {guard}",
                    if targets.is_empty() {
                        "nothing".to_owned()
                    } else {
                        targets.join(", ")
                    }
                ),
                format!(
                    "deploy {} again: CloudFormation puts the rule's target back",
                    guarded_by.name
                ),
            ));
        }
    }
    lines
}

/// The guard's schedule group, and the record of a run going on.
/// `channel`: the stack's channel as MediaLive describes it.
pub(crate) async fn schedules(
    aws: &Clients,
    view: &StackView,
    guarded_by: &StackView,
    channel: Option<(&str, &DescribeChannelOutput)>,
) -> Vec<Line> {
    let mut lines = Vec::new();
    let Some(group) = guarded_by.physical_id("GuardSchedules") else {
        return lines;
    };
    match aws.scheduler.get_schedule_group().name(group).send().await {
        Ok(found) if found.state().is_some_and(|s| s.as_str() == "ACTIVE") => {
            lines.push(Line::holds("guard", format!("schedule group {group} is active")));
        }
        Ok(found) => lines.push(Line::fail(
            "guard",
            format!(
                "schedule group {group} is {}",
                found.state().map(|s| s.as_str()).unwrap_or("in no state")
            ),
            format!("deploy {} again", guarded_by.name),
        )),
        Err(err) => lines.push(Line::fail(
            "guard",
            format!("schedule group {group} cannot be read: {}", DisplayErrorContext(&err)),
            format!("deploy {} again: the group is the stack's", guarded_by.name),
        )),
    }
    if view.kind == Kind::Foundation {
        return lines;
    }
    let Some((channel, described)) = channel else {
        return lines;
    };
    let state = described.state().cloned();
    if state != Some(ChannelState::Running) {
        let state = state.map(|s| s.as_str().to_owned()).unwrap_or_default();
        lines.push(Line::not_yet(
            "guard",
            format!("channel {channel} is {state}: the guard records a run when it turns RUNNING"),
        ));
        return lines;
    }
    let schedule = format!("{RUN_PREFIX}{channel}");
    match aws
        .scheduler
        .get_schedule()
        .group_name(group)
        .name(&schedule)
        .send()
        .await
    {
        Ok(_) => lines.push(Line::holds(
            "guard",
            format!("channel {channel} runs, and the guard recorded the run ({group}/{schedule})"),
        )),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            lines.push(Line::fail(
                "guard",
                format!("channel {channel} runs, but the guard has no record of the run: no MaxRunHours cap, and no recording of it"),
                format!(
                    "deploy {} again with the same parameters (its GuardCheck arms the runs going on), then read the guard's log: aws logs tail /aws/lambda/{}",
                    guarded_by.name,
                    guarded_by.physical_id("GuardFunction").unwrap_or("<stack>-cost-guard")
                ),
            ));
        }
        Err(err) => lines.push(Line::fail(
            "guard",
            format!(
                "the run's record {group}/{schedule} cannot be read: {}",
                DisplayErrorContext(&err)
            ),
            "give the credentials scheduler:GetSchedule",
        )),
    }
    lines
}

/// What the channel bills an hour, and what `MaxRunHours` caps a
/// forgotten one at, from the rate table the handler uses.
pub(crate) fn cost(
    aws: &Clients,
    guarded_by: &StackView,
    channel: Option<(&str, &DescribeChannelOutput)>,
) -> Vec<Line> {
    let Some((channel, described)) = channel else {
        return Vec::new();
    };
    let estimate = cost::described_per_hour(&aws.region, described);
    let hours: u64 = guarded_by
        .parameter("MaxRunHours")
        .and_then(|h| h.parse().ok())
        .unwrap_or(0);
    let cap = if hours == 0 {
        "MaxRunHours is 0: only the idle stop ends a forgotten run".to_owned()
    } else {
        format!(
            "MaxRunHours {hours} caps a forgotten run at {}",
            estimate.for_run_words(hours * 3600)
        )
    };
    vec![Line::holds(
        "cost",
        format!(
            "channel {channel} bills {} while it runs ({}); {cap}. An estimate from on-demand rates: the pricing pages are the truth",
            estimate.per_hour_words(),
            estimate.breakdown()
        ),
    )]
}
