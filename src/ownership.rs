//! The vocabulary of ownership, which the custom resources and the cost
//! guard share: the tags everything is made with, and what an id can be.
//! It imports nothing of the project.

use std::collections::HashMap;

/// The stack that made a resource (its CloudFormation StackId).
pub const STACK_ID_TAG: &str = "livestream:stack-id";
/// On an event's MediaLive channel: the foundation stack (its StackId)
/// whose cost guard watches it.
pub const FOUNDATION_TAG: &str = "livestream:foundation";
/// The stack resource (logical id) that made it.
pub const LOGICAL_ID_TAG: &str = "livestream:logical-id";
/// The RequestId of the Create (or replacing Update) that made it.
pub const REQUEST_ID_TAG: &str = "livestream:request-id";

/// A service's tag map as `(key, value)` pairs.
pub fn tag_pairs(tags: Option<&HashMap<String, String>>) -> impl Iterator<Item = (&str, &str)> {
    tags.into_iter().flatten().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Whether `value` can be a MediaPackage id (channel, endpoint): letters,
/// digits, `-`, `_`.
pub fn is_media_id(value: &str) -> bool {
    (1..=256).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `value` can be a MediaLive id: letters and digits.
pub fn is_medialive_id(value: &str) -> bool {
    (1..=256).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Whether `value` can be an id or ARN of any kind: not empty, within
/// CloudFormation's 1024 bytes, and only the characters ids and ARNs use.
pub fn plausible_id(value: &str) -> bool {
    (1..=1024).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/_+=.@-".contains(c))
}
