//! The signed cookies the stack makes, checked by another implementation:
//! OpenSSL verifies the signature over the policy with the public key the
//! stack would publish to CloudFront (ECDSA P-256, SHA-256), and refuses a
//! policy changed after signing.

use std::path::PathBuf;
use std::process::Command;

use livestream_resources::cookies::{Signer, generate};

/// Undoes CloudFront's base64 alphabet (`-_~` for `+=/`).
fn decode(value: &str) -> Vec<u8> {
    let standard: String = value
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '=',
            '~' => '/',
            other => other,
        })
        .collect();
    aws_smithy_types::base64::decode(standard).unwrap()
}

fn cookie<'c>(cookies: &'c [String], name: &str) -> &'c str {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} in {cookies:?}"))
}

fn openssl_verifies(dir: &std::path::Path, policy: &[u8]) -> bool {
    std::fs::write(dir.join("policy.json"), policy).unwrap();
    let out = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-verify",
            "public.pem",
            "-signature",
            "signature.der",
            "policy.json",
        ])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|err| panic!("running openssl ({err}): install it (apt-get install openssl)"));
    String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

#[test]
fn openssl_verifies_the_cookies_signature_with_the_published_public_key() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cookies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pair = generate().unwrap();
    std::fs::write(dir.join("public.pem"), &pair.public_pem).unwrap();
    let signer = Signer::new(&pair.private_pem, "K2JCJMDEHXQW5F").unwrap();
    let cookies = signer
        .cookies(
            "https://d111111abcdef8.cloudfront.net/out/v1/live/*",
            1_795_000_000,
            "/",
        )
        .unwrap();
    let policy = decode(cookie(&cookies, "CloudFront-Policy"));
    assert!(String::from_utf8_lossy(&policy).contains(r#""AWS:EpochTime":1795000000"#));
    std::fs::write(
        dir.join("signature.der"),
        decode(cookie(&cookies, "CloudFront-Signature")),
    )
    .unwrap();
    assert_eq!(cookie(&cookies, "CloudFront-Hash-Algorithm"), "SHA256");
    assert!(openssl_verifies(&dir, &policy), "OpenSSL refused the signature");
    // A policy stretched after signing is refused.
    let stretched = String::from_utf8_lossy(&policy).replace("1795000000", "1895000000");
    assert!(
        !openssl_verifies(&dir, stretched.as_bytes()),
        "a changed policy verified"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `PlaybackKey` against the emulator: the public keys come back as Data
/// (never the private one), a repeated Create adopts its own pair, an
/// update without a new `KeyRotation` keeps the pair, a rotation makes a
/// new one that remembers the previous public key, and a Delete removes
/// the secret at once.
#[tokio::test]
async fn the_playback_key_is_made_kept_rotated_and_deleted() {
    use crate::common::{Session, succeeded};
    use serde_json::json;

    const KIND: &str = "PlaybackKey";
    let session = Session::emulated().await;
    let secrets = &session.clients.secretsmanager;
    let first = json!({"KeyRotation": "2026-12"});
    let created = session.create(KIND, first.clone()).await;
    let arn = succeeded(&created);
    assert!(!created.to_string().contains("PRIVATE KEY"), "{created}");
    let public = created["Data"]["PublicKeyPem"].as_str().unwrap().to_owned();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(created["Data"]["PreviousPublicKeyPem"], public.as_str());
    assert_eq!(created["Data"]["SecretArn"], arn.as_str());
    let held: serde_json::Value = serde_json::from_str(
        secrets
            .get_secret_value()
            .secret_id(&arn)
            .send()
            .await
            .unwrap()
            .secret_string()
            .unwrap(),
    )
    .unwrap();
    assert!(
        held["privateKey"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );

    let again = session.create(KIND, first.clone()).await;
    assert_eq!(succeeded(&again), arn, "a repeated Create adopts its own pair");
    assert_eq!(again["Data"]["PublicKeyPem"], public.as_str());

    let kept = session.update(KIND, &arn, first.clone(), first.clone()).await;
    assert_eq!(succeeded(&kept), arn);
    assert_eq!(kept["Data"]["PublicKeyPem"], public.as_str());

    let second = json!({"KeyRotation": "2027-01"});
    let rotated = session.update(KIND, &arn, first.clone(), second.clone()).await;
    let new_arn = succeeded(&rotated);
    assert_ne!(new_arn, arn);
    assert_ne!(rotated["Data"]["PublicKeyPem"], public.as_str());
    assert_eq!(
        rotated["Data"]["PreviousPublicKeyPem"],
        public.as_str(),
        "the old key stays trusted"
    );
    assert!(!rotated.to_string().contains("PRIVATE KEY"));

    // CloudFormation deletes the old one after the rotation.
    succeeded(&session.delete(KIND, &arn, first).await);
    assert!(secrets.get_secret_value().secret_id(&arn).send().await.is_err());
    let after = session.update(KIND, &new_arn, second.clone(), second.clone()).await;
    assert_eq!(
        after["Data"]["PreviousPublicKeyPem"],
        public.as_str(),
        "remembered by the new secret"
    );
    succeeded(&session.delete(KIND, &new_arn, second).await);
    assert!(secrets.get_secret_value().secret_id(&new_arn).send().await.is_err());
}
