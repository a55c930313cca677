//! `PlaybackKey`: the key pair that signs viewers' CloudFront cookies.
//!
//! CloudFormation cannot make a private key, so this does: an ECDSA P-256
//! pair ([`crate::cookies::generate`]), the private key kept in a Secrets
//! Manager secret (`PlaybackKey/<stack>-<logical id>-<rotation>`, tagged as
//! this stack's) that only the cookie issuer may read, and the public keys
//! as Data for the native `AWS::CloudFront::PublicKey` resources: the
//! current one, and the one before the last rotation, which the key group
//! keeps trusting so that cookies signed before it stay good until they
//! expire. The private key is never in a Reason, Data, an output or a log
//! line.
//!
//! A new `KeyRotation` value makes a new pair in a new secret (a new id),
//! which remembers the previous public key; CloudFormation then deletes the
//! old secret. Any other update reads the keys back and changes nothing.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::cdn_secret::create_secret;
use super::owned;
use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::cookies::{generate, public_pem_of};
use crate::error::{Error, aws_error};

pub(super) struct PlaybackKey;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spec {
    /// Any value; a new one makes a new pair.
    rotation: String,
}

/// FNV-1a, 32 bits: a short, stable mark of the rotation value for the
/// secret's name (the value itself may hold any character).
fn mark(text: &str) -> String {
    let hash = text
        .bytes()
        .fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193));
    format!("{hash:08x}")
}

impl Spec {
    fn name(&self, req: &Request) -> String {
        format!("PlaybackKey/{}-{}-{}", req.stack_name, req.logical_id, mark(&self.rotation))
    }
}

/// What the secret holds.
const PRIVATE_KEY: &str = "privateKey";
const PREVIOUS_PUBLIC_KEY: &str = "previousPublicKey";

impl Resource for PlaybackKey {
    const NAME: &'static str = "PlaybackKey";
    const PROPERTIES: &'static [&'static str] = &["KeyRotation"];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        let rotation = props.string("KeyRotation")?.unwrap_or_default();
        super::validate::text("KeyRotation", &rotation, 256)?;
        Ok(Spec { rotation })
    }

    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        make(aws, req, spec, None).await
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        if old.is_some_and(|old| old.rotation == new.rotation) {
            let (private, previous) = read(aws, physical_id).await?;
            return outcome(physical_id, &private, previous.as_deref());
        }
        // Rotated: the key in use now is the previous one of the new pair.
        let (private, _) = read(aws, physical_id).await?;
        let previous = public_pem_of(&private).map_err(|err| Error::Unexpected(err.to_string()))?;
        make(aws, req, new, Some(previous)).await
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, _spec: Option<&Spec>) -> Result<(), Error> {
        owned::delete_ours::<Self>(aws, req, physical_id).await
    }

    async fn delete_made_in(aws: &Clients, req: &Request, request_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let name = spec.map(|spec| spec.name(req));
        owned::delete_made_in::<Self>(aws, req, request_id, name.as_deref()).await
    }
}

/// Makes a pair in a new secret (or, when an earlier attempt of this
/// request made it, reads it back).
async fn make(aws: &Clients, req: &Request, spec: &Spec, previous: Option<String>) -> Result<Outcome, Error> {
    let name = spec.name(req);
    let pair = generate().map_err(|err| Error::Unexpected(err.to_string()))?;
    let value = json!({ PRIVATE_KEY: pair.private_pem, PREVIOUS_PUBLIC_KEY: previous });
    let description = "The private key that signs viewers' CloudFront cookies (livestream-resources)";
    let created = create_secret(aws, req, &name, Some(description.to_owned()), value.to_string()).await;
    match created {
        Ok(created) => {
            let arn = created.arn().unwrap_or_default().to_owned();
            req.record_created(&arn);
            tracing::info!(secret = %name, "made the playback key pair");
            outcome(&arn, &pair.private_pem, previous.as_deref())
        }
        Err(Error::Aws(err)) if err.code.as_deref() == Some("ResourceExistsException") => {
            let Some(existing) = owned::adopt::<PlaybackKey>(aws, req, &name, |_| true).await? else {
                return Err(Error::Aws(err));
            };
            let arn = existing.arn().unwrap_or(&name).to_owned();
            let (private, previous) = read(aws, &arn).await?;
            outcome(&arn, &private, previous.as_deref())
        }
        Err(err) => Err(err),
    }
}

/// The private key and the previous public key a secret holds.
async fn read(aws: &Clients, secret_id: &str) -> Result<(String, Option<String>), Error> {
    let secret = aws
        .secretsmanager
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(aws_error("GetSecretValue"))?;
    let value: Value = secret
        .secret_string()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let private = value[PRIVATE_KEY]
        .as_str()
        .ok_or_else(|| Error::Unexpected(format!("secret {secret_id} holds no {PRIVATE_KEY}")))?;
    Ok((private.to_owned(), value[PREVIOUS_PUBLIC_KEY].as_str().map(str::to_owned)))
}

/// Data: the secret's ARN and the public keys; before the first rotation
/// the previous key is the current one (the key group then trusts it twice).
fn outcome(arn: &str, private_pem: &str, previous: Option<&str>) -> Result<Outcome, Error> {
    let public = public_pem_of(private_pem).map_err(|err| Error::Unexpected(err.to_string()))?;
    Ok(Outcome::new(arn).with_data(BTreeMap::from([
        ("SecretArn".to_owned(), arn.to_owned()),
        ("PreviousPublicKeyPem".to_owned(), previous.unwrap_or(&public).to_owned()),
        ("PublicKeyPem".to_owned(), public),
    ])))
}

super::cdn_secret::secret_named!(PlaybackKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rotation_mark_is_stable_and_short() {
        assert_eq!(mark(""), "811c9dc5");
        assert_eq!(mark("a"), "e40c292c");
        assert_ne!(mark("2026-12"), mark("2027-01"));
    }
}
