//! MediaPackage (v1): duplicate ids are refused (moto overwrites them),
//! UpdateChannel works (moto lacks it), ListOriginEndpoints honours its
//! ChannelId filter and pages, and a channel that still has endpoints
//! cannot be deleted.

use std::collections::HashMap;
use std::sync::Mutex;

use hyper::Method;
use serde_json::{Value, json};

use super::{Upstream, error, forward, page, query};
use crate::http::{Recorded, Reply};

#[derive(Default)]
pub(super) struct State {
    /// UpdateChannel results, laid over moto's channels.
    channel_descriptions: HashMap<String, String>,
}

pub(super) async fn route(
    request: &Recorded,
    path: &str,
    state: &Mutex<super::State>,
    upstream: &Upstream,
) -> Option<Reply> {
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
            if let Some(description) = state
                .lock()
                .expect("faithful state")
                .mediapackage
                .channel_descriptions
                .get(*id)
            {
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
                .mediapackage
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
            state
                .lock()
                .expect("faithful state")
                .mediapackage
                .channel_descriptions
                .remove(*id);
            None
        }
        (&Method::GET, ["origin_endpoints"]) => Some(list_endpoints(request, upstream).await),
        _ => None,
    }
}

/// ListOriginEndpoints as the service does it: filtered, in pages.
/// ListOriginEndpoints as the service does it: filtered, in pages.
async fn list_endpoints(request: &Recorded, upstream: &Upstream) -> Reply {
    let query = query(request);
    let all = upstream.get("/origin_endpoints", request).await.json()["originEndpoints"].clone();
    let matching: Vec<Value> = all
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| query.get("channelId").is_none_or(|id| e["channelId"] == json!(id)))
        .cloned()
        .collect();
    page(request, "originEndpoints", &matching)
}
