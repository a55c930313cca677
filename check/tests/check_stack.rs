//! `check-stack`, the compiled binary, against stacks the template player
//! made on the emulator (CloudFormation's DescribeStacks and
//! ListStackResources answered by the faithful layer from the player's
//! record, the rules made in the emulator's EventBridge): every check holds
//! on a good stack, and each ✗ fires, naming the part, on one broken on
//! purpose.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use testkit::edge::Edge;
use testkit::stack::{Rig, Template};

const CHECK: &str = env!("CARGO_BIN_EXE_check-stack");

/// The handler binary, built beside this one by `cargo test --workspace`.
fn handler() -> PathBuf {
    let path = Path::new(CHECK).with_file_name("livestream-resources");
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p livestream-resources` (the test command builds it)",
        path.display()
    );
    path
}

fn template(file: &str) -> Template {
    Template::parse(&std::fs::read_to_string(testkit::workspace_root().join(file)).unwrap()).unwrap()
}

/// The template's defaults with a running channel: the configuration the
/// committed list of IAM needs was written with, so its roles are asked.
fn parameters() -> Vec<(String, String)> {
    [
        ("CodeBucketPrefix", "local-code"),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", "livestream/v0/demo-source.mp4"),
        ("ChannelStart", "Yes"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Runs the check on `stack` with the rig's endpoint and test credentials,
/// its playback fetched from `edge` (CloudFront and the origin stood in).
fn check(rig: &Rig, edge: &Edge, stack: &str) -> (i32, String) {
    let Output { status, stdout, stderr } = rig
        .aws_command(CHECK)
        .env(testkit::edge::EDGE_URL, &edge.url)
        .arg(stack)
        .args(["--region", "us-east-1"])
        .output()
        .expect("check-stack runs");
    let words = String::from_utf8_lossy(&stdout).into_owned();
    assert!(stderr.is_empty(), "{}", String::from_utf8_lossy(&stderr));
    (status.code().unwrap_or(-1), words)
}

/// What MediaLive and MediaPackage report once the channel has run (on
/// each of `pipelines`) and a player has fetched through the distribution
/// from the v2 channel `(group, name)`.
fn channel_reports(rig: &Rig, channel: &str, pipelines: &[&str], (group, name): (&str, &str)) {
    for metric in ["ActiveAlerts", "InputVideoFrameRate"] {
        for pipeline in pipelines {
            rig.aws.report_metric(
                "AWS/MediaLive",
                metric,
                &[("ChannelId", channel), ("Pipeline", pipeline)],
                0.0,
                60,
            );
        }
    }
    rig.aws.report_metric(
        "AWS/MediaPackage",
        "EgressRequestCount",
        &[("ChannelGroup", group), ("Channel", name), ("StatusCodeRange", "2xx")],
        10.0,
        60,
    );
}

/// The check on `stack` exits 0, says each of `expected` and nothing ✗.
fn holds(rig: &Rig, edge: &Edge, stack: &str, expected: &[&str]) {
    let (code, words) = check(rig, edge, stack);
    assert_eq!(code, 0, "{words}");
    for line in expected {
        assert!(words.contains(line), "{line:?} in:\n{words}");
    }
    assert!(!words.contains('✗'), "{words}");
}

/// The check on `stack` exits 1 and says `expected`; all it said.
fn breaks(rig: &Rig, edge: &Edge, stack: &str, expected: &str) -> String {
    let (code, words) = check(rig, edge, stack);
    assert_eq!(code, 1, "{words}");
    assert!(words.contains(expected), "{expected:?} in:\n{words}");
    words
}

/// A rig with the stack's test source where a deployment has it.
async fn rig_with_test_source() -> Rig {
    let rig = Rig::start(&handler()).await;
    rig.upload_demo_source("local-code", "livestream/v0/demo-source.mp4")
        .await
        .expect("uploading the test source");
    rig
}

/// A `template.yaml` stack `name` made with the running defaults and
/// `overrides`, and the stand-in edge its playback is fetched from.
async fn template_stack(
    rig: &Rig,
    name: &str,
    overrides: &[(&str, &str)],
) -> (testkit::stack::Player, testkit::stack::Stack, Edge) {
    let mut player = rig.player(name);
    let mut with = parameters();
    with.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let stack = player.create(template("template.yaml"), &with).await.unwrap();
    let edge = testkit::edge::start(rig, &[&stack]).await.unwrap();
    (player, stack, edge)
}

/// The guard told that `channel` is RUNNING, as EventBridge would tell it.
async fn hears_running(guard: &testkit::stack::Function, channel: &str) {
    let arn = format!("arn:aws:medialive:us-east-1:123456789012:channel:{channel}");
    let answered = guard
        .api
        .invoke(
            testkit::events::channel_state_change(&arn, "RUNNING").to_string(),
            Duration::from_secs(60),
        )
        .await;
    assert!(
        matches!(answered, testkit::runtime_api::Outcome::Response(_)),
        "{answered:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_stack_passes_and_each_broken_part_is_named() {
    let rig = rig_with_test_source().await;
    let (mut player, stack, edge) = template_stack(&rig, "checked", &[]).await;
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();

    // The channel runs (ChannelStart=Yes), but no RUNNING event has
    // reached the guard yet: its run is not recorded, which is broken; its
    // metrics do not exist yet, which is not judged.
    let words = breaks(
        &rig,
        &edge,
        "checked",
        &format!("✗ guard: channel {channel} runs, but the guard has no record of the run"),
    );
    assert!(
        words.contains("– alarms: alarm checked-no-input-video (NoInputVideoAlarm): MediaLive has reported no metrics of the channel yet"),
        "{words}"
    );

    // It runs; the guard hears it (as EventBridge would tell it).
    let guard = rig.function(&stack, "GuardFunction").await;
    hears_running(&guard, &channel).await;
    channel_reports(&rig, &channel, &["0", "1"], ("checked", "checked"));
    holds(
        &rig,
        &edge,
        "checked",
        &[
            "✓ stack: checked (a channel stack) is CREATE_COMPLETE",
            "(ChannelStateRule) is enabled and sends to the cost guard checked-cost-guard",
            "(IdleAlarmRule) is enabled and sends to the cost guard",
            "✓ guard: schedule group checked-cost-guard is active",
            &format!("✓ guard: channel {channel} runs, and the guard recorded the run"),
            "✓ alarms: alarm checked-no-input-video (NoInputVideoAlarm) reads",
            "✓ alarms: alarm checked-input-loss (InputLossAlarm)",
            "✓ alarms: alarm checked-mediapackage-5xx (MediaPackage5xxAlarm)",
            "MaxRunHours 8 caps a forgotten run at about US$",
            "✓ iam: GuardFunctionRole may make each call it needs",
            "✓ iam: ResourcesFunctionRole may make each call it needs",
            "✓ iam: MediaLiveRole may make each call it needs",
            "✓ logs: /aws/lambda/checked-livestream-resources (ResourcesFunctionLogs): no error since the last deploy",
            "✓ logs: /aws/lambda/checked-cost-guard (GuardFunctionLogs): no error since the last deploy",
            "reads s3ssl://local-code-us-east-1/livestream/v0/demo-source.mp4, which exists",
            "✓ origin: endpoint cmaf (CmafV2Endpoint) lets only the distribution",
            // Playback through the stand-in CloudFront, as a viewer gets it.
            "✓ playback: the player page https://",
            "✓ playback: HlsUrl plays through CloudFront: a multivariant playlist of 1 variant(s); a media playlist of 5 segment(s); its first segment, MPEG-TS,",
            "✓ playback: LowLatencyHlsUrl plays through CloudFront: a multivariant playlist of 1 variant(s); a media playlist of 5 segment(s) and 5 part(s); its first segment, fragmented MP4,",
            "✓ playback: CmafUrl plays through CloudFront: a multivariant playlist of 1 variant(s); a media playlist of 5 segment(s); its first segment, fragmented MP4,",
            "✓ playback: DashUrl plays through CloudFront: a DASH manifest of 2 representation(s); the first's first segment, fragmented MP4,",
            "✓ playback: MssUrl plays through CloudFront: a Smooth Streaming manifest of 2 stream(s); the first video fragment, fragmented MP4,",
            "✓ playback: endpoint ts (TsEndpoint) refuses a request that does not come through CloudFront (403)",
            "✓ playback: endpoint cmaf (CmafV2Endpoint) refuses a request that does not come through CloudFront (403)",
            "✓ playback: endpoint mss (MssV2Endpoint) refuses a request that does not come through CloudFront (403)",
        ],
    );

    // Broken on purpose, one at a time.
    let events = aws_sdk_eventbridge::Client::new(&rig.sdk_config().await);
    let rule = stack.physical_id("ChannelStateRule").unwrap().to_owned();
    events.disable_rule().name(&rule).send().await.unwrap();
    breaks(
        &rig,
        &edge,
        "checked",
        &format!(
            "✗ guard: rule {rule} (ChannelStateRule) is DISABLED: the cost guard hears nothing through it\n    fix: aws events enable-rule --name {rule}"
        ),
    );
    events.enable_rule().name(&rule).send().await.unwrap();

    // The guard logged an error (as Lambda keeps its JSON lines).
    let logs = aws_sdk_cloudwatchlogs::Client::new(&rig.sdk_config().await);
    let group = "/aws/lambda/checked-cost-guard";
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name("2026/12/05/[$LATEST]0123456789abcdef")
        .send()
        .await
        .unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let line = serde_json::json!({"timestamp": "2026-12-05T20:00:00Z", "level": "ERROR",
        "fields": {"message": "the channel is stopped, but the notification could not be sent", "cause": "AuthorizationError"},
        "target": "livestream_resources::guard::watch"});
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name("2026/12/05/[$LATEST]0123456789abcdef")
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now_ms)
                .message(line.to_string())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (code, words) = check(&rig, &edge, "checked");
    assert_eq!(code, 1, "{words}");
    assert!(
        words.contains("✗ logs: GuardFunctionLogs logged 1 error(s) since the last deploy; the last, at ")
            && words.contains(": the channel is stopped, but the notification could not be sent: AuthorizationError\n    fix: read it whole: aws logs tail /aws/lambda/checked-cost-guard --since 24h"),
        "{words}"
    );
    logs.delete_log_stream()
        .log_group_name(group)
        .log_stream_name("2026/12/05/[$LATEST]0123456789abcdef")
        .send()
        .await
        .unwrap();

    // The test source the input loops is gone.
    let s3 = rig.s3().await;
    s3.delete_object()
        .bucket("local-code-us-east-1")
        .key("livestream/v0/demo-source.mp4")
        .send()
        .await
        .unwrap();
    breaks(
        &rig,
        &edge,
        "checked",
        "reads s3ssl://local-code-us-east-1/livestream/v0/demo-source.mp4, which does not exist: the channel runs on nothing",
    );

    // An endpoint policy that lets anyone in, and not CloudFront: the
    // origin answers a request that did not come through CloudFront.
    let cmaf = stack.physical_id("CmafV2Endpoint").unwrap().to_owned();
    let packager = aws_sdk_mediapackagev2::Client::new(&rig.sdk_config().await);
    let put_policy = |policy: serde_json::Value| {
        packager
            .put_origin_endpoint_policy()
            .channel_group_name("checked")
            .channel_name("checked")
            .origin_endpoint_name("cmaf")
            .policy(policy.to_string())
            .send()
    };
    let only = |statement: serde_json::Value| serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    put_policy(only(serde_json::json!({"Effect": "Allow", "Principal": "*",
        "Action": "mediapackagev2:GetObject", "Resource": cmaf})))
    .await
    .unwrap();
    let words = breaks(
        &rig,
        &edge,
        "checked",
        "✗ origin: endpoint cmaf (CmafV2Endpoint) does not let the distribution",
    );
    assert!(
        words.contains("✗ playback: endpoint cmaf (CmafV2Endpoint) answered 200 to a request that does not come through CloudFront (https://"),
        "{words}"
    );
    // A policy that names no one but MediaPackage itself: CloudFront is
    // refused too, and the streams of that endpoint do not play.
    put_policy(only(
        serde_json::json!({"Effect": "Allow", "Principal": {"Service": "mediapackagev2.amazonaws.com"},
        "Action": "mediapackagev2:GetObject", "Resource": cmaf}),
    ))
    .await
    .unwrap();
    let words = breaks(
        &rig,
        &edge,
        "checked",
        "✗ playback: DashUrl does not play through CloudFront: its manifest (https://",
    );
    assert!(
        words.contains("answered 403\n    fix: CloudFront was refused: the origin line above says whether the endpoint policy lets the distribution read")
            && words.contains("✗ playback: LowLatencyHlsUrl does not play through CloudFront")
            && words.contains("✓ playback: HlsUrl plays through CloudFront"),
        "{words}"
    );
    // The stack's own policy back, as a deploy puts it.
    put_policy(stack.resource("CmafV2EndpointPolicy").unwrap().properties["Policy"].clone())
        .await
        .unwrap();

    // The player page gone from its bucket.
    let demo_bucket = stack.physical_id("DemoBucket").unwrap().to_owned();
    let page = s3
        .get_object()
        .bucket(&demo_bucket)
        .key("player/index.html")
        .send()
        .await
        .unwrap();
    let page_type = page.content_type().unwrap().to_owned();
    // Its ownership, which the stack's delete reads, goes back with it.
    let page_owner = page.metadata().cloned();
    let page_body = page.body.collect().await.unwrap().into_bytes();
    s3.delete_object()
        .bucket(&demo_bucket)
        .key("player/index.html")
        .send()
        .await
        .unwrap();
    breaks(
        &rig,
        &edge,
        "checked",
        "/player/index.html answered 403\n    fix: deploy the stack again (DeployPlayer=Yes writes the page)",
    );
    s3.put_object()
        .bucket(&demo_bucket)
        .key("player/index.html")
        .content_type(page_type)
        .set_metadata(page_owner)
        .body(page_body.into())
        .send()
        .await
        .unwrap();

    // A grant taken out of the guard's role: IAM's simulator (here the
    // project's evaluator over the role's policies) refuses what it needs.
    rig.aws
        .with_iam(|gate| assert!(gate.remove_statement("GuardFunctionRole", "FindRunningChannels")));
    breaks(
        &rig,
        &edge,
        "checked",
        "✗ iam: GuardFunctionRole (checked-GuardFunctionRole) may not medialive:ListChannels on *, which it needs",
    );
    assert!(
        words.contains("✓ iam: ResourcesFunctionRole may make each call it needs"),
        "{words}"
    );

    // An alarm whose dimension no longer names the channel.
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&rig.sdk_config().await);
    let stat = |id: &str, channel: &str| {
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
        MetricDataQuery::builder()
            .id(id)
            .return_data(false)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/MediaLive")
                            .metric_name("ActiveAlerts")
                            .dimensions(Dimension::builder().name("ChannelId").value(channel).build())
                            .dimensions(Dimension::builder().name("Pipeline").value("0").build())
                            .build(),
                    )
                    .period(60)
                    .stat("Maximum")
                    .build(),
            )
            .build()
    };
    cloudwatch
        .put_metric_alarm()
        .alarm_name("checked-no-input-video")
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold)
        .threshold(1.0)
        .evaluation_periods(30)
        .metrics(
            aws_sdk_cloudwatch::types::MetricDataQuery::builder()
                .id("idle")
                .expression("MIN([a0])")
                .return_data(true)
                .build(),
        )
        .metrics(stat("a0", "1234567"))
        .send()
        .await
        .unwrap();
    breaks(
        &rig,
        &edge,
        "checked",
        "✗ alarms: alarm checked-no-input-video (NoInputVideoAlarm) reads series CloudWatch does not have: AWS/MediaLive ActiveAlerts {ChannelId=1234567, Pipeline=0}",
    );

    // A stack that is not there cannot be read at all.
    let (code, _) = {
        let out = rig.aws_command(CHECK).arg("nowhere").output().unwrap();
        (out.status.code().unwrap_or(-1), out.stderr)
    };
    assert_eq!(code, 2);

    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
}

/// An event is checked with its foundation's guard: the foundation's rules
/// and schedule group, the event's run recorded by the foundation's guard,
/// its alarms named under the foundation; the foundation is checked too.
#[tokio::test(flavor = "multi_thread")]
async fn an_event_is_checked_with_its_foundations_guard() {
    let rig = rig_with_test_source().await;
    let mut foundation_player = rig.player("found");
    let code = [
        ("CodeBucketPrefix", "local-code"),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", "livestream/v0/demo-source.mp4"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let foundation = foundation_player
        .create(template("foundation.yaml"), &code)
        .await
        .unwrap();
    let mut event_player = rig.event_player("talk", &foundation).await;
    let workshop = testkit::live_events::sample_events("found")
        .into_iter()
        .find(|(name, _)| name == "workshop")
        .unwrap()
        .1;
    let event = event_player.create(template("event.yaml"), &workshop).await.unwrap();
    let channel = event.physical_id("MediaLiveChannel").unwrap().to_owned();
    let edge = testkit::edge::start(&rig, &[&foundation, &event]).await.unwrap();
    let guard = rig.function(&foundation, "GuardFunction").await;
    hears_running(&guard, &channel).await;
    channel_reports(&rig, &channel, &["0"], ("found", "talk"));

    holds(
        &rig,
        &edge,
        "talk",
        &[
            "✓ stack: talk (a live event) is CREATE_COMPLETE",
            "(ChannelStateRule) is enabled and sends to the cost guard found-cost-guard",
            "✓ guard: schedule group found-cost-guard is active",
            &format!(
                "✓ guard: channel {channel} runs, and the guard recorded the run (found-cost-guard/max-run-{channel})"
            ),
            "✓ event: alarm found/talk/no-input-video (NoInputVideoAlarm) is named under found/",
            "✓ event: the foundation's player lists talk (1 event(s) listed)",
            // The foundation's distribution reads the event's endpoints.
            "✓ origin: endpoint cmaf (CmafV2Endpoint) lets only the distribution",
            // The foundation's roles, with the grants the event put on them.
            "✓ iam: ResourcesFunctionRole may make each call it needs",
            "– iam: MediaLiveRole's 3 needs for events depend on each event's input and are not asked yet",
            // The workshop: RTMP push, single pipeline.
            "has 1 destination(s), one per pipeline of a SINGLE_PIPELINE channel",
            "✓ event: alarm found/talk/input-loss (InputLossAlarm) is named under found/",
            "✓ alarms: alarm found/talk/no-input-video (NoInputVideoAlarm) reads",
            "✓ alarms: alarm talk-mediapackage-5xx (MediaPackage5xxAlarm) reads",
            "✓ alarms: alarm found/talk/input-loss (InputLossAlarm) reads InputLossSeconds, which MediaLive reports only for RTP and MediaConnect inputs",
            // The workshop (SD-540p) has a failover pair: both inputs bill,
            // at a rate the table does not have.
            "2 SD AVC inputs up to 10 Mbps (rate unknown)",
            // Through the foundation's distribution, from the event's endpoints.
            "✓ playback: the player page https://",
            "✓ playback: HlsUrl plays through CloudFront: a multivariant playlist",
            "✓ playback: DashUrl plays through CloudFront: a DASH manifest",
            "✓ playback: endpoint cmaf (CmafV2Endpoint) refuses a request that does not come through CloudFront (403)",
        ],
    );
    let (code, words) = check(&rig, &edge, "found");
    assert_eq!(code, 0, "{words}");
    assert!(
        words.contains("✓ stack: found (a foundation) is CREATE_COMPLETE")
            && words.contains("✓ playback: the player page https://")
            && !words.contains("plays through CloudFront"),
        "{words}"
    );

    // The event's entry gone from the foundation's list.
    rig.s3()
        .await
        .put_object()
        .bucket(foundation.physical_id("DemoBucket").unwrap())
        .key("player/events/index.json")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(br#"{"events":[]}"#))
        .send()
        .await
        .unwrap();
    breaks(
        &rig,
        &edge,
        "talk",
        "✗ event: the foundation's player does not list talk (it lists: )\n    fix: deploy talk again: its DemoPlayer writes its entry and the list",
    );

    assert!(event_player.delete(event).await.is_empty());
    assert!(foundation_player.delete(foundation).await.is_empty());
}

/// An SRT listener's passphrase: MediaLive reads it as the channel's role,
/// which may read that secret and no other; a grant loosened or taken out
/// is named.
#[tokio::test(flavor = "multi_thread")]
async fn an_srt_passphrase_is_read_by_the_channels_role_alone() {
    let rig = rig_with_test_source().await;
    let srt = [("InputType", "SRT_LISTENER"), ("InputCIDR", "203.0.113.7/32")];
    let (mut player, stack, edge) = template_stack(&rig, "srt", &srt).await;
    let secret = stack.physical_id("SrtPassphraseSecret").unwrap().to_owned();

    let (_, words) = check(&rig, &edge, "srt");
    assert!(
        words.contains(&format!(
            "✓ iam: MediaLiveRole (srt-MediaLiveRole) may read the SRT passphrase secret {secret}, and no other secret ({secret}-other-AbCdEf refused)"
        )),
        "{words}"
    );
    // The needs' list was written with the default input.
    assert!(
        words.contains("– iam: the list of needs was written for another configuration; this stack has InputType=SRT_LISTENER (the list: MP4_FILE)"),
        "{words}"
    );

    rig.aws
        .with_iam(|gate| assert!(gate.widen_statement("MediaLiveRole", "SrtPassphrase")));
    breaks(
        &rig,
        &edge,
        "srt",
        &format!(
            "✗ iam: MediaLiveRole (srt-MediaLiveRole) may read other secrets than the SRT passphrase ({secret}-other-AbCdEf allowed)"
        ),
    );
    rig.aws
        .with_iam(|gate| assert!(gate.remove_statement("MediaLiveRole", "SrtPassphrase")));
    breaks(
        &rig,
        &edge,
        "srt",
        &format!(
            "✗ iam: MediaLiveRole (srt-MediaLiveRole) may not read the SRT passphrase secret {secret}: MediaLive cannot decrypt the stream"
        ),
    );

    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
}

/// A MediaPackage v1 stack's streams play through the distribution from
/// the v1 endpoints, each in its own container.
#[tokio::test(flavor = "multi_thread")]
async fn a_v1_stacks_streams_play_each_in_its_container() {
    let rig = rig_with_test_source().await;
    let (mut player, stack, edge) = template_stack(&rig, "older", &[("Packager", "MediaPackageV1")]).await;

    let (_, words) = check(&rig, &edge, "older");
    for line in [
        "✓ playback: HlsUrl plays through CloudFront: a multivariant playlist of 1 variant(s); a media playlist of 5 segment(s); its first segment, MPEG-TS,",
        "✓ playback: CmafUrl plays through CloudFront: a multivariant playlist of 1 variant(s); a media playlist of 5 segment(s); its first segment, fragmented MP4,",
        "✓ playback: DashUrl plays through CloudFront: a DASH manifest of 2 representation(s)",
        "✓ playback: MssUrl plays through CloudFront: a Smooth Streaming manifest of 2 stream(s)",
        "– playback: the MediaPackage v1 endpoints' refusal of requests without CloudFront's CDN authorization header is not asked",
    ] {
        assert!(words.contains(line), "{line:?} in:\n{words}");
    }

    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
}
