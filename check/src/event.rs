//! A live event as its foundation sees it: its alarms named where the
//! foundation's rule and guard take them, and its entry in the
//! foundation's player.

use aws_sdk_s3::error::DisplayErrorContext;

use crate::{Clients, Line, StackView};

/// The list of events the foundation's page offers (written by each
/// event's DemoPlayer).
const EVENT_LIST_KEY: &str = "player/events/index.json";

/// An event's alarms are named under its foundation, whose rule takes
/// every `<foundation>/` alarm to its guard.
pub(crate) fn alarms_reach(view: &StackView, foundation: &StackView) -> Vec<Line> {
    let prefix = format!("{}/", foundation.name);
    ["NoInputVideoAlarm", "InputLossAlarm"]
        .iter()
        .filter_map(|logical| view.physical_id(logical).map(|name| (*logical, name)))
        .map(|(logical, name)| {
            if name.starts_with(&prefix) {
                Line::holds(
                    "event",
                    format!("alarm {name} ({logical}) is named under {prefix}, which the foundation's guard takes"),
                )
            } else {
                Line::fail(
                    "event",
                    format!(
                        "alarm {name} ({logical}) is not named under {prefix}: the foundation's guard never hears it"
                    ),
                    format!(
                        "deploy the event from this project's event.yaml with Foundation={}",
                        foundation.name
                    ),
                )
            }
        })
        .collect()
}

/// The foundation's player lists the event (its folder is the event's
/// stack name).
pub(crate) async fn listed(aws: &Clients, view: &StackView, foundation: &StackView) -> Line {
    let Some(bucket) = foundation.physical_id("DemoBucket") else {
        return Line::not_yet(
            "event",
            format!("{} has no player bucket to list events in", foundation.name),
        );
    };
    let fix = format!(
        "deploy {} again: its DemoPlayer writes its entry and the list",
        view.name
    );
    let object = match aws.s3.get_object().bucket(bucket).key(EVENT_LIST_KEY).send().await {
        Ok(object) => object,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
            return Line::fail(
                "event",
                format!("the foundation's player lists no event (no {EVENT_LIST_KEY})"),
                fix,
            );
        }
        Err(err) => {
            return Line::fail(
                "event",
                format!(
                    "s3://{bucket}/{EVENT_LIST_KEY} cannot be read: {}",
                    DisplayErrorContext(&err)
                ),
                "give the credentials s3:GetObject on the foundation's player bucket",
            );
        }
    };
    let listed: Vec<String> = match object.body.collect().await {
        Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes.into_bytes())
            .ok()
            .and_then(|list| {
                list["events"]
                    .as_array()
                    .map(|events| events.iter().filter_map(|e| e.as_str().map(str::to_owned)).collect())
            })
            .unwrap_or_default(),
        Err(err) => return Line::fail("event", format!("s3://{bucket}/{EVENT_LIST_KEY}: {err}"), fix),
    };
    if listed.contains(&view.name) {
        Line::holds(
            "event",
            format!(
                "the foundation's player lists {} ({} event(s) listed)",
                view.name,
                listed.len()
            ),
        )
    } else {
        Line::fail(
            "event",
            format!(
                "the foundation's player does not list {} (it lists: {})",
                view.name,
                listed.join(", ")
            ),
            fix,
        )
    }
}
