//! Everything a stack run needs on this machine: an emulator of its own,
//! the faithful layer over it, the ResponseURL receiver, a Lambda Runtime
//! API and the real handler binary polling it.

use std::path::Path;

use aws_config::SdkConfig;

use super::play::Player;
use crate::faithful::Faithful;
use crate::lambda::LambdaProcess;
use crate::moto::{self, Moto};
use crate::receiver::Receiver;
use crate::runtime_api::RuntimeApi;

pub struct Rig {
    pub aws: Faithful,
    pub receiver: Receiver,
    pub api: RuntimeApi,
    pub lambda: LambdaProcess,
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
            moto,
        }
    }

    /// A player for a stack called `stack_name`. Its native buckets are made
    /// in the emulator directly, as CloudFormation's own calls never meet
    /// the faults a test plants on the handler's.
    pub fn player(&self, stack_name: &str) -> Player {
        Player::new(self.api.clone(), self.receiver.clone(), stack_name).buckets_at(&self.moto.endpoint)
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
