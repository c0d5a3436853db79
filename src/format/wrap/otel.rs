//! The OpenTelemetry collector's file exporter (OTLP JSON): one
//! `{"resourceLogs":[…]}` document a line, each holding log records
//! (`timeUnixNano`, `severityText`/`severityNumber`, `body`) under
//! resources (`service.name`, `host.name`) and scopes.

use std::borrow::Cow;

use crate::format::lex::json_object::{JsonObject, JsonValue};
use crate::record::Level;
use crate::time::{epoch_to_micros, TimeCtx};

use super::{json_object, str_of, Envelope, Inner, Wrapper};

pub struct Otel;

impl Wrapper for Otel {
    fn name(&self) -> &'static str {
        "otel"
    }

    fn description(&self) -> &'static str {
        "OpenTelemetry collector file exporter (OTLP JSON resourceLogs)"
    }

    fn strong(&self) -> bool {
        true
    }

    fn open<'a>(&self, line: &'a [u8], _ctx: &mut TimeCtx) -> Envelope<'a> {
        if memchr::memmem::find(line, b"\"resourceLogs\"").is_none() {
            return Envelope::Not;
        }
        let Some(o) = json_object(line) else {
            return Envelope::Not;
        };
        let Some(JsonValue::Array(resources)) = o.get("resourceLogs") else {
            return Envelope::Not;
        };
        let mut out = Vec::new();
        for resource in resources {
            let JsonValue::Object(resource) = resource else {
                continue;
            };
            let attrs = match resource.get("resource") {
                Some(JsonValue::Object(r)) => attributes(r),
                _ => Vec::new(),
            };
            let Some(JsonValue::Array(scopes)) = resource
                .get("scopeLogs")
                .or_else(|| resource.get("instrumentationLibraryLogs"))
            else {
                continue;
            };
            for scope in scopes {
                let JsonValue::Object(scope) = scope else {
                    continue;
                };
                let Some(JsonValue::Array(records)) = scope.get("logRecords") else {
                    continue;
                };
                for record in records {
                    if let JsonValue::Object(r) = record {
                        out.push(log_record(r, &attrs));
                    }
                }
            }
        }
        if out.is_empty() {
            return Envelope::Framing;
        }
        Envelope::Many(out)
    }
}

/// The string attributes of a resource or record (`[{"key":…,"value":{"stringValue":…}}]`).
fn attributes<'a>(o: &JsonObject<'a>) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    let Some(JsonValue::Array(list)) = o.get("attributes") else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|a| {
            let JsonValue::Object(a) = a else { return None };
            let key = str_of(a, "key")?;
            let JsonValue::Object(v) = a.get("value")? else {
                return None;
            };
            Some((key, str_of(v, "stringValue")?))
        })
        .collect()
}

fn log_record<'a>(r: &JsonObject<'a>, resource: &[(Cow<'a, str>, Cow<'a, str>)]) -> Inner<'a> {
    let nanos = |key: &str| {
        match r.get(key) {
            Some(JsonValue::String(s)) => epoch_to_micros(s),
            Some(JsonValue::Number(n)) => n.as_u64().map(|n| (n / 1000) as i64),
            _ => None,
        }
        .filter(|&t| t > 0)
    };
    let at = nanos("timeUnixNano").or_else(|| nanos("observedTimeUnixNano"));
    let text: Cow<'a, [u8]> = match r.get("body") {
        Some(JsonValue::Object(body)) => match str_of(body, "stringValue") {
            Some(Cow::Borrowed(s)) => Cow::Borrowed(s.as_bytes()),
            Some(Cow::Owned(s)) => Cow::Owned(s.into_bytes()),
            // A structured body: its JSON text, for the JSON reader.
            None => Cow::Owned(body_json(body).into_bytes()),
        },
        _ => Cow::Borrowed(&b""[..]),
    };
    let mut inner = Inner::new(text, at);
    inner.level = str_of(r, "severityText")
        .and_then(|t| Level::from_word(&t))
        .or_else(|| match r.get("severityNumber") {
            Some(JsonValue::Number(n)) => n.as_u64().and_then(severity_number),
            _ => None,
        });
    for (k, v) in resource {
        let key = match k.as_ref() {
            "service.name" => "service",
            "host.name" => "host",
            "k8s.pod.name" => "pod",
            "k8s.namespace.name" => "namespace",
            _ => continue,
        };
        inner.field(key, v.clone());
    }
    inner
}

/// OpenTelemetry's severity numbers: 1–4 trace, 5–8 debug, 9–12 info,
/// 13–16 warn, 17–20 error, 21–24 fatal.
fn severity_number(n: u64) -> Option<Level> {
    Some(match n {
        1..=4 => Level::Trace,
        5..=8 => Level::Debug,
        9..=12 => Level::Info,
        13..=16 => Level::Warn,
        17..=20 => Level::Error,
        21..=24 => Level::Critical,
        _ => return None,
    })
}

/// An OTLP `AnyValue` object as plain JSON (`{"kvlistValue":{"values":[…]}}` → `{…}`).
fn body_json(body: &JsonObject<'_>) -> String {
    fn plain(v: &JsonObject<'_>) -> serde_json::Value {
        use serde_json::Value;
        if let Some(s) = str_of(v, "stringValue") {
            return Value::String(s.into_owned());
        }
        for key in ["intValue", "doubleValue", "boolValue"] {
            if let Some(x) = v.get(key) {
                return match x {
                    JsonValue::Number(n) => Value::Number(n.clone()),
                    JsonValue::Bool(b) => Value::Bool(*b),
                    JsonValue::String(s) => Value::String(s.to_string()),
                    _ => Value::Null,
                };
            }
        }
        if let Some(JsonValue::Object(kv)) = v.get("kvlistValue") {
            let mut m = serde_json::Map::new();
            if let Some(JsonValue::Array(values)) = kv.get("values") {
                for e in values {
                    if let JsonValue::Object(e) = e {
                        if let (Some(k), Some(JsonValue::Object(val))) =
                            (str_of(e, "key"), e.get("value"))
                        {
                            m.insert(k.into_owned(), plain(val));
                        }
                    }
                }
            }
            return Value::Object(m);
        }
        Value::Null
    }
    plain(body).to_string()
}
