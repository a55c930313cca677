//! `deployment/build-s3-dist.sh`: the arm64 zip and the regional template
//! it produces, with the test source beside the zip, as a user would run
//! it. Needs cargo-lambda, zig, ffmpeg and Rust's aarch64 target
//! (`./deployment/bootstrap.sh --build-tools`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BUCKET: &str = "livestream-test";
const SOLUTION: &str = "livestream-on-aws";
const VERSION: &str = "v0.0.0-test";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn build_s3_dist(args: &[&str]) -> Output {
    Command::new(root().join("deployment/build-s3-dist.sh"))
        .args(args)
        .env("AWS_REGION", "eu-west-1")
        .output()
        .expect("running deployment/build-s3-dist.sh")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The names in `zip` and the first 20 bytes of its `bootstrap`, read with
/// the venv's Python (no zip crate needed for one check).
fn zip_listing(zip: &Path) -> (Vec<String>, Vec<u8>) {
    let python = testkit::moto::python();
    let script = "import sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  print('\\n'.join(z.namelist()))\n\
                  print(z.read('bootstrap')[:20].hex() if 'bootstrap' in z.namelist() else '')";
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(zip)
        .output()
        .unwrap_or_else(|err| panic!("running {}: {err}; run ./deployment/bootstrap.sh", python.display()));
    assert!(out.status.success(), "reading {}: {}", zip.display(), text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    let head = lines.pop().unwrap_or_default();
    let bytes = (0..head.len() / 2)
        .filter_map(|i| u8::from_str_radix(&head[2 * i..2 * i + 2], 16).ok())
        .collect();
    (lines, bytes)
}

#[test]
fn build_s3_dist_makes_an_arm64_zip_and_a_template_that_lints() {
    let out = build_s3_dist(&[BUCKET, SOLUTION, VERSION]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "build-s3-dist.sh failed ({}):\n{}\n{}",
        out.status,
        stdout,
        text(&out.stderr)
    );

    let zip = root().join("deployment/regional-s3-assets/livestream-resources.zip");
    let (names, head) = zip_listing(&zip);
    assert_eq!(
        names,
        ["bootstrap"],
        "the zip holds the bootstrap executable at its root"
    );
    assert_eq!(&head[..4], b"\x7fELF", "bootstrap is an ELF executable");
    assert_eq!(head[4], 2, "64-bit");
    assert_eq!(
        u16::from_le_bytes([head[18], head[19]]),
        0xB7,
        "for aarch64 (EM_AARCH64)"
    );

    let template = root().join(format!("deployment/global-s3-assets/{SOLUTION}.template"));
    let body = std::fs::read_to_string(&template).expect("the regional template exists");
    let key = format!("{SOLUTION}/{VERSION}/livestream-resources.zip");
    assert!(
        body.contains(&format!("Default: '{BUCKET}'")),
        "the code bucket prefix is the default"
    );
    assert!(
        body.contains(&format!("Default: '{key}'")),
        "the code key is the default"
    );
    assert!(body.contains("S3Bucket: !Sub ${CodeBucketPrefix}-${AWS::Region}"));
    let source_key = format!("{SOLUTION}/{VERSION}/demo-source.mp4");
    assert!(
        body.contains(&format!("Default: '{source_key}'")),
        "the test source's key is the default"
    );
    let source = root().join("deployment/regional-s3-assets/demo-source.mp4");
    let source_bytes = std::fs::metadata(&source)
        .expect("the test source is beside the zip")
        .len();
    assert!(source_bytes > 100_000, "{source_bytes}");
    // Deployed with --s3-bucket, CloudFormation takes up to 1 MB.
    assert!(body.len() < 1_048_576, "{} bytes", body.len());
    let lint = Command::new(root().join(".venv/bin/cfn-lint"))
        .arg(&template)
        .output()
        .expect("running cfn-lint from .venv (./deployment/bootstrap.sh installs it)");
    assert!(
        lint.status.success(),
        "cfn-lint: {}{}",
        text(&lint.stdout),
        text(&lint.stderr)
    );

    // The foundation has the same code defaults; events run on its code.
    let foundation = root().join(format!("deployment/global-s3-assets/{SOLUTION}-foundation.template"));
    let foundation_body = std::fs::read_to_string(&foundation).expect("the foundation's template exists");
    for default in [BUCKET, &key, &source_key] {
        assert!(
            foundation_body.contains(&format!("Default: '{default}'")),
            "the foundation defaults to {default}"
        );
    }
    let event = root().join(format!("deployment/global-s3-assets/{SOLUTION}-event.template"));
    assert_eq!(
        std::fs::read_to_string(&event).expect("the event's template exists"),
        std::fs::read_to_string(root().join("event.yaml")).unwrap(),
        "the event template ships as it is"
    );
    for template in [&foundation, &event] {
        let lint = Command::new(root().join(".venv/bin/cfn-lint"))
            .arg(template)
            .output()
            .expect("running cfn-lint from .venv");
        assert!(
            lint.status.success(),
            "cfn-lint {}: {}",
            template.display(),
            text(&lint.stdout)
        );
    }
    for command in [
        format!("--template-file deployment/global-s3-assets/{SOLUTION}-foundation.template"),
        format!("--template-file deployment/global-s3-assets/{SOLUTION}-event.template"),
        "--parameter-overrides Foundation=live".to_owned(),
    ] {
        assert!(stdout.contains(&command), "prints {command:?}:\n{stdout}");
    }

    let sync = format!("aws s3 sync deployment/regional-s3-assets/ s3://{BUCKET}-eu-west-1/{SOLUTION}/{VERSION}/");
    assert!(stdout.contains(&sync), "prints the upload command:\n{stdout}");
    assert!(
        stdout.contains(&format!(
            "--template-file deployment/global-s3-assets/{SOLUTION}.template"
        )),
        "prints the deploy command:\n{stdout}"
    );
    // Without --s3-bucket, `cloudformation deploy` takes 51,200 bytes at most.
    assert!(
        stdout.contains(&format!(
            "--s3-bucket {BUCKET}-eu-west-1 --s3-prefix {SOLUTION}/{VERSION}"
        )),
        "the deploy command uploads the template, whatever its size:\n{stdout}"
    );
}

#[test]
fn build_s3_dist_refuses_missing_or_bad_arguments() {
    let out = build_s3_dist(&[BUCKET, SOLUTION]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("usage:"), "{}", text(&out.stderr));

    let out = build_s3_dist(&["Not_A_Bucket", SOLUTION, VERSION]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Not_A_Bucket"), "{}", text(&out.stderr));
}
