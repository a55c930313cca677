// The SDK futures nest deeply; the default limit stops layout computation.
#![recursion_limit = "256"]

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use livestream_resources::{App, logging};
use serde_json::value::RawValue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    logging::init();
    let app = Arc::new(App::from_env().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let app = Arc::clone(&app);
        async move { app.invoke(event).await }
    }))
    .await
}
