//! Any bytes as an event: telling its shape, parsing a custom-resource
//! envelope and then the properties of whichever kind it names (and of
//! every kind), and reading it as the cost guard's event must never panic;
//! every refusal of properties must name a property.

#![no_main]

use libfuzzer_sys::fuzz_target;
use livestream_resources::cfn::event::Invocation;
use livestream_resources::kinds;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = livestream_resources::Incoming::of(&raw);
    let _ = livestream_resources::guard::GuardEvent::parse(&raw);
    if let Ok(invocation) = Invocation::parse(&raw) {
        let _ = kinds::check(invocation.kind_name(), &invocation.properties);
    }
    if let Value::Object(properties) = &raw {
        for kind in kinds::names() {
            if let Err(err) = kinds::check(kind, properties) {
                let reason = err.to_string();
                assert!(
                    reason.starts_with("property ") || reason.starts_with("unknown property "),
                    "{kind}: {reason}"
                );
            }
        }
    }
});
