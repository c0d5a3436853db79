//! The moments the analysis computes for each incident and puts on the
//! timeline: IMPACT BEGINS, DETECTED, PEAK, MITIGATED, IMPACT ENDS. Made
//! once here, with their words, and handed to every renderer as events.

use std::collections::BTreeMap;

use super::incident::{Incident, IncidentKind};
use crate::display::{group_thousands, pct, pct2, relative};
use crate::event::{EventKind, Marker, Origin, Severity};
use crate::time::{format_clock, format_duration, Micros};
use crate::timeline::Event;

/// Fills in each incident's markers (their text names the incident when
/// there are several).
pub fn attach(incidents: &mut [Incident]) {
    let several = incidents.len() > 1;
    for i in incidents.iter_mut() {
        i.markers = markers_of(i, several);
    }
}

/// Every incident's markers, in timeline order.
pub fn all(incidents: &[Incident]) -> Vec<Event> {
    let mut out: Vec<Event> = incidents
        .iter()
        .flat_map(|i| i.markers.iter().cloned())
        .collect();
    crate::timeline::sort_events(&mut out);
    out
}

fn markers_of(i: &Incident, several: bool) -> Vec<Event> {
    let mut out = Vec::new();
    let tag = if several {
        format!(" (incident {})", i.id)
    } else {
        String::new()
    };
    let mut push = |at: Micros, marker: Marker, severity: Severity, text: String| {
        let mut fields = BTreeMap::new();
        fields.insert("incident".to_string(), i.id.to_string());
        out.push(Event {
            at,
            until: None,
            count: 1,
            kind: EventKind::Marker,
            severity,
            source: String::new(),
            line: 0,
            origin: Origin::Marker(marker),
            message: format!("{}{tag} — {text}", marker.label()),
            title: None,
            fields,
            key: String::new(),
        });
    };
    push(i.start, Marker::ImpactBegins, Severity::Critical, begins(i));
    if let Some(d) = &i.detected {
        let rel = relative(d.at, i.start);
        push(
            d.at,
            Marker::Detected,
            Severity::Warning,
            format!("alert {} fired, {rel}", d.alert),
        );
    }
    if let Some(p) = &i.peak {
        push(
            p.at,
            Marker::Peak,
            Severity::Critical,
            peak_text(i, p, &|t| format_clock(t)),
        );
    }
    if let Some(m) = i
        .mitigated
        .filter(|_| !matches!(i.kind, IncidentKind::TrafficLoss | IncidentKind::CrashLoop))
    {
        push(m, Marker::Mitigated, Severity::Info, mitigated(i));
    }
    push(i.end, Marker::ImpactEnds, Severity::Info, ends(i));
    crate::timeline::sort_events(&mut out);
    out
}

fn begins(i: &Incident) -> String {
    let baseline = i
        .impact
        .baseline_failed_pct
        .map(|b| format!(" (baseline {})", pct(b / 100.0)))
        .unwrap_or_default();
    match i.kind {
        IncidentKind::TrafficLoss => {
            let usual = i
                .impact
                .usual_rate_per_second
                .map(|u| {
                    format!(
                        " (usual {} requests/min)",
                        group_thousands((u * 60.0).round() as u64)
                    )
                })
                .unwrap_or_default();
            format!("traffic fell far below its usual rate{usual}")
        }
        IncidentKind::ErrorsFromAppLogs => "error messages well above their usual rate".to_string(),
        IncidentKind::CrashLoop => format!("crash loop begins: {}", crash_loop_what(i)),
        IncidentKind::ErrorRatio => {
            let mut s = match i.onset_ratio {
                Some(r) => format!("error ratio {}{baseline}", pct(r)),
                None => format!("failed requests rise{baseline}"),
            };
            if i.parts.iter().any(|p| p.crash_loop.is_some()) {
                s.push_str(&format!("; crash loop: {}", crash_loop_what(i)));
            }
            s
        }
        IncidentKind::Refusals => format!(
            "refusals ({}) rise to {} of requests",
            i.counted.join(", "),
            i.onset_ratio
                .map(pct)
                .unwrap_or_else(|| "a large share".into())
        ),
        IncidentKind::Latency => format!(
            "requests {} rise to {}{}",
            i.counted.join(", "),
            i.onset_ratio
                .map(pct)
                .unwrap_or_else(|| "a large share".into()),
            i.impact
                .latency
                .p99_before
                .map(|p| format!(" (usual p99 {} ms)", group_thousands(p.round() as u64)))
                .unwrap_or_default()
        ),
    }
}

/// What crashed again and again, from the incident's crash-loop parts.
pub fn crash_loop_what(i: &Incident) -> String {
    let loops: Vec<&str> = i
        .parts
        .iter()
        .filter_map(|p| p.crash_loop.as_deref())
        .collect();
    if loops.is_empty() {
        "repeated crashes".to_string()
    } else {
        loops.join("; ")
    }
}

/// The PEAK marker's words; `clock` writes its time (UTC here, the
/// report's zone in a draft).
pub fn peak_text(
    i: &Incident,
    p: &super::incident::Peak,
    clock: &dyn Fn(Micros) -> String,
) -> String {
    match (i.kind, p.error_ratio) {
        (IncidentKind::TrafficLoss, _) => format!(
            "lowest traffic: {} requests in the {} from {}",
            group_thousands(p.requests),
            format_duration(p.bucket_seconds),
            clock(p.at)
        ),
        (IncidentKind::Refusals | IncidentKind::Latency, Some(r)) => format!(
            "{} of requests {} ({} of {} in the {} from {})",
            pct(r),
            i.bad_verb(),
            group_thousands(p.failed),
            group_thousands(p.requests),
            format_duration(p.bucket_seconds),
            clock(p.at)
        ),
        (_, Some(r)) => format!(
            "error ratio {} ({} of {} requests failed in the {} from {})",
            pct(r),
            group_thousands(p.failed),
            group_thousands(p.requests),
            format_duration(p.bucket_seconds),
            clock(p.at)
        ),
        (_, None) => format!(
            "{} error messages in the {} from {}",
            group_thousands(p.errors),
            format_duration(p.bucket_seconds),
            clock(p.at)
        ),
    }
}

fn mitigated(i: &Incident) -> String {
    match (&i.method.baseline, i.kind) {
        (Some(b), IncidentKind::ErrorRatio) => format!(
            "error ratio below the entry threshold ({}) from here on",
            pct(b.typical_thresholds().0)
        ),
        (_, IncidentKind::TrafficLoss) => "traffic back to its usual rate".to_string(),
        _ => "errors back below the entry threshold from here on".to_string(),
    }
}

fn ends(i: &Incident) -> String {
    match i.kind {
        // Told by its crashes alone: no request log covers the window, and
        // "0 of 0 requests failed" would claim one.
        IncidentKind::CrashLoop if i.impact.requests_total == 0 => format!(
            "crash loop over {} ({}); no requests logged in the window",
            format_duration(i.duration_seconds()),
            crash_loop_what(i)
        ),
        IncidentKind::ErrorsFromAppLogs => format!(
            "{} error messages over {}",
            group_thousands(i.impact.error_messages),
            format_duration(i.duration_seconds())
        ),
        _ => {
            let (bad, share) = i.bad();
            let mut s = format!(
                "{} of {} requests {} ({}) over {}",
                group_thousands(bad),
                group_thousands(i.impact.requests_total),
                i.bad_verb(),
                pct2(share),
                format_duration(i.duration_seconds())
            );
            if i.impact.requests_lost > 0 {
                s.push_str(&format!(
                    ", about {} requests lost",
                    group_thousands(i.impact.requests_lost)
                ));
            }
            s
        }
    }
}

/// What to say when no alert was found for `i`: an incident already under
/// way when the logs (or the window) began may have been alerted on before.
pub fn no_alert(i: &Incident) -> &'static str {
    if i.open_start {
        "no alert in the logs read (it was already under way when they begin)"
    } else {
        "no alert fired"
    }
}
