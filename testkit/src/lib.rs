//! Test and local-run support: the AWS emulator (moto server) from the
//! project's venv, a ResponseURL receiver that can misbehave on demand, a
//! minimal Lambda Runtime API to drive the real binary, and an endpoint that
//! accepts connections and never answers.

// Test support: a broken test rig panics, naming what broke.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod account;
pub mod blackhole;
pub mod botocore;
pub mod cbor;
pub mod cloudfront;
pub mod demo_source;
pub mod edge;
pub mod events;
pub mod faithful;
pub mod fixtures;
pub mod http;
pub mod iam;
pub mod lambda;
pub mod live_events;
pub mod metric_math;
pub mod moto;
pub mod receiver;
pub mod runtime_api;
pub mod stack;
pub mod templates;

use std::path::PathBuf;

/// The workspace root (where `.venv` and `target` live).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("binding an ephemeral loopback port")
}
