//! Recordings: every run of a channel on MediaPackage v2, harvested out of
//! its `cmaf` endpoint into the stack's recordings bucket (MediaPackage v2
//! user guide, "Creating live-to-VOD assets":
//! <https://docs.aws.amazon.com/mediapackage/latest/userguide/live-to-vod.html>),
//! and listed for the player.
//!
//! Shared by the guard, which makes a run's jobs when it ends (and each
//! full day while it goes on) and lists what they harvested, and the
//! handler's `LastRecording`, which holds a delete until the last run is
//! harvested.

pub mod catalog;
pub mod harvest;
pub mod plan;
pub mod runs;

pub use catalog::{Catalog, Recording};
pub use harvest::{Harvested, Harvester, Job, Made};
pub use plan::{JobName, Part, complete_parts, job_name, parts, retry_name};
