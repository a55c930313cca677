//! `MediaPackageEndPoint`: an HLS, DASH, CMAF or MSS origin endpoint of a
//! MediaPackage (v1) channel, optionally behind CDN authorization.
//!
//! UpdateOriginEndpoint replaces the whole endpoint (what is left out is
//! reset), so create and update send the same complete description, built
//! once from the validated [`Spec`].

use std::collections::BTreeMap;

use aws_sdk_mediapackage::operation::describe_origin_endpoint::DescribeOriginEndpointOutput;
use aws_sdk_mediapackage::types::{
    Authorization, CmafPackage, CmafPackageCreateOrUpdateParameters, DashPackage, HlsManifestCreateOrUpdateParameters,
    HlsPackage, MssPackage, PlaylistType, SegmentTemplateFormat, StreamSelection,
};

use super::endpoint_url::{playback_url, url_data};
use super::owned::{self, Named};
use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::error::{Error, Found, aws_error};
use crate::ownership::tag_pairs;

mod spec;

use spec::{Package, Spec};

pub(super) struct MediaPackageEndPoint;

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
        Spec::parse(props)
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
            old.is_some_and(|old| old.channel_id != new.channel_id || old.package.packaging() != new.package.packaging());
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
            && let Package::Dash { segments, manifest } = &old.package
            && manifest.segment_template_format == SegmentTemplateFormat::NumberWithDuration
            && segments.seconds != new.package.segments().seconds
        {
            // https://docs.aws.amazon.com/mediapackage/latest/ug/endpoints-dash-packager.html
            return Err(PropError::invalid(
                "SegmentDurationSeconds",
                format!(
                    "cannot change from {} on an endpoint made with SegmentTemplateFormat NUMBER_WITH_DURATION; give a new Id to make a new endpoint",
                    segments.seconds
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
    tracing::info!(endpoint = %spec.id, packaging = spec.package.packaging().name(), "created origin endpoint");
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
        let authorization = spec.authorization.as_ref().map(|cdn| {
            Authorization::builder()
                .cdn_identifier_secret(&cdn.secret_arn)
                .secrets_role_arn(&cdn.role_arn)
                .build()
        });
        let streams = StreamSelection::builder()
            .min_video_bits_per_second(spec.streams.min_video_bps)
            .max_video_bits_per_second(spec.streams.max_video_bps)
            .stream_order(spec.streams.order.clone())
            .build();
        let mut packages = Packages {
            authorization,
            ..Packages::default()
        };
        match &spec.package {
            Package::Hls {
                segments,
                playlist,
                audio_rendition_group,
            } => {
                packages.hls = Some(
                    HlsPackage::builder()
                        .segment_duration_seconds(segments.seconds)
                        .playlist_window_seconds(segments.window_seconds)
                        .playlist_type(PlaylistType::None)
                        .program_date_time_interval_seconds(playlist.program_date_time_seconds)
                        .include_iframe_only_stream(playlist.iframe_only_stream)
                        .use_audio_rendition_group(*audio_rendition_group)
                        .ad_markers(playlist.ad_markers.clone())
                        .stream_selection(streams)
                        .build(),
                )
            }
            Package::Dash { segments, manifest } => {
                packages.dash = Some(
                    DashPackage::builder()
                        .segment_duration_seconds(segments.seconds)
                        .manifest_window_seconds(segments.window_seconds)
                        .min_buffer_time_seconds(manifest.min_buffer_seconds)
                        .min_update_period_seconds(manifest.min_update_period_seconds)
                        .suggested_presentation_delay_seconds(manifest.presentation_delay_seconds)
                        .profile(manifest.profile.clone())
                        .segment_template_format(manifest.segment_template_format.clone())
                        .set_period_triggers(Some(manifest.period_triggers.clone()))
                        .stream_selection(streams)
                        .build(),
                )
            }
            Package::Cmaf { segments, playlist } => {
                let manifest = HlsManifestCreateOrUpdateParameters::builder()
                    .id(format!("{}-hls", spec.id))
                    .manifest_name(&spec.manifest_name)
                    .playlist_window_seconds(segments.window_seconds)
                    .playlist_type(PlaylistType::None)
                    .program_date_time_interval_seconds(playlist.program_date_time_seconds)
                    .include_iframe_only_stream(playlist.iframe_only_stream)
                    .ad_markers(playlist.ad_markers.clone())
                    .build();
                packages.cmaf = Some(
                    CmafPackageCreateOrUpdateParameters::builder()
                        .segment_duration_seconds(segments.seconds)
                        .hls_manifests(manifest)
                        .stream_selection(streams)
                        .build(),
                )
            }
            Package::Mss { segments } => {
                packages.mss = Some(
                    MssPackage::builder()
                        .segment_duration_seconds(segments.seconds)
                        .manifest_window_seconds(segments.window_seconds)
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
    use aws_sdk_mediapackage::types::{AdMarkers, PeriodTriggersElement};
    use serde_json::{Value, json};

    fn parse(props: Value) -> Result<Spec, PropError> {
        let map = props.as_object().cloned().unwrap_or_default();
        let props = Props::new(&map);
        props.check_known(MediaPackageEndPoint::PROPERTIES)?;
        MediaPackageEndPoint::parse(props)
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
