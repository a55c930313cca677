//! `LastRecording`: holds a delete until the last run is recorded.
//!
//! Deleted after the channel (which depends on it) and before the `cmaf`
//! endpoint and its policy (on which it depends). Its Delete makes the
//! last run's harvest jobs itself, from the guard's record of the run (up
//! to now: the channel has just been stopped and deleted), without waiting
//! for EventBridge to tell the guard, which may be going too; then waits
//! until no job of the channel is queued or in progress, and lists each
//! completed one. Past the deadline (its `ServiceTimeout`, within the
//! function's time) it lets the delete go on, saying so in the log: a job
//! whose endpoint goes before it completes fails. Create and Update make
//! nothing.

use aws_sdk_medialive::types::ChannelState;
use aws_sdk_mediapackagev2::types::HarvestJobStatus;

use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::error::{Error, aws_error};
use crate::recording::Harvested::{Made, Waiting};
use crate::recording::runs::{RUN_PREFIX, TO_HARVEST_PREFIX, forget, kept_in};
use crate::recording::{Catalog, Harvester, JobName, Recording};
use crate::wait::{self, Look};

pub(super) struct LastRecording;

pub(super) struct Spec {
    /// `None`: runs are not recorded (an empty endpoint, or `-` for the bucket).
    harvested: Option<Harvested>,
    schedule_group: String,
}

struct Harvested {
    group: String,
    channel: String,
    bucket: String,
}

/// `arn:<partition>:mediapackagev2:<region>:<account>:channelGroup/<g>/channel/<c>/originEndpoint/<e>`:
/// the group and channel.
fn group_and_channel(arn: &str) -> Option<(String, String)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    match resource.split('/').collect::<Vec<_>>().as_slice() {
        ["channelGroup", group, "channel", channel, "originEndpoint", _] => Some(((*group).to_owned(), (*channel).to_owned())),
        _ => None,
    }
}

impl Resource for LastRecording {
    const NAME: &'static str = "LastRecording";
    const PROPERTIES: &'static [&'static str] = &["OriginEndpointArn", "ScheduleGroupName", "RecordingsBucket"];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        let endpoint = props.string("OriginEndpointArn")?.unwrap_or_default();
        let bucket = props.string("RecordingsBucket")?.unwrap_or_default();
        let harvested = if endpoint.is_empty() || bucket.is_empty() || bucket == "-" {
            None
        } else {
            let (group, channel) = group_and_channel(&endpoint).ok_or_else(|| {
                PropError::invalid("OriginEndpointArn", "is not a MediaPackage v2 origin endpoint's ARN")
            })?;
            Some(Harvested { group, channel, bucket })
        };
        Ok(Spec {
            harvested,
            schedule_group: props.required_string("ScheduleGroupName")?,
        })
    }

    async fn create(_aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        Ok(Outcome::new(match &spec.harvested {
            Some(harvested) => format!("{}/{}", harvested.group, harvested.channel),
            None => format!("{}/not-recorded", req.stack_name),
        }))
    }

    async fn update(
        _aws: &Clients,
        _req: &Request,
        physical_id: &str,
        _old: Option<&Spec>,
        _new: &Spec,
    ) -> Result<Outcome, Error> {
        Ok(Outcome::new(physical_id))
    }

    async fn delete_made_in(
        _aws: &Clients,
        _req: &Request,
        _request_id: &str,
        _spec: Option<&Spec>,
    ) -> Result<(), Error> {
        Ok(()) // makes nothing
    }

    async fn delete(aws: &Clients, req: &Request, _physical_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let Some((spec, harvested)) = spec.and_then(|spec| Some((spec, spec.harvested.as_ref()?))) else {
            return Ok(());
        };
        let waited = wait::until("the last run's recording", req.work_until, || {
            last_run_recorded(aws, req, spec, harvested)
        })
        .await;
        match waited {
            Ok(()) => Ok(()),
            Err(Error::TimedOut(why)) => {
                tracing::warn!(channel = %harvested.channel, why = %why,
                    "the delete goes on before the last run is recorded: a harvest job whose endpoint goes fails");
                Ok(())
            }
            Err(err) => {
                // A delete never sticks on a recording.
                tracing::warn!(channel = %harvested.channel, cause = %err,
                    "could not see the last run's recording; the delete goes on");
                Ok(())
            }
        }
    }
}

/// Where the last run's recording stands. Each look harvests what the
/// guard has not (its record of a run of this channel: a run it saw
/// start, recorded up to now, or one that ended and waits), then looks at
/// the jobs: none may be going on, and each completed one is listed.
async fn last_run_recorded(aws: &Clients, req: &Request, spec: &Spec, harvested: &Harvested) -> Result<Look<()>, Error> {
    let harvester = Harvester {
        client: aws.mediapackagev2.clone(),
        group: harvested.group.clone(),
        bucket: harvested.bucket.clone(),
        stack_id: req.stack_id.clone(),
    };
    let catalog = Catalog {
        s3: aws.s3.clone(),
        bucket: harvested.bucket.clone(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    for prefix in [RUN_PREFIX, TO_HARVEST_PREFIX] {
        let kept = match kept_in(&aws.scheduler, &spec.schedule_group, prefix).await {
            Ok(kept) => kept,
            // The guard's group is gone: it keeps nothing any more.
            Err(err) if err.is_not_found() => Vec::new(),
            Err(err) => return Err(err),
        };
        for run in kept.into_iter().filter(|run| run.record.as_deref() == Some(harvested.channel.as_str())) {
            if run.ended_at.is_none() && still_running(aws, &run.channel_id).await? {
                continue; // not this delete's run to end
            }
            let ended_at = run.ended_at.unwrap_or(now);
            match harvester.harvest_run(&harvested.channel, run.started_at, ended_at).await? {
                Made(jobs) => {
                    tracing::info!(channel = %harvested.channel, jobs = ?jobs, "the last run is being recorded");
                    forget(&aws.scheduler, &spec.schedule_group, &run.schedule).await?;
                }
                Waiting(why) => return Ok(Look::NotYet(why)),
            }
        }
    }
    let jobs = match harvester.jobs(Some(&harvested.channel)).await {
        Ok(jobs) => jobs,
        Err(err) if err.is_not_found() => return Ok(Look::Done(())),
        Err(err) => return Err(err),
    };
    let ours: Vec<_> = jobs.iter().filter(|job| JobName::parse(&job.name).is_some()).collect();
    if let Some(going) = ours.iter().find(|job| job.is_active()) {
        return Ok(Look::NotYet(format!("harvest job {} {}", going.name, going.status)));
    }
    let listed = catalog.listed().await?;
    for job in ours {
        if job.status == HarvestJobStatus::Completed && !listed.contains(&(job.channel.clone(), job.name.clone())) {
            catalog.add(&Recording::of(job)).await?;
        }
    }
    Ok(Look::Done(()))
}

/// Whether the MediaLive channel still runs (or is about to).
async fn still_running(aws: &Clients, channel_id: &str) -> Result<bool, Error> {
    let described = aws
        .medialive
        .describe_channel()
        .channel_id(channel_id)
        .send()
        .await
        .map_err(aws_error("DescribeChannel"));
    match described {
        Ok(channel) => Ok(matches!(
            channel.state(),
            Some(ChannelState::Running | ChannelState::Starting | ChannelState::Recovering)
        )),
        Err(err) if err.is_not_found() => Ok(false),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_arn_names_the_group_and_channel() {
        assert_eq!(
            group_and_channel("arn:aws:mediapackagev2:us-east-1:123456789012:channelGroup/live/channel/keynote/originEndpoint/cmaf"),
            Some(("live".to_owned(), "keynote".to_owned()))
        );
        assert_eq!(group_and_channel("arn:aws:mediapackagev2:us-east-1:1:channelGroup/live"), None);
        assert_eq!(group_and_channel(""), None);
    }
}
