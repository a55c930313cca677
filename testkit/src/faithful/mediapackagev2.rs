//! MediaPackage v2, emulated here whole: moto has channel groups and
//! channels only (no origin endpoints, no policies, no tags, no input
//! type). What the stack uses is kept in this layer's state and shaped as
//! the v2 API model says: every request is checked against botocore's model
//! (names, patterns, enums, ranges) and refused with ValidationException as
//! the service does; a second create of a name is a ConflictException; a
//! missing group, channel or endpoint is ResourceNotFoundException; a group
//! that holds channels, or a channel that holds endpoints, cannot be
//! deleted; a resource policy must name its own resource's ARN exactly
//! (MediaPackage v2 allows no wildcards there). URLs follow the service's
//! formats: `https://<egress domain>/out/v1/<group>/<channel>/<endpoint>/<manifest>.m3u8`.

mod harvest;

pub(super) use harvest::advance;

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::{error, now};
use crate::account::{ACCOUNT, REGION};
use crate::http::{Recorded, Reply, json_reply};
use crate::iam::operations::{Operation, identify};

const SERVICE: &str = "mediapackagev2";

#[derive(Default)]
pub(super) struct State {
    groups: BTreeMap<String, Group>,
    /// Tags by ARN, for every resource.
    tags: BTreeMap<String, Value>,
    made: u64,
    pub(super) harvests: harvest::Harvests,
}

struct Group {
    arn: String,
    egress_domain: String,
    description: Value,
    channels: BTreeMap<String, Channel>,
}

struct Channel {
    arn: String,
    body: Value,
    policy: Option<String>,
    endpoints: BTreeMap<String, Endpoint>,
}

struct Endpoint {
    arn: String,
    body: Value,
    policy: Option<String>,
}

/// Answers every MediaPackage v2 request; moto never sees one.
pub(super) async fn route(request: &Recorded, state: &Mutex<super::State>, upstream: &super::Upstream) -> Reply {
    let operation = match identify(SERVICE, request) {
        Ok(operation) => operation,
        Err(err) => return error(404, "ResourceNotFoundException", &err),
    };
    let body: Value = if request.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(body) => body,
            Err(err) => return validation(&format!("the body is not JSON: {err}")),
        }
    };
    let uri: Vec<(&str, &str)> = operation.path.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if let Err(problem) = crate::botocore::check_request(SERVICE, &operation.name, &uri, &body) {
        return validation(&problem);
    }
    // Looking at jobs is what moves them on.
    if matches!(operation.name.as_str(), "GetHarvestJob" | "ListHarvestJobs") {
        advance(state, upstream).await;
    }
    let mut state = state.lock().expect("faithful state");
    let v2 = &mut state.mediapackagev2;
    match operation.name.as_str() {
        "CreateHarvestJob" => v2.create_harvest_job(&operation, &body, request.header("x-amzn-client-token")),
        "GetHarvestJob" => v2.get_harvest_job(&operation),
        "ListHarvestJobs" => v2.list_harvest_jobs(&operation),
        "CancelHarvestJob" => v2.cancel_harvest_job(&operation),
        _ => v2.answer(&operation, &body),
    }
}

/// Every HLS and low-latency HLS manifest's name and child manifest name
/// on one endpoint, distinct: a child manifest left unnamed is "index with
/// an added suffix" (the API reference), here `index_1` for each, as two
/// unnamed ones would collide (MANIFEST_NAME_COLLISION).
fn hls_names_distinct(body: &Value) -> Result<(), String> {
    let mut seen: Vec<String> = Vec::new();
    for key in ["HlsManifests", "LowLatencyHlsManifests"] {
        for manifest in body[key].as_array().into_iter().flatten() {
            let name = manifest["ManifestName"].as_str().unwrap_or("index").to_owned();
            let child = manifest["ChildManifestName"].as_str().unwrap_or("index_1").to_owned();
            for taken in [name, child] {
                if seen.contains(&taken) {
                    return Err(format!(
                        "MANIFEST_NAME_COLLISION: the manifest or child manifest name {taken} is used twice on the endpoint"
                    ));
                }
                seen.push(taken);
            }
        }
    }
    Ok(())
}

fn validation(message: &str) -> Reply {
    error(400, "ValidationException", message)
}

fn not_found(what: &str) -> Reply {
    error(404, "ResourceNotFoundException", &format!("{what} does not exist"))
}

fn conflict(message: &str) -> Reply {
    let mut reply = json_reply(
        409,
        &json!({"message": message, "__type": "ConflictException", "ConflictExceptionType": "RESOURCE_IN_USE"}),
    );
    if let Ok(value) = "ConflictException".parse() {
        reply.headers_mut().insert("x-amzn-errortype", value);
    }
    reply
}

impl State {
    fn answer(&mut self, operation: &Operation, body: &Value) -> Reply {
        let param = |name: &str| operation.path.get(name).cloned().unwrap_or_default();
        let (group, channel, endpoint) = (
            param("ChannelGroupName"),
            param("ChannelName"),
            param("OriginEndpointName"),
        );
        match operation.name.as_str() {
            "CreateChannelGroup" => self.create_group(body),
            "GetChannelGroup" => match self.groups.get(&group) {
                Some(found) => json_reply(200, &self.describe_group(&group, found)),
                None => not_found(&format!("channel group {group}")),
            },
            "ListChannelGroups" => {
                let items: Vec<Value> = self
                    .groups
                    .iter()
                    .map(|(name, found)| self.describe_group(name, found))
                    .collect();
                json_reply(200, &json!({ "Items": items }))
            }
            "DeleteChannelGroup" => match self.groups.get(&group) {
                None => not_found(&format!("channel group {group}")),
                Some(found) if !found.channels.is_empty() => {
                    conflict(&format!("channel group {group} still has channels; delete them first"))
                }
                Some(found) => {
                    self.tags.remove(&found.arn);
                    self.groups.remove(&group);
                    json_reply(200, &json!({}))
                }
            },
            "CreateChannel" => self.create_channel(&group, body),
            "GetChannel" => match self.channel(&group, &channel) {
                Some(found) => json_reply(200, &self.describe_channel(found)),
                None => not_found(&format!("channel {group}/{channel}")),
            },
            "ListChannels" => match self.groups.get(&group) {
                Some(found) => {
                    let items: Vec<Value> = found.channels.values().map(|c| self.describe_channel(c)).collect();
                    json_reply(200, &json!({ "Items": items }))
                }
                None => not_found(&format!("channel group {group}")),
            },
            "DeleteChannel" => {
                let Some(found) = self.channel(&group, &channel) else {
                    return not_found(&format!("channel {group}/{channel}"));
                };
                if !found.endpoints.is_empty() {
                    return conflict(&format!(
                        "channel {group}/{channel} still has origin endpoints; delete them first"
                    ));
                }
                let arn = found.arn.clone();
                self.tags.remove(&arn);
                if let Some(g) = self.groups.get_mut(&group) {
                    g.channels.remove(&channel);
                }
                json_reply(200, &json!({}))
            }
            "PutChannelPolicy" => {
                let policy = body["Policy"].as_str().unwrap_or_default().to_owned();
                let Some(found) = self.channel_mut(&group, &channel) else {
                    return not_found(&format!("channel {group}/{channel}"));
                };
                if let Err(problem) = names_only(&policy, &found.arn) {
                    return validation(&problem);
                }
                found.policy = Some(policy);
                json_reply(200, &json!({}))
            }
            "GetChannelPolicy" => match self.channel(&group, &channel) {
                Some(Channel {
                    policy: Some(policy), ..
                }) => json_reply(
                    200,
                    &json!({"ChannelGroupName": group, "ChannelName": channel, "Policy": policy}),
                ),
                _ => not_found(&format!("policy of channel {group}/{channel}")),
            },
            "DeleteChannelPolicy" => match self.channel_mut(&group, &channel) {
                Some(found) => {
                    found.policy = None;
                    json_reply(200, &json!({}))
                }
                None => not_found(&format!("channel {group}/{channel}")),
            },
            "CreateOriginEndpoint" => self.create_endpoint(&group, &channel, body),
            "GetOriginEndpoint" => match self.endpoint(&group, &channel, &endpoint) {
                Some(found) => json_reply(200, &self.describe_endpoint(found)),
                None => not_found(&format!("origin endpoint {group}/{channel}/{endpoint}")),
            },
            "ListOriginEndpoints" => match self.channel(&group, &channel) {
                Some(found) => {
                    let items: Vec<Value> = found.endpoints.values().map(|e| self.describe_endpoint(e)).collect();
                    json_reply(200, &json!({ "Items": items }))
                }
                None => not_found(&format!("channel {group}/{channel}")),
            },
            "DeleteOriginEndpoint" => {
                let Some(found) = self.channel_mut(&group, &channel) else {
                    return not_found(&format!("channel {group}/{channel}"));
                };
                match found.endpoints.remove(&endpoint) {
                    Some(removed) => {
                        self.tags.remove(&removed.arn);
                        json_reply(200, &json!({}))
                    }
                    None => not_found(&format!("origin endpoint {group}/{channel}/{endpoint}")),
                }
            }
            "PutOriginEndpointPolicy" => {
                let policy = body["Policy"].as_str().unwrap_or_default().to_owned();
                let Some(found) = self.endpoint_mut(&group, &channel, &endpoint) else {
                    return not_found(&format!("origin endpoint {group}/{channel}/{endpoint}"));
                };
                if let Err(problem) = names_only(&policy, &found.arn) {
                    return validation(&problem);
                }
                found.policy = Some(policy);
                json_reply(200, &json!({}))
            }
            "GetOriginEndpointPolicy" => match self.endpoint(&group, &channel, &endpoint) {
                Some(Endpoint {
                    policy: Some(policy), ..
                }) => json_reply(
                    200,
                    &json!({"ChannelGroupName": group, "ChannelName": channel,
                            "OriginEndpointName": endpoint, "Policy": policy}),
                ),
                _ => not_found(&format!("policy of origin endpoint {group}/{channel}/{endpoint}")),
            },
            "DeleteOriginEndpointPolicy" => match self.endpoint_mut(&group, &channel, &endpoint) {
                Some(found) => {
                    found.policy = None;
                    json_reply(200, &json!({}))
                }
                None => not_found(&format!("origin endpoint {group}/{channel}/{endpoint}")),
            },
            "ListTagsForResource" => {
                let arn = param("ResourceArn");
                match self.tags.get(&arn) {
                    Some(tags) => json_reply(200, &json!({ "tags": tags })),
                    None => not_found(&format!("resource {arn}")),
                }
            }
            other => error(
                501,
                "NotImplemented",
                &format!("the faithful layer does not emulate MediaPackage v2's {other}"),
            ),
        }
    }

    fn create_group(&mut self, body: &Value) -> Reply {
        let name = body["ChannelGroupName"].as_str().unwrap_or_default().to_owned();
        if self.groups.contains_key(&name) {
            return conflict(&format!("channel group {name} already exists"));
        }
        self.made += 1;
        let seed = format!("{name}-{}", self.made);
        let group = Group {
            arn: format!("arn:aws:mediapackagev2:{REGION}:{ACCOUNT}:channelGroup/{name}"),
            egress_domain: format!(
                "{}.egress.{}.mediapackagev2.{REGION}.amazonaws.com",
                crate::stack::hex(&seed, 6),
                crate::stack::hex(&format!("{seed}-egress"), 6)
            ),
            description: body["Description"].clone(),
            channels: BTreeMap::new(),
        };
        self.tags.insert(group.arn.clone(), body["tags"].clone());
        let described = self.describe_group(&name, &group);
        self.groups.insert(name, group);
        json_reply(200, &described)
    }

    fn create_channel(&mut self, group: &str, body: &Value) -> Reply {
        let name = body["ChannelName"].as_str().unwrap_or_default().to_owned();
        // As the service: the quality score exists only for CMAF ingest.
        let mqcs = body["InputSwitchConfiguration"]["MQCSInputSwitching"] == json!(true)
            || body["OutputHeaderConfiguration"]["PublishMQCS"] == json!(true);
        if mqcs && body["InputType"].as_str() != Some("CMAF") {
            return validation("MQCS input switching and publishing are valid only when InputType is CMAF");
        }
        let Some(found) = self.groups.get_mut(group) else {
            return not_found(&format!("channel group {group}"));
        };
        if found.channels.contains_key(&name) {
            return conflict(&format!("channel {group}/{name} already exists"));
        }
        let channel = Channel {
            arn: format!("{}/channel/{name}", found.arn),
            body: body.clone(),
            policy: None,
            endpoints: BTreeMap::new(),
        };
        let arn = channel.arn.clone();
        found.channels.insert(name.clone(), channel);
        self.tags.insert(arn, body["tags"].clone());
        match self.channel(group, &name) {
            Some(made) => json_reply(200, &self.describe_channel(made)),
            None => not_found(&format!("channel {group}/{name}")),
        }
    }

    fn create_endpoint(&mut self, group: &str, channel: &str, body: &Value) -> Reply {
        let name = body["OriginEndpointName"].as_str().unwrap_or_default().to_owned();
        let Some(found) = self.channel_mut(group, channel) else {
            return not_found(&format!("channel {group}/{channel}"));
        };
        if found.endpoints.contains_key(&name) {
            return conflict(&format!("origin endpoint {group}/{channel}/{name} already exists"));
        }
        // As the service: an ISM container serves Smooth Streaming only, and
        // HLS and low-latency HLS manifests may not share a name.
        let container = body["ContainerType"].as_str().unwrap_or_default();
        let has = |key: &str| body[key].as_array().is_some_and(|list| !list.is_empty());
        if container == "ISM" && (has("HlsManifests") || has("LowLatencyHlsManifests") || has("DashManifests")) {
            return validation("an ISM origin endpoint takes MSS manifests only");
        }
        if container != "ISM" && has("MssManifests") {
            return validation("MSS manifests need the ISM container type");
        }
        let names = |key: &str| -> Vec<Value> {
            body[key]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| m["ManifestName"].clone())
                .collect()
        };
        if names("HlsManifests")
            .iter()
            .any(|n| names("LowLatencyHlsManifests").contains(n))
        {
            return validation("an HLS and a low-latency HLS manifest may not share a ManifestName");
        }
        if let Err(problem) = hls_names_distinct(body) {
            return validation(&problem);
        }
        // The MediaPackage v2 user guide ("Manifest fields"): program date
        // times are required with low-latency HLS (the emulator's own words).
        let without_times = body["LowLatencyHlsManifests"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["ProgramDateTimeIntervalSeconds"].is_null());
        if without_times {
            return validation("a low-latency HLS manifest needs ProgramDateTimeIntervalSeconds");
        }
        let endpoint = Endpoint {
            arn: format!("{}/originEndpoint/{name}", found.arn),
            body: body.clone(),
            policy: None,
        };
        let arn = endpoint.arn.clone();
        found.endpoints.insert(name.clone(), endpoint);
        self.tags.insert(arn, body["Tags"].clone());
        match self.endpoint(group, channel, &name) {
            Some(made) => json_reply(200, &self.describe_endpoint(made)),
            None => not_found(&format!("origin endpoint {group}/{channel}/{name}")),
        }
    }

    fn describe_group(&self, name: &str, group: &Group) -> Value {
        json!({
            "ChannelGroupName": name,
            "Arn": group.arn,
            "EgressDomain": group.egress_domain,
            "Description": group.description,
            "CreatedAt": now(),
            "ModifiedAt": now(),
            "ETag": "1",
            "Tags": self.tags.get(&group.arn).cloned().unwrap_or(json!({})),
        })
    }

    fn describe_channel(&self, channel: &Channel) -> Value {
        let (group, name) = parts_of(&channel.arn);
        let domain = self
            .groups
            .get(group)
            .map(|g| g.egress_domain.replace(".egress.", "-{n}.ingest."))
            .unwrap_or_default();
        let ingest: Vec<Value> = (1..=2)
            .map(|n| {
                json!({"Id": n.to_string(),
                       "Url": format!("https://{}/in/v1/{group}/{n}/{name}/index", domain.replace("{n}", &n.to_string()))})
            })
            .collect();
        json!({
            "ChannelGroupName": group,
            "ChannelName": name,
            "Arn": channel.arn,
            "Description": channel.body["Description"],
            "InputType": channel.body["InputType"].as_str().unwrap_or("HLS"),
            "InputSwitchConfiguration": channel.body.get("InputSwitchConfiguration").cloned().unwrap_or(json!({"MQCSInputSwitching": false})),
            "OutputHeaderConfiguration": channel.body.get("OutputHeaderConfiguration").cloned().unwrap_or(json!({"PublishMQCS": false})),
            "IngestEndpoints": ingest,
            "CreatedAt": now(),
            "ModifiedAt": now(),
            "ETag": "1",
            "Tags": self.tags.get(&channel.arn).cloned().unwrap_or(json!({})),
        })
    }

    fn describe_endpoint(&self, endpoint: &Endpoint) -> Value {
        let mut described = endpoint.body.clone();
        let (group, channel) = parts_of(&endpoint.arn);
        let name = endpoint.body["OriginEndpointName"].as_str().unwrap_or_default();
        let domain = self
            .groups
            .get(group)
            .map(|g| g.egress_domain.as_str())
            .unwrap_or_default();
        let base = format!("https://{domain}/out/v1/{group}/{channel}/{name}");
        for (key, suffix) in [
            ("HlsManifests", ".m3u8"),
            ("LowLatencyHlsManifests", ".m3u8"),
            ("DashManifests", ".mpd"),
            ("MssManifests", ".ism/Manifest"),
        ] {
            for manifest in described[key].as_array_mut().into_iter().flatten() {
                let manifest_name = manifest["ManifestName"].as_str().unwrap_or("index").to_owned();
                manifest["Url"] = json!(format!("{base}/{manifest_name}{suffix}"));
            }
        }
        described["ChannelGroupName"] = json!(group);
        described["ChannelName"] = json!(channel);
        described["Arn"] = json!(endpoint.arn);
        described["CreatedAt"] = json!(now());
        described["ModifiedAt"] = json!(now());
        described["ETag"] = json!("1");
        described
    }

    fn channel(&self, group: &str, channel: &str) -> Option<&Channel> {
        self.groups.get(group)?.channels.get(channel)
    }

    fn channel_mut(&mut self, group: &str, channel: &str) -> Option<&mut Channel> {
        self.groups.get_mut(group)?.channels.get_mut(channel)
    }

    fn endpoint(&self, group: &str, channel: &str, endpoint: &str) -> Option<&Endpoint> {
        self.channel(group, channel)?.endpoints.get(endpoint)
    }

    fn endpoint_mut(&mut self, group: &str, channel: &str, endpoint: &str) -> Option<&mut Endpoint> {
        self.channel_mut(group, channel)?.endpoints.get_mut(endpoint)
    }
}

/// The group and channel names in a channel's or endpoint's ARN.
fn parts_of(arn: &str) -> (&str, &str) {
    let mut parts = arn.split('/').skip(1);
    let group = parts.next().unwrap_or_default();
    let channel = parts.nth(1).unwrap_or_default();
    (group, channel)
}

/// A resource policy as MediaPackage v2 takes it: JSON with statements,
/// each naming exactly `arn` (wildcards are not allowed there: MediaPackage
/// v2 User Guide, "Policies and permissions").
fn names_only(policy: &str, arn: &str) -> Result<(), String> {
    let document: Value = serde_json::from_str(policy).map_err(|err| format!("the policy is not JSON: {err}"))?;
    let statements = match &document["Statement"] {
        Value::Array(list) => list.clone(),
        Value::Object(_) => vec![document["Statement"].clone()],
        _ => return Err("the policy has no Statement".to_owned()),
    };
    for statement in statements {
        let resources = match &statement["Resource"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        if resources.is_empty() || resources.iter().any(|r| r != arn) {
            return Err(format!(
                "every statement's Resource must be this resource's ARN ({arn}), got {resources:?}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use hyper::Method;
    use serde_json::{Value, json};

    use crate::faithful::{Faithful, as_cloudformation};

    async fn call(layer: &Faithful, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        as_cloudformation(&layer.endpoint(), "mediapackagev2", method, path, body.as_ref())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn v2_is_shaped_and_refused_as_the_service_does() {
        // Nothing is forwarded for v2: no emulator behind.
        let layer = Faithful::start("http://127.0.0.1:9").await;
        let group = json!({"ChannelGroupName": "live", "tags": {"livestream:stack-id": "s"}});
        let (status, made) = call(&layer, Method::POST, "/channelGroup", Some(group.clone())).await;
        assert_eq!(status, 200, "{made}");
        let egress = made["EgressDomain"].as_str().unwrap().to_owned();
        assert!(egress.contains(".egress.") && egress.ends_with(".mediapackagev2.us-east-1.amazonaws.com"));
        let (status, again) = call(&layer, Method::POST, "/channelGroup", Some(group)).await;
        assert_eq!((status, again["__type"].as_str()), (409, Some("ConflictException")));

        let (status, bad) = call(
            &layer,
            Method::POST,
            "/channelGroup",
            Some(json!({"ChannelGroupName": "has space"})),
        )
        .await;
        assert_eq!(
            (status, bad["__type"].as_str()),
            (400, Some("ValidationException")),
            "{bad}"
        );
        let (status, bad) = call(
            &layer,
            Method::POST,
            "/channelGroup/live/channel",
            Some(json!({"ChannelName": "c", "InputType": "SRT"})),
        )
        .await;
        assert_eq!(status, 400, "an input type the model does not know: {bad}");

        let hls_with_mqcs =
            json!({"ChannelName": "h", "InputType": "HLS", "InputSwitchConfiguration": {"MQCSInputSwitching": true}});
        let (status, bad) = call(&layer, Method::POST, "/channelGroup/live/channel", Some(hls_with_mqcs)).await;
        assert_eq!(status, 400, "MQCS needs CMAF input: {bad}");

        let channel = json!({"ChannelName": "c", "InputType": "CMAF",
            "InputSwitchConfiguration": {"MQCSInputSwitching": true}, "OutputHeaderConfiguration": {"PublishMQCS": true}});
        let (status, made) = call(&layer, Method::POST, "/channelGroup/live/channel", Some(channel)).await;
        assert_eq!(status, 200, "{made}");
        assert_eq!(
            made["InputSwitchConfiguration"]["MQCSInputSwitching"], true,
            "kept as the service keeps it"
        );
        assert_eq!(made["OutputHeaderConfiguration"]["PublishMQCS"], true);
        assert_eq!(
            made["Arn"],
            "arn:aws:mediapackagev2:us-east-1:123456789012:channelGroup/live/channel/c"
        );
        assert_eq!(made["IngestEndpoints"].as_array().unwrap().len(), 2);
        let (status, _) = call(&layer, Method::DELETE, "/channelGroup/live", None).await;
        assert_eq!(status, 409, "a group that holds a channel stays");

        let path = "/channelGroup/live/channel/c/originEndpoint";
        // Unnamed child manifests collide; low-latency HLS needs program
        // date times.
        for refused in [
            json!({"OriginEndpointName": "cmaf", "ContainerType": "CMAF",
                   "HlsManifests": [{"ManifestName": "index"}],
                   "LowLatencyHlsManifests": [{"ManifestName": "low-latency", "ProgramDateTimeIntervalSeconds": 1}]}),
            json!({"OriginEndpointName": "cmaf", "ContainerType": "CMAF",
                   "HlsManifests": [{"ManifestName": "index", "ChildManifestName": "index-media"}],
                   "LowLatencyHlsManifests": [{"ManifestName": "low-latency", "ChildManifestName": "low-latency-media"}]}),
        ] {
            let (status, why) = call(&layer, Method::POST, path, Some(refused.clone())).await;
            assert_eq!(status, 400, "{refused}: {why}");
        }
        let endpoint = json!({
            "OriginEndpointName": "cmaf", "ContainerType": "CMAF",
            "HlsManifests": [{"ManifestName": "index", "ChildManifestName": "index-media"}],
            "LowLatencyHlsManifests": [{"ManifestName": "low-latency", "ChildManifestName": "low-latency-media",
                                        "ProgramDateTimeIntervalSeconds": 1}],
            "DashManifests": [{"ManifestName": "index"}],
        });
        let (status, made) = call(&layer, Method::POST, path, Some(endpoint)).await;
        assert_eq!(status, 200, "{made}");
        let base = format!("https://{egress}/out/v1/live/c/cmaf");
        assert_eq!(made["HlsManifests"][0]["Url"], format!("{base}/index.m3u8"));
        assert_eq!(
            made["LowLatencyHlsManifests"][0]["Url"],
            format!("{base}/low-latency.m3u8")
        );
        assert_eq!(made["DashManifests"][0]["Url"], format!("{base}/index.mpd"));
        let clash = json!({"OriginEndpointName": "x", "ContainerType": "CMAF",
                           "HlsManifests": [{"ManifestName": "a"}], "LowLatencyHlsManifests": [{"ManifestName": "a"}]});
        assert_eq!(call(&layer, Method::POST, path, Some(clash)).await.0, 400);
        let mss_on_cmaf =
            json!({"OriginEndpointName": "y", "ContainerType": "CMAF", "MssManifests": [{"ManifestName": "a"}]});
        assert_eq!(call(&layer, Method::POST, path, Some(mss_on_cmaf)).await.0, 400);

        let arn = made["Arn"].as_str().unwrap();
        let policy = |resource: &str| {
            json!({"Policy": json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "mediapackagev2:GetObject",
                "Resource": resource}]}).to_string()})
        };
        let policy_path = format!("{path}/cmaf/policy");
        let wildcard = format!("{}/*", arn.rsplit_once('/').unwrap().0);
        assert_eq!(
            call(&layer, Method::POST, &policy_path, Some(policy(&wildcard)))
                .await
                .0,
            400
        );
        assert_eq!(call(&layer, Method::POST, &policy_path, Some(policy(arn))).await.0, 200);

        let (status, _) = call(&layer, Method::DELETE, "/channelGroup/live/channel/c/", None).await;
        assert_eq!(status, 409, "a channel that holds an endpoint stays");
        assert_eq!(call(&layer, Method::DELETE, &format!("{path}/cmaf"), None).await.0, 200);
        assert_eq!(call(&layer, Method::DELETE, &format!("{path}/cmaf"), None).await.0, 404);
        assert_eq!(
            call(&layer, Method::DELETE, "/channelGroup/live/channel/c/", None)
                .await
                .0,
            200
        );
        assert_eq!(call(&layer, Method::DELETE, "/channelGroup/live", None).await.0, 200);
        let (status, missing) = call(&layer, Method::GET, "/channelGroup/live", None).await;
        assert_eq!(
            (status, missing["__type"].as_str()),
            (404, Some("ResourceNotFoundException"))
        );
        assert!(
            layer.calls().is_empty(),
            "CloudFormation's own calls are not the handler's"
        );
    }

    #[tokio::test]
    async fn harvest_jobs_are_refused_as_v2_refuses_them() {
        let layer = Faithful::start("http://127.0.0.1:9").await;
        for (path, body) in [
            ("/channelGroup", json!({"ChannelGroupName": "live"})),
            (
                "/channelGroup/live/channel",
                json!({"ChannelName": "c", "InputType": "CMAF"}),
            ),
            (
                "/channelGroup/live/channel/c/originEndpoint",
                json!({"OriginEndpointName": "cmaf", "ContainerType": "CMAF", "StartoverWindowSeconds": 3600,
                       "HlsManifests": [{"ManifestName": "index"}]}),
            ),
        ] {
            let (status, made) = call(&layer, Method::POST, path, Some(body)).await;
            assert_eq!(status, 200, "{made}");
        }
        let now = super::super::now();
        let job = |name: &str, start: f64, end: f64, manifest: &str| {
            json!({"HarvestJobName": name,
                   "HarvestedManifests": {"HlsManifests": [{"ManifestName": manifest}]},
                   "ScheduleConfiguration": {"StartTime": start, "EndTime": end},
                   "Destination": {"S3Destination": {"BucketName": "recordings", "DestinationPath": "recordings/c"}}})
        };
        let jobs = "/channelGroup/live/channel/c/originEndpoint/cmaf/harvestJob";
        for (body, kind) in [
            (job("future", now + 60.0, now + 120.0, "index"), "MEMBER_INVALID"),
            (
                job("backwards", now - 60.0, now - 120.0, "index"),
                "END_TIME_EARLIER_THAN_START_TIME",
            ),
            (
                job("too-long", now - 1800.0, now + 25.0 * 3600.0, "index"),
                "INVALID_HARVEST_JOB_DURATION",
            ),
            (job("too-old", now - 7200.0, now - 3700.0, "index"), "MEMBER_INVALID"),
            (
                job("no-such-manifest", now - 60.0, now, "other"),
                "HARVESTED_MANIFEST_NOT_FOUND_ON_ENDPOINT",
            ),
        ] {
            let (status, refused) = call(&layer, Method::POST, jobs, Some(body.clone())).await;
            assert_eq!(
                (
                    status,
                    refused["__type"].as_str(),
                    refused["ValidationExceptionType"].as_str()
                ),
                (400, Some("ValidationException"), Some(kind)),
                "{body}: {refused}"
            );
        }
        let (status, made) = call(&layer, Method::POST, jobs, Some(job("run-1", now - 60.0, now, "index"))).await;
        assert_eq!((status, made["Status"].as_str()), (200, Some("QUEUED")), "{made}");
        assert!(
            made["Arn"]
                .as_str()
                .unwrap()
                .ends_with("/originEndpoint/cmaf/harvestJob/run-1")
        );
        let (status, again) = call(&layer, Method::POST, jobs, Some(job("run-1", now - 60.0, now, "index"))).await;
        assert_eq!((status, again["__type"].as_str()), (409, Some("ConflictException")));
        // Ten going on in the group: the eleventh waits.
        for n in 2..=10 {
            let (status, made) = call(
                &layer,
                Method::POST,
                jobs,
                Some(job(&format!("run-{n}"), now - 60.0, now, "index")),
            )
            .await;
            assert_eq!(status, 200, "{made}");
        }
        let (status, refused) = call(
            &layer,
            Method::POST,
            jobs,
            Some(job("run-11", now - 60.0, now, "index")),
        )
        .await;
        assert_eq!(
            (status, refused["ValidationExceptionType"].as_str()),
            (400, Some("TOO_MANY_IN_PROGRESS_HARVEST_JOBS")),
            "{refused}"
        );
        // Listed with the channel's filter, in pages.
        let (status, listed) = call(&layer, Method::GET, "/channelGroup/live/harvestJob?channelName=c", None).await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed["Items"].as_array().unwrap().len(), 2);
        assert!(listed["NextToken"].is_string());
    }
}
