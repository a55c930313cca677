//! The endpoint's properties, validated and typed: one packaging, with
//! what only it has, holding the SDK's own enums.

use aws_sdk_mediapackage::types::{AdMarkers, PeriodTriggersElement, Profile, SegmentTemplateFormat, StreamOrder};

use super::super::validate;
use crate::cfn::props::{PropError, Props};

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

    pub(super) fn name(self) -> &'static str {
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
pub(crate) struct Spec {
    pub(super) id: String,
    pub(super) channel_id: String,
    pub(super) manifest_name: String,
    pub(super) description: Option<String>,
    pub(super) authorization: Option<CdnAuthorization>,
    pub(super) startover_seconds: i32,
    pub(super) time_delay_seconds: i32,
    pub(super) streams: Streams,
    pub(super) package: Package,
}

/// CloudFront's identifier header, checked by MediaPackage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CdnAuthorization {
    pub(super) secret_arn: String,
    pub(super) role_arn: String,
}

/// Which renditions the endpoint offers, in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Streams {
    pub(super) min_video_bps: i32,
    pub(super) max_video_bps: i32,
    pub(super) order: StreamOrder,
}

/// Segments and the window of segments a manifest lists, every packaging's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Segments {
    pub(super) seconds: i32,
    /// Playlist window (HLS, CMAF) or manifest window (DASH, MSS).
    pub(super) window_seconds: i32,
}

/// What an HLS playlist carries (HLS, and CMAF's HLS manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HlsPlaylist {
    pub(super) ad_markers: AdMarkers,
    pub(super) program_date_time_seconds: i32,
    pub(super) iframe_only_stream: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DashManifest {
    pub(super) segment_template_format: SegmentTemplateFormat,
    pub(super) period_triggers: Vec<PeriodTriggersElement>,
    pub(super) profile: Profile,
    pub(super) min_buffer_seconds: i32,
    pub(super) min_update_period_seconds: i32,
    pub(super) presentation_delay_seconds: i32,
}

/// The one packaging the endpoint serves, with what only it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Package {
    Hls {
        segments: Segments,
        playlist: HlsPlaylist,
        audio_rendition_group: bool,
    },
    Dash {
        segments: Segments,
        manifest: DashManifest,
    },
    Cmaf {
        segments: Segments,
        playlist: HlsPlaylist,
    },
    Mss {
        segments: Segments,
    },
}

impl Package {
    pub(super) fn segments(&self) -> Segments {
        match self {
            Package::Hls { segments, .. }
            | Package::Dash { segments, .. }
            | Package::Cmaf { segments, .. }
            | Package::Mss { segments } => *segments,
        }
    }

    pub(super) fn packaging(&self) -> Packaging {
        match self {
            Package::Hls { .. } => Hls,
            Package::Dash { .. } => Dash,
            Package::Cmaf { .. } => Cmaf,
            Package::Mss { .. } => Mss,
        }
    }

    fn parse(packaging: Packaging, props: &Props<'_>) -> Result<Self, PropError> {
        let segments = Segments::parse(packaging, props)?;
        Ok(match packaging {
            Hls => Package::Hls {
                segments,
                playlist: HlsPlaylist::parse(props)?,
                audio_rendition_group: props.boolean("UseAudioRenditionGroup")?.unwrap_or(false),
            },
            Dash => Package::Dash {
                segments,
                manifest: DashManifest::parse(props)?,
            },
            Cmaf => Package::Cmaf {
                segments,
                playlist: HlsPlaylist::parse(props)?,
            },
            Mss => Package::Mss { segments },
        })
    }
}

/// `props.integer` narrowed to the SDK's i32 with a default.
fn int(props: &Props<'_>, name: &str, range: std::ops::RangeInclusive<i64>, default: i64) -> Result<i32, PropError> {
    let value = props.integer(name, range)?.unwrap_or(default);
    // Every range used here lies within i32.
    Ok(i32::try_from(value).unwrap_or(i32::MAX))
}

impl CdnAuthorization {
    fn parse(props: &Props<'_>) -> Result<Option<Self>, PropError> {
        match (props.string("CdnIdentifierSecret")?, props.string("SecretsRoleArn")?) {
            (Some(secret_arn), Some(role_arn)) => {
                validate::arn("CdnIdentifierSecret", &secret_arn, "secretsmanager", "secret:")?;
                validate::arn("SecretsRoleArn", &role_arn, "iam", "role/")?;
                Ok(Some(CdnAuthorization { secret_arn, role_arn }))
            }
            (None, None) => Ok(None),
            (Some(_), None) => Err(PropError::invalid(
                "SecretsRoleArn",
                "is required with CdnIdentifierSecret (give both or neither)",
            )),
            (None, Some(_)) => Err(PropError::invalid(
                "CdnIdentifierSecret",
                "is required with SecretsRoleArn (give both or neither)",
            )),
        }
    }
}

impl Streams {
    fn parse(props: &Props<'_>) -> Result<Self, PropError> {
        let min_video_bps = int(props, "MinVideoBitsPerSecond", 0..=MAX_BITRATE, 0)?;
        let max_video_bps = int(props, "MaxVideoBitsPerSecond", 0..=MAX_BITRATE, MAX_BITRATE)?;
        if min_video_bps > max_video_bps {
            return Err(PropError::invalid(
                "MinVideoBitsPerSecond",
                format!("must not exceed MaxVideoBitsPerSecond ({max_video_bps}), got {min_video_bps}"),
            ));
        }
        let order = props
            .sdk_enum(
                "StreamOrder",
                &["ORIGINAL", "VIDEO_BITRATE_ASCENDING", "VIDEO_BITRATE_DESCENDING"],
            )?
            .unwrap_or(StreamOrder::Original);
        Ok(Streams {
            min_video_bps,
            max_video_bps,
            order,
        })
    }
}

impl Segments {
    fn parse(packaging: Packaging, props: &Props<'_>) -> Result<Self, PropError> {
        let seconds = int(
            props,
            "SegmentDurationSeconds",
            1..=30,
            packaging.default_segment_seconds(),
        )?;
        let window_name = match packaging {
            Hls | Cmaf => "PlaylistWindowSeconds",
            Dash | Mss => "ManifestWindowSeconds",
        };
        let window_seconds = int(props, window_name, 1..=DAY, 60)?;
        if window_seconds < seconds {
            return Err(PropError::invalid(
                window_name,
                format!("must be at least SegmentDurationSeconds ({seconds}), got {window_seconds}"),
            ));
        }
        Ok(Segments { seconds, window_seconds })
    }
}

impl HlsPlaylist {
    fn parse(props: &Props<'_>) -> Result<Self, PropError> {
        let ad_markers = props
            .sdk_enum("AdMarkers", &["NONE", "SCTE35_ENHANCED", "PASSTHROUGH", "DATERANGE"])?
            .unwrap_or(AdMarkers::Passthrough);
        let program_date_time_seconds = int(props, "ProgramDateTimeIntervalSeconds", 0..=DAY, 0)?;
        if ad_markers == AdMarkers::Daterange && program_date_time_seconds == 0 {
            return Err(PropError::invalid(
                "ProgramDateTimeIntervalSeconds",
                "must be greater than 0 with AdMarkers DATERANGE (EXT-X-DATERANGE tags need program date-time)",
            ));
        }
        Ok(HlsPlaylist {
            ad_markers,
            program_date_time_seconds,
            iframe_only_stream: props.boolean("IncludeIframeOnlyStream")?.unwrap_or(false),
        })
    }
}

impl DashManifest {
    fn parse(props: &Props<'_>) -> Result<Self, PropError> {
        let mut period_triggers = Vec::new();
        for item in props.list("PeriodTriggers")?.unwrap_or_default() {
            match item.to_ascii_uppercase().as_str() {
                "ADS" => period_triggers.push(PeriodTriggersElement::Ads),
                "NONE" => {}
                _ => {
                    return Err(PropError::invalid(
                        "PeriodTriggers",
                        format!("may hold ADS or NONE, got {item:?}"),
                    ));
                }
            }
        }
        let profile = props
            .sdk_enum("Profile", &["NONE", "HBBTV_1_5", "HYBRIDCAST", "DVB_DASH_2014"])?
            .unwrap_or(Profile::None);
        if profile == Profile::Hybridcast && !period_triggers.is_empty() {
            return Err(PropError::invalid(
                "PeriodTriggers",
                "must be empty or NONE with Profile HYBRIDCAST (MediaPackage allows no DASH period triggers with it)",
            ));
        }
        Ok(DashManifest {
            segment_template_format: props
                .sdk_enum(
                    "SegmentTemplateFormat",
                    &["NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"],
                )?
                .unwrap_or(SegmentTemplateFormat::NumberWithTimeline),
            period_triggers,
            profile,
            min_buffer_seconds: int(props, "MinBufferTimeSeconds", 0..=3600, 30)?,
            min_update_period_seconds: int(props, "MinUpdatePeriodSeconds", 0..=3600, 15)?,
            presentation_delay_seconds: int(props, "SuggestedPresentationDelaySeconds", 0..=3600, 25)?,
        })
    }
}

/// The startover window and the delay, checked against each other.
fn timing(props: &Props<'_>) -> Result<(i32, i32), PropError> {
    let startover_seconds = int(props, "StartoverWindowSeconds", 0..=MAX_STARTOVER, 0)?;
    let time_delay_seconds = int(props, "TimeDelaySeconds", 0..=DAY, 0)?;
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
    Ok((startover_seconds, time_delay_seconds))
}


impl Spec {
    pub(super) fn parse(props: Props<'_>) -> Result<Self, PropError> {
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
        let (startover_seconds, time_delay_seconds) = timing(&props)?;
        Ok(Spec {
            id,
            channel_id,
            manifest_name,
            description,
            authorization: CdnAuthorization::parse(&props)?,
            startover_seconds,
            time_delay_seconds,
            streams: Streams::parse(&props)?,
            package: Package::parse(packaging, &props)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(props: Value) -> Result<Spec, PropError> {
        let map = props.as_object().cloned().unwrap_or_default();
        Spec::parse(Props::new(&map))
    }

    #[test]
    fn defaults_follow_the_reference_for_each_packaging() {
        let segments = |seconds, window_seconds| Segments { seconds, window_seconds };
        let hls = parse(json!({"EndPoint": "HLS", "ChannelId": "live"})).unwrap();
        assert_eq!((hls.id.as_str(), hls.package.segments()), ("live-hls", segments(6, 60)));
        let Package::Hls {
            playlist,
            audio_rendition_group,
            ..
        } = &hls.package
        else {
            panic!("HLS expected, got {:?}", hls.package);
        };
        assert_eq!(
            playlist,
            &HlsPlaylist {
                ad_markers: AdMarkers::Passthrough,
                program_date_time_seconds: 0,
                iframe_only_stream: false
            }
        );
        assert!(!audio_rendition_group);
        assert_eq!(
            (
                hls.manifest_name.as_str(),
                hls.startover_seconds,
                hls.time_delay_seconds
            ),
            ("index", 0, 0)
        );
        assert_eq!(
            hls.streams,
            Streams {
                min_video_bps: 0,
                max_video_bps: i32::MAX,
                order: StreamOrder::Original
            }
        );

        let dash = parse(json!({"EndPoint": "dash", "ChannelId": "live"})).unwrap();
        assert_eq!((dash.id.as_str(), dash.package.segments()), ("live-dash", segments(2, 60)));
        let Package::Dash { manifest, .. } = &dash.package else {
            panic!("DASH expected, got {:?}", dash.package);
        };
        assert_eq!(
            (
                manifest.min_buffer_seconds,
                manifest.min_update_period_seconds,
                manifest.presentation_delay_seconds
            ),
            (30, 15, 25)
        );
        assert_eq!(
            (&manifest.profile, &manifest.segment_template_format),
            (&Profile::None, &SegmentTemplateFormat::NumberWithTimeline)
        );

        let cmaf = parse(json!({"EndPoint": "CMAF", "ChannelId": "live"})).unwrap();
        assert_eq!((cmaf.id.as_str(), cmaf.package.segments()), ("live-cmaf", segments(6, 60)));
        let mss = parse(json!({"EndPoint": "MSS", "ChannelId": "live"})).unwrap();
        assert_eq!((mss.id.as_str(), mss.package.segments()), ("live-mss", segments(2, 60)));
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
            spec.package.segments(),
            Segments {
                seconds: 4,
                window_seconds: 120
            }
        );
        assert_eq!((spec.startover_seconds, spec.time_delay_seconds), (3600, 10));
        let Package::Hls {
            playlist,
            audio_rendition_group,
            ..
        } = &spec.package
        else {
            panic!("HLS expected, got {:?}", spec.package);
        };
        assert!(playlist.iframe_only_stream && *audio_rendition_group);
        assert_eq!(playlist.ad_markers, AdMarkers::Scte35Enhanced);
        assert_eq!(spec.streams.min_video_bps, 400_000);
    }
}
