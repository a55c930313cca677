//! `MediaPackageEndPoint`: an HLS, DASH, CMAF or MSS origin endpoint of a
//! MediaPackage (v1) channel, optionally behind CDN authorization.
//!
//! UpdateOriginEndpoint replaces the whole endpoint (what is left out is
//! reset), so create and update send the same complete description, built
//! once from the validated [`Spec`].

use std::collections::BTreeMap;

use aws_sdk_mediapackage::operation::describe_origin_endpoint::DescribeOriginEndpointOutput;
use aws_sdk_mediapackage::types::{
    AdMarkers, Authorization, CmafPackage, CmafPackageCreateOrUpdateParameters, DashPackage,
    HlsManifestCreateOrUpdateParameters, HlsPackage, MssPackage, PeriodTriggersElement, PlaylistType, Profile,
    SegmentTemplateFormat, StreamOrder, StreamSelection,
};

use super::endpoint_url::{playback_url, url_data};
use super::owned::{self, Named};
use super::resource::{Outcome, Request, Resource};
use super::validate;
use crate::ownership::tag_pairs;
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::error::{Error, Found, aws_error};

pub(super) struct MediaPackageEndPoint;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Packaging {
    Hls,
    Dash,
    Cmaf,
    Mss,
}

use Packaging::{Cmaf, Dash, Hls, Mss};

impl Packaging {
    const NAMES: &'static [&'static str] = &["HLS", "DASH", "CMAF", "MSS"];

    fn from_name(name: &str) -> Self {
        match name {
            "DASH" => Dash,
            "CMAF" => Cmaf,
            "MSS" => Mss,
            _ => Hls,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Hls => "HLS",
            Dash => "DASH",
            Cmaf => "CMAF",
            Mss => "MSS",
        }
    }

    /// The MediaPackage console's defaults: 6 s segments for HLS and CMAF, 2 s for DASH, MSS.
    fn default_segment_seconds(self) -> i64 {
        match self {
            Hls | Cmaf => 6,
            Dash | Mss => 2,
        }
    }
}

/// Properties that exist for some packagings only.
const APPLIES_TO: &[(&str, &[&str])] = &[
    ("PlaylistWindowSeconds", &["HLS", "CMAF"]),
    ("ManifestWindowSeconds", &["DASH", "MSS"]),
    ("AdMarkers", &["HLS", "CMAF"]),
    ("ProgramDateTimeIntervalSeconds", &["HLS", "CMAF"]),
    ("IncludeIframeOnlyStream", &["HLS", "CMAF"]),
    ("UseAudioRenditionGroup", &["HLS"]),
    ("SegmentTemplateFormat", &["DASH"]),
    ("PeriodTriggers", &["DASH"]),
    ("Profile", &["DASH"]),
    ("MinBufferTimeSeconds", &["DASH"]),
    ("MinUpdatePeriodSeconds", &["DASH"]),
    ("SuggestedPresentationDelaySeconds", &["DASH"]),
];

const DAY: i64 = 86_400;
/// MediaPackage keeps at most 14 days for startover.
const MAX_STARTOVER: i64 = 14 * DAY;
const MAX_BITRATE: i64 = i32::MAX as i64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spec {
    packaging: Packaging,
    id: String,
    channel_id: String,
    manifest_name: String,
    description: Option<String>,
    /// (CdnIdentifierSecret, SecretsRoleArn)
    authorization: Option<(String, String)>,
    segment_seconds: i32,
    /// Playlist window (HLS, CMAF) or manifest window (DASH, MSS).
    window_seconds: i32,
    startover_seconds: i32,
    time_delay_seconds: i32,
    ad_markers: &'static str,
    program_date_time_seconds: i32,
    iframe_only_stream: bool,
    audio_rendition_group: bool,
    segment_template_format: &'static str,
    period_triggers: Vec<&'static str>,
    profile: &'static str,
    min_buffer_seconds: i32,
    min_update_period_seconds: i32,
    presentation_delay_seconds: i32,
    min_video_bps: i32,
    max_video_bps: i32,
    stream_order: &'static str,
}

/// `props.integer` narrowed to the SDK's i32 with a default.
fn int(props: &Props<'_>, name: &str, range: std::ops::RangeInclusive<i64>, default: i64) -> Result<i32, PropError> {
    let value = props.integer(name, range)?.unwrap_or(default);
    // Every range used here lies within i32.
    Ok(i32::try_from(value).unwrap_or(i32::MAX))
}

impl Resource for MediaPackageEndPoint {
    const NAME: &'static str = "MediaPackageEndPoint";
    const PROPERTIES: &'static [&'static str] = &[
        "EndPoint",
        "ChannelId",
        "Id",
        "ManifestName",
        "Description",
        "CdnIdentifierSecret",
        "SecretsRoleArn",
        "SegmentDurationSeconds",
        "PlaylistWindowSeconds",
        "ManifestWindowSeconds",
        "StartoverWindowSeconds",
        "TimeDelaySeconds",
        "AdMarkers",
        "ProgramDateTimeIntervalSeconds",
        "IncludeIframeOnlyStream",
        "UseAudioRenditionGroup",
        "SegmentTemplateFormat",
        "PeriodTriggers",
        "Profile",
        "MinBufferTimeSeconds",
        "MinUpdatePeriodSeconds",
        "SuggestedPresentationDelaySeconds",
        "MinVideoBitsPerSecond",
        "MaxVideoBitsPerSecond",
        "StreamOrder",
    ];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        let packaging =
            Packaging::from_name(
                props
                    .one_of("EndPoint", Packaging::NAMES)?
                    .ok_or_else(|| PropError::Missing {
                        name: "EndPoint".to_owned(),
                    })?,
            );
        props.check_applicable(APPLIES_TO, "EndPoint", packaging.name())?;

        let channel_id = props.required_string("ChannelId")?;
        validate::media_id("ChannelId", &channel_id)?;
        let id = match props.string("Id")? {
            Some(id) => id,
            None => format!("{channel_id}-{}", packaging.name().to_ascii_lowercase()),
        };
        validate::media_id("Id", &id)?;
        let manifest_name = props.string("ManifestName")?.unwrap_or_else(|| "index".to_owned());
        validate::media_id("ManifestName", &manifest_name)?;
        let description = props.string("Description")?;
        if let Some(description) = &description {
            validate::text("Description", description, 1000)?;
        }

        let authorization = match (props.string("CdnIdentifierSecret")?, props.string("SecretsRoleArn")?) {
            (Some(secret), Some(role)) => {
                validate::arn("CdnIdentifierSecret", &secret, "secretsmanager", "secret:")?;
                validate::arn("SecretsRoleArn", &role, "iam", "role/")?;
                Some((secret, role))
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(PropError::invalid(
                    "SecretsRoleArn",
                    "is required with CdnIdentifierSecret (give both or neither)",
                ));
            }
            (None, Some(_)) => {
                return Err(PropError::invalid(
                    "CdnIdentifierSecret",
                    "is required with SecretsRoleArn (give both or neither)",
                ));
            }
        };

        let segment_seconds = int(
            &props,
            "SegmentDurationSeconds",
            1..=30,
            packaging.default_segment_seconds(),
        )?;
        let window_name = match packaging {
            Hls | Cmaf => "PlaylistWindowSeconds",
            Dash | Mss => "ManifestWindowSeconds",
        };
        let window_seconds = int(&props, window_name, 1..=DAY, 60)?;
        if window_seconds < segment_seconds {
            return Err(PropError::invalid(
                window_name,
                format!("must be at least SegmentDurationSeconds ({segment_seconds}), got {window_seconds}"),
            ));
        }
        let startover_seconds = int(&props, "StartoverWindowSeconds", 0..=MAX_STARTOVER, 0)?;
        let time_delay_seconds = int(&props, "TimeDelaySeconds", 0..=DAY, 0)?;
        if (1..5).contains(&time_delay_seconds) {
            return Err(PropError::invalid(
                "TimeDelaySeconds",
                "must be 0 (off) or from 5 to 86400",
            ));
        }
        if startover_seconds > 0 && time_delay_seconds >= startover_seconds {
            return Err(PropError::invalid(
                "TimeDelaySeconds",
                format!("must be less than StartoverWindowSeconds ({startover_seconds}), got {time_delay_seconds}"),
            ));
        }

        let min_video_bps = int(&props, "MinVideoBitsPerSecond", 0..=MAX_BITRATE, 0)?;
        let max_video_bps = int(&props, "MaxVideoBitsPerSecond", 0..=MAX_BITRATE, MAX_BITRATE)?;
        if min_video_bps > max_video_bps {
            return Err(PropError::invalid(
                "MinVideoBitsPerSecond",
                format!("must not exceed MaxVideoBitsPerSecond ({max_video_bps}), got {min_video_bps}"),
            ));
        }

        let ad_markers = props
            .one_of("AdMarkers", &["NONE", "SCTE35_ENHANCED", "PASSTHROUGH", "DATERANGE"])?
            .unwrap_or("PASSTHROUGH");
        let program_date_time_seconds = int(&props, "ProgramDateTimeIntervalSeconds", 0..=DAY, 0)?;
        if ad_markers == "DATERANGE" && program_date_time_seconds == 0 {
            return Err(PropError::invalid(
                "ProgramDateTimeIntervalSeconds",
                "must be greater than 0 with AdMarkers DATERANGE (EXT-X-DATERANGE tags need program date-time)",
            ));
        }

        let period_triggers = match props.list("PeriodTriggers")? {
            None => Vec::new(),
            Some(items) => {
                let mut triggers = Vec::new();
                for item in items {
                    match item.to_ascii_uppercase().as_str() {
                        "ADS" => triggers.push("ADS"),
                        "NONE" => {}
                        _ => {
                            return Err(PropError::invalid(
                                "PeriodTriggers",
                                format!("may hold ADS or NONE, got {item:?}"),
                            ));
                        }
                    }
                }
                triggers
            }
        };
        let profile = props
            .one_of("Profile", &["NONE", "HBBTV_1_5", "HYBRIDCAST", "DVB_DASH_2014"])?
            .unwrap_or("NONE");
        if profile == "HYBRIDCAST" && !period_triggers.is_empty() {
            return Err(PropError::invalid(
                "PeriodTriggers",
                "must be empty or NONE with Profile HYBRIDCAST (MediaPackage allows no DASH period triggers with it)",
            ));
        }

        Ok(Spec {
            packaging,
            id,
            channel_id,
            manifest_name,
            description,
            authorization,
            segment_seconds,
            window_seconds,
            startover_seconds,
            time_delay_seconds,
            ad_markers,
            program_date_time_seconds,
            iframe_only_stream: props.boolean("IncludeIframeOnlyStream")?.unwrap_or(false),
            audio_rendition_group: props.boolean("UseAudioRenditionGroup")?.unwrap_or(false),
            segment_template_format: props
                .one_of(
                    "SegmentTemplateFormat",
                    &["NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"],
                )?
                .unwrap_or("NUMBER_WITH_TIMELINE"),
            period_triggers,
            profile,
            min_buffer_seconds: int(&props, "MinBufferTimeSeconds", 0..=3600, 30)?,
            min_update_period_seconds: int(&props, "MinUpdatePeriodSeconds", 0..=3600, 15)?,
            presentation_delay_seconds: int(&props, "SuggestedPresentationDelaySeconds", 0..=3600, 25)?,
            min_video_bps,
            max_video_bps,
            stream_order: props
                .one_of(
                    "StreamOrder",
                    &["ORIGINAL", "VIDEO_BITRATE_ASCENDING", "VIDEO_BITRATE_DESCENDING"],
                )?
                .unwrap_or("ORIGINAL"),
        })
    }

    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        ensure(aws, req, spec).await
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        let identity_changed =
            old.is_some_and(|old| old.channel_id != new.channel_id || old.packaging != new.packaging);
        if new.id != physical_id {
            // Replacement: the new endpoint first; CloudFormation then
            // deletes the old one.
            return ensure(aws, req, new).await;
        }
        if identity_changed {
            return Err(PropError::invalid(
                "Id",
                "must change too when ChannelId or EndPoint changes: the endpoint is replaced, and the new one needs a new Id",
            )
            .into());
        }
        if let Some(old) = old
            && old.packaging == Dash
            && old.segment_template_format == "NUMBER_WITH_DURATION"
            && old.segment_seconds != new.segment_seconds
        {
            // https://docs.aws.amazon.com/mediapackage/latest/ug/endpoints-dash-packager.html
            return Err(PropError::invalid(
                "SegmentDurationSeconds",
                format!(
                    "cannot change from {} on an endpoint made with SegmentTemplateFormat NUMBER_WITH_DURATION; give a new Id to make a new endpoint",
                    old.segment_seconds
                ),
            )
            .into());
        }
        let packages = Packages::of(new);
        let updated = aws
            .mediapackage
            .update_origin_endpoint()
            .id(physical_id)
            .manifest_name(&new.manifest_name)
            .description(new.description.clone().unwrap_or_default())
            .startover_window_seconds(new.startover_seconds)
            .time_delay_seconds(new.time_delay_seconds)
            .set_authorization(packages.authorization)
            .set_hls_package(packages.hls)
            .set_dash_package(packages.dash)
            .set_cmaf_package(packages.cmaf)
            .set_mss_package(packages.mss)
            .send()
            .await
            .map_err(aws_error("UpdateOriginEndpoint"))?;
        outcome(physical_id, updated.arn(), updated.url(), updated.cmaf_package())
    }

    fn could_be_id(physical_id: &str) -> bool {
        crate::ownership::is_media_id(physical_id)
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, _spec: Option<&Spec>) -> Result<(), Error> {
        owned::delete_ours::<Self>(aws, req, physical_id).await
    }

    async fn delete_made_in(aws: &Clients, req: &Request, request_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let id = spec.map(|spec| spec.id.as_str());
        owned::delete_made_in::<Self>(aws, req, request_id, id).await
    }
}

impl Named for MediaPackageEndPoint {
    type Found = DescribeOriginEndpointOutput;
    const WHAT: &'static str = "MediaPackage origin endpoint";

    async fn describe(aws: &Clients, id: &str) -> Result<Option<DescribeOriginEndpointOutput>, Error> {
        describe(aws, id).await
    }

    fn tags(found: &DescribeOriginEndpointOutput) -> Vec<(&str, &str)> {
        tag_pairs(found.tags()).collect()
    }

    async fn remove(aws: &Clients, id: &str, _found: &DescribeOriginEndpointOutput) -> Result<(), Error> {
        remove(aws, id).await
    }
}

/// Deletes the endpoint; its ownership is checked already.
pub(super) async fn remove(aws: &Clients, id: &str) -> Result<(), Error> {
    aws.mediapackage
        .delete_origin_endpoint()
        .id(id)
        .send()
        .await
        .map_err(aws_error("DeleteOriginEndpoint"))
        .found()?;
    Ok(())
}

/// The endpoint of `spec`: adopted when this stack resource made it already
/// (a repeated Create), created when absent, refused when someone else's.
/// Created first: the common path is one call, and a conflict (or a lost
/// answer) leads to the look that adopts.
async fn ensure(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
    let packages = Packages::of(spec);
    let created = aws
        .mediapackage
        .create_origin_endpoint()
        .id(&spec.id)
        .channel_id(&spec.channel_id)
        .manifest_name(&spec.manifest_name)
        .set_description(spec.description.clone())
        .startover_window_seconds(spec.startover_seconds)
        .time_delay_seconds(spec.time_delay_seconds)
        .set_authorization(packages.authorization)
        .set_hls_package(packages.hls)
        .set_dash_package(packages.dash)
        .set_cmaf_package(packages.cmaf)
        .set_mss_package(packages.mss)
        .set_tags(Some(req.ownership_tags()))
        .send()
        .await
        .map_err(aws_error("CreateOriginEndpoint"));
    let created = match created {
        Ok(created) => created,
        // CreateOriginEndpoint has no idempotency token: when the first
        // attempt's answer was lost, the SDK's retry finds what it made.
        Err(err) => {
            // Only an endpoint of the same channel is the one this resource made.
            let same_channel = |e: &DescribeOriginEndpointOutput| e.channel_id() == Some(spec.channel_id.as_str());
            let existing = owned::adopt::<MediaPackageEndPoint>(aws, req, &spec.id, same_channel).await?;
            let existing = existing.ok_or(err)?;
            return outcome(&spec.id, existing.arn(), existing.url(), existing.cmaf_package());
        }
    };
    req.record_created(&spec.id);
    tracing::info!(endpoint = %spec.id, packaging = spec.packaging.name(), "created origin endpoint");
    outcome(&spec.id, created.arn(), created.url(), created.cmaf_package())
}

fn outcome(id: &str, arn: Option<&str>, url: Option<&str>, cmaf: Option<&CmafPackage>) -> Result<Outcome, Error> {
    let url = playback_url(url, cmaf)
        .ok_or_else(|| Error::Unexpected(format!("origin endpoint {id} has no playback URL")))?;
    let mut data = url_data(url)?;
    data.extend(BTreeMap::from([
        ("Id".to_owned(), id.to_owned()),
        ("Arn".to_owned(), arn.unwrap_or_default().to_owned()),
    ]));
    Ok(Outcome::new(id).with_data(data))
}

/// The complete endpoint description, as create and update both send it.
#[derive(Debug, Default)]
struct Packages {
    authorization: Option<Authorization>,
    hls: Option<HlsPackage>,
    dash: Option<DashPackage>,
    cmaf: Option<CmafPackageCreateOrUpdateParameters>,
    mss: Option<MssPackage>,
}

impl Packages {
    fn of(spec: &Spec) -> Self {
        let authorization = spec.authorization.as_ref().map(|(secret, role)| {
            Authorization::builder()
                .cdn_identifier_secret(secret)
                .secrets_role_arn(role)
                .build()
        });
        let streams = StreamSelection::builder()
            .min_video_bits_per_second(spec.min_video_bps)
            .max_video_bits_per_second(spec.max_video_bps)
            .stream_order(StreamOrder::from(spec.stream_order))
            .build();
        let mut packages = Packages {
            authorization,
            ..Packages::default()
        };
        match spec.packaging {
            Hls => {
                packages.hls = Some(
                    HlsPackage::builder()
                        .segment_duration_seconds(spec.segment_seconds)
                        .playlist_window_seconds(spec.window_seconds)
                        .playlist_type(PlaylistType::None)
                        .program_date_time_interval_seconds(spec.program_date_time_seconds)
                        .include_iframe_only_stream(spec.iframe_only_stream)
                        .use_audio_rendition_group(spec.audio_rendition_group)
                        .ad_markers(AdMarkers::from(spec.ad_markers))
                        .stream_selection(streams)
                        .build(),
                )
            }
            Dash => {
                packages.dash = Some(
                    DashPackage::builder()
                        .segment_duration_seconds(spec.segment_seconds)
                        .manifest_window_seconds(spec.window_seconds)
                        .min_buffer_time_seconds(spec.min_buffer_seconds)
                        .min_update_period_seconds(spec.min_update_period_seconds)
                        .suggested_presentation_delay_seconds(spec.presentation_delay_seconds)
                        .profile(Profile::from(spec.profile))
                        .segment_template_format(SegmentTemplateFormat::from(spec.segment_template_format))
                        .set_period_triggers(Some(
                            spec.period_triggers
                                .iter()
                                .map(|t| PeriodTriggersElement::from(*t))
                                .collect(),
                        ))
                        .stream_selection(streams)
                        .build(),
                )
            }
            Cmaf => {
                let manifest = HlsManifestCreateOrUpdateParameters::builder()
                    .id(format!("{}-hls", spec.id))
                    .manifest_name(&spec.manifest_name)
                    .playlist_window_seconds(spec.window_seconds)
                    .playlist_type(PlaylistType::None)
                    .program_date_time_interval_seconds(spec.program_date_time_seconds)
                    .include_iframe_only_stream(spec.iframe_only_stream)
                    .ad_markers(AdMarkers::from(spec.ad_markers))
                    .build();
                packages.cmaf = Some(
                    CmafPackageCreateOrUpdateParameters::builder()
                        .segment_duration_seconds(spec.segment_seconds)
                        .hls_manifests(manifest)
                        .stream_selection(streams)
                        .build(),
                )
            }
            Mss => {
                packages.mss = Some(
                    MssPackage::builder()
                        .segment_duration_seconds(spec.segment_seconds)
                        .manifest_window_seconds(spec.window_seconds)
                        .stream_selection(streams)
                        .build(),
                )
            }
        }
        packages
    }
}

/// The origin endpoint `id`; `None` when there is none.
async fn describe(aws: &Clients, id: &str) -> Result<Option<DescribeOriginEndpointOutput>, Error> {
    aws.mediapackage
        .describe_origin_endpoint()
        .id(id)
        .send()
        .await
        .map_err(aws_error("DescribeOriginEndpoint"))
        .found()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(props: Value) -> Result<Spec, PropError> {
        let map = props.as_object().cloned().unwrap_or_default();
        let props = Props::new(&map);
        props.check_known(MediaPackageEndPoint::PROPERTIES)?;
        MediaPackageEndPoint::parse(props)
    }

    #[test]
    fn defaults_follow_the_reference_for_each_packaging() {
        let hls = parse(json!({"EndPoint": "HLS", "ChannelId": "live"})).unwrap();
        assert_eq!(
            (hls.id.as_str(), hls.segment_seconds, hls.window_seconds),
            ("live-hls", 6, 60)
        );
        assert_eq!(
            (hls.ad_markers, hls.program_date_time_seconds, hls.iframe_only_stream),
            ("PASSTHROUGH", 0, false)
        );
        assert_eq!(
            (
                hls.manifest_name.as_str(),
                hls.startover_seconds,
                hls.time_delay_seconds
            ),
            ("index", 0, 0)
        );
        assert_eq!(
            (hls.min_video_bps, hls.max_video_bps, hls.stream_order),
            (0, i32::MAX, "ORIGINAL")
        );

        let dash = parse(json!({"EndPoint": "dash", "ChannelId": "live"})).unwrap();
        assert_eq!(
            (dash.id.as_str(), dash.segment_seconds, dash.window_seconds),
            ("live-dash", 2, 60)
        );
        assert_eq!(
            (
                dash.min_buffer_seconds,
                dash.min_update_period_seconds,
                dash.presentation_delay_seconds
            ),
            (30, 15, 25)
        );
        assert_eq!(
            (dash.profile, dash.segment_template_format),
            ("NONE", "NUMBER_WITH_TIMELINE")
        );

        let cmaf = parse(json!({"EndPoint": "CMAF", "ChannelId": "live"})).unwrap();
        assert_eq!(
            (cmaf.id.as_str(), cmaf.segment_seconds, cmaf.window_seconds),
            ("live-cmaf", 6, 60)
        );
        let mss = parse(json!({"EndPoint": "MSS", "ChannelId": "live"})).unwrap();
        assert_eq!(
            (mss.id.as_str(), mss.segment_seconds, mss.window_seconds),
            ("live-mss", 2, 60)
        );
    }

    #[test]
    fn strings_from_cloudformation_are_parsed() {
        let spec = parse(json!({
            "EndPoint": "HLS", "ChannelId": "live", "SegmentDurationSeconds": "4", "PlaylistWindowSeconds": "120",
            "IncludeIframeOnlyStream": "Yes", "UseAudioRenditionGroup": "true", "AdMarkers": "scte35_enhanced",
            "StartoverWindowSeconds": "3600", "TimeDelaySeconds": "10", "MinVideoBitsPerSecond": "400000"
        }))
        .unwrap();
        assert_eq!(
            (
                spec.segment_seconds,
                spec.window_seconds,
                spec.startover_seconds,
                spec.time_delay_seconds
            ),
            (4, 120, 3600, 10)
        );
        assert!(spec.iframe_only_stream && spec.audio_rendition_group);
        assert_eq!((spec.ad_markers, spec.min_video_bps), ("SCTE35_ENHANCED", 400_000));
    }

    #[test]
    fn cmaf_manifest_is_named_after_the_endpoint() {
        let spec = parse(json!({"EndPoint": "CMAF", "ChannelId": "live", "ManifestName": "main"})).unwrap();
        let cmaf = Packages::of(&spec).cmaf.unwrap();
        let manifest = &cmaf.hls_manifests()[0];
        assert_eq!(manifest.id(), Some("live-cmaf-hls"));
        assert_eq!(manifest.manifest_name(), Some("main"));
        assert_eq!(manifest.ad_markers(), Some(&AdMarkers::Passthrough));
    }

    #[test]
    fn only_the_chosen_packaging_is_sent() {
        let spec = parse(json!({"EndPoint": "DASH", "ChannelId": "live", "PeriodTriggers": "ADS"})).unwrap();
        let packages = Packages::of(&spec);
        assert!(packages.hls.is_none() && packages.cmaf.is_none() && packages.mss.is_none());
        let dash = packages.dash.unwrap();
        assert_eq!(dash.period_triggers(), &[PeriodTriggersElement::Ads]);
        assert_eq!(
            dash.stream_selection().unwrap().max_video_bits_per_second(),
            Some(i32::MAX)
        );
    }
}
