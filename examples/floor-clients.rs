//! Benchmark floor: a Lambda function that only sets up logging and builds
//! the handler's AWS clients, so the benchmark can show what the handler
//! adds on top. An example, built by deployment/run-benchmark.sh; never shipped.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use livestream_resources::{Clients, logging};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let clients = Arc::new(Clients::from_env().await);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| {
        let _clients = Arc::clone(&clients);
        async { Ok::<(), lambda_runtime::Error>(()) }
    }))
    .await
}
