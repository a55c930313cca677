//! `MediaLiveInput`: a MediaLive input of any type, with what it needs
//! around it: an input security group for push and SRT listener inputs,
//! SSM SecureString parameters for pull passwords. SRT passphrases stay in
//! Secrets Manager: the input names the secret, MediaLive reads it.
//!
//! Nothing leaks. The security group is recorded as soon as it exists, as
//! `input-security-group:<id>`, so a Create that fails or runs out of time
//! before the input exists answers with that id and the rollback's Delete
//! removes the group. If CreateInput itself fails, the group and the
//! parameters are removed at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_medialive::config::retry::RetryConfig;
use aws_sdk_medialive::operation::describe_input::DescribeInputOutput;
use aws_sdk_medialive::types::{
    ChannelClass, InputDestinationRequest, InputDeviceRequest, InputDeviceSettings, InputSecurityGroupState, InputSourceRequest,
    InputState, InputType, InputWhitelistRuleCidr, MediaConnectFlowRequest, SrtCallerDecryptionRequest, SrtCallerSourceRequest,
    SrtListenerDecryptionRequest, SrtListenerSettingsRequest, SrtSettingsRequest,
};
use aws_sdk_ssm::types::ParameterType;

use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::grants;
use crate::error::{Error, Found, aws_error, naming_quota};
use crate::ownership::{REQUEST_ID_TAG, tag_pairs};
use crate::wait::{self, Look};

mod spec;

pub(super) use spec::INPUT_TYPES;
use spec::{Feed, Pipeline, Spec};

/// Marks a physical id that is a security group whose input never came to be.
const GROUP_ONLY: &str = "input-security-group:";

pub(super) struct MediaLiveInput;

impl Resource for MediaLiveInput {
    const NAME: &'static str = "MediaLiveInput";
    const PROPERTIES: &'static [&'static str] = &[
        "Type",
        "Name",
        "ChannelClass",
        "StreamName",
        "Cidr",
        "PriUrl",
        "SecUrl",
        "PriUser",
        "PriPass",
        "SecUser",
        "SecPass",
        "RoleArn",
        "PriMediaConnectArn",
        "SecMediaConnectArn",
        "PriDeviceId",
        "SecDeviceId",
        "SrtPassphraseSecretArn",
        "SrtAlgorithm",
        "SrtMinimumLatency",
        "SrtStreamId",
    ];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        Spec::parse(props)
    }

    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        put_passwords(aws, req, spec).await?;
        let group = if spec.takes_cidrs() {
            let group = security_group_for(aws, req, spec.cidrs()).await?;
            req.record_created(&format!("{GROUP_ONLY}{group}"));
            Some(group)
        } else {
            None
        };
        let created = aws
            .medialive
            .create_input()
            .name(spec.name(req))
            .r#type(spec.input_type.clone())
            .set_destinations(destinations(spec))
            .set_sources(sources(req, spec))
            .set_input_security_groups(group.clone().map(|g| vec![g]))
            .set_media_connect_flows(flows(spec))
            .set_role_arn(role_arn(spec))
            .set_input_devices(devices(spec))
            .set_srt_settings(srt_settings(spec))
            // A repeated delivery of this Create gets the same input back.
            .request_id(&req.request_id)
            .set_tags(Some(req.ownership_tags()))
            .send()
            .await
            .map_err(aws_error("CreateInput"))
            .map_err(naming_quota(spec.quota()));
        let created = match created {
            Ok(created) => created,
            // Unanswered or cut short, the call may have made the input,
            // which would hold the group: the rollback's Delete of the
            // recorded group finds such an input and removes it first.
            Err(err) if err.is_transient() || matches!(err, Error::TimedOut(_)) => {
                tracing::warn!("CreateInput may have acted; what it made is left for the rollback's Delete");
                return Err(err);
            }
            Err(err) => {
                tracing::warn!("CreateInput was refused; removing what was made for it");
                if let Some(group) = &group {
                    delete_security_group(aws, req, group).await?;
                }
                if spec.has_passwords() {
                    delete_passwords(aws, req, None).await?;
                }
                req.clear_created();
                return Err(err);
            }
        };
        let id = created
            .input()
            .and_then(|input| input.id())
            .ok_or_else(|| Error::Unexpected("CreateInput returned no input id".to_owned()))?
            .to_owned();
        req.record_created(&id);
        tracing::info!(input = %id, input_type = spec.input_type.as_str(), "created MediaLive input");
        if let Some(group) = &group
            && let Some(input) = created.input()
            && !input.security_groups().contains(group)
        {
            // A concurrent delivery of this request made the input first,
            // with its own group: this one is unused.
            tracing::info!(group = %group, "another delivery's input won; deleting the unused security group");
            delete_security_group(aws, req, group).await?;
        }
        let input = wait_until_settled(aws, req, &id).await?;
        Ok(outcome(&input, group.as_deref(), spec))
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        let mut current = None;
        let replace = match old {
            Some(old) => old.input_type != new.input_type || old.class != new.class,
            // The old properties do not validate (CloudFormation rolling
            // back a refused update sends them as old): decide from the
            // input as it exists, never replace a live input on a guess.
            None => {
                current = describe(aws, physical_id).await?;
                current.as_ref().is_none_or(|input| !same_type_and_class(input, new))
            }
        };
        if replace {
            // A new input; CloudFormation deletes the old one afterwards.
            let replacement = Self::create(aws, req, new).await;
            // A failed Update keeps the old id, so nothing would ever
            // delete what this one made: remove it before answering.
            if let (Err(_), Some(made)) = (&replacement, req.created()) {
                tracing::warn!(input = %made, "the replacement failed; deleting what it made");
                if let Err(cleanup) = Self::delete(aws, req, &made, Some(new)).await {
                    tracing::warn!(cause = %cleanup, input = %made, "could not delete the failed replacement");
                }
                req.clear_created();
            }
            return replacement;
        }
        let current = match current {
            Some(input) => input,
            None => describe(aws, physical_id)
                .await?
                .ok_or_else(|| Error::BadState(format!("MediaLive input {physical_id} no longer exists")))?,
        };
        let group = current.security_groups().first().cloned();
        if let (Some(group), true) = (&group, old.is_none_or(|old| old.cidrs() != new.cidrs())) {
            aws.medialive
                .update_input_security_group()
                .input_security_group_id(group)
                .set_whitelist_rules(Some(whitelist(new.cidrs())))
                .send()
                .await
                .map_err(aws_error("UpdateInputSecurityGroup"))?;
        }
        put_passwords(aws, req, new).await?;
        aws.medialive
            .update_input()
            .input_id(physical_id)
            .name(new.name(req))
            .set_destinations(destinations(new))
            .set_sources(sources(req, new))
            .set_input_security_groups(group.clone().map(|g| vec![g]))
            .set_media_connect_flows(flows(new))
            .set_role_arn(role_arn(new))
            .set_input_devices(device_requests(new))
            .set_srt_settings(srt_settings(new))
            .send()
            .await
            .map_err(aws_error("UpdateInput"))?;
        if old.is_none_or(Spec::has_passwords) && !new.has_passwords() {
            delete_passwords(aws, req, Some(physical_id)).await?;
        }
        let input = wait_until_settled(aws, req, physical_id).await?;
        tracing::info!(input = %physical_id, "updated MediaLive input");
        Ok(outcome(&input, group.as_deref(), new))
    }

    fn could_be_id(physical_id: &str) -> bool {
        crate::ownership::is_medialive_id(physical_id.strip_prefix(GROUP_ONLY).unwrap_or(physical_id))
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        if let Some(group) = physical_id.strip_prefix(GROUP_ONLY) {
            let found = aws
                .medialive
                .describe_input_security_group()
                .input_security_group_id(group)
                .send()
                .await
                .map_err(aws_error("DescribeInputSecurityGroup"))
                .found()?;
            let Some(found) = found else {
                return delete_passwords_if(aws, req, spec, None).await;
            };
            if !req.may_delete(&format!("input security group {group}"), tag_pairs(found.tags())) {
                return Ok(());
            }
            // The Create stopped after the group; an input it made without
            // learning its id would hold the group. Such inputs go first.
            let holding = our_inputs(aws, req, |input| input.security_groups().iter().any(|g| g == group)).await?;
            for input in &holding {
                tracing::info!(input = %input, group = %group, "deleting the input a cut-off Create made");
                delete_input(aws, req, input).await?;
            }
            delete_security_group(aws, req, group).await?;
            return delete_passwords_if(aws, req, spec, None).await;
        }
        let Some(groups) = delete_input(aws, req, physical_id).await? else {
            return delete_passwords_if(aws, req, spec, Some(physical_id)).await;
        };
        for group in &groups {
            delete_security_group(aws, req, group).await?;
        }
        delete_passwords_if(aws, req, spec, Some(physical_id)).await
    }

    async fn delete_made_in(aws: &Clients, req: &Request, request_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let inputs = our_inputs(aws, req, |input| {
            tag_pairs(input.tags()).any(|tag| tag == (REQUEST_ID_TAG, request_id))
        })
        .await?;
        for input in &inputs {
            tracing::info!(input = %input, "deleting the input a cut-off Create made");
            delete_input(aws, req, input).await?;
        }
        for group in groups_made_in(aws, req, request_id).await? {
            tracing::info!(group = %group, "deleting the security group a cut-off Create made");
            delete_security_group(aws, req, &group).await?;
        }
        delete_passwords_if(aws, req, spec, None).await
    }
}

/// Deletes the input once no channel holds it; returns the security groups
/// it used, or `None` when it did not exist.
async fn delete_input(aws: &Clients, req: &Request, id: &str) -> Result<Option<Vec<String>>, Error> {
    let Some(input) = describe(aws, id).await? else {
        return Ok(None);
    };
    if !req.may_delete(&format!("MediaLive input {id}"), tag_pairs(input.tags())) {
        return Ok(Some(Vec::new()));
    }
    let groups = input.security_groups().to_vec();
    if input.state() == Some(&InputState::Attached) {
        // The channel using it is deleted first; the input detaches a while later.
        let what = format!("MediaLive input {id} detaching");
        wait::until(&what, req.work_until, || async {
            Ok(match describe(aws, id).await? {
                Some(input) if input.state() == Some(&InputState::Attached) => Look::NotYet("ATTACHED".to_owned()),
                _ => Look::Done(()),
            })
        })
        .await?;
    }
    let deleted = aws
        .medialive
        .delete_input()
        .input_id(id)
        .send()
        .await
        .map_err(aws_error("DeleteInput"))
        .found()?;
    if deleted.is_some() {
        tracing::info!(input = %id, "deleted MediaLive input");
    }
    Ok(Some(groups))
}

/// Deletes the pull passwords unless the properties show there were none
/// (properties that do not parse cannot tell; then look anyway).
async fn delete_passwords_if(
    aws: &Clients,
    req: &Request,
    spec: Option<&Spec>,
    deleting: Option<&str>,
) -> Result<(), Error> {
    let had_passwords = spec.is_none_or(Spec::has_passwords);
    if had_passwords {
        delete_passwords(aws, req, deleting).await
    } else {
        Ok(())
    }
}

/// The input's id and ARN, its endpoints (an SRT listener's with the
/// stream id the encoder must send), its security group.
fn outcome(input: &DescribeInputOutput, group: Option<&str>, spec: &Spec) -> Outcome {
    let id = input.id().unwrap_or_default();
    let stream_id = match &spec.feed {
        Feed::SrtListener {
            stream_id: Some(stream_id),
            ..
        } => Some(stream_id.as_str()),
        _ => None,
    };
    let url = |i: usize| {
        let url = input.destinations().get(i).and_then(|d| d.url()).unwrap_or_default();
        match stream_id {
            Some(stream_id) if !url.is_empty() => {
                let encoded: String = url::form_urlencoded::byte_serialize(stream_id.as_bytes()).collect();
                format!("{url}?streamid={encoded}")
            }
            _ => url.to_owned(),
        }
    };
    let group = group
        .map(str::to_owned)
        .or_else(|| input.security_groups().first().cloned())
        .unwrap_or_default();
    Outcome::new(id).with_data(BTreeMap::from([
        ("Id".to_owned(), id.to_owned()),
        ("Arn".to_owned(), input.arn().unwrap_or_default().to_owned()),
        ("EndPoint1".to_owned(), url(0)),
        ("EndPoint2".to_owned(), url(1)),
        ("SecurityGroupId".to_owned(), group),
    ]))
}

/// Whether an existing input has `spec`'s type and class. MediaLive
/// derives the class from the number of pipelines: two sources,
/// destinations, flows or devices make a STANDARD input.
fn same_type_and_class(input: &DescribeInputOutput, spec: &Spec) -> bool {
    let pipelines = [
        input.destinations().len(),
        input.sources().len(),
        input.media_connect_flows().len(),
        input.input_devices().len(),
        input.srt_settings().map_or(0, |srt| srt.srt_caller_sources().len()),
    ]
    .into_iter()
    .max()
    .unwrap_or_default();
    let class = if pipelines >= 2 {
        ChannelClass::Standard
    } else {
        ChannelClass::SinglePipeline
    };
    input.r#type() == Some(&spec.input_type) && class == spec.class
}

async fn describe(aws: &Clients, id: &str) -> Result<Option<DescribeInputOutput>, Error> {
    let input = aws
        .medialive
        .describe_input()
        .input_id(id)
        .send()
        .await
        .map_err(aws_error("DescribeInput"))
        .found()?;
    Ok(input.filter(|input| input.state() != Some(&InputState::Deleted)))
}

/// Waits while the input is still being created.
async fn wait_until_settled(aws: &Clients, req: &Request, id: &str) -> Result<DescribeInputOutput, Error> {
    let what = format!("MediaLive input {id} becoming ready");
    wait::until(&what, req.work_until, || async {
        Ok(match describe(aws, id).await? {
            Some(input) if input.state() == Some(&InputState::Creating) => Look::NotYet("CREATING".to_owned()),
            Some(input) => Look::Done(input),
            None => {
                return Err(Error::BadState(format!(
                    "MediaLive input {id} disappeared while being created"
                )));
            }
        })
    })
    .await
}

/// One destination per pipeline of the class: RTMP's named by stream; an
/// SRT listener's empty, but asked for, so that the input has the channel's
/// class (made without, it may come out single-pipeline).
fn destinations(spec: &Spec) -> Option<Vec<InputDestinationRequest>> {
    let pipelines = Pipeline::of(&spec.class).iter();
    match spec.input_type {
        InputType::RtmpPush => Some(
            pipelines
                .map(|pipeline| {
                    InputDestinationRequest::builder()
                        .stream_name(format!("{}/{}", spec.stream_name, pipeline.name()))
                        .build()
                })
                .collect(),
        ),
        InputType::SrtListener => Some(pipelines.map(|_| InputDestinationRequest::builder().build()).collect()),
        _ => None,
    }
}

/// The sources, each password by the name of the parameter that holds it.
fn sources(req: &Request, spec: &Spec) -> Option<Vec<InputSourceRequest>> {
    let sources = spec.sources()?;
    Some(
        sources
            .iter()
            .map(|(pipeline, source)| {
                InputSourceRequest::builder()
                    .url(&source.url)
                    .set_username(source.user.clone())
                    .set_password_param(source.password.as_ref().map(|_| parameter_name(req, pipeline)))
                    .build()
            })
            .collect(),
    )
}

fn role_arn(spec: &Spec) -> Option<String> {
    match &spec.feed {
        Feed::MediaConnect { role_arn, .. } => Some(role_arn.clone()),
        _ => None,
    }
}

fn flows(spec: &Spec) -> Option<Vec<MediaConnectFlowRequest>> {
    let Feed::MediaConnect { flows, .. } = &spec.feed else {
        return None;
    };
    Some(
        flows
            .values()
            .map(|arn| MediaConnectFlowRequest::builder().flow_arn(arn).build())
            .collect(),
    )
}

fn device_ids(spec: &Spec) -> Option<impl Iterator<Item = &String>> {
    match &spec.feed {
        Feed::Device { devices } => Some(devices.values()),
        _ => None,
    }
}

fn devices(spec: &Spec) -> Option<Vec<InputDeviceSettings>> {
    Some(
        device_ids(spec)?
            .map(|id| InputDeviceSettings::builder().id(id).build())
            .collect(),
    )
}

/// UpdateInput names devices with another type than CreateInput.
fn device_requests(spec: &Spec) -> Option<Vec<InputDeviceRequest>> {
    Some(
        device_ids(spec)?
            .map(|id| InputDeviceRequest::builder().id(id).build())
            .collect(),
    )
}

/// SRT's settings: the caller's sources (one per pipeline) or the
/// listener's, each with the latency and the passphrase's secret.
fn srt_settings(spec: &Spec) -> Option<SrtSettingsRequest> {
    match &spec.feed {
        Feed::SrtCaller { sources, srt } => {
            let decryption = srt.decryption.as_ref().map(|(algorithm, arn)| {
                SrtCallerDecryptionRequest::builder()
                    .algorithm(algorithm.clone())
                    .passphrase_secret_arn(arn)
                    .build()
            });
            let sources = sources
                .values()
                .map(|source| {
                    SrtCallerSourceRequest::builder()
                        .srt_listener_address(&source.address)
                        .srt_listener_port(source.port.to_string())
                        .set_stream_id(source.stream_id.clone())
                        .minimum_latency(srt.latency_ms)
                        .set_decryption(decryption.clone())
                        .build()
                })
                .collect();
            Some(SrtSettingsRequest::builder().set_srt_caller_sources(Some(sources)).build())
        }
        Feed::SrtListener { srt, stream_id, .. } => {
            let decryption = srt.decryption.as_ref().map(|(algorithm, arn)| {
                SrtListenerDecryptionRequest::builder()
                    .algorithm(algorithm.clone())
                    .passphrase_secret_arn(arn)
                    .build()
            });
            let listener = SrtListenerSettingsRequest::builder()
                .minimum_latency(srt.latency_ms)
                .set_stream_id(stream_id.clone())
                .set_decryption(decryption)
                .build();
            Some(SrtSettingsRequest::builder().srt_listener_settings(listener).build())
        }
        _ => None,
    }
}

fn whitelist(cidrs: &[String]) -> Vec<InputWhitelistRuleCidr> {
    cidrs
        .iter()
        .map(|cidr| InputWhitelistRuleCidr::builder().cidr(cidr).build())
        .collect()
}

/// `/<stack name>/<logical id>/primary` and `/secondary`.
fn parameter_name(req: &Request, pipeline: Pipeline) -> String {
    format!("/{}/{}/{}", req.stack_name, req.logical_id, pipeline.name())
}

/// Stores each pull password as a SecureString, named by
/// [`parameter_name`].
async fn put_passwords(aws: &Clients, req: &Request, spec: &Spec) -> Result<(), Error> {
    let Some(sources) = spec.sources() else {
        return Ok(());
    };
    let mut written = false;
    for (pipeline, source) in sources.iter() {
        let Some(password) = &source.password else {
            continue;
        };
        let name = parameter_name(req, pipeline);
        // An event's grant of this, made just before, may not apply yet.
        let stored = grants::once_granted("ssm:PutParameter", req.work_until, || async {
            aws.ssm
                .put_parameter()
                .name(&name)
                .value(password)
                .r#type(ParameterType::SecureString)
                .overwrite(true)
                .description(format!(
                    "MediaLive pull password of {} ({})",
                    req.logical_id,
                    pipeline.name()
                ))
                .send()
                .await
                .map_err(aws_error("PutParameter"))
        })
        .await;
        if let Err(err) = stored {
            if !written && !err.is_transient() {
                return Err(err);
            }
            // Nothing records the parameters written so far: remove them
            // now (those a live input reads are kept).
            if let Err(cleanup) = delete_passwords(aws, req, None).await {
                tracing::warn!(cause = %cleanup, "could not remove the pull passwords written before the failure");
            }
            return Err(err);
        }
        tracing::info!(parameter = %name, "stored pull password as SecureString");
        written = true;
    }
    Ok(())
}

/// Deletes this resource's password parameters, except one another input
/// still reads (after a replacement, the new input uses the same names).
async fn delete_passwords(aws: &Clients, req: &Request, deleting: Option<&str>) -> Result<(), Error> {
    let names: Vec<String> = Pipeline::BOTH
        .iter()
        .map(|pipeline| parameter_name(req, *pipeline))
        .collect();
    let in_use = parameters_in_use(aws, deleting).await?;
    for name in names.iter().filter(|name| !in_use.contains(*name)) {
        let deleted = grants::once_granted("ssm:DeleteParameter", req.work_until, || async {
            aws.ssm
                .delete_parameter()
                .name(name)
                .send()
                .await
                .map_err(aws_error("DeleteParameter"))
        })
        .await
        .found()?;
        if deleted.is_some() {
            tracing::info!(parameter = %name, "deleted pull password parameter");
        }
    }
    Ok(())
}

/// Password parameters that inputs other than `except` read.
async fn parameters_in_use(aws: &Clients, except: Option<&str>) -> Result<Vec<String>, Error> {
    let inputs = all_inputs(aws).await?;
    Ok(inputs
        .iter()
        .filter(|input| input.id() != except && input.state() != Some(&InputState::Deleted))
        .flat_map(|input| input.sources())
        .filter_map(|source| source.password_param().map(str::to_owned))
        .collect())
}

/// Every input of the account and region.
async fn all_inputs(aws: &Clients) -> Result<Vec<aws_sdk_medialive::types::Input>, Error> {
    aws.medialive
        .list_inputs()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws_error("ListInputs"))
}

/// The push input's security group: the one a previous delivery of this
/// same request made, or a new one.
async fn security_group_for(aws: &Clients, req: &Request, cidrs: &[String]) -> Result<String, Error> {
    if let Some(id) = group_of_this_request(aws, req).await? {
        tracing::info!(group = %id, "adopting the security group this request made before");
        return Ok(id);
    }
    // The request's tag lets a repeated delivery find this group again,
    // and keeps a replacement from taking the old input's.
    let tags = req.ownership_tags();
    let (tags, attempts) = (&tags, &AtomicU32::new(0));
    wait::until("input security group being created", req.work_until, || async move {
        let attempt = attempts.fetch_add(1, Ordering::Relaxed) + 1;
        if attempt > 1
            && let Some(id) = group_of_this_request(aws, req).await?
        {
            tracing::info!(group = %id, "the lost attempt made the security group; using it");
            return Ok(Look::Done(id));
        }
        let created = aws
            .medialive
            .create_input_security_group()
            .set_whitelist_rules(Some(whitelist(cidrs)))
            .set_tags(Some(tags.clone()))
            .customize()
            // The API has no idempotency token: the SDK's own retry of an
            // attempt whose answer was lost would make a second group.
            // Retry here instead, after looking for what that attempt made.
            .config_override(aws_sdk_medialive::config::Builder::default().retry_config(RetryConfig::disabled()))
            .send()
            .await
            .map_err(aws_error("CreateInputSecurityGroup"))
            .map_err(naming_quota("Input security groups"));
        match created {
            Ok(created) => {
                let id = created
                    .security_group()
                    .and_then(|group| group.id())
                    .ok_or_else(|| Error::Unexpected("CreateInputSecurityGroup returned no id".to_owned()))?
                    .to_owned();
                tracing::info!(group = %id, "created input security group");
                Ok(Look::Done(id))
            }
            Err(err) if err.is_transient() && attempt < GROUP_ATTEMPTS => {
                tracing::warn!(attempt, cause = %err, "CreateInputSecurityGroup failed; trying again");
                Ok(Look::NotYet(format!("failing: {err}")))
            }
            Err(err) => Err(err),
        }
    })
    .await
}

/// How often CreateInputSecurityGroup is tried when it fails transiently.
const GROUP_ATTEMPTS: u32 = 5;

/// The security group this very request made, if any (found by its tags).
async fn group_of_this_request(aws: &Clients, req: &Request) -> Result<Option<String>, Error> {
    Ok(groups_made_in(aws, req, &req.request_id).await?.into_iter().next())
}

/// The security groups the request `request_id` made for this stack resource.
async fn groups_made_in(aws: &Clients, req: &Request, request_id: &str) -> Result<Vec<String>, Error> {
    let groups = aws
        .medialive
        .list_input_security_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws_error("ListInputSecurityGroups"))?;
    Ok(groups
        .iter()
        .filter(|group| group.state() != Some(&InputSecurityGroupState::Deleted))
        .filter(|group| req.made_in(request_id, tag_pairs(group.tags())))
        .filter_map(|group| group.id().map(str::to_owned))
        .collect())
}

/// This stack resource's inputs that `matches` picks.
async fn our_inputs(
    aws: &Clients,
    req: &Request,
    matches: impl Fn(&aws_sdk_medialive::types::Input) -> bool,
) -> Result<Vec<String>, Error> {
    let inputs = all_inputs(aws).await?;
    Ok(inputs
        .iter()
        .filter(|input| input.state() != Some(&InputState::Deleted))
        .filter(|input| req.owns(tag_pairs(input.tags())) && matches(input))
        .filter_map(|input| input.id().map(str::to_owned))
        .collect())
}

/// Deletes a security group, retrying while an input being deleted still
/// holds it. Not found is success.
async fn delete_security_group(aws: &Clients, req: &Request, id: &str) -> Result<(), Error> {
    let what = format!("input security group {id} being released");
    wait::until(&what, req.work_until, || async {
        match aws
            .medialive
            .delete_input_security_group()
            .input_security_group_id(id)
            .send()
            .await
            .map_err(aws_error("DeleteInputSecurityGroup"))
        {
            Ok(_) => {
                tracing::info!(group = %id, "deleted input security group");
                Ok(Look::Done(()))
            }
            Err(err) if err.is_not_found() => Ok(Look::Done(())),
            Err(Error::Aws(err)) if err.is_conflict() || err.http_status == Some(422) => {
                Ok(Look::NotYet(InputSecurityGroupState::InUse.as_str().to_owned()))
            }
            Err(err) => Err(err),
        }
    })
    .await
}
