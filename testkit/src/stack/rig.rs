//! Everything a stack run needs on this machine: an emulator of its own,
//! the faithful layer over it, the ResponseURL receiver, a Lambda Runtime
//! API and the real handler binary polling it.

use std::path::{Path, PathBuf};

use aws_config::SdkConfig;

use super::play::Player;
use crate::faithful::Faithful;
use crate::lambda::LambdaProcess;
use crate::moto::{self, Moto};
use crate::receiver::Receiver;
use crate::runtime_api::RuntimeApi;

/// A second function of the stack (the cost guard).
pub struct Function {
    pub api: RuntimeApi,
    pub process: LambdaProcess,
}

pub struct Rig {
    pub aws: Faithful,
    pub receiver: Receiver,
    pub api: RuntimeApi,
    pub lambda: LambdaProcess,
    binary: PathBuf,
    // Dropped last: ends the emulator.
    moto: Moto,
}

impl Rig {
    /// Starts it all; `binary` is the handler (livestream-resources).
    pub async fn start(binary: &Path) -> Self {
        Self::start_with(binary, &[]).await
    }

    /// As `start`, with more environment for the handler.
    pub async fn start_with(binary: &Path, env: &[(&str, String)]) -> Self {
        let moto = moto::dedicated();
        let aws = Faithful::start(&moto.endpoint).await;
        let receiver = Receiver::start().await;
        let api = RuntimeApi::start().await;
        let mut handler_env = vec![
            ("AWS_ENDPOINT_URL", aws.endpoint()),
            ("RESPONSE_URL_ALLOWED_HOSTS", receiver.host()),
        ];
        handler_env.extend(env.iter().cloned());
        let lambda = LambdaProcess::spawn(binary, &api.address(), &handler_env);
        Rig {
            aws,
            receiver,
            api,
            lambda,
            binary: binary.to_owned(),
            moto,
        }
    }

    /// A player for a stack called `stack_name`. Its native buckets are made
    /// in the emulator directly, as CloudFormation's own calls never meet
    /// the faults a test plants on the handler's.
    pub fn player(&self, stack_name: &str) -> Player {
        Player::new(self.api.clone(), self.receiver.clone(), stack_name).buckets_at(&self.moto.endpoint)
    }

    /// Another function of the stack running the same binary: `logical_id`'s
    /// `Environment.Variables` as the template evaluated them, its own
    /// Runtime API, and the same AWS. EventBridge events are invoked on it.
    pub async fn function(&self, stack: &super::Stack, logical_id: &str) -> Function {
        let variables = stack
            .resource(logical_id)
            .map(|r| r.properties["Environment"]["Variables"].clone())
            .unwrap_or_default();
        let mut env = vec![("AWS_ENDPOINT_URL", self.aws.endpoint())];
        let owned: Vec<(String, String)> = variables
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        env.extend(owned.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let api = RuntimeApi::start().await;
        let process = LambdaProcess::spawn(&self.binary, &api.address(), &env);
        Function { api, process }
    }

    /// SDK configuration for what the handler sees (the faithful layer).
    pub async fn sdk_config(&self) -> SdkConfig {
        moto::sdk_config(&self.aws.endpoint()).await
    }

    /// What is left in the emulator, one line each.
    pub async fn leftovers(&self) -> Result<Vec<String>, String> {
        super::audit::leftovers(&self.sdk_config().await).await
    }
}
