//! The stack's alarms exist, and every series they read is one CloudWatch
//! has, with those dimensions, once the channel has run: an alarm on a
//! series that does not exist never fires (it treats missing data as
//! fine).

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::error::DisplayErrorContext;
use aws_sdk_cloudwatch::types::{Dimension, DimensionFilter, Metric, MetricAlarm};

use crate::{Clients, Line, StackView};

/// MediaLive reports input loss only for these input types (AWS CDK's
/// MediaLive metrics: InputLossSeconds "for RTP and MediaConnect inputs
/// only"); for others the input-loss alarm reads a series that stays empty.
const REPORT_INPUT_LOSS: &[&str] = &["RTP_PUSH", "MEDIACONNECT"];

/// A series: namespace, name and its whole set of dimensions.
type Series = (String, String, BTreeMap<String, String>);

fn dimensions_of(dimensions: &[Dimension]) -> BTreeMap<String, String> {
    dimensions
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_owned(),
                d.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn series_of(metric: &Metric) -> Series {
    (
        metric.namespace().unwrap_or_default().to_owned(),
        metric.metric_name().unwrap_or_default().to_owned(),
        dimensions_of(metric.dimensions()),
    )
}

/// Every series an alarm reads: its metric queries', or its one metric's.
fn read_by(alarm: &MetricAlarm) -> Vec<Series> {
    let mut series: Vec<Series> = alarm
        .metrics()
        .iter()
        .filter_map(|query| query.metric_stat()?.metric().map(series_of))
        .collect();
    if let (Some(namespace), Some(name)) = (alarm.namespace(), alarm.metric_name()) {
        series.push((namespace.to_owned(), name.to_owned(), dimensions_of(alarm.dimensions())));
    }
    series
}

/// The series CloudWatch lists for `namespace` and `name` with `wanted`
/// dimensions (a dimension without a value: any value).
async fn listed(
    aws: &Clients,
    namespace: &str,
    name: Option<&str>,
    wanted: &[(&str, Option<&str>)],
) -> Result<Vec<Series>, String> {
    let pages = aws
        .cloudwatch
        .list_metrics()
        .namespace(namespace)
        .set_metric_name(name.map(str::to_owned))
        .set_dimensions(Some(
            wanted
                .iter()
                .map(|(key, value)| {
                    DimensionFilter::builder()
                        .name(*key)
                        .set_value(value.map(str::to_owned))
                        .build()
                })
                .collect(),
        ))
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|err| format!("ListMetrics: {}", DisplayErrorContext(&err)))?;
    Ok(pages.iter().flat_map(|page| page.metrics()).map(series_of).collect())
}

fn shown(series: &Series) -> String {
    let dimensions: Vec<String> = series.2.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{} {} {{{}}}", series.0, series.1, dimensions.join(", "))
}

pub(crate) async fn check(aws: &Clients, view: &StackView) -> Vec<Line> {
    let alarms: Vec<(&str, &str)> = view.of_type("AWS::CloudWatch::Alarm").collect();
    if alarms.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = alarms.iter().map(|(_, name)| (*name).to_owned()).collect();
    let described = match aws
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names))
        .send()
        .await
    {
        Ok(described) => described,
        Err(err) => {
            return vec![Line::fail(
                "alarms",
                format!("the alarms cannot be read: {}", DisplayErrorContext(&err)),
                "give the credentials cloudwatch:DescribeAlarms",
            )];
        }
    };
    let channel = view.physical_id("MediaLiveChannel");
    // Whether the channel has run: MediaLive reports nothing before.
    let has_run = match channel {
        Some(channel) => match listed(aws, "AWS/MediaLive", None, &[("ChannelId", Some(channel))]).await {
            Ok(series) => !series.is_empty(),
            Err(why) => return vec![Line::fail("alarms", why, "give the credentials cloudwatch:ListMetrics")],
        },
        None => false,
    };
    let input_type = view.parameter("InputType").unwrap_or_default();
    let mut lines = Vec::new();
    for (logical, name) in alarms {
        let Some(alarm) = described.metric_alarms().iter().find(|a| a.alarm_name() == Some(name)) else {
            lines.push(Line::fail(
                "alarms",
                format!("alarm {name} ({logical}) does not exist"),
                format!("deploy {} again: the alarm is the stack's", view.name),
            ));
            continue;
        };
        let mut missing = Vec::new();
        let mut waiting = Vec::new();
        let (mut judged, mut unreported) = (0, false);
        for series in read_by(alarm) {
            let (namespace, metric, dimensions) = &series;
            if namespace == "AWS/MediaLive" && !has_run {
                waiting.push(
                    "MediaLive has reported no metrics of the channel yet (it does while the channel runs)".to_owned(),
                );
                continue;
            }
            if metric == "InputLossSeconds" && !REPORT_INPUT_LOSS.contains(&input_type) {
                // Expected empty for this input type; the alarm reads it as fine.
                unreported = true;
                continue;
            }
            // A status class that has not happened has no series yet: the
            // 5xx alarm is judged by the series of any class.
            let wanted: Vec<(&str, Option<&str>)> = dimensions
                .iter()
                .map(|(k, v)| (k.as_str(), (k != "StatusCodeRange").then_some(v.as_str())))
                .collect();
            let found = match listed(aws, namespace, Some(metric), &wanted).await {
                Ok(found) => found,
                Err(why) => {
                    lines.push(Line::fail("alarms", why, "give the credentials cloudwatch:ListMetrics"));
                    continue;
                }
            };
            let same_names = |listed: &Series| listed.2.keys().eq(dimensions.keys());
            if found.iter().any(same_names) {
                judged += 1;
                continue;
            }
            if namespace == "AWS/MediaPackage" {
                waiting.push(format!("no player has fetched through it yet ({metric} has no series)"));
            } else {
                missing.push(shown(&series));
            }
        }
        if !missing.is_empty() {
            lines.push(Line::fail(
                "alarms",
                format!(
                    "alarm {name} ({logical}) reads series CloudWatch does not have: {}; it can never fire",
                    missing.join("; ")
                ),
                format!(
                    "deploy {} again from this project's template (an alarm changed by hand reads the wrong dimensions)",
                    view.name
                ),
            ));
        } else if let Some(why) = waiting.first() {
            lines.push(Line::not_yet("alarms", format!("alarm {name} ({logical}): {why}")));
        } else if judged == 0 && unreported {
            lines.push(Line::holds(
                "alarms",
                format!(
                    "alarm {name} ({logical}) reads InputLossSeconds, which MediaLive reports only for RTP and MediaConnect inputs: with {input_type} it stays quiet, and the no-input alarm watches this input"
                ),
            ));
        } else {
            lines.push(Line::holds(
                "alarms",
                format!("alarm {name} ({logical}) reads {judged} series, each one CloudWatch has"),
            ));
        }
    }
    lines
}
