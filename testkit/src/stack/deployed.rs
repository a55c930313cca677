//! A resource as it stands in a played stack.

use serde_json::Value;

use super::eval::Exposed;

/// One resource as it stands in the stack.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub logical_id: String,
    pub kind: String,
    /// Evaluated, as last sent.
    pub properties: Value,
    pub exposed: Exposed,
}

impl Deployed {
    pub fn is_custom(&self) -> bool {
        is_custom(&self.kind)
    }
}

pub(super) fn is_custom(kind: &str) -> bool {
    kind.starts_with("Custom::") || kind == "AWS::CloudFormation::CustomResource"
}
