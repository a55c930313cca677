//! CloudFront signed cookies with a custom policy, signed with ECDSA P-256
//! and SHA-256 (CloudFront Developer Guide, "Set signed cookies using a
//! custom policy":
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-setting-signed-cookie-custom-policy.html>;
//! CloudFront accepts RSA 2048 and ECDSA P-256 public keys). The signature
//! is aws-lc-rs's (already in the tree through rustls), not the `rsa`
//! crate's: RUSTSEC-2023-0071 is about RSA signing, and a signer answers
//! every viewer.
//!
//! The key pair is made here too: the private key as PKCS#8 PEM (kept in
//! Secrets Manager by the stack), the public key as the SubjectPublicKeyInfo
//! PEM that `AWS::CloudFront::PublicKey`'s `EncodedKey` takes. Neither is
//! ever logged: [`KeyPair`] and [`Signer`] print as redacted.

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};

/// Why a key or a cookie could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CookieError {
    #[error("the signing key is not an ECDSA P-256 private key in PKCS#8 PEM")]
    Key,
    #[error("the signing library failed ({0})")]
    Crypto(&'static str),
}

/// A new key pair. Its `Debug` shows neither key.
pub struct KeyPair {
    /// `-----BEGIN PRIVATE KEY-----` (PKCS#8).
    pub private_pem: String,
    /// `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo).
    pub public_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyPair { .. }")
    }
}

/// Makes an ECDSA P-256 key pair.
pub fn generate() -> Result<KeyPair, CookieError> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .map_err(|_| CookieError::Crypto("generating a P-256 key"))?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
        .map_err(|_| CookieError::Crypto("reading the key just made"))?;
    let public: PublicKeyX509Der<'static> = key
        .public_key()
        .as_der()
        .map_err(|_| CookieError::Crypto("encoding the public key"))?;
    Ok(KeyPair {
        private_pem: pem("PRIVATE KEY", pkcs8.as_ref()),
        public_pem: pem("PUBLIC KEY", public.as_ref()),
    })
}

/// The public key (SubjectPublicKeyInfo PEM) of a private key [`generate`] made.
pub fn public_pem_of(private_pem: &str) -> Result<String, CookieError> {
    let der = der_of(private_pem).ok_or(CookieError::Key)?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der).map_err(|_| CookieError::Key)?;
    let public: PublicKeyX509Der<'static> = key
        .public_key()
        .as_der()
        .map_err(|_| CookieError::Crypto("encoding the public key"))?;
    Ok(pem("PUBLIC KEY", public.as_ref()))
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = aws_smithy_types::base64::encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

/// The DER inside a PEM block.
fn der_of(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("-----"))
        .collect();
    aws_smithy_types::base64::decode(body).ok()
}

/// CloudFront's URL-safe base64: standard base64 with `+`, `=` and `/`
/// replaced by `-`, `_` and `~`.
pub fn cloudfront_base64(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            other => other,
        })
        .collect()
}

/// The private key (PKCS#8 PEM) in the secret where the stack keeps the
/// signing key: a JSON object whose `privateKey` holds it (the
/// `PlaybackKey` kind writes it, the cookie issuer reads it).
pub fn signing_key_in(secret: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(secret).ok()?;
    value.get("privateKey")?.as_str().map(str::to_owned)
}

/// A custom policy letting its bearer get `resource` (a URL, `*` allowed)
/// until `expires` (epoch seconds), as CloudFront reads it: no whitespace.
pub fn policy(resource: &str, expires: u64) -> String {
    // The guide's order (Resource, then Condition); the URL JSON-escaped.
    let resource = serde_json::Value::from(resource).to_string();
    format!(
        r#"{{"Statement":[{{"Resource":{resource},"Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires}}}}}}}]}}"#
    )
}

/// Signs cookies with one key of the distribution's key group.
pub struct Signer {
    key: EcdsaKeyPair,
    key_pair_id: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_pair_id", &self.key_pair_id)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// `private_pem`: the PKCS#8 PEM [`generate`] made; `key_pair_id`: the
    /// id CloudFront gave its public key.
    pub fn new(private_pem: &str, key_pair_id: &str) -> Result<Self, CookieError> {
        let der = der_of(private_pem).ok_or(CookieError::Key)?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der).map_err(|_| CookieError::Key)?;
        Ok(Signer {
            key,
            key_pair_id: key_pair_id.to_owned(),
        })
    }

    /// The DER signature of `message` (ECDSA P-256, SHA-256).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CookieError> {
        let signature = self
            .key
            .sign(&SystemRandom::new(), message)
            .map_err(|_| CookieError::Crypto("signing"))?;
        Ok(signature.as_ref().to_vec())
    }

    /// The `Set-Cookie` values that let a viewer get `resource` until
    /// `expires`, sent back on every request under `path`: `Secure` and
    /// `HttpOnly`, `SameSite=Strict` (the player is on the same site), no
    /// `Expires` (they end with the browser session, as the guide advises;
    /// the policy ends them sooner).
    pub fn cookies(&self, resource: &str, expires: u64, path: &str) -> Result<Vec<String>, CookieError> {
        let policy = policy(resource, expires);
        let signature = self.sign(policy.as_bytes())?;
        let attributes = format!("; Path={path}; Secure; HttpOnly; SameSite=Strict");
        Ok([
            ("CloudFront-Policy", cloudfront_base64(policy.as_bytes())),
            ("CloudFront-Signature", cloudfront_base64(&signature)),
            ("CloudFront-Key-Pair-Id", self.key_pair_id.clone()),
            ("CloudFront-Hash-Algorithm", "SHA256".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| format!("{name}={value}{attributes}"))
        .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudfronts_alphabet_replaces_the_three_characters() {
        // 0xfb 0xff: "+/8=" in standard base64.
        assert_eq!(aws_smithy_types::base64::encode([0xfb, 0xff]), "+/8=");
        assert_eq!(cloudfront_base64(&[0xfb, 0xff]), "-~8_");
    }

    #[test]
    fn the_policy_is_the_guides_shape_without_whitespace() {
        assert_eq!(
            policy("https://d1.cloudfront.net/out/v1/live/*", 1_795_000_000),
            r#"{"Statement":[{"Resource":"https://d1.cloudfront.net/out/v1/live/*","Condition":{"DateLessThan":{"AWS:EpochTime":1795000000}}}]}"#
        );
    }

    #[test]
    fn a_generated_key_signs_and_the_public_key_is_a_p256_spki() {
        let pair = generate().unwrap();
        assert!(pair.private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(format!("{pair:?}"), "KeyPair { .. }");
        let public = der_of(&pair.public_pem).unwrap();
        // SPKI of an uncompressed P-256 point: 26 bytes of header, 65 of point.
        assert_eq!(public.len(), 91);
        assert_eq!(public_pem_of(&pair.private_pem).unwrap(), pair.public_pem);
        let signer = Signer::new(&pair.private_pem, "K2JCJMDEHXQW5F").unwrap();
        assert!(!format!("{signer:?}").contains("PRIVATE"));
        let cookies = signer
            .cookies("https://d1.cloudfront.net/*", 1_795_000_000, "/")
            .unwrap();
        assert_eq!(cookies.len(), 4);
        for cookie in &cookies {
            assert!(
                cookie.ends_with("; Path=/; Secure; HttpOnly; SameSite=Strict"),
                "{cookie}"
            );
        }
        assert!(cookies[2].starts_with("CloudFront-Key-Pair-Id=K2JCJMDEHXQW5F;"));
        assert_eq!(Signer::new("not a key", "K").unwrap_err(), CookieError::Key);
    }
}
