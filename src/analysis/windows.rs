//! Candidate incident windows, before they are measured: error-ratio
//! stretches and traffic losses from the request series, error-message
//! stretches and alert intervals without request logs; merged when close,
//! with edges refined to the failed request or the request before a stop.

use std::collections::{BTreeMap, HashMap};

use super::detect::{self, Baseline, FailedSeconds, Grid, Stretch};
use super::impact;
use super::incident::{IncidentKind, Method, Part};
use super::signals::{self, Signal};
use super::{Analysis, TemplateSummary};
use crate::event::{EventKind, Severity};
use crate::scan::Criterion;
use crate::series::Series;
use crate::time::{format_duration, format_rfc3339, Micros, SEC};
use crate::timeline::Event;
use crate::traffic::Basis;

/// A window before measuring.
#[derive(Clone, Debug)]
pub struct Raw {
    pub kind: IncidentKind,
    /// The signals that found it (and its parts).
    pub signals: Vec<Signal>,
    pub start: Micros,
    pub end: Micros,
    pub mitigated: Option<Micros>,
    pub onset_ratio: Option<f64>,
    pub open_ended: bool,
    /// Already under way when the data (or the window) began.
    pub open_start: bool,
    pub edges_exact: bool,
    pub parts: Vec<Part>,
}

impl Raw {
    /// What its impact counts as bad requests: failures for errors (and
    /// traffic loss), the refusal statuses that rose, slow requests.
    pub fn criterion(&self) -> Criterion {
        match self.kind {
            IncidentKind::Refusals => {
                let mut statuses: Vec<u16> = self
                    .signals
                    .iter()
                    .filter_map(|s| match s {
                        Signal::Refusals(st) => Some(*st),
                        _ => None,
                    })
                    .collect();
                statuses.sort_unstable();
                statuses.dedup();
                Criterion::Status(statuses)
            }
            IncidentKind::Latency => self
                .signals
                .iter()
                .find_map(|s| match s {
                    Signal::Slow(ms) => Some(Criterion::SlowerThan(*ms)),
                    _ => None,
                })
                .unwrap_or(Criterion::Failed),
            _ => Criterion::Failed,
        }
    }

    /// The signal of its own kind (for its peak and estimates).
    pub fn signal(&self) -> Signal {
        self.signals
            .iter()
            .find(|s| s.kind() == self.kind)
            .cloned()
            .unwrap_or(Signal::Errors)
    }
}

/// The windows found, the grid they were found on and how.
pub struct Found {
    /// Merged, in time order.
    pub raws: Vec<Raw>,
    pub grid: Grid,
    pub method: Method,
}

/// The candidate windows of an analysis, merged and with refined onsets,
/// one [`Found`] per stretch of the logs that has any (more than one only
/// across a gap in the logs). `slo` is a fraction (0.999).
pub fn find(a: &Analysis, slo: f64) -> Vec<Found> {
    let series = &a.series;
    let Some((lo, hi)) = series.key_range() else {
        return Vec::new();
    };
    // The request logs' core (or every record's without request logs),
    // split where the logs have a gap longer than the data on either side:
    // each side is judged on its own, never one incident across the gap.
    let requests = a.traffic.any();
    let weight = |b: &crate::series::Bucket| {
        if requests {
            b.requests
        } else {
            b.messages.saturating_add(b.requests)
        }
    };
    let (c0, c1) = series.core(weight).map_or((lo, hi), |c| (c.first, c.last));
    let segments = series.segments(weight, c0, c1);
    let mut gaps = Vec::new();
    for w in segments.windows(2) {
        let (from, to) = (series.bucket_start(w[0].1 + 1), series.bucket_start(w[1].0));
        gaps.push(format!(
            "the {} have a gap of {} ({} to {}), longer than the data on either side: read as a gap in the logs, not an outage; each side is analysed on its own",
            if requests { "request logs" } else { "logs" },
            format_duration((to - from).div_euclid(SEC)),
            format_rfc3339(from),
            format_rfc3339(to)
        ));
    }
    let split = segments.len() > 1;
    let flapping = flapping_windows(&a.events);
    segments
        .iter()
        .filter_map(|&seg| {
            let mut found = find_within(a, slo, split.then_some(seg))?;
            let (from, to) = (series.bucket_start(seg.0), series.bucket_start(seg.1 + 1));
            let inside = |r: &Raw| !split || (r.start >= from && r.start < to);
            let mut raws: Vec<Raw> = std::mem::take(&mut found.raws);
            raws.retain(inside);
            raws.extend(flapping.iter().filter(|r| inside(r)).cloned());
            found.raws = finish(a, merge(raws));
            found.method.warnings.extend(gaps.iter().cloned());
            (!found.raws.is_empty()).then_some(found)
        })
        .collect()
}

/// The windows of one stretch of the logs (`within`, series keys; `None`
/// for all of it), before the crash loops are added and merged.
fn find_within(a: &Analysis, slo: f64, within: Option<(i64, i64)>) -> Option<Found> {
    if a.series.is_empty() {
        return None;
    }
    let (raws, grid, method) = match a.traffic.basis {
        Basis::Front => request_windows(a, slo, within),
        Basis::AccessLogs | Basis::ApplicationRequests => {
            // No front log: the requests counted come from the services'
            // own logs, which rarely see what the load balancer failed (nor
            // the failures that other services only log as errors), so
            // error messages and alerts count too.
            let (mut raws, grid, mut method) = request_windows(a, slo, within);
            let (app_raws, _, app_method) = app_windows(a, slo, within);
            // The requests measure impact directly: error messages only
            // make a window where the requests showed none (they linger
            // after the requests recover, and would stretch the end).
            let from_requests: Vec<(Micros, Micros)> =
                raws.iter().map(|r| (r.start, r.end)).collect();
            raws.extend(
                app_raws
                    .into_iter()
                    .filter(|r| !near_any(&from_requests, r.start, r.end)),
            );
            method.error_baseline = app_method.error_baseline;
            method.warnings.push(if a.traffic.basis == Basis::AccessLogs {
                "no load-balancer logs: requests come from access logs in a general format (JSON, logfmt), and error-level messages and alerts count too".to_string()
            } else {
                "no load-balancer or access logs: requests come from application logs, and error-level messages and alerts count too".to_string()
            });
            (raws, grid, method)
        }
        Basis::None => app_windows(a, slo, within),
    };
    let raws = exact_stops(a, raws, grid.bucket_seconds);
    Some(Found { raws, grid, method })
}

/// Whether `start..=end` overlaps one of `windows` or comes within the
/// merge gap of it.
fn near_any(windows: &[(Micros, Micros)], start: Micros, end: Micros) -> bool {
    let gap = detect::MERGE_GAP_SECONDS * SEC;
    windows
        .iter()
        .any(|&(s, e)| start <= e + gap && end + gap >= s)
}

/// Moves each error window's start back to its onset, once merged.
fn finish(a: &Analysis, mut raws: Vec<Raw>) -> Vec<Raw> {
    for k in 0..raws.len() {
        if raws[k].kind == IncidentKind::ErrorRatio && raws[k].edges_exact {
            let floor = if k > 0 {
                raws[k - 1].end + SEC
            } else {
                i64::MIN
            };
            let start = onset(a, &raws[k], floor);
            raws[k].start = start;
            if let Some(p) = raws[k].parts.first_mut() {
                p.start = p.start.min(start);
            }
        }
    }
    raws
}

/// Where traffic that stopped completely stopped and resumed, to the
/// request: the last request before the middle of the gap and the first
/// after it (a second read of the request logs; estimates stay when it
/// cannot be done).
fn exact_stops(a: &Analysis, mut raws: Vec<Raw>, bucket_seconds: i64) -> Vec<Raw> {
    let stops: Vec<usize> = raws
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.kind == IncidentKind::TrafficLoss
                && r.parts
                    .first()
                    .is_some_and(|p| p.total_stop && p.source.is_none())
        })
        .map(|(k, _)| k)
        .collect();
    if stops.is_empty() {
        return raws;
    }
    let margin = 2 * bucket_seconds * SEC;
    let mut probes = Vec::new();
    for &k in &stops {
        let (s, e) = (raws[k].start, raws[k].end);
        let mid = s + (e - s) / 2;
        probes.push((s - margin, mid));
        probes.push((mid + 1, e + margin));
    }
    let counted = a.reread.count(&probes);
    if !counted.left_out.is_empty() {
        return raws;
    }
    let counts = counted.windows;
    for (n, &k) in stops.iter().enumerate() {
        let before = counts.get(2 * n).and_then(|c| c.last);
        let after = counts.get(2 * n + 1).and_then(|c| c.first);
        if let (Some(b), Some(f)) = (before, after) {
            let r = &mut raws[k];
            r.start = b;
            r.end = f.max(b);
            r.mitigated = Some(r.end);
            r.edges_exact = true;
            if let Some(p) = r.parts.first_mut() {
                p.start = r.start;
                p.end = r.end;
            }
        }
    }
    raws
}

/// Longest step back [`detect::extend_start`] takes over failures, unless
/// the incident's own failures are further apart.
const ONSET_MAX_GAP_SECONDS: f64 = 60.0;
/// How far back the onset may move from the change point.
const ONSET_MAX_SECONDS: i64 = 300;

/// The start moved back over the ramp of failures before the dense ones,
/// looking only at the backends behind most of the failures (when some
/// are), and stepping at most a tenth of their usual time between failures.
fn onset(a: &Analysis, raw: &Raw, floor: Micros) -> Micros {
    let series = &a.series;
    let (start, end) = (raw.start, raw.end);
    let mut by_backend: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (_, b) in series.present(series.key(start), series.key(end)) {
        for (name, c) in &b.backends {
            let e = by_backend.entry(name.to_string()).or_default();
            e.0 += c.requests;
            e.1 += c.failed;
        }
    }
    let failed_total: u64 = by_backend.values().map(|c| c.1).sum();
    let dominant: Vec<String> = by_backend
        .iter()
        .filter(|(_, c)| failed_total > 0 && c.1 * 10 >= failed_total * 3)
        .map(|(n, _)| n.clone())
        .collect();
    let backends = (!dominant.is_empty()).then_some(dominant.as_slice());
    // Their usual failure rate: the hour before, per second.
    let hour_ago = start - 3600 * SEC;
    let (mut failed, mut seconds) = (0u64, 0i64);
    for (_, b) in series.present(series.key(hour_ago), series.key(start) - 1) {
        if b.requests == 0 {
            continue;
        }
        seconds += series.bucket_seconds;
        failed += match backends {
            Some(list) => list
                .iter()
                .filter_map(|n| b.backends.get(n.as_str()))
                .map(|c| c.failed)
                .sum::<u64>(),
            None => b.failed,
        };
    }
    let rate = if seconds > 0 {
        failed as f64 / seconds as f64
    } else {
        0.0
    };
    let f = a.failures.seconds_of(backends);
    // With thin traffic even the incident's failures are far apart: allow
    // steps of five times their usual spacing early in the incident (the
    // chance of taking in a stray failure stays below a tenth, by the cap
    // from the usual failure rate).
    let early: Vec<i64> = f
        .seconds
        .range(start.div_euclid(SEC)..=(start + 600 * SEC).min(end).div_euclid(SEC))
        .map(|(s, _)| *s)
        .collect();
    let mut spacing: Vec<f64> = early.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let ramp_cap = detect::median(&mut spacing)
        .map(|m| (5.0 * m).max(ONSET_MAX_GAP_SECONDS))
        .unwrap_or(ONSET_MAX_GAP_SECONDS);
    let gap = if rate > 0.0 {
        (0.1 / rate).min(ramp_cap)
    } else {
        ramp_cap
    };
    detect::extend_start(
        &f,
        start,
        (gap * SEC as f64) as Micros,
        floor.max(start - ONSET_MAX_SECONDS * SEC),
    )
}

/// Windows from the request logs: error ratio and traffic loss.
fn request_windows(a: &Analysis, slo: f64, within: Option<(i64, i64)>) -> (Vec<Raw>, Grid, Method) {
    let series = &a.series;
    let mut warnings = Vec::new();
    let (lo, hi) = series.key_range().unwrap_or((0, 0));
    let (k0, k1) = match within {
        Some(range) => range,
        None => core_range(series, |b| b.requests, "requests", &mut warnings).unwrap_or((lo, hi)),
    };
    let mut counts: Vec<f64> = series
        .present(k0, k1)
        .into_iter()
        .map(|(_, b)| b.requests as f64)
        .filter(|&n| n > 0.0)
        .collect();
    let typical = detect::median(&mut counts).unwrap_or(0.0);
    let thin = detect::thin_traffic_factor(series.bucket_seconds, typical);
    if thin > 1 {
        warnings.push(format!(
            "traffic is thin (median {} requests per {}): detection used {} buckets",
            typical.round(),
            format_duration(series.bucket_seconds),
            format_duration(series.bucket_seconds * thin)
        ));
    }
    let factor = thin.max(span_factor(
        k1 - k0 + 1,
        series.bucket_seconds,
        &mut warnings,
    ));
    let grid = Grid::from_series(series, factor, k0.div_euclid(factor), k1.div_euclid(factor));
    let failed = a.failures.seconds();
    let (stretches, baseline) = detect::error_stretches(&grid.points, slo);
    if baseline.from_floor {
        warnings.push(format!(
            "no clean stretch of traffic to learn a baseline from (the error ratio is high nearly throughout): judged against the SLO's floor, {:.2}% failed (SLO {}%)",
            100.0 * baseline.floors.enter,
            (slo * 1e6).round() / 1e4
        ));
    } else if baseline.buckets < 10 {
        warnings.push(format!(
            "only {} bucket(s) of normal traffic to learn the baseline from: thresholds are rough",
            baseline.buckets
        ));
    }
    let mut raws = Vec::new();
    let mut floor = 0;
    for s in &stretches {
        // The onset is the first sustained departure from the baseline,
        // which may come before the first hot bucket (a slow burn, a first
        // burst before a calmer spell).
        let first = detect::sustained_onset(&grid.points, s.first, floor, &baseline);
        let s = detect::Stretch { first, ..*s };
        floor = s.last + 1;
        if let Some(raw) = error_raw(&grid, failed, &s, &baseline) {
            raws.push(raw);
        }
    }
    raws.extend(signal_windows(a, &grid, factor, slo, &stretches));

    // Traffic loss, overall and per request log (one of several front
    // servers can die while the others carry on).
    let min_buckets = ((detect::LOSS_MIN_SECONDS + grid.bucket_seconds - 1) / grid.bucket_seconds)
        .max(2) as usize;
    let total: Vec<u64> = grid.points.iter().map(|p| p.requests).collect();
    let mut loss_windows: Vec<(Micros, Micros)> = Vec::new();
    for loss in detect::traffic_losses(&total, min_buckets) {
        let (start, end) = detect::loss_edges(&grid, &total, &loss);
        loss_windows.push((start, end));
        raws.push(loss_raw(&grid, start, end, &loss, None));
    }
    let sources = &a.source_series;
    if sources.len() >= 2 {
        for (source, source_series) in sources {
            // Within the detection range: a stray timestamp in one file
            // must not make its grid years long.
            let Some((s0, s1)) = source_series
                .key_range()
                .map(|(x, y)| (x.max(k0), y.min(k1)))
                .filter(|(x, y)| x <= y)
                .map(|(x, y)| (x.div_euclid(factor), y.div_euclid(factor)))
            else {
                continue;
            };
            let g = Grid::from_series(source_series, factor, s0, s1);
            let Some((f0, f1)) = g.request_range() else {
                continue;
            };
            let counts: Vec<u64> = g.points.iter().map(|p| p.requests).collect();
            for loss in detect::traffic_losses(&counts, min_buckets) {
                if loss.first < f0 || loss.last > f1 {
                    continue;
                }
                let (start, end) = detect::loss_edges(&g, &counts, &loss);
                if loss_windows.iter().any(|&(s, e)| start <= e && end >= s) {
                    continue;
                }
                raws.push(loss_raw(&g, start, end, &loss, Some(source.clone())));
            }
        }
    }
    raws.sort_by_key(|r| (r.start, r.end));
    let method = Method {
        mode: IncidentKind::ErrorRatio,
        bucket_seconds: grid.bucket_seconds,
        series_bucket_seconds: series.bucket_seconds,
        slo,
        baseline: Some(baseline),
        error_baseline: None,
        warnings,
    };
    (raws, grid, method)
}

/// The detection range: the bulk of the data by `weight`, leaving out
/// strays years away (see [`Series::core`]) so that they neither stretch
/// the grid into uselessly wide buckets nor hide the outage. Says in
/// `warnings` what was left out.
fn core_range(
    series: &Series,
    weight: impl Fn(&crate::series::Bucket) -> u64,
    what: &str,
    warnings: &mut Vec<String>,
) -> Option<(i64, i64)> {
    let core = series.core(weight)?;
    if let Some(s) = core.strays {
        let at = |k: i64| format_rfc3339(series.bucket_start(k));
        warnings.push(format!(
            "{} {what} dated far from the rest of the logs (between {} and {}) were left out of detection: check the clocks of their hosts",
            s.weight,
            at(s.first),
            at(s.last + 1)
        ));
    }
    Some((core.first, core.last))
}

/// Buckets of the series per detection bucket so that a very long time
/// range (a stray timestamp years off) stays a bounded grid.
fn span_factor(span: i64, bucket_seconds: i64, warnings: &mut Vec<String>) -> i64 {
    let f = (span + detect::MAX_GRID_BUCKETS - 1) / detect::MAX_GRID_BUCKETS;
    if f > 1 {
        warnings.push(format!(
            "the logs span {}: detection used {} buckets",
            format_duration(span * bucket_seconds),
            format_duration(bucket_seconds * f)
        ));
    }
    f.max(1)
}

/// An error-ratio stretch with exact edges, or `None` for a blip.
fn error_raw(grid: &Grid, failed: &FailedSeconds, s: &Stretch, baseline: &Baseline) -> Option<Raw> {
    stretch_raw(&Signal::Errors, grid, Some(failed), s, baseline)
}

/// A stretch of `signal` as a window, its edges refined to the bad request
/// with the per-second table `bad` when there is one (else bucket edges),
/// or `None` for a blip.
fn stretch_raw(
    signal: &Signal,
    grid: &Grid,
    bad: Option<&FailedSeconds>,
    s: &Stretch,
    baseline: &Baseline,
) -> Option<Raw> {
    let refined = bad.and_then(|f| detect::refine_edges(grid, f, s, baseline));
    let (start, end) = refined.unwrap_or((grid.start(s.first), grid.end(s.last) - SEC));
    if end - start < detect::MIN_DURATION_SECONDS * SEC
        || signals::excess(grid, s, baseline) < detect::MIN_EXCESS_FAILED
    {
        return None;
    }
    let mitigated = grid.start(s.last_hot + 1).clamp(start, end);
    let kind = signal.kind();
    let mut part = Part::new(kind, start, end);
    match signal {
        Signal::Backend(name) => part.backend = Some(name.clone()),
        Signal::Refusals(status) => part.status = Some(*status),
        _ => {}
    }
    Some(Raw {
        kind,
        signals: vec![signal.clone()],
        start,
        end,
        mitigated: Some(mitigated),
        onset_ratio: grid.points.get(s.first).and_then(|p| p.ratio()),
        open_ended: s.open_ended,
        open_start: s.open_start,
        edges_exact: refined.is_some(),
        parts: vec![part],
    })
}

/// Windows from the signals besides the fleet's error ratio: each backend
/// on its own (a part of the fleet failing), refusals, slow requests.
/// `fleet` are the fleet's error stretches on `grid` (left out of the
/// usual latency).
fn signal_windows(a: &Analysis, grid: &Grid, factor: i64, slo: f64, fleet: &[Stretch]) -> Vec<Raw> {
    let series = &a.series;
    let (k0, k1) = (
        grid.first_key,
        grid.first_key + grid.points.len() as i64 - 1,
    );
    let (s0, s1) = (
        k0.saturating_mul(factor),
        k1.saturating_mul(factor) + factor - 1,
    );
    let mut out = Vec::new();
    for name in signals::watched_backends(series, s0, s1) {
        let signal = Signal::Backend(name.clone());
        let g = signal.grid(series, factor, k0, k1);
        let (found, base) = signals::stretches(&g.points, slo, signal.floors(slo));
        if found.is_empty() {
            continue;
        }
        let failed = a.failures.seconds_of(Some(std::slice::from_ref(&name)));
        for st in &found {
            out.extend(stretch_raw(&signal, &g, Some(&failed), st, &base));
        }
    }
    // Refusals and slow requests have no per-second table from the first
    // read: a second read of the stretches' neighbourhoods finds their
    // edges.
    let mut pending: Vec<(Signal, Grid, Vec<Stretch>, Baseline)> = Vec::new();
    let counted_as_failed = |status: u16| a.reread.failure.counts_status(status);
    for status in signals::watched_refusals(series, s0, s1, counted_as_failed) {
        let signal = Signal::Refusals(status);
        let g = signal.grid(series, factor, k0, k1);
        let (found, base) = signals::stretches(&g.points, slo, signal.floors(slo));
        if !found.is_empty() {
            pending.push((signal, g, found, base));
        }
    }
    if let Some((threshold, _)) = signals::slow_threshold(series, grid, fleet) {
        let signal = Signal::Slow(threshold);
        let g = signal.grid(series, factor, k0, k1);
        let (found, base) = signals::stretches(&g.points, slo, signal.floors(slo));
        if !found.is_empty() {
            pending.push((signal, g, found, base));
        }
    }
    for (signal, g, found, base) in pending {
        let around: Vec<(Micros, Micros)> = found
            .iter()
            .map(|st| signals::neighbourhood(&g, st))
            .collect();
        let counted = a.reread.count_by(&around, &signal.criterion(), true);
        for (i, st) in found.iter().enumerate() {
            let bad = counted.exact(i).map(signals::seconds_of);
            out.extend(stretch_raw(&signal, &g, bad.as_ref(), st, &base));
        }
    }
    out
}

fn loss_raw(
    grid: &Grid,
    start: Micros,
    end: Micros,
    loss: &detect::Loss,
    source: Option<String>,
) -> Raw {
    // Its edge buckets may hold the last and first requests.
    let inner = (loss.first + 1)..loss.last.max(loss.first + 1);
    let total_stop = !inner.is_empty()
        && grid
            .points
            .get(inner)
            .is_some_and(|p| p.iter().all(|p| p.requests == 0));
    Raw {
        kind: IncidentKind::TrafficLoss,
        signals: Vec::new(),
        start,
        end,
        mitigated: Some(end),
        onset_ratio: None,
        open_ended: false,
        open_start: false,
        edges_exact: false,
        parts: vec![Part {
            source,
            usual_per_second: Some(loss.expected / grid.bucket_seconds as f64),
            lost: loss.lost.round() as u64,
            total_stop,
            ..Part::new(IncidentKind::TrafficLoss, start, end)
        }],
    }
}

/// Windows without request logs: error-level messages and alert intervals.
fn app_windows(a: &Analysis, slo: f64, within: Option<(i64, i64)>) -> (Vec<Raw>, Grid, Method) {
    let series = &a.series;
    let (lo, hi) = series.key_range().unwrap_or((0, 0));
    let mut warnings = vec![
        "no load-balancer or access logs: incidents come from error-level application messages and alerts; edges are at bucket resolution".to_string(),
    ];
    let (lo, hi) = match within {
        Some(range) => range,
        None => core_range(
            series,
            |b| b.messages.saturating_add(b.requests),
            "records",
            &mut warnings,
        )
        .unwrap_or((lo, hi)),
    };
    let factor = span_factor(hi - lo + 1, series.bucket_seconds, &mut warnings);
    let grid = Grid::from_series(series, factor, lo.div_euclid(factor), hi.div_euclid(factor));
    let (stretches, base) = detect::app_error_stretches(&grid.points);
    let mut raws: Vec<Raw> = stretches
        .iter()
        .map(|s| {
            let (start, end) = template_edges(a, grid.start(s.first), grid.end(s.last) - SEC);
            Raw {
                kind: IncidentKind::ErrorsFromAppLogs,
                signals: Vec::new(),
                start,
                end,
                mitigated: Some(grid.start(s.last_hot + 1).clamp(start, end)),
                onset_ratio: None,
                open_ended: s.open_ended,
                open_start: s.open_start,
                edges_exact: false,
                parts: vec![Part::new(IncidentKind::ErrorsFromAppLogs, start, end)],
            }
        })
        .collect();
    // Alerts lag and linger: they only make a window where the error
    // messages did not.
    let from_errors: Vec<(Micros, Micros)> = raws.iter().map(|r| (r.start, r.end)).collect();
    for (start, end, name) in alert_intervals(&a.events) {
        if near_any(&from_errors, start, end) {
            continue;
        }
        raws.push(Raw {
            kind: IncidentKind::ErrorsFromAppLogs,
            signals: Vec::new(),
            start,
            end,
            mitigated: None,
            onset_ratio: None,
            open_ended: false,
            open_start: false,
            edges_exact: false,
            parts: vec![Part {
                alert: Some(name),
                ..Part::new(IncidentKind::ErrorsFromAppLogs, start, end)
            }],
        });
    }
    raws.sort_by_key(|r| (r.start, r.end));
    let method = Method {
        mode: IncidentKind::ErrorsFromAppLogs,
        bucket_seconds: grid.bucket_seconds,
        series_bucket_seconds: series.bucket_seconds,
        slo,
        baseline: None,
        error_baseline: Some(base),
        warnings,
    };
    (raws, grid, method)
}

/// Edges of an error-message stretch from the error templates behind it:
/// the first and last occurrence of the new templates (not seen in the
/// half hour before, in a log written before) that make up a good part of
/// the window's errors. Bucket edges stay when there are none.
fn template_edges(a: &Analysis, start: Micros, end: Micros) -> (Micros, Micros) {
    let look = 1800 * SEC;
    let errors = impact::error_messages(&a.series, start, end);
    let mut first_of: HashMap<&str, Micros> = HashMap::new();
    for i in &a.inputs {
        if let Some(f) = i.stats.first {
            first_of.insert(i.path.as_str(), f);
        }
    }
    let main: Vec<&TemplateSummary> = a
        .templates
        .iter()
        .filter(|t| t.seen.first >= start - look && t.seen.first <= end)
        .filter(|t| {
            first_of
                .get(t.source.as_str())
                .is_some_and(|&f| f < t.seen.first - 600 * SEC)
        })
        .filter(|t| t.seen.count >= 3 && t.seen.count * 10 >= errors)
        .collect();
    let first = main.iter().map(|t| t.seen.first).min();
    let last = main
        .iter()
        .map(|t| t.seen.last)
        .filter(|&l| l <= end + look)
        .max();
    match (first, last) {
        (Some(f), Some(l)) if l >= f => (f, l),
        (Some(f), _) if f <= end => (f, end),
        _ => (start, end),
    }
}

/// Crashes or downs repeated at least this many times (one run of the
/// timeline, no gap longer than the run gap) are a crash loop.
pub const FLAP_MIN: u64 = 3;

/// Crash loops and flapping servers: a crash, or a server going down,
/// again and again in one run makes a window from the first crash to the
/// last recovery of the same thing after it (its `UP`, its `ready`). A
/// steady crasher (the same run of crashes also in the hour before) is
/// background, not an incident.
/// Whether an event is a crash loop's run: crashes or downs of one thing,
/// at least [`FLAP_MIN`] times over at least the shortest incident.
pub fn is_flapping(e: &Event) -> bool {
    e.kind == EventKind::Error
        && e.count >= FLAP_MIN
        && e.until
            .is_some_and(|until| until - e.at >= detect::MIN_DURATION_SECONDS * SEC)
        && super::suspects::is_crash_or_down(e)
}

fn flapping_windows(events: &[Event]) -> Vec<Raw> {
    let hour = 3600 * SEC;
    let gap = detect::MERGE_GAP_SECONDS * SEC;
    let mut out = Vec::new();
    for e in events {
        let Some(until) = e.until else { continue };
        if !is_flapping(e) {
            continue;
        }
        let steady = events.iter().any(|o| {
            let o_end = o.until.unwrap_or(o.at);
            o.origin == e.origin
                && o.key == e.key
                && o.source == e.source
                && o_end < e.at
                && o_end >= e.at - hour
        });
        if steady {
            continue;
        }
        let end = events
            .iter()
            .filter(|r| r.kind == EventKind::Recovery && !e.key.is_empty() && r.key == e.key)
            .filter(|r| r.at >= e.at && r.at <= until + gap)
            .map(|r| r.until.unwrap_or(r.at))
            .max()
            .unwrap_or(until)
            .max(until);
        let what = if e.key.is_empty() {
            format!("{} ({})", e.headline(), e.source)
        } else {
            e.key.clone()
        };
        out.push(Raw {
            kind: IncidentKind::CrashLoop,
            signals: Vec::new(),
            start: e.at,
            end,
            mitigated: Some(end),
            onset_ratio: None,
            open_ended: false,
            open_start: false,
            edges_exact: true,
            parts: vec![Part {
                crash_loop: Some(format!("{what}: {} times", e.count)),
                ..Part::new(IncidentKind::CrashLoop, e.at, end)
            }],
        });
    }
    out
}

/// Firing → resolved intervals of each alert of severity error or worse
/// (firing alone: its last notification), whether it came from an alert
/// notification or a line a pattern calls an alert. Warnings (a
/// certificate expiring in two weeks) are not outages.
pub fn alert_intervals(events: &[Event]) -> Vec<(Micros, Micros, String)> {
    // Fields that change between an alert's firing and resolved notices.
    const VOLATILE: &[&str] = &["notified_at", "started_at", "level", "state"];
    let identity = |e: &Event| {
        let mut f = e.fields.clone();
        f.retain(|k, _| !VOLATILE.contains(&k.as_str()));
        (e.source.clone(), f)
    };
    let mut out = Vec::new();
    for e in events
        .iter()
        .filter(|e| e.kind == EventKind::Alert && e.severity >= Severity::Error)
    {
        let id = identity(e);
        let resolved = events
            .iter()
            .filter(|r| r.kind == EventKind::Recovery && r.at >= e.at && identity(r) == id)
            .map(|r| r.at)
            .min();
        let end = resolved.or(e.until).unwrap_or(e.at);
        let name = e.fields.get("alertname").cloned().unwrap_or_default();
        out.push((e.at, end.max(e.at), name));
    }
    out
}

/// Merges windows closer than [`detect::MERGE_GAP_SECONDS`].
/// Merges windows closer than [`detect::MERGE_GAP_SECONDS`]. The
/// incident's kind is the first of its windows' kinds (errors before
/// refusals before latency before crash loops before traffic loss); its
/// edges are those of the windows of that kind (errors, traffic loss and
/// application errors together), the others stay as parts: slow requests
/// before a backend starts failing do not move the start of an error
/// incident, nor does a crash loop that made users see failures (their
/// first and last failure are the impact's edges).
fn merge(mut raws: Vec<Raw>) -> Vec<Raw> {
    raws.sort_by_key(|r| (r.start, r.end));
    let gap = detect::MERGE_GAP_SECONDS * SEC;
    let mut clusters: Vec<Vec<Raw>> = Vec::new();
    let mut reach = Micros::MIN;
    for r in raws {
        match clusters.last_mut() {
            Some(c) if r.start.saturating_sub(reach) <= gap => {
                reach = reach.max(r.end);
                c.push(r);
            }
            _ => {
                reach = r.end;
                clusters.push(vec![r]);
            }
        }
    }
    clusters.into_iter().filter_map(combine).collect()
}

/// The kinds whose windows define an incident's edges together.
fn joint_edges(kind: IncidentKind) -> bool {
    matches!(
        kind,
        IncidentKind::ErrorRatio | IncidentKind::TrafficLoss | IncidentKind::ErrorsFromAppLogs
    )
}

/// One incident window from a cluster of close windows (in start order).
fn combine(members: Vec<Raw>) -> Option<Raw> {
    let kind = members.iter().map(|r| r.kind).min()?;
    let defines = |k: IncidentKind| {
        if joint_edges(kind) {
            joint_edges(k)
        } else {
            k == kind
        }
    };
    let mut out: Option<Raw> = None;
    let mut context = Vec::new();
    let mut found_by = Vec::new();
    for r in members {
        for s in &r.signals {
            if !found_by.contains(s) {
                found_by.push(s.clone());
            }
        }
        if !defines(r.kind) {
            context.extend(r.parts);
            continue;
        }
        let Some(cur) = out.as_mut() else {
            out = Some(r);
            continue;
        };
        if r.end > cur.end {
            cur.end = r.end;
            cur.open_ended = r.open_ended;
        }
        cur.mitigated = match (cur.mitigated, r.mitigated) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        if r.start < cur.start {
            cur.start = r.start;
            cur.open_start = r.open_start;
        }
        if cur.onset_ratio.is_none() {
            cur.onset_ratio = r.onset_ratio;
        }
        cur.edges_exact &= r.edges_exact;
        cur.parts.extend(r.parts);
    }
    let mut cur = out?;
    cur.kind = kind;
    cur.signals = found_by;
    cur.parts.extend(context);
    cur.parts.sort_by_key(|p| (p.start, p.end));
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(kind: IncidentKind, s: i64, e: i64) -> Raw {
        Raw {
            kind,
            signals: Vec::new(),
            start: s * SEC,
            end: e * SEC,
            mitigated: Some(e * SEC),
            onset_ratio: None,
            open_ended: false,
            open_start: false,
            edges_exact: true,
            parts: vec![],
        }
    }

    #[test]
    fn close_windows_merge() {
        let m = merge(vec![
            raw(IncidentKind::ErrorRatio, 0, 600),
            raw(IncidentKind::TrafficLoss, 1000, 1500),
            raw(IncidentKind::ErrorRatio, 3000, 3600),
        ]);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].start, m[0].end), (0, 1500 * SEC));
        assert_eq!(m[0].kind, IncidentKind::ErrorRatio);
        assert_eq!(m[0].mitigated, Some(1500 * SEC));
    }
}
