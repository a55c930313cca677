//! A ResponseURL for local invocations (`cargo lambda invoke`): listens on
//! 127.0.0.1:<port> (default 9001), prints each response body it receives,
//! answers 200. Run the handler with RESPONSE_URL_ALLOWED_HOSTS=127.0.0.1:<port>.

// Test support: a broken test rig panics, naming what broke.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "9001".to_owned());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    eprintln!("waiting for responses on http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    let printed = Arc::new(tokio::sync::Mutex::new(()));
    loop {
        let stream = testkit::http::accept(&listener).await;
        let printed = Arc::clone(&printed);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let printed = Arc::clone(&printed);
                async move {
                    let body = request
                        .into_body()
                        .collect()
                        .await
                        .map(|c| c.to_bytes())
                        .unwrap_or_default();
                    let _guard = printed.lock().await;
                    match serde_json::from_slice::<serde_json::Value>(&body) {
                        Ok(json) => println!("{}", serde_json::to_string_pretty(&json).unwrap_or_default()),
                        Err(_) => println!("{}", String::from_utf8_lossy(&body)),
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
