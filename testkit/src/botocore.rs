//! The AWS services' own API models, as botocore ships them (pinned with
//! moto in `deployment/requirements.lock`): read once per process, and used
//! to route requests (the IAM test), to refuse request bodies the model
//! refuses (the faithful layer's own services), and to turn a native
//! resource's CloudFormation properties into its create call's body.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value};

fn botocore_data() -> Result<PathBuf, String> {
    let lib = crate::workspace_root().join(".venv/lib");
    let missing = || {
        format!(
            "botocore's service models are missing under {}: run ./deployment/bootstrap.sh",
            lib.display()
        )
    };
    std::fs::read_dir(&lib)
        .map_err(|_| missing())?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("site-packages/botocore/data"))
        .find(|path| path.is_dir())
        .ok_or_else(missing)
}

/// The newest model of `service`, by its SigV4 signing name (botocore
/// keeps one directory per API version, under the service's own name).
fn load(service: &str) -> Result<Value, String> {
    let directory = match service {
        "monitoring" => "cloudwatch",
        other => other,
    };
    let dir = botocore_data()?.join(directory);
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|err| format!("no botocore model for {service} ({}): {err}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    versions.sort();
    let newest = versions
        .last()
        .ok_or_else(|| format!("no model version for {service}"))?;
    let gz =
        std::fs::read(newest.join("service-2.json.gz")).map_err(|err| format!("reading {service}'s model: {err}"))?;
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut text)
        .map_err(|err| format!("unpacking {service}'s model: {err}"))?;
    serde_json::from_slice(&text).map_err(|err| format!("{service}'s model: {err}"))
}

/// `service`'s model, loaded once per process and kept for its life.
pub fn model(service: &str) -> Result<&'static Value, String> {
    static MODELS: OnceLock<Mutex<HashMap<String, &'static Value>>> = OnceLock::new();
    let mut models = MODELS.get_or_init(Default::default).lock().expect("models");
    if let Some(model) = models.get(service) {
        return Ok(model);
    }
    let loaded: &'static Value = Box::leak(Box::new(load(service)?));
    models.insert(service.to_owned(), loaded);
    Ok(loaded)
}

/// The input shape of `operation` and the model it lives in.
fn input(service: &str, operation: &str) -> Result<(&'static Value, &'static Value), String> {
    let model = model(service)?;
    let name = model["operations"][operation]["input"]["shape"]
        .as_str()
        .ok_or_else(|| format!("{service} has no operation {operation}"))?;
    Ok((model, &model["shapes"][name]))
}

/// Why the service would refuse `operation` with these URI parameters and
/// JSON body, as its model says (required members, unknown keys, string
/// patterns and lengths, enums, number ranges), or `Ok` when it would not.
/// Header members (client tokens) are not checked.
pub fn check_request(service: &str, operation: &str, uri: &[(&str, &str)], body: &Value) -> Result<(), String> {
    let (model, shape) = input(service, operation)?;
    let members = shape["members"].as_object().cloned().unwrap_or_default();
    let mut problems = Vec::new();
    let body_map = body.as_object().cloned().unwrap_or_default();
    for (name, member) in &members {
        let location = member["location"].as_str();
        let wire = member["locationName"].as_str().unwrap_or(name);
        let value = match location {
            Some("uri") => uri
                .iter()
                .find(|(key, _)| *key == wire)
                .map(|(_, value)| Value::String((*value).to_owned())),
            Some(_) => continue,
            None => body_map.get(wire).cloned(),
        };
        let required = shape["required"]
            .as_array()
            .is_some_and(|required| required.iter().any(|r| r == name.as_str()));
        match value {
            None | Some(Value::Null) if required => problems.push(format!("{name} is required")),
            None | Some(Value::Null) => {}
            Some(value) => check_value(model, &member["shape"], &value, name, &mut problems),
        }
    }
    for key in body_map.keys() {
        let known = members.iter().any(|(name, member)| {
            member["location"].is_null() && member["locationName"].as_str().unwrap_or(name) == key
        });
        if !known {
            problems.push(format!("{key} is not a member of {operation}'s input"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn check_value(model: &Value, shape_ref: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
    let Some(name) = shape_ref.as_str() else { return };
    let shape = &model["shapes"][name];
    let bound = |key: &str| shape[key].as_f64();
    match shape["type"].as_str().unwrap_or_default() {
        "structure" => {
            let Some(object) = value.as_object() else {
                problems.push(format!("{path} must be an object"));
                return;
            };
            // Members by the name they have on the wire (REST-JSON models
            // such as MediaLive's give nested members a camelCase locationName).
            let members: BTreeMap<String, Value> = shape["members"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(member_name, member)| {
                    let wire = member["locationName"].as_str().unwrap_or(member_name);
                    (wire.to_owned(), member.clone())
                })
                .collect();
            let wire_of = |member_name: &str| -> String {
                shape["members"][member_name]["locationName"]
                    .as_str()
                    .unwrap_or(member_name)
                    .to_owned()
            };
            for required in shape["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if object.get(&wire_of(required)).is_none_or(Value::is_null) {
                    problems.push(format!("{path}.{required} is required"));
                }
            }
            for (key, item) in object {
                match members.get(key) {
                    Some(member) => check_value(model, &member["shape"], item, &format!("{path}.{key}"), problems),
                    None => problems.push(format!("{path}.{key} is not a member of {name}")),
                }
            }
        }
        "list" => {
            let Some(items) = value.as_array() else {
                problems.push(format!("{path} must be a list"));
                return;
            };
            let count = items.len() as f64;
            if bound("min").is_some_and(|min| count < min) || bound("max").is_some_and(|max| count > max) {
                problems.push(format!("{path} has {} items, outside {name}'s bounds", items.len()));
            }
            for (index, item) in items.iter().enumerate() {
                check_value(
                    model,
                    &shape["member"]["shape"],
                    item,
                    &format!("{path}[{index}]"),
                    problems,
                );
            }
        }
        "map" => match value.as_object() {
            Some(entries) => {
                for (key, item) in entries {
                    check_value(
                        model,
                        &shape["value"]["shape"],
                        item,
                        &format!("{path}.{key}"),
                        problems,
                    );
                }
            }
            None => problems.push(format!("{path} must be a map")),
        },
        "string" => {
            let Some(text) = value.as_str() else {
                problems.push(format!("{path} must be a string"));
                return;
            };
            let length = text.chars().count() as f64;
            if bound("min").is_some_and(|min| length < min) || bound("max").is_some_and(|max| length > max) {
                problems.push(format!("{path} {text:?} has a length outside {name}'s bounds"));
            }
            if let Some(allowed) = shape["enum"].as_array()
                && !allowed.iter().any(|a| a == text)
            {
                problems.push(format!("{path} {text:?} is not one of {name}'s values"));
            }
            if let Some(pattern) = shape["pattern"].as_str() {
                let whole = format!("^(?:{})$", pattern.trim_start_matches('^').trim_end_matches('$'));
                if regex::Regex::new(&whole).is_ok_and(|re| !re.is_match(text)) {
                    problems.push(format!("{path} {text:?} does not match {pattern}"));
                }
            }
        }
        "integer" | "long" => {
            let Some(number) = value.as_f64().filter(|n| n.fract() == 0.0) else {
                problems.push(format!("{path} must be a whole number"));
                return;
            };
            if bound("min").is_some_and(|min| number < min) || bound("max").is_some_and(|max| number > max) {
                problems.push(format!("{path} {number} is outside {name}'s range"));
            }
        }
        "boolean" if !value.is_boolean() => problems.push(format!("{path} must be true or false")),
        _ => {}
    }
}

/// `operation`'s method and path, its URI template (`/channelGroup/{ChannelGroupName}`)
/// filled from `values`' members of those names.
pub fn request_line(service: &str, operation: &str, values: &Value) -> Result<(hyper::Method, String), String> {
    let http = &model(service)?["operations"][operation]["http"];
    let method = http["method"]
        .as_str()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| format!("{service} has no operation {operation}"))?;
    let mut path = http["requestUri"].as_str().unwrap_or_default().to_owned();
    while let Some(start) = path.find('{') {
        let end = path[start..]
            .find('}')
            .map(|e| start + e)
            .ok_or("an unclosed URI template")?;
        let member = path[start + 1..end].trim_end_matches('+');
        let value = values[member]
            .as_str()
            .ok_or_else(|| format!("{operation} needs {member}"))?;
        path.replace_range(start..=end, value);
    }
    Ok((method, path))
}

/// The body of `operation` for a resource CloudFormation describes with
/// `properties` (the same member names, as the MediaPackage v2 resources
/// have): URI members left out, wire names used, and CloudFormation's tag
/// list (`[{Key, Value}]`) made the API's tag map.
pub fn body_from_properties(service: &str, operation: &str, properties: &Value) -> Result<Value, String> {
    let (model, shape) = input(service, operation)?;
    let mut body = Map::new();
    for (name, member) in shape["members"].as_object().into_iter().flatten() {
        if !member["location"].is_null() {
            continue;
        }
        let Some(value) = properties.get(name) else { continue };
        let wire = member["locationName"].as_str().unwrap_or(name).to_owned();
        let kind = &model["shapes"][member["shape"].as_str().unwrap_or_default()]["type"];
        let value = match value {
            // A policy document, which the API takes as JSON text.
            Value::Object(_) if kind == "string" => Value::String(value.to_string()),
            Value::Array(tags) if kind == "map" => Value::Object(
                tags.iter()
                    .filter_map(|tag| Some((tag["Key"].as_str()?.to_owned(), tag["Value"].clone())))
                    .collect(),
            ),
            other => other.clone(),
        };
        body.insert(wire, value);
    }
    Ok(Value::Object(body))
}
