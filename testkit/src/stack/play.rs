//! Plays a template's lifecycle the way CloudFormation does: parameters
//! checked against their constraints, conditions, resources ordered by
//! references and `DependsOn`, every custom resource sent to the real
//! handler binary (Create, Update with `OldResourceProperties`, Delete) and
//! its response read back; native resources get stand-in ids. A FAILED
//! response rolls back as CloudFormation would.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::eval::{EvalError, Exposed, Scope, references};
use super::template::{Resource, Template};
use crate::receiver::Receiver;
use crate::runtime_api::{Outcome, RuntimeApi};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
/// Lambda's own default when a function sets no `Timeout`.
const DEFAULT_LAMBDA_TIMEOUT: Duration = Duration::from_secs(3);

/// One resource as it stands in the stack.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub logical_id: String,
    pub kind: String,
    /// Evaluated, as last sent.
    pub properties: Value,
    pub exposed: Exposed,
}

impl Deployed {
    pub fn is_custom(&self) -> bool {
        is_custom(&self.kind)
    }
}

fn is_custom(kind: &str) -> bool {
    kind.starts_with("Custom::") || kind == "AWS::CloudFormation::CustomResource"
}

/// A stack after a successful operation.
#[derive(Debug, Clone)]
pub struct Stack {
    pub name: String,
    pub template: Template,
    pub parameters: BTreeMap<String, String>,
    pub conditions: BTreeMap<String, bool>,
    /// In an order that satisfies every dependency.
    pub resources: Vec<Deployed>,
}

impl Stack {
    pub fn resource(&self, logical_id: &str) -> Option<&Deployed> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    /// The physical id of `logical_id`, if it exists.
    pub fn physical_id(&self, logical_id: &str) -> Option<&str> {
        self.resource(logical_id).map(|r| r.exposed.physical_id.as_str())
    }
}

/// Why an operation failed, as CloudFormation's events would show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub logical_id: String,
    pub reason: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.logical_id, self.reason)
    }
}

fn failure(logical_id: &str, reason: impl Into<String>) -> Failure {
    Failure {
        logical_id: logical_id.to_owned(),
        reason: reason.into(),
    }
}

/// A resource that failed, and what it answered with (its id), which a
/// rollback must delete.
type Refused = (Failure, Option<Box<Deployed>>);

/// A custom resource's response, as read from the ResponseURL.
struct Response {
    success: bool,
    reason: String,
    physical_id: String,
    data: BTreeMap<String, String>,
}

/// Plays templates against a handler reachable through `api`, whose
/// responses arrive at `receiver`.
pub struct Player {
    api: RuntimeApi,
    receiver: Receiver,
    pub stack_name: String,
    pub stack_id: String,
    transcript: Vec<String>,
    echo: bool,
    /// Caps every invocation's time, as a shorter function Timeout would.
    time_cap: Option<Duration>,
    /// The emulator's endpoint, where native S3 buckets are really made
    /// (the handler writes into them) and deleted as CloudFormation would:
    /// only when empty, unless retained.
    emulator: Option<String>,
    /// Where the roles and functions the template makes are registered for
    /// the IAM check (the rig's faithful layer).
    iam: Option<crate::faithful::Faithful>,
    /// The handler process serving this stack alone, when it has its own.
    _handler: Option<crate::lambda::LambdaProcess>,
    /// Starts the template's other functions, to which custom resources
    /// naming them in their ServiceToken are sent.
    spawner: Option<super::rig::Spawner>,
    /// Those started, by logical id.
    functions: BTreeMap<String, super::rig::Function>,
}

impl Player {
    pub fn new(api: RuntimeApi, receiver: Receiver, stack_name: &str) -> Self {
        Player {
            api,
            receiver,
            stack_name: stack_name.to_owned(),
            stack_id: format!(
                "arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack_name}/{}",
                uuid()
            ),
            transcript: Vec::new(),
            echo: false,
            time_cap: None,
            emulator: None,
            iam: None,
            _handler: None,
            spawner: None,
            functions: BTreeMap::new(),
        }
    }

    /// Sends a custom resource whose ServiceToken names another of the
    /// template's functions than the handler to that function, started
    /// by `spawner`.
    pub fn functions(mut self, spawner: super::rig::Spawner) -> Self {
        self.spawner = Some(spawner);
        self
    }

    /// The Runtime API of the function `token` (a ServiceToken) names: the
    /// handler's own, or another function's, started on first use.
    async fn function_api(&mut self, stack: &Stack, token: &str) -> RuntimeApi {
        let named = stack.resources.iter().find(|r| {
            r.kind == "AWS::Lambda::Function" && r.exposed.attributes.get("Arn").map(String::as_str) == Some(token)
        });
        let (Some(function), Some(spawner)) = (named, self.spawner.as_ref()) else {
            return self.api.clone();
        };
        if function.logical_id == super::rig::HANDLER_FUNCTION {
            return self.api.clone();
        }
        if !self.functions.contains_key(&function.logical_id) {
            let started = spawner.spawn(stack, &function.logical_id).await;
            self.functions.insert(function.logical_id.clone(), started);
        }
        self.functions[&function.logical_id].api.clone()
    }

    /// Keeps `process` (the handler serving this stack) alive with the player.
    pub fn served_by(mut self, process: crate::lambda::LambdaProcess) -> Self {
        self._handler = Some(process);
        self
    }

    /// Registers the template's roles and functions with the IAM gate of
    /// `aws`, so each function's calls are judged by its role's policies.
    pub fn iam(mut self, aws: &crate::faithful::Faithful) -> Self {
        self.iam = Some(aws.clone());
        self
    }

    /// Tells the IAM gate of a role or function the template made or changed.
    fn register(&self, resource: &Deployed) {
        let Some(aws) = &self.iam else {
            return;
        };
        let arn = resource.exposed.attributes.get("Arn").cloned().unwrap_or_default();
        match resource.kind.as_str() {
            "AWS::IAM::Role" => aws.with_iam(|gate| gate.role(&resource.logical_id, &arn, &resource.properties)),
            "AWS::Lambda::Function" => {
                let role = resource.properties["Role"].as_str().unwrap_or_default();
                let function = crate::iam::function_id(&self.stack_name, &resource.logical_id);
                aws.with_iam(|gate| gate.function(&function, role));
            }
            _ => {}
        }
    }

    /// Makes the template's S3 buckets, schedule groups and SNS topics in
    /// the emulator at `endpoint`.
    pub fn buckets_at(mut self, endpoint: &str) -> Self {
        self.emulator = Some(endpoint.to_owned());
        self
    }

    /// Creates (`make`) or deletes, in the emulator, a native resource the
    /// handler writes into or calls: an S3 bucket (deleted only when empty,
    /// as CloudFormation does), a schedule group (whose deletion deletes
    /// its schedules), an SNS topic.
    async fn native(&self, resource: &Deployed, make: bool) -> Result<(), String> {
        let Some(endpoint) = self.emulator.as_deref() else {
            return Ok(());
        };
        let name = &resource.exposed.physical_id;
        let config = crate::moto::sdk_config(endpoint).await;
        let s3 = || {
            aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config)
                    .force_path_style(true)
                    .build(),
            )
        };
        let scheduler = || aws_sdk_scheduler::Client::new(&config);
        let sns = || aws_sdk_sns::Client::new(&config);
        let done = match (resource.kind.as_str(), make) {
            ("AWS::S3::Bucket", true) => match s3().create_bucket().bucket(name).send().await {
                // A retained bucket of an earlier run of the same stack.
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_bucket_already_owned_by_you()) =>
                {
                    Ok(())
                }
                answer => answer.map(drop).map_err(shown),
            },
            ("AWS::S3::Bucket", false) => s3().delete_bucket().bucket(name).send().await.map(drop).map_err(shown),
            ("AWS::Scheduler::ScheduleGroup", true) => scheduler()
                .create_schedule_group()
                .name(name)
                .send()
                .await
                .map(drop)
                .map_err(shown),
            ("AWS::Scheduler::ScheduleGroup", false) => scheduler()
                .delete_schedule_group()
                .name(name)
                .send()
                .await
                .map(drop)
                .map_err(shown),
            ("AWS::SNS::Topic", true) => {
                let topic = resource
                    .exposed
                    .attributes
                    .get("TopicName")
                    .cloned()
                    .unwrap_or_default();
                sns().create_topic().name(topic).send().await.map(drop).map_err(shown)
            }
            ("AWS::SNS::Topic", false) => sns()
                .delete_topic()
                .topic_arn(name)
                .send()
                .await
                .map(drop)
                .map_err(shown),
            _ => Ok(()),
        };
        done.map_err(|err| format!("{} {name}: {err}", resource.kind))
    }

    /// Gives each invocation at most `cap` (the template's 900 s would make
    /// a run with deadline cuts take hours).
    pub fn lambda_time_cap(mut self, cap: Duration) -> Self {
        self.time_cap = Some(cap);
        self
    }

    /// Print every line as it happens (the local run), not only keep it.
    pub fn echo(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    /// Every line so far: one per resource and request.
    pub fn transcript(&self) -> &[String] {
        &self.transcript
    }

    pub fn say(&mut self, line: impl Into<String>) {
        let line = line.into();
        if self.echo {
            println!("{line}");
        }
        self.transcript.push(line);
    }

    fn report(&mut self, action: &str, resource: &Deployed, status: &str, took: Duration, detail: &str) {
        self.say(format!(
            "  {action:<7} {:<22} {:<32} {status:<9} {:>5.1}s  {detail}",
            resource.logical_id,
            resource.kind,
            took.as_secs_f64()
        ));
    }

    fn pseudo(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("AWS::StackName".into(), self.stack_name.clone()),
            ("AWS::StackId".into(), self.stack_id.clone()),
            ("AWS::Region".into(), REGION.into()),
            ("AWS::AccountId".into(), ACCOUNT.into()),
            ("AWS::Partition".into(), "aws".into()),
            ("AWS::URLSuffix".into(), "amazonaws.com".into()),
        ])
    }

    /// CREATE: every resource in dependency order; on a failure, the
    /// rollback deletes what exists (the failed resource too, by the id it
    /// answered with) and the failure is returned.
    pub async fn create(&mut self, template: Template, overrides: &[(String, String)]) -> Result<Stack, Failure> {
        self.say(format!("CREATE stack {}", self.stack_name));
        let parameters = resolve_parameters(&template, &BTreeMap::new(), overrides)
            .map_err(|reason| failure("Parameters", reason))?;
        let mut stack = self.prepare(template, parameters)?;
        let order = plan(&stack.template, &stack.conditions).map_err(|reason| failure("Template", reason))?;
        for resource in order {
            match self.create_one(&stack, &resource).await {
                Ok(deployed) => stack.resources.push(deployed),
                Err((failed, answered)) => {
                    stack.resources.extend(answered.map(|deployed| *deployed));
                    self.say(format!("ROLLBACK stack {}: {failed}", self.stack_name));
                    self.delete_all(&mut stack, "ROLLBACK").await;
                    return Err(failed);
                }
            }
        }
        self.say(format!("CREATE_COMPLETE stack {}", self.stack_name));
        Ok(stack)
    }

    /// UPDATE with new parameter values (the others keep their values):
    /// resources whose evaluated properties changed get an Update, new ones
    /// a Create; replaced and removed ones are deleted afterwards. On a
    /// failure everything done is rolled back and the old stack returned.
    pub async fn update(
        &mut self,
        old: Stack,
        template: Template,
        overrides: &[(String, String)],
    ) -> Result<Stack, (Stack, Failure)> {
        self.say(format!("UPDATE stack {}", self.stack_name));
        let parameters = match resolve_parameters(&template, &old.parameters, overrides) {
            Ok(parameters) => parameters,
            Err(reason) => return Err((old, failure("Parameters", reason))),
        };
        let mut stack = match self.prepare(template, parameters) {
            Ok(stack) => stack,
            Err(failed) => return Err((old, failed)),
        };
        let order = match plan(&stack.template, &stack.conditions) {
            Ok(order) => order,
            Err(reason) => return Err((old, failure("Template", reason))),
        };
        // (before, after) of everything this update touched, for rollback.
        let mut done: Vec<(Option<Deployed>, Deployed)> = Vec::new();
        for resource in order {
            let before = old
                .resource(&resource.logical_id)
                .filter(|d| d.kind == resource.kind)
                .cloned();
            let result = match &before {
                None => self.create_one(&stack, &resource).await.map(Some),
                Some(before) => self.update_one(&stack, &resource, before).await,
            };
            match result {
                Ok(Some(after)) => {
                    done.push((before, after.clone()));
                    stack.resources.push(after);
                }
                Ok(None) => stack.resources.extend(before),
                Err((failed, answered)) => {
                    if let Some(answered) = answered {
                        done.push((before, *answered));
                    }
                    self.say(format!("UPDATE_ROLLBACK stack {}: {failed}", self.stack_name));
                    let mut old = old;
                    self.roll_back_update(&mut old, done).await;
                    return Err((old, failed));
                }
            }
        }
        // Cleanup: what was replaced or is no longer in the stack.
        let leftovers: Vec<Deployed> = old
            .resources
            .iter()
            .filter(|before| {
                stack
                    .resource(&before.logical_id)
                    .is_none_or(|now| now.exposed.physical_id != before.exposed.physical_id || now.kind != before.kind)
            })
            .cloned()
            .collect();
        if !leftovers.is_empty() {
            self.say(format!("UPDATE_COMPLETE_CLEANUP stack {}", self.stack_name));
            let mut cleanup = Stack {
                resources: leftovers,
                ..old
            };
            self.delete_all(&mut cleanup, "CLEANUP").await;
        }
        self.say(format!("UPDATE_COMPLETE stack {}", self.stack_name));
        Ok(stack)
    }

    /// DELETE: every resource in reverse dependency order. Returns the
    /// failures (CloudFormation's DELETE_FAILED); empty when all went.
    pub async fn delete(&mut self, mut stack: Stack) -> Vec<Failure> {
        self.say(format!("DELETE stack {}", self.stack_name));
        let failures = self.delete_all(&mut stack, "DELETE").await;
        let verdict = if failures.is_empty() {
            "DELETE_COMPLETE"
        } else {
            "DELETE_FAILED"
        };
        self.say(format!("{verdict} stack {}", self.stack_name));
        failures
    }

    /// The template's outputs, `(name, value)`, for those whose condition holds.
    pub fn outputs(&self, stack: &Stack) -> Result<Vec<(String, String)>, Failure> {
        let exposed = exposed(&stack.resources);
        let pseudo = self.pseudo();
        let scope = scope(stack, &pseudo, &exposed);
        let mut outputs = Vec::new();
        for (name, definition) in &stack.template.outputs {
            if let Some(condition) = definition["Condition"].as_str()
                && !stack.conditions.get(condition).copied().unwrap_or(false)
            {
                continue;
            }
            let value = scope
                .string(&definition["Value"])
                .map_err(|err| failure(&format!("Outputs.{name}"), err.to_string()))?;
            outputs.push((name.clone(), value));
        }
        Ok(outputs)
    }

    fn prepare(&self, template: Template, parameters: BTreeMap<String, String>) -> Result<Stack, Failure> {
        let pseudo = self.pseudo();
        check_rules(&template, &parameters, &pseudo).map_err(|reason| failure("Rules", reason))?;
        let conditions =
            resolve_conditions(&template, &parameters, &pseudo).map_err(|reason| failure("Conditions", reason))?;
        Ok(Stack {
            name: self.stack_name.clone(),
            template,
            parameters,
            conditions,
            resources: Vec::new(),
        })
    }

    fn evaluate(&self, stack: &Stack, resource: &Resource) -> Result<Value, Failure> {
        let exposed = exposed(&stack.resources);
        let pseudo = self.pseudo();
        scope(stack, &pseudo, &exposed)
            .value(&resource.properties)
            .map_err(|err: EvalError| failure(&resource.logical_id, err.to_string()))
    }

    /// Creates one resource. On failure, also returns what the failed
    /// resource answered with (its id), which the rollback must delete.
    async fn create_one(&mut self, stack: &Stack, resource: &Resource) -> Result<Deployed, Refused> {
        let started = Instant::now();
        let properties = self.evaluate(stack, resource).map_err(|f| (f, None))?;
        let mut deployed = Deployed {
            logical_id: resource.logical_id.clone(),
            kind: resource.kind.clone(),
            properties,
            exposed: Exposed::default(),
        };
        if !deployed.is_custom() {
            deployed.exposed = stand_in(&self.stack_name, &deployed);
            if let Err(reason) = self.native(&deployed, true).await {
                return Err((failure(&resource.logical_id, reason), None));
            }
            self.register(&deployed);
            self.report(
                "CREATE",
                &deployed,
                "stand-in",
                started.elapsed(),
                &deployed.exposed.physical_id,
            );
            return Ok(deployed);
        }
        let answer = self.send(stack, "Create", &deployed, None).await;
        self.conclude("CREATE", deployed, answer, started)
    }

    /// Updates one resource if its evaluated properties changed; `None`
    /// when nothing changed (CloudFormation then sends nothing).
    async fn update_one(
        &mut self,
        stack: &Stack,
        resource: &Resource,
        before: &Deployed,
    ) -> Result<Option<Deployed>, Refused> {
        let started = Instant::now();
        let properties = self.evaluate(stack, resource).map_err(|f| (f, None))?;
        if properties == before.properties {
            return Ok(None);
        }
        let deployed = Deployed {
            properties,
            ..before.clone()
        };
        if !deployed.is_custom() {
            self.register(&deployed);
            self.report(
                "UPDATE",
                &deployed,
                "stand-in",
                started.elapsed(),
                &deployed.exposed.physical_id,
            );
            return Ok(Some(deployed));
        }
        let answer = self.send(stack, "Update", &deployed, Some(before)).await;
        let updated = self.conclude("UPDATE", deployed, answer, started)?;
        if updated.exposed.physical_id != before.exposed.physical_id {
            self.say(format!(
                "          {} replaced: {} -> {} (the old one is deleted in cleanup)",
                updated.logical_id, before.exposed.physical_id, updated.exposed.physical_id
            ));
        }
        Ok(Some(updated))
    }

    fn conclude(
        &mut self,
        action: &str,
        mut deployed: Deployed,
        answer: Result<Response, String>,
        started: Instant,
    ) -> Result<Deployed, Refused> {
        let took = started.elapsed();
        match answer {
            Ok(response) if response.success => {
                deployed.exposed = Exposed {
                    physical_id: response.physical_id,
                    attributes: response.data,
                };
                self.report(action, &deployed, "SUCCESS", took, &deployed.exposed.physical_id);
                Ok(deployed)
            }
            Ok(response) => {
                self.report(action, &deployed, "FAILED", took, &response.reason);
                let failed = failure(&deployed.logical_id, response.reason);
                deployed.exposed = Exposed {
                    physical_id: response.physical_id,
                    attributes: BTreeMap::new(),
                };
                Err((failed, Some(Box::new(deployed))))
            }
            Err(reason) => {
                self.report(action, &deployed, "NO ANSWER", took, &reason);
                Err((failure(&deployed.logical_id, reason), None))
            }
        }
    }

    /// Deletes `stack.resources` in reverse order; returns the failures.
    async fn delete_all(&mut self, stack: &mut Stack, action: &str) -> Vec<Failure> {
        let mut failures = Vec::new();
        while let Some(resource) = stack.resources.pop() {
            let started = Instant::now();
            if !resource.is_custom() {
                let retained = stack.template.resource(&resource.logical_id).is_some_and(|r| r.retain);
                if retained {
                    self.report(action, &resource, "retained", started.elapsed(), "");
                } else if let Err(reason) = self.native(&resource, false).await {
                    // As CloudFormation: a bucket with objects in it stays.
                    self.report(action, &resource, "FAILED", started.elapsed(), &reason);
                    failures.push(failure(&resource.logical_id, reason));
                } else {
                    self.report(action, &resource, "stand-in", started.elapsed(), "");
                }
                continue;
            }
            let answer = self.send(stack, "Delete", &resource, None).await;
            let took = started.elapsed();
            match answer {
                Ok(response) if response.success => {
                    self.report(action, &resource, "SUCCESS", took, &resource.exposed.physical_id);
                }
                Ok(response) => {
                    self.report(action, &resource, "FAILED", took, &response.reason);
                    failures.push(failure(&resource.logical_id, response.reason));
                }
                Err(reason) => {
                    self.report(action, &resource, "NO ANSWER", took, &reason);
                    failures.push(failure(&resource.logical_id, reason));
                }
            }
        }
        failures
    }

    /// UPDATE_ROLLBACK: newly made resources (and replacements) are
    /// deleted, in-place updates are updated back to their old properties.
    /// A rollback Update that answers with a new id is a replacement, as
    /// CloudFormation reads it: the stack keeps the new resource and the
    /// one it had is deleted in cleanup.
    async fn roll_back_update(&mut self, old: &mut Stack, done: Vec<(Option<Deployed>, Deployed)>) {
        let mut replaced = Vec::new();
        for (before, after) in done.into_iter().rev() {
            let started = Instant::now();
            if !after.is_custom() {
                continue;
            }
            match before {
                Some(before) if before.exposed.physical_id == after.exposed.physical_id => {
                    let restoring = Deployed {
                        exposed: after.exposed.clone(),
                        ..before
                    };
                    let answer = self.send(old, "Update", &restoring, Some(&after)).await;
                    let Ok(restored) = self.conclude("ROLLBACK", restoring, answer, started) else {
                        continue;
                    };
                    if restored.exposed.physical_id != after.exposed.physical_id {
                        self.say(format!(
                            "          {} replaced during rollback: {} -> {}",
                            restored.logical_id, after.exposed.physical_id, restored.exposed.physical_id
                        ));
                        if let Some(slot) = old.resources.iter_mut().find(|r| r.logical_id == restored.logical_id) {
                            *slot = restored;
                        }
                        replaced.push(after);
                    }
                }
                _ => {
                    let answer = self.send(old, "Delete", &after, None).await;
                    let status = match &answer {
                        Ok(response) if response.success => "SUCCESS".to_owned(),
                        Ok(response) => format!("FAILED {}", response.reason),
                        Err(reason) => format!("NO ANSWER {reason}"),
                    };
                    self.report("ROLLBACK", &after, "DELETE", started.elapsed(), &status);
                }
            }
        }
        if !replaced.is_empty() {
            let mut cleanup = Stack {
                resources: replaced,
                ..old.clone()
            };
            self.delete_all(&mut cleanup, "CLEANUP").await;
        }
    }

    /// Sends one request to the handler and reads its response.
    async fn send(
        &mut self,
        stack: &Stack,
        request_type: &str,
        resource: &Deployed,
        old: Option<&Deployed>,
    ) -> Result<Response, String> {
        let token = resource.properties["ServiceToken"]
            .as_str()
            .ok_or("custom resource without a ServiceToken")?;
        let timeout = lambda_timeout(stack, token)?;
        let timeout = self.time_cap.map_or(timeout, |cap| timeout.min(cap));
        let mut event = json!({
            "RequestType": request_type,
            "ServiceToken": token,
            "ResponseURL": self.receiver.url(),
            "StackId": self.stack_id,
            "RequestId": uuid(),
            "LogicalResourceId": resource.logical_id,
            "ResourceType": resource.kind,
            "ResourceProperties": as_sent(&resource.properties),
        });
        if request_type != "Create" {
            event["PhysicalResourceId"] = json!(resource.exposed.physical_id);
        }
        if let Some(old) = old {
            event["OldResourceProperties"] = as_sent(&old.properties);
        }
        let api = self.function_api(stack, token).await;
        let before = self.receiver.requests().len();
        let outcome = api.invoke(event.to_string(), timeout).await;
        // The handler answers before its invocation ends, so a response
        // that is not here now never will be; CloudFormation would wait
        // for ServiceTimeout and then fail the resource.
        let Some(put) = self.receiver.requests().get(before).cloned() else {
            let how = match outcome {
                Outcome::Error(error) => format!("the invocation failed: {error}"),
                Outcome::Response(_) => "the invocation ended without one".to_owned(),
            };
            return Err(format!("no response was sent ({how})"));
        };
        let body = put.json();
        let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
        let data = body["Data"]
            .as_object()
            .map(|data| {
                data.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Response {
            success: text("Status") == "SUCCESS",
            reason: text("Reason"),
            physical_id: text("PhysicalResourceId"),
            data,
        })
    }
}

fn exposed(resources: &[Deployed]) -> BTreeMap<String, Exposed> {
    resources
        .iter()
        .map(|r| (r.logical_id.clone(), r.exposed.clone()))
        .collect()
}

fn scope<'a>(
    stack: &'a Stack,
    pseudo: &'a BTreeMap<String, String>,
    exposed: &'a BTreeMap<String, Exposed>,
) -> Scope<'a> {
    Scope {
        parameters: &stack.parameters,
        pseudo,
        mappings: &stack.template.mappings,
        conditions: &stack.conditions,
        resources: exposed,
    }
}

/// CloudFormation sends every scalar property as a string.
fn as_sent(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(as_sent).collect()),
        Value::Object(entries) => Value::Object(entries.iter().map(|(k, v)| (k.clone(), as_sent(v))).collect()),
        other => other.clone(),
    }
}

/// The Timeout of the template's function whose ARN is `token`.
fn lambda_timeout(stack: &Stack, token: &str) -> Result<Duration, String> {
    let function = stack
        .resources
        .iter()
        .find(|r| {
            r.kind == "AWS::Lambda::Function" && r.exposed.attributes.get("Arn").map(String::as_str) == Some(token)
        })
        .ok_or_else(|| format!("ServiceToken {token} is not a Lambda function of this stack"))?;
    let seconds = match &function.properties["Timeout"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    Ok(seconds.map_or(DEFAULT_LAMBDA_TIMEOUT, Duration::from_secs))
}

/// Parameter values: `previous` (for an update), then `overrides`, then
/// defaults; each checked against its constraints as CloudFormation does.
pub fn resolve_parameters(
    template: &Template,
    previous: &BTreeMap<String, String>,
    overrides: &[(String, String)],
) -> Result<BTreeMap<String, String>, String> {
    let unknown: Vec<&str> = overrides
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !template.parameters.contains_key(*name))
        .collect();
    if !unknown.is_empty() {
        return Err(format!("Parameters: {unknown:?} do not exist in the template"));
    }
    let mut values = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, definition) in &template.parameters {
        let given = overrides.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let default = match &definition["Default"] {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        let Some(value) = given.or_else(|| previous.get(name).cloned()).or(default) else {
            missing.push(name.clone());
            continue;
        };
        check_constraints(name, definition, &value)?;
        values.insert(name.clone(), value);
    }
    if !missing.is_empty() {
        return Err(format!("Parameters: {missing:?} must have values"));
    }
    Ok(values)
}

fn check_constraints(name: &str, definition: &Value, value: &str) -> Result<(), String> {
    let refused = || {
        let why = definition["ConstraintDescription"].as_str().unwrap_or("a constraint");
        format!("Parameter '{name}' failed to satisfy constraint: {why}")
    };
    if let Some(allowed) = definition["AllowedValues"].as_array()
        && !allowed.iter().any(|a| a.as_str() == Some(value))
    {
        let allowed: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
        return Err(format!("Parameter '{name}' must be one of AllowedValues {allowed:?}"));
    }
    if let Some(pattern) = definition["AllowedPattern"].as_str() {
        // CloudFormation matches the whole value.
        let whole = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|err| format!("Parameter '{name}': AllowedPattern is not a regular expression: {err}"))?;
        if !whole.is_match(value) {
            return Err(refused());
        }
    }
    let length = value.chars().count();
    let bound = |key: &str| {
        definition[key]
            .as_u64()
            .or_else(|| definition[key].as_str()?.parse().ok())
    };
    if bound("MaxLength").is_some_and(|max| length as u64 > max)
        || bound("MinLength").is_some_and(|min| (length as u64) < min)
    {
        return Err(refused());
    }
    Ok(())
}

/// The template's `Rules`, as CloudFormation checks them before a create
/// or update: a rule whose `RuleCondition` holds (or that has none) must
/// have every `Assert` true, else the operation is refused with the
/// assertion's `AssertDescription`.
fn check_rules(
    template: &Template,
    parameters: &BTreeMap<String, String>,
    pseudo: &BTreeMap<String, String>,
) -> Result<(), String> {
    let (conditions, resources) = (BTreeMap::new(), BTreeMap::new());
    let scope = Scope {
        parameters,
        pseudo,
        mappings: &template.mappings,
        conditions: &conditions,
        resources: &resources,
    };
    for (name, rule) in &template.rules {
        let applies = match rule.get("RuleCondition") {
            None => true,
            Some(condition) => scope
                .condition(condition)
                .map_err(|err| format!("rule {name}: {err}"))?,
        };
        if !applies {
            continue;
        }
        for assertion in rule["Assertions"].as_array().into_iter().flatten() {
            let holds = scope
                .condition(&assertion["Assert"])
                .map_err(|err| format!("rule {name}: {err}"))?;
            if !holds {
                let why = assertion["AssertDescription"].as_str().unwrap_or("an assertion failed");
                return Err(format!("Template rule {name} failed: {why}"));
            }
        }
    }
    Ok(())
}

/// Every condition's value; a condition may use others (`Condition`).
fn resolve_conditions(
    template: &Template,
    parameters: &BTreeMap<String, String>,
    pseudo: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, bool>, String> {
    let mut resolved: BTreeMap<String, bool> = BTreeMap::new();
    let empty = BTreeMap::new();
    loop {
        let before = resolved.len();
        for (name, expression) in &template.conditions {
            if resolved.contains_key(name) {
                continue;
            }
            let scope = Scope {
                parameters,
                pseudo,
                mappings: &template.mappings,
                conditions: &resolved,
                resources: &empty,
            };
            match scope.condition(expression) {
                Ok(value) => {
                    resolved.insert(name.clone(), value);
                }
                Err(EvalError::Invalid(message)) if message.starts_with("unknown condition") => {}
                Err(err) => return Err(format!("condition {name}: {err}")),
            }
        }
        if resolved.len() == template.conditions.len() {
            return Ok(resolved);
        }
        if resolved.len() == before {
            let open: Vec<&String> = template
                .conditions
                .keys()
                .filter(|n| !resolved.contains_key(*n))
                .collect();
            return Err(format!("conditions {open:?} refer to unknown or circular conditions"));
        }
    }
}

/// The resources whose condition holds, ordered so that each comes after
/// everything it refers to; ties keep template order.
pub fn plan(template: &Template, conditions: &BTreeMap<String, bool>) -> Result<Vec<Resource>, String> {
    let included: Vec<&Resource> = template
        .resources
        .iter()
        .filter(|r| {
            r.condition
                .as_ref()
                .is_none_or(|c| conditions.get(c).copied().unwrap_or(false))
        })
        .collect();
    let names: BTreeSet<&str> = included.iter().map(|r| r.logical_id.as_str()).collect();
    let mut needs: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for resource in &included {
        let mut refs = BTreeSet::new();
        references(&resource.properties, conditions, &mut refs);
        refs.extend(resource.depends_on.iter().cloned());
        let mut deps = BTreeSet::new();
        for name in refs {
            if names.contains(name.as_str()) {
                deps.insert(name);
            } else if template.resource(&name).is_some() {
                return Err(format!(
                    "{} refers to {name}, whose condition is false",
                    resource.logical_id
                ));
            } else if !template.parameters.contains_key(&name) && !name.starts_with("AWS::") {
                return Err(format!(
                    "Unresolved resource dependencies [{name}] in {}",
                    resource.logical_id
                ));
            }
        }
        needs.insert(resource.logical_id.as_str(), deps);
    }
    let mut order = Vec::new();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    while order.len() < included.len() {
        let next = included.iter().find(|r| {
            !placed.contains(&r.logical_id) && needs[r.logical_id.as_str()].iter().all(|d| placed.contains(d))
        });
        let Some(next) = next else {
            let stuck: Vec<&str> = names.iter().copied().filter(|n| !placed.contains(*n)).collect();
            return Err(format!("Circular dependency between resources: {stuck:?}"));
        };
        placed.insert(next.logical_id.clone());
        order.push((*next).clone());
    }
    Ok(order)
}

/// Ids and attributes for a native resource, shaped like the real ones so
/// that the handler's validation (ARNs, host names) sees real-looking values.
fn stand_in(stack_name: &str, resource: &Deployed) -> Exposed {
    let logical = &resource.logical_id;
    let name = format!("{stack_name}-{logical}");
    let named = |key: &str| resource.properties[key].as_str().map(str::to_owned);
    let (physical_id, mut attributes): (String, Vec<(&str, String)>) = match resource.kind.as_str() {
        "AWS::IAM::Role" => (
            name.clone(),
            vec![
                // A role's ARN holds its path (`/` unless the template sets one).
                (
                    "Arn",
                    format!(
                        "arn:aws:iam::{ACCOUNT}:role{}{name}",
                        named("Path").unwrap_or("/".into())
                    ),
                ),
                ("RoleId", format!("AROA{}", hex(&name, 16))),
            ],
        ),
        "AWS::Lambda::Function" => {
            let function = named("FunctionName").unwrap_or(name.clone());
            let arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}");
            (function, vec![("Arn", arn)])
        }
        "AWS::SNS::Topic" => {
            let topic = named("TopicName").unwrap_or_else(|| format!("{name}-{}", hex(&name, 12).to_uppercase()));
            let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{topic}");
            (arn.clone(), vec![("TopicArn", arn), ("TopicName", topic)])
        }
        "AWS::Scheduler::ScheduleGroup" => {
            let group = named("Name").unwrap_or(name.clone());
            let arn = format!("arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{group}");
            (group, vec![("Arn", arn)])
        }
        "AWS::CloudWatch::Alarm" => {
            let alarm = named("AlarmName").unwrap_or(name.clone());
            let arn = format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{alarm}");
            (alarm, vec![("Arn", arn)])
        }
        "AWS::Events::Rule" => (
            name.clone(),
            vec![("Arn", format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"))],
        ),
        "AWS::Logs::LogGroup" => {
            let group = named("LogGroupName").unwrap_or(name.clone());
            let arn = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*");
            (group, vec![("Arn", arn)])
        }
        "AWS::S3::Bucket" => {
            let bucket = named("BucketName").unwrap_or_else(|| format!("{}-{}", name.to_lowercase(), hex(&name, 8)));
            (
                bucket.clone(),
                vec![
                    ("Arn", format!("arn:aws:s3:::{bucket}")),
                    ("DomainName", format!("{bucket}.s3.amazonaws.com")),
                    ("RegionalDomainName", format!("{bucket}.s3.{REGION}.amazonaws.com")),
                ],
            )
        }
        "AWS::CloudFront::Distribution" => {
            let id = format!("E{}", hex(&name, 13).to_uppercase());
            (
                id.clone(),
                vec![
                    ("DomainName", format!("d{}.cloudfront.net", hex(&name, 13))),
                    ("Id", id),
                ],
            )
        }
        "AWS::CloudFront::OriginAccessControl" => {
            let id = format!("E{}", hex(&name, 13).to_uppercase());
            (id.clone(), vec![("Id", id)])
        }
        _ => (
            name.clone(),
            vec![(
                "Arn",
                format!("arn:aws:{}:{REGION}:{ACCOUNT}:{name}", service_of(&resource.kind)),
            )],
        ),
    };
    attributes.sort();
    Exposed {
        physical_id,
        attributes: attributes.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    }
}

fn service_of(kind: &str) -> String {
    kind.split("::").nth(1).unwrap_or("unknown").to_lowercase()
}

/// An SDK error with its causes, on one line.
fn shown(err: impl std::error::Error) -> String {
    aws_sdk_s3::error::DisplayErrorContext(err).to_string()
}

/// A stable hex string of `len` digits from `seed`.
fn hex(seed: &str, len: usize) -> String {
    // FNV-1a over the seed, then once more per further 16 digits.
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::new();
    for round in 0u8.. {
        for byte in seed.bytes().chain([round]) {
            state = (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{state:016x}"));
        if out.len() >= len {
            break;
        }
    }
    out.truncate(len);
    out
}

/// A random-looking request or stack id (uuid-shaped).
fn uuid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let seed = format!(
        "{nanos}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let h = hex(&seed, 32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Parses `Key=Value` arguments.
pub fn parse_overrides<S: AsRef<str>>(args: &[S]) -> Result<Vec<(String, String)>, String> {
    args.iter()
        .map(|arg| {
            let arg = arg.as_ref();
            arg.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| format!("expected Parameter=Value, got {arg:?}"))
        })
        .collect()
}

/// The parameters whose values must not be printed.
pub fn no_echo(template: &Template) -> BTreeSet<String> {
    template
        .parameters
        .iter()
        .filter(|(_, d)| d["NoEcho"] == json!(true) || d["NoEcho"] == json!("true"))
        .map(|(name, _)| name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    #[test]
    fn resources_follow_their_references_and_depends_on() {
        let t = template(
            "Conditions:\n  Off: !Equals [a, b]\nResources:\n  \
             C:\n    Type: Custom::X\n    Properties: { A: !GetAtt B.Arn, S: !Sub '${A}' }\n  \
             B:\n    Type: Custom::X\n    DependsOn: A\n  \
             A:\n    Type: Custom::X\n  \
             D:\n    Type: Custom::X\n    Condition: Off\n",
        );
        let conditions = BTreeMap::from([("Off".to_owned(), false)]);
        let order: Vec<String> = plan(&t, &conditions)
            .unwrap()
            .into_iter()
            .map(|r| r.logical_id)
            .collect();
        assert_eq!(order, ["A", "B", "C"]);
    }

    #[test]
    fn cycles_and_references_to_excluded_resources_are_refused() {
        let t = template(
            "Resources:\n  A:\n    Type: Custom::X\n    Properties: { B: !Ref B }\n  \
             B:\n    Type: Custom::X\n    Properties: { A: !Ref A }\n",
        );
        assert!(plan(&t, &BTreeMap::new()).unwrap_err().contains("Circular"));
        let t = template(
            "Resources:\n  A:\n    Type: Custom::X\n    Properties: { B: !Ref B }\n  \
             B:\n    Type: Custom::X\n    Condition: Off\n",
        );
        let conditions = BTreeMap::from([("Off".to_owned(), false)]);
        assert!(plan(&t, &conditions).unwrap_err().contains("condition is false"));
    }

    #[test]
    fn parameters_are_checked_like_cloudformation() {
        let t = template(
            "Parameters:\n  P:\n    Type: String\n    Default: b\n    AllowedValues: [a, b]\n  \
             Q:\n    Type: String\n    AllowedPattern: '[0-9]+'\n    ConstraintDescription: digits\n  \
             R:\n    Type: Number\n    Default: 6\nResources:\n  A:\n    Type: Custom::X\n",
        );
        let given = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let values = resolve_parameters(&t, &BTreeMap::new(), &given(&[("Q", "42")])).unwrap();
        assert_eq!(values["P"], "b");
        assert_eq!(values["R"], "6");
        let err = resolve_parameters(&t, &BTreeMap::new(), &given(&[("Q", "4x2")])).unwrap_err();
        assert_eq!(err, "Parameter 'Q' failed to satisfy constraint: digits");
        let err = resolve_parameters(&t, &BTreeMap::new(), &given(&[("Q", "1"), ("P", "c")])).unwrap_err();
        assert!(err.contains("AllowedValues"), "{err}");
        let err = resolve_parameters(&t, &BTreeMap::new(), &[]).unwrap_err();
        assert!(err.contains("[\"Q\"] must have values"), "{err}");
        let err = resolve_parameters(&t, &BTreeMap::new(), &given(&[("Q", "1"), ("Z", "1")])).unwrap_err();
        assert!(err.contains("do not exist"), "{err}");
        let previous = BTreeMap::from([("Q".to_owned(), "7".to_owned())]);
        assert_eq!(resolve_parameters(&t, &previous, &[]).unwrap()["Q"], "7");
    }

    #[test]
    fn rules_refuse_before_anything_with_their_assertion() {
        let t = template(
            "Parameters:\n  Type:\n    Type: String\n  Cidr:\n    Type: String\n    Default: ''\n\
             Rules:\n  PushNeedsCidr:\n    RuleCondition: !Contains [[RTMP_PUSH, RTP_PUSH], !Ref Type]\n    \
             Assertions:\n      - Assert: !Not [!Equals [!Ref Cidr, '']]\n        AssertDescription: Cidr is required\n\
             Resources:\n  A:\n    Type: Custom::X\n",
        );
        let pseudo = BTreeMap::new();
        let values = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let err = check_rules(&t, &values(&[("Type", "RTMP_PUSH"), ("Cidr", "")]), &pseudo).unwrap_err();
        assert_eq!(err, "Template rule PushNeedsCidr failed: Cidr is required");
        assert!(check_rules(&t, &values(&[("Type", "RTMP_PUSH"), ("Cidr", "10.0.0.0/8")]), &pseudo).is_ok());
        assert!(
            check_rules(&t, &values(&[("Type", "URL_PULL"), ("Cidr", "")]), &pseudo).is_ok(),
            "the rule's condition does not hold"
        );
    }

    #[test]
    fn stand_ins_look_like_the_real_thing() {
        let role = Deployed {
            logical_id: "MediaLiveRole".into(),
            kind: "AWS::IAM::Role".into(),
            properties: json!({}),
            exposed: Exposed::default(),
        };
        let exposed = stand_in("live", &role);
        assert_eq!(
            exposed.attributes["Arn"],
            "arn:aws:iam::123456789012:role/live-MediaLiveRole"
        );
        let with_path = Deployed {
            properties: json!({"Path": "/live/mediapackage/"}),
            ..role.clone()
        };
        assert_eq!(
            stand_in("live", &with_path).attributes["Arn"],
            "arn:aws:iam::123456789012:role/live/mediapackage/live-MediaLiveRole",
            "a role's ARN holds its path"
        );
        let distribution = Deployed {
            kind: "AWS::CloudFront::Distribution".into(),
            ..role
        };
        let domain = &stand_in("live", &distribution).attributes["DomainName"];
        assert!(
            domain.starts_with('d') && domain.ends_with(".cloudfront.net"),
            "{domain}"
        );
        assert_eq!(as_sent(&json!({"a": [1, true, "x"]})), json!({"a": ["1", "true", "x"]}));
    }
}
