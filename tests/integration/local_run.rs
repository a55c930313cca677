//! The main job, `deployment/run-local.sh`, as a newcomer runs it: the
//! whole stack through the real binaries against the emulator, the guard
//! step included, ending with an empty audit and a clean IAM report.

use std::path::PathBuf;
use std::process::Command;

/// `deployment/run-local.sh` with `args`; its stdout and stderr, once it succeeded.
fn run_local(args: &[&str]) -> (String, String) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("deployment/run-local.sh"))
        .args(args)
        .output()
        .expect("running deployment/run-local.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "run-local.sh {args:?} failed:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

fn expect_all(stdout: &str, expected: &[&str]) {
    for expected in expected {
        assert!(
            stdout.contains(expected),
            "no {expected:?} in the local run's output:\n{stdout}"
        );
    }
}

#[test]
fn the_local_run_plays_the_whole_stack_and_leaves_nothing() {
    let needs = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("iam-needs-template.json");
    let (stdout, _) = run_local(&["--iam-needs", needs.to_str().unwrap()]);
    // The first-deploy check's list of what each role needs is what this
    // run needed, not a second hand-written list.
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("check/iam-needs/template.json");
    assert!(
        std::fs::read_to_string(&needs).unwrap() == std::fs::read_to_string(&committed).unwrap(),
        "the roles now need other permissions than check/iam-needs/template.json lists: if that is meant, write it again with \
         `./deployment/run-local.sh --iam-needs check/iam-needs/template.json` and commit it (the run's list: {})",
        needs.display()
    );
    expect_all(
        &stdout,
        &[
            "CREATE_COMPLETE stack livestream-local",
            "UPDATE_COMPLETE stack livestream-local",
            "armed: schedule",
            // The first-deploy check on the running stack: every check
            // holds or waits (the run fails on a ✗).
            "the first-deploy check, as a deployer runs it (./deployment/check-stack.sh livestream-local):",
            "✓ guard: rule livestream-local-ChannelStateRule (ChannelStateRule) is enabled and sends to the cost guard",
            "runs, and the guard recorded the run",
            "✓ cost: channel",
            "DELETE_COMPLETE stack livestream-local",
            // The run the guard saw start is recorded by the delete, and listed.
            "recorded (kept in s3://",
            "/recordings/livestream-local/",
            "nothing left",
            "all allowed",
        ],
    );
}

#[test]
fn the_local_run_with_events_plays_a_foundation_and_three_events_to_nothing_left() {
    let needs = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("iam-needs-events.json");
    let (stdout, _) = run_local(&["--events", "--iam-needs", needs.to_str().unwrap()]);
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("check/iam-needs/events.json");
    assert!(
        std::fs::read_to_string(&needs).unwrap() == std::fs::read_to_string(&committed).unwrap(),
        "the foundation's roles now need other permissions for its events than check/iam-needs/events.json lists: if that is meant, \
         write it again with `./deployment/run-local.sh --events --iam-needs check/iam-needs/events.json` and commit it (the run's list: {})",
        needs.display()
    );
    expect_all(
        &stdout,
        &[
            "CREATE_COMPLETE stack live-foundation",
            "[keynote] CREATE_COMPLETE stack keynote",
            "[workshop] CREATE_COMPLETE stack workshop",
            "[panel] CREATE_COMPLETE stack panel",
            "[workshop]   CREATE  MediaLiveFailoverInput",
            "the foundation's player lists: Some([\"keynote\", \"panel\", \"workshop\"])",
            "armed: schedule",
            "(./deployment/check-stack.sh live-foundation):",
            "✓ stack: live-foundation (a foundation) is CREATE_COMPLETE",
            "(./deployment/check-stack.sh panel):",
            "✓ event: alarm live-foundation/panel/no-input-video (NoInputVideoAlarm) is named under live-foundation/",
            "keynote's channel",
            "[workshop] DELETE_COMPLETE stack workshop",
            "the foundation's player lists: Some([\"keynote\", \"panel\"])",
            "DELETE_FAILED stack live-foundation: Export live-foundation-",
            "/recordings/keynote/",
            "DELETE_COMPLETE stack live-foundation",
            "nothing left",
            "all allowed",
        ],
    );
    assert!(
        !stdout.contains("stopped 1 time"),
        "no event's channel may stop while another is deleted:\n{stdout}"
    );
}

/// Protected playback in the main job: where viewers enter the passcode,
/// the stream refused without the cookies and served with them, a key
/// rotation by update, and the passcode never printed.
#[test]
fn the_local_run_with_signed_cookies_shows_viewers_let_in_and_never_the_passcode() {
    const PASSCODE: &str = "local run passcode";
    let passcode = format!("ViewerPasscode={PASSCODE}");
    let (stdout, stderr) = run_local(&["PlaybackAccess=SignedCookies", &passcode, "--update", "KeyRotation=B"]);
    expect_all(
        &stdout,
        &[
            "ViewerPasscode=****",
            "viewers enter the passcode at https://",
            "/player/index.html",
            "without cookies CloudFront answers 403",
            "POST /auth/ with a wrong passcode: HTTP 403",
            "POST /auth/ with ViewerPasscode (****): HTTP 200",
            "with them CloudFront serves https://",
            "CREATE  ViewerKeyB",
            "CLEANUP ViewerKeyC",
            "UPDATE_COMPLETE stack livestream-local",
            "nothing left",
            "all allowed",
        ],
    );
    for text in [&stdout, &stderr] {
        assert!(!text.contains(PASSCODE), "the passcode was printed:\n{text}");
        assert!(!text.contains("PRIVATE KEY"), "a private key was printed:\n{text}");
    }
}

/// A failover pair in the main job: both inputs' endpoints printed, the
/// backup's made and deleted with the stack.
#[test]
fn the_local_run_with_a_failover_pair_prints_both_inputs_endpoints() {
    let (stdout, _) = run_local(&[
        "InputType=RTMP_PUSH",
        "InputCIDR=203.0.113.7/32",
        "FailoverInput=Yes",
        "--no-update",
    ]);
    expect_all(
        &stdout,
        &[
            "CREATE  MediaLiveFailoverInput",
            "IngestEndpoints  rtmp://",
            "BackupIngestEndpoints rtmp://",
            "DELETE  MediaLiveFailoverInput",
            "nothing left",
            "all allowed",
        ],
    );
}
