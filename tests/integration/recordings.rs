//! Every run recorded, through the compiled binary as `template.yaml`
//! deploys it, against the emulator: the guard hears a run start and end
//! (the events EventBridge would send are replayed on it), makes the
//! run's MediaPackage v2 harvest jobs, and lists what they harvested; the
//! faithful layer runs the jobs as v2 does (its checks, the VOD written,
//! the notification); the stack's delete waits for the last run's
//! recording (`LastRecording`).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_medialive::types::ChannelState;
use aws_sdk_mediapackagev2::types::HarvestJobStatus;
use serde_json::{Value, json};
use testkit::stack::{Function, Rig, Template};

use crate::guard::{invoke, messages, settled_state, start_again, subscribe, succeeded};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");

fn template() -> Template {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    Template::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn parameters(more: &[(&str, &str)]) -> Vec<(String, String)> {
    [
        ("CodeBucketPrefix", "local-code"),
        ("CodeKey", "livestream/v0/livestream-resources.zip"),
        ("DemoSourceKey", "livestream/v0/demo-source.mp4"),
        ("InputType", "RTMP_PUSH"),
        ("InputCIDR", "203.0.113.7/32"),
        ("ChannelClass", "SINGLE_PIPELINE"),
        // Started by the test, after the deploy: the guard's deploy-time
        // check then finds no run going on to record from its own time.
        ("ChannelStart", "No"),
    ]
    .iter()
    .chain(more)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn state_change(channel_id: &str, state: &str, at: u64) -> Value {
    let arn = format!("arn:aws:medialive:us-east-1:123456789012:channel:{channel_id}");
    let mut event = testkit::events::channel_state_change(&arn, state);
    event["time"] = json!(testkit::events::rfc3339(at));
    event
}

fn reconcile() -> Value {
    json!({"source": "livestream.cost-guard", "detail-type": "Reconcile recordings", "detail": {}})
}

async fn medialive(rig: &Rig) -> aws_sdk_medialive::Client {
    aws_sdk_medialive::Client::new(&rig.sdk_config().await)
}

async fn v2(rig: &Rig) -> aws_sdk_mediapackagev2::Client {
    aws_sdk_mediapackagev2::Client::new(&rig.sdk_config().await)
}

/// A harvest job as the test reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    name: String,
    status: HarvestJobStatus,
    start: i64,
    end: i64,
    path: String,
}

/// Every harvest job of the stack's channel.
async fn jobs(rig: &Rig, stack_name: &str) -> Vec<Seen> {
    let client = v2(rig).await;
    let mut seen = Vec::new();
    let mut next = None;
    loop {
        let page = client
            .list_harvest_jobs()
            .channel_group_name(stack_name)
            .channel_name(stack_name)
            .set_next_token(next)
            .send()
            .await
            .unwrap();
        for job in page.items() {
            seen.push(Seen {
                name: job.harvest_job_name().to_owned(),
                status: job.status().clone(),
                start: job.schedule_configuration().unwrap().start_time().secs(),
                end: job.schedule_configuration().unwrap().end_time().secs(),
                path: job
                    .destination()
                    .and_then(|d| d.s3_destination())
                    .unwrap()
                    .destination_path()
                    .to_owned(),
            });
        }
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            seen.sort_by(|a, b| a.name.cmp(&b.name));
            return seen;
        }
    }
}

/// Runs the jobs to their end and delivers each notification to the
/// guard, twice (EventBridge delivers at least once).
async fn finish_and_tell(rig: &Rig, guard: &Function) -> usize {
    let told = rig.aws.finish_harvest_jobs().await;
    for notification in &told {
        succeeded(&invoke(guard, notification).await);
        succeeded(&invoke(guard, notification).await);
    }
    told.len()
}

async fn listed(rig: &Rig, bucket: &str) -> Vec<Value> {
    let index = rig.s3_json(bucket, "recordings/index.json").await.unwrap();
    index
        .map(|index| index["recordings"].as_array().unwrap().clone())
        .unwrap_or_default()
}

async fn stop_by_hand(rig: &Rig, channel: &str) {
    medialive(rig)
        .await
        .stop_channel()
        .channel_id(channel)
        .send()
        .await
        .unwrap();
    assert_eq!(settled_state(rig, channel).await, ChannelState::Idle);
}

fn stamp(epoch: u64) -> String {
    let output = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{epoch}"), "+%Y%m%dT%H%M%SZ"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_run_is_recorded_once_whoever_stops_it() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("recorded");
    let stack = player.create(template(), &parameters(&[])).await.unwrap();
    let name = "recorded";
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let bucket = stack.physical_id("RecordingsBucket").unwrap().to_owned();
    start_again(&rig, &channel).await;
    let guard = rig.function(&stack, "GuardFunction").await;
    let inbox = subscribe(&rig, &stack).await;

    // A run stopped by hand: its stop delivered twice and late, its
    // RUNNING again after the stop.
    let first = now() - 600;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING", first)).await);
    stop_by_hand(&rig, &channel).await;
    let stopped = now();
    for event in [
        state_change(&channel, "STOPPING", stopped),
        state_change(&channel, "STOPPED", stopped + 5),
        state_change(&channel, "STOPPED", stopped + 5),
        state_change(&channel, "RUNNING", first),
    ] {
        succeeded(&invoke(&guard, &event).await);
    }
    let made = jobs(&rig, name).await;
    assert_eq!(made.len(), 1, "{made:#?}");
    assert_eq!(made[0].name, format!("run-{first}-part-1"));
    assert_eq!((made[0].start, made[0].end), (first as i64, stopped as i64));
    assert_eq!(made[0].path, format!("recordings/{name}/{}/part-1", stamp(first)));
    // Until it completes, nothing is listed.
    assert!(listed(&rig, &bucket).await.is_empty());
    assert_eq!(finish_and_tell(&rig, &guard).await, 1);
    let recordings = listed(&rig, &bucket).await;
    assert_eq!(recordings.len(), 1, "{recordings:#?}");
    let hls = recordings[0]["hls"].as_str().unwrap();
    assert_eq!(hls, format!("recordings/{name}/{}/part-1/index.m3u8", stamp(first)));
    assert_eq!(recordings[0]["durationSeconds"], stopped - first);
    assert_eq!(recordings[0]["channel"], name);
    // What the list names is there: the harvest wrote it.
    let manifest = rig
        .s3()
        .await
        .get_object()
        .bucket(&bucket)
        .key(hls)
        .send()
        .await
        .unwrap();
    assert!(manifest.content_length().unwrap() > 0);

    // A run the guard stops (its cap reached): recorded too.
    start_again(&rig, &channel).await;
    let second = now() - 8 * 3600 + 30;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING", second)).await);
    let fired = json!({"source": "livestream.cost-guard", "detail-type": "Maximum run time reached",
        "detail": {"channelId": channel, "startedAt": second}});
    succeeded(&invoke(&guard, &fired).await);
    assert_eq!(settled_state(&rig, &channel).await, ChannelState::Idle);
    let stopped_again = now();
    succeeded(&invoke(&guard, &state_change(&channel, "STOPPED", stopped_again)).await);
    assert_eq!(finish_and_tell(&rig, &guard).await, 1);
    let recordings = listed(&rig, &bucket).await;
    assert_eq!(recordings.len(), 2, "{recordings:#?}");
    // Newest start first (this run said it started 8 hours ago).
    assert_eq!(recordings[0]["job"], format!("run-{first}-part-1"));
    assert_eq!(recordings[1]["job"], format!("run-{second}-part-1"));
    // The cap's message, and no other: nothing failed.
    assert_eq!(messages(&inbox).len(), 1, "{:?}", messages(&inbox));

    // A run ended by the stack's delete: the delete records it itself,
    // from the guard's record of the run, without waiting for EventBridge
    // to tell the guard (which goes with the stack), and waits for it.
    start_again(&rig, &channel).await;
    let third = now() - 60;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING", third)).await);
    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:#?}");
    let recordings = listed(&rig, &bucket).await;
    assert_eq!(recordings.len(), 3, "{recordings:#?}");
    assert_eq!(recordings[0]["job"], format!("run-{third}-part-1"));
    // The recordings are the user's: the bucket stays with them, and nothing else.
    let left = rig.leftovers().await.unwrap();
    assert!(left.is_empty(), "{left:#?}");
    assert_eq!(listed(&rig, &bucket).await.len(), 3);
    rig.iam_report().assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thirty_hour_run_without_a_cap_is_recorded_in_consecutive_parts() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("marathon");
    let stack = player
        .create(template(), &parameters(&[("MaxRunHours", "0")]))
        .await
        .unwrap();
    let name = "marathon";
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let bucket = stack.physical_id("RecordingsBucket").unwrap().to_owned();
    let guard = rig.function(&stack, "GuardFunction").await;
    start_again(&rig, &channel).await;
    let started = now() - 30 * 3600;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING", started)).await);
    // While it runs, each full day is harvested as it completes.
    succeeded(&invoke(&guard, &reconcile()).await);
    succeeded(&invoke(&guard, &reconcile()).await);
    let made = jobs(&rig, name).await;
    assert_eq!(made.len(), 1, "{made:#?}");
    assert_eq!(
        (made[0].start, made[0].end),
        (started as i64, (started + 24 * 3600) as i64)
    );
    stop_by_hand(&rig, &channel).await;
    let stopped = now();
    succeeded(&invoke(&guard, &state_change(&channel, "STOPPED", stopped)).await);
    let made = jobs(&rig, name).await;
    assert_eq!(made.len(), 2, "{made:#?}");
    assert_eq!(made[1].name, format!("run-{started}-part-2"));
    // No gap, no overlap, the whole run.
    assert_eq!(made[0].start, started as i64);
    assert_eq!(made[0].end, made[1].start);
    assert_eq!(made[1].end, stopped as i64);
    assert_eq!(finish_and_tell(&rig, &guard).await, 2);
    let recordings = listed(&rig, &bucket).await;
    let parts: Vec<u64> = recordings.iter().map(|r| r["part"].as_u64().unwrap()).collect();
    assert_eq!(parts, [1, 2], "{recordings:#?}");
    assert!(player.delete(stack).await.is_empty());
    rig.iam_report().assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_harvest_is_told_once_and_tried_once_more_and_a_full_quota_waits() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("unlucky");
    let stack = player.create(template(), &parameters(&[])).await.unwrap();
    let name = "unlucky";
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let bucket = stack.physical_id("RecordingsBucket").unwrap().to_owned();
    let guard = rig.function(&stack, "GuardFunction").await;
    let inbox = subscribe(&rig, &stack).await;
    let client = v2(&rig).await;
    start_again(&rig, &channel).await;

    // The endpoint's policy loses its harvest statement (an edit by hand):
    // the job fails.
    let policy = client
        .get_origin_endpoint_policy()
        .channel_group_name(name)
        .channel_name(name)
        .origin_endpoint_name("cmaf")
        .send()
        .await
        .unwrap()
        .policy()
        .to_owned();
    let mut without: Value = serde_json::from_str(&policy).unwrap();
    without["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|s| s["Sid"] != "MediaPackageHarvestsRecordings");
    let put = |policy: String| {
        client
            .put_origin_endpoint_policy()
            .channel_group_name(name)
            .channel_name(name)
            .origin_endpoint_name("cmaf")
            .policy(policy)
            .send()
    };
    put(without.to_string()).await.unwrap();
    let started = now() - 300;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING", started)).await);
    stop_by_hand(&rig, &channel).await;
    succeeded(&invoke(&guard, &state_change(&channel, "STOPPED", now())).await);
    assert_eq!(finish_and_tell(&rig, &guard).await, 1);
    // One message, naming the run and MediaPackage's words; one retry.
    let said = inbox.wait_for(1, Duration::from_secs(30)).await[0].json();
    let message = said["Message"].as_str().unwrap();
    assert!(
        message.contains(&format!("run-{started}-part-1"))
            && message.contains("HARVEST_JOB_CUSTOMER_ENDPOINT_READ_ACCESS_DENIED")
            && message.contains("tried once more"),
        "{message}"
    );
    assert!(listed(&rig, &bucket).await.is_empty(), "the list is untouched");
    // The policy put right (before the retry runs: looking at jobs moves
    // them on), the retry completes and is listed; a later look at every
    // job tells nothing again.
    put(policy).await.unwrap();
    succeeded(&invoke(&guard, &reconcile()).await);
    assert_eq!(messages(&inbox).len(), 1);
    let made = jobs(&rig, name).await;
    let names: Vec<&str> = made.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(
        names,
        [format!("run-{started}-part-1"), format!("run-{started}-part-1-retry")]
    );
    assert_eq!(finish_and_tell(&rig, &guard).await, 1);
    let recordings = listed(&rig, &bucket).await;
    assert_eq!(recordings.len(), 1);
    assert_eq!(recordings[0]["job"], format!("run-{started}-part-1-retry"));

    // The channel group's ten jobs going on: the next run's harvest waits,
    // kept, and is made at the next look once a job has ended.
    for n in 0..10 {
        client
            .create_harvest_job()
            .channel_group_name(name)
            .channel_name(name)
            .origin_endpoint_name("cmaf")
            .harvest_job_name(format!("someone-elses-{n}"))
            .harvested_manifests(
                aws_sdk_mediapackagev2::types::HarvestedManifests::builder()
                    .hls_manifests(
                        aws_sdk_mediapackagev2::types::HarvestedHlsManifest::builder()
                            .manifest_name("index")
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .schedule_configuration(
                aws_sdk_mediapackagev2::types::HarvesterScheduleConfiguration::builder()
                    .start_time(aws_smithy_types::DateTime::from_secs((now() - 60) as i64))
                    .end_time(aws_smithy_types::DateTime::from_secs((now() + 3600) as i64))
                    .build()
                    .unwrap(),
            )
            .destination(
                aws_sdk_mediapackagev2::types::Destination::builder()
                    .s3_destination(
                        aws_sdk_mediapackagev2::types::S3DestinationConfig::builder()
                            .bucket_name(&bucket)
                            .destination_path(format!("recordings/elsewhere/{n}"))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    start_again(&rig, &channel).await;
    let next = now() - 120;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING", next)).await);
    stop_by_hand(&rig, &channel).await;
    succeeded(&invoke(&guard, &state_change(&channel, "STOPPED", now())).await);
    let waiting = jobs(&rig, name).await;
    assert!(
        waiting.iter().all(|j| j.name != format!("run-{next}-part-1")),
        "{waiting:#?}"
    );
    let group = stack.physical_id("GuardSchedules").unwrap();
    let kept = aws_sdk_scheduler::Client::new(&rig.sdk_config().await)
        .get_schedule()
        .group_name(group)
        .name(format!("record-{channel}-{next}"))
        .send()
        .await;
    assert!(kept.is_ok(), "the run is kept until it can be harvested: {kept:?}");
    client
        .cancel_harvest_job()
        .channel_group_name(name)
        .channel_name(name)
        .origin_endpoint_name("cmaf")
        .harvest_job_name("someone-elses-0")
        .send()
        .await
        .unwrap();
    succeeded(&invoke(&guard, &reconcile()).await);
    let made = jobs(&rig, name).await;
    assert!(made.iter().any(|j| j.name == format!("run-{next}-part-1")), "{made:#?}");
    finish_and_tell(&rig, &guard).await;
    assert!(player.delete(stack).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stop_the_guard_never_heard_is_recorded_at_the_next_look() {
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut player = rig.player("unheard");
    let stack = player.create(template(), &parameters(&[])).await.unwrap();
    let name = "unheard";
    let channel = stack.physical_id("MediaLiveChannel").unwrap().to_owned();
    let bucket = stack.physical_id("RecordingsBucket").unwrap().to_owned();
    let guard = rig.function(&stack, "GuardFunction").await;
    start_again(&rig, &channel).await;
    let started = now() - 300;
    succeeded(&invoke(&guard, &state_change(&channel, "RUNNING", started)).await);
    // Stopped, and EventBridge's event lost: the look every 15 minutes
    // records the run up to the look.
    stop_by_hand(&rig, &channel).await;
    assert!(jobs(&rig, name).await.is_empty());
    let looked = now();
    succeeded(&invoke(&guard, &reconcile()).await);
    let made = jobs(&rig, name).await;
    assert_eq!(made.len(), 1, "{made:#?}");
    assert_eq!(made[0].name, format!("run-{started}-part-1"));
    assert_eq!(made[0].start, started as i64);
    assert!((looked as i64..=now() as i64).contains(&made[0].end), "{made:#?}");
    // The job's end never heard either: the next look lists it.
    rig.aws.finish_harvest_jobs().await;
    succeeded(&invoke(&guard, &reconcile()).await);
    assert_eq!(listed(&rig, &bucket).await.len(), 1);
    assert!(player.delete(stack).await.is_empty());
    rig.iam_report().assert_clean();
}
