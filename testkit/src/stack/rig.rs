//! Everything a stack run needs on this machine: an emulator of its own,
//! the faithful layer over it, the ResponseURL receiver, a Lambda Runtime
//! API and the real handler binary polling it.

use std::path::{Path, PathBuf};

use aws_config::SdkConfig;

use super::functions::{HANDLER_FUNCTION, Spawner, spawn_signing};
use super::play::Player;
use crate::faithful::Faithful;
use crate::lambda::LambdaProcess;
use crate::moto::{self, Moto};
use crate::receiver::Receiver;
use crate::runtime_api::RuntimeApi;

/// The access key the rig's own handler process signs with; it is bound
/// to the stack of the latest `player`.
const HANDLER_KEY: &str = "ResourcesFunction";

#[derive(Debug)]
pub struct Rig {
    pub aws: Faithful,
    pub receiver: Receiver,
    pub api: RuntimeApi,
    pub lambda: LambdaProcess,
    binary: PathBuf,
    /// What every handler process gets, but its access key.
    handler_env: Vec<(String, String)>,
    /// `(bucket, key)` of what the deployer put in the code bucket (as
    /// `aws s3 sync` of build-s3-dist.sh's assets): not the stack's, so the
    /// audit leaves it out.
    artifacts: std::sync::Mutex<Vec<(String, String)>>,
    /// The region's exports, which every player of the rig shares.
    exports: super::Exports,
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
        // Every call is judged by the role the template gives the function
        // that makes it (enforced: refused as AWS would refuse it). Each
        // process signs with an access key of its own, bound to the stack
        // and function it plays, so the faithful layer knows who called.
        aws.enable_iam(true);
        let mut handler_env = vec![
            ("AWS_ENDPOINT_URL".to_owned(), aws.endpoint()),
            ("RESPONSE_URL_ALLOWED_HOSTS".to_owned(), receiver.host()),
        ];
        handler_env.extend(env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let lambda = spawn_signing(binary, &api, &handler_env, HANDLER_KEY);
        Rig {
            aws,
            receiver,
            api,
            lambda,
            binary: binary.to_owned(),
            handler_env,
            artifacts: Default::default(),
            exports: Default::default(),
            moto,
        }
    }

    /// A player for a stack called `stack_name`, served by the rig's own
    /// handler process. Its native buckets are made in the emulator
    /// directly, as CloudFormation's own calls never meet the faults a
    /// test plants on the handler's.
    pub fn player(&self, stack_name: &str) -> Player {
        let function = crate::iam::function_id(stack_name, HANDLER_FUNCTION);
        self.aws.with_iam(|gate| gate.bind(HANDLER_KEY, &function));
        self.player_on(self.api.clone(), stack_name)
    }

    /// A player for another stack beside the one `player` serves, with a
    /// handler process of its own (each stack has its own function, and
    /// its own role).
    pub async fn other_player(&self, stack_name: &str) -> Player {
        let function = crate::iam::function_id(stack_name, HANDLER_FUNCTION);
        self.player_with_process(stack_name, &function).await
    }

    /// A player for an event stack of `foundation`: its custom resources
    /// go to the foundation's handler function, here an instance of its
    /// own (as Lambda runs one per concurrent request), judged by that
    /// function's role.
    pub async fn event_player(&self, stack_name: &str, foundation: &super::Stack) -> Player {
        let function = crate::iam::function_id(&foundation.name, HANDLER_FUNCTION);
        self.player_with_process(stack_name, &function).await.beside(foundation)
    }

    /// A player served by a handler process of its own, signing as (and
    /// judged by the role of) `function`.
    async fn player_with_process(&self, stack_name: &str, function: &str) -> Player {
        let api = RuntimeApi::start().await;
        let process = spawn_signing(&self.binary, &api, &self.handler_env, function);
        self.aws.with_iam(|gate| gate.bind(function, function));
        self.player_on(api, stack_name).served_by(process)
    }

    /// A player whose custom resources go to the Runtime API `api`, on the
    /// rig's AWS, exports and functions.
    fn player_on(&self, api: RuntimeApi, stack_name: &str) -> Player {
        Player::new(api, self.receiver.clone(), stack_name)
            .buckets_at(&self.moto.endpoint)
            .iam(&self.aws)
            .exports(&self.exports)
            .functions(self.spawner())
    }

    /// Another function of the stack running the same binary: `logical_id`'s
    /// `Environment.Variables` as the template evaluated them, its own
    /// Runtime API, and the same AWS. EventBridge events are invoked on it.
    pub async fn function(&self, stack: &super::Stack, logical_id: &str) -> super::Function {
        self.spawner().spawn(stack, logical_id).await
    }

    /// What starts the template's other functions (for `function`, and for
    /// the player, which sends a custom resource to the function its
    /// ServiceToken names).
    fn spawner(&self) -> Spawner {
        Spawner::new(
            &self.binary,
            &self.aws,
            vec![
                ("AWS_ENDPOINT_URL".to_owned(), self.aws.endpoint()),
                ("RESPONSE_URL_ALLOWED_HOSTS".to_owned(), self.receiver.host()),
            ],
        )
    }

    /// SDK configuration for what the handler sees (the faithful layer).
    /// `program` set to reach this rig's AWS as a deployer's own tools
    /// reach theirs: the endpoint, the Region and the test credentials in
    /// its environment (the first-deploy check, run as a user runs it).
    pub fn aws_command(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut command = std::process::Command::new(program);
        command
            .env("AWS_ENDPOINT_URL", self.aws.endpoint())
            .env("AWS_REGION", crate::account::REGION)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE");
        command
    }

    pub async fn sdk_config(&self) -> SdkConfig {
        moto::sdk_config(&self.aws.endpoint()).await
    }

    /// An S3 client on the rig's AWS, addressing buckets by path as the
    /// emulator serves them.
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
                .force_path_style(true)
                .build(),
        )
    }

    /// The JSON object at `key` in `bucket`; `None` when there is none.
    pub async fn s3_json(&self, bucket: &str, key: &str) -> Result<Option<serde_json::Value>, String> {
        let got = self.s3().await.get_object().bucket(bucket).key(key).send().await;
        let object = match got {
            Ok(object) => object,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(err) => {
                return Err(format!(
                    "{bucket}/{key}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(err)
                ));
            }
        };
        let body = object.body.collect().await.map_err(|err| err.to_string())?.into_bytes();
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|err| format!("{bucket}/{key}: {err}"))
    }

    /// What IAM said of every call the stack's functions made.
    pub fn iam_report(&self) -> crate::iam::Report {
        self.aws.iam_report()
    }

    /// Puts the rendered test source where a deployment has it: in the
    /// code bucket `<prefix>-<region>` under `key`, as the deployer's
    /// upload of build-s3-dist.sh's assets does.
    pub async fn upload_demo_source(&self, bucket_prefix: &str, key: &str) -> Result<String, String> {
        let bucket = format!("{bucket_prefix}-{}", crate::account::REGION);
        let body =
            std::fs::read(crate::demo_source::rendered()).map_err(|err| format!("reading the test source: {err}"))?;
        let config = moto::sdk_config(&self.moto.endpoint).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        let show = |err: &dyn std::error::Error| aws_sdk_s3::error::DisplayErrorContext(err).to_string();
        if let Err(err) = s3.create_bucket().bucket(&bucket).send().await
            && !err
                .as_service_error()
                .is_some_and(|e| e.is_bucket_already_owned_by_you())
        {
            return Err(format!("making the code bucket {bucket}: {}", show(&err)));
        }
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .content_type("video/mp4")
            .body(body.into())
            .send()
            .await
            .map_err(|err| format!("uploading the test source: {}", show(&err)))?;
        self.artifacts
            .lock()
            .expect("artifacts")
            .push((bucket.clone(), key.to_owned()));
        Ok(format!("s3ssl://{bucket}/{key}"))
    }

    /// What is left in the emulator, one line each (the deployer's code
    /// bucket objects aside).
    pub async fn leftovers(&self) -> Result<Vec<String>, String> {
        let artifacts = self.artifacts.lock().expect("artifacts").clone();
        super::audit::leftovers(&self.sdk_config().await, &artifacts).await
    }
}
