//! Alertmanager webhook payloads (version 4), one notification per line, as
//! a webhook receiver that appends the request body to a file writes them.

use serde_json::{Map, Value};

use crate::clock::{rfc3339_nano_trim, MIN, SEC};
use crate::out::TextLog;
use crate::rng::{fnv, Rng};

/// One alert rule's life.
#[derive(Clone, Debug)]
pub struct AlertSpec {
    pub name: &'static str,
    pub labels: Vec<(&'static str, String)>,
    pub summary: String,
    pub description: String,
    pub expr: &'static str,
    pub receiver: &'static str,
    pub starts: i64,
    /// When it resolved; `None` if still firing at the end of the logs.
    pub ends: Option<i64>,
    /// Re-notification interval while firing.
    pub repeat: i64,
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

fn sorted_labels(spec: &AlertSpec) -> Value {
    let mut all: Vec<(&str, String)> = vec![("alertname", spec.name.to_string())];
    all.extend(spec.labels.iter().map(|(k, v)| (*k, v.clone())));
    all.sort();
    obj(all
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect())
}

fn escape_query(expr: &str) -> String {
    let mut s = String::new();
    for b in expr.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => s.push(b as char),
            b' ' => s.push('+'),
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

fn payload(spec: &AlertSpec, firing: bool) -> String {
    let labels = sorted_labels(spec);
    let annotations = obj(vec![
        ("description", Value::String(spec.description.clone())),
        ("summary", Value::String(spec.summary.clone())),
    ]);
    let ms = |t: i64| t - t.rem_euclid(1000);
    let status = if firing { "firing" } else { "resolved" };
    let ends = match (firing, spec.ends) {
        (false, Some(e)) => rfc3339_nano_trim(ms(e)),
        _ => "0001-01-01T00:00:00Z".to_string(),
    };
    let fp = format!("{:016x}", fnv(labels.to_string().as_bytes()));
    let alert = obj(vec![
        ("status", status.into()),
        ("labels", labels.clone()),
        ("annotations", annotations.clone()),
        ("startsAt", rfc3339_nano_trim(ms(spec.starts)).into()),
        ("endsAt", ends.into()),
        (
            "generatorURL",
            format!(
                "http://prometheus-0.monitoring:9090/graph?g0.expr={}&g0.tab=1",
                escape_query(spec.expr)
            )
            .into(),
        ),
        ("fingerprint", fp.into()),
    ]);
    let group = obj(vec![("alertname", spec.name.into())]);
    let msg = obj(vec![
        ("receiver", spec.receiver.into()),
        ("status", status.into()),
        ("alerts", Value::Array(vec![alert])),
        ("groupLabels", group),
        ("commonLabels", labels),
        ("commonAnnotations", annotations),
        ("externalURL", "http://alertmanager.monitoring:9093".into()),
        ("version", "4".into()),
        (
            "groupKey",
            format!(
                "{{}}/{{severity=~\"page|warning\"}}:{{alertname=\"{}\"}}",
                spec.name
            )
            .into(),
        ),
        ("truncatedAlerts", 0.into()),
    ]);
    msg.to_string()
}

/// Notifications for all specs sent in [from, horizon), in the order sent.
pub fn log(specs: &[AlertSpec], from: i64, horizon: i64, seed: u64) -> TextLog {
    let mut rng = Rng::stream(seed, 80);
    let mut log = TextLog::new();
    for spec in specs {
        // group_wait, then every repeat interval while firing.
        let mut at = spec.starts + 30 * SEC;
        let stop = spec.ends.unwrap_or(horizon).min(horizon);
        while at < stop {
            if at >= from {
                log.push(at, payload(spec, true));
            }
            at += spec.repeat;
        }
        if let Some(e) = spec.ends {
            let sent = e + rng.range(10 * SEC, 5 * MIN);
            if sent >= from && sent < horizon {
                log.push(sent, payload(spec, false));
            }
        }
    }
    log
}
