//! Encoding profiles: MediaLive `EncoderSettings` as JSON files, bundled
//! into the binary.
//!
//! The JSON is turned into the SDK's typed `EncoderSettings` by the SDK's own
//! deserializer: a MediaLive client whose HTTP layer is a local function
//! answers DescribeChannel with the profile. Files may use the REST wire's
//! camelCase (CDK L1) or the CLI's / CloudFormation's PascalCase.
//!
//! [`check`] finds what a typed load would silently drop: it sends the typed
//! settings through a second such client that captures the CreateChannel
//! body and compares it with the file (a misspelled key disappears), and it
//! looks for enum values the model does not know (they survive the trip).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use aws_sdk_medialive::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_medialive::types::{EncoderSettings, InputMaximumBitrate, InputResolution};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::retry::RetryConfig;
use serde_json::{Map, Value, json};

/// A bundled profile and the input it expects.
#[derive(Debug)]
pub struct Profile {
    pub name: &'static str,
    pub file: &'static str,
    pub json: &'static str,
    pub resolution: fn() -> InputResolution,
    pub maximum_bitrate: fn() -> InputMaximumBitrate,
}

pub const PROFILES: &[Profile] = &[
    Profile {
        name: "HD-1080p",
        file: "hd-1080p.json",
        json: include_str!("../encoding-profiles/hd-1080p.json"),
        resolution: || InputResolution::Hd,
        maximum_bitrate: || InputMaximumBitrate::Max20Mbps,
    },
    Profile {
        name: "HD-720p",
        file: "hd-720p.json",
        json: include_str!("../encoding-profiles/hd-720p.json"),
        resolution: || InputResolution::Hd,
        maximum_bitrate: || InputMaximumBitrate::Max10Mbps,
    },
    Profile {
        name: "SD-540p",
        file: "sd-540p.json",
        json: include_str!("../encoding-profiles/sd-540p.json"),
        resolution: || InputResolution::Sd,
        maximum_bitrate: || InputMaximumBitrate::Max10Mbps,
    },
];

pub const NAMES: &[&str] = &["HD-1080p", "HD-720p", "SD-540p"];

/// The bundled profile called `name` (any case).
pub fn find(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|profile| profile.name.eq_ignore_ascii_case(name))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("encoding profile is not JSON: {0}")]
    NotJson(String),
    #[error("encoding profile does not fit MediaLive's EncoderSettings: {0}")]
    Model(String),
}

/// Something in a profile file that MediaLive's model would lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    UnknownKey { path: String },
    UnknownValue { path: String, value: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::UnknownKey { path } => write!(f, "{path}: unknown key (it would be dropped)"),
            Problem::UnknownValue { path, value } => write!(f, "{path}: unknown value {value:?}"),
        }
    }
}

/// The typed settings of a profile file in either casing.
pub async fn encoder_settings(text: &str) -> Result<EncoderSettings, ProfileError> {
    let wire = wire_json(text)?;
    let client = local_client(json!({ "encoderSettings": wire }).to_string(), Arc::default());
    let described = client
        .describe_channel()
        .channel_id("profile")
        .send()
        .await
        .map_err(|err| ProfileError::Model(DisplayErrorContext(&err).to_string()))?;
    described
        .encoder_settings()
        .cloned()
        .ok_or_else(|| ProfileError::Model("no settings".to_owned()))
}

/// How the channel's MediaPackage output group delivers: the profiles are
/// written for MediaPackage v1 (HLS ingest, one output per rendition with
/// its audio); MediaPackage v2 takes CMAF ingest, which carries one track
/// per output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ingest {
    /// MediaPackage v1: the profile as written.
    Hls,
    /// MediaPackage v2: each rendition's video in its own output, one
    /// audio output that every video output names as its rendition group.
    Cmaf,
}

/// The audio rendition group the CMAF-ingest outputs share.
const AUDIO_GROUP: &str = "audio";

/// How long a CMAF ingest segment is: one closed 2-second GOP of the
/// bundled ladders. Set, not left to MediaLive's undocumented default,
/// because MediaPackage v2 rounds an endpoint's segment duration to a
/// multiple of it (v2 API Reference, `Segment.SegmentDurationSeconds`):
/// the templates' endpoints use multiples.
pub const CMAF_SEGMENT_SECONDS: u32 = 2;

/// A profile's text as MediaLive should read it for `ingest`.
///
/// For CMAF ingest the MediaPackage output group is re-cut as MediaLive's
/// guide asks for MediaPackage v2 ("Create a MediaPackage output group",
/// MediaPackage v2 (CMAF)): every video encode in an output of its own, the
/// first rendition's audio in one audio output, the audio descriptions no
/// output uses left out, and segments of [`CMAF_SEGMENT_SECONDS`]. Other
/// output groups are kept as written.
pub fn text_for(text: &str, ingest: Ingest) -> Result<String, ProfileError> {
    if ingest == Ingest::Hls {
        return Ok(text.to_owned());
    }
    let mut settings = wire_json(text)?;
    let mut kept_audio: Vec<Value> = Vec::new();
    for group in settings["outputGroups"].as_array_mut().into_iter().flatten() {
        let is_mediapackage = group["outputGroupSettings"]["mediaPackageGroupSettings"].is_object();
        if !is_mediapackage {
            for output in group["outputs"].as_array().into_iter().flatten() {
                kept_audio.extend(
                    output["audioDescriptionNames"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
            }
            continue;
        }
        group["outputGroupSettings"]["mediaPackageGroupSettings"]["mediapackageV2GroupSettings"] = json!({
            "segmentLength": CMAF_SEGMENT_SECONDS,
            "segmentLengthUnits": "SECONDS"
        });
        let outputs = group["outputs"].take();
        let outputs = outputs.as_array().map(Vec::as_slice).unwrap_or_default();
        let audio = outputs
            .iter()
            .find_map(|output| output["audioDescriptionNames"].get(0).cloned());
        let mut recut: Vec<Value> = outputs
            .iter()
            .filter(|output| output["videoDescriptionName"].is_string())
            .map(|output| {
                json!({
                    "outputName": output["outputName"],
                    "videoDescriptionName": output["videoDescriptionName"],
                    "outputSettings": {"mediaPackageOutputSettings": {"mediaPackageV2DestinationSettings": {
                        "audioRenditionSets": AUDIO_GROUP
                    }}}
                })
            })
            .collect();
        if let Some(audio) = audio {
            recut.push(json!({
                "outputName": AUDIO_GROUP,
                "audioDescriptionNames": [audio.clone()],
                "outputSettings": {"mediaPackageOutputSettings": {"mediaPackageV2DestinationSettings": {
                    "audioGroupId": AUDIO_GROUP,
                    "hlsDefault": "YES",
                    "hlsAutoSelect": "YES"
                }}}
            }));
            kept_audio.push(audio);
        }
        group["outputs"] = Value::Array(recut);
    }
    if let Some(descriptions) = settings["audioDescriptions"].as_array_mut() {
        descriptions.retain(|description| kept_audio.contains(&description["name"]));
    }
    Ok(settings.to_string())
}

/// The typed settings of a bundled profile for `ingest`, deserialised once
/// per Lambda instance (each takes a pass through the SDK's deserialiser).
pub async fn settings_of(profile: &'static Profile, ingest: Ingest) -> Result<EncoderSettings, ProfileError> {
    type Cache = BTreeMap<(&'static str, Ingest), EncoderSettings>;
    static SETTINGS: Mutex<Cache> = Mutex::new(BTreeMap::new());
    let key = (profile.name, ingest);
    let cached = SETTINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
        .cloned();
    if let Some(settings) = cached {
        return Ok(settings);
    }
    let settings = encoder_settings(&text_for(profile.json, ingest)?).await?;
    SETTINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, settings.clone());
    Ok(settings)
}

/// Every key and enum value in the file that MediaLive's model does not
/// know, with its JSON path. Empty when the file is sound.
pub async fn check(text: &str) -> Result<Vec<Problem>, ProfileError> {
    let wire = wire_json(text)?;
    let settings = encoder_settings(text).await?;
    let sent = Arc::new(Mutex::new(None));
    let client = local_client(json!({ "channel": {} }).to_string(), Arc::clone(&sent));
    client
        .create_channel()
        .encoder_settings(settings.clone())
        .send()
        .await
        .map_err(|err| ProfileError::Model(DisplayErrorContext(&err).to_string()))?;
    let body = sent
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .unwrap_or_default();
    let round_trip = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null)["encoderSettings"].clone();

    let mut problems = Vec::new();
    dropped_keys(&wire, &round_trip, "$", &mut problems);
    for value in unknown_enum_values(&settings) {
        for path in paths_of_string(&wire, &value, "$") {
            problems.push(Problem::UnknownValue {
                path,
                value: value.clone(),
            });
        }
    }
    problems.sort_by_key(ToString::to_string);
    problems.dedup();
    Ok(problems)
}

/// The file as the REST wire spells it: keys in lowerCamelCase.
fn wire_json(text: &str) -> Result<Value, ProfileError> {
    let value: Value = serde_json::from_str(text).map_err(|err| ProfileError::NotJson(err.to_string()))?;
    // A file may wrap the settings as the CLI's create-channel input does.
    let value = match value {
        Value::Object(mut map) if map.len() == 1 && map.keys().any(|k| k.eq_ignore_ascii_case("EncoderSettings")) => {
            map.values_mut().next().map(Value::take).unwrap_or_default()
        }
        other => other,
    };
    Ok(camel_case_keys(value))
}

fn camel_case_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let mut chars = key.chars();
                    let camel = match chars.next() {
                        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
                        None => key,
                    };
                    (camel, camel_case_keys(value))
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

/// Keys of `original` that did not come back in `round_trip`.
fn dropped_keys(original: &Value, round_trip: &Value, path: &str, problems: &mut Vec<Problem>) {
    match (original, round_trip) {
        (Value::Object(original), Value::Object(round_trip)) => {
            for (key, value) in original {
                let child = format!("{path}.{key}");
                match round_trip.get(key) {
                    Some(back) => dropped_keys(value, back, &child, problems),
                    None => problems.push(Problem::UnknownKey { path: child }),
                }
            }
        }
        (Value::Object(original), _) => {
            for key in original.keys() {
                problems.push(Problem::UnknownKey {
                    path: format!("{path}.{key}"),
                });
            }
        }
        (Value::Array(original), Value::Array(round_trip)) => {
            for (index, value) in original.iter().enumerate() {
                dropped_keys(
                    value,
                    round_trip.get(index).unwrap_or(&Value::Null),
                    &format!("{path}[{index}]"),
                    problems,
                );
            }
        }
        _ => {}
    }
}

/// Enum strings the SDK kept as `Unknown(..)`; they show in its Debug form.
fn unknown_enum_values(settings: &EncoderSettings) -> Vec<String> {
    const MARK: &str = "UnknownVariantValue(\"";
    let debug = format!("{settings:?}");
    let mut values = Vec::new();
    let mut rest = debug.as_str();
    while let Some(start) = rest.find(MARK) {
        rest = &rest[start + MARK.len()..];
        if let Some(end) = rest.find('"') {
            values.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    values.sort();
    values.dedup();
    values
}

fn paths_of_string(value: &Value, needle: &str, path: &str) -> Vec<String> {
    match value {
        Value::String(s) if s == needle => vec![path.to_owned()],
        Value::Object(map) => map
            .iter()
            .flat_map(|(key, value)| paths_of_string(value, needle, &format!("{path}.{key}")))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(index, value)| paths_of_string(value, needle, &format!("{path}[{index}]")))
            .collect(),
        _ => Vec::new(),
    }
}

/// A MediaLive client that never leaves the process: every call is answered
/// with `answer`, and the last request body is kept in `sent`.
fn local_client(answer: String, sent: Arc<Mutex<Option<Vec<u8>>>>) -> aws_sdk_medialive::Client {
    let connector = SharedHttpConnector::new(LocalAnswer { answer, sent });
    let config = aws_sdk_medialive::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "profiles"))
        .endpoint_url("http://profiles.local")
        .retry_config(RetryConfig::disabled())
        .http_client(http_client_fn(move |_, _| connector.clone()))
        .build();
    aws_sdk_medialive::Client::from_conf(config)
}

#[derive(Debug)]
struct LocalAnswer {
    answer: String,
    sent: Arc<Mutex<Option<Vec<u8>>>>,
}

impl HttpConnector for LocalAnswer {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if let Some(body) = request.body().bytes() {
            *self.sent.lock().unwrap_or_else(PoisonError::into_inner) = Some(body.to_vec());
        }
        let status = match StatusCode::try_from(200u16) {
            Ok(status) => status,
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::other(err.into(), None))),
        };
        let mut response = HttpResponse::new(status, SdkBody::from(self.answer.clone()));
        response.headers_mut().insert("content-type", "application/json");
        HttpConnectorFuture::ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_shipped_profile_is_sound() {
        for profile in PROFILES {
            let problems = check(profile.json).await.unwrap();
            assert!(problems.is_empty(), "{}: {problems:?}", profile.file);
        }
    }

    #[tokio::test]
    async fn every_shipped_profile_is_sound_for_cmaf_ingest() {
        for profile in PROFILES {
            let text = text_for(profile.json, Ingest::Cmaf).unwrap();
            let problems = check(&text).await.unwrap();
            assert!(problems.is_empty(), "{} for CMAF ingest: {problems:?}", profile.file);
        }
    }

    #[tokio::test]
    async fn cmaf_ingest_carries_one_track_per_output_and_one_shared_audio() {
        for profile in PROFILES {
            let v1 = settings_of(profile, Ingest::Hls).await.unwrap();
            let v2 = settings_of(profile, Ingest::Cmaf).await.unwrap();
            assert_eq!(
                v2.video_descriptions(),
                v1.video_descriptions(),
                "{}: same ladder",
                profile.name
            );
            let group_settings = v2.output_groups()[0]
                .output_group_settings()
                .and_then(|g| g.media_package_group_settings())
                .and_then(|m| m.mediapackage_v2_group_settings())
                .unwrap();
            assert_eq!(group_settings.segment_length(), Some(CMAF_SEGMENT_SECONDS as i32));
            assert_eq!(
                group_settings.segment_length_units().map(|u| u.as_str()),
                Some("SECONDS"),
                "{}: segments of a set length",
                profile.name
            );
            // The ladders' GOPs are that long, so each segment is one GOP.
            for video in v2.video_descriptions() {
                let gop = video
                    .codec_settings()
                    .and_then(|c| c.h264_settings())
                    .and_then(|h| h.gop_size());
                assert_eq!(gop, Some(f64::from(CMAF_SEGMENT_SECONDS)), "{}", profile.name);
            }
            let outputs = v2.output_groups()[0].outputs();
            assert_eq!(outputs.len(), v1.video_descriptions().len() + 1, "{}", profile.name);
            let audio = outputs.last().unwrap();
            assert_eq!(audio.video_description_name(), None);
            assert_eq!(audio.audio_description_names().len(), 1);
            assert_eq!(
                v2.audio_descriptions().len(),
                1,
                "unused audio descriptions are left out"
            );
            let destination = |o: &aws_sdk_medialive::types::OutputSettings| {
                o.media_package_output_settings()
                    .and_then(|m| m.media_package_v2_destination_settings())
                    .cloned()
                    .unwrap()
            };
            assert_eq!(
                destination(audio.output_settings().unwrap()).audio_group_id(),
                Some("audio")
            );
            for video in &outputs[..outputs.len() - 1] {
                assert!(
                    video.audio_description_names().is_empty(),
                    "{}: one track per output",
                    profile.name
                );
                assert!(video.video_description_name().is_some());
                let settings = destination(video.output_settings().unwrap());
                assert_eq!(settings.audio_rendition_sets(), Some("audio"));
            }
        }
    }

    #[tokio::test]
    async fn ladders_follow_the_reference() {
        let expect = [
            (
                "HD-1080p",
                vec![(1920, 1080, 4_100_000, 9, "HIGH"), (1280, 720, 2_700_000, 8, "MAIN")],
                6,
            ),
            ("HD-720p", vec![(1280, 720, 2_700_000, 8, "MAIN")], 5),
            (
                "SD-540p",
                vec![(960, 540, 1_800_000, 7, "MAIN"), (512, 288, 400_000, 6, "MAIN")],
                4,
            ),
        ];
        for (name, rungs, count) in expect {
            let settings = encoder_settings(find(name).unwrap().json).await.unwrap();
            let videos = settings.video_descriptions();
            assert_eq!(videos.len(), count, "{name}");
            assert_eq!(settings.audio_descriptions().len(), count, "one audio per output");
            let outputs = &settings.output_groups()[0].outputs();
            assert_eq!(outputs.len(), count);
            for (width, height, bitrate, qvbr, h264_profile) in rungs {
                let video = videos.iter().find(|v| v.width() == Some(width)).unwrap();
                assert_eq!(video.height(), Some(height));
                let h264 = video.codec_settings().unwrap().h264_settings().unwrap();
                assert_eq!(h264.max_bitrate(), Some(bitrate));
                assert_eq!(h264.buf_size(), Some(2 * bitrate));
                assert_eq!(h264.qvbr_quality_level(), Some(qvbr));
                assert_eq!(h264.profile().map(|p| p.as_str()), Some(h264_profile));
                assert_eq!(
                    (h264.gop_size(), h264.gop_closed_cadence(), h264.gop_num_b_frames()),
                    (Some(2.0), Some(1), Some(3))
                );
                assert_eq!(h264.num_ref_frames(), Some(5));
                let output = outputs
                    .iter()
                    .find(|o| o.video_description_name() == video.name())
                    .unwrap();
                assert_eq!(output.output_name(), Some(format!("{width}x{height}").as_str()));
            }
            for audio in settings.audio_descriptions() {
                let aac = audio.codec_settings().unwrap().aac_settings().unwrap();
                assert_eq!((aac.bitrate(), aac.sample_rate()), (Some(96_000.0), Some(48_000.0)));
                assert!(
                    outputs
                        .iter()
                        .any(|o| o.audio_description_names().contains(&audio.name().unwrap().to_owned()))
                );
            }
        }
    }

    #[tokio::test]
    async fn pascal_case_files_load_like_camel_case_ones() {
        fn pascal(value: Value) -> Value {
            match value {
                Value::Object(map) => Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (k[..1].to_ascii_uppercase() + &k[1..], pascal(v)))
                        .collect(),
                ),
                Value::Array(items) => Value::Array(items.into_iter().map(pascal).collect()),
                other => other,
            }
        }
        let camel = PROFILES[2].json;
        let pascal_text = pascal(serde_json::from_str(camel).unwrap()).to_string();
        assert!(pascal_text.contains("\"VideoDescriptions\""));
        assert_eq!(
            encoder_settings(&pascal_text).await.unwrap(),
            encoder_settings(camel).await.unwrap()
        );
        let wrapped = json!({ "EncoderSettings": serde_json::from_str::<Value>(&pascal_text).unwrap() }).to_string();
        assert!(check(&wrapped).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn misspelled_keys_and_unknown_values_are_reported_with_their_path() {
        let mut profile: Value = serde_json::from_str(PROFILES[2].json).unwrap();
        let aac = &mut profile["audioDescriptions"][0]["codecSettings"]["aacSettings"];
        let rate = aac.as_object_mut().unwrap().remove("sampleRate").unwrap();
        aac["qampleRate"] = rate;
        profile["availConfiguration"]["availSettings"]["scte35SpliceInsert"]["nNoRegionalBlackoutFlag"] =
            json!("FOLLOW");
        profile["videoDescriptions"][1]["codecSettings"]["h264Settings"]["profile"] = json!("ULTRA");
        let problems: Vec<String> = check(&profile.to_string())
            .await
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            vec![
                "$.audioDescriptions[0].codecSettings.aacSettings.qampleRate: unknown key (it would be dropped)",
                "$.availConfiguration.availSettings.scte35SpliceInsert.nNoRegionalBlackoutFlag: unknown key (it would be dropped)",
                "$.videoDescriptions[1].codecSettings.h264Settings.profile: unknown value \"ULTRA\"",
            ]
        );
    }

    #[tokio::test]
    async fn broken_files_are_errors() {
        assert!(matches!(check("{").await, Err(ProfileError::NotJson(_))));
        assert!(matches!(
            encoder_settings(r#"{"videoDescriptions": "not a list"}"#).await,
            Err(ProfileError::Model(_))
        ));
    }

    #[test]
    fn profiles_are_found_in_any_case() {
        assert_eq!(find("hd-720P").unwrap().name, "HD-720p");
        assert!(find("4K").is_none());
        assert_eq!(PROFILES.iter().map(|p| p.name).collect::<Vec<_>>(), NAMES);
    }
}
