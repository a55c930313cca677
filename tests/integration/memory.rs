//! Hostile properties within the function's memory: the largest events
//! CloudFormation can send (1 MB, Lambda's limit for an asynchronous
//! invocation's payload), made of the densest JSON (values of two bytes
//! each, deep nesting, a million keys), answered by the compiled binary
//! with a bounded FAILED while its peak resident memory (`VmHWM`) stays
//! well under the template's 128 MB.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use testkit::lambda::LambdaProcess;
use testkit::receiver::Receiver;
use testkit::runtime_api::RuntimeApi;

const BINARY: &str = env!("CARGO_BIN_EXE_livestream-resources");
/// Lambda's payload limit for an asynchronous invocation, as CloudFormation makes.
const LARGEST_EVENT: usize = 1024 * 1024;
/// The function has 128 MB; the runtime and the process itself need some.
const PEAK_LIMIT_KB: u64 = 64 * 1024;

fn peak_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Makes the JSON that fills the room left in an event.
type Filler = Box<dyn Fn(usize) -> String>;

/// A Create whose `ResourceProperties` hold `filler` under `Junk`, padded
/// to the largest event.
fn event(receiver: &Receiver, filler: impl Fn(usize) -> String) -> String {
    let base = json!({
        "RequestType": "Create",
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:livestream-resources",
        "ResponseURL": receiver.url(),
        "StackId": testkit::events::STACK_ID,
        "RequestId": "memory-test",
        "ResourceType": "Custom::MediaLiveInput",
        "LogicalResourceId": "Input",
        "ResourceProperties": {"ServiceToken": "x", "Type": "URL_PULL", "Junk": "FILLER"},
    })
    .to_string();
    let room = LARGEST_EVENT - (base.len() - "\"FILLER\"".len());
    base.replacen("\"FILLER\"", &filler(room), 1)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_largest_densest_events_are_answered_within_the_functions_memory() {
    let shapes: [(&str, Filler); 4] = [
        // [0,0,0,…]: a value for every two bytes.
        (
            "a flat array",
            Box::new(|room| format!("[{}0]", "0,".repeat((room - 3) / 2))),
        ),
        // {"0":0,"1":0,…}: a million-odd keys.
        (
            "an object of many keys",
            Box::new(|room| {
                let mut text = String::from("{");
                let mut i = 0usize;
                while text.len() + 16 < room {
                    text.push_str(&format!("\"{i:x}\":0,"));
                    i += 1;
                }
                text.push_str("\"z\":0}");
                text
            }),
        ),
        // [{},{},…]: an empty object for every three bytes.
        (
            "an array of objects",
            Box::new(|room| format!("[{}{{}}]", "{},".repeat((room - 4) / 3))),
        ),
        // Deep nesting (as far as JSON parsers go before refusing) around
        // one long string.
        (
            "deep nesting",
            Box::new(|room| {
                let depth = 100;
                format!(
                    "{}\"{}\"{}",
                    "[".repeat(depth),
                    "x".repeat(room - 2 * depth - 2),
                    "]".repeat(depth)
                )
            }),
        ),
    ];
    for (shape, filler) in shapes {
        let receiver = Receiver::start().await;
        let api = RuntimeApi::start().await;
        let process = LambdaProcess::spawn(
            Path::new(BINARY),
            &api.address(),
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_owned()),
                ("RESPONSE_URL_ALLOWED_HOSTS", receiver.host()),
            ],
        );
        let event = event(&receiver, filler);
        assert!(
            event.len() <= LARGEST_EVENT && event.len() > LARGEST_EVENT - 64,
            "{shape}: {}",
            event.len()
        );
        serde_json::from_str::<Value>(&event).unwrap_or_else(|err| panic!("{shape}: not JSON: {err}"));
        api.invoke(event, Duration::from_secs(60)).await;
        let response = receiver.response(Duration::from_secs(30)).await;
        let peak = peak_kb(process.pid().unwrap());
        process.stop().await;
        println!("{shape}: peak {} MB", peak / 1024);
        assert_eq!(response["Status"], "FAILED", "{shape}: {response}");
        let reason = response["Reason"].as_str().unwrap();
        // Too many values: refused unread; few (the nesting): read, and the
        // unknown property refused.
        assert!(
            reason.contains("JSON values") || reason.contains("Junk"),
            "{shape}: {reason}"
        );
        assert!(response.to_string().len() <= 4096, "{shape}");
        assert!(
            peak < PEAK_LIMIT_KB,
            "{shape}: peak {} kB over {PEAK_LIMIT_KB} kB",
            peak
        );
    }
}
