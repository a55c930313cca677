//! `PlaybackKey`: the key pair that signs viewers' CloudFront cookies.
//!
//! CloudFormation cannot make a private key, so this does: an ECDSA P-256
//! pair ([`crate::cookies::generate`]), the private key kept in a Secrets
//! Manager secret (`PlaybackKey/<stack>-<logical id>-<rotation>`, tagged as
//! this stack's) that only the cookie issuer may read, and the public keys
//! as Data for the native `AWS::CloudFront::PublicKey` resources. The
//! private key is never in a Reason, Data, an output or a log line.
//!
//! Two slots, A and B, each one `AWS::CloudFront::PublicKey` in the
//! template, both in the key group. CloudFront cannot change a public key's
//! `EncodedKey` (`UpdatePublicKey` changes only the comment), and a cookie
//! names the id of the key that signed it: so a rotation puts the new key
//! into the slot that does not sign now (a new public key there, named
//! after the key, with a new id) and leaves the signing slot's key, its id
//! and the cookies it signed alone until they expire. The next rotation
//! replaces that one. The first pair's other slot holds a key whose private
//! half was thrown away: it signs nothing.
//!
//! A new `KeyRotation` value makes a new pair in a new secret (a new id);
//! CloudFormation then deletes the old secret. Any other update reads the
//! keys back and changes nothing.

use std::collections::BTreeMap;


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

/// What the secret holds: the signing slot's private key, which slot
/// signs, and both slots' public keys.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Held {
    private_key: String,
    signing_slot: Slot,
    key_a: String,
    key_b: String,
}

/// One of the key group's two public keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Slot {
    A,
    B,
}

impl Slot {
    fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Slot::A => "A",
            Slot::B => "B",
        }
    }
}

/// Prints without the private key.
impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Held {{ signing_slot: {:?}, .. }}", self.signing_slot)
    }
}

impl Held {
    /// A first pair: slot A signs; slot B holds a key nobody can sign with.
    fn first() -> Result<Held, Error> {
        let signing = generate().map_err(|err| Error::Unexpected(err.to_string()))?;
        let standby = generate().map_err(|err| Error::Unexpected(err.to_string()))?;
        Ok(Held {
            private_key: signing.private_pem,
            signing_slot: Slot::A,
            key_a: signing.public_pem,
            key_b: standby.public_pem,
        })
    }

    /// The pair after a rotation: a new key in the slot that did not sign,
    /// which signs from now on; the other slot's key stays as it was.
    fn rotated(&self) -> Result<Held, Error> {
        let new = generate().map_err(|err| Error::Unexpected(err.to_string()))?;
        let slot = self.signing_slot.other();
        let (mut key_a, mut key_b) = (self.key_a.clone(), self.key_b.clone());
        match slot {
            Slot::A => key_a = new.public_pem,
            Slot::B => key_b = new.public_pem,
        }
        Ok(Held {
            private_key: new.private_pem,
            signing_slot: slot,
            key_a,
            key_b,
        })
    }
}

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
        make(aws, req, spec, Held::first()?).await
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        let held = read(aws, physical_id).await?;
        if old.is_some_and(|old| old.rotation == new.rotation) {
            return outcome(physical_id, &held);
        }
        make(aws, req, new, held.rotated()?).await
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, _spec: Option<&Spec>) -> Result<(), Error> {
        owned::delete_ours::<Self>(aws, req, physical_id).await
    }

    async fn delete_made_in(aws: &Clients, req: &Request, request_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let name = spec.map(|spec| spec.name(req));
        owned::delete_made_in::<Self>(aws, req, request_id, name.as_deref()).await
    }
}

/// Keeps `held` in a new secret (or, when an earlier attempt of this
/// request made it, reads that one back).
async fn make(aws: &Clients, req: &Request, spec: &Spec, held: Held) -> Result<Outcome, Error> {
    let name = spec.name(req);
    let value = serde_json::to_string(&held).map_err(|err| Error::Unexpected(err.to_string()))?;
    let description = "The private key that signs viewers' CloudFront cookies (livestream-resources)";
    let created = create_secret(aws, req, &name, Some(description.to_owned()), value).await;
    match created {
        Ok(created) => {
            let arn = created.arn().unwrap_or_default().to_owned();
            req.record_created(&arn);
            tracing::info!(secret = %name, ?held, "made the playback key pair");
            outcome(&arn, &held)
        }
        Err(Error::Aws(err)) if err.code.as_deref() == Some("ResourceExistsException") => {
            let Some(existing) = owned::adopt::<PlaybackKey>(aws, req, &name, |_| true).await? else {
                return Err(Error::Aws(err));
            };
            let arn = existing.arn().unwrap_or(&name).to_owned();
            let held = read(aws, &arn).await?;
            outcome(&arn, &held)
        }
        Err(err) => Err(err),
    }
}

/// What a secret holds.
async fn read(aws: &Clients, secret_id: &str) -> Result<Held, Error> {
    let secret = aws
        .secretsmanager
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(aws_error("GetSecretValue"))?;
    secret
        .secret_string()
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| Error::Unexpected(format!("secret {secret_id} does not hold a playback key pair")))
}

/// Data: the secret's ARN, both slots' public keys with a mark of each
/// (for the public keys' names: a new key is a new name), and which slot
/// signs. The private key stays in the secret.
fn outcome(arn: &str, held: &Held) -> Result<Outcome, Error> {
    // The secret's own check: its private key is the signing slot's.
    let signing = match held.signing_slot {
        Slot::A => &held.key_a,
        Slot::B => &held.key_b,
    };
    let public = public_pem_of(&held.private_key).map_err(|err| Error::Unexpected(err.to_string()))?;
    if &public != signing {
        return Err(Error::Unexpected(format!(
            "secret {arn}: its private key is not slot {}'s",
            held.signing_slot.as_str()
        )));
    }
    Ok(Outcome::new(arn).with_data(BTreeMap::from([
        ("SecretArn".to_owned(), arn.to_owned()),
        ("KeyA".to_owned(), held.key_a.clone()),
        ("KeyB".to_owned(), held.key_b.clone()),
        ("KeyAMark".to_owned(), mark(&held.key_a)),
        ("KeyBMark".to_owned(), mark(&held.key_b)),
        ("SigningSlot".to_owned(), held.signing_slot.as_str().to_owned()),
    ])))
}

super::cdn_secret::secret_named!(PlaybackKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_replaces_the_slot_that_does_not_sign_and_keeps_the_other() {
        let first = Held::first().unwrap();
        assert_eq!(first.signing_slot, Slot::A);
        assert_ne!(first.key_a, first.key_b);
        let second = first.rotated().unwrap();
        assert_eq!(second.signing_slot, Slot::B);
        assert_eq!(second.key_a, first.key_a, "the key that signed stays trusted");
        assert_ne!(second.key_b, first.key_b);
        assert_eq!(public_pem_of(&second.private_key).unwrap(), second.key_b);
        let third = second.rotated().unwrap();
        assert_eq!(third.signing_slot, Slot::A);
        assert_eq!(third.key_b, second.key_b);
        assert_ne!(third.key_a, first.key_a, "the key before the last rotation leaves");
        assert!(!format!("{third:?}").contains("PRIVATE"));
    }

    #[test]
    fn the_rotation_mark_is_stable_and_short() {
        assert_eq!(mark(""), "811c9dc5");
        assert_eq!(mark("a"), "e40c292c");
        assert_ne!(mark("2026-12"), mark("2027-01"));
    }
}
