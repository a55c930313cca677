//! A minimal Lambda Runtime API: enough for `lambda_runtime` to fetch
//! invocations and post their results, so tests drive the real binary.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::sync::{Notify, oneshot};

use crate::http::{self, Recorded, Reply};

/// How an invocation ended, as the function reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Response(String),
    Error(String),
}

struct Pending {
    id: String,
    payload: Bytes,
    deadline_ms: u128,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Pending>,
    waiting: HashMap<String, oneshot::Sender<Outcome>>,
    /// When the function first asked for an invocation: its init is over.
    first_poll: Option<std::time::Instant>,
}

#[derive(Clone)]
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    arrived: Arc<Notify>,
    polled: Arc<Notify>,
}

impl std::fmt::Debug for RuntimeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeApi")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

const PREFIX: &str = "/2018-06-01/runtime/";

impl RuntimeApi {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let arrived = Arc::new(Notify::new());
        let polled = Arc::new(Notify::new());
        let (shared, notify, poll) = (Arc::clone(&state), Arc::clone(&arrived), Arc::clone(&polled));
        let handler: http::Handler = Arc::new(move |request| {
            let (state, arrived, polled) = (Arc::clone(&shared), Arc::clone(&notify), Arc::clone(&poll));
            Box::pin(async move { route(request, &state, &arrived, &polled).await })
        });
        let addr = http::serve(handler).await;
        RuntimeApi {
            addr,
            state,
            arrived,
            polled,
        }
    }

    /// For `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// When the function first polled for an invocation (waits for it, up
    /// to `limit`): the end of its initialisation.
    pub async fn first_poll(&self, limit: Duration) -> std::time::Instant {
        let wait = async {
            loop {
                let notified = self.polled.notified();
                if let Some(at) = self.state.lock().expect("runtime state").first_poll {
                    return at;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait)
            .await
            .unwrap_or_else(|_| panic!("the function did not poll within {limit:?}"))
    }

    /// Queues one invocation with `time_left` until its deadline and waits
    /// (at most `time_left` plus a grace period) for the function's result.
    pub async fn invoke(&self, payload: impl Into<Bytes>, time_left: Duration) -> Outcome {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = format!("invocation-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_millis();
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.state.lock().expect("runtime state");
            state.waiting.insert(id.clone(), tx);
            state.queue.push_back(Pending {
                id,
                payload: payload.into(),
                deadline_ms: now_ms + time_left.as_millis(),
            });
        }
        self.arrived.notify_one();
        let limit = time_left + Duration::from_secs(10);
        tokio::time::timeout(limit, rx)
            .await
            .unwrap_or_else(|_| panic!("the function posted no result within {limit:?}"))
            .expect("runtime API alive")
    }
}

async fn route(request: Recorded, state: &Mutex<State>, arrived: &Notify, polled: &Notify) -> Reply {
    let path = request.target.strip_prefix(PREFIX).unwrap_or_default().to_owned();
    if path == "invocation/next" {
        {
            let mut state = state.lock().expect("runtime state");
            state.first_poll.get_or_insert_with(std::time::Instant::now);
        }
        polled.notify_waiters();
        return next(state, arrived).await;
    }
    let parts: Vec<&str> = path.split('/').collect();
    let outcome = match parts.as_slice() {
        ["invocation", id, "response"] => Some((*id, Outcome::Response(text(&request)))),
        ["invocation", id, "error"] => Some((*id, Outcome::Error(text(&request)))),
        _ => None,
    };
    match outcome {
        Some((id, outcome)) => {
            if let Some(waiter) = state.lock().expect("runtime state").waiting.remove(id) {
                let _ = waiter.send(outcome);
            }
            http::reply(202, "")
        }
        // init/error and anything else: accepted, nothing to do.
        None => http::reply(202, ""),
    }
}

fn text(request: &Recorded) -> String {
    String::from_utf8_lossy(&request.body).into_owned()
}

/// Long-polls until an invocation is queued, as the real API does.
async fn next(state: &Mutex<State>, arrived: &Notify) -> Reply {
    loop {
        let notified = arrived.notified();
        if let Some(pending) = state.lock().expect("runtime state").queue.pop_front() {
            let mut reply = http::reply(200, pending.payload);
            let headers = reply.headers_mut();
            let set = |headers: &mut hyper::HeaderMap, name: &'static str, value: String| {
                headers.insert(name, value.parse().expect("header value"));
            };
            set(headers, "lambda-runtime-aws-request-id", pending.id);
            set(headers, "lambda-runtime-deadline-ms", pending.deadline_ms.to_string());
            set(
                headers,
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:livestream-resources".into(),
            );
            set(
                headers,
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000".into(),
            );
            set(headers, "content-type", "application/json".into());
            return reply;
        }
        notified.await;
    }
}
