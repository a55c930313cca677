//! An endpoint that accepts connections and never answers: an AWS API (or
//! a ResponseURL) that hangs.

use std::net::SocketAddr;

use tokio::net::TcpListener;

pub async fn start() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding a loopback port");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            held.push(crate::http::accept(&listener).await);
        }
    });
    addr
}
