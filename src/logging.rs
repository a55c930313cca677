//! One JSON object per line on stdout. Fields of the enclosing spans (the
//! request's ids) are merged into every line, so each line about a request
//! names it. Only this crate logs at the configured level; everything else
//! (SDK, HTTP, runtime) is held at WARN, because their debug output carries
//! request bodies and URLs with secrets.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the subscriber and a panic hook that logs through it. The level
/// comes from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls) or
/// `RUST_LOG`, as a plain level name; INFO otherwise.
pub fn init() {
    let level = ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .find_map(|name| std::env::var(name).ok()?.parse::<Level>().ok())
        .unwrap_or(Level::INFO);
    let filter = Targets::new()
        .with_default(Level::WARN)
        .with_target(env!("CARGO_CRATE_NAME"), level);
    let layer = tracing_subscriber::fmt::layer()
        .event_format(JsonLine)
        .with_writer(std::io::stdout);
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(SpanFields)
        .with(layer)
        .with(filter)
        .try_init();
    std::panic::set_hook(Box::new(|info| tracing::error!(panic = %info, "panic")));
}

/// A span's fields as JSON, kept on the span when it is made (and when a
/// field is recorded later), so a line copies them instead of parsing them.
struct SpanJson(Map<String, Value>);

/// Keeps [`SpanJson`] on every span.
#[derive(Debug)]
pub struct SpanFields;

impl<S> Layer<S> for SpanFields
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        attributes.record(&mut FieldVisitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanJson(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(SpanJson(fields)) = span.extensions_mut().get_mut::<SpanJson>()
        {
            values.record(&mut FieldVisitor(fields));
        }
    }
}

/// Formats an event as a flat JSON object.
#[derive(Debug)]
pub struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut line = Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        line.insert("timestamp".into(), timestamp.into());
        line.insert("level".into(), event.metadata().level().as_str().into());
        line.insert("target".into(), event.metadata().target().into());
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                if let Some(SpanJson(fields)) = span.extensions().get::<SpanJson>() {
                    line.extend(fields.iter().map(|(key, value)| (key.clone(), value.clone())));
                }
            }
        }
        event.record(&mut FieldVisitor(&mut line));
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// The most characters of one field a log line shows: an AWS error's raw
/// answer or an event's id can be megabytes.
const MAX_FIELD_CHARS: usize = 2048;

/// `text`, cut to [`MAX_FIELD_CHARS`] with a note of its full size.
fn bounded(text: String) -> Value {
    match text.char_indices().nth(MAX_FIELD_CHARS) {
        None => text.into(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()).into(),
    }
}

struct FieldVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), bounded(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), bounded(format!("{value:?}")));
    }
}
