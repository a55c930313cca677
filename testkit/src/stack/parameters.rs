//! A template's parameters, rules and conditions, resolved as CloudFormation
//! resolves them before it makes anything.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::eval::{EvalError, Scope};
use super::template::Template;

/// Parameter values: `previous` (for an update), then `overrides`, then
/// defaults; each checked against its constraints as CloudFormation does.
pub fn resolve_parameters(
    template: &Template,
    previous: &BTreeMap<String, String>,
    overrides: &[(String, String)],
) -> Result<BTreeMap<String, String>, String> {
    let unknown: Vec<&str> = overrides
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !template.parameters.contains_key(*name))
        .collect();
    if !unknown.is_empty() {
        return Err(format!("Parameters: {unknown:?} do not exist in the template"));
    }
    let mut values = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, definition) in &template.parameters {
        let given = overrides.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let default = match &definition["Default"] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        let Some(value) = given.or_else(|| previous.get(name).cloned()).or(default) else {
            missing.push(name.clone());
            continue;
        };
        check_constraints(name, definition, &value)?;
        values.insert(name.clone(), value);
    }
    if !missing.is_empty() {
        return Err(format!("Parameters: {missing:?} must have values"));
    }
    Ok(values)
}

fn check_constraints(name: &str, definition: &Value, value: &str) -> Result<(), String> {
    let refused = || {
        let why = definition["ConstraintDescription"].as_str().unwrap_or("a constraint");
        format!("Parameter '{name}' failed to satisfy constraint: {why}")
    };
    if let Some(allowed) = definition["AllowedValues"].as_array()
        && !allowed.iter().any(|a| a.as_str() == Some(value))
    {
        let allowed: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
        return Err(format!("Parameter '{name}' must be one of AllowedValues {allowed:?}"));
    }
    if let Some(pattern) = definition["AllowedPattern"].as_str() {
        // CloudFormation matches the whole value.
        let whole = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|err| format!("Parameter '{name}': AllowedPattern is not a regular expression: {err}"))?;
        if !whole.is_match(value) {
            return Err(refused());
        }
    }
    let length = value.chars().count();
    let bound = |key: &str| {
        definition[key]
            .as_u64()
            .or_else(|| definition[key].as_str()?.parse().ok())
    };
    if bound("MaxLength").is_some_and(|max| length as u64 > max)
        || bound("MinLength").is_some_and(|min| (length as u64) < min)
    {
        return Err(refused());
    }
    Ok(())
}

/// The template's `Rules`, as CloudFormation checks them before a create
/// or update: a rule whose `RuleCondition` holds (or that has none) must
/// have every `Assert` true, else the operation is refused with the
/// assertion's `AssertDescription`.
pub(super) fn check_rules(
    template: &Template,
    parameters: &BTreeMap<String, String>,
    pseudo: &BTreeMap<String, String>,
) -> Result<(), String> {
    let (conditions, resources) = (BTreeMap::new(), BTreeMap::new());
    let scope = Scope {
        parameters,
        pseudo,
        mappings: &template.mappings,
        conditions: &conditions,
        resources: &resources,
        imports: &super::eval::NO_IMPORTS,
    };
    for (name, rule) in &template.rules {
        let applies = match rule.get("RuleCondition") {
            None => true,
            Some(condition) => scope
                .condition(condition)
                .map_err(|err| format!("rule {name}: {err}"))?,
        };
        if !applies {
            continue;
        }
        for assertion in rule["Assertions"].as_array().into_iter().flatten() {
            let holds = scope
                .condition(&assertion["Assert"])
                .map_err(|err| format!("rule {name}: {err}"))?;
            if !holds {
                let why = assertion["AssertDescription"].as_str().unwrap_or("an assertion failed");
                return Err(format!("Template rule {name} failed: {why}"));
            }
        }
    }
    Ok(())
}

/// Every condition's value; a condition may use others (`Condition`).
pub fn resolve_conditions(
    template: &Template,
    parameters: &BTreeMap<String, String>,
    pseudo: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, bool>, String> {
    let mut resolved: BTreeMap<String, bool> = BTreeMap::new();
    let empty = BTreeMap::new();
    loop {
        let before = resolved.len();
        for (name, expression) in &template.conditions {
            if resolved.contains_key(name) {
                continue;
            }
            let scope = Scope {
                parameters,
                pseudo,
                mappings: &template.mappings,
                conditions: &resolved,
                resources: &empty,
                imports: &super::eval::NO_IMPORTS,
            };
            match scope.condition(expression) {
                Ok(value) => {
                    resolved.insert(name.clone(), value);
                }
                Err(EvalError::Invalid(message)) if message.starts_with("unknown condition") => {}
                Err(err) => return Err(format!("condition {name}: {err}")),
            }
        }
        if resolved.len() == template.conditions.len() {
            return Ok(resolved);
        }
        if resolved.len() == before {
            let open: Vec<&String> = template
                .conditions
                .keys()
                .filter(|n| !resolved.contains_key(*n))
                .collect();
            return Err(format!("conditions {open:?} refer to unknown or circular conditions"));
        }
    }
}

/// Parses `Key=Value` arguments.
pub fn parse_overrides<S: AsRef<str>>(args: &[S]) -> Result<Vec<(String, String)>, String> {
    args.iter()
        .map(|arg| {
            let arg = arg.as_ref();
            arg.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| format!("expected Parameter=Value, got {arg:?}"))
        })
        .collect()
}

/// The parameters whose values must not be printed.
pub fn no_echo(template: &Template) -> BTreeSet<String> {
    template
        .parameters
        .iter()
        .filter(|(_, d)| d["NoEcho"] == json!(true) || d["NoEcho"] == json!("true"))
        .map(|(name, _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    #[test]
    fn parameters_are_checked_like_cloudformation() {
        let t = template(
            "Parameters:\n  P:\n    Type: String\n    Default: b\n    AllowedValues: [a, b]\n  \
             Q:\n    Type: String\n    AllowedPattern: '[0-9]+'\n    ConstraintDescription: digits\n  \
             R:\n    Type: Number\n    Default: 6\nResources:\n  A:\n    Type: Custom::X\n",
        );
        let given = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let values = resolve_parameters(&t, &BTreeMap::new(), &given(&[("Q", "42")])).unwrap();
        assert_eq!(values["P"], "b");
        assert_eq!(values["R"], "6");
        let err = resolve_parameters(&t, &BTreeMap::new(), &given(&[("Q", "4x2")])).unwrap_err();
        assert_eq!(err, "Parameter 'Q' failed to satisfy constraint: digits");
        let err = resolve_parameters(&t, &BTreeMap::new(), &given(&[("Q", "1"), ("P", "c")])).unwrap_err();
        assert!(err.contains("AllowedValues"), "{err}");
        let err = resolve_parameters(&t, &BTreeMap::new(), &[]).unwrap_err();
        assert!(err.contains("[\"Q\"] must have values"), "{err}");
        let err = resolve_parameters(&t, &BTreeMap::new(), &given(&[("Q", "1"), ("Z", "1")])).unwrap_err();
        assert!(err.contains("do not exist"), "{err}");
        let previous = BTreeMap::from([("Q".to_owned(), "7".to_owned())]);
        assert_eq!(resolve_parameters(&t, &previous, &[]).unwrap()["Q"], "7");
    }

    #[test]
    fn rules_refuse_before_anything_with_their_assertion() {
        let t = template(
            "Parameters:\n  Type:\n    Type: String\n  Cidr:\n    Type: String\n    Default: ''\n\
             Rules:\n  PushNeedsCidr:\n    RuleCondition: !Contains [[RTMP_PUSH, RTP_PUSH], !Ref Type]\n    \
             Assertions:\n      - Assert: !Not [!Equals [!Ref Cidr, '']]\n        AssertDescription: Cidr is required\n\
             Resources:\n  A:\n    Type: Custom::X\n",
        );
        let pseudo = BTreeMap::new();
        let values = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let err = check_rules(&t, &values(&[("Type", "RTMP_PUSH"), ("Cidr", "")]), &pseudo).unwrap_err();
        assert_eq!(err, "Template rule PushNeedsCidr failed: Cidr is required");
        assert!(check_rules(&t, &values(&[("Type", "RTMP_PUSH"), ("Cidr", "10.0.0.0/8")]), &pseudo).is_ok());
        assert!(
            check_rules(&t, &values(&[("Type", "URL_PULL"), ("Cidr", "")]), &pseudo).is_ok(),
            "the rule's condition does not hold"
        );
    }
}
