//! A CloudFormation template read from YAML or JSON into its long form:
//! the short-form tags (`!Ref X`, `!GetAtt A.B`, `!Sub ...`, `!If [...]`)
//! become `{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": ...}`.

use serde_json::{Map, Value, json};
use yaml_serde::Value as Yaml;

#[derive(Debug, Clone)]
pub struct Resource {
    pub logical_id: String,
    pub kind: String,
    pub condition: Option<String>,
    pub depends_on: Vec<String>,
    /// `DeletionPolicy: Retain`: the stack's delete leaves it in place.
    pub retain: bool,
    /// Unevaluated, in long form.
    pub properties: Value,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub parameters: Map<String, Value>,
    pub mappings: Map<String, Value>,
    pub conditions: Map<String, Value>,
    /// `(name, rule)`: assertions on the parameters, checked before anything is made.
    pub rules: Vec<(String, Value)>,
    /// In template order, which breaks ties when ordering by dependencies.
    pub resources: Vec<Resource>,
    /// `(name, definition)` in template order.
    pub outputs: Vec<(String, Value)>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let yaml: Yaml = yaml_serde::from_str(text).map_err(|err| format!("template is not YAML: {err}"))?;
        let Yaml::Mapping(top) = yaml else {
            return Err("template is not a mapping".into());
        };
        let section = |name: &str| -> Result<Vec<(String, Value)>, String> {
            match top.get(name) {
                None => Ok(Vec::new()),
                Some(Yaml::Mapping(entries)) => entries
                    .iter()
                    .map(|(key, value)| Ok((scalar_key(key)?, long_form(value)?)))
                    .collect(),
                Some(_) => Err(format!("{name} is not a mapping")),
            }
        };
        let map = |entries: Vec<(String, Value)>| entries.into_iter().collect::<Map<_, _>>();

        let mut resources = Vec::new();
        for (logical_id, definition) in section("Resources")? {
            let kind = definition["Type"]
                .as_str()
                .ok_or_else(|| format!("resource {logical_id} has no Type"))?
                .to_owned();
            let depends_on = match &definition["DependsOn"] {
                Value::Null => Vec::new(),
                Value::String(one) => vec![one.clone()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                other => return Err(format!("{logical_id}: DependsOn must be a name or a list, got {other}")),
            };
            resources.push(Resource {
                condition: definition["Condition"].as_str().map(str::to_owned),
                retain: matches!(
                    definition["DeletionPolicy"].as_str(),
                    Some("Retain" | "RetainExceptOnCreate")
                ),
                properties: definition.get("Properties").cloned().unwrap_or_else(|| json!({})),
                logical_id,
                kind,
                depends_on,
            });
        }
        if resources.is_empty() {
            return Err("template has no Resources".into());
        }
        Ok(Template {
            parameters: map(section("Parameters")?),
            mappings: map(section("Mappings")?),
            conditions: map(section("Conditions")?),
            rules: section("Rules")?,
            resources,
            outputs: section("Outputs")?,
        })
    }

    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }
}

fn scalar_key(key: &Yaml) -> Result<String, String> {
    match key {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        other => Err(format!("mapping key {other:?} is not a scalar")),
    }
}

/// YAML, short-form tags included, as JSON in CloudFormation's long form.
pub fn long_form(yaml: &Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => serde_json::to_value(n).map_err(|err| format!("number {n}: {err}"))?,
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(long_form).collect::<Result<_, _>>()?),
        Yaml::Mapping(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| Ok((scalar_key(k)?, long_form(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = long_form(&tagged.value)?;
            match name {
                "Ref" => json!({ "Ref": inner }),
                "Condition" => json!({ "Condition": inner }),
                // `!GetAtt A.B` is the string form of `[A, B]`.
                "GetAtt" => match inner {
                    Value::String(dotted) => {
                        let (resource, attribute) = dotted
                            .split_once('.')
                            .ok_or_else(|| format!("!GetAtt {dotted}: expected Resource.Attribute"))?;
                        json!({ "Fn::GetAtt": [resource, attribute] })
                    }
                    list => json!({ "Fn::GetAtt": list }),
                },
                _ => json!({ format!("Fn::{name}"): inner }),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_become_long_forms() {
        let template = Template::parse(
            "Resources:\n  A:\n    Type: Custom::Thing\n    DependsOn: B\n    Properties:\n      \
             R: !Ref P\n      G: !GetAtt B.Arn\n      S: !Sub '${B}-x'\n      \
             I: !If [C, !Ref AWS::NoValue, !Join ['-', [a, b]]]\n      N: 6\n  \
             B:\n    Type: AWS::IAM::Role\n",
        )
        .unwrap();
        let a = template.resource("A").unwrap();
        assert_eq!(a.depends_on, ["B"]);
        assert_eq!(
            a.properties,
            json!({
                "R": {"Ref": "P"},
                "G": {"Fn::GetAtt": ["B", "Arn"]},
                "S": {"Fn::Sub": "${B}-x"},
                "I": {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, {"Fn::Join": ["-", ["a", "b"]]}]},
                "N": 6
            })
        );
        let order: Vec<_> = template.resources.iter().map(|r| r.logical_id.as_str()).collect();
        assert_eq!(order, ["A", "B"], "template order is kept");
    }

    #[test]
    fn malformed_templates_are_refused() {
        assert!(Template::parse("Resources: {}").is_err());
        assert!(Template::parse("Resources:\n  A:\n    Properties: {}\n").is_err());
        assert!(Template::parse("Resources:\n  A:\n    Type: X\n    P: !GetAtt nodot\n").is_err());
        assert!(Template::parse(": : :").is_err());
    }
}
