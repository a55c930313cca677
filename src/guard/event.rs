//! The events the guard acts on, read from EventBridge-shaped payloads.

use aws_smithy_types::date_time::{DateTime, Format};
use serde_json::Value;

use crate::ownership::is_medialive_id;

/// The `source` of the events this guard's own schedules send.
pub const MAX_RUN_SOURCE: &str = "livestream.cost-guard";
pub const MAX_RUN_DETAIL_TYPE: &str = "Maximum run time reached";
const MEDIALIVE_SOURCE: &str = "aws.medialive";
const CHANNEL_STATE_CHANGE: &str = "MediaLive Channel State Change";
const CLOUDWATCH_SOURCE: &str = "aws.cloudwatch";
/// MediaPackage v2's harvest job events (user guide, "Monitoring
/// MediaPackage with Amazon EventBridge").
const MEDIAPACKAGEV2_SOURCE: &str = "aws.mediapackagev2";
const HARVEST_JOB_NOTIFICATION: &str = "MediaPackageV2 HarvestJob Notification";
/// What the stack's own schedule sends every so often: look again at what
/// an event may have missed.
pub const RECONCILE_DETAIL_TYPE: &str = "Reconcile recordings";
const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";

/// Epoch seconds of an RFC 3339 time, as EventBridge writes `time`.
pub(super) fn epoch(time: &str) -> Option<u64> {
    let time = DateTime::from_str(time, Format::DateTime).ok()?;
    u64::try_from(time.secs()).ok()
}

/// An event the guard acts on, read from an EventBridge-shaped payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardEvent {
    /// The channel changed state (EventBridge, from MediaLive), at `at`
    /// (epoch seconds). `state` is in EventBridge's words (`STOPPED` is
    /// not an API state).
    ChannelState {
        channel_id: String,
        state: String,
        at: u64,
        /// From the channel's ARN.
        region: String,
        account: String,
    },
    /// The guard's own schedule fired, for the run that started at `started_at`.
    MaxRunReached { channel_id: String, started_at: u64 },
    /// A CloudWatch alarm changed state. Only its name and new state are
    /// read: what it is about and since when, the guard asks CloudWatch.
    Alarm { alarm_name: String, state: String },
    /// A harvest job ended (COMPLETED or FAILED). What it harvested, and
    /// its state now, the guard asks MediaPackage.
    HarvestJob {
        group: String,
        channel: String,
        job: String,
    },
    /// The stack's schedule: make what a lost event left unmade.
    Reconcile,
}

/// Why an EventBridge-shaped payload is not one the guard knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownEvent(pub String);

impl GuardEvent {
    /// Reads `source` / `detail-type` / `time` / `detail` of an EventBridge event.
    pub fn parse(event: &Value) -> Result<Self, UnknownEvent> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let source = event["source"].as_str().unwrap_or_default();
        let detail_type = event["detail-type"].as_str().unwrap_or_default();
        let detail = &event["detail"];
        let missing = |what: &str| UnknownEvent(format!("{detail_type} event from {source} without {what}"));
        let at = || event["time"].as_str().and_then(epoch).ok_or_else(|| missing("a time"));
        match (source, detail_type) {
            (MEDIALIVE_SOURCE, CHANNEL_STATE_CHANGE) => {
                let arn = text(&detail["channel_arn"]).ok_or_else(|| missing("detail.channel_arn"))?;
                // arn:<partition>:medialive:<region>:<account>:channel:<id>
                let parts: Vec<&str> = arn.split(':').collect();
                let (region, account, id) = match parts.as_slice() {
                    [_, _, "medialive", region, account, "channel", id] => (*region, *account, *id),
                    _ => return Err(missing("a channel ARN in detail.channel_arn")),
                };
                if !is_medialive_id(id) {
                    return Err(missing("a channel ARN in detail.channel_arn"));
                }
                let state = text(&detail["state"]).ok_or_else(|| missing("detail.state"))?;
                Ok(GuardEvent::ChannelState {
                    channel_id: id.to_owned(),
                    state,
                    at: at()?,
                    region: region.to_owned(),
                    account: account.to_owned(),
                })
            }
            (MAX_RUN_SOURCE, MAX_RUN_DETAIL_TYPE) => {
                let channel_id = text(&detail["channelId"])
                    .filter(|id| is_medialive_id(id))
                    .ok_or_else(|| missing("detail.channelId"))?;
                let started_at = detail["startedAt"]
                    .as_u64()
                    .ok_or_else(|| missing("detail.startedAt"))?;
                Ok(GuardEvent::MaxRunReached { channel_id, started_at })
            }
            (MAX_RUN_SOURCE, RECONCILE_DETAIL_TYPE) => Ok(GuardEvent::Reconcile),
            (MEDIAPACKAGEV2_SOURCE, HARVEST_JOB_NOTIFICATION) => {
                let job = &detail["harvestJob"];
                Ok(GuardEvent::HarvestJob {
                    group: text(&job["channelGroupName"])
                        .ok_or_else(|| missing("detail.harvestJob.channelGroupName"))?,
                    channel: text(&job["channelName"]).ok_or_else(|| missing("detail.harvestJob.channelName"))?,
                    job: text(&job["harvestJobName"]).ok_or_else(|| missing("detail.harvestJob.harvestJobName"))?,
                })
            }
            (CLOUDWATCH_SOURCE, ALARM_STATE_CHANGE) => {
                let alarm_name = text(&detail["alarmName"]).ok_or_else(|| missing("detail.alarmName"))?;
                let state = text(&detail["state"]["value"]).ok_or_else(|| missing("detail.state.value"))?;
                Ok(GuardEvent::Alarm { alarm_name, state })
            }
            _ => Err(UnknownEvent(format!(
                "an event from source {source:?} of type {detail_type:?}; the guard knows {CHANNEL_STATE_CHANGE:?} from {MEDIALIVE_SOURCE}, {ALARM_STATE_CHANGE:?} from {CLOUDWATCH_SOURCE}, {HARVEST_JOB_NOTIFICATION:?} from {MEDIAPACKAGEV2_SOURCE} and its own {MAX_RUN_DETAIL_TYPE:?} and {RECONCILE_DETAIL_TYPE:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_times_are_read_as_eventbridge_writes_them() {
        assert_eq!(epoch("2026-11-18T11:06:40Z"), Some(1_795_000_000));
        assert_eq!(epoch("yesterday"), None);
    }

    #[test]
    fn events_are_read_by_source_and_type() {
        let state = json!({"source": "aws.medialive", "detail-type": "MediaLive Channel State Change",
            "time": "2026-11-18T11:06:40Z",
            "detail": {"channel_arn": "arn:aws:medialive:us-east-1:123456789012:channel:1234567", "state": "RUNNING"}});
        assert_eq!(
            GuardEvent::parse(&state),
            Ok(GuardEvent::ChannelState {
                channel_id: "1234567".into(),
                state: "RUNNING".into(),
                at: 1_795_000_000,
                region: "us-east-1".into(),
                account: "123456789012".into(),
            })
        );
        let alarm = json!({"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
            "time": "2026-11-18T11:06:40Z",
            "detail": {"alarmName": "live-no-input-video", "state": {"value": "ALARM"},
              "configuration": {"metrics": [{"id": "p0", "metricStat": {"metric": {"namespace": "AWS/MediaLive",
                "name": "InputVideoFrameRate", "dimensions": {"ChannelId": "1234567", "Pipeline": "0"}}}},
                {"id": "frames", "expression": "MAX([p0])"}]}}});
        assert_eq!(
            GuardEvent::parse(&alarm),
            Ok(GuardEvent::Alarm {
                alarm_name: "live-no-input-video".into(),
                state: "ALARM".into(),
            })
        );
        let harvested = json!({"source": "aws.mediapackagev2", "detail-type": "MediaPackageV2 HarvestJob Notification",
            "time": "2026-11-18T11:06:40Z",
            "detail": {"harvestJob": {"harvestJobName": "run-1795000000-part-1", "channelGroupName": "live",
              "channelName": "live", "originEndpointName": "cmaf", "status": "COMPLETED"}}});
        assert_eq!(
            GuardEvent::parse(&harvested),
            Ok(GuardEvent::HarvestJob {
                group: "live".into(),
                channel: "live".into(),
                job: "run-1795000000-part-1".into(),
            })
        );
        let reconcile = json!({"source": MAX_RUN_SOURCE, "detail-type": RECONCILE_DETAIL_TYPE, "detail": {}});
        assert_eq!(GuardEvent::parse(&reconcile), Ok(GuardEvent::Reconcile));
        for bad in [
            json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
            json!({"source": "aws.medialive", "detail-type": "MediaLive Channel State Change", "detail": {"state": "RUNNING"}}),
            json!({"source": "aws.medialive", "detail-type": "MediaLive Channel State Change",
                "time": "2026-11-18T11:06:40Z",
                "detail": {"channel_arn": "arn:aws:medialive:us-east-1:1:channel:../x", "state": "RUNNING"}}),
            json!({"source": "aws.medialive", "detail-type": "MediaLive Channel State Change",
                "detail": {"channel_arn": "arn:aws:medialive:us-east-1:1:channel:123", "state": "RUNNING"}}),
            json!({"source": MAX_RUN_SOURCE, "detail-type": MAX_RUN_DETAIL_TYPE, "detail": {"channelId": "1"}}),
        ] {
            assert!(GuardEvent::parse(&bad).is_err(), "{bad}");
        }
    }
}
