//! One candidate window measured into an [`Incident`]: its impact (exact
//! counts from the second read when it could be done), when it was
//! detected, its peak, its suspects and the caveats that go with them.

use std::collections::HashMap;

use super::detect::{self, FailedSeconds, Grid};
use super::impact::{self, Impact, Metrics};
use super::incident::{Detected, Incident, IncidentKind, Method, Peak, DETECT_LOOKBACK_SECONDS};
use super::signals::Signal;
use super::suspects::{self, SuspectInput};
use super::windows::Raw;
use super::Analysis;
use crate::display::group_thousands;
use crate::display::{round2, round3, round4};
use crate::event::EventKind;
use crate::scan::{ClientCounts, Criterion};
use crate::time::{format_duration, Micros, SEC};

/// What measuring every window of a run shares.
pub struct Measuring<'a> {
    pub analysis: &'a Analysis,
    pub grid: &'a Grid,
    pub method: &'a Method,
    /// Failed requests per second over all request sources.
    pub failed: &'a FailedSeconds,
    /// The second read's counts, one per window (`None` when inexact).
    pub exact: &'a [Option<ClientCounts>],
    /// Inputs that could not be read a second time.
    pub left_out: &'a [String],
    /// Every window of the run, in order.
    pub windows: &'a [(Micros, Micros)],
    /// The first timestamp of each input.
    pub source_first: HashMap<String, Micros>,
    /// How far each source's clock seems off.
    pub clock_offsets: HashMap<String, Micros>,
    /// Each source's host names.
    pub hosts: HashMap<String, Vec<String>>,
    /// Each backend's request logs.
    pub routes: HashMap<String, Vec<String>>,
}

/// Measures window `idx` of the run (`raw`).
pub fn measure(ctx: &Measuring, raw: Raw, idx: usize) -> Incident {
    let a = ctx.analysis;
    let (start, end) = (raw.start, raw.end);
    let request_mode = ctx.method.mode != IncidentKind::ErrorsFromAppLogs;
    let mut warnings = ctx.method.warnings.clone();
    let mut imp = Impact::default();
    let exact = ctx.exact.get(idx).and_then(|c| c.as_ref());
    let criterion = raw.criterion();
    if request_mode {
        request_impact(ctx, &raw, exact, &mut imp, &mut warnings);
    }
    imp.error_messages = impact::error_messages(&a.series, start, end);
    let detected = detected(a, start, end, &mut warnings);
    let peak = match raw.signal() {
        // Other signals peak on their own counts.
        s @ (Signal::Refusals(_) | Signal::Slow(_)) => {
            let g = signal_grid(ctx, &s);
            peak(&g, request_mode, &raw)
        }
        _ => peak(ctx.grid, request_mode, &raw),
    };
    let edges = exact
        .filter(|_| raw.edges_exact && raw.kind != IncidentKind::TrafficLoss)
        .and_then(|c| Some((c.first_bad.clone()?, c.last_bad.clone()?)));
    let counted = describe(&criterion, &a.reread.failure);
    let metrics = Metrics::new(start, end, detected.as_ref().map(|d| d.at), raw.mitigated);
    caveats(&raw, &mut warnings);
    let others: Vec<(Micros, Micros)> = ctx
        .windows
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != idx)
        .map(|(_, w)| *w)
        .collect();
    let (suspects, likely_fix) = suspects::rank(&SuspectInput {
        events: &a.events,
        templates: &a.templates,
        series: &a.series,
        start,
        end,
        mitigated: raw.mitigated,
        other_windows: &others,
        source_first: &ctx.source_first,
        clock_offsets: &ctx.clock_offsets,
        hosts: &ctx.hosts,
        routes: &ctx.routes,
    });
    let kind = crash_loop_kind(ctx, &raw, &imp, &suspects);
    Incident {
        id: idx + 1,
        rank: 0,
        kind,
        start,
        end,
        edges_exact: raw.edges_exact,
        open_ended: raw.open_ended,
        open_start: raw.open_start,
        detected,
        peak,
        mitigated: raw.mitigated,
        metrics,
        impact: imp,
        onset_ratio: raw.onset_ratio,
        suspects,
        likely_fix,
        parts: raw.parts,
        warnings,
        method: ctx.method.clone(),
        markers: Vec::new(),
        criterion,
        counted,
        edges,
    }
}

/// A crash loop that users felt is an error incident: when the requests
/// inside it failed more often than chance at the baseline allows
/// (Poisson, p < [`CRASH_FAILURES_P`], the test that makes a bucket hot),
/// the failures are the impact and the crash loop its mechanism (kept as
/// a part); otherwise redundancy absorbed it and it stays a crash loop.
/// No floor on the number of failures: the crashes already made the
/// incident, so the question is only whether users felt it. A fleet of
/// many backends dilutes one victim's failures, so the same test is also
/// asked of each backend named as failing (the loop's victim) on its own
/// requests.
fn crash_loop_kind(
    ctx: &Measuring,
    raw: &Raw,
    imp: &Impact,
    suspects: &[suspects::Suspect],
) -> IncidentKind {
    if raw.kind != IncidentKind::CrashLoop {
        return raw.kind;
    }
    let Some(b) = ctx.method.baseline.as_ref() else {
        return raw.kind;
    };
    let felt = |requests: u64, failed: u64| {
        let excess = failed as f64 - requests as f64 * b.noise_ratio();
        excess >= 1.0 && b.surprise(requests, failed) < CRASH_FAILURES_P
    };
    let victim_felt = suspects.iter().any(|s| match &s.evidence {
        suspects::Evidence::Failing {
            requests, failed, ..
        } => felt(*requests, *failed),
        _ => false,
    });
    if felt(imp.requests_total, imp.requests_failed) || victim_felt {
        IncidentKind::ErrorRatio
    } else {
        raw.kind
    }
}

/// How unlikely at baseline the failures inside a crash loop must be to
/// make it an error incident: as unlikely as a hot bucket's.
pub const CRASH_FAILURES_P: f64 = detect::ENTER_P;

/// A signal's grid on the same buckets as the run's.
fn signal_grid(ctx: &Measuring, s: &Signal) -> Grid {
    let series = &ctx.analysis.series;
    let factor = (ctx.grid.bucket_seconds / series.bucket_seconds.max(1)).max(1);
    let last = ctx.grid.first_key + ctx.grid.points.len() as i64 - 1;
    s.grid(series, factor, ctx.grid.first_key, last)
}

/// What counted as a bad request, as people read it.
fn describe(c: &Criterion, policy: &crate::record::FailurePolicy) -> Vec<String> {
    match c {
        Criterion::Failed => policy.describe(),
        Criterion::Status(statuses) => statuses.iter().map(|s| s.to_string()).collect(),
        Criterion::SlowerThan(ms) => vec![format!(
            "slower than {} ms",
            group_thousands(ms.round() as u64)
        )],
    }
}

/// Requests, failures, clients, latency, lost requests and the error
/// budget within the window.
fn request_impact(
    ctx: &Measuring,
    raw: &Raw,
    exact: Option<&ClientCounts>,
    imp: &mut Impact,
    warnings: &mut Vec<String>,
) {
    let series = &ctx.analysis.series;
    let method = ctx.method;
    let (start, end) = (raw.start, raw.end);
    match exact {
        Some(c) => {
            imp.requests_total = c.requests;
            imp.requests_failed = c.failed;
            imp.clients_total = Some(c.total);
            imp.clients_affected = Some(c.affected);
            imp.exact_counts = true;
            if let Some(how) = c.clients_estimated {
                imp.clients_estimated = true;
                warnings.push(format!(
                    "clients estimated (about ±{:.1} %, over the whole {}-second buckets at the window's edges): a partial held more distinct clients than its bound and sketched them (scan --client-limit)",
                    how.error_pct, how.bucket_seconds
                ));
            }
        }
        None => {
            let (req, _) = impact::prorated_counts(series, start, end);
            imp.requests_total = req;
            imp.requests_failed = match raw.signal() {
                Signal::Errors | Signal::Backend(_) => {
                    ctx.failed.count_between(start, end).min(req.max(1))
                }
                // Refusals and slow requests have no per-second table:
                // their buckets, prorated.
                s => impact::prorated_by(series, start, end, |b| s.point(b).failed).min(req),
            };
            if !ctx.left_out.is_empty() {
                warnings.push(format!(
                    "clients not counted and requests estimated from minute buckets: {} could not be read a second time",
                    ctx.left_out.join(", ")
                ));
            }
        }
    }
    imp.failed_pct = impact::percent(imp.requests_failed, imp.requests_total);
    match raw.kind {
        IncidentKind::Latency => {
            // The bad requests are the slow ones; failures are counted
            // as such (to the second).
            imp.requests_slow = Some(imp.requests_failed);
            imp.slow_pct = imp.failed_pct;
            imp.requests_failed = ctx.failed.count_between(start, end).min(imp.requests_total);
            imp.failed_pct = impact::percent(imp.requests_failed, imp.requests_total);
        }
        IncidentKind::Refusals => {
            imp.requests_refused = Some(imp.requests_failed);
            imp.refused_pct = imp.failed_pct;
        }
        _ => {}
    }
    imp.clients_affected_pct = match (imp.clients_affected, imp.clients_total) {
        (Some(x), Some(t)) => impact::percent(x, t),
        _ => None,
    };
    let pooled = method.baseline.as_ref().map(|b| b.pooled).unwrap_or(0.0);
    imp.baseline_failed_pct = Some(round2(pooled * 100.0));
    imp.latency = impact::latency(series, start, end, ctx.windows);
    let usual = impact::usual_rate(series, start, ctx.windows).or_else(|| {
        method
            .baseline
            .as_ref()
            .filter(|b| b.rate > 0.0)
            .map(|b| b.rate / method.bucket_seconds as f64)
    });
    imp.usual_rate_per_second = usual.map(round3);
    let lost_parts: u64 = raw
        .parts
        .iter()
        .filter(|p| p.kind == IncidentKind::TrafficLoss)
        .map(|p| p.lost)
        .sum();
    imp.requests_lost = if lost_parts > 0 {
        lost_parts
    } else {
        usual
            .map(|u| impact::shortfall(u, (end - start) as f64 / SEC as f64, imp.requests_total))
            .unwrap_or(0)
    };
    let lost_as_failed = if raw.kind == IncidentKind::TrafficLoss {
        imp.requests_lost as f64
    } else {
        0.0
    };
    let f = imp.requests_failed as f64 + lost_as_failed;
    let n = imp.requests_total as f64 + lost_as_failed;
    imp.error_budget_used_pct =
        usual.and_then(|u| impact::error_budget_used_pct(f, n, pooled, u, method.slo));
    imp.burn_rate = impact::burn_rate(f, n, method.slo);
    if imp.requests_total == 0 {
        imp.latency.p50_during = None;
        imp.latency.p99_during = None;
    }
    if imp.requests_total < 100 && raw.kind != IncidentKind::TrafficLoss {
        warnings.push(format!(
            "only {} requests in the window: percentages are rough",
            imp.requests_total
        ));
    }
}

/// The first alert firing from a little before the start.
fn detected(
    a: &Analysis,
    start: Micros,
    end: Micros,
    warnings: &mut Vec<String>,
) -> Option<Detected> {
    let detected = a
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Alert)
        .filter(|e| e.at >= start - DETECT_LOOKBACK_SECONDS * SEC && e.at <= end)
        .min_by_key(|e| (e.at, e.source.clone(), e.line))
        .map(|e| Detected {
            at: e.at,
            alert: e
                .fields
                .get("alertname")
                .cloned()
                .unwrap_or_else(|| e.headline().to_string()),
            source: e.source.clone(),
            line: e.line,
        })?;
    if detected.at < start {
        warnings.push(format!(
            "the first alert ({}) fired {} before the first failed request: stated as logged, not adjusted",
            detected.alert,
            format_duration((start - detected.at).div_euclid(SEC))
        ));
    }
    Some(detected)
}

/// Caveats about the window's edges.
fn caveats(raw: &Raw, warnings: &mut Vec<String>) {
    if raw.open_start {
        warnings.push(
            "already under way when the logs (or the --since window) begin: the start is the first failed request logged, the real start may be earlier"
                .to_string(),
        );
    }
    if raw.open_ended {
        warnings.push(format!(
            "the logs (or the --until window) end before {} buckets of normal error ratio confirmed the end: the end is the last failed request logged",
            detect::EXIT_BUCKETS
        ));
    }
    if raw.kind == IncidentKind::TrafficLoss {
        warnings.push(if raw.edges_exact {
            "traffic stopped: a server that is down logs nothing; start and end are the last request before the gap and the first after it".to_string()
        } else {
            "traffic fell far below its usual rate: a server that is down logs nothing, so start and end are estimated from the request rate".to_string()
        });
    }
}

/// The worst detection bucket in the window: highest error ratio (among
/// buckets with enough requests when there are any), or most error
/// messages, or for a traffic loss the bucket with the least traffic.
fn peak(grid: &Grid, request_mode: bool, raw: &Raw) -> Option<Peak> {
    let lo = grid.index_of(raw.start)?;
    let hi = grid
        .index_of(raw.end)
        .unwrap_or(grid.points.len().saturating_sub(1));
    let idx: Vec<usize> = (lo..=hi).collect();
    let pick = if !request_mode {
        idx.iter()
            .copied()
            .max_by_key(|&i| (grid.points[i].errors, std::cmp::Reverse(i)))
    } else if raw.kind == IncidentKind::TrafficLoss {
        idx.iter()
            .copied()
            .min_by_key(|&i| (grid.points[i].requests, i))
    } else {
        let enough: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| grid.points[i].requests >= detect::MIN_BUCKET_REQUESTS)
            .collect();
        let pool = if enough.is_empty() { idx } else { enough };
        pool.into_iter().max_by(|&x, &y| {
            let r = |i: usize| grid.points[i].ratio().unwrap_or(0.0);
            r(x).total_cmp(&r(y)).then(y.cmp(&x))
        })
    }?;
    let p = grid.points.get(pick)?;
    // A window with neither requests nor error lines has no peak to
    // show (a crash loop told only by DOWN/UP lines): "0 error messages"
    // would be a figure of nothing.
    if p.requests == 0 && p.errors == 0 {
        return None;
    }
    Some(Peak {
        at: grid.start(pick).max(raw.start),
        error_ratio: if request_mode {
            p.ratio().map(round4)
        } else {
            None
        },
        requests: p.requests,
        failed: p.failed,
        errors: p.errors,
        bucket_seconds: grid.bucket_seconds,
    })
}
