//! CBOR as the Smithy RPC v2 protocol carries it (CloudWatch's, in the
//! SDK): read into JSON, and written from JSON following a shape of the
//! service's botocore model, which says what each member is (CloudFormation
//! sends numbers as strings; timestamps are CBOR tag 1, epoch seconds).

use ciborium::value::{Integer, Value as Cbor};
use serde_json::{Map, Number, Value};

/// `bytes` (one CBOR item) as JSON: maps with text keys become objects,
/// timestamps their epoch seconds, byte strings lists of numbers.
pub fn to_json(bytes: &[u8]) -> Result<Value, String> {
    if bytes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let item: Cbor = ciborium::de::from_reader(bytes).map_err(|err| format!("not CBOR: {err}"))?;
    Ok(json_of(&item))
}

fn json_of(item: &Cbor) -> Value {
    match item {
        Cbor::Integer(n) => {
            let n = i128::from(*n);
            i64::try_from(n)
                .map(Value::from)
                .or_else(|_| u64::try_from(n).map(Value::from))
                .unwrap_or(Value::Null)
        }
        Cbor::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Cbor::Text(text) => Value::String(text.clone()),
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Bytes(bytes) => Value::Array(bytes.iter().map(|b| Value::from(*b)).collect()),
        Cbor::Array(items) => Value::Array(items.iter().map(json_of).collect()),
        Cbor::Map(pairs) => Value::Object(
            pairs
                .iter()
                .filter_map(|(key, value)| Some((key.as_text()?.to_owned(), json_of(value))))
                .collect(),
        ),
        Cbor::Tag(_, inner) => json_of(inner),
        _ => Value::Null,
    }
}

/// `value` made to fit `shape` of `model`: members the shape does not
/// have dropped, numbers and booleans given as strings read, timestamps as
/// epoch seconds. What CloudFormation's handler for a type would send.
pub fn typed(model: &Value, shape: &str, value: &Value) -> Value {
    let definition = &model["shapes"][shape];
    let member_shape = |member: &Value| member["shape"].as_str().unwrap_or_default().to_owned();
    match definition["type"].as_str().unwrap_or_default() {
        "structure" => {
            let mut out = Map::new();
            for (name, member) in definition["members"].as_object().into_iter().flatten() {
                if let Some(item) = value.get(name).filter(|v| !v.is_null()) {
                    out.insert(name.clone(), typed(model, &member_shape(member), item));
                }
            }
            Value::Object(out)
        }
        "list" => Value::Array(
            value
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| typed(model, &member_shape(&definition["member"]), item))
                .collect(),
        ),
        "map" => Value::Object(
            value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), typed(model, &member_shape(&definition["value"]), v)))
                .collect(),
        ),
        "integer" | "long" => number(value).and_then(|n| n.as_f64()).map_or(Value::Null, |n| {
            // A whole number, as the API takes it.
            Value::from(n as i64)
        }),
        "double" | "float" | "timestamp" => number(value).map_or(Value::Null, Value::Number),
        "boolean" => match value {
            Value::Bool(b) => Value::Bool(*b),
            Value::String(s) => Value::Bool(s.eq_ignore_ascii_case("true")),
            _ => Value::Null,
        },
        _ => match value {
            Value::String(_) => value.clone(),
            other => Value::String(other.to_string()),
        },
    }
}

fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Number(n) => Some(n.clone()),
        Value::String(s) => s.trim().parse::<f64>().ok().and_then(Number::from_f64),
        _ => None,
    }
}

/// `value` (already [`typed`] to `shape`) as CBOR bytes.
pub fn to_bytes(model: &Value, shape: &str, value: &Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(&cbor_of(model, shape, value), &mut bytes);
    bytes
}

/// An empty map: the body of an answer with nothing in it.
pub fn empty_map() -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = ciborium::ser::into_writer(&Cbor::Map(Vec::new()), &mut bytes);
    bytes
}

/// An error body as Smithy RPC v2 CBOR carries it.
pub fn error_bytes(code: &str, message: &str) -> Vec<u8> {
    let item = Cbor::Map(vec![
        (Cbor::Text("__type".into()), Cbor::Text(code.into())),
        (Cbor::Text("message".into()), Cbor::Text(message.into())),
    ]);
    let mut bytes = Vec::new();
    let _ = ciborium::ser::into_writer(&item, &mut bytes);
    bytes
}

fn cbor_of(model: &Value, shape: &str, value: &Value) -> Cbor {
    let definition = &model["shapes"][shape];
    let member_shape = |member: &Value| member["shape"].as_str().unwrap_or_default().to_owned();
    match definition["type"].as_str().unwrap_or_default() {
        "structure" => Cbor::Map(
            definition["members"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(name, member)| {
                    let item = value.get(name).filter(|v| !v.is_null())?;
                    Some((Cbor::Text(name.clone()), cbor_of(model, &member_shape(member), item)))
                })
                .collect(),
        ),
        "list" => Cbor::Array(
            value
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| cbor_of(model, &member_shape(&definition["member"]), item))
                .collect(),
        ),
        "map" => Cbor::Map(
            value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    (
                        Cbor::Text(k.clone()),
                        cbor_of(model, &member_shape(&definition["value"]), v),
                    )
                })
                .collect(),
        ),
        "integer" | "long" => value.as_i64().map_or(Cbor::Null, |n| Cbor::Integer(Integer::from(n))),
        "double" | "float" => value.as_f64().map_or(Cbor::Null, Cbor::Float),
        "timestamp" => value
            .as_f64()
            .map_or(Cbor::Null, |secs| Cbor::Tag(1, Box::new(Cbor::Float(secs)))),
        "boolean" => value.as_bool().map_or(Cbor::Null, Cbor::Bool),
        _ => value.as_str().map_or(Cbor::Null, |s| Cbor::Text(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_goes_through_cbor_and_back_as_the_shape_says() {
        let model = json!({"shapes": {
            "Out": {"type": "structure", "members": {
                "Names": {"shape": "Names"}, "When": {"shape": "Time"}, "Count": {"shape": "Int"},
                "Ratio": {"shape": "Double"}}},
            "Names": {"type": "list", "member": {"shape": "Text"}},
            "Text": {"type": "string"}, "Time": {"type": "timestamp"},
            "Int": {"type": "integer"}, "Double": {"type": "double"}}});
        let given = json!({"Names": ["a", "b"], "When": "1795000000", "Count": "30", "Ratio": 1, "Extra": 1});
        let typed = typed(&model, "Out", &given);
        assert_eq!(
            typed,
            json!({"Names": ["a", "b"], "When": 1_795_000_000.0, "Count": 30, "Ratio": 1})
        );
        let bytes = to_bytes(&model, "Out", &typed);
        let item: Cbor = ciborium::de::from_reader(bytes.as_slice()).unwrap();
        let when = item
            .as_map()
            .unwrap()
            .iter()
            .find(|(k, _)| k.as_text() == Some("When"))
            .unwrap();
        assert!(matches!(&when.1, Cbor::Tag(1, _)), "a timestamp is tag 1: {:?}", when.1);
        assert_eq!(
            to_json(&bytes).unwrap(),
            json!({"Names": ["a", "b"], "When": 1_795_000_000.0, "Count": 30, "Ratio": 1.0})
        );
    }
}
