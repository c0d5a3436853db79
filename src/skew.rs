//! Clock skew between sources: hosts whose clocks disagree put the same
//! moment at different times, which reorders the timeline and misleads
//! "what happened first". The shared signal used here is the failure
//! itself: when a load balancer fails requests, the application behind it
//! logs errors in the same seconds. For each application source, the lag
//! that best lines up its per-second error counts with the load balancer's
//! per-second failures (cross-correlation) estimates its offset.
//!
//! The estimate cannot tell a wrong clock from a real delay (a timeout
//! logged when it expires), so it is reported as a warning with the
//! `--skew` that would correct it, never applied silently.

use std::collections::BTreeMap;

use crate::display::round2;
use crate::event::EventKind;
use crate::scan::Partial;

/// Largest offset looked for, in seconds.
const MAX_LAG: i64 = 180;
/// Offsets smaller than this are not worth a warning: requests that time
/// out are logged by the proxy when they end, seconds after the
/// application logged its error, so short lags are usually real delays.
const MIN_REPORTED_LAG: i64 = 10;
/// Events each side needs before an estimate means anything.
const MIN_EVENTS: u64 = 20;
/// Correlation the best lag must reach, and how much it must beat no lag.
const MIN_CORRELATION: f64 = 0.4;
const MIN_GAIN: f64 = 0.1;
/// Longest span of seconds compared (a day).
const MAX_SPAN: i64 = 86_400;

/// An estimated clock offset of one source against the request logs.
#[derive(Clone, Debug, PartialEq)]
pub struct SkewEstimate {
    pub source: String,
    /// Seconds by which the source's errors follow the request logs'
    /// failures (negative: they come first).
    pub lag_seconds: i64,
    /// Correlation of the per-second counts at that lag.
    pub correlation: f64,
    /// Correlation with no lag, for comparison.
    pub correlation_at_zero: f64,
    /// Error events of the source that were compared.
    pub events: u64,
}

impl SkewEstimate {
    /// The warning shown to people.
    pub fn warning(&self) -> String {
        let (dir, fix) = if self.lag_seconds > 0 {
            ("after", format!("-{}s", self.lag_seconds))
        } else {
            ("before", format!("+{}s", -self.lag_seconds))
        };
        format!(
            "its errors line up best {} s {dir} the load balancer's failures (correlation {:.2}, {:.2} with no offset): its clock may be off; if so, rerun with --skew {}={fix}",
            self.lag_seconds.abs(),
            self.correlation,
            self.correlation_at_zero,
            self.source
        )
    }
}

/// Per-second counts of error-level messages of one source, or of its
/// error events when its lines carry no level.
pub fn errors_of(p: &Partial) -> BTreeMap<i64, f64> {
    if !p.error_seconds.is_empty() {
        return p
            .error_seconds
            .iter()
            .map(|(&s, &n)| (s, n as f64))
            .collect();
    }
    let mut out = BTreeMap::new();
    for (key, seconds) in &p.runs {
        if key.kind == EventKind::Error {
            for (&sec, agg) in seconds {
                *out.entry(sec).or_insert(0.0) += agg.count as f64;
            }
        }
    }
    out
}

/// Estimates the offset of every candidate source with enough errors
/// against `reference`, the request logs' failed requests per second;
/// only offsets worth a warning are returned.
pub fn estimate(
    reference: &BTreeMap<i64, f64>,
    candidates: &[(&str, &Partial)],
) -> Vec<SkewEstimate> {
    let ref_events: f64 = reference.values().sum();
    if (ref_events as u64) < MIN_EVENTS {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (source, partial) in candidates {
        let errors = errors_of(partial);
        let events: f64 = errors.values().sum();
        if (events as u64) < MIN_EVENTS {
            continue;
        }
        if let Some((lag, best, zero)) = best_lag(reference, &errors) {
            if lag.abs() >= MIN_REPORTED_LAG && best >= MIN_CORRELATION && best - zero >= MIN_GAIN {
                out.push(SkewEstimate {
                    source: source.to_string(),
                    lag_seconds: lag,
                    correlation: round2(best),
                    correlation_at_zero: round2(zero),
                    events: events as u64,
                });
            }
        }
    }
    out
}

/// The lag (seconds `other` follows `reference`) with the highest Pearson
/// correlation of the dense per-second series, that correlation, and the
/// correlation at lag 0. `None` when the series do not overlap in time.
pub fn best_lag(
    reference: &BTreeMap<i64, f64>,
    other: &BTreeMap<i64, f64>,
) -> Option<(i64, f64, f64)> {
    let (&r0, &r1) = (reference.keys().next()?, reference.keys().next_back()?);
    let (&o0, &o1) = (other.keys().next()?, other.keys().next_back()?);
    // Only sources active around the same time can be compared.
    if o0 > r1 + MAX_LAG || o1 < r0 - MAX_LAG {
        return None;
    }
    let lo = r0.min(o0) - MAX_LAG;
    let hi = r1.max(o1) + MAX_LAG;
    if hi - lo > MAX_SPAN {
        return None;
    }
    let n = (hi - lo + 1) as usize;
    let mut a = vec![0.0; n];
    let mut b = vec![0.0; n];
    for (&s, &c) in reference {
        a[(s - lo) as usize] = c;
    }
    for (&s, &c) in other {
        b[(s - lo) as usize] = c;
    }
    let mut best = (0i64, f64::MIN);
    let mut zero = 0.0;
    for lag in -MAX_LAG..=MAX_LAG {
        let c = correlation(&a, &b, lag);
        if lag == 0 {
            zero = c;
        }
        // Ties go to the smaller offset.
        if c > best.1 + 1e-9 || ((c - best.1).abs() <= 1e-9 && lag.abs() < best.0.abs()) {
            best = (lag, c);
        }
    }
    Some((best.0, best.1, zero))
}

/// Pearson correlation of `a[t]` with `b[t + lag]` over the overlap.
fn correlation(a: &[f64], b: &[f64], lag: i64) -> f64 {
    let n = a.len() as i64;
    let (start, end) = if lag >= 0 { (0, n - lag) } else { (-lag, n) };
    if end - start < 2 {
        return 0.0;
    }
    let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for t in start..end {
        let x = a[t as usize];
        let y = b[(t + lag) as usize];
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
    }
    let m = (end - start) as f64;
    let cov = sab - sa * sb / m;
    let va = saa - sa * sa / m;
    let vb = sbb - sb * sb / m;
    if va <= 0.0 || vb <= 0.0 {
        return 0.0;
    }
    cov / (va * vb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bursts(shift: i64) -> BTreeMap<i64, f64> {
        // Irregular bursts so that only one lag lines them up.
        let mut m = BTreeMap::new();
        let mut x: u64 = 7;
        for s in 1000..1600i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = (x % 5) as f64;
            if c > 0.0 {
                m.insert(s + shift, c);
            }
        }
        m
    }

    #[test]
    fn finds_the_offset_of_a_shifted_source() {
        let (lag, best, zero) = best_lag(&bursts(0), &bursts(40)).unwrap();
        assert_eq!(lag, 40);
        assert!(best > 0.99, "{best}");
        assert!(best - zero > 0.3, "{best} vs {zero}");
        let (lag, _, _) = best_lag(&bursts(0), &bursts(-12)).unwrap();
        assert_eq!(lag, -12);
    }

    #[test]
    fn aligned_sources_have_no_offset() {
        let (lag, _, _) = best_lag(&bursts(0), &bursts(0)).unwrap();
        assert_eq!(lag, 0);
    }

    #[test]
    fn far_apart_sources_are_not_compared() {
        assert!(best_lag(&bursts(0), &bursts(10_000)).is_none());
    }

    #[test]
    fn the_warning_says_how_to_correct_it() {
        let e = SkewEstimate {
            source: "app/app-2.log".into(),
            lag_seconds: 40,
            correlation: 0.8,
            correlation_at_zero: 0.1,
            events: 100,
        };
        assert!(
            e.warning().contains("--skew app/app-2.log=-40s"),
            "{}",
            e.warning()
        );
    }
}
