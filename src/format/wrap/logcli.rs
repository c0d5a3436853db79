//! Grafana Loki's `logcli query -o jsonl`: `{"labels":{…},"line":"…",
//! "timestamp":"<RFC3339Nano>"}` a line.

use crate::format::lex::json_object::{json_value_time, JsonValue};
use crate::time::TimeCtx;

use super::{bytes_of, json_object, str_of, Envelope, Inner, Wrapper};

/// Labels worth keeping as fields, in order of preference.
const LABELS: &[&str] = &[
    "host",
    "hostname",
    "instance",
    "pod",
    "container",
    "service_name",
    "service",
    "app",
    "job",
    "namespace",
];

pub struct Logcli;

impl Wrapper for Logcli {
    fn name(&self) -> &'static str {
        "logcli"
    }

    fn description(&self) -> &'static str {
        "Loki logcli query -o jsonl ({\"labels\":…,\"line\":…,\"timestamp\":…})"
    }

    fn strong(&self) -> bool {
        true
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        if memchr::memmem::find(line, b"\"line\"").is_none() {
            return Envelope::Not;
        }
        let Some(o) = json_object(line) else {
            return Envelope::Not;
        };
        let (Some(text), Some(time)) = (str_of(&o, "line"), o.get("timestamp")) else {
            return Envelope::Not;
        };
        let at = json_value_time(time, ctx);
        let mut inner = Inner::new(bytes_of(text), at);
        if let Some(JsonValue::Object(labels)) = o.get("labels") {
            for key in LABELS {
                if let Some(v) = str_of(labels, key) {
                    inner.field(key, v);
                }
            }
        }
        Envelope::One(inner)
    }
}
