//! Backends: one whose share of traffic jumped, one failing (nearly)
//! every request, one behind most of the failures.

use std::collections::BTreeMap;

use super::{Evidence, Suspect, SuspectInput, SuspectKind};
use crate::display::{group_thousands, pct_coarse as pct, round2, round4};
use crate::series::Series;
use crate::time::{Micros, SEC};

/// A backend failing at least this share of its requests is "failing".
pub const FAILING_RATIO: f64 = 0.9;
/// Rise in a backend's share of traffic that counts as an imbalance.
pub const IMBALANCE_RISE: f64 = 0.15;
/// A backend failing this many times the typical backend's ratio is
/// failing on its own.
pub const OUTLIER_FACTOR: f64 = 5.0;
/// ... when its failures are this unlikely at the typical ratio.
pub const OUTLIER_P: f64 = 1e-6;
/// ... and fails at least this share of its requests (a pod in a crash
/// loop is out of rotation most of the time: the few requests it takes
/// around each crash fail, a few percent of all it served).
pub const OUTLIER_MIN_RATIO: f64 = 0.01;
/// The typical ratio is taken as at least this (a fleet of backends that
/// never fail does not make one failure an outlier).
const MIN_REFERENCE_RATIO: f64 = 0.001;

/// Per-backend requests and failures over a time range.
fn backend_counts(
    series: &Series,
    from: Micros,
    to: Micros,
    skip: &[(Micros, Micros)],
) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    if to < from {
        return out;
    }
    let (k0, k1) = (series.key(from), series.key(to));
    for (k, b) in series.present(k0, k1) {
        let (bs, be) = (series.bucket_start(k), series.bucket_start(k + 1));
        if skip.iter().any(|&(s, e)| bs <= e && be > s) {
            continue;
        }
        for (name, c) in &b.backends {
            let e = out.entry(name.to_string()).or_default();
            e.0 += c.requests;
            e.1 += c.failed;
        }
    }
    out
}

/// How unlikely a backend's failures during a crash loop must be, at the
/// fleet's usual ratio, for it to be the loop's victim: the test that makes
/// a bucket hot. The crash loop already opened the incident; what is asked
/// is only which backend users met it on.
pub const LOOP_VICTIM_P: f64 = crate::analysis::detect::ENTER_P;

/// The things that went down (or crashed) again and again during the
/// incident, by key: the keys of events that make a crash loop
/// ([`crate::analysis::windows::is_flapping`]) and overlap it.
fn flapping_keys<'a>(input: &SuspectInput<'a>) -> Vec<(&'a str, u64)> {
    input
        .events
        .iter()
        .filter(|e| {
            !e.key.is_empty()
                && e.at <= input.end
                && e.until.unwrap_or(e.at) >= input.start
                && crate::analysis::windows::is_flapping(e)
        })
        .map(|e| (e.key.as_str(), e.count))
        .collect()
}

/// Whether a crash-loop key names backend `name`: HAProxy's `backend|server`
/// is the access log's `backend/server`; a key may also be the server alone.
fn key_names_backend(key: &str, name: &str) -> bool {
    let norm = |s: &str| s.replace(['|', ' '], "/").to_ascii_lowercase();
    let (key, name) = (norm(key), norm(name));
    key == name || name.rsplit('/').next() == Some(key.as_str())
}

/// Suspects for the backends of the incident.
pub fn suspects(input: &SuspectInput, out: &mut Vec<Suspect>) {
    let start = input.start;
    let flapping = flapping_keys(input);
    // Backends: shares before and during, failures during.
    let hour = 3600 * SEC;
    let mut before = backend_counts(input.series, start - hour, start - 1, input.other_windows);
    if before.values().map(|c| c.0).sum::<u64>() < 100 {
        before = backend_counts(
            input.series,
            start - 6 * hour,
            start - 1,
            input.other_windows,
        );
    }
    let during = backend_counts(input.series, start, input.end, &[]);
    let total_before: u64 = before.values().map(|c| c.0).sum();
    let total_during: u64 = during.values().map(|c| c.0).sum();
    let failed_during: u64 = during.values().map(|c| c.1).sum();
    // What a healthy backend fails: the median of the backends' ratios
    // (robust to several of them failing), at least the fleet's usual.
    let mut ratios: Vec<f64> = during
        .values()
        .filter(|c| c.0 >= 10)
        .map(|c| c.1 as f64 / c.0 as f64)
        .collect();
    let typical = crate::analysis::detect::median(&mut ratios).unwrap_or(0.0);
    let (before_req, before_failed) = before
        .values()
        .fold((0u64, 0u64), |(r, f), c| (r + c.0, f + c.1));
    let usual = if before_req > 0 {
        before_failed as f64 / before_req as f64
    } else {
        0.0
    };
    let reference = typical.max(usual).max(MIN_REFERENCE_RATIO);
    for (name, &(req, failed)) in &during {
        // The backends summed past the cap are many, not one to blame.
        if name == crate::series::OTHER_BACKEND {
            continue;
        }
        let ratio = if req > 0 {
            failed as f64 / req as f64
        } else {
            0.0
        };
        let (req_before, _) = before.get(name).copied().unwrap_or_default();
        let share_before = if total_before > 0 {
            req_before as f64 / total_before as f64
        } else {
            0.0
        };
        let share_during = if total_during > 0 {
            req as f64 / total_during as f64
        } else {
            0.0
        };
        let share_fail = if failed_during > 0 {
            failed as f64 / failed_during as f64
        } else {
            0.0
        };
        let others = if total_during > req {
            (failed_during - failed) as f64 / (total_during - req) as f64
        } else {
            0.0
        };
        let imbalance = total_before > 0
            && req >= 20
            && share_during >= share_before + IMBALANCE_RISE
            && share_during >= 1.5 * share_before;
        // A backend behind most of the failures, failing far more than the
        // rest (one overwhelmed target behind a path rule, say).
        let concentrated = req >= 20 && share_fail >= 0.5 && ratio >= (5.0 * others).max(0.05);
        let failing = req >= 10 && ratio >= FAILING_RATIO;
        // Part of the fleet: failing far more than a typical backend does,
        // by more than chance (Poisson), whatever its share of the failures.
        let outlier = req >= 20
            && ratio >= (OUTLIER_FACTOR * reference).max(OUTLIER_MIN_RATIO)
            && crate::analysis::stats::poisson_at_least(failed, req as f64 * reference) < OUTLIER_P;
        // A crash loop's victim: the backend its down events name, or,
        // when they name a pod or container rather than an address, the
        // one behind most of the loop's failures, failing far more than the
        // rest by more than chance. A crashing backend is out of rotation
        // most of the time, so its ratio stays low: no floor on it.
        let flaps = flapping
            .iter()
            .find(|(k, _)| key_names_backend(k, name))
            .map(|(_, n)| *n);
        let loop_victim = !flapping.is_empty()
            && failed >= 2
            && (flaps.is_some()
                || (share_fail >= 0.5
                    && ratio >= 5.0 * others.max(reference)
                    && crate::analysis::stats::poisson_at_least(
                        failed,
                        req as f64 * others.max(reference),
                    ) < LOOP_VICTIM_P));
        if failing || ((concentrated || outlier || loop_victim) && !imbalance) {
            let new_in_pool = total_before > 0 && req_before == 0;
            let mut why = format!(
                "backend {name} failed {} of its {} requests during the incident ({} of all failed requests; other backends {})",
                pct(ratio),
                group_thousands(req),
                pct(share_fail),
                pct(others)
            );
            if new_in_pool {
                why.push_str("; it served no traffic before impact began (new in the pool?)");
            }
            if let Some(n) = flaps {
                why.push_str(&format!("; it went down {n} times (crash loop)"));
            }
            out.push(Suspect {
                rank: 0,
                kind: SuspectKind::BackendFailing,
                score: if failing {
                    70.0
                } else if concentrated {
                    62.0
                } else {
                    58.0
                } + 25.0 * share_fail,
                why,
                evidence: Evidence::Failing {
                    backend: name.clone(),
                    failed_pct: round2(ratio * 100.0),
                    requests: req,
                    failed,
                    share_of_failures: round4(share_fail),
                    new_in_pool,
                },
            });
        } else if imbalance {
            let rise = share_during - share_before;
            out.push(Suspect {
                rank: 0,
                kind: SuspectKind::BackendImbalance,
                score: 65.0 + 25.0 * (rise / 0.5).min(1.0),
                why: format!(
                    "backend {name} took {} of requests during the incident, {} before; {} of its requests failed",
                    pct(share_during),
                    pct(share_before),
                    pct(ratio)
                ),
                evidence: Evidence::Imbalance {
                    backend: name.clone(),
                    share_before: round4(share_before),
                    share_during: round4(share_during),
                    requests_before: req_before,
                    requests_during: req,
                    failed_during: failed,
                },
            });
        }
    }
}
