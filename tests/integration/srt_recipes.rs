//! The README's SRT recipes, run as written. Each ffmpeg command is read
//! from the README (after its `<!-- recipe: … -->` marker), its
//! placeholders filled in for loopback, and run against an ffmpeg SRT
//! receiver standing in for MediaLive, which must decode the test pattern;
//! with another passphrase it must decode nothing.
//!
//! Needs ffmpeg with SRT (Debian's has it): `./deployment/bootstrap.sh
//! --test-tools` installs it.

use std::net::UdpSocket;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::time::Instant;

const PASSPHRASE: &str = "loopback-passphrase-1234";
const WRONG: &str = "not-the-passphrase-5678";
const STREAM_ID: &str = "studio-a";
/// Frames the receiver must decode.
const FRAMES: &str = "30";
/// How long a side may take to connect and decode, or to give up.
const BOUND: Duration = Duration::from_secs(30);
/// How long a receiver with the wrong passphrase listens before giving up
/// (ffmpeg's `listen_timeout`, microseconds).
const GIVE_UP_US: &str = "4000000";

/// The ffmpeg command after `marker` in the README, as its arguments.
fn recipe(marker: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let after = readme
        .split_once(&format!("<!-- recipe: {marker}"))
        .unwrap_or_else(|| panic!("the README has no recipe {marker}"))
        .1;
    let block = after.split_once("```sh").unwrap().1.split_once("```").unwrap().0;
    let command = block
        .lines()
        .map(|line| line.trim().trim_end_matches('\\').trim())
        .collect::<Vec<_>>()
        .join(" ");
    // Words, with "double-quoted" ones kept whole.
    let mut words = Vec::new();
    let mut rest = command.trim();
    while !rest.is_empty() {
        let (word, after) = match rest.strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').unwrap(),
            None => rest.split_once(' ').unwrap_or((rest, "")),
        };
        words.push(word.to_owned());
        rest = after.trim_start();
    }
    assert_eq!(words.first().map(String::as_str), Some("ffmpeg"), "{marker}: {command}");
    words.remove(0);
    words
}

fn fill(args: &[String], pairs: &[(&str, &str)]) -> Vec<String> {
    args.iter()
        .map(|arg| {
            pairs
                .iter()
                .fold(arg.clone(), |arg, (placeholder, value)| arg.replace(placeholder, value))
        })
        .collect()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether something has bound UDP `port` (SRT's listener), from
/// /proc/net/udp.
fn bound(port: u16) -> bool {
    let hex = format!(":{port:04X} ");
    ["/proc/net/udp", "/proc/net/udp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .any(|table| {
            table.lines().skip(1).any(|line| {
                line.split_whitespace()
                    .nth(1)
                    .is_some_and(|local| format!("{local} ").ends_with(&hex))
            })
        })
}

async fn until_bound(port: u16) {
    let give_up = Instant::now() + BOUND;
    let mut look = tokio::time::interval(Duration::from_millis(50));
    while !bound(port) {
        assert!(
            Instant::now() < give_up,
            "nothing listened on UDP {port} within {BOUND:?}"
        );
        look.tick().await;
    }
}

fn ffmpeg(args: &[String]) -> Child {
    Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "info"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg is installed (./deployment/bootstrap.sh --test-tools)")
}

/// A receiver decoding `FRAMES` video frames from `url` to nowhere.
fn receiver(url: &str) -> Child {
    ffmpeg(&[
        "-i".to_owned(),
        url.to_owned(),
        "-frames:v".to_owned(),
        FRAMES.to_owned(),
        "-f".to_owned(),
        "null".to_owned(),
        "-".to_owned(),
    ])
}

/// Whether the receiver ended on its own, having decoded every frame, and
/// what it printed.
async fn decoded(child: Child) -> (bool, String) {
    let output = tokio::time::timeout(BOUND, child.wait_with_output())
        .await
        .expect("the receiver ended within its bound")
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    let frames = log
        .rsplit("frame=")
        .next()
        .and_then(|tail| tail.split_whitespace().next())
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    (output.status.success() && frames >= FRAMES.parse().unwrap(), log)
}

fn require_srt() {
    let protocols = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-protocols"])
        .output()
        .unwrap_or_else(|_| panic!("ffmpeg is not installed: run ./deployment/bootstrap.sh --test-tools"));
    assert!(
        String::from_utf8_lossy(&protocols.stdout)
            .lines()
            .any(|l| l.trim() == "srt"),
        "this ffmpeg has no SRT: install Debian's (./deployment/bootstrap.sh --test-tools)"
    );
}

/// `SRT_LISTENER`: the encoder calls. The README's sender against a
/// listening receiver with the stack's passphrase, then with another.
#[tokio::test(flavor = "multi_thread")]
async fn the_listener_inputs_recipe_is_decoded_with_its_passphrase_and_refused_without() {
    require_srt();
    let sender = recipe("srt-listener-input");
    assert!(
        sender
            .iter()
            .any(|a| a.contains("mode=caller") && a.contains("pbkeylen=32")),
        "{sender:?}"
    );
    for (passphrase, expected) in [(PASSPHRASE, true), (WRONG, false)] {
        let port = free_udp_port();
        let listening = format!(
            "srt://127.0.0.1:{port}?mode=listener&passphrase={passphrase}&pbkeylen=32&listen_timeout={GIVE_UP_US}"
        );
        let receiving = receiver(&listening);
        until_bound(port).await;
        let _sending = ffmpeg(&fill(
            &sender,
            &[
                ("<ip>", "127.0.0.1"),
                ("<port>", &port.to_string()),
                ("<stream id>", STREAM_ID),
                ("<passphrase>", PASSPHRASE),
            ],
        ));
        let (ok, log) = decoded(receiving).await;
        assert_eq!(ok, expected, "receiver with passphrase {passphrase:?}:\n{log}");
    }
}

/// `SRT_CALLER`: MediaLive calls. The README's listening sender, called
/// by a receiver with the passphrase, then with another.
#[tokio::test(flavor = "multi_thread")]
async fn the_caller_inputs_recipe_is_decoded_with_its_passphrase_and_refused_without() {
    require_srt();
    let sender = recipe("srt-caller-input");
    for (passphrase, expected) in [(PASSPHRASE, true), (WRONG, false)] {
        let port = free_udp_port();
        let _sending = ffmpeg(&fill(
            &sender,
            &[
                ("0.0.0.0:9000", &format!("127.0.0.1:{port}")),
                ("<passphrase>", PASSPHRASE),
            ],
        ));
        until_bound(port).await;
        let calling = format!("srt://127.0.0.1:{port}?mode=caller&streamid=cam-1&passphrase={passphrase}&pbkeylen=32");
        let (ok, log) = decoded(receiver(&calling)).await;
        assert_eq!(ok, expected, "caller with passphrase {passphrase:?}:\n{log}");
    }
}
