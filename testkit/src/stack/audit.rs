//! What a stack left behind in the emulator: everything the handler can
//! make (and any S3 object or schedule), listed through the same endpoint the handler used.

use aws_config::SdkConfig;

/// What the recordings machinery writes in a stack's recordings bucket.
const RECORDINGS: &[&str] = &["recordings/", "catalog/recordings/", "catalog/failed/"];

/// One line per resource still there; empty when nothing is left.
/// `artifacts` (`(bucket, key)`) are the deployer's and not counted.
pub async fn leftovers(config: &SdkConfig, artifacts: &[(String, String)]) -> Result<Vec<String>, String> {
    let medialive = aws_sdk_medialive::Client::new(config);
    let mediapackage = aws_sdk_mediapackage::Client::new(config);
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    let ssm = aws_sdk_ssm::Client::new(config);
    let mut left = Vec::new();

    let inputs = medialive.list_inputs().into_paginator().items().send().collect().await;
    note("MediaLive inputs", inputs, &mut left, |input| {
        let state = input.state().map(|s| s.as_str()).unwrap_or_default();
        (!finishing(state)).then(|| format!("MediaLive input {} ({state})", input.id().unwrap_or_default()))
    })?;
    let groups = medialive
        .list_input_security_groups()
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    note("MediaLive input security groups", groups, &mut left, |group| {
        Some(format!(
            "MediaLive input security group {}",
            group.id().unwrap_or_default()
        ))
    })?;
    let channels = medialive
        .list_channels()
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    note("MediaLive channels", channels, &mut left, |channel| {
        let state = channel.state().map(|s| s.as_str()).unwrap_or_default();
        (!finishing(state)).then(|| format!("MediaLive channel {} ({state})", channel.id().unwrap_or_default()))
    })?;
    let channels = mediapackage
        .list_channels()
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    note("MediaPackage channels", channels, &mut left, |channel| {
        Some(format!("MediaPackage channel {}", channel.id().unwrap_or_default()))
    })?;
    let endpoints = mediapackage
        .list_origin_endpoints()
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    note("MediaPackage origin endpoints", endpoints, &mut left, |endpoint| {
        Some(format!(
            "MediaPackage origin endpoint {}",
            endpoint.id().unwrap_or_default()
        ))
    })?;
    // These two paginate by page only.
    let pages = secrets.list_secrets().into_paginator().send().collect().await;
    let secret_names = |page: &aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput| {
        let names: Vec<&str> = page.secret_list().iter().filter_map(|s| s.name()).collect();
        (!names.is_empty()).then(|| format!("secrets {}", names.join(", ")))
    };
    note("secrets", pages, &mut left, secret_names)?;
    let pages = ssm.describe_parameters().into_paginator().send().collect().await;
    let parameter_names = |page: &aws_sdk_ssm::operation::describe_parameters::DescribeParametersOutput| {
        let names: Vec<&str> = page.parameters().iter().filter_map(|p| p.name()).collect();
        (!names.is_empty()).then(|| format!("SSM parameters {}", names.join(", ")))
    };
    note("SSM parameters", pages, &mut left, parameter_names)?;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(config);
    let pages = cloudwatch.describe_alarms().into_paginator().send().collect().await;
    let alarm_names = |page: &aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput| {
        let names: Vec<&str> = page.metric_alarms().iter().filter_map(|a| a.alarm_name()).collect();
        (!names.is_empty()).then(|| format!("CloudWatch alarms {}", names.join(", ")))
    };
    note("CloudWatch alarms", pages, &mut left, alarm_names)?;
    // Buckets themselves may stay (retained access logs and recordings);
    // objects may not, but for recordings.
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(true).build());
    let buckets = s3
        .list_buckets()
        .send()
        .await
        .map_err(|err| format!("listing S3 buckets: {err}"))?;
    for bucket in buckets.buckets().iter().filter_map(|b| b.name()) {
        let objects = s3
            .list_objects_v2()
            .bucket(bucket)
            .into_paginator()
            .send()
            .collect::<Vec<_>>()
            .await;
        note("S3 objects", objects, &mut left, |page| {
            let keys: Vec<&str> = page
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .filter(|key| !artifacts.iter().any(|(b, k)| b == bucket && k == key))
                // Recordings and their list are the user's, kept on purpose
                // (a retained bucket); what records them is tested itself.
                .filter(|key| !RECORDINGS.iter().any(|prefix| key.starts_with(prefix)))
                .collect();
            (!keys.is_empty()).then(|| format!("S3 objects in {bucket}: {}", keys.join(", ")))
        })?;
    }
    left.extend(mediapackage_v2(config).await?);
    // Schedules the cost guard made outlive nothing: their group goes with the stack.
    let scheduler = aws_sdk_scheduler::Client::new(config);
    let schedules = scheduler
        .list_schedules()
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    note("schedules", schedules, &mut left, |page| {
        let names: Vec<String> = page
            .schedules()
            .iter()
            .map(|s| {
                format!(
                    "{}/{}",
                    s.group_name().unwrap_or_default(),
                    s.name().unwrap_or_default()
                )
            })
            .collect();
        (!names.is_empty()).then(|| format!("schedules {}", names.join(", ")))
    })?;
    Ok(left)
}

/// MediaPackage v2 channel groups, channels and origin endpoints (the
/// faithful layer emulates v2 whole; these are CloudFormation's own).
async fn mediapackage_v2(config: &SdkConfig) -> Result<Vec<String>, String> {
    let Some(endpoint) = config.endpoint_url() else {
        return Ok(Vec::new());
    };
    let list = |path: String| async move {
        let (status, answer) =
            crate::faithful::as_cloudformation(endpoint, "mediapackagev2", hyper::Method::GET, &path, None).await?;
        if status != 200 {
            return Err(format!("listing MediaPackage v2 {path}: HTTP {status}"));
        }
        // Each item by its own name (an endpoint's item names its channel too).
        let names: Vec<String> = answer["Items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                ["OriginEndpointName", "ChannelName", "ChannelGroupName"]
                    .iter()
                    .find_map(|key| item[*key].as_str())
                    .map(str::to_owned)
            })
            .collect();
        Ok::<_, String>(names)
    };
    let mut left = Vec::new();
    for group in list("/channelGroup".to_owned()).await? {
        left.push(format!("MediaPackage v2 channel group {group}"));
        for channel in list(format!("/channelGroup/{group}/channel")).await? {
            left.push(format!("MediaPackage v2 channel {group}/{channel}"));
            for endpoint in list(format!("/channelGroup/{group}/channel/{channel}/originEndpoint")).await? {
                left.push(format!("MediaPackage v2 origin endpoint {group}/{channel}/{endpoint}"));
            }
        }
    }
    Ok(left)
}

/// Adds a line to `left` for each listed item that `line` reports.
fn note<T, E: std::fmt::Display>(
    what: &str,
    listed: Vec<Result<T, E>>,
    left: &mut Vec<String>,
    line: impl Fn(&T) -> Option<String>,
) -> Result<(), String> {
    for item in listed {
        let item = item.map_err(|err| format!("listing {what}: {err}"))?;
        left.extend(line(&item));
    }
    Ok(())
}

/// MediaLive finishes a delete it accepted on its own (and lists the
/// resource meanwhile); nothing is left to pay for or to do.
fn finishing(state: &str) -> bool {
    matches!(state, "DELETING" | "DELETED")
}
