//! The custom-resource request envelope. Properties stay raw JSON here; each
//! kind reads its own through [`super::props::Props`].

use std::time::Duration;

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest as Request;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    Create,
    Update,
    Delete,
}

/// The fields a response echoes back; CloudFormation matches on them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyIds {
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
}

impl ReplyIds {
    /// Whatever ids a malformed event still carries, so even its FAILED
    /// response reaches the right resource.
    pub fn salvage(raw: &Value) -> Self {
        let text = |key: &str| raw.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        ReplyIds {
            stack_id: text("StackId"),
            request_id: text("RequestId"),
            logical_resource_id: text("LogicalResourceId"),
        }
    }
}

/// A well-formed custom-resource request.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_type: RequestType,
    pub ids: ReplyIds,
    pub resource_type: String,
    /// Absent on Create.
    pub physical_resource_id: Option<String>,
    pub properties: Map<String, Value>,
    /// Present on Update only.
    pub old_properties: Option<Map<String, Value>>,
}

impl Invocation {
    /// Parses the envelope; the error is a one-line Reason.
    pub fn parse(raw: &Value) -> Result<Self, String> {
        Self::from_value(raw.clone())
    }

    /// As `parse`, consuming the event (no copy of its properties).
    pub fn from_value(raw: Value) -> Result<Self, String> {
        let request: Request =
            serde_json::from_value(raw).map_err(|err| format!("malformed custom-resource event: {err}"))?;
        let (request_type, ids, resource_type, physical, properties, old) = match request {
            Request::Create(r) => (
                RequestType::Create,
                (r.stack_id, r.request_id, r.logical_resource_id),
                r.resource_type,
                None,
                r.resource_properties,
                None,
            ),
            Request::Update(r) => (
                RequestType::Update,
                (r.stack_id, r.request_id, r.logical_resource_id),
                r.resource_type,
                Some(r.physical_resource_id),
                r.resource_properties,
                Some(r.old_resource_properties),
            ),
            Request::Delete(r) => (
                RequestType::Delete,
                (r.stack_id, r.request_id, r.logical_resource_id),
                r.resource_type,
                Some(r.physical_resource_id),
                r.resource_properties,
                None,
            ),
            _ => return Err("malformed custom-resource event: unsupported RequestType".to_owned()),
        };
        let (stack_id, request_id, logical_resource_id) = ids;
        Ok(Invocation {
            request_type,
            ids: ReplyIds {
                stack_id,
                request_id,
                logical_resource_id,
            },
            resource_type,
            physical_resource_id: physical.filter(|id| !id.is_empty()),
            properties: object(properties, "ResourceProperties")?,
            old_properties: old.map(|value| object(value, "OldResourceProperties")).transpose()?,
        })
    }

    /// The resource kind: `ResourceProperties.Resource` when present,
    /// otherwise `ResourceType` without its `Custom::` prefix.
    pub fn kind_name(&self) -> &str {
        match self.properties.get("Resource").and_then(Value::as_str) {
            Some(kind) if !kind.is_empty() => kind,
            _ => self
                .resource_type
                .strip_prefix("Custom::")
                .unwrap_or(&self.resource_type),
        }
    }

    /// `ServiceTimeout` (1–3600 s), after which CloudFormation stops waiting.
    pub fn service_timeout(&self) -> Option<Duration> {
        let seconds = match self.properties.get("ServiceTimeout")? {
            Value::String(s) => s.trim().parse::<u64>().ok()?,
            Value::Number(n) => n.as_u64()?,
            _ => return None,
        };
        (1..=3600).contains(&seconds).then(|| Duration::from_secs(seconds))
    }

    /// The stack's name (see [`stack_name_of`]).
    pub fn stack_name(&self) -> &str {
        stack_name_of(&self.ids.stack_id).unwrap_or("stack")
    }
}

/// A stack's name, from its id `arn:aws:cloudformation:…:stack/<name>/<guid>`.
pub fn stack_name_of(stack_id: &str) -> Option<&str> {
    stack_id.split('/').nth(1).filter(|name| !name.is_empty())
}

/// Missing properties (a Delete may carry none) read as an empty map.
fn object(value: Value, field: &str) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(format!("malformed custom-resource event: {field} is not an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(request_type: &str) -> Value {
        json!({
            "RequestType": request_type,
            "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:f",
            "ResponseURL": "https://bucket.s3.amazonaws.com/x?sig=1",
            "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/Live-1/8c5c7a70-1",
            "RequestId": "req-1",
            "ResourceType": "Custom::MediaPackageEndPointUrl",
            "LogicalResourceId": "Lookup",
            "PhysicalResourceId": "phys-1",
            "ResourceProperties": {"ServiceToken": "arn", "EndpointId": "e", "ServiceTimeout": "120"},
            "OldResourceProperties": {"EndpointId": "old"}
        })
    }

    #[test]
    fn parses_each_request_type() {
        let create = Invocation::parse(&event("Create")).unwrap();
        assert_eq!(create.request_type, RequestType::Create);
        assert_eq!(create.physical_resource_id, None);
        assert!(create.old_properties.is_none());

        let update = Invocation::parse(&event("Update")).unwrap();
        assert_eq!(update.physical_resource_id.as_deref(), Some("phys-1"));
        assert_eq!(update.old_properties.unwrap()["EndpointId"], "old");

        let delete = Invocation::parse(&event("Delete")).unwrap();
        assert_eq!(delete.request_type, RequestType::Delete);
        assert_eq!(delete.ids.request_id, "req-1");
        assert_eq!(delete.stack_name(), "Live-1");
        assert_eq!(delete.service_timeout(), Some(Duration::from_secs(120)));
    }

    #[test]
    fn a_stack_id_names_its_stack() {
        assert_eq!(
            stack_name_of("arn:aws:cloudformation:us-east-1:1:stack/keynote/abc"),
            Some("keynote")
        );
        assert_eq!(stack_name_of("not-a-stack-id"), None);
    }

    #[test]
    fn kind_comes_from_resource_property_before_resource_type() {
        let mut raw = event("Create");
        assert_eq!(Invocation::parse(&raw).unwrap().kind_name(), "MediaPackageEndPointUrl");
        raw["ResourceProperties"]["Resource"] = json!("MediaLiveInput");
        assert_eq!(Invocation::parse(&raw).unwrap().kind_name(), "MediaLiveInput");
    }

    #[test]
    fn malformed_events_keep_their_ids_for_the_reply() {
        let mut raw = event("Explode");
        assert!(
            Invocation::parse(&raw)
                .unwrap_err()
                .starts_with("malformed custom-resource event")
        );
        raw.as_object_mut().unwrap().remove("LogicalResourceId");
        let ids = ReplyIds::salvage(&raw);
        assert_eq!(ids.request_id, "req-1");
        assert_eq!(ids.logical_resource_id, "");
    }
}
