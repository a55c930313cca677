//! MediaPackage v2 harvest jobs (live-to-VOD), emulated from the API model
//! and the user guide ("Creating live-to-VOD assets"): moto has none.
//!
//! A create is refused as v2 refuses it: a start in the future, an end
//! before the start, more than 24 hours, a start outside the endpoint's
//! startover window, a manifest the endpoint does not have, a name the
//! channel has already (ConflictException), the channel group's tenth job
//! going on (TOO_MANY_IN_PROGRESS_HARVEST_JOBS). A job then moves QUEUED →
//! IN_PROGRESS → COMPLETED or FAILED, one step each time jobs are looked
//! at ([`advance`]: a GetHarvestJob, a ListHarvestJobs, or a test), and
//! not before its end time has passed. It fails, with a message, when the
//! endpoint's policy does not let MediaPackage harvest it, when the bucket
//! is missing or in another Region, or when the bucket's policy does not
//! let MediaPackage write the destination; otherwise it writes a VOD there
//! (the test's stream when one is given, else a small placeholder) and
//! the EventBridge notification is kept for the test to deliver. Where the
//! guide gives no wording, the messages are the emulator's own and say so.

use std::path::PathBuf;
use std::sync::Mutex;

use bytes::Bytes;
use hyper::Method;
use serde_json::{Value, json};

use super::super::{PAGE, Upstream, forward, now};
use super::{State, conflict, not_found};
use crate::account::{ACCOUNT, REGION};
use crate::http::{Recorded, Reply, json_reply};
use crate::iam::operations::Operation;

/// The user guide: a job covers at most 24 hours.
const MAX_DURATION: f64 = 24.0 * 3600.0;
/// "10 active harvest jobs per channel group" (the user guide's quotas).
const ACTIVE_PER_GROUP: usize = 10;
const EMULATOR: &str = "(the emulator's words)";

pub(in super::super) struct Job {
    group: String,
    channel: String,
    endpoint: String,
    name: String,
    arn: String,
    request: Value,
    token: Option<String>,
    status: &'static str,
    created: f64,
    modified: f64,
    error: Option<String>,
}

impl Job {
    fn active(&self) -> bool {
        matches!(self.status, "QUEUED" | "IN_PROGRESS")
    }

    fn start(&self) -> f64 {
        self.request["ScheduleConfiguration"]["StartTime"]
            .as_f64()
            .unwrap_or_default()
    }

    fn end(&self) -> f64 {
        self.request["ScheduleConfiguration"]["EndTime"]
            .as_f64()
            .unwrap_or_default()
    }

    fn bucket(&self) -> &str {
        self.request["Destination"]["S3Destination"]["BucketName"]
            .as_str()
            .unwrap_or_default()
    }

    fn path(&self) -> &str {
        self.request["Destination"]["S3Destination"]["DestinationPath"]
            .as_str()
            .unwrap_or_default()
    }

    fn described(&self) -> Value {
        let mut job = json!({
            "ChannelGroupName": self.group,
            "ChannelName": self.channel,
            "OriginEndpointName": self.endpoint,
            "HarvestJobName": self.name,
            "Arn": self.arn,
            "Destination": self.request["Destination"],
            "HarvestedManifests": self.request["HarvestedManifests"],
            "ScheduleConfiguration": self.request["ScheduleConfiguration"],
            "Description": self.request["Description"],
            "CreatedAt": self.created,
            "ModifiedAt": self.modified,
            "Status": self.status,
            "ETag": format!("{}", self.modified as u64),
            "Tags": self.request["Tags"],
        });
        if let Some(error) = &self.error {
            job["ErrorMessage"] = json!(error);
        }
        job
    }

    /// The notification v2 sends when the job ends (user guide,
    /// "Monitoring with Amazon EventBridge").
    fn notification(&self) -> Value {
        let manifests = |key: &str| -> Value {
            json!(
                self.request["HarvestedManifests"][key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|m| json!({"manifestName": m["ManifestName"]}))
                    .collect::<Vec<_>>()
            )
        };
        json!({
            "version": "0",
            "id": format!("harvest-{}-{}", self.name, self.modified as u64),
            "detail-type": "MediaPackageV2 HarvestJob Notification",
            "source": "aws.mediapackagev2",
            "account": ACCOUNT,
            "time": crate::events::rfc3339(self.modified as u64),
            "region": REGION,
            "resources": [self.arn],
            "detail": {
                "harvestJob": {
                    "harvestJobName": self.name,
                    "arn": self.arn,
                    "status": self.status,
                    "channelGroupName": self.group,
                    "channelName": self.channel,
                    "originEndpointName": self.endpoint,
                    "scheduleConfiguration": {
                        "startTime": crate::events::rfc3339(self.start() as u64),
                        "endTime": crate::events::rfc3339(self.end() as u64),
                    },
                    "destination": {"s3Destination": {"bucketName": self.bucket(), "destinationPath": self.path()}},
                    "harvestedManifests": {
                        "hlsManifests": manifests("HlsManifests"),
                        "dashManifests": manifests("DashManifests"),
                        "lowLatencyHlsManifests": manifests("LowLatencyHlsManifests"),
                    },
                    "errorMessage": self.error,
                },
                "message": self.error.clone().unwrap_or_else(|| format!("Harvest job {} {}", self.name, self.status)),
            }
        })
    }
}

/// A ValidationException with its type, as the SDK reads it.
fn refused(kind: &str, message: &str) -> Reply {
    let mut reply = json_reply(
        400,
        &json!({"message": format!("{kind}: {message}"), "__type": "ValidationException", "ValidationExceptionType": kind}),
    );
    if let Ok(value) = "ValidationException".parse() {
        reply.headers_mut().insert("x-amzn-errortype", value);
    }
    reply
}

/// What the harvest emulation keeps besides the jobs.
#[derive(Default)]
pub(in super::super) struct Harvests {
    pub(in super::super) jobs: Vec<Job>,
    /// Ended jobs' notifications, for the test to deliver.
    pub(in super::super) notifications: Vec<Value>,
    /// A VOD to write as every harvest (a folder with `index.m3u8` and
    /// what it names, and `index.mpd`), instead of the placeholder.
    pub(in super::super) vod: Option<PathBuf>,
}

impl State {
    pub(super) fn create_harvest_job(&mut self, operation: &Operation, body: &Value, token: Option<&str>) -> Reply {
        let param = |name: &str| operation.path.get(name).cloned().unwrap_or_default();
        let (group, channel, endpoint) = (
            param("ChannelGroupName"),
            param("ChannelName"),
            param("OriginEndpointName"),
        );
        let Some(found) = self.endpoint(&group, &channel, &endpoint) else {
            return not_found(&format!("origin endpoint {group}/{channel}/{endpoint}"));
        };
        let endpoint_arn = found.arn.clone();
        let endpoint_body = found.body.clone();
        self.made += 1;
        let name = body["HarvestJobName"]
            .as_str()
            .map_or_else(|| format!("harvest-job-{}", self.made), str::to_owned);
        if let Some(earlier) = self
            .harvests
            .jobs
            .iter()
            .find(|job| job.group == group && job.channel == channel && job.name == name)
        {
            // The same request again (its idempotency token) answers as the first.
            if token.is_some() && earlier.token.as_deref() == token {
                return json_reply(200, &earlier.described());
            }
            return conflict(&format!(
                "harvest job {name} already exists on channel {group}/{channel}"
            ));
        }
        let (start, end) = (
            body["ScheduleConfiguration"]["StartTime"].as_f64().unwrap_or_default(),
            body["ScheduleConfiguration"]["EndTime"].as_f64().unwrap_or_default(),
        );
        let now = now();
        if start > now {
            return refused(
                "MEMBER_INVALID",
                "The start time of the harvest job must be in the past",
            );
        }
        if end <= start {
            return refused(
                "END_TIME_EARLIER_THAN_START_TIME",
                "the end time is not after the start time",
            );
        }
        if end - start > MAX_DURATION {
            return refused("INVALID_HARVEST_JOB_DURATION", "The maximum job duration is 24 hours");
        }
        let window = endpoint_body["StartoverWindowSeconds"].as_f64().unwrap_or_default();
        if start < now - window {
            return refused(
                "MEMBER_INVALID",
                &format!("the start time is outside the endpoint's startover window of {window} s {EMULATOR}"),
            );
        }
        for (key, what) in [
            ("HlsManifests", "HLS"),
            ("DashManifests", "DASH"),
            ("LowLatencyHlsManifests", "low-latency HLS"),
        ] {
            let offered: Vec<&Value> = endpoint_body[key]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| &m["ManifestName"])
                .collect();
            for wanted in body["HarvestedManifests"][key].as_array().into_iter().flatten() {
                if !offered.contains(&&wanted["ManifestName"]) {
                    return refused(
                        "HARVESTED_MANIFEST_NOT_FOUND_ON_ENDPOINT",
                        &format!("the endpoint has no {what} manifest named {}", wanted["ManifestName"]),
                    );
                }
            }
        }
        let active = self
            .harvests
            .jobs
            .iter()
            .filter(|job| job.group == group && job.active())
            .count();
        if active >= ACTIVE_PER_GROUP {
            return refused(
                "TOO_MANY_IN_PROGRESS_HARVEST_JOBS",
                &format!("channel group {group} has {active} harvest jobs queued or in progress {EMULATOR}"),
            );
        }
        let job = Job {
            arn: format!("{endpoint_arn}/harvestJob/{name}"),
            group,
            channel,
            endpoint,
            name,
            request: body.clone(),
            token: token.map(str::to_owned),
            status: "QUEUED",
            created: now,
            modified: now,
            error: None,
        };
        let described = job.described();
        self.tags.insert(job.arn.clone(), body["Tags"].clone());
        self.harvests.jobs.push(job);
        json_reply(200, &described)
    }

    pub(super) fn get_harvest_job(&self, operation: &Operation) -> Reply {
        let param = |name: &str| operation.path.get(name).cloned().unwrap_or_default();
        let (group, channel, endpoint, name) = (
            param("ChannelGroupName"),
            param("ChannelName"),
            param("OriginEndpointName"),
            param("HarvestJobName"),
        );
        match self
            .harvests
            .jobs
            .iter()
            .find(|job| job.group == group && job.channel == channel && job.endpoint == endpoint && job.name == name)
        {
            Some(job) => json_reply(200, &job.described()),
            None => not_found(&format!("harvest job {name} of {group}/{channel}/{endpoint}")),
        }
    }

    pub(super) fn list_harvest_jobs(&self, operation: &Operation) -> Reply {
        let group = operation.path.get("ChannelGroupName").cloned().unwrap_or_default();
        if !self.groups.contains_key(&group) {
            return not_found(&format!("channel group {group}"));
        }
        let wanted = |key: &str| operation.query.get(key).cloned();
        let (channel, endpoint, status) = (
            wanted("channelName"),
            wanted("originEndpointName"),
            wanted("includeStatus"),
        );
        let items: Vec<Value> = self
            .harvests
            .jobs
            .iter()
            .filter(|job| job.group == group)
            .filter(|job| channel.as_ref().is_none_or(|c| *c == job.channel))
            .filter(|job| endpoint.as_ref().is_none_or(|e| *e == job.endpoint))
            .filter(|job| status.as_ref().is_none_or(|s| s == job.status))
            .map(Job::described)
            .collect();
        // Small pages (as the layer's other lists); v2 names the token
        // NextToken in the answer, nextToken in the query.
        let start: usize = operation
            .query
            .get("nextToken")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let end = (start + PAGE).min(items.len());
        let mut answer = json!({ "Items": items.get(start..end).unwrap_or_default() });
        if end < items.len() {
            answer["NextToken"] = json!(end.to_string());
        }
        json_reply(200, &answer)
    }

    pub(super) fn cancel_harvest_job(&mut self, operation: &Operation) -> Reply {
        let param = |name: &str| operation.path.get(name).cloned().unwrap_or_default();
        let name = param("HarvestJobName");
        let Some(job) = self.harvests.jobs.iter_mut().find(|job| {
            job.group == param("ChannelGroupName") && job.channel == param("ChannelName") && job.name == name
        }) else {
            return not_found(&format!("harvest job {name}"));
        };
        if !job.active() {
            return refused(
                "HARVEST_JOB_INELIGIBLE_FOR_CANCELLATION",
                &format!("harvest job {name} is {}", job.status),
            );
        }
        job.status = "CANCELLED";
        job.modified = now();
        json_reply(200, &json!({}))
    }
}

/// What finishing a job needs to know, read under the lock.
struct ToFinish {
    index: usize,
    bucket: String,
    path: String,
    hls: Vec<String>,
    dash: Vec<String>,
    endpoint_policy: Option<Option<String>>,
    bucket_policy: Option<Value>,
    vod: Option<PathBuf>,
}

/// One step for every job: QUEUED ones start, and those in progress whose
/// end has passed finish (their work done here).
pub(in super::super) async fn advance(state: &Mutex<super::super::State>, upstream: &Upstream) {
    let finishing: Vec<ToFinish> = {
        let mut state = state.lock().expect("faithful state");
        let v2 = &mut state.mediapackagev2;
        let now = now();
        let mut finishing = Vec::new();
        for index in 0..v2.harvests.jobs.len() {
            let job = &v2.harvests.jobs[index];
            match job.status {
                "IN_PROGRESS" if job.end() <= now => {
                    let names = |key: &str| -> Vec<String> {
                        job.request["HarvestedManifests"][key]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|m| m["ManifestName"].as_str().map(str::to_owned))
                            .collect()
                    };
                    finishing.push(ToFinish {
                        index,
                        bucket: job.bucket().to_owned(),
                        path: job.path().to_owned(),
                        hls: names("HlsManifests"),
                        dash: names("DashManifests"),
                        endpoint_policy: v2
                            .endpoint(&job.group, &job.channel, &job.endpoint)
                            .map(|endpoint| endpoint.policy.clone()),
                        vod: v2.harvests.vod.clone(),
                        bucket_policy: None,
                    });
                }
                "QUEUED" => {
                    let job = &mut v2.harvests.jobs[index];
                    job.status = "IN_PROGRESS";
                    job.modified = now;
                }
                _ => {}
            }
        }
        finishing
    };
    for mut work in finishing {
        work.bucket_policy = super::super::policy_of(state, &work.bucket);
        let outcome = finish(&work, upstream).await;
        let mut state = state.lock().expect("faithful state");
        let harvests = &mut state.mediapackagev2.harvests;
        if let Some(job) = harvests.jobs.get_mut(work.index) {
            job.modified = now();
            match outcome {
                Ok(()) => job.status = "COMPLETED",
                Err(message) => {
                    job.status = "FAILED";
                    job.error = Some(message);
                }
            }
            let notification = job.notification();
            harvests.notifications.push(notification);
        }
    }
}

/// The checks MediaPackage meets when it harvests, then the VOD written.
async fn finish(work: &ToFinish, upstream: &Upstream) -> Result<(), String> {
    let Some(policy) = &work.endpoint_policy else {
        return Err(format!("the origin endpoint no longer exists {EMULATOR}"));
    };
    if !policy.as_deref().is_some_and(lets_mediapackage_harvest) {
        return Err(format!(
            "HARVEST_JOB_CUSTOMER_ENDPOINT_READ_ACCESS_DENIED: the endpoint's policy does not let mediapackagev2.amazonaws.com \
             HarvestObject and GetObject for this account {EMULATOR}"
        ));
    }
    let location = s3(
        upstream,
        Method::GET,
        &format!("/{}?location", work.bucket),
        Bytes::new(),
    )
    .await;
    if location.status == 404 {
        return Err(format!(
            "HARVEST_JOB_S3_DESTINATION_MISSING_OR_INCOMPLETE: bucket {} does not exist {EMULATOR}",
            work.bucket
        ));
    }
    let region = String::from_utf8_lossy(&location.body)
        .split("<LocationConstraint")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(region, _)| region.to_owned())
        .unwrap_or_default();
    let region = if region.is_empty() {
        "us-east-1".to_owned()
    } else {
        region
    };
    if region != REGION {
        return Err(format!(
            "RESOURCE_NOT_IN_SAME_REGION: bucket {} is in {region}, the channel in {REGION} {EMULATOR}",
            work.bucket
        ));
    }
    let key_arn = format!(
        "arn:aws:s3:::{}/{}/index.m3u8",
        work.bucket,
        work.path.trim_end_matches('/')
    );
    if !work
        .bucket_policy
        .as_ref()
        .is_some_and(|policy| lets_mediapackage_write(policy, &key_arn))
    {
        return Err(format!(
            "HARVEST_JOB_UNABLE_TO_WRITE_TO_S3_DESTINATION: the policy of bucket {} does not let \
             mediapackagev2.amazonaws.com s3:PutObject to {} {EMULATOR}",
            work.bucket, work.path
        ));
    }
    for (key, body) in vod_files(work)? {
        let put = s3(upstream, Method::PUT, &format!("/{}/{key}", work.bucket), body).await;
        if put.status != 200 {
            return Err(format!(
                "HARVEST_JOB_UNABLE_TO_WRITE_TO_S3_DESTINATION: writing {key} answered {} {EMULATOR}",
                put.status
            ));
        }
    }
    Ok(())
}

/// The objects of the VOD, by key.
fn vod_files(work: &ToFinish) -> Result<Vec<(String, Bytes)>, String> {
    let base = work.path.trim_end_matches('/');
    let mut files = Vec::new();
    if let Some(folder) = &work.vod {
        let entries = std::fs::read_dir(folder).map_err(|err| format!("the test's VOD {}: {err}", folder.display()))?;
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let body = std::fs::read(entry.path()).map_err(|err| format!("{name}: {err}"))?;
            // The folder's index.m3u8 / index.mpd stand for the manifests harvested.
            let names: Vec<String> = match name.as_str() {
                "index.m3u8" => work.hls.iter().map(|m| format!("{m}.m3u8")).collect(),
                "index.mpd" => work.dash.iter().map(|m| format!("{m}.mpd")).collect(),
                _ => vec![name],
            };
            for named in names {
                files.push((format!("{base}/{named}"), Bytes::from(body.clone())));
            }
        }
        return Ok(files);
    }
    for manifest in &work.hls {
        files.push((
            format!("{base}/{manifest}.m3u8"),
            Bytes::from(format!(
                "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.4d401f,mp4a.40.2\"\n{manifest}_1.m3u8\n"
            )),
        ));
        files.push((
            format!("{base}/{manifest}_1.m3u8"),
            Bytes::from(
                "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n\
                 #EXTINF:4.0,\nsegment_1.mp4\n#EXTINF:4.0,\nsegment_2.mp4\n#EXT-X-ENDLIST\n",
            ),
        ));
    }
    for manifest in &work.dash {
        files.push((
            format!("{base}/{manifest}.mpd"),
            Bytes::from("<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\"/>\n"),
        ));
    }
    for n in 1..=2 {
        files.push((
            format!("{base}/segment_{n}.mp4"),
            Bytes::from(format!("placeholder segment {n}")),
        ));
    }
    Ok(files)
}

fn service_is(statement: &Value, service: &str) -> bool {
    let principal = &statement["Principal"]["Service"];
    principal == service || principal.as_array().is_some_and(|all| all.iter().any(|s| s == service))
}

fn actions(statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(one) => vec![one.to_ascii_lowercase()],
        Value::Array(all) => all
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect(),
        _ => Vec::new(),
    }
}

/// The user guide's endpoint policy for harvesting: the v2 service may
/// HarvestObject and GetObject, for this account.
fn lets_mediapackage_harvest(policy: &str) -> bool {
    let Ok(policy) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    policy["Statement"].as_array().into_iter().flatten().any(|statement| {
        let actions = actions(statement);
        let may = |action: &str| actions.iter().any(|a| a == action || a == "mediapackagev2:*");
        let account = statement["Condition"]["StringEquals"]
            .as_object()
            .and_then(|keys| {
                keys.iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case("aws:SourceAccount"))
            })
            .map(|(_, value)| value == ACCOUNT);
        statement["Effect"] == "Allow"
            && service_is(statement, "mediapackagev2.amazonaws.com")
            && may("mediapackagev2:harvestobject")
            && may("mediapackagev2:getobject")
            && account == Some(true)
    })
}

/// Whether the bucket policy lets the v2 service put `key_arn`.
fn lets_mediapackage_write(policy: &Value, key_arn: &str) -> bool {
    policy["Statement"].as_array().into_iter().flatten().any(|statement| {
        let actions = actions(statement);
        let resources: Vec<&str> = match &statement["Resource"] {
            Value::String(one) => vec![one.as_str()],
            Value::Array(all) => all.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        statement["Effect"] == "Allow"
            && service_is(statement, "mediapackagev2.amazonaws.com")
            && actions.iter().any(|a| a == "s3:putobject" || a == "s3:*")
            && resources.iter().any(|pattern| wildcard(pattern, key_arn))
    })
}

/// IAM's `*` and `?` in a resource.
fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern.len() == text.len() && pattern.chars().zip(text.chars()).all(|(p, t)| p == '?' || p == t),
        Some((head, rest)) => {
            text.len() >= head.len()
                && wildcard(head, &text[..head.len()])
                && (0..=text.len() - head.len()).any(|skip| wildcard(rest, &text[head.len() + skip..]))
        }
    }
}

/// A call to the emulator's S3, as MediaPackage makes it.
async fn s3(upstream: &Upstream, method: Method, target: &str, body: Bytes) -> super::super::Answer {
    let mut headers = hyper::HeaderMap::new();
    // moto routes a request by the service its signature names.
    let signature = "AWS4-HMAC-SHA256 Credential=mediapackagev2/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    for (name, value) in [
        ("authorization", signature),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ] {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    let request = Recorded {
        method,
        target: target.to_owned(),
        headers,
        body,
    };
    forward(&request, upstream).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_match_as_iam_matches_them() {
        assert!(wildcard(
            "arn:aws:s3:::b/recordings/*",
            "arn:aws:s3:::b/recordings/live/x/index.m3u8"
        ));
        assert!(!wildcard(
            "arn:aws:s3:::b/recordings/*",
            "arn:aws:s3:::b/catalog/x.json"
        ));
        assert!(wildcard("arn:aws:s3:::b/*", "arn:aws:s3:::b/a"));
        assert!(!wildcard("arn:aws:s3:::b", "arn:aws:s3:::b/a"));
    }

    #[test]
    fn the_bucket_policy_must_let_mediapackage_write_the_destination() {
        let policy = |resource: &str| {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "mediapackagev2.amazonaws.com"},
                "Action": "s3:PutObject", "Resource": resource,
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]})
        };
        let key = "arn:aws:s3:::b/recordings/live/20261118T110640Z/part-1/index.m3u8";
        assert!(lets_mediapackage_write(&policy("arn:aws:s3:::b/recordings/*"), key));
        assert!(!lets_mediapackage_write(&policy("arn:aws:s3:::b/catalog/*"), key));
        assert!(!lets_mediapackage_write(&json!({"Statement": []}), key));
    }

    #[test]
    fn the_endpoint_policy_must_let_mediapackage_harvest_for_this_account() {
        let policy = |account: &str, actions: Value| {
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "mediapackagev2.amazonaws.com"},
                "Action": actions, "Resource": "arn",
                "Condition": {"StringEquals": {"AWS:SourceAccount": account}}}]})
            .to_string()
        };
        assert!(lets_mediapackage_harvest(&policy(
            ACCOUNT,
            json!(["mediapackagev2:HarvestObject", "mediapackagev2:GetObject"])
        )));
        assert!(!lets_mediapackage_harvest(&policy(
            ACCOUNT,
            json!("mediapackagev2:GetObject")
        )));
        assert!(!lets_mediapackage_harvest(&policy(
            "999999999999",
            json!(["mediapackagev2:HarvestObject", "mediapackagev2:GetObject"])
        )));
    }
}
