//! The real Lambda binary as a child process, talking to [`RuntimeApi`].
//!
//! [`RuntimeApi`]: crate::runtime_api::RuntimeApi

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

#[derive(Debug)]
pub struct LambdaProcess {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    readers: Vec<JoinHandle<()>>,
}

impl LambdaProcess {
    /// Starts `binary` with a clean environment: what Lambda sets, test
    /// credentials, and `extra` (endpoints, allowlist).
    pub fn spawn(binary: &Path, runtime_api: &str, extra: &[(&str, String)]) -> Self {
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "livestream-resources")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/livestream-resources")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("starting {}: {err}", binary.display()));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().expect("piped stdout"), Arc::clone(&lines)),
            collect(child.stderr.take().expect("piped stderr"), Arc::clone(&lines)),
        ];
        LambdaProcess { child, lines, readers }
    }

    /// The process id, to read its figures from `/proc`.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Everything the process has printed so far.
    pub fn printed(&self) -> Vec<String> {
        self.lines.lock().expect("log lines").clone()
    }

    /// Stops the process and returns everything it printed.
    pub async fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill().await;
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        self.lines.lock().expect("log lines").clone()
    }
}

fn collect(stream: impl AsyncRead + Unpin + Send + 'static, lines: Arc<Mutex<Vec<String>>>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            lines.lock().expect("log lines").push(line);
        }
    })
}
