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
use aws_sdk_medialive::operation::describe_input::DescribeInputOutput;
use serde_json::Value;

use crate::{Clients, Kind, Line, StackView};

/// What a `template.yaml` stack's roles need (the local run's default).
pub const TEMPLATE_NEEDS: &str = include_str!("../iam-needs/template.json");
/// What a foundation's roles need for it and its events (the local run's
/// `--events`: three events of three input types).
pub const EVENTS_NEEDS: &str = include_str!("../iam-needs/events.json");

/// The parameters that change what the roles need: a stack deployed with
/// other values than the list was written with is not asked.
const SHAPING: &[&str] = &["InputType", "Packager", "RecordRuns", "PlaybackAccess", "FailoverInput"];

const SIMULATE_FIX: &str = "give the credentials iam:SimulatePrincipalPolicy on the stack's roles";

/// The role MediaLive runs the channel as.
const MEDIALIVE_ROLE: &str = "MediaLiveRole";

/// A request id and a run's start, where a need names one: any will do
/// (the grants do not look at them).
const ANY_REQUEST_ID: &str = "00000000-0000-0000-0000-000000000000";
const ANY_RUN_START: &str = "0";

/// Whose names a list's placeholders are: a stack's own (`${AWS::StackName}`,
/// `${<logical id>}`, `${<parameter>}`), and a foundation's
/// (`${Foundation}`, `${Foundation::StackId}`, `${Foundation.<logical id>}`).
struct Names<'a> {
    /// The stack the list's own names are: a template stack, an event;
    /// `None` for a foundation checked by itself (its events' needs are
    /// then not asked).
    own: Option<&'a StackView>,
    foundation: Option<&'a StackView>,
    region: &'a str,
}

impl Names<'_> {
    fn value(&self, name: &str) -> Option<String> {
        let of = |view: &StackView, name: &str| {
            view.physical_id(name)
                .or_else(|| view.parameter(name).filter(|v| *v != "****"))
                .map(str::to_owned)
        };
        let stack = self.own.or(self.foundation)?;
        Some(match name {
            "AWS::StackName" => self.own?.name.clone(),
            "AWS::StackId" => self.own?.id.clone(),
            "AWS::AccountId" => stack.account()?.to_owned(),
            "AWS::Region" => self.region.to_owned(),
            "RequestId" => ANY_REQUEST_ID.to_owned(),
            "RunStart" => ANY_RUN_START.to_owned(),
            "Foundation" => self.foundation?.name.clone(),
            "Foundation::StackId" => self.foundation?.id.clone(),
            name => match name.strip_prefix("Foundation.") {
                Some(logical) => of(self.foundation?, logical)?,
                None => of(self.own?, name)?,
            },
        })
    }

    /// Where a role of the list is: the stack's own, or the foundation's.
    fn role(&self, logical: &str) -> Option<&str> {
        self.own
            .and_then(|own| own.physical_id(logical))
            .or_else(|| self.foundation?.physical_id(logical))
    }
}

/// `text` with every `${Name}` replaced; `None` when a name is none of
/// these stacks' (a part they do not have).
fn resolved(text: &str, names: &Names<'_>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        out.push_str(&names.value(&rest[start + 2..end])?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// `foundation`: an event's foundation (a foundation checked by itself is
/// its own).
pub(crate) async fn check(aws: &Clients, view: &StackView, foundation: Option<&StackView>) -> Vec<Line> {
    let (list, file, names) = match view.kind {
        Kind::Channel => (
            TEMPLATE_NEEDS,
            "template.json",
            Names {
                own: Some(view),
                foundation: None,
                region: &aws.region,
            },
        ),
        Kind::Event => (
            EVENTS_NEEDS,
            "events.json",
            Names {
                own: Some(view),
                foundation,
                region: &aws.region,
            },
        ),
        Kind::Foundation => (
            EVENTS_NEEDS,
            "events.json",
            Names {
                own: None,
                foundation: Some(view),
                region: &aws.region,
            },
        ),
    };
    let Some(deployed_with) = names.foundation.or(names.own) else {
        return Vec::new();
    };
    let written: Value = match serde_json::from_str(list) {
        Ok(written) => written,
        Err(err) => {
            return vec![Line::fail(
                "iam",
                format!("iam-needs/{file}: {err}"),
                "rebuild check-stack from a clean checkout",
            )];
        }
    };
    let differs: Vec<String> = SHAPING
        .iter()
        .filter_map(|key| {
            let listed = written["configuration"][key].as_str()?;
            let here = deployed_with.parameter(key).unwrap_or_default();
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
    let partition = deployed_with.partition();
    let Some(account) = deployed_with.account() else {
        return vec![Line::fail(
            "iam",
            format!("the stack id {} is no ARN", view.id),
            "give the stack's name",
        )];
    };
    // role → (asked, denied lines)
    let mut per_role: std::collections::BTreeMap<String, (usize, Vec<Line>)> = Default::default();
    let mut skipped = 0;
    let mut per_input = 0;
    for need in &needs {
        let text = |key: &str| need[key].as_str().unwrap_or_default();
        let (role, action) = (text("role"), text("action"));
        // What MediaLive does as the foundation's role depends on each
        // event's input (the test source, pull passwords, a passphrase),
        // and the events' list mixes three inputs' needs.
        if role == MEDIALIVE_ROLE && view.kind != Kind::Channel {
            per_input += 1;
            continue;
        }
        let Some(role_name) = names.role(role) else {
            skipped += 1;
            continue;
        };
        let Some(resource) = resolved(text("resource"), &names) else {
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
                .map(|v| resolved(v.as_str().unwrap_or_default(), &names))
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
        let entry = per_role.entry(role.to_owned()).or_default();
        entry.0 += 1;
        match allowed(aws, &role_arn, action, &resource, entries).await {
            Ok(allowed) => {
                if !allowed {
                    entry.1.push(Line::fail(
                        "iam",
                        format!("{role} ({role_name}) may not {action} on {resource}, which it needs"),
                        format!(
                            "deploy {} again from this project's template: a policy changed by hand lost the grant (the needs: check/iam-needs/{file})",
                            view.name
                        ),
                    ));
                }
            }
            Err(why) => entry.1.push(Line::fail(
                "iam",
                format!("{role}'s {action} cannot be simulated: {why}"),
                SIMULATE_FIX,
            )),
        }
    }
    let mut lines = Vec::new();
    for (role, (asked, denied)) in per_role {
        if denied.is_empty() {
            lines.push(Line::holds(
                "iam",
                format!("{role} may make each call it needs on this stack's ARNs ({asked} asked), as IAM's policy simulator judges"),
            ));
        } else {
            lines.extend(denied);
        }
    }
    if per_input > 0 {
        lines.push(Line::not_yet(
            "iam",
            format!(
                "{MEDIALIVE_ROLE}'s {per_input} needs for events depend on each event's input and are not asked yet"
            ),
        ));
    }
    if skipped > 0 {
        lines.push(Line::holds(
            "iam",
            format!("{skipped} needs of parts this stack does not have were not asked"),
        ));
    }
    lines
}

/// Whether IAM's policy simulator allows `role_arn` `action` on `resource`
/// (`*`: no resource named) with `context`.
async fn allowed(
    aws: &Clients,
    role_arn: &str,
    action: &str,
    resource: &str,
    context: Vec<ContextEntry>,
) -> Result<bool, String> {
    let mut ask = aws
        .iam
        .simulate_principal_policy()
        .policy_source_arn(role_arn)
        .action_names(action)
        .set_context_entries(Some(context));
    if resource != "*" {
        ask = ask.resource_arns(resource);
    }
    let answer = ask.send().await.map_err(|err| DisplayErrorContext(&err).to_string())?;
    Ok(!answer.evaluation_results().is_empty()
        && answer
            .evaluation_results()
            .iter()
            .all(|r| r.eval_decision() == &PolicyEvaluationDecisionType::Allowed))
}

/// An SRT input's passphrase: MediaLive reads the secret as the channel's
/// role (`secretsmanager:GetSecretValue`, MediaLive user guide, "Setting up
/// an SRT input"), and that role reads no other secret: a secret beside it
/// (the same name, longer) is asked too and must be refused. For an event,
/// the foundation's role with the policy the event put on it.
pub(crate) async fn passphrase(
    aws: &Clients,
    view: &StackView,
    foundation: Option<&StackView>,
    described: &DescribeInputOutput,
) -> Vec<Line> {
    let mut secrets: Vec<&str> = Vec::new();
    if let Some(srt) = described.srt_settings() {
        secrets.extend(
            srt.srt_caller_sources()
                .iter()
                .filter_map(|source| source.decryption()?.passphrase_secret_arn()),
        );
        secrets.extend(
            srt.srt_listener_settings()
                .and_then(|listener| listener.decryption()?.passphrase_secret_arn()),
        );
    }
    secrets.sort_unstable();
    secrets.dedup();
    let holder = foundation.unwrap_or(view);
    let (Some(role_name), Some(account)) = (holder.physical_id(MEDIALIVE_ROLE), holder.account()) else {
        return Vec::new();
    };
    let role_arn = format!("arn:{}:iam::{account}:role/{role_name}", holder.partition());
    let read = "secretsmanager:GetSecretValue";
    let mut lines = Vec::new();
    for secret in secrets {
        let beside = format!("{secret}-other-AbCdEf");
        let may = allowed(aws, &role_arn, read, secret, Vec::new()).await;
        let wider = allowed(aws, &role_arn, read, &beside, Vec::new()).await;
        lines.push(match (may, wider) {
            (Ok(true), Ok(false)) => Line::holds(
                "iam",
                format!("{MEDIALIVE_ROLE} ({role_name}) may read the SRT passphrase secret {secret}, and no other secret ({beside} refused)"),
            ),
            (Ok(false), _) => Line::fail(
                "iam",
                format!("{MEDIALIVE_ROLE} ({role_name}) may not read the SRT passphrase secret {secret}: MediaLive cannot decrypt the stream"),
                format!(
                    "deploy {} again from this project's template: its grant (Sid SrtPassphrase) names the secret",
                    view.name
                ),
            ),
            (Ok(true), Ok(true)) => Line::fail(
                "iam",
                format!("{MEDIALIVE_ROLE} ({role_name}) may read other secrets than the SRT passphrase ({beside} allowed): a grant wider than the one secret"),
                format!(
                    "deploy {} again from this project's template: its grant names only the passphrase secret",
                    view.name
                ),
            ),
            (Err(why), _) | (_, Err(why)) => Line::fail(
                "iam",
                format!("{MEDIALIVE_ROLE}'s read of the SRT passphrase cannot be simulated: {why}"),
                SIMULATE_FIX,
            ),
        });
    }
    lines
}
