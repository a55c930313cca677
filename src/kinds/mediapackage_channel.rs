//! `MediaPackageChannel`: a MediaPackage (v1) channel, the ingest point the
//! MediaLive channel pushes to.

use std::collections::BTreeMap;

use aws_sdk_mediapackage::operation::describe_channel::DescribeChannelOutput;
use aws_sdk_mediapackage::types::HlsIngest;

use super::owned::{self, Named};
use super::resource::{Outcome, Request, Resource};
use super::validate;
use crate::aws::Clients;
use crate::cfn::props::{PropError, Props};
use crate::error::{Error, Found, aws_error};
use crate::ownership::tag_pairs;

pub(super) struct MediaPackageChannel;

pub(super) struct Spec {
    channel_id: String,
    description: Option<String>,
}

impl Resource for MediaPackageChannel {
    const NAME: &'static str = "MediaPackageChannel";
    const PROPERTIES: &'static [&'static str] = &["ChannelId", "Description"];
    type Spec = Spec;

    fn parse(props: Props<'_>) -> Result<Spec, PropError> {
        let channel_id = props.required_string("ChannelId")?;
        validate::media_id("ChannelId", &channel_id)?;
        let description = props.string("Description")?;
        if let Some(description) = &description {
            validate::text("Description", description, 1000)?;
        }
        Ok(Spec {
            channel_id,
            description,
        })
    }

    async fn create(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
        ensure(aws, req, spec).await
    }

    async fn update(
        aws: &Clients,
        req: &Request,
        physical_id: &str,
        _old: Option<&Spec>,
        new: &Spec,
    ) -> Result<Outcome, Error> {
        if new.channel_id != physical_id {
            // A new id is a new channel; CloudFormation deletes the old one
            // once this answer names the new one.
            return ensure(aws, req, new).await;
        }
        let updated = aws
            .mediapackage
            .update_channel()
            .id(physical_id)
            .description(new.description.clone().unwrap_or_default())
            .send()
            .await
            .map_err(aws_error("UpdateChannel"))?;
        Ok(outcome(physical_id, updated.arn(), updated.hls_ingest()))
    }

    fn could_be_id(physical_id: &str) -> bool {
        crate::ownership::is_media_id(physical_id)
    }

    async fn delete(aws: &Clients, req: &Request, physical_id: &str, _spec: Option<&Spec>) -> Result<(), Error> {
        owned::delete_ours::<Self>(aws, req, physical_id).await
    }

    async fn delete_made_in(aws: &Clients, req: &Request, request_id: &str, spec: Option<&Spec>) -> Result<(), Error> {
        let id = spec.map(|spec| spec.channel_id.as_str());
        owned::delete_made_in::<Self>(aws, req, request_id, id).await
    }
}

impl Named for MediaPackageChannel {
    type Found = DescribeChannelOutput;
    const WHAT: &'static str = "MediaPackage channel";

    async fn describe(aws: &Clients, id: &str) -> Result<Option<DescribeChannelOutput>, Error> {
        describe(aws, id).await
    }

    fn tags(found: &DescribeChannelOutput) -> Vec<(&str, &str)> {
        tag_pairs(found.tags()).collect()
    }

    async fn remove(aws: &Clients, id: &str, _found: &DescribeChannelOutput) -> Result<(), Error> {
        remove(aws, id).await
    }
}

/// Deletes the channel and its endpoints; its ownership is checked already.
async fn remove(aws: &Clients, id: &str) -> Result<(), Error> {
    // The service refuses to delete a channel that still has endpoints.
    for endpoint in endpoints_of(aws, id).await? {
        super::mediapackage_endpoint::remove(aws, &endpoint).await?;
        tracing::info!(endpoint = %endpoint, "deleted origin endpoint of the channel");
    }
    aws.mediapackage
        .delete_channel()
        .id(id)
        .send()
        .await
        .map_err(aws_error("DeleteChannel"))
        .found()?;
    Ok(())
}

/// The channel of `spec`: adopted when this stack resource made it already
/// (a repeated Create), created when absent, refused when someone else's.
/// Created first: the common path is one call, and a conflict (or a lost
/// answer) leads to the look that adopts.
async fn ensure(aws: &Clients, req: &Request, spec: &Spec) -> Result<Outcome, Error> {
    let created = aws
        .mediapackage
        .create_channel()
        .id(&spec.channel_id)
        .set_description(spec.description.clone())
        .set_tags(Some(req.ownership_tags()))
        .send()
        .await
        .map_err(aws_error("CreateChannel"));
    let created = match created {
        Ok(created) => created,
        // CreateChannel has no idempotency token: when the first attempt's
        // answer was lost, the SDK's retry finds the channel it made.
        Err(err) => {
            let existing = owned::adopt::<MediaPackageChannel>(aws, req, &spec.channel_id, |_| true).await?;
            let existing = existing.ok_or(err)?;
            return Ok(outcome(&spec.channel_id, existing.arn(), existing.hls_ingest()));
        }
    };
    req.record_created(&spec.channel_id);
    tracing::info!(channel = %spec.channel_id, "created MediaPackage channel");
    Ok(outcome(&spec.channel_id, created.arn(), created.hls_ingest()))
}

fn outcome(channel_id: &str, arn: Option<&str>, ingest: Option<&HlsIngest>) -> Outcome {
    let endpoints = ingest.map(HlsIngest::ingest_endpoints).unwrap_or_default();
    let url = |i: usize| endpoints.get(i).and_then(|e| e.url()).unwrap_or_default().to_owned();
    let user = |i: usize| {
        endpoints
            .get(i)
            .and_then(|e| e.username())
            .unwrap_or_default()
            .to_owned()
    };
    Outcome::new(channel_id).with_data(BTreeMap::from([
        ("Arn".to_owned(), arn.unwrap_or_default().to_owned()),
        ("ChannelId".to_owned(), channel_id.to_owned()),
        ("PrimaryUrl".to_owned(), url(0)),
        ("PrimaryUser".to_owned(), user(0)),
        ("SecondaryUrl".to_owned(), url(1)),
        ("SecondaryUser".to_owned(), user(1)),
    ]))
}

/// Every origin endpoint of `channel_id`, across all pages. Each endpoint's
/// own channel id is checked: the filter is a request, not a guarantee.
pub(super) async fn endpoints_of(aws: &Clients, channel_id: &str) -> Result<Vec<String>, Error> {
    let endpoints = aws
        .mediapackage
        .list_origin_endpoints()
        .channel_id(channel_id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(aws_error("ListOriginEndpoints"))?;
    Ok(endpoints
        .iter()
        .filter(|endpoint| endpoint.channel_id() == Some(channel_id))
        .filter_map(|endpoint| endpoint.id().map(str::to_owned))
        .collect())
}

/// The channel `id`; `None` when there is none.
async fn describe(aws: &Clients, id: &str) -> Result<Option<DescribeChannelOutput>, Error> {
    aws.mediapackage
        .describe_channel()
        .id(id)
        .send()
        .await
        .map_err(aws_error("DescribeChannel"))
        .found()
}
