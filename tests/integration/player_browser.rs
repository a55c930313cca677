//! The demo player in a real browser. ffmpeg encodes a short clip once (two
//! renditions) and packages it, looped, as live HLS (MPEG-TS), CMAF (HLS
//! of fragmented MP4), DASH and Smooth Streaming streams on loopback; the CMAF stream is also served where and
//! as MediaPackage v2 serves it (`/out/v1/<group>/<channel>/<endpoint>/`),
//! and as low-latency HLS (ffmpeg writes no partial segments: the origin
//! lists each one-second segment as one independent part, with the
//! server-control and part tags, and the player must ask for it in
//! low-latency mode, with `_HLS_msn`); the real handler binary
//! writes the player into an emulated S3 bucket from a small template (as
//! the stack does); a loopback server serves those objects as written and
//! the stream beside them (one origin, as CloudFront does); headless
//! Chromium, driven by playwright-core (player/test/drive.mjs), plays
//! them, and a foundation's page that lists two events plays the one
//! asked for. Screenshots go to `target/tmp/player-browser/`.
//!
//! Needs ffmpeg, Chromium and Node.js with the player's npm packages:
//! `./deployment/bootstrap.sh --test-tools` installs them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use testkit::edge::{content_type, served_file};
use testkit::events::now_secs as now;
use testkit::http::{Handler, Recorded, reply, typed_reply};
use testkit::stack::{Rig, Template};
use tokio::time::Instant;

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
/// Debian's package; `LIVESTREAM_CHROMIUM` names another.
const CHROMIUM: &str = "/usr/bin/chromium";
/// The stream's renditions: width, height, video bitrate.
const RENDITIONS: &[(u32, u32, &str)] = &[(640, 360, "800k"), (320, 180, "300k")];
/// For the stream to have a few segments, and for the browser to play.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// Players in one bucket, as the stack would write them: every format, HLS
/// alone, one whose stream is not there, one whose "playlist" is not one,
/// one whose stream is on another origin that does not allow this page
/// (no CORS headers); and a foundation's page listing two events (as event
/// stacks write them).
const TEMPLATE: &str = r#"
Parameters:
  HlsUrl: { Type: String }
  LowLatencyHlsUrl: { Type: String }
  DashUrl: { Type: String }
  CmafUrl: { Type: String }
  MssUrl: { Type: String }
  MissingUrl: { Type: String }
  NotAPlaylistUrl: { Type: String }
  ForeignUrl: { Type: String }
  RecordingsUrl: { Type: String }
  Passcode: { Type: String, NoEcho: true }
  ProtectedHlsUrl: { Type: String }
  ProtectedLowLatencyHlsUrl: { Type: String }
  ProtectedDashUrl: { Type: String }
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
      LowLatencyHlsUrl: !Ref LowLatencyHlsUrl
      DashUrl: !Ref DashUrl
      CmafUrl: !Ref CmafUrl
      MssUrl: !Ref MssUrl
      RecordingsUrl: !Ref RecordingsUrl
      RecordingsOf: browser
  HlsOnly:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: one/
      HlsUrl: !Ref HlsUrl
  NoStream:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: broken/
      HlsUrl: !Ref MissingUrl
  NotAPlaylist:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: garbled/
      HlsUrl: !Ref NotAPlaylistUrl
  Foreign:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: foreign/
      HlsUrl: !Ref ForeignUrl
  EventsPage:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: site/
      EventsFolder: events/
  TrackOne:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: site/events/track-one/
      Event: Track one
      HlsUrl: !Ref MissingUrl
  TrackTwo:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: site/events/track-two/
      Event: Track two
      CmafUrl: !Ref CmafUrl
  # Protected playback as template.yaml makes it: the key pair, its public
  # key, the passcode, the cookie issuer, and a page whose streams need
  # the cookies (served under /p/ by the origin below).
  ViewerKey:
    Type: Custom::PlaybackKey
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      KeyRotation: A
  ViewerKeyA:
    Type: AWS::CloudFront::PublicKey
    Properties:
      PublicKeyConfig: { Name: browser-viewers-a, CallerReference: browser-viewers-a, EncodedKey: !GetAtt ViewerKey.KeyA }
  ViewerPasscode:
    Type: AWS::SecretsManager::Secret
    Properties: { SecretString: !Ref Passcode }
  Issuer:
    Type: AWS::Lambda::Function
    Properties:
      Environment:
        Variables:
          LIVESTREAM_VIEWER_KEY_SECRET_ARN: !GetAtt ViewerKey.SecretArn
          LIVESTREAM_VIEWER_KEY_PAIR_ID: !Ref ViewerKeyA
          LIVESTREAM_VIEWER_PASSCODE_SECRET_ARN: !Ref ViewerPasscode
          LIVESTREAM_VIEWER_SESSION_HOURS: "4"
  Protected:
    Type: Custom::DemoPlayer
    Properties:
      ServiceToken: !GetAtt Handler.Arn
      Bucket: !Ref DemoBucket
      Prefix: protected/
      PlaybackAccess: SignedCookies
      HlsUrl: !Ref ProtectedHlsUrl
      LowLatencyHlsUrl: !Ref ProtectedLowLatencyHlsUrl
      DashUrl: !Ref ProtectedDashUrl
"#;

/// What the test's passcode-protected page asks for.
const PASSCODE: &str = "front row 2026";

/// CloudFront in front of the origin, for protected playback: `/auth/` to
/// the cookie issuer as through a function URL with an origin access
/// control (a POST must carry the SHA-256 of its body in
/// `x-amz-content-sha256`, or the signature CloudFront makes does not
/// match), and `/p/…` served only with cookies that
/// [`testkit::cloudfront::TrustedKeys`] admits (then as `/…`). Known once
/// the stack is made.
struct Protection {
    keys: testkit::cloudfront::TrustedKeys,
    issuer: testkit::stack::Function,
}

fn sha256_hex(body: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn in_front(inner: Handler, protection: Arc<OnceLock<Protection>>) -> Handler {
    Arc::new(move |mut request: Recorded| {
        let inner = Arc::clone(&inner);
        let protection = Arc::clone(&protection);
        Box::pin(async move {
            let Some(protection) = protection.get() else {
                return inner(request).await;
            };
            if request.target.starts_with("/auth/") {
                let body = String::from_utf8_lossy(&request.body).into_owned();
                if request.method == reqwest::Method::POST
                    && request.header("x-amz-content-sha256") != Some(sha256_hex(&request.body).as_str())
                {
                    return reply(
                        403,
                        "The request signature we calculated does not match the signature you provided.",
                    );
                }
                let event = testkit::cloudfront::function_url_event(
                    request.method.as_str(),
                    &request.target,
                    &[
                        ("content-type", request.header("content-type").unwrap_or_default()),
                        ("cloudfront-viewer-address", "127.0.0.1:50000"),
                    ],
                    &body,
                );
                let outcome = protection
                    .issuer
                    .api
                    .invoke(event.to_string(), Duration::from_secs(30))
                    .await;
                let testkit::runtime_api::Outcome::Response(text) = outcome else {
                    return reply(502, "the cookie issuer failed");
                };
                let answer = testkit::cloudfront::UrlReply::of(&text).unwrap();
                let mut served = reply(answer.status, answer.body);
                for (name, value) in &answer.headers {
                    served.headers_mut().insert(
                        reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                        value.parse().unwrap(),
                    );
                }
                for cookie in &answer.cookies {
                    served
                        .headers_mut()
                        .append(reqwest::header::SET_COOKIE, cookie.parse().unwrap());
                }
                return served;
            }
            if let Some(rest) = request.target.strip_prefix("/p/") {
                let host = request.header("host").unwrap_or_default().to_owned();
                let url = format!("https://{host}{}", request.target.split('?').next().unwrap_or_default());
                if protection.keys.admits(request.header("cookie"), &url, now()).is_err() {
                    return reply(403, "Missing Key-Pair-Id query parameter or cookie value");
                }
                request.target = format!("/{rest}");
            }
            inner(request).await
        })
    })
}

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn chromium() -> String {
    std::env::var("LIVESTREAM_CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned())
}

/// Fails, saying what to install, when a tool is missing.
pub(crate) fn require_tools() {
    let install = "run ./deployment/bootstrap.sh --test-tools (installs Debian's ffmpeg and chromium, and the player's npm packages)";
    for (tool, version_flag) in [
        ("ffmpeg", "-version"),
        ("node", "--version"),
        (&chromium() as &str, "--version"),
    ] {
        let found = Command::new(tool)
            .arg(version_flag)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        assert!(found, "{tool} is not installed: {install}");
    }
    let driver = root().join("player/node_modules/playwright-core");
    assert!(driver.is_dir(), "{} is missing: {install}", driver.display());
}

/// A child process killed when the test ends, however it ends.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Ten seconds of ffmpeg's test pattern and tone, encoded once in every
/// rendition: H.264 with a keyframe each second (so one-second segments
/// start on one), and AAC.
#[rustfmt::skip]
const CLIP: &[&str] = &[
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=10",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=10",
    "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
    "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
    "-c:a", "aac", "-b:a", "64k",
];

/// Encodes the clip into `path`: both renditions, then the audio.
fn encode_clip(path: &Path) {
    let split: Vec<String> = (0..RENDITIONS.len()).map(|i| format!("[v{i}]")).collect();
    let mut filter = format!("[0:v]split={}{}", RENDITIONS.len(), split.join(""));
    for (i, (w, h, _)) in RENDITIONS.iter().enumerate() {
        filter.push_str(&format!(";[v{i}]scale={w}:{h}[s{i}]"));
    }
    let mut args: Vec<String> = CLIP.iter().map(|a| a.to_string()).collect();
    args.extend(["-filter_complex".to_owned(), filter]);
    for i in 0..RENDITIONS.len() {
        args.extend(["-map".to_owned(), format!("[s{i}]")]);
    }
    args.extend(["-map".to_owned(), "1:a".to_owned()]);
    for (i, (_, _, bitrate)) in RENDITIONS.iter().enumerate() {
        args.extend([format!("-b:v:{i}"), bitrate.to_string()]);
    }
    args.push(path.display().to_string());
    let status = Command::new("ffmpeg").args(&args).status().expect("starting ffmpeg");
    assert!(status.success(), "ffmpeg could not encode the test clip");
}

/// The clip played in a loop at its own pace and packaged live by
/// `format_args` into `dir`, copied, not encoded again: four packagers
/// cost next to no CPU, so the streams keep time on a loaded machine as
/// an encoder upstream of a packager does. With `audio_per_rendition`,
/// each rendition gets its own audio.
fn relay(clip: &Path, dir: &Path, format_args: &[&str], audio_per_rendition: bool) -> Running {
    #[rustfmt::skip]
    let mut args: Vec<String> = [
        "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.push(clip.display().to_string());
    for i in 0..RENDITIONS.len() {
        args.extend(["-map".to_owned(), format!("0:v:{i}")]);
    }
    let audio_streams = if audio_per_rendition { RENDITIONS.len() } else { 1 };
    for _ in 0..audio_streams {
        args.extend(["-map".to_owned(), "0:a".to_owned()]);
    }
    args.extend(["-c".to_owned(), "copy".to_owned()]);
    args.extend(format_args.iter().map(|a| a.to_string()));
    let child = Command::new("ffmpeg")
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("starting ffmpeg");
    Running(child)
}

/// The clip as a VOD in `dir`, as MediaPackage harvests one: a master
/// playlist `index.m3u8` over both renditions, CMAF segments.
fn package_vod(clip: &Path, dir: &Path) {
    #[rustfmt::skip]
    let mut args: Vec<String> = ["-hide_banner", "-loglevel", "error", "-i"].iter().map(|a| a.to_string()).collect();
    args.push(clip.display().to_string());
    for i in 0..RENDITIONS.len() {
        args.extend([
            "-map".to_owned(),
            format!("0:v:{i}"),
            "-map".to_owned(),
            "0:a".to_owned(),
        ]);
    }
    #[rustfmt::skip]
    args.extend([
        "-c", "copy", "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
        "-hls_flags", "independent_segments", "-master_pl_name", "index.m3u8",
        "-var_stream_map", "v:0,a:0 v:1,a:1", "-hls_segment_type", "fmp4",
        "-hls_fmp4_init_filename", "init_%v.mp4", "-hls_segment_filename", "part_%v_%03d.m4s",
        "media_%v.m3u8",
    ].map(String::from));
    let status = Command::new("ffmpeg")
        .args(&args)
        .current_dir(dir)
        .status()
        .expect("starting ffmpeg");
    assert!(status.success(), "ffmpeg could not package the VOD");
}

/// Puts the VOD in `vod` where a harvest of the run of channel `browser`
/// would, and lists it as the guard does (the library's own catalog).
async fn list_recording(s3: &aws_sdk_s3::Client, bucket: &str, vod: &Path) {
    use livestream_resources::recording::{Catalog, Job, Recording};
    let started = 1_795_000_000;
    let path = format!(
        "recordings/browser/{}/part-1",
        livestream_resources::recording::plan::stamp(started)
    );
    for entry in std::fs::read_dir(vod).unwrap().filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        s3.put_object()
            .bucket(bucket)
            .key(format!("{path}/{name}"))
            .content_type(content_type(&name))
            .body(std::fs::read(entry.path()).unwrap().into())
            .send()
            .await
            .unwrap();
    }
    let job = Job {
        name: format!("run-{started}-part-1"),
        channel: "browser".into(),
        status: aws_sdk_mediapackagev2::types::HarvestJobStatus::Completed,
        start: started,
        end: started + 10,
        bucket: bucket.into(),
        path,
        hls: vec!["index".into()],
        dash: vec![],
        error: None,
    };
    let catalog = Catalog {
        s3: s3.clone(),
        bucket: bucket.into(),
    };
    catalog.add(&Recording::of(&job)).await.unwrap();
}

/// A live HLS output: a master playlist over both renditions, each with its
/// own audio; `fmp4` makes fragmented-MP4 segments (CMAF, as MediaPackage's
/// CMAF endpoint serves) instead of MPEG-TS.
#[rustfmt::skip]
fn hls_output(fmp4: bool) -> Vec<&'static str> {
    let mut args = vec![
        "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
        "-hls_flags", "delete_segments+independent_segments",
        "-master_pl_name", "master.m3u8", "-var_stream_map", "v:0,a:0 v:1,a:1",
    ];
    if fmp4 {
        args.extend([
            "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init_%v.mp4",
            "-hls_segment_filename", "stream_%v_%03d.m4s",
        ]);
    }
    args.push("stream_%v.m3u8");
    args
}

pub(crate) fn segments(dir: &Path, extension: &str) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == extension))
                .count()
        })
        .unwrap_or(0)
}

/// Waits until `ready` holds, looking every 100 ms.
pub(crate) async fn until(what: &str, ready: impl Fn() -> bool) {
    let give_up = Instant::now() + READY_WITHIN;
    let mut look = tokio::time::interval(Duration::from_millis(100));
    while !ready() {
        assert!(Instant::now() < give_up, "{what} was not ready within {READY_WITHIN:?}");
        look.tick().await;
    }
}

/// One origin, as CloudFront gives the stack: `/live/…` from ffmpeg's
/// files, everything else from the bucket the handler wrote, with the
/// Content-Type stored on each object. The bucket is known once the stack
/// is made, after the URLs the players hold (this server's) had to be.
pub(crate) fn origin(live: PathBuf, s3: aws_sdk_s3::Client, bucket: Arc<OnceLock<String>>) -> Handler {
    Arc::new(move |request: Recorded| {
        let live = live.clone();
        let s3 = s3.clone();
        let bucket = bucket.get().cloned().unwrap_or_default();
        Box::pin(async move {
            let (path, query) = request.target.split_once('?').unwrap_or((&request.target, ""));
            let (path, query) = (path.to_owned(), query.to_owned());
            if path.contains("..") {
                return reply(400, "");
            }
            // MediaPackage v2's shape: the CMAF endpoint's HLS manifest, and
            // its low-latency one.
            if let Some(file) = path.strip_prefix(V2_CMAF) {
                let (file, low_latency) = match file {
                    "index.m3u8" => ("master.m3u8", false),
                    "low-latency.m3u8" => ("master.m3u8", true),
                    other => match other.strip_prefix("ll-") {
                        Some(variant) => (variant, true),
                        None => (other, false),
                    },
                };
                if low_latency && let Some(wanted) = blocking_reload(&query) {
                    let playlist = live.join("cmaf").join(file);
                    if !wait_for_segment(&playlist, wanted).await {
                        return reply(400, "_HLS_msn is more than two segments ahead");
                    }
                }
                return served_file(&live.join("cmaf"), file, low_latency).await;
            }
            if path == NOT_A_PLAYLIST {
                return typed_reply(200, content_type(&path), "<html>an error page, not a playlist</html>");
            }
            if let Some(file) = path.strip_prefix("/live/") {
                return served_file(&live, file, false).await;
            }
            let key = path.trim_start_matches('/');
            let Ok(object) = s3.get_object().bucket(&bucket).key(key).send().await else {
                return reply(404, "no such object");
            };
            let stored_type = object.content_type().unwrap_or_default().to_owned();
            let body = object.body.collect().await.map(|b| b.into_bytes()).unwrap_or_default();
            let mut served = typed_reply(200, &stored_type, body);
            // As the template's managed SecurityHeadersPolicy adds: the
            // browser then trusts the stored Content-Type, and nothing else.
            served
                .headers_mut()
                .insert("x-content-type-options", "nosniff".try_into().unwrap());
            served
        })
    })
}

/// The Media Sequence Number a blocking playlist reload asks for
/// (`_HLS_msn`, RFC 8216bis, 6.2.5.2).
fn blocking_reload(query: &str) -> Option<u64> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("_HLS_msn="))
        .and_then(|msn| msn.parse().ok())
}

/// The newest Media Sequence Number in a media playlist, and its target
/// duration in seconds.
fn newest_segment(playlist: &str) -> Option<(u64, u64)> {
    let tag = |name: &str| -> Option<u64> {
        playlist
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
    };
    let first = tag("#EXT-X-MEDIA-SEQUENCE:")?;
    let target = tag("#EXT-X-TARGETDURATION:")?;
    let count = playlist.lines().filter(|line| line.starts_with("#EXTINF:")).count() as u64;
    Some((first + count.checked_sub(1)?, target))
}

/// Holds a blocking reload as a low-latency origin does: until the
/// playlist holds segment `wanted` (each segment here is one part, so its
/// part 0 is the whole segment), for at most three target durations, the
/// longest a client waits; then the playlist is served as it stands.
/// False for a segment more than two ahead of the newest, which the
/// origin refuses at once (400). ffmpeg writes the playlist whole (a
/// rename), so each read is a complete playlist.
async fn wait_for_segment(playlist: &Path, wanted: u64) -> bool {
    let mut look = tokio::time::interval(Duration::from_millis(50));
    let mut give_up = None;
    loop {
        look.tick().await;
        let Ok(text) = tokio::fs::read_to_string(playlist).await else {
            return true;
        };
        let Some((newest, target)) = newest_segment(&text) else {
            return true;
        };
        if newest >= wanted {
            return true;
        }
        if wanted > newest + 2 {
            return false;
        }
        let give_up = *give_up.get_or_insert_with(|| Instant::now() + Duration::from_secs(3 * target.max(1)));
        if Instant::now() >= give_up {
            return true;
        }
    }
}

/// Answered 200 with a body that is no playlist, as a misconfigured origin
/// or a captive portal would.
const NOT_A_PLAYLIST: &str = "/live/not-a-playlist.m3u8";

/// Where the v2-shaped CMAF stream is served.
const V2_CMAF: &str = "/out/v1/live/live/cmaf/";

/// The bitrates the manifests declare: BANDWIDTH in the HLS master
/// playlist, the representations' bandwidth in the MPD, the quality
/// levels' Bitrate in the Smooth manifest.
fn declared_bitrates(live: &Path) -> Vec<u64> {
    let master = std::fs::read_to_string(live.join("hls/master.m3u8")).unwrap()
        + &std::fs::read_to_string(live.join("cmaf/master.m3u8")).unwrap();
    let mpd = std::fs::read_to_string(live.join("dash/manifest.mpd")).unwrap();
    let smooth = std::fs::read_to_string(live.join("mss/Manifest")).unwrap();
    let mut rates: Vec<u64> = master
        .split("BANDWIDTH=")
        .skip(1)
        .chain(mpd.split("bandwidth=\"").skip(1))
        .chain(smooth.split("Bitrate=\"").skip(1))
        .filter_map(|rest| rest.split([',', '"', '\n']).next()?.parse().ok())
        .collect();
    rates.sort_unstable();
    rates
}

/// What the stand-in CloudFront refuses, as CloudFront would: no cookie, a
/// passcode posted without its body's hash, an expired cookie, one signed
/// by a key the key group does not hold; and what it lets through.
async fn protected_origin_refuses(base: &str, rig: &Rig, stack: &testkit::stack::Stack) {
    let manifest = format!("{base}/p/live/hls/master.m3u8");
    let client = reqwest::Client::new();
    let get = |cookie: Option<String>| {
        let mut request = client.get(&manifest);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    assert_eq!(get(None).await.unwrap().status(), 403, "no cookie");
    let body = json!({ "passcode": PASSCODE }).to_string();
    let unsigned = client
        .post(format!("{base}/auth/"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        unsigned.status(),
        403,
        "a POST without x-amz-content-sha256 fails CloudFront's signature"
    );
    let signed_in = client
        .post(format!("{base}/auth/"))
        .header("content-type", "application/json")
        .header("x-amz-content-sha256", sha256_hex(body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    let jar: Vec<String> = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    assert_eq!(jar.len(), 4, "{jar:?}");
    assert_eq!(
        get(Some(jar.join("; "))).await.unwrap().status(),
        200,
        "the issuer's cookies open it"
    );

    // Cookies made here with the stack's own private key, expired; and
    // with a key the key group does not hold.
    let secrets = aws_sdk_secretsmanager::Client::new(&rig.sdk_config().await);
    let held = crate::cookies::held_by(&secrets, stack.physical_id("ViewerKey").unwrap()).await;
    let key_id = stack.physical_id("ViewerKeyA").unwrap();
    let header = |cookies: Vec<String>| {
        cookies
            .iter()
            .map(|c| c.split(';').next().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("; ")
    };
    use livestream_resources::cookies::{Signer, generate};
    let own = Signer::new(held["privateKey"].as_str().unwrap(), key_id).unwrap();
    let expired = own.cookies("https://*/*", now() - 1, "/").unwrap();
    assert_eq!(
        get(Some(header(expired))).await.unwrap().status(),
        403,
        "an expired cookie"
    );
    let fresh = own.cookies("https://*/*", now() + 600, "/").unwrap();
    assert_eq!(
        get(Some(header(fresh))).await.unwrap().status(),
        200,
        "the stack's key, in time"
    );
    let retired = generate().unwrap();
    let other = Signer::new(&retired.private_pem, key_id).unwrap();
    let forged = other.cookies("https://*/*", now() + 600, "/").unwrap();
    assert_eq!(
        get(Some(header(forged))).await.unwrap().status(),
        403,
        "a key the group does not hold"
    );
}

/// Runs `plan` in headless Chromium (player/test/drive.mjs) within
/// `limit`; what each run saw.
pub(crate) async fn drive(plan: &Value, limit: Duration) -> Vec<Value> {
    let driven = tokio::time::timeout(
        limit,
        tokio::process::Command::new("node")
            .arg(root().join("player/test/drive.mjs"))
            .arg(plan.to_string())
            .current_dir(root())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("the browser runs finished within {limit:?}"))
    .expect("running node");
    assert!(
        driven.status.success(),
        "drive.mjs failed: {}",
        String::from_utf8_lossy(&driven.stderr)
    );
    serde_json::from_slice(&driven.stdout).unwrap()
}

/// The runs that must end in a message saying why nothing plays.
const EXPECTED_ERRORS: &[&str] = &["no-stream", "not-a-playlist", "foreign-origin"];

pub(crate) fn run(name: &str, url: String, choose: Option<&str>, phone: bool, shots: &Path) -> Value {
    let viewport = if phone {
        json!({"width": 390, "height": 844})
    } else {
        json!({"width": 1280, "height": 800})
    };
    json!({
        "name": name,
        "url": url,
        "choose": choose,
        "expectError": EXPECTED_ERRORS.contains(&name),
        "recording": name == "recording",
        // The protected page asks; the first run tries a wrong passcode first.
        "passcodes": match name {
            "protected-hls" => json!(["not the passcode", PASSCODE]),
            _ if name.starts_with("protected-") => json!([PASSCODE]),
            _ => Value::Null,
        },
        "viewport": viewport,
        "screenshot": shots.join(format!("{name}.png")),
        "timeoutMs": READY_WITHIN.as_millis() as u64,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_player_plays_hls_cmaf_dash_and_smooth_in_chromium() {
    require_tools();
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("player-browser");
    let live = work.join(format!("live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&live);
    for dir in ["hls", "cmaf", "dash", "mss"] {
        std::fs::create_dir_all(live.join(dir)).unwrap();
    }

    let clip = live.join("clip.mp4");
    encode_clip(&clip);
    let _hls = relay(&clip, &live.join("hls"), &hls_output(false), true);
    let _cmaf = relay(&clip, &live.join("cmaf"), &hls_output(true), true);
    #[rustfmt::skip]
    let _dash = relay(
        &clip,
        &live.join("dash"),
        &[
            "-f", "dash", "-seg_duration", "1", "-window_size", "6", "-extra_window_size", "2",
            "-use_template", "1", "-use_timeline", "1",
            "-adaptation_sets", "id=0,streams=v id=1,streams=a", "manifest.mpd",
        ],
        false,
    );
    #[rustfmt::skip]
    let _mss = relay(
        &clip,
        &live.join("mss"),
        &["-f", "smoothstreaming", "-window_size", "6", "-extra_window_size", "2", "-min_frag_duration", "1000000", "."],
        false,
    );

    // The handler writes the players while the stream warms up.
    let rig = Rig::start(Path::new(BINARY)).await;
    let bucket = Arc::new(OnceLock::new());
    let s3 = rig.s3().await;
    let protection = Arc::new(OnceLock::new());
    let server = testkit::http::serve(in_front(
        origin(live.clone(), s3.clone(), Arc::clone(&bucket)),
        Arc::clone(&protection),
    ))
    .await;
    let base = format!("http://{server}");
    // The same stream from a second origin, which sends no
    // Access-Control-Allow-Origin: the page may not read it.
    let foreign = testkit::http::serve(origin(live.clone(), s3, Arc::clone(&bucket))).await;
    let template = Template::parse(TEMPLATE).unwrap();
    let mut player = rig.player("player-browser");
    let stack = player
        .create(
            template,
            &[
                ("HlsUrl".into(), format!("{base}/live/hls/master.m3u8")),
                ("DashUrl".into(), format!("{base}/live/dash/manifest.mpd")),
                ("CmafUrl".into(), format!("{base}{V2_CMAF}index.m3u8")),
                ("LowLatencyHlsUrl".into(), format!("{base}{V2_CMAF}low-latency.m3u8")),
                ("MssUrl".into(), format!("{base}/live/mss/Manifest")),
                ("MissingUrl".into(), format!("{base}/live/missing/master.m3u8")),
                ("NotAPlaylistUrl".into(), format!("{base}{NOT_A_PLAYLIST}")),
                ("ForeignUrl".into(), format!("http://{foreign}/live/hls/master.m3u8")),
                ("RecordingsUrl".into(), format!("{base}/recordings/index.json")),
                ("Passcode".into(), PASSCODE.into()),
                ("ProtectedHlsUrl".into(), format!("{base}/p/live/hls/master.m3u8")),
                (
                    "ProtectedLowLatencyHlsUrl".into(),
                    format!("{base}/p{V2_CMAF}low-latency.m3u8"),
                ),
                ("ProtectedDashUrl".into(), format!("{base}/p/live/dash/manifest.mpd")),
            ],
        )
        .await
        .unwrap_or_else(|failure| panic!("{failure:?}\n{}", player.transcript().join("\n")));
    bucket.set(stack.physical_id("DemoBucket").unwrap().to_owned()).unwrap();
    let issuer = rig.function(&stack, "Issuer").await;
    let keys = testkit::cloudfront::TrustedKeys::new([(
        stack.physical_id("ViewerKeyA").unwrap(),
        stack.resource("ViewerKeyA").unwrap().properties["PublicKeyConfig"]["EncodedKey"]
            .as_str()
            .unwrap(),
    )]);
    if protection.set(Protection { keys, issuer }).is_err() {
        unreachable!("set once");
    }
    // A recording as a harvest leaves it (the clip, packaged as VOD) and
    // listed as the guard lists it, served from the same origin.
    let vod = live.join("vod");
    std::fs::create_dir_all(&vod).unwrap();
    package_vod(&clip, &vod);
    let demo_bucket = stack.physical_id("DemoBucket").unwrap().to_owned();
    list_recording(&rig.s3().await, &demo_bucket, &vod).await;

    // Served as written: the type S3 stores is the type the browser gets.
    for (key, expected) in [
        ("player/index.html", "text/html"),
        ("one/player.js", "text/javascript"),
        ("player/config.json", "application/json"),
    ] {
        let page = reqwest::get(format!("{base}/{key}")).await.unwrap();
        let got = page.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(page.status(), 200, "{key}");
        assert!(got.starts_with(expected), "{key}: {got}");
    }

    until("the HLS stream", || segments(&live.join("hls"), "ts") >= 6).await;
    until("the DASH stream", || segments(&live.join("dash"), "m4s") >= 9).await;
    until("the CMAF stream", || segments(&live.join("cmaf"), "m4s") >= 6).await;
    until("the Smooth stream", || {
        std::fs::read_to_string(live.join("mss/Manifest")).is_ok_and(|m| m.matches("<c ").count() >= 6)
    })
    .await;

    let shots = work.join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let plan = json!({
        "chromium": chromium(),
        "runs": [
            run("hls", format!("{base}/player/index.html"), Some("hls"), false, &shots),
            run("dash", format!("{base}/player/index.html"), Some("dash"), false, &shots),
            run("cmaf", format!("{base}/player/index.html"), Some("cmaf"), false, &shots),
            run("llhls", format!("{base}/player/index.html"), Some("llhls"), false, &shots),
            run("mss", format!("{base}/player/index.html"), Some("mss"), false, &shots),
            run("phone-hls-only", format!("{base}/one/index.html"), None, true, &shots),
            run("no-stream", format!("{base}/broken/index.html"), None, true, &shots),
            run("not-a-playlist", format!("{base}/garbled/index.html"), None, false, &shots),
            run("foreign-origin", format!("{base}/foreign/index.html"), None, false, &shots),
            run("event", format!("{base}/site/index.html?event=track-two"), None, false, &shots),
            run("recording", format!("{base}/player/index.html"), None, false, &shots),
            run("protected-hls", format!("{base}/protected/index.html"), None, false, &shots),
            run("protected-llhls", format!("{base}/protected/index.html"), Some("llhls"), false, &shots),
            run("protected-dash", format!("{base}/protected/index.html"), Some("dash"), false, &shots),
        ],
    });
    let reports = drive(&plan, Duration::from_secs(300)).await;
    let report = |name: &str| reports.iter().find(|r| r["name"] == name).unwrap().clone();
    let bitrates = declared_bitrates(&live);
    let renditions: Vec<(u64, u64)> = RENDITIONS
        .iter()
        .map(|(w, h, _)| (u64::from(*w), u64::from(*h)))
        .collect();

    let all = vec!["hls", "llhls", "dash", "cmaf", "mss"];
    let protected = vec!["hls", "llhls", "dash"];
    for (name, format, choices) in [
        ("protected-hls", "HLS", protected.clone()),
        ("protected-llhls", "Low-latency HLS", protected.clone()),
        ("protected-dash", "DASH", protected.clone()),
        ("hls", "HLS", all.clone()),
        ("llhls", "Low-latency HLS", all.clone()),
        ("dash", "DASH", all.clone()),
        ("cmaf", "CMAF", all.clone()),
        ("mss", "Smooth Streaming", all.clone()),
        ("phone-hls-only", "HLS", vec![]),
        ("event", "CMAF", vec![]),
    ] {
        let seen = report(name);
        let summary = serde_json::to_string_pretty(&seen).unwrap();
        assert!(seen["failure"].is_null(), "{name}: {summary}");
        let (start, end) = (seen["startTime"].as_f64().unwrap(), seen["endTime"].as_f64().unwrap());
        assert!(end >= start + 2.0, "{name}: currentTime went from {start} to {end}");
        assert_eq!(seen["format"], format, "{name}");
        assert_eq!(seen["muted"], true, "{name}: autoplay is muted");
        let shown: (u64, u64) = (
            seen["rendition"]["width"].as_str().unwrap().parse().unwrap(),
            seen["rendition"]["height"].as_str().unwrap().parse().unwrap(),
        );
        assert!(
            renditions.contains(&shown),
            "{name}: shown {shown:?}, stream has {renditions:?}"
        );
        let bitrate: u64 = seen["rendition"]["bitrate"].as_str().unwrap().parse().unwrap();
        assert!(
            bitrates.contains(&bitrate),
            "{name}: shown {bitrate} bit/s, manifests declare {bitrates:?}"
        );
        let text = seen["rendition"]["text"].as_str().unwrap();
        assert!(
            text.contains(&format!("{}×{}", shown.0, shown.1)) && text.contains("kbit/s"),
            "{name}: {text}"
        );
        assert!(
            seen["buffer"].as_str().unwrap().ends_with("s ahead"),
            "{name}: {summary}"
        );
        // The distance to the live edge, as the engine measures it: a live
        // stream of one-second segments is seconds, not minutes, behind.
        let behind = seen["latencySeconds"].as_f64().unwrap_or(f64::NAN);
        assert!(
            (0.0..60.0).contains(&behind) && seen["latency"].as_str().unwrap().ends_with("s behind live"),
            "{name}: {summary}"
        );
        let blocking_reloads = seen["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .any(|url| url.contains("_HLS_msn="));
        assert_eq!(
            blocking_reloads,
            name.ends_with("llhls"),
            "{name}: low-latency loading (blocking playlist reloads) exactly for low-latency HLS"
        );
        assert_ne!(seen["messageTone"], "error", "{name}: {summary}");
        // A fatal error the player recovered from on the way is told, not
        // failed on: on a loaded machine hls.js has once refused a
        // low-latency playlist reload it saw as older than the one before
        // (its "media sequence mismatch"), and the retry played on.
        let recovered: Vec<&str> = seen["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|m| m.contains("Trying again"))
            .collect();
        if !recovered.is_empty() {
            eprintln!(
                "{name}: recovered on the way: {recovered:?}; console: {}",
                seen["consoleErrors"]
            );
        }
        let offered: Vec<&str> = seen["choices"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(offered, choices, "{name}");
        // A live Smooth client asks for the fragment after the newest one
        // (the manifest's look-ahead); the origin answers 404 until it
        // exists, and the player waits. Nothing else may fail.
        // A protected page's first look at the stream (before the cookies)
        // and a wrong passcode are answered 403, as they must be.
        let refused_before_sign_in = |f: &&Value| name.starts_with("protected-") && f["status"] == 403;
        let failed: Vec<&Value> = seen["failedResponses"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !(name == "mss" && f["status"] == 404 && f["url"].as_str().unwrap().contains("/Fragments(")))
            .filter(|f| !refused_before_sign_in(f))
            .collect();
        assert!(failed.is_empty(), "{name}: {summary}");
        let errors: Vec<&Value> = seen["consoleErrors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !(name == "mss" && e.as_str().unwrap().contains("status of 404")))
            .filter(|e| !(name.starts_with("protected-") && e.as_str().unwrap().contains("status of 403")))
            .filter(|e| recovered.is_empty() || !e.as_str().unwrap().starts_with("hls.js fatal error"))
            .collect();
        assert!(errors.is_empty(), "{name}: {summary}");
        // Nothing but this one origin: no script, style or time server elsewhere.
        for url in seen["requests"].as_array().unwrap().iter().filter_map(Value::as_str) {
            let url = url.strip_prefix("blob:").unwrap_or(url);
            assert!(url.starts_with(&format!("{base}/")), "{name} requested {url}");
        }
        assert_eq!(
            seen["overflowsWidth"], false,
            "{name}: the page is wider than the screen"
        );
    }

    // The protected page asked for the passcode, refused a wrong one (it
    // says nothing more), and each format played once the right one was in.
    for name in ["protected-hls", "protected-llhls", "protected-dash"] {
        let seen = report(name);
        assert!(
            seen["asked"].as_str().unwrap().contains("enter the passcode"),
            "{name}: {seen}"
        );
        let refused_first = seen["failedResponses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["status"] == 403 && f["url"].as_str().unwrap().contains("/p/"));
        assert!(
            refused_first,
            "{name}: the stream was not refused without the cookies: {seen}"
        );
    }
    assert_eq!(
        report("protected-hls")["refusals"],
        json!(["That passcode did not let you in. Check it and try again."])
    );
    protected_origin_refuses(&base, &rig, &stack).await;

    // Each failure is said as what it is: nothing at the address, a
    // playlist that cannot be used, an origin the page may not read.
    for (name, says, never) in [
        ("no-stream", "No stream yet", "CORS"),
        (
            "not-a-playlist",
            "The playlist could not be used (manifestParsingError",
            "CORS",
        ),
        ("foreign-origin", "The stream could not be reached", "playlist"),
    ] {
        let seen = report(name);
        assert!(seen["failure"].is_null(), "{seen}");
        let message = seen["message"].as_str().unwrap();
        assert!(
            message.starts_with(says) && !message.contains(never) && message.contains("Trying again"),
            "{name}: {message}"
        );
    }
    let message = report("no-stream")["message"].as_str().unwrap().to_owned();
    assert!(message.contains("Is the channel running"), "{message}");

    // A recording from the page's list plays (VOD), and again from its
    // middle after a seek; the live formats above played with the list there.
    let recorded = report("recording");
    let summary = serde_json::to_string_pretty(&recorded).unwrap();
    assert!(recorded["failure"].is_null(), "{summary}");
    assert_eq!(recorded["format"], "Recording", "{summary}");
    let duration = recorded["duration"].as_f64().unwrap();
    assert!(
        (8.0..=12.0).contains(&duration),
        "a VOD of the 10-s clip, not live: {summary}"
    );
    assert!(
        recorded["endTime"].as_f64().unwrap() >= duration / 2.0 + 0.5,
        "{summary}"
    );
    // No live edge to a recording: where in it the player is.
    assert!(recorded["latency"].as_str().unwrap().contains(" of "), "{summary}");
    let listed = recorded["recordings"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{summary}");
    assert!(listed[0]["text"].as_str().unwrap().ends_with("· 10 s"), "{summary}");
    assert_eq!(
        listed[0]["url"],
        format!("{base}/recordings/browser/20261118T110640Z/part-1/index.m3u8")
    );
    assert!(recorded["consoleErrors"].as_array().unwrap().is_empty(), "{summary}");

    // The foundation's page offers its events by title and plays the one
    // asked for.
    let event = report("event");
    assert_eq!(
        event["events"],
        json!([
            {"value": "track-one", "text": "Track one", "selected": false},
            {"value": "track-two", "text": "Track two", "selected": true},
        ]),
        "{event}"
    );

    for name in [
        "hls",
        "llhls",
        "dash",
        "cmaf",
        "mss",
        "phone-hls-only",
        "no-stream",
        "not-a-playlist",
        "foreign-origin",
        "event",
        "protected-hls",
        "protected-llhls",
        "protected-dash",
    ] {
        let shot = shots.join(format!("{name}.png"));
        let bytes = std::fs::read(&shot).unwrap_or_else(|err| panic!("{}: {err}", shot.display()));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000,
            "{}",
            shot.display()
        );
    }
    println!("screenshots: {}", shots.display());

    // The stack's delete removes every object the players wrote (the
    // bucket's delete would fail otherwise).
    // The recording put there by hand is not the player's: removed first.
    let cleanup = rig.s3().await;
    let bucket_name = bucket.get().unwrap();
    for prefix in ["recordings/", "catalog/"] {
        let pages: Vec<_> = cleanup
            .list_objects_v2()
            .bucket(bucket_name)
            .prefix(prefix)
            .into_paginator()
            .send()
            .collect()
            .await;
        for page in pages {
            for key in page.unwrap().contents().iter().filter_map(|o| o.key()) {
                cleanup
                    .delete_object()
                    .bucket(bucket_name)
                    .key(key)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
    let failures = player.delete(stack).await;
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(rig.leftovers().await.unwrap(), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&live);
}
