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
        (&Method::POST, [kind @ ("channels" | "origin_endpoints")]) => {
            let id = serde_json::from_slice::<Value>(&request.body).ok()?["id"]
                .as_str()?
                .to_owned();
            let existing = upstream.get(&format!("{path}/{id}"), request).await;
            if existing.status == 200 {
                return Some(error(
                    422,
                    "UnprocessableEntityException",
                    &format!("{id} already exists"),
                ));
            }
            match *kind {
                "origin_endpoints" => Some(forward(request, upstream).await.patch_json(shape_url).into_reply()),
                _ => None,
            }
        }
        (&Method::GET | &Method::PUT, ["origin_endpoints", _]) => {
            Some(forward(request, upstream).await.patch_json(shape_url).into_reply())
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
        .map(|mut endpoint| {
            shape_url(&mut endpoint);
            endpoint
        })
        .collect();
    page(request, "originEndpoints", &matching)
}

/// An endpoint's URL as the service shapes it (moto gives
/// `https://origin-endpoint.mediapackage.<region>.amazonaws.com/<id>`):
/// one domain for the account's endpoints in the Region, then
/// `/out/v1/<hash>/<manifestName>` and the package's extension; a CMAF
/// endpoint's URLs on its HLS manifests.
fn shape_url(endpoint: &mut Value) {
    let Some(id) = endpoint["id"].as_str().map(str::to_owned) else {
        return;
    };
    let host = format!(
        "{}.mediapackage.{}.amazonaws.com",
        crate::stack::hex(&format!("{}/{}", crate::account::ACCOUNT, crate::account::REGION), 12),
        crate::account::REGION
    );
    let base = format!("https://{host}/out/v1/{}", crate::stack::hex(&id, 32));
    let name = endpoint["manifestName"].as_str().unwrap_or("index").to_owned();
    let url = if endpoint["dashPackage"].is_object() {
        format!("{base}/{name}.mpd")
    } else if endpoint["mssPackage"].is_object() {
        format!("{base}/{name}.ism/Manifest")
    } else {
        format!("{base}/{name}.m3u8")
    };
    // Not `endpoint["cmafPackage"][…]`: indexing would give every endpoint
    // a CMAF package.
    let manifests = endpoint
        .get_mut("cmafPackage")
        .and_then(|cmaf| cmaf.get_mut("hlsManifests"))
        .and_then(Value::as_array_mut);
    if let Some(manifests) = manifests {
        for manifest in manifests {
            let manifest_name = manifest["manifestName"].as_str().unwrap_or("index").to_owned();
            manifest["url"] = json!(format!("{base}/{manifest_name}.m3u8"));
        }
    }
    endpoint["url"] = json!(url);
}
