//! The whole of `template.yaml`, played as CloudFormation plays it, through
//! the compiled handler against an emulator of its own (behind the faithful
//! layer): create, update, delete, rollback, and an audit that nothing is
//! left.

use std::path::Path;

use aws_sdk_medialive::types::ChannelState;
use testkit::stack::{Player, Rig, Stack, Template};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");

pub(crate) fn template() -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    Template::parse(&text).expect("template.yaml parses")
}

const CODE_BUCKET_PREFIX: &str = "local-code";
const DEMO_SOURCE_KEY: &str = "livestream/v0/demo-source.mp4";

/// `pairs` plus the code location, which only a real deployment reads.
pub(crate) fn parameters(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    [
        ("CodeBucketPrefix", CODE_BUCKET_PREFIX),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", DEMO_SOURCE_KEY),
    ]
    .iter()
    .chain(pairs)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub(crate) fn output(rig_outputs: &[(String, String)], name: &str) -> String {
    rig_outputs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no output {name} in {rig_outputs:?}"))
}

fn attribute(stack: &Stack, logical_id: &str, key: &str) -> String {
    stack
        .resource(logical_id)
        .and_then(|r| r.exposed.attributes.get(key).cloned())
        .unwrap_or_else(|| panic!("{logical_id} has no {key}"))
}

pub(crate) async fn channel_state(rig: &Rig, channel_id: &str) -> ChannelState {
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    let channel = medialive
        .describe_channel()
        .channel_id(channel_id)
        .send()
        .await
        .expect("describing the channel");
    channel.state().cloned().expect("a channel state")
}

/// The CIDRs an input security group allows, sorted.
async fn group_rules(rig: &Rig, group_id: &str) -> Vec<String> {
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    let group = medialive
        .describe_input_security_group()
        .input_security_group_id(group_id)
        .send()
        .await
        .expect("the input's security group exists");
    let mut cidrs: Vec<String> = group
        .whitelist_rules()
        .iter()
        .filter_map(|rule| rule.cidr().map(str::to_owned))
        .collect();
    cidrs.sort();
    cidrs
}

/// Deletes the stack; every resource must go.
pub(crate) async fn delete(player: &mut Player, stack: Stack) {
    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
}

/// Deletes the stack, then finds nothing left and every call allowed.
async fn delete_leaving_nothing(rig: &Rig, player: &mut Player, stack: Stack) {
    delete(player, stack).await;
    assert_nothing_left(rig).await;
}

/// Nothing left in the emulator, and every call the stack's functions made
/// (and what the services do as their roles) allowed by the template's IAM.
pub(crate) async fn assert_nothing_left(rig: &Rig) {
    let left = rig.leftovers().await.expect("auditing the emulator");
    assert!(left.is_empty(), "left behind: {left:#?}");
    rig.iam_report().assert_clean();
}

/// Updates `stack` with new values for `changed` (the other parameters keep
/// theirs); the update must succeed.
pub(crate) async fn update(player: &mut Player, stack: Stack, changed: &[(&str, &str)]) -> Stack {
    player
        .update(stack, template(), &parameters(changed))
        .await
        .map_err(|(_, failure)| failure)
        .unwrap_or_else(|failure| panic!("the update failed: {failure}\n{}", player.transcript().join("\n")))
}

/// Since transcript line `before`, one resource got an Update, and it
/// succeeded: `logical_id` (`why` says why only it).
fn assert_only_update(player: &Player, before: usize, logical_id: &str, why: &str) {
    let sent: Vec<&String> = player.transcript()[before..]
        .iter()
        .filter(|line| line.starts_with("  UPDATE "))
        .collect();
    assert_eq!(sent.len(), 1, "{why}: {sent:#?}");
    assert!(
        sent[0].contains(logical_id) && sent[0].contains("SUCCESS"),
        "{}",
        sent[0]
    );
}

/// The stack still has the MediaLive channel `channel_id`, updated in
/// place and running again; as MediaLive describes it now.
async fn updated_in_place_and_running(
    rig: &Rig,
    stack: &Stack,
    channel_id: &str,
) -> aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput {
    assert_eq!(
        stack.physical_id("MediaLiveChannel"),
        Some(channel_id),
        "the same MediaLive channel, updated in place"
    );
    assert_eq!(
        channel_state(rig, channel_id).await,
        ChannelState::Running,
        "running again"
    );
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    medialive
        .describe_channel()
        .channel_id(channel_id)
        .send()
        .await
        .unwrap()
}

/// The player's `config.json` holds exactly these outputs, by key.
async fn assert_player_config(rig: &Rig, stack: &Stack, outputs: &[(String, String)], keys: &[(&str, &str)]) {
    let config = rig
        .s3_json(
            stack.physical_id("DemoBucket").expect("a demo bucket"),
            "player/config.json",
        )
        .await
        .unwrap()
        .expect("the player's config.json");
    for (key, name) in keys {
        assert_eq!(config[*key], output(outputs, name), "{key}");
    }
    // With the recordings listed, whose: the stack's own channel's.
    let whose = usize::from(keys.iter().any(|(key, _)| *key == "recordings"));
    if whose == 1 {
        assert_eq!(config["recordingsOf"], stack.name.as_str(), "{config}");
    }
    assert_eq!(
        config.as_object().map(|c| c.len()),
        Some(keys.len() + whose),
        "{config}"
    );
}

/// Nothing left in the emulator, and no AWS call by the stack's functions
/// at all (so no IAM report to judge).
pub(crate) async fn assert_nothing_made(rig: &Rig) {
    let left = rig.leftovers().await.expect("auditing the emulator");
    assert!(left.is_empty(), "left behind: {left:#?}");
    assert!(rig.iam_report().checked.is_empty(), "no call by the handler");
}

/// The input's sources, as MediaLive describes them.
async fn input_sources(rig: &Rig, input_id: &str) -> Vec<String> {
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    let input = medialive
        .describe_input()
        .input_id(input_id)
        .send()
        .await
        .expect("describing the input");
    input
        .sources()
        .iter()
        .filter_map(|s| s.url().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_defaults_play_the_stacks_own_test_source_and_its_role_may_read_exactly_it() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let source = rig
        .upload_demo_source(CODE_BUCKET_PREFIX, DEMO_SOURCE_KEY)
        .await
        .expect("the test source is uploaded as a deployment has it");
    let mut player = rig.player("default-stack");
    let stack = player
        .create(template(), &parameters(&[("ChannelStart", "Yes")]))
        .await
        .expect("the stack is created with the defaults");

    let input_id = stack.physical_id("MediaLiveInput").expect("an input").to_owned();
    assert_eq!(
        input_sources(&rig, &input_id).await,
        [source.clone(), source.clone()],
        "both pipelines loop the stack's own source"
    );
    assert_eq!(
        source,
        format!("s3ssl://{CODE_BUCKET_PREFIX}-us-east-1/{DEMO_SOURCE_KEY}")
    );
    let channel_id = stack.physical_id("MediaLiveChannel").expect("a channel").to_owned();
    assert_eq!(channel_state(&rig, &channel_id).await, ChannelState::Running);
    let object = rig
        .s3()
        .await
        .head_object()
        .bucket(format!("{CODE_BUCKET_PREFIX}-us-east-1"))
        .key(DEMO_SOURCE_KEY)
        .send()
        .await
        .expect("the object the input reads exists");
    assert!(object.content_length().unwrap_or_default() > 100_000);

    // MediaLive reads the source as the channel's role: exactly that object.
    let report = rig.iam_report();
    let reads: Vec<_> = report
        .checked
        .iter()
        .filter(|c| c.role == "MediaLiveRole" && c.action == "s3:GetObject")
        .collect();
    assert!(!reads.is_empty(), "MediaLive's read of the source is checked");
    for read in &reads {
        assert!(read.allowed, "{read}");
        assert_eq!(
            read.resource,
            format!("arn:aws:s3:::{CODE_BUCKET_PREFIX}-us-east-1/{DEMO_SOURCE_KEY}")
        );
    }
    let role = stack.resource("MediaLiveRole").expect("MediaLive's role");
    let statements = role.properties["Policies"][0]["PolicyDocument"]["Statement"].clone();
    let source_files = statements
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "SourceFiles")
        .expect("a statement for the source files");
    assert_eq!(
        source_files["Resource"],
        serde_json::json!([format!("arn:aws:s3:::{CODE_BUCKET_PREFIX}-us-east-1/{DEMO_SOURCE_KEY}")]),
        "no other object"
    );

    // The default packager is MediaPackage v2: the channel writes CMAF
    // ingest to the stack's v2 channel, as its role may.
    assert_v2_packaging(&rig, &player, &stack, &channel_id).await;

    let stack = update(&mut player, stack, &[("EncodingProfile", "SD-540p")]).await;
    assert_eq!(stack.physical_id("MediaLiveChannel"), Some(channel_id.as_str()));
    delete_leaving_nothing(&rig, &mut player, stack).await;
}

/// What a v2 stack holds: the MediaLive channel's destination names the v2
/// group and channel, its output group carries one track per output, its
/// role may write there, the playback URLs (low-latency HLS among them)
/// are the endpoints' own behind CloudFront, and the player plays them.
async fn assert_v2_packaging(rig: &Rig, player: &Player, stack: &Stack, channel_id: &str) {
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    let channel = medialive
        .describe_channel()
        .channel_id(channel_id)
        .send()
        .await
        .unwrap();
    let destination = channel.destinations()[0].media_package_settings()[0].clone();
    let group = stack.physical_id("PackagerGroup").expect("a v2 channel group");
    assert!(group.ends_with(":channelGroup/default-stack"), "{group}");
    assert_eq!(
        (
            destination.channel_group(),
            destination.channel_name(),
            destination.channel_id()
        ),
        (Some("default-stack"), Some("default-stack"), None)
    );
    let outputs = channel.encoder_settings().unwrap().output_groups()[0].outputs();
    assert!(
        outputs
            .iter()
            .all(|o| o.audio_description_names().is_empty() || o.video_description_name().is_none()),
        "CMAF ingest: one track per output"
    );
    let writes: Vec<_> = rig
        .iam_report()
        .checked
        .into_iter()
        .filter(|c| c.role == "MediaLiveRole" && c.action == "mediapackagev2:PutObject")
        .collect();
    assert!(!writes.is_empty(), "MediaLive's CMAF ingest is checked");
    for write in &writes {
        assert!(write.allowed, "{write}");
        assert_eq!(
            write.resource,
            "arn:aws:mediapackagev2:us-east-1:123456789012:channelGroup/default-stack/channel/default-stack"
        );
    }
    assert!(
        stack.resource("MediaPackageChannel").is_none() && stack.resource("CdnSecret").is_none(),
        "no v1 packager"
    );

    let outputs = player.outputs(stack).expect("outputs evaluate");
    let domain = attribute(stack, "Distribution", "DomainName");
    let base = format!("https://{domain}/out/v1/default-stack/default-stack");
    for (name, path) in [
        ("HlsUrl", "/ts/index.m3u8"),
        ("CmafUrl", "/cmaf/index.m3u8"),
        ("LowLatencyHlsUrl", "/cmaf/low-latency.m3u8"),
        ("DashUrl", "/cmaf/index.mpd"),
        ("MssUrl", "/mss/index.ism/Manifest"),
    ] {
        assert_eq!(output(&outputs, name), format!("{base}{path}"), "{name}");
    }
    assert_player_config(
        rig,
        stack,
        &outputs,
        &[
            ("hls", "HlsUrl"),
            ("llhls", "LowLatencyHlsUrl"),
            ("dash", "DashUrl"),
            ("cmaf", "CmafUrl"),
            ("mss", "MssUrl"),
            ("recordings", "RecordingsList"),
        ],
    )
    .await;
    let left = rig.leftovers().await.unwrap();
    for endpoint in ["ts", "cmaf", "mss"] {
        let line = format!("MediaPackage v2 origin endpoint default-stack/default-stack/{endpoint}");
        assert!(left.contains(&line), "the audit sees {line}: {left:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_input_without_cidrs_is_refused_before_anything_is_made() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("open-push");
    let failure = player
        .create(template(), &parameters(&[("InputType", "RTMP_PUSH")]))
        .await
        .expect_err("refused");
    assert_eq!(failure.logical_id, "Rules");
    assert!(
        failure.reason.contains("InputCIDR") && failure.reason.contains("checkip.amazonaws.com"),
        "names the parameter and how to find one's address: {}",
        failure.reason
    );
    assert!(rig.receiver.requests().is_empty(), "no request reached the handler");
    assert!(rig.aws.calls().is_empty(), "no AWS call");
}

#[tokio::test(flavor = "multi_thread")]
async fn url_pull_with_credentials_runs_updates_in_place_and_leaves_nothing() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("pull-stack");
    // MediaPackage v1 stays what it was.
    let given = parameters(&[
        ("Packager", "MediaPackageV1"),
        ("InputType", "URL_PULL"),
        ("PriPullUrl", "https://origin.example.com/live/primary.m3u8"),
        ("SecPullUrl", "https://origin.example.com/live/secondary.m3u8"),
        ("PriPullUser", "alice"),
        ("PriPullPass", "primary-password"),
        ("SecPullUser", "bob"),
        ("SecPullPass", "secondary-password"),
        ("ChannelStart", "Yes"),
    ]);
    let stack = player.create(template(), &given).await.expect("the stack is created");

    let channel_id = stack.physical_id("MediaLiveChannel").expect("a channel").to_owned();
    assert_eq!(channel_state(&rig, &channel_id).await, ChannelState::Running);
    let ssm = aws_sdk_ssm::Client::new(&rig.sdk_config().await);
    for (pipeline, password) in [("primary", "primary-password"), ("secondary", "secondary-password")] {
        let parameter = ssm
            .get_parameter()
            .name(format!("/pull-stack/MediaLiveInput/{pipeline}"))
            .with_decryption(true)
            .send()
            .await
            .expect("the pull password is stored")
            .parameter
            .expect("a parameter");
        assert_eq!(parameter.value(), Some(password));
        assert_eq!(parameter.r#type().map(|t| t.as_str()), Some("SecureString"));
    }

    let outputs = player.outputs(&stack).expect("outputs evaluate");
    for name in ["HlsUrl", "DashUrl", "CmafUrl", "MssUrl"] {
        let url = output(&outputs, name);
        assert!(
            url.starts_with("https://d") && url.contains(".cloudfront.net/"),
            "{name} = {url}"
        );
    }
    assert_eq!(output(&outputs, "ChannelId"), channel_id);
    assert!(
        outputs.iter().all(|(name, _)| name != "IngestEndpoints"),
        "a pull input has no ingest endpoints"
    );
    // The demo player, deployed by default, plays the same URLs.
    let domain = attribute(&stack, "Distribution", "DomainName");
    assert_eq!(
        output(&outputs, "PlayerUrl"),
        format!("https://{domain}/player/index.html")
    );
    assert_player_config(
        &rig,
        &stack,
        &outputs,
        &[
            ("hls", "HlsUrl"),
            ("dash", "DashUrl"),
            ("cmaf", "CmafUrl"),
            ("mss", "MssUrl"),
        ],
    )
    .await;

    let before = player.transcript().len();
    let stack = update(&mut player, stack, &[("EncodingProfile", "HD-1080p")]).await;
    assert_only_update(
        &player,
        before,
        "MediaLiveChannel",
        "only the channel's properties changed",
    );
    let channel = updated_in_place_and_running(&rig, &stack, &channel_id).await;
    let widths: Vec<i32> = channel
        .encoder_settings()
        .map(|settings| settings.video_descriptions().iter().filter_map(|v| v.width()).collect())
        .unwrap_or_default();
    assert!(widths.contains(&1920), "the HD-1080p ladder is in place: {widths:?}");

    delete_leaving_nothing(&rig, &mut player, stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rtmp_push_single_pipeline_with_two_cidrs_updates_its_rules_in_place() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("push-stack");
    let given = parameters(&[
        ("InputType", "RTMP_PUSH"),
        ("ChannelClass", "SINGLE_PIPELINE"),
        ("InputCIDR", "203.0.113.0/24, 198.51.100.7/32"),
        ("DeployDemoPlayer", "No"),
    ]);
    let stack = player.create(template(), &given).await.expect("the stack is created");
    for absent in ["DemoBucket", "DemoPlayer", "DemoOriginAccessControl"] {
        assert!(stack.resource(absent).is_none(), "{absent} with DeployDemoPlayer=No");
    }

    assert!(
        stack.resource("MediaLiveChannelStart").is_none(),
        "ChannelStart defaults to No"
    );
    let channel_id = stack.physical_id("MediaLiveChannel").expect("a channel").to_owned();
    assert_eq!(channel_state(&rig, &channel_id).await, ChannelState::Idle);
    let group_id = attribute(&stack, "MediaLiveInput", "SecurityGroupId");
    assert_eq!(
        group_rules(&rig, &group_id).await,
        ["198.51.100.7/32", "203.0.113.0/24"]
    );

    let outputs = player.outputs(&stack).expect("outputs evaluate");
    assert!(outputs.iter().all(|(name, _)| name != "PlayerUrl"));
    let ingest = output(&outputs, "IngestEndpoints");
    assert!(
        ingest.starts_with("rtmp://") && ingest.ends_with("/live/primary") && !ingest.contains(' '),
        "one pipeline, one ingest URL: {ingest}"
    );

    let input_id = stack.physical_id("MediaLiveInput").expect("an input").to_owned();
    let stack = update(&mut player, stack, &[("InputCIDR", "192.0.2.0/24")]).await;
    assert_eq!(
        stack.physical_id("MediaLiveInput"),
        Some(input_id.as_str()),
        "same input"
    );
    assert_eq!(
        group_rules(&rig, &group_id).await,
        ["192.0.2.0/24"],
        "the same group, new rules"
    );

    delete_leaving_nothing(&rig, &mut player, stack).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_cidr_is_refused_naming_it_and_the_rollback_leaves_nothing() {
    let rig = Rig::start(Path::new(BINARY)).await;

    // Shaped like a CIDR, so the template's pattern lets it through; the
    // handler refuses it and CloudFormation rolls back what was made.
    let mut player = rig.player("bad-cidr");
    let given = parameters(&[("InputType", "RTMP_PUSH"), ("InputCIDR", "10.0.0.0/33")]);
    let failure = player.create(template(), &given).await.expect_err("the create fails");
    assert_eq!(failure.logical_id, "MediaLiveInput");
    assert!(
        failure.reason.contains("Cidr") && failure.reason.contains("10.0.0.0/33"),
        "{}",
        failure.reason
    );
    let transcript = player.transcript().join("\n");
    assert!(
        transcript.contains("ROLLBACK PackagerChannel") && transcript.contains("ROLLBACK TsEndpoint"),
        "what was made before is deleted:\n{transcript}"
    );
    // On v2 the packager is CloudFormation's own: the handler refused the
    // input before calling AWS at all.
    assert_nothing_made(&rig).await;

    // Not a CIDR at all: refused by the template's constraint, before any
    // resource, as CloudFormation refuses it.
    let sent = rig.receiver.requests().len();
    let mut player = rig.player("not-a-cidr");
    let given = parameters(&[("InputType", "RTMP_PUSH"), ("InputCIDR", "everyone")]);
    let failure = player.create(template(), &given).await.expect_err("refused");
    assert_eq!(failure.logical_id, "Parameters");
    assert!(failure.reason.contains("InputCIDR"), "{}", failure.reason);
    assert_eq!(rig.receiver.requests().len(), sent, "no request reached the handler");
    assert_nothing_made(&rig).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_update_is_rolled_back_and_the_stack_still_deletes() {
    let rig = Rig::start(Path::new(BINARY)).await;
    // The longest stack name the README allows.
    let mut player = rig.player("rollback-stack-named-at-the-limit-of-40c");
    let given = parameters(&[("InputType", "RTMP_PUSH"), ("InputCIDR", "203.0.113.0/24")]);
    let stack = player.create(template(), &given).await.expect("the stack is created");
    let input_id = stack.physical_id("MediaLiveInput").expect("an input").to_owned();

    let (old, failure) = player
        .update(stack, template(), &[("InputCIDR".to_owned(), "10.0.0.0/33".to_owned())])
        .await
        .expect_err("the update fails");
    assert_eq!(failure.logical_id, "MediaLiveInput");
    // The rollback sends the refused properties as the old ones; the live
    // input must be updated back in place, not replaced.
    assert_eq!(
        old.physical_id("MediaLiveInput"),
        Some(input_id.as_str()),
        "the same input after rollback"
    );

    // A new ChannelClass: the input is replaced, the channel refuses the
    // change, and CloudFormation's rollback (the channel's Update back,
    // old and new swapped) is accepted: the stack is not stuck.
    let channel_id = old.physical_id("MediaLiveChannel").expect("a channel").to_owned();
    let (old, failure) = player
        .update(
            old,
            template(),
            &[("ChannelClass".to_owned(), "SINGLE_PIPELINE".to_owned())],
        )
        .await
        .expect_err("the class change is refused");
    assert_eq!(failure.logical_id, "MediaLiveChannel");
    assert!(failure.reason.contains("ChannelClass"), "{}", failure.reason);
    assert!(
        !failure.reason.contains(testkit::stack::play::ROLLBACK_FAILED),
        "the rollback completes: {}",
        failure.reason
    );
    assert_eq!(old.physical_id("MediaLiveChannel"), Some(channel_id.as_str()));
    assert_eq!(old.physical_id("MediaLiveInput"), Some(input_id.as_str()));

    let failures = player.delete(old).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_nothing_left(&rig).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn switching_a_running_v1_stack_to_v2_moves_the_channel_and_leaves_no_v1_behind() {
    let rig = Rig::start(Path::new(BINARY)).await;
    rig.upload_demo_source(CODE_BUCKET_PREFIX, DEMO_SOURCE_KEY)
        .await
        .expect("the test source is uploaded");
    let mut player = rig.player("switch-stack");
    let stack = player
        .create(
            template(),
            &parameters(&[("Packager", "MediaPackageV1"), ("ChannelStart", "Yes")]),
        )
        .await
        .expect("a v1 stack is created");
    let channel_id = stack.physical_id("MediaLiveChannel").expect("a channel").to_owned();
    let v1_channel = stack
        .physical_id("MediaPackageChannel")
        .expect("a v1 channel")
        .to_owned();
    assert!(stack.resource("PackagerGroup").is_none(), "no v2 packager on v1");

    let stack = update(&mut player, stack, &[("Packager", "MediaPackageV2")]).await;
    let channel = updated_in_place_and_running(&rig, &stack, &channel_id).await;
    let destination = &channel.destinations()[0].media_package_settings()[0];
    assert_eq!(destination.channel_group(), Some("switch-stack"));
    assert_eq!(destination.channel_id(), None, "no longer v1");
    let mediapackage = aws_sdk_mediapackage::Client::new(&rig.sdk_config().await);
    let gone = mediapackage.describe_channel().id(&v1_channel).send().await;
    assert!(
        gone.is_err(),
        "the v1 channel is deleted in the update's cleanup:\n{}",
        player.transcript().join("\n")
    );
    assert!(
        player
            .transcript()
            .iter()
            .any(|line| line.contains("CLEANUP") && line.contains("CdnSecret")),
        "the v1 secret goes in the cleanup"
    );

    delete_leaving_nothing(&rig, &mut player, stack).await;
}

/// The input's SRT settings, as MediaLive describes them.
async fn srt_settings(rig: &Rig, input_id: &str) -> aws_sdk_medialive::types::SrtSettings {
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    let input = medialive.describe_input().input_id(input_id).send().await.unwrap();
    input.srt_settings().cloned().expect("SRT settings")
}

async fn secret_value(rig: &Rig, arn: &str) -> String {
    let secrets = aws_sdk_secretsmanager::Client::new(&rig.sdk_config().await);
    let value = secrets.get_secret_value().secret_id(arn).send().await.unwrap();
    value.secret_string().unwrap().to_owned()
}

/// `secret` in no Reason, output, transcript line or log line.
fn assert_never_shown(rig: &Rig, player: &Player, outputs: &[(String, String)], secret: &str) {
    for line in player.transcript().iter().chain(rig.lambda.printed().iter()) {
        assert!(!line.contains(secret), "the passphrase was shown: {line}");
    }
    for (name, value) in outputs {
        assert!(!value.contains(secret), "the passphrase is in the output {name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_srt_listener_is_encrypted_with_a_passphrase_the_stack_makes_and_never_shows() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("srt-listener");
    let given = parameters(&[
        ("InputType", "SRT_LISTENER"),
        ("InputCIDR", "203.0.113.7/32"),
        ("SrtStreamId", "studio-a"),
        ("ChannelStart", "Yes"),
    ]);
    let stack = player.create(template(), &given).await.expect("the stack is created");
    let outputs = player.outputs(&stack).expect("outputs evaluate");
    let secret_arn = output(&outputs, "SrtPassphraseSecretArn");
    let ingest: Vec<String> = output(&outputs, "IngestEndpoints")
        .split(' ')
        .map(str::to_owned)
        .collect();
    assert_eq!(ingest.len(), 2, "two pipelines: {ingest:?}");
    for url in &ingest {
        assert!(
            url.starts_with("srt://") && url.ends_with("?streamid=studio-a"),
            "{url}"
        );
    }
    let input_id = stack.physical_id("MediaLiveInput").expect("an input").to_owned();
    let listener = srt_settings(&rig, &input_id)
        .await
        .srt_listener_settings()
        .cloned()
        .unwrap();
    assert_eq!(listener.minimum_latency(), Some(120), "SRT's default");
    assert_eq!(listener.stream_id(), Some("studio-a"));
    let decryption = listener.decryption().unwrap();
    assert_eq!(decryption.passphrase_secret_arn(), Some(secret_arn.as_str()));
    assert_eq!(decryption.algorithm().map(|a| a.as_str()), Some("AES256"));
    let passphrase = secret_value(&rig, &secret_arn).await;
    assert!(
        passphrase.len() == 32 && passphrase.chars().all(|c| c.is_ascii_alphanumeric()),
        "a random passphrase SRT takes: {} characters",
        passphrase.len()
    );
    // MediaLive reads exactly that secret, as the channel's role.
    let reads: Vec<_> = rig
        .iam_report()
        .checked
        .into_iter()
        .filter(|c| c.role == "MediaLiveRole" && c.action == "secretsmanager:GetSecretValue")
        .collect();
    assert!(!reads.is_empty(), "MediaLive's read of the passphrase is checked");
    assert!(
        reads.iter().all(|read| read.allowed && read.resource == secret_arn),
        "{reads:?}"
    );

    // The latency changes in place: the same input, the channel untouched.
    let channel_id = stack.physical_id("MediaLiveChannel").expect("a channel").to_owned();
    let before = player.transcript().len();
    let stack = update(&mut player, stack, &[("SrtMinimumLatency", "500")]).await;
    assert_only_update(&player, before, "MediaLiveInput", "only the input changed");
    assert_eq!(stack.physical_id("MediaLiveInput"), Some(input_id.as_str()));
    let listener = srt_settings(&rig, &input_id)
        .await
        .srt_listener_settings()
        .cloned()
        .unwrap();
    assert_eq!(listener.minimum_latency(), Some(500));
    assert_eq!(
        channel_state(&rig, &channel_id).await,
        ChannelState::Running,
        "never stopped"
    );

    let outputs = player.outputs(&stack).expect("outputs evaluate");
    delete(&mut player, stack).await;
    assert_never_shown(&rig, &player, &outputs, &passphrase);
    assert_nothing_left(&rig).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_srt_caller_reads_each_pipelines_listener_with_the_passphrase_given() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("srt-caller");
    let passphrase = "correct horse battery staple";
    let given = parameters(&[
        ("InputType", "SRT_CALLER"),
        ("PriPullUrl", "srt://203.0.113.10:9000?streamid=cam-1"),
        ("SecPullUrl", "srt://198.51.100.20:9001"),
        ("SrtPassphrase", passphrase),
        ("SrtMinimumLatency", "2000"),
    ]);
    let stack = player.create(template(), &given).await.expect("the stack is created");
    let outputs = player.outputs(&stack).expect("outputs evaluate");
    let secret_arn = output(&outputs, "SrtPassphraseSecretArn");
    assert_eq!(
        secret_value(&rig, &secret_arn).await,
        passphrase,
        "the passphrase given"
    );
    assert!(
        outputs.iter().all(|(name, _)| name != "IngestEndpoints"),
        "MediaLive calls out"
    );
    let input_id = stack.physical_id("MediaLiveInput").expect("an input").to_owned();
    let sources = srt_settings(&rig, &input_id).await.srt_caller_sources().to_vec();
    type Seen<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<i32>);
    let seen: Vec<Seen<'_>> = sources
        .iter()
        .map(|s| {
            (
                s.srt_listener_address(),
                s.srt_listener_port(),
                s.stream_id(),
                s.minimum_latency(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Some("203.0.113.10"), Some("9000"), Some("cam-1"), Some(2000)),
            (Some("198.51.100.20"), Some("9001"), None, Some(2000)),
        ]
    );
    assert!(sources.iter().all(|s| {
        s.decryption()
            .is_some_and(|d| d.passphrase_secret_arn() == Some(secret_arn.as_str()))
    }));

    let stack = update(&mut player, stack, &[("SrtMinimumLatency", "800")]).await;
    assert_eq!(stack.physical_id("MediaLiveInput"), Some(input_id.as_str()), "in place");
    let sources = srt_settings(&rig, &input_id).await.srt_caller_sources().to_vec();
    assert!(sources.iter().all(|s| s.minimum_latency() == Some(800)));

    let outputs = player.outputs(&stack).expect("outputs evaluate");
    delete(&mut player, stack).await;
    assert_never_shown(&rig, &player, &outputs, passphrase);
    assert_nothing_left(&rig).await;
}
