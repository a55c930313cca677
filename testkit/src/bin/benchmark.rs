//! The figures `deployment/run-benchmark.sh` prints: start-up time and
//! memory of the handler next to two floors (a Lambda runtime that does
//! nothing, and one that only builds the same AWS clients and logging),
//! then, over the same full-stack lifecycle against the same emulator,
//! peak memory, CPU per event, AWS calls and wall time. Medians of
//! `--runs` runs.
//!
//! usage: benchmark --handler BIN --bare BIN --clients BIN [--runs N] [--zip FILE]

// Test support: a broken test rig panics, naming what broke.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use testkit::lambda::LambdaProcess;
use testkit::runtime_api::RuntimeApi;
use testkit::stack::{Rig, Template};

const PARAMETERS: &[(&str, &str)] = &[
    ("ChannelStart", "Yes"),
    ("CodeBucketPrefix", "local-code"),
    ("CodeKey", "livestream-resources/local/livestream-resources.zip"),
    ("DemoSourceKey", "livestream-resources/local/demo-source.mp4"),
];
const INIT_LIMIT: Duration = Duration::from_secs(30);

struct Args {
    handler: PathBuf,
    bare: PathBuf,
    clients: PathBuf,
    runs: usize,
    zip: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut handler, mut bare, mut clients, mut runs, mut zip) = (None, None, None, 5, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--handler" => handler = Some(PathBuf::from(value()?)),
            "--bare" => bare = Some(PathBuf::from(value()?)),
            "--clients" => clients = Some(PathBuf::from(value()?)),
            "--runs" => runs = value()?.parse().map_err(|_| "--runs needs a number")?,
            "--zip" => zip = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        handler: handler.ok_or("--handler is required")?,
        bare: bare.ok_or("--bare is required")?,
        clients: clients.ok_or("--clients is required")?,
        runs: runs.max(1),
        zip,
    })
}

/// A field of `/proc/<pid>/status` in kB.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of `pid`, summed over its threads, to the nanosecond (the
/// first field of each thread's `schedstat`; `/proc/<pid>/stat` counts in
/// 10 ms ticks, too coarse for a few milliseconds per event). Threads that
/// already ended are not counted; the runtime's keep theirs for 10 s.
fn cpu_time(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += schedstat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or_default();
    }
    Some(Duration::from_nanos(total))
}

fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    values[values.len() / 2]
}

/// Start-up to the first poll for an invocation, and memory then.
async fn init(binary: &Path) -> (Duration, u64) {
    let api = RuntimeApi::start().await;
    let started = Instant::now();
    let process = LambdaProcess::spawn(
        binary,
        &api.address(),
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_owned())],
    );
    let ready = api.first_poll(INIT_LIMIT).await;
    let rss = process
        .pid()
        .and_then(|pid| status_kb(pid, "VmRSS:"))
        .unwrap_or_default();
    process.stop().await;
    (ready.duration_since(started), rss)
}

struct Lifecycle {
    wall: Duration,
    events: usize,
    cpu: Duration,
    peak_kb: u64,
    /// Resident at the end, by kind: anonymous (heap, stacks) and
    /// file-backed (the binary's pages that were touched).
    anon_kb: u64,
    file_kb: u64,
    threads: u64,
    calls: BTreeMap<String, usize>,
}

async fn lifecycle(handler: &Path, template: &Template, run: usize) -> Result<Lifecycle, String> {
    let rig = Rig::start(handler).await;
    let pid = rig.lambda.pid().ok_or("the handler is not running")?;
    rig.api.first_poll(INIT_LIMIT).await;
    let cpu_before = cpu_time(pid).unwrap_or_default();
    let mut player = rig.player(&format!("bench-{run}"));
    let parameters: Vec<(String, String)> = PARAMETERS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let started = Instant::now();
    let stack = player
        .create(template.clone(), &parameters)
        .await
        .map_err(|failure| failure.to_string())?;
    let update = [("EncodingProfile".to_owned(), "HD-1080p".to_owned())];
    let stack = player
        .update(stack, template.clone(), &update)
        .await
        .map_err(|(_, failure)| failure.to_string())?;
    let failures = player.delete(stack).await;
    let wall = started.elapsed();
    if let Some(failure) = failures.first() {
        return Err(failure.to_string());
    }
    let cpu = cpu_time(pid).unwrap_or_default().saturating_sub(cpu_before);
    let peak_kb = status_kb(pid, "VmHWM:").unwrap_or_default();
    let anon_kb = status_kb(pid, "RssAnon:").unwrap_or_default();
    let file_kb = status_kb(pid, "RssFile:").unwrap_or_default();
    let threads = status_kb(pid, "Threads:").unwrap_or_default();
    let events = player
        .transcript()
        .iter()
        .filter(|line| line.contains(" Custom::"))
        .count();
    let mut calls = BTreeMap::new();
    for call in rig.aws.calls() {
        // The path without ids: one line per operation.
        let shape: Vec<&str> = call
            .path
            .split('/')
            .map(|part| {
                if part.chars().any(|c| c.is_ascii_digit()) {
                    "{id}"
                } else {
                    part
                }
            })
            .collect();
        let name = match call.service.as_str() {
            "ssm" | "secretsmanager" => format!("{} {}", call.service, call.method),
            _ => format!("{} {} {}", call.service, call.method, shape.join("/")),
        };
        *calls.entry(name).or_insert(0) += 1;
    }
    if !rig.leftovers().await?.is_empty() {
        return Err("the lifecycle left resources behind".to_owned());
    }
    Ok(Lifecycle {
        wall,
        events,
        cpu,
        peak_kb,
        anon_kb,
        file_kb,
        threads,
        calls,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("benchmark: {message}");
            eprintln!("usage: benchmark --handler BIN --bare BIN --clients BIN [--runs N] [--zip FILE]");
            return ExitCode::from(2);
        }
    };
    let template_path = testkit::workspace_root().join("template.yaml");
    let template = match std::fs::read_to_string(&template_path)
        .map_err(|err| err.to_string())
        .and_then(|text| Template::parse(&text))
    {
        Ok(template) => template,
        Err(err) => {
            eprintln!("benchmark: {}: {err}", template_path.display());
            return ExitCode::FAILURE;
        }
    };

    println!(
        "start-up to the first poll for an invocation, median of {} runs:",
        args.runs
    );
    let mut floors = Vec::new();
    for (label, binary) in [
        ("bare lambda_runtime", &args.bare),
        ("clients + logging only", &args.clients),
        ("the handler", &args.handler),
    ] {
        let mut times = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..args.runs {
            let (time, kb) = init(binary).await;
            times.push(time);
            rss.push(kb);
        }
        let (time, kb) = (median(times), median(rss));
        floors.push(time);
        println!(
            "  {label:<24} {:>7.1} ms   {:>6.1} MB resident",
            time.as_secs_f64() * 1000.0,
            kb as f64 / 1024.0
        );
    }
    let (clients_floor, handler_init) = (floors[1], floors[2]);
    println!(
        "  the handler's init is {:+.0} % against the clients-only floor",
        (handler_init.as_secs_f64() / clients_floor.as_secs_f64() - 1.0) * 100.0
    );

    println!(
        "\nfull-stack lifecycle (create, EncodingProfile update, delete) against the emulator, median of {} runs:",
        args.runs
    );
    let mut runs = Vec::new();
    for run in 0..args.runs {
        match lifecycle(&args.handler, &template, run).await {
            Ok(lifecycle) => runs.push(lifecycle),
            Err(err) => {
                eprintln!("benchmark: run {run} failed: {err}");
                return ExitCode::FAILURE;
            }
        }
    }
    let events = runs[0].events;
    let per_event = |l: &Lifecycle| l.cpu.as_secs_f64() * 1000.0 / l.events.max(1) as f64;
    println!("  events handled           {events}");
    println!(
        "  wall time                {:>7.2} s",
        median(runs.iter().map(|l| l.wall.as_secs_f64()).collect())
    );
    println!(
        "  handler CPU per event    {:>7.2} ms (polls included)",
        median(runs.iter().map(per_event).collect())
    );
    println!(
        "  peak resident memory     {:>7.1} MB",
        median(runs.iter().map(|l| l.peak_kb).collect()) as f64 / 1024.0
    );
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "  resident at the end      {:>7.1} MB anonymous (heap, stacks), {:.1} MB of the binary, {} threads",
        mb(median(runs.iter().map(|l| l.anon_kb).collect())),
        mb(median(runs.iter().map(|l| l.file_kb).collect())),
        median(runs.iter().map(|l| l.threads).collect())
    );
    let calls = &runs[0].calls;
    println!("  AWS calls                {}", calls.values().sum::<usize>());
    for (call, count) in calls {
        println!("    {count:>3}  {call}");
    }
    if let Some(zip) = &args.zip {
        match std::fs::metadata(zip) {
            Ok(meta) => println!(
                "\narm64 Lambda package     {:>7.2} MB ({})",
                meta.len() as f64 / 1_048_576.0,
                zip.display()
            ),
            Err(err) => println!("\narm64 Lambda package: {}: {err}", zip.display()),
        }
    }
    ExitCode::SUCCESS
}
