//! The sample events in `events/` stay valid: each custom-resource event
//! parses, names a known kind and its properties validate; each
//! EventBridge event (`guard-*.json`) is one the cost guard knows.

use livestream_resources::Incoming;
use livestream_resources::cfn::event::Invocation;
use livestream_resources::guard::GuardEvent;
use livestream_resources::kinds;

#[test]
fn every_sample_event_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let (mut checked, mut guard_events) = (0, 0);
    for entry in std::fs::read_dir(&dir).expect("events/ exists") {
        let path = entry.expect("directory entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if Incoming::of(&raw) == Incoming::AwsEvent {
            GuardEvent::parse(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            guard_events += 1;
            continue;
        }
        let invocation = Invocation::parse(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let kind = invocation.kind_name();
        assert!(kinds::is_known(kind), "{}: unknown kind {kind}", path.display());
        kinds::check(kind, &invocation.properties).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        checked += 1;
    }
    assert!(checked >= 20, "{checked} sample custom-resource events");
    assert_eq!(guard_events, 3, "the guard's sample events");
}
