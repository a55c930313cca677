//! Every run recorded: when a run ends, its harvest jobs are made (parts
//! of at most 24 hours, from its RUNNING to its stop); while a long run
//! goes on, each full day is harvested as it completes; a completed job is
//! listed for the player; a failed one is told once and tried once more.
//!
//! Why the guard: it already hears every state change of the stack's
//! channels (its rule does not depend on any setting) and keeps the
//! record of each run's start, which a recording needs at its end, when
//! the MediaLive channel may be gone.
//!
//! Between a run's end and its jobs, the run is kept as a disabled
//! schedule in the guard's group, `record-<channel id>-<start>` (written
//! before the run's own record is deleted): a harvest refused for the
//! channel group's quota of jobs going on waits there, never dropped, and
//! the stack's schedule ([`GuardEvent::Reconcile`]) tries again. The same
//! look makes good what a lost event left: a stop never heard (the run is
//! recorded up to the look), a job's end never heard (it is listed, or
//! told, from `ListHarvestJobs`).

use aws_sdk_mediapackagev2::types::HarvestJobStatus;
use aws_sdk_scheduler::types::{ActionAfterCompletion, ScheduleState};
use serde_json::json;

use super::config::RecordingsConfig;
use super::event::{MAX_RUN_SOURCE, RECONCILE_DETAIL_TYPE};
use super::watch::{Guard, GuardAction, Run, at_expression, is_on, now_secs};
use crate::aws::GuardClients;
use crate::error::{Error, aws_error};
use crate::recording::runs::{RUN_PREFIX, TO_HARVEST_PREFIX, forget, kept_in, read_kept};
use crate::recording::{
    Catalog, Harvested, Harvester, Job, JobName, Made, Part, Recording, complete_parts, job_name, retry_name,
};

/// Where the guard records runs: the jobs and their list.
#[derive(Debug, Clone)]
pub struct Recordings {
    pub harvester: Harvester,
    pub catalog: Catalog,
}

impl Recordings {
    pub fn new(config: &RecordingsConfig, aws: &GuardClients, stack_id: &str) -> Self {
        Recordings {
            harvester: Harvester {
                client: aws.mediapackagev2.clone(),
                group: config.channel_group.clone(),
                bucket: config.bucket.clone(),
                stack_id: stack_id.to_owned(),
            },
            catalog: Catalog {
                s3: aws.s3.clone(),
                bucket: config.bucket.clone(),
            },
        }
    }
}

/// A run that ended and is still to be harvested, as its schedule keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ToHarvest {
    schedule: String,
    /// The MediaPackage v2 channel.
    channel: String,
    started_at: u64,
    ended_at: u64,
}

impl Guard {
    fn recordings(&self) -> Result<&Recordings, GuardAction> {
        self.recordings
            .as_ref()
            .ok_or_else(|| GuardAction::Nothing("runs are not recorded".into()))
    }

    /// Keeps `run` of `channel_id`, ended at `at`, as still to harvest. A
    /// second delivery of the stop finds it kept already.
    pub(super) async fn keep_to_harvest(
        &self,
        channel_id: &str,
        run: &Run,
        at: u64,
        function_arn: &str,
    ) -> Result<ToHarvest, Error> {
        let channel = run.record.clone().unwrap_or_default();
        let pending = ToHarvest {
            schedule: format!("{TO_HARVEST_PREFIX}{channel_id}-{}", run.started_at),
            channel,
            started_at: run.started_at,
            ended_at: at.max(run.started_at),
        };
        // If it ever fired, it would only ask for a look.
        let input = json!({
            "source": MAX_RUN_SOURCE,
            "detail-type": RECONCILE_DETAIL_TYPE,
            "detail": {"channelId": channel_id, "record": pending.channel,
                       "startedAt": pending.started_at, "endedAt": pending.ended_at},
        })
        .to_string();
        let (target, window) = self.schedule_target(function_arn, input)?;
        let made = self
            .aws
            .scheduler
            .create_schedule()
            .name(&pending.schedule)
            .group_name(&self.config.schedule_group)
            .schedule_expression(at_expression(pending.ended_at + 366 * 86_400))
            .state(ScheduleState::Disabled)
            .flexible_time_window(window)
            .target(target)
            .action_after_completion(ActionAfterCompletion::None)
            .description(format!(
                "The run of MediaLive channel {channel_id} to record from {}",
                pending.channel
            ))
            .send()
            .await
            .map_err(aws_error("CreateSchedule"));
        match made {
            Ok(_) => Ok(pending),
            Err(Error::Aws(err)) if err.is_conflict() => {
                Ok(self.to_harvest(&pending.schedule).await?.unwrap_or(pending))
            }
            Err(err) => Err(err),
        }
    }

    /// A run kept as still to harvest, read back from its schedule.
    async fn to_harvest(&self, schedule: &str) -> Result<Option<ToHarvest>, Error> {
        let kept = read_kept(&self.aws.scheduler, &self.config.schedule_group, schedule).await?;
        Ok(kept.and_then(|kept| {
            Some(ToHarvest {
                schedule: kept.schedule,
                channel: kept.record?,
                started_at: kept.started_at,
                ended_at: kept.ended_at?,
            })
        }))
    }

    /// Makes every job of a run that ended; when all are made, the run is
    /// no longer kept. A quota refusal leaves it kept for the next look.
    pub(super) async fn harvest(&self, pending: &ToHarvest) -> Result<GuardAction, Error> {
        let recordings = match self.recordings() {
            Ok(recordings) => recordings,
            Err(nothing) => return Ok(nothing),
        };
        let jobs = match recordings
            .harvester
            .harvest_run(&pending.channel, pending.started_at, pending.ended_at)
            .await?
        {
            Harvested::Made(jobs) => jobs,
            Harvested::Waiting(why) => {
                tracing::warn!(channel = %pending.channel, why = %why, "the run waits for the next look");
                return Ok(GuardAction::Waiting(why));
            }
        };
        forget(&self.aws.scheduler, &self.config.schedule_group, &pending.schedule).await?;
        tracing::info!(channel = %pending.channel, jobs = ?jobs, "the run is being recorded");
        Ok(GuardAction::Harvesting { jobs })
    }

    /// A harvest job ended: list what it harvested, or tell its failure.
    pub(super) async fn harvest_ended(&self, group: &str, channel: &str, job: &str) -> Result<GuardAction, Error> {
        let recordings = match self.recordings() {
            Ok(recordings) => recordings,
            Err(nothing) => return Ok(nothing),
        };
        if group != recordings.harvester.group || JobName::parse(job).is_none() {
            return Ok(GuardAction::Nothing(format!(
                "harvest job {job} in group {group} is not one of this stack's recordings"
            )));
        }
        // The event tells of a change; the job's state now, MediaPackage.
        let Some(job) = recordings.harvester.job(channel, job).await? else {
            return Ok(GuardAction::Nothing(format!(
                "harvest job {job} of {channel} no longer exists"
            )));
        };
        self.job_ended(&job).await
    }

    async fn job_ended(&self, job: &Job) -> Result<GuardAction, Error> {
        let recordings = match self.recordings() {
            Ok(recordings) => recordings,
            Err(nothing) => return Ok(nothing),
        };
        match job.status {
            HarvestJobStatus::Completed => {
                recordings.catalog.add(&Recording::of(job)).await?;
                tracing::info!(channel = %job.channel, job = %job.name, path = %job.path, "a recording is listed");
                Ok(GuardAction::Listed { job: job.name.clone() })
            }
            HarvestJobStatus::Failed => self.failed(job).await,
            ref other => Ok(GuardAction::Nothing(format!("harvest job {} is {other}", job.name))),
        }
    }

    /// A failed job: one message naming the run and MediaPackage's words,
    /// and one retry (not of a retry; refused, it is said why).
    async fn failed(&self, job: &Job) -> Result<GuardAction, Error> {
        let (recordings, name) = match (self.recordings(), JobName::parse(&job.name)) {
            (Ok(recordings), Some(name)) => (recordings, name),
            (Err(nothing), _) => return Ok(nothing),
            (_, None) => return Ok(GuardAction::Nothing(format!("{} is not a recording job", job.name))),
        };
        let why = job.error.as_deref().unwrap_or("MediaPackage gave no message");
        if !recordings.catalog.mark_failure(&job.channel, &job.name, why).await? {
            return Ok(GuardAction::Nothing(format!(
                "the failure of {} was told already",
                job.name
            )));
        }
        let retry = if name.retry {
            "It was the retry of a job that failed before; it is not tried again.".to_owned()
        } else {
            let part = Part {
                number: name.part,
                start: job.start,
                end: job.end,
            };
            let again = retry_name(&job.name);
            match recordings
                .harvester
                .make(&job.channel, name.started_at, &part, &again)
                .await
            {
                Ok(Made::Created | Made::Existed) => format!("It is tried once more, as harvest job {again}."),
                Ok(Made::Quota(why)) => {
                    // Told and retried at the next look, when a job has ended.
                    recordings.catalog.unmark_failure(&job.channel, &job.name).await?;
                    return Ok(GuardAction::Waiting(format!("the retry of {} waits: {why}", job.name)));
                }
                Err(refused) => format!("It cannot be tried again: {refused}"),
            }
        };
        let subject = format!("Recording of {} failed", job.channel);
        let message = format!(
            "MediaPackage could not record part {} of the run of {} that started {} \
             (from {} to {}), harvest job {}: {why}\n\n{retry}\n\nStack: {}",
            name.part,
            job.channel,
            crate::recording::plan::rfc3339(name.started_at),
            crate::recording::plan::rfc3339(job.start),
            crate::recording::plan::rfc3339(job.end),
            job.name,
            self.config.stack_id,
        );
        tracing::error!(channel = %job.channel, job = %job.name, why, retry = %retry, "a recording failed");
        if let Err(cause) = self.publish(&subject, &message).await {
            // Told at the next delivery or look instead.
            recordings.catalog.unmark_failure(&job.channel, &job.name).await?;
            return Err(Error::Unexpected(format!(
                "recording {} failed, and the notification could not be sent: {cause}",
                job.name
            )));
        }
        Ok(GuardAction::Told { job: job.name.clone() })
    }

    /// The stack's schedule: harvests what waits, each full day of the
    /// runs going on, and a run whose stop was never heard (recorded up to
    /// now); lists and tells the jobs whose end was never heard.
    pub(super) async fn reconcile(&self, function_arn: &str) -> Result<GuardAction, Error> {
        let recordings = match self.recordings() {
            Ok(recordings) => recordings,
            Err(nothing) => return Ok(nothing),
        };
        let mut done = Vec::new();
        for kept in kept_in(&self.aws.scheduler, &self.config.schedule_group, TO_HARVEST_PREFIX).await? {
            let (Some(channel), Some(ended_at)) = (kept.record, kept.ended_at) else {
                continue;
            };
            let pending = ToHarvest {
                schedule: kept.schedule,
                channel,
                started_at: kept.started_at,
                ended_at,
            };
            done.push(format!("{}: {:?}", pending.schedule, self.harvest(&pending).await?));
        }
        let now = now_secs();
        for kept in kept_in(&self.aws.scheduler, &self.config.schedule_group, RUN_PREFIX).await? {
            let channel_id = kept.channel_id.as_str();
            let run = Run {
                started_at: kept.started_at,
                stop_at: kept.stop_at,
                record: kept.record.clone(),
            };
            if run.record.is_none() {
                continue;
            }
            let channel = self.describe(channel_id).await?;
            if channel.as_ref().and_then(|c| c.state()).is_some_and(is_on) {
                done.extend(self.harvest_full_days(&run, now).await?);
            } else if !matches!(channel, Some(super::watch::Channel::Refused)) {
                // Its stop was never heard: recorded up to now.
                done.push(format!(
                    "{channel_id}: {:?}",
                    self.disarm(channel_id, now, function_arn).await?
                ));
            }
        }
        let listed = recordings.catalog.listed().await?;
        for job in recordings.harvester.jobs(None).await? {
            if JobName::parse(&job.name).is_none() {
                continue;
            }
            let unheard = match job.status {
                HarvestJobStatus::Completed => !listed.contains(&(job.channel.clone(), job.name.clone())),
                HarvestJobStatus::Failed => true,
                _ => false,
            };
            if unheard {
                match self.job_ended(&job).await? {
                    GuardAction::Nothing(_) => {}
                    action => done.push(format!("{}: {action:?}", job.name)),
                }
            }
        }
        Ok(GuardAction::Reconciled(done))
    }

    /// The full days of a run going on, each harvested as it completes
    /// (a run longer than the startover window keeps every part).
    async fn harvest_full_days(&self, run: &Run, now: u64) -> Result<Vec<String>, Error> {
        let (Ok(recordings), Some(channel)) = (self.recordings(), run.record.as_deref()) else {
            return Ok(Vec::new());
        };
        let mut done = Vec::new();
        for part in complete_parts(run.started_at, now) {
            let name = job_name(run.started_at, &part);
            match recordings.harvester.make(channel, run.started_at, &part, &name).await? {
                Made::Created => done.push(format!("{name}: made")),
                Made::Existed => {}
                Made::Quota(why) => {
                    done.push(format!("{name}: waits ({why})"));
                    break;
                }
            }
        }
        Ok(done)
    }
}
