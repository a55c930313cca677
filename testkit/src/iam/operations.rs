//! Which API operation an HTTP request is, read from the services' own
//! models: botocore's (pinned with moto in `deployment/requirements.lock`),
//! which give every operation's method and URI template for the REST
//! protocols. JSON-protocol services name the operation in `X-Amz-Target`,
//! query-protocol ones in the form body's `Action`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::http::Recorded;

/// An operation with what its request carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub name: String,
    /// URI parameters by their template names (`ChannelId`, `Bucket`, `Key`), decoded.
    pub path: BTreeMap<String, String>,
    /// The query string, decoded.
    pub query: BTreeMap<String, String>,
}

/// One REST operation's route.
struct Route {
    name: String,
    method: String,
    /// Literal segments, `{Name}` or `{Name+}` (the rest of the path).
    segments: Vec<String>,
    /// Query parameters the URI template fixes (`list-type=2`, `delete`).
    query: Vec<(String, Option<String>)>,
}

struct Model {
    protocol: String,
    routes: Vec<Route>,
}

/// The query-string names of an operation's required input members.
fn required_query_members(model: &Value, operation: &Value) -> Vec<(String, Option<String>)> {
    let Some(input) = operation["input"]["shape"].as_str() else {
        return Vec::new();
    };
    let shape = &model["shapes"][input];
    shape["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|member| {
            let member = &shape["members"][member.as_str()?];
            if member["location"] != "querystring" {
                return None;
            }
            Some((member["locationName"].as_str()?.to_owned(), None))
        })
        .collect()
}

/// The routes of `service`'s newest model.
fn load(service: &str) -> Result<Model, String> {
    let model = crate::botocore::model(service)?;
    let protocol = model["metadata"]["protocol"].as_str().unwrap_or_default().to_owned();
    let routes = model["operations"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, operation)| {
            let method = operation["http"]["method"].as_str()?.to_owned();
            let uri = operation["http"]["requestUri"].as_str()?;
            let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
            let mut query: Vec<(String, Option<String>)> = query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                    None => (pair.to_owned(), None),
                })
                .collect();
            // A required query member tells routes of one URI apart too
            // (S3's AbortMultipartUpload needs uploadId; DeleteObject not).
            query.extend(required_query_members(model, operation));
            Some(Route {
                name: name.clone(),
                method,
                segments: path.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                query,
            })
        })
        .collect();
    Ok(Model { protocol, routes })
}

fn model(service: &str) -> Result<&'static Model, String> {
    static MODELS: OnceLock<Mutex<HashMap<String, &'static Model>>> = OnceLock::new();
    let mut models = MODELS.get_or_init(Default::default).lock().expect("models");
    if let Some(model) = models.get(service) {
        return Ok(model);
    }
    // Loaded once per process and kept for its life.
    let loaded: &'static Model = Box::leak(Box::new(load(service)?));
    models.insert(service.to_owned(), loaded);
    Ok(loaded)
}

/// `%2F` and `+`-free percent-decoding, as URI parameters and query values need.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An `application/x-www-form-urlencoded` body or query string, decoded
/// (the query protocol's requests: CloudFormation, IAM, SNS).
pub fn pairs(text: &str) -> BTreeMap<String, String> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(&v.replace('+', " "))),
            None => (decode(pair), String::new()),
        })
        .collect()
}

/// The operation `request` to `service` (its SigV4 signing name) is.
pub fn identify(service: &str, request: &Recorded) -> Result<Operation, String> {
    let model = model(service)?;
    let (path, query) = request.target.split_once('?').unwrap_or((&request.target, ""));
    let query = pairs(query);
    let by_name = |name: &str| Operation {
        name: name.to_owned(),
        path: BTreeMap::new(),
        query: query.clone(),
    };
    match model.protocol.as_str() {
        "json" => {
            let target = request
                .header("x-amz-target")
                .ok_or_else(|| format!("a {service} request without X-Amz-Target"))?;
            Ok(by_name(target.rsplit('.').next().unwrap_or(target)))
        }
        // Smithy RPC v2 (CloudWatch): /service/<service>/operation/<operation>.
        "smithy-rpc-v2-cbor" => {
            let name = path
                .strip_prefix("/service/")
                .and_then(|rest| rest.split_once("/operation/"))
                .map(|(_, name)| name)
                .ok_or_else(|| format!("a {service} request to {path}, not /service/…/operation/…"))?;
            Ok(by_name(name))
        }
        "query" => {
            let form = pairs(std::str::from_utf8(&request.body).unwrap_or_default());
            let action = form
                .get("Action")
                .ok_or_else(|| format!("a {service} request without Action"))?;
            Ok(by_name(action))
        }
        "rest-json" | "rest-xml" => {
            let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            let mut best: Option<(usize, Operation)> = None;
            // S3's CopyObject shares PutObject's route; the copy-source header tells them apart.
            let copying = request.header("x-amz-copy-source").is_some();
            let routes = model
                .routes
                .iter()
                .filter(|r| r.method == request.method.as_str())
                .filter(|r| copying || !r.name.ends_with("Copy") && r.name != "CopyObject");
            for route in routes {
                let Some(params) = match_path(&route.segments, &segments) else {
                    continue;
                };
                let query_ok = route.query.iter().all(|(key, value)| match value {
                    Some(value) => query.get(key) == Some(value),
                    None => query.contains_key(key),
                });
                if !query_ok {
                    continue;
                }
                let literal = route.segments.iter().filter(|s| !s.starts_with('{')).count() + route.query.len();
                if best.as_ref().is_none_or(|(score, _)| literal > *score) {
                    best = Some((
                        literal,
                        Operation {
                            name: route.name.clone(),
                            path: params,
                            query: query.clone(),
                        },
                    ));
                }
            }
            best.map(|(_, operation)| operation).ok_or_else(|| {
                format!(
                    "no {service} operation in botocore's model matches {} {}",
                    request.method, request.target
                )
            })
        }
        other => Err(format!(
            "{service} speaks protocol {other:?}, which the IAM test does not read"
        )),
    }
}

fn match_path(template: &[String], segments: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for (i, part) in template.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            let rest = segments.get(i..).filter(|rest| !rest.is_empty())?;
            params.insert(name.to_owned(), decode(&rest.join("/")));
            return Some(params);
        }
        let segment = segments.get(i)?;
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                params.insert(name.to_owned(), decode(segment));
            }
            None if part == segment => {}
            None => return None,
        }
    }
    (template.len() == segments.len()).then_some(params)
}
