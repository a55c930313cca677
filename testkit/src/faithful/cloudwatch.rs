//! CloudWatch alarms, emulated here: the SDK speaks Smithy RPC v2 CBOR to
//! CloudWatch, which moto does not read. Kept: metric alarms as
//! PutMetricAlarm defines them (CloudFormation's `AWS::CloudWatch::Alarm`
//! has the same members), their state and when it last changed, answered
//! by DescribeAlarms as the API model shapes a `MetricAlarm`. A test sets
//! an alarm's state ([`super::Faithful::set_alarm_state`]), as CloudWatch
//! would after its evaluation; SetAlarmState does the same over the wire.
//!
//! Metric data is what a stand-in service reports
//! ([`super::Faithful::report_metric`]), answered by GetMetricData for
//! metric queries (a `MetricStat`), a datapoint a period as CloudWatch
//! aggregates them, newest first.
//!
//! Requests in CBOR get CBOR (tagged timestamps, the `smithy-protocol`
//! header); CloudFormation's own calls from the template player come in
//! JSON and get JSON.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::now;
use crate::account::{ACCOUNT, REGION};
use crate::http::{Recorded, Reply, json_reply, reply};

/// The signing name; the model's directory is `cloudwatch`.
pub(crate) const SERVICE: &str = "monitoring";

#[derive(Default)]
pub(super) struct State {
    alarms: BTreeMap<String, Alarm>,
    datapoints: Vec<Datapoint>,
}

/// One value a service reported for a metric.
struct Datapoint {
    namespace: String,
    name: String,
    /// Sorted by name: CloudWatch tells metrics apart by the whole set.
    dimensions: BTreeMap<String, String>,
    value: f64,
    /// Epoch seconds.
    at: f64,
}

struct Alarm {
    /// The PutMetricAlarm request, typed by the model.
    definition: Value,
    state: String,
    reason: String,
    /// Epoch seconds: when the state was last set, and last changed.
    updated: f64,
    transitioned: f64,
}

impl State {
    /// Sets `name`'s state as CloudWatch's evaluation would; `false` when
    /// there is no such alarm.
    pub(super) fn set(&mut self, name: &str, state: &str, reason: &str) -> bool {
        self.set_at(name, state, reason, now())
    }

    /// As `set`, as if it had happened at `at` (epoch seconds).
    pub(super) fn set_at(&mut self, name: &str, state: &str, reason: &str, at: f64) -> bool {
        let Some(alarm) = self.alarms.get_mut(name) else {
            return false;
        };
        if alarm.state != state {
            alarm.transitioned = at;
        }
        alarm.state = state.to_owned();
        alarm.reason = reason.to_owned();
        alarm.updated = at;
        true
    }

    /// Keeps one datapoint, as if the service had reported it at `at`.
    pub(super) fn report(&mut self, namespace: &str, name: &str, dimensions: &[(&str, &str)], value: f64, at: f64) {
        self.datapoints.push(Datapoint {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            dimensions: dimensions
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect(),
            value,
            at,
        });
    }

    /// One `MetricDataResult` of a query with a `MetricStat`: the
    /// datapoints of exactly that metric (namespace, name and the whole
    /// set of dimensions) in `[start, end)`, a value a period by the stat,
    /// newest first (GetMetricData's default `TimestampDescending`).
    fn metric_data(&self, query: &Value, start: f64, end: f64) -> Result<Value, (u16, &'static str, String)> {
        let id = query["Id"].as_str().unwrap_or_default();
        let stat = &query["MetricStat"];
        if stat.is_null() {
            return Err((
                400,
                "InvalidParameterValue",
                format!("query {id}: only MetricStat queries are emulated"),
            ));
        }
        let metric = &stat["Metric"];
        let dimensions: BTreeMap<String, String> = metric["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let text = |key: &str| d[key].as_str().unwrap_or_default().to_owned();
                (text("Name"), text("Value"))
            })
            .collect();
        let period = stat["Period"].as_f64().filter(|p| *p >= 1.0).unwrap_or(60.0);
        let mut periods: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for point in &self.datapoints {
            if point.namespace == metric["Namespace"].as_str().unwrap_or_default()
                && point.name == metric["MetricName"].as_str().unwrap_or_default()
                && point.dimensions == dimensions
                && point.at >= start
                && point.at < end
            {
                periods
                    .entry((point.at / period).floor() as i64)
                    .or_default()
                    .push(point.value);
            }
        }
        let aggregate = |values: &[f64]| -> Result<f64, (u16, &'static str, String)> {
            Ok(match stat["Stat"].as_str().unwrap_or_default() {
                "Minimum" => values.iter().copied().fold(f64::INFINITY, f64::min),
                "Maximum" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "Sum" => values.iter().sum(),
                "Average" => values.iter().sum::<f64>() / values.len() as f64,
                "SampleCount" => values.len() as f64,
                other => {
                    return Err((
                        400,
                        "InvalidParameterValue",
                        format!("query {id}: Stat {other:?} is not emulated"),
                    ));
                }
            })
        };
        let mut timestamps = Vec::new();
        let mut values = Vec::new();
        for (index, points) in periods.iter().rev() {
            timestamps.push(json!(*index as f64 * period));
            values.push(json!(aggregate(points)?));
        }
        Ok(json!({
            "Id": id,
            "Label": query["Label"].as_str().unwrap_or(metric["MetricName"].as_str().unwrap_or_default()),
            "Timestamps": timestamps,
            "Values": values,
            "StatusCode": "Complete",
        }))
    }

    /// The alarms' names, for the audit.
    pub(super) fn names(&self) -> Vec<String> {
        self.alarms.keys().cloned().collect()
    }

    /// An alarm's definition as PutMetricAlarm gave it.
    pub(super) fn definition(&self, name: &str) -> Option<Value> {
        self.alarms.get(name).map(|alarm| alarm.definition.clone())
    }

    fn described(&self, name: &str, alarm: &Alarm) -> Value {
        let mut described = alarm.definition.clone();
        described["AlarmArn"] = json!(format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"));
        described["StateValue"] = json!(alarm.state);
        described["StateReason"] = json!(alarm.reason);
        described["StateUpdatedTimestamp"] = json!(alarm.updated);
        described["StateTransitionedTimestamp"] = json!(alarm.transitioned);
        described["AlarmConfigurationUpdatedTimestamp"] = json!(alarm.transitioned);
        described
    }

    fn answer(&mut self, operation: &str, body: &Value) -> Result<Value, (u16, &'static str, String)> {
        let names = |key: &str| -> Vec<String> {
            body[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        };
        match operation {
            "PutMetricAlarm" => {
                let name = body["AlarmName"].as_str().unwrap_or_default().to_owned();
                if name.is_empty() || name.len() > 255 {
                    return Err((
                        400,
                        "ValidationError",
                        format!("AlarmName {name:?} must be 1 to 255 characters"),
                    ));
                }
                let at = now();
                let kept = self.alarms.remove(&name);
                // A new alarm starts INSUFFICIENT_DATA; a changed one keeps its state.
                let (state, reason, updated, transitioned) = match kept {
                    Some(alarm) => (alarm.state, alarm.reason, alarm.updated, alarm.transitioned),
                    None => (
                        "INSUFFICIENT_DATA".to_owned(),
                        "Unchecked: Initial alarm creation".to_owned(),
                        at,
                        at,
                    ),
                };
                self.alarms.insert(
                    name,
                    Alarm {
                        definition: body.clone(),
                        state,
                        reason,
                        updated,
                        transitioned,
                    },
                );
                Ok(json!({}))
            }
            "DescribeAlarms" => {
                let wanted = names("AlarmNames");
                let prefix = body["AlarmNamePrefix"].as_str().unwrap_or_default();
                let alarms: Vec<Value> = self
                    .alarms
                    .iter()
                    .filter(|(name, _)| (wanted.is_empty() || wanted.contains(name)) && name.starts_with(prefix))
                    .map(|(name, alarm)| self.described(name, alarm))
                    .collect();
                Ok(json!({"MetricAlarms": alarms, "CompositeAlarms": []}))
            }
            "GetMetricData" => {
                let (Some(start), Some(end)) = (body["StartTime"].as_f64(), body["EndTime"].as_f64()) else {
                    return Err((400, "MissingParameter", "StartTime and EndTime are required".to_owned()));
                };
                if start >= end {
                    return Err((
                        400,
                        "InvalidParameterValue",
                        "StartTime must be before EndTime".to_owned(),
                    ));
                }
                let results = body["MetricDataQueries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|query| self.metric_data(query, start, end))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(json!({"MetricDataResults": results, "Messages": []}))
            }
            // The metrics some datapoint was reported for, as CloudWatch
            // lists them: filtered by namespace, name and dimensions (a
            // dimension filter without a value matches any value).
            "ListMetrics" => {
                let filters: Vec<(String, Option<String>)> = body["Dimensions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|d| {
                        (
                            d["Name"].as_str().unwrap_or_default().to_owned(),
                            d["Value"].as_str().map(str::to_owned),
                        )
                    })
                    .collect();
                let wanted = |key: &str, have: &str| body[key].as_str().is_none_or(|want| want == have);
                let mut metrics: Vec<Value> = Vec::new();
                for point in &self.datapoints {
                    let matches = wanted("Namespace", &point.namespace)
                        && wanted("MetricName", &point.name)
                        && filters.iter().all(|(name, value)| {
                            point
                                .dimensions
                                .get(name)
                                .is_some_and(|have| value.as_deref().is_none_or(|want| want == have))
                        });
                    let metric = json!({
                        "Namespace": point.namespace,
                        "MetricName": point.name,
                        "Dimensions": point.dimensions.iter()
                            .map(|(name, value)| json!({"Name": name, "Value": value}))
                            .collect::<Vec<_>>(),
                    });
                    if matches && !metrics.contains(&metric) {
                        metrics.push(metric);
                    }
                }
                Ok(json!({"Metrics": metrics}))
            }
            "DeleteAlarms" => {
                for name in names("AlarmNames") {
                    self.alarms.remove(&name);
                }
                Ok(json!({}))
            }
            "SetAlarmState" => {
                let name = body["AlarmName"].as_str().unwrap_or_default();
                let state = body["StateValue"].as_str().unwrap_or_default();
                if !["OK", "ALARM", "INSUFFICIENT_DATA"].contains(&state) {
                    return Err((400, "InvalidFormat", format!("StateValue {state:?}")));
                }
                let reason = body["StateReason"].as_str().unwrap_or_default();
                if self.set(name, state, reason) {
                    Ok(json!({}))
                } else {
                    Err((404, "ResourceNotFound", format!("Alarm {name} does not exist")))
                }
            }
            other => Err((400, "UnknownOperationException", format!("{other} is not emulated"))),
        }
    }
}

/// Answers every CloudWatch request; moto never sees one.
pub(super) fn route(request: &Recorded, state: &Mutex<super::State>) -> Reply {
    let operation = request
        .target
        .split('?')
        .next()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let in_cbor = request.header("content-type").is_some_and(|t| t.contains("cbor"))
        || request.header("smithy-protocol").is_some();
    let body = if in_cbor {
        crate::cbor::to_json(&request.body)
    } else if request.body.is_empty() {
        Ok(json!({}))
    } else {
        serde_json::from_slice(&request.body).map_err(|err| err.to_string())
    };
    let model = match crate::botocore::model(SERVICE) {
        Ok(model) => model,
        Err(err) => return failure(in_cbor, 500, "InternalFailure", &err),
    };
    let operation_model = &model["operations"][&operation];
    let Some(input) = operation_model["input"]["shape"].as_str() else {
        return failure(
            in_cbor,
            400,
            "UnknownOperationException",
            &format!("no operation {operation}"),
        );
    };
    // Operations that answer nothing have no output shape: an empty map.
    let output = operation_model["output"]["shape"].as_str().unwrap_or_default();
    let body = match body {
        Ok(body) => crate::cbor::typed(model, input, &body),
        Err(err) => return failure(in_cbor, 400, "SerializationException", &err),
    };
    let answer = state
        .lock()
        .expect("faithful state")
        .cloudwatch
        .answer(&operation, &body);
    match answer {
        Ok(_) if output.is_empty() => {
            if in_cbor {
                cbor_reply(200, crate::cbor::empty_map())
            } else {
                json_reply(200, &json!({}))
            }
        }
        Ok(answer) => {
            let answer = crate::cbor::typed(model, output, &answer);
            if !in_cbor {
                return json_reply(200, &answer);
            }
            cbor_reply(200, crate::cbor::to_bytes(model, output, &answer))
        }
        Err((status, code, message)) => failure(in_cbor, status, code, &message),
    }
}

pub(super) fn failure(in_cbor: bool, status: u16, code: &str, message: &str) -> Reply {
    if in_cbor {
        cbor_reply(status, crate::cbor::error_bytes(code, message))
    } else {
        super::error(status, code, message)
    }
}

fn cbor_reply(status: u16, bytes: Vec<u8>) -> Reply {
    let mut answer = reply(status, bytes);
    let headers = answer.headers_mut();
    headers.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/cbor"),
    );
    headers.insert(
        "smithy-protocol",
        hyper::header::HeaderValue::from_static("rpc-v2-cbor"),
    );
    answer
}
