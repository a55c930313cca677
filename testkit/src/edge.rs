//! CloudFront and MediaPackage v2's egress, stand-ins on one loopback
//! server, for the first-deploy check's playback lines (`check-stack` sends
//! each playback request here, its `Host` kept, when
//! `LIVESTREAM_CHECK_EDGE_URL` names this server):
//!
//! - a request for a stack's distribution (its `DomainName` as `Host`) is
//!   served as that distribution's own configuration says: the first
//!   behaviour whose `PathPattern` matches (else the default) picks the
//!   origin; a behaviour with `TrustedKeyGroups` wants valid signed cookies
//!   ([`crate::cloudfront::TrustedKeys`]); an S3 origin is read from the
//!   emulator's bucket (a missing key is 403, as S3 answers an origin
//!   access control without `s3:ListBucket`); a MediaPackage origin is
//!   asked as the distribution's origin access control asks it: signed,
//!   with the distribution as `AWS:SourceArn`;
//! - a request for an egress domain is MediaPackage v2's origin: the
//!   endpoint's policy, read from the emulator at each request, decides (a
//!   signed request gets in when the policy lets CloudFront in for that
//!   distribution, an unsigned one only when it lets anyone); then it serves
//!   the stack's test source, packaged by ffmpeg as the endpoint's container
//!   serves it: TS HLS, CMAF HLS with its low-latency form (the browser
//!   test's [`low_latency_hls`]) and DASH, Smooth Streaming;
//! - a request for a MediaPackage v1 endpoint's domain is served the same
//!   way, by the endpoint whose URL holds the path; one with CDN
//!   authorization answers only what came through CloudFront.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::cloudfront::TrustedKeys;
use crate::http::{Handler, Recorded, Reply, reply, typed_reply};
use crate::stack::{Deployed, Rig, Stack};

/// The variable `check-stack` reads for where playback requests go.
pub const EDGE_URL: &str = "LIVESTREAM_CHECK_EDGE_URL";

/// The stand-in, serving until the runtime ends.
#[derive(Debug)]
pub struct Edge {
    /// `http://127.0.0.1:<port>`: what `LIVESTREAM_CHECK_EDGE_URL` is set to.
    pub url: String,
}

struct Distribution {
    arn: String,
    /// `(path pattern, origin id, trusted keys)`, the default last (no pattern).
    behaviours: Vec<(Option<String>, String, Option<TrustedKeys>)>,
    /// origin id → (domain, origin path)
    origins: BTreeMap<String, (String, String)>,
}

struct State {
    /// By domain name.
    distributions: BTreeMap<String, Distribution>,
    s3: aws_sdk_s3::Client,
    mediapackage: aws_sdk_mediapackage::Client,
    mediapackagev2: aws_sdk_mediapackagev2::Client,
    media: PathBuf,
}

/// Serves the distributions of `stacks` and the MediaPackage origins they
/// read. Needs ffmpeg (`./deployment/bootstrap.sh --media-tools`).
pub async fn start(rig: &Rig, stacks: &[&Stack]) -> Result<Edge, String> {
    let media = packaged()?.clone();
    let mut distributions = BTreeMap::new();
    for stack in stacks {
        for resource in stack
            .resources
            .iter()
            .filter(|r| r.kind == "AWS::CloudFront::Distribution")
        {
            let Some(domain) = resource.exposed.attributes.get("DomainName") else {
                continue;
            };
            distributions.insert(domain.clone(), distribution(stack, resource));
        }
    }
    let config = rig.sdk_config().await;
    let state = Arc::new(State {
        distributions,
        s3: rig.s3().await,
        mediapackage: aws_sdk_mediapackage::Client::new(&config),
        mediapackagev2: aws_sdk_mediapackagev2::Client::new(&config),
        media,
    });
    let handler: Handler = Arc::new(move |request: Recorded| {
        let state = Arc::clone(&state);
        Box::pin(async move { state.answer(&request).await })
    });
    let address = crate::http::serve(handler).await;
    Ok(Edge {
        url: format!("http://{address}"),
    })
}

fn distribution(stack: &Stack, resource: &Deployed) -> Distribution {
    let config = &resource.properties["DistributionConfig"];
    let keys_of = |behaviour: &Value| -> Option<TrustedKeys> {
        let group = behaviour["TrustedKeyGroups"].as_array()?.first()?.as_str()?;
        let logical = stack
            .resources
            .iter()
            .find(|r| r.kind == "AWS::CloudFront::KeyGroup" && r.exposed.physical_id == group)?;
        Some(TrustedKeys::of(stack, &logical.logical_id))
    };
    let mut behaviours: Vec<_> = config["CacheBehaviors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            (
                b["PathPattern"].as_str().map(|p| p.trim_start_matches('/').to_owned()),
                b["TargetOriginId"].as_str().unwrap_or_default().to_owned(),
                keys_of(b),
            )
        })
        .collect();
    let default = &config["DefaultCacheBehavior"];
    behaviours.push((
        None,
        default["TargetOriginId"].as_str().unwrap_or_default().to_owned(),
        keys_of(default),
    ));
    let origins = config["Origins"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["Id"].as_str().unwrap_or_default().to_owned(),
                (
                    o["DomainName"].as_str().unwrap_or_default().to_owned(),
                    o["OriginPath"].as_str().unwrap_or_default().to_owned(),
                ),
            )
        })
        .collect();
    Distribution {
        arn: format!(
            "arn:aws:cloudfront::{}:distribution/{}",
            crate::account::ACCOUNT,
            resource.exposed.physical_id
        ),
        behaviours,
        origins,
    }
}

impl State {
    async fn answer(&self, request: &Recorded) -> Reply {
        let host = request.header("host").unwrap_or_default();
        let host = host.split(':').next().unwrap_or_default();
        let (path, _query) = request.target.split_once('?').unwrap_or((&request.target, ""));
        if path.contains("..") {
            return reply(400, "");
        }
        match self.distributions.get(host) {
            Some(distribution) => self.through_cloudfront(distribution, request, path).await,
            None => self.origin(host, path, None).await,
        }
    }

    async fn through_cloudfront(&self, distribution: &Distribution, request: &Recorded, path: &str) -> Reply {
        let relative = path.trim_start_matches('/');
        let Some((_, origin_id, keys)) = distribution
            .behaviours
            .iter()
            .find(|(pattern, _, _)| pattern.as_deref().is_none_or(|p| crate::cloudfront::glob(p, relative)))
        else {
            return reply(403, "no behaviour");
        };
        if let Some(keys) = keys {
            let url = format!(
                "https://{}{}",
                request.header("host").unwrap_or_default(),
                request.target
            );
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            if keys.admits(request.header("cookie"), &url, now).is_err() {
                return typed_reply(403, "text/xml", "<Error><Code>AccessDenied</Code></Error>");
            }
        }
        let Some((domain, origin_path)) = distribution.origins.get(origin_id) else {
            return reply(502, "no such origin");
        };
        if let Some((bucket, _)) = domain.split_once(".s3.") {
            let key = format!("{}{path}", origin_path.trim_end_matches('/'))
                .trim_start_matches('/')
                .to_owned();
            return match self.s3.get_object().bucket(bucket).key(&key).send().await {
                Ok(object) => {
                    let content_type = object.content_type().unwrap_or("binary/octet-stream").to_owned();
                    let body = object.body.collect().await.map(|b| b.into_bytes()).unwrap_or_default();
                    typed_reply(200, &content_type, body)
                }
                Err(_) => typed_reply(403, "application/xml", "<Error><Code>AccessDenied</Code></Error>"),
            };
        }
        if domain.contains(".lambda-url.") {
            return reply(502, "the cookie issuer is not stood in here");
        }
        self.origin(domain, &format!("{origin_path}{path}"), Some(&distribution.arn))
            .await
    }

    /// MediaPackage's origin at `host`: v2's egress, or v1's endpoints.
    async fn origin(&self, host: &str, path: &str, signed_by: Option<&str>) -> Reply {
        if host.contains(".mediapackagev2.") {
            self.v2_origin(path, signed_by).await
        } else {
            self.v1_origin(path, signed_by).await
        }
    }

    /// MediaPackage v1: the endpoint whose URL's directory holds `path`;
    /// one with CDN authorization answers only CloudFront (which sends the
    /// secret header).
    async fn v1_origin(&self, path: &str, signed_by: Option<&str>) -> Reply {
        let listed: Result<Vec<_>, _> = self
            .mediapackage
            .list_origin_endpoints()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        let Ok(listed) = listed else {
            return reply(404, "not found");
        };
        let found = listed.iter().find_map(|endpoint| {
            let url = url::Url::parse(endpoint.url()?).ok()?;
            let manifest = url.path().to_owned();
            let dir = if let Some((dir, _)) = manifest.split_once(".ism/") {
                format!("{}/", dir.rsplit_once('/')?.0)
            } else {
                format!("{}/", manifest.rsplit_once('/')?.0)
            };
            let file = path.strip_prefix(&dir)?.to_owned();
            Some((endpoint, manifest, file))
        });
        let Some((endpoint, manifest, file)) = found else {
            return reply(404, "not found");
        };
        if endpoint.authorization().is_some() && signed_by.is_none() {
            return typed_reply(403, "text/plain", "Forbidden");
        }
        let whole = path == manifest;
        // The package decides, in the order the faithful layer shapes the URLs.
        let whole_or = |name: &'static str| if whole { name } else { file.as_str() };
        let (dir, file) = if endpoint.dash_package().is_some() {
            ("cmaf", whole_or("manifest.mpd"))
        } else if endpoint.mss_package().is_some() {
            match file.split_once(".ism/") {
                Some((_, inside)) => ("mss", inside),
                None => return reply(404, "not found"),
            }
        } else if endpoint.cmaf_package().is_some() {
            ("cmaf", whole_or("master.m3u8"))
        } else {
            ("ts", whole_or("master.m3u8"))
        };
        self.media_file(dir, file, false).await
    }

    /// MediaPackage v2's egress: `/out/v1/<group>/<channel>/<endpoint>/<file>`.
    async fn v2_origin(&self, path: &str, signed_by: Option<&str>) -> Reply {
        let Some(rest) = path.strip_prefix("/out/v1/") else {
            return reply(404, "not found");
        };
        let mut parts = rest.splitn(4, '/');
        let (Some(group), Some(channel), Some(endpoint), Some(file)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return reply(404, "not found");
        };
        let policy = self
            .mediapackagev2
            .get_origin_endpoint_policy()
            .channel_group_name(group)
            .channel_name(channel)
            .origin_endpoint_name(endpoint)
            .send()
            .await
            .ok()
            .and_then(|p| serde_json::from_str::<Value>(p.policy()).ok())
            .unwrap_or(Value::Null);
        if !admits(&policy, signed_by) {
            return typed_reply(403, "application/json", r#"{"message":"Forbidden"}"#);
        }
        let Ok(described) = self
            .mediapackagev2
            .get_origin_endpoint()
            .channel_group_name(group)
            .channel_name(channel)
            .origin_endpoint_name(endpoint)
            .send()
            .await
        else {
            return reply(404, "no such endpoint");
        };
        let named = |names: &[&str], suffix: &str| names.iter().any(|n| format!("{n}{suffix}") == file);
        let hls: Vec<&str> = described.hls_manifests().iter().map(|m| m.manifest_name()).collect();
        let low_latency: Vec<&str> = described
            .low_latency_hls_manifests()
            .iter()
            .map(|m| m.manifest_name())
            .collect();
        let dash: Vec<&str> = described.dash_manifests().iter().map(|m| m.manifest_name()).collect();
        let container = described.container_type().as_str();
        let (dir, file, low) = match container {
            "TS" if named(&hls, ".m3u8") => ("ts", "master.m3u8", false),
            "TS" => ("ts", file, false),
            "CMAF" if named(&hls, ".m3u8") => ("cmaf", "master.m3u8", false),
            "CMAF" if named(&low_latency, ".m3u8") => ("cmaf", "master.m3u8", true),
            "CMAF" if named(&dash, ".mpd") => ("cmaf", "manifest.mpd", false),
            "CMAF" => match file.strip_prefix("ll-") {
                Some(variant) => ("cmaf", variant, true),
                None => ("cmaf", file, false),
            },
            "ISM" => match file.split_once(".ism/") {
                Some((_, inside)) => ("mss", inside, false),
                None => return reply(404, "not found"),
            },
            _ => return reply(404, "not found"),
        };
        self.media_file(dir, file, low).await
    }

    /// The packaged test source's `dir/file`, a playlist in its low-latency
    /// form when `low`.
    async fn media_file(&self, dir: &str, file: &str, low: bool) -> Reply {
        served_file(&self.media.join(dir), file, low).await
    }
}

/// ffmpeg's `file` in `dir`, with its type; a playlist in its low-latency
/// form when `low_latency` (the browser test's origin serves its live
/// streams with it too).
pub async fn served_file(dir: &Path, file: &str, low_latency: bool) -> Reply {
    let Ok(body) = tokio::fs::read(dir.join(file)).await else {
        return reply(404, "not found");
    };
    if low_latency && file.ends_with(".m3u8") {
        return typed_reply(
            200,
            content_type(file),
            low_latency_hls(&String::from_utf8_lossy(&body)),
        );
    }
    typed_reply(200, content_type(file), body)
}

/// Whether an endpoint policy lets a read in: an unsigned request when an
/// Allow names anyone; CloudFront's, signed for `signed_by`, when an Allow
/// names the CloudFront service with that `AWS:SourceArn`. A matching Deny
/// refuses either.
fn admits(policy: &Value, signed_by: Option<&str>) -> bool {
    let statements: Vec<&Value> = match &policy["Statement"] {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    let strings = |value: &Value| -> Vec<String> {
        match value {
            Value::Array(items) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            Value::String(one) => vec![one.clone()],
            _ => Vec::new(),
        }
    };
    let matches = |statement: &Value| {
        let reads = strings(&statement["Action"])
            .iter()
            .any(|a| a == "mediapackagev2:GetObject" || a == "mediapackagev2:*" || a == "*");
        let principal = &statement["Principal"];
        let anyone = principal == "*" || principal["AWS"] == "*";
        let source = ["StringEquals", "ArnEquals", "StringLike", "ArnLike"]
            .iter()
            .flat_map(|op| {
                let block = &statement["Condition"][op];
                ["AWS:SourceArn", "aws:SourceArn", "aws:sourcearn"].map(|k| block[k].clone())
            })
            .flat_map(|v| strings(&v))
            .collect::<Vec<_>>();
        let cloudfront = strings(&principal["Service"])
            .iter()
            .any(|s| s == "cloudfront.amazonaws.com")
            && signed_by.is_some_and(|arn| source.iter().any(|s| s == arn));
        reads && (anyone || cloudfront)
    };
    let denied = statements.iter().any(|s| s["Effect"] == "Deny" && matches(s));
    let allowed = statements.iter().any(|s| s["Effect"] == "Allow" && matches(s));
    allowed && !denied
}

/// A media file's type by its extension, as an origin serves it.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "m3u8" => "application/vnd.apple.mpegurl",
        "ts" => "video/mp2t",
        "mpd" => "application/dash+xml",
        "m4s" => "video/iso.segment",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// The stack's test source packaged once per process into
/// `target/edge-media/<pid>/`: `ts/` (HLS with MPEG-TS segments), `cmaf/`
/// (HLS with fragmented-MP4 segments, and DASH beside it) and `mss/`
/// (Smooth Streaming), copied from the source, not encoded again.
fn packaged() -> Result<&'static PathBuf, String> {
    static PACKAGED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PACKAGED
        .get_or_init(|| {
            let source = crate::demo_source::rendered();
            let out = crate::workspace_root().join(format!("target/edge-media/{}", std::process::id()));
            package(source, &out).map(|()| out)
        })
        .as_ref()
        .map_err(Clone::clone)
}

#[rustfmt::skip]
fn package(source: &Path, out: &Path) -> Result<(), String> {
    let hls = ["-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-master_pl_name", "master.m3u8"];
    let runs: [(&str, Vec<&str>); 4] = [
        ("ts", [&hls[..], &["-hls_segment_filename", "ts_%03d.ts", "stream.m3u8"]].concat()),
        ("cmaf", [&hls[..], &["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
            "-hls_segment_filename", "cmaf_%03d.m4s", "stream.m3u8"]].concat()),
        ("cmaf", vec!["-f", "dash", "-seg_duration", "2", "-use_template", "1", "-use_timeline", "1",
            "-adaptation_sets", "id=0,streams=v id=1,streams=a", "manifest.mpd"]),
        ("mss", vec!["-f", "smoothstreaming", "-min_frag_duration", "2000000", "."]),
    ];
    for (dir, format) in runs {
        let dir = out.join(dir);
        std::fs::create_dir_all(&dir).map_err(|err| format!("making {}: {err}", dir.display()))?;
        let done = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i"])
            .arg(source)
            .args(["-map", "0:v", "-map", "0:a", "-c", "copy"])
            .args(format)
            .current_dir(&dir)
            .output()
            .map_err(|err| format!("starting ffmpeg: {err}; install it with ./deployment/bootstrap.sh --media-tools"))?;
        if !done.status.success() {
            return Err(format!(
                "ffmpeg could not package the test source into {}: {}",
                dir.display(),
                String::from_utf8_lossy(&done.stderr).trim()
            ));
        }
    }
    first_fragment_times(&out.join("mss"))
}

/// ffmpeg's Smooth manifest leaves out the first chunk's `t` (so a player
/// takes 0), while its fragments start where the source's edit list puts
/// them; MediaPackage writes `t`. Each stream's first `<c>` gets the time
/// of its earliest fragment on disk.
fn first_fragment_times(dir: &Path) -> Result<(), String> {
    let path = dir.join("Manifest");
    let manifest = std::fs::read_to_string(&path).map_err(|err| format!("reading {}: {err}", path.display()))?;
    let mut times: BTreeMap<String, u64> = BTreeMap::new();
    for level in std::fs::read_dir(dir)
        .map_err(|err| err.to_string())?
        .filter_map(Result::ok)
    {
        for fragment in std::fs::read_dir(level.path())
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let name = fragment.file_name().to_string_lossy().into_owned();
            if let Some((kind, time)) = name
                .strip_prefix("Fragments(")
                .and_then(|rest| rest.strip_suffix(')'))
                .and_then(|rest| rest.split_once('='))
                && let Ok(time) = time.parse::<u64>()
            {
                let earliest = times.entry(kind.to_owned()).or_insert(time);
                *earliest = (*earliest).min(time);
            }
        }
    }
    let mut blocks = manifest.split("<StreamIndex ");
    let mut fixed = blocks.next().unwrap_or_default().to_owned();
    for block in blocks {
        let kind = block
            .split("Type=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default();
        fixed.push_str("<StreamIndex ");
        match times.get(kind) {
            Some(time) => fixed.push_str(&block.replacen("<c ", &format!("<c t=\"{time}\" "), 1)),
            None => fixed.push_str(block),
        }
    }
    std::fs::write(&path, fixed).map_err(|err| format!("writing {}: {err}", path.display()))
}

/// An HLS playlist in its low-latency form: a multivariant playlist's
/// variants point at their low-latency form (`ll-`), and a media playlist
/// lists each segment as one independent part too, under the
/// server-control and part-target tags (RFC 8216bis, 4.4.3.7 and 4.4.3.8)
/// that turn on a player's low-latency loading.
pub fn low_latency_hls(playlist: &str) -> String {
    if playlist.contains("#EXT-X-STREAM-INF") {
        return playlist
            .lines()
            .map(|line| {
                if line.ends_with(".m3u8") && !line.starts_with('#') {
                    format!("ll-{line}\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
    }
    let longest = playlist
        .lines()
        .filter_map(|line| line.strip_prefix("#EXTINF:")?.trim_end_matches(',').parse::<f64>().ok())
        .fold(1.0_f64, f64::max);
    let target = (longest * 10.0).ceil() / 10.0;
    let mut out = String::new();
    let mut duration = None;
    for line in playlist.lines() {
        if line.starts_with("#EXT-X-TARGETDURATION") {
            out.push_str(&format!("{line}\n"));
            out.push_str(&format!(
                "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={:.1}\n",
                3.0 * target
            ));
            out.push_str(&format!("#EXT-X-PART-INF:PART-TARGET={target:.1}\n"));
            continue;
        }
        if let Some(seconds) = line.strip_prefix("#EXTINF:") {
            duration = Some(seconds.trim_end_matches(',').to_owned());
        } else if !line.starts_with('#')
            && !line.is_empty()
            && let Some(seconds) = duration.take()
        {
            out.push_str(&format!(
                "#EXT-X-PART:DURATION={seconds},URI=\"{line}\",INDEPENDENT=YES\n"
            ));
            out.push_str(&format!("#EXTINF:{seconds},\n"));
        }
        if !line.starts_with("#EXTINF:") {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_endpoint_policy_lets_in_whom_it_names() {
        let arn = "arn:aws:cloudfront::123456789012:distribution/E1";
        let cloudfront = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "mediapackagev2:GetObject", "Resource": "x",
            "Condition": {"StringEquals": {"AWS:SourceArn": arn}}}]});
        assert!(admits(&cloudfront, Some(arn)));
        assert!(!admits(&cloudfront, None));
        assert!(!admits(
            &cloudfront,
            Some("arn:aws:cloudfront::123456789012:distribution/E2")
        ));
        let open = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": ["mediapackagev2:GetObject"]}});
        assert!(admits(&open, None) && admits(&open, Some(arn)));
        assert!(!admits(&Value::Null, Some(arn)));
        let denied = json!({"Statement": [open["Statement"].clone(),
            {"Effect": "Deny", "Principal": "*", "Action": "mediapackagev2:*"}]});
        assert!(!admits(&denied, None));
    }
}
