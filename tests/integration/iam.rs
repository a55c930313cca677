//! IAM as AWS applies it: the template's roles judged against every call
//! the handler makes on the paths that only failures take (the Delete that
//! follows a Create cut off by its deadline finds the channel with
//! ListChannels; the one after a refused CreateSecret looks the secret up
//! by a name that has no secret), and a template with one grant removed
//! refused exactly where AWS would refuse it.
//!
//! Every full-stack test checks IAM the same way (`Report::assert_clean`);
//! here the checks themselves are shown to bite.

use std::path::Path;
use std::time::Duration;

use testkit::stack::{Player, Rig, Template};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
const INVOCATION_TIME: Duration = Duration::from_millis(12_500);
const SLOW: Duration = Duration::from_secs(60);
/// The grant the rollback of a cut-off channel Create needs.
const LIST_CHANNELS_GRANT: &str = "                  - medialive:ListChannels\n";

fn template_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

fn parameters() -> Vec<(String, String)> {
    [
        ("CodeBucketPrefix", "local-code"),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", "livestream/v0/demo-source.mp4"),
        ("InputType", "RTMP_PUSH"),
        ("InputCIDR", "203.0.113.7/32"),
        ("DeployDemoPlayer", "No"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

async fn rig(stack_name: &str) -> (Rig, Player) {
    let rig = Rig::start_with(
        Path::new(BINARY),
        &[("LIVESTREAM_ATTEMPT_TIMEOUT_SECS", "2".to_owned())],
    )
    .await;
    let player = rig.player(stack_name).lambda_time_cap(INVOCATION_TIME);
    (rig, player)
}

/// Plays `template` with the channel's Create acting at once but answering
/// after a minute: the handler never learns the channel's id, answers a
/// timeout, and CloudFormation's rollback Delete must find the channel by
/// its tags (ListChannels).
async fn channel_create_cut_off(template: Template) -> (Rig, Player, Vec<String>) {
    let (rig, mut player) = rig("cut-off").await;
    rig.aws.slow_answers("medialive", "POST /prod/channels", SLOW);
    let failure = player
        .create(template, &parameters())
        .await
        .map(|_| ())
        .expect_err("the channel's Create cannot finish in time");
    assert_eq!(failure.logical_id, "MediaLiveChannel", "{failure}");
    let rollback: Vec<String> = player
        .transcript()
        .iter()
        .filter(|line| line.starts_with("  ROLLBACK") && line.contains("MediaLiveChannel "))
        .cloned()
        .collect();
    (rig, player, rollback)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rollback_of_a_cut_off_channel_create_may_list_channels() {
    let (rig, player, rollback) = channel_create_cut_off(Template::parse(&template_text()).unwrap()).await;
    assert!(
        rollback.iter().all(|line| line.contains("SUCCESS")),
        "{rollback:#?}\n{}",
        player.transcript().join("\n")
    );
    let report = rig.iam_report();
    let listed = report
        .checked
        .iter()
        .find(|c| c.action == "medialive:ListChannels" && c.role == "ResourcesFunctionRole")
        .expect("the rollback listed the channels");
    assert!(listed.allowed, "{listed}");
    assert_eq!(listed.role, "ResourcesFunctionRole");
    assert_eq!(listed.resource, "*", "ListChannels has no resource type");
    assert!(rig.leftovers().await.unwrap().is_empty());
    report.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_its_list_channels_grant_the_same_rollback_is_refused_naming_call_action_resource_and_role() {
    let text = template_text();
    assert!(text.contains(LIST_CHANNELS_GRANT), "the template grants ListChannels");
    let without = Template::parse(&text.replacen(LIST_CHANNELS_GRANT, "", 1)).unwrap();
    let (rig, player, rollback) = channel_create_cut_off(without).await;

    // As in a real account: the rollback's Delete is refused by IAM, and
    // the stack would end in ROLLBACK_FAILED with a billing channel.
    assert!(
        rollback
            .iter()
            .any(|line| line.contains("FAILED") && line.contains("not authorized to perform: medialive:ListChannels")),
        "{rollback:#?}\n{}",
        player.transcript().join("\n")
    );
    let report = rig.iam_report();
    let denied: Vec<String> = report.denied().iter().map(ToString::to_string).collect();
    assert_eq!(denied.len(), 1, "{denied:#?}");
    let refused = report.denied()[0];
    assert_eq!(refused.role, "ResourcesFunctionRole");
    assert_eq!(refused.action, "medialive:ListChannels");
    assert_eq!(refused.resource, "*");
    assert!(
        refused
            .call
            .contains("medialive:ListChannels (medialive GET /prod/channels)")
            && refused.call.contains("cut-off:ResourcesFunction"),
        "{}",
        refused.call
    );
    let left = rig.leftovers().await.unwrap();
    assert!(
        left.iter().any(|line| line.contains("MediaLive channel")),
        "the channel it could not find is left: {left:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_delete_after_a_refused_secret_create_looks_the_name_up_as_iam_sees_a_missing_secret() {
    let (rig, mut player) = rig("secret-lookup").await;
    // Every attempt of CreateSecret fails with a 5xx and acts on nothing:
    // the handler cannot tell, so the rollback looks the secret up by name.
    for _ in 0..6 {
        rig.aws
            .fail("secretsmanager", "CreateSecret", 0, 500, "InternalServiceError");
    }
    let template = Template::parse(&template_text()).unwrap();
    // The secret is MediaPackage v1's CDN authorization.
    let mut given = parameters();
    given.push(("Packager".to_owned(), "MediaPackageV1".to_owned()));
    let failure = player.create(template, &given).await.map(|_| ()).expect_err("refused");
    assert_eq!(failure.logical_id, "CdnSecret", "{failure}");
    let report = rig.iam_report();
    let lookup = report
        .checked
        .iter()
        .find(|c| c.action == "secretsmanager:DescribeSecret")
        .expect("the rollback looked the secret up");
    // No six-character suffix: the secret does not exist.
    assert_eq!(
        lookup.resource,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:MediaPackage/secret-lookup"
    );
    assert!(lookup.allowed, "{lookup}");
    assert!(rig.leftovers().await.unwrap().is_empty());
    report.assert_clean();
}
