//! CloudFormation custom-resource events as the service sends them.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

pub const STACK_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/live-test/5b6f3f40-0c1e-11ef-9a4c-0a1b2c3d4e5f";

/// A name no other test in this process uses (tests share one emulator).
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A Create event for `Custom::<kind>`; add `PhysicalResourceId` (and
/// `OldResourceProperties`) for Update and Delete with [`with`].
pub fn event(request_type: &str, kind: &str, properties: Value, response_url: &str) -> Value {
    let mut properties = properties;
    properties["ServiceToken"] = json!("arn:aws:lambda:us-east-1:123456789012:function:livestream-resources");
    json!({
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:livestream-resources",
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": unique("request"),
        "ResourceType": format!("Custom::{kind}"),
        "LogicalResourceId": "Resource",
        "ResourceProperties": properties,
    })
}

/// `event` with one more top-level field.
pub fn with(mut event: Value, field: &str, value: impl Into<Value>) -> Value {
    event[field] = value.into();
    event
}

/// Now, in epoch seconds (as policies and schedules count).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Now, as EventBridge writes an event's `time`.
pub fn now_rfc3339() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// An epoch second as EventBridge writes an event's `time`.
pub fn rfc3339(epoch_secs: u64) -> String {
    aws_smithy_types::DateTime::from_secs(i64::try_from(epoch_secs).unwrap_or(i64::MAX))
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// "MediaLive Channel State Change" for `channel_arn`, happening now, as
/// EventBridge delivers it to the cost guard.
pub fn channel_state_change(channel_arn: &str, state: &str) -> Value {
    json!({
        "version": "0",
        "id": unique("event"),
        "detail-type": "MediaLive Channel State Change",
        "source": "aws.medialive",
        "account": "123456789012",
        "time": now_rfc3339(),
        "region": "us-east-1",
        "resources": [channel_arn],
        "detail": {
            "channel_arn": channel_arn,
            "state": state,
            "message": format!("Channel is {state}"),
            "pipelines_running_count": 1
        }
    })
}
