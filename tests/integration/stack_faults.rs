//! The whole of `template.yaml` through the compiled handler with AWS
//! misbehaving: answers lost after AWS acted, creates slower than the
//! invocation's deadline. However the run goes, once CloudFormation's
//! rollback or Delete is done nothing is left in the emulator.
//!
//! The handler's SDK abandons an attempt after 2 s here (30 s deployed)
//! and every invocation gets 12.5 s (900 s deployed), so a deadline cut
//! takes seconds, not a quarter of an hour.

use std::path::Path;
use std::time::Duration;

use testkit::receiver::Answer;
use testkit::stack::{Player, Rig, Template};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
const INVOCATION_TIME: Duration = Duration::from_millis(12_500);
const SLOW: Duration = Duration::from_secs(60);

fn template() -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    Template::parse(&text).expect("template.yaml parses")
}

fn parameters() -> Vec<(String, String)> {
    [
        ("CodeBucketPrefix", "local-code"),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", "livestream/v0/demo-source.mp4"),
        ("InputType", "RTMP_PUSH"),
        ("InputCIDR", "203.0.113.7/32"),
        ("ChannelStart", "Yes"),
        // A failover pair: two inputs and a secondary attachment to leave nothing of.
        ("FailoverInput", "Yes"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn rig() -> (Rig, Player) {
    let rig = Rig::start_with(
        Path::new(BINARY),
        &[("LIVESTREAM_ATTEMPT_TIMEOUT_SECS", "2".to_owned())],
    )
    .await;
    let player = rig.player("fault-stack").lambda_time_cap(INVOCATION_TIME);
    (rig, player)
}

/// The first answer of every create the stack makes is lost after AWS
/// acted on it (a 500, as a connection reset after the request would).
fn lose_the_first_answer_of_every_create(rig: &Rig) {
    for (service, call) in [
        ("secretsmanager", "CreateSecret"),
        ("mediapackage", "POST /channels"),
        ("mediapackage", "POST /origin_endpoints"),
        ("medialive", "POST /prod/inputSecurityGroups"),
        ("medialive", "POST /prod/inputs"),
        ("medialive", "POST /prod/channels"),
    ] {
        rig.aws
            .lose_answer(service, call, 0, 500, "InternalServerErrorException");
    }
}

/// Nothing left, and every call on every path (the recovery ones
/// included) allowed by the template's IAM.
async fn assert_nothing_left(rig: &Rig, player: &Player) {
    let left = rig.leftovers().await.expect("auditing the emulator");
    assert!(
        left.is_empty(),
        "left behind: {left:#?}\n{}",
        player.transcript().join("\n")
    );
    rig.iam_report().assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_whose_channel_create_outlives_the_deadline_rolls_back_to_nothing() {
    let (rig, mut player) = rig().await;
    lose_the_first_answer_of_every_create(&rig);
    // After its lost first answer, CreateChannel acts at once and answers
    // after a minute: the channel exists, the handler never learns its id.
    rig.aws.slow_answers("medialive", "POST /prod/channels", SLOW);
    let failure = player
        .create(template(), &parameters())
        .await
        .map(|_| ())
        .expect_err("the channel's Create cannot finish in time");
    assert_eq!(failure.logical_id, "MediaLiveChannel", "{failure}");
    assert!(failure.reason.starts_with("timed out"), "{failure}");
    assert_nothing_left(&rig, &player).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_answers_on_every_create_and_delete_still_leave_nothing() {
    let (rig, mut player) = rig().await;
    lose_the_first_answer_of_every_create(&rig);
    let stack = player
        .create(template(), &parameters())
        .await
        .unwrap_or_else(|failure| panic!("{failure}\n{}", player.transcript().join("\n")));
    for (service, call) in [
        ("medialive", "POST /prod/channels/"), // StopChannel
        ("medialive", "DELETE /prod/channels/"),
        ("medialive", "DELETE /prod/inputs/"),
        ("medialive", "DELETE /prod/inputSecurityGroups/"),
        ("mediapackage", "DELETE /origin_endpoints/"),
        ("mediapackage", "DELETE /channels/"),
        ("secretsmanager", "DeleteSecret"),
    ] {
        rig.aws
            .lose_answer(service, call, 0, 500, "InternalServerErrorException");
    }
    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}\n{}", player.transcript().join("\n"));
    assert_nothing_left(&rig, &player).await;
}

/// Lifecycles of the random-fault run, each under its own faults: 3 in the test command, 10 (or the
/// number given) with `LIVESTREAM_DEEP_TESTS` set, as the nightly job runs.
fn random_runs() -> u64 {
    match std::env::var("LIVESTREAM_DEEP_TESTS") {
        Ok(value) => value.parse().ok().filter(|n| *n > 1).unwrap_or(10),
        Err(_) => 3,
    }
}
const FAULT_RATE: f64 = 0.2;

#[tokio::test(flavor = "multi_thread")]
async fn lifecycles_under_twenty_percent_random_faults_answer_everything_and_leave_nothing() {
    // Slow answers cost an attempt timeout each: keep both short.
    let rig = Rig::start_with(
        Path::new(BINARY),
        &[("LIVESTREAM_ATTEMPT_TIMEOUT_SECS", "1".to_owned())],
    )
    .await;
    let mut outcomes = Vec::new();
    for run in 0..random_runs() {
        let seed = 0x5eed_0000 + run;
        let mut player = rig
            .player(&format!("random-{run}"))
            .lambda_time_cap(Duration::from_secs(60));
        rig.aws.random_faults(FAULT_RATE, seed, Duration::from_millis(1500));
        // The ResponseURL fails as often: 500 or 503 instead of 200.
        let mut rng = seed;
        rig.receiver.script((0..400).map(|_| {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            match (rng >> 33) % 10 {
                0 => Answer::Status(500),
                1 => Answer::Status(503),
                _ => Answer::Status(200),
            }
        }));
        let created = player.create(template(), &parameters()).await;
        let outcome = match created {
            Ok(stack) => {
                let failures = player.delete(stack).await;
                assert!(
                    failures.is_empty(),
                    "run {run}: {failures:?}\n{}",
                    player.transcript().join("\n")
                );
                "created and deleted".to_owned()
            }
            Err(failure) => format!("rolled back ({failure})"),
        };
        let transcript = player.transcript().join("\n");
        assert!(!transcript.contains("no response was sent"), "run {run}:\n{transcript}");
        let injected = rig.aws.random_faults_injected();
        assert!(injected > 0, "run {run}: faults were injected");
        rig.aws.clear_faults();
        rig.receiver.script(std::iter::empty());
        assert_nothing_left(&rig, &player).await;
        outcomes.push(format!("run {run}: {outcome}, {injected} AWS faults"));
    }
    println!("{}", outcomes.join("\n"));
}
