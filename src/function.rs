//! Which function this process is, chosen once at start-up from its
//! environment: the cookie issuer or the cost guard when the template gave
//! it their settings, the custom-resource handler otherwise. Each has its
//! own clients and its own event type.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;

use crate::aws::{Clients, GuardClients, http_connector, load_config};
use crate::cfn::sender::Allowlist;
use crate::guard::{GuardConfig, GuardFunction};
use crate::handler::App;
use crate::viewers::{CookieIssuer, ViewerConfig};

/// Runs this process's function until Lambda ends it.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    // One connector for the AWS clients and the response PUT.
    let http = http_connector();
    let config = load_config(http.clone()).await;
    let allowlist = Allowlist::from_env();
    if let Some(viewers) = ViewerConfig::from_env()? {
        let issuer = Arc::new(CookieIssuer::new(viewers, aws_sdk_secretsmanager::Client::new(&config)));
        return lambda_runtime::run(service_fn(move |event| {
            let issuer = Arc::clone(&issuer);
            async move { issuer.invoke(event).await }
        }))
        .await;
    }
    match GuardConfig::from_env().transpose() {
        Some(guard) => {
            let function = Arc::new(GuardFunction::new(guard, GuardClients::new(&config), allowlist, http));
            lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
                let function = Arc::clone(&function);
                async move { function.invoke(event).await }
            }))
            .await
        }
        None => {
            let app = Arc::new(App::new(Clients::new(&config), allowlist, http));
            lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
                let app = Arc::clone(&app);
                async move { app.invoke(event).await }
            }))
            .await
        }
    }
}
