//! Any bytes as a custom-resource event: parsing the envelope and then the
//! properties of whichever kind it names (and of every kind) must never
//! panic, and every refusal of properties must name a property.

#![no_main]

use libfuzzer_sys::fuzz_target;
use livestream_resources::cfn::event::Invocation;
use livestream_resources::kinds;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<Value>(data) else {
        return;
    };
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
