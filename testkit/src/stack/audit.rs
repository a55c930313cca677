//! What a stack left behind in the emulator: everything the handler can
//! make, listed through the same endpoint the handler used.

use aws_config::SdkConfig;

/// One line per resource still there; empty when nothing is left.
pub async fn leftovers(config: &SdkConfig) -> Result<Vec<String>, String> {
    let medialive = aws_sdk_medialive::Client::new(config);
    let mediapackage = aws_sdk_mediapackage::Client::new(config);
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    let ssm = aws_sdk_ssm::Client::new(config);
    let failed = |what: &'static str| move |err: String| format!("listing {what}: {err}");
    let mut left = Vec::new();

    let inputs = medialive
        .list_inputs()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    for input in inputs {
        let input = input.map_err(|e| failed("MediaLive inputs")(e.to_string()))?;
        let state = input.state().map(|s| s.as_str().to_owned()).unwrap_or_default();
        if !finishing(&state) {
            left.push(format!("MediaLive input {} ({state})", input.id().unwrap_or_default()));
        }
    }
    let groups = medialive
        .list_input_security_groups()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    for group in groups {
        let group = group.map_err(|e| failed("MediaLive input security groups")(e.to_string()))?;
        left.push(format!(
            "MediaLive input security group {}",
            group.id().unwrap_or_default()
        ));
    }
    let channels = medialive
        .list_channels()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    for channel in channels {
        let channel = channel.map_err(|e| failed("MediaLive channels")(e.to_string()))?;
        let state = channel.state().map(|s| s.as_str().to_owned()).unwrap_or_default();
        if !finishing(&state) {
            left.push(format!(
                "MediaLive channel {} ({state})",
                channel.id().unwrap_or_default()
            ));
        }
    }
    let channels = mediapackage
        .list_channels()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    for channel in channels {
        let channel = channel.map_err(|e| failed("MediaPackage channels")(e.to_string()))?;
        left.push(format!("MediaPackage channel {}", channel.id().unwrap_or_default()));
    }
    let endpoints = mediapackage
        .list_origin_endpoints()
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    for endpoint in endpoints {
        let endpoint = endpoint.map_err(|e| failed("MediaPackage origin endpoints")(e.to_string()))?;
        left.push(format!(
            "MediaPackage origin endpoint {}",
            endpoint.id().unwrap_or_default()
        ));
    }
    let pages = secrets.list_secrets().into_paginator().send().collect::<Vec<_>>().await;
    for page in pages {
        let page = page.map_err(|e| failed("secrets")(e.to_string()))?;
        for secret in page.secret_list() {
            left.push(format!("secret {}", secret.name().unwrap_or_default()));
        }
    }
    let pages = ssm
        .describe_parameters()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    for page in pages {
        let page = page.map_err(|e| failed("SSM parameters")(e.to_string()))?;
        for parameter in page.parameters() {
            left.push(format!("SSM parameter {}", parameter.name().unwrap_or_default()));
        }
    }
    Ok(left)
}

/// MediaLive finishes a delete it accepted on its own (and lists the
/// resource meanwhile); nothing is left to pay for or to do.
fn finishing(state: &str) -> bool {
    matches!(state, "DELETING" | "DELETED")
}
