//! Incident windows from the bucketed series (docs/detection.md §3–§5).
//!
//! Three detectors, each on a dense grid of time buckets:
//!
//! - **error ratio** (load-balancer logs): a median/MAD baseline of the
//!   per-bucket error ratio over the buckets outside candidate windows;
//!   enter above `max(median + 5σ̂, 6·(1−SLO))` for 2 buckets, leave after 5
//!   buckets below `max(median + 2σ̂, 1−SLO)`. The edges are then moved to the
//!   first and last failed request of the anomalous stretch, found with a
//!   change point on the per-second failure counts, so a stray baseline
//!   failure early in the first bucket does not pull the start forward.
//! - **traffic loss**: buckets far below the usual request rate (a dead
//!   front server logs nothing), compared with the rate just before and
//!   just after.
//! - **application errors** (no request logs): the same hysteresis on the
//!   count of error-level messages per bucket, plus alert intervals.
//!
//! Everything here is a pure function of the grid, so it is tested on
//! synthetic series.

use std::collections::BTreeMap;

use crate::series::Series;
use crate::time::{Micros, SEC};

/// Buckets in a row above the entry threshold that open an incident.
pub const ENTER_BUCKETS: usize = 2;
/// Buckets in a row below the exit threshold that close it.
pub const EXIT_BUCKETS: usize = 5;
/// Robust deviations above the median to enter.
pub const ENTER_SIGMAS: f64 = 5.0;
/// Robust deviations above the median to stay in.
pub const EXIT_SIGMAS: f64 = 2.0;
/// Entry floor as a burn rate of the error budget: 6 is where the SRE
/// workbook's multi-window burn-rate alerts page.
pub const ENTER_BURN: f64 = 6.0;
/// Exit floor as a burn rate: below 1 the budget is not being spent faster
/// than the objective allows.
pub const EXIT_BURN: f64 = 1.0;
/// Smallest σ̂, so that a baseline of exactly zero errors still needs a real
/// rise to trigger.
pub const SIGMA_FLOOR: f64 = 1e-4;
/// A bucket with fewer requests cannot open an incident on its own.
pub const MIN_BUCKET_REQUESTS: u64 = 20;
/// Windows closer than this are one incident.
pub const MERGE_GAP_SECONDS: i64 = 600;
/// Failed requests above the baseline an incident must have (blips).
pub const MIN_EXCESS_FAILED: f64 = 10.0;
/// Shortest incident, first to last failed request (blips).
pub const MIN_DURATION_SECONDS: i64 = 60;
/// A bucket below this share of the usual rate counts as traffic lost.
pub const LOSS_FRACTION: f64 = 0.2;
/// Shortest traffic loss.
pub const LOSS_MIN_SECONDS: i64 = 180;
/// Usual requests per bucket below which a drop in traffic means nothing.
pub const LOSS_MIN_EXPECTED: f64 = 10.0;
/// Normal buckets remembered on each side for the usual rate.
const RING: usize = 30;
/// Normal buckets needed before the usual rate is trusted.
const WARM: usize = 5;
/// Most buckets in a detection grid; longer ranges use wider buckets.
pub const MAX_GRID_BUCKETS: i64 = 100_000;
/// Widest detection bucket chosen for thin traffic, seconds.
pub const MAX_BUCKET_SECONDS: i64 = 900;
/// A bucket is hot only if this many bad requests or more would be this
/// unlikely at the baseline (Poisson): small counts cannot open an incident.
pub const ENTER_P: f64 = 0.005;
/// A bucket holds an incident open only if its bad requests would be this
/// unlikely at the baseline: a couple of background failures on thin
/// traffic do not.
pub const HOLD_P: f64 = 0.005;
/// The bad requests before an incident's first hot bucket that move its
/// onset back must be this unlikely at the baseline together.
pub const ONSET_P: f64 = 1e-3;

/// The ratio floors under the thresholds: for errors and slow requests a
/// burn rate of the error budget, for refusals a share of requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Floors {
    pub enter: f64,
    pub exit: f64,
}

impl Floors {
    /// Burn rates [`ENTER_BURN`] and [`EXIT_BURN`] of the budget `1 − slo`.
    pub fn burn(slo: f64) -> Floors {
        let budget = (1.0 - slo).max(0.0);
        Floors {
            enter: ENTER_BURN * budget,
            exit: EXIT_BURN * budget,
        }
    }
}

/// Counts in one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Point {
    pub requests: u64,
    pub failed: u64,
    /// Error-level application messages.
    pub errors: u64,
}

impl Point {
    /// Failed / requests; `None` without requests.
    pub fn ratio(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.failed as f64 / self.requests as f64)
    }
}

/// A dense run of buckets: `points[i]` covers
/// `[start(i), start(i + 1))`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    pub bucket_seconds: i64,
    /// Key (start / width) of `points[0]`.
    pub first_key: i64,
    pub points: Vec<Point>,
}

impl Grid {
    /// Every bucket of a series from `first_key` to `last_key`, `factor`
    /// series buckets to one grid bucket (keys are in grid buckets).
    pub fn from_series(series: &Series, factor: i64, first_key: i64, last_key: i64) -> Grid {
        Grid::from_series_by(series, factor, first_key, last_key, |b| Point {
            requests: b.requests,
            failed: b.failed,
            errors: b.error_messages,
        })
    }

    /// [`Grid::from_series`] with what a bucket counts chosen by `point`
    /// (one backend's requests, refusals, slow requests...).
    pub fn from_series_by(
        series: &Series,
        factor: i64,
        first_key: i64,
        last_key: i64,
        point: impl Fn(&crate::series::Bucket) -> Point,
    ) -> Grid {
        let factor = factor.max(1);
        let mut points = vec![Point::default(); (last_key - first_key + 1).max(0) as usize];
        if let Some((lo, hi)) = series.key_range() {
            for (k, b) in series.present(lo.max(first_key.saturating_mul(factor)), hi) {
                let idx = k.div_euclid(factor) - first_key;
                if let Some(p) = usize::try_from(idx).ok().and_then(|i| points.get_mut(i)) {
                    let q = point(b);
                    p.requests += q.requests;
                    p.failed += q.failed;
                    p.errors += q.errors;
                }
            }
        }
        Grid {
            bucket_seconds: series.bucket_seconds * factor,
            first_key,
            points,
        }
    }

    /// Start of bucket `i`.
    pub fn start(&self, i: usize) -> Micros {
        self.start_sec(i) * SEC
    }

    /// Start of bucket `i`, in whole seconds.
    pub fn start_sec(&self, i: usize) -> i64 {
        (self.first_key + i as i64) * self.bucket_seconds
    }

    /// End (exclusive) of bucket `i`.
    pub fn end(&self, i: usize) -> Micros {
        self.start(i + 1)
    }

    /// The bucket holding `at`, if inside the grid.
    pub fn index_of(&self, at: Micros) -> Option<usize> {
        let k = at.div_euclid(SEC).div_euclid(self.bucket_seconds) - self.first_key;
        usize::try_from(k).ok().filter(|&i| i < self.points.len())
    }

    /// Index range of buckets with requests: first and last.
    pub fn request_range(&self) -> Option<(usize, usize)> {
        let first = self.points.iter().position(|p| p.requests > 0)?;
        let last = self.points.iter().rposition(|p| p.requests > 0)?;
        Some((first, last))
    }
}

/// Failed requests in one second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecondFailures {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
}

/// Failed requests per second (from the scan's per-second aggregates of
/// `lb.failed_requests`), for edges exact to the second.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailedSeconds {
    pub seconds: BTreeMap<i64, SecondFailures>,
}

impl FailedSeconds {
    /// Adds failures seen in second `sec`.
    pub fn add(&mut self, sec: i64, count: u64, first: Micros, last: Micros) {
        let e = self.seconds.entry(sec).or_insert(SecondFailures {
            count: 0,
            first,
            last,
        });
        e.count += count;
        e.first = e.first.min(first);
        e.last = e.last.max(last);
    }

    /// The first failed request in second `sec` or later, before `limit_sec`.
    pub fn first_from(&self, sec: i64, limit_sec: i64) -> Option<Micros> {
        self.seconds
            .range(sec..limit_sec.max(sec))
            .find(|(_, f)| f.count > 0)
            .map(|(_, f)| f.first)
    }

    /// The last failed request before second `sec`, at or after `floor_sec`.
    pub fn last_before(&self, sec: i64, floor_sec: i64) -> Option<Micros> {
        self.seconds
            .range(floor_sec.min(sec)..sec)
            .rev()
            .find(|(_, f)| f.count > 0)
            .map(|(_, f)| f.last)
    }

    /// Failures per second over `[from, to)`, as a dense vector.
    pub fn dense(&self, from: i64, to: i64) -> Vec<f64> {
        let mut v = vec![0.0; (to - from).max(0) as usize];
        for (&s, f) in self.seconds.range(from..to.max(from)) {
            if let Some(slot) = v.get_mut((s - from) as usize) {
                *slot = f.count as f64;
            }
        }
        v
    }

    /// Failed requests within `[from, to]` (microseconds, inclusive), at
    /// second resolution inside and exact at the edges when the edges are
    /// themselves failed requests.
    pub fn count_between(&self, from: Micros, to: Micros) -> u64 {
        let (a, b) = (from.div_euclid(SEC), to.div_euclid(SEC));
        self.seconds.range(a..=b.max(a)).map(|(_, f)| f.count).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.seconds.is_empty()
    }
}

/// The robust baseline of the per-bucket error ratio, and the thresholds
/// derived from it.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// Median error ratio of the normal buckets.
    pub median: f64,
    /// Median absolute deviation of the same.
    pub mad: f64,
    /// Failed / requests over all normal buckets together.
    pub pooled: f64,
    /// Median requests per bucket over the normal buckets.
    pub rate: f64,
    /// Buckets the baseline was computed from.
    pub buckets: usize,
    /// The objective as a fraction (0.999).
    pub slo: f64,
    /// The floors under the entry and exit thresholds.
    pub floors: Floors,
    /// No clean stretch of data to learn from (the anomaly covers nearly
    /// all of it): the thresholds are the SLO's floors alone.
    pub from_floor: bool,
}

impl Baseline {
    /// Judging against the objective alone: a baseline at the error budget
    /// with no spread, used when nearly every bucket is above the floor.
    fn slo_floor<'a>(
        points: impl Iterator<Item = &'a Point>,
        slo: f64,
        floors: Floors,
    ) -> Baseline {
        let mut rates: Vec<f64> = points
            .filter(|p| p.requests > 0)
            .map(|p| p.requests as f64)
            .collect();
        Baseline {
            median: 0.0,
            mad: 0.0,
            pooled: (1.0 - slo).max(0.0),
            rate: median_of(&mut rates).unwrap_or(0.0),
            buckets: 0,
            slo,
            floors,
            from_floor: true,
        }
    }

    /// A baseline from the ratios and counts of normal buckets.
    fn from_points<'a>(
        points: impl Iterator<Item = &'a Point>,
        slo: f64,
        floors: Floors,
    ) -> Baseline {
        let mut ratios = Vec::new();
        let mut rates = Vec::new();
        let (mut n, mut f) = (0u64, 0u64);
        for p in points {
            if let Some(r) = p.ratio() {
                ratios.push(r);
                rates.push(p.requests as f64);
                n += p.requests;
                f += p.failed;
            }
        }
        let mid = median_of(&mut ratios).unwrap_or(0.0);
        let mut dev: Vec<f64> = ratios.iter().map(|r| (r - mid).abs()).collect();
        Baseline {
            median: mid,
            mad: median_of(&mut dev).unwrap_or(0.0),
            pooled: if n > 0 { f as f64 / n as f64 } else { 0.0 },
            rate: median_of(&mut rates).unwrap_or(0.0),
            buckets: ratios.len(),
            slo,
            floors,
            from_floor: false,
        }
    }

    /// The error budget as a ratio: 1 − SLO.
    pub fn budget(&self) -> f64 {
        (1.0 - self.slo).max(0.0)
    }

    /// The ratio whose binomial noise a bucket shows at baseline: the
    /// median, unless failures are so sparse that most buckets have none
    /// (then the pooled ratio says more), and never below the error budget
    /// ratio (the objective allows that much).
    pub fn noise_ratio(&self) -> f64 {
        self.median.max(self.pooled).max(self.budget()).min(0.5)
    }

    /// σ̂ for a bucket of `requests`: the larger of the robust spread, the
    /// binomial noise at the baseline ratio, and a small floor.
    pub fn sigma(&self, requests: u64) -> f64 {
        let robust = 1.4826 * self.mad;
        let p = self.noise_ratio();
        let binomial = if requests > 0 {
            (p * (1.0 - p) / requests as f64).sqrt()
        } else {
            0.0
        };
        robust.max(binomial).max(SIGMA_FLOOR)
    }

    /// The error ratio above which a bucket of `requests` is anomalous.
    pub fn enter(&self, requests: u64) -> f64 {
        (self.median + ENTER_SIGMAS * self.sigma(requests)).max(self.floors.enter)
    }

    /// The error ratio below which a bucket of `requests` is back to normal.
    pub fn exit(&self, requests: u64) -> f64 {
        (self.median + EXIT_SIGMAS * self.sigma(requests)).max(self.floors.exit)
    }

    /// How likely `failed` or more failures of `requests` are at the
    /// baseline's noise ratio (Poisson).
    pub fn surprise(&self, requests: u64, failed: u64) -> f64 {
        super::stats::poisson_at_least(failed, requests as f64 * self.noise_ratio())
    }

    /// The thresholds at the usual rate, for people.
    pub fn typical_thresholds(&self) -> (f64, f64) {
        let n = self.rate.round().max(1.0) as u64;
        (self.enter(n), self.exit(n))
    }
}

/// The median (sorts the slice); `None` when empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    median_of(v)
}

fn median_of(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// How a bucket stands against the thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Nothing counted (no requests): neither normal nor anomalous.
    Empty,
    /// Below the exit threshold.
    Cool,
    /// Between the thresholds.
    Warm,
    /// Above the entry threshold, but too few requests to open an incident alone.
    ThinHot,
    /// Above the entry threshold.
    Hot,
}

impl Level {
    fn hot(self) -> bool {
        matches!(self, Level::Hot | Level::ThinHot)
    }
}

/// A stretch of anomalous buckets (indices into the grid, inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stretch {
    pub first: usize,
    /// Last bucket above the exit threshold.
    pub last: usize,
    /// Last bucket above the entry threshold.
    pub last_hot: usize,
    /// The data ended before the ratio was back to normal for good.
    pub open_ended: bool,
    /// It was already anomalous in the first bucket with data: it began
    /// before the logs (or the window) did.
    pub open_start: bool,
}

/// Entry after [`ENTER_BUCKETS`] hot buckets in a row (one of them with
/// enough traffic), exit after [`EXIT_BUCKETS`] cool ones. Empty buckets
/// neither count towards the exit nor extend the stretch.
pub fn hysteresis(levels: &[Level]) -> Vec<Stretch> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < levels.len() {
        let run = levels.get(i..i + ENTER_BUCKETS);
        let opens = run.is_some_and(|r| r.iter().all(|l| l.hot()) && r.contains(&Level::Hot));
        if !opens {
            i += 1;
            continue;
        }
        let first = i;
        let (mut last, mut last_hot) = (i, i);
        let mut cools = 0;
        let mut j = i;
        let mut closed = false;
        while j < levels.len() {
            match levels[j] {
                Level::Cool => {
                    cools += 1;
                    if cools >= EXIT_BUCKETS {
                        closed = true;
                        break;
                    }
                }
                Level::Empty => {}
                l => {
                    cools = 0;
                    last = j;
                    if l.hot() {
                        last_hot = j;
                    }
                }
            }
            j += 1;
        }
        out.push(Stretch {
            first,
            last,
            last_hot,
            open_ended: !closed,
            open_start: levels[..first].iter().all(|l| *l == Level::Empty),
        });
        i = j + 1;
    }
    out
}

/// Levels of each bucket's error ratio against a baseline: above the
/// ratio threshold *and* too many failures to be chance at the baseline
/// (count-aware, so thin traffic's one or two failures say nothing).
pub fn ratio_levels(points: &[Point], b: &Baseline) -> Vec<Level> {
    points
        .iter()
        .map(|p| match p.ratio() {
            None => Level::Empty,
            Some(r) if r > b.enter(p.requests) && b.surprise(p.requests, p.failed) < ENTER_P => {
                if p.requests >= MIN_BUCKET_REQUESTS {
                    Level::Hot
                } else {
                    Level::ThinHot
                }
            }
            Some(r)
                if r >= b.exit(p.requests)
                    && p.failed > 0
                    && b.surprise(p.requests, p.failed) < HOLD_P =>
            {
                Level::Warm
            }
            Some(_) => Level::Cool,
        })
        .collect()
}

/// The first sustained departure from the baseline before a stretch's
/// first hot bucket, at most back to bucket `floor`: the bucket where the
/// cumulative excess of failures over what the baseline predicts (less
/// one standard deviation of allowance a bucket) peaks, walking back
/// (a CUSUM change point). A slow burn and a fault's first burst before a
/// calmer spell both move the onset back; noise does not, and the excess
/// must be unlikely at the baseline ([`ONSET_P`]).
pub fn sustained_onset(points: &[Point], first: usize, floor: usize, b: &Baseline) -> usize {
    // A slow burn leaks into the baseline (its early buckets are below the
    // thresholds, so they count as normal): judge the departure against
    // the buckets before the onset found so far, a few rounds.
    let mut p0 = b.noise_ratio();
    let mut onset = first;
    for _ in 0..4 {
        let found = cusum_onset(points, first, floor, p0);
        let settled = found == onset;
        onset = found;
        match quietest_before(points, floor, found) {
            Some(q) if !settled && q < p0 => p0 = q.max(b.budget()),
            _ => break,
        }
    }
    onset
}

/// The lowest failure ratio of the stretches of
/// [`ONSET_BASELINE_BUCKETS`] buckets (half overlapping) between `floor`
/// and `to`: the rate before a slow burn began, when its early part
/// already leaked into the baseline.
fn quietest_before(points: &[Point], floor: usize, to: usize) -> Option<f64> {
    let width = ONSET_BASELINE_BUCKETS;
    let mut best: Option<f64> = None;
    let mut start = floor;
    while start + width <= to {
        let (mut n, mut f, mut active) = (0u64, 0u64, 0usize);
        for p in points.get(start..start + width).unwrap_or(&[]) {
            n += p.requests;
            f += p.failed;
            active += (p.requests > 0) as usize;
        }
        if active >= 10 && n > 0 {
            let r = f as f64 / n as f64;
            best = Some(best.map_or(r, |b: f64| b.min(r)));
        }
        start += width / 2;
    }
    best
}

/// Buckets before an onset that say what the rate was before it.
const ONSET_BASELINE_BUCKETS: usize = 60;

/// [`sustained_onset`] against one baseline ratio `p0`.
fn cusum_onset(points: &[Point], first: usize, floor: usize, p0: f64) -> usize {
    let (mut cum, mut best, mut best_at) = (0.0f64, 0.0f64, first);
    let (mut bad, mut expected) = (0u64, 0.0f64);
    let (mut best_bad, mut best_expected) = (0u64, 0.0f64);
    for k in (floor..first).rev() {
        let Some(p) = points.get(k) else { break };
        if p.requests == 0 {
            continue;
        }
        let e = p.requests as f64 * p0;
        cum += p.failed as f64 - e - 0.5 * e.sqrt().max(0.5);
        bad += p.failed;
        expected += e;
        if cum > best {
            (best, best_at, best_bad, best_expected) = (cum, k, bad, expected);
        }
        // Well below the peak: the departure is behind us.
        if best - cum > 3.0 * (expected - best_expected).max(1.0).sqrt() + 10.0 {
            break;
        }
    }
    if best_at < first && super::stats::poisson_at_least(best_bad, best_expected) < ONSET_P {
        best_at
    } else {
        first
    }
}

/// Drops trailing buckets after the last hot one whose failures are within
/// the noise of the baseline: they kept the stretch open but say nothing
/// about when the impact ended.
pub fn trim_tail(points: &[Point], s: &mut Stretch, b: &Baseline) {
    while s.last > s.last_hot {
        let Some(p) = points.get(s.last) else { break };
        let expected = b.noise_ratio() * p.requests as f64;
        if (p.failed as f64) <= expected + 3.0 * expected.sqrt() + 1.0 {
            s.last -= 1;
            while s.last > s.last_hot && points.get(s.last).is_some_and(|p| p.requests == 0) {
                s.last -= 1;
            }
        } else {
            break;
        }
    }
}

/// Error-ratio stretches with the baseline computed outside them (a few
/// rounds, each excluding the stretches found by the previous one).
pub fn error_stretches(points: &[Point], slo: f64) -> (Vec<Stretch>, Baseline) {
    // An outage covering (nearly) all of the data or the chosen window has
    // no clean stretch to learn a baseline from: it is judged against the
    // objective itself rather than hidden by its own median.
    // A service that always fails a few percent keeps its own baseline
    // when that shows a rise; only when it shows none is the whole stretch
    // judged against the floor.
    let floors = Floors::burn(slo);
    let candidates = first_candidates(points, slo, floors);
    let no_clean_baseline = matches!(candidates, Candidates::NoCleanBaseline);
    let own = stretches_from(points, slo, floors, candidates);
    if !own.0.is_empty() {
        return own;
    }
    if no_clean_baseline {
        let baseline = Baseline::slo_floor(points.iter(), slo, floors);
        let mut stretches = hysteresis(&ratio_levels(points, &baseline));
        for s in &mut stretches {
            trim_tail(points, s, &baseline);
        }
        return (stretches, baseline);
    }
    own
}

/// [`error_stretches`] with other floors (refusals are not judged
/// against the error budget).
pub fn stretches_with(points: &[Point], slo: f64, floors: Floors) -> (Vec<Stretch>, Baseline) {
    stretches_from(points, slo, floors, first_candidates(points, slo, floors))
}

/// [`stretches_with`] from the first guess already made.
fn stretches_from(
    points: &[Point],
    slo: f64,
    floors: Floors,
    candidates: Candidates,
) -> (Vec<Stretch>, Baseline) {
    // Start with the buckets clearly above the floor as candidate windows
    // (see `first_candidates`).
    let mut excluded = match candidates {
        Candidates::Marked(marks) => marks,
        Candidates::NoCleanBaseline | Candidates::None => vec![false; points.len()],
    };
    let mut stretches = Vec::new();
    let mut baseline = Baseline::from_points(points.iter(), slo, floors);
    for _ in 0..4 {
        baseline = baseline_outside(points, &excluded, slo, floors);
        let found = hysteresis(&ratio_levels(points, &baseline));
        let next = around(&found, points.len());
        stretches = found;
        if next == excluded {
            break;
        }
        excluded = next;
    }
    for s in &mut stretches {
        trim_tail(points, s, &baseline);
    }
    (stretches, baseline)
}

/// What the first look at the buckets against the SLO's floor says.
enum Candidates {
    /// Buckets clearly above the floor, to leave out of the baseline.
    Marked(Vec<bool>),
    /// Nearly every bucket is clearly above the floor: there is no clean
    /// baseline to learn from.
    NoCleanBaseline,
    /// Too little clean data to set any aside (short logs): learn from all.
    None,
}

/// The first guess at candidate windows: buckets clearly above the SLO's
/// own entry floor. Without it, an incident longer than the rest of the
/// logs would be the median and hide itself. Kept only when enough normal
/// buckets remain; when fewer than a fifth (or hardly any) are clean, the
/// data has no clean baseline.
fn first_candidates(points: &[Point], slo: f64, floors: Floors) -> Candidates {
    let budget = (1.0 - slo).max(0.0);
    let floor = Baseline::slo_floor(std::iter::empty(), slo, floors);
    let marks: Vec<bool> = points
        .iter()
        .map(|p| {
            p.ratio().is_some_and(|r| {
                let noise = (budget * (1.0 - budget) / p.requests as f64).sqrt();
                r > floors.enter + 3.0 * noise.max(floor.sigma(p.requests))
            })
        })
        .collect();
    let with_traffic = points.iter().filter(|p| p.requests > 0).count();
    let marked = marks.iter().filter(|m| **m).count();
    let left = with_traffic - marked;
    if left >= 10 && left * 5 >= with_traffic {
        Candidates::Marked(marks)
    } else if marked >= ENTER_BUCKETS && (left * 5 < with_traffic || left <= ENTER_BUCKETS) {
        Candidates::NoCleanBaseline
    } else {
        Candidates::None
    }
}

/// The baseline over buckets not excluded, preferring buckets with enough
/// requests.
fn baseline_outside(points: &[Point], excluded: &[bool], slo: f64, floors: Floors) -> Baseline {
    let keep = |min: u64| {
        points
            .iter()
            .zip(excluded)
            .filter(move |(p, x)| !**x && p.requests >= min.max(1))
            .map(|(p, _)| p)
    };
    if keep(MIN_BUCKET_REQUESTS).count() >= 5 {
        Baseline::from_points(keep(MIN_BUCKET_REQUESTS), slo, floors)
    } else {
        Baseline::from_points(keep(1), slo, floors)
    }
}

/// The split `t` in `0..=counts.len()` that best explains `counts` as rate
/// `before` on `[0, t)` and rate `after` on `[t, len)` (Poisson likelihood).
pub fn change_point(counts: &[f64], before: f64, after: f64) -> usize {
    let (b, a) = (before.max(1e-6), after.max(1e-6));
    let (lb, la) = (b.ln(), a.ln());
    let mut best = (0.0f64, 0usize);
    let mut sum = 0.0;
    for (i, &c) in counts.iter().enumerate() {
        sum += (c * lb - b) - (c * la - a);
        if sum > best.0 {
            best = (sum, i + 1);
        }
    }
    best.1
}

/// Exact first and last failed request of a stretch. The start is searched
/// in the bucket before the stretch and its first bucket, the end in its
/// last bucket and the one after; `None` when no failure is found there.
pub fn refine_edges(
    grid: &Grid,
    failed: &FailedSeconds,
    s: &Stretch,
    baseline: &Baseline,
) -> Option<(Micros, Micros)> {
    let b = grid.bucket_seconds;
    let rate = |i: usize| {
        grid.points
            .get(i)
            .map(|p| p.failed as f64 / b as f64)
            .unwrap_or(0.0)
    };
    let traffic = |i: usize| {
        grid.points
            .get(i)
            .map(|p| p.requests as f64 / b as f64)
            .unwrap_or(0.0)
    };
    let quiet = |i: usize| (baseline.pooled * traffic(i)).max(1e-4);

    // Start: rate of the first full anomalous bucket against the baseline.
    let high = rate(s.first).max(if s.first < s.last {
        rate(s.first + 1)
    } else {
        0.0
    });
    let from = grid.start_sec(s.first.saturating_sub(1));
    let to = grid.start_sec(s.first + 1);
    let t = change_point(&failed.dense(from, to), quiet(s.first), high);
    let start = failed
        .first_from(from + t as i64, to)
        .or_else(|| failed.first_from(grid.start_sec(s.first), grid.start_sec(s.last + 1)))?;

    // End: the mirror image, on the last anomalous bucket and the next.
    let high = rate(s.last).max(if s.last > s.first {
        rate(s.last - 1)
    } else {
        0.0
    });
    let from = grid.start_sec(s.last);
    let to = grid.start_sec(s.last + 2);
    let counts = failed.dense(from, to);
    let t = change_point(&counts, high, quiet(s.last));
    let end = failed
        .last_before(from + t as i64, from)
        .or_else(|| failed.last_before(grid.start_sec(s.last + 1), grid.start_sec(s.first)))?;
    (end >= start).then_some((start, end))
}

/// Moves a start back over earlier failures that arrive faster than the
/// baseline would send them: a fault often ramps up (a backend saturating)
/// before the dense failures the change point sees. Each step back may be
/// at most `max_gap`; the start never moves before `floor`.
pub fn extend_start(
    failed: &FailedSeconds,
    start: Micros,
    max_gap: Micros,
    floor: Micros,
) -> Micros {
    let mut t = start;
    loop {
        let sec = t.div_euclid(SEC);
        let prev = failed.seconds.range(..sec).next_back().map(|(_, f)| f.last);
        // Several failures may share the second of `t`.
        let same = failed.seconds.get(&sec).map(|f| f.first).filter(|&f| f < t);
        let candidate = same.or(prev);
        match candidate {
            Some(p) if t - p <= max_gap && p >= floor => t = p,
            _ => return t,
        }
    }
}

/// A stretch of traffic far below its usual rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loss {
    pub first: usize,
    pub last: usize,
    /// The usual requests per bucket around it.
    pub expected: f64,
    /// Requests missing: Σ max(0, expected − seen).
    pub lost: f64,
}

/// Stretches of at least `min_buckets` buckets with traffic below
/// [`LOSS_FRACTION`] of the usual rate, the usual rate being the median of
/// the last normal buckets before (scanning forward) and after (scanning
/// backward); a bucket is low when the forward scan says so and the
/// backward one does not disagree (it knows nothing yet near the end of the
/// data). A rise in traffic is therefore not mistaken for a loss before it,
/// and traffic is only expected once it has been seen.
pub fn traffic_losses(counts: &[u64], min_buckets: usize) -> Vec<Loss> {
    let low_fwd = low_scan(counts.iter().copied().enumerate());
    let low_bwd = low_scan(counts.iter().copied().enumerate().rev());
    let low: Vec<bool> = (0..counts.len())
        .map(|i| low_fwd[i] == Some(true) && low_bwd[i] != Some(false))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < low.len() {
        if !low[i] {
            i += 1;
            continue;
        }
        let first = i;
        while i < low.len() && low[i] {
            i += 1;
        }
        let last = i - 1;
        if last + 1 - first < min_buckets.max(1) {
            continue;
        }
        let mut around: Vec<f64> = Vec::new();
        around.extend(
            (0..first)
                .rev()
                .filter(|&k| !low[k])
                .take(RING)
                .map(|k| counts[k] as f64),
        );
        around.extend(
            (last + 1..counts.len())
                .filter(|&k| !low[k])
                .take(RING)
                .map(|k| counts[k] as f64),
        );
        let expected = median(&mut around).unwrap_or(0.0);
        let lost = counts[first..=last]
            .iter()
            .map(|&n| (expected - n as f64).max(0.0))
            .sum();
        out.push(Loss {
            first,
            last,
            expected,
            lost,
        });
    }
    out
}

/// One direction of the low-traffic scan: `Some(low)` once the usual rate
/// is known, `None` before.
fn low_scan(iter: impl Iterator<Item = (usize, u64)>) -> Vec<Option<bool>> {
    let mut ring: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
    let mut out: Vec<(usize, Option<bool>)> = Vec::new();
    for (i, n) in iter {
        let usual = if ring.len() >= WARM {
            let mut v: Vec<f64> = ring.iter().copied().collect();
            median(&mut v)
        } else {
            None
        };
        let verdict = usual.map(|u| u >= LOSS_MIN_EXPECTED && (n as f64) < LOSS_FRACTION * u);
        if verdict != Some(true) {
            ring.push_back(n as f64);
            if ring.len() > RING {
                ring.pop_front();
            }
        }
        out.push((i, verdict));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, v)| v).collect()
}

/// Where a loss starts and ends, estimated from the rate: in the bucket
/// before the stretch the traffic that did arrive is taken to have arrived
/// first (and in the bucket after, last).
pub fn loss_edges(grid: &Grid, counts: &[u64], loss: &Loss) -> (Micros, Micros) {
    let b = grid.bucket_seconds as f64;
    let share = |i: usize| {
        counts
            .get(i)
            .map(|&n| (n as f64 / loss.expected.max(1.0)).min(1.0))
            .unwrap_or(1.0)
    };
    let start = if loss.first > 0 && share(loss.first - 1) < 0.9 {
        grid.start(loss.first - 1) + (share(loss.first - 1) * b * SEC as f64) as Micros
    } else {
        grid.start(loss.first)
    };
    let end = if loss.last + 1 < counts.len() && share(loss.last + 1) < 0.9 {
        grid.end(loss.last + 1) - (share(loss.last + 1) * b * SEC as f64) as Micros
    } else {
        grid.end(loss.last)
    };
    // Whole seconds: these are estimates, not observed requests.
    (
        start.div_euclid(SEC) * SEC,
        (end.div_euclid(SEC) * SEC).max(start),
    )
}

/// The baseline of error-level messages per bucket (no request logs).
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorBaseline {
    pub median: f64,
    pub mad: f64,
    /// Mean of the normal buckets: the Poisson noise when most have none.
    pub mean: f64,
}

impl ErrorBaseline {
    fn sigma(&self) -> f64 {
        (1.4826 * self.mad).max(self.median.max(self.mean).max(0.5).sqrt())
    }

    /// Error messages per bucket above which a bucket is anomalous.
    pub fn enter(&self) -> f64 {
        (self.median + ENTER_SIGMAS * self.sigma()).max(self.median + 3.0)
    }

    /// Error messages per bucket below which a bucket is normal.
    pub fn exit(&self) -> f64 {
        self.median + EXIT_SIGMAS * self.sigma()
    }
}

/// The first guess at candidate windows for error messages. When the
/// upper quartile of the per-bucket counts is far above the lower one (more
/// than Poisson noise at the lower allows), the errors may have stayed high
/// for longer than they were normal, and the median would sit inside the
/// incident and hide it: start from the quietest quarter of the buckets.
/// The rounds of [`app_error_stretches`] then learn the baseline outside
/// whatever this marks, so a noisy but steady log is not held to it.
fn step_candidates(points: &[Point]) -> Vec<bool> {
    let none = vec![false; points.len()];
    let mut counts: Vec<f64> = points.iter().map(|p| p.errors as f64).collect();
    if counts.len() < 2 * EXIT_BUCKETS {
        return none;
    }
    counts.sort_by(|a, b| a.total_cmp(b));
    let q = |f: f64| counts[((counts.len() - 1) as f64 * f).round() as usize];
    let (low, high) = (q(0.25), q(0.75));
    if high < low + 3.0 || high <= low + ENTER_SIGMAS * low.max(0.5).sqrt() {
        return none;
    }
    let quiet = ErrorBaseline {
        median: low,
        mad: 0.0,
        mean: low,
    };
    around(&hysteresis(&error_levels(points, &quiet)), points.len())
}

/// The buckets of `stretches` and two on each side, as a mask over `len`
/// buckets: what the next round's baseline leaves out.
fn around(stretches: &[Stretch], len: usize) -> Vec<bool> {
    let mut marks = vec![false; len];
    for s in stretches {
        let lo = s.first.saturating_sub(2);
        let hi = (s.last + 2).min(len.saturating_sub(1));
        for x in marks.iter_mut().take(hi + 1).skip(lo) {
            *x = true;
        }
    }
    marks
}

/// Levels of each bucket's error-message count against `base`.
fn error_levels(points: &[Point], base: &ErrorBaseline) -> Vec<Level> {
    points
        .iter()
        .map(|p| {
            let e = p.errors as f64;
            if e > base.enter() {
                Level::Hot
            } else if e > base.exit() {
                Level::Warm
            } else {
                Level::Cool
            }
        })
        .collect()
}

/// Stretches of error-level messages well above their usual count.
pub fn app_error_stretches(points: &[Point]) -> (Vec<Stretch>, ErrorBaseline) {
    let mut excluded = step_candidates(points);
    let mut stretches = Vec::new();
    let mut base = ErrorBaseline {
        median: 0.0,
        mad: 0.0,
        mean: 0.0,
    };
    for _ in 0..4 {
        let mut v: Vec<f64> = points
            .iter()
            .zip(&excluded)
            .filter(|(_, x)| !**x)
            .map(|(p, _)| p.errors as f64)
            .collect();
        let m = median(&mut v).unwrap_or(0.0);
        let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
        base = ErrorBaseline {
            median: m,
            mad: median(&mut dev).unwrap_or(0.0),
            mean: if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            },
        };
        let found = hysteresis(&error_levels(points, &base));
        let next = around(&found, points.len());
        stretches = found;
        if next == excluded {
            break;
        }
        excluded = next;
    }
    (stretches, base)
}

/// The detection bucket for thin traffic: the series bucket times the
/// smallest factor that puts [`MIN_BUCKET_REQUESTS`] in a typical bucket,
/// at most [`MAX_BUCKET_SECONDS`] wide.
pub fn thin_traffic_factor(series_bucket: i64, typical_requests: f64) -> i64 {
    if typical_requests >= MIN_BUCKET_REQUESTS as f64 {
        return 1;
    }
    let mut best = 1;
    for f in [2, 3, 5, 10, 15, 30, 60] {
        if series_bucket * f > MAX_BUCKET_SECONDS.max(series_bucket) {
            break;
        }
        best = f;
        if typical_requests * f as f64 >= MIN_BUCKET_REQUESTS as f64 {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLO: f64 = 0.999;

    fn pts(spec: &[(u64, u64)]) -> Vec<Point> {
        spec.iter()
            .map(|&(requests, failed)| Point {
                requests,
                failed,
                errors: 0,
            })
            .collect()
    }

    /// `n` quiet buckets of 1000 requests with 2 failures.
    fn quiet(n: usize) -> Vec<(u64, u64)> {
        vec![(1000, 2); n]
    }

    fn with(mut base: Vec<(u64, u64)>, at: usize, bad: &[(u64, u64)]) -> Vec<(u64, u64)> {
        for (i, b) in bad.iter().enumerate() {
            base[at + i] = *b;
        }
        base
    }

    /// Thin traffic (150 a bucket, a failure every few buckets at
    /// baseline): after 20 buckets of a third failing, a couple of
    /// background failures do not hold the incident open.
    #[test]
    fn background_failures_on_thin_traffic_do_not_hold_an_incident() {
        let mut spec: Vec<(u64, u64)> = (0..200).map(|i| (150, (i % 7 == 0) as u64)).collect();
        for s in spec.iter_mut().skip(100).take(20) {
            *s = (150, 50);
        }
        // Right after the end: single failures, as at baseline.
        for i in [121, 124, 127, 131] {
            spec[i] = (150, 1);
        }
        let (stretches, _) = error_stretches(&pts(&spec), SLO);
        assert_eq!(stretches.len(), 1, "{stretches:?}");
        assert_eq!((stretches[0].first, stretches[0].last), (100, 119));
        // Two failures in one thin bucket are within the noise, a storm is not.
        let b = &error_stretches(&pts(&spec), SLO).1;
        assert!(b.surprise(150, 2) > HOLD_P, "{}", b.surprise(150, 2));
        assert!(b.surprise(150, 50) < ENTER_P);
    }

    /// Errors creeping up over hours: the onset is where the departure
    /// from the baseline begins, not where the ratio crosses the entry
    /// threshold.
    #[test]
    fn a_slow_burn_starts_at_its_first_sustained_departure() {
        let mut spec = quiet(400);
        // From bucket 200, 0.5% rising by 0.05 points a bucket.
        for (k, s) in spec.iter_mut().enumerate().skip(200).take(200) {
            let ratio = 0.005 + 0.0005 * (k - 200) as f64;
            *s = (1000, (ratio * 1000.0).round() as u64);
        }
        let points = pts(&spec);
        let (stretches, b) = error_stretches(&points, SLO);
        assert_eq!(stretches.len(), 1, "{stretches:?}");
        let hot = stretches[0].first;
        assert!(hot > 200, "{hot}");
        let onset = sustained_onset(&points, hot, 0, &b);
        assert!(onset <= 205, "onset {onset}, first hot bucket {hot}");
        // A quiet stretch before a sharp onset moves nothing.
        let sharp = with(quiet(300), 150, &[(1000, 400); 30]);
        let points = pts(&sharp);
        let (stretches, b) = error_stretches(&points, SLO);
        assert_eq!(sustained_onset(&points, stretches[0].first, 0, &b), 150);
    }

    /// A first burst, a calmer spell, then the storm: the onset is the
    /// burst.
    #[test]
    fn a_stuttering_onset_starts_at_the_first_burst() {
        let mut spec = quiet(300);
        spec[150] = (1000, 60);
        spec[151] = (1000, 3);
        for s in spec.iter_mut().skip(152).take(30) {
            *s = (1000, 400);
        }
        let points = pts(&spec);
        let (stretches, b) = error_stretches(&points, SLO);
        assert_eq!(stretches.len(), 1, "{stretches:?}");
        assert_eq!(sustained_onset(&points, stretches[0].first, 0, &b), 150);
    }

    #[test]
    fn quiet_day_has_no_incident() {
        let mut spec = quiet(600);
        // Noise: a few buckets with more failures, never two hot in a row.
        for i in (0..600).step_by(37) {
            spec[i] = (1000, 6);
        }
        let (s, b) = error_stretches(&pts(&spec), SLO);
        assert!(s.is_empty(), "{s:?}");
        assert!((b.median - 0.002).abs() < 1e-9);
        // 0.2% + 5 × sqrt(p(1 − p) / 1000), p the pooled ratio (0.211%).
        assert!((b.enter(1000) - 0.00926).abs() < 1e-4, "{}", b.enter(1000));
    }

    #[test]
    fn enters_after_two_hot_buckets_and_leaves_after_five_cool() {
        let spec = with(quiet(120), 60, &[(1000, 300); 10]);
        let (s, _) = error_stretches(&pts(&spec), SLO);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].first, s[0].last, s[0].last_hot), (60, 69, 69));
        assert!(!s[0].open_ended);

        // One hot bucket alone does not open an incident.
        let spec = with(quiet(120), 60, &[(1000, 300)]);
        assert!(error_stretches(&pts(&spec), SLO).0.is_empty());
    }

    #[test]
    fn hysteresis_keeps_warm_buckets_and_short_dips_inside() {
        use Level::*;
        let levels = [
            Cool, Hot, Hot, Warm, Cool, Cool, Hot, Warm, Cool, Cool, Cool, Cool, Cool, Cool,
        ];
        let s = hysteresis(&levels);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].first, s[0].last, s[0].last_hot), (1, 7, 6));
        // Four cool buckets then the end of data: not closed.
        let s = hysteresis(&[Hot, Hot, Cool, Cool, Cool, Cool]);
        assert!(s[0].open_ended);
        // Empty buckets neither close nor extend.
        let s = hysteresis(&[Hot, Hot, Empty, Empty, Empty, Empty, Empty, Empty, Cool]);
        assert_eq!(s[0].last, 1);
        assert!(s[0].open_ended);
    }

    #[test]
    fn thin_buckets_cannot_open_alone() {
        use Level::*;
        assert!(hysteresis(&[ThinHot, ThinHot, ThinHot, Cool]).is_empty());
        assert_eq!(hysteresis(&[ThinHot, Hot, Cool]).len(), 1);
        let mut spec = quiet(100);
        spec[50] = (5, 5);
        spec[51] = (5, 5);
        assert!(error_stretches(&pts(&spec), SLO).0.is_empty());
    }

    #[test]
    fn an_outage_over_the_whole_window_is_judged_against_the_slo_floor() {
        // 40 minutes in which 40% of requests fail in every bucket: no
        // clean baseline, still an incident, open on both sides.
        let spec = vec![(500, 200); 40];
        let (s, b) = error_stretches(&pts(&spec), SLO);
        assert!(b.from_floor);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].first, s[0].last), (0, 39));
        assert!(s[0].open_start && s[0].open_ended);
        // Ending inside the window: open only at the start.
        let spec = with(vec![(500, 200); 40], 35, &[(500, 0); 5]);
        let (s, b) = error_stretches(&pts(&spec), SLO);
        assert!(b.from_floor);
        assert_eq!(s.len(), 1);
        assert!(s[0].open_start && !s[0].open_ended);
        assert_eq!(s[0].last, 34);
        // A clean window is no incident, and a normal one is not open.
        let (s, b) = error_stretches(&pts(&quiet(40)), SLO);
        assert!(s.is_empty() && !b.from_floor);
        let spec = with(quiet(100), 50, &[(1000, 100); 10]);
        let s = error_stretches(&pts(&spec), SLO).0;
        assert!(!s[0].open_start && !s[0].open_ended);
    }

    #[test]
    fn baseline_ignores_the_incident() {
        // A long incident does not raise the baseline it is measured against.
        let spec = with(quiet(200), 80, &[(1000, 100); 60]);
        let (s, b) = error_stretches(&pts(&spec), SLO);
        assert_eq!(s.len(), 1);
        assert!((b.median - 0.002).abs() < 1e-9);
        assert!((b.pooled - 0.002).abs() < 1e-9);
        assert_eq!(b.buckets, 200 - 60 - 4);
    }

    #[test]
    fn thresholds_follow_the_slo_floors() {
        let b = Baseline {
            median: 0.0,
            mad: 0.0,
            pooled: 0.0,
            rate: 1000.0,
            buckets: 100,
            slo: 0.999,
            floors: Floors::burn(0.999),
            from_floor: false,
        };
        assert!((b.enter(1000) - 0.006).abs() < 1e-12);
        // Noise at the budget ratio: 2 × sqrt(0.001 × 0.999 / 1000).
        assert!((b.exit(1000) - 0.002).abs() < 1e-5);
        assert!((b.exit(1_000_000) - 0.001).abs() < 1e-12);
        let noisy = Baseline {
            median: 0.01,
            mad: 0.004,
            ..b
        };
        assert!((noisy.enter(1_000_000) - (0.01 + 5.0 * 1.4826 * 0.004)).abs() < 1e-9);
    }

    #[test]
    fn an_incident_longer_than_the_rest_is_still_found() {
        // 150 minutes of logs, 81 of them at 45% failures.
        let spec = with(vec![(75, 0); 150], 48, &[(75, 34); 81]);
        let (s, b) = error_stretches(&pts(&spec), SLO);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].first, s[0].last), (48, 128));
        assert_eq!(b.median, 0.0);
        // A service that always fails 3% keeps its own baseline.
        let spec = with(vec![(1000, 30); 150], 60, &[(1000, 300); 10]);
        let (s, b) = error_stretches(&pts(&spec), SLO);
        assert_eq!(s.len(), 1);
        assert!((b.median - 0.03).abs() < 1e-9);
    }

    #[test]
    fn noise_after_the_last_hot_bucket_is_not_the_end() {
        // 300 requests a minute, 0.1% failing: single failures here and
        // there after the incident keep it open but are trimmed.
        let mut spec = vec![(300, 0); 120];
        for i in (0..120).step_by(4) {
            spec[i] = (300, 1);
        }
        for x in spec.iter_mut().skip(50).take(20) {
            *x = (300, 100);
        }
        spec[71] = (300, 1);
        spec[73] = (300, 2);
        spec[76] = (300, 1);
        let (s, _) = error_stretches(&pts(&spec), SLO);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].first, s[0].last), (50, 69));
    }

    #[test]
    fn change_point_finds_the_jump() {
        let mut c = vec![0.0; 120];
        c[3] = 1.0; // a stray baseline failure
        for x in c.iter_mut().skip(77) {
            *x = 5.0;
        }
        assert_eq!(change_point(&c, 0.01, 5.0), 77);
        // And the mirror image for the end.
        let mut c = vec![5.0; 50];
        c.extend(vec![0.0; 70]);
        c[100] = 1.0;
        assert_eq!(change_point(&c, 5.0, 0.01), 50);
    }

    fn failed_seconds(ranges: &[(i64, i64, u64)]) -> FailedSeconds {
        let mut f = FailedSeconds::default();
        for &(from, to, per) in ranges {
            for s in from..to {
                f.add(s, per, s * SEC + 100_000, s * SEC + 900_000);
            }
        }
        f
    }

    #[test]
    fn edges_are_refined_to_the_second() {
        // Buckets of 60 s from t=0; impact from 3_617 s to 4_205 s.
        let spec = with(quiet(120), 60, &[(1000, 300); 11]);
        let grid = Grid {
            bucket_seconds: 60,
            first_key: 0,
            points: pts(&spec),
        };
        let mut f = failed_seconds(&[(3617, 4206, 5)]);
        // Stray baseline failures in the edge buckets.
        f.add(3601, 1, 3601 * SEC, 3601 * SEC);
        f.add(4250, 1, 4250 * SEC, 4250 * SEC);
        let (s, b) = error_stretches(&grid.points, SLO);
        assert_eq!(s.len(), 1);
        let (start, end) = refine_edges(&grid, &f, &s[0], &b).unwrap();
        assert_eq!(start, 3617 * SEC + 100_000);
        assert_eq!(end, 4205 * SEC + 900_000);
    }

    #[test]
    fn a_ramp_before_the_dense_failures_is_the_start() {
        let mut f = FailedSeconds::default();
        for s in [100, 160, 172, 180, 181, 183] {
            f.add(s, 1, s * SEC, s * SEC);
        }
        assert_eq!(extend_start(&f, 183 * SEC, 59 * SEC, 0), 160 * SEC);
        assert_eq!(extend_start(&f, 183 * SEC, 90 * SEC, 0), 100 * SEC);
        assert_eq!(extend_start(&f, 183 * SEC, 90 * SEC, 150 * SEC), 160 * SEC);
        assert_eq!(extend_start(&f, 183 * SEC, SEC, 0), 183 * SEC);
        assert_eq!(extend_start(&f, 183 * SEC, 2 * SEC, 0), 180 * SEC);
    }

    #[test]
    fn traffic_stop_is_a_loss() {
        let mut counts = vec![600u64; 200];
        for c in counts.iter_mut().skip(100).take(20) {
            *c = 0;
        }
        counts[99] = 300; // stopped half way through this bucket
        let losses = traffic_losses(&counts, 3);
        assert_eq!(losses.len(), 1);
        assert_eq!((losses[0].first, losses[0].last), (100, 119));
        assert_eq!(losses[0].expected, 600.0);
        assert_eq!(losses[0].lost, 12_000.0);
        let grid = Grid {
            bucket_seconds: 60,
            first_key: 0,
            points: vec![Point::default(); 200],
        };
        let (start, end) = loss_edges(&grid, &counts, &losses[0]);
        assert_eq!(start, (99 * 60 + 30) * SEC);
        assert_eq!(end, 120 * 60 * SEC);
    }

    #[test]
    fn collapse_and_short_dips() {
        // Traffic down to 10% for 5 buckets: a loss.
        let mut counts = vec![500u64; 100];
        for c in counts.iter_mut().skip(40).take(5) {
            *c = 50;
        }
        assert_eq!(traffic_losses(&counts, 3).len(), 1);
        // Two buckets only: not enough.
        let mut counts = vec![500u64; 100];
        counts[40] = 0;
        counts[41] = 0;
        assert!(traffic_losses(&counts, 3).is_empty());
        // A step up in traffic is not a loss before it.
        let mut counts = vec![50u64; 100];
        for c in counts.iter_mut().skip(50) {
            *c = 1000;
        }
        assert!(traffic_losses(&counts, 3).is_empty());
        // Thin traffic cannot show a loss.
        let counts = [3u64, 4, 0, 0, 0, 0, 3, 5, 4, 3, 4, 2, 3];
        assert!(traffic_losses(&counts, 3).is_empty());
    }

    #[test]
    fn app_errors_without_requests() {
        let mut points = vec![
            Point {
                requests: 0,
                failed: 0,
                errors: 1
            };
            100
        ];
        for p in points.iter_mut().skip(30).take(8) {
            p.errors = 40;
        }
        let (s, b) = app_error_stretches(&points);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].first, s[0].last), (30, 37));
        assert_eq!(b.median, 1.0);
        // A single error burst bucket is not an incident.
        points[80].errors = 50;
        assert_eq!(app_error_stretches(&points).0.len(), 1);
    }

    #[test]
    fn app_errors_high_for_longer_than_they_were_normal() {
        // Quiet for 48 buckets, then about ten errors a bucket for 100: the
        // median sits inside the incident, the quietest quarter does not.
        let errors = |i: usize| {
            if i < 48 {
                i.is_multiple_of(17) as u64
            } else {
                8 + (i % 5) as u64
            }
        };
        let points: Vec<Point> = (0..150)
            .map(|i| Point {
                errors: errors(i),
                ..Point::default()
            })
            .collect();
        let (s, b) = app_error_stretches(&points);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].first, 48);
        assert!(s[0].open_ended);
        assert!(b.median <= 1.0);
        // A steady, noisy log (Poisson-like around 6) has no step.
        let noisy: Vec<Point> = (0..150)
            .map(|i| Point {
                errors: [6, 3, 8, 5, 9, 4, 7, 6, 2, 10][i % 10],
                ..Point::default()
            })
            .collect();
        assert!(app_error_stretches(&noisy).0.is_empty());
    }

    #[test]
    fn thin_traffic_widens_buckets() {
        assert_eq!(thin_traffic_factor(60, 500.0), 1);
        assert_eq!(thin_traffic_factor(60, 5.0), 5);
        assert_eq!(thin_traffic_factor(60, 0.1), 15);
        assert_eq!(thin_traffic_factor(900, 1.0), 1);
    }
}
