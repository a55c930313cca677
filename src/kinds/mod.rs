//! Resource kinds. Each lives in its own module behind [`Resource`]
//! (see `resource.rs`); [`KINDS`] is the one list of them.

mod owned;
mod resource;
mod validate;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use serde_json::{Map, Value};

use crate::aws::Clients;
use crate::cfn::event::{Invocation, RequestType};
use crate::cfn::props::{PropError, Props};
use crate::cfn::response::unconfirmed_request;
use crate::error::Error;

pub(crate) use resource::{Outcome, Request, Resource};

/// Declares each kind's module and registers the kind, one line each: the
/// module, and the type in it that implements [`Resource`].
macro_rules! kinds {
    ($($module:ident :: $kind:ident),* $(,)?) => {
        $(mod $module;)*
        /// Every kind this handler serves.
        static KINDS: &[&dyn Kind] = &[$(&Registered::<$module::$kind>(PhantomData)),*];
    };
}

// Adding a kind: its module (one file implementing `Resource`) and one line here.
kinds! {
    medialive_input::MediaLiveInput,
    medialive_channel::MediaLiveChannel,
    medialive_channel_start::MediaLiveChannelStart,
    mediapackage_channel::MediaPackageChannel,
    mediapackage_endpoint::MediaPackageEndPoint,
    endpoint_url::MediaPackageEndPointUrl,
    cdn_secret::MediaPackageCdnSecret,
    demo_player::DemoPlayer,
    last_recording::LastRecording,
    playback_key::PlaybackKey,
}

type Work<'a> = Pin<Box<dyn Future<Output = Result<Outcome, Error>> + Send + 'a>>;

/// A kind as the registry holds it: [`Resource`] made object-safe.
trait Kind: Sync {
    fn name(&self) -> &'static str;
    fn check(&self, properties: &Map<String, Value>) -> Result<(), Error>;
    fn perform<'a>(&self, aws: &'a Clients, req: &'a Request, invocation: &'a Invocation) -> Work<'a>;
}

struct Registered<R>(PhantomData<fn() -> R>);

impl<R: Resource + 'static> Kind for Registered<R> {
    fn name(&self) -> &'static str {
        R::NAME
    }

    fn check(&self, properties: &Map<String, Value>) -> Result<(), Error> {
        parse::<R>(properties).map(drop).map_err(Error::from)
    }

    // Boxed: the kinds' futures are large and deeply nested, and rustc's
    // layout queries overflow their depth limit in release builds otherwise.
    fn perform<'a>(&self, aws: &'a Clients, req: &'a Request, invocation: &'a Invocation) -> Work<'a> {
        Box::pin(run::<R>(aws, req, invocation))
    }
}

fn find(name: &str) -> Option<&'static dyn Kind> {
    KINDS.iter().copied().find(|kind| kind.name() == name)
}

/// The names of every kind this handler serves.
pub fn names() -> Vec<&'static str> {
    KINDS.iter().map(|kind| kind.name()).collect()
}

pub fn is_known(name: &str) -> bool {
    find(name).is_some()
}

/// Runs the request against the kind named `name`, which must be known.
/// Every AWS call in it is held to the request's budget.
pub(crate) async fn perform(
    name: &str,
    aws: &Clients,
    req: &Request,
    invocation: &Invocation,
) -> Result<Outcome, Error> {
    let Some(kind) = find(name) else {
        return Err(Error::Unexpected(format!("resource kind {name} has no handler")));
    };
    req.budget().run(kind.perform(aws, req, invocation)).await
}

/// Validates `properties` for the kind named `name` without any AWS call.
pub fn check(name: &str, properties: &Map<String, Value>) -> Result<(), Error> {
    match find(name) {
        Some(kind) => kind.check(properties),
        None => Err(Error::Unexpected(format!("unknown resource kind {name}"))),
    }
}

fn parse<R: Resource>(properties: &Map<String, Value>) -> Result<R::Spec, PropError> {
    let props = Props::new(properties);
    props.check_known(R::PROPERTIES)?;
    R::parse(props)
}

async fn run<R: Resource>(aws: &Clients, req: &Request, invocation: &Invocation) -> Result<Outcome, Error> {
    let physical_id = invocation.physical_resource_id.as_deref().unwrap_or_default();
    match invocation.request_type {
        RequestType::Create => {
            let spec = parse::<R>(&invocation.properties)?;
            R::create(aws, req, &spec).await
        }
        RequestType::Update => {
            let new = parse::<R>(&invocation.properties)?;
            let old = invocation.old_properties.as_ref().and_then(|old| parse::<R>(old).ok());
            R::update(aws, req, physical_id, old.as_ref(), &new).await
        }
        RequestType::Delete => {
            let spec = parse::<R>(&invocation.properties).ok();
            match unconfirmed_request(physical_id) {
                Some(create_request) => {
                    tracing::info!(
                        create_request,
                        "the Create may have made something it never learnt the id of; looking for it by its tags"
                    );
                    R::delete_made_in(aws, req, create_request, spec.as_ref()).await?;
                }
                None if !R::could_be_id(physical_id) => {
                    tracing::warn!(
                        PhysicalResourceId = %physical_id,
                        kind = R::NAME,
                        "cannot be this kind's id; nothing of it to delete"
                    );
                }
                None => R::delete(aws, req, physical_id, spec.as_ref()).await?,
            }
            Ok(Outcome::new(physical_id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name() {
        let mut names = names();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "{names:?}");
    }
}
