//! Incidents as JSON: in the key order of the documented schema, with
//! extras after.

use serde_json::{json, Map, Value};

use crate::analysis::impact::Latency;
use crate::analysis::incident::{Incident, Method};
use crate::analysis::suspects::{EventRef, Evidence, Suspect};
use crate::display::{round2, round3, round6};
use crate::time::{format_rfc3339_fixed, Micros};

fn time_value(t: Option<Micros>) -> Value {
    t.map(|t| json!(format_rfc3339_fixed(t)))
        .unwrap_or(Value::Null)
}

fn opt<T: serde::Serialize>(v: Option<T>) -> Value {
    v.map(|x| json!(x)).unwrap_or(Value::Null)
}

fn event_ref_fields(m: &mut Map<String, Value>, e: &EventRef) {
    m.insert("at".into(), json!(format_rfc3339_fixed(e.at)));
    m.insert("source".into(), json!(e.source));
    m.insert("line".into(), json!(e.line));
    if let Some(p) = &e.pattern {
        m.insert("pattern".into(), json!(p));
    }
    m.insert("message".into(), json!(e.message));
    if !e.key_fields.is_empty() {
        let fields: Map<String, Value> = e
            .key_fields
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        m.insert("key_fields".into(), Value::Object(fields));
    }
    if let Some(o) = e.clock_offset_seconds {
        m.insert("clock_offset_seconds".into(), json!(o));
    }
    if !e.applied.is_empty() {
        let applied: Vec<Value> = e
            .applied
            .iter()
            .map(|r| {
                let mut a = Map::new();
                event_ref_fields(&mut a, r);
                Value::Object(a)
            })
            .collect();
        m.insert("applied".into(), Value::Array(applied));
    }
}

/// One suspect as JSON: rank, kind, why, then its evidence.
pub fn suspect_value(s: &Suspect) -> Value {
    let mut m = Map::new();
    m.insert("rank".into(), json!(s.rank));
    m.insert("kind".into(), json!(s.kind.as_str()));
    match &s.evidence {
        Evidence::Event(e) => event_ref_fields(&mut m, e),
        Evidence::Imbalance {
            backend,
            share_before,
            share_during,
            requests_before,
            requests_during,
            failed_during,
        } => {
            m.insert("backend".into(), json!(backend));
            m.insert("share_before".into(), json!(share_before));
            m.insert("share_during".into(), json!(share_during));
            m.insert("requests_before".into(), json!(requests_before));
            m.insert("requests_during".into(), json!(requests_during));
            m.insert("failed_during".into(), json!(failed_during));
        }
        Evidence::Failing {
            backend,
            failed_pct,
            requests,
            failed,
            share_of_failures,
            new_in_pool,
        } => {
            m.insert("backend".into(), json!(backend));
            m.insert("failed_pct".into(), json!(failed_pct));
            m.insert("requests".into(), json!(requests));
            m.insert("failed".into(), json!(failed));
            m.insert("share_of_failures".into(), json!(share_of_failures));
            m.insert("new_in_pool".into(), json!(new_in_pool));
        }
        Evidence::NewError {
            template,
            count,
            first,
        } => {
            m.insert("template".into(), json!(template));
            m.insert("count".into(), json!(count));
            event_ref_fields(&mut m, first);
        }
    }
    m.insert("why".into(), json!(s.why));
    Value::Object(m)
}

fn latency_value(l: &Latency) -> Value {
    json!({
        "p50_before": l.p50_before,
        "p99_before": l.p99_before,
        "p50_during": l.p50_during,
        "p99_during": l.p99_during,
    })
}

/// One incident as JSON, in the key order of the schema (`schema/`), with
/// extras after.
pub fn incident_value(i: &Incident) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(i.id));
    m.insert("rank".into(), json!(i.rank));
    m.insert("kind".into(), json!(i.kind.as_str()));
    m.insert("start".into(), json!(format_rfc3339_fixed(i.start)));
    m.insert("end".into(), json!(format_rfc3339_fixed(i.end)));
    m.insert("duration_seconds".into(), json!(i.duration_seconds()));
    m.insert(
        "detected_at".into(),
        time_value(i.detected.as_ref().map(|d| d.at)),
    );
    m.insert(
        "peak".into(),
        match &i.peak {
            Some(p) => {
                let mut pk = Map::new();
                pk.insert("at".into(), json!(format_rfc3339_fixed(p.at)));
                // Left out rather than null without request logs (the schema
                // wants a number).
                if let Some(r) = p.error_ratio {
                    pk.insert("error_ratio".into(), json!(r));
                }
                pk.insert("requests".into(), json!(p.requests));
                pk.insert("failed".into(), json!(p.failed));
                pk.insert("error_messages".into(), json!(p.errors));
                pk.insert("bucket_seconds".into(), json!(p.bucket_seconds));
                Value::Object(pk)
            }
            None => Value::Null,
        },
    );
    m.insert(
        "metrics".into(),
        json!({
            "time_to_detect_seconds": i.metrics.time_to_detect_seconds,
            "time_to_mitigate_seconds": i.metrics.time_to_mitigate_seconds,
            "time_to_recover_seconds": i.metrics.time_to_recover_seconds,
        }),
    );
    let imp = &i.impact;
    let mut im = Map::new();
    im.insert("requests_total".into(), json!(imp.requests_total));
    im.insert("requests_failed".into(), json!(imp.requests_failed));
    // Numbers even without requests (0), as the schema has them; the
    // request count tells the story.
    im.insert("failed_pct".into(), json!(imp.failed_pct.unwrap_or(0.0)));
    im.insert("clients_total".into(), opt(imp.clients_total));
    im.insert("clients_affected".into(), opt(imp.clients_affected));
    im.insert("clients_affected_pct".into(), opt(imp.clients_affected_pct));
    im.insert("clients_estimated".into(), json!(imp.clients_estimated));
    im.insert(
        "baseline_failed_pct".into(),
        json!(imp.baseline_failed_pct.unwrap_or(0.0)),
    );
    im.insert("latency_ms".into(), latency_value(&imp.latency));
    im.insert("requests_lost".into(), json!(imp.requests_lost));
    im.insert(
        "error_budget_used_pct".into(),
        opt(imp.error_budget_used_pct),
    );
    im.insert("burn_rate".into(), opt(imp.burn_rate));
    im.insert(
        "usual_requests_per_second".into(),
        opt(imp.usual_rate_per_second),
    );
    im.insert("error_messages".into(), json!(imp.error_messages));
    im.insert("exact_counts".into(), json!(imp.exact_counts));
    // Kind-specific counts (null for other kinds).
    im.insert("requests_slow".into(), opt(imp.requests_slow));
    im.insert("slow_pct".into(), opt(imp.slow_pct));
    im.insert("requests_refused".into(), opt(imp.requests_refused));
    im.insert("refused_pct".into(), opt(imp.refused_pct));
    m.insert("impact".into(), Value::Object(im));
    m.insert(
        "suspects".into(),
        Value::Array(i.suspects.iter().map(suspect_value).collect()),
    );
    // Extras.
    m.insert("mitigated_at".into(), time_value(i.mitigated));
    m.insert(
        "detected_by".into(),
        match &i.detected {
            Some(d) => json!({"alert": d.alert, "source": d.source, "line": d.line}),
            None => Value::Null,
        },
    );
    m.insert(
        "likely_fix".into(),
        match &i.likely_fix {
            Some(e) => {
                let mut f = Map::new();
                event_ref_fields(&mut f, e);
                Value::Object(f)
            }
            None => Value::Null,
        },
    );
    m.insert("edges_exact".into(), json!(i.edges_exact));
    m.insert("open_ended".into(), json!(i.open_ended));
    m.insert("open_start".into(), json!(i.open_start));
    m.insert(
        "parts".into(),
        Value::Array(
            i.parts
                .iter()
                .map(|p| {
                    let mut v = json!({
                        "kind": p.kind.as_str(),
                        "start": format_rfc3339_fixed(p.start),
                        "end": format_rfc3339_fixed(p.end),
                        "source": p.source,
                        "alert": p.alert,
                        "usual_requests_per_second": p.usual_per_second.map(round3),
                        "requests_lost": p.lost,
                    });
                    // Only where they say something, so existing parts keep
                    // their shape.
                    if let Some(b) = &p.backend {
                        v["backend"] = json!(b);
                    }
                    if let Some(s) = p.status {
                        v["status"] = json!(s);
                    }
                    if let Some(c) = &p.crash_loop {
                        v["crash_loop"] = json!(c);
                    }
                    v
                })
                .collect(),
        ),
    );
    m.insert("warnings".into(), json!(i.warnings));
    m.insert("method".into(), method_value(&i.method));
    m.insert("counted".into(), json!(i.counted));
    m.insert(
        "slow_threshold_ms".into(),
        opt(i.slow_threshold_ms().map(round3)),
    );
    m.insert(
        "edges".into(),
        match &i.edges {
            Some((s, e)) => json!({
                "start": {"at": format_rfc3339_fixed(s.at), "source": s.source, "line": s.line},
                "end": {"at": format_rfc3339_fixed(e.at), "source": e.source, "line": e.line},
            }),
            None => Value::Null,
        },
    );
    Value::Object(m)
}

fn method_value(m: &Method) -> Value {
    let mut v = Map::new();
    v.insert("mode".into(), json!(m.mode.as_str()));
    v.insert("bucket_seconds".into(), json!(m.bucket_seconds));
    v.insert(
        "slo_pct".into(),
        json!(round2(m.slo * 100.0 * 100.0) / 100.0),
    );
    if let Some(b) = &m.baseline {
        let (enter, exit) = b.typical_thresholds();
        v.insert("baseline_median_ratio".into(), json!(round6(b.median)));
        v.insert("baseline_mad".into(), json!(round6(b.mad)));
        v.insert("baseline_pooled_ratio".into(), json!(round6(b.pooled)));
        v.insert("baseline_buckets".into(), json!(b.buckets));
        v.insert("typical_requests_per_bucket".into(), json!(b.rate));
        v.insert("enter_ratio".into(), json!(round6(enter)));
        v.insert("exit_ratio".into(), json!(round6(exit)));
    }
    if let Some(e) = &m.error_baseline {
        v.insert("baseline_errors_per_bucket".into(), json!(e.median));
        v.insert("enter_errors_per_bucket".into(), json!(round6(e.enter())));
        v.insert("exit_errors_per_bucket".into(), json!(round6(e.exit())));
    }
    v.insert("warnings".into(), json!(m.warnings));
    Value::Object(v)
}

/// The `incidents` array of the timeline JSON.
pub fn incidents_value(incidents: &[Incident]) -> Value {
    Value::Array(incidents.iter().map(incident_value).collect())
}
