//! The template's native resources: stand-in ids and attributes shaped
//! like AWS's, and the few the handler writes into or calls (S3 buckets,
//! schedule groups, SNS topics) made and deleted in the emulator for real,
//! as are the MediaPackage v2 resources (in the faithful layer, which
//! emulates v2 whole), whose ids and attributes are then the service's.

use std::collections::BTreeMap;

use super::deployed::Deployed;
use super::eval::Exposed;
use crate::account::{ACCOUNT, REGION};
use crate::faithful::as_cloudformation;

const V2: &str = "mediapackagev2";

/// Where native resources are made for real: the emulator (buckets,
/// schedule groups, topics, secrets) and the faithful layer (MediaPackage
/// v2, which it emulates whole). Without either, only stand-ins.
#[derive(Debug, Clone)]
pub(super) struct Places {
    pub(super) emulator: Option<String>,
    pub(super) faithful: Option<String>,
}

/// Makes (`make`) or deletes a native resource where it is made for real,
/// if it is; what a made resource then exposes, when the service decides
/// it (a secret's ARN, a v2 endpoint's URLs).
pub(super) async fn make_or_delete(
    places: &Places,
    resource: &Deployed,
    make: bool,
) -> Result<Option<Exposed>, String> {
    if resource.kind == "AWS::CloudWatch::Alarm" {
        return match &places.faithful {
            Some(endpoint) => alarm_in_faithful_layer(endpoint, resource, make)
                .await
                .map(|()| None)
                .map_err(|err| format!("{} {}: {err}", resource.kind, resource.logical_id)),
            None => Ok(None),
        };
    }
    if resource.kind == "AWS::S3::BucketPolicy" {
        return match &places.faithful {
            Some(endpoint) => bucket_policy_in_faithful_layer(endpoint, resource, make)
                .await
                .map(|()| None)
                .map_err(|err| format!("{} {}: {err}", resource.kind, resource.logical_id)),
            None => Ok(None),
        };
    }
    if resource.kind.starts_with("AWS::MediaPackageV2::") {
        return match &places.faithful {
            Some(endpoint) => in_faithful_layer(endpoint, resource, make)
                .await
                .map_err(|err| format!("{} {}: {err}", resource.kind, resource.logical_id)),
            None => Ok(None),
        };
    }
    match &places.emulator {
        Some(endpoint) => in_emulator(endpoint, resource, make).await,
        None => Ok(None),
    }
}

/// Puts (or deletes) a bucket's policy where the faithful layer keeps it
/// (MediaPackage's harvest reads it there; moto would enforce it).
async fn bucket_policy_in_faithful_layer(endpoint: &str, resource: &Deployed, make: bool) -> Result<(), String> {
    let bucket = resource.properties["Bucket"].as_str().unwrap_or_default();
    let path = format!("/{bucket}?policy");
    let (method, body) = if make {
        (hyper::Method::PUT, Some(&resource.properties["PolicyDocument"]))
    } else {
        (hyper::Method::DELETE, None)
    };
    let (status, _) = as_cloudformation(endpoint, "s3", method, &path, body).await?;
    match status {
        200 | 204 => Ok(()),
        other => Err(format!("HTTP {other}")),
    }
}

/// Makes (`make`, or changes: PutMetricAlarm replaces an alarm of the same
/// name) or deletes a CloudWatch alarm in the faithful layer at `endpoint`,
/// which emulates CloudWatch's alarms.
async fn alarm_in_faithful_layer(endpoint: &str, resource: &Deployed, make: bool) -> Result<(), String> {
    let name = resource.exposed.physical_id.as_str();
    let (operation, body) = if make {
        let mut body = resource.properties.clone();
        body["AlarmName"] = serde_json::json!(name);
        ("PutMetricAlarm", body)
    } else {
        ("DeleteAlarms", serde_json::json!({ "AlarmNames": [name] }))
    };
    let path = format!("/service/GraniteServiceVersion20100801/operation/{operation}");
    let (status, answer) = as_cloudformation(endpoint, "monitoring", hyper::Method::POST, &path, Some(&body)).await?;
    if status != 200 {
        return Err(format!("{operation}: HTTP {status}: {answer}"));
    }
    Ok(())
}

/// Makes (`make`) or deletes a MediaPackage v2 resource through the
/// faithful layer at `endpoint`, as CloudFormation's handler for its type
/// would: the properties become the call's URI and body, as the v2 API
/// model places them. On a make, what the resource then exposes (`Ref` is
/// its ARN, or its names for a policy).
async fn in_faithful_layer(endpoint: &str, resource: &Deployed, make: bool) -> Result<Option<Exposed>, String> {
    let properties = &resource.properties;
    let name = |key: &str| properties[key].as_str().unwrap_or_default().to_owned();
    let (group, channel, endpoint_name) = (
        name("ChannelGroupName"),
        name("ChannelName"),
        name("OriginEndpointName"),
    );
    let noun = resource.kind.trim_start_matches("AWS::MediaPackageV2::");
    let operation = match (noun, make) {
        ("ChannelPolicy" | "OriginEndpointPolicy", true) => format!("Put{noun}"),
        (_, true) => format!("Create{noun}"),
        (_, false) => format!("Delete{noun}"),
    };
    let (method, path) = crate::botocore::request_line(V2, &operation, properties)?;
    let body = if make {
        Some(crate::botocore::body_from_properties(V2, &operation, properties)?)
    } else {
        None
    };
    let (status, answer) = as_cloudformation(endpoint, V2, method, &path, body.as_ref()).await?;
    // A retried delete of something already gone: CloudFormation counts
    // it as deleted.
    if !make && status == 404 {
        return Ok(None);
    }
    if status != 200 {
        let code = answer["__type"].as_str().unwrap_or("error");
        let message = answer["message"].as_str().unwrap_or_default();
        return Err(format!("{operation}: {code} (HTTP {status}): {message}"));
    }
    if !make {
        return Ok(None);
    }
    let text = |key: &str| answer[key].as_str().unwrap_or_default().to_owned();
    let urls = |key: &str| -> Vec<String> {
        answer[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["Url"].as_str().map(str::to_owned))
            .collect()
    };
    let physical_id = match resource.kind.as_str() {
        "AWS::MediaPackageV2::ChannelPolicy" => format!("{group}|{channel}"),
        "AWS::MediaPackageV2::OriginEndpointPolicy" => format!("{group}|{channel}|{endpoint_name}"),
        _ => text("Arn"),
    };
    let mut attributes: BTreeMap<String, String> = ["Arn", "EgressDomain"]
        .into_iter()
        .filter(|key| answer[key].is_string())
        .map(|key| (key.to_owned(), text(key)))
        .collect();
    for key in ["CreatedAt", "ModifiedAt"] {
        if let Some(seconds) = answer[key].as_f64() {
            attributes.insert(key.to_owned(), format!("{seconds}"));
        }
    }
    let mut lists = BTreeMap::new();
    if answer["IngestEndpoints"].is_array() {
        lists.insert("IngestEndpointUrls".to_owned(), urls("IngestEndpoints"));
    }
    for (attribute, key) in [
        ("HlsManifestUrls", "HlsManifests"),
        ("LowLatencyHlsManifestUrls", "LowLatencyHlsManifests"),
        ("DashManifestUrls", "DashManifests"),
        ("MssManifestUrls", "MssManifests"),
    ] {
        if resource.kind == "AWS::MediaPackageV2::OriginEndpoint" {
            lists.insert(attribute.to_owned(), urls(key));
        }
    }
    Ok(Some(Exposed {
        physical_id,
        attributes,
        lists,
    }))
}

/// Creates (`make`) or deletes, in the emulator, a native resource the
/// handler writes into or calls: an S3 bucket (deleted only when empty,
/// as CloudFormation does), a schedule group (whose deletion deletes
/// its schedules), an SNS topic; or one that a service reads: a Secrets
/// Manager secret (its value given or generated, as the template says;
/// deleted with Secrets Manager's default recovery window). What a made
/// resource then exposes when the emulator decides it (a secret's ARN).
async fn in_emulator(endpoint: &str, resource: &Deployed, make: bool) -> Result<Option<Exposed>, String> {
    let name = &resource.exposed.physical_id;
    let config = crate::moto::sdk_config(endpoint).await;
    let s3 = || {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
    };
    let scheduler = || aws_sdk_scheduler::Client::new(&config);
    let sns = || aws_sdk_sns::Client::new(&config);
    let secrets = || aws_sdk_secretsmanager::Client::new(&config);
    let events = || aws_sdk_eventbridge::Client::new(&config);
    let logs = || aws_sdk_cloudwatchlogs::Client::new(&config);
    match (resource.kind.as_str(), make) {
        // Where the check reads the functions' errors (the functions here
        // log to their own output, not to these groups).
        ("AWS::Logs::LogGroup", true) => {
            return match logs().create_log_group().log_group_name(name).send().await {
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_resource_already_exists_exception()) =>
                {
                    Ok(None)
                }
                done => done
                    .map(|_| None)
                    .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err))),
            };
        }
        ("AWS::Logs::LogGroup", false) => {
            return logs()
                .delete_log_group()
                .log_group_name(name)
                .send()
                .await
                .map(|_| None)
                .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err)));
        }
        // Made (and updated: both calls replace) where the first-deploy
        // check reads them; nothing sends events through them here.
        ("AWS::Events::Rule", true) => {
            let properties = &resource.properties;
            let text = |key: &str| properties[key].as_str().map(str::to_owned);
            events()
                .put_rule()
                .name(name)
                .set_description(text("Description"))
                .set_event_pattern(
                    properties
                        .get("EventPattern")
                        .filter(|p| !p.is_null())
                        .map(serde_json::Value::to_string),
                )
                .set_schedule_expression(text("ScheduleExpression"))
                .state(aws_sdk_eventbridge::types::RuleState::from(
                    properties["State"].as_str().unwrap_or("ENABLED"),
                ))
                .send()
                .await
                .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err)))?;
            let targets = properties["Targets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|target| {
                    aws_sdk_eventbridge::types::Target::builder()
                        .id(target["Id"].as_str().unwrap_or_default())
                        .arn(target["Arn"].as_str().unwrap_or_default())
                        .set_input(target["Input"].as_str().map(str::to_owned))
                        .build()
                        .map_err(|err| format!("{} {name}: {err}", resource.kind))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if !targets.is_empty() {
                events()
                    .put_targets()
                    .rule(name)
                    .set_targets(Some(targets))
                    .send()
                    .await
                    .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err)))?;
            }
            return Ok(None);
        }
        ("AWS::Events::Rule", false) => {
            let listed = events()
                .list_targets_by_rule()
                .rule(name)
                .send()
                .await
                .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err)))?;
            let ids: Vec<String> = listed.targets().iter().map(|t| t.id().to_owned()).collect();
            if !ids.is_empty() {
                events()
                    .remove_targets()
                    .rule(name)
                    .set_ids(Some(ids))
                    .send()
                    .await
                    .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err)))?;
            }
            return events()
                .delete_rule()
                .name(name)
                .send()
                .await
                .map(|_| None)
                .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err)));
        }
        ("AWS::SecretsManager::Secret", true) => {
            let properties = &resource.properties;
            let value = match properties["SecretString"].as_str() {
                Some(given) => given.to_owned(),
                None => {
                    let length = properties["GenerateSecretString"]["PasswordLength"]
                        .as_u64()
                        .unwrap_or(32);
                    hex(name, usize::try_from(length).unwrap_or(32))
                }
            };
            let tags = properties["Tags"].as_array().into_iter().flatten().map(|tag| {
                aws_sdk_secretsmanager::types::Tag::builder()
                    .key(tag["Key"].as_str().unwrap_or_default())
                    .value(tag["Value"].as_str().unwrap_or_default())
                    .build()
            });
            let made = secrets()
                .create_secret()
                .name(name)
                .secret_string(value)
                .set_tags(Some(tags.collect()))
                .send()
                .await
                .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err)))?;
            let arn = made.arn().unwrap_or_default().to_owned();
            return Ok(Some(Exposed {
                physical_id: arn.clone(),
                attributes: BTreeMap::from([("Id".to_owned(), arn)]),
                lists: BTreeMap::new(),
            }));
        }
        ("AWS::SecretsManager::Secret", false) => {
            return secrets()
                .delete_secret()
                .secret_id(name)
                .send()
                .await
                .map(|_| None)
                .map_err(|err| format!("{} {name}: {}", resource.kind, shown(err)));
        }
        _ => {}
    }
    let done = match (resource.kind.as_str(), make) {
        ("AWS::S3::Bucket", true) => match s3().create_bucket().bucket(name).send().await {
            // A retained bucket of an earlier run of the same stack.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_bucket_already_owned_by_you()) =>
            {
                Ok(())
            }
            answer => answer.map(drop).map_err(shown),
        },
        ("AWS::S3::Bucket", false) => s3().delete_bucket().bucket(name).send().await.map(drop).map_err(shown),
        ("AWS::Scheduler::ScheduleGroup", true) => scheduler()
            .create_schedule_group()
            .name(name)
            .send()
            .await
            .map(drop)
            .map_err(shown),
        ("AWS::Scheduler::ScheduleGroup", false) => scheduler()
            .delete_schedule_group()
            .name(name)
            .send()
            .await
            .map(drop)
            .map_err(shown),
        ("AWS::SNS::Topic", true) => {
            let topic = resource
                .exposed
                .attributes
                .get("TopicName")
                .cloned()
                .unwrap_or_default();
            sns().create_topic().name(topic).send().await.map(drop).map_err(shown)
        }
        ("AWS::SNS::Topic", false) => sns()
            .delete_topic()
            .topic_arn(name)
            .send()
            .await
            .map(drop)
            .map_err(shown),
        _ => Ok(()),
    };
    done.map(|()| None)
        .map_err(|err| format!("{} {name}: {err}", resource.kind))
}

/// Ids and attributes for a native resource, shaped like the real ones so
/// that the handler's validation (ARNs, host names) sees real-looking values.
pub(super) fn stand_in(stack_name: &str, resource: &Deployed) -> Exposed {
    let logical = &resource.logical_id;
    // CloudFormation's own names: the stack's name and the logical id,
    // cut so that the whole fits the service's limit (IAM roles and
    // Lambda functions: 64 characters).
    let name: String = format!("{stack_name}-{logical}").chars().take(64).collect();
    let named = |key: &str| resource.properties[key].as_str().map(str::to_owned);
    let (physical_id, mut attributes): (String, Vec<(&str, String)>) = match resource.kind.as_str() {
        "AWS::IAM::Role" => (
            name.clone(),
            vec![
                // A role's ARN holds its path (`/` unless the template sets one).
                (
                    "Arn",
                    format!(
                        "arn:aws:iam::{ACCOUNT}:role{}{name}",
                        named("Path").unwrap_or("/".into())
                    ),
                ),
                ("RoleId", format!("AROA{}", hex(&name, 16))),
            ],
        ),
        "AWS::Lambda::Function" => {
            let function = named("FunctionName").unwrap_or(name.clone());
            let arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}");
            (function, vec![("Arn", arn)])
        }
        "AWS::SNS::Topic" => {
            let topic = named("TopicName").unwrap_or_else(|| format!("{name}-{}", hex(&name, 12).to_uppercase()));
            let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{topic}");
            (arn.clone(), vec![("TopicArn", arn), ("TopicName", topic)])
        }
        "AWS::Scheduler::ScheduleGroup" => {
            let group = named("Name").unwrap_or(name.clone());
            let arn = format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{group}");
            (group, vec![("Arn", arn)])
        }
        "AWS::CloudWatch::Alarm" => {
            let alarm = named("AlarmName").unwrap_or(name.clone());
            let arn = format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{alarm}");
            (alarm, vec![("Arn", arn)])
        }
        "AWS::Events::Rule" => (
            name.clone(),
            vec![("Arn", format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"))],
        ),
        "AWS::Logs::LogGroup" => {
            let group = named("LogGroupName").unwrap_or(name.clone());
            let arn = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*");
            (group, vec![("Arn", arn)])
        }
        "AWS::SecretsManager::Secret" => {
            // Made in the emulator, which names its ARN (see make_or_delete).
            // CloudFormation adds a random part: a secret removed by one
            // update and added back by the next is a new name, while the
            // old one waits out its recovery window.
            let secret = named("Name").unwrap_or_else(|| format!("{logical}-{}", fresh(&name, 12)));
            (secret, Vec::new())
        }
        "AWS::S3::Bucket" => {
            // At most 63 characters: the stack's name and logical id cut,
            // and a random part, as CloudFormation names buckets.
            let prefix: String = name.to_lowercase().chars().take(63 - 9).collect();
            let bucket = named("BucketName").unwrap_or_else(|| format!("{prefix}-{}", hex(&name, 8)));
            (
                bucket.clone(),
                vec![
                    ("Arn", format!("arn:aws:s3:::{bucket}")),
                    ("DomainName", format!("{bucket}.s3.amazonaws.com")),
                    ("RegionalDomainName", format!("{bucket}.s3.{REGION}.amazonaws.com")),
                ],
            )
        }
        "AWS::CloudFront::Distribution" => {
            let id = format!("E{}", hex(&name, 13).to_uppercase());
            (
                id.clone(),
                vec![
                    ("DomainName", format!("d{}.cloudfront.net", hex(&name, 13))),
                    ("Id", id),
                ],
            )
        }
        "AWS::CloudFront::OriginAccessControl" => {
            let id = format!("E{}", hex(&name, 13).to_uppercase());
            (id.clone(), vec![("Id", id)])
        }
        "AWS::CloudFront::CachePolicy" | "AWS::CloudFront::OriginRequestPolicy" | "AWS::CloudFront::KeyGroup" => {
            let id = uuid_shaped(&name);
            (id.clone(), vec![("Id", id)])
        }
        "AWS::CloudFront::PublicKey" => {
            // Its Ref is the key pair id signed cookies name; a key made
            // anew (a slot of the rotation) has a new one.
            let id = format!("K{}", fresh(&name, 13).to_uppercase());
            (id.clone(), vec![("Id", id)])
        }
        "AWS::Lambda::Url" => {
            let function = resource.properties["TargetFunctionArn"].as_str().unwrap_or_default();
            let host = hex(function, 32);
            (
                function.to_owned(),
                vec![
                    ("FunctionArn", function.to_owned()),
                    ("FunctionUrl", format!("https://{host}.lambda-url.{REGION}.on.aws/")),
                ],
            )
        }
        _ => (
            name.clone(),
            vec![(
                "Arn",
                format!("arn:aws:{}:{REGION}:{ACCOUNT}:{name}", service_of(&resource.kind)),
            )],
        ),
    };
    attributes.sort();
    Exposed {
        physical_id,
        attributes: attributes.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        lists: BTreeMap::new(),
    }
}

fn service_of(kind: &str) -> String {
    kind.split("::").nth(1).unwrap_or("unknown").to_lowercase()
}

/// An SDK error with its causes, on one line.
fn shown(err: impl std::error::Error) -> String {
    aws_sdk_s3::error::DisplayErrorContext(err).to_string()
}

/// A stable uuid-shaped id from `seed` (8-4-4-4-12 hex digits).
pub(super) fn uuid_shaped(seed: &str) -> String {
    let h = hex(seed, 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A hex string of `len` digits from `seed` that no earlier call gave.
fn fresh(seed: &str, len: usize) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hex(&format!("{seed}/{nanos}/{}", NEXT.fetch_add(1, Ordering::Relaxed)), len)
}

/// A stable hex string of `len` digits from `seed`.
pub(crate) fn hex(seed: &str, len: usize) -> String {
    // FNV-1a over the seed, then once more per further 16 digits.
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::new();
    for round in 0u8.. {
        for byte in seed.bytes().chain([round]) {
            state = (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{state:016x}"));
        if out.len() >= len {
            break;
        }
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generated_names_fit_and_a_secret_added_back_gets_a_new_one() {
        let long = "s".repeat(40);
        let bucket = Deployed {
            logical_id: "DemoBucket".into(),
            kind: "AWS::S3::Bucket".into(),
            properties: json!({}),
            exposed: Exposed::default(),
        };
        let name = stand_in(&long, &bucket).physical_id;
        assert!(name.len() <= 63, "{name}");
        let role = Deployed {
            logical_id: "ResourcesFunctionRoleWithAVeryLongLogicalIdIndeed".into(),
            kind: "AWS::IAM::Role".into(),
            ..bucket.clone()
        };
        assert!(stand_in(&long, &role).physical_id.len() <= 64);
        let secret = Deployed {
            logical_id: "SrtPassphraseSecret".into(),
            kind: "AWS::SecretsManager::Secret".into(),
            ..bucket
        };
        assert_ne!(
            stand_in("live", &secret).physical_id,
            stand_in("live", &secret).physical_id
        );
    }

    #[tokio::test]
    async fn a_delete_of_a_v2_resource_already_gone_counts_as_deleted() {
        let layer = crate::faithful::Faithful::start("http://127.0.0.1:9").await;
        let places = Places {
            emulator: None,
            faithful: Some(layer.endpoint()),
        };
        let group = Deployed {
            logical_id: "PackagerGroup".into(),
            kind: "AWS::MediaPackageV2::ChannelGroup".into(),
            properties: json!({"ChannelGroupName": "gone"}),
            exposed: Exposed::default(),
        };
        make_or_delete(&places, &group, true).await.unwrap();
        make_or_delete(&places, &group, false).await.unwrap();
        make_or_delete(&places, &group, false)
            .await
            .expect("deleted again: already gone");
    }

    #[test]
    fn stand_ins_look_like_the_real_thing() {
        let role = Deployed {
            logical_id: "MediaLiveRole".into(),
            kind: "AWS::IAM::Role".into(),
            properties: json!({}),
            exposed: Exposed::default(),
        };
        let exposed = stand_in("live", &role);
        assert_eq!(
            exposed.attributes["Arn"],
            "arn:aws:iam::123456789012:role/live-MediaLiveRole"
        );
        let with_path = Deployed {
            properties: json!({"Path": "/live/mediapackage/"}),
            ..role.clone()
        };
        assert_eq!(
            stand_in("live", &with_path).attributes["Arn"],
            "arn:aws:iam::123456789012:role/live/mediapackage/live-MediaLiveRole",
            "a role's ARN holds its path"
        );
        let distribution = Deployed {
            kind: "AWS::CloudFront::Distribution".into(),
            ..role
        };
        let domain = &stand_in("live", &distribution).attributes["DomainName"];
        assert!(
            domain.starts_with('d') && domain.ends_with(".cloudfront.net"),
            "{domain}"
        );
    }
}
