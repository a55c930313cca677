//! A CloudFormation custom-resource handler for live-streaming stacks:
//! MediaLive inputs and channels, MediaPackage channels and endpoints, and
//! the lookups a template needs.
//!
//! [`cfn`] is the protocol and knows nothing of media services; [`kinds`]
//! holds one module per resource kind; [`handler::App`] joins them.

pub mod aws;
pub(crate) mod budget;
pub mod cfn;
pub mod error;
pub mod guard;
pub mod handler;
pub mod kinds;
pub mod logging;
pub mod profiles;
pub(crate) mod wait;

pub use aws::Clients;
pub use error::Error;
pub use handler::{App, HandlerError, Incoming};
