//! The response body CloudFormation reads from the ResponseURL.
//!
//! `aws_lambda_events` has a response type, but it is `non_exhaustive` and
//! can only be built through its optional `bon` builders; this one keeps
//! `Data` ordered, which makes the size bound deterministic.

use std::collections::BTreeMap;

use serde::Serialize;

use super::event::ReplyIds;

/// CloudFormation refuses bodies larger than this.
pub const MAX_BODY_BYTES: usize = 4096;
/// CloudFormation's limit on a physical resource id.
pub const MAX_PHYSICAL_ID_BYTES: usize = 1024;
/// The physical id of a Create that failed before anything existed; the
/// Delete that follows it is answered without touching AWS. The colon cannot
/// occur in a MediaLive id, a MediaPackage id or an ARN's first field.
const SENTINEL_PREFIX: &str = "create-failed:";

pub fn sentinel_id(request_id: &str) -> String {
    let mut id = format!("{SENTINEL_PREFIX}{request_id}");
    truncate_to(&mut id, MAX_PHYSICAL_ID_BYTES);
    id
}

pub fn is_sentinel(physical_id: &str) -> bool {
    physical_id.starts_with(SENTINEL_PREFIX)
}

/// The physical id of a Create that failed after sending a call that may
/// have made something (its answer was lost, or time ran out before the
/// id was known). The Delete that follows looks for what that request
/// made, by the request tag every resource gets at birth.
const UNCONFIRMED_PREFIX: &str = "create-unconfirmed:";

pub fn unconfirmed_id(request_id: &str) -> String {
    let mut id = format!("{UNCONFIRMED_PREFIX}{request_id}");
    truncate_to(&mut id, MAX_PHYSICAL_ID_BYTES);
    id
}

/// The RequestId of the Create an unconfirmed id stands for.
pub fn unconfirmed_request(physical_id: &str) -> Option<&str> {
    physical_id.strip_prefix(UNCONFIRMED_PREFIX)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Success,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResponseBody {
    pub status: Status,
    pub reason: String,
    pub physical_resource_id: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub no_echo: bool,
    pub data: BTreeMap<String, String>,
}

impl ResponseBody {
    pub fn success(ids: &ReplyIds, physical_id: String, data: BTreeMap<String, String>, no_echo: bool) -> Self {
        Self::new(Status::Success, "OK", ids, physical_id, data, no_echo)
    }

    pub fn failed(ids: &ReplyIds, physical_id: String, reason: &str) -> Self {
        Self::new(Status::Failed, reason, ids, physical_id, BTreeMap::new(), false)
    }

    fn new(
        status: Status,
        reason: &str,
        ids: &ReplyIds,
        physical_id: String,
        data: BTreeMap<String, String>,
        no_echo: bool,
    ) -> Self {
        ResponseBody {
            status,
            reason: sanitize_reason(reason),
            physical_resource_id: if physical_id.is_empty() {
                sentinel_id(&ids.request_id)
            } else {
                physical_id
            },
            stack_id: ids.stack_id.clone(),
            request_id: ids.request_id.clone(),
            logical_resource_id: ids.logical_resource_id.clone(),
            no_echo,
            data,
        }
    }

    /// The serialized body, never over [`MAX_BODY_BYTES`]: the Reason is
    /// shortened first; if `Data` alone is too large, the response becomes
    /// FAILED without it (CloudFormation would refuse it anyway) and keeps
    /// the physical id, so the rollback's Delete still finds the resource.
    pub fn encode(mut self) -> Vec<u8> {
        if self.physical_resource_id.len() > MAX_PHYSICAL_ID_BYTES {
            let len = self.physical_resource_id.len();
            self.status = Status::Failed;
            self.reason = format!("physical resource id of {len} bytes exceeds the {MAX_PHYSICAL_ID_BYTES}-byte limit");
            truncate_to(&mut self.physical_resource_id, MAX_PHYSICAL_ID_BYTES);
            self.data.clear();
        }
        let body = serialize(&self);
        if body.len() <= MAX_BODY_BYTES {
            return body;
        }
        // The longest prefix of the Reason that fits, found by bisection:
        // escapes make the serialized size differ from the raw one.
        let with_reason = |keep: usize| {
            let mut shorter = self.reason.clone();
            truncate_to(&mut shorter, keep);
            shorter.push('…');
            serialize(&ResponseBody {
                reason: shorter,
                ..self.clone()
            })
        };
        let (mut fitting, mut too_long) = (0, self.reason.len());
        while too_long - fitting > 1 {
            let middle = fitting + (too_long - fitting) / 2;
            if with_reason(middle).len() <= MAX_BODY_BYTES {
                fitting = middle;
            } else {
                too_long = middle;
            }
        }
        let body = with_reason(fitting);
        // Some of the Reason must survive; with less room, the ids or Data
        // are what is too large.
        if body.len() <= MAX_BODY_BYTES && fitting > 0 {
            return body;
        }
        if !self.data.is_empty() {
            let data_bytes: usize = self.data.iter().map(|(k, v)| k.len() + v.len()).sum();
            self.status = Status::Failed;
            self.reason =
                format!("response Data of {data_bytes} bytes exceeds the {MAX_BODY_BYTES}-byte response limit");
            self.data.clear();
            self.no_echo = false;
            let body = serialize(&self);
            if body.len() <= MAX_BODY_BYTES {
                return body;
            }
        }
        self.fit_ids()
    }

    /// The last resort, for an event whose ids cannot be echoed within the
    /// limit (escape-heavy or huge): cut them, physical id first, so the
    /// body stays deliverable. CloudFormation never sends such ids.
    fn fit_ids(mut self) -> Vec<u8> {
        self.reason = "response ids exceed the 4096-byte response limit".to_owned();
        tracing::warn!("the response's ids do not fit the 4096-byte limit; cutting them");
        let mut fields = [
            std::mem::take(&mut self.physical_resource_id),
            std::mem::take(&mut self.logical_resource_id),
            std::mem::take(&mut self.request_id),
            std::mem::take(&mut self.stack_id),
        ];
        // No field longer than the whole body can stay; cutting those at
        // once keeps the search below short for megabyte-long ids.
        for field in &mut fields {
            truncate_to(field, MAX_BODY_BYTES);
        }
        let fits = |fields: &[String; 4], body: &ResponseBody| {
            let [physical, logical, request, stack] = fields.clone();
            let body = ResponseBody {
                physical_resource_id: physical,
                logical_resource_id: logical,
                request_id: request,
                stack_id: stack,
                ..body.clone()
            };
            let bytes = serialize(&body);
            (bytes.len() <= MAX_BODY_BYTES).then_some(bytes)
        };
        for index in 0..fields.len() {
            while !fields[index].is_empty() {
                if let Some(bytes) = fits(&fields, &self) {
                    return bytes;
                }
                let keep = fields[index].len().saturating_sub(64);
                truncate_to(&mut fields[index], keep);
            }
        }
        fits(&fields, &self).unwrap_or_default()
    }
}

fn serialize(body: &ResponseBody) -> Vec<u8> {
    // Serializing plain strings, bools and a string map cannot fail.
    serde_json::to_vec(body).unwrap_or_default()
}

/// A one-line Reason: control characters become spaces, runs of spaces
/// collapse, and an empty cause still says something.
pub fn sanitize_reason(reason: &str) -> String {
    let cleaned: String = reason.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        "unknown error (no cause was reported)".to_owned()
    } else {
        collapsed
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
fn truncate_to(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn ids() -> ReplyIds {
        ReplyIds {
            stack_id: "arn:aws:cloudformation:eu-west-1:1:stack/s/g".into(),
            request_id: "r-1".into(),
            logical_resource_id: "L".into(),
        }
    }

    fn decode(body: &[u8]) -> Value {
        serde_json::from_slice(body).unwrap()
    }

    #[test]
    fn body_has_every_protocol_field() {
        let data = BTreeMap::from([("Url".to_owned(), "https://x/y".to_owned())]);
        let body = decode(&ResponseBody::success(&ids(), "p-1".into(), data, true).encode());
        assert_eq!(body["Status"], "SUCCESS");
        assert_eq!(body["PhysicalResourceId"], "p-1");
        assert_eq!(body["StackId"], ids().stack_id);
        assert_eq!(body["RequestId"], "r-1");
        assert_eq!(body["LogicalResourceId"], "L");
        assert_eq!(body["NoEcho"], true);
        assert_eq!(body["Data"]["Url"], "https://x/y");
        assert_eq!(body["Reason"], "OK");
    }

    #[test]
    fn reasons_are_one_line_and_never_empty() {
        assert_eq!(sanitize_reason("a\nb\r\n\tc\u{7}"), "a b c");
        assert_eq!(sanitize_reason(" \n "), "unknown error (no cause was reported)");
        let body = decode(&ResponseBody::failed(&ids(), String::new(), "").encode());
        assert!(!body["Reason"].as_str().unwrap().is_empty());
    }

    #[test]
    fn a_failure_without_id_gets_a_recognisable_sentinel() {
        let body = decode(&ResponseBody::failed(&ids(), String::new(), "bad").encode());
        let id = body["PhysicalResourceId"].as_str().unwrap();
        assert!(is_sentinel(id), "{id}");
        assert!(!is_sentinel("1234567"));
        assert!(!is_sentinel("arn:aws:secretsmanager:eu-west-1:1:secret:x"));
    }

    #[test]
    fn long_reason_is_cut_to_fit_on_a_char_boundary() {
        let reason = "é".repeat(5000);
        let body = ResponseBody::failed(&ids(), "p".into(), &reason).encode();
        assert!(body.len() <= MAX_BODY_BYTES, "{}", body.len());
        let reason = decode(&body)["Reason"].as_str().unwrap().to_owned();
        assert!(reason.ends_with('…'));
        assert!(reason.len() > 3000, "keeps as much as fits: {}", reason.len());
    }

    #[test]
    fn reason_full_of_escapes_still_fits() {
        let reason = "\"\\".repeat(3000);
        let body = ResponseBody::failed(&ids(), "p".into(), &reason).encode();
        assert!(body.len() <= MAX_BODY_BYTES, "{}", body.len());
    }

    #[test]
    fn oversized_data_turns_into_a_failure_that_keeps_the_id() {
        let data = (0..100).map(|i| (format!("Key{i}"), "v".repeat(100))).collect();
        let body = ResponseBody::success(&ids(), "made-1".into(), data, true).encode();
        assert!(body.len() <= MAX_BODY_BYTES);
        let body = decode(&body);
        assert_eq!(body["Status"], "FAILED");
        assert_eq!(body["PhysicalResourceId"], "made-1");
        assert!(body["Reason"].as_str().unwrap().contains("exceeds the 4096-byte"));
        assert_eq!(body["Data"], serde_json::json!({}));
    }

    #[test]
    fn escape_heavy_ids_never_push_the_body_over_the_limit() {
        let hostile = ReplyIds {
            stack_id: "\u{1}".repeat(900),
            request_id: "\"".repeat(900),
            logical_resource_id: "\\".repeat(255),
        };
        let id = "\u{2}".repeat(1000);
        for body in [
            ResponseBody::success(&hostile, id.clone(), BTreeMap::new(), false),
            ResponseBody::failed(&hostile, id.clone(), &"\"".repeat(5000)),
        ] {
            let bytes = body.encode();
            assert!(bytes.len() <= MAX_BODY_BYTES, "{} bytes", bytes.len());
            assert!(decode(&bytes)["Reason"].as_str().is_some_and(|r| r.len() > 3));
        }
        // Ids that fit leave the Reason room: it is cut, never collapsed.
        let ids = ReplyIds {
            stack_id: "\"".repeat(600),
            ..ids()
        };
        let bytes = ResponseBody::failed(&ids, "\u{3}".repeat(200), &"x\"".repeat(3000)).encode();
        assert!(bytes.len() <= MAX_BODY_BYTES, "{} bytes", bytes.len());
        let reason = decode(&bytes)["Reason"].as_str().unwrap().to_owned();
        assert!(reason.len() > 500, "the Reason keeps what fits: {reason:?}");
    }

    #[test]
    fn oversized_physical_id_is_refused() {
        let body = decode(&ResponseBody::success(&ids(), "x".repeat(2000), BTreeMap::new(), false).encode());
        assert_eq!(body["Status"], "FAILED");
        assert_eq!(
            body["PhysicalResourceId"].as_str().unwrap().len(),
            MAX_PHYSICAL_ID_BYTES
        );
    }
}
