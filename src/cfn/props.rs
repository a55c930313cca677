//! Reading `ResourceProperties`. CloudFormation sends every scalar as a
//! string, so numbers and booleans are accepted in both forms; keys a kind
//! does not know are refused (never dropped silently) with the closest known
//! name as a hint. Values of secret-looking properties never appear in errors.

use std::ops::RangeInclusive;

use serde_json::{Map, Value};

/// Keys CloudFormation or the template conventions add to every resource.
pub const ALWAYS_ALLOWED: &[&str] = &["ServiceToken", "ServiceTimeout", "Resource"];

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PropError {
    #[error("property {name} is required")]
    Missing { name: String },

    #[error("unknown property {name}{}", suggestion_text(.suggestion))]
    Unknown { name: String, suggestion: Option<String> },

    #[error("property {name} {problem}")]
    Invalid { name: String, problem: String },

    #[error("property {name} does not apply {context}")]
    NotApplicable { name: String, context: String },
}

fn suggestion_text(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(known) => format!(" (did you mean {known}?)"),
        None => String::new(),
    }
}

impl PropError {
    pub fn invalid(name: &str, problem: impl Into<String>) -> Self {
        PropError::Invalid {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }

    pub fn not_applicable(name: &str, context: impl Into<String>) -> Self {
        PropError::NotApplicable {
            name: name.to_owned(),
            context: context.into(),
        }
    }
}

/// Whether a property's value must be kept out of logs and error messages.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["pass", "password", "secret"]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
}

/// The longest slice of a value quoted back in an error message.
const QUOTE_LIMIT: usize = 64;

/// A property value as it may appear in a Reason.
fn quote(name: &str, value: &Value) -> String {
    match value {
        Value::String(s) => shown(name, s),
        other => shown(name, &other.to_string()),
    }
}

/// `text`, the value of property `name`, as it may appear in a Reason or
/// a log line: never for a secret-bearing property, never with the
/// credentials of a `scheme://user:password@host` URL, and bounded.
pub fn shown(name: &str, text: &str) -> String {
    if is_secret_name(name) {
        return "(value hidden)".to_owned();
    }
    let text = without_credentials(text);
    let mut shown: String = text.chars().take(QUOTE_LIMIT).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// `scheme://user:password@host/…` as `scheme://…@host/…`.
fn without_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.into();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…{}", &rest[at..]).into(),
        None => text.into(),
    }
}

/// The closest of `known` to `name`, when it is close enough to be a typo.
pub fn closest<'k>(name: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let lower = name.to_ascii_lowercase();
    known
        .into_iter()
        .map(|candidate| {
            let score = strsim::normalized_damerau_levenshtein(&lower, &candidate.to_ascii_lowercase());
            (candidate, score)
        })
        .filter(|(_, score)| *score >= 0.6)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(candidate, _)| candidate)
}

/// Typed, validating access to one resource's properties.
#[derive(Debug, Clone, Copy)]
pub struct Props<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Props<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Props { map }
    }

    /// Refuses any key outside `known` and [`ALWAYS_ALLOWED`]; keys are
    /// checked in sorted order so the error is deterministic.
    pub fn check_known(&self, known: &[&str]) -> Result<(), PropError> {
        let mut keys: Vec<&String> = self.map.keys().collect();
        keys.sort();
        for key in keys {
            if known.contains(&key.as_str()) || ALWAYS_ALLOWED.contains(&key.as_str()) {
                continue;
            }
            return Err(PropError::Unknown {
                name: key.clone(),
                suggestion: closest(key, known.iter().copied()).map(str::to_owned),
            });
        }
        Ok(())
    }

    /// Refuses a property of `table` given while `field` is `chosen`, a
    /// variant it does not apply to (a DASH setting on an HLS endpoint).
    pub fn check_applicable(&self, table: &[(&str, &[&str])], field: &str, chosen: &str) -> Result<(), PropError> {
        for (name, variants) in table {
            if self.has(name) && !variants.contains(&chosen) {
                return Err(PropError::not_applicable(
                    name,
                    format!("to {field} {chosen} (only to {})", variants.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Whether the property is present with a non-empty value. CloudFormation
    /// passes an unset template parameter as "", which counts as absent.
    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    fn raw(&self, name: &str) -> Option<&'a Value> {
        match self.map.get(name)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            value => Some(value),
        }
    }

    /// A scalar as text; numbers and booleans are accepted and rendered.
    pub fn string(&self, name: &str) -> Result<Option<String>, PropError> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(PropError::invalid(name, "must be a string")),
        }
    }

    pub fn required_string(&self, name: &str) -> Result<String, PropError> {
        self.string(name)?
            .ok_or_else(|| PropError::Missing { name: name.to_owned() })
    }

    /// A whole number within `range`, from `6` or `"6"`.
    pub fn integer(&self, name: &str, range: RangeInclusive<i64>) -> Result<Option<i64>, PropError> {
        let Some(value) = self.raw(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let expected = || format!("must be a whole number from {} to {}", range.start(), range.end());
        match parsed {
            Some(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(PropError::invalid(
                name,
                format!("{}, got {}", expected(), quote(name, value)),
            )),
        }
    }

    /// `true`/`false`/`yes`/`no` in any case, as JSON booleans or strings.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, PropError> {
        let Some(value) = self.raw(name) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" => Some(true),
                "false" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| {
            PropError::invalid(
                name,
                format!("must be true, false, Yes or No, got {}", quote(name, value)),
            )
        })
    }

    /// One of `allowed`, matched without regard to case; returns the
    /// canonical spelling.
    pub fn one_of(&self, name: &str, allowed: &[&'static str]) -> Result<Option<&'static str>, PropError> {
        let Some(text) = self.string(name)? else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|candidate| candidate.eq_ignore_ascii_case(&text))
            .copied()
            .map(Some)
            .ok_or_else(|| {
                let value = Value::String(text);
                PropError::invalid(
                    name,
                    format!("must be one of {}, got {}", allowed.join(", "), quote(name, &value)),
                )
            })
    }

    /// [`Props::one_of`] read into the SDK's enum of the same values.
    pub fn sdk_enum<T: From<&'static str>>(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<T>, PropError> {
        Ok(self.one_of(name, allowed)?.map(T::from))
    }

    /// A list given as a JSON array or as one comma-separated string
    /// (how a `CommaDelimitedList` parameter often arrives).
    pub fn list(&self, name: &str) -> Result<Option<Vec<String>>, PropError> {
        let Some(value) = self.raw(name) else {
            return Ok(None);
        };
        let items: Vec<String> = match value {
            Value::String(s) => s.split(',').map(|item| item.trim().to_owned()).collect(),
            Value::Array(values) => values
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.trim().to_owned()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(PropError::invalid(name, "must be a list of strings")),
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(PropError::invalid(name, "must be a list or a comma-separated string"));
            }
        };
        let items: Vec<String> = items.into_iter().filter(|item| !item.is_empty()).collect();
        Ok((!items.is_empty()).then_some(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn numbers_arrive_as_strings_or_numbers() {
        let map = props(json!({"A": "6", "B": 6, "C": " 7 ", "D": "six", "E": "99"}));
        let p = Props::new(&map);
        assert_eq!(p.integer("A", 1..=10), Ok(Some(6)));
        assert_eq!(p.integer("B", 1..=10), Ok(Some(6)));
        assert_eq!(p.integer("C", 1..=10), Ok(Some(7)));
        assert_eq!(p.integer("Missing", 1..=10), Ok(None));
        let err = p.integer("D", 1..=10).unwrap_err().to_string();
        assert_eq!(err, r#"property D must be a whole number from 1 to 10, got "six""#);
        assert!(p.integer("E", 1..=10).unwrap_err().to_string().contains("from 1 to 10"));
    }

    #[test]
    fn booleans_accept_every_cloudformation_spelling() {
        let map = props(json!({"a": true, "b": "false", "c": "Yes", "d": "NO", "e": "TRUE", "f": "maybe"}));
        let p = Props::new(&map);
        assert_eq!(p.boolean("a"), Ok(Some(true)));
        assert_eq!(p.boolean("b"), Ok(Some(false)));
        assert_eq!(p.boolean("c"), Ok(Some(true)));
        assert_eq!(p.boolean("d"), Ok(Some(false)));
        assert_eq!(p.boolean("e"), Ok(Some(true)));
        assert!(p.boolean("f").is_err());
    }

    #[test]
    fn empty_strings_count_as_absent() {
        let map = props(json!({"Name": "  ", "Other": null}));
        let p = Props::new(&map);
        assert_eq!(p.string("Name"), Ok(None));
        assert!(!p.has("Other"));
        assert_eq!(
            p.required_string("Name"),
            Err(PropError::Missing { name: "Name".into() })
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_the_closest_known_name() {
        let map = props(json!({"ServiceToken": "arn", "EndpointID": "x"}));
        let err = Props::new(&map).check_known(&["EndpointId"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown property EndpointID (did you mean EndpointId?)"
        );

        let map = props(json!({"Colour": "red"}));
        let err = Props::new(&map).check_known(&["EndpointId"]).unwrap_err();
        assert_eq!(err.to_string(), "unknown property Colour");
    }

    #[test]
    fn properties_of_other_variants_are_refused() {
        let table: &[(&str, &[&str])] = &[("Window", &["A", "B"])];
        let map = props(json!({"Window": "60"}));
        let p = Props::new(&map);
        assert_eq!(p.check_applicable(table, "Kind", "A"), Ok(()));
        let err = p.check_applicable(table, "Kind", "C").unwrap_err().to_string();
        assert_eq!(err, "property Window does not apply to Kind C (only to A, B)");
    }

    #[test]
    fn common_keys_are_always_allowed() {
        let map = props(json!({"ServiceToken": "a", "ServiceTimeout": "60", "Resource": "X"}));
        assert_eq!(Props::new(&map).check_known(&[]), Ok(()));
    }

    #[test]
    fn enums_match_any_case_and_list_the_allowed_values() {
        let map = props(json!({"P": "hd-720P", "Q": "4K"}));
        let p = Props::new(&map);
        assert_eq!(p.one_of("P", &["HD-1080p", "HD-720p"]), Ok(Some("HD-720p")));
        let err = p.one_of("Q", &["HD-1080p", "HD-720p"]).unwrap_err().to_string();
        assert_eq!(err, r#"property Q must be one of HD-1080p, HD-720p, got "4K""#);
    }

    #[test]
    fn credentials_in_urls_and_secret_properties_are_never_shown() {
        assert_eq!(
            shown("PriUrl", "rtmp://alice:hunter2@host:1935/live"),
            "\"rtmp://…@host:1935/live\""
        );
        assert_eq!(shown("PriUrl", "https://host/a@b"), "\"https://host/a@b\"");
        assert_eq!(shown("CdnIdentifierSecret", "pasted-secret"), "(value hidden)");
    }

    #[test]
    fn secret_values_never_appear_in_errors() {
        let map = props(json!({"PriPass": ["hunter2"], "SecPassword": "hunter2", "CdnSecret": "x"}));
        let p = Props::new(&map);
        assert!(
            !p.integer("SecPassword", 0..=1)
                .unwrap_err()
                .to_string()
                .contains("hunter2")
        );
        assert!(is_secret_name("PriPass"));
        assert!(is_secret_name("cdnidentifiersecret"));
        assert!(!is_secret_name("PriUser"));
    }

    #[test]
    fn lists_accept_arrays_and_comma_separated_strings() {
        let map = props(json!({"A": "10.0.0.0/8, 192.168.0.0/16", "B": ["1.2.3.4/32"], "C": ","}));
        let p = Props::new(&map);
        assert_eq!(
            p.list("A"),
            Ok(Some(vec!["10.0.0.0/8".into(), "192.168.0.0/16".into()]))
        );
        assert_eq!(p.list("B"), Ok(Some(vec!["1.2.3.4/32".into()])));
        assert_eq!(p.list("C"), Ok(None));
    }
}
