//! Resources the tests and the local run create in the emulator.

use aws_sdk_mediapackage::types::{CmafPackageCreateOrUpdateParameters, HlsManifestCreateOrUpdateParameters};

/// A MediaPackage channel `<name>` with a CMAF endpoint `<name>-cmaf`
/// (one HLS manifest, as the stack makes them); returns the endpoint id.
pub async fn cmaf_endpoint(mediapackage: &aws_sdk_mediapackage::Client, name: &str) -> String {
    let endpoint = format!("{name}-cmaf");
    mediapackage
        .create_channel()
        .id(name)
        .send()
        .await
        .unwrap_or_else(|err| panic!("creating channel {name} in the emulator: {err}"));
    mediapackage
        .create_origin_endpoint()
        .channel_id(name)
        .id(&endpoint)
        .manifest_name("index")
        .cmaf_package(
            CmafPackageCreateOrUpdateParameters::builder()
                .segment_duration_seconds(6)
                .hls_manifests(
                    HlsManifestCreateOrUpdateParameters::builder()
                        .id(format!("{endpoint}-hls"))
                        .manifest_name("index")
                        .playlist_window_seconds(60)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|err| panic!("creating endpoint {endpoint} in the emulator: {err}"));
    endpoint
}
