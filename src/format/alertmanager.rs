//! Alertmanager webhook payloads, one JSON document per line.
//!
//! A payload (version "4") carries a group of alerts; each alert has its own
//! `status`, which is what counts: a group reported as `firing` can hold
//! alerts that already resolved. Payloads logged by a webhook receiver are
//! accepted as they are, nested under `payload`/`body`/`data`/`alert` next
//! to the time they were received, or after a leading timestamp.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::format::lex::json_object::{parse_object, split_json_line, value_time};
use crate::format::{LogFormat, Role};
use crate::record::{Alert, Parsed};
use crate::time::{Micros, TimeCtx};

/// Alertmanager webhook payloads, one JSON document per line.
pub struct Alertmanager;

impl LogFormat for Alertmanager {
    fn name(&self) -> &'static str {
        "alertmanager"
    }

    fn description(&self) -> &'static str {
        "Alertmanager webhook payloads, one JSON document per line"
    }

    fn role(&self) -> Role {
        Role::Alerts
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_line(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

/// Keys a receiver writes the receive time under, next to the payload.
const RECEIVE_KEYS: [&str; 8] = [
    "received_at",
    "receivedAt",
    "time",
    "timestamp",
    "@timestamp",
    "ts",
    "received",
    "date",
];

/// Keys a receiver nests the payload under.
const WRAPPER_KEYS: [&str; 6] = ["payload", "body", "data", "alert", "request", "json"];

fn parse_line<'a>(line: &[u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let (prefix_at, body) = split_json_line(line, ctx)?;
    // Cheap reject for ordinary JSON logs.
    memchr::memmem::find(body, b"alerts")?;
    let top = parse_object(body)?;
    let received = receive_time(&top, ctx).or(prefix_at);
    if top.get("alerts").is_some_and(Value::is_array) {
        return read_payload(&top, received, ctx);
    }
    for key in WRAPPER_KEYS {
        match top.get(key) {
            Some(Value::Object(inner)) if inner.get("alerts").is_some_and(Value::is_array) => {
                return read_payload(inner, received, ctx);
            }
            // Some receivers log the raw request body as a string.
            Some(Value::String(s)) if s.contains("\"alerts\"") => {
                let inner = parse_object(s.as_bytes())?;
                if inner.get("alerts").is_some_and(Value::is_array) {
                    return read_payload(&inner, received, ctx);
                }
            }
            _ => {}
        }
    }
    None
}

fn receive_time(map: &Map<String, Value>, ctx: &mut TimeCtx) -> Option<Micros> {
    RECEIVE_KEYS
        .iter()
        .filter_map(|k| map.get(*k))
        .find_map(|v| value_time(v, ctx))
}

/// A time of an alert; `None` for the zero time (`0001-01-01T00:00:00Z`)
/// Alertmanager writes for "not ended", and anything else before 1970.
fn alert_time(v: Option<&Value>, ctx: &mut TimeCtx) -> Option<Micros> {
    value_time(v?, ctx).filter(|t| *t > 0)
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Object(o)) = v {
        for (k, v) in o {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            out.insert(k.clone(), text);
        }
    }
    out
}

fn read_payload<'a>(
    payload: &Map<String, Value>,
    received: Option<Micros>,
    ctx: &mut TimeCtx,
) -> Option<Parsed<'a>> {
    let items = payload.get("alerts")?.as_array()?;
    let group_status = payload.get("status").and_then(Value::as_str);
    let common_name = payload
        .get("commonLabels")
        .and_then(|l| l.get("alertname"))
        .or_else(|| payload.get("groupLabels").and_then(|l| l.get("alertname")))
        .and_then(Value::as_str);

    let mut alerts = Vec::with_capacity(items.len());
    for item in items {
        let Some(a) = item.as_object() else {
            continue;
        };
        let labels = string_map(a.get("labels"));
        let status = a.get("status").and_then(Value::as_str);
        if labels.is_empty() && status.is_none() && a.get("startsAt").is_none() {
            continue;
        }
        let name = labels
            .get("alertname")
            .map(String::as_str)
            .or(common_name)
            .unwrap_or_default()
            .to_string();
        // Per-alert status; the group's only when the alert has none.
        let firing = status.or(group_status) == Some("firing");
        let annotations = a.get("annotations");
        let summary = ["summary", "description", "message"].iter().find_map(|k| {
            annotations
                .and_then(|an| an.get(*k))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        });
        let fingerprint = a
            .get("fingerprint")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        alerts.push(Alert {
            name,
            firing,
            labels,
            summary,
            starts_at: alert_time(a.get("startsAt"), ctx),
            ends_at: alert_time(a.get("endsAt"), ctx),
            fingerprint,
        });
    }
    if alerts.is_empty() {
        return None;
    }

    // Without a receive time, the notification went out after its newest
    // change: a firing alert's start or a resolved alert's end.
    let at = received
        .or_else(|| {
            alerts
                .iter()
                .filter_map(|a| if a.firing { a.starts_at } else { a.ends_at })
                .max()
        })
        .or_else(|| {
            alerts
                .iter()
                .flat_map(|a| [a.starts_at, a.ends_at])
                .flatten()
                .max()
        })?;
    Some(Parsed::Alerts { at, alerts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{check, each, mutated_line, random_bytes, unparsed};
    use crate::time::format_rfc3339;
    use proptest::prelude::*;

    fn parse(line: &str) -> Parsed<'_> {
        Alertmanager.parse(line.as_bytes(), &mut TimeCtx::default())
    }

    fn alerts(line: &str) -> (String, Vec<Alert>) {
        match parse(line) {
            Parsed::Alerts { at, alerts } => (format_rfc3339(at), alerts),
            other => panic!("not alerts: {other:?} for {line}"),
        }
    }

    fn t(at: Option<Micros>) -> Option<String> {
        at.map(format_rfc3339)
    }

    /// A firing group as Alertmanager sends it (prometheus/alertmanager#1423
    /// fragment: zero `endsAt`, nanosecond `startsAt`).
    const FIRING: &str = r#"{"receiver":"webhook","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighErrorRate","instance":"lb-1:9100","job":"nginx","severity":"critical"},"annotations":{"summary":"5xx ratio above 20% on lb-1","description":"error ratio is 0.64"},"startsAt":"2019-07-26T06:54:59.752369975Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=...","fingerprint":"c8a3d8b5e0f7e1a2"}],"groupLabels":{"alertname":"HighErrorRate"},"commonLabels":{"alertname":"HighErrorRate","instance":"lb-1:9100","job":"nginx","severity":"critical"},"commonAnnotations":{"summary":"5xx ratio above 20% on lb-1"},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{alertname=\"HighErrorRate\"}","truncatedAlerts":0}"#;

    /// A resolved alert (prometheus/alertmanager#325 fragment).
    const RESOLVED: &str = r#"{"receiver":"webhook","status":"resolved","alerts":[{"status":"resolved","labels":{"alertname":"InstanceDown","instance":"app-04:8080","job":"app"},"annotations":{"description":"app-04:8080 of job app has been down for more than 1 minute."},"startsAt":"2016-04-21T20:14:37.698Z","endsAt":"2016-04-21T20:15:37.698Z","generatorURL":"http://prometheus:9090/graph","fingerprint":"0b3f1a2c9d8e7f60"}],"groupLabels":{"alertname":"InstanceDown"},"commonLabels":{"alertname":"InstanceDown","instance":"app-04:8080","job":"app"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}:{alertname=\"InstanceDown\"}","truncatedAlerts":0}"#;

    /// One group, reported as firing, holding a resolved alert too; two more were cut.
    const MIXED: &str = r#"{"receiver":"pager","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"BackendDown","backend":"10.0.1.12:8080","severity":"page"},"annotations":{"message":"backend 10.0.1.12:8080 failing health checks"},"startsAt":"2024-03-09T08:40:12Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"aaa1"},{"status":"resolved","labels":{"severity":"page","backend":"10.0.1.11:8080","alertname":"BackendDown"},"annotations":{},"startsAt":"2024-03-09T08:20:00Z","endsAt":"2024-03-09T08:41:00Z","fingerprint":"aaa2"}],"groupLabels":{"alertname":"BackendDown"},"commonLabels":{"alertname":"BackendDown","severity":"page"},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","version":"4","groupKey":"{}/{severity=\"page\"}:{alertname=\"BackendDown\"}","truncatedAlerts":2}"#;

    #[test]
    fn firing_with_zero_ends_at() {
        let (at, a) = alerts(FIRING);
        assert_eq!(at, "2019-07-26T06:54:59.752369Z");
        assert_eq!(a.len(), 1);
        let a = &a[0];
        assert_eq!(a.name, "HighErrorRate");
        assert!(a.firing);
        assert_eq!(a.summary.as_deref(), Some("5xx ratio above 20% on lb-1"));
        assert_eq!(
            t(a.starts_at).as_deref(),
            Some("2019-07-26T06:54:59.752369Z")
        );
        assert_eq!(a.ends_at, None);
        assert_eq!(a.fingerprint.as_deref(), Some("c8a3d8b5e0f7e1a2"));
        let keys: Vec<&str> = a.labels.keys().map(String::as_str).collect();
        assert_eq!(keys, ["alertname", "instance", "job", "severity"]);
    }

    #[test]
    fn resolved() {
        let (at, a) = alerts(RESOLVED);
        assert_eq!(at, "2016-04-21T20:15:37.698Z");
        assert!(!a[0].firing);
        assert_eq!(a[0].name, "InstanceDown");
        assert_eq!(
            a[0].summary.as_deref(),
            Some("app-04:8080 of job app has been down for more than 1 minute.")
        );
        assert_eq!(t(a[0].ends_at).as_deref(), Some("2016-04-21T20:15:37.698Z"));
    }

    #[test]
    fn mixed_statuses_use_each_alert_status() {
        let (at, a) = alerts(MIXED);
        // Newest change: the resolved alert's end (08:41) beats the firing start (08:40:12).
        assert_eq!(at, "2024-03-09T08:41:00Z");
        assert_eq!(a.len(), 2);
        assert!(a[0].firing);
        assert!(!a[1].firing);
        assert_eq!(
            a[0].summary.as_deref(),
            Some("backend 10.0.1.12:8080 failing health checks")
        );
        assert_eq!(a[1].summary, None);
        assert_eq!(
            a[1].labels.get("backend").map(String::as_str),
            Some("10.0.1.11:8080")
        );
        assert_eq!(
            a[1].labels.keys().next().map(String::as_str),
            Some("alertname")
        );
    }

    #[test]
    fn nested_with_receive_time() {
        let line =
            format!(r#"{{"received_at":"2024-03-09T08:41:12Z","path":"/hook","payload":{MIXED}}}"#);
        let (at, a) = alerts(&line);
        assert_eq!(at, "2024-03-09T08:41:12Z");
        assert_eq!(a.len(), 2);
        for key in ["body", "data", "alert"] {
            let line = format!(r#"{{"@timestamp":"2024-03-09T08:41:13+00:00","{key}":{FIRING}}}"#);
            let (at, _) = alerts(&line);
            assert_eq!(at, "2024-03-09T08:41:13Z");
        }
        // The raw request body, logged as a string.
        let escaped = serde_json::to_string(FIRING).unwrap();
        let line = format!(r#"{{"time":1709973674,"body":{escaped}}}"#);
        let (at, a) = alerts(&line);
        assert_eq!(at, "2024-03-09T08:41:14Z");
        assert_eq!(a[0].name, "HighErrorRate");
    }

    #[test]
    fn leading_timestamp() {
        let line = format!("2024-03-09T08:41:15Z {RESOLVED}");
        let (at, a) = alerts(&line);
        assert_eq!(at, "2024-03-09T08:41:15Z");
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn ordinary_json_is_not_an_alert() {
        let rows = each(
            [
                r#"{"level":"info","time":"2024-03-09T08:41:12Z","msg":"sent alerts"}"#,
                r#"{"time":"2024-03-09T08:41:12Z","alerts":"3 sent"}"#,
                r#"{"time":"2024-03-09T08:41:12Z","alerts":[]}"#,
                r#"{"time":"2024-03-09T08:41:12Z","alerts":[1,2,"x"]}"#,
                r#"{"alerts":[{"status":"firing","labels":{"alertname":"X"}}]}"#,
                "alerts",
                "",
            ],
            unparsed(),
        );
        check(&Alertmanager, &rows);
    }

    #[test]
    fn missing_alert_status_falls_back_to_group() {
        let (_, a) = alerts(
            r#"{"status":"firing","alerts":[{"labels":{"alertname":"X"},"startsAt":"2024-03-09T08:40:00Z"}],"version":"4"}"#,
        );
        assert!(a[0].firing);
    }

    #[test]
    fn detection_picks_alertmanager() {
        let nested = format!(r#"{{"received_at":"2024-03-09T08:41:12Z","payload":{MIXED}}}"#);
        let lines: Vec<&[u8]> = vec![
            FIRING.as_bytes(),
            RESOLVED.as_bytes(),
            MIXED.as_bytes(),
            nested.as_bytes(),
        ];
        let f = crate::format::detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(f, Some("alertmanager"));
        // Only the nested shape with a receive time is also a JSON record:
        // the tie goes to alertmanager, which comes first.
        let lines: Vec<&[u8]> = vec![nested.as_bytes()];
        let f = crate::format::detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(f, Some("alertmanager"));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in random_bytes(400)) {
            let mut ctx = TimeCtx::default();
            let _ = Alertmanager.parse(&bytes, &mut ctx);
            let mut framed = br#"{"alerts":["#.to_vec();
            framed.extend_from_slice(&bytes);
            framed.extend_from_slice(b"]}");
            let _ = Alertmanager.parse(&framed, &mut ctx);
        }

        #[test]
        fn mutated_real_payloads_never_panic(line in mutated_line([FIRING, RESOLVED, MIXED])) {
            let _ = Alertmanager.parse(&line, &mut TimeCtx::default());
        }
    }
}
