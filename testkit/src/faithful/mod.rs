//! A faithful layer over the emulator: a proxy in front of moto that adds
//! what the real services do and moto does not, so the tests see it. What
//! each service gets is described in its module; everything else passes
//! through unchanged, but for S3's object lists, which come in small pages.
//! Every call is recorded as `(service, method, path)`, and every request
//! the layer refused (a 4xx of its own) as well.

mod cloudformation;
mod cloudwatch;
mod iam;
mod medialive;
mod mediapackage;
mod mediapackagev2;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Response};
use serde_json::{Value, json};

pub use cloudformation::StackRecord;

use crate::http::{self, Recorded, Reply, json_reply};

/// Now, in whole epoch seconds, as the services write times.
fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64().floor())
        .unwrap_or_default()
}

/// List page size, small so that paging is exercised.
const PAGE: usize = 2;

/// A request's query string as a map.
fn query(request: &Recorded) -> std::collections::HashMap<String, String> {
    request
        .target
        .split_once('?')
        .map(|(_, query)| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// One page of `items` under `key`, from the request's `nextToken`.
fn page(request: &Recorded, key: &str, items: &[Value]) -> Reply {
    let start: usize = query(request)
        .get("nextToken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let end = (start + PAGE).min(items.len());
    let mut page = json!({ key: items.get(start..end).unwrap_or_default() });
    if end < items.len() {
        page["nextToken"] = json!(end.to_string());
    }
    json_reply(200, &page)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub service: String,
    pub method: String,
    pub path: String,
}

/// A request the layer refused, as the real service would have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub method: String,
    pub path: String,
    pub code: String,
}

/// A fault a test plants on the matching call, after `skip` others have
/// gone through.
#[derive(Debug, Clone)]
struct Fault {
    service: String,
    /// An operation name for JSON-protocol services (`PutParameter`, read
    /// from `X-Amz-Target`), or `METHOD /path-prefix` for REST ones.
    call: String,
    skip: usize,
    effect: Effect,
    /// Planted for every matching call, not only the next one.
    lasting: bool,
}

#[derive(Debug, Clone)]
enum Effect {
    /// Answered with an error instead of reaching the emulator.
    Refuse {
        status: u16,
        code: String,
        message: &'static str,
    },
    /// The call reaches the service, which acts; the answer is replaced.
    LoseAnswer { status: u16, code: String },
    /// The call reaches the service, which acts; the answer comes late.
    Delay(Duration),
}

impl Fault {
    fn matches(&self, service: &str, request: &Recorded, path: &str) -> bool {
        if self.service != service {
            return false;
        }
        let target = request.header("x-amz-target").and_then(|t| t.rsplit('.').next());
        target == Some(self.call.as_str()) || format!("{} {path}", request.method).starts_with(&self.call)
    }
}

/// Faults drawn at random for a share of all calls (see `random_faults`).
struct RandomFaults {
    rate: f64,
    rng: u64,
    slow: Duration,
    injected: usize,
}

impl RandomFaults {
    /// splitmix64: reproducible from the seed, no dependency.
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn draw(&mut self, service: &str) -> Option<Effect> {
        let roll = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        if roll >= self.rate {
            return None;
        }
        self.injected += 1;
        // JSON-protocol services say throttling with a 400, REST ones a 429.
        let throttle = match service {
            "ssm" | "secretsmanager" => (400, "ThrottlingException"),
            // S3 throttles with 503 SlowDown.
            "s3" => (503, "SlowDown"),
            _ => (429, "TooManyRequestsException"),
        };
        Some(match self.next() % 4 {
            0 => Effect::Refuse {
                message: INJECTED,
                status: throttle.0,
                code: throttle.1.to_owned(),
            },
            1 => Effect::Refuse {
                message: INJECTED,
                status: 503,
                code: "ServiceUnavailableException".to_owned(),
            },
            2 => Effect::LoseAnswer {
                status: 500,
                code: "InternalServerErrorException".to_owned(),
            },
            _ => Effect::Delay(self.slow),
        })
    }
}

#[derive(Default)]
struct State {
    /// IAM for the stack's functions, when a test turns it on.
    iam: Option<crate::iam::Gate>,
    calls: Vec<Call>,
    refusals: Vec<Refusal>,
    faults: Vec<Fault>,
    random: Option<RandomFaults>,
    mediapackage: mediapackage::State,
    mediapackagev2: mediapackagev2::State,
    medialive: medialive::State,
    cloudwatch: cloudwatch::State,
    cloudformation: cloudformation::State,
    /// Bucket policies, by bucket: kept here, not in moto, which would
    /// enforce them (and the stack's TLS-only statement refuses the plain
    /// HTTP the tests speak). MediaPackage's harvest reads them.
    bucket_policies: std::collections::BTreeMap<String, Value>,
}

#[derive(Clone)]
pub struct Faithful {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    upstream: Arc<Upstream>,
}

impl std::fmt::Debug for Faithful {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faithful")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Upstream {
    base: String,
    http: reqwest::Client,
}

impl Faithful {
    /// A proxy in front of the emulator at `upstream`.
    pub async fn start(upstream: &str) -> Self {
        Self::with_transitions(upstream, 2).await
    }

    /// As `start`, with MediaLive transitions (CREATING, STARTING, …)
    /// lasting `describes` describes each.
    pub async fn with_transitions(upstream: &str, describes: u32) -> Self {
        let state = Arc::new(Mutex::new(State {
            medialive: medialive::State::new(describes),
            ..State::default()
        }));
        let upstream = Arc::new(Upstream {
            base: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        });
        let shared = Arc::clone(&state);
        let proxied = Arc::clone(&upstream);
        let handler: http::Handler = Arc::new(move |request| {
            let (state, upstream) = (Arc::clone(&shared), Arc::clone(&proxied));
            Box::pin(async move { route(request, &state, &upstream).await })
        });
        let addr = http::serve(handler).await;
        Faithful { addr, state, upstream }
    }

    /// Moves every MediaPackage v2 harvest job on until none that may end
    /// (its end time passed) is queued or in progress, and gives the
    /// notifications of those that ended, as EventBridge would deliver
    /// them (a test hands them to the guard).
    pub async fn finish_harvest_jobs(&self) -> Vec<Value> {
        for _ in 0..3 {
            mediapackagev2::advance(&self.state, &self.upstream).await;
        }
        self.harvest_notifications()
    }

    /// The notifications of harvest jobs that ended since the last call.
    pub fn harvest_notifications(&self) -> Vec<Value> {
        std::mem::take(
            &mut self
                .state
                .lock()
                .expect("faithful state")
                .mediapackagev2
                .harvests
                .notifications,
        )
    }

    /// Every harvest job writes the VOD in `folder` (`index.m3u8` and what
    /// it names, `index.mpd`) instead of a placeholder.
    pub fn harvest_writes(&self, folder: std::path::PathBuf) {
        self.state.lock().expect("faithful state").mediapackagev2.harvests.vod = Some(folder);
    }

    /// For `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().expect("faithful state").calls.clone()
    }

    /// Requests refused because the resource was in the wrong state.
    pub fn refusals(&self) -> Vec<Refusal> {
        self.state.lock().expect("faithful state").refusals.clone()
    }

    /// Answers one future call with `status` and error `code`: the call
    /// to `service` named `call` (`PutParameter`, or `GET /prod/inputs/`
    /// for a path prefix) that comes after `skip` matching others.
    pub fn fail(&self, service: &str, call: &str, skip: usize, status: u16, code: &str) {
        self.fail_saying(service, call, skip, status, code, INJECTED);
    }

    /// As `fail`, with the service's words: what a real refusal says.
    pub fn fail_saying(&self, service: &str, call: &str, skip: usize, status: u16, code: &str, message: &'static str) {
        let code = code.to_owned();
        self.plant(service, call, skip, Effect::Refuse { status, code, message }, false);
    }

    /// As `fail`, but the call reaches the service first, which acts on it;
    /// only its answer is replaced: a lost answer, as after a connection
    /// reset or a reply slower than the SDK's attempt timeout.
    pub fn lose_answer(&self, service: &str, call: &str, skip: usize, status: u16, code: &str) {
        let code = code.to_owned();
        self.plant(service, call, skip, Effect::LoseAnswer { status, code }, false);
    }

    /// Every call to `service` named `call` reaches the service, which acts
    /// on it, and is answered only after `delay`: an answer slower than the
    /// SDK's attempt timeout or the handler's deadline.
    pub fn slow_answers(&self, service: &str, call: &str, delay: Duration) {
        self.slow_answers_after(service, call, 0, delay);
    }

    /// As `slow_answers`, for the matching calls after the first `skip`.
    pub fn slow_answers_after(&self, service: &str, call: &str, skip: usize, delay: Duration) {
        self.plant(service, call, skip, Effect::Delay(delay), true);
    }

    /// Removes every planted fault: AWS has recovered.
    pub fn clear_faults(&self) {
        let mut state = self.state.lock().expect("faithful state");
        state.faults.clear();
        state.random = None;
    }

    /// From now on a share `rate` of all calls (drawn reproducibly from
    /// `seed`) meets a fault, in equal parts: throttling, 503, an answer
    /// lost after the call acted, and an answer `slow` late after it acted.
    pub fn random_faults(&self, rate: f64, seed: u64, slow: Duration) {
        self.state.lock().expect("faithful state").random = Some(RandomFaults {
            rate,
            rng: seed,
            slow,
            injected: 0,
        });
    }

    /// How many faults `random_faults` has injected.
    pub fn random_faults_injected(&self) -> usize {
        let state = self.state.lock().expect("faithful state");
        state.random.as_ref().map_or(0, |random| random.injected)
    }

    fn plant(&self, service: &str, call: &str, skip: usize, effect: Effect, lasting: bool) {
        self.state.lock().expect("faithful state").faults.push(Fault {
            service: service.to_owned(),
            call: call.to_owned(),
            skip,
            effect,
            lasting,
        });
    }

    /// Judges every call of the template's functions by their roles'
    /// policies from now on (see [`crate::iam`]); with `enforce`, a call a
    /// role may not make is refused as AWS refuses it.
    pub fn enable_iam(&self, enforce: bool) {
        let env = crate::iam::Env {
            partition: "aws".to_owned(),
            region: crate::account::REGION.to_owned(),
            account: crate::account::ACCOUNT.to_owned(),
        };
        self.state.lock().expect("faithful state").iam = Some(crate::iam::Gate::new(env, enforce));
    }

    /// Runs `change` on the IAM gate, if IAM is on.
    pub fn with_iam(&self, change: impl FnOnce(&mut crate::iam::Gate)) {
        if let Some(gate) = self.state.lock().expect("faithful state").iam.as_mut() {
            change(gate);
        }
    }

    /// What IAM said of every call so far (empty when IAM is off).
    pub fn iam_report(&self) -> crate::iam::Report {
        let state = self.state.lock().expect("faithful state");
        state.iam.as_ref().map(crate::iam::Gate::report).unwrap_or_default()
    }

    /// Puts alarm `name` in `state` (`OK`, `ALARM`, `INSUFFICIENT_DATA`), as
    /// CloudWatch's evaluation would; `false` when no such alarm exists.
    pub fn set_alarm_state(&self, name: &str, state: &str) -> bool {
        let mut guard = self.state.lock().expect("faithful state");
        guard.cloudwatch.set(name, state, "set by the test")
    }

    /// As `set_alarm_state`, as if it had happened at `epoch_secs`.
    pub fn set_alarm_state_since(&self, name: &str, state: &str, epoch_secs: u64) -> bool {
        let mut guard = self.state.lock().expect("faithful state");
        guard
            .cloudwatch
            .set_at(name, state, "set by the test", epoch_secs as f64)
    }

    /// A datapoint of metric `name` in `namespace` with `dimensions`, as
    /// the service that owns it would report it, `seconds_ago` before now
    /// (a stand-in channel's `AWS/MediaLive` metrics, say).
    pub fn report_metric(
        &self,
        namespace: &str,
        name: &str,
        dimensions: &[(&str, &str)],
        value: f64,
        seconds_ago: u64,
    ) {
        let mut guard = self.state.lock().expect("faithful state");
        guard
            .cloudwatch
            .report(namespace, name, dimensions, value, now() - seconds_ago as f64);
    }

    /// Tells CloudFormation's read side (DescribeStacks, ListStackResources)
    /// what the template player made or changed.
    pub fn keep_stack(&self, stack: StackRecord) {
        self.state.lock().expect("faithful state").cloudformation.keep(stack);
    }

    /// The player deleted `name`.
    pub fn forget_stack(&self, name: &str) {
        self.state.lock().expect("faithful state").cloudformation.forget(name);
    }

    /// Every CloudWatch alarm there is.
    pub fn alarm_names(&self) -> Vec<String> {
        self.state.lock().expect("faithful state").cloudwatch.names()
    }

    /// An alarm's definition, as PutMetricAlarm gave it.
    pub fn alarm(&self, name: &str) -> Option<Value> {
        self.state.lock().expect("faithful state").cloudwatch.definition(name)
    }

    /// How many calls went to `service` with `method` on paths starting with `prefix`.
    pub fn count(&self, service: &str, method: &str, prefix: &str) -> usize {
        self.calls()
            .iter()
            .filter(|c| c.service == service && c.method == method && c.path.starts_with(prefix))
            .count()
    }
}

/// What an injected refusal says.
const INJECTED: &str = "injected by the test";

/// Marks a request as CloudFormation's own (see [`as_cloudformation`]).
const CLOUDFORMATION_CALL: &str = "x-testkit-cloudformation";

/// Sends a call to the layer at `endpoint` as CloudFormation's own, for a
/// service this layer emulates whole (MediaPackage v2): scoped to `service`
/// as a signed request would be (the layer checks no signature), exempt
/// from faults and the IAM gate. The answer's status and JSON body.
pub async fn as_cloudformation(
    endpoint: &str,
    service: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), String> {
    let scope = format!(
        "AWS4-HMAC-SHA256 Credential=cloudformation/20260101/{}/{service}/aws4_request, SignedHeaders=host, Signature=0",
        crate::account::REGION
    );
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", endpoint.trim_end_matches('/')))
        .header("authorization", scope)
        .header(CLOUDFORMATION_CALL, "1");
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.map_err(|err| format!("{service} {path}: {err}"))?;
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .map_err(|err| format!("{service} {path}: {err}"))?;
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok((status, json))
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
    // CloudFormation's own calls (the template player's native resources)
    // meet no fault and no IAM gate, and are not the handler's calls.
    if request.header(CLOUDFORMATION_CALL).is_some() {
        return dispatch(request, &service, path, state, upstream).await;
    }
    let (planted, iam) = {
        let mut state = state.lock().expect("faithful state");
        state.calls.push(Call {
            service: service.clone(),
            method: request.method.to_string(),
            path: path.clone(),
        });
        // IAM decides before anything else: a refused call never reaches the service.
        let iam = state.iam.is_some();
        if let Some(refusal) = state.iam.as_mut().and_then(|gate| gate.before(&service, &request)) {
            return access_denied(&service, &refusal.message);
        }
        let planted = planted_fault(&mut state.faults, &service, &request, &path).map(|fault| fault.effect);
        let planted = planted.or_else(|| state.random.as_mut().and_then(|random| random.draw(&service)));
        (planted, iam)
    };
    // What IAM learns from the answer (ids, ARNs, tags) needs the request too.
    let seen = iam.then(|| request.clone());
    let acted = |reply: Reply| observed(reply, &service, seen.as_ref(), state);
    match planted {
        Some(Effect::Refuse { status, code, message }) => service_error(&service, status, &code, message),
        Some(Effect::LoseAnswer { status, code }) => {
            acted(dispatch(request, &service, path, state, upstream).await).await;
            service_error(&service, status, &code, "the answer was lost (injected by the test)")
        }
        Some(Effect::Delay(delay)) => {
            let reply = acted(dispatch(request, &service, path, state, upstream).await).await;
            tokio::time::sleep(delay).await;
            reply
        }
        None => acted(dispatch(request, &service, path, state, upstream).await).await,
    }
}

/// Shows the IAM gate, when on, the answer the service gave `request`.
async fn observed(reply: Reply, service: &str, request: Option<&Recorded>, state: &Mutex<State>) -> Reply {
    use http_body_util::BodyExt;
    let Some(request) = request else {
        return reply;
    };
    let (parts, body) = reply.into_parts();
    let bytes = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    if let Some(gate) = state.lock().expect("faithful state").iam.as_mut() {
        gate.after(service, request, parts.status.as_u16(), &bytes);
    }
    Response::from_parts(parts, Full::new(bytes))
}

/// IAM's refusal, in the service's own error format.
fn access_denied(service: &str, message: &str) -> Reply {
    match service {
        "s3" => service_error(service, 403, "AccessDenied", message),
        "sns" => {
            let body = format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>{message}</Message></Error></ErrorResponse>"
            );
            http::typed_reply(403, "text/xml", body)
        }
        // The JSON 1.1 services answer 400; the REST ones 403.
        "ssm" | "secretsmanager" => error(400, "AccessDeniedException", message),
        cloudwatch::SERVICE => cloudwatch::failure(true, 403, "AccessDenied", message),
        _ => error(403, "AccessDeniedException", message),
    }
}

async fn dispatch(request: Recorded, service: &str, path: String, state: &Mutex<State>, upstream: &Upstream) -> Reply {
    let own = match service {
        "mediapackage" => mediapackage::route(&request, &path, state, upstream).await,
        "medialive" => medialive::route(&request, &path, state, upstream).await,
        "mediapackagev2" => Some(mediapackagev2::route(&request, state, upstream).await),
        cloudwatch::SERVICE => Some(cloudwatch::route(&request, state)),
        cloudformation::SERVICE => Some(cloudformation::route(&request, state)),
        "iam" => iam::route(&request, state),
        _ => None,
    };
    if service == "s3"
        && let Some(reply) = bucket_policy(&request, &path, state)
    {
        return reply;
    }
    let Some(reply) = own else {
        let request = match service {
            "s3" => small_object_pages(request),
            _ => request,
        };
        return forward(&request, upstream).await.into_reply();
    };
    if let Some(code) = reply.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()) {
        state.lock().expect("faithful state").refusals.push(Refusal {
            method: request.method.to_string(),
            path,
            code: code.to_owned(),
        });
    }
    reply
}

/// PutBucketPolicy, GetBucketPolicy and DeleteBucketPolicy (`/<bucket>?policy`),
/// answered from the layer's own record; `None` for any other S3 call.
fn bucket_policy(request: &Recorded, path: &str, state: &Mutex<State>) -> Option<Reply> {
    let (_, query) = request.target.split_once('?')?;
    if !query.split('&').any(|pair| pair == "policy" || pair == "policy=") {
        return None;
    }
    let bucket = path.trim_matches('/').to_owned();
    let mut state = state.lock().expect("faithful state");
    Some(match request.method {
        Method::PUT => match serde_json::from_slice::<Value>(&request.body) {
            Ok(policy) => {
                state.bucket_policies.insert(bucket, policy);
                http::reply(204, "")
            }
            Err(err) => service_error("s3", 400, "MalformedPolicy", &format!("the policy is not JSON: {err}")),
        },
        Method::GET => match state.bucket_policies.get(&bucket) {
            Some(policy) => json_reply(200, policy),
            None => service_error("s3", 404, "NoSuchBucketPolicy", "The bucket policy does not exist"),
        },
        Method::DELETE => {
            state.bucket_policies.remove(&bucket);
            http::reply(204, "")
        }
        _ => return None,
    })
}

/// The policy of `bucket`, if the stack gave it one.
fn policy_of(state: &Mutex<State>, bucket: &str) -> Option<Value> {
    state
        .lock()
        .expect("faithful state")
        .bucket_policies
        .get(bucket)
        .cloned()
}

/// S3 lists a thousand keys a page; a ListObjectsV2 gets [`PAGE`] here, so
/// that a caller who reads only the first page is caught.
fn small_object_pages(mut request: Recorded) -> Recorded {
    let Some((path, query)) = request.target.split_once('?') else {
        return request;
    };
    if request.method != Method::GET || !query.split('&').any(|pair| pair == "list-type=2") {
        return request;
    }
    let mut pairs: Vec<&str> = query.split('&').filter(|pair| !pair.starts_with("max-keys=")).collect();
    let max_keys = format!("max-keys={PAGE}");
    pairs.push(&max_keys);
    request.target = format!("{path}?{}", pairs.join("&"));
    request
}

/// Takes the planted fault this call triggers, if any.
fn planted_fault(faults: &mut Vec<Fault>, service: &str, request: &Recorded, path: &str) -> Option<Fault> {
    let index = faults.iter().position(|f| f.matches(service, request, path))?;
    if faults[index].skip > 0 {
        faults[index].skip -= 1;
        return None;
    }
    if faults[index].lasting {
        return Some(faults[index].clone());
    }
    Some(faults.remove(index))
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub(crate) fn patch_json(mut self, patch: impl FnOnce(&mut Value)) -> Self {
        if self.status == 200 {
            let mut json = self.json();
            patch(&mut json);
            self.body = Bytes::from(json.to_string());
            self.headers.retain(|(name, _)| name != "content-length");
        }
        self
    }

    pub(crate) fn into_reply(self) -> Reply {
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
    pub(crate) async fn get(&self, path: &str, like: &Recorded) -> Answer {
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

pub(crate) async fn forward(request: &Recorded, upstream: &Upstream) -> Answer {
    let method = Method::from_bytes(request.method.as_str().as_bytes()).unwrap_or(Method::GET);
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
            // A HEAD answer's length is the object's, not its (empty) body's.
            let head = request.method == Method::HEAD;
            let headers = response
                .headers()
                .iter()
                .filter(|(name, _)| {
                    (head || *name != "content-length") && *name != "transfer-encoding" && *name != "connection"
                })
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

/// An AWS JSON error as restJson services send it (with `__type` for the
/// awsJson ones).
/// An error as `service` words it: S3 in XML, the others in JSON.
fn service_error(service: &str, status: u16, code: &str, message: &str) -> Reply {
    if service == cloudwatch::SERVICE {
        return cloudwatch::failure(true, status, code, message);
    }
    if service != "s3" {
        return error(status, code, message);
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    let mut reply = http::reply(status, body);
    reply.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/xml"),
    );
    reply
}

pub fn error(status: u16, code: &str, message: &str) -> Reply {
    let mut reply = json_reply(status, &json!({ "message": message, "__type": code }));
    if let Ok(value) = code.parse() {
        reply.headers_mut().insert("x-amzn-errortype", value);
    }
    reply
}
