//! Identity-policy evaluation, as IAM does it for one request (IAM User
//! Guide, "Policy evaluation logic"): an explicit Deny wins, else an Allow
//! whose Action, Resource and Condition all match, else the implicit deny.
//! Wildcards `*` and `?` in actions (case-insensitive) and resources; the
//! condition operators below, with `IfExists` and `ForAnyValue:` /
//! `ForAllValues:`. An operator it does not know is an error, never a
//! guess.

use std::collections::BTreeMap;

use serde_json::Value;

/// Condition keys and their values for one request (`aws:RequestTag/k`,
/// `iam:PassedToService`, `s3:prefix`, ...). Keys are compared without
/// regard to case, as IAM does.
pub type Context = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// No statement allows it.
    ImplicitDeny,
    ExplicitDeny,
}

/// The decision of the policy `documents` for `action` on `resource`.
pub fn evaluate(documents: &[Value], action: &str, resource: &str, context: &Context) -> Result<Decision, String> {
    let mut allowed = false;
    for document in documents {
        for statement in statements(document) {
            if !matches_statement(statement, action, resource, context)? {
                continue;
            }
            match statement["Effect"].as_str() {
                Some("Deny") => return Ok(Decision::ExplicitDeny),
                Some("Allow") => allowed = true,
                other => return Err(format!("a statement's Effect is {other:?}")),
            }
        }
    }
    Ok(if allowed {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    })
}

fn statements(document: &Value) -> Vec<&Value> {
    match &document["Statement"] {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![&document["Statement"]],
        _ => Vec::new(),
    }
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn matches_statement(statement: &Value, action: &str, resource: &str, context: &Context) -> Result<bool, String> {
    let action_matches = |key: &str| {
        strings(&statement[key])
            .iter()
            .any(|pattern| wildcard(&pattern.to_lowercase(), &action.to_lowercase()))
    };
    let action_ok = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(_), None) => action_matches("Action"),
        (None, Some(_)) => !action_matches("NotAction"),
        _ => return Err("a statement needs exactly one of Action and NotAction".into()),
    };
    let resource_matches = |key: &str| {
        strings(&statement[key])
            .iter()
            .any(|pattern| wildcard(pattern, resource))
    };
    let resource_ok = match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(_), None) => resource_matches("Resource"),
        (None, Some(_)) => !resource_matches("NotResource"),
        _ => return Err("a statement needs exactly one of Resource and NotResource".into()),
    };
    if !(action_ok && resource_ok) {
        return Ok(false);
    }
    match statement.get("Condition") {
        None => Ok(true),
        Some(Value::Object(blocks)) => {
            for (operator, keys) in blocks {
                let Value::Object(keys) = keys else {
                    return Err(format!("condition {operator} is not a map of keys"));
                };
                for (key, wanted) in keys {
                    if !condition(operator, key, &strings(wanted), context)? {
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        }
        Some(other) => Err(format!("a Condition must be a map, got {other}")),
    }
}

/// One condition operator on one key.
fn condition(operator: &str, key: &str, wanted: &[&str], context: &Context) -> Result<bool, String> {
    let present = context
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|(_, values)| values.as_slice());
    if operator == "Null" {
        let wants_absent = wanted.first().is_some_and(|w| w.eq_ignore_ascii_case("true"));
        return Ok(present.is_none() == wants_absent);
    }
    let (set, operator) = match operator.split_once(':') {
        Some((set @ ("ForAnyValue" | "ForAllValues"), rest)) => (Some(set), rest),
        Some(_) => return Err(format!("unknown condition set operator {operator}")),
        None => (None, operator),
    };
    let (operator, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let (matcher, negated): (fn(&str, &str) -> bool, bool) = match operator {
        "StringEquals" | "ArnEquals" => (|w, v| w == v, false),
        "StringNotEquals" | "ArnNotEquals" => (|w, v| w == v, true),
        "StringEqualsIgnoreCase" => (|w, v| w.eq_ignore_ascii_case(v), false),
        "StringNotEqualsIgnoreCase" => (|w, v| w.eq_ignore_ascii_case(v), true),
        "StringLike" | "ArnLike" => (wildcard, false),
        "StringNotLike" | "ArnNotLike" => (wildcard, true),
        "Bool" => (|w, v| w.eq_ignore_ascii_case(v), false),
        other => return Err(format!("condition operator {other} is not known to the IAM test")),
    };
    let Some(values) = present else {
        // A missing key: a negated operator holds, a positive one fails,
        // unless IfExists.
        return Ok(if_exists || negated || set == Some("ForAllValues"));
    };
    let one = |value: &str| wanted.iter().any(|w| matcher(w, value));
    let result = match set {
        Some("ForAllValues") => values.iter().all(|v| one(v)),
        _ => values.iter().any(|v| one(v)),
    };
    Ok(result != negated)
}

/// `pattern` with `*` (any run, `:` and `/` included) and `?` (one
/// character) against the whole of `text`.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
            .collect()
    }

    #[test]
    fn wildcards_match_as_iam_does() {
        assert!(wildcard("arn:aws:s3:::b/player/*", "arn:aws:s3:::b/player/x/y.js"));
        assert!(wildcard(
            "secret:MediaPackage/live-??????",
            "secret:MediaPackage/live-AbC123"
        ));
        assert!(!wildcard("secret:MediaPackage/live-??????", "secret:MediaPackage/live"));
        assert!(!wildcard("channels/*", "origin_endpoints/x"));
        assert!(wildcard("*", ""));
    }

    #[test]
    fn allow_deny_and_conditions() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Action": ["mediapackage:Create*"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/livestream:stack-id": "stack-1"}}},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
             "Condition": {"StringLike": {"s3:prefix": "player/*"}}},
            {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::secret"}
        ]});
        let docs = [policy];
        let tagged = ctx(&[("aws:RequestTag/livestream:stack-id", "stack-1")]);
        assert_eq!(
            evaluate(&docs, "MediaPackage:CreateChannel", "*", &tagged),
            Ok(Decision::Allowed)
        );
        assert_eq!(
            evaluate(&docs, "mediapackage:CreateChannel", "*", &ctx(&[])),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            evaluate(
                &docs,
                "s3:ListBucket",
                "arn:aws:s3:::b",
                &ctx(&[("s3:prefix", "player/")])
            ),
            Ok(Decision::Allowed)
        );
        assert_eq!(
            evaluate(&docs, "s3:ListBucket", "arn:aws:s3:::b", &ctx(&[("s3:prefix", "")])),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            evaluate(&docs, "s3:GetObject", "arn:aws:s3:::secret", &ctx(&[])),
            Ok(Decision::ExplicitDeny)
        );
        let unknown = [json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"NumericLessThan": {"x": "1"}}}]})];
        assert!(evaluate(&unknown, "s3:GetObject", "arn", &ctx(&[])).is_err());
    }
}
