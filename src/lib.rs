//! Live streaming on AWS from CloudFormation: three Lambda functions in one
//! binary, chosen at start-up ([`function`]).
//!
//! - The custom-resource handler ([`handler::App`]): MediaLive inputs and
//!   channels, MediaPackage channels and endpoints, the CDN secret, the
//!   demo player, and the lookups a template needs, one module per kind
//!   ([`kinds`]).
//! - The cost guard ([`guard`]): stops the stack's channel after its
//!   maximum run time or without input video.
//! - The cookie issuer ([`viewers`]): lets viewers in with CloudFront
//!   signed cookies ([`cookies`]) when playback is protected.
//!
//! Beneath them: [`cfn`], the custom-resource protocol, which knows nothing
//! of media services; [`aws`], every client; [`ownership`], the tags and
//! ids both share.

// The SDK futures nest deeply; the default limit stops layout computation.
#![recursion_limit = "256"]

pub mod aws;
pub(crate) mod budget;
pub mod cfn;
pub mod cookies;
pub mod cost;
pub mod error;
pub mod function;
pub(crate) mod grants;
pub mod guard;
pub mod handler;
pub mod kinds;
pub mod logging;
pub mod ownership;
pub mod profiles;
pub mod recording;
pub mod viewers;
pub(crate) mod wait;

pub use aws::Clients;
pub use cfn::answer::{HandlerError, Incoming};
pub use error::Error;
pub use handler::App;
