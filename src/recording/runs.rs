//! The guard's records of runs, kept as schedules in its group: a run
//! going on is `max-run-<channel id>`, a run that ended and is still to be
//! harvested `record-<channel id>-<start>`. Each keeps, in its target's
//! input, the run's start and the MediaPackage channel it is recorded from
//! (and, once ended, its end). Read by the guard and by `LastRecording`.

use serde_json::Value;

use crate::error::{Error, Found, aws_error};

pub const RUN_PREFIX: &str = "max-run-";
pub const TO_HARVEST_PREFIX: &str = "record-";

/// A run as its record keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub schedule: String,
    pub channel_id: String,
    /// The MediaPackage channel; `None` when the run is not recorded.
    pub record: Option<String>,
    pub started_at: u64,
    /// `None` while it goes on.
    pub ended_at: Option<u64>,
    /// When a running one is stopped by the guard (`max-run-` only).
    pub stop_at: Option<u64>,
}

impl Kept {
    /// A record read from its schedule's name and target input.
    pub fn read(schedule: &str, input: &str) -> Option<Kept> {
        let channel_id = match schedule.strip_prefix(RUN_PREFIX) {
            Some(id) => id.to_owned(),
            None => schedule.strip_prefix(TO_HARVEST_PREFIX)?.split('-').next()?.to_owned(),
        };
        let input: Value = serde_json::from_str(input).ok()?;
        let detail = &input["detail"];
        Some(Kept {
            schedule: schedule.to_owned(),
            channel_id,
            record: detail["record"].as_str().map(str::to_owned),
            started_at: detail["startedAt"].as_u64()?,
            ended_at: detail["endedAt"].as_u64(),
            stop_at: detail["stopAt"].as_u64(),
        })
    }
}

/// Every record in `group` whose name starts with `prefix`.
pub async fn kept_in(scheduler: &aws_sdk_scheduler::Client, group: &str, prefix: &str) -> Result<Vec<Kept>, Error> {
    let mut kept = Vec::new();
    let mut next = None;
    loop {
        let page = scheduler
            .list_schedules()
            .group_name(group)
            .name_prefix(prefix)
            .set_next_token(next)
            .send()
            .await
            .map_err(aws_error("ListSchedules"))?;
        for name in page.schedules().iter().filter_map(|s| s.name()) {
            kept.extend(read_kept(scheduler, group, name).await?);
        }
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            return Ok(kept);
        }
    }
}

/// The record `schedule` in `group`; `None` when it is gone or not a record.
pub async fn read_kept(
    scheduler: &aws_sdk_scheduler::Client,
    group: &str,
    schedule: &str,
) -> Result<Option<Kept>, Error> {
    let found = scheduler
        .get_schedule()
        .group_name(group)
        .name(schedule)
        .send()
        .await
        .map_err(aws_error("GetSchedule"))
        .found()?;
    let input = found.as_ref().and_then(|s| s.target()).and_then(|t| t.input());
    Ok(input.and_then(|input| Kept::read(schedule, input)))
}

/// Removes a record; one already gone counts as removed.
pub async fn forget(scheduler: &aws_sdk_scheduler::Client, group: &str, schedule: &str) -> Result<(), Error> {
    scheduler
        .delete_schedule()
        .group_name(group)
        .name(schedule)
        .send()
        .await
        .map_err(aws_error("DeleteSchedule"))
        .found()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_from_their_schedules() {
        let running = r#"{"detail": {"channelId": "1234567", "startedAt": 100, "stopAt": 200, "record": "live"}}"#;
        assert_eq!(
            Kept::read("max-run-1234567", running),
            Some(Kept {
                schedule: "max-run-1234567".into(),
                channel_id: "1234567".into(),
                record: Some("live".into()),
                started_at: 100,
                ended_at: None,
                stop_at: Some(200),
            })
        );
        let ended = r#"{"detail": {"channelId": "1234567", "startedAt": 100, "endedAt": 160, "record": "live"}}"#;
        let kept = Kept::read("record-1234567-100", ended).unwrap();
        assert_eq!((kept.channel_id.as_str(), kept.ended_at), ("1234567", Some(160)));
        assert_eq!(Kept::read("someone-else", running), None);
        assert_eq!(Kept::read("max-run-1", "not json"), None);
    }
}
