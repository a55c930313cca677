//! `MediaLiveChannelStart`: starts a MediaLive channel once the stack has
//! made it, and stops it again when the stack goes, so the channel's own
//! Delete finds it idle. Only a channel this stack made (its
//! `livestream:stack-id` tag) is ever started or stopped: a ChannelId
//! naming someone else's channel is refused, and a Delete leaves it be.

use std::collections::BTreeMap;

use aws_sdk_medialive::types::ChannelState;

use super::medialive_channel::{settle, start, stop};
use super::resource::{Outcome, Request, Resource};
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::error::{Error, Found, aws_error};
use crate::ownership::tag_pairs;

/// What a look at the channel finds.
enum Owned {
    Missing,
    NotOurs,
    State(Option<ChannelState>),
}

async fn look(aws: &Clients, req: &Request, id: &str) -> Result<Owned, Error> {
    let channel = aws
        .medialive
        .describe_channel()
        .channel_id(id)
        .send()
        .await
        .map_err(aws_error("DescribeChannel"))
        .found()?;
    Ok(match channel {
        None => Owned::Missing,
        Some(channel) if channel.state() == Some(&ChannelState::Deleted) => Owned::Missing,
        Some(channel) if !req.in_stack(tag_pairs(channel.tags())) => Owned::NotOurs,
        Some(channel) => Owned::State(channel.state().cloned()),
    })
}

pub(super) struct MediaLiveChannelStart;

pub(super) struct Spec {
    channel_id: String,
}

impl Resource for MediaLiveChannelStart {
    const NAME: &'static str = "MediaLiveChannelStart";
    const PROPERTIES: &'static [&'static str] = &["ChannelId"];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        Ok(Spec {
            channel_id: props.required_string("ChannelId")?,
        })
    }

    /// Looks first (the channel must be this stack's), then starts; a
    /// refusal (the channel not idle) leads to waiting for it to settle. A
    /// failure after StartChannel was sent answers with the channel's id, so
    /// the rollback's Delete stops what this started.
    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        let id = &spec.channel_id;
        let missing = || Error::BadState(format!("MediaLive channel {id} does not exist"));
        match look(aws, req, id).await? {
            Owned::Missing => return Err(missing()),
            Owned::NotOurs => {
                return Err(Error::Conflict(format!(
                    "MediaLive channel {id} was not made by this stack (its livestream:stack-id tag differs); it is neither started nor stopped"
                )));
            }
            Owned::State(Some(ChannelState::Running)) => {
                tracing::info!(channel = %id, "already running");
                return Ok(running(id));
            }
            Owned::State(_) => {}
        }
        req.record_created(id);
        match start(aws, req, id).await {
            Ok(()) => {}
            Err(err) if err.is_not_found() => {
                req.clear_created();
                return Err(missing());
            }
            Err(Error::Aws(err)) if err.is_conflict() => match settle(aws, req, id).await? {
                None => {
                    req.clear_created();
                    return Err(missing());
                }
                Some(ChannelState::Running) => tracing::info!(channel = %id, "already running"),
                Some(ChannelState::CreateFailed) => {
                    req.clear_created();
                    return Err(Error::BadState(format!(
                        "MediaLive channel {id} failed to create; it cannot start"
                    )));
                }
                Some(_) => start(aws, req, id).await?,
            },
            Err(err) => return Err(err),
        }
        Ok(running(id))
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        _physical_id: &str,
        _old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        // A new ChannelId means a new id: CloudFormation's Delete then stops
        // the old channel. The same one is simply kept running.
        Self::create(aws, req, new).await
    }

    /// Acts on the id this resource answered with (the channel's), never on
    /// the properties: a Delete with an id CloudFormation invented touches
    /// nothing.
    /// Starting makes nothing; a Create that reached StartChannel answers
    /// with the channel's id, so there is nothing to look for.
    async fn delete_made_in(
        _aws: &Clients,
        _req: &Request,
        _request_id: &str,
        _spec: Option<&Spec>,
    ) -> Result<(), Error> {
        Ok(())
    }

    fn could_be_id(physical_id: &str) -> bool {
        crate::ownership::is_medialive_id(physical_id)
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, _spec: Option<&Spec>) -> Result<(), Error> {
        match look(aws, req, physical_id).await? {
            Owned::Missing | Owned::State(Some(ChannelState::Idle)) => return Ok(()),
            Owned::NotOurs => {
                tracing::warn!(channel = %physical_id, "not this stack's channel; left running as it is");
                return Ok(());
            }
            Owned::State(_) => {}
        }
        // Running or changing: a refusal (not running by now) leads to a
        // look at its state.
        match stop(aws, req, physical_id).await {
            Ok(()) => Ok(()),
            Err(err) if err.is_not_found() => Ok(()),
            Err(Error::Aws(err)) if err.is_conflict() => match settle(aws, req, physical_id).await? {
                Some(ChannelState::Running) => stop(aws, req, physical_id).await,
                _ => Ok(()),
            },
            Err(err) => Err(err),
        }
    }
}

fn running(id: &str) -> Outcome {
    Outcome::new(id).with_data(BTreeMap::from([("State".to_owned(), "RUNNING".to_owned())]))
}
