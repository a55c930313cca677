//! A tiny HTTP/1.1 server on loopback for the test doubles.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    /// Path and query, as sent.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

pub type Reply = Response<Full<Bytes>>;
pub type Handler = Arc<dyn Fn(Recorded) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

pub fn reply(status: u16, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}

/// `text` safe inside an XML element (the query protocol's answers).
pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A reply with a `Content-Type` (and no caching: tests serve live files).
pub fn typed_reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut response = reply(status, body);
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
    }
    response.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-cache"),
    );
    response
}

/// Serves `handler` on a fresh loopback port until the runtime ends.
pub async fn serve(handler: Handler) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding a loopback port");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        loop {
            let stream = accept(&listener).await;
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let handler = Arc::clone(&handler);
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                        let recorded = Recorded {
                            method: parts.method,
                            target: parts.uri.path_and_query().map(|pq| pq.to_string()).unwrap_or_default(),
                            headers: parts.headers,
                            body,
                        };
                        Ok::<_, Infallible>(handler(recorded).await)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// The next connection. A failed accept is the one connection's trouble
/// (reset before it was taken, or no descriptor free for a moment), not the
/// server's: it is said once on stderr and the server goes on accepting,
/// after a pause that lets descriptors free up rather than spinning.
pub async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            Err(err) => {
                eprintln!(
                    "test server on {:?}: accept failed ({err}); still accepting",
                    listener.local_addr()
                );
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

pub(crate) fn json_reply(status: u16, body: &serde_json::Value) -> Reply {
    json_body(status, &body.to_string())
}

/// `body`, already JSON, as an answer of `status`.
pub fn json_body(status: u16, body: &str) -> Reply {
    let mut reply: Response<Full<Bytes>> = reply(status, body.to_owned());
    reply.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    reply
}
