//! Property checks several kinds share: service ids, names and ARNs.

use crate::cfn::props::{PropError, shown};
use crate::ownership::is_media_id;

pub(super) fn media_id(name: &str, value: &str) -> Result<(), PropError> {
    if is_media_id(value) {
        Ok(())
    } else {
        Err(PropError::invalid(
            name,
            format!(
                "must be 1 to 256 letters, digits, '-' or '_', got {}",
                shown(name, value)
            ),
        ))
    }
}

/// Free text the services cap at `max` characters.
pub(super) fn text(name: &str, value: &str, max: usize) -> Result<(), PropError> {
    let length = value.chars().count();
    if length <= max {
        Ok(())
    } else {
        Err(PropError::invalid(
            name,
            format!("must be at most {max} characters, got {length}"),
        ))
    }
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` where the
/// resource starts with `resource_prefix`. IAM ARNs have no region.
pub(super) fn arn(name: &str, value: &str, service: &str, resource_prefix: &str) -> Result<(), PropError> {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let valid = match parts.as_slice() {
        ["arn", partition, svc, region, account, resource] => {
            partition.starts_with("aws")
                && *svc == service
                && (service == "iam" || !region.is_empty())
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && resource.len() > resource_prefix.len()
                && resource.starts_with(resource_prefix)
        }
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        let region = if service == "iam" { "" } else { "<region>" };
        Err(PropError::invalid(
            name,
            format!(
                "must be an ARN like arn:aws:{service}:{region}:<account>:{resource_prefix}<name>, got {}",
                shown(name, value)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_ids_allow_letters_digits_dash_underscore() {
        assert!(media_id("Id", "live_1-hls").is_ok());
        assert!(media_id("Id", "live 1").is_err());
        assert!(media_id("Id", "live/1").is_err());
        assert!(media_id("Id", &"a".repeat(257)).is_err());
    }

    #[test]
    fn arns_are_checked_for_service_account_and_resource() {
        let secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:MediaPackage/live-AbCdEf";
        assert!(arn("S", secret, "secretsmanager", "secret:").is_ok());
        assert!(
            arn(
                "S",
                "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x",
                "secretsmanager",
                "secret:"
            )
            .is_ok()
        );
        assert!(
            arn(
                "S",
                "arn:aws:secretsmanager:eu-west-1:1234:secret:x",
                "secretsmanager",
                "secret:"
            )
            .is_err()
        );
        assert!(arn("S", "arn:aws:s3:::bucket", "secretsmanager", "secret:").is_err());
        assert!(arn("S", "my-secret", "secretsmanager", "secret:").is_err());
        let role = "arn:aws:iam::123456789012:role/MediaPackageSecrets";
        assert!(arn("R", role, "iam", "role/").is_ok());
        let err = arn("R", "arn:aws:iam::123456789012:user/x", "iam", "role/").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"property R must be an ARN like arn:aws:iam::<account>:role/<name>, got "arn:aws:iam::123456789012:user/x""#
        );
    }
}
