//! The names a template gives what it makes, as CloudFormation evaluates
//! them for one stack in one Region: every property whose key ends in
//! `Name` (and `Path`, `ChannelId`), and every export's name. What a name
//! refers to another resource for is left out: only names built from the
//! stack's name, its id, its Region and its parameters are told.

use std::collections::BTreeMap;

use serde_json::Value;

use super::eval::{Exposed, Scope};
use super::parameters::{resolve_conditions, resolve_parameters};
use super::template::Template;

/// One name, where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub logical_id: String,
    /// The resource type (`AWS::CloudWatch::Alarm`), or `Export`.
    pub kind: String,
    /// The property's path: `OriginAccessControlConfig.Name`.
    pub property: String,
    pub value: String,
}

/// Where a stack is played: its name, its id's unique part and Region,
/// the parameters given, and the Region's exports (an event imports).
#[derive(Debug, Clone)]
pub struct Place<'a> {
    pub stack_name: &'a str,
    pub region: &'a str,
    pub parameters: &'a [(String, String)],
    pub imports: &'a BTreeMap<String, String>,
}

fn is_name_key(key: &str) -> bool {
    key.ends_with("Name") || key == "Path" || key == "ChannelId"
}

/// The properties of `logical_id` as CloudFormation would send them at
/// `place`, the resources it refers to exposing `resources` (their ids
/// and attributes as a test chooses them).
pub fn properties(
    template: &Template,
    place: &Place<'_>,
    logical_id: &str,
    resources: &BTreeMap<String, Exposed>,
) -> Result<Value, String> {
    let resource = template
        .resource(logical_id)
        .ok_or_else(|| format!("no resource {logical_id}"))?;
    let (parameters, pseudo, conditions) = resolved(template, place)?;
    let scope = Scope {
        parameters: &parameters,
        pseudo: &pseudo,
        mappings: &template.mappings,
        conditions: &conditions,
        resources,
        imports: place.imports,
    };
    scope.value(&resource.properties).map_err(|err| err.to_string())
}

type Resolved = (
    BTreeMap<String, String>,
    BTreeMap<String, String>,
    BTreeMap<String, bool>,
);

/// Parameters, pseudo parameters and conditions of `template` at `place`.
fn resolved(template: &Template, place: &Place<'_>) -> Result<Resolved, String> {
    let parameters = resolve_parameters(template, &BTreeMap::new(), place.parameters)?;
    // CloudFormation gives every stack a fresh id: one per Region and name here.
    let unique = super::hex(&format!("{}/{}", place.region, place.stack_name), 32);
    let stack_id = format!(
        "arn:aws:cloudformation:{}:123456789012:stack/{}/{}-{}-{}-{}-{}",
        place.region,
        place.stack_name,
        &unique[..8],
        &unique[8..12],
        &unique[12..16],
        &unique[16..20],
        &unique[20..]
    );
    let pseudo = BTreeMap::from([
        ("AWS::StackName".to_owned(), place.stack_name.to_owned()),
        ("AWS::StackId".to_owned(), stack_id),
        ("AWS::Region".to_owned(), place.region.to_owned()),
        ("AWS::AccountId".to_owned(), "123456789012".to_owned()),
        ("AWS::Partition".to_owned(), "aws".to_owned()),
        ("AWS::URLSuffix".to_owned(), "amazonaws.com".to_owned()),
    ]);
    let conditions = resolve_conditions(template, &parameters, &pseudo)?;
    Ok((parameters, pseudo, conditions))
}

/// Every name `template` gives, played at `place`, whether or not its
/// resource's condition holds (each may be made by some choice).
pub fn names(template: &Template, place: &Place<'_>) -> Result<Vec<Name>, String> {
    let (parameters, pseudo, conditions) = resolved(template, place)?;
    let resources = BTreeMap::new();
    let scope = Scope {
        parameters: &parameters,
        pseudo: &pseudo,
        mappings: &template.mappings,
        conditions: &conditions,
        resources: &resources,
        imports: place.imports,
    };
    let mut found = Vec::new();
    for resource in &template.resources {
        let mut at = |property: String, value: String| {
            found.push(Name {
                logical_id: resource.logical_id.clone(),
                kind: resource.kind.clone(),
                property,
                value,
            });
        };
        walk(&scope, &resource.properties, "", &mut at);
    }
    for (output, definition) in &template.outputs {
        if definition["Export"]["Name"].is_null() {
            continue;
        }
        if let Ok(value) = scope.string(&definition["Export"]["Name"]) {
            found.push(Name {
                logical_id: output.clone(),
                kind: "Export".to_owned(),
                property: "Export.Name".to_owned(),
                value,
            });
        }
    }
    Ok(found)
}

/// The name properties under `value` (at `path`), each evaluated; one
/// that needs another resource's attribute is not a name of this stack's.
fn walk(scope: &Scope<'_>, value: &Value, path: &str, found: &mut impl FnMut(String, String)) {
    let Value::Object(entries) = value else {
        return;
    };
    for (key, item) in entries {
        if key.starts_with("Fn::") || key == "Ref" {
            continue;
        }
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if is_name_key(key)
            && let Ok(Some(Value::String(text))) = scope.eval(item)
        {
            found(here.clone(), text);
            continue;
        }
        walk(scope, item, &here, found);
    }
}
