//! Incidents: the windows [`detect`](crate::detect) finds, each measured
//! ([`impact`](crate::impact)) and explained ([`suspects`](crate::suspects)),
//! ranked by impact; their JSON, their timeline markers and the postmortem
//! draft.
//!
//! This is the public API the command line uses: [`find_incidents`],
//! [`incidents_json`], [`marker_events`], [`render_report`].

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use crate::detect::{self, Baseline, ErrorBaseline, FailedSeconds, Grid, Stretch};
use crate::event::{EventKind, Severity};
use crate::impact::{self, Impact, Latency, Metrics};
use crate::scan::FAILED_REQUESTS;
use crate::series::Series;
use crate::suspects::{self, EventRef, Evidence, Suspect, SuspectInput};
use crate::time::{format_clock, format_duration, format_rfc3339, Micros, SEC};
use crate::timeline::{group_thousands, Event};
use crate::Analysis;

/// An alert that fired this long before impact began still counts as
/// detecting it (the alert's own window may have started it early).
pub const DETECT_LOOKBACK_SECONDS: i64 = 300;

/// What an incident was detected from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IncidentKind {
    /// The load balancer's error ratio rose.
    ErrorRatio,
    /// Traffic stopped or collapsed far below its usual rate.
    TrafficLoss,
    /// No request logs: error-level application messages and alerts.
    ErrorsFromAppLogs,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::ErrorRatio => "errors",
            IncidentKind::TrafficLoss => "traffic_loss",
            IncidentKind::ErrorsFromAppLogs => "errors_from_app_logs",
        }
    }
}

/// One of the stretches an incident was merged from.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub kind: IncidentKind,
    pub start: Micros,
    pub end: Micros,
    /// For traffic loss in one input only: that input.
    pub source: Option<String>,
    /// For traffic loss: the usual requests per second around it.
    pub usual_per_second: Option<f64>,
    /// For traffic loss: requests that did not arrive.
    pub lost: u64,
    /// For alert intervals: the alert.
    pub alert: Option<String>,
    /// For traffic loss: not a single request inside the stretch (its edge
    /// buckets aside).
    pub total_stop: bool,
}

/// The first alert that fired for an incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Detected {
    pub at: Micros,
    pub alert: String,
    pub source: String,
    pub line: u64,
}

/// The worst bucket of an incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Peak {
    pub at: Micros,
    pub error_ratio: Option<f64>,
    pub requests: u64,
    pub failed: u64,
    pub errors: u64,
    pub bucket_seconds: i64,
}

/// How the incidents were found: the same for all incidents of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    /// `error_ratio` (request logs) or `errors_from_app_logs`.
    pub mode: IncidentKind,
    /// Width of the detection buckets (wider than the series' for thin traffic).
    pub bucket_seconds: i64,
    pub series_bucket_seconds: i64,
    pub slo: f64,
    pub baseline: Option<Baseline>,
    pub error_baseline: Option<ErrorBaseline>,
    /// Notes on the data (thin traffic, little baseline).
    pub warnings: Vec<String>,
}

/// One incident, measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// Chronological number, from 1.
    pub id: usize,
    /// Order by impact, from 1.
    pub rank: usize,
    pub kind: IncidentKind,
    /// First failed request of the anomalous stretch (or the estimated
    /// moment traffic stopped).
    pub start: Micros,
    /// Last failed request before the ratio returned to normal for good.
    pub end: Micros,
    /// Whether `start` and `end` are observed requests (else estimates or
    /// bucket edges).
    pub edges_exact: bool,
    /// The logs end before the incident did.
    pub open_ended: bool,
    pub detected: Option<Detected>,
    pub peak: Option<Peak>,
    pub mitigated: Option<Micros>,
    pub metrics: Metrics,
    pub impact: Impact,
    /// Error ratio of the first anomalous bucket.
    pub onset_ratio: Option<f64>,
    pub suspects: Vec<Suspect>,
    pub likely_fix: Option<EventRef>,
    pub parts: Vec<Part>,
    pub warnings: Vec<String>,
    pub method: Method,
}

impl Incident {
    pub fn duration_seconds(&self) -> i64 {
        (self.end - self.start).div_euclid(SEC)
    }
}

/// A window before measuring.
#[derive(Clone, Debug)]
struct Raw {
    kind: IncidentKind,
    start: Micros,
    end: Micros,
    mitigated: Option<Micros>,
    onset_ratio: Option<f64>,
    open_ended: bool,
    edges_exact: bool,
    parts: Vec<Part>,
}

/// The SLO as a fraction, from a percentage (99.9) or a fraction (0.999).
fn slo_fraction(slo: f64) -> f64 {
    let f = if slo > 1.0 { slo / 100.0 } else { slo };
    if f.is_finite() && f > 0.0 && f < 1.0 {
        f
    } else {
        0.999
    }
}

/// Whether a file's requests are counted: request logs (load balancers,
/// proxies, web servers), or any file logging requests when there is no
/// request log (as [`crate::analyze`] builds the series).
pub fn counts_requests(a: &Analysis, r: &crate::scan::FileResult) -> bool {
    if crate::is_request_log(r) {
        return true;
    }
    r.partial.series.total_requests() > 0 && !a.results.iter().any(crate::is_request_log)
}

/// Failed requests per second over all request logs.
fn failed_seconds(a: &Analysis) -> FailedSeconds {
    failed_seconds_of(a, None)
}

/// Failed requests per second through some backends (all when `None`).
fn failed_seconds_of(a: &Analysis, backends: Option<&[String]>) -> FailedSeconds {
    let mut f = FailedSeconds::default();
    for r in a.results.iter().filter(|r| counts_requests(a, r)) {
        for (key, seconds) in &r.partial.runs {
            if key.pattern != FAILED_REQUESTS {
                continue;
            }
            if backends.is_some_and(|b| !b.contains(&key.key)) {
                continue;
            }
            for (&sec, agg) in seconds {
                f.add(sec, agg.count, agg.first, agg.last);
            }
        }
    }
    f
}

/// Finds, measures and ranks the incidents (most impactful first). `slo`
/// is the objective in percent (99.9).
pub fn find_incidents(a: &Analysis, slo: f64) -> Vec<Incident> {
    let slo = slo_fraction(slo);
    let series = &a.series;
    if series.is_empty() {
        return Vec::new();
    }
    let from_lb = a.results.iter().any(crate::is_request_log);
    let (raws, grid, method) = if from_lb {
        request_windows(a, slo)
    } else if series.total_requests() > 0 {
        // Requests only from application logs: they rarely see what the
        // load balancer failed, so their error messages count too.
        let (mut raws, grid, mut method) = request_windows(a, slo);
        let (app_raws, _, app_method) = app_windows(a, slo);
        raws.extend(app_raws);
        method.error_baseline = app_method.error_baseline;
        method.warnings.push(
            "no load-balancer or access logs: requests come from application logs, and error-level messages and alerts count too".to_string(),
        );
        (raws, grid, method)
    } else {
        app_windows(a, slo)
    };
    let raws = exact_stops(a, raws, grid.bucket_seconds);
    let mut raws = merge(raws);
    if raws.is_empty() {
        return Vec::new();
    }
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
    let windows: Vec<(Micros, Micros)> = raws.iter().map(|r| (r.start, r.end)).collect();
    let request_mode = method.mode != IncidentKind::ErrorsFromAppLogs;
    let (clients, left_out) = if request_mode {
        a.count_clients(&windows)
    } else {
        (Vec::new(), Vec::new())
    };
    let failed = failed_seconds(a);
    let mut source_first: HashMap<String, Micros> = HashMap::new();
    for i in &a.inputs {
        if let Some(f) = i.stats.first {
            source_first.insert(i.path.clone(), f);
        }
    }
    let mut out = Vec::new();
    for (idx, raw) in raws.into_iter().enumerate() {
        let others: Vec<(Micros, Micros)> = windows
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != idx)
            .map(|(_, w)| *w)
            .collect();
        let exact = clients.get(idx).copied().filter(|_| left_out.is_empty());
        out.push(measure(
            a,
            &grid,
            &method,
            &failed,
            raw,
            exact,
            &left_out,
            &windows,
            &others,
            &source_first,
            idx + 1,
        ));
    }
    // Rank by impact: failed plus lost requests (error messages without
    // request logs); earlier first on ties.
    let mut order: Vec<usize> = (0..out.len()).collect();
    let weight = |i: &Incident| {
        if request_mode {
            i.impact.requests_failed + i.impact.requests_lost
        } else {
            i.impact.error_messages
        }
    };
    order.sort_by(|&x, &y| {
        weight(&out[y])
            .cmp(&weight(&out[x]))
            .then(out[x].start.cmp(&out[y].start))
    });
    let mut ranked: Vec<Incident> = Vec::with_capacity(out.len());
    for (r, &i) in order.iter().enumerate() {
        let mut inc = out[i].clone();
        inc.rank = r + 1;
        ranked.push(inc);
    }
    ranked
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
    let (counts, left_out) = a.count_clients(&probes);
    if !left_out.is_empty() {
        return raws;
    }
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
    let f = failed_seconds_of(a, backends);
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
fn request_windows(a: &Analysis, slo: f64) -> (Vec<Raw>, Grid, Method) {
    let series = &a.series;
    let mut warnings = Vec::new();
    let (lo, hi) = series.key_range().unwrap_or((0, 0));
    let (k0, k1) =
        core_range(series, |b| b.requests, "requests", &mut warnings).unwrap_or((lo, hi));
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
    let failed = failed_seconds(a);
    let (stretches, baseline) = detect::error_stretches(&grid.points, slo);
    if baseline.buckets < 10 {
        warnings.push(format!(
            "only {} bucket(s) of normal traffic to learn the baseline from: thresholds are rough",
            baseline.buckets
        ));
    }
    let mut raws = Vec::new();
    for s in &stretches {
        if let Some(raw) = error_raw(&grid, &failed, s, &baseline) {
            raws.push(raw);
        }
    }

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
    let sources: Vec<&crate::scan::FileResult> =
        a.results.iter().filter(|r| counts_requests(a, r)).collect();
    if sources.len() >= 2 {
        for r in sources {
            // Within the detection range: a stray timestamp in one file
            // must not make its grid years long.
            let Some((s0, s1)) = r
                .partial
                .series
                .key_range()
                .map(|(x, y)| (x.max(k0), y.min(k1)))
                .filter(|(x, y)| x <= y)
                .map(|(x, y)| (x.div_euclid(factor), y.div_euclid(factor)))
            else {
                continue;
            };
            let g = Grid::from_series(&r.partial.series, factor, s0, s1);
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
                raws.push(loss_raw(
                    &g,
                    start,
                    end,
                    &loss,
                    Some(r.file.display.clone()),
                ));
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
    let refined = detect::refine_edges(grid, failed, s, baseline);
    let (start, end) = refined.unwrap_or((grid.start(s.first), grid.end(s.last) - SEC));
    let (mut req, mut fail) = (0.0, 0.0);
    for p in grid.points.get(s.first..=s.last).unwrap_or(&[]) {
        req += p.requests as f64;
        fail += p.failed as f64;
    }
    let excess = fail - baseline.pooled * req;
    if end - start < detect::MIN_DURATION_SECONDS * SEC || excess < detect::MIN_EXCESS_FAILED {
        return None;
    }
    let mitigated = grid.start(s.last_hot + 1).clamp(start, end);
    Some(Raw {
        kind: IncidentKind::ErrorRatio,
        start,
        end,
        mitigated: Some(mitigated),
        onset_ratio: grid.points.get(s.first).and_then(|p| p.ratio()),
        open_ended: s.open_ended,
        edges_exact: refined.is_some(),
        parts: vec![Part {
            kind: IncidentKind::ErrorRatio,
            start,
            end,
            source: None,
            usual_per_second: None,
            lost: 0,
            alert: None,
            total_stop: false,
        }],
    })
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
        start,
        end,
        mitigated: Some(end),
        onset_ratio: None,
        open_ended: false,
        edges_exact: false,
        parts: vec![Part {
            kind: IncidentKind::TrafficLoss,
            start,
            end,
            source,
            usual_per_second: Some(loss.expected / grid.bucket_seconds as f64),
            lost: loss.lost.round() as u64,
            alert: None,
            total_stop,
        }],
    }
}

/// Windows without request logs: error-level messages and alert intervals.
fn app_windows(a: &Analysis, slo: f64) -> (Vec<Raw>, Grid, Method) {
    let series = &a.series;
    let (lo, hi) = series.key_range().unwrap_or((0, 0));
    let mut warnings = vec![
        "no load-balancer or access logs: incidents come from error-level application messages and alerts; edges are at bucket resolution".to_string(),
    ];
    let (lo, hi) = core_range(
        series,
        |b| b.messages.saturating_add(b.requests),
        "records",
        &mut warnings,
    )
    .unwrap_or((lo, hi));
    let factor = span_factor(hi - lo + 1, series.bucket_seconds, &mut warnings);
    let grid = Grid::from_series(series, factor, lo.div_euclid(factor), hi.div_euclid(factor));
    let (stretches, base) = detect::app_error_stretches(&grid.points);
    let mut raws: Vec<Raw> = stretches
        .iter()
        .map(|s| {
            let (start, end) = template_edges(a, grid.start(s.first), grid.end(s.last) - SEC);
            Raw {
                kind: IncidentKind::ErrorsFromAppLogs,
                start,
                end,
                mitigated: Some(grid.start(s.last_hot + 1).clamp(start, end)),
                onset_ratio: None,
                open_ended: s.open_ended,
                edges_exact: false,
                parts: vec![Part {
                    kind: IncidentKind::ErrorsFromAppLogs,
                    start,
                    end,
                    source: None,
                    usual_per_second: None,
                    lost: 0,
                    alert: None,
                    total_stop: false,
                }],
            }
        })
        .collect();
    // Alerts lag and linger: they only make a window where the error
    // messages did not.
    let gap = detect::MERGE_GAP_SECONDS * SEC;
    let from_errors: Vec<(Micros, Micros)> = raws.iter().map(|r| (r.start, r.end)).collect();
    for (start, end, name) in alert_intervals(&a.events) {
        if from_errors
            .iter()
            .any(|&(s, e)| start <= e + gap && end + gap >= s)
        {
            continue;
        }
        raws.push(Raw {
            kind: IncidentKind::ErrorsFromAppLogs,
            start,
            end,
            mitigated: None,
            onset_ratio: None,
            open_ended: false,
            edges_exact: false,
            parts: vec![Part {
                kind: IncidentKind::ErrorsFromAppLogs,
                start,
                end,
                source: None,
                usual_per_second: None,
                lost: 0,
                alert: Some(name),
                total_stop: false,
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
    let main: Vec<&crate::TemplateSummary> = a
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

/// Firing → resolved intervals of each alert of severity error or worse
/// (firing alone: its last notification). Warnings (a certificate expiring
/// in two weeks) are not outages.
pub fn alert_intervals(events: &[Event]) -> Vec<(Micros, Micros, String)> {
    let identity = |e: &Event| {
        let mut f = e.fields.clone();
        f.remove("notified_at");
        f.remove("started_at");
        (e.source.clone(), f)
    };
    let mut out = Vec::new();
    for e in events
        .iter()
        .filter(|e| e.pattern == "alert.firing" && e.severity >= Severity::Error)
    {
        let id = identity(e);
        let resolved = events
            .iter()
            .filter(|r| r.pattern == "alert.resolved" && r.at >= e.at && identity(r) == id)
            .map(|r| r.at)
            .min();
        let end = resolved.or(e.until).unwrap_or(e.at);
        let name = e.fields.get("alertname").cloned().unwrap_or_default();
        out.push((e.at, end.max(e.at), name));
    }
    out
}

/// Merges windows closer than [`detect::MERGE_GAP_SECONDS`].
fn merge(mut raws: Vec<Raw>) -> Vec<Raw> {
    raws.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Raw> = Vec::new();
    for r in raws {
        match out.last_mut() {
            Some(cur) if r.start - cur.end <= detect::MERGE_GAP_SECONDS * SEC => {
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
                }
                cur.kind = cur.kind.min(r.kind);
                if cur.onset_ratio.is_none() {
                    cur.onset_ratio = r.onset_ratio;
                }
                cur.edges_exact &= r.edges_exact;
                cur.parts.extend(r.parts);
            }
            _ => out.push(r),
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn measure(
    a: &Analysis,
    grid: &Grid,
    method: &Method,
    failed: &FailedSeconds,
    raw: Raw,
    exact: Option<crate::scan::ClientCounts>,
    left_out: &[String],
    all_windows: &[(Micros, Micros)],
    others: &[(Micros, Micros)],
    source_first: &HashMap<String, Micros>,
    id: usize,
) -> Incident {
    let series = &a.series;
    let (start, end) = (raw.start, raw.end);
    let request_mode = method.mode != IncidentKind::ErrorsFromAppLogs;
    let mut warnings = method.warnings.clone();

    // Counts within [start, end].
    let mut imp = Impact::default();
    if request_mode {
        match exact {
            Some(c) => {
                imp.requests_total = c.requests;
                imp.requests_failed = c.failed;
                imp.clients_total = Some(c.total);
                imp.clients_affected = Some(c.affected);
                imp.exact_counts = true;
            }
            None => {
                let (req, _) = impact::prorated_counts(series, start, end);
                imp.requests_total = req;
                imp.requests_failed = failed.count_between(start, end).min(req.max(1));
                if !left_out.is_empty() {
                    warnings.push(format!(
                        "clients not counted and requests estimated from minute buckets: {} could not be read a second time",
                        left_out.join(", ")
                    ));
                }
            }
        }
        imp.failed_pct = impact::percent(imp.requests_failed, imp.requests_total);
        imp.clients_affected_pct = match (imp.clients_affected, imp.clients_total) {
            (Some(x), Some(t)) => impact::percent(x, t),
            _ => None,
        };
        let pooled = method.baseline.as_ref().map(|b| b.pooled).unwrap_or(0.0);
        imp.baseline_failed_pct = Some(impact::round2(pooled * 100.0));
        imp.latency = impact::latency(series, start, end, all_windows);
        let usual = impact::usual_rate(series, start, all_windows).or_else(|| {
            method
                .baseline
                .as_ref()
                .filter(|b| b.rate > 0.0)
                .map(|b| b.rate / method.bucket_seconds as f64)
        });
        imp.usual_rate_per_second = usual.map(|u| (u * 1000.0).round() / 1000.0);
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
                .map(|u| {
                    impact::shortfall(u, (end - start) as f64 / SEC as f64, imp.requests_total)
                })
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
    imp.error_messages = impact::error_messages(series, start, end);

    // Detection: the first alert firing from a little before the start.
    let detected = a
        .events
        .iter()
        .filter(|e| e.pattern == "alert.firing")
        .filter(|e| e.at >= start - DETECT_LOOKBACK_SECONDS * SEC && e.at <= end)
        .min_by_key(|e| (e.at, e.source.clone(), e.line))
        .map(|e| Detected {
            at: e.at,
            alert: e.fields.get("alertname").cloned().unwrap_or_default(),
            source: e.source.clone(),
            line: e.line,
        });
    if let Some(d) = &detected {
        if d.at < start {
            warnings.push(format!(
                "the first alert ({}) fired {} before the first failed request: stated as logged, not adjusted",
                d.alert,
                format_duration((start - d.at).div_euclid(SEC))
            ));
        }
    }

    let peak = peak(grid, request_mode, &raw);
    let metrics = Metrics::new(start, end, detected.as_ref().map(|d| d.at), raw.mitigated);
    if raw.open_ended {
        warnings.push(
            format!(
                "the logs end before {} buckets of normal error ratio confirmed the end: the end is the last failed request logged",
                detect::EXIT_BUCKETS
            ),
        );
    }
    if raw.kind == IncidentKind::TrafficLoss {
        warnings.push(if raw.edges_exact {
            "traffic stopped: a server that is down logs nothing; start and end are the last request before the gap and the first after it".to_string()
        } else {
            "traffic fell far below its usual rate: a server that is down logs nothing, so start and end are estimated from the request rate".to_string()
        });
    }
    let (suspects, likely_fix) = suspects::rank(&SuspectInput {
        events: &a.events,
        templates: &a.templates,
        series,
        start,
        end,
        mitigated: raw.mitigated,
        other_windows: others,
        source_first,
    });
    Incident {
        id,
        rank: 0,
        kind: raw.kind,
        start,
        end,
        edges_exact: raw.edges_exact,
        open_ended: raw.open_ended,
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
        method: method.clone(),
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

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn time_value(t: Option<Micros>) -> Value {
    t.map(|t| json!(format_rfc3339(t))).unwrap_or(Value::Null)
}

fn opt<T: serde::Serialize>(v: Option<T>) -> Value {
    v.map(|x| json!(x)).unwrap_or(Value::Null)
}

fn event_ref_fields(m: &mut Map<String, Value>, e: &EventRef) {
    m.insert("at".into(), json!(format_rfc3339(e.at)));
    m.insert("source".into(), json!(e.source));
    m.insert("line".into(), json!(e.line));
    if !e.pattern.is_empty() {
        m.insert("pattern".into(), json!(e.pattern));
    }
    m.insert("message".into(), json!(e.message));
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

/// One incident as JSON, in the key order of DESIGN.md's schema, with
/// extras after.
pub fn incident_value(i: &Incident) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(i.id));
    m.insert("rank".into(), json!(i.rank));
    m.insert("kind".into(), json!(i.kind.as_str()));
    m.insert("start".into(), json!(format_rfc3339(i.start)));
    m.insert("end".into(), json!(format_rfc3339(i.end)));
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
                pk.insert("at".into(), json!(format_rfc3339(p.at)));
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
    m.insert(
        "parts".into(),
        Value::Array(
            i.parts
                .iter()
                .map(|p| {
                    json!({
                        "kind": p.kind.as_str(),
                        "start": format_rfc3339(p.start),
                        "end": format_rfc3339(p.end),
                        "source": p.source,
                        "alert": p.alert,
                        "usual_requests_per_second": p.usual_per_second.map(|u| (u * 1000.0).round() / 1000.0),
                        "requests_lost": p.lost,
                    })
                })
                .collect(),
        ),
    );
    m.insert("warnings".into(), json!(i.warnings));
    m.insert("method".into(), method_value(&i.method));
    Value::Object(m)
}

fn method_value(m: &Method) -> Value {
    let mut v = Map::new();
    v.insert("mode".into(), json!(m.mode.as_str()));
    v.insert("bucket_seconds".into(), json!(m.bucket_seconds));
    v.insert(
        "slo_pct".into(),
        json!(impact::round2(m.slo * 100.0 * 100.0) / 100.0),
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

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The `incidents` array of the timeline JSON.
pub fn incidents_json(incidents: &[Incident]) -> Value {
    Value::Array(incidents.iter().map(incident_value).collect())
}

/// A ratio as people read it: `34%`, `0.2%`, `0.05%`.
pub fn pct(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p == 0.0 {
        "0%".to_string()
    } else if p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else if p >= 0.1 {
        format!("{p:.2}%")
    } else {
        format!("{p:.3}%")
    }
}

/// Computed timeline events for each incident: IMPACT BEGINS, DETECTED,
/// PEAK, MITIGATED, IMPACT ENDS.
pub fn marker_events(incidents: &[Incident]) -> Vec<Event> {
    let mut out = Vec::new();
    let several = incidents.len() > 1;
    for i in incidents {
        let tag = if several {
            format!(" (incident {})", i.id)
        } else {
            String::new()
        };
        let baseline = i
            .impact
            .baseline_failed_pct
            .map(|b| format!(" (baseline {})", pct(b / 100.0)))
            .unwrap_or_default();
        let mut push = |at: Micros, name: &str, severity: Severity, text: String| {
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
                pattern: format!("marker.{name}"),
                message: text,
                title: None,
                fields,
            });
        };
        let begins = match i.kind {
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
            IncidentKind::ErrorsFromAppLogs => {
                "error messages well above their usual rate".to_string()
            }
            IncidentKind::ErrorRatio => match i.onset_ratio {
                Some(r) => format!("error ratio {}{baseline}", pct(r)),
                None => format!("failed requests rise{baseline}"),
            },
        };
        push(
            i.start,
            "impact_begins",
            Severity::Critical,
            format!("IMPACT BEGINS{tag} — {begins}"),
        );
        if let Some(d) = &i.detected {
            let rel = relative(d.at, i.start);
            push(
                d.at,
                "detected",
                Severity::Warning,
                format!("DETECTED{tag} — alert {} fired, {rel}", d.alert),
            );
        }
        if let Some(p) = &i.peak {
            let text = match (i.kind, p.error_ratio) {
                (IncidentKind::TrafficLoss, _) => format!(
                    "lowest traffic: {} requests in the {} from {}",
                    group_thousands(p.requests),
                    format_duration(p.bucket_seconds),
                    format_clock(p.at)
                ),
                (_, Some(r)) => format!(
                    "error ratio {} ({} of {} requests failed in the {} from {})",
                    pct(r),
                    group_thousands(p.failed),
                    group_thousands(p.requests),
                    format_duration(p.bucket_seconds),
                    format_clock(p.at)
                ),
                (_, None) => format!(
                    "{} error messages in the {} from {}",
                    group_thousands(p.errors),
                    format_duration(p.bucket_seconds),
                    format_clock(p.at)
                ),
            };
            push(
                p.at,
                "peak",
                Severity::Critical,
                format!("PEAK{tag} — {text}"),
            );
        }
        if let Some(m) = i.mitigated.filter(|_| i.kind != IncidentKind::TrafficLoss) {
            let text = match (&i.method.baseline, i.kind) {
                (Some(b), IncidentKind::ErrorRatio) => format!(
                    "error ratio below the entry threshold ({}) from here on",
                    pct(b.typical_thresholds().0)
                ),
                (_, IncidentKind::TrafficLoss) => "traffic back to its usual rate".to_string(),
                _ => "errors back below the entry threshold from here on".to_string(),
            };
            push(
                m,
                "mitigated",
                Severity::Info,
                format!("MITIGATED{tag} — {text}"),
            );
        }
        let ends = match i.kind {
            IncidentKind::ErrorsFromAppLogs => format!(
                "{} error messages over {}",
                group_thousands(i.impact.error_messages),
                format_duration(i.duration_seconds())
            ),
            _ => {
                let mut s = format!(
                    "{} of {} requests failed ({}) over {}",
                    group_thousands(i.impact.requests_failed),
                    group_thousands(i.impact.requests_total),
                    i.impact
                        .failed_pct
                        .map(|p| format!("{p:.2}%"))
                        .unwrap_or_else(|| "n/a".into()),
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
        };
        push(
            i.end,
            "impact_ends",
            Severity::Info,
            format!("IMPACT ENDS{tag} — {ends}"),
        );
    }
    crate::timeline::sort_events(&mut out);
    out
}

/// `3 min 30 s after impact began`, `40 s before impact began`.
pub fn relative(at: Micros, start: Micros) -> String {
    let d = (at - start).div_euclid(SEC);
    if d < 0 {
        format!("{} before impact began", format_duration(-d))
    } else if d == 0 {
        "as impact began".to_string()
    } else {
        format!("{} after impact began", format_duration(d))
    }
}

/// Lines for the top of the text timeline: each incident's window and impact.
pub fn preamble(incidents: &[Incident]) -> Vec<String> {
    let mut out = Vec::new();
    if incidents.is_empty() {
        out.push("No incident detected.".to_string());
        return out;
    }
    for i in incidents {
        let mut line = format!(
            "Incident {} (rank {}, {}): {} → {} UTC ({})",
            i.id,
            i.rank,
            i.kind.as_str(),
            crate::render::markdown::date_time(i.start),
            crate::render::markdown::date_time(i.end),
            format_duration(i.duration_seconds())
        );
        match i.kind {
            IncidentKind::ErrorsFromAppLogs => line.push_str(&format!(
                "; {} error messages",
                group_thousands(i.impact.error_messages)
            )),
            _ => {
                line.push_str(&format!(
                    "; {} of {} requests failed ({})",
                    group_thousands(i.impact.requests_failed),
                    group_thousands(i.impact.requests_total),
                    i.impact
                        .failed_pct
                        .map(|p| format!("{p:.2}%"))
                        .unwrap_or_else(|| "n/a".into())
                ));
                if let (Some(a), Some(t), Some(p)) = (
                    i.impact.clients_affected,
                    i.impact.clients_total,
                    i.impact.clients_affected_pct,
                ) {
                    line.push_str(&format!(
                        ", {} of {} clients affected ({p:.1}%)",
                        group_thousands(a),
                        group_thousands(t)
                    ));
                }
                if i.impact.requests_lost > 0 {
                    line.push_str(&format!(
                        ", about {} requests lost",
                        group_thousands(i.impact.requests_lost)
                    ));
                }
            }
        }
        out.push(line);
        let mut detail = Vec::new();
        match &i.detected {
            Some(d) => detail.push(format!(
                "first alert {} {}",
                d.alert,
                relative(d.at, i.start)
            )),
            None => detail.push("no alert fired".to_string()),
        }
        if let Some(s) = i.suspects.first() {
            detail.push(format!("top suspect: {}", s.why));
        }
        out.push(format!("  {}", detail.join("; ")));
    }
    out
}

/// The Markdown postmortem draft for the incident with id `selected` (the
/// top-ranked one when `None`). `command_line` is shown as the way to
/// reproduce the report.
pub fn render_report(
    analysis: &Analysis,
    incidents: &[Incident],
    selected: Option<usize>,
    command_line: &str,
) -> String {
    crate::render::markdown::report(analysis, incidents, selected, command_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(kind: IncidentKind, s: i64, e: i64) -> Raw {
        Raw {
            kind,
            start: s * SEC,
            end: e * SEC,
            mitigated: Some(e * SEC),
            onset_ratio: None,
            open_ended: false,
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

    #[test]
    fn slo_accepts_percent_or_fraction() {
        assert!((slo_fraction(99.9) - 0.999).abs() < 1e-12);
        assert_eq!(slo_fraction(0.99), 0.99);
        assert_eq!(slo_fraction(f64::NAN), 0.999);
    }

    #[test]
    fn pct_reads_well() {
        assert_eq!(pct(0.34), "34%");
        assert_eq!(pct(0.0021), "0.21%");
        assert_eq!(pct(0.05), "5.0%");
        assert_eq!(pct(0.0), "0%");
    }

    // ---- End to end on synthetic logs -------------------------------------

    /// A small deterministic random generator.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// 2024-03-09 00:00:00 UTC.
    const DAY: i64 = 1_709_942_400;

    fn clf_time(sec: i64) -> String {
        let (y, m, d) = crate::time::civil_from_days(sec.div_euclid(86_400));
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let sod = sec.rem_euclid(86_400);
        format!(
            "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
            months[(m - 1) as usize],
            sod / 3600,
            sod % 3600 / 60,
            sod % 60
        )
    }

    /// An nginx access log from `from` to `to` (seconds of the day) at
    /// `rate` requests per second; `fail(sec, backend)` gives the chance a
    /// request fails; `None` skips the second (no traffic).
    fn access_log(
        from: i64,
        to: i64,
        rate: f64,
        seed: u64,
        fail: impl Fn(i64, usize) -> Option<f64>,
    ) -> String {
        let mut rng = Lcg(seed);
        let mut out = String::new();
        let mut carry = 0.0;
        for sec in from..to {
            carry += rate;
            while carry >= 1.0 {
                carry -= 1.0;
                let backend = (rng.next() * 3.0) as usize;
                let Some(p) = fail(sec, backend) else {
                    continue;
                };
                let bad = rng.next() < p;
                let status = if bad { 502 } else { 200 };
                let client = (rng.next() * 400.0) as u32;
                out.push_str(&format!(
                    "203.0.{}.{} - - [{}] \"GET /api/orders HTTP/1.1\" {status} 512 \"-\" \"t\" 10.0.1.{}:8080 {status} 0.040 0.040\n",
                    client / 200,
                    client % 200 + 1,
                    clf_time(DAY + sec),
                    11 + backend
                ));
            }
        }
        out
    }

    fn analyze_files(files: &[(&str, String)]) -> (tempfile::TempDir, Analysis) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        // Compiling the built-in patterns is slow in debug builds: once.
        static OPTIONS: std::sync::OnceLock<crate::Options> = std::sync::OnceLock::new();
        let opts = OPTIONS.get_or_init(crate::Options::default);
        let a = crate::analyze(&[dir.path().to_string_lossy().into_owned()], opts).unwrap();
        (dir, a)
    }

    fn at(sec: i64) -> Micros {
        (DAY + sec) * SEC
    }

    #[test]
    fn two_incidents_ranked_by_impact() {
        // 08:00-14:00 at 5 req/s; 09:00:30-09:20:00 half of backend 0 fails,
        // 12:10:15-12:50:45 everything fails a third of the time.
        let log = access_log(8 * 3600, 14 * 3600, 5.0, 7, |s, b| {
            Some(if (9 * 3600 + 30..9 * 3600 + 1200).contains(&s) && b == 0 {
                0.5
            } else if (12 * 3600 + 615..12 * 3600 + 3045).contains(&s) {
                0.33
            } else {
                0.001
            })
        });
        let (_d, a) = analyze_files(&[("lb/access.log", log)]);
        let inc = find_incidents(&a, 99.9);
        assert_eq!(
            inc.len(),
            2,
            "{:#?}",
            inc.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>()
        );
        // The bigger one first, ids in time order.
        assert_eq!((inc[0].id, inc[0].rank), (2, 1));
        assert_eq!((inc[1].id, inc[1].rank), (1, 2));
        assert!((inc[0].start - at(12 * 3600 + 615)).abs() <= 5 * SEC);
        assert!(
            (inc[0].end - at(12 * 3600 + 3045)).abs() <= 10 * SEC,
            "{}",
            crate::time::format_rfc3339(inc[0].end)
        );
        assert!((inc[1].start - at(9 * 3600 + 30)).abs() <= 10 * SEC);
        assert!((inc[1].end - at(9 * 3600 + 1200)).abs() <= 20 * SEC);
        let fp = inc[0].impact.failed_pct.unwrap();
        assert!((fp - 33.0).abs() < 2.0, "{fp}");
        assert!(inc[0].impact.exact_counts);
        // Counts are exact: the same as counting the log.
        let i = &inc[0];
        assert_eq!(i.kind, IncidentKind::ErrorRatio);
        let json = incidents_json(&inc);
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
        // Markers for both, tagged with their incident.
        let markers = marker_events(&inc);
        assert_eq!(
            markers
                .iter()
                .filter(|m| m.pattern == "marker.impact_begins")
                .count(),
            2
        );
        assert!(markers[0]
            .message
            .starts_with("IMPACT BEGINS (incident 1) — error ratio"));
    }

    #[test]
    fn stray_timestamps_years_away_do_not_hide_the_outage() {
        // 08:00-10:00 with a third of requests failing 09:00-09:20, on two
        // front servers; one of them also logged a few lines with its
        // clock at 1970, and one line says 9999.
        let outage = |s: i64, _| {
            Some(if (9 * 3600..9 * 3600 + 1200).contains(&s) {
                0.33
            } else {
                0.001
            })
        };
        let a_log = access_log(8 * 3600, 10 * 3600, 3.0, 5, outage);
        let mut b_log = access_log(8 * 3600, 10 * 3600, 3.0, 6, outage);
        let stray = |when: &str| {
            format!("203.0.0.9 - - [{when}] \"GET / HTTP/1.1\" 200 1 \"-\" \"t\" 10.0.1.11:8080 200 0.040 0.040\n")
        };
        b_log.insert_str(0, &stray("01/Jan/1970:00:00:07 +0000").repeat(3));
        b_log.push_str(&stray("09/Mar/9999:08:30:07 +0000"));
        let started = std::time::Instant::now();
        let (_d, a) = analyze_files(&[("lb/a.log", a_log), ("lb/b.log", b_log)]);
        let inc = find_incidents(&a, 99.9);
        assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
        assert_eq!(
            inc.len(),
            1,
            "{:#?}",
            inc.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>()
        );
        assert!((inc[0].start - at(9 * 3600)).abs() <= 10 * SEC);
        assert!((inc[0].end - at(9 * 3600 + 1200)).abs() <= 20 * SEC);
        let method = &incidents_json(&inc)[0]["method"]["warnings"];
        assert!(
            method
                .to_string()
                .contains("4 requests dated far from the rest of the logs"),
            "{method}"
        );
        // The report and the JSON series stay bounded.
        let md = render_report(&a, &inc, None, "postmortem report logs/");
        assert!(md.len() < 200_000, "{}", md.len());
        let series = crate::render::json::series_value(&a);
        assert!(series["requests"].as_array().unwrap().len() <= 20_001);
    }

    #[test]
    fn quiet_day_with_blips_has_no_incident() {
        // A 20 s burst of failures straddling a minute boundary, and a 40 s
        // one inside a minute.
        let log = access_log(8 * 3600, 12 * 3600, 5.0, 11, |s, _| {
            Some(
                if (9 * 3600 + 50..9 * 3600 + 70).contains(&s)
                    || (10 * 3600 + 10..10 * 3600 + 50).contains(&s)
                {
                    0.9
                } else {
                    0.002
                },
            )
        });
        let (_d, a) = analyze_files(&[("lb/access.log", log)]);
        let inc = find_incidents(&a, 99.9);
        assert!(
            inc.is_empty(),
            "{:#?}",
            inc.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>()
        );
        let md = render_report(&a, &inc, None, "postmortem report logs/");
        assert!(md.contains("no incident detected"));
    }

    #[test]
    fn dead_server_is_traffic_loss() {
        let log = access_log(8 * 3600, 12 * 3600, 5.0, 3, |s, _| {
            if (10 * 3600..10 * 3600 + 1500).contains(&s) {
                None
            } else {
                Some(0.001)
            }
        });
        let (_d, a) = analyze_files(&[("lb/access.log", log)]);
        let inc = find_incidents(&a, 99.9);
        assert_eq!(inc.len(), 1);
        let i = &inc[0];
        assert_eq!(i.kind, IncidentKind::TrafficLoss);
        assert!((i.start - at(10 * 3600)).abs() <= 60 * SEC);
        assert!((i.end - at(10 * 3600 + 1500)).abs() <= 60 * SEC);
        let lost = i.impact.requests_lost as f64;
        assert!((lost - 7500.0).abs() < 400.0, "{lost}");
        assert!(i.warnings.iter().any(|w| w.contains("logs nothing")));
    }

    #[test]
    fn one_of_two_front_servers_dies() {
        let a_log = access_log(8 * 3600, 12 * 3600, 5.0, 5, |_, _| Some(0.001));
        let b_log = access_log(8 * 3600, 12 * 3600, 5.0, 6, |s, _| {
            if (10 * 3600..10 * 3600 + 900).contains(&s) {
                None
            } else {
                Some(0.001)
            }
        });
        let (_d, a) = analyze_files(&[("lb1/access.log", a_log), ("lb2/access.log", b_log)]);
        let inc = find_incidents(&a, 99.9);
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].kind, IncidentKind::TrafficLoss);
        assert_eq!(inc[0].parts[0].source.as_deref(), Some("lb2/access.log"));
        let lost = inc[0].impact.requests_lost as f64;
        assert!((lost - 4500.0).abs() < 300.0, "{lost}");
    }

    #[test]
    fn thin_traffic_widens_buckets_and_warns() {
        // One request every 10 s; an hour of 60% failures.
        let log = access_log(6 * 3600, 14 * 3600, 0.1, 9, |s, _| {
            Some(if (10 * 3600..11 * 3600).contains(&s) {
                0.6
            } else {
                0.0
            })
        });
        let (_d, a) = analyze_files(&[("lb/access.log", log)]);
        let inc = find_incidents(&a, 99.9);
        assert_eq!(inc.len(), 1);
        let i = &inc[0];
        assert!(i.method.bucket_seconds > 60);
        assert!(i.method.warnings.iter().any(|w| w.contains("thin")));
        assert!((i.start - at(10 * 3600)).abs() <= 120 * SEC);
        assert!((i.end - at(11 * 3600)).abs() <= 180 * SEC);
    }

    #[test]
    fn without_request_logs_app_errors_and_alerts_are_used() {
        let mut app = String::new();
        for m in 0..240 {
            let sec = 8 * 3600 + m * 60;
            let errors = if (100..130).contains(&m) { 30 } else { m % 2 };
            for k in 0..errors {
                app.push_str(&format!(
                    "{{\"time\": \"{}\", \"level\": \"error\", \"msg\": \"db pool exhausted after 5000ms\"}}\n",
                    crate::time::format_rfc3339(at(sec + k))
                ));
            }
            app.push_str(&format!(
                "{{\"time\": \"{}\", \"level\": \"info\", \"msg\": \"ok\"}}\n",
                crate::time::format_rfc3339(at(sec + 59))
            ));
        }
        let (_d, a) = analyze_files(&[("app/app.json.log", app)]);
        let inc = find_incidents(&a, 99.9);
        assert_eq!(inc.len(), 1);
        let i = &inc[0];
        assert_eq!(i.kind, IncidentKind::ErrorsFromAppLogs);
        assert_eq!(i.start, at(8 * 3600 + 100 * 60));
        assert!(i.impact.error_messages >= 900);
        let v = incidents_json(&inc);
        assert_eq!(v[0]["kind"], "errors_from_app_logs");
        let md = render_report(&a, &inc, None, "postmortem report logs/");
        assert!(md.contains("## Issue Summary"));
        assert!(md.contains("error-level messages"));
    }

    /// Whether byte `pos` of a line is inside a CommonMark code span.
    fn in_code_span(line: &str, pos: usize) -> bool {
        let b = line.as_bytes();
        let mut open: Option<usize> = None;
        let mut i = 0;
        while i < pos {
            if b[i] == b'`' {
                let mut n = 0;
                while i + n < b.len() && b[i + n] == b'`' {
                    n += 1;
                }
                match open {
                    None => open = Some(n),
                    Some(m) if m == n => open = None,
                    Some(_) => {}
                }
                i += n;
            } else {
                i += 1;
            }
        }
        open.is_some()
    }

    #[test]
    fn crafted_log_text_cannot_inject_markdown() {
        let evil =
            "# Owned ![x](http://evil/x.png) [click](http://evil) <script>alert(1)</script> `tick`";
        let mut app = String::new();
        for m in 0..200 {
            let sec = 8 * 3600 + m * 60;
            app.push_str(&format!(
                "{{\"time\": \"{}\", \"level\": \"info\", \"msg\": \"ok\"}}\n",
                crate::time::format_rfc3339(at(sec))
            ));
        }
        let log = access_log(8 * 3600, 11 * 3600, 5.0, 2, |s, _| {
            Some(if (9 * 3600..9 * 3600 + 1200).contains(&s) {
                0.5
            } else {
                0.001
            })
        });
        for k in 0..20 {
            app.push_str(&format!(
                "{{\"time\": \"{}\", \"level\": \"error\", \"msg\": \"{}\"}}\n",
                crate::time::format_rfc3339(at(9 * 3600 + 10 + k)),
                evil.replace('"', "\\\"")
            ));
        }
        let (_d, a) = analyze_files(&[("lb/access.log", log), ("app/app.json.log", app)]);
        let inc = find_incidents(&a, 99.9);
        assert_eq!(inc.len(), 1);
        assert!(inc[0]
            .suspects
            .iter()
            .any(|s| s.kind == crate::suspects::SuspectKind::NewError));
        let md = render_report(&a, &inc, None, "postmortem report logs/");
        for line in md.lines() {
            if let Some(pos) = line.find("![x]") {
                assert!(in_code_span(line, pos), "{line}");
            }
            assert!(!line.starts_with("# Owned"), "{line}");
        }
        assert!(md.contains("<script>") && !md.contains("\n<script>"));
    }
}
