//! Hostile properties, generated: every kind's valid sample event, broken
//! one way or several (a property removed, replaced by a value of another
//! type, out of range, an unknown enum value, very long, with control
//! characters or non-ASCII, nested where a scalar belongs; an unknown key
//! added). The parser never panics, and whatever it refuses names the
//! property; through the handler such a request is answered FAILED with
//! that Reason and makes no AWS call.

use std::path::Path;

use crate::common::*;
use livestream_resources::kinds;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};
use testkit::receiver::Receiver;

/// (kind, valid properties) from every Create sample in `events/`.
fn samples() -> Vec<(String, Map<String, Value>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut samples = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("events/") {
        let path = entry.expect("an entry").path();
        if !path.to_string_lossy().ends_with("-create.json") {
            continue;
        }
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        let kind = event["ResourceType"]
            .as_str()
            .expect("ResourceType")
            .trim_start_matches("Custom::");
        let mut props = event["ResourceProperties"].as_object().expect("properties").clone();
        props.remove("ServiceToken");
        samples.push((kind.to_owned(), props));
    }
    samples.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(samples.len() >= 7, "a Create sample for every kind");
    samples
}

/// Text the way an attacker writes it.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ -~]{0,40}",
        "\\PC{0,40}",
        "[\\x00-\\x1f\\x7f]{1,8}",
        "[0-9]{1,25}",
        "-[0-9]{1,12}",
        Just("0".to_owned()),
        Just("NaN".to_owned()),
        Just("true".to_owned()),
        (1usize..20_000).prop_map(|n| "x".repeat(n)),
        Just("arn:aws:secretsmanager:us-east-1:123456789012:secret:x\n".to_owned()),
        Just("https://user:pass@example.com/a.m3u8".to_owned()),
        Just("\u{202e}\u{0}é漢🎥".to_owned()),
    ]
}

/// Any JSON value, scalars more often than nesting.
fn hostile_value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        hostile_text().prop_map(Value::from),
    ];
    scalar.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[A-Za-z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Change {
    Remove(usize),
    Replace(usize, Value),
    Add(String, Value),
}

/// A kind's sample with one to four changes.
fn hostile_properties() -> impl Strategy<Value = (String, Map<String, Value>)> {
    let samples = samples();
    let change = prop_oneof![
        any::<usize>().prop_map(Change::Remove),
        (any::<usize>(), hostile_value()).prop_map(|(n, v)| Change::Replace(n, v)),
        ("[A-Za-z]{1,30}", hostile_value()).prop_map(|(k, v)| Change::Add(k, v)),
    ];
    (0..samples.len(), prop::collection::vec(change, 1..5)).prop_map(move |(n, changes)| {
        let (kind, mut props) = samples[n].clone();
        for change in changes {
            let keys: Vec<String> = props.keys().cloned().collect();
            match change {
                Change::Remove(i) if !keys.is_empty() => {
                    props.remove(&keys[i % keys.len()]);
                }
                Change::Replace(i, value) if !keys.is_empty() => {
                    props.insert(keys[i % keys.len()].clone(), value);
                }
                Change::Add(key, value) => {
                    props.insert(key, value);
                }
                _ => {}
            }
        }
        (kind, props)
    })
}

fn names_a_property(reason: &str) -> bool {
    reason.starts_with("property ") || reason.starts_with("unknown property ")
}

proptest! {
    #![proptest_config(Config { cases: 2_000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn the_parsers_never_panic_and_every_refusal_names_the_property((kind, props) in hostile_properties()) {
        if let Err(err) = kinds::check(&kind, &props) {
            let reason = err.to_string();
            prop_assert!(names_a_property(&reason), "{kind}: {reason}");
        }
    }
}

#[tokio::test]
async fn refused_hostile_requests_are_answered_failed_without_an_aws_call() {
    let receiver = Receiver::start().await;
    let (clients, fake_aws) = recording_clients().await;
    let app = app(clients, &receiver);
    let mut runner = TestRunner::deterministic();
    let strategy = hostile_properties();
    let mut refused = 0;
    while refused < 200 {
        let (kind, props) = strategy.new_tree(&mut runner).expect("a case").current();
        if kinds::check(&kind, &props).is_ok() {
            continue;
        }
        refused += 1;
        let event = testkit::events::event("Create", &kind, Value::Object(props), &receiver.url());
        let response = answer(&app, &receiver, event).await;
        assert_eq!(response["Status"], "FAILED", "{response}");
        let reason = reason(&response);
        assert!(names_a_property(reason), "{reason}");
        assert!(
            serde_json::to_vec(&response).expect("JSON").len() <= 4096,
            "bounded body"
        );
    }
    assert!(fake_aws.requests().is_empty(), "no AWS call for any refused request");
}
