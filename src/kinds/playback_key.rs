//! `PlaybackKey`: the key pair that signs viewers' CloudFront cookies.
//!
//! CloudFormation cannot make a private key, so this does: an ECDSA P-256
//! pair ([`crate::cookies::generate`]), the private key kept in a Secrets
//! Manager secret (`PlaybackKey/<stack>-<logical id>-<slot>`, tagged as this
//! stack's) that only the cookie issuer may read, and the public keys as
//! Data for the native `AWS::CloudFront::PublicKey` resources. The private
//! key is never in a Reason, Data, an output or a log line.
//!
//! Rotation walks three slots, A → B → C → A (`KeyRotation`), one
//! `AWS::CloudFront::PublicKey` each in the template, of which two exist at
//! a time: the signing slot's and the one before it, which the key group
//! keeps trusting so that cookies it signed stay good until they expire.
//! Why not one key changed in place: CloudFront cannot change a public
//! key's `EncodedKey` (`UpdatePublicKey` changes only the comment), and
//! CloudFormation updates `AWS::CloudFront::PublicKey` in place (its schema
//! has no create-only property), so a new key must be a new resource. A
//! move to the next slot makes that slot's public key anew, keeps the one
//! that signed until now, and removes the one before; any other move would
//! change a kept key, and is refused before anything is made. The first
//! pair's previous slot holds a key whose private half was thrown away.
//!
//! Each rotation's pair is a new secret (a new id); CloudFormation then
//! deletes the old one. Any other update reads the keys back and changes
//! nothing.

use std::collections::BTreeMap;

use super::cdn_secret::create_secret;
use super::owned;
use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::cookies::{generate, public_pem_of};
use crate::error::{Error, aws_error};

pub(super) struct PlaybackKey;

/// One of the three public keys the template may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
enum Slot {
    A,
    B,
    C,
}

impl Slot {
    const ALL: [Slot; 3] = [Slot::A, Slot::B, Slot::C];

    fn next(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::C,
            Slot::C => Slot::A,
        }
    }

    fn previous(self) -> Slot {
        self.next().next()
    }

    fn as_str(self) -> &'static str {
        match self {
            Slot::A => "A",
            Slot::B => "B",
            Slot::C => "C",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spec {
    /// The slot that signs.
    rotation: Slot,
}

impl Spec {
    fn name(&self, req: &Request) -> String {
        format!("PlaybackKey/{}-{}-{}", req.stack_name, req.logical_id, self.rotation.as_str())
    }
}

/// What the secret holds: the signing slot's private key, which slot
/// signs, and the public keys of the signing and the previous slot.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Held {
    private_key: String,
    signing_slot: Slot,
    public_keys: BTreeMap<Slot, String>,
}

/// Prints without the private key.
impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Held {{ signing_slot: {:?}, .. }}", self.signing_slot)
    }
}

fn pair() -> Result<crate::cookies::KeyPair, Error> {
    generate().map_err(|err| Error::Unexpected(err.to_string()))
}

impl Held {
    /// A first pair in `slot`; the slot before it holds a key nobody can
    /// sign with.
    fn first(slot: Slot) -> Result<Held, Error> {
        let signing = pair()?;
        Ok(Held {
            private_key: signing.private_pem,
            signing_slot: slot,
            public_keys: BTreeMap::from([(slot, signing.public_pem), (slot.previous(), pair()?.public_pem)]),
        })
    }

    /// The pair after a move to the next slot: a new key there, which
    /// signs from now on; the key that signed until now stays trusted.
    fn rotated(&self) -> Result<Held, Error> {
        let new = pair()?;
        let slot = self.signing_slot.next();
        let kept = self.public_keys.get(&self.signing_slot).cloned().unwrap_or_default();
        Ok(Held {
            private_key: new.private_pem,
            signing_slot: slot,
            public_keys: BTreeMap::from([(slot, new.public_pem), (self.signing_slot, kept)]),
        })
    }
}

impl Resource for PlaybackKey {
    const NAME: &'static str = "PlaybackKey";
    const PROPERTIES: &'static [&'static str] = &["KeyRotation"];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        let rotation = match props.string("KeyRotation")?.as_deref().unwrap_or("A") {
            "A" => Slot::A,
            "B" => Slot::B,
            "C" => Slot::C,
            other => {
                return Err(PropError::invalid(
                    "KeyRotation",
                    format!("must be A, B or C, got {}", crate::cfn::props::shown("KeyRotation", other)),
                ));
            }
        };
        Ok(Spec { rotation })
    }

    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        make(aws, req, spec, Held::first(spec.rotation)?).await
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        _old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        let held = read(aws, physical_id).await?;
        if held.signing_slot == new.rotation {
            return outcome(physical_id, &held);
        }
        if new.rotation != held.signing_slot.next() {
            return Err(Error::Property(PropError::invalid(
                "KeyRotation",
                format!(
                    "moves to the next slot only (A → B → C → A): from {}, {}; any other move would change a public key CloudFront cannot change",
                    held.signing_slot.as_str(),
                    held.signing_slot.next().as_str()
                ),
            )));
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

/// Data: the secret's ARN, which slot signs, and each slot's public key
/// (empty for the slot the template holds no key in now). The private key
/// stays in the secret.
fn outcome(arn: &str, held: &Held) -> Result<Outcome, Error> {
    // The secret's own check: its private key is the signing slot's.
    let public = public_pem_of(&held.private_key).map_err(|err| Error::Unexpected(err.to_string()))?;
    if held.public_keys.get(&held.signing_slot) != Some(&public) {
        return Err(Error::Unexpected(format!(
            "secret {arn}: its private key is not slot {}'s",
            held.signing_slot.as_str()
        )));
    }
    let mut data = BTreeMap::from([
        ("SecretArn".to_owned(), arn.to_owned()),
        ("SigningSlot".to_owned(), held.signing_slot.as_str().to_owned()),
    ]);
    for slot in Slot::ALL {
        let key = held.public_keys.get(&slot).cloned().unwrap_or_default();
        data.insert(format!("Key{}", slot.as_str()), key);
    }
    Ok(Outcome::new(arn).with_data(data))
}

super::cdn_secret::secret_named!(PlaybackKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_makes_the_next_slot_and_keeps_the_one_that_signed() {
        let first = Held::first(Slot::A).unwrap();
        assert_eq!(first.signing_slot, Slot::A);
        assert_eq!(first.public_keys.keys().copied().collect::<Vec<_>>(), [Slot::A, Slot::C]);
        let second = first.rotated().unwrap();
        assert_eq!(second.signing_slot, Slot::B);
        assert_eq!(second.public_keys[&Slot::A], first.public_keys[&Slot::A], "the key that signed stays trusted");
        assert_eq!(second.public_keys.keys().copied().collect::<Vec<_>>(), [Slot::A, Slot::B]);
        assert_eq!(public_pem_of(&second.private_key).unwrap(), second.public_keys[&Slot::B]);
        let fourth = second.rotated().unwrap().rotated().unwrap();
        assert_eq!(fourth.signing_slot, Slot::A);
        assert_ne!(fourth.public_keys[&Slot::A], first.public_keys[&Slot::A], "a slot made anew has a new key");
        assert!(!format!("{fourth:?}").contains("PRIVATE"));
        // What the cookie issuer reads from the secret is the signing key.
        let kept = serde_json::to_string(&fourth).unwrap();
        assert_eq!(crate::cookies::signing_key_in(&kept), Some(fourth.private_key.clone()));
    }

    #[test]
    fn the_data_names_each_slots_key_and_the_signing_slot() {
        let held = Held::first(Slot::B).unwrap();
        let outcome = outcome("arn:secret", &held).unwrap();
        let data = &outcome.data;
        assert_eq!(data["SigningSlot"], "B");
        assert_eq!(data["KeyC"], "", "no key in the slot after the signing one");
        assert!(data["KeyA"].starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(!data.values().any(|v| v.contains("PRIVATE")));
    }
}
