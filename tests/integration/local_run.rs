//! The main job, `deployment/run-local.sh`, as a newcomer runs it: the
//! whole stack through the real binaries against the emulator, the guard
//! step included, ending with an empty audit and a clean IAM report.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_local_run_plays_the_whole_stack_and_leaves_nothing() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("deployment/run-local.sh"))
        .output()
        .expect("running deployment/run-local.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "run-local.sh failed:\n{stdout}\n{stderr}");
    for expected in [
        "CREATE_COMPLETE stack livestream-local",
        "UPDATE_COMPLETE stack livestream-local",
        "armed: schedule",
        "DELETE_COMPLETE stack livestream-local",
        // The run the guard saw start is recorded by the delete, and listed.
        "recorded (kept in s3://",
        "/recordings/livestream-local/",
        "nothing left",
        "all allowed",
    ] {
        assert!(
            stdout.contains(expected),
            "no {expected:?} in the local run's output:\n{stdout}"
        );
    }
}

#[test]
fn the_local_run_with_events_plays_a_foundation_and_three_events_to_nothing_left() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("deployment/run-local.sh"))
        .arg("--events")
        .output()
        .expect("running deployment/run-local.sh --events");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "run-local.sh --events failed:\n{stdout}\n{stderr}"
    );
    for expected in [
        "CREATE_COMPLETE stack live-foundation",
        "[keynote] CREATE_COMPLETE stack keynote",
        "[workshop] CREATE_COMPLETE stack workshop",
        "[panel] CREATE_COMPLETE stack panel",
        "the foundation's player lists: Some([\"keynote\", \"panel\", \"workshop\"])",
        "armed: schedule",
        "keynote's channel",
        "[workshop] DELETE_COMPLETE stack workshop",
        "the foundation's player lists: Some([\"keynote\", \"panel\"])",
        "DELETE_FAILED stack live-foundation: Export live-foundation-",
        "/recordings/keynote/",
        "DELETE_COMPLETE stack live-foundation",
        "nothing left",
        "all allowed",
    ] {
        assert!(
            stdout.contains(expected),
            "no {expected:?} in the local run's output:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("stopped 1 time"),
        "no event's channel may stop while another is deleted:\n{stdout}"
    );
}
