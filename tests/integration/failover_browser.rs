//! Failover with real video: two ffmpeg sources (a red one, the primary,
//! and a blue one, the backup) send MPEG-TS over UDP to a local switcher,
//! which forwards the primary's packets and cuts over to the backup's once
//! the primary has been silent for the channel's `InputLossThresholdMsec`,
//! read from the channel the stack made in the faithful layer
//! (`FailoverInput=Yes`, `FailoverAfterMs=1000`), as MediaLive would; a
//! third ffmpeg, standing in for the channel, encodes what it gets to live
//! HLS behind the browser test's loopback origin. Headless Chromium plays
//! the demo player; the test stops the primary source while it plays, and
//! the player keeps playing, now blue, with no error shown.
//!
//! What this proves: the failover settings the stack writes are the ones
//! the switch follows, and the player and the origin ride through a cut
//! from one source to another (a timestamp jump, new continuity counters)
//! without an error. What only a real channel can: MediaLive's own switch
//! (its timing, its handling of the standby input's buffers).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::json;
use testkit::http::{Handler, Recorded, reply};
use testkit::stack::{Rig, Template};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::player_browser::{Running, chromium, drive, origin, require_tools, run, segments, until};

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");

/// A page playing the switched stream, as the stack would write it.
const TEMPLATE: &str = r#"
Parameters:
  HlsUrl: { Type: String }
Resources:
  Handler:
    Type: AWS::Lambda::Function
    Properties: { Timeout: 60 }
  DemoBucket:
    Type: AWS::S3::Bucket
  Player:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: player/
      HlsUrl: !Ref HlsUrl
"#;

/// A test source of one colour, sent as MPEG-TS to `port` in real time.
fn source(colour: &str, port: u16) -> Running {
    #[rustfmt::skip]
    let child = Command::new("ffmpeg")
        .args([
            "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", &format!("color=c={colour}:s=320x180:r=25"),
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-g", "25", "-x264-params", "repeat-headers=1",
            "-c:a", "aac", "-b:a", "64k",
            "-f", "mpegts", &format!("udp://127.0.0.1:{port}?pkt_size=1316"),
        ])
        .stdin(Stdio::null())
        .spawn()
        .expect("starting ffmpeg");
    Running(child)
}

/// The channel's stand-in: what arrives on `port`, encoded to live HLS in `dir`
/// (timestamps from the clock, as an encoder fed by a switch must).
fn channel(port: u16, dir: &Path) -> Running {
    #[rustfmt::skip]
    let child = Command::new("ffmpeg")
        .args([
            "-hide_banner", "-loglevel", "error",
            "-use_wallclock_as_timestamps", "1", "-fflags", "+genpts+discardcorrupt",
            "-i", &format!("udp://127.0.0.1:{port}?fifo_size=1000000&overrun_nonfatal=1"),
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-r", "25", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-b:v", "400k",
            "-c:a", "aac", "-b:a", "64k", "-ar", "48000",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
            "-hls_flags", "delete_segments+independent_segments",
            "-master_pl_name", "master.m3u8", "-var_stream_map", "v:0,a:0", "stream_%v.m3u8",
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .spawn()
        .expect("starting ffmpeg");
    Running(child)
}

/// Forwards the primary's packets to `to`; once none has come for `after`,
/// the backup's (MediaLive's input-loss failover, primary preferred: back
/// to the primary when it sends again is not needed here). Returns when
/// the first packet from the backup was forwarded, through `switched`.
async fn switch(
    primary: UdpSocket,
    backup: UdpSocket,
    to: SocketAddr,
    after: Duration,
    switched: Arc<OnceLock<Instant>>,
) {
    let out = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (mut from_primary, mut from_backup) = (vec![0u8; 2048], vec![0u8; 2048]);
    let mut last_primary = Instant::now();
    loop {
        tokio::select! {
            Ok(n) = primary.recv(&mut from_primary) => {
                last_primary = Instant::now();
                let _ = out.send_to(&from_primary[..n], to).await;
            }
            Ok(n) = backup.recv(&mut from_backup) => {
                if last_primary.elapsed() >= after {
                    let _ = switched.set(Instant::now());
                    let _ = out.send_to(&from_backup[..n], to).await;
                }
            }
        }
    }
}

/// The origin, plus `POST /control/stop-primary`, which stops the primary source.
fn with_control(inner: Handler, primary: Arc<Mutex<Option<Running>>>) -> Handler {
    Arc::new(move |request: Recorded| {
        let inner = Arc::clone(&inner);
        let primary = Arc::clone(&primary);
        Box::pin(async move {
            if request.target == "/control/stop-primary" {
                drop(primary.lock().unwrap().take());
                return reply(204, "");
            }
            inner(request).await
        })
    })
}

fn stack_template() -> Template {
    crate::stack::template()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_player_keeps_playing_the_backup_when_the_primary_encoder_stops() {
    require_tools();
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("failover-browser");
    let live = work.join(format!("live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&live);
    let hls = live.join("failover");
    std::fs::create_dir_all(&hls).unwrap();

    // The channel's failover settings, as the stack makes them.
    let rig = Rig::start(Path::new(BINARY)).await;
    let mut paired = rig.player("failover-browser");
    let stack = paired
        .create(
            stack_template(),
            &crate::stack::parameters(&[
                ("InputType", "RTMP_PUSH"),
                ("InputCIDR", "203.0.113.0/24"),
                ("FailoverInput", "Yes"),
                ("FailoverAfterMs", "1000"),
            ]),
        )
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let medialive = aws_sdk_medialive::Client::new(&rig.sdk_config().await);
    let described = medialive
        .describe_channel()
        .channel_id(stack.physical_id("MediaLiveChannel").unwrap())
        .send()
        .await
        .unwrap();
    let settings = described.input_attachments()[0]
        .automatic_input_failover_settings()
        .unwrap();
    let threshold = settings.failover_conditions()[0]
        .failover_condition_settings()
        .and_then(|c| c.input_loss_settings())
        .and_then(|l| l.input_loss_threshold_msec())
        .unwrap();
    assert_eq!(threshold, 1000);

    // Sources, switch and channel.
    let (primary_in, backup_in) = (
        UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        UdpSocket::bind("127.0.0.1:0").await.unwrap(),
    );
    let (primary_port, backup_port) = (
        primary_in.local_addr().unwrap().port(),
        backup_in.local_addr().unwrap().port(),
    );
    let channel_port = testkit::free_port();
    let _channel = channel(channel_port, &hls);
    let switched = Arc::new(OnceLock::new());
    let switcher = tokio::spawn(switch(
        primary_in,
        backup_in,
        SocketAddr::from(([127, 0, 0, 1], channel_port)),
        Duration::from_millis(u64::try_from(threshold).unwrap()),
        Arc::clone(&switched),
    ));
    let primary = Arc::new(Mutex::new(Some(source("red", primary_port))));
    let _backup = source("blue", backup_port);

    // The page, from the bucket, and the stream beside it.
    let bucket = Arc::new(OnceLock::new());
    let s3 = rig.s3().await;
    let server = testkit::http::serve(with_control(
        origin(live.clone(), s3, Arc::clone(&bucket)),
        Arc::clone(&primary),
    ))
    .await;
    let base = format!("http://{server}");
    let mut player = rig.player("failover-page");
    let page = player
        .create(
            Template::parse(TEMPLATE).unwrap(),
            &[("HlsUrl".into(), format!("{base}/live/failover/master.m3u8"))],
        )
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    bucket.set(page.physical_id("DemoBucket").unwrap().to_owned()).unwrap();
    until("the switched stream", || segments(&hls, "ts") >= 4).await;

    let shots = work.join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut watched = run("failover", format!("{base}/player/index.html"), None, false, &shots);
    watched["failover"] = json!(format!("{base}/control/stop-primary"));
    let plan = json!({"chromium": chromium(), "runs": [watched]});
    let reports = drive(&plan, Duration::from_secs(180)).await;
    let seen = &reports[0];
    let summary = serde_json::to_string_pretty(seen).unwrap();
    assert!(seen["failure"].is_null(), "{summary}");
    assert!(switched.get().is_some(), "the switch never cut over: {summary}");
    let colour = |key: &str| -> Vec<i64> {
        seen[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    let (before, after) = (colour("colourBefore"), colour("colourAfter"));
    assert!(before[0] > 150 && before[2] < 100, "red before the cut: {before:?}");
    assert!(after[2] > 150 && after[0] < 100, "blue after it: {after:?}");
    assert_ne!(seen["messageTone"], "error", "{summary}");
    assert!(seen["consoleErrors"].as_array().unwrap().is_empty(), "{summary}");
    println!(
        "failover: {before:?} before, {after:?} after; screenshot {}",
        shots.join("failover.png").display()
    );

    switcher.abort();
    for (mut stack_player, made) in [(player, page), (paired, stack)] {
        let failures = stack_player.delete(made).await;
        assert!(failures.is_empty(), "{failures:?}");
    }
    assert_eq!(rig.leftovers().await.unwrap(), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&live);
}
