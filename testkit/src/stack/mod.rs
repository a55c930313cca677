//! The whole stack on this machine: `template.yaml` read as CloudFormation
//! reads it and played against the real handler binary and the emulator.

mod audit;
pub mod eval;
pub mod play;
mod rig;
pub mod template;

pub use audit::leftovers;
pub use play::{Failure, Player, Stack};
pub use rig::{Function, Rig};
pub use template::Template;
