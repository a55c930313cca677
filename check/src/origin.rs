//! The origin lets in only the stack's distribution: every MediaPackage
//! v2 endpoint's policy allows `cloudfront.amazonaws.com` reads on the
//! condition `AWS:SourceArn` = this distribution (CloudFront developer
//! guide, "Restrict access to an AWS Elemental MediaPackage v2 origin"),
//! and nothing lets anyone else read.

use aws_sdk_mediapackagev2::error::DisplayErrorContext;
use serde_json::Value;

use crate::{Clients, Line, StackView};

/// `(group, channel, endpoint)` of a v2 endpoint's ARN
/// (`…:channelGroup/<g>/channel/<c>/originEndpoint/<e>`).
pub(crate) fn names_of(arn: &str) -> Option<(&str, &str, &str)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let parts: Vec<&str> = resource.split('/').collect();
    match parts.as_slice() {
        ["channelGroup", group, "channel", channel, "originEndpoint", endpoint] => Some((group, channel, endpoint)),
        _ => None,
    }
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

/// What the policy says of readers: whether the distribution may read
/// (only with its SourceArn), and who else may.
fn readers(policy: &Value, distribution_arn: &str) -> (bool, Vec<String>) {
    let mut distribution = false;
    let mut others = Vec::new();
    for statement in as_list(&policy["Statement"]) {
        if statement["Effect"] != "Allow" {
            continue;
        }
        let reads = as_list(&statement["Action"])
            .iter()
            .filter_map(|a| a.as_str())
            .any(|a| a == "mediapackagev2:GetObject" || a == "mediapackagev2:*" || a == "*");
        if !reads {
            continue;
        }
        let principal = &statement["Principal"];
        let services: Vec<&str> = as_list(&principal["Service"])
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        let source = statement["Condition"]["StringEquals"]["AWS:SourceArn"]
            .as_str()
            .or_else(|| statement["Condition"]["ArnEquals"]["AWS:SourceArn"].as_str())
            .or_else(|| statement["Condition"]["StringEquals"]["aws:SourceArn"].as_str());
        if services == ["cloudfront.amazonaws.com"] && source == Some(distribution_arn) {
            distribution = true;
        } else if services == ["mediapackagev2.amazonaws.com"] {
            // MediaPackage itself, harvesting this account's recordings.
        } else {
            others.push(if principal == "*" || principal["AWS"] == "*" {
                "anyone (\"*\")".to_owned()
            } else {
                principal.to_string()
            });
        }
    }
    (distribution, others)
}

pub(crate) async fn check(aws: &Clients, view: &StackView, foundation: Option<&StackView>) -> Vec<Line> {
    let endpoints: Vec<(&str, &str)> = view.of_type("AWS::MediaPackageV2::OriginEndpoint").collect();
    if endpoints.is_empty() {
        return Vec::new();
    }
    let holder = foundation.unwrap_or(view);
    let Some(distribution) = holder.physical_id("Distribution") else {
        return Vec::new();
    };
    let account = holder.account().unwrap_or_default();
    let partition = holder.partition();
    let distribution_arn = format!("arn:{partition}:cloudfront::{account}:distribution/{distribution}");
    let fix = format!(
        "deploy {} again: the endpoint's policy is the stack's ({}Policy)",
        view.name, "<endpoint>"
    );
    let mut lines = Vec::new();
    for (logical, arn) in endpoints {
        let Some((group, channel, endpoint)) = names_of(arn) else {
            continue;
        };
        let fix = fix.replace("<endpoint>", logical);
        let policy = match aws
            .mediapackagev2
            .get_origin_endpoint_policy()
            .channel_group_name(group)
            .channel_name(channel)
            .origin_endpoint_name(endpoint)
            .send()
            .await
        {
            Ok(got) => serde_json::from_str::<Value>(got.policy()).unwrap_or(Value::Null),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                lines.push(Line::fail(
                    "origin",
                    format!("endpoint {endpoint} ({logical}) has no policy: CloudFront's signed requests are refused"),
                    fix,
                ));
                continue;
            }
            Err(err) => {
                lines.push(Line::fail(
                    "origin",
                    format!(
                        "the policy of endpoint {endpoint} cannot be read: {}",
                        DisplayErrorContext(&err)
                    ),
                    "give the credentials mediapackagev2:GetOriginEndpointPolicy",
                ));
                continue;
            }
        };
        match readers(&policy, &distribution_arn) {
            (true, others) if others.is_empty() => lines.push(Line::holds(
                "origin",
                format!("endpoint {endpoint} ({logical}) lets only the distribution {distribution} read it, signed"),
            )),
            (distribution_reads, others) => lines.push(Line::fail(
                "origin",
                format!(
                    "endpoint {endpoint} ({logical}) {}{}",
                    if distribution_reads {
                        "lets the distribution read it".to_owned()
                    } else {
                        format!("does not let the distribution {distribution} read it")
                    },
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(", and lets in {}", others.join(", "))
                    }
                ),
                fix,
            )),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_distribution_and_mediapackage_may_read() {
        let distribution = "arn:aws:cloudfront::123456789012:distribution/E1";
        let ours = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
             "Action": ["mediapackagev2:GetObject", "mediapackagev2:GetHeadObject"],
             "Condition": {"StringEquals": {"AWS:SourceArn": distribution}}},
            {"Effect": "Allow", "Principal": {"Service": "mediapackagev2.amazonaws.com"},
             "Action": ["mediapackagev2:HarvestObject", "mediapackagev2:GetObject"]}]});
        assert_eq!(readers(&ours, distribution), (true, vec![]));
        let open = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "mediapackagev2:GetObject"}});
        assert_eq!(readers(&open, distribution), (false, vec!["anyone (\"*\")".to_owned()]));
        let other = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "mediapackagev2:GetObject",
            "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E2"}}}]});
        assert!(!readers(&other, distribution).0);
        assert_eq!(
            names_of("arn:aws:mediapackagev2:us-east-1:123456789012:channelGroup/g/channel/c/originEndpoint/cmaf"),
            Some(("g", "c", "cmaf"))
        );
    }
}
