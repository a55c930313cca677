//! The cookie issuer: the third function of the binary. Behind the
//! distribution's uncached `/auth/*` behaviour (a Lambda function URL that
//! only CloudFront may call, through an origin access control), it checks
//! the passcode a viewer sends and answers with the signed cookies that
//! open the stack's media, or with a 403 that says nothing about the
//! passcode.
//!
//! - A `template.yaml` stack: `POST /auth/` opens the whole distribution.
//! - A foundation: `POST /auth/<event>` opens that event's paths only (its
//!   channel's `/out/v1/<group>/<event>/…` and its recordings'
//!   `/recordings/<event>/…`), with the event's own passcode when it has one
//!   (a secret named `<prefix><event>`), the foundation's otherwise.
//!
//! Passcodes are compared as SHA-256 digests in constant time; each viewer
//! address may send a few wrong ones ([`limit`]). Neither a passcode nor a
//! key is ever logged.

pub mod limit;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::lambda_function_urls::{LambdaFunctionUrlRequest, LambdaFunctionUrlResponse};
use aws_lambda_events::http::HeaderMap;
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::cookies::{Signer, signing_key_in};
use limit::{Limiter, address_of};

/// The environment the template gives the cookie issuer.
pub const KEY_SECRET_ENV: &str = "LIVESTREAM_VIEWER_KEY_SECRET_ARN";
/// The id CloudFront gave the signing slot's public key.
const KEY_PAIR_ID_ENV: &str = "LIVESTREAM_VIEWER_KEY_PAIR_ID";
const PASSCODE_SECRET_ENV: &str = "LIVESTREAM_VIEWER_PASSCODE_SECRET_ARN";
const EVENT_PASSCODES_ENV: &str = "LIVESTREAM_VIEWER_EVENT_PASSCODES";
const SESSION_HOURS_ENV: &str = "LIVESTREAM_VIEWER_SESSION_HOURS";
/// `ViewerSessionHours`' bounds (the template's too).
pub const SESSION_HOURS_LIMIT: u64 = 168;
/// How long a passcode read from Secrets Manager is trusted: a changed
/// passcode takes effect within this.
const PASSCODE_FRESH_FOR: Duration = Duration::from_secs(60);

/// The issuer's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerConfig {
    key_secret_arn: String,
    key_pair_id: String,
    passcode_secret_arn: String,
    /// A foundation: where each event's own passcode would be
    /// (`<foundation>/viewers/`).
    event_passcodes: Option<String>,
    /// A foundation's stack name, the first part of that prefix.
    foundation: Option<String>,
    session: Duration,
}

impl ViewerConfig {
    /// `None` when this function is not the cookie issuer.
    pub fn from_env() -> Result<Option<Self>, String> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let Some(key_secret_arn) = var(KEY_SECRET_ENV) else {
            return Ok(None);
        };
        let required = |name: &str| var(name).ok_or_else(|| format!("{name} is not set"));
        let key_pair_id = required(KEY_PAIR_ID_ENV)?;
        let hours = required(SESSION_HOURS_ENV)?;
        let hours: u64 = hours
            .parse()
            .ok()
            .filter(|h| (1..=SESSION_HOURS_LIMIT).contains(h))
            .ok_or_else(|| format!("{SESSION_HOURS_ENV} is 1 to {SESSION_HOURS_LIMIT} hours, not {hours:?}"))?;
        let event_passcodes = var(EVENT_PASSCODES_ENV);
        let foundation = event_passcodes
            .as_deref()
            .and_then(|prefix| prefix.split('/').next())
            .map(str::to_owned);
        Ok(Some(ViewerConfig {
            key_secret_arn,
            key_pair_id,
            passcode_secret_arn: required(PASSCODE_SECRET_ENV)?,
            event_passcodes,
            foundation,
            session: Duration::from_secs(hours * 3600),
        }))
    }
}

/// What a cookie opens, from the path the viewer posted to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Scope {
    /// `None`: the whole distribution.
    event: Option<String>,
}

impl Scope {
    /// `/auth/` for a stack; `/auth/<event>` on `foundation` (its stack
    /// name), the event named as a stack is (CloudFormation's stack-name
    /// rule) and as no other path segment of the distribution's media is:
    /// a cookie for `/*/<event>/*` would open every path with that segment.
    fn of(path: &str, foundation: Option<&str>) -> Option<Scope> {
        let rest = path.strip_prefix("/auth")?.trim_start_matches('/');
        match (foundation, rest) {
            (None, "") => Some(Scope { event: None }),
            (Some(foundation), event) if valid_event(event) && !names_a_media_segment(event, foundation) => {
                Some(Scope {
                    event: Some(event.to_owned()),
                })
            }
            _ => None,
        }
    }

    /// The custom policy's `Resource`. The host is a wildcard: the issuer
    /// cannot know the distribution's domain (the distribution refers to
    /// the issuer, not the other way), and the browser sends the cookies
    /// only to the domain that set them; only this stack's distribution
    /// trusts its key group.
    fn resource(&self) -> String {
        match &self.event {
            None => "https://*/*".to_owned(),
            // The event's channel and recordings: `/<event>/` as a whole
            // path segment (CloudFront allows one statement per policy).
            Some(event) => format!("https://*/*/{event}/*"),
        }
    }
}

/// Whether `name` is a segment of paths that are not one event's own:
/// `/out/v1/<foundation>/<event>/<ts|cmaf|mss>/…` and
/// `/recordings/<event>/<start>/part-<n>/…`.
fn names_a_media_segment(name: &str, foundation: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["out", "v1", "ts", "cmaf", "mss", "recordings"].contains(&lower.as_str())
        || name == foundation
        || lower
            .strip_prefix("part-")
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

fn valid_event(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The SHA-256 of a passcode: compared in constant time whatever the lengths.
type Digest = [u8; 32];

fn digest_of(passcode: &str) -> Digest {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, passcode.as_bytes()).as_ref());
    out
}

fn matches(sent: &str, expected: &Digest) -> bool {
    verify_slices_are_equal(&digest_of(sent), expected).is_ok()
}

/// Why a viewer is not let in, as the answer says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    NotPost,
    Malformed,
    NotLetIn,
    TooMany(Duration),
    Broken,
}

/// The cookie issuer of one Lambda instance. Its `Debug` shows only its settings.
pub struct CookieIssuer {
    config: ViewerConfig,
    secrets: aws_sdk_secretsmanager::Client,
    signer: OnceCell<Signer>,
    /// Passcode digests by secret id, with when they were read (`None`:
    /// no such secret).
    passcodes: Mutex<HashMap<String, (Instant, Option<Digest>)>>,
    limiter: Mutex<Limiter>,
}

impl std::fmt::Debug for CookieIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieIssuer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CookieIssuer {
    pub fn new(config: ViewerConfig, secrets: aws_sdk_secretsmanager::Client) -> Self {
        CookieIssuer {
            config,
            secrets,
            signer: OnceCell::new(),
            passcodes: Mutex::new(HashMap::new()),
            limiter: Mutex::new(Limiter::default()),
        }
    }

    /// Answers one request; never an error (a refusal is an answer).
    pub async fn invoke(
        &self,
        event: LambdaEvent<LambdaFunctionUrlRequest>,
    ) -> Result<LambdaFunctionUrlResponse, lambda_runtime::Error> {
        let request = event.payload;
        let address = request
            .headers
            .get("cloudfront-viewer-address")
            .and_then(|v| v.to_str().ok())
            .map(address_of)
            .unwrap_or_default();
        let path = request.raw_path.clone().unwrap_or_default();
        let answer = self.let_in(&request, &path, &address).await;
        Ok(match answer {
            Ok((cookies, expires)) => {
                tracing::info!(path, "let a viewer in");
                respond(200, json!({ "expires": expires }), cookies)
            }
            Err(refusal) => {
                tracing::info!(path, ?refusal, "did not let a viewer in");
                refused(refusal)
            }
        })
    }

    async fn let_in(
        &self,
        request: &LambdaFunctionUrlRequest,
        path: &str,
        address: &str,
    ) -> Result<(Vec<String>, u64), Refusal> {
        let method = request.request_context.http.method.as_deref().unwrap_or_default();
        if !method.eq_ignore_ascii_case("POST") {
            return Err(Refusal::NotPost);
        }
        if let Some(wait) = self.limiter().wait_for(address, Instant::now()) {
            return Err(Refusal::TooMany(wait));
        }
        let passcode = passcode_in(request).ok_or(Refusal::Malformed)?;
        let scope = Scope::of(path, self.config.foundation.as_deref());
        let expected = match &scope {
            Some(scope) => self.passcode_for(scope).await?,
            None => None,
        };
        let (Some(scope), Some(expected)) = (scope, expected) else {
            self.limiter().failed(address, Instant::now());
            return Err(Refusal::NotLetIn);
        };
        if !matches(&passcode, &expected) {
            self.limiter().failed(address, Instant::now());
            return Err(Refusal::NotLetIn);
        }
        self.limiter().succeeded(address);
        let expires = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(self.config.session)
            .as_secs();
        let signer = self.signer().await?;
        let cookies = signer.cookies(&scope.resource(), expires, "/").map_err(|err| {
            tracing::error!(error = %err, "could not sign the cookies");
            Refusal::Broken
        })?;
        Ok((cookies, expires))
    }

    fn limiter(&self) -> std::sync::MutexGuard<'_, Limiter> {
        // A panic elsewhere cannot leave the counts half-written.
        self.limiter.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn signer(&self) -> Result<&Signer, Refusal> {
        self.signer
            .get_or_try_init(|| async {
                let value = self.secret(&self.config.key_secret_arn).await?.ok_or_else(|| {
                    tracing::error!(secret = %self.config.key_secret_arn, "the signing key's secret is gone");
                    Refusal::Broken
                })?;
                let private = signing_key_in(&value).unwrap_or_default();
                Signer::new(&private, &self.config.key_pair_id).map_err(|err| {
                    tracing::error!(error = %err, secret = %self.config.key_secret_arn, "the signing key is unusable");
                    Refusal::Broken
                })
            })
            .await
    }

    /// The passcode digest that lets viewers into `scope`: an event's own,
    /// or the stack's.
    async fn passcode_for(&self, scope: &Scope) -> Result<Option<Digest>, Refusal> {
        if let (Some(event), Some(prefix)) = (&scope.event, &self.config.event_passcodes)
            && let Some(own) = self.passcode(&format!("{prefix}{event}")).await?
        {
            return Ok(Some(own));
        }
        self.passcode(&self.config.passcode_secret_arn).await
    }

    async fn passcode(&self, secret_id: &str) -> Result<Option<Digest>, Refusal> {
        let now = Instant::now();
        if let Some((read, digest)) = self.passcodes().get(secret_id)
            && now.duration_since(*read) < PASSCODE_FRESH_FOR
        {
            return Ok(*digest);
        }
        let digest = self.secret(secret_id).await?.map(|value| digest_of(&value));
        self.passcodes().insert(secret_id.to_owned(), (now, digest));
        Ok(digest)
    }

    fn passcodes(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Option<Digest>)>> {
        self.passcodes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A secret's string; `None` when there is no such secret.
    async fn secret(&self, secret_id: &str) -> Result<Option<String>, Refusal> {
        match self.secrets.get_secret_value().secret_id(secret_id).send().await {
            Ok(value) => Ok(value.secret_string().map(str::to_owned)),
            Err(err) if err.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(err) => {
                tracing::error!(secret = %secret_id, error = %DisplayErrorContext(&err), "could not read a secret");
                Err(Refusal::Broken)
            }
        }
    }
}

/// The passcode a viewer posted: `{"passcode": "…"}`.
fn passcode_in(request: &LambdaFunctionUrlRequest) -> Option<String> {
    let body = request.body.as_deref()?;
    let body = if request.is_base64_encoded {
        String::from_utf8(aws_smithy_types::base64::decode(body).ok()?).ok()?
    } else {
        body.to_owned()
    };
    let value: Value = serde_json::from_str(&body).ok()?;
    let passcode = value.get("passcode")?.as_str()?;
    (!passcode.is_empty() && passcode.len() <= 1024).then(|| passcode.to_owned())
}

fn refused(refusal: Refusal) -> LambdaFunctionUrlResponse {
    let (status, message) = match refusal {
        Refusal::NotPost => (405, "Send the passcode with POST."),
        Refusal::Malformed => (400, "Send {\"passcode\": \"…\"} as JSON."),
        // The same words whatever was wrong: no hint about the passcode.
        Refusal::NotLetIn => (403, "Not let in."),
        Refusal::TooMany(_) => (429, "Too many tries from this address. Wait a few minutes."),
        Refusal::Broken => (500, "Viewers cannot be let in just now; the stack's logs say why."),
    };
    let mut response = respond(status, json!({ "message": message }), Vec::new());
    if let Refusal::TooMany(wait) = refusal
        && let Ok(value) = (wait.as_secs() + 1).to_string().parse()
    {
        response.headers.insert("retry-after", value);
    }
    response
}

fn respond(status: i64, body: Value, cookies: Vec<String>) -> LambdaFunctionUrlResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        aws_lambda_events::http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "cache-control",
        aws_lambda_events::http::HeaderValue::from_static("no-store"),
    );
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(body.to_string());
    response.cookies = cookies;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_come_from_the_environment() {
        let env = |hours: &'static str| {
            move |name: &str| {
                Some(
                    match name {
                        KEY_SECRET_ENV => "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
                        KEY_PAIR_ID_ENV => "K2JCJMDEHXQW5F",
                        PASSCODE_SECRET_ENV => "arn:p",
                        SESSION_HOURS_ENV => hours,
                        _ => return None,
                    }
                    .to_owned(),
                )
            }
        };
        let config = ViewerConfig::from_vars(env("4")).unwrap().unwrap();
        assert_eq!(config.key_pair_id, "K2JCJMDEHXQW5F");
        assert_eq!(config.session, Duration::from_secs(4 * 3600));
        assert_eq!((config.event_passcodes, config.foundation), (None, None));
        assert!(ViewerConfig::from_vars(env("0")).unwrap_err().contains("1 to 168"));
        assert_eq!(ViewerConfig::from_vars(|_| None), Ok(None));
    }

    #[test]
    fn a_stacks_cookie_opens_its_distribution_and_an_events_only_its_paths() {
        assert_eq!(Scope::of("/auth/", None).unwrap().resource(), "https://*/*");
        assert_eq!(Scope::of("/auth", None).unwrap().resource(), "https://*/*");
        assert_eq!(Scope::of("/auth/track-one", None), None, "a stack has no events");
        assert_eq!(
            Scope::of("/auth/track-one", Some("venue")).unwrap().resource(),
            "https://*/*/track-one/*"
        );
        // An event named as another path segment would open others' paths.
        for path in [
            "/auth/",
            "/auth/a/b",
            "/auth/1st",
            "/auth/x*",
            "/other/x",
            "/auth/venue",
            "/auth/cmaf",
            "/auth/TS",
            "/auth/recordings",
            "/auth/part-1",
            "/auth/v1",
        ] {
            assert_eq!(Scope::of(path, Some("venue")), None, "{path}");
        }
    }

    #[test]
    fn passcodes_are_compared_by_digest() {
        let expected = digest_of("correct horse");
        assert!(matches("correct horse", &expected));
        assert!(!matches("correct hors", &expected));
        assert!(!matches("", &expected));
    }

    #[test]
    fn a_refusal_says_nothing_about_the_passcode() {
        let answer = refused(Refusal::NotLetIn);
        assert_eq!(answer.status_code, 403);
        assert_eq!(answer.body.as_deref(), Some(r#"{"message":"Not let in."}"#));
        assert!(answer.cookies.is_empty());
        let limited = refused(Refusal::TooMany(Duration::from_secs(30)));
        assert_eq!(limited.status_code, 429);
        assert_eq!(limited.headers["retry-after"], "31");
    }

    #[test]
    fn the_passcode_is_read_from_a_json_body_plain_or_base64() {
        let mut request = LambdaFunctionUrlRequest::default();
        request.body = Some(r#"{"passcode":"let me in"}"#.to_owned());
        assert_eq!(passcode_in(&request).as_deref(), Some("let me in"));
        request.body = Some(aws_smithy_types::base64::encode(r#"{"passcode":"b64"}"#));
        request.is_base64_encoded = true;
        assert_eq!(passcode_in(&request).as_deref(), Some("b64"));
        request.body = Some("passcode=form".to_owned());
        request.is_base64_encoded = false;
        assert_eq!(passcode_in(&request), None);
    }
}
