//! Intrinsic functions and conditions, evaluated as CloudFormation does:
//! `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::If`, `Fn::Equals`,
//! `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`, `Fn::Select`, `Fn::Split`,
//! `Fn::FindInMap`, `Fn::Base64`, `Fn::ImportValue` (other stacks'
//! exports), and `Fn::Contains` (template rules).
//! `AWS::NoValue` removes the key or item.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// What a resource exposes once it exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposed {
    pub physical_id: String,
    pub attributes: BTreeMap<String, String>,
    /// Attributes that are lists (a MediaPackage v2 endpoint's URLs).
    pub lists: BTreeMap<String, Vec<String>>,
}

/// Everything an expression may read.
#[derive(Debug)]
pub struct Scope<'a> {
    pub parameters: &'a BTreeMap<String, String>,
    pub pseudo: &'a BTreeMap<String, String>,
    pub mappings: &'a Map<String, Value>,
    pub conditions: &'a BTreeMap<String, bool>,
    pub resources: &'a BTreeMap<String, Exposed>,
    /// Every stack's exports, by name.
    pub imports: &'a BTreeMap<String, String>,
}

/// No exports (rules and conditions cannot import).
pub static NO_IMPORTS: BTreeMap<String, String> = BTreeMap::new();

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// CloudFormation's own words for a custom resource whose response
    /// lacks the key a `!GetAtt` asks for.
    #[error("CustomResource attribute error: Vendor response doesn't contain {attribute} key in object {resource}")]
    MissingAttribute { resource: String, attribute: String },
    #[error("Template format error: Unresolved resource dependencies [{0}] in the Resources block of the template")]
    Unresolved(String),
    #[error("Template error: {0}")]
    Invalid(String),
    /// CloudFormation's own words for an import nothing exports.
    #[error("No export named {0} found")]
    NoExport(String),
}

fn invalid(message: impl Into<String>) -> EvalError {
    EvalError::Invalid(message.into())
}

impl Scope<'_> {
    /// The value of `value` with every intrinsic function applied; `None`
    /// where it is `AWS::NoValue`.
    pub fn eval(&self, value: &Value) -> Result<Option<Value>, EvalError> {
        match value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.extend(self.eval(item)?);
                }
                Ok(Some(Value::Array(out)))
            }
            Value::Object(entries) => {
                if let Some((name, argument)) = function(entries) {
                    return self.call(name, argument);
                }
                let mut out = Map::new();
                for (key, item) in entries {
                    if let Some(evaluated) = self.eval(item)? {
                        out.insert(key.clone(), evaluated);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            scalar => Ok(Some(scalar.clone())),
        }
    }

    /// As `eval`, for a place where a value is required.
    pub fn value(&self, value: &Value) -> Result<Value, EvalError> {
        self.eval(value)?
            .ok_or_else(|| invalid("AWS::NoValue where a value is required"))
    }

    pub fn string(&self, value: &Value) -> Result<String, EvalError> {
        match self.value(value)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(invalid(format!("expected a string, got {other}"))),
        }
    }

    /// A condition expression (`Fn::Equals`, `Fn::And`, `Condition`, ...).
    pub fn condition(&self, value: &Value) -> Result<bool, EvalError> {
        match self.value(value)? {
            Value::Bool(b) => Ok(b),
            other => Err(invalid(format!("a condition must be true or false, got {other}"))),
        }
    }

    fn named_condition(&self, name: &Value) -> Result<bool, EvalError> {
        let name = name
            .as_str()
            .ok_or_else(|| invalid("Condition must name a condition"))?;
        self.conditions
            .get(name)
            .copied()
            .ok_or_else(|| invalid(format!("unknown condition {name}")))
    }

    fn reference(&self, name: &str) -> Result<Value, EvalError> {
        if let Some(value) = self.parameters.get(name).or_else(|| self.pseudo.get(name)) {
            return Ok(Value::String(value.clone()));
        }
        match self.resources.get(name) {
            Some(resource) => Ok(Value::String(resource.physical_id.clone())),
            None => Err(EvalError::Unresolved(name.to_owned())),
        }
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<Value, EvalError> {
        let exposed = self
            .resources
            .get(resource)
            .ok_or_else(|| EvalError::Unresolved(resource.to_owned()))?;
        if let Some(list) = exposed.lists.get(attribute) {
            return Ok(Value::Array(list.iter().cloned().map(Value::String).collect()));
        }
        exposed
            .attributes
            .get(attribute)
            .cloned()
            .map(Value::String)
            .ok_or_else(|| EvalError::MissingAttribute {
                resource: exposed.physical_id.clone(),
                attribute: attribute.to_owned(),
            })
    }

    fn list(&self, value: &Value, function: &str) -> Result<Vec<Value>, EvalError> {
        match self.value(value)? {
            Value::Array(items) => Ok(items),
            other => Err(invalid(format!("{function} expects a list, got {other}"))),
        }
    }

    fn call(&self, name: &str, argument: &Value) -> Result<Option<Value>, EvalError> {
        let args = |n: usize| -> Result<&Vec<Value>, EvalError> {
            match argument {
                Value::Array(items) if items.len() == n => Ok(items),
                _ => Err(invalid(format!("{name} takes a list of {n}"))),
            }
        };
        let string = |s: String| Ok(Some(Value::String(s)));
        match name {
            "Ref" => {
                let target = argument.as_str().ok_or_else(|| invalid("Ref takes a name"))?;
                if target == "AWS::NoValue" {
                    return Ok(None);
                }
                self.reference(target).map(Some)
            }
            "Fn::GetAtt" => {
                let parts = args(2)?;
                let resource = parts[0].as_str().ok_or_else(|| invalid("Fn::GetAtt resource"))?;
                let attribute = self.string(&parts[1])?;
                Ok(Some(self.attribute(resource, &attribute)?))
            }
            "Fn::Sub" => {
                let (text, variables) = match argument {
                    Value::String(text) => (text.as_str(), Map::new()),
                    Value::Array(parts) if parts.len() == 2 => {
                        let text = parts[0].as_str().ok_or_else(|| invalid("Fn::Sub text"))?;
                        let mut variables = Map::new();
                        for (key, value) in parts[1].as_object().ok_or_else(|| invalid("Fn::Sub variables"))? {
                            variables.insert(key.clone(), Value::String(self.string(value)?));
                        }
                        (text, variables)
                    }
                    _ => return Err(invalid("Fn::Sub takes a string or [string, variables]")),
                };
                string(self.substitute(text, &variables)?)
            }
            "Fn::Join" => {
                let parts = args(2)?;
                let delimiter = parts[0].as_str().ok_or_else(|| invalid("Fn::Join delimiter"))?;
                let items = self.list(&parts[1], name)?;
                let strings = items
                    .iter()
                    .map(|item| self.string(item))
                    .collect::<Result<Vec<_>, _>>()?;
                string(strings.join(delimiter))
            }
            "Fn::If" => {
                let parts = args(3)?;
                let branch = if self.named_condition(&parts[0])? {
                    &parts[1]
                } else {
                    &parts[2]
                };
                self.eval(branch)
            }
            "Fn::Equals" => {
                let parts = args(2)?;
                Ok(Some(Value::Bool(self.string(&parts[0])? == self.string(&parts[1])?)))
            }
            "Fn::Not" => Ok(Some(Value::Bool(!self.condition(&args(1)?[0])?))),
            // Rules only: whether the list holds the string.
            "Fn::Contains" => {
                let parts = args(2)?;
                let wanted = self.string(&parts[1])?;
                let list = self.list(&parts[0], name)?;
                Ok(Some(Value::Bool(
                    list.iter().any(|item| item.as_str() == Some(wanted.as_str())),
                )))
            }
            "Fn::And" | "Fn::Or" => {
                let items = argument
                    .as_array()
                    .filter(|items| (2..=10).contains(&items.len()))
                    .ok_or_else(|| invalid(format!("{name} takes 2 to 10 conditions")))?;
                let values = items
                    .iter()
                    .map(|item| self.condition(item))
                    .collect::<Result<Vec<_>, _>>()?;
                let result = if name == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                };
                Ok(Some(Value::Bool(result)))
            }
            "Condition" => Ok(Some(Value::Bool(self.named_condition(argument)?))),
            "Fn::Select" => {
                let parts = args(2)?;
                let index: usize = self
                    .string(&parts[0])?
                    .parse()
                    .map_err(|_| invalid("Fn::Select index"))?;
                let items = self.list(&parts[1], name)?;
                items
                    .get(index)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| invalid(format!("Fn::Select index {index} out of range")))
            }
            "Fn::Split" => {
                let parts = args(2)?;
                let delimiter = parts[0].as_str().ok_or_else(|| invalid("Fn::Split delimiter"))?;
                let text = self.string(&parts[1])?;
                Ok(Some(Value::Array(
                    text.split(delimiter).map(|s| Value::String(s.to_owned())).collect(),
                )))
            }
            "Fn::FindInMap" => {
                let parts = args(3)?;
                let keys = [
                    self.string(&parts[0])?,
                    self.string(&parts[1])?,
                    self.string(&parts[2])?,
                ];
                let found = self
                    .mappings
                    .get(&keys[0])
                    .and_then(|m| m.get(&keys[1]))
                    .and_then(|m| m.get(&keys[2]))
                    .ok_or_else(|| invalid(format!("Fn::FindInMap {keys:?}: no such entry")))?;
                Ok(Some(found.clone()))
            }
            "Fn::ImportValue" => {
                let name = self.string(argument)?;
                match self.imports.get(&name) {
                    Some(value) => string(value.clone()),
                    None => Err(EvalError::NoExport(name)),
                }
            }
            "Fn::Base64" => {
                let text = self.string(argument)?;
                string(base64(text.as_bytes()))
            }
            other => Err(invalid(format!("{other} is not supported by the local stack player"))),
        }
    }

    /// `${Name}`, `${Resource.Attribute}` and `${!Literal}` in a Fn::Sub text.
    fn substitute(&self, text: &str, variables: &Map<String, Value>) -> Result<String, EvalError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| invalid(format!("Fn::Sub: unclosed ${{ in {text:?}")))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = variables.get(name) {
                out.push_str(value.as_str().unwrap_or_default());
            } else if let Some((resource, attribute)) = name.split_once('.') {
                match self.attribute(resource, attribute)? {
                    Value::String(s) => out.push_str(&s),
                    _ => return Err(invalid(format!("Fn::Sub: {name} is a list, not a string"))),
                }
            } else {
                match self.reference(name)? {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// `Some((name, argument))` when `entries` is one intrinsic function call.
fn function(entries: &Map<String, Value>) -> Option<(&str, &Value)> {
    if entries.len() != 1 {
        return None;
    }
    let (name, argument) = entries.iter().next()?;
    let is_function = name == "Ref" || name.starts_with("Fn::") || (name == "Condition" && argument.is_string());
    is_function.then_some((name.as_str(), argument))
}

/// The resources `value` refers to (`Ref`, `Fn::GetAtt`, `${X}` and
/// `${X.Y}` in `Fn::Sub`), following only the branch of each `Fn::If` that
/// `conditions` select, as CloudFormation does.
pub fn references(value: &Value, conditions: &BTreeMap<String, bool>, out: &mut BTreeSet<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| references(item, conditions, out)),
        Value::Object(entries) => match function(entries) {
            Some(("Ref", Value::String(name))) => {
                out.insert(name.clone());
            }
            Some(("Fn::GetAtt", Value::Array(parts))) => {
                out.extend(parts.first().and_then(Value::as_str).map(str::to_owned));
            }
            Some(("Fn::Sub", argument)) => {
                let (text, variables) = match argument {
                    Value::Array(parts) => (parts.first(), parts.get(1)),
                    text => (Some(text), None),
                };
                if let Some(variables) = variables {
                    references(variables, conditions, out);
                }
                let declared: BTreeSet<&str> = variables
                    .and_then(Value::as_object)
                    .map(|vars| vars.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let mut rest = text.and_then(Value::as_str).unwrap_or_default();
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let name = &after[..end];
                    if !name.starts_with('!') && !declared.contains(name) {
                        out.insert(name.split('.').next().unwrap_or(name).to_owned());
                    }
                    rest = &after[end + 1..];
                }
            }
            Some(("Fn::If", Value::Array(parts))) if parts.len() == 3 => {
                let taken = parts[0]
                    .as_str()
                    .and_then(|name| conditions.get(name))
                    .map(|yes| if *yes { &parts[1] } else { &parts[2] });
                match taken {
                    Some(branch) => references(branch, conditions, out),
                    None => parts[1..].iter().for_each(|part| references(part, conditions, out)),
                }
            }
            _ => entries.values().for_each(|item| references(item, conditions, out)),
        },
        _ => {}
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    struct Fixture {
        parameters: BTreeMap<String, String>,
        pseudo: BTreeMap<String, String>,
        mappings: Map<String, Value>,
        conditions: BTreeMap<String, bool>,
        resources: BTreeMap<String, Exposed>,
        imports: BTreeMap<String, String>,
    }

    fn fixture() -> Fixture {
        let exposed = Exposed {
            physical_id: "channel-1".into(),
            attributes: BTreeMap::from([("Arn".into(), "arn:aws:x:::channel-1".into())]),
            lists: BTreeMap::from([("Urls".into(), vec!["https://h/out/v1/a.m3u8".into()])]),
        };
        Fixture {
            parameters: BTreeMap::from([("Profile".into(), "HD-720p".into()), ("Cidrs".into(), "a,b".into())]),
            pseudo: BTreeMap::from([("AWS::StackName".into(), "live".into())]),
            mappings: json!({"M": {"k": {"v": "found"}}}).as_object().unwrap().clone(),
            conditions: BTreeMap::from([("Yes".into(), true), ("No".into(), false)]),
            resources: BTreeMap::from([("Channel".into(), exposed)]),
            imports: BTreeMap::from([("live-group".into(), "group-1".into())]),
        }
    }

    impl Fixture {
        fn scope(&self) -> Scope<'_> {
            Scope {
                parameters: &self.parameters,
                pseudo: &self.pseudo,
                mappings: &self.mappings,
                conditions: &self.conditions,
                resources: &self.resources,
                imports: &self.imports,
            }
        }
    }

    #[test]
    fn functions_evaluate_like_cloudformation() {
        let f = fixture();
        let scope = f.scope();
        let value = json!({
            "A": {"Fn::Sub": "${AWS::StackName}-${Channel}-${Channel.Arn}-${!Literal}"},
            "B": {"Fn::If": ["No", "x", {"Ref": "AWS::NoValue"}]},
            "C": {"Fn::Join": [",", [{"Ref": "Profile"}, {"Fn::GetAtt": ["Channel", "Arn"]}]]},
            "D": {"Fn::Select": [1, {"Fn::Split": [",", {"Ref": "Cidrs"}]}]},
            "E": [{"Fn::If": ["Yes", "kept", "dropped"]}, {"Ref": "AWS::NoValue"}],
            "F": {"Fn::FindInMap": ["M", "k", "v"]},
            "G": {"Fn::Sub": ["${X}!", {"X": {"Ref": "Profile"}}]},
            "H": {"Fn::Base64": "live"},
            "I": {"Condition": {"StringEquals": {"k": "v"}}},
            "K": {"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-group"}},
            "J": {"Fn::Select": [1, {"Fn::Split": ["/out/", {"Fn::Select": [0, {"Fn::GetAtt": ["Channel", "Urls"]}]}]}]}
        });
        assert_eq!(
            scope.eval(&value).unwrap().unwrap(),
            json!({
                "A": "live-channel-1-arn:aws:x:::channel-1-${Literal}",
                "C": "HD-720p,arn:aws:x:::channel-1",
                "D": "b",
                "E": ["kept"],
                "F": "found",
                "G": "HD-720p!",
                "H": "bGl2ZQ==",
                "I": {"Condition": {"StringEquals": {"k": "v"}}},
                "K": "group-1",
                "J": "v1/a.m3u8"
            })
        );
    }

    #[test]
    fn conditions_combine() {
        let f = fixture();
        let scope = f.scope();
        let expr =
            json!({"Fn::And": [{"Condition": "Yes"}, {"Fn::Not": [{"Fn::Equals": [{"Ref": "Profile"}, "SD-540p"]}]}]});
        assert!(scope.condition(&expr).unwrap());
        let expr = json!({"Fn::Or": [{"Condition": "No"}, {"Fn::Equals": ["a", "b"]}]});
        assert!(!scope.condition(&expr).unwrap());
    }

    #[test]
    fn a_missing_attribute_fails_as_cloudformation_says() {
        let f = fixture();
        let err = f.scope().eval(&json!({"Fn::GetAtt": ["Channel", "Url"]})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "CustomResource attribute error: Vendor response doesn't contain Url key in object channel-1"
        );
        let err = f.scope().eval(&json!({"Ref": "Nowhere"})).unwrap_err();
        assert!(matches!(err, EvalError::Unresolved(name) if name == "Nowhere"));
        let err = f.scope().eval(&json!({"Fn::ImportValue": "x"})).unwrap_err();
        assert_eq!(err.to_string(), "No export named x found");
    }

    #[test]
    fn references_follow_the_taken_branch() {
        let conditions = BTreeMap::from([("Push".into(), false)]);
        let value = json!({
            "A": {"Fn::If": ["Push", {"Ref": "Group"}, {"Fn::GetAtt": ["Role", "Arn"]}]},
            "B": {"Fn::Sub": "${Input.EndPoint1} ${!Not} ${AWS::Region}"},
            "C": {"Fn::Sub": ["${X}", {"X": {"Ref": "Bucket"}}]}
        });
        let mut found = BTreeSet::new();
        references(&value, &conditions, &mut found);
        let found: Vec<_> = found.into_iter().collect();
        assert_eq!(found, ["AWS::Region", "Bucket", "Input", "Role"]);
    }
}
