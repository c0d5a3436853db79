//! What detection watches besides the fleet's error ratio: the same
//! machinery (robust baseline, count-aware levels, hysteresis, the onset as
//! the first sustained departure) on other per-bucket signals, so an
//! outage is found whatever shape it takes:
//!
//! - each backend's own error ratio (a part of the fleet failing while the
//!   fleet-wide ratio stays low);
//! - client-visible refusals (401, 403, 429) far above their own baseline;
//! - requests far slower than usual (latency), failing or not.

use super::detect::{self, Baseline, FailedSeconds, Floors, Grid, Point, Stretch};
use crate::scan::{ClientCounts, Criterion};
use crate::series::{Bucket, Histogram, Series, REFUSALS};
use crate::time::{Micros, SEC};

use super::incident::IncidentKind;

/// At most this many backends are watched on their own (the busiest).
pub const MAX_BACKENDS: usize = 32;
/// A backend is watched on its own when it served at least this share of
/// the requests.
pub const BACKEND_MIN_SHARE: f64 = 0.02;
/// Refusals must reach this share of requests to open an incident, and
/// fall below the exit share to close it: a refusal is an answer, not a
/// failure, so they are not judged against the error budget.
pub const REFUSAL_FLOORS: Floors = Floors {
    enter: 0.05,
    exit: 0.02,
};
/// Fewest refusals of a status in the data before it is watched.
pub const MIN_REFUSALS: u64 = 20;
/// Fewest requests with a latency before latency is watched.
pub const MIN_LATENCY_SAMPLES: u64 = 1000;
/// The slow threshold: this many times the usual p99 ...
pub const SLOW_P99_FACTOR: f64 = 2.0;
/// ... and at least this much above it, in milliseconds ...
pub const SLOW_MIN_MARGIN_MS: f64 = 100.0;
// Partials keep every latency up to the floor as one class: no threshold
// may fall at or below it.
const _: () = assert!(SLOW_MIN_MARGIN_MS >= crate::scan::cells::LATENCY_FLOOR_MS);
/// ... and, once rounded to a round number, still at least this many
/// times the usual p99 ([`round_threshold`]).
pub const SLOW_MIN_P99_FACTOR: f64 = 1.5;

/// A per-bucket signal: requests, and the bad ones among them.
#[derive(Clone, Debug, PartialEq)]
pub enum Signal {
    /// Failed requests over the whole fleet.
    Errors,
    /// Failed requests through one backend.
    Backend(String),
    /// Requests answered with one refusal status.
    Refusals(u16),
    /// Requests slower than a threshold, in milliseconds.
    Slow(f64),
}

impl Signal {
    /// Requests and bad requests of one bucket.
    pub fn point(&self, b: &Bucket) -> Point {
        let (requests, failed) = match self {
            Signal::Errors => (b.requests, b.failed),
            Signal::Backend(name) => b
                .backends
                .get(name.as_str())
                .map(|c| (c.requests, c.failed))
                .unwrap_or((0, 0)),
            Signal::Refusals(status) => {
                let i = REFUSALS.iter().position(|s| s == status);
                (b.requests, i.map(|i| b.refused[i]).unwrap_or(0))
            }
            Signal::Slow(ms) => (b.latency.count(), b.latency.count_above_ms(*ms)),
        };
        Point {
            requests,
            failed,
            errors: b.error_messages,
        }
    }

    /// The incident kind a stretch of this signal makes.
    pub fn kind(&self) -> IncidentKind {
        match self {
            Signal::Errors | Signal::Backend(_) => IncidentKind::ErrorRatio,
            Signal::Refusals(_) => IncidentKind::Refusals,
            Signal::Slow(_) => IncidentKind::Latency,
        }
    }

    /// What a second read counts as bad for it.
    pub fn criterion(&self) -> Criterion {
        match self {
            Signal::Errors | Signal::Backend(_) => Criterion::Failed,
            Signal::Refusals(s) => Criterion::Status(vec![*s]),
            Signal::Slow(ms) => Criterion::SlowerThan(*ms),
        }
    }

    /// The floors under its thresholds.
    pub fn floors(&self, slo: f64) -> Floors {
        match self {
            Signal::Refusals(_) => REFUSAL_FLOORS,
            // Slow requests are the bad events of a latency objective,
            // judged against the same budget.
            _ => Floors::burn(slo),
        }
    }

    /// Its grid over series keys `k0..=k1` in buckets of `factor`.
    pub fn grid(&self, series: &Series, factor: i64, k0: i64, k1: i64) -> Grid {
        Grid::from_series_by(series, factor, k0, k1, |b| self.point(b))
    }
}

/// Latency samples a group of buckets needs for its p99 to mean something.
const P99_SAMPLES: u64 = 50;

/// The slow threshold from the usual latency, and that usual p99: the
/// median over time of the p99 of groups of buckets (each with enough
/// requests), leaving out the buckets near `excluded` stretches. A median
/// over time, because an incident that makes a tenth of the day slow must
/// not be its own baseline. `None` when too few requests carry a latency.
/// Returns (threshold ms, usual p99 ms).
pub fn slow_threshold(series: &Series, grid: &Grid, excluded: &[Stretch]) -> Option<(f64, f64)> {
    let factor = (grid.bucket_seconds / series.bucket_seconds.max(1)).max(1);
    let (lo, hi) = series.key_range()?;
    let mut kept: Vec<(i64, &Histogram)> = Vec::new();
    let mut total = 0u64;
    for (k, b) in series.present(lo, hi) {
        let g = k.div_euclid(factor) - grid.first_key;
        let near = usize::try_from(g)
            .ok()
            .is_some_and(|i| excluded.iter().any(|s| i + 2 >= s.first && i <= s.last + 2));
        if !near && b.latency.count() > 0 {
            total += b.latency.count();
            kept.push((k, &b.latency));
        }
    }
    if total < MIN_LATENCY_SAMPLES || kept.is_empty() {
        return None;
    }
    // Buckets per group so that a typical group has enough samples.
    let mut per: Vec<f64> = kept.iter().map(|(_, h)| h.count() as f64).collect();
    let typical = detect::median(&mut per).unwrap_or(1.0).max(1.0);
    let group = ((P99_SAMPLES as f64 / typical).ceil() as i64).max(1);
    let mut groups: std::collections::BTreeMap<i64, Histogram> = std::collections::BTreeMap::new();
    for (k, h) in kept {
        groups.entry(k.div_euclid(group)).or_default().merge(h);
    }
    let mut p99s: Vec<f64> = groups
        .values()
        .filter(|h| h.count() >= P99_SAMPLES)
        .filter_map(|h| h.quantile_ms(0.99))
        .collect();
    let p99 = detect::median(&mut p99s)?;
    Some((round_threshold(p99), p99))
}

/// The slow threshold for a usual p99: [`SLOW_P99_FACTOR`] times it, at
/// least [`SLOW_MIN_MARGIN_MS`] above it, rounded to the nearest step of
/// 1, 2, 5 × 10ⁿ ms (on a log scale) when that stays at least
/// [`SLOW_MIN_P99_FACTOR`] times the p99 and the margin above it, else to
/// two significant digits: "slower than 1 s" is how people set and read
/// a latency objective, and the histogram's bucket edges (770.048 ms) are
/// an artefact, not a finding.
pub fn round_threshold(p99: f64) -> f64 {
    let raw = (SLOW_P99_FACTOR * p99).max(p99 + SLOW_MIN_MARGIN_MS);
    let floor = (SLOW_MIN_P99_FACTOR * p99).max(p99 + SLOW_MIN_MARGIN_MS);
    if !(raw.is_finite() && raw > 0.0) {
        return raw;
    }
    let decade = 10f64.powf(raw.log10().floor());
    let nearest = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * decade)
        .min_by(|a, b| {
            let da = (a.ln() - raw.ln()).abs();
            let db = (b.ln() - raw.ln()).abs();
            da.total_cmp(&db)
        })
        .unwrap_or(raw);
    if nearest >= floor {
        nearest
    } else {
        let unit = decade / 10.0;
        (raw / unit).ceil() * unit
    }
}

/// The backends worth watching on their own: at least
/// [`BACKEND_MIN_SHARE`] of the requests, the busiest first, at most
/// [`MAX_BACKENDS`]; none when there is only one.
pub fn watched_backends(series: &Series, k0: i64, k1: i64) -> Vec<String> {
    let mut totals: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    let mut all = 0u64;
    let present = series.present(k0, k1);
    for (_, b) in &present {
        for (name, c) in &b.backends {
            *totals.entry(name.as_ref()).or_insert(0) += c.requests;
            all += c.requests;
        }
    }
    if totals.len() < 2 || all == 0 {
        return Vec::new();
    }
    let mut list: Vec<(&str, u64)> = totals
        .into_iter()
        .filter(|(n, c)| *n != "-" && *c as f64 >= BACKEND_MIN_SHARE * all as f64)
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    list.into_iter()
        .take(MAX_BACKENDS)
        .map(|(n, _)| n.to_string())
        .collect()
}

/// The refusal statuses worth watching: seen at least [`MIN_REFUSALS`]
/// times and not already counted as failures.
pub fn watched_refusals(
    series: &Series,
    k0: i64,
    k1: i64,
    counted: impl Fn(u16) -> bool,
) -> Vec<u16> {
    let mut totals = [0u64; 3];
    for (_, b) in series.present(k0, k1) {
        for (t, r) in totals.iter_mut().zip(b.refused) {
            *t += r;
        }
    }
    REFUSALS
        .iter()
        .zip(totals)
        .filter(|(s, n)| *n >= MIN_REFUSALS && !counted(**s))
        .map(|(s, _)| *s)
        .collect()
}

/// The stretches of a signal on its grid, each with its onset moved to
/// the first sustained departure, and the baseline.
pub fn stretches(points: &[Point], slo: f64, floors: Floors) -> (Vec<Stretch>, Baseline) {
    let (found, baseline) = detect::stretches_with(points, slo, floors);
    let mut out = Vec::with_capacity(found.len());
    let mut floor = 0;
    for s in found {
        let first = detect::sustained_onset(points, s.first, floor, &baseline);
        floor = s.last + 1;
        out.push(Stretch { first, ..s });
    }
    (out, baseline)
}

/// Where to look for a stretch's exact edges with a second read: from the
/// bucket before it to the bucket after.
pub fn neighbourhood(grid: &Grid, s: &Stretch) -> (Micros, Micros) {
    (
        grid.start(s.first.saturating_sub(1)),
        grid.end(s.last + 1) - 1,
    )
}

/// Bad requests per second from a second read, as detection's table.
pub fn seconds_of(counts: &ClientCounts) -> FailedSeconds {
    let mut f = FailedSeconds::default();
    for (&sec, t) in &counts.bad_seconds {
        f.add(sec, t.count, t.first, t.last);
    }
    f
}

/// The ratio of bad requests over a stretch's buckets, and whether there
/// are enough of them above the baseline to be more than a blip.
pub fn excess(grid: &Grid, s: &Stretch, baseline: &Baseline) -> f64 {
    let (mut req, mut bad) = (0.0, 0.0);
    for p in grid.points.get(s.first..=s.last).unwrap_or(&[]) {
        req += p.requests as f64;
        bad += p.failed as f64;
    }
    bad - baseline.pooled * req
}

/// Whole seconds of a duration in microseconds.
pub fn seconds(d: Micros) -> i64 {
    d.div_euclid(SEC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series_with(f: impl Fn(i64, &mut Series)) -> Series {
        let mut s = Series::new(60);
        for sec in 0..(6 * 3600) {
            f(sec, &mut s);
        }
        s
    }

    #[test]
    fn slow_thresholds_are_round_and_well_above_the_p99() {
        // (usual p99 ms, threshold ms)
        let cases = [
            (385.0, 1000.0), // 770 -> 1 s
            (434.0, 1000.0), // 868 -> 1 s
            (540.0, 1000.0), // 1080 -> 1 s
            (300.0, 500.0),  // 600 -> 500 ms (still 1.67x)
            (340.0, 680.0),  // 500 would be 1.47x: two digits
            (120.0, 240.0),  // 200 is under p99 + 100 ms: two digits
            (30.0, 130.0),   // the margin rules: 130 -> 100 is too low
            (2600.0, 5000.0),
        ];
        for (p99, want) in cases {
            let t = round_threshold(p99);
            assert!(t >= (1.5 * p99).max(p99 + 100.0), "{p99}: {t}");
            assert_eq!(t, want, "p99 {p99}");
        }
    }

    #[test]
    fn latency_threshold_and_slow_stretch() {
        // 10 requests a second at 20-120 ms; an hour of 3 s from 2 h on.
        let s = series_with(|sec, s| {
            for i in 0..10 {
                let slow = (7200..10_800).contains(&sec) && i < 6;
                let ms = if slow { 3000.0 } else { 20.0 + (i * 10) as f64 };
                s.add_request(sec * SEC, 200, false, Some("b"), Some(ms));
            }
        });
        let (k0, k1) = s.key_range().unwrap();
        let grid = Signal::Errors.grid(&s, 1, k0, k1);
        let (t, p99) = slow_threshold(&s, &grid, &[]).unwrap();
        assert!(p99 < 200.0, "{p99}");
        assert_eq!(t, round_threshold(p99));
        assert!(t >= (1.5 * p99).max(p99 + 100.0), "{t} for {p99}");
        let slow = Signal::Slow(t);
        let g = slow.grid(&s, 1, k0, k1);
        let (found, _) = stretches(&g.points, 0.999, slow.floors(0.999));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].first, found[0].last), (120, 179));
        assert_eq!(slow.kind(), IncidentKind::Latency);
    }

    #[test]
    fn a_refusal_storm_is_its_own_signal() {
        let s = series_with(|sec, s| {
            for i in 0..10 {
                let storm = (7200..9000).contains(&sec) && i < 7;
                let stray = i == 9 && sec % 50 == 0;
                let status = if storm || stray { 429 } else { 200 };
                s.add_request(sec * SEC, status, false, None, None);
            }
        });
        let (k0, k1) = s.key_range().unwrap();
        assert_eq!(watched_refusals(&s, k0, k1, |_| false), vec![429]);
        assert!(watched_refusals(&s, k0, k1, |st| st == 429).is_empty());
        let sig = Signal::Refusals(429);
        let g = sig.grid(&s, 1, k0, k1);
        let (found, _) = stretches(&g.points, 0.999, sig.floors(0.999));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].first, found[0].last), (120, 149));
        assert_eq!(sig.criterion(), Criterion::Status(vec![429]));
    }

    #[test]
    fn one_backend_failing_is_found_on_its_own_traffic() {
        // Six backends; one fails a quarter of its requests for an hour:
        // the fleet-wide ratio stays near 4%.
        let s = series_with(|sec, s| {
            for i in 0..12u64 {
                let b = format!("10.0.0.{}", i % 6);
                let bad = (7200..10_800).contains(&sec) && i % 6 == 2 && (sec + i as i64) % 4 == 0;
                s.add_request(sec * SEC, if bad { 502 } else { 200 }, bad, Some(&b), None);
            }
        });
        let (k0, k1) = s.key_range().unwrap();
        let watched = watched_backends(&s, k0, k1);
        assert_eq!(watched.len(), 6);
        let sig = Signal::Backend("10.0.0.2".into());
        let g = sig.grid(&s, 1, k0, k1);
        let (found, _) = stretches(&g.points, 0.999, sig.floors(0.999));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].first, found[0].last), (120, 179));
        let healthy = Signal::Backend("10.0.0.1".into());
        let g = healthy.grid(&s, 1, k0, k1);
        assert!(stretches(&g.points, 0.999, healthy.floors(0.999))
            .0
            .is_empty());
    }
}
