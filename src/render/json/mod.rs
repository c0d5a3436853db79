//! The timeline as JSON (`postmortem.timeline.v1`) and NDJSON.
//!
//! Keys are written in a fixed order and every number is derived from the
//! input alone, so the same logs give byte-identical output.

mod commands;
mod incident;

use serde_json::{json, Map, Value};

use crate::analysis::{Analysis, Incident};
use crate::display::round1;
use crate::time::format_rfc3339_fixed;
use crate::timeline::Event;
use crate::{GENERATED_BY, SCHEMA};

pub use commands::{
    format_list_value, formats_document, patterns_document, FORMATS_SCHEMA, PATTERNS_SCHEMA,
};
pub use incident::{incident_value, incidents_value, suspect_value};

/// Most buckets written in `series`; longer ranges use wider buckets.
const MAX_SERIES_BUCKETS: i64 = 20_000;

/// Most backends given a row of their own in `series.by_backend`; the
/// rest are summed in one [`OTHER_BACKENDS`] row, so the output grows with
/// the buckets, not buckets × backends (4,000 upstreams in a small file
/// made 2 GB of JSON).
pub const MAX_SERIES_BACKENDS: usize = 50;
/// The `by_backend` row of the backends past [`MAX_SERIES_BACKENDS`]
/// (flagged by its `folded_backends` count); the backends the scan
/// already summed past [`crate::series::MAX_BACKENDS`] are in it too.
pub const OTHER_BACKENDS: &str = crate::series::OTHER_BACKEND;

/// The backends with a row of their own, by name, and how many others
/// are summed in the [`OTHER_BACKENDS`] row.
struct SeriesBackends {
    names: Vec<String>,
    row: rustc_hash::FxHashMap<String, usize>,
    folded: usize,
    /// Whether there is an [`OTHER_BACKENDS`] row.
    other: bool,
}

/// The [`MAX_SERIES_BACKENDS`] backends with most failures (then most
/// requests, then by name), sorted by name.
fn series_backends(series: &crate::series::Series) -> SeriesBackends {
    let mut totals: rustc_hash::FxHashMap<&str, (u64, u64)> = Default::default();
    let mut summed = false;
    if let Some((k0, k1)) = series.key_range() {
        for (_, b) in series.present(k0, k1) {
            for (name, c) in &b.backends {
                if &**name == OTHER_BACKENDS {
                    summed = true;
                    continue;
                }
                let t = totals.entry(&**name).or_default();
                t.0 += c.failed;
                t.1 += c.requests;
            }
        }
    }
    let mut ranked: Vec<(&str, (u64, u64))> = totals.into_iter().collect();
    ranked.sort_unstable_by(|a, b| (b.1).cmp(&a.1).then(a.0.cmp(b.0)));
    let folded = ranked.len().saturating_sub(MAX_SERIES_BACKENDS) + series.folded_backends;
    let mut names: Vec<String> = ranked
        .into_iter()
        .take(MAX_SERIES_BACKENDS)
        .map(|(n, _)| n.to_string())
        .collect();
    names.sort();
    let row = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    SeriesBackends {
        names,
        row,
        folded,
        other: summed || folded > 0,
    }
}

/// One event as a JSON object.
pub fn event_value(e: &Event) -> Value {
    let mut m = Map::new();
    m.insert("at".into(), json!(format_rfc3339_fixed(e.at)));
    m.insert(
        "until".into(),
        e.until
            .map(|u| json!(format_rfc3339_fixed(u)))
            .unwrap_or(Value::Null),
    );
    m.insert("count".into(), json!(e.count));
    m.insert("kind".into(), json!(e.kind.as_str()));
    m.insert("severity".into(), json!(e.severity.as_str()));
    m.insert("source".into(), json!(e.source));
    m.insert("line".into(), json!(e.line));
    m.insert("pattern".into(), json!(e.origin.id()));
    m.insert("message".into(), json!(e.message));
    if let Some(t) = &e.title {
        m.insert("title".into(), json!(t));
    }
    let fields: Map<String, Value> = e
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    m.insert("fields".into(), Value::Object(fields));
    Value::Object(m)
}

/// The `inputs` array.
pub fn inputs_value(a: &Analysis) -> Value {
    Value::Array(
        a.inputs
            .iter()
            .map(|i| {
                let mut m = Map::new();
                m.insert("path".into(), json!(i.path));
                m.insert("format".into(), json!(i.format));
                m.insert("lines".into(), json!(i.stats.lines));
                m.insert("records".into(), json!(i.stats.records));
                m.insert("skipped".into(), json!(i.stats.skipped));
                m.insert(
                    "first".into(),
                    i.stats
                        .first
                        .map(|t| json!(format_rfc3339_fixed(t)))
                        .unwrap_or(Value::Null),
                );
                m.insert(
                    "last".into(),
                    i.stats
                        .last
                        .map(|t| json!(format_rfc3339_fixed(t)))
                        .unwrap_or(Value::Null),
                );
                m.insert("continuation_lines".into(), json!(i.stats.continued));
                if i.stats.framing > 0 {
                    m.insert("framing_lines".into(), json!(i.stats.framing));
                }
                m.insert("filtered".into(), json!(i.stats.filtered));
                m.insert("bytes".into(), json!(i.stats.bytes));
                m.insert("format_forced".into(), json!(i.forced));
                if let Some(r) = &i.skipped_reason {
                    m.insert("not_read".into(), json!(r));
                }
                if let Some(d) = &i.damaged {
                    m.insert("damaged".into(), json!(d));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

/// The `series` object: dense arrays from the first to the last bucket.
pub fn series_value(a: &Analysis) -> Value {
    let mut series = a.series.clone();
    let Some((mut first, mut last)) = series.key_range() else {
        return json!({
            "bucket_seconds": series.bucket_seconds,
            "start": null,
            "requests": [], "failed": [], "errors": [],
            "latency_ms": {"p50": [], "p99": []},
            "by_backend": {}
        });
    };
    let span = last - first + 1;
    if span > MAX_SERIES_BUCKETS {
        let factor = (span + MAX_SERIES_BUCKETS - 1) / MAX_SERIES_BUCKETS;
        series = series.coarsen(factor);
        if let Some((f, l)) = series.key_range() {
            first = f;
            last = l;
        }
    }
    let mut requests = Vec::new();
    let mut failed = Vec::new();
    let mut errors = Vec::new();
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let kept = series_backends(&series);
    let rows = kept.names.len() + usize::from(kept.other);
    let width = (last - first + 1) as usize;
    let mut by_backend: Vec<(Vec<u64>, Vec<u64>)> = vec![(vec![0; width], vec![0; width]); rows];
    for (i, (_, bucket)) in series.dense(first, last).enumerate() {
        let b = bucket.cloned().unwrap_or_default();
        requests.push(b.requests);
        failed.push(b.failed);
        errors.push(b.error_messages);
        p50.push(b.latency.quantile_ms(0.5).map(round1));
        p99.push(b.latency.quantile_ms(0.99).map(round1));
        for (name, c) in &b.backends {
            let row = kept.row.get(&**name).copied().unwrap_or(kept.names.len());
            by_backend[row].0[i] += c.requests;
            by_backend[row].1[i] += c.failed;
        }
    }
    let mut backends = Map::new();
    let mut rows = by_backend.into_iter();
    for (name, (r, f)) in kept.names.iter().zip(rows.by_ref()) {
        backends.insert(name.clone(), json!({"requests": r, "failed": f}));
    }
    if let Some((r, f)) = rows.next() {
        backends.insert(
            OTHER_BACKENDS.into(),
            json!({"requests": r, "failed": f, "folded_backends": kept.folded}),
        );
    }
    let mut m = Map::new();
    m.insert("bucket_seconds".into(), json!(series.bucket_seconds));
    m.insert(
        "start".into(),
        json!(format_rfc3339_fixed(series.bucket_start(first))),
    );
    m.insert("requests".into(), json!(requests));
    m.insert("failed".into(), json!(failed));
    m.insert("errors".into(), json!(errors));
    m.insert("latency_ms".into(), json!({"p50": p50, "p99": p99}));
    m.insert("by_backend".into(), Value::Object(backends));
    Value::Object(m)
}

/// The whole timeline document: the inputs, the incidents, every event
/// with the incidents' markers in timeline order, the series.
pub fn document(a: &Analysis, incidents: &[Incident]) -> Value {
    let mut m = Map::new();
    m.insert("schema".into(), json!(SCHEMA));
    m.insert("generated_by".into(), json!(GENERATED_BY));
    m.insert("inputs".into(), inputs_value(a));
    let coverage = crate::analysis::coverage::coverage(a);
    m.insert(
        "coverage".into(),
        json!({
            "status": coverage.as_str(),
            "usable": coverage.usable(),
            "limitation": crate::analysis::coverage::limitation(&coverage),
        }),
    );
    m.insert("incidents".into(), incidents_value(incidents));
    if a.shown.is_trimmed() {
        // Display only: `events` is trimmed, nothing else.
        m.insert(
            "shown".into(),
            json!({
                "since": a.shown.since.map(format_rfc3339_fixed),
                "until": a.shown.until.map(format_rfc3339_fixed),
            }),
        );
    }
    m.insert(
        "events".into(),
        Value::Array(
            crate::analysis::timeline_events(a, incidents)
                .iter()
                .map(event_value)
                .collect(),
        ),
    );
    m.insert("series".into(), series_value(a));
    m.insert(
        "clock_skew".into(),
        Value::Array(
            a.skews
                .iter()
                .map(|e| {
                    json!({
                        "source": e.source,
                        "lag_seconds": e.lag_seconds,
                        "correlation": e.correlation,
                        "correlation_at_zero": e.correlation_at_zero,
                        "events": e.events,
                    })
                })
                .collect(),
        ),
    );
    m.insert(
        "warnings".into(),
        Value::Array(a.warnings.iter().map(|w| json!(w.to_string())).collect()),
    );
    Value::Object(m)
}

/// Writes the document, pretty-printed, with a final newline.
pub fn write_document(out: &mut dyn std::io::Write, doc: &Value) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    out.write_all(b"\n")
}

/// Writes one event per line.
pub fn write_ndjson(out: &mut dyn std::io::Write, events: &[Event]) -> std::io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut *out, &event_value(e))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One parsed line as a JSON object (`postmortem records`).
pub fn record_value(
    source: &str,
    format: &str,
    line: u64,
    parsed: &crate::record::Parsed,
) -> Value {
    use crate::record::Parsed;
    let mut m = Map::new();
    m.insert("source".into(), json!(source));
    m.insert("line".into(), json!(line));
    m.insert("format".into(), json!(format));
    let at = parsed
        .at()
        .map(|t| json!(format_rfc3339_fixed(t)))
        .unwrap_or(Value::Null);
    match parsed {
        Parsed::Request { request: r, .. } => {
            m.insert("type".into(), json!("request"));
            m.insert("at".into(), at);
            m.insert("status".into(), json!(r.status));
            m.insert("failed".into(), json!(r.failed));
            m.insert("backend".into(), json!(r.backend));
            m.insert("client".into(), json!(r.client));
            m.insert("latency_ms".into(), json!(r.latency_ms));
            m.insert("method".into(), json!(r.method));
            m.insert("path".into(), json!(r.path));
        }
        Parsed::Message { message: msg, .. } => {
            m.insert("type".into(), json!("message"));
            m.insert("at".into(), at);
            m.insert("level".into(), json!(msg.level.map(|l| l.as_str())));
            m.insert("text".into(), json!(msg.text));
            let fields: Map<String, Value> = msg
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            m.insert("fields".into(), Value::Object(fields));
        }
        Parsed::Alerts { alerts, .. } => {
            m.insert("type".into(), json!("alerts"));
            m.insert("at".into(), at);
            let list: Vec<Value> = alerts
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "status": if a.firing { "firing" } else { "resolved" },
                        "starts_at": a.starts_at.map(format_rfc3339_fixed),
                        "ends_at": a.ends_at.map(format_rfc3339_fixed),
                        "summary": a.summary,
                        "labels": a.labels,
                        "fingerprint": a.fingerprint,
                    })
                })
                .collect();
            m.insert("alerts".into(), Value::Array(list));
        }
        Parsed::Continuation => {
            m.insert("type".into(), json!("continuation"));
        }
        // Held lines the scan could not give to a record.
        Parsed::Framing | Parsed::Held => {
            m.insert("type".into(), json!("framing"));
        }
        Parsed::Unparsed => {
            m.insert("type".into(), json!("skipped"));
        }
        // The scan hands the records of a batch one by one.
        Parsed::Batch(items) => {
            m.insert("type".into(), json!("batch"));
            m.insert("count".into(), json!(items.len()));
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::find_incidents;
    use crate::analysis::tests::{stray_timestamps, two_incidents};

    #[test]
    fn incidents_have_the_schema_s_keys() {
        let (_d, a) = two_incidents();
        let inc = find_incidents(&a);
        let json = incidents_value(&inc);
        assert_eq!(json[0]["id"], 2);
        assert_eq!(json[0]["rank"], 1);
        for key in [
            "id",
            "rank",
            "start",
            "end",
            "duration_seconds",
            "detected_at",
            "peak",
            "metrics",
            "impact",
            "suspects",
        ] {
            assert!(json[0].get(key).is_some(), "{key}");
        }
        for key in [
            "requests_total",
            "requests_failed",
            "failed_pct",
            "clients_total",
            "clients_affected",
            "clients_affected_pct",
            "baseline_failed_pct",
            "latency_ms",
        ] {
            assert!(json[0]["impact"].get(key).is_some(), "{key}");
        }
        let doc = document(&a, &inc);
        let markers = doc["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["pattern"] == "marker.impact_begins")
            .count();
        assert_eq!(markers, 2);
    }

    #[test]
    fn stray_timestamps_keep_the_series_bounded() {
        let (_d, a) = stray_timestamps();
        let series = series_value(&a);
        assert!(series["requests"].as_array().unwrap().len() <= 20_001);
        let method = &incidents_value(&find_incidents(&a))[0]["method"]["warnings"];
        assert!(
            method
                .to_string()
                .contains("4 requests dated far from the rest of the logs"),
            "{method}"
        );
    }
}
