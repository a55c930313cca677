//! `MediaLiveChannel`: a MediaLive channel built from a bundled encoding
//! profile, reading one input and writing to a MediaPackage channel: a v1
//! channel by id (HLS ingest) or a v2 channel by group and name (CMAF
//! ingest; the profile's output group is re-cut for it, see `profiles`).
//!
//! MediaLive acts only on idle channels: every change waits for IDLE first,
//! a running channel is stopped (and started again after an update), and
//! DeleteChannel is never called on a channel that is not idle.

mod failover;

use std::collections::BTreeMap;

use aws_sdk_medialive::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_medialive::types::{
    AudioSelector, ChannelClass, ChannelState, EncoderSettings, InputAttachment, InputClass, InputCodec, InputSettings,
    InputSourceEndBehavior, InputSpecification, LogLevel, MediaPackageOutputDestinationSettings, OutputDestination,
};

use super::medialive_input::INPUT_TYPES;
use super::resource::{Outcome, Request, Resource};
use super::validate;
use crate::aws::Clients;
use crate::cost;
use crate::cfn::props::{PropError, Props};
use crate::error::{Error, Found, aws_error, naming_quota};
use crate::ownership::{FOUNDATION_TAG, tag_pairs};
use crate::profiles::{self, Ingest, Profile};
use crate::wait::{self, Look};
pub(crate) use failover::FAILOVER_TYPES;
use failover::Failover;

pub(super) struct MediaLiveChannel;

/// Input types that can loop their source.
const LOOPABLE: &[&str] = &["URL_PULL", "MP4_FILE", "TS_FILE"];
/// The audio selector the bundled profiles' audio descriptions read.
const AUDIO_SELECTOR: &str = "default";
/// The destination the profiles' MediaPackage output group names.
const DESTINATION: &str = "destination1";

/// The MediaPackage channel the output group delivers to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Packager {
    /// MediaPackage v1, by channel id.
    V1 { channel_id: String },
    /// MediaPackage v2, by channel group and channel name.
    V2 { channel_group: String, channel_name: String },
}

impl Packager {
    fn ingest(&self) -> Ingest {
        match self {
            Packager::V1 { .. } => Ingest::Hls,
            Packager::V2 { .. } => Ingest::Cmaf,
        }
    }

    /// MediaLive connects both pipelines of a standard channel to the two
    /// ingest endpoints of either version's channel by itself.
    fn destination_settings(&self) -> MediaPackageOutputDestinationSettings {
        let settings = MediaPackageOutputDestinationSettings::builder();
        match self {
            Packager::V1 { channel_id } => settings.channel_id(channel_id),
            Packager::V2 {
                channel_group,
                channel_name,
            } => settings.channel_group(channel_group).channel_name(channel_name),
        }
        .build()
    }

    fn held_by(&self, settings: &MediaPackageOutputDestinationSettings) -> bool {
        match self {
            Packager::V1 { channel_id } => settings.channel_id() == Some(channel_id.as_str()),
            Packager::V2 {
                channel_group,
                channel_name,
            } => {
                settings.channel_group() == Some(channel_group.as_str())
                    && settings.channel_name() == Some(channel_name.as_str())
            }
        }
    }

    /// `MediaPackageChannelId` for v1, or both v2 names; never a mix.
    fn parse(props: &Props<'_>) -> Result<Packager, PropError> {
        const V1: &str = "MediaPackageChannelId";
        const V2_GROUP: &str = "MediaPackageV2ChannelGroup";
        const V2_CHANNEL: &str = "MediaPackageV2ChannelName";
        let v2 = props.has(V2_GROUP) || props.has(V2_CHANNEL);
        if v2 && props.has(V1) {
            return Err(PropError::invalid(
                V1,
                format!("names a MediaPackage v1 channel; give it or {V2_GROUP} and {V2_CHANNEL} (v2), not both"),
            ));
        }
        if !v2 {
            let channel_id = props.string(V1)?.ok_or_else(|| {
                PropError::invalid(
                    V1,
                    format!("is required (MediaPackage v1), unless {V2_GROUP} and {V2_CHANNEL} name a v2 channel"),
                )
            })?;
            validate::media_id(V1, &channel_id)?;
            return Ok(Packager::V1 { channel_id });
        }
        let channel_group = props.required_string(V2_GROUP)?;
        validate::media_id(V2_GROUP, &channel_group)?;
        let channel_name = props.required_string(V2_CHANNEL)?;
        validate::media_id(V2_CHANNEL, &channel_name)?;
        Ok(Packager::V2 {
            channel_group,
            channel_name,
        })
    }
}

#[derive(Debug)]
pub(super) struct Spec {
    name: String,
    input_id: String,
    role_arn: String,
    profile: &'static Profile,
    packager: Packager,
    codec: InputCodec,
    class: ChannelClass,
    /// Set only for inputs that can loop.
    source_end_behavior: Option<InputSourceEndBehavior>,
    log_level: Option<LogLevel>,
    /// The foundation stack (its StackId) an event's channel belongs to:
    /// tagged on the channel, so the foundation's cost guard may stop it.
    foundation: Option<String>,
    /// A second input the channel fails over to.
    failover: Option<Failover>,
}

impl Resource for MediaLiveChannel {
    const NAME: &'static str = "MediaLiveChannel";
    const PROPERTIES: &'static [&'static str] = &[
        "Name",
        "InputId",
        "Role",
        "EncodingProfile",
        "MediaPackageChannelId",
        "MediaPackageV2ChannelGroup",
        "MediaPackageV2ChannelName",
        "Codec",
        "ChannelClass",
        "Type",
        "SourceEndBehavior",
        "LogLevel",
        "Foundation",
        "FailoverInputId",
        "FailoverAfterMs",
        "FailoverOnBlackMs",
        "FailoverOnSilenceMs",
    ];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        let name = props.required_string("Name")?;
        validate::text("Name", &name, 256)?;
        let input_id = props.required_string("InputId")?;
        let role_arn = props.required_string("Role")?;
        validate::arn("Role", &role_arn, "iam", "role/")?;
        let profile_name = props
            .one_of("EncodingProfile", profiles::NAMES)?
            .ok_or_else(|| PropError::Missing {
                name: "EncodingProfile".to_owned(),
            })?;
        let profile =
            profiles::find(profile_name).ok_or_else(|| PropError::invalid("EncodingProfile", "is not bundled"))?;
        let packager = Packager::parse(&props)?;
        let input_type = props.one_of("Type", INPUT_TYPES)?;
        let source_end_behavior = props.sdk_enum("SourceEndBehavior", &["LOOP", "CONTINUE"])?;
        Ok(Spec {
            name,
            input_id,
            role_arn,
            profile,
            packager,
            codec: props
                .sdk_enum("Codec", &["AVC", "HEVC", "MPEG2"])?
                .unwrap_or(InputCodec::Avc),
            class: props
                .sdk_enum("ChannelClass", &["STANDARD", "SINGLE_PIPELINE"])?
                .unwrap_or(ChannelClass::Standard),
            // Only inputs that can loop take it; for others it is ignored.
            source_end_behavior: input_type
                .filter(|t| LOOPABLE.contains(t))
                .map(|_| source_end_behavior.unwrap_or(InputSourceEndBehavior::Loop)),
            log_level: props.sdk_enum("LogLevel", &["ERROR", "WARNING", "INFO", "DEBUG", "DISABLED"])?,
            foundation: props
                .string("Foundation")?
                .map(|stack_id| validate::arn("Foundation", &stack_id, "cloudformation", "stack/").map(|()| stack_id))
                .transpose()?,
            failover: Failover::parse(&props)?,
        })
    }

    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        check_input(aws, spec).await?;
        let settings = encoder_settings(spec).await?;
        let created = aws
            .medialive
            .create_channel()
            .name(&spec.name)
            .role_arn(&spec.role_arn)
            .channel_class(spec.class.clone())
            .set_log_level(spec.log_level.clone())
            .input_specification(input_specification(spec))
            .set_input_attachments(Some(input_attachments(spec)))
            .destinations(destination(spec))
            .encoder_settings(settings.clone())
            // A repeated delivery of this Create gets the same channel back.
            .request_id(&req.request_id)
            .set_tags(Some(tags(req, spec)))
            .send()
            .await
            .map_err(aws_error("CreateChannel"))
            .map_err(naming_quota("Channels"))?;
        let channel = created.channel();
        let id = channel
            .and_then(|c| c.id())
            .ok_or_else(|| Error::Unexpected("CreateChannel returned no channel id".to_owned()))?
            .to_owned();
        let arn = channel.and_then(|c| c.arn()).unwrap_or_default().to_owned();
        // From here on a failure answers with this id, so the rollback's
        // Delete removes the channel.
        req.record_created(&id);
        tracing::info!(channel = %id, profile = spec.profile.name, "created MediaLive channel; waiting for IDLE");
        wait_for(aws, req, &id, "IDLE", &[ChannelState::Idle]).await?;
        Ok(outcome(&id, &arn, &cost_of(req, spec, &settings)))
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        // Nothing the channel holds changes: no call, so a live channel is
        // never interrupted for nothing.
        if old.is_some_and(|old| old.holds_same(new)) {
            tracing::info!(channel = %physical_id, "no property the channel holds changed; nothing to do");
            let settings = encoder_settings(new).await?;
            return Ok(outcome(
                physical_id,
                &req.arn("medialive", &format!("channel:{physical_id}")),
                &cost_of(req, new, &settings),
            ));
        }
        // What the channel is now decides, not what the old properties
        // say: CloudFormation rolls a refused update back by sending it
        // again with old and new swapped (and the old ones may not even
        // validate), and that must find the channel as it is and accept.
        let current = aws
            .medialive
            .describe_channel()
            .channel_id(physical_id)
            .send()
            .await
            .map_err(aws_error("DescribeChannel"))?;
        if let Some(class) = current.channel_class().filter(|class| **class != new.class) {
            return Err(PropError::invalid(
                "ChannelClass",
                format!(
                    "cannot change on an existing channel (it is {class}, this asks for {}); give the channel resource a new logical id to replace it",
                    new.class
                ),
            )
            .into());
        }
        let tagged = current
            .tags()
            .and_then(|tags| tags.get(FOUNDATION_TAG))
            .map(String::as_str);
        if tagged != new.foundation.as_deref() {
            return Err(PropError::invalid(
                "Foundation",
                "cannot change: an event moves to another foundation by being deleted and created there",
            )
            .into());
        }
        let settings = encoder_settings(new).await?;
        if holds(&current, new, &settings) {
            tracing::info!(channel = %physical_id, "the channel already holds these properties; nothing to do");
            return Ok(outcome(
                physical_id,
                current.arn().unwrap_or_default(),
                &cost_of(req, new, &settings),
            ));
        }
        if old.is_none_or(|old| old.input_id != new.input_id || old.failover != new.failover) {
            check_input(aws, new).await?;
        }
        let state = settle(aws, req, physical_id).await?.ok_or_else(|| gone(physical_id))?;
        let was_running = state == ChannelState::Running;
        if was_running {
            tracing::info!(channel = %physical_id, "MediaLive updates only idle channels: stopping it for the update, starting it again after");
            stop(aws, req, physical_id).await?;
        }
        let updated = aws
            .medialive
            .update_channel()
            .channel_id(physical_id)
            .name(&new.name)
            .role_arn(&new.role_arn)
            .set_log_level(new.log_level.clone())
            .input_specification(input_specification(new))
            .set_input_attachments(Some(input_attachments(new)))
            .destinations(destination(new))
            .encoder_settings(settings.clone())
            .send()
            .await
            .map_err(aws_error("UpdateChannel"));
        let updated = match updated {
            Ok(updated) => updated,
            // Refused: the channel holds what it held, and a live channel
            // is put back on air before the failure is told.
            Err(refused) if was_running => {
                tracing::warn!(channel = %physical_id, cause = %refused, "the update was refused; starting the channel again as it was");
                if let Err(err) = start(aws, req, physical_id).await {
                    tracing::error!(channel = %physical_id, cause = %err, "the channel could not be started again");
                    return Err(Error::BadState(format!(
                        "{refused}; and starting the channel again as it was failed: {err}"
                    )));
                }
                return Err(refused);
            }
            Err(refused) => return Err(refused),
        };
        let arn = updated.channel().and_then(|c| c.arn()).unwrap_or_default().to_owned();
        wait_for(aws, req, physical_id, "IDLE after the update", &[ChannelState::Idle]).await?;
        if was_running {
            start(aws, req, physical_id).await?;
        }
        tracing::info!(channel = %physical_id, restarted = was_running, "updated MediaLive channel");
        Ok(outcome(physical_id, &arn, &cost_of(req, new, &settings)))
    }

    fn could_be_id(physical_id: &str) -> bool {
        crate::ownership::is_medialive_id(physical_id)
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, _spec: Option<&Spec>) -> Result<(), Error> {
        let channel = aws
            .medialive
            .describe_channel()
            .channel_id(physical_id)
            .send()
            .await
            .map_err(aws_error("DescribeChannel"))
            .found()?;
        let Some(channel) = channel.filter(|c| c.state() != Some(&ChannelState::Deleted)) else {
            return Ok(());
        };
        if !req.may_delete(&format!("MediaLive channel {physical_id}"), tag_pairs(channel.tags())) {
            return Ok(());
        }
        // A transition under way is let finish first; a settled channel is
        // acted on at once.
        let state = match channel.state() {
            Some(s @ (ChannelState::Idle | ChannelState::Running | ChannelState::CreateFailed)) => s.clone(),
            _ => match settle(aws, req, physical_id).await? {
                Some(state) => state,
                None => return Ok(()),
            },
        };
        if state == ChannelState::Running {
            stop(aws, req, physical_id).await?;
        }
        let deleted = aws
            .medialive
            .delete_channel()
            .channel_id(physical_id)
            .send()
            .await
            .map_err(aws_error("DeleteChannel"))
            .found();
        match deleted {
            Ok(Some(_)) => {}
            Ok(None) => return Ok(()),
            Err(err) => under_way(aws, physical_id, err, &[ChannelState::Deleting]).await?,
        }
        wait_for(aws, req, physical_id, "DELETED", &[ChannelState::Deleted]).await?;
        tracing::info!(channel = %physical_id, "deleted MediaLive channel");
        Ok(())
    }

    async fn delete_made_in(aws: &Clients, req: &Request, request_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let channels = crate::aws::all_channels(&aws.medialive).await?;
        let made = channels
            .iter()
            .filter(|channel| channel.state() != Some(&ChannelState::Deleted))
            .filter(|channel| req.made_in(request_id, tag_pairs(channel.tags())))
            .filter_map(|channel| channel.id());
        for id in made {
            tracing::info!(channel = %id, "deleting the channel a cut-off Create made");
            Self::delete(aws, req, id, spec).await?;
        }
        Ok(())
    }
}

async fn encoder_settings(spec: &Spec) -> Result<EncoderSettings, Error> {
    let profile = spec.profile;
    profiles::settings_of(profile, spec.packager.ingest())
        .await
        .map_err(|err| Error::Unexpected(format!("bundled profile {}: {err}", profile.name)))
}

fn input_specification(spec: &Spec) -> InputSpecification {
    InputSpecification::builder()
        .codec(spec.codec.clone())
        .resolution((spec.profile.resolution)())
        .maximum_bitrate((spec.profile.maximum_bitrate)())
        .build()
}

/// The input, and with failover the secondary after it: the primary's
/// attachment holds the failover settings, and both read audio the same
/// way (the secondary's content is the same programme).
fn input_attachments(spec: &Spec) -> Vec<InputAttachment> {
    let settings = || {
        InputSettings::builder()
            .audio_selectors(AudioSelector::builder().name(AUDIO_SELECTOR).build())
            .set_source_end_behavior(spec.source_end_behavior.clone())
            .build()
    };
    let primary = InputAttachment::builder()
        .input_id(&spec.input_id)
        .input_attachment_name(format!("{}-input", spec.name))
        .input_settings(settings())
        .set_automatic_input_failover_settings(spec.failover.as_ref().map(|f| f.settings(AUDIO_SELECTOR)))
        .build();
    let secondary = spec.failover.as_ref().map(|failover| {
        InputAttachment::builder()
            .input_id(&failover.input_id)
            .input_attachment_name(format!("{}-failover", spec.name))
            .input_settings(settings())
            .build()
    });
    std::iter::once(primary).chain(secondary).collect()
}

fn destination(spec: &Spec) -> OutputDestination {
    OutputDestination::builder()
        .id(DESTINATION)
        .media_package_settings(spec.packager.destination_settings())
        .build()
}

fn outcome(id: &str, arn: &str, cost: &cost::Estimate) -> Outcome {
    Outcome::new(id).with_data(BTreeMap::from([
        ("ChannelId".to_owned(), id.to_owned()),
        ("Arn".to_owned(), arn.to_owned()),
        ("CostPerRunningHour".to_owned(), cost.summary()),
    ]))
}

/// What the channel `spec` describes bills an hour while it runs, from
/// the bundled rate table: both inputs of a failover pair are billed.
fn cost_of(req: &Request, spec: &Spec, settings: &EncoderSettings) -> cost::Estimate {
    let inputs = 1 + usize::from(spec.failover.is_some());
    cost::channel_per_hour(
        req.region(),
        &spec.class,
        Some(&input_specification(spec)),
        inputs,
        Some(settings),
    )
}

impl Spec {
    /// Whether `other` would make the same channel.
    fn holds_same(&self, other: &Spec) -> bool {
        self.name == other.name
            && self.input_id == other.input_id
            && self.role_arn == other.role_arn
            && self.profile.name == other.profile.name
            && self.packager == other.packager
            && self.codec == other.codec
            && self.class == other.class
            && self.source_end_behavior == other.source_end_behavior
            && self.log_level == other.log_level
            && self.foundation == other.foundation
            && self.failover == other.failover
    }
}

/// The ownership tags, and an event's foundation.
fn tags(req: &Request, spec: &Spec) -> std::collections::HashMap<String, String> {
    let mut tags = req.ownership_tags();
    if let Some(foundation) = &spec.foundation {
        tags.insert(FOUNDATION_TAG.to_owned(), foundation.clone());
    }
    tags
}

/// Whether an existing channel already holds what `spec` and its profile's
/// `settings` would set. The renditions are compared by name and size,
/// which the service never rewrites (it may fill in defaults elsewhere).
fn holds(channel: &DescribeChannelOutput, spec: &Spec, settings: &EncoderSettings) -> bool {
    let renditions = |settings: Option<&EncoderSettings>| -> Vec<(String, Option<i32>, Option<i32>)> {
        settings
            .map(|s| s.video_descriptions())
            .unwrap_or_default()
            .iter()
            .map(|v| (v.name().unwrap_or_default().to_owned(), v.width(), v.height()))
            .collect()
    };
    let attachment = channel.input_attachments().first();
    let input_settings = attachment.and_then(|a| a.input_settings());
    let specification = channel.input_specification();
    let mediapackage = channel
        .destinations()
        .iter()
        .find(|d| d.id() == Some(DESTINATION))
        .and_then(|d| d.media_package_settings().first());
    channel.name() == Some(spec.name.as_str())
        && channel.role_arn() == Some(spec.role_arn.as_str())
        && channel.channel_class() == Some(&spec.class)
        && spec.log_level.as_ref().is_none_or(|level| channel.log_level() == Some(level))
        && attachment.and_then(|a| a.input_id()) == Some(spec.input_id.as_str())
        && input_settings.and_then(|i| i.source_end_behavior()) == spec.source_end_behavior.as_ref()
        && specification.and_then(|i| i.codec()) == Some(&spec.codec)
        && specification.and_then(|i| i.resolution()) == Some(&(spec.profile.resolution)())
        && specification.and_then(|i| i.maximum_bitrate()) == Some(&(spec.profile.maximum_bitrate)())
        && mediapackage.is_some_and(|settings| spec.packager.held_by(settings))
        && renditions(channel.encoder_settings()) == renditions(Some(settings))
        && Failover::held_by(spec.failover.as_ref(), channel.input_attachments(), AUDIO_SELECTOR)
}

fn gone(id: &str) -> Error {
    Error::BadState(format!("MediaLive channel {id} no longer exists"))
}

/// The channel's state; `None` when it does not exist (or is deleted).
pub(super) async fn state(aws: &Clients, id: &str) -> Result<Option<ChannelState>, Error> {
    let channel = aws
        .medialive
        .describe_channel()
        .channel_id(id)
        .send()
        .await
        .map_err(aws_error("DescribeChannel"))
        .found()?;
    Ok(channel
        .and_then(|channel| channel.state().cloned())
        .filter(|state| *state != ChannelState::Deleted))
}

/// MediaLive refuses a single-pipeline input on a standard channel (it
/// feeds one pipeline of two); say so before the call, naming both.
async fn check_input(aws: &Clients, spec: &Spec) -> Result<(), Error> {
    if spec.class != ChannelClass::Standard && spec.failover.is_none() {
        return Ok(());
    }
    let primary = described_input(aws, "InputId", &spec.input_id, spec).await?;
    let Some(failover) = &spec.failover else {
        return Ok(());
    };
    let secondary = described_input(aws, "FailoverInputId", &failover.input_id, spec).await?;
    let kind = |input: &aws_sdk_medialive::operation::describe_input::DescribeInputOutput| {
        input.r#type().map(|t| t.as_str().to_owned()).unwrap_or_default()
    };
    let (primary_type, secondary_type) = (kind(&primary), kind(&secondary));
    if !FAILOVER_TYPES.contains(&primary_type.as_str()) {
        return Err(PropError::invalid(
            "FailoverInputId",
            format!(
                "MediaLive fails over only between inputs of the types {}; input {} is {primary_type}",
                FAILOVER_TYPES.join(", "),
                spec.input_id
            ),
        )
        .into());
    }
    if secondary_type != primary_type {
        return Err(PropError::invalid(
            "FailoverInputId",
            format!(
                "names a {secondary_type} input ({}); the pair must be of one type, the primary's {primary_type}",
                failover.input_id
            ),
        )
        .into());
    }
    // A push input feeds one channel: the secondary may be attached to
    // this channel already (an update), to no other.
    let elsewhere: Vec<&str> = secondary
        .attached_channels()
        .iter()
        .map(String::as_str)
        .filter(|channel| !primary.attached_channels().iter().any(|own| own == channel))
        .collect();
    if !elsewhere.is_empty() {
        return Err(PropError::invalid(
            "FailoverInputId",
            format!(
                "names input {}, which channel {} already uses",
                failover.input_id,
                elsewhere.join(", ")
            ),
        )
        .into());
    }
    Ok(())
}

/// The input `property` names, which must exist and be of a class the
/// channel's class can read.
async fn described_input(
    aws: &Clients,
    property: &str,
    input_id: &str,
    spec: &Spec,
) -> Result<aws_sdk_medialive::operation::describe_input::DescribeInputOutput, Error> {
    let input = aws
        .medialive
        .describe_input()
        .input_id(input_id)
        .send()
        .await
        .map_err(aws_error("DescribeInput"))
        .found()?
        .ok_or_else(|| PropError::invalid(property, format!("names no MediaLive input ({input_id})")))?;
    if spec.class == ChannelClass::Standard && input.input_class() == Some(&InputClass::SinglePipeline) {
        return Err(PropError::invalid(
            property,
            format!(
                "names SINGLE_PIPELINE input {input_id}, which cannot feed a STANDARD channel (ChannelClass); make both the same class"
            ),
        )
        .into());
    }
    Ok(input)
}

/// Whether a refused state change is one already under way: when an
/// attempt's answer is lost, the SDK's retry finds the channel changing and
/// gets ConflictException. `Ok` when the channel is in one of `states` (or
/// gone); the refusal otherwise.
async fn under_way(aws: &Clients, id: &str, refusal: Error, states: &[ChannelState]) -> Result<(), Error> {
    if !matches!(&refusal, Error::Aws(err) if err.is_conflict()) {
        return Err(refusal);
    }
    match state(aws, id).await? {
        Some(now) if !states.contains(&now) => Err(refusal),
        now => {
            let now = now.as_ref().map_or("gone", ChannelState::as_str);
            tracing::info!(channel = %id, state = now, "already under way (an earlier attempt's answer was lost)");
            Ok(())
        }
    }
}

/// Waits until the channel is in one of `targets` (or gone, when DELETED is
/// a target). CREATE_FAILED ends the wait with an error.
pub(super) async fn wait_for(
    aws: &Clients,
    req: &Request,
    id: &str,
    goal: &str,
    targets: &[ChannelState],
) -> Result<(), Error> {
    let what = format!("MediaLive channel {id} becoming {goal}");
    wait::until(&what, req.work_until, || async {
        let current = match aws
            .medialive
            .describe_channel()
            .channel_id(id)
            .send()
            .await
            .map_err(aws_error("DescribeChannel"))
        {
            Ok(channel) => channel.state().cloned(),
            Err(err) if err.is_not_found() && targets.contains(&ChannelState::Deleted) => return Ok(Look::Done(())),
            Err(err) => return Err(err),
        };
        match current {
            Some(state) if targets.contains(&state) => Ok(Look::Done(())),
            Some(ChannelState::CreateFailed) => Err(Error::BadState(format!(
                "MediaLive channel {id} failed to create (CREATE_FAILED); check its role, input and destinations"
            ))),
            Some(state) => Ok(Look::NotYet(state.as_str().to_owned())),
            None => Ok(Look::NotYet("no state".to_owned())),
        }
    })
    .await
}

/// Lets any transition in progress finish, then returns the settled state
/// (IDLE, RUNNING or CREATE_FAILED); `None` when the channel is gone.
pub(super) async fn settle(aws: &Clients, req: &Request, id: &str) -> Result<Option<ChannelState>, Error> {
    let what = format!("MediaLive channel {id} settling");
    wait::until(&what, req.work_until, || async {
        Ok(match state(aws, id).await? {
            None => Look::Done(None),
            Some(s @ (ChannelState::Idle | ChannelState::Running | ChannelState::CreateFailed)) => Look::Done(Some(s)),
            Some(s) => Look::NotYet(s.as_str().to_owned()),
        })
    })
    .await
}

/// Stops a running channel and waits until it is IDLE.
pub(super) async fn stop(aws: &Clients, req: &Request, id: &str) -> Result<(), Error> {
    let stopped = aws
        .medialive
        .stop_channel()
        .channel_id(id)
        .send()
        .await
        .map_err(aws_error("StopChannel"));
    if let Err(err) = stopped {
        under_way(aws, id, err, &[ChannelState::Stopping, ChannelState::Idle]).await?;
    }
    tracing::info!(channel = %id, "stopping MediaLive channel; waiting for IDLE");
    wait_for(aws, req, id, "IDLE after stopping", &[ChannelState::Idle]).await
}

/// Starts an idle channel and waits until it is RUNNING.
pub(super) async fn start(aws: &Clients, req: &Request, id: &str) -> Result<(), Error> {
    let started = aws
        .medialive
        .start_channel()
        .channel_id(id)
        .send()
        .await
        .map_err(aws_error("StartChannel"));
    if let Err(err) = started {
        under_way(aws, id, err, &[ChannelState::Starting, ChannelState::Running]).await?;
    }
    tracing::info!(channel = %id, "starting MediaLive channel; waiting for RUNNING");
    wait_for(aws, req, id, "RUNNING", &[ChannelState::Running]).await
}
