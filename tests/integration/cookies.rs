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
