// The SDK futures nest deeply; the default limit stops layout computation.
#![recursion_limit = "256"]

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    livestream_resources::logging::init();
    livestream_resources::function::run().await
}
