//! The main job on this machine: plays `template.yaml` through the real
//! handler binary against the AWS emulator, as CloudFormation would. Create
//! the stack, print its outputs, update it (a new encoding profile, so the
//! running channel is updated in place), delete it, and audit the emulator:
//! nothing may be left. Exits non-zero naming the resource and the Reason
//! when any step fails (after rolling back, as CloudFormation does).
//!
//! With `--events`, plays `foundation.yaml` and three `event.yaml` stacks
//! instead: the foundation, the three events created at once (different
//! input types and profiles, all started), one event deleted while the
//! others run (their channels are never stopped), the foundation's delete
//! refused while events import it, the rest deleted, the foundation last.
//!
//! usage: local-run [--template FILE] [--stack-name NAME] [--no-update]
//!                  [--update Key=Value]... [Key=Value]...
//!        local-run --events
//! `LAMBDA_BINARY` overrides the handler (default: target/debug/livestream-resources).

// Test support: a broken test rig panics, naming what broke.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use testkit::runtime_api::Outcome;
use testkit::stack::parameters::{no_echo, parse_overrides};
use testkit::stack::{Failure, Rig, Stack, Template};

/// Values the local run needs that a real deployment gets elsewhere: the
/// code location (build-s3-dist.sh) and a running channel to update.
const LOCAL_DEFAULTS: &[(&str, &str)] = &[
    ("ChannelStart", "Yes"),
    ("CodeBucketPrefix", CODE_BUCKET_PREFIX),
    ("CodeKey", "livestream-resources/local/livestream-resources.zip"),
    ("DemoSourceKey", DEMO_SOURCE_KEY),
];
const CODE_BUCKET_PREFIX: &str = "local-code";
const DEMO_SOURCE_KEY: &str = "livestream-resources/local/demo-source.mp4";

struct Args {
    template: PathBuf,
    stack_name: String,
    create: Vec<(String, String)>,
    update: Option<Vec<(String, String)>>,
    events: bool,
    /// Where to write every permission the run's roles needed (the
    /// first-deploy check's list), with the stack's names as placeholders.
    iam_needs: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut template = testkit::workspace_root().join("template.yaml");
    let mut stack_name = "livestream-local".to_owned();
    let mut create = Vec::new();
    let mut update = Some(Vec::new());
    let mut events = false;
    let mut iam_needs = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--events" => events = true,
            "--iam-needs" => iam_needs = Some(args.next().ok_or("--iam-needs needs a file")?.into()),
            "--template" => template = args.next().ok_or("--template needs a file")?.into(),
            "--stack-name" => stack_name = args.next().ok_or("--stack-name needs a name")?,
            "--no-update" => update = None,
            "--update" => {
                let pair = args.next().ok_or("--update needs Key=Value")?;
                update.get_or_insert_with(Vec::new).extend(parse_overrides(&[pair])?);
            }
            "-h" | "--help" => return Err(String::new()),
            _ => create.extend(parse_overrides(&[arg])?),
        }
    }
    Ok(Args {
        template,
        stack_name,
        create,
        update,
        events,
        iam_needs,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("local-run: {message}");
            }
            eprintln!(
                "usage: local-run [--template FILE] [--stack-name NAME] [--no-update] [--update Key=Value]... [--iam-needs FILE] [Key=Value]...\n       local-run --events"
            );
            return ExitCode::from(2);
        }
    };
    let binary = std::env::var_os("LAMBDA_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| testkit::workspace_root().join("target/debug/livestream-resources"));
    if !binary.exists() {
        eprintln!(
            "local-run: {} is missing: run `cargo build --workspace` first",
            binary.display()
        );
        return ExitCode::FAILURE;
    }
    if args.events {
        let rig = Rig::start(&binary).await;
        if let Err(err) = rig.upload_demo_source(CODE_BUCKET_PREFIX, DEMO_SOURCE_KEY).await {
            eprintln!("local-run: {err}");
            return ExitCode::FAILURE;
        }
        let mut seen = Seen::default();
        let verdict = run_events(&rig, &mut seen).await;
        if verdict.is_ok()
            && let Some(path) = &args.iam_needs
            && let Err(err) = write_needs(&rig, &seen, &BTreeSet::new(), path)
        {
            eprintln!("local-run: {err}");
            return ExitCode::FAILURE;
        }
        return conclude(&rig, verdict).await;
    }
    let template = match std::fs::read_to_string(&args.template)
        .map_err(|err| err.to_string())
        .and_then(|text| Template::parse(&text))
    {
        Ok(template) => template,
        Err(err) => {
            eprintln!("local-run: {}: {err}", args.template.display());
            return ExitCode::FAILURE;
        }
    };

    let mut create: Vec<(String, String)> = LOCAL_DEFAULTS
        .iter()
        .filter(|(name, _)| template.parameters.contains_key(*name))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    create.extend(args.create.iter().cloned());

    let rig = Rig::start(&binary).await;
    println!(
        "{}: {} resources, played through {} against the AWS emulator (moto) behind the faithful layer at {}",
        args.template.display(),
        template.resources.len(),
        binary.display(),
        rig.aws.endpoint()
    );
    // As a deployment has it: the test source beside the code, in the code bucket.
    if template.parameters.contains_key("DemoSourceKey") {
        match rig.upload_demo_source(CODE_BUCKET_PREFIX, DEMO_SOURCE_KEY).await {
            Ok(url) => {
                println!("test source (deployment/render-demo-source.sh) uploaded as a deployment has it: {url}")
            }
            Err(err) => {
                eprintln!("local-run: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut player = rig.player(&args.stack_name).echo(true);
    println!("parameters: {}", shown(&template, &create));

    let mut seen = Seen::default();
    let secret = no_echo(&template);
    let verdict = run(&rig, &mut player, template, &create, args.update, &mut seen).await;
    if verdict.is_ok()
        && let Some(path) = &args.iam_needs
        && let Err(err) = write_needs(&rig, &seen, &secret, path)
    {
        eprintln!("local-run: {err}");
        return ExitCode::FAILURE;
    }
    conclude(&rig, verdict).await
}

/// Writes every permission the run's roles needed, with the stacks' names
/// as placeholders and the parameters they were found with (but where the
/// code lies and what is NoEcho): the first-deploy check's list.
fn write_needs(rig: &Rig, seen: &Seen, secret: &BTreeSet<String>, path: &std::path::Path) -> Result<(), String> {
    let needs = rig.iam_report().needs(&seen.placeholders);
    let configuration: serde_json::Map<String, serde_json::Value> = seen
        .parameters
        .iter()
        .filter(|(key, _)| {
            !secret.contains(key) && !["CodeBucketPrefix", "CodeKey", "DemoSourceKey"].contains(&key.as_str())
        })
        .map(|(key, value)| (key.clone(), serde_json::Value::String(value.clone())))
        .collect();
    let written = serde_json::json!({
        "about": "Every permission each role needed in the local run (./deployment/run-local.sh [--events] --iam-needs <this file>), with the stacks' names as Fn::Sub placeholders (a foundation's as ${Foundation.<logical id>}); check-stack asks IAM's policy simulator for each. Written, not edited: a test fails when a run needs something else.",
        "configuration": configuration,
        "needs": needs,
    });
    let text = serde_json::to_string_pretty(&written).unwrap_or_default() + "\n";
    std::fs::write(path, text).map_err(|err| format!("writing {}: {err}", path.display()))?;
    println!(
        "\nIAM needs: {} permissions, written to {}",
        needs.len(),
        path.display()
    );
    Ok(())
}

/// A foundation's placeholder: `${Foundation}` for its name (what an
/// event's `Foundation` parameter holds), `${Foundation::StackId}`, and
/// `${Foundation.<logical id>}`; the account and Region stay.
fn foundation_placeholder(placeholder: &str) -> String {
    match placeholder {
        "${AWS::StackName}" => "${Foundation}".to_owned(),
        "${AWS::StackId}" => "${Foundation::StackId}".to_owned(),
        "${AWS::AccountId}" | "${AWS::Region}" => placeholder.to_owned(),
        other => format!("${{Foundation.{}", &other[2..]),
    }
}

/// What a run saw of its stack, for the list of IAM needs.
#[derive(Default)]
struct Seen {
    placeholders: Vec<(String, String)>,
    parameters: Vec<(String, String)>,
}

/// What the stack's names look like in the ARNs and condition values its
/// roles were judged on, and the placeholder each stands for (CloudFormation's
/// `Fn::Sub` names: the pseudo parameters, logical ids, parameters).
fn placeholders_of(stack: &Stack, stack_id: &str) -> Vec<(String, String)> {
    let mut placeholders = vec![
        (stack_id.to_owned(), "${AWS::StackId}".to_owned()),
        (stack.name.clone(), "${AWS::StackName}".to_owned()),
        (testkit::account::ACCOUNT.to_owned(), "${AWS::AccountId}".to_owned()),
        (testkit::account::REGION.to_owned(), "${AWS::Region}".to_owned()),
    ];
    for resource in &stack.resources {
        let id = &resource.exposed.physical_id;
        if id.len() >= 6 && *id != stack.name {
            placeholders.push((id.clone(), format!("${{{}}}", resource.logical_id)));
        }
    }
    for (name, value) in &stack.parameters {
        if value.len() >= 6 && value.contains(['-', '/', '.']) {
            placeholders.push((value.clone(), format!("${{{name}}}")));
        }
    }
    placeholders
}

/// `Key=Value …` as given, with the template's NoEcho values as `****`.
fn shown(template: &Template, parameters: &[(String, String)]) -> String {
    let secret = no_echo(template);
    let pairs: Vec<String> = parameters
        .iter()
        .map(|(k, v)| {
            if secret.contains(k) {
                format!("{k}=****")
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    pairs.join(" ")
}

/// Audits the emulator and the IAM report after a run; the exit code.
async fn conclude(rig: &Rig, verdict: Result<(), Failure>) -> ExitCode {
    let left = match rig.leftovers().await {
        Ok(left) => left,
        Err(err) => {
            eprintln!("local-run: the audit failed: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "\naudit of the emulator (inputs, security groups, channels, MediaPackage v1 channels and endpoints, v2 channel groups, channels and endpoints, secrets, parameters, S3 objects, schedules):"
    );
    if left.is_empty() {
        println!("  nothing left");
    }
    for line in &left {
        println!("  LEFT: {line}");
    }
    let iam = rig.iam_report();
    let roles: Vec<String> = iam.by_role().iter().map(|(role, n)| format!("{role} {n}")).collect();
    println!(
        "\nIAM (every call judged by its function's role in the template, and what MediaLive and MediaPackage do as theirs): {} permissions checked ({})",
        iam.checked.len(),
        roles.join(", ")
    );
    let denied = iam.denied();
    if denied.is_empty() && iam.unmapped.is_empty() {
        println!("  all allowed");
    }
    for refused in &denied {
        println!("  DENIED: {refused}");
    }
    for unmapped in &iam.unmapped {
        println!("  NOT CHECKED: {unmapped}");
    }
    let iam_failed = !denied.is_empty() || !iam.unmapped.is_empty();
    match verdict {
        Err(failure) => {
            eprintln!("\nlocal-run: FAILED at {}: {}", failure.logical_id, failure.reason);
            ExitCode::FAILURE
        }
        Ok(()) if !left.is_empty() => {
            eprintln!(
                "\nlocal-run: the stack was deleted but {} resource(s) are left",
                left.len()
            );
            ExitCode::FAILURE
        }
        Ok(()) if iam_failed => {
            eprintln!("\nlocal-run: the template's roles do not allow everything the stack does (above)");
            ExitCode::FAILURE
        }
        Ok(()) => ExitCode::SUCCESS,
    }
}

/// Create, show the outputs, update, delete.
async fn run(
    rig: &Rig,
    player: &mut testkit::stack::Player,
    template: Template,
    create: &[(String, String)],
    update: Option<Vec<(String, String)>>,
    seen: &mut Seen,
) -> Result<(), Failure> {
    let stack = player.create(template.clone(), create).await?;
    seen.placeholders = placeholders_of(&stack, &player.stack_id);
    seen.parameters = stack.parameters.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    print_outputs(player, &stack)?;
    print_sources(&stack);
    show_protected_playback(rig, player, &stack).await?;
    show_the_guard(rig, &stack, &stack).await?;
    show_the_check(rig, &[&stack]).await?;

    let stack = match update {
        None => stack,
        Some(mut overrides) => {
            if overrides.is_empty() {
                overrides.extend(next_profile(&stack));
            }
            println!("\nupdating with {}", shown(&template, &overrides));
            let before = stack.clone();
            match player.update(stack, template, &overrides).await {
                Ok(updated) => {
                    for resource in updated.resources.iter().filter(|r| r.is_custom()) {
                        if let Some(old) = before.physical_id(&resource.logical_id)
                            && old == resource.exposed.physical_id
                            && before.resource(&resource.logical_id).map(|b| &b.properties)
                                != Some(&resource.properties)
                        {
                            println!("  {} updated in place: same id {old}", resource.logical_id);
                        }
                    }
                    updated
                }
                Err((old, failure)) => {
                    player.delete(old).await;
                    return Err(failure);
                }
            }
        }
    };
    println!();
    // The delete records the run the guard saw start (LastRecording).
    let recordings = recordings_of(&stack);
    if let Some(failure) = player.delete(stack).await.into_iter().next() {
        return Err(failure);
    }
    show_the_recordings(rig, recordings).await
}

/// The recordings bucket and the distribution's domain, when runs are recorded.
fn recordings_of(stack: &Stack) -> Option<(String, String)> {
    let bucket = stack.physical_id("RecordingsBucket")?.to_owned();
    let domain = stack
        .resource("Distribution")?
        .exposed
        .attributes
        .get("DomainName")?
        .clone();
    Some((bucket, domain))
}

/// What the runs left: each recording's address, as the player lists it.
/// The bucket outlives the stack; its recordings are then removed here, as
/// a user removes them (`aws s3 rm s3://<bucket> --recursive`).
async fn show_the_recordings(rig: &Rig, recordings: Option<(String, String)>) -> Result<(), Failure> {
    let Some((bucket, domain)) = recordings else {
        println!(
            "
runs are not recorded (RecordRuns=No, or MediaPackage v1)"
        );
        return Ok(());
    };
    let failure = |reason: String| Failure {
        logical_id: "RecordingsBucket".into(),
        reason,
    };
    let index = rig
        .s3_json(&bucket, "recordings/index.json")
        .await
        .map_err(failure)?
        .ok_or_else(|| failure("the run was not recorded: recordings/index.json is missing".into()))?;
    let listed = index["recordings"].as_array().cloned().unwrap_or_default();
    if listed.is_empty() {
        return Err(failure("the run was not recorded: the list is empty".into()));
    }
    println!(
        "
recorded (kept in s3://{bucket} when the stack is deleted), as the player lists them:"
    );
    for recording in &listed {
        println!(
            "  {} ({} s, {}): https://{domain}/{}",
            recording["runStarted"].as_str().unwrap_or_default(),
            recording["durationSeconds"],
            recording["channel"].as_str().unwrap_or_default(),
            recording["hls"].as_str().unwrap_or_default()
        );
    }
    let s3 = rig.s3().await;
    let objects = s3
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|err| failure(aws_sdk_s3::error::DisplayErrorContext(err).to_string()))?;
    for key in objects.contents().iter().filter_map(|o| o.key()) {
        s3.delete_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| failure(aws_sdk_s3::error::DisplayErrorContext(err).to_string()))?;
    }
    println!("  removed again here, as `aws s3 rm s3://{bucket} --recursive` removes them");
    Ok(())
}

/// With a running channel, EventBridge tells the cost guard (the
/// `GuardFunction` of `stack`, the same binary with its own environment)
/// that the channel of `event` (the same stack, or an event of this
/// foundation) is RUNNING; the guard arms a schedule. Shown here, and left
/// for the stack's Delete to remove with its schedule group.
async fn show_the_guard(rig: &Rig, stack: &Stack, event_stack: &Stack) -> Result<(), Failure> {
    let (Some(_), Some(channel)) = (
        stack.resource("GuardFunction"),
        event_stack.resource("MediaLiveChannelStart"),
    ) else {
        return Ok(());
    };
    let failure = |reason: String| Failure {
        logical_id: "GuardFunction".into(),
        reason,
    };
    let channel_arn = event_stack
        .resource("MediaLiveChannel")
        .and_then(|c| c.exposed.attributes.get("Arn").cloned())
        .ok_or_else(|| failure("the channel has no Arn".into()))?;
    let guard = rig.function(stack, "GuardFunction").await;
    let mut event = testkit::events::channel_state_change(&channel_arn, "RUNNING");
    // A run of a minute by the time it stops: one worth recording.
    let started = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    event["time"] = aws_smithy_types::DateTime::from(started)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
        .into();
    println!(
        "\ncost guard: the channel {} is RUNNING (since a minute ago); EventBridge's event to GuardFunction:",
        channel.exposed.physical_id
    );
    match guard
        .api
        .invoke(event.to_string(), std::time::Duration::from_secs(60))
        .await
    {
        Outcome::Response(_) => {}
        Outcome::Error(body) => return Err(failure(format!("the guard failed: {body}"))),
    }
    let group = stack.physical_id("GuardSchedules").unwrap_or_default();
    let scheduler = aws_sdk_scheduler::Client::new(&rig.sdk_config().await);
    let listed = scheduler
        .list_schedules()
        .group_name(group)
        .send()
        .await
        .map_err(|err| failure(aws_sdk_scheduler::error::DisplayErrorContext(err).to_string()))?;
    for summary in listed.schedules() {
        let name = summary.name().unwrap_or_default();
        let schedule = scheduler
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
            .map_err(|err| failure(aws_sdk_scheduler::error::DisplayErrorContext(err).to_string()))?;
        println!(
            "  armed: schedule {group}/{name}, {} UTC: stops the channel unless it stops first",
            schedule.schedule_expression().unwrap_or_default()
        );
    }
    if listed.schedules().is_empty() {
        println!("  nothing armed (MaxRunHours is 0)");
    }
    if let Some(alarm) = event_stack.physical_id("NoInputVideoAlarm") {
        println!("  and the alarm {alarm} stops it after IdleStopMinutes without input video");
    }
    println!("  deleting the stack deletes the schedule group {group} and every schedule in it");
    Ok(())
}

/// The first-deploy check a deployer runs after `aws cloudformation
/// deploy` (`./deployment/check-stack.sh`), the compiled `check-stack`
/// beside this binary, on each of `stacks` as they stand, through the
/// emulator, its playback through a stand-in CloudFront and origin
/// ([`testkit::edge`]): every check must hold or wait (–).
async fn show_the_check(rig: &Rig, stacks: &[&Stack]) -> Result<(), Failure> {
    let failure = |reason: String| Failure {
        logical_id: "check-stack".into(),
        reason,
    };
    let binary = std::env::current_exe()
        .map_err(|err| failure(err.to_string()))?
        .with_file_name("check-stack");
    if !binary.is_file() {
        return Err(failure(format!(
            "{} is missing: `cargo build --workspace --bins` builds it",
            binary.display()
        )));
    }
    let edge = testkit::edge::start(rig, stacks).await.map_err(failure)?;
    for stack in stacks.iter().map(|stack| &stack.name) {
        println!("\nthe first-deploy check, as a deployer runs it (./deployment/check-stack.sh {stack}):");
        let mut command = rig.aws_command(&binary);
        command
            .env(testkit::edge::EDGE_URL, &edge.url)
            .arg(stack)
            .args(["--region", testkit::account::REGION]);
        let ran = tokio::task::spawn_blocking(move || command.output())
            .await
            .map_err(|err| failure(err.to_string()))?
            .map_err(|err| failure(format!("check-stack did not run: {err}")))?;
        for line in String::from_utf8_lossy(&ran.stdout).lines() {
            println!("  {line}");
        }
        let errors = String::from_utf8_lossy(&ran.stderr);
        if !ran.status.success() {
            return Err(failure(format!(
                "check-stack {stack} exited {}: {}",
                ran.status,
                if errors.trim().is_empty() {
                    "a part is broken (above)"
                } else {
                    errors.trim()
                }
            )));
        }
    }
    Ok(())
}

/// Where the input reads its video from (pull and file inputs).
fn print_sources(stack: &Stack) {
    let Some(input) = stack.resource("MediaLiveInput") else {
        return;
    };
    let urls: Vec<&str> = ["PriUrl", "SecUrl"]
        .iter()
        .filter_map(|key| input.properties[*key].as_str())
        .collect();
    if !urls.is_empty() {
        println!(
            "  the input ({}) reads {}",
            input.properties["Type"].as_str().unwrap_or("?"),
            urls.join(" and ")
        );
    }
}

fn print_outputs(player: &testkit::stack::Player, stack: &Stack) -> Result<(), Failure> {
    println!("\noutputs of {}:", stack.name);
    for (name, value) in player.outputs(stack)? {
        println!("  {name:<16} {value}");
    }
    Ok(())
}

/// With `PlaybackAccess=SignedCookies`: where viewers are asked for the
/// passcode, and the cookie issuer (run from the stack's environment)
/// letting one in, as CloudFront would call it; the stream refused
/// without the cookies and served with them, checked against the key
/// group's public keys. The passcode itself is never printed.
async fn show_protected_playback(rig: &Rig, player: &testkit::stack::Player, stack: &Stack) -> Result<(), Failure> {
    use testkit::cloudfront::{TrustedKeys, UrlReply, passcode_request};
    if stack.resource("CookieIssuerFunction").is_none() {
        return Ok(());
    }
    let failure = |reason: String| Failure {
        logical_id: "CookieIssuerFunction".into(),
        reason,
    };
    let outputs = player.outputs(stack)?;
    let output = |name: &str| outputs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    println!("\nprotected playback (PlaybackAccess=SignedCookies):");
    if let Some(page) = output("PlayerUrl") {
        println!("  viewers enter the passcode at {page}");
    }
    let issuer = rig.function(stack, "CookieIssuerFunction").await;
    let keys = TrustedKeys::of(stack, "ViewerKeyGroup");
    let Some(stream) = output("HlsUrl") else {
        return Err(failure("the stack has no HlsUrl output".into()));
    };
    let now = testkit::events::now_secs;
    match keys.admits(None, &stream, now()) {
        Err(refused) => println!("  without cookies CloudFront answers 403 ({refused:?}) for {stream}"),
        Ok(()) => return Err(failure(format!("{stream} is served without cookies"))),
    }
    let sign_in = |passcode: &str| passcode_request("/auth/", passcode, "127.0.0.1:50000").to_string();
    let ask = |event: String| issuer.api.invoke(event, std::time::Duration::from_secs(30));
    let answer = |outcome: Outcome| match outcome {
        Outcome::Response(text) => UrlReply::of(&text).map_err(failure),
        Outcome::Error(error) => Err(failure(format!("the cookie issuer failed: {error}"))),
    };
    let wrong = answer(ask(sign_in("not the passcode")).await)?;
    println!(
        "  POST /auth/ with a wrong passcode: HTTP {} {}",
        wrong.status, wrong.body
    );
    let passcode = stack.parameters.get("ViewerPasscode").cloned().unwrap_or_default();
    let right = answer(ask(sign_in(&passcode)).await)?;
    if right.status != 200 {
        return Err(failure(format!(
            "the passcode was refused: HTTP {} {}",
            right.status, right.body
        )));
    }
    let names: Vec<&str> = right.cookies.iter().filter_map(|c| c.split('=').next()).collect();
    println!(
        "  POST /auth/ with ViewerPasscode (****): HTTP 200, cookies {}",
        names.join(", ")
    );
    match keys.admits(Some(&right.cookie_header()), &stream, now()) {
        Ok(()) => println!(
            "  with them CloudFront serves {stream} (signature checked with key {:?})",
            keys.ids()
        ),
        Err(refused) => {
            return Err(failure(format!(
                "the issuer's cookies do not open {stream}: {refused:?}"
            )));
        }
    }
    issuer.process.stop().await;
    Ok(())
}

/// The encoding profile after the current one, among the allowed values.
fn next_profile(stack: &Stack) -> Option<(String, String)> {
    let current = stack.parameters.get("EncodingProfile")?;
    let allowed: Vec<&str> = stack.template.parameters["EncodingProfile"]["AllowedValues"]
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let at = allowed.iter().position(|v| v == current)?;
    Some(("EncodingProfile".into(), allowed[(at + 1) % allowed.len()].to_owned()))
}

/// The foundation and three events, as the module's header says.
async fn run_events(rig: &Rig, seen: &mut Seen) -> Result<(), Failure> {
    use testkit::live_events::{EVENT_TEMPLATE, FOUNDATION_TEMPLATE, listed_events, sample_events, stops_of, template};
    let failure = |logical_id: &str, reason: String| Failure {
        logical_id: logical_id.to_owned(),
        reason,
    };
    let foundation_template = template(FOUNDATION_TEMPLATE).map_err(|err| failure("Template", err))?;
    let event_template = template(EVENT_TEMPLATE).map_err(|err| failure("Template", err))?;
    let code: Vec<(String, String)> = LOCAL_DEFAULTS
        .iter()
        .filter(|(name, _)| foundation_template.parameters.contains_key(*name))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut foundation_player = rig.player("live-foundation").echo(true);
    println!(
        "{FOUNDATION_TEMPLATE}: {} resources, once per Region",
        foundation_template.resources.len()
    );
    let foundation = foundation_player.create(foundation_template, &code).await?;
    // The foundation's names as ${Foundation…}; its parameters are the
    // configuration the needs were found with.
    seen.placeholders.extend(
        placeholders_of(&foundation, &foundation_player.stack_id)
            .into_iter()
            .map(|(text, placeholder)| (text, foundation_placeholder(&placeholder))),
    );
    seen.parameters = foundation
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    print_outputs(&foundation_player, &foundation)?;
    let bucket = foundation.physical_id("DemoBucket").unwrap_or_default().to_owned();

    let events = sample_events(&foundation.name);
    println!(
        "\n{EVENT_TEMPLATE}: three events created at once, each its own stack: {}",
        events
            .iter()
            .map(|(name, parameters)| {
                let shown: Vec<String> = parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("\n  {name}: {}", shown.join(" "))
            })
            .collect::<String>()
    );
    let mut players = Vec::new();
    for (name, _) in &events {
        players.push(rig.event_player(name, &foundation).await.echo(true).labelled());
    }
    let [keynote, workshop, panel] = &mut players[..] else {
        return Err(failure("Events", "three sample events expected".into()));
    };
    let (a, b, c) = tokio::join!(
        keynote.create(event_template.clone(), &events[0].1),
        workshop.create(event_template.clone(), &events[1].1),
        panel.create(event_template.clone(), &events[2].1),
    );
    let created = match (a, b, c) {
        (Ok(a), Ok(b), Ok(c)) => [a, b, c],
        (a, b, c) => {
            // Whatever was made goes, as it would by hand.
            for (player, stack) in [(&mut *keynote, a), (&mut *workshop, b), (&mut *panel, c)] {
                if let Ok(stack) = stack {
                    player.delete(stack).await;
                }
            }
            foundation_player.delete(foundation).await;
            return Err(failure("Events", "an event's create failed (above)".into()));
        }
    };
    for (player, stack) in [&*keynote, &*workshop, &*panel].into_iter().zip(&created) {
        print_outputs(player, stack)?;
        // Each event's names as a stack's own (the same logical ids).
        seen.placeholders.extend(
            placeholders_of(stack, &player.stack_id)
                .into_iter()
                .filter(|(_, placeholder)| placeholder != "${Foundation}"),
        );
    }
    let listed = listed_events(rig, &bucket)
        .await
        .map_err(|err| failure("DemoPlayer", err))?;
    println!("\nthe foundation's player lists: {listed:?}");
    for event in &created {
        show_the_guard(rig, &foundation, event).await?;
    }
    let mut checked = vec![&foundation];
    checked.extend(created.iter());
    show_the_check(rig, &checked).await?;

    let channels: Vec<String> = created
        .iter()
        .map(|stack| stack.physical_id("MediaLiveChannel").unwrap_or_default().to_owned())
        .collect();
    let [keynote_stack, workshop_stack, panel_stack] = created;
    println!("\ndeleting {} while the others run", workshop_stack.name);
    if let Some(failed) = workshop.delete(workshop_stack).await.into_iter().next() {
        return Err(failed);
    }
    for (channel, name) in [(&channels[0], "keynote"), (&channels[2], "panel")] {
        let stops = stops_of(rig, channel);
        println!("  {name}'s channel {channel}: stopped {stops} time(s)");
        if stops != 0 {
            return Err(failure("MediaLiveChannel", format!("{name}'s channel was stopped")));
        }
    }
    let listed = listed_events(rig, &bucket)
        .await
        .map_err(|err| failure("DemoPlayer", err))?;
    println!("  the foundation's player lists: {listed:?}");

    println!("\ndeleting the foundation while two events import its exports (refused, as CloudFormation refuses it):");
    let refused = foundation_player.delete(foundation.clone()).await;
    if refused.is_empty() {
        return Err(failure("Outputs", "the foundation was deleted under its events".into()));
    }

    println!("\ndeleting the other events at once (each delete records its run first), then the foundation");
    let (a, b) = tokio::join!(keynote.delete(keynote_stack), panel.delete(panel_stack));
    if let Some(failed) = a.into_iter().chain(b).next() {
        return Err(failed);
    }
    show_the_recordings(rig, recordings_of(&foundation)).await?;
    match foundation_player.delete(foundation).await.into_iter().next() {
        Some(failed) => Err(failed),
        None => Ok(()),
    }
}
