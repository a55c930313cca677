//! The sample events in `events/` stay valid: each parses as a
//! custom-resource event of a known kind whose properties validate.

// Panicking is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use livestream_resources::cfn::event::Invocation;
use livestream_resources::kinds;

#[test]
fn every_sample_event_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("events/ exists") {
        let path = entry.expect("directory entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let invocation = Invocation::parse(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let kind = invocation.kind_name();
        assert!(kinds::is_known(kind), "{}: unknown kind {kind}", path.display());
        kinds::check(kind, &invocation.properties).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        checked += 1;
    }
    assert!(checked >= 20, "{checked} sample events");
}
