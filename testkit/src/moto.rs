//! The AWS emulator: one moto server per test process, started from the
//! project's venv on a free loopback port. It exits when this process does,
//! however it ends: its stdin is a pipe from us, and it quits on EOF.

use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_mediapackage::config::{Credentials, Region};

const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// Runs moto's server and ends it when stdin closes.
const LAUNCHER: &str = r#"
import os, sys, threading
def watch_parent():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch_parent, daemon=True).start()
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"#;

#[derive(Debug)]
pub struct Moto {
    pub endpoint: String,
    // Held for the life of the process: dropping either would end moto.
    _child: Mutex<Child>,
    _lifeline: Mutex<ChildStdin>,
}

/// The venv interpreter that has moto installed.
pub fn python() -> PathBuf {
    std::env::var_os("MOTO_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join(".venv/bin/python"))
}

/// The shared emulator, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}

/// An emulator of its own, for a test whose audit must see only what it
/// made. It ends when dropped.
pub fn dedicated() -> Moto {
    start()
}

fn start() -> Moto {
    let python = python();
    assert!(
        python.exists(),
        "the AWS emulator is missing: {} does not exist. Run ./deployment/bootstrap.sh \
         (it creates .venv with the pinned moto[server]), or set MOTO_PYTHON to a Python that has moto[server].",
        python.display()
    );
    let port = crate::free_port();
    let mut child = Command::new(&python)
        .args(["-c", LAUNCHER, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("starting moto with {}: {err}", python.display()));
    let lifeline = child.stdin.take().expect("piped stdin");
    wait_until_listening(&mut child, port);
    // Werkzeug logs every request to stderr; nothing reads it from here on,
    // so send it nowhere rather than let the pipe fill up.
    if let Some(mut stderr) = child.stderr.take() {
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    }
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new(child),
        _lifeline: Mutex::new(lifeline),
    }
}

/// Polls the port (at once, then with growing pauses) until moto accepts.
fn wait_until_listening(child: &mut Child, port: u16) {
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            panic!("moto exited during start-up ({status}); is moto[server] installed in the venv?\n{stderr}");
        }
        assert!(
            started.elapsed() < STARTUP_LIMIT,
            "moto did not listen on port {port} within {STARTUP_LIMIT:?}"
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// SDK configuration for the emulator: test credentials, us-east-1.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "testkit"))
        .load()
        .await
}
