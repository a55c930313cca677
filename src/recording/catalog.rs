//! The list of recordings the player offers: `recordings/index.json`,
//! newest first.
//!
//! Jobs of many channels complete at once, each told to the guard by its
//! own event, so the list is never edited in place: each completed job
//! leaves an entry of its own (`catalog/recordings/<channel>/<job>.json`,
//! written once, expiring with the recording), and the list is rebuilt from a listing of the entries,
//! written, and the entries listed again. A writer whose second listing
//! differs writes again; whoever writes last listed after every entry was
//! written (S3 lists what was written, at once), so the list ends up
//! holding every entry.

use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use super::harvest::Job;
use super::plan::{JobName, PREFIX, rfc3339};
use crate::error::{Error, aws_error};

/// Rebuilds before giving up: each one means another job completed meanwhile.
const ATTEMPTS: usize = 8;

pub fn index_key() -> String {
    format!("{PREFIX}/index.json")
}

/// Outside `recordings/`, which CloudFront serves and MediaPackage writes.
fn entries_prefix() -> String {
    "catalog/recordings/".to_owned()
}

fn entry_key(channel: &str, job: &str) -> String {
    format!("{}{channel}/{job}.json", entries_prefix())
}

/// The mark that a failed job was told about, so it is told once.
pub fn failure_key(channel: &str, job: &str) -> String {
    format!("catalog/failed/{channel}/{job}.json")
}

/// One recording as the player lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recording {
    /// The stack's (or the event's) MediaPackage channel, named after it.
    pub channel: String,
    pub job: String,
    /// When the run started (RFC 3339), and which part of it this is.
    pub run_started: String,
    pub part: u32,
    pub start: String,
    pub end: String,
    pub duration_seconds: u64,
    /// Paths from the distribution's root (no leading slash); the bucket
    /// is served under `recordings/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hls: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dash: Option<String>,
}

impl Recording {
    /// What a completed job harvested. The key layout of the child
    /// playlists and segments under the path is not documented; the
    /// manifests are taken to be `<path>/<manifest name>.m3u8` and `.mpd`
    /// (the README's first-deploy checks).
    pub fn of(job: &Job) -> Recording {
        let name = JobName::parse(&job.name);
        let path = job.path.trim_end_matches('/');
        Recording {
            channel: job.channel.clone(),
            job: job.name.clone(),
            run_started: rfc3339(name.map_or(job.start, |n| n.started_at)),
            part: name.map_or(1, |n| n.part),
            start: rfc3339(job.start),
            end: rfc3339(job.end),
            duration_seconds: job.end.saturating_sub(job.start),
            hls: job.hls.first().map(|m| format!("{path}/{m}.m3u8")),
            dash: job.dash.first().map(|m| format!("{path}/{m}.mpd")),
        }
    }
}

/// The catalog in one bucket.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
}

impl Catalog {
    /// Lists `recording` (once, however often it is added) and rebuilds
    /// the index.
    pub async fn add(&self, recording: &Recording) -> Result<(), Error> {
        let body = serde_json::to_vec_pretty(recording)
            .map_err(|err| Error::Unexpected(format!("a recording's entry could not be written: {err}")))?;
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(entry_key(&recording.channel, &recording.job))
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(aws_error("PutObject"))?;
        self.rebuild().await
    }

    /// Marks `job`'s failure as told; false when it was told already.
    pub async fn mark_failure(&self, channel: &str, job: &str, message: &str) -> Result<bool, Error> {
        let body = serde_json::json!({ "job": job, "message": message }).to_string();
        let written = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(failure_key(channel, job))
            // Written only if absent: of two deliveries, one tells.
            .if_none_match("*")
            .content_type("application/json")
            .body(ByteStream::from(body.into_bytes()))
            .send()
            .await
            .map_err(aws_error("PutObject"));
        match written {
            Ok(_) => Ok(true),
            Err(Error::Aws(err)) if err.http_status == Some(412) || err.is_conflict() => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Takes a failure mark back (telling failed: the next delivery tells).
    pub async fn unmark_failure(&self, channel: &str, job: &str) -> Result<(), Error> {
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(failure_key(channel, job))
            .send()
            .await
            .map_err(aws_error("DeleteObject"))?;
        Ok(())
    }

    /// Brings `recordings/index.json` in line with the entries.
    pub async fn rebuild(&self) -> Result<(), Error> {
        let mut listed = self.entry_keys().await?;
        for _ in 0..ATTEMPTS {
            let mut recordings = Vec::new();
            for key in &listed {
                if let Some(recording) = self.entry(key).await? {
                    recordings.push(recording);
                }
            }
            // Newest first; a run's parts in order.
            recordings.sort_by(|a: &Recording, b: &Recording| {
                b.run_started
                    .cmp(&a.run_started)
                    .then(a.part.cmp(&b.part))
                    .then(a.channel.cmp(&b.channel))
            });
            let body = serde_json::to_vec_pretty(&serde_json::json!({ "recordings": recordings }))
                .map_err(|err| Error::Unexpected(format!("the recordings list could not be written: {err}")))?;
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(index_key())
                .content_type("application/json")
                // Read by the player on each visit: never kept stale.
                .cache_control("no-cache")
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(aws_error("PutObject"))?;
            let again = self.entry_keys().await?;
            if again == listed {
                return Ok(());
            }
            listed = again;
        }
        Err(Error::Unexpected(format!(
            "the recordings list kept changing while it was rebuilt ({ATTEMPTS} times); the next completed recording rebuilds it"
        )))
    }

    /// Every (channel, job) listed.
    pub async fn listed(&self) -> Result<std::collections::BTreeSet<(String, String)>, Error> {
        let prefix = entries_prefix();
        Ok(self
            .entry_keys()
            .await?
            .iter()
            .filter_map(|key| key.strip_prefix(&prefix)?.strip_suffix(".json")?.split_once('/'))
            .map(|(channel, job)| (channel.to_owned(), job.to_owned()))
            .collect())
    }

    async fn entry_keys(&self) -> Result<Vec<String>, Error> {
        let mut keys = Vec::new();
        let mut next = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(entries_prefix())
                .set_continuation_token(next)
                .send()
                .await
                .map_err(aws_error("ListObjectsV2"))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key())
                    .filter(|key| key.ends_with(".json"))
                    .map(str::to_owned),
            );
            next = page.next_continuation_token().map(str::to_owned);
            if next.is_none() {
                keys.sort();
                return Ok(keys);
            }
        }
    }

    /// An entry; `None` when it is gone, or not one this version reads.
    async fn entry(&self, key: &str) -> Result<Option<Recording>, Error> {
        let got = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(aws_error("GetObject"));
        let object = match got {
            Ok(object) => object,
            Err(err) if err.is_not_found() => return Ok(None),
            Err(err) => return Err(err),
        };
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|err| Error::Unexpected(format!("reading {key}: {err}")))?
            .into_bytes();
        match serde_json::from_slice(&bytes) {
            Ok(recording) => Ok(Some(recording)),
            Err(err) => {
                tracing::warn!(key, error = %err, "a recording entry that cannot be read is left out of the list");
                Ok(None)
            }
        }
    }
}
