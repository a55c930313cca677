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

use super::eval::{EvalError, Exposed, Scope};
use super::exports::{Exports, imports_in};
use super::template::{Resource, Template};
use crate::receiver::Receiver;
use crate::runtime_api::{Outcome, RuntimeApi};

pub use super::deployed::Deployed;
use super::native;
use super::parameters::{check_rules, resolve_conditions, resolve_parameters};
use super::plan::plan;
use crate::account::{ACCOUNT, REGION};
/// CloudFormation's words for an update that changes a custom resource's
/// `ServiceToken`.
pub const SERVICE_TOKEN_CHANGED: &str = "Modifying service token is not allowed.";
/// What a stack's status says when its rollback failed: it is stuck until
/// someone continues the rollback by hand.
pub const ROLLBACK_FAILED: &str = "UPDATE_ROLLBACK_FAILED";
/// Lambda's own default when a function sets no `Timeout`.
const DEFAULT_LAMBDA_TIMEOUT: Duration = Duration::from_secs(3);

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

    /// The template's outputs whose condition holds, with their definitions.
    fn outputs_in_effect(&self) -> impl Iterator<Item = &(String, Value)> {
        self.template.outputs.iter().filter(|(_, definition)| {
            definition["Condition"]
                .as_str()
                .is_none_or(|condition| self.conditions.get(condition).copied().unwrap_or(false))
        })
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
#[derive(Debug)]
pub struct Player {
    api: RuntimeApi,
    receiver: Receiver,
    pub stack_name: String,
    pub stack_id: String,
    transcript: Vec<String>,
    echo: bool,
    /// Printed before each echoed line (several stacks echoing at once).
    label: Option<String>,
    /// Caps every invocation's time, as a shorter function Timeout would.
    time_cap: Option<Duration>,
    /// The emulator's endpoint, where native S3 buckets are really made
    /// (the handler writes into them) and deleted as CloudFormation would:
    /// only when empty, unless retained.
    emulator: Option<String>,
    /// The rig's faithful layer: where the roles and functions the template
    /// makes are registered for the IAM check, and where its MediaPackage v2
    /// resources are made (the layer emulates v2 whole).
    iam: Option<crate::faithful::Faithful>,
    /// The handler process serving this stack alone, when it has its own.
    _handler: Option<crate::lambda::LambdaProcess>,
    /// Starts the template's other functions, to which custom resources
    /// naming them in their ServiceToken are sent.
    spawner: Option<super::functions::Spawner>,
    /// Those started, by logical id.
    functions: BTreeMap<String, super::functions::Function>,
    /// The region's exports, shared with the players of other stacks.
    exports: Exports,
    /// Stacks whose handler function this stack's custom resources may
    /// name in their ServiceToken (an event's foundation): served by this
    /// player's handler process, as one more instance of that function.
    beside: Vec<Stack>,
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
            label: None,
            time_cap: None,
            emulator: None,
            iam: None,
            _handler: None,
            spawner: None,
            functions: BTreeMap::new(),
            exports: Exports::default(),
            beside: Vec::new(),
        }
    }

    /// Shares `exports` (the region's) with other players: their stacks'
    /// exports can be imported here, and this stack's there.
    pub fn exports(mut self, exports: &Exports) -> Self {
        self.exports = exports.clone();
        self
    }

    /// The exports this player shares.
    pub fn exports_handle(&self) -> Exports {
        self.exports.clone()
    }

    /// Sends a custom resource whose ServiceToken names another of the
    /// template's functions than the handler to that function, started
    /// by `spawner`.
    pub fn functions(mut self, spawner: super::functions::Spawner) -> Self {
        self.spawner = Some(spawner);
        self
    }

    /// Lets this stack's custom resources name `other`'s handler function
    /// (an event's foundation), whose instance this player's process is.
    pub fn beside(mut self, other: &Stack) -> Self {
        self.beside.push(other.clone());
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
        if function.logical_id == super::functions::HANDLER_FUNCTION {
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
            "AWS::IAM::RolePolicy" => self.attach(resource, true),
            _ => {}
        }
    }

    /// Puts (or takes off) a policy a stack resource puts on a role,
    /// perhaps another stack's.
    fn attach(&self, resource: &Deployed, on: bool) {
        let Some(aws) = &self.iam else {
            return;
        };
        let owner = format!("{}/{}", self.stack_name, resource.logical_id);
        let role = resource.properties["RoleName"].as_str().unwrap_or_default();
        let document = on.then_some(&resource.properties["PolicyDocument"]);
        aws.with_iam(|gate| gate.role_policy(&owner, role, document));
    }

    /// Makes the template's S3 buckets, schedule groups and SNS topics in
    /// the emulator at `endpoint`.
    pub fn buckets_at(mut self, endpoint: &str) -> Self {
        self.emulator = Some(endpoint.to_owned());
        self
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

    /// Echoed lines start with the stack's name.
    pub fn labelled(mut self) -> Self {
        self.label = Some(format!("[{}] ", self.stack_name));
        self
    }

    pub fn say(&mut self, line: impl Into<String>) {
        let line = line.into();
        if self.echo {
            println!("{}{line}", self.label.as_deref().unwrap_or_default());
        }
        self.transcript.push(line);
    }

    fn report(&mut self, action: &str, resource: &Deployed, status: &str, took: Duration, detail: &str) {
        self.say(format!(
            "  {action:<7} {:<27} {:<40} {status:<9} {:>5.1}s  {detail}",
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
        if let Err(failed) = self.commit_exports(&stack) {
            self.say(format!("ROLLBACK stack {}: {failed}", self.stack_name));
            self.delete_all(&mut stack, "ROLLBACK").await;
            return Err(failed);
        }
        self.say(format!("CREATE_COMPLETE stack {}", self.stack_name));
        self.publish(&stack, "CREATE_COMPLETE");
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
                    let failed = self.roll_back_update(&mut old, done, failed).await;
                    self.publish(&old, "UPDATE_ROLLBACK_COMPLETE");
                    return Err((old, failed));
                }
            }
        }
        if let Err(failed) = self.commit_exports(&stack) {
            self.say(format!("UPDATE_ROLLBACK stack {}: {failed}", self.stack_name));
            let mut old = old;
            let failed = self.roll_back_update(&mut old, done, failed).await;
            self.publish(&old, "UPDATE_ROLLBACK_COMPLETE");
            return Err((old, failed));
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
            // Their Deletes go to the functions the stack had.
            self.delete_each(leftovers, &old, "CLEANUP").await;
        }
        self.say(format!("UPDATE_COMPLETE stack {}", self.stack_name));
        self.publish(&stack, "UPDATE_COMPLETE");
        Ok(stack)
    }

    /// DELETE: every resource in reverse dependency order. Returns the
    /// failures (CloudFormation's DELETE_FAILED); empty when all went.
    pub async fn delete(&mut self, mut stack: Stack) -> Vec<Failure> {
        self.say(format!("DELETE stack {}", self.stack_name));
        // Another stack imports one of its exports: nothing is deleted.
        if let Some(reason) = self.exports.in_use(&self.stack_name) {
            self.say(format!("DELETE_FAILED stack {}: {reason}", self.stack_name));
            return vec![failure("Outputs", reason)];
        }
        let failures = self.delete_all(&mut stack, "DELETE").await;
        if failures.is_empty() {
            self.exports.forget(&self.stack_name);
        }
        let verdict = if failures.is_empty() {
            "DELETE_COMPLETE"
        } else {
            "DELETE_FAILED"
        };
        self.say(format!("{verdict} stack {}", self.stack_name));
        if let Some(faithful) = &self.iam {
            if failures.is_empty() {
                faithful.forget_stack(&self.stack_name);
            } else {
                faithful.keep_stack(self.record(&stack, "DELETE_FAILED"));
            }
        }
        failures
    }

    /// The stack as CloudFormation's DescribeStacks and ListStackResources
    /// tell it, with `status`.
    fn record(&self, stack: &Stack, status: &str) -> crate::faithful::StackRecord {
        crate::faithful::StackRecord {
            name: self.stack_name.clone(),
            id: self.stack_id.clone(),
            status: status.to_owned(),
            // DescribeStacks shows a NoEcho parameter as ****.
            parameters: {
                let hidden = super::parameters::no_echo(&stack.template);
                stack
                    .parameters
                    .iter()
                    .map(|(k, v)| {
                        let shown = if hidden.contains(k) {
                            "****".to_owned()
                        } else {
                            v.clone()
                        };
                        (k.clone(), shown)
                    })
                    .collect()
            },
            outputs: self.outputs(stack).unwrap_or_default(),
            resources: stack
                .resources
                .iter()
                .map(|r| (r.logical_id.clone(), r.exposed.physical_id.clone(), r.kind.clone()))
                .collect(),
        }
    }

    /// Tells the faithful layer's CloudFormation what this stack is now.
    fn publish(&self, stack: &Stack, status: &str) {
        if let Some(faithful) = &self.iam {
            faithful.keep_stack(self.record(stack, status));
        }
    }

    /// Records the stack's exports and what it imports, as CloudFormation
    /// does when an operation completes; refused as it refuses them.
    fn commit_exports(&self, stack: &Stack) -> Result<(), Failure> {
        self.in_scope(stack, |scope| {
            let mut imported = BTreeSet::new();
            for deployed in &stack.resources {
                if let Some(resource) = stack.template.resource(&deployed.logical_id) {
                    imports_in(&resource.properties, scope, &mut imported)
                        .map_err(|reason| failure(&deployed.logical_id, reason))?;
                }
            }
            let mut exports = BTreeMap::new();
            for (name, definition) in stack.outputs_in_effect() {
                let at = format!("Outputs.{name}");
                imports_in(&definition["Value"], scope, &mut imported).map_err(|reason| failure(&at, reason))?;
                if definition["Export"].is_object() {
                    let export = scope
                        .string(&definition["Export"]["Name"])
                        .map_err(|err| failure(&at, err.to_string()))?;
                    let value = scope
                        .string(&definition["Value"])
                        .map_err(|err| failure(&at, err.to_string()))?;
                    exports.insert(export, value);
                }
            }
            self.exports
                .commit(&self.stack_name, &exports, &imported)
                .map_err(|reason| failure("Outputs", reason))
        })
    }

    /// The template's outputs, `(name, value)`, for those whose condition holds.
    pub fn outputs(&self, stack: &Stack) -> Result<Vec<(String, String)>, Failure> {
        self.in_scope(stack, |scope| {
            stack
                .outputs_in_effect()
                .map(|(name, definition)| {
                    let value = scope
                        .string(&definition["Value"])
                        .map_err(|err| failure(&format!("Outputs.{name}"), err.to_string()))?;
                    Ok((name.clone(), value))
                })
                .collect()
        })
    }

    /// `work` with everything an expression of `stack` may read: its
    /// parameters, conditions and resources, the pseudo parameters, and
    /// the region's exports.
    fn in_scope<T>(&self, stack: &Stack, work: impl FnOnce(&Scope<'_>) -> T) -> T {
        let exposed = exposed(&stack.resources);
        let pseudo = self.pseudo();
        let imports = self.exports.values();
        work(&scope(stack, &pseudo, &exposed, &imports))
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
        self.in_scope(stack, |scope| {
            scope
                .value(&resource.properties)
                .map_err(|err: EvalError| failure(&resource.logical_id, err.to_string()))
        })
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
            deployed.exposed = native::stand_in(&self.stack_name, &deployed);
            match self.native(&deployed, true).await {
                Ok(Some(exposed)) => deployed.exposed = exposed,
                Ok(None) => {}
                Err(reason) => return Err((failure(&resource.logical_id, reason), None)),
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
        let mut deployed = Deployed {
            properties,
            ..before.clone()
        };
        if !deployed.is_custom() {
            // CloudFormation updates a public key in place (its schema has
            // no create-only property) and CloudFront refuses a new
            // EncodedKey: UpdatePublicKey changes only the comment.
            if deployed.kind == "AWS::CloudFront::PublicKey"
                && deployed.properties["PublicKeyConfig"]["EncodedKey"]
                    != before.properties["PublicKeyConfig"]["EncodedKey"]
            {
                let reason = "CannotChangeImmutablePublicKeyFields: You can't change the value of a public key.";
                self.report("UPDATE", &deployed, "FAILED", started.elapsed(), reason);
                return Err((failure(&resource.logical_id, reason), None));
            }
            // A function changed (its environment, say) runs anew: Lambda
            // gives every later invocation the new configuration.
            if deployed.kind == "AWS::Lambda::Function" {
                self.functions.remove(&deployed.logical_id);
            }
            if deployed.kind == "AWS::CloudWatch::Alarm" {
                // A new AlarmName is a new alarm (CloudFormation replaces it;
                // the old one goes in cleanup); otherwise it is changed.
                deployed.exposed = native::stand_in(&self.stack_name, &deployed);
                if let Err(reason) = self.native(&deployed, true).await {
                    return Err((failure(&resource.logical_id, reason), None));
                }
            }
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
        // CloudFormation's own refusal, before anything is sent: a custom
        // resource stays with the function that made it.
        if deployed.properties["ServiceToken"] != before.properties["ServiceToken"] {
            self.report("UPDATE", &deployed, "FAILED", started.elapsed(), SERVICE_TOKEN_CHANGED);
            return Err((failure(&resource.logical_id, SERVICE_TOKEN_CHANGED), None));
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
                    lists: BTreeMap::new(),
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
                    lists: BTreeMap::new(),
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
        let context = stack.clone();
        let doomed = std::mem::take(&mut stack.resources);
        self.delete_each(doomed, &context, action).await
    }

    /// Deletes `doomed` in reverse order, each as part of `stack` (whose
    /// functions serve the custom resources' Deletes); returns the failures.
    async fn delete_each(&mut self, mut doomed: Vec<Deployed>, stack: &Stack, action: &str) -> Vec<Failure> {
        let mut failures = Vec::new();
        while let Some(resource) = doomed.pop() {
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
                    if resource.kind == "AWS::IAM::RolePolicy" {
                        self.attach(&resource, false);
                    }
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
    /// deleted, in-place updates (the failed one too, as CloudFormation
    /// does) are updated back to their old properties, old and new
    /// swapped. A rollback Update that answers with a new id is a
    /// replacement, as CloudFormation reads it: the stack keeps the new
    /// resource and the one it had is deleted in cleanup. A rollback
    /// Update refused leaves the stack stuck (UPDATE_ROLLBACK_FAILED): the
    /// failure returned says so.
    async fn roll_back_update(
        &mut self,
        old: &mut Stack,
        done: Vec<(Option<Deployed>, Deployed)>,
        failed: Failure,
    ) -> Failure {
        let mut stuck: Vec<Failure> = Vec::new();
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
                    let restored = match self.conclude("ROLLBACK", restoring, answer, started) {
                        Ok(restored) => restored,
                        Err((refused, _)) => {
                            stuck.push(refused);
                            continue;
                        }
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
            let context = old.clone();
            self.delete_each(replaced, &context, "CLEANUP").await;
        }
        if stuck.is_empty() {
            self.say(format!("UPDATE_ROLLBACK_COMPLETE stack {}", self.stack_name));
            return failed;
        }
        let why: Vec<String> = stuck.iter().map(ToString::to_string).collect();
        self.say(format!(
            "{ROLLBACK_FAILED} stack {}: {}",
            self.stack_name,
            why.join("; ")
        ));
        Failure {
            reason: format!("{} ({ROLLBACK_FAILED}: {})", failed.reason, why.join("; ")),
            ..failed
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
        let timeout = std::iter::once(stack)
            .chain(&self.beside)
            .find_map(|stack| lambda_timeout(stack, token).ok())
            .ok_or_else(|| format!("ServiceToken {token} is not a Lambda function of this stack or its foundation"))?;
        let timeout = self.time_cap.map_or(timeout, |cap| timeout.min(cap));
        let request_id = uuid();
        let mut event = json!({
            "RequestType": request_type,
            "ServiceToken": token,
            "ResponseURL": self.receiver.url(),
            "StackId": self.stack_id,
            "RequestId": request_id,
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
        // Other stacks' handlers may answer at the same time (events made
        // at once): this request's response is the one with its RequestId.
        let put = self
            .receiver
            .requests()
            .into_iter()
            .skip(before)
            .find(|put| put.json()["RequestId"].as_str() == Some(request_id.as_str()));
        let Some(put) = put else {
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
    imports: &'a BTreeMap<String, String>,
) -> Scope<'a> {
    Scope {
        parameters: &stack.parameters,
        pseudo,
        mappings: &stack.template.mappings,
        conditions: &stack.conditions,
        resources: exposed,
        imports,
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
    native::uuid_shaped(&seed)
}

impl Player {
    /// Makes or deletes a native resource where the player makes it for
    /// real (the emulator of `buckets_at`, the faithful layer of `iam`).
    async fn native(&self, resource: &Deployed, make: bool) -> Result<Option<Exposed>, String> {
        let places = native::Places {
            emulator: self.emulator.clone(),
            faithful: self.iam.as_ref().map(crate::faithful::Faithful::endpoint),
        };
        native::make_or_delete(&places, resource, make).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_service_token_is_refused_as_cloudformation_refuses_it_and_nothing_is_sent() {
        let template = Template::parse(
            "Parameters:\n  Token: {Type: String}\nResources:\n  Thing:\n    Type: Custom::Thing\n    Properties:\n      ServiceToken: !Ref Token\n",
        )
        .unwrap();
        let token = |name: &str| format!("arn:aws:lambda:us-east-1:123456789012:function:{name}");
        let old = Stack {
            name: "moving".into(),
            template: template.clone(),
            parameters: BTreeMap::from([("Token".to_owned(), token("a"))]),
            conditions: BTreeMap::new(),
            resources: vec![Deployed {
                logical_id: "Thing".into(),
                kind: "Custom::Thing".into(),
                properties: json!({"ServiceToken": token("a")}),
                exposed: Exposed {
                    physical_id: "thing-1".into(),
                    ..Exposed::default()
                },
            }],
        };
        let (api, receiver) = (RuntimeApi::start().await, Receiver::start().await);
        let mut player = Player::new(api, receiver.clone(), "moving");
        let (kept, failure) = player
            .update(old, template, &[("Token".to_owned(), token("b"))])
            .await
            .unwrap_err();
        assert_eq!(
            (failure.logical_id.as_str(), failure.reason.as_str()),
            ("Thing", SERVICE_TOKEN_CHANGED)
        );
        assert_eq!(kept.physical_id("Thing"), Some("thing-1"));
        assert!(receiver.requests().is_empty(), "nothing was sent");
    }

    #[test]
    fn properties_are_sent_as_strings_as_cloudformation_sends_them() {
        assert_eq!(as_sent(&json!({"a": [1, true, "x"]})), json!({"a": ["1", "true", "x"]}));
    }
}
