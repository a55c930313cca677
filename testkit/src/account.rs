//! The account and region every emulated resource lives in.

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
