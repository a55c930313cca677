//! Benchmark floor: a Lambda function that does nothing, so the benchmark
//! can show what the runtime alone costs. An example, built by
//! deployment/run-benchmark.sh; never shipped.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<(), lambda_runtime::Error>(())
    }))
    .await
}
