//! Every validation rule: the request fails naming the property, and no AWS
//! call is made (AWS here is an endpoint that records every request).

use crate::common::*;
use serde_json::{Value, json};
use testkit::events::event;
use testkit::receiver::Receiver;

struct Case {
    kind: &'static str,
    props: Value,
    /// The Reason must start with this.
    reason: String,
}

fn case(kind: &'static str, props: Value, reason: impl Into<String>) -> Case {
    Case {
        kind,
        props,
        reason: reason.into(),
    }
}

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cdn-AbC";
const ROLE: &str = "arn:aws:iam::123456789012:role/mp";

fn endpoint(packaging: &str, extra: Value) -> Value {
    let mut props = json!({"EndPoint": packaging, "ChannelId": "live"});
    props
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    props
}

const ROLE_ML: &str = "arn:aws:iam::123456789012:role/MediaLiveAccess";

/// A valid channel, changed by `overrides` (null removes a property).
fn channel(overrides: Value) -> Value {
    let mut props = json!({"Name": "live", "InputId": "1234567", "Role": ROLE_ML, "EncodingProfile": "HD-720p",
                           "MediaPackageChannelId": "live-mp"});
    for (key, value) in overrides.as_object().unwrap() {
        if value.is_null() {
            props.as_object_mut().unwrap().remove(key);
        } else {
            props[key] = value.clone();
        }
    }
    props
}

fn cases() -> Vec<Case> {
    let e = "MediaPackageEndPoint";
    let (i, c) = ("MediaLiveInput", "MediaLiveChannel");
    let mut cases = vec![
        // MediaPackageChannel
        case("MediaPackageChannel", json!({}), "property ChannelId is required"),
        case(
            "MediaPackageChannel",
            json!({"ChannelId": "live stream"}),
            "property ChannelId must be 1 to 256 letters",
        ),
        case(
            "MediaPackageChannel",
            json!({"ChannelId": "live", "Description": "x".repeat(1001)}),
            "property Description must be at most 1000",
        ),
        case(
            "MediaPackageChannel",
            json!({"ChannelID": "live"}),
            "unknown property ChannelID (did you mean ChannelId?)",
        ),
        // MediaPackageEndPoint: identity
        case(e, json!({"ChannelId": "live"}), "property EndPoint is required"),
        case(
            e,
            json!({"EndPoint": "RTMP", "ChannelId": "live"}),
            "property EndPoint must be one of HLS, DASH, CMAF, MSS",
        ),
        case(e, json!({"EndPoint": "HLS"}), "property ChannelId is required"),
        case(e, endpoint("HLS", json!({"Id": "a/b"})), "property Id must be 1 to 256"),
        case(
            e,
            endpoint("HLS", json!({"ManifestName": "index.m3u8"})),
            "property ManifestName must be 1 to 256",
        ),
        case(
            e,
            endpoint("HLS", json!({"Description": "x".repeat(1001)})),
            "property Description must be at most 1000",
        ),
        case(
            e,
            endpoint("HLS", json!({"SegmentDuration": "6"})),
            "unknown property SegmentDuration (did you mean SegmentDurationSeconds?)",
        ),
        // CDN authorization
        case(
            e,
            endpoint("HLS", json!({"CdnIdentifierSecret": SECRET})),
            "property SecretsRoleArn is required with CdnIdentifierSecret",
        ),
        case(
            e,
            endpoint("HLS", json!({"SecretsRoleArn": ROLE})),
            "property CdnIdentifierSecret is required with SecretsRoleArn",
        ),
        case(
            e,
            endpoint(
                "HLS",
                json!({"CdnIdentifierSecret": "my-secret", "SecretsRoleArn": ROLE}),
            ),
            "property CdnIdentifierSecret must be an ARN",
        ),
        case(
            e,
            endpoint(
                "HLS",
                json!({"CdnIdentifierSecret": SECRET, "SecretsRoleArn": "arn:aws:iam::123456789012:user/u"}),
            ),
            "property SecretsRoleArn must be an ARN",
        ),
        // Numbers and their relations
        case(
            e,
            endpoint("HLS", json!({"SegmentDurationSeconds": "0"})),
            "property SegmentDurationSeconds must be a whole number from 1 to 30",
        ),
        case(
            e,
            endpoint("HLS", json!({"SegmentDurationSeconds": "six"})),
            "property SegmentDurationSeconds must be a whole number",
        ),
        case(
            e,
            endpoint("HLS", json!({"PlaylistWindowSeconds": "4"})),
            "property PlaylistWindowSeconds must be at least SegmentDurationSeconds",
        ),
        case(
            e,
            endpoint("DASH", json!({"ManifestWindowSeconds": "-1"})),
            "property ManifestWindowSeconds must be a whole number",
        ),
        case(
            e,
            endpoint("HLS", json!({"StartoverWindowSeconds": "1209601"})),
            "property StartoverWindowSeconds must be a whole number from 0 to 1209600",
        ),
        case(
            e,
            endpoint("HLS", json!({"TimeDelaySeconds": "3"})),
            "property TimeDelaySeconds must be 0 (off) or from 5",
        ),
        case(
            e,
            endpoint("HLS", json!({"TimeDelaySeconds": "90000"})),
            "property TimeDelaySeconds must be a whole number from 0 to 86400",
        ),
        case(
            e,
            endpoint("HLS", json!({"StartoverWindowSeconds": "60", "TimeDelaySeconds": "60"})),
            "property TimeDelaySeconds must be less than StartoverWindowSeconds",
        ),
        case(
            e,
            endpoint("HLS", json!({"ProgramDateTimeIntervalSeconds": "-5"})),
            "property ProgramDateTimeIntervalSeconds must be a whole number",
        ),
        case(
            e,
            endpoint("DASH", json!({"MinBufferTimeSeconds": "x"})),
            "property MinBufferTimeSeconds must be a whole number",
        ),
        case(
            e,
            endpoint("DASH", json!({"MinUpdatePeriodSeconds": "3601"})),
            "property MinUpdatePeriodSeconds must be a whole number",
        ),
        case(
            e,
            endpoint("DASH", json!({"SuggestedPresentationDelaySeconds": "1.5"})),
            "property SuggestedPresentationDelaySeconds must be a whole number",
        ),
        case(
            e,
            endpoint("HLS", json!({"MinVideoBitsPerSecond": "-1"})),
            "property MinVideoBitsPerSecond must be a whole number",
        ),
        case(
            e,
            endpoint("HLS", json!({"MaxVideoBitsPerSecond": "4294967296"})),
            "property MaxVideoBitsPerSecond must be a whole number",
        ),
        case(
            e,
            endpoint(
                "HLS",
                json!({"MinVideoBitsPerSecond": "5000000", "MaxVideoBitsPerSecond": "1000000"}),
            ),
            "property MinVideoBitsPerSecond must not exceed MaxVideoBitsPerSecond",
        ),
        // Enums and booleans
        case(
            e,
            endpoint("HLS", json!({"AdMarkers": "SCTE35"})),
            "property AdMarkers must be one of NONE, SCTE35_ENHANCED, PASSTHROUGH, DATERANGE",
        ),
        case(
            e,
            endpoint("HLS", json!({"IncludeIframeOnlyStream": "maybe"})),
            "property IncludeIframeOnlyStream must be true, false, Yes or No",
        ),
        case(
            e,
            endpoint("HLS", json!({"UseAudioRenditionGroup": "2"})),
            "property UseAudioRenditionGroup must be true, false, Yes or No",
        ),
        case(
            e,
            endpoint("DASH", json!({"SegmentTemplateFormat": "NUMBER"})),
            "property SegmentTemplateFormat must be one of",
        ),
        case(
            e,
            endpoint("DASH", json!({"PeriodTriggers": "ADS,SCTE"})),
            "property PeriodTriggers may hold ADS or NONE",
        ),
        case(
            e,
            endpoint("DASH", json!({"Profile": "HBBTV"})),
            "property Profile must be one of",
        ),
        case(
            e,
            endpoint("MSS", json!({"StreamOrder": "RANDOM"})),
            "property StreamOrder must be one of",
        ),
        // MediaPackageCdnSecret
        case(
            "MediaPackageCdnSecret",
            json!({"Name": "has space"}),
            "property Name must be at most 512",
        ),
        case(
            "MediaPackageCdnSecret",
            json!({"Description": "x".repeat(2049)}),
            "property Description must be at most 2048",
        ),
        case(
            "MediaPackageCdnSecret",
            json!({"Value": "mine"}),
            "unknown property Value",
        ),
        // MediaPackageEndPointUrl
        case("MediaPackageEndPointUrl", json!({}), "property EndpointId is required"),
        // MediaLiveInput
        case(i, json!({}), "property Type is required"),
        case(
            i,
            json!({"Type": "MULTICAST"}),
            "property Type must be one of RTP_PUSH, RTMP_PUSH",
        ),
        case(i, json!({"Type": "SRT_CALLER"}), "property PriUrl is required"),
        case(
            i,
            json!({"Type": "SRT_LISTENER", "Cidr": "203.0.113.0/24"}),
            "property SrtPassphraseSecretArn is required for SRT_LISTENER",
        ),
        case(i, json!({"Type": "RTP_PUSH"}), "property Cidr is required"),
        case(
            i,
            json!({"Type": "RTP_PUSH", "Cidr": "10.0.0.0/33"}),
            "property Cidr must be IPv4 CIDR blocks",
        ),
        case(
            i,
            json!({"Type": "RTP_PUSH", "Cidr": "10.0.0.0/8,not-a-cidr"}),
            "property Cidr must be IPv4 CIDR blocks",
        ),
        case(
            i,
            json!({"Type": "RTMP_PUSH", "Cidr": "0.0.0.0/0", "StreamName": "a/b"}),
            "property StreamName must be letters",
        ),
        case(
            i,
            json!({"Type": "RTP_PUSH", "Cidr": "0.0.0.0/0", "StreamName": "x"}),
            "property StreamName does not apply to Type RTP_PUSH",
        ),
        case(
            i,
            json!({"Type": "URL_PULL", "Cidr": "0.0.0.0/0", "PriUrl": "https://a/x.m3u8", "SecUrl": "https://b/x.m3u8"}),
            "property Cidr does not apply to Type URL_PULL",
        ),
        case(
            i,
            json!({"Type": "URL_PULL", "SecUrl": "https://b/x.m3u8"}),
            "property PriUrl is required",
        ),
        case(
            i,
            json!({"Type": "URL_PULL", "PriUrl": "https://a/x.m3u8"}),
            "property SecUrl is required for ChannelClass STANDARD",
        ),
        case(
            i,
            json!({"Type": "URL_PULL", "ChannelClass": "SINGLE_PIPELINE", "PriUrl": "https://a/x.m3u8", "SecUrl": "https://b/x.m3u8"}),
            "property SecUrl does not apply to ChannelClass SINGLE_PIPELINE",
        ),
        case(
            i,
            json!({"Type": "URL_PULL", "ChannelClass": "SINGLE", "PriUrl": "https://a/x.m3u8"}),
            "property ChannelClass must be one of STANDARD, SINGLE_PIPELINE",
        ),
        case(
            i,
            json!({"Type": "URL_PULL", "PriUrl": "rtmp://a/x", "SecUrl": "https://b/x.m3u8"}),
            "property PriUrl must be a http or https URL for URL_PULL",
        ),
        case(
            i,
            json!({"Type": "RTMP_PULL", "PriUrl": "https://a/x", "SecUrl": "rtmp://b/x"}),
            "property PriUrl must be a rtmp or rtmps URL",
        ),
        case(
            i,
            json!({"Type": "RTMP_PULL", "PriUrl": "rtmp://a/x", "SecUrl": "rtmp://b/x", "PriPass": "s3cret"}),
            "property PriUser is required with PriPass",
        ),
        case(
            i,
            json!({"Type": "MP4_FILE", "PriUrl": "s3://b/a.mp4", "SecUrl": "s3://b/a.mp4", "PriUser": "u"}),
            "property PriUser does not apply to Type MP4_FILE",
        ),
        case(
            i,
            json!({"Type": "MEDIACONNECT", "PriMediaConnectArn": "arn:aws:mediaconnect:us-east-1:123456789012:flow:a:b", "SecMediaConnectArn": "arn:aws:mediaconnect:us-east-1:123456789012:flow:c:d"}),
            "property RoleArn is required",
        ),
        case(
            i,
            json!({"Type": "MEDIACONNECT", "RoleArn": ROLE, "PriMediaConnectArn": "flow-1", "SecMediaConnectArn": "flow-2"}),
            "property PriMediaConnectArn must be an ARN",
        ),
        case(
            i,
            json!({"Type": "INPUT_DEVICE", "PriDeviceId": "hd-1"}),
            "property SecDeviceId is required for ChannelClass STANDARD",
        ),
        case(
            i,
            json!({"Type": "INPUT_DEVICE", "PriDeviceId": "hd-1", "SecDeviceId": "hd-2", "PriUrl": "https://x"}),
            "property PriUrl does not apply to Type INPUT_DEVICE",
        ),
        case(
            i,
            json!({"Type": "URL_PULL", "PriUrl": "https://a/x.m3u8", "SecUrl": "https://b/x.m3u8", "PriPassword": "x"}),
            "unknown property PriPassword (did you mean PriPass?)",
        ),
        // MediaLiveChannel
        case(c, channel(json!({"Name": null})), "property Name is required"),
        case(c, channel(json!({"InputId": ""})), "property InputId is required"),
        case(c, channel(json!({"Role": null})), "property Role is required"),
        case(
            c,
            channel(json!({"Foundation": "live"})),
            "property Foundation must be an ARN",
        ),
        case(
            c,
            channel(json!({"Role": "MediaLiveAccess"})),
            "property Role must be an ARN",
        ),
        case(
            c,
            channel(json!({"EncodingProfile": null})),
            "property EncodingProfile is required",
        ),
        case(
            c,
            channel(json!({"EncodingProfile": "UHD-2160p"})),
            "property EncodingProfile must be one of HD-1080p, HD-720p, SD-540p",
        ),
        case(
            c,
            channel(json!({"MediaPackageChannelId": null})),
            "property MediaPackageChannelId is required",
        ),
        case(
            c,
            channel(json!({"MediaPackageChannelId": "has space"})),
            "property MediaPackageChannelId must be 1 to 256",
        ),
        case(
            c,
            channel(json!({"MediaPackageV2ChannelGroup": "live", "MediaPackageV2ChannelName": "live"})),
            "property MediaPackageChannelId names a MediaPackage v1 channel; give it or MediaPackageV2ChannelGroup and MediaPackageV2ChannelName (v2), not both",
        ),
        case(
            c,
            channel(json!({"MediaPackageChannelId": null, "MediaPackageV2ChannelGroup": "live"})),
            "property MediaPackageV2ChannelName is required",
        ),
        case(
            c,
            channel(
                json!({"MediaPackageChannelId": null, "MediaPackageV2ChannelGroup": "live/group", "MediaPackageV2ChannelName": "live"}),
            ),
            "property MediaPackageV2ChannelGroup must be 1 to 256",
        ),
        case(
            c,
            channel(json!({"Codec": "VP9"})),
            "property Codec must be one of AVC, HEVC, MPEG2",
        ),
        case(
            c,
            channel(json!({"ChannelClass": "DOUBLE"})),
            "property ChannelClass must be one of",
        ),
        case(c, channel(json!({"Type": "WEBRTC"})), "property Type must be one of"),
        case(
            c,
            channel(json!({"SourceEndBehavior": "REPEAT"})),
            "property SourceEndBehavior must be one of LOOP, CONTINUE",
        ),
        case(
            c,
            channel(json!({"LogLevel": "VERBOSE"})),
            "property LogLevel must be one of",
        ),
        case(c, channel(json!({"Profile": "HD-720p"})), "unknown property Profile"),
        case(
            e,
            endpoint("HLS", json!({"AdMarkers": "DATERANGE"})),
            "property ProgramDateTimeIntervalSeconds must be greater than 0 with AdMarkers DATERANGE",
        ),
        case(
            e,
            endpoint(
                "CMAF",
                json!({"AdMarkers": "DATERANGE", "ProgramDateTimeIntervalSeconds": "0"}),
            ),
            "property ProgramDateTimeIntervalSeconds must be greater than 0 with AdMarkers DATERANGE",
        ),
        case(
            e,
            endpoint("DASH", json!({"Profile": "HYBRIDCAST", "PeriodTriggers": "ADS"})),
            "property PeriodTriggers must be empty or NONE with Profile HYBRIDCAST",
        ),
        case(
            i,
            json!({"Type": "RTP_PUSH", "Cidr": (1..=11).map(|n| format!("10.0.{n}.0/24")).collect::<Vec<_>>().join(",")}),
            "property Cidr may hold at most 10 CIDR blocks (an input security group's limit), got 11",
        ),
        // MediaLiveChannelStart
        case("MediaLiveChannelStart", json!({}), "property ChannelId is required"),
        case(
            "MediaLiveChannelStart",
            json!({"ChannelId": "1", "State": "RUNNING"}),
            "unknown property State",
        ),
    ];
    // Each packaging-specific property, on a packaging it does not apply to.
    let not_applicable = [
        ("PlaylistWindowSeconds", "DASH", "60"),
        ("PlaylistWindowSeconds", "MSS", "60"),
        ("ManifestWindowSeconds", "HLS", "60"),
        ("ManifestWindowSeconds", "CMAF", "60"),
        ("AdMarkers", "DASH", "NONE"),
        ("AdMarkers", "MSS", "NONE"),
        ("ProgramDateTimeIntervalSeconds", "DASH", "0"),
        ("IncludeIframeOnlyStream", "MSS", "true"),
        ("UseAudioRenditionGroup", "CMAF", "true"),
        ("UseAudioRenditionGroup", "DASH", "true"),
        ("SegmentTemplateFormat", "HLS", "NUMBER_WITH_TIMELINE"),
        ("PeriodTriggers", "CMAF", "ADS"),
        ("Profile", "MSS", "NONE"),
        ("MinBufferTimeSeconds", "HLS", "30"),
        ("MinUpdatePeriodSeconds", "CMAF", "15"),
        ("SuggestedPresentationDelaySeconds", "MSS", "25"),
    ];
    for (property, packaging, value) in not_applicable {
        let reason = format!("property {property} does not apply to EndPoint {packaging}");
        cases.push(case(e, endpoint(packaging, json!({ property: value })), reason));
    }
    cases
}

#[tokio::test]
async fn every_rule_fails_naming_the_property_before_any_aws_call() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let cases = cases();
    for (n, case) in cases.iter().enumerate() {
        for request_type in ["Create", "Update"] {
            let mut e = event(request_type, case.kind, case.props.clone(), &receiver.url());
            e["PhysicalResourceId"] = json!("existing-id");
            e["OldResourceProperties"] = json!({});
            let before = receiver.requests().len();
            app.handle(e, deadline_in(LAMBDA_TIME)).await.expect("delivered");
            let response = receiver.wait_for(before + 1, WAIT).await[before].json();
            assert_eq!(response["Status"], "FAILED", "case {n} ({request_type}): {response}");
            assert!(
                reason(&response).starts_with(&case.reason),
                "case {n} ({request_type}): expected a Reason starting {:?}, got {:?}",
                case.reason,
                reason(&response)
            );
            if request_type == "Update" {
                assert_eq!(response["PhysicalResourceId"], "existing-id");
            }
        }
    }
    assert!(fake_aws.requests().is_empty(), "no AWS call for any invalid request");
    assert!(cases.len() >= 90, "{} rules covered", cases.len());
}

#[tokio::test]
async fn a_secret_pasted_into_a_property_never_appears_in_the_reason() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let pasted = "Zq8w1PastedCdnIdentifierValue42";
    let cases = [
        // The CDN identifier itself where the secret's ARN belongs.
        (
            "MediaPackageEndPoint",
            endpoint("HLS", json!({"CdnIdentifierSecret": pasted, "SecretsRoleArn": ROLE})),
            "CdnIdentifierSecret",
        ),
        // Credentials inside a source URL of the wrong scheme.
        (
            "MediaLiveInput",
            json!({"Type": "URL_PULL", "ChannelClass": "SINGLE_PIPELINE",
                   "PriUrl": format!("ftp://alice:{pasted}@example.com/live.m3u8")}),
            "PriUrl",
        ),
    ];
    for (n, (kind, props, property)) in cases.into_iter().enumerate() {
        let before = receiver.requests().len();
        app.handle(event("Create", kind, props, &receiver.url()), deadline_in(LAMBDA_TIME))
            .await
            .expect("delivered");
        let response = receiver.wait_for(before + 1, WAIT).await[before].json();
        assert_eq!(response["Status"], "FAILED", "case {n}: {response}");
        let reason = reason(&response);
        assert!(
            reason.starts_with(&format!("property {property} ")),
            "case {n}: {reason}"
        );
        assert!(
            !reason.contains(pasted),
            "case {n}: the Reason shows the secret: {reason}"
        );
    }
    assert!(fake_aws.requests().is_empty(), "no AWS call");
}

#[tokio::test]
async fn a_number_with_duration_dash_endpoint_keeps_its_segment_duration() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let old = endpoint(
        "DASH",
        json!({"SegmentTemplateFormat": "NUMBER_WITH_DURATION", "SegmentDurationSeconds": "2"}),
    );
    let new = endpoint(
        "DASH",
        json!({"SegmentTemplateFormat": "NUMBER_WITH_DURATION", "SegmentDurationSeconds": "4"}),
    );
    let mut e = event("Update", "MediaPackageEndPoint", new, &receiver.url());
    e["PhysicalResourceId"] = json!("live-dash");
    e["OldResourceProperties"] = old;
    let response = answer(&app, &receiver, e).await;
    assert_eq!(response["Status"], "FAILED", "{response}");
    assert!(
        reason(&response).starts_with("property SegmentDurationSeconds cannot change from 2 on an endpoint made with SegmentTemplateFormat NUMBER_WITH_DURATION"),
        "{response}"
    );
    assert!(fake_aws.requests().is_empty(), "refused before any AWS call");
}

#[tokio::test]
async fn a_delete_naming_what_cannot_be_an_id_succeeds_without_an_aws_call() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let long = "7".repeat(5000);
    let cases = [
        ("MediaLiveInput", json!({"Type": "URL_PULL"}), ""),
        ("MediaLiveInput", json!({"Type": "URL_PULL"}), long.as_str()),
        ("MediaLiveInput", json!({"Type": "URL_PULL"}), "../../inputs/1"),
        ("MediaLiveChannel", channel(json!({})), "12 34"),
        (
            "MediaLiveChannelStart",
            json!({"ChannelId": "1"}),
            "arn:aws:medialive:x",
        ),
        ("MediaPackageChannel", json!({"ChannelId": "live"}), "live/../other"),
        ("MediaPackageEndPoint", endpoint("HLS", json!({})), "a\nb"),
        ("MediaPackageCdnSecret", json!({}), "secret with spaces"),
    ];
    for (kind, props, id) in cases {
        let mut e = event("Delete", kind, props, &receiver.url());
        e["PhysicalResourceId"] = json!(id);
        let response = answer(&app, &receiver, e).await;
        assert_eq!(response["Status"], "SUCCESS", "{kind} {id:.40}: {response}");
    }
    assert!(fake_aws.requests().is_empty(), "no AWS call for any of them");
}
