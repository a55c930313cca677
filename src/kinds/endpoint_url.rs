//! `MediaPackageEndPointUrl`: the playback URL of an existing origin
//! endpoint. `AWS::MediaPackage::OriginEndpoint` leaves `Url` empty for
//! CMAF, whose URL lives on its first HLS manifest.

use std::collections::BTreeMap;

use aws_sdk_mediapackage::types::CmafPackage;
use url::Url;

use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::error::{Error, aws_error};

pub(super) struct MediaPackageEndPointUrl;

pub(super) struct Spec {
    endpoint_id: String,
}

impl Resource for MediaPackageEndPointUrl {
    const NAME: &'static str = "MediaPackageEndPointUrl";
    const PROPERTIES: &'static [&'static str] = &["EndpointId"];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        Ok(Spec {
            endpoint_id: props.required_string("EndpointId")?,
        })
    }

    async fn create(aws: &Clients, _req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        let endpoint = aws
            .mediapackage
            .describe_origin_endpoint()
            .id(&spec.endpoint_id)
            .send()
            .await
            .map_err(aws_error("DescribeOriginEndpoint"))?;
        let url = playback_url(endpoint.url(), endpoint.cmaf_package())
            .ok_or_else(|| Error::Unexpected(format!("origin endpoint {} has no playback URL", spec.endpoint_id)))?;
        Ok(Outcome::new(&spec.endpoint_id).with_data(url_data(url)?))
    }

    /// A lookup has no state of its own: look again. The same endpoint
    /// keeps the id CloudFormation knows, as a new id reads as replacement.
    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        let mut outcome = Self::create(aws, req, new).await?;
        if old.is_none_or(|old| old.endpoint_id == new.endpoint_id) {
            outcome.physical_id = physical_id.to_owned();
        }
        Ok(outcome)
    }

    async fn delete_made_in(
        _aws: &Clients,
        _req: &Request,
        _request_id: &str,
        _spec: Option<&Spec>,
    ) -> Result<(), Error> {
        Ok(()) // a lookup makes nothing
    }

    async fn delete(_aws: &Clients, _req: &Request, _physical_id: &str, _spec: Option<&Spec>) -> Result<(), Error> {
        Ok(())
    }
}

/// The endpoint's URL; for CMAF, its first HLS manifest's.
pub(super) fn playback_url<'a>(endpoint_url: Option<&'a str>, cmaf: Option<&'a CmafPackage>) -> Option<&'a str> {
    let manifest_url = cmaf
        .and_then(|cmaf| cmaf.hls_manifests().first())
        .and_then(|manifest| manifest.url())
        .filter(|url| !url.is_empty());
    manifest_url.or(endpoint_url).filter(|url| !url.is_empty())
}

/// `Url`, `DomainName`, `Path` and `Manifest` (the path without its
/// leading `/out/v1`, for building CDN URLs).
pub(super) fn url_data(url: &str) -> Result<BTreeMap<String, String>, Error> {
    let parsed = Url::parse(url)
        .map_err(|err| Error::Unexpected(format!("MediaPackage returned an unusable URL {url:?}: {err}")))?;
    let path = parsed.path().to_owned();
    let manifest = path.strip_prefix("/out/v1").unwrap_or(&path).to_owned();
    Ok(BTreeMap::from([
        ("Url".to_owned(), url.to_owned()),
        (
            "DomainName".to_owned(),
            parsed.host_str().unwrap_or_default().to_owned(),
        ),
        ("Path".to_owned(), path),
        ("Manifest".to_owned(), manifest),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_mediapackage::operation::describe_origin_endpoint::DescribeOriginEndpointOutput;
    use aws_sdk_mediapackage::types::HlsManifest;

    fn playback(endpoint: &DescribeOriginEndpointOutput) -> Option<&str> {
        playback_url(endpoint.url(), endpoint.cmaf_package())
    }

    #[test]
    fn url_is_split_for_the_cdn() {
        let data = url_data("https://abc123.mediapackage.eu-west-1.amazonaws.com/out/v1/0f1e/index.m3u8").unwrap();
        assert_eq!(data["DomainName"], "abc123.mediapackage.eu-west-1.amazonaws.com");
        assert_eq!(data["Path"], "/out/v1/0f1e/index.m3u8");
        assert_eq!(data["Manifest"], "/0f1e/index.m3u8");
        assert_eq!(
            data["Url"],
            "https://abc123.mediapackage.eu-west-1.amazonaws.com/out/v1/0f1e/index.m3u8"
        );
    }

    #[test]
    fn cmaf_url_comes_from_the_first_hls_manifest() {
        let endpoint = DescribeOriginEndpointOutput::builder()
            .url("")
            .cmaf_package(
                CmafPackage::builder()
                    .hls_manifests(HlsManifest::builder().id("a").url("https://h/out/v1/x/a.m3u8").build())
                    .hls_manifests(HlsManifest::builder().id("b").url("https://h/out/v1/x/b.m3u8").build())
                    .build(),
            )
            .build();
        assert_eq!(playback(&endpoint), Some("https://h/out/v1/x/a.m3u8"));
        let plain = DescribeOriginEndpointOutput::builder()
            .url("https://h/out/v1/y/index.mpd")
            .build();
        assert_eq!(playback(&plain), Some("https://h/out/v1/y/index.mpd"));
        assert_eq!(playback(&DescribeOriginEndpointOutput::builder().url("").build()), None);
    }
}
