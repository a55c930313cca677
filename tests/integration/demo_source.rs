//! The stack's own test source, rendered by `deployment/render-demo-source.sh`
//! as `build-s3-dist.sh` renders it: decoded whole by ffmpeg, its streams
//! what the ladders take, its keyframes where a seamless loop needs them,
//! small, and the same bytes every time. Needs ffmpeg and ffprobe
//! (`./deployment/bootstrap.sh --media-tools`).

use std::path::Path;
use std::process::Command;

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|err| {
        panic!("running {program}: {err}; install it with ./deployment/bootstrap.sh --media-tools")
    });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn probe(file: &Path, args: &[&str]) -> String {
    let mut all = vec!["-v", "error"];
    all.extend_from_slice(args);
    all.push(file.to_str().unwrap());
    run("ffprobe", &all)
}

#[test]
fn the_test_source_decodes_loops_on_keyframes_and_renders_the_same_bytes() {
    let dir = std::env::temp_dir().join(format!("demo-source-test-{}", std::process::id()));
    let (first, second) = (dir.join("a.mp4"), dir.join("b.mp4"));
    testkit::demo_source::render(&first).unwrap();
    testkit::demo_source::render(&second).unwrap();

    // Every frame decodes without a single error.
    let decoded = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i"])
        .arg(&first)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        decoded.status.success() && decoded.stderr.is_empty(),
        "decoding: {}",
        String::from_utf8_lossy(&decoded.stderr)
    );

    let streams = probe(
        &first,
        &[
            "-show_entries",
            "stream=codec_name,profile,width,height,r_frame_rate,pix_fmt,sample_rate,channels",
            "-of",
            "compact=nokey=0",
        ],
    );
    let lines: Vec<&str> = streams.lines().collect();
    assert_eq!(lines.len(), 2, "one video and one audio stream: {streams}");
    for wanted in [
        "codec_name=h264",
        "profile=High",
        "width=1280",
        "height=720",
        "pix_fmt=yuv420p",
        "r_frame_rate=30/1",
    ] {
        assert!(lines[0].contains(wanted), "video {wanted}: {}", lines[0]);
    }
    for wanted in ["codec_name=aac", "sample_rate=48000", "channels=2"] {
        assert!(lines[1].contains(wanted), "audio {wanted}: {}", lines[1]);
    }
    let duration: f64 = probe(&first, &["-show_entries", "format=duration", "-of", "csv=p=0"])
        .trim()
        .parse()
        .unwrap();
    assert!((duration - 10.0).abs() < 0.1, "10 s long: {duration}");

    // A keyframe every 2 s from the start: the loop ends on a GOP boundary.
    let keyframes: Vec<String> = probe(
        &first,
        &[
            "-select_streams",
            "v",
            "-skip_frame",
            "nokey",
            "-show_entries",
            "frame=pts_time",
            "-of",
            "csv=p=0",
        ],
    )
    .lines()
    .map(|l| l.trim().trim_end_matches(',').to_owned())
    .filter(|l| !l.is_empty())
    .collect();
    assert_eq!(keyframes, ["0.000000", "2.000000", "4.000000", "6.000000", "8.000000"]);

    let size = std::fs::metadata(&first).unwrap().len();
    assert!((100_000..3_000_000).contains(&size), "a few MB at most: {size} bytes");
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
        "the same command renders the same bytes"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
