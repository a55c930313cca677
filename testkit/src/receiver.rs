//! A ResponseURL stand-in: records every PUT and answers as scripted
//! (200 by default, or a given status, or never).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::http::{self, Recorded};

/// A signature-like query string the handler must never log.
pub const SIGNATURE: &str = "X-Amz-Signature=RESPONSE-URL-SIGNATURE-MUST-NOT-BE-LOGGED";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// A status with a JSON body (as an AWS API stand-in).
    Json(u16, Arc<str>),
    Hang,
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    received: Vec<Recorded>,
}

#[derive(Clone)]
pub struct Receiver {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    count: watch::Receiver<usize>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let (count_tx, count) = watch::channel(0usize);
        let shared = Arc::clone(&state);
        let handler: http::Handler = Arc::new(move |request| {
            let answer = {
                let mut state = shared.lock().expect("receiver state");
                state.received.push(request);
                count_tx.send_replace(state.received.len());
                state.script.pop_front().unwrap_or(Answer::Status(200))
            };
            Box::pin(async move {
                match answer {
                    Answer::Status(status) => http::reply(status, ""),
                    Answer::Json(status, body) => http::json_body(status, &body),
                    Answer::Hang => std::future::pending().await,
                }
            })
        });
        let addr = http::serve(handler).await;
        Receiver { addr, state, count }
    }

    /// `host:port`, for `RESPONSE_URL_ALLOWED_HOSTS`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// A presigned-looking URL on this receiver.
    pub fn url(&self) -> String {
        format!("http://{}/cloudformation/response?{SIGNATURE}", self.addr)
    }

    /// The next answers, in order; 200 once they run out.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state.lock().expect("receiver state").script.extend(answers);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("receiver state").received.clone()
    }

    /// Waits until `n` requests have arrived, then returns them all.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Recorded> {
        let mut count = self.count.clone();
        tokio::time::timeout(limit, count.wait_for(|seen| *seen >= n))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "expected {n} response PUT(s) within {limit:?}, got {}",
                    self.requests().len()
                )
            })
            .expect("receiver alive");
        self.requests()
    }

    /// Waits for the first response and returns its JSON body.
    pub async fn response(&self, limit: Duration) -> serde_json::Value {
        self.wait_for(1, limit).await[0].json()
    }
}
