//! The known truth of a generated outage, counted from the requests that
//! were actually written, and its JSON document.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::clock::{truth_time, SEC};
use crate::traffic::Req;

/// What caused an incident, located in the generated files.
#[derive(Clone, Debug)]
pub struct Cause {
    /// `change` or `crash`.
    pub kind: &'static str,
    pub source: String,
    pub line: usize,
    pub message: String,
    pub at: i64,
}

/// A planted incident before counting.
#[derive(Clone, Debug)]
pub struct IncidentDef {
    pub id: u8,
    /// `errors` or `traffic_loss`.
    pub kind: &'static str,
    pub backend: Option<String>,
    pub cause: Cause,
    /// First alert that fired for it (its `startsAt`).
    pub detected_at: Option<i64>,
    /// When the fix was applied.
    pub mitigated_at: Option<i64>,
    /// For traffic loss: the silent stretch (kill, restart).
    pub gap: Option<(i64, i64)>,
    /// Arrivals that never reached the logs, and their distinct clients.
    pub lost: Option<(u64, u64)>,
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        (a as f64 * 10_000.0 / b as f64).round() / 100.0
    }
}

/// How the load balancer stamps a request, truncated to its resolution.
pub struct Stamp {
    pub resolution: i64,
    /// Use the completion time (nginx, ALB) or the arrival time (HAProxy).
    pub at_end: bool,
}

impl Stamp {
    pub fn of(&self, r: &Req) -> i64 {
        let t = if self.at_end { r.t1 } else { r.t0 };
        t.div_euclid(self.resolution) * self.resolution
    }
}

/// One incident's JSON, counted from `reqs`.
pub fn incident(reqs: &[Req], stamp: &Stamp, def: &IncidentDef) -> Value {
    let (start, end) = match def.gap {
        Some((a, b)) => (
            a.div_euclid(stamp.resolution) * stamp.resolution,
            b.div_euclid(stamp.resolution) * stamp.resolution,
        ),
        None => {
            let mut lo = i64::MAX;
            let mut hi = i64::MIN;
            for r in reqs
                .iter()
                .filter(|r| r.planted == Some(def.id) && r.failed())
            {
                let s = stamp.of(r);
                lo = lo.min(s);
                hi = hi.max(s);
            }
            (lo, hi)
        }
    };
    let mut total = 0u64;
    let mut failed = 0u64;
    let mut clients = BTreeSet::new();
    let mut affected = BTreeSet::new();
    let mut before = None;
    let mut after = None;
    for r in reqs {
        let s = stamp.of(r);
        if s < start {
            before = Some(before.map_or(s, |b: i64| b.max(s)));
            continue;
        }
        if s > end {
            after = Some(after.map_or(s, |a: i64| a.min(s)));
            continue;
        }
        total += 1;
        clients.insert(r.client);
        if r.failed() {
            failed += 1;
            affected.insert(r.client);
        }
    }
    let res = stamp.resolution;
    let mut v = json!({
        "id": def.id,
        "kind": def.kind,
        "start": truth_time(start, res),
        "end": truth_time(end, res),
        "duration_seconds": (end - start) / SEC,
        "requests_total": total,
        "requests_failed": failed,
        "failed_pct": pct(failed, total),
        "clients_total": clients.len(),
        "clients_affected": affected.len(),
        "clients_affected_pct": pct(affected.len() as u64, clients.len() as u64),
        "cause": {
            "kind": def.cause.kind,
            "source": def.cause.source,
            "line": def.cause.line,
            "message": def.cause.message,
            "at": truth_time(def.cause.at, 1000),
        },
        "backend": def.backend,
        "detected_at": def.detected_at.map(|t| truth_time(t, 1000)),
        "mitigated_at": def.mitigated_at.map(|t| truth_time(t, 1000)),
    });
    if let (Some((n, c)), Some(obj)) = (def.lost, v.as_object_mut()) {
        obj.insert("requests_lost".into(), json!(n));
        obj.insert("clients_lost".into(), json!(c));
        obj.insert(
            "last_request_before".into(),
            json!(before.map(|t| truth_time(t, res))),
        );
        obj.insert(
            "first_request_after".into(),
            json!(after.map(|t| truth_time(t, res))),
        );
    }
    v
}

/// Request and client totals over the whole generated span.
pub fn traffic_summary(reqs: &[Req], stamp: &Stamp) -> Value {
    let clients: BTreeSet<u32> = reqs.iter().map(|r| r.client).collect();
    let failed = reqs.iter().filter(|r| r.failed()).count();
    let first = reqs.iter().map(|r| stamp.of(r)).min().unwrap_or(0);
    let last = reqs.iter().map(|r| stamp.of(r)).max().unwrap_or(0);
    json!({
        "first_request": truth_time(first, stamp.resolution),
        "last_request": truth_time(last, stamp.resolution),
        "requests": reqs.len(),
        "requests_failed": failed,
        "clients": clients.len(),
    })
}
