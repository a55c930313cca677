//! MediaLive as the real service behaves, over moto's thin model:
//!
//! - channel states take several describes to change (CREATING → IDLE,
//!   STARTING → RUNNING, STOPPING → IDLE, UPDATING → IDLE, DELETING →
//!   DELETED); a channel whose name contains `fail-create` ends in
//!   CREATE_FAILED, and a CreateInput whose name contains `hang-create`
//!   is never answered;
//! - DeleteChannel and UpdateChannel need an idle (or failed) channel,
//!   StartChannel an idle one, StopChannel a running or starting one;
//!   otherwise 409 ConflictException;
//! - an input is ATTACHED while a live channel uses it, and for a few
//!   describes after that channel is deleted; DeleteInput refuses it then;
//! - input security groups exist (moto has none): created, listed (in
//!   pages), described, updated, and refused deletion while an input holds
//!   them, which lasts a few attempts past the input's own deletion;
//! - CreateChannel and CreateInput honour `requestId`: the same token
//!   returns the same resource;
//! - unknown ids answer 404 NotFoundException (moto answers 500);
//! - push inputs get ingest URLs in their destinations;
//! - SRT inputs keep their settings (moto drops them): an SRT listener
//!   gets `srt://` destinations, one per destination it asked for (none
//!   asked: one, a single-pipeline input), and needs a security group and
//!   encryption,
//!   every SRT input a latency of 120-15000 ms (MediaLive's model), a
//!   caller's source an IP address (the model's words) and a port;
//! - ARNs name the region and account, as the service's do.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use hyper::Method;
use serde_json::{Map, Value, json};

use super::{Upstream, error, forward, json_reply, page};
use crate::account::{ACCOUNT, REGION};
use crate::http::{Recorded, Reply};

/// Describes an input stays CREATING (channel transitions are set per layer).
const INPUT_CREATE_DESCRIBES: u32 = 2;
/// MediaLive's ARNs name the region and account
/// (`arn:aws:medialive:us-east-1:123456789012:channel:1234567`); moto's
/// leave both out (`arn:aws:medialive:channel:1234567`).
fn arn(resource: &str, id: &str) -> String {
    format!("arn:aws:medialive:{REGION}:{ACCOUNT}:{resource}:{id}")
}

#[derive(Default)]
pub(super) struct State {
    /// How many describes a channel's transitional state lasts.
    describes: u32,
    channels: HashMap<String, Channel>,
    inputs: HashMap<String, Input>,
    groups: BTreeMap<u64, Group>,
    /// requestId → created id, per kind of resource.
    requests: HashMap<(String, String), String>,
    /// Held through a create, so two with one requestId cannot both make
    /// one (the real service answers the second with the first's).
    creating: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl State {
    pub(super) fn new(describes: u32) -> Self {
        State {
            describes,
            ..State::default()
        }
    }
}

struct Channel {
    state: &'static str,
    /// The state it moves to, and after how many more describes.
    next: Option<(&'static str, u32)>,
    inputs: Vec<String>,
}

struct Input {
    input_type: String,
    groups: Vec<String>,
    /// RTMP push stream names, as requested (moto reshapes them).
    streams: Vec<String>,
    /// How many destinations the request asked for (an SRT listener's
    /// class follows them: none is one pipeline).
    destinations: usize,
    /// Describes left before CREATING ends.
    creating: u32,
    /// Describes left in ATTACHED after the last channel using it went.
    detaching: u32,
    /// Deleted, and how many more looks until it is fully gone.
    deleted: Option<u32>,
    /// SRT settings as requested (moto drops them).
    srt: Value,
    /// Which pair of addresses a push input was given: MediaLive gives
    /// each push input addresses of its own.
    addresses: u32,
}

struct Group {
    rules: Vec<String>,
    tags: Value,
    deleted: bool,
}

fn not_found(what: &str, id: &str) -> Reply {
    error(404, "NotFoundException", &format!("{what} {id} not found"))
}

fn conflict(message: &str) -> Reply {
    error(409, "ConflictException", message)
}

pub(super) async fn route(
    request: &Recorded,
    path: &str,
    state: &Mutex<super::State>,
    upstream: &Upstream,
) -> Option<Reply> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let method = &request.method;
    match segments.as_slice() {
        ["prod", "inputSecurityGroups", rest @ ..] => Some(security_groups(method, rest, &body, request, state)),
        ["prod", "channels"] if method == Method::POST => {
            Some(create(request, &body, "channel", state, upstream).await)
        }
        ["prod", "inputs"] if method == Method::POST => Some(create(request, &body, "input", state, upstream).await),
        ["prod", "inputs"] if method == Method::GET => Some(list_inputs(request, state, upstream).await),
        ["prod", "channels", id, action @ ("start" | "stop")] => {
            Some(start_stop(request, id, action, state, upstream).await)
        }
        ["prod", "channels", id] => Some(channel(request, id, &body, state, upstream).await),
        ["prod", "inputs", id] => Some(input(request, id, &body, state, upstream).await),
        _ => None,
    }
}

/// CreateChannel / CreateInput with `requestId` idempotency.
async fn create(
    request: &Recorded,
    body: &Value,
    kind: &str,
    state: &Mutex<super::State>,
    upstream: &Upstream,
) -> Reply {
    let token = body["requestId"].as_str().map(str::to_owned);
    let creating = std::sync::Arc::clone(&state.lock().expect("state").medialive.creating);
    let one_at_a_time = creating.lock().await;
    let earlier = token.as_ref().and_then(|t| {
        state
            .lock()
            .expect("state")
            .medialive
            .requests
            .get(&(kind.to_owned(), t.clone()))
            .cloned()
    });
    if let Some(id) = earlier {
        let collection = if kind == "channel" { "channels" } else { "inputs" };
        let mut existing = upstream.get(&format!("/prod/{collection}/{id}"), request).await.json();
        patch(&mut existing, kind, &id, &state.lock().expect("state").medialive);
        return json_reply(201, &json!({ kind: existing }));
    }
    if kind == "input" {
        let groups = strings(&body["inputSecurityGroups"]);
        let unknown = {
            let ml = &state.lock().expect("state").medialive;
            groups.iter().find(|g| !group_exists(ml, g)).cloned()
        };
        let push = matches!(
            body["type"].as_str(),
            Some("RTP_PUSH" | "RTMP_PUSH" | "UDP_PUSH" | "SRT_LISTENER")
        );
        if push && groups.is_empty() {
            return error(400, "BadRequestException", "push inputs need an input security group");
        }
        if let Err(problem) = check_srt(body) {
            return error(400, "BadRequestException", &problem);
        }
        if let Some(unknown) = unknown {
            return error(
                400,
                "BadRequestException",
                &format!("input security group {unknown} does not exist"),
            );
        }
        if body["name"].as_str().is_some_and(|n| n.contains("hang-create")) {
            drop(one_at_a_time);
            return std::future::pending().await;
        }
    } else {
        let inputs = input_ids(body);
        let ml = &state.lock().expect("state").medialive;
        if let Some(unknown) = inputs
            .iter()
            .find(|i| ml.inputs.get(*i).is_none_or(|i| i.deleted.is_some()))
        {
            return error(400, "BadRequestException", &format!("input {unknown} does not exist"));
        }
        if let Err(problem) = check_failover(body, ml, None) {
            return error(422, "UnprocessableEntityException", &problem);
        }
        // Every channel as MediaLive's model has it (profiles, failover).
        if let Err(problem) = crate::botocore::check_request("medialive", "CreateChannel", &[], body) {
            return error(400, "BadRequestException", &problem);
        }
    }
    let answer = forward(request, upstream).await;
    if answer.status >= 300 {
        return answer.into_reply();
    }
    let mut created = answer.json();
    let Some(id) = created[kind]["id"].as_str().map(str::to_owned) else {
        return answer.into_reply();
    };
    let mut guard = state.lock().expect("state");
    let ml = &mut guard.medialive;
    let describes = ml.describes;
    if kind == "channel" {
        let fails = body["name"].as_str().is_some_and(|n| n.contains("fail-create"));
        let next = if fails { "CREATE_FAILED" } else { "IDLE" };
        ml.channels.insert(
            id.clone(),
            Channel {
                state: "CREATING",
                next: Some((next, describes)),
                inputs: input_ids(body),
            },
        );
    } else {
        // The lowest pair no push input alive holds (pull inputs hold none).
        let addresses = (0..)
            .find(|k| !ml.inputs.values().any(|i| i.deleted.is_none() && i.addresses == *k))
            .filter(|_| {
                matches!(
                    body["type"].as_str(),
                    Some("RTP_PUSH" | "RTMP_PUSH" | "UDP_PUSH" | "SRT_LISTENER")
                )
            })
            .unwrap_or(u32::MAX);
        ml.inputs.insert(
            id.clone(),
            Input {
                input_type: body["type"].as_str().unwrap_or_default().to_owned(),
                groups: strings(&body["inputSecurityGroups"]),
                streams: stream_names(body),
                destinations: body["destinations"].as_array().map_or(0, Vec::len),
                creating: INPUT_CREATE_DESCRIBES,
                detaching: 0,
                deleted: None,
                srt: body["srtSettings"].clone(),
                addresses,
            },
        );
    }
    if let Some(token) = token {
        ml.requests.insert((kind.to_owned(), token), id.clone());
    }
    patch(&mut created[kind], kind, &id, ml);
    json_reply(201, &created)
}

/// What MediaLive refuses in an SRT input's settings.
fn check_srt(input: &Value) -> Result<(), String> {
    let srt = &input["srtSettings"];
    let latency_ok = |settings: &Value| {
        settings["minimumLatency"]
            .as_i64()
            .is_some_and(|ms| (120..=15_000).contains(&ms))
    };
    let decryption_ok = |decryption: &Value| {
        decryption.is_null()
            || (decryption["algorithm"]
                .as_str()
                .is_some_and(|a| ["AES128", "AES192", "AES256"].contains(&a))
                && decryption["passphraseSecretArn"]
                    .as_str()
                    .is_some_and(|arn| arn.starts_with("arn:aws:secretsmanager:")))
    };
    match input["type"].as_str() {
        Some("SRT_LISTENER") => {
            let listener = &srt["srtListenerSettings"];
            if !latency_ok(listener) {
                return Err("SRT listener inputs need a minimumLatency of 120-15000 ms".to_owned());
            }
            if listener["decryption"].is_null() || !decryption_ok(&listener["decryption"]) {
                return Err("Encryption is required for SRT listener inputs: give decryption with an algorithm and a passphrase secret".to_owned());
            }
        }
        Some("SRT_CALLER") => {
            let sources = srt["srtCallerSources"].as_array().cloned().unwrap_or_default();
            if sources.is_empty() {
                return Err("SRT caller inputs need srtCallerSources".to_owned());
            }
            for source in &sources {
                let port_ok = source["srtListenerPort"]
                    .as_str()
                    .and_then(|p| p.parse::<u32>().ok())
                    .is_some_and(|p| (1..=65_535).contains(&p));
                let address_ok = source["srtListenerAddress"]
                    .as_str()
                    .is_some_and(|a| a.parse::<std::net::Ipv4Addr>().is_ok());
                if !address_ok || !port_ok {
                    return Err(
                        "every SRT caller source needs srtListenerAddress (an IP address) and a numeric srtListenerPort".to_owned(),
                    );
                }
                if !latency_ok(source) || !decryption_ok(&source["decryption"]) {
                    return Err(
                        "an SRT caller source needs a minimumLatency of 120-15000 ms and a complete decryption, if any"
                            .to_owned(),
                    );
                }
            }
        }
        _ if !srt.is_null() => return Err("srtSettings apply to SRT inputs only".to_owned()),
        _ => {}
    }
    Ok(())
}

/// The input types MediaLive pairs for automatic input failover (its user
/// guide; CDI aside).
const FAILOVER_TYPES: &[&str] = &["RTMP_PUSH", "RTP_PUSH", "SRT_CALLER", "MEDIACONNECT", "INPUT_DEVICE"];

/// What MediaLive refuses in a channel's automatic input failover: a type
/// that cannot fail over, a pair of two types, a secondary that is not
/// attached too or that another channel (`other` than `channel`) uses, and
/// settings outside the model's bounds.
fn check_failover(body: &Value, ml: &State, channel: Option<&str>) -> Result<(), String> {
    let attachments = body["inputAttachments"].as_array().cloned().unwrap_or_default();
    for attachment in &attachments {
        let settings = &attachment["automaticInputFailoverSettings"];
        if settings.is_null() {
            continue;
        }
        let primary = attachment["inputId"].as_str().unwrap_or_default();
        let Some(secondary) = settings["secondaryInputId"].as_str() else {
            return Err("automaticInputFailoverSettings.secondaryInputId is required".into());
        };
        if !attachments.iter().any(|a| a["inputId"] == secondary) {
            return Err(format!(
                "the failover's secondary input {secondary} must be attached to the channel"
            ));
        }
        let type_of = |id: &str| ml.inputs.get(id).map(|i| i.input_type.clone()).unwrap_or_default();
        let (primary_type, secondary_type) = (type_of(primary), type_of(secondary));
        if !FAILOVER_TYPES.contains(&primary_type.as_str()) {
            return Err(format!(
                "automatic input failover is not supported for {primary_type} inputs"
            ));
        }
        if primary_type != secondary_type {
            return Err(format!(
                "the inputs of a failover pair must be of the same type ({primary_type} and {secondary_type})"
            ));
        }
        if let Some(other) = channel_uses(ml, secondary)
            .into_iter()
            .find(|c| Some(c.as_str()) != channel)
        {
            return Err(format!("input {secondary} is already attached to channel {other}"));
        }
        let at_least = |value: &Value, min: f64, what: &str| -> Result<(), String> {
            match value.as_f64() {
                Some(v) if v < min => Err(format!("{what} must be at least {min}, got {v}")),
                _ => Ok(()),
            }
        };
        at_least(&settings["errorClearTimeMsec"], 1.0, "errorClearTimeMsec")?;
        if let Some(preference) = settings["inputPreference"].as_str()
            && !matches!(preference, "EQUAL_INPUT_PREFERENCE" | "PRIMARY_INPUT_PREFERRED")
        {
            return Err(format!("inputPreference {preference} is not one of MediaLive's"));
        }
        for condition in settings["failoverConditions"].as_array().into_iter().flatten() {
            let c = &condition["failoverConditionSettings"];
            at_least(
                &c["inputLossSettings"]["inputLossThresholdMsec"],
                100.0,
                "inputLossThresholdMsec",
            )?;
            at_least(
                &c["audioSilenceSettings"]["audioSilenceThresholdMsec"],
                1000.0,
                "audioSilenceThresholdMsec",
            )?;
            at_least(
                &c["videoBlackSettings"]["videoBlackThresholdMsec"],
                1000.0,
                "videoBlackThresholdMsec",
            )?;
            if let Some(black) = c["videoBlackSettings"]["blackDetectThreshold"].as_f64()
                && !(0.0..=1.0).contains(&black)
            {
                return Err(format!("blackDetectThreshold must be from 0 to 1, got {black}"));
            }
        }
    }
    Ok(())
}

fn input_ids(channel: &Value) -> Vec<String> {
    channel["inputAttachments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["inputId"].as_str().map(str::to_owned))
        .collect()
}

fn stream_names(input: &Value) -> Vec<String> {
    input["destinations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["streamName"].as_str().map(str::to_owned))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Advances a channel one describe along its transition.
fn advance(ml: &mut State, id: &str) {
    let Some(channel) = ml.channels.get_mut(id) else { return };
    let Some((next, left)) = channel.next else { return };
    if left > 1 {
        channel.next = Some((next, left - 1));
        return;
    }
    channel.state = next;
    channel.next = None;
    if next == "DELETED" {
        let inputs = channel.inputs.clone();
        let describes = ml.describes;
        for input in inputs {
            if let Some(input) = ml.inputs.get_mut(&input) {
                input.detaching = describes;
            }
        }
    }
}

fn channel_uses(ml: &State, input: &str) -> Vec<String> {
    ml.channels
        .iter()
        .filter(|(_, c)| c.state != "DELETED" && c.inputs.iter().any(|i| i == input))
        .map(|(id, _)| id.clone())
        .collect()
}

fn input_state(ml: &State, id: &str) -> &'static str {
    let Some(input) = ml.inputs.get(id) else {
        return "DELETED";
    };
    match input.deleted {
        Some(0) => "DELETED",
        Some(_) => "DELETING",
        None if input.creating > 0 => "CREATING",
        None if !channel_uses(ml, id).is_empty() || input.detaching > 0 => "ATTACHED",
        None => "DETACHED",
    }
}

/// Lays the layer's view over moto's JSON of a channel or an input.
fn patch(json: &mut Value, kind: &str, id: &str, ml: &State) {
    json["arn"] = json!(arn(kind, id));
    if kind == "channel" {
        if let Some(channel) = ml.channels.get(id) {
            json["state"] = json!(channel.state);
        }
        return;
    }
    let Some(input) = ml.inputs.get(id) else { return };
    json["state"] = json!(input_state(ml, id));
    // MediaLive derives the class from the pipelines the input feeds
    // (moto always says STANDARD).
    if !input.srt.is_null() {
        json["srtSettings"] = input.srt.clone();
    }
    // An SRT listener has the pipelines its destinations ask for; asked
    // for none, one (so a standard channel cannot use it).
    let srt_listener = input.input_type == "SRT_LISTENER";
    let listener_pipelines = if srt_listener { input.destinations.max(1) } else { 0 };
    let pipelines = ["sources", "mediaConnectFlows", "inputDevices"]
        .iter()
        .map(|key| json[*key].as_array().map_or(0, Vec::len))
        .chain([input.streams.len(), listener_pipelines])
        .chain([input.srt["srtCallerSources"].as_array().map_or(0, Vec::len)])
        .max()
        .unwrap_or(0);
    json["inputClass"] = json!(if pipelines == 1 { "SINGLE_PIPELINE" } else { "STANDARD" });
    json["securityGroups"] = json!(input.groups);
    json["attachedChannels"] = json!(channel_uses(ml, id));
    let (scheme, port) = match input.input_type.as_str() {
        "RTMP_PUSH" => ("rtmp", 1935),
        "RTP_PUSH" => ("rtp", 5000),
        "UDP_PUSH" => ("udp", 5000),
        "SRT_LISTENER" => ("srt", 5000),
        _ => return,
    };
    // RTMP destinations are the requested streams; RTP and UDP get two.
    let streams: Vec<Option<&String>> = match input.streams.as_slice() {
        [] if srt_listener => vec![None; listener_pipelines],
        [] => vec![None, None],
        streams => streams.iter().map(Some).collect(),
    };
    let destinations: Vec<Value> = streams
        .iter()
        .enumerate()
        .map(|(n, stream)| {
            let ip = format!("198.51.100.{}", 10 + 2 * (input.addresses % 100) as usize + n);
            let path = stream.map(|s| format!("/{s}")).unwrap_or_default();
            let mut destination =
                json!({"ip": ip, "port": port.to_string(), "url": format!("{scheme}://{ip}:{port}{path}")});
            if let Some(stream) = stream {
                destination["streamName"] = json!(stream);
            }
            destination
        })
        .collect();
    json["destinations"] = json!(destinations);
}

async fn channel(
    request: &Recorded,
    id: &str,
    body: &Value,
    state: &Mutex<super::State>,
    upstream: &Upstream,
) -> Reply {
    {
        let mut guard = state.lock().expect("state");
        let ml = &mut guard.medialive;
        let Some(channel) = ml.channels.get(id) else {
            return not_found("channel", id);
        };
        let current = channel.state;
        let describes = ml.describes;
        match request.method {
            Method::GET => advance(ml, id),
            Method::PUT => {
                if !matches!(current, "IDLE" | "CREATE_FAILED") {
                    return conflict(&format!("Channel {id} must be idle to be updated; it is {current}"));
                }
                if let Err(problem) = check_failover(body, ml, Some(id)) {
                    return error(422, "UnprocessableEntityException", &problem);
                }
                if let Err(problem) =
                    crate::botocore::check_request("medialive", "UpdateChannel", &[("channelId", id)], body)
                {
                    return error(400, "BadRequestException", &problem);
                }
                let inputs = input_ids(body);
                if let Some(channel) = ml.channels.get_mut(id) {
                    channel.state = "UPDATING";
                    channel.next = Some(("IDLE", describes));
                    if !inputs.is_empty() {
                        channel.inputs = inputs;
                    }
                }
            }
            Method::DELETE => {
                if !matches!(current, "IDLE" | "CREATE_FAILED") {
                    return conflict("Cannot delete a channel that has not been stopped yet");
                }
                if let Some(channel) = ml.channels.get_mut(id) {
                    channel.state = "DELETING";
                    channel.next = Some(("DELETED", describes));
                }
            }
            _ => {}
        }
    }
    let answer = forward(request, upstream).await;
    let ml = &state.lock().expect("state").medialive;
    if request.method == Method::PUT {
        return answer
            .patch_json(|json| patch(&mut json["channel"], "channel", id, ml))
            .into_reply();
    }
    answer.patch_json(|json| patch(json, "channel", id, ml)).into_reply()
}

async fn start_stop(
    request: &Recorded,
    id: &str,
    action: &str,
    state: &Mutex<super::State>,
    upstream: &Upstream,
) -> Reply {
    {
        let mut guard = state.lock().expect("state");
        let ml = &mut guard.medialive;
        let describes = ml.describes;
        let Some(channel) = ml.channels.get_mut(id) else {
            return not_found("channel", id);
        };
        let (allowed, transition, next): (&[&str], _, _) = match action {
            "start" => (&["IDLE"], "STARTING", "RUNNING"),
            _ => (&["RUNNING", "STARTING"], "STOPPING", "IDLE"),
        };
        if !allowed.contains(&channel.state) {
            return conflict(&format!("Channel {id} cannot {action} while {}", channel.state));
        }
        channel.state = transition;
        channel.next = Some((next, describes));
    }
    let answer = forward(request, upstream).await;
    let ml = &state.lock().expect("state").medialive;
    answer.patch_json(|json| patch(json, "channel", id, ml)).into_reply()
}

async fn input(request: &Recorded, id: &str, body: &Value, state: &Mutex<super::State>, upstream: &Upstream) -> Reply {
    {
        let mut guard = state.lock().expect("state");
        let ml = &mut guard.medialive;
        let current = input_state(ml, id);
        let Some(input) = ml.inputs.get_mut(id) else {
            return not_found("input", id);
        };
        match request.method {
            Method::GET => {
                input.creating = input.creating.saturating_sub(1);
                match &mut input.deleted {
                    Some(0) => return not_found("input", id),
                    Some(left) => *left -= 1,
                    None => {}
                }
                input.detaching = input.detaching.saturating_sub(1);
            }
            Method::PUT => {
                if input.deleted.is_some() {
                    return not_found("input", id);
                }
                if body.get("inputSecurityGroups").is_some() {
                    input.groups = strings(&body["inputSecurityGroups"]);
                }
                if body.get("destinations").is_some() {
                    input.streams = stream_names(body);
                    if let Some(destinations) = body["destinations"].as_array() {
                        input.destinations = destinations.len();
                    }
                }
                if body.get("srtSettings").is_some() {
                    let checked = json!({"type": input.input_type, "srtSettings": body["srtSettings"]});
                    if let Err(problem) = check_srt(&checked) {
                        return error(400, "BadRequestException", &problem);
                    }
                    input.srt = body["srtSettings"].clone();
                }
            }
            Method::DELETE => {
                if input.deleted.is_some() {
                    return not_found("input", id);
                }
                if current == "ATTACHED" {
                    return conflict(&format!("Input {id} is attached to a channel and cannot be deleted"));
                }
                input.deleted = Some(ml.describes);
            }
            _ => {}
        }
    }
    let answer = forward(request, upstream).await;
    let ml = &state.lock().expect("state").medialive;
    if request.method == Method::PUT {
        return answer
            .patch_json(|json| patch(&mut json["input"], "input", id, ml))
            .into_reply();
    }
    answer.patch_json(|json| patch(json, "input", id, ml)).into_reply()
}

async fn list_inputs(request: &Recorded, state: &Mutex<super::State>, upstream: &Upstream) -> Reply {
    let mut all = upstream.get("/prod/inputs", request).await.json();
    let ml = &state.lock().expect("state").medialive;
    let mut inputs = Vec::new();
    for mut input in all["inputs"].take().as_array().cloned().unwrap_or_default() {
        let id = input["id"].as_str().unwrap_or_default().to_owned();
        if ml.inputs.get(&id).is_some_and(|i| i.deleted == Some(0)) {
            continue;
        }
        patch(&mut input, "input", &id, ml);
        inputs.push(input);
    }
    json_reply(200, &json!({ "inputs": inputs }))
}

fn group_exists(ml: &State, id: &str) -> bool {
    id.parse()
        .ok()
        .and_then(|n: u64| ml.groups.get(&n))
        .is_some_and(|g| !g.deleted)
}

/// Inputs holding a group: live ones, and deleted ones for a few more looks.
fn group_users(ml: &State, id: &str) -> Vec<String> {
    ml.inputs
        .iter()
        .filter(|(_, input)| input.deleted != Some(0) && input.groups.iter().any(|g| g == id))
        .map(|(input, _)| input.clone())
        .collect()
}

fn group_json(ml: &State, id: u64, group: &Group) -> Value {
    let users = group_users(ml, &id.to_string());
    json!({
        "id": id.to_string(),
        "arn": arn("inputSecurityGroup", &id.to_string()),
        "whitelistRules": group.rules.iter().map(|cidr| json!({"cidr": cidr})).collect::<Vec<_>>(),
        "state": if users.is_empty() { "IDLE" } else { "IN_USE" },
        "inputs": users,
        "tags": group.tags,
    })
}

fn security_groups(
    method: &Method,
    rest: &[&str],
    body: &Value,
    request: &Recorded,
    state: &Mutex<super::State>,
) -> Reply {
    let mut guard = state.lock().expect("state");
    let ml = &mut guard.medialive;
    let rules = || -> Vec<String> {
        body["whitelistRules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["cidr"].as_str().map(str::to_owned))
            .collect()
    };
    match (method, rest) {
        (&Method::POST, []) => {
            let id = 4_100_000 + ml.groups.len() as u64;
            let group = Group {
                rules: rules(),
                tags: if body["tags"].is_object() {
                    body["tags"].clone()
                } else {
                    json!({})
                },
                deleted: false,
            };
            let json = group_json(ml, id, &group);
            ml.groups.insert(id, group);
            json_reply(200, &json!({ "securityGroup": json }))
        }
        (&Method::GET, []) => {
            let live: Vec<Value> = ml
                .groups
                .iter()
                .filter(|(_, g)| !g.deleted)
                .map(|(id, g)| group_json(ml, *id, g))
                .collect();
            page(request, "inputSecurityGroups", &live)
        }
        (_, [id]) => {
            let Some(number) = id
                .parse::<u64>()
                .ok()
                .filter(|n| ml.groups.get(n).is_some_and(|g| !g.deleted))
            else {
                return not_found("input security group", id);
            };
            match *method {
                Method::GET => {
                    let json = group_json(ml, number, &ml.groups[&number]);
                    json_reply(200, &json)
                }
                Method::PUT => {
                    let new_rules = rules();
                    if let Some(group) = ml.groups.get_mut(&number) {
                        group.rules = new_rules;
                    }
                    let json = group_json(ml, number, &ml.groups[&number]);
                    json_reply(200, &json!({ "securityGroup": json }))
                }
                Method::DELETE => {
                    let users = group_users(ml, id);
                    if !users.is_empty() {
                        // Each refused attempt is a look: a deleted input
                        // lets go of the group a little later.
                        for user in &users {
                            if let Some(Some(left)) = ml.inputs.get_mut(user).map(|i| i.deleted.as_mut()) {
                                *left = left.saturating_sub(1);
                            }
                        }
                        return conflict(&format!("Input security group {id} is in use by {}", users.join(", ")));
                    }
                    if let Some(group) = ml.groups.get_mut(&number) {
                        group.deleted = true;
                    }
                    json_reply(200, &Value::Object(Map::new()))
                }
                _ => error(405, "MethodNotAllowed", "unsupported"),
            }
        }
        _ => error(404, "NotFoundException", "no such resource"),
    }
}
