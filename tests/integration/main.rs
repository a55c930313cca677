//! Every integration test in one binary (one link of the AWS SDK, not
//! one per file): each module is the tests of one part, driven from
//! outside through the library or the compiled binary.

// The SDK's futures nest deeply; rustc's default limit is too low to lay
// out the shared helpers' futures.
#![recursion_limit = "256"]
// Panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod binary;
mod cookies;
mod cut_off;
mod demo_player;
mod demo_player_mock;
mod demo_source;
mod duplicates;
mod engine;
mod events;
mod failover;
mod failover_browser;
mod guard;
mod guard_mock;
mod hostile;
mod iam;
mod idle_alarm;
mod live_events;
mod local_run;
mod medialive;
mod medialive_mock;
mod mediapackage;
mod mediapackage_mock;
mod memory;
mod names;
mod packaging;
mod player_browser;
mod protected_playback;
mod recordings;
mod srt_recipes;
mod stack;
mod stack_faults;
mod template_checks;
mod template_source;
mod upgrade;
mod validation;
