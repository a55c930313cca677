//! `MediaPackageCdnSecret`: the Secrets Manager secret holding the value
//! CloudFront sends in `X-MediaPackage-CDNIdentifier` and MediaPackage
//! checks. The value comes from the OS's secure random source and leaves
//! only in a NoEcho response; it is never logged.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use aws_sdk_secretsmanager::types::Tag;
use serde_json::{Value, json};

use super::owned;
use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::error::{Error, Found, aws_error};

pub(super) struct MediaPackageCdnSecret;

/// The JSON key MediaPackage reads from the secret.
pub(super) const SECRET_KEY: &str = "MediaPackageCDNIdentifier";
const VALUE_LENGTH: usize = 40;
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spec {
    /// `None`: `MediaPackage/<stack name>`.
    name: Option<String>,
    description: Option<String>,
}

impl Spec {
    fn name(&self, req: &Request) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("MediaPackage/{}", req.stack_name))
    }
}

impl Resource for MediaPackageCdnSecret {
    const NAME: &'static str = "MediaPackageCdnSecret";
    const PROPERTIES: &'static [&'static str] = &["Name", "Description"];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        let name = props.string("Name")?;
        if let Some(name) = &name {
            let valid = name.len() <= 512 && name.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
            if !valid {
                return Err(PropError::invalid(
                    "Name",
                    format!("must be at most 512 letters, digits or /_+=.@-, got {name:?}"),
                ));
            }
        }
        let description = props.string("Description")?;
        if let Some(description) = &description {
            super::validate::text("Description", description, 2048)?;
        }
        Ok(Spec { name, description })
    }

    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        let name = spec.name(req);
        let value = random_identifier()?;
        let created = create_secret(aws, req, &name, spec.description.clone(), json!({ SECRET_KEY: value }).to_string()).await;
        match created {
            Ok(created) => {
                let arn = created.arn().unwrap_or_default().to_owned();
                req.record_created(&arn);
                tracing::info!(secret = %name, "created CDN identifier secret");
                Ok(outcome(&arn, &name, value))
            }
            Err(Error::Aws(err)) if err.code.as_deref() == Some("ResourceExistsException") => {
                let Some(existing) = owned::adopt::<Self>(aws, req, &name, |_| true).await? else {
                    return Err(Error::Aws(err));
                };
                let arn = existing.arn().unwrap_or(&name).to_owned();
                let value = current_value(aws, &arn).await?;
                Ok(outcome(&arn, &name, value))
            }
            Err(err) => Err(err),
        }
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        let name = new.name(req);
        if old.is_some_and(|old| old.name(req) != name) {
            // A new name is a new secret; CloudFormation deletes the old one.
            return Self::create(aws, req, new).await;
        }
        if old.is_none_or(|old| old.description != new.description) {
            aws.secretsmanager
                .update_secret()
                .secret_id(physical_id)
                .description(new.description.clone().unwrap_or_default())
                .send()
                .await
                .map_err(aws_error("UpdateSecret"))?;
        }
        // Attributes come from the latest response, so the value is
        // returned again; it is not changed.
        let value = current_value(aws, physical_id).await?;
        Ok(outcome(physical_id, &name, value))
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, _spec: Option<&Spec>) -> Result<(), Error> {
        owned::delete_ours::<Self>(aws, req, physical_id).await
    }

    async fn delete_made_in(aws: &Clients, req: &Request, request_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let name = spec.map(|spec| spec.name(req));
        owned::delete_made_in::<Self>(aws, req, request_id, name.as_deref()).await
    }
}

/// `Named` for a kind whose resource is a Secrets Manager secret: the
/// same look, tags and removal for each.
macro_rules! secret_named {
    ($kind:ty) => {
        impl super::owned::Named for $kind {
            type Found = aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
            const WHAT: &'static str = "secret";

            async fn describe(aws: &Clients, secret_id: &str) -> Result<Option<Self::Found>, Error> {
                super::cdn_secret::describe_secret(aws, secret_id).await
            }

            fn tags(found: &Self::Found) -> Vec<(&str, &str)> {
                super::cdn_secret::secret_tags(found)
            }

            async fn remove(aws: &Clients, secret_id: &str, found: &Self::Found) -> Result<(), Error> {
                super::cdn_secret::remove_secret(aws, secret_id, found).await
            }
        }
    };
}
pub(super) use secret_named;

secret_named!(MediaPackageCdnSecret);

/// Makes the secret `name` holding `value`, tagged as this stack
/// resource's. The SDK's retry of an attempt whose answer was lost gets the
/// same secret back instead of "already exists" (the request's token).
pub(super) async fn create_secret(
    aws: &Clients,
    req: &Request,
    name: &str,
    description: Option<String>,
    value: String,
) -> Result<aws_sdk_secretsmanager::operation::create_secret::CreateSecretOutput, Error> {
    aws.secretsmanager
        .create_secret()
        .name(name)
        .set_description(description)
        .secret_string(value)
        .set_client_request_token(idempotency_token(&req.request_id))
        .set_tags(Some(
            req.ownership_tags()
                .into_iter()
                .map(|(key, value)| Tag::builder().key(key).value(value).build())
                .collect(),
        ))
        .send()
        .await
        .map_err(aws_error("CreateSecret"))
}

/// A secret as Secrets Manager describes it; `None` when it does not exist.
pub(super) async fn describe_secret(aws: &Clients, secret_id: &str) -> Result<Option<DescribeSecretOutput>, Error> {
    aws.secretsmanager
        .describe_secret()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(aws_error("DescribeSecret"))
        .found()
}

pub(super) fn secret_tags(found: &DescribeSecretOutput) -> Vec<(&str, &str)> {
    found
        .tags()
        .iter()
        .map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default()))
        .collect()
}

/// Deletes the secret at once, with no recovery window (a new one is made
/// on the next Create). By ARN: a name may match other secrets' names with
/// a suffix.
pub(super) async fn remove_secret(aws: &Clients, secret_id: &str, found: &DescribeSecretOutput) -> Result<(), Error> {
    aws.secretsmanager
        .delete_secret()
        .secret_id(found.arn().unwrap_or(secret_id))
        .force_delete_without_recovery(true)
        .send()
        .await
        .map_err(aws_error("DeleteSecret"))
        .found()?;
    Ok(())
}

/// The RequestId as a ClientRequestToken when it fits the API's 32 to 64
/// characters (CloudFormation's are UUIDs); otherwise the SDK makes one.
fn idempotency_token(request_id: &str) -> Option<String> {
    (32..=64).contains(&request_id.len()).then(|| request_id.to_owned())
}

async fn current_value(aws: &Clients, secret_id: &str) -> Result<String, Error> {
    let secret = aws
        .secretsmanager
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(aws_error("GetSecretValue"))?;
    secret
        .secret_string()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|json| json.get(SECRET_KEY)?.as_str().map(str::to_owned))
        .ok_or_else(|| Error::Unexpected(format!("secret {secret_id} holds no {SECRET_KEY} key")))
}

fn outcome(arn: &str, name: &str, value: String) -> Outcome {
    let mut outcome = Outcome::new(arn).with_data(BTreeMap::from([
        ("Arn".to_owned(), arn.to_owned()),
        ("Name".to_owned(), name.to_owned()),
        ("CdnIdentifier".to_owned(), value),
    ]));
    outcome.no_echo = true;
    outcome
}

/// Alphanumerics from the OS's secure random source; bytes that would bias
/// the choice (≥ 248 = 4 × 62) are drawn again.
fn random_identifier() -> Result<String, Error> {
    let mut value = String::with_capacity(VALUE_LENGTH);
    let mut bytes = [0u8; 64];
    while value.len() < VALUE_LENGTH {
        getrandom::fill(&mut bytes).map_err(|err| Error::Unexpected(format!("the OS random source failed: {err}")))?;
        for byte in bytes {
            if value.len() < VALUE_LENGTH && usize::from(byte) < ALPHANUMERIC.len() * 4 {
                value.push(char::from(ALPHANUMERIC[usize::from(byte) % ALPHANUMERIC.len()]));
            }
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_long_alphanumeric_and_different() {
        let a = random_identifier().unwrap();
        let b = random_identifier().unwrap();
        assert_eq!(a.len(), VALUE_LENGTH);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }
}
