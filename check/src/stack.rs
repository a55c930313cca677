//! The stack as CloudFormation describes it.

use aws_sdk_cloudformation::error::DisplayErrorContext;

use crate::{Clients, Line};

/// Which of the three templates made it, told by what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `template.yaml`: a channel and everything around it.
    Channel,
    /// `foundation.yaml`: what its events share.
    Foundation,
    /// `event.yaml`: one channel of a foundation.
    Event,
}

#[derive(Debug, Clone)]
pub struct StackView {
    pub name: String,
    /// The stack's id, an ARN (its partition, Region and account).
    pub id: String,
    /// When it was last deployed (created or updated), epoch seconds.
    pub deployed_at: Option<i64>,
    pub status: String,
    pub parameters: Vec<(String, String)>,
    pub outputs: Vec<(String, String)>,
    /// (logical id, physical id, type)
    pub resources: Vec<(String, String, String)>,
    pub kind: Kind,
}

impl StackView {
    pub async fn read(aws: &Clients, name: &str) -> Result<Self, String> {
        let described = aws
            .cloudformation
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .map_err(|err| format!("DescribeStacks: {}", DisplayErrorContext(&err)))?;
        let stack = described.stacks().first().ok_or_else(|| format!("no stack {name}"))?;
        let resources: Vec<(String, String, String)> = aws
            .cloudformation
            .list_stack_resources()
            .stack_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|err| format!("ListStackResources: {}", DisplayErrorContext(&err)))?
            .iter()
            .map(|resource| {
                (
                    resource.logical_resource_id().unwrap_or_default().to_owned(),
                    resource.physical_resource_id().unwrap_or_default().to_owned(),
                    resource.resource_type().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let parameters: Vec<(String, String)> = stack
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let has = |logical: &str| resources.iter().any(|(id, _, _)| id == logical);
        let kind = if parameters.iter().any(|(key, _)| key == "Foundation") {
            Kind::Event
        } else if has("MediaLiveChannel") {
            Kind::Channel
        } else {
            Kind::Foundation
        };
        Ok(StackView {
            name: stack.stack_name().unwrap_or(name).to_owned(),
            id: stack.stack_id().unwrap_or_default().to_owned(),
            deployed_at: stack.last_updated_time().or(stack.creation_time()).map(|t| t.secs()),
            status: stack.stack_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            outputs: stack
                .outputs()
                .iter()
                .map(|o| {
                    (
                        o.output_key().unwrap_or_default().to_owned(),
                        o.output_value().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            parameters,
            resources,
            kind,
        })
    }

    /// The partition and the account, read from the stack id (an ARN).
    pub fn partition(&self) -> &str {
        self.id.split(':').nth(1).unwrap_or("aws")
    }

    pub fn account(&self) -> Option<&str> {
        self.id.split(':').nth(4).filter(|account| !account.is_empty())
    }

    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn output(&self, key: &str) -> Option<&str> {
        self.outputs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn physical_id(&self, logical: &str) -> Option<&str> {
        self.resources
            .iter()
            .find(|(id, _, _)| id == logical)
            .map(|(_, physical, _)| physical.as_str())
    }

    /// (logical id, physical id) of every resource of `kind`.
    pub fn of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.resources
            .iter()
            .filter(move |(_, _, t)| t == kind)
            .map(|(logical, physical, _)| (logical.as_str(), physical.as_str()))
    }
}

/// The stack's status: complete, or what went wrong.
pub fn status(view: &StackView) -> Line {
    let status = view.status.as_str();
    let what = match view.kind {
        Kind::Channel => "a channel stack",
        Kind::Foundation => "a foundation",
        Kind::Event => "a live event",
    };
    if status.ends_with("_IN_PROGRESS") {
        return Line::not_yet(
            "stack",
            format!("{} ({what}) is {status}: check again when it ends", view.name),
        );
    }
    if status.ends_with("ROLLBACK_COMPLETE") || status.ends_with("_FAILED") {
        return Line::fail(
            "stack",
            format!("{} ({what}) is {status}", view.name),
            format!(
                "read why in its events: aws cloudformation describe-stack-events --stack-name {} --query \"StackEvents[?contains(ResourceStatus,'FAILED')]\"",
                view.name
            ),
        );
    }
    Line::holds(
        "stack",
        format!(
            "{} ({what}) is {status}, with {} outputs",
            view.name,
            view.outputs.len()
        ),
    )
}
