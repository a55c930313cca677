//! The processes that play a stack's Lambda functions: the real binary on
//! a Runtime API of its own, with the function's environment as the
//! template evaluated it, signing its AWS calls with an access key the IAM
//! gate binds to that function.

use std::path::{Path, PathBuf};

use crate::faithful::Faithful;
use crate::lambda::LambdaProcess;
use crate::runtime_api::RuntimeApi;

/// The template's function the rig's handler processes play.
pub const HANDLER_FUNCTION: &str = "ResourcesFunction";
/// A second function of the stack (the cost guard).
#[derive(Debug)]
pub struct Function {
    pub api: RuntimeApi,
    pub process: LambdaProcess,
}

/// Starts a function of a played stack as its own process: the binary
/// with the function's `Environment.Variables` as the template evaluated
/// them, signing with an access key bound to that function.
#[derive(Clone, Debug)]
pub struct Spawner {
    binary: PathBuf,
    aws: Faithful,
    env: Vec<(String, String)>,
}

impl Spawner {
    pub fn new(binary: &Path, aws: &Faithful, env: Vec<(String, String)>) -> Self {
        Spawner {
            binary: binary.to_owned(),
            aws: aws.clone(),
            env,
        }
    }

    pub async fn spawn(&self, stack: &super::Stack, logical_id: &str) -> Function {
        let variables = stack
            .resource(logical_id)
            .map(|r| r.properties["Environment"]["Variables"].clone())
            .unwrap_or_default();
        let key = crate::iam::function_id(&stack.name, logical_id);
        self.aws.with_iam(|gate| gate.bind(&key, &key));
        let mut env = self.env.clone();
        env.extend(variables.as_object().into_iter().flatten().map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()),
            )
        }));
        let api = RuntimeApi::start().await;
        let process = spawn_signing(&self.binary, &api, &env, &key);
        Function { api, process }
    }
}

/// The binary on `api` with `env`, signing its AWS calls with `access_key`.
pub(super) fn spawn_signing(
    binary: &Path,
    api: &RuntimeApi,
    env: &[(String, String)],
    access_key: &str,
) -> LambdaProcess {
    let mut env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    env.push(("AWS_ACCESS_KEY_ID", access_key.to_owned()));
    LambdaProcess::spawn(binary, &api.address(), &env)
}
