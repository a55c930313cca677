//! The no-input alarm of `template.yaml` and `event.yaml`, as defined,
//! evaluated as CloudWatch evaluates it ([`testkit::metric_math`]: its
//! expression, `FILL`, `IF`, `MIN`, `TreatMissingData`,
//! `DatapointsToAlarm`) over per-minute data of a stopped channel, a live
//! one, one whose input reports a frame rate of 0, one whose input lost
//! its signal, and one whose input reports nothing at all (SRT, RTMP and
//! file inputs report no `InputLossSeconds`): only the live and the
//! stopped channel stay OK. Each under both readings of `FILL` for a
//! series with no data.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use testkit::live_events::{EVENT_TEMPLATE, template};
use testkit::metric_math::{Alarm, Fill, Queries, Series};
use testkit::stack::eval::Exposed;
use testkit::stack::names::{Place, properties};

const CHANNEL: &str = "1234567";
const MINUTES: i64 = 45;

/// What one pipeline reports each minute.
#[derive(Debug, Clone, Copy)]
enum Pipeline {
    /// Not running: no metric at all.
    Stopped,
    /// Frames at 30 fps, no loss.
    Live,
    /// Frames reported at 0 fps.
    ZeroRate,
    /// Input loss counted by MediaLive (RTP, MediaConnect), no frames.
    LossCounted,
    /// Running, but neither a frame rate nor input loss (SRT, RTMP, file).
    Silent,
}

/// The alarm `logical_id` of `file` with `parameters`, its metrics
/// naming the channel [`CHANNEL`].
fn definition(file: &str, parameters: &[(&str, &str)]) -> Value {
    let template = template(file).unwrap();
    let mut given: Vec<(String, String)> = parameters.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if file == "template.yaml" {
        given.extend(
            [
                ("CodeBucketPrefix", "local-code"),
                ("CodeKey", "livestream/v0/livestream-resources.zip"),
                ("DemoSourceKey", "livestream/v0/demo-source.mp4"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
    } else {
        given.push(("Foundation".to_owned(), "live".to_owned()));
    }
    let resources = BTreeMap::from([(
        "MediaLiveChannel".to_owned(),
        Exposed {
            physical_id: CHANNEL.to_owned(),
            ..Exposed::default()
        },
    )]);
    let place = Place {
        stack_name: "live-alarm",
        region: "us-east-1",
        parameters: &given,
        imports: &BTreeMap::new(),
    };
    properties(&template, &place, "NoInputVideoAlarm", &resources).unwrap()
}

/// The alarm and its queries fed with `pipelines`' data.
fn fed(definition: &Value, pipelines: &[Pipeline]) -> (Alarm, Queries, Vec<i64>) {
    let number = |key: &str| -> usize {
        definition[key]
            .as_str()
            .map_or_else(|| definition[key].as_u64().unwrap() as usize, |s| s.parse().unwrap())
    };
    let window: Vec<i64> = (0..MINUTES).map(|m| 1_800_000_000 + m * 60).collect();
    let mut queries = Queries::default();
    let mut returned = String::new();
    for query in definition["Metrics"].as_array().unwrap() {
        let id = query["Id"].as_str().unwrap().to_owned();
        if query["ReturnData"] == true || query["ReturnData"] == "true" {
            returned = id.clone();
        }
        if let Some(expression) = query["Expression"].as_str() {
            queries.expressions.insert(id, expression.to_owned());
            continue;
        }
        let metric = &query["MetricStat"]["Metric"];
        let dimensions: HashMap<&str, &str> = metric["Dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["Name"].as_str().unwrap(), d["Value"].as_str().unwrap()))
            .collect();
        assert_eq!(dimensions["ChannelId"], CHANNEL, "{id} is the channel's");
        let pipeline: usize = dimensions["Pipeline"].parse().unwrap();
        let state = pipelines[pipeline];
        let value = match (metric["MetricName"].as_str().unwrap(), state) {
            (_, Pipeline::Stopped) => None,
            ("ActiveAlerts", Pipeline::Live) => Some(0.0),
            ("ActiveAlerts", _) => Some(1.0),
            ("InputVideoFrameRate", Pipeline::Live) => Some(30.0),
            ("InputVideoFrameRate", Pipeline::ZeroRate) => Some(0.0),
            ("InputLossSeconds", Pipeline::Live | Pipeline::ZeroRate) => Some(0.0),
            ("InputLossSeconds", Pipeline::LossCounted) => Some(60.0),
            _ => None,
        };
        let series: Series = value
            .map(|v| window.iter().map(|t| (*t, v)).collect())
            .unwrap_or_default();
        queries.data.insert(id, series);
    }
    let alarm = Alarm {
        returned,
        threshold: definition["Threshold"].as_f64().unwrap_or(1.0),
        operator: definition["ComparisonOperator"].as_str().unwrap().to_owned(),
        evaluation_periods: number("EvaluationPeriods"),
        datapoints_to_alarm: number("DatapointsToAlarm"),
        treat_missing: definition["TreatMissingData"].as_str().unwrap().to_owned(),
    };
    (alarm, queries, window)
}

fn in_alarm(definition: &Value, pipelines: &[Pipeline], fill: Fill) -> bool {
    let (alarm, queries, window) = fed(definition, pipelines);
    alarm.evaluate(&queries, &window, fill).unwrap().in_alarm
}

/// A template, its parameters, and how many pipelines its channel has.
type Case = (&'static str, &'static [(&'static str, &'static str)], usize);

#[test]
fn the_no_input_alarm_fires_for_every_dead_input_and_never_for_a_stopped_or_live_channel() {
    use Pipeline::{Live, LossCounted, Silent, Stopped, ZeroRate};
    let cases: [Case; 3] = [
        ("template.yaml", &[("IdleStopMinutes", "30")], 2),
        (
            "template.yaml",
            &[("IdleStopMinutes", "30"), ("ChannelClass", "SINGLE_PIPELINE")],
            1,
        ),
        (EVENT_TEMPLATE, &[("IdleStopMinutes", "7")], 2),
    ];
    for (file, parameters, pipelines) in cases {
        let alarm = definition(file, parameters);
        for fill in [Fill::Window, Fill::WhereDataIs] {
            let expect = |state: Pipeline, firing: bool| {
                let states = vec![state; pipelines];
                assert_eq!(
                    in_alarm(&alarm, &states, fill),
                    firing,
                    "{file} {parameters:?}, {pipelines} pipeline(s) {state:?}, FILL {fill:?}"
                );
            };
            expect(Stopped, false);
            expect(Live, false);
            expect(ZeroRate, true);
            expect(LossCounted, true);
            expect(Silent, true);
            if pipelines == 2 {
                // One pipeline with video keeps the channel on the air.
                for mixed in [[Live, Silent], [ZeroRate, Live], [Live, LossCounted]] {
                    assert!(!in_alarm(&alarm, &mixed, fill), "{file} {mixed:?} {fill:?}");
                }
                assert!(in_alarm(&alarm, &[Silent, ZeroRate], fill), "{file} {fill:?}");
            }
        }
    }
}
