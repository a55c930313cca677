//! Which input of a failover pair a channel runs on, told when its
//! input-loss alarm goes off: the alarm's own notice names the channel,
//! not whether the backup encoder took over.
//!
//! MediaLive reports `PrimaryInputActive` (1: the primary input is
//! active, 0: the secondary is) by `ChannelId` and `Pipeline` for a
//! channel with automatic input failover (MediaLive user guide,
//! "Automatic input failover" and "Global metrics").

use std::time::Duration;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_medialive::types::ChannelClass;
use aws_smithy_types::DateTime;

use super::watch::{Channel, Guard, GuardAction, at_utc, date_time, now_secs};
use crate::error::{Error, aws_error};

const METRIC: &str = "PrimaryInputActive";
/// How far back to look: MediaLive reports every minute, and CloudWatch
/// may hold the last minute back a little.
const LOOK_BACK: Duration = Duration::from_secs(10 * 60);

/// What one pipeline's input was at the newest minute CloudWatch has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActiveInput {
    Primary {
        at: u64,
    },
    /// The backup was active at some time in that minute.
    Backup {
        at: u64,
    },
    /// No datapoint in [`LOOK_BACK`].
    Unknown,
}

/// A pipeline's newest minute: its `Minimum`, so a minute with any time
/// on the backup reads as the backup.
pub(super) fn active_of(timestamps: &[DateTime], values: &[f64]) -> ActiveInput {
    let newest = timestamps
        .iter()
        .zip(values)
        .filter_map(|(at, value)| Some((u64::try_from(at.secs()).ok()?, *value)))
        .max_by_key(|(at, _)| *at);
    match newest {
        Some((at, value)) if value < 1.0 => ActiveInput::Backup { at },
        Some((at, _)) => ActiveInput::Primary { at },
        None => ActiveInput::Unknown,
    }
}

/// The notice's lines, one a pipeline.
pub(super) fn pipeline_lines(primary: &str, backup: &str, active: &[ActiveInput]) -> String {
    active
        .iter()
        .enumerate()
        .map(|(pipeline, active)| match active {
            ActiveInput::Primary { at } => {
                format!(
                    "  Pipeline {pipeline}: on its primary input {primary} (at {}).",
                    at_utc(*at)
                )
            }
            ActiveInput::Backup { at } => format!(
                "  Pipeline {pipeline}: on its backup input {backup} (at {}): the backup encoder is on air.",
                at_utc(*at)
            ),
            ActiveInput::Unknown => format!(
                "  Pipeline {pipeline}: not known (no {METRIC} data in the last {} min).",
                LOOK_BACK.as_secs() / 60
            ),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Guard {
    /// The input-loss alarm `alarm_name` is in ALARM about `channel_id`:
    /// when the channel has a failover pair, tells which input each
    /// pipeline is on. Stops nothing.
    pub(super) async fn input_lost(&self, channel_id: &str, alarm_name: &str) -> Result<GuardAction, Error> {
        let channel = match self.ours(channel_id).await? {
            Ok(channel) => channel,
            Err(nothing) => return Ok(nothing),
        };
        let Some((primary, backup)) = channel.failover_pair() else {
            return Ok(GuardAction::Nothing(format!(
                "channel {channel_id} has no failover pair: the alarm's own notice says it all"
            )));
        };
        let active = self.active_inputs(channel_id, pipelines(&channel)).await?;
        let name = channel.name().unwrap_or(channel_id);
        let subject = format!("Live stream input lost: {name}");
        let message = format!(
            "The MediaLive channel {name} ({channel_id}) lost input (alarm {alarm_name}). \
             It fails over between two inputs; each pipeline, as MediaLive's {METRIC} metric last said:\n{}\n\n\
             If neither encoder sends, the channel carries no video and the cost guard's idle stop \
             (if IdleStopMinutes is set) stops it.\n\nStack: {}",
            pipeline_lines(primary, backup, &active),
            self.config.stack_id
        );
        self.publish(&subject, &message)
            .await
            .map_err(|cause| Error::Unexpected(format!("the input-loss notice could not be sent: {cause}")))?;
        Ok(GuardAction::Noticed {
            channel_id: channel_id.to_owned(),
            active,
        })
    }

    /// `PrimaryInputActive` of each of `pipelines` pipelines, one
    /// GetMetricData for all.
    async fn active_inputs(&self, channel_id: &str, pipelines: usize) -> Result<Vec<ActiveInput>, Error> {
        let now = now_secs();
        let query = |pipeline: usize| {
            let dimension = |name: &str, value: String| Dimension::builder().name(name).value(value).build();
            MetricDataQuery::builder()
                .id(format!("p{pipeline}"))
                .metric_stat(
                    MetricStat::builder()
                        .metric(
                            Metric::builder()
                                .namespace("AWS/MediaLive")
                                .metric_name(METRIC)
                                .dimensions(dimension("ChannelId", channel_id.to_owned()))
                                .dimensions(dimension("Pipeline", pipeline.to_string()))
                                .build(),
                        )
                        .period(60)
                        .stat("Minimum")
                        .build(),
                )
                .return_data(true)
                .build()
        };
        let answer = self
            .aws
            .cloudwatch
            .get_metric_data()
            .start_time(date_time(now.saturating_sub(LOOK_BACK.as_secs())))
            .end_time(date_time(now + 60))
            .set_metric_data_queries(Some((0..pipelines).map(query).collect()))
            .send()
            .await
            .map_err(aws_error("GetMetricData"))?;
        Ok((0..pipelines)
            .map(|pipeline| {
                let id = format!("p{pipeline}");
                answer
                    .metric_data_results()
                    .iter()
                    .find(|result| result.id() == Some(id.as_str()))
                    .map_or(ActiveInput::Unknown, |result| {
                        active_of(result.timestamps(), result.values())
                    })
            })
            .collect())
    }
}

/// A single-pipeline channel has pipeline 0 only.
fn pipelines(channel: &Channel) -> usize {
    match channel.class() {
        Some(ChannelClass::SinglePipeline) => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_minute_says_which_input_is_active() {
        let at = |secs| DateTime::from_secs(secs);
        assert_eq!(active_of(&[], &[]), ActiveInput::Unknown);
        // Newest first or not, the newest minute decides.
        assert_eq!(
            active_of(&[at(120), at(60)], &[0.0, 1.0]),
            ActiveInput::Backup { at: 120 }
        );
        assert_eq!(
            active_of(&[at(60), at(120)], &[0.0, 1.0]),
            ActiveInput::Primary { at: 120 }
        );
    }

    #[test]
    fn the_notice_names_each_pipelines_input() {
        let lines = pipeline_lines(
            "1111111",
            "2222222",
            &[ActiveInput::Backup { at: 1_795_000_000 }, ActiveInput::Unknown],
        );
        assert_eq!(
            lines,
            "  Pipeline 0: on its backup input 2222222 (at 2026-11-18 11:06 UTC): the backup encoder is on air.\n  \
             Pipeline 1: not known (no PrimaryInputActive data in the last 10 min)."
        );
    }
}
