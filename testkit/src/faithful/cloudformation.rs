//! CloudFormation's read side, for the first-deploy check: the stacks the
//! template player made, as DescribeStacks and ListStackResources answer
//! them (the AWS Query protocol: a form in, XML out). Nothing here makes a
//! stack; the player tells this layer what it made, changed and deleted.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::http::{Recorded, Reply, typed_reply, xml_escape};

/// The signing name.
pub(crate) const SERVICE: &str = "cloudformation";

/// A stack as the player left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRecord {
    pub name: String,
    pub id: String,
    /// CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, …
    pub status: String,
    pub parameters: Vec<(String, String)>,
    pub outputs: Vec<(String, String)>,
    /// (logical id, physical id, type)
    pub resources: Vec<(String, String, String)>,
}

#[derive(Default)]
pub(super) struct State {
    /// With when the player last told (epoch seconds): the stack's
    /// creation or last update.
    stacks: BTreeMap<String, (StackRecord, f64)>,
}

impl State {
    pub(super) fn keep(&mut self, stack: StackRecord) {
        self.stacks.insert(stack.name.clone(), (stack, super::now()));
    }

    pub(super) fn forget(&mut self, name: &str) {
        self.stacks.remove(name);
    }

    /// By name or by id, as CloudFormation takes either.
    fn find(&self, name_or_id: &str) -> Option<&(StackRecord, f64)> {
        self.stacks
            .values()
            .find(|(stack, _)| stack.name == name_or_id || stack.id == name_or_id)
    }
}

/// A query-protocol request's form.
pub(super) fn form(body: &[u8]) -> BTreeMap<String, String> {
    crate::iam::operations::pairs(std::str::from_utf8(body).unwrap_or_default())
}

fn answer(action: &str, result: &str) -> Reply {
    typed_reply(
        200,
        "text/xml",
        format!(
            "<{action}Response xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
             <{action}Result>{result}</{action}Result>\
             <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>\
             </{action}Response>"
        ),
    )
}

fn refuse(code: &str, message: &str) -> Reply {
    typed_reply(
        400,
        "text/xml",
        format!(
            "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
             <Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error>\
             <RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ErrorResponse>",
            xml_escape(message)
        ),
    )
}

fn pairs(key: &str, value: &str, items: &[(String, String)]) -> String {
    items
        .iter()
        .map(|(k, v)| {
            format!(
                "<member><{key}>{}</{key}><{value}>{}</{value}></member>",
                xml_escape(k),
                xml_escape(v)
            )
        })
        .collect()
}

/// DescribeStacks (one stack, named) and ListStackResources.
pub(super) fn route(request: &Recorded, state: &Mutex<super::State>) -> Reply {
    let form = form(&request.body);
    let action = form.get("Action").map(String::as_str).unwrap_or_default();
    let state = state.lock().expect("faithful state");
    let stacks = &state.cloudformation;
    let named = form.get("StackName").map(String::as_str).unwrap_or_default();
    let Some((stack, at)) = stacks.find(named) else {
        return refuse("ValidationError", &format!("Stack with id {named} does not exist"));
    };
    let time = aws_smithy_types::DateTime::from_secs(*at as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    match action {
        "DescribeStacks" => answer(
            action,
            &format!(
                "<Stacks><member><StackName>{}</StackName><StackId>{}</StackId>\
                 <CreationTime>{time}</CreationTime><LastUpdatedTime>{time}</LastUpdatedTime><StackStatus>{}</StackStatus>\
                 <Parameters>{}</Parameters><Outputs>{}</Outputs></member></Stacks>",
                xml_escape(&stack.name),
                xml_escape(&stack.id),
                xml_escape(&stack.status),
                pairs("ParameterKey", "ParameterValue", &stack.parameters),
                pairs("OutputKey", "OutputValue", &stack.outputs),
            ),
        ),
        "ListStackResources" => {
            let members: String = stack
                .resources
                .iter()
                .map(|(logical, physical, kind)| {
                    format!(
                        "<member><LogicalResourceId>{}</LogicalResourceId><PhysicalResourceId>{}</PhysicalResourceId>\
                         <ResourceType>{}</ResourceType><ResourceStatus>{}</ResourceStatus>\
                         <LastUpdatedTimestamp>2026-12-01T00:00:00Z</LastUpdatedTimestamp></member>",
                        xml_escape(logical),
                        xml_escape(physical),
                        xml_escape(kind),
                        if stack.status.starts_with("UPDATE") {
                            "UPDATE_COMPLETE"
                        } else {
                            "CREATE_COMPLETE"
                        }
                    )
                })
                .collect();
            answer(
                action,
                &format!("<StackResourceSummaries>{members}</StackResourceSummaries>"),
            )
        }
        other => refuse("InvalidAction", &format!("{other} is not emulated")),
    }
}
