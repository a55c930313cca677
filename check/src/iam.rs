//! IAM as AWS evaluates it: every permission each role of the stack needs,
//! asked of IAM's policy simulator (SimulatePrincipalPolicy) on this
//! stack's real ARNs with the condition keys the grants use.
//!
//! The needs are not a second hand-written list: the local run writes them
//! (`--iam-needs`) from every call its IAM gate judged, with the stack's
//! names as `Fn::Sub`-style placeholders, and a test fails when a run
//! needs something else than `iam-needs/template.json` says.

use aws_sdk_iam::error::DisplayErrorContext;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType};
use serde_json::Value;

use crate::{Clients, Kind, Line, StackView};

/// What a `template.yaml` stack's roles need (the local run's default).
pub const TEMPLATE_NEEDS: &str = include_str!("../iam-needs/template.json");

/// The parameters that change what the roles need: a stack deployed with
/// other values than the list was written with is not asked.
const SHAPING: &[&str] = &["InputType", "Packager", "RecordRuns", "PlaybackAccess", "FailoverInput"];

/// A request id and a run's start, where a need names one: any will do
/// (the grants do not look at them).
const ANY_REQUEST_ID: &str = "00000000-0000-0000-0000-000000000000";
const ANY_RUN_START: &str = "0";

/// `text` with every `${Name}` replaced from the stack; `None` when a name
/// is none of the stack's (a part this stack does not have).
fn resolved(text: &str, view: &StackView, region: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        let name = &rest[start + 2..end];
        let value = match name {
            "AWS::StackName" => view.name.clone(),
            "AWS::StackId" => view.id.clone(),
            "AWS::AccountId" => view.id.split(':').nth(4)?.to_owned(),
            "AWS::Region" => region.to_owned(),
            "RequestId" => ANY_REQUEST_ID.to_owned(),
            "RunStart" => ANY_RUN_START.to_owned(),
            name => view
                .physical_id(name)
                .or_else(|| view.parameter(name).filter(|v| *v != "****"))?
                .to_owned(),
        };
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

pub(crate) async fn check(aws: &Clients, view: &StackView) -> Vec<Line> {
    if view.kind != Kind::Channel {
        return vec![Line::not_yet(
            "iam",
            "the list of needs covers template.yaml stacks so far: a foundation's and an event's roles are not simulated yet",
        )];
    }
    let written: Value = match serde_json::from_str(TEMPLATE_NEEDS) {
        Ok(written) => written,
        Err(err) => {
            return vec![Line::fail(
                "iam",
                format!("iam-needs/template.json: {err}"),
                "rebuild check-stack from a clean checkout",
            )];
        }
    };
    let differs: Vec<String> = SHAPING
        .iter()
        .filter_map(|key| {
            let listed = written["configuration"][key].as_str()?;
            let here = view.parameter(key).unwrap_or_default();
            (listed != here).then(|| format!("{key}={here} (the list: {listed})"))
        })
        .collect();
    if !differs.is_empty() {
        return vec![Line::not_yet(
            "iam",
            format!(
                "the list of needs was written for another configuration; this stack has {}: its roles are not simulated yet",
                differs.join(", ")
            ),
        )];
    }
    let needs = written["needs"].as_array().cloned().unwrap_or_default();
    let partition = view.id.split(':').nth(1).unwrap_or("aws");
    let Some(account) = view.id.split(':').nth(4) else {
        return vec![Line::fail(
            "iam",
            format!("the stack id {} is no ARN", view.id),
            "give the stack's name",
        )];
    };
    // role → (asked, denied lines)
    let mut per_role: std::collections::BTreeMap<String, (usize, Vec<Line>)> = Default::default();
    let mut skipped = 0;
    for need in &needs {
        let text = |key: &str| need[key].as_str().unwrap_or_default();
        let (role, action) = (text("role"), text("action"));
        let Some(role_name) = view.physical_id(role) else {
            skipped += 1;
            continue;
        };
        let Some(resource) = resolved(text("resource"), view, &aws.region) else {
            skipped += 1;
            continue;
        };
        let mut entries = Vec::new();
        let mut complete = true;
        for (key, values) in need["context"].as_object().into_iter().flatten() {
            let values: Option<Vec<String>> = values
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| resolved(v.as_str().unwrap_or_default(), view, &aws.region))
                .collect();
            let Some(values) = values else {
                complete = false;
                break;
            };
            let kind = if values.len() > 1 {
                ContextKeyTypeEnum::StringList
            } else {
                ContextKeyTypeEnum::String
            };
            entries.push(
                ContextEntry::builder()
                    .context_key_name(key)
                    .context_key_type(kind)
                    .set_context_key_values(Some(values))
                    .build(),
            );
        }
        if !complete {
            skipped += 1;
            continue;
        }
        let role_arn = format!("arn:{partition}:iam::{account}:role/{role_name}");
        let mut ask = aws
            .iam
            .simulate_principal_policy()
            .policy_source_arn(&role_arn)
            .action_names(action)
            .set_context_entries(Some(entries));
        if resource != "*" {
            ask = ask.resource_arns(&resource);
        }
        let entry = per_role.entry(role.to_owned()).or_default();
        entry.0 += 1;
        match ask.send().await {
            Ok(answer) => {
                let allowed = answer
                    .evaluation_results()
                    .iter()
                    .all(|r| r.eval_decision() == &PolicyEvaluationDecisionType::Allowed)
                    && !answer.evaluation_results().is_empty();
                if !allowed {
                    entry.1.push(Line::fail(
                        "iam",
                        format!("{role} ({role_name}) may not {action} on {resource}, which it needs"),
                        format!(
                            "deploy {} again from this project's template: a policy changed by hand lost the grant (the needs: check/iam-needs/template.json)",
                            view.name
                        ),
                    ));
                }
            }
            Err(err) => entry.1.push(Line::fail(
                "iam",
                format!("{role}'s {action} cannot be simulated: {}", DisplayErrorContext(&err)),
                "give the credentials iam:SimulatePrincipalPolicy on the stack's roles",
            )),
        }
    }
    let mut lines = Vec::new();
    for (role, (asked, denied)) in per_role {
        if denied.is_empty() {
            lines.push(Line::holds(
                "iam",
                format!("{role} may make each of the {asked} calls it needs on this stack's ARNs, as IAM's policy simulator judges"),
            ));
        } else {
            lines.extend(denied);
        }
    }
    if skipped > 0 {
        lines.push(Line::holds(
            "iam",
            format!("{skipped} needs of parts this stack does not have were not asked"),
        ));
    }
    lines
}
