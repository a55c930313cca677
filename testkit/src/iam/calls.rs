//! What IAM authorizes for each API call the stack's functions make: the
//! actions (the call's own and those it implies: tag-on-create,
//! `iam:PassRole`), the resources each is authorized against, and the
//! condition keys the request carries. Which extra actions an operation
//! implies follows the "API operations" table of each service's page in
//! the Service Authorization Reference; resource types and ARN formats
//! come from the reference's data ([`Sar`]).
//!
//! Also what the services themselves will do with the roles they are
//! given: MediaLive reads the input's files and passwords and describes
//! the MediaPackage channel as the channel's role; MediaPackage reads the
//! CDN secret as the endpoint's role.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::operations::Operation;
use super::policy::Context;
use super::sar::Sar;

/// Where the ARNs live.
#[derive(Debug, Clone)]
pub struct Env {
    pub partition: String,
    pub region: String,
    pub account: String,
}

/// Who needs the permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The function that made the call.
    Caller,
    /// A role a service was given, when the service uses it.
    ServiceRole { arn: String, service: &'static str },
}

#[derive(Debug, Clone)]
pub(super) struct Need {
    pub principal: Principal,
    pub action: String,
    pub resource: String,
    pub context: Context,
}

/// The id the reference's ARN gets for a resource a create is making
/// (the real one is not known until it exists).
const NEW: &str = "new";
/// A secret's ARN ends in six characters Secrets Manager picks.
const NEW_SECRET_SUFFIX: &str = "-AbCdEf";

/// A resource as the calls so far have shown it.
#[derive(Debug, Clone, Default)]
struct Known {
    tags: BTreeMap<String, String>,
    /// What a describe or create answered (MediaLive inputs: sources, type, role).
    description: Value,
}

/// What the calls so far have shown of the account: ARNs the services
/// generate, tags (for `aws:ResourceTag`), inputs (for what MediaLive
/// reads), secrets by name.
#[derive(Debug, Default)]
pub(super) struct World {
    /// By `(kind, id)`: `("medialive:channel", "1234")`.
    known: HashMap<(String, String), Known>,
    /// A secret's ARN by its name.
    secrets: HashMap<String, String>,
}

fn tag_map(tags: &Value) -> BTreeMap<String, String> {
    match tags {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect(),
        // Secrets Manager and SSM: [{Key, Value}].
        Value::Array(items) => items
            .iter()
            .filter_map(|t| Some((t["Key"].as_str()?.to_owned(), t["Value"].as_str()?.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

impl World {
    fn learn(&mut self, kind: &str, item: &Value) {
        let Some(id) = item["id"].as_str().or_else(|| item["Id"].as_str()) else {
            return;
        };
        let known = self.known.entry((kind.to_owned(), id.to_owned())).or_default();
        if !item["tags"].is_null() {
            known.tags = tag_map(&item["tags"]);
        }
        known.description = item.clone();
    }

    fn known(&self, kind: &str, id: &str) -> Option<&Known> {
        self.known.get(&(kind.to_owned(), id.to_owned()))
    }

    fn tags(&self, kind: &str, id: &str) -> BTreeMap<String, String> {
        self.known(kind, id).map(|k| k.tags.clone()).unwrap_or_default()
    }

    /// Learns from a successful answer of `operation`.
    pub(super) fn observe(&mut self, service: &str, operation: &Operation, request: &Value, answer: &Value) {
        let op = operation.name.as_str();
        match (service, op) {
            ("medialive", "CreateInput") => self.learn("medialive:input", &answer["input"]),
            ("medialive", "DescribeInput") => self.learn("medialive:input", answer),
            ("medialive", "CreateInputSecurityGroup") => {
                self.learn("medialive:input-security-group", &answer["securityGroup"]);
            }
            ("medialive", "DescribeInputSecurityGroup") => self.learn("medialive:input-security-group", answer),
            ("medialive", "CreateChannel") => self.learn("medialive:channel", &answer["channel"]),
            ("medialive", "DescribeChannel") => self.learn("medialive:channel", answer),
            ("medialive", "ListChannels") => {
                for channel in answer["channels"].as_array().into_iter().flatten() {
                    self.learn("medialive:channel", channel);
                }
            }
            ("medialive", "ListInputs") => {
                for input in answer["inputs"].as_array().into_iter().flatten() {
                    self.learn("medialive:input", input);
                }
            }
            ("mediapackage", "CreateChannel" | "DescribeChannel" | "UpdateChannel") => {
                self.learn("mediapackage:channels", answer);
            }
            ("mediapackage", "CreateOriginEndpoint" | "DescribeOriginEndpoint" | "UpdateOriginEndpoint") => {
                self.learn("mediapackage:origin_endpoints", answer);
            }
            ("mediapackage", "ListOriginEndpoints") => {
                for endpoint in answer["originEndpoints"].as_array().into_iter().flatten() {
                    self.learn("mediapackage:origin_endpoints", endpoint);
                }
            }
            ("secretsmanager", "CreateSecret" | "DescribeSecret") => {
                if let (Some(name), Some(arn)) = (answer["Name"].as_str(), answer["ARN"].as_str()) {
                    self.secrets.insert(name.to_owned(), arn.to_owned());
                    let known = self
                        .known
                        .entry(("secretsmanager:Secret".to_owned(), arn.to_owned()))
                        .or_default();
                    let tags = if op == "CreateSecret" {
                        &request["Tags"]
                    } else {
                        &answer["Tags"]
                    };
                    known.tags = tag_map(tags);
                }
            }
            ("secretsmanager", "DeleteSecret") => {
                if let Some(name) = answer["Name"].as_str() {
                    self.secrets.remove(name);
                }
            }
            _ => {}
        }
    }
}

/// Builds the needs of one call.
struct Needs<'a> {
    sar: &'a Sar,
    env: &'a Env,
    out: Vec<Need>,
}

/// The ARNs a call names, by resource type.
type Arns = Vec<(&'static str, String, BTreeMap<String, String>)>;

impl Needs<'_> {
    fn arn(&self, prefix: &str, resource_type: &str, vars: &[(&str, &str)]) -> Result<String, String> {
        let mut all = vec![
            ("Partition", self.env.partition.as_str()),
            ("Region", self.env.region.as_str()),
            ("Account", self.env.account.as_str()),
        ];
        all.extend_from_slice(vars);
        self.sar.arn(prefix, resource_type, &all)
    }

    /// `action` on the resources of `arns` its reference entry asks for
    /// (the required types, or the optional ones the call names), else on
    /// `*`; each with `context` and that resource's tags.
    fn authorize(&mut self, principal: &Principal, action: &str, arns: &Arns, context: &Context) -> Result<(), String> {
        if self.sar.privilege(action).is_none() {
            return Err(format!("{action} is not in the Service Authorization Reference"));
        }
        let required = self.sar.required_resource_types(action);
        let chosen: Vec<_> = arns
            .iter()
            .filter(|(kind, _, _)| {
                if required.is_empty() {
                    self.sar.acts_on(action, kind)
                } else {
                    required.iter().any(|r| r == kind)
                }
            })
            .collect();
        if chosen.is_empty() {
            if !required.is_empty() {
                return Err(format!(
                    "{action} is authorized on {required:?}, and the call names none of them"
                ));
            }
            self.push(principal, action, "*", context.clone());
            return Ok(());
        }
        for (_, arn, tags) in chosen {
            let mut context = context.clone();
            for (key, value) in tags {
                context.insert(format!("aws:ResourceTag/{key}"), vec![value.clone()]);
            }
            self.push(principal, action, arn, context);
        }
        Ok(())
    }

    fn push(&mut self, principal: &Principal, action: &str, resource: &str, context: Context) {
        self.out.push(Need {
            principal: principal.clone(),
            action: action.to_owned(),
            resource: resource.to_owned(),
            context,
        });
    }

    /// A service-internal action its service's guide tells to grant but
    /// the reference does not list (MediaLive's managed MediaConnect
    /// actions), on `*`.
    fn unlisted(&mut self, principal: &Principal, action: &str) {
        self.push(principal, action, "*", Context::new());
    }

    /// `iam:PassRole` of `role_arn` to `service`.
    fn pass_role(&mut self, role_arn: &str, service: &str) -> Result<(), String> {
        let role = self.role(role_arn)?;
        let context = Context::from([("iam:PassedToService".to_owned(), vec![service.to_owned()])]);
        self.authorize(&Principal::Caller, "iam:PassRole", &vec![role], &context)
    }

    fn role(&self, role_arn: &str) -> Result<(&'static str, String, BTreeMap<String, String>), String> {
        let name = role_arn
            .split_once(":role/")
            .map(|(_, name)| name)
            .ok_or_else(|| format!("{role_arn} is not a role ARN"))?;
        Ok((
            "role",
            self.arn("iam", "role", &[("RoleNameWithPath", name)])?,
            BTreeMap::new(),
        ))
    }
}

/// `aws:RequestTag/<key>` and `aws:TagKeys` for the tags a request sets.
fn request_tags(tags: &Value) -> Context {
    let tags = tag_map(tags);
    let mut context: Context = tags
        .iter()
        .map(|(k, v)| (format!("aws:RequestTag/{k}"), vec![v.clone()]))
        .collect();
    if !tags.is_empty() {
        context.insert("aws:TagKeys".to_owned(), tags.keys().cloned().collect());
    }
    context
}

fn has_tags(tags: &Value) -> bool {
    !tag_map(tags).is_empty()
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value[key].as_str().filter(|s| !s.is_empty())
}

fn texts(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// What the call `operation` to `service` needs, `body` being its request.
pub(super) fn needs(
    service: &str,
    operation: &Operation,
    body: &Value,
    raw_body: &[u8],
    world: &World,
    env: &Env,
) -> Result<Vec<Need>, String> {
    let mut n = Needs {
        sar: Sar::get(),
        env,
        out: Vec::new(),
    };
    let caller = Principal::Caller;
    let op = operation.name.as_str();
    // The models name URI parameters in their own case (`{channelId}`, `{id}`).
    let param = |name: &str| {
        operation
            .path
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
            .ok_or_else(|| format!("{service}:{op} without its {name}"))
    };
    // IAM's prefix, where it is not the signing name.
    let prefix = match service {
        "monitoring" => "cloudwatch",
        other => other,
    };
    let action = format!("{prefix}:{op}");
    match service {
        "medialive" => {
            let input = |n: &Needs, id: &str| -> Result<_, String> {
                Ok((
                    "input",
                    n.arn("medialive", "input", &[("InputId", id)])?,
                    world.tags("medialive:input", id),
                ))
            };
            let group = |n: &Needs, id: &str| -> Result<_, String> {
                Ok((
                    "input-security-group",
                    n.arn("medialive", "input-security-group", &[("InputSecurityGroupId", id)])?,
                    world.tags("medialive:input-security-group", id),
                ))
            };
            let channel = |n: &Needs, id: &str| -> Result<_, String> {
                Ok((
                    "channel",
                    n.arn("medialive", "channel", &[("ChannelId", id)])?,
                    world.tags("medialive:channel", id),
                ))
            };
            let context = request_tags(&body["tags"]);
            match op {
                "CreateInput" => {
                    let mut arns = vec![input(&n, NEW)?];
                    for id in texts(&body["inputSecurityGroups"]) {
                        arns.push(group(&n, &id)?);
                    }
                    n.authorize(&caller, &action, &arns, &context)?;
                    if has_tags(&body["tags"]) {
                        n.authorize(&caller, "medialive:CreateTags", &arns[..1].to_vec(), &context)?;
                    }
                    if let Some(role) = text(body, "roleArn") {
                        n.pass_role(role, "medialive.amazonaws.com")?;
                    }
                }
                "DescribeInput" | "UpdateInput" | "DeleteInput" => {
                    let mut arns = vec![input(&n, &param("InputId")?)?];
                    for id in texts(&body["inputSecurityGroups"]) {
                        arns.push(group(&n, &id)?);
                    }
                    n.authorize(&caller, &action, &arns, &Context::new())?;
                    if let Some(role) = text(body, "roleArn") {
                        n.pass_role(role, "medialive.amazonaws.com")?;
                    }
                }
                "CreateInputSecurityGroup" => {
                    let arns = vec![group(&n, NEW)?];
                    n.authorize(&caller, &action, &arns, &context)?;
                    if has_tags(&body["tags"]) {
                        n.authorize(&caller, "medialive:CreateTags", &arns, &context)?;
                    }
                }
                "DescribeInputSecurityGroup" | "UpdateInputSecurityGroup" | "DeleteInputSecurityGroup" => {
                    let arns = vec![group(&n, &param("InputSecurityGroupId")?)?];
                    n.authorize(&caller, &action, &arns, &Context::new())?;
                }
                "CreateChannel" => {
                    let mut arns = vec![channel(&n, NEW)?];
                    for attachment in body["inputAttachments"].as_array().into_iter().flatten() {
                        if let Some(id) = text(attachment, "inputId") {
                            arns.push(input(&n, id)?);
                        }
                    }
                    n.authorize(&caller, &action, &arns, &context)?;
                    if has_tags(&body["tags"]) {
                        n.authorize(&caller, "medialive:CreateTags", &arns[..1].to_vec(), &context)?;
                    }
                    if let Some(role) = text(body, "roleArn") {
                        n.pass_role(role, "medialive.amazonaws.com")?;
                    }
                }
                "DescribeChannel" | "UpdateChannel" | "DeleteChannel" | "StartChannel" | "StopChannel" => {
                    let arns = vec![channel(&n, &param("ChannelId")?)?];
                    n.authorize(&caller, &action, &arns, &Context::new())?;
                    if let Some(role) = text(body, "roleArn") {
                        n.pass_role(role, "medialive.amazonaws.com")?;
                    }
                }
                "ListChannels" | "ListInputs" | "ListInputSecurityGroups" => {
                    n.authorize(&caller, &action, &Vec::new(), &Context::new())?;
                }
                _ => return Err(format!("the IAM test does not know {action} yet")),
            }
        }
        "mediapackage" => {
            let known = |kind: &str, resource_type: &'static str, var: &str, id: &str| -> Result<_, String> {
                // The real ARN ends in an id MediaPackage generates (the
                // emulator's ARNs are not shaped like AWS's); the id given
                // stands in for it, which a `channels/*` grant treats alike.
                let arn = n.arn("mediapackage", resource_type, &[(var, id)])?;
                Ok((resource_type, arn, world.tags(kind, id)))
            };
            let context = request_tags(&body["tags"]);
            match op {
                "CreateChannel" | "CreateOriginEndpoint" => {
                    n.authorize(&caller, &action, &Vec::new(), &context)?;
                    if has_tags(&body["tags"]) {
                        n.authorize(&caller, "mediapackage:TagResource", &Vec::new(), &context)?;
                    }
                    if let Some(role) = text(&body["authorization"], "secretsRoleArn") {
                        n.pass_role(role, "mediapackage.amazonaws.com")?;
                    }
                }
                "DescribeChannel" | "UpdateChannel" | "DeleteChannel" => {
                    let arns = vec![known(
                        "mediapackage:channels",
                        "channels",
                        "ChannelIdentifier",
                        &param("Id")?,
                    )?];
                    n.authorize(&caller, &action, &arns, &Context::new())?;
                }
                "DescribeOriginEndpoint" | "UpdateOriginEndpoint" | "DeleteOriginEndpoint" => {
                    let arns = vec![known(
                        "mediapackage:origin_endpoints",
                        "origin_endpoints",
                        "OriginEndpointIdentifier",
                        &param("Id")?,
                    )?];
                    n.authorize(&caller, &action, &arns, &Context::new())?;
                    if let Some(role) = text(&body["authorization"], "secretsRoleArn") {
                        n.pass_role(role, "mediapackage.amazonaws.com")?;
                    }
                }
                "ListChannels" | "ListOriginEndpoints" => {
                    n.authorize(&caller, &action, &Vec::new(), &Context::new())?;
                }
                _ => return Err(format!("the IAM test does not know {action} yet")),
            }
        }
        "secretsmanager" => {
            let secret = |id: &str| -> Result<_, String> {
                let arn = if id.starts_with("arn:") {
                    id.to_owned()
                } else if let Some(arn) = world.secrets.get(id) {
                    arn.clone()
                } else {
                    // A name no secret has: IAM evaluates the ARN without the
                    // six characters Secrets Manager would have added.
                    n.arn("secretsmanager", "Secret", &[("SecretId", id)])?
                };
                let tags = world.tags("secretsmanager:Secret", &arn);
                Ok(("Secret", arn, tags))
            };
            match op {
                "CreateSecret" => {
                    let name = text(body, "Name").ok_or("CreateSecret without a Name")?;
                    let arn = n.arn(
                        "secretsmanager",
                        "Secret",
                        &[("SecretId", &format!("{name}{NEW_SECRET_SUFFIX}"))],
                    )?;
                    let arns = vec![("Secret", arn, BTreeMap::new())];
                    let context = request_tags(&body["Tags"]);
                    n.authorize(&caller, &action, &arns, &context)?;
                    if has_tags(&body["Tags"]) {
                        n.authorize(&caller, "secretsmanager:TagResource", &arns, &context)?;
                    }
                }
                "DescribeSecret" | "GetSecretValue" | "UpdateSecret" | "DeleteSecret" | "TagResource" => {
                    let id = text(body, "SecretId").ok_or_else(|| format!("{op} without a SecretId"))?;
                    n.authorize(&caller, &action, &vec![secret(id)?], &Context::new())?;
                }
                _ => return Err(format!("the IAM test does not know {action} yet")),
            }
        }
        "ssm" => {
            let parameter = |name: &str| -> Result<_, String> {
                Ok((
                    "parameter",
                    n.arn(
                        "ssm",
                        "parameter",
                        &[("ParameterNameWithoutLeadingSlash", name.trim_start_matches('/'))],
                    )?,
                    BTreeMap::new(),
                ))
            };
            match op {
                "PutParameter" => {
                    let name = text(body, "Name").ok_or("PutParameter without a Name")?;
                    let arns = vec![parameter(name)?];
                    let mut context = request_tags(&body["Tags"]);
                    let overwrite = body["Overwrite"].as_bool().unwrap_or(false);
                    context.insert("ssm:Overwrite".to_owned(), vec![overwrite.to_string()]);
                    n.authorize(&caller, &action, &arns, &context)?;
                    if has_tags(&body["Tags"]) {
                        n.authorize(&caller, "ssm:AddTagsToResource", &arns, &context)?;
                    }
                }
                "DeleteParameter" | "GetParameter" => {
                    let name = text(body, "Name").ok_or_else(|| format!("{op} without a Name"))?;
                    n.authorize(&caller, &action, &vec![parameter(name)?], &Context::new())?;
                }
                "DeleteParameters" | "GetParameters" => {
                    let arns = texts(&body["Names"])
                        .iter()
                        .map(|name| parameter(name))
                        .collect::<Result<Vec<_>, _>>()?;
                    n.authorize(&caller, &action, &arns, &Context::new())?;
                }
                _ => return Err(format!("the IAM test does not know {action} yet")),
            }
        }
        "s3" => {
            let bucket = param("Bucket")?;
            let object = |n: &Needs, key: &str| -> Result<_, String> {
                Ok((
                    "object",
                    n.arn("s3", "object", &[("BucketName", &bucket), ("ObjectName", key)])?,
                    BTreeMap::new(),
                ))
            };
            match op {
                "PutObject" => {
                    let arns = vec![object(&n, &param("Key")?)?];
                    n.authorize(&caller, "s3:PutObject", &arns, &Context::new())?;
                }
                // HeadObject is authorized as s3:GetObject (Amazon S3 API
                // Reference, HeadObject, "Permissions").
                "GetObject" | "HeadObject" => {
                    let arns = vec![object(&n, &param("Key")?)?];
                    n.authorize(&caller, "s3:GetObject", &arns, &Context::new())?;
                }
                "DeleteObject" => {
                    let arns = vec![object(&n, &param("Key")?)?];
                    n.authorize(&caller, "s3:DeleteObject", &arns, &Context::new())?;
                }
                // DeleteObjects needs s3:DeleteObject on every key it names.
                "DeleteObjects" => {
                    let xml = String::from_utf8_lossy(raw_body);
                    let keys: Vec<String> = xml
                        .split("<Key>")
                        .skip(1)
                        .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| xml_unescape(key)))
                        .collect();
                    let arns = keys.iter().map(|key| object(&n, key)).collect::<Result<Vec<_>, _>>()?;
                    n.authorize(&caller, "s3:DeleteObject", &arns, &Context::new())?;
                }
                // Listing is s3:ListBucket on the bucket, with the prefix as s3:prefix.
                "ListObjectsV2" | "ListObjects" => {
                    let arns = vec![(
                        "bucket",
                        n.arn("s3", "bucket", &[("BucketName", &bucket)])?,
                        BTreeMap::new(),
                    )];
                    let mut context = Context::new();
                    for (query, key) in [
                        ("prefix", "s3:prefix"),
                        ("delimiter", "s3:delimiter"),
                        ("max-keys", "s3:max-keys"),
                    ] {
                        if let Some(value) = operation.query.get(query) {
                            context.insert(key.to_owned(), vec![value.clone()]);
                        }
                    }
                    n.authorize(&caller, "s3:ListBucket", &arns, &context)?;
                }
                _ => return Err(format!("the IAM test does not know {action} yet")),
            }
        }
        // Harvest jobs (recordings): each call on the resources its path
        // names, the job by the name its body (or path) gives; tags given
        // at creation need TagResource too.
        "mediapackagev2" => {
            let group = param("ChannelGroupName")?;
            let mut arns = vec![(
                "ChannelGroup",
                n.arn("mediapackagev2", "ChannelGroup", &[("ChannelGroupName", &group)])?,
                BTreeMap::new(),
            )];
            if let Ok(channel) = param("ChannelName") {
                let at = [("ChannelGroupName", group.as_str()), ("ChannelName", channel.as_str())];
                arns.push(("Channel", n.arn("mediapackagev2", "Channel", &at)?, BTreeMap::new()));
                if let Ok(endpoint) = param("OriginEndpointName") {
                    let at = [at[0], at[1], ("OriginEndpointName", endpoint.as_str())];
                    arns.push((
                        "OriginEndpoint",
                        n.arn("mediapackagev2", "OriginEndpoint", &at)?,
                        BTreeMap::new(),
                    ));
                    let job = param("HarvestJobName")
                        .ok()
                        .or_else(|| text(body, "HarvestJobName").map(str::to_owned));
                    if let Some(job) = job {
                        let at = [at[0], at[1], at[2], ("HarvestJobName", job.as_str())];
                        arns.push((
                            "HarvestJob",
                            n.arn("mediapackagev2", "HarvestJob", &at)?,
                            BTreeMap::new(),
                        ));
                    }
                }
            }
            match op {
                "CreateHarvestJob" | "GetHarvestJob" | "ListHarvestJobs" | "CancelHarvestJob" => {
                    n.authorize(&caller, &action, &arns, &request_tags(&body["Tags"]))?;
                    if op == "CreateHarvestJob" && has_tags(&body["Tags"]) {
                        n.authorize(
                            &caller,
                            "mediapackagev2:TagResource",
                            &arns,
                            &request_tags(&body["Tags"]),
                        )?;
                    }
                }
                _ => return Err(format!("the IAM test does not know {action} yet")),
            }
        }
        "scheduler" if op == "ListSchedules" => {
            n.authorize(&caller, &action, &Vec::new(), &Context::new())?;
        }
        "scheduler" => {
            let name = param("Name")?;
            // CreateSchedule and UpdateSchedule carry the group in the body.
            let group = match op {
                "CreateSchedule" | "UpdateSchedule" => text(body, "GroupName").map(str::to_owned),
                _ => operation.query.get("groupName").cloned(),
            }
            .unwrap_or_else(|| "default".to_owned());
            let arns = vec![(
                "schedule",
                n.arn(
                    "scheduler",
                    "schedule",
                    &[("GroupName", &group), ("ScheduleName", &name)],
                )?,
                BTreeMap::new(),
            )];
            match op {
                "CreateSchedule" | "GetSchedule" | "DeleteSchedule" | "UpdateSchedule" => {
                    n.authorize(&caller, &action, &arns, &Context::new())?;
                    if let Some(role) = text(&body["Target"], "RoleArn") {
                        n.pass_role(role, "scheduler.amazonaws.com")?;
                    }
                }
                _ => return Err(format!("the IAM test does not know {action} yet")),
            }
        }
        "sns" => match op {
            "Publish" => {
                let form = super::operations::pairs(std::str::from_utf8(raw_body).unwrap_or_default());
                let topic = form.get("TopicArn").ok_or("Publish without a TopicArn")?;
                let name = topic.rsplit(':').next().unwrap_or_default();
                let arns = vec![("topic", n.arn("sns", "topic", &[("TopicName", name)])?, BTreeMap::new())];
                n.authorize(&caller, &action, &arns, &Context::new())?;
            }
            _ => return Err(format!("the IAM test does not know {action} yet")),
        },
        "monitoring" => match op {
            // Authorized on each alarm it names (a prefix: every alarm that
            // may start with it).
            "DescribeAlarms" => {
                let mut names = texts(&body["AlarmNames"]);
                if let Some(prefix) = text(body, "AlarmNamePrefix") {
                    names.push(format!("{prefix}*"));
                }
                if names.is_empty() {
                    names.push("*".to_owned());
                }
                let arns = names
                    .iter()
                    .map(|name| {
                        Ok((
                            "alarm",
                            n.arn("cloudwatch", "alarm", &[("AlarmName", name)])?,
                            BTreeMap::new(),
                        ))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                n.authorize(&caller, &action, &arns, &Context::new())?;
            }
            // No resource type and no condition keys of its own (Service
            // Authorization Reference, "Actions defined by Amazon
            // CloudWatch"): granted on "*" or not at all.
            "GetMetricData" => {
                n.authorize(&caller, &action, &Vec::new(), &Context::new())?;
            }
            _ => return Err(format!("the IAM test does not know {action} yet")),
        },
        other => return Err(format!("the IAM test does not know the service {other} yet")),
    }
    Ok(n.out)
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// What the services will do as the roles a successful call gave them:
/// MediaLive, running the channel, reads its inputs' files from S3 and
/// their passwords from SSM, describes the MediaPackage v1 channel or
/// writes CMAF ingest into the v2 one (mediapackagev2:PutObject) as the
/// channel's role, and manages MediaConnect flow outputs as the input's
/// role; MediaPackage reads the CDN secret as the endpoint's role (the
/// MediaPackage user guide, "Secrets Manager access for CDN
/// authorization", lists GetSecretValue, DescribeSecret,
/// ListSecretVersionIds, ListSecrets, and GetRole and PassRole on the
/// role itself).
pub(super) fn service_needs(
    service: &str,
    operation: &Operation,
    body: &Value,
    world: &World,
    env: &Env,
) -> Result<Vec<Need>, String> {
    let mut n = Needs {
        sar: Sar::get(),
        env,
        out: Vec::new(),
    };
    match (service, operation.name.as_str()) {
        ("medialive", "CreateChannel" | "UpdateChannel") => {
            let Some(role) = text(body, "roleArn") else {
                return Ok(Vec::new());
            };
            let medialive = Principal::ServiceRole {
                arn: role.to_owned(),
                service: "medialive",
            };
            for attachment in body["inputAttachments"].as_array().into_iter().flatten() {
                let Some(input) = text(attachment, "inputId").and_then(|id| world.known("medialive:input", id)) else {
                    continue;
                };
                let input = &input.description;
                for source in input["sources"].as_array().into_iter().flatten() {
                    let url = text(source, "url").unwrap_or_default();
                    if let Some(object) = url.strip_prefix("s3ssl://").or_else(|| url.strip_prefix("s3://")) {
                        let (bucket, key) = object.split_once('/').unwrap_or((object, ""));
                        let arns = vec![(
                            "object",
                            n.arn("s3", "object", &[("BucketName", bucket), ("ObjectName", key)])?,
                            BTreeMap::new(),
                        )];
                        n.authorize(&medialive, "s3:GetObject", &arns, &Context::new())?;
                    }
                    if let Some(parameter) = text(source, "passwordParam") {
                        let arns = vec![(
                            "parameter",
                            n.arn(
                                "ssm",
                                "parameter",
                                &[("ParameterNameWithoutLeadingSlash", parameter.trim_start_matches('/'))],
                            )?,
                            BTreeMap::new(),
                        )];
                        n.authorize(&medialive, "ssm:GetParameters", &arns, &Context::new())?;
                    }
                }
                // An SRT input's passphrase, read from its secret as the
                // channel's role.
                let srt = &input["srtSettings"];
                let decryptions = srt["srtCallerSources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|source| &source["decryption"])
                    .chain([&srt["srtListenerSettings"]["decryption"]]);
                for secret in decryptions.filter_map(|d| text(d, "passphraseSecretArn")) {
                    let arns = vec![("Secret", secret.to_owned(), world.tags("secretsmanager:Secret", secret))];
                    n.authorize(&medialive, "secretsmanager:GetSecretValue", &arns, &Context::new())?;
                }
                if input["type"].as_str() == Some("MEDIACONNECT")
                    && let Some(input_role) = text(input, "roleArn")
                {
                    let flows = Principal::ServiceRole {
                        arn: input_role.to_owned(),
                        service: "medialive",
                    };
                    for action in [
                        "mediaconnect:ManagedDescribeFlow",
                        "mediaconnect:ManagedAddOutput",
                        "mediaconnect:ManagedRemoveOutput",
                    ] {
                        n.unlisted(&flows, action);
                    }
                }
            }
            for destination in body["destinations"].as_array().into_iter().flatten() {
                for settings in destination["mediaPackageSettings"].as_array().into_iter().flatten() {
                    // MediaPackage v2: MediaLive writes CMAF ingest as the role.
                    if let (Some(group), Some(channel)) =
                        (text(settings, "channelGroup"), text(settings, "channelName"))
                    {
                        let arn = n.arn(
                            "mediapackagev2",
                            "Channel",
                            &[("ChannelGroupName", group), ("ChannelName", channel)],
                        )?;
                        let arns = vec![("Channel", arn, BTreeMap::new())];
                        n.authorize(&medialive, "mediapackagev2:PutObject", &arns, &Context::new())?;
                        continue;
                    }
                    let Some(id) = text(settings, "channelId") else {
                        continue;
                    };
                    let arn = n.arn("mediapackage", "channels", &[("ChannelIdentifier", id)])?;
                    let arns = vec![("channels", arn, BTreeMap::new())];
                    n.authorize(&medialive, "mediapackage:DescribeChannel", &arns, &Context::new())?;
                }
            }
        }
        ("mediapackage", "CreateOriginEndpoint" | "UpdateOriginEndpoint") => {
            let authorization = &body["authorization"];
            let (Some(secret), Some(role)) = (
                text(authorization, "cdnIdentifierSecret"),
                text(authorization, "secretsRoleArn"),
            ) else {
                return Ok(Vec::new());
            };
            let mediapackage = Principal::ServiceRole {
                arn: role.to_owned(),
                service: "mediapackage",
            };
            let secret = vec![("Secret", secret.to_owned(), world.tags("secretsmanager:Secret", secret))];
            for action in [
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
                "secretsmanager:ListSecretVersionIds",
            ] {
                n.authorize(&mediapackage, action, &secret, &Context::new())?;
            }
            n.authorize(
                &mediapackage,
                "secretsmanager:ListSecrets",
                &Vec::new(),
                &Context::new(),
            )?;
            let itself = vec![n.role(role)?];
            n.authorize(&mediapackage, "iam:GetRole", &itself, &Context::new())?;
            n.authorize(&mediapackage, "iam:PassRole", &itself, &Context::new())?;
        }
        _ => {}
    }
    Ok(n.out)
}
