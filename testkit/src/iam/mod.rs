//! IAM as AWS would apply it to the stack's functions: every call the
//! handler and the cost guard make is mapped to the IAM actions it needs
//! and the resources they are authorized against ([`calls`], from the
//! Service Authorization Reference's data, [`sar`]) and evaluated against
//! the policy the template gives that function's role ([`policy`]).
//!
//! The faithful layer asks the [`Gate`] before each call and tells it each
//! answer. A function is known by the access key it signs with (the rig
//! starts each with its logical id as key); its role by the template the
//! player plays, which registers every role and function it makes. What a
//! role may not do is refused as AWS refuses it (AccessDenied), and every
//! decision is kept for the [`Report`].

mod calls;
pub mod operations;
pub mod policy;
pub mod sar;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use calls::World;
pub use calls::{Env, Principal};
use policy::Decision;

use crate::http::Recorded;

/// A role as the template made it.
#[derive(Debug, Clone)]
struct Role {
    logical_id: String,
    /// Its inline policies' documents.
    documents: Vec<Value>,
    /// Policies other stacks put on it (`AWS::IAM::RolePolicy`), by the
    /// stack resource that put each.
    attached: BTreeMap<String, Value>,
}

impl Role {
    fn all_documents(&self) -> Vec<Value> {
        self.documents.iter().chain(self.attached.values()).cloned().collect()
    }
}

/// One permission the stack needed, and what the role's policy said.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The role's logical id.
    pub role: String,
    /// The call, as `service:Operation METHOD path` (or what the service does).
    pub call: String,
    pub action: String,
    pub resource: String,
    /// The condition keys the request carried (tags, the passed role's service…).
    pub context: policy::Context,
    pub allowed: bool,
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} on {} for {}",
            self.role,
            if self.allowed { "may" } else { "may NOT" },
            self.action,
            self.resource,
            self.call
        )
    }
}

/// What the gate saw.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub checked: Vec<Checked>,
    /// Calls the IAM test could not map (an operation it does not know yet).
    pub unmapped: Vec<String>,
}

impl Report {
    pub fn denied(&self) -> Vec<&Checked> {
        self.checked.iter().filter(|c| !c.allowed).collect()
    }

    /// Every permission a role needed, once each, with the stack's names
    /// written as placeholders (`placeholders`: the text and what stands
    /// for it, longest first), and the ids a run makes up (request ids,
    /// run starts) as `${RequestId}` and `${RunStart}`: the same for every
    /// run of the same configuration, so it can be committed and compared.
    pub fn needs(&self, placeholders: &[(String, String)]) -> Vec<Value> {
        let uuid = regex::Regex::new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").expect("a regex");
        let run = regex::Regex::new("run-[0-9]+-").expect("a regex");
        let mut ordered: Vec<&(String, String)> = placeholders.iter().filter(|(text, _)| !text.is_empty()).collect();
        ordered.sort_by_key(|(text, _)| std::cmp::Reverse(text.len()));
        let general = |text: &str| -> String {
            let mut text = text.to_owned();
            for (literal, placeholder) in &ordered {
                text = text.replace(literal.as_str(), placeholder);
            }
            let text = uuid.replace_all(&text, "${RequestId}");
            run.replace_all(&text, "run-$${RunStart}-").into_owned()
        };
        let mut needs: Vec<Value> = self
            .checked
            .iter()
            .map(|checked| {
                let context: BTreeMap<String, Vec<String>> = checked
                    .context
                    .iter()
                    .map(|(key, values)| (general(key), values.iter().map(|v| general(v)).collect()))
                    .collect();
                serde_json::json!({
                    "role": checked.role,
                    "action": checked.action,
                    "resource": general(&checked.resource),
                    "context": context,
                })
            })
            .collect();
        needs.sort_by_key(Value::to_string);
        needs.dedup();
        needs
    }

    /// How many permissions each role needed.
    pub fn by_role(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for checked in &self.checked {
            *counts.entry(checked.role.clone()).or_default() += 1;
        }
        counts
    }

    /// Panics naming every refused or unmappable call.
    pub fn assert_clean(&self) {
        self.assert_clean_but(|_| false);
    }

    /// As `assert_clean`, but for refusals `expected` accepts (the guard
    /// may not look at another stack's channel, and must cope).
    pub fn assert_clean_but(&self, expected: impl Fn(&Checked) -> bool) {
        let denied: Vec<String> = self
            .denied()
            .into_iter()
            .filter(|checked| !expected(checked))
            .map(ToString::to_string)
            .collect();
        assert!(
            denied.is_empty() && self.unmapped.is_empty(),
            "the template's roles do not allow what the stack does:\n  {}\ncalls the IAM test cannot map:\n  {}",
            denied.join("\n  "),
            self.unmapped.join("\n  ")
        );
        assert!(
            !self.checked.is_empty(),
            "no call was checked: is IAM enabled on the rig?"
        );
    }
}

/// IAM for the calls through the faithful layer.
#[derive(Debug)]
pub struct Gate {
    env: Env,
    /// By role ARN.
    roles: BTreeMap<String, Role>,
    /// A function's role ARN by its [`function_id`].
    functions: BTreeMap<String, String>,
    /// Which function an access key signs for.
    keys: BTreeMap<String, String>,
    world: World,
    report: Report,
    /// Refuse what a role may not do, as AWS does.
    enforce: bool,
}

/// A decision before the call: refused, with AWS's words.
#[derive(Debug)]
pub struct Refusal {
    pub message: String,
}

impl Gate {
    pub fn new(env: Env, enforce: bool) -> Self {
        Gate {
            env,
            roles: BTreeMap::new(),
            functions: BTreeMap::new(),
            keys: BTreeMap::new(),
            world: World::default(),
            report: Report::default(),
            enforce,
        }
    }

    /// An `AWS::IAM::Role` the template made (or updated): its ARN and
    /// evaluated properties.
    pub fn role(&mut self, logical_id: &str, arn: &str, properties: &Value) {
        let documents = properties["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|policy| policy["PolicyDocument"].clone())
            .collect();
        assert!(
            properties["ManagedPolicyArns"].is_null(),
            "{logical_id} has managed policies, which the IAM test cannot read"
        );
        let attached = self.roles.remove(arn).map(|role| role.attached).unwrap_or_default();
        self.roles.insert(
            arn.to_owned(),
            Role {
                logical_id: logical_id.to_owned(),
                documents,
                attached,
            },
        );
    }

    /// An `AWS::IAM::RolePolicy` (made by `owner`, a stack resource) put
    /// `document` on the role named `role_name`, or (`None`) took it off.
    pub fn role_policy(&mut self, owner: &str, role_name: &str, document: Option<&Value>) {
        let role = self
            .roles
            .iter_mut()
            .find(|(arn, _)| arn.rsplit('/').next() == Some(role_name))
            .map(|(_, role)| role);
        let Some(role) = role else {
            panic!("{owner} puts a policy on role {role_name}, which no stack made");
        };
        match document {
            Some(document) => role.attached.insert(owner.to_owned(), document.clone()),
            None => role.attached.remove(owner),
        };
    }

    /// What the role `role_arn`'s policies say of `action` on `resource`
    /// with `context`, as IAM's policy simulator answers
    /// (SimulatePrincipalPolicy); `None` for a role the stacks did not make.
    pub fn simulate(
        &self,
        role_arn: &str,
        action: &str,
        resource: &str,
        context: &policy::Context,
    ) -> Option<Result<bool, String>> {
        let role = self.roles.get(role_arn)?;
        Some(policy::evaluate(&role.all_documents(), action, resource, context).map(|d| d == Decision::Allowed))
    }

    /// Takes the statement `sid` out of the inline policies of the role
    /// whose logical id is `role` (a test's broken grant); whether it was there.
    pub fn remove_statement(&mut self, role: &str, sid: &str) -> bool {
        let mut removed = false;
        for kept in self.roles.values_mut().filter(|r| r.logical_id == role) {
            for document in &mut kept.documents {
                if let Some(statements) = document["Statement"].as_array_mut() {
                    let before = statements.len();
                    statements.retain(|statement| statement["Sid"].as_str() != Some(sid));
                    removed |= statements.len() != before;
                }
            }
        }
        removed
    }

    /// Widens the statement `sid` of the role whose logical id is `role` to
    /// every resource (a grant loosened by hand); whether it was there.
    pub fn widen_statement(&mut self, role: &str, sid: &str) -> bool {
        let mut widened = false;
        for kept in self.roles.values_mut().filter(|r| r.logical_id == role) {
            for document in &mut kept.documents {
                for statement in document["Statement"].as_array_mut().into_iter().flatten() {
                    if statement["Sid"].as_str() == Some(sid) {
                        statement["Resource"] = serde_json::json!("*");
                        widened = true;
                    }
                }
            }
        }
        widened
    }

    /// An `AWS::Lambda::Function` the template made ([`function_id`]),
    /// running as `role_arn`.
    pub fn function(&mut self, function: &str, role_arn: &str) {
        self.functions.insert(function.to_owned(), role_arn.to_owned());
    }

    /// Calls signed with `access_key` are `function`'s ([`function_id`]).
    pub fn bind(&mut self, access_key: &str, function: &str) {
        self.keys.insert(access_key.to_owned(), function.to_owned());
    }

    pub fn report(&self) -> Report {
        self.report.clone()
    }

    /// The role of the function that signed `request`, if it is one of
    /// the template's.
    fn caller(&self, request: &Recorded) -> Option<(&String, String)> {
        let key = request
            .header("authorization")?
            .split("Credential=")
            .nth(1)?
            .split('/')
            .next()?;
        let function = self.keys.get(key)?;
        let role = self.functions.get(function)?;
        Some((role, function.clone()))
    }

    /// Checks `request` (a call to `service`) before it is answered.
    /// `Some` when it must be refused.
    pub fn before(&mut self, service: &str, request: &Recorded) -> Option<Refusal> {
        let (role_arn, function) = self.caller(request).map(|(r, f)| (r.clone(), f))?;
        let call = describe_call(service, request);
        let operation = match operations::identify(service, request) {
            Ok(operation) => operation,
            Err(why) => {
                self.report.unmapped.push(format!("{call} by {function}: {why}"));
                return None;
            }
        };
        let body = request_body(request);
        let needs = match calls::needs(service, &operation, &body, &request.body, &self.world, &self.env) {
            Ok(needs) => needs,
            Err(why) => {
                self.report.unmapped.push(format!("{call} by {function}: {why}"));
                return None;
            }
        };
        let call = format!("{service}:{} ({call}) by {function}", operation.name);
        let mut refusal = None;
        for need in needs {
            let allowed = self.decide(&role_arn, &call, &need);
            if !allowed && refusal.is_none() {
                let role_name = role_arn.rsplit('/').next().unwrap_or(&role_arn);
                refusal = Some(Refusal {
                    message: format!(
                        "User: arn:{}:sts::{}:assumed-role/{role_name}/{function} is not authorized to perform: {} on resource: {} because no identity-based policy allows the {} action",
                        self.env.partition, self.env.account, need.action, need.resource, need.action
                    ),
                });
            }
        }
        refusal.filter(|_| self.enforce)
    }

    /// Learns from the answer to `request`, and checks what the services
    /// will do as the roles a successful call gave them.
    pub fn after(&mut self, service: &str, request: &Recorded, status: u16, answer: &[u8]) {
        if !(200..300).contains(&status) {
            return;
        }
        let Ok(operation) = operations::identify(service, request) else {
            return;
        };
        let body = request_body(request);
        let answer: Value = serde_json::from_slice(answer)
            .ok()
            .or_else(|| crate::cbor::to_json(answer).ok())
            .unwrap_or(Value::Null);
        self.world.observe(service, &operation, &body, &answer);
        // Only the template's functions hand the services roles worth checking.
        if self.caller(request).is_none() {
            return;
        }
        match calls::service_needs(service, &operation, &body, &self.world, &self.env) {
            Ok(needs) => {
                for need in needs {
                    let Principal::ServiceRole { arn, service: user } = &need.principal else {
                        continue;
                    };
                    let call = format!("what {user} does with the role {service}:{} gave it", operation.name);
                    self.decide(&arn.clone(), &call, &need);
                }
            }
            Err(why) => self
                .report
                .unmapped
                .push(format!("what {service}:{} gives a service: {why}", operation.name)),
        }
    }

    /// Evaluates one need against `role_arn`'s policies and records it.
    fn decide(&mut self, role_arn: &str, call: &str, need: &calls::Need) -> bool {
        let (role, allowed) = match self.roles.get(role_arn) {
            // A role the template did not make (a user's own) is not ours to judge.
            None => return true,
            Some(role) => {
                let decision = policy::evaluate(&role.all_documents(), &need.action, &need.resource, &need.context);
                match decision {
                    Ok(decision) => (role.logical_id.clone(), decision == Decision::Allowed),
                    Err(why) => {
                        self.report
                            .unmapped
                            .push(format!("{}'s policy for {call}: {why}", role.logical_id));
                        return true;
                    }
                }
            }
        };
        self.report.checked.push(Checked {
            role,
            call: call.to_owned(),
            action: need.action.clone(),
            resource: need.resource.clone(),
            context: need.context.clone(),
            allowed,
        });
        allowed
    }
}

/// A function of a stack, as the gate knows it: `<stack name>:<logical id>`.
pub fn function_id(stack_name: &str, logical_id: &str) -> String {
    format!("{stack_name}:{logical_id}")
}

/// A request's body as JSON, whether it came as JSON or as CBOR.
fn request_body(request: &Recorded) -> Value {
    if request.header("content-type").is_some_and(|t| t.contains("cbor")) {
        return crate::cbor::to_json(&request.body).unwrap_or(Value::Null);
    }
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

fn describe_call(service: &str, request: &Recorded) -> String {
    let path = request.target.split('?').next().unwrap_or_default();
    match request.header("x-amz-target") {
        Some(target) => format!("{service} {target}"),
        None => format!("{service} {} {path}", request.method),
    }
}
