//! MediaPackage kinds against the emulator behind the faithful layer:
//! Create, in-place Update, replacing Update and Delete, asserting what the
//! emulator stored after each step.

use crate::common::*;
use aws_sdk_mediapackage::Client as MediaPackage;
use aws_sdk_mediapackage::types::{AdMarkers, Profile, SegmentTemplateFormat};
use aws_sdk_secretsmanager::Client as SecretsManager;
use serde_json::{Value, json};
use testkit::events::{STACK_ID, unique};

const CHANNEL: &str = "MediaPackageChannel";
const ENDPOINT: &str = "MediaPackageEndPoint";
const SECRET: &str = "MediaPackageCdnSecret";
const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:MediaPackage/live-test-AbCdEf";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/MediaPackageSecretsAccess";

fn mediapackage(session: &Session) -> &MediaPackage {
    &session.clients.mediapackage
}

async fn channel_exists(session: &Session, id: &str) -> bool {
    match mediapackage(session).describe_channel().id(id).send().await {
        Ok(_) => true,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => false,
        Err(err) => panic!("describing channel {id}: {err:?}"),
    }
}

async fn endpoint_exists(session: &Session, id: &str) -> bool {
    match mediapackage(session).describe_origin_endpoint().id(id).send().await {
        Ok(_) => true,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found_exception()) => false,
        Err(err) => panic!("describing endpoint {id}: {err:?}"),
    }
}

#[tokio::test]
async fn channel_create_update_replace_delete() {
    let session = Session::emulated().await;
    let id = unique("live");
    let props = json!({"ChannelId": id, "Description": "first"});

    let created = session.create(CHANNEL, props.clone()).await;
    assert_eq!(succeeded(&created), id);
    let data = &created["Data"];
    assert_eq!(data["ChannelId"], id.as_str());
    assert_eq!(data["Arn"], format!("arn:aws:mediapackage:channel:{id}").as_str());
    for key in ["PrimaryUrl", "PrimaryUser", "SecondaryUrl", "SecondaryUser"] {
        assert!(
            data[key].is_string(),
            "{key} present (empty where the service gives none)"
        );
    }
    let stored = mediapackage(&session).describe_channel().id(&id).send().await.unwrap();
    assert_eq!(stored.description(), Some("first"));
    let tags = stored.tags().expect("tags stored");
    assert_eq!(tags["livestream:stack-id"], STACK_ID);
    assert_eq!(tags["livestream:logical-id"], "Resource");

    let new_props = json!({"ChannelId": id, "Description": "second"});
    let updated = session.update(CHANNEL, &id, props.clone(), new_props.clone()).await;
    assert_eq!(succeeded(&updated), id, "a description change is in place");
    let stored = mediapackage(&session).describe_channel().id(&id).send().await.unwrap();
    assert_eq!(stored.description(), Some("second"));

    let other = unique("live");
    let replaced = session
        .update(CHANNEL, &id, new_props.clone(), json!({"ChannelId": other}))
        .await;
    assert_eq!(succeeded(&replaced), other, "a new ChannelId is a new channel");
    assert!(channel_exists(&session, &other).await);
    assert!(
        channel_exists(&session, &id).await,
        "the old one stays until CloudFormation deletes it"
    );

    succeeded(&session.delete(CHANNEL, &id, new_props).await);
    assert!(!channel_exists(&session, &id).await);
    succeeded(&session.delete(CHANNEL, &other, json!({"ChannelId": other})).await);
    assert!(!channel_exists(&session, &other).await);
    let again = session.delete(CHANNEL, &other, json!({"ChannelId": other})).await;
    assert_eq!(succeeded(&again), other, "deleting what is gone succeeds");
}

#[tokio::test]
async fn channel_delete_removes_every_endpoint_of_the_channel_across_pages() {
    let session = Session::emulated().await;
    let id = unique("live");
    let bystander = unique("other");
    succeeded(&session.create(CHANNEL, json!({"ChannelId": id})).await);
    succeeded(&session.create(CHANNEL, json!({"ChannelId": bystander})).await);
    let mut endpoints = Vec::new();
    for n in 0..5 {
        let endpoint = format!("{id}-{n}");
        let props = json!({"EndPoint": "HLS", "ChannelId": id, "Id": endpoint});
        succeeded(&session.create(ENDPOINT, props).await);
        endpoints.push(endpoint);
    }
    let spared = format!("{bystander}-hls");
    succeeded(
        &session
            .create(ENDPOINT, json!({"EndPoint": "HLS", "ChannelId": bystander}))
            .await,
    );

    let lists_before = session.aws.count("mediapackage", "GET", "/origin_endpoints");
    succeeded(&session.delete(CHANNEL, &id, json!({"ChannelId": id})).await);
    for endpoint in &endpoints {
        assert!(
            !endpoint_exists(&session, endpoint).await,
            "{endpoint} deleted with its channel"
        );
    }
    assert!(!channel_exists(&session, &id).await);
    assert!(
        endpoint_exists(&session, &spared).await,
        "another channel's endpoint is untouched"
    );
    let pages = session.aws.count("mediapackage", "GET", "/origin_endpoints") - lists_before;
    assert!(pages >= 3, "five endpoints in pages of two: {pages} list calls");
}

#[tokio::test]
async fn a_repeated_create_adopts_and_someone_elses_channel_is_refused() {
    let session = Session::emulated().await;
    let id = unique("live");
    let first = session.create(CHANNEL, json!({"ChannelId": id})).await;
    let second = session.create(CHANNEL, json!({"ChannelId": id})).await;
    assert_eq!(succeeded(&first), succeeded(&second));
    assert_eq!(first["Data"], second["Data"]);
    // Create first: the repeat is refused as a duplicate, then adopted.
    assert_eq!(session.aws.count("mediapackage", "POST", "/channels"), 2);
    assert_eq!(session.aws.refusals().len(), 1, "{:?}", session.aws.refusals());

    let intruder = session.for_resource("OtherChannel");
    let refused = failed(&intruder.create(CHANNEL, json!({"ChannelId": id})).await);
    assert!(
        refused.contains(&format!("MediaPackage channel {id} already exists")),
        "{refused}"
    );
    let stored = mediapackage(&intruder).describe_channel().id(&id).send().await.unwrap();
    assert_eq!(
        stored.tags().unwrap()["livestream:logical-id"],
        "Resource",
        "left as it was"
    );
}

fn full_props(packaging: &str, channel: &str) -> Value {
    let mut props = json!({
        "EndPoint": packaging, "ChannelId": channel, "Description": "origin",
        "CdnIdentifierSecret": SECRET_ARN, "SecretsRoleArn": ROLE_ARN,
        "SegmentDurationSeconds": "4", "StartoverWindowSeconds": "300", "TimeDelaySeconds": "10",
        "MinVideoBitsPerSecond": "200000", "MaxVideoBitsPerSecond": "5000000", "StreamOrder": "VIDEO_BITRATE_DESCENDING",
    });
    let extra = match packaging {
        "HLS" => {
            json!({"PlaylistWindowSeconds": "120", "AdMarkers": "SCTE35_ENHANCED", "ProgramDateTimeIntervalSeconds": "5",
                        "IncludeIframeOnlyStream": "true", "UseAudioRenditionGroup": "Yes"})
        }
        "CMAF" => {
            json!({"PlaylistWindowSeconds": "120", "AdMarkers": "DATERANGE", "ProgramDateTimeIntervalSeconds": "60", "IncludeIframeOnlyStream": "true"})
        }
        "DASH" => {
            json!({"ManifestWindowSeconds": "120", "Profile": "HBBTV_1_5", "SegmentTemplateFormat": "TIME_WITH_TIMELINE",
                         "PeriodTriggers": "ADS", "MinBufferTimeSeconds": "20", "MinUpdatePeriodSeconds": "10",
                         "SuggestedPresentationDelaySeconds": "15"})
        }
        _ => json!({"ManifestWindowSeconds": "120"}),
    };
    props
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    props
}

/// Asserts what the emulator stored for an endpoint made from `full_props`.
async fn assert_stored(session: &Session, id: &str, packaging: &str) {
    let stored = mediapackage(session)
        .describe_origin_endpoint()
        .id(id)
        .send()
        .await
        .unwrap();
    let auth = stored.authorization().expect("Authorization stored");
    assert_eq!(
        (auth.cdn_identifier_secret(), auth.secrets_role_arn()),
        (Some(SECRET_ARN), Some(ROLE_ARN))
    );
    assert_eq!(stored.description(), Some("origin"));
    assert_eq!(
        (stored.startover_window_seconds(), stored.time_delay_seconds()),
        (Some(300), Some(10))
    );
    assert_eq!(stored.manifest_name(), Some("index"));
    let streams = match packaging {
        "HLS" => {
            let hls = stored.hls_package().expect("HLS package");
            assert_eq!(
                (hls.segment_duration_seconds(), hls.playlist_window_seconds()),
                (Some(4), Some(120))
            );
            assert_eq!(hls.ad_markers(), Some(&AdMarkers::Scte35Enhanced));
            assert_eq!(hls.program_date_time_interval_seconds(), Some(5));
            assert_eq!(
                (hls.include_iframe_only_stream(), hls.use_audio_rendition_group()),
                (Some(true), Some(true))
            );
            hls.stream_selection()
        }
        "CMAF" => {
            let cmaf = stored.cmaf_package().expect("CMAF package");
            assert_eq!(cmaf.segment_duration_seconds(), Some(4));
            let manifest = &cmaf.hls_manifests()[0];
            assert_eq!(manifest.id(), Some(format!("{id}-hls").as_str()));
            assert_eq!(manifest.playlist_window_seconds(), Some(120));
            assert_eq!(manifest.ad_markers(), Some(&AdMarkers::Daterange));
            cmaf.stream_selection()
        }
        "DASH" => {
            let dash = stored.dash_package().expect("DASH package");
            assert_eq!(
                (dash.segment_duration_seconds(), dash.manifest_window_seconds()),
                (Some(4), Some(120))
            );
            assert_eq!(dash.profile(), Some(&Profile::Hbbtv15));
            assert_eq!(
                dash.segment_template_format(),
                Some(&SegmentTemplateFormat::TimeWithTimeline)
            );
            assert_eq!(dash.period_triggers().len(), 1);
            assert_eq!(
                (
                    dash.min_buffer_time_seconds(),
                    dash.min_update_period_seconds(),
                    dash.suggested_presentation_delay_seconds()
                ),
                (Some(20), Some(10), Some(15))
            );
            dash.stream_selection()
        }
        _ => {
            let mss = stored.mss_package().expect("MSS package");
            assert_eq!(
                (mss.segment_duration_seconds(), mss.manifest_window_seconds()),
                (Some(4), Some(120))
            );
            mss.stream_selection()
        }
    };
    let streams = streams.expect("stream selection stored");
    assert_eq!(
        (streams.min_video_bits_per_second(), streams.max_video_bits_per_second()),
        (Some(200_000), Some(5_000_000))
    );
}

async fn endpoint_lifecycle(packaging: &str) {
    let session = Session::emulated().await;
    let channel = unique("live");
    succeeded(&session.create(CHANNEL, json!({"ChannelId": channel})).await);
    let props = full_props(packaging, &channel);
    let id = format!("{channel}-{}", packaging.to_ascii_lowercase());

    let created = session.create(ENDPOINT, props.clone()).await;
    assert_eq!(succeeded(&created), id);
    let data = &created["Data"];
    assert_eq!(data["Id"], id.as_str());
    assert!(data["Arn"].as_str().unwrap().ends_with(&id));
    let url = data["Url"].as_str().unwrap();
    assert_eq!(
        format!(
            "https://{}{}",
            data["DomainName"].as_str().unwrap(),
            data["Path"].as_str().unwrap()
        ),
        url
    );
    assert_stored(&session, &id, packaging).await;

    // In place: every setting is sent again, so dropping a property resets
    // it (here: CDN authorization and the description).
    let mut lean = props.clone();
    for key in ["CdnIdentifierSecret", "SecretsRoleArn", "Description"] {
        lean.as_object_mut().unwrap().remove(key);
    }
    lean["SegmentDurationSeconds"] = json!("2");
    let updated = session.update(ENDPOINT, &id, props.clone(), lean.clone()).await;
    assert_eq!(succeeded(&updated), id);
    let stored = mediapackage(&session)
        .describe_origin_endpoint()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert!(stored.authorization().is_none(), "authorization removed");
    assert_eq!(stored.time_delay_seconds(), Some(10), "the rest was sent again");
    let segment = stored
        .hls_package()
        .and_then(|p| p.segment_duration_seconds())
        .or(stored.dash_package().and_then(|p| p.segment_duration_seconds()))
        .or(stored.cmaf_package().and_then(|p| p.segment_duration_seconds()))
        .or(stored.mss_package().and_then(|p| p.segment_duration_seconds()));
    assert_eq!(segment, Some(2));

    let mut renamed = lean.clone();
    renamed["Id"] = json!(format!("{id}-v2"));
    let replaced = session.update(ENDPOINT, &id, lean.clone(), renamed.clone()).await;
    assert_eq!(succeeded(&replaced), format!("{id}-v2"));
    assert!(endpoint_exists(&session, &format!("{id}-v2")).await);

    succeeded(&session.delete(ENDPOINT, &id, lean).await);
    assert!(!endpoint_exists(&session, &id).await);
    succeeded(&session.delete(ENDPOINT, &format!("{id}-v2"), renamed).await);
    succeeded(&session.delete(CHANNEL, &channel, json!({"ChannelId": channel})).await);
    assert!(!channel_exists(&session, &channel).await);
}

#[tokio::test]
async fn hls_endpoint_lifecycle() {
    endpoint_lifecycle("HLS").await;
}

#[tokio::test]
async fn dash_endpoint_lifecycle() {
    endpoint_lifecycle("DASH").await;
}

#[tokio::test]
async fn cmaf_endpoint_lifecycle() {
    endpoint_lifecycle("CMAF").await;
}

#[tokio::test]
async fn mss_endpoint_lifecycle() {
    endpoint_lifecycle("MSS").await;
}

#[tokio::test]
async fn an_update_that_cannot_be_done_leaves_the_endpoint_as_it_was() {
    let session = Session::emulated().await;
    let channel = unique("live");
    succeeded(&session.create(CHANNEL, json!({"ChannelId": channel})).await);
    let props = json!({"EndPoint": "HLS", "ChannelId": channel, "Id": format!("{channel}-main")});
    let id = succeeded(&session.create(ENDPOINT, props.clone()).await);

    let mut to_dash = props.clone();
    to_dash["EndPoint"] = json!("DASH");
    let response = session.update(ENDPOINT, &id, props.clone(), to_dash).await;
    let reason = failed(&response);
    assert!(reason.starts_with("property Id must change too"), "{reason}");
    assert_eq!(response["PhysicalResourceId"], id.as_str(), "the old id is kept");
    let stored = mediapackage(&session)
        .describe_origin_endpoint()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert!(stored.hls_package().is_some() && stored.dash_package().is_none());

    let mut bad = props.clone();
    bad["SegmentDurationSeconds"] = json!("0");
    let response = session.update(ENDPOINT, &id, props, bad).await;
    assert!(failed(&response).contains("SegmentDurationSeconds"));
    assert_eq!(response["PhysicalResourceId"], id.as_str());
    assert_eq!(
        session.aws.count("mediapackage", "PUT", "/origin_endpoints"),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn a_repeated_endpoint_create_adopts_it() {
    let session = Session::emulated().await;
    let channel = unique("live");
    succeeded(&session.create(CHANNEL, json!({"ChannelId": channel})).await);
    let props = full_props("CMAF", &channel);
    let first = session.create(ENDPOINT, props.clone()).await;
    let second = session.create(ENDPOINT, props).await;
    assert_eq!(succeeded(&first), succeeded(&second));
    assert_eq!(first["Data"], second["Data"]);
    // Create first: the repeat is refused as a duplicate, then adopted.
    assert_eq!(session.aws.count("mediapackage", "POST", "/origin_endpoints"), 2);
    let other = session.for_resource("Intruder");
    let reason = failed(
        &other
            .create(ENDPOINT, json!({"EndPoint": "CMAF", "ChannelId": channel}))
            .await,
    );
    assert!(reason.contains("already exists"), "{reason}");
}

async fn secret_value(secrets: &SecretsManager, id: &str) -> Option<Value> {
    let value = secrets.get_secret_value().secret_id(id).send().await.ok()?;
    serde_json::from_str(value.secret_string()?).ok()
}

#[tokio::test]
async fn cdn_secret_create_update_replace_delete() {
    let session = Session::emulated().await;
    let secrets = &session.clients.secretsmanager;
    let name = format!("MediaPackage/{}", unique("live"));
    let props = json!({"Name": name, "Description": "CDN header"});

    let created = session.create(SECRET, props.clone()).await;
    let arn = succeeded(&created);
    assert_eq!(created["NoEcho"], true, "the value is masked");
    let value = created["Data"]["CdnIdentifier"].as_str().unwrap().to_owned();
    assert!(
        value.len() >= 32 && value.chars().all(|c| c.is_ascii_alphanumeric()),
        "{value}"
    );
    assert_eq!(created["Data"]["Arn"], arn.as_str());
    assert_eq!(created["Data"]["Name"], name.as_str());
    assert_eq!(
        secret_value(secrets, &arn).await.unwrap(),
        json!({"MediaPackageCDNIdentifier": value})
    );

    let new_props = json!({"Name": name, "Description": "changed"});
    let updated = session.update(SECRET, &arn, props.clone(), new_props.clone()).await;
    assert_eq!(succeeded(&updated), arn);
    assert_eq!(updated["Data"]["CdnIdentifier"], value.as_str(), "the value stays");
    assert_eq!(updated["NoEcho"], true);
    let described = secrets.describe_secret().secret_id(&arn).send().await.unwrap();
    assert_eq!(described.description(), Some("changed"));

    let again = session.create(SECRET, props.clone()).await;
    assert_eq!(succeeded(&again), arn, "a repeated Create adopts the secret");
    assert_eq!(again["Data"]["CdnIdentifier"], value.as_str());

    let other_name = format!("{name}-2");
    let replaced = session
        .update(SECRET, &arn, new_props.clone(), json!({"Name": other_name}))
        .await;
    let other_arn = succeeded(&replaced);
    assert_ne!(other_arn, arn);
    assert_ne!(replaced["Data"]["CdnIdentifier"], value.as_str());

    succeeded(&session.delete(SECRET, &arn, new_props).await);
    assert!(
        secret_value(secrets, &arn).await.is_none(),
        "deleted without a recovery window"
    );
    succeeded(&session.delete(SECRET, &other_arn, json!({"Name": other_name})).await);
    assert!(secret_value(secrets, &other_arn).await.is_none());
}

#[tokio::test]
async fn cdn_secret_name_defaults_to_the_stack_name() {
    let session = Session::emulated().await.for_resource(&unique("Secret"));
    let created = session.create(SECRET, json!({})).await;
    let arn = succeeded(&created);
    assert_eq!(created["Data"]["Name"], "MediaPackage/live-test");
    succeeded(&session.delete(SECRET, &arn, json!({})).await);
}

#[tokio::test]
async fn a_delete_naming_something_this_stack_did_not_make_leaves_it_alone() {
    let session = Session::emulated().await.for_resource("NotOurs");
    // Made by someone else: no ownership tags.
    let channel = unique("someone-elses");
    let endpoint = testkit::fixtures::cmaf_endpoint(&session.clients.mediapackage, &channel).await;
    let secret = session
        .clients
        .secretsmanager
        .create_secret()
        .name(unique("someone-elses-secret"))
        .secret_string("{\"MediaPackageCDNIdentifier\":\"theirs\"}")
        .send()
        .await
        .expect("creating a foreign secret")
        .arn
        .expect("an ARN");

    succeeded(
        &session
            .delete(
                "MediaPackageEndPoint",
                &endpoint,
                json!({"EndPoint": "CMAF", "ChannelId": channel}),
            )
            .await,
    );
    succeeded(
        &session
            .delete("MediaPackageChannel", &channel, json!({"ChannelId": channel}))
            .await,
    );
    succeeded(&session.delete("MediaPackageCdnSecret", &secret, json!({})).await);

    let mediapackage = &session.clients.mediapackage;
    assert!(
        mediapackage.describe_channel().id(&channel).send().await.is_ok(),
        "the channel stays"
    );
    assert!(
        mediapackage
            .describe_origin_endpoint()
            .id(&endpoint)
            .send()
            .await
            .is_ok(),
        "the endpoint stays"
    );
    let kept = session
        .clients
        .secretsmanager
        .get_secret_value()
        .secret_id(&secret)
        .send()
        .await;
    assert_eq!(
        kept.expect("the secret stays").secret_string(),
        Some("{\"MediaPackageCDNIdentifier\":\"theirs\"}")
    );
    assert_eq!(session.aws.count("mediapackage", "DELETE", "/"), 0, "no delete call");
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_adopts_what_it_made() {
    let session = Session::emulated().await.for_resource("LostAnswers");
    // MediaPackage makes the channel, the answer never arrives, and the
    // SDK's retry is told the channel already exists.
    session
        .aws
        .lose_answer("mediapackage", "POST /channels", 0, 503, "ServiceUnavailableException");
    let channel = unique("lost-answer");
    let created = session.create(CHANNEL, json!({"ChannelId": channel})).await;
    assert_eq!(succeeded(&created), channel);
    assert!(
        created["Data"]["Arn"].as_str().is_some_and(|arn| !arn.is_empty()),
        "{created}"
    );
    assert_eq!(
        session.aws.count("mediapackage", "POST", "/channels"),
        2,
        "the SDK retried once"
    );

    session.aws.lose_answer(
        "mediapackage",
        "POST /origin_endpoints",
        0,
        503,
        "ServiceUnavailableException",
    );
    let endpoint = session
        .for_resource("LostEndpoint")
        .create(ENDPOINT, json!({"EndPoint": "HLS", "ChannelId": channel}))
        .await;
    let endpoint_id = succeeded(&endpoint);
    assert!(
        endpoint["Data"]["Url"].as_str().is_some_and(|url| !url.is_empty()),
        "{endpoint}"
    );

    succeeded(
        &session
            .for_resource("LostEndpoint")
            .delete(ENDPOINT, &endpoint_id, json!({"EndPoint": "HLS", "ChannelId": channel}))
            .await,
    );
    succeeded(&session.delete(CHANNEL, &channel, json!({"ChannelId": channel})).await);
    assert!(!channel_exists(&session, &channel).await);
}

#[tokio::test]
async fn an_endpoint_url_update_keeps_the_id_cloudformation_knows() {
    let session = Session::emulated().await.for_resource("CmafUrl");
    let endpoint = testkit::fixtures::cmaf_endpoint(&session.clients.mediapackage, &unique("url-ch")).await;
    let props = json!({"EndpointId": endpoint});
    let created = succeeded(&session.create("MediaPackageEndPointUrl", props.clone()).await);
    // An id of an earlier form: the same endpoint must not read as a replacement.
    let known = format!("{created}-as-known");
    let mut same = props.clone();
    same["ServiceTimeout"] = json!("120");
    let updated = session.update("MediaPackageEndPointUrl", &known, props, same).await;
    assert_eq!(succeeded(&updated), known, "same endpoint, same id");
    assert!(
        updated["Data"]["Url"]
            .as_str()
            .is_some_and(|url| url.starts_with("https://"))
    );
}
