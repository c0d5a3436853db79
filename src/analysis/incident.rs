//! Incidents: the windows [`windows`](super::windows) finds, each measured
//! ([`measure`](super::measure)) and explained
//! ([`suspects`](super::suspects)), ranked by impact, with their timeline
//! markers ([`markers`](super::markers)). Rendering them is the
//! renderers' job (`crate::render`).

use super::detect::{Baseline, ErrorBaseline};
use super::impact::{Impact, Metrics};
use super::markers;
use super::measure::{self, Measuring};
use super::suspects::{EventRef, Suspect};
use super::windows;
use super::Analysis;
use crate::scan::{ClientCounts, Criterion, Located};
use crate::time::{Micros, SEC};
use crate::timeline::Event;

/// An alert that fired this long before impact began still counts as
/// detecting it (the alert's own window may have started it early).
pub const DETECT_LOOKBACK_SECONDS: i64 = 300;

/// What an incident was detected from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IncidentKind {
    /// The load balancer's error ratio rose (fleet-wide or on some backends).
    ErrorRatio,
    /// Client-visible refusals (429, 401/403 storms) far above their own
    /// baseline.
    Refusals,
    /// Requests far slower than usual, failing or not.
    Latency,
    /// A process crashing again and again, a server flapping DOWN/UP:
    /// from the first crash to the last recovery (when requests did not
    /// fail enough to make an error incident of it).
    CrashLoop,
    /// Traffic stopped or collapsed far below its usual rate.
    TrafficLoss,
    /// No request logs: error-level application messages and alerts.
    ErrorsFromAppLogs,
}

impl IncidentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::ErrorRatio => "errors",
            IncidentKind::Refusals => "refusals",
            IncidentKind::Latency => "latency",
            IncidentKind::CrashLoop => "crash_loop",
            IncidentKind::TrafficLoss => "traffic_loss",
            IncidentKind::ErrorsFromAppLogs => "errors_from_app_logs",
        }
    }

    /// Kinds measured on requests (all but the application-log fallback).
    pub fn counts_requests(self) -> bool {
        self != IncidentKind::ErrorsFromAppLogs
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
    /// For a stretch found on one backend's own traffic: that backend.
    pub backend: Option<String>,
    /// For refusals: the status.
    pub status: Option<u16>,
    /// For a crash loop or a flapping server: what crashed, and how often.
    pub crash_loop: Option<String>,
}

impl Part {
    /// A stretch of `kind` from `start` to `end`, nothing else known.
    pub fn new(kind: IncidentKind, start: Micros, end: Micros) -> Part {
        Part {
            kind,
            start,
            end,
            source: None,
            usual_per_second: None,
            lost: 0,
            alert: None,
            total_stop: false,
            backend: None,
            status: None,
            crash_loop: None,
        }
    }
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
    /// The incident was under way when the logs (or the window) began.
    pub open_start: bool,
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
    /// IMPACT BEGINS, DETECTED, PEAK, MITIGATED, IMPACT ENDS for this
    /// incident, as timeline events.
    pub markers: Vec<Event>,
    /// What its impact counted as bad requests.
    pub criterion: Criterion,
    /// The same, as people read it: `5xx`, `no response`, `429`,
    /// `slower than 1,200 ms`.
    pub counted: Vec<String>,
    /// The requests its start and end are (file and line), when a second
    /// read found them.
    pub edges: Option<(Located, Located)>,
}

impl Incident {
    /// What its bad requests are, as a verb: `failed`, `were refused`,
    /// `were slow`.
    pub fn bad_verb(&self) -> &'static str {
        match self.kind {
            IncidentKind::Refusals => "were refused",
            IncidentKind::Latency => "were slow",
            _ => "failed",
        }
    }

    /// Its bad requests and their share: slow ones for latency, else
    /// failed (refused, for refusals).
    pub fn bad(&self) -> (u64, Option<f64>) {
        match (self.kind, self.impact.requests_slow) {
            (IncidentKind::Latency, Some(n)) => (n, self.impact.slow_pct),
            _ => (self.impact.requests_failed, self.impact.failed_pct),
        }
    }

    /// The slow threshold of a latency incident, milliseconds.
    pub fn slow_threshold_ms(&self) -> Option<f64> {
        match self.criterion {
            Criterion::SlowerThan(ms) => Some(ms),
            _ => None,
        }
    }

    pub fn duration_seconds(&self) -> i64 {
        (self.end - self.start).div_euclid(SEC)
    }
}

/// The SLO as a fraction, from a percentage (99.9) or a fraction (0.999).
pub fn slo_fraction(slo: f64) -> f64 {
    let f = if slo > 1.0 { slo / 100.0 } else { slo };
    if f.is_finite() && f > 0.0 && f < 1.0 {
        f
    } else {
        0.999
    }
}

/// Finds, measures and ranks the incidents (most impactful first), with
/// their markers.
pub fn find_incidents(a: &Analysis) -> Vec<Incident> {
    let slo = slo_fraction(a.detect.slo);
    let mut out: Vec<Incident> = Vec::new();
    let mut request_mode = false;
    // One stretch of the logs at a time (more than one only across a gap
    // in the logs), each measured on its own grid.
    for found in windows::find(a, slo) {
        let windows: Vec<(Micros, Micros)> = found.raws.iter().map(|r| (r.start, r.end)).collect();
        let in_requests = found.method.mode != IncidentKind::ErrorsFromAppLogs;
        request_mode |= in_requests;
        let criteria: Vec<Criterion> = found.raws.iter().map(|r| r.criterion()).collect();
        let (exact, left_out) = if in_requests {
            count_exactly(a, &windows, &criteria)
        } else {
            (vec![None; windows.len()], Vec::new())
        };
        let ctx = Measuring {
            analysis: a,
            grid: &found.grid,
            method: &found.method,
            failed: a.failures.seconds(),
            exact: &exact,
            left_out: &left_out,
            windows: &windows,
            source_first: a.source_first(),
            clock_offsets: a.clock_offsets(),
            hosts: a.hosts(),
            routes: a.routes(),
        };
        let offset = out.len();
        out.extend(
            found
                .raws
                .into_iter()
                .enumerate()
                .map(|(idx, raw)| Incident {
                    id: offset + idx + 1,
                    ..measure::measure(&ctx, raw, idx)
                }),
        );
    }
    let mut ranked = rank(out, request_mode);
    markers::attach(&mut ranked);
    ranked
}

/// Exact counts of each window by its own criterion (one second read per
/// criterion), and the inputs that could not be read again.
fn count_exactly(
    a: &Analysis,
    windows: &[(Micros, Micros)],
    criteria: &[Criterion],
) -> (Vec<Option<ClientCounts>>, Vec<String>) {
    let mut exact = vec![None; windows.len()];
    let mut left_out: Vec<String> = Vec::new();
    let mut done: Vec<&Criterion> = Vec::new();
    for c in criteria {
        if done.contains(&c) {
            continue;
        }
        done.push(c);
        let idx: Vec<usize> = (0..windows.len()).filter(|&i| &criteria[i] == c).collect();
        let group: Vec<(Micros, Micros)> = idx.iter().map(|&i| windows[i]).collect();
        let counted = a.reread.count_by(&group, c, false);
        for (k, &i) in idx.iter().enumerate() {
            exact[i] = counted.exact(k).cloned();
        }
        for s in counted.left_out {
            if !left_out.contains(&s) {
                left_out.push(s);
            }
        }
    }
    if !left_out.is_empty() {
        exact = vec![None; windows.len()];
    }
    (exact, left_out)
}

/// Orders incidents by impact (failed plus lost requests; error messages
/// without request logs), earlier first on ties, and numbers the ranks.
fn rank(mut incidents: Vec<Incident>, request_mode: bool) -> Vec<Incident> {
    let weight = |i: &Incident| {
        if request_mode {
            i.impact.requests_failed + i.impact.requests_lost
        } else {
            i.impact.error_messages
        }
    };
    incidents.sort_by(|x, y| weight(y).cmp(&weight(x)).then(x.start.cmp(&y.start)));
    for (r, inc) in incidents.iter_mut().enumerate() {
        inc.rank = r + 1;
    }
    incidents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slo_accepts_percent_or_fraction() {
        assert!((slo_fraction(99.9) - 0.999).abs() < 1e-12);
        assert_eq!(slo_fraction(0.99), 0.99);
        assert_eq!(slo_fraction(f64::NAN), 0.999);
    }
}
