//! The stack's functions' last errors: an error logged since the stack was
//! last deployed is a part that does not work now (an earlier one was
//! likely the deploy that the last one mended).

use aws_sdk_cloudwatchlogs::error::DisplayErrorContext;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::Value;

use crate::{Clients, Line, StackView};

/// How far back to read: a day of errors is what a deployer acts on.
const LOOK_BACK_MS: i64 = 24 * 3600 * 1000;

/// An error line: the functions' JSON lines at level ERROR, or Lambda's
/// own words for a function that did not finish.
fn is_error(message: &str) -> bool {
    match serde_json::from_str::<Value>(message) {
        Ok(line) => line["level"] == "ERROR",
        Err(_) => message.contains("Task timed out") || message.contains("Runtime.ExitError"),
    }
}

/// What an error line says, in one line.
fn said(message: &str) -> String {
    let text = match serde_json::from_str::<Value>(message) {
        Ok(line) => {
            let fields = &line["fields"];
            let mut text = fields["message"]
                .as_str()
                .or_else(|| line["message"].as_str())
                .unwrap_or(message)
                .to_owned();
            for key in ["cause", "reason", "panic"] {
                if let Some(value) = fields[key].as_str().or_else(|| line[key].as_str()) {
                    text.push_str(&format!(": {value}"));
                }
            }
            text
        }
        Err(_) => message.trim().to_owned(),
    };
    text.chars().take(300).collect()
}

pub(crate) async fn check(aws: &Clients, view: &StackView, now_ms: i64) -> Vec<Line> {
    let deployed_ms = view.deployed_at.map(|secs| secs * 1000).unwrap_or(0);
    let mut lines = Vec::new();
    for (logical, group) in view.of_type("AWS::Logs::LogGroup") {
        let pages = aws
            .logs
            .filter_log_events()
            .log_group_name(group)
            .start_time(now_ms - LOOK_BACK_MS)
            .filter_pattern("ERROR")
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await;
        let pages = match pages {
            Ok(pages) => pages,
            Err(err) => {
                lines.push(Line::fail(
                    "logs",
                    format!(
                        "log group {group} ({logical}) cannot be read: {}",
                        DisplayErrorContext(&err)
                    ),
                    format!(
                        "give the credentials logs:FilterLogEvents, or deploy {} again (the group is the stack's)",
                        view.name
                    ),
                ));
                continue;
            }
        };
        let found: Vec<(i64, String)> = pages
            .iter()
            .flat_map(|page| page.events())
            .filter_map(|event| {
                let message = event.message().unwrap_or_default();
                is_error(message).then(|| (event.timestamp().unwrap_or_default(), said(message)))
            })
            .collect();
        let since_deploy: Vec<&(i64, String)> = found.iter().filter(|(at, _)| *at >= deployed_ms).collect();
        match since_deploy.iter().max_by_key(|(at, _)| *at) {
            Some((at, text)) => {
                let when = DateTime::from_millis(*at).fmt(Format::DateTime).unwrap_or_default();
                lines.push(Line::fail(
                    "logs",
                    format!(
                        "{logical} logged {} error(s) since the last deploy; the last, at {when}: {text}",
                        since_deploy.len()
                    ),
                    format!("read it whole: aws logs tail {group} --since 24h"),
                ));
            }
            None => lines.push(Line::holds(
                "logs",
                format!(
                    "{group} ({logical}): no error since the last deploy{}",
                    if found.is_empty() {
                        String::new()
                    } else {
                        format!(" ({} before it, in the last day)", found.len())
                    }
                ),
            )),
        }
    }
    lines
}
