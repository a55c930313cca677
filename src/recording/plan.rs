//! What a run's recording is made of: its parts (harvest jobs of at most
//! 24 hours), their names and where each is written.

use aws_smithy_types::date_time::{DateTime, Format};

/// A harvest job covers at most 24 hours (MediaPackage v2 user guide,
/// "Creating live-to-VOD assets").
pub const MAX_PART_SECS: u64 = 24 * 3600;
/// Everything the stack writes in its recordings bucket is under this.
pub const PREFIX: &str = "recordings";
/// The endpoint every run is harvested from, and its HLS and DASH
/// manifests (templates/parts/manifests/cmaf.yaml). Low-latency HLS is
/// left out: the recording is VOD, where it buys nothing.
pub const ENDPOINT: &str = "cmaf";
pub const HLS_MANIFEST: &str = "index";
pub const DASH_MANIFEST: &str = "index";

/// One harvest job's share of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// From 1.
    pub number: u32,
    /// Epoch seconds; `end` is after `start`, at most 24 hours after.
    pub start: u64,
    pub end: u64,
}

/// The parts of a run from `started_at` to `until`: consecutive, no gap,
/// no overlap, each at most 24 hours. None when the run has no length.
pub fn parts(started_at: u64, until: u64) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut start = started_at;
    let mut number = 1;
    while start < until {
        let end = until.min(start + MAX_PART_SECS);
        parts.push(Part { number, start, end });
        start = end;
        number += 1;
    }
    parts
}

/// The full 24-hour parts of a run still going on at `now`: those that
/// may be harvested before the run ends.
pub fn complete_parts(started_at: u64, now: u64) -> Vec<Part> {
    parts(started_at, now)
        .into_iter()
        .filter(|part| part.end - part.start == MAX_PART_SECS)
        .collect()
}

/// The job harvesting `part` of the run that started at `started_at`.
/// Unique per MediaPackage channel (one channel per stack or event), and
/// the same at every attempt: a second create is a ConflictException,
/// never a second recording.
pub fn job_name(started_at: u64, part: &Part) -> String {
    format!("run-{started_at}-part-{}", part.number)
}

/// The one retry of a failed job.
pub fn retry_name(job: &str) -> String {
    format!("{job}{RETRY_SUFFIX}")
}

const RETRY_SUFFIX: &str = "-retry";

/// A job name of this project's, read back: the run's start, the part's
/// number, and whether it is the retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobName {
    pub started_at: u64,
    pub part: u32,
    pub retry: bool,
}

impl JobName {
    pub fn parse(name: &str) -> Option<JobName> {
        let (name, retry) = match name.strip_suffix(RETRY_SUFFIX) {
            Some(first) => (first, true),
            None => (name, false),
        };
        let (started_at, part) = name.strip_prefix("run-")?.split_once("-part-")?;
        let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        if !digits(started_at) || !digits(part) {
            return None;
        }
        Some(JobName {
            started_at: started_at.parse().ok()?,
            part: part.parse().ok()?,
            retry,
        })
    }
}

/// `20261205T120000Z`: a run's start as a folder name (no colons, which
/// URLs and some tools dislike).
pub fn stamp(epoch_secs: u64) -> String {
    let text = rfc3339(epoch_secs);
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).take(14).collect();
    format!(
        "{}T{}Z",
        digits.get(..8).unwrap_or_default(),
        digits.get(8..).unwrap_or_default()
    )
}

/// `2026-12-05T12:00:00Z`.
pub fn rfc3339(epoch_secs: u64) -> String {
    DateTime::from_secs(i64::try_from(epoch_secs).unwrap_or(i64::MAX))
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

/// Where a part is written: `recordings/<channel>/<run start>/part-<n>`,
/// the channel being the stack's (or the event's) MediaPackage channel,
/// named after it.
pub fn destination(channel: &str, started_at: u64, part: u32) -> String {
    format!("{PREFIX}/{channel}/{}/part-{part}", stamp(started_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_cut_into_parts_of_at_most_a_day_with_no_gap_or_overlap() {
        let start = 1_795_000_000;
        assert_eq!(parts(start, start), vec![]);
        assert_eq!(
            parts(start, start + 600),
            vec![Part {
                number: 1,
                start,
                end: start + 600
            }]
        );
        let thirty_hours = parts(start, start + 30 * 3600);
        assert_eq!(
            thirty_hours,
            vec![
                Part {
                    number: 1,
                    start,
                    end: start + MAX_PART_SECS
                },
                Part {
                    number: 2,
                    start: start + MAX_PART_SECS,
                    end: start + 30 * 3600
                },
            ]
        );
        for window in thirty_hours.windows(2) {
            assert_eq!(window[0].end, window[1].start);
        }
        assert_eq!(complete_parts(start, start + 30 * 3600), thirty_hours[..1].to_vec());
        assert_eq!(complete_parts(start, start + 23 * 3600), vec![]);
    }

    #[test]
    fn job_names_fit_the_model_and_read_back() {
        let part = Part {
            number: 2,
            start: 0,
            end: 1,
        };
        let name = job_name(1_795_000_000, &part);
        assert_eq!(name, "run-1795000000-part-2");
        // ResourceName: [a-zA-Z0-9_-]+, 1..=256.
        assert!(
            retry_name(&name)
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(
            JobName::parse(&name),
            Some(JobName {
                started_at: 1_795_000_000,
                part: 2,
                retry: false
            })
        );
        assert_eq!(
            JobName::parse(&retry_name(&name)),
            Some(JobName {
                started_at: 1_795_000_000,
                part: 2,
                retry: true
            })
        );
        for other in [
            "",
            "run-",
            "run-1-part-",
            "run-x-part-1",
            "highlight-1",
            "run-1-part-1-again",
        ] {
            assert_eq!(JobName::parse(other), None, "{other}");
        }
    }

    #[test]
    fn a_run_is_written_under_its_channel_and_start() {
        assert_eq!(stamp(1_795_000_000), "20261118T110640Z");
        assert_eq!(
            destination("live", 1_795_000_000, 1),
            "recordings/live/20261118T110640Z/part-1"
        );
    }
}
