//! The whole stack on this machine: `template.yaml` read as CloudFormation
//! reads it and played against the real handler binary and the emulator.

mod audit;
mod deployed;
pub mod eval;
mod exports;
mod functions;
pub mod names;
mod native;
pub mod parameters;
mod plan;
pub mod play;
mod rig;
pub mod template;

pub use audit::leftovers;
pub use deployed::Deployed;
pub use exports::Exports;
pub use functions::{Function, HANDLER_FUNCTION};
pub(crate) use native::hex;
pub use play::{Failure, Player, Stack};
pub use rig::Rig;
pub use template::Template;
