//! The first-deploy check: what a deployer runs on their own account right
//! after `aws cloudformation deploy`, read-only, with their own
//! credentials. One line per check: ✓ holds, ✗ does not (with a fix), –
//! cannot be judged yet (the channel has not run, say).
//!
//! A stack is read as CloudFormation describes it (its status, parameters,
//! outputs and resources), then each part is asked of the service that
//! holds it. What it covers, and what it cannot see, is in the README's
//! "Check a deployment".

mod alarms;
mod event;
mod guard;
mod iam;
mod input;
mod logs;
mod manifest;
mod origin;
pub mod playback;
pub mod report;
mod stack;

use aws_config::SdkConfig;

pub use report::{Line, Report, Verdict};
pub use stack::{Kind, StackView};

/// The clients the check reads with, built once.
pub struct Clients {
    pub cloudformation: aws_sdk_cloudformation::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub medialive: aws_sdk_medialive::Client,
    pub mediapackagev2: aws_sdk_mediapackagev2::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub s3: aws_sdk_s3::Client,
    /// Playback, fetched as a viewer does.
    pub web: playback::Web,
    pub region: String,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        Clients {
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            events: aws_sdk_eventbridge::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            medialive: aws_sdk_medialive::Client::new(config),
            mediapackagev2: aws_sdk_mediapackagev2::Client::new(config),
            scheduler: aws_sdk_scheduler::Client::new(config),
            // An endpoint of one's own (an emulator, a test) addresses
            // buckets by path; AWS's by host name.
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(config.endpoint_url().is_some())
                    .build(),
            ),
            web: playback::Web::from_env(),
            region: config.region().map(ToString::to_string).unwrap_or_default(),
        }
    }
}

/// Every check on stack `name`; `Err` when the stack cannot be read at all.
pub async fn check(aws: &Clients, name: &str) -> Result<Report, String> {
    let view = StackView::read(aws, name).await?;
    let mut report = Report::default();
    report.push(stack::status(&view));
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    report.extend(logs::check(aws, &view, now_ms).await);
    // An event's guard, rules and schedules are its foundation's.
    let foundation = match view.kind {
        Kind::Event => match view.parameter("Foundation") {
            Some(foundation) => match StackView::read(aws, foundation).await {
                Ok(foundation) => Some(foundation),
                Err(why) => {
                    report.push(Line::fail(
                        "event",
                        format!("its foundation {foundation} cannot be read: {why}"),
                        "deploy the foundation first, or give the event the foundation's stack name",
                    ));
                    None
                }
            },
            None => None,
        },
        _ => None,
    };
    let guarded_by = foundation.as_ref().unwrap_or(&view);
    // The channel, described once for the checks that read it.
    let channel = match view.physical_id("MediaLiveChannel") {
        Some(id) => match aws.medialive.describe_channel().channel_id(id).send().await {
            Ok(described) => Some((id, described)),
            Err(err) => {
                report.push(Line::fail(
                    "channel",
                    format!(
                        "channel {id} cannot be described: {}",
                        aws_sdk_medialive::error::DisplayErrorContext(&err)
                    ),
                    format!("deploy {} again: the channel is the stack's", view.name),
                ));
                None
            }
        },
        None => None,
    };
    let channel = channel.as_ref().map(|(id, described)| (*id, described));
    report.extend(guard::rules(aws, guarded_by).await);
    report.extend(guard::schedules(aws, &view, guarded_by, channel).await);
    if let Some(foundation) = &foundation {
        report.extend(event::alarms_reach(&view, foundation));
        report.push(event::listed(aws, &view, foundation).await);
    }
    // The input, described once for its own lines and its passphrase's.
    let input = input::describe(aws, &view).await.unwrap_or_else(|line| {
        report.push(line);
        None
    });
    if let Some((id, described)) = &input {
        report.extend(input::check(aws, &view, id, described).await);
    }
    report.extend(origin::check(aws, &view, foundation.as_ref()).await);
    let running = match view.kind {
        Kind::Foundation => None,
        _ => channel.map(|(_, described)| described.state().is_some_and(|s| s.as_str() == "RUNNING")),
    };
    report.extend(playback::check(aws, &view, foundation.as_ref(), running).await);
    report.extend(iam::check(aws, &view, foundation.as_ref()).await);
    if let Some((_, described)) = &input {
        report.extend(iam::passphrase(aws, &view, foundation.as_ref(), described).await);
    }
    report.extend(alarms::check(aws, &view).await);
    report.extend(guard::cost(aws, guarded_by, channel));
    Ok(report)
}
