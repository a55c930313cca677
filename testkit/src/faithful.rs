//! A faithful layer over the emulator: a proxy in front of moto that adds
//! what the real services do and moto does not, so the tests see it.
//!
//! MediaPackage: duplicate ids are refused (moto overwrites them),
//! UpdateChannel works (moto lacks it), ListOriginEndpoints honours its
//! ChannelId filter and pages by two, and a channel that still has
//! endpoints cannot be deleted. Everything else passes through unchanged.
//! Every call is recorded as `(service, method, path)`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Response};
use serde_json::{Value, json};

use crate::http::{self, Recorded, Reply};

/// ListOriginEndpoints page size, small so that paging is exercised.
const PAGE: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub service: String,
    pub method: String,
    pub path: String,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    /// UpdateChannel results, laid over moto's channels.
    channel_descriptions: HashMap<String, String>,
}

#[derive(Clone)]
pub struct Faithful {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

struct Upstream {
    base: String,
    http: reqwest::Client,
}

impl Faithful {
    /// A proxy in front of the emulator at `upstream`.
    pub async fn start(upstream: &str) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let upstream = Arc::new(Upstream {
            base: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        });
        let shared = Arc::clone(&state);
        let handler: http::Handler = Arc::new(move |request| {
            let (state, upstream) = (Arc::clone(&shared), Arc::clone(&upstream));
            Box::pin(async move { route(request, &state, &upstream).await })
        });
        let addr = http::serve(handler).await;
        Faithful { addr, state }
    }

    /// For `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().expect("faithful state").calls.clone()
    }

    /// How many calls went to `service` with `method` on paths starting with `prefix`.
    pub fn count(&self, service: &str, method: &str, prefix: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.service == service && c.method == method && c.path.starts_with(prefix))
            .count()
    }
}

/// The service a SigV4-signed request is for, from its credential scope.
fn service_of(request: &Recorded) -> String {
    request
        .header("authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or_default()
        .to_owned()
}

async fn route(request: Recorded, state: &Mutex<State>, upstream: &Upstream) -> Reply {
    let service = service_of(&request);
    let path = request.target.split('?').next().unwrap_or_default().to_owned();
    state.lock().expect("faithful state").calls.push(Call {
        service: service.clone(),
        method: request.method.to_string(),
        path: path.clone(),
    });
    if service == "mediapackage"
        && let Some(reply) = mediapackage(&request, &path, state, upstream).await
    {
        return reply;
    }
    forward(&request, upstream).await.into_reply()
}

async fn mediapackage(request: &Recorded, path: &str, state: &Mutex<State>, upstream: &Upstream) -> Option<Reply> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (&request.method, segments.as_slice()) {
        (&Method::POST, ["channels" | "origin_endpoints"]) => {
            let id = serde_json::from_slice::<Value>(&request.body).ok()?["id"]
                .as_str()?
                .to_owned();
            let existing = upstream.get(&format!("{path}/{id}"), request).await;
            (existing.status == 200)
                .then(|| error(422, "UnprocessableEntityException", &format!("{id} already exists")))
        }
        (&Method::GET, ["channels", id]) => {
            let mut found = forward(request, upstream).await;
            if let Some(description) = state.lock().expect("faithful state").channel_descriptions.get(*id) {
                found = found.patch_json(|json| json["description"] = json!(description));
            }
            Some(found.into_reply())
        }
        (&Method::PUT, ["channels", id]) => {
            let existing = upstream.get(path, request).await;
            if existing.status != 200 {
                return Some(existing.into_reply());
            }
            let description = serde_json::from_slice::<Value>(&request.body).ok()?["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            state
                .lock()
                .expect("faithful state")
                .channel_descriptions
                .insert((*id).to_owned(), description.clone());
            Some(
                existing
                    .patch_json(|json| json["description"] = json!(description))
                    .into_reply(),
            )
        }
        (&Method::DELETE, ["channels", id]) => {
            let endpoints = upstream.get("/origin_endpoints", request).await.json()["originEndpoints"].clone();
            let busy = endpoints
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["channelId"] == json!(id));
            if busy {
                return Some(error(
                    422,
                    "UnprocessableEntityException",
                    "channel still has origin endpoints",
                ));
            }
            state.lock().expect("faithful state").channel_descriptions.remove(*id);
            None
        }
        (&Method::GET, ["origin_endpoints"]) => Some(list_endpoints(request, upstream).await),
        _ => None,
    }
}

/// ListOriginEndpoints as the service does it: filtered, in pages.
async fn list_endpoints(request: &Recorded, upstream: &Upstream) -> Reply {
    let query: HashMap<String, String> = request
        .target
        .split_once('?')
        .map(|(_, query)| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let all = upstream.get("/origin_endpoints", request).await.json()["originEndpoints"].clone();
    let matching: Vec<Value> = all
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| query.get("channelId").is_none_or(|id| e["channelId"] == json!(id)))
        .cloned()
        .collect();
    let start: usize = query.get("nextToken").and_then(|t| t.parse().ok()).unwrap_or(0);
    let end = (start + PAGE).min(matching.len());
    let mut page = json!({ "originEndpoints": matching.get(start..end).unwrap_or_default() });
    if end < matching.len() {
        page["nextToken"] = json!(end.to_string());
    }
    json_reply(200, &page)
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn patch_json(mut self, patch: impl FnOnce(&mut Value)) -> Self {
        if self.status == 200 {
            let mut json = self.json();
            patch(&mut json);
            self.body = Bytes::from(json.to_string());
            self.headers.retain(|(name, _)| name != "content-length");
        }
        self
    }

    fn into_reply(self) -> Reply {
        let mut reply = http::reply(self.status, self.body);
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (name.parse::<hyper::header::HeaderName>(), value.parse()) {
                reply.headers_mut().insert(name, value);
            }
        }
        reply
    }
}

impl Upstream {
    /// A GET of the proxy's own, signed like `like` (moto routes requests
    /// by the signature's service name; it does not check signatures).
    async fn get(&self, path: &str, like: &Recorded) -> Answer {
        let mut headers = like.headers.clone();
        headers.remove("content-type");
        let request = Recorded {
            method: Method::GET,
            target: path.to_owned(),
            headers,
            body: Bytes::new(),
        };
        forward(&request, self).await
    }
}

async fn forward(request: &Recorded, upstream: &Upstream) -> Answer {
    let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut outgoing = upstream
        .http
        .request(method, format!("{}{}", upstream.base, request.target));
    for (name, value) in &request.headers {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    match outgoing.body(request.body.clone()).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .filter(|(name, _)| *name != "content-length" && *name != "transfer-encoding" && *name != "connection")
                .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
                .collect();
            let body = response.bytes().await.unwrap_or_default();
            Answer { status, headers, body }
        }
        Err(err) => Answer {
            status: 502,
            headers: Vec::new(),
            body: Bytes::from(format!("emulator unreachable: {err}")),
        },
    }
}

fn json_reply(status: u16, body: &Value) -> Reply {
    let mut reply: Response<Full<Bytes>> = http::reply(status, body.to_string());
    reply.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    reply
}

/// An AWS JSON error as restJson services send it.
pub fn error(status: u16, code: &str, message: &str) -> Reply {
    let mut reply = json_reply(status, &json!({ "message": message }));
    if let Ok(value) = code.parse() {
        reply.headers_mut().insert("x-amzn-errortype", value);
    }
    reply
}
