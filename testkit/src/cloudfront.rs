//! What CloudFront does with signed cookies on a behaviour with trusted
//! key groups, for the test origins that stand in for it (CloudFront
//! Developer Guide, "Use signed cookies" and "Set signed cookies using a
//! custom policy"): the three cookies present, the key pair id one of the
//! key group's, the signature over the policy verified with that public key
//! (ECDSA P-256 with the hash `CloudFront-Hash-Algorithm` names; SHA-1 when
//! it names none), the request's URL matched by the policy's `Resource`
//! and the time before its `DateLessThan`. Anything else: 403.

use std::collections::BTreeMap;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use serde_json::Value;

use crate::stack::Stack;

/// Why CloudFront would refuse a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    MissingCookie(&'static str),
    UnknownKey(String),
    BadSignature,
    BadPolicy,
    NotThisResource,
    Expired,
    /// SHA-1 signatures (no `CloudFront-Hash-Algorithm`) are not verified here.
    UnsupportedHash(String),
}

/// The public keys of a distribution's trusted key group, by key pair id.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<String, Vec<u8>>,
}

impl TrustedKeys {
    /// `(key pair id, SubjectPublicKeyInfo PEM)` pairs.
    pub fn new<'a>(keys: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        TrustedKeys {
            keys: keys.into_iter().map(|(id, pem)| (id.to_owned(), der_of(pem))).collect(),
        }
    }

    /// The keys of `key_group` (an `AWS::CloudFront::KeyGroup` of `stack`):
    /// each public key its `Items` name, with the `EncodedKey` the stack
    /// gave it.
    pub fn of(stack: &Stack, key_group: &str) -> Self {
        let items: Vec<String> = stack
            .resource(key_group)
            .map(|group| {
                group.properties["KeyGroupConfig"]["Items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let keys = stack
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::CloudFront::PublicKey" && items.contains(&r.exposed.physical_id))
            .map(|r| {
                let pem = r.properties["PublicKeyConfig"]["EncodedKey"]
                    .as_str()
                    .unwrap_or_default();
                (r.exposed.physical_id.clone(), der_of(pem))
            })
            .collect();
        TrustedKeys { keys }
    }

    pub fn ids(&self) -> Vec<&str> {
        self.keys.keys().map(String::as_str).collect()
    }

    /// Whether a request for `url` carrying the `Cookie` header `cookies`
    /// is served at `now` (epoch seconds).
    pub fn admits(&self, cookies: Option<&str>, url: &str, now: u64) -> Result<(), Refused> {
        let jar: BTreeMap<&str, &str> = cookies
            .unwrap_or_default()
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .collect();
        let get = |name: &'static str| jar.get(name).copied().ok_or(Refused::MissingCookie(name));
        let policy = decode(get("CloudFront-Policy")?).ok_or(Refused::BadPolicy)?;
        let signature = decode(get("CloudFront-Signature")?).ok_or(Refused::BadSignature)?;
        let key_id = get("CloudFront-Key-Pair-Id")?;
        let hash = jar.get("CloudFront-Hash-Algorithm").copied().unwrap_or("SHA1");
        if hash != "SHA256" {
            return Err(Refused::UnsupportedHash(hash.to_owned()));
        }
        let key = self
            .keys
            .get(key_id)
            .ok_or_else(|| Refused::UnknownKey(key_id.to_owned()))?;
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key)
            .verify(&policy, &signature)
            .map_err(|_| Refused::BadSignature)?;
        let policy: Value = serde_json::from_slice(&policy).map_err(|_| Refused::BadPolicy)?;
        let statement = &policy["Statement"][0];
        let resource = statement["Resource"].as_str().ok_or(Refused::BadPolicy)?;
        if !glob(resource, url) {
            return Err(Refused::NotThisResource);
        }
        let expires = statement["Condition"]["DateLessThan"]["AWS:EpochTime"]
            .as_u64()
            .ok_or(Refused::BadPolicy)?;
        if now >= expires {
            return Err(Refused::Expired);
        }
        Ok(())
    }
}

/// The DER inside a PEM block.
fn der_of(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect();
    aws_smithy_types::base64::decode(body).unwrap_or_default()
}

/// Undoes CloudFront's base64 alphabet (`-_~` for `+=/`).
pub fn decode(value: &str) -> Option<Vec<u8>> {
    let standard: String = value
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '=',
            '~' => '/',
            other => other,
        })
        .collect();
    aws_smithy_types::base64::decode(standard).ok()
}

/// A policy's `Resource` pattern (and a behaviour's `PathPattern`): `*`
/// any run of characters, `?` one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_match_as_cloudfront_globs_them() {
        assert!(glob("https://*/*", "https://d1.cloudfront.net/out/v1/a/index.m3u8"));
        assert!(glob(
            "https://*/*/keynote/*",
            "https://d1.cloudfront.net/out/v1/live/keynote/cmaf/i.m3u8"
        ));
        assert!(glob(
            "https://*/*/keynote/*",
            "https://d1.cloudfront.net/recordings/keynote/x/part-1/i.m3u8"
        ));
        assert!(!glob(
            "https://*/*/keynote/*",
            "https://d1.cloudfront.net/out/v1/live/panel/cmaf/i.m3u8"
        ));
        assert!(!glob("https://*/*", "http://d1.cloudfront.net/x"));
        assert!(glob("a?c", "abc") && !glob("a?c", "ac"));
    }
}

/// A request as CloudFront passes it to a Lambda function URL origin
/// (payload format 2.0), `headers` in lower case.
pub fn function_url_event(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Value {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::from(*value)))
        .collect();
    serde_json::json!({
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "130.176.0.1", "userAgent": "Amazon CloudFront"},
            "timeEpoch": 1_795_000_000_000_u64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// A viewer's passcode posted to the cookie issuer at `path` (`/auth/` or
/// `/auth/<event>`), as CloudFront passes it on: JSON, with the viewer's
/// address in `CloudFront-Viewer-Address`.
pub fn passcode_request(path: &str, passcode: &str, viewer_address: &str) -> Value {
    let body = serde_json::json!({ "passcode": passcode }).to_string();
    function_url_event(
        "POST",
        path,
        &[
            ("content-type", "application/json"),
            ("cloudfront-viewer-address", viewer_address),
        ],
        &body,
    )
}

/// A function URL's answer, as the viewer gets it.
#[derive(Debug, Clone)]
pub struct UrlReply {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// `Set-Cookie` values, in order.
    pub cookies: Vec<String>,
}

impl UrlReply {
    /// The function's response (its JSON), as Lambda turns it into HTTP.
    pub fn of(response: &str) -> Result<UrlReply, String> {
        let value: Value = serde_json::from_str(response).map_err(|err| format!("{err}: {response}"))?;
        Ok(UrlReply {
            status: value["statusCode"].as_u64().unwrap_or(200) as u16,
            headers: value["headers"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.to_lowercase(), v.as_str().unwrap_or_default().to_owned()))
                .collect(),
            body: value["body"].as_str().unwrap_or_default().to_owned(),
            cookies: value["cookies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        })
    }

    /// The cookies as a browser sends them back: `name=value; …`.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .filter_map(|cookie| cookie.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }
}
