//! What the templates must say that no emulator would catch: MediaPackage
//! v2's low-latency HLS with program date times and distinct child
//! manifest names, endpoint segments a multiple of what MediaLive sends,
//! CloudFront asking the v2 origin only what its policies allow, and the
//! channel started only once the cost guard can hear it run.

use serde_json::Value;
use testkit::live_events::{EVENT_TEMPLATE, FOUNDATION_TEMPLATE, template};
use testkit::stack::Template;

use livestream_resources::profiles::CMAF_SEGMENT_SECONDS;

const TEMPLATES: [&str; 3] = ["template.yaml", FOUNDATION_TEMPLATE, EVENT_TEMPLATE];

fn v2_endpoints(template: &Template) -> Vec<(&str, &Value)> {
    template
        .resources
        .iter()
        .filter(|r| r.kind == "AWS::MediaPackageV2::OriginEndpoint")
        .map(|r| (r.logical_id.as_str(), &r.properties))
        .collect()
}

fn list<'v>(value: &'v Value, key: &str) -> Vec<&'v Value> {
    value[key]
        .as_array()
        .map(|items| items.iter().collect())
        .unwrap_or_default()
}

#[test]
fn low_latency_hls_has_program_date_times_and_every_child_manifest_a_name_of_its_own() {
    let mut low_latency = 0;
    for file in TEMPLATES {
        let template = template(file).unwrap();
        for (id, endpoint) in v2_endpoints(&template) {
            let mut names: Vec<&str> = Vec::new();
            for key in ["HlsManifests", "LowLatencyHlsManifests"] {
                for manifest in list(endpoint, key) {
                    let child = manifest["ChildManifestName"].as_str();
                    assert!(
                        child.is_some() || list(endpoint, "LowLatencyHlsManifests").is_empty(),
                        "{file} {id}: {key} names no ChildManifestName, which would default alike"
                    );
                    names.extend(manifest["ManifestName"].as_str());
                    names.extend(child);
                }
            }
            let mut distinct = names.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), names.len(), "{file} {id}: {names:?}");
            for manifest in list(endpoint, "LowLatencyHlsManifests") {
                low_latency += 1;
                assert!(
                    manifest["ProgramDateTimeIntervalSeconds"].is_number(),
                    "{file} {id}: low-latency HLS without program date times"
                );
            }
        }
    }
    assert!(low_latency >= 2, "template.yaml and event.yaml serve low-latency HLS");
}

#[test]
fn every_v2_endpoint_cuts_segments_a_multiple_of_the_cmaf_ingest_segment() {
    for file in TEMPLATES {
        let template = template(file).unwrap();
        for (id, endpoint) in v2_endpoints(&template) {
            let seconds = endpoint["Segment"]["SegmentDurationSeconds"]
                .as_u64()
                .unwrap_or_else(|| panic!("{file} {id}: no segment duration"));
            assert_eq!(
                seconds % u64::from(CMAF_SEGMENT_SECONDS),
                0,
                "{file} {id}: {seconds} s segments from {CMAF_SEGMENT_SECONDS} s ingest segments"
            );
        }
    }
}

/// `value` with every `Fn::If` on `condition` taken as `holds`.
fn choosing(value: &Value, condition: &str, holds: bool) -> Value {
    match value {
        Value::Object(entries) => {
            if let Some(Value::Array(branches)) = entries.get("Fn::If")
                && branches.first().and_then(Value::as_str) == Some(condition)
            {
                return choosing(&branches[if holds { 1 } else { 2 }], condition, holds);
            }
            Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), choosing(v, condition, holds)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| choosing(v, condition, holds)).collect()),
        other => other.clone(),
    }
}

#[test]
fn cloudfront_asks_the_v2_origin_only_what_its_endpoint_policies_allow() {
    for (file, condition) in [("template.yaml", "UsesV2"), (FOUNDATION_TEMPLATE, "")] {
        let template = template(file).unwrap();
        let distribution = template.resource("Distribution").unwrap();
        let config = choosing(&distribution.properties["DistributionConfig"], condition, true);
        let mut behaviours = vec![config["DefaultCacheBehavior"].clone()];
        behaviours.extend(list(&config, "CacheBehaviors").into_iter().cloned());
        let to_mediapackage: Vec<&Value> = behaviours
            .iter()
            .filter(|b| b["TargetOriginId"] == "mediapackage")
            .collect();
        assert!(to_mediapackage.len() >= 4, "{file}: {behaviours:#?}");
        for behaviour in to_mediapackage {
            for key in ["AllowedMethods", "CachedMethods"] {
                assert_eq!(
                    behaviour[key],
                    serde_json::json!(["GET", "HEAD"]),
                    "{file} {}: {key}",
                    behaviour["PathPattern"]
                );
            }
        }
    }
}

#[test]
fn the_channel_is_started_only_once_the_guards_rule_may_invoke_the_guard() {
    let stack = template("template.yaml").unwrap();
    let start = stack.resource("MediaLiveChannelStart").unwrap();
    assert!(
        start.depends_on.iter().any(|d| d == "ChannelStatePermission"),
        "{:?}",
        start.depends_on
    );
    for file in ["template.yaml", FOUNDATION_TEMPLATE] {
        let template = template(file).unwrap();
        for always in ["ChannelStateRule", "ChannelStatePermission"] {
            let resource = template.resource(always).unwrap();
            assert_eq!(resource.condition, None, "{file} {always} exists whatever the settings");
        }
    }
}
