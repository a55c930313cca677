//! The signed cookies the stack makes, checked by another implementation:
//! OpenSSL verifies the signature over the policy with the public key the
//! stack would publish to CloudFront (ECDSA P-256, SHA-256), and refuses a
//! policy changed after signing. And `PlaybackKey`, the custom resource
//! that makes and rotates the key pair, against the emulator.

use std::path::{Path, PathBuf};
use std::process::Command;

use livestream_resources::cookies::{Signer, generate};
use testkit::cloudfront::decode;

/// What a `PlaybackKey` secret holds (its `privateKey` among it).
pub(crate) async fn held_by(secrets: &aws_sdk_secretsmanager::Client, secret_id: &str) -> serde_json::Value {
    let value = secrets.get_secret_value().secret_id(secret_id).send().await.unwrap();
    serde_json::from_str(value.secret_string().unwrap()).unwrap()
}

/// The value of the cookie `name` among `Set-Cookie` values.
pub(crate) fn cookie<'c>(cookies: &'c [String], name: &str) -> &'c str {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no {name} in {cookies:?}"))
}

fn openssl_verifies(dir: &Path, policy: &[u8]) -> bool {
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

/// Whether OpenSSL verifies the signature `cookies` carry over their
/// policy with `public_pem`; and, when it does, refuses the same policy
/// stretched by a year. Returns the policy.
pub(crate) fn openssl_checks(cookies: &[String], public_pem: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cookies-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("public.pem"), public_pem).unwrap();
    let policy = decode(cookie(cookies, "CloudFront-Policy")).unwrap();
    let signature = decode(cookie(cookies, "CloudFront-Signature")).unwrap();
    std::fs::write(dir.join("signature.der"), signature).unwrap();
    assert_eq!(cookie(cookies, "CloudFront-Hash-Algorithm"), "SHA256");
    assert!(openssl_verifies(&dir, &policy), "OpenSSL refused the signature");
    let text = String::from_utf8(policy).unwrap();
    let expires: u64 = text
        .split("\"AWS:EpochTime\":")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no expiry in {text}"));
    let stretched = text.replace(&expires.to_string(), &(expires + 365 * 86_400).to_string());
    assert!(
        !openssl_verifies(&dir, stretched.as_bytes()),
        "a changed policy verified"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    text
}

#[test]
fn openssl_verifies_the_cookies_signature_with_the_published_public_key() {
    let pair = generate().unwrap();
    let signer = Signer::new(&pair.private_pem, "K2JCJMDEHXQW5F").unwrap();
    let cookies = signer
        .cookies(
            "https://d111111abcdef8.cloudfront.net/out/v1/live/*",
            1_795_000_000,
            "/",
        )
        .unwrap();
    let policy = openssl_checks(&cookies, &pair.public_pem);
    assert!(policy.contains(r#""AWS:EpochTime":1795000000"#), "{policy}");
    assert_eq!(cookie(&cookies, "CloudFront-Key-Pair-Id"), "K2JCJMDEHXQW5F");
}

/// `PlaybackKey` against the emulator: the public keys come back as Data
/// (never the private one), a repeated Create adopts its own pair, an
/// update without a new `KeyRotation` keeps the pair, a move to the next
/// slot makes a new key there and keeps the one that signed, any other
/// move is refused before anything is made, and a Delete removes the
/// secret at once.
#[tokio::test]
async fn the_playback_key_is_made_kept_rotated_and_deleted() {
    use crate::common::{Session, succeeded};
    use serde_json::json;

    const KIND: &str = "PlaybackKey";
    let session = Session::emulated().await;
    let secrets = &session.clients.secretsmanager;
    let first = json!({"KeyRotation": "A"});
    let created = session.create(KIND, first.clone()).await;
    let arn = succeeded(&created);
    assert!(!created.to_string().contains("PRIVATE KEY"), "{created}");
    let data = &created["Data"];
    let key_a = data["KeyA"].as_str().unwrap().to_owned();
    assert!(key_a.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(
        data["KeyC"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----\n")
    );
    assert_ne!(data["KeyC"], key_a.as_str(), "the slot before holds a key of its own");
    assert_eq!(data["KeyB"], "");
    assert_eq!(data["SigningSlot"], "A");
    assert_eq!(data["SecretArn"], arn.as_str());
    assert!(arn.contains(":secret:PlaybackKey/"), "{arn}");
    let held = held_by(secrets, &arn).await;
    let private = held["privateKey"].as_str().unwrap();
    assert_eq!(
        livestream_resources::cookies::public_pem_of(private).unwrap(),
        key_a,
        "the secret holds slot A's private key"
    );

    let again = session.create(KIND, first.clone()).await;
    assert_eq!(succeeded(&again), arn, "a repeated Create adopts its own pair");
    assert_eq!(again["Data"]["KeyA"], key_a.as_str());

    let kept = session.update(KIND, &arn, first.clone(), first.clone()).await;
    assert_eq!(succeeded(&kept), arn);
    assert_eq!(kept["Data"]["KeyA"], key_a.as_str());

    let skipped = session
        .update(KIND, &arn, first.clone(), json!({"KeyRotation": "C"}))
        .await;
    assert_eq!(skipped["Status"], "FAILED", "{skipped}");
    let reason = skipped["Reason"].as_str().unwrap();
    assert!(
        reason.contains("KeyRotation") && reason.contains("from A, B"),
        "{reason}"
    );

    let second = json!({"KeyRotation": "B"});
    let rotated = session.update(KIND, &arn, first.clone(), second.clone()).await;
    let new_arn = succeeded(&rotated);
    assert_ne!(new_arn, arn);
    assert_eq!(rotated["Data"]["SigningSlot"], "B");
    assert_eq!(
        rotated["Data"]["KeyA"],
        key_a.as_str(),
        "the key that signed stays trusted"
    );
    assert_eq!(rotated["Data"]["KeyC"], "", "the slot before A leaves");
    assert!(
        rotated["Data"]["KeyB"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    assert!(!rotated.to_string().contains("PRIVATE KEY"));

    // CloudFormation deletes the old one after the rotation.
    succeeded(&session.delete(KIND, &arn, first).await);
    assert!(secrets.get_secret_value().secret_id(&arn).send().await.is_err());
    let after = session.update(KIND, &new_arn, second.clone(), second.clone()).await;
    assert_eq!(after["Data"]["KeyA"], key_a.as_str(), "remembered by the new secret");
    succeeded(&session.delete(KIND, &new_arn, second).await);
    assert!(secrets.get_secret_value().secret_id(&new_arn).send().await.is_err());
}
