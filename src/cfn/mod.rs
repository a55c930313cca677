//! The CloudFormation custom-resource protocol: the event, its properties,
//! the response, its delivery and the deadline. Nothing here knows about
//! media services.

pub mod answer;
pub mod deadline;
pub mod event;
pub mod props;
pub mod response;
pub mod sender;
