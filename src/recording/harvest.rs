//! Harvest jobs: made once per part, looked at, listed.

use aws_sdk_mediapackagev2::operation::create_harvest_job::CreateHarvestJobError;
use aws_sdk_mediapackagev2::types::{
    Destination, HarvestJobStatus, HarvestedDashManifest, HarvestedHlsManifest, HarvestedManifests,
    HarvesterScheduleConfiguration, S3DestinationConfig, ValidationExceptionType,
};
use aws_smithy_types::DateTime;

use super::plan::{DASH_MANIFEST, ENDPOINT, HLS_MANIFEST, Part, destination, rfc3339};
use crate::error::{Error, aws_error};
use crate::ownership::STACK_ID_TAG;

/// Where a stack's (or foundation's) runs are harvested from and to.
#[derive(Debug, Clone)]
pub struct Harvester {
    pub client: aws_sdk_mediapackagev2::Client,
    /// The MediaPackage v2 channel group the channels are in.
    pub group: String,
    /// The recordings bucket, in the stack's Region.
    pub bucket: String,
    /// Tagged on every job: the stack that asked for it.
    pub stack_id: String,
}

/// What became of a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Made {
    Created,
    /// A job of that name exists: an earlier attempt made it.
    Existed,
    /// The channel group has as many jobs going on as it may (10 by
    /// default: MediaPackage v2 user guide, "Quotas"): try again later.
    Quota(String),
}

/// What became of a run's harvest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Harvested {
    /// Every part's job is made (or was): their names.
    Made(Vec<String>),
    /// A part waits for the channel group's quota: why.
    Waiting(String),
}

/// A harvest job as the recordings need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub name: String,
    pub channel: String,
    pub status: HarvestJobStatus,
    /// Epoch seconds.
    pub start: u64,
    pub end: u64,
    pub bucket: String,
    pub path: String,
    pub hls: Vec<String>,
    pub dash: Vec<String>,
    pub error: Option<String>,
}

impl Job {
    /// From the pieces GetHarvestJob and ListHarvestJobs both answer with.
    fn of(
        name: &str,
        channel: &str,
        status: &HarvestJobStatus,
        schedule: Option<&HarvesterScheduleConfiguration>,
        destination: Option<&Destination>,
        harvested: Option<&HarvestedManifests>,
        error: Option<&str>,
    ) -> Job {
        let (hls, dash) = harvested.map(manifests).unwrap_or_default();
        let s3 = destination.and_then(|d| d.s3_destination());
        Job {
            name: name.to_owned(),
            channel: channel.to_owned(),
            status: status.clone(),
            start: schedule.map(|s| secs(s.start_time())).unwrap_or_default(),
            end: schedule.map(|s| secs(s.end_time())).unwrap_or_default(),
            bucket: s3.map(|s| s.bucket_name().to_owned()).unwrap_or_default(),
            path: s3.map(|s| s.destination_path().to_owned()).unwrap_or_default(),
            hls,
            dash,
            error: error.map(str::to_owned),
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self.status, HarvestJobStatus::Queued | HarvestJobStatus::InProgress)
    }
}

/// A [`Job`] from GetHarvestJob's answer or a ListHarvestJobs item: two
/// types with the same getters.
macro_rules! job_of {
    ($job:expr) => {
        Job::of(
            $job.harvest_job_name(),
            $job.channel_name(),
            $job.status(),
            $job.schedule_configuration(),
            $job.destination(),
            $job.harvested_manifests(),
            $job.error_message(),
        )
    };
}

fn secs(time: &DateTime) -> u64 {
    u64::try_from(time.secs()).unwrap_or_default()
}

fn when(epoch: u64) -> DateTime {
    DateTime::from_secs(i64::try_from(epoch).unwrap_or(i64::MAX))
}

fn manifests(manifests: &HarvestedManifests) -> (Vec<String>, Vec<String>) {
    (
        manifests
            .hls_manifests()
            .iter()
            .map(|m| m.manifest_name().to_owned())
            .collect(),
        manifests
            .dash_manifests()
            .iter()
            .map(|m| m.manifest_name().to_owned())
            .collect(),
    )
}

impl Harvester {
    /// Makes the job `name` harvesting `part` of `channel`'s run that
    /// started at `started_at`. Its name is its idempotency token too: a
    /// lost answer, a second delivery, a retry all end in [`Made::Existed`].
    pub async fn make(&self, channel: &str, started_at: u64, part: &Part, name: &str) -> Result<Made, Error> {
        let build = |what: &str, err: aws_sdk_mediapackagev2::error::BuildError| {
            Error::Unexpected(format!("harvest job {what}: {err}"))
        };
        let manifests = HarvestedManifests::builder()
            .hls_manifests(
                HarvestedHlsManifest::builder()
                    .manifest_name(HLS_MANIFEST)
                    .build()
                    .map_err(|err| build("HLS manifest", err))?,
            )
            .dash_manifests(
                HarvestedDashManifest::builder()
                    .manifest_name(DASH_MANIFEST)
                    .build()
                    .map_err(|err| build("DASH manifest", err))?,
            )
            .build();
        let schedule = HarvesterScheduleConfiguration::builder()
            .start_time(when(part.start))
            .end_time(when(part.end))
            .build()
            .map_err(|err| build("schedule", err))?;
        let s3 = S3DestinationConfig::builder()
            .bucket_name(&self.bucket)
            .destination_path(destination(channel, started_at, part.number))
            .build()
            .map_err(|err| build("destination", err))?;
        let destination = Destination::builder().s3_destination(s3).build();
        let sent = self
            .client
            .create_harvest_job()
            .channel_group_name(&self.group)
            .channel_name(channel)
            .origin_endpoint_name(ENDPOINT)
            .harvest_job_name(name)
            .client_token(name)
            .description(format!(
                "Recording of {channel}: part {} of the run started {}",
                part.number,
                rfc3339(started_at)
            ))
            .harvested_manifests(manifests)
            .schedule_configuration(schedule)
            .destination(destination)
            .tags(STACK_ID_TAG, &self.stack_id)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Made::Created),
            Err(err) => match err.as_service_error() {
                Some(CreateHarvestJobError::ConflictException(_)) => Ok(Made::Existed),
                Some(CreateHarvestJobError::ServiceQuotaExceededException(quota)) => Ok(Made::Quota(
                    quota.message().unwrap_or("ServiceQuotaExceededException").to_owned(),
                )),
                Some(CreateHarvestJobError::ValidationException(refusal))
                    if refusal.validation_exception_type()
                        == Some(&ValidationExceptionType::TooManyInProgressHarvestJobs) =>
                {
                    Ok(Made::Quota(format!(
                        "TOO_MANY_IN_PROGRESS_HARVEST_JOBS: {}",
                        refusal.message().unwrap_or_default()
                    )))
                }
                _ => Err(aws_error("CreateHarvestJob")(err)),
            },
        }
    }

    /// Makes the job of every part of `channel`'s run from `started_at` to
    /// `ended_at`; stops at the first refused for the quota.
    pub async fn harvest_run(&self, channel: &str, started_at: u64, ended_at: u64) -> Result<Harvested, Error> {
        let mut jobs = Vec::new();
        for part in super::plan::parts(started_at, ended_at) {
            let name = super::plan::job_name(started_at, &part);
            match self.make(channel, started_at, &part, &name).await? {
                Made::Created | Made::Existed => jobs.push(name),
                Made::Quota(why) => {
                    return Ok(Harvested::Waiting(format!(
                        "{name} of {channel} waits for the channel group's quota of harvest jobs going on (10 by default): {why}"
                    )));
                }
            }
        }
        Ok(Harvested::Made(jobs))
    }

    /// The job `name` of `channel`, if it exists (records expire after
    /// 15 days).
    pub async fn job(&self, channel: &str, name: &str) -> Result<Option<Job>, Error> {
        let answer = self
            .client
            .get_harvest_job()
            .channel_group_name(&self.group)
            .channel_name(channel)
            .origin_endpoint_name(ENDPOINT)
            .harvest_job_name(name)
            .send()
            .await
            .map_err(aws_error("GetHarvestJob"));
        let job = match answer {
            Ok(job) => job,
            Err(err) if err.is_not_found() => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(Some(job_of!(job)))
    }

    /// Every job of the group (of `channel` only, if given) on the
    /// harvested endpoint.
    pub async fn jobs(&self, channel: Option<&str>) -> Result<Vec<Job>, Error> {
        let mut jobs = Vec::new();
        let mut next = None;
        loop {
            let page = self
                .client
                .list_harvest_jobs()
                .channel_group_name(&self.group)
                .set_channel_name(channel.map(str::to_owned))
                .set_origin_endpoint_name(channel.map(|_| ENDPOINT.to_owned()))
                .set_next_token(next)
                .send()
                .await
                .map_err(aws_error("ListHarvestJobs"))?;
            for job in page.items() {
                if job.origin_endpoint_name() != ENDPOINT {
                    continue;
                }
                jobs.push(job_of!(job));
            }
            next = page.next_token().map(str::to_owned);
            if next.is_none() {
                return Ok(jobs);
            }
        }
    }
}
