//! Impact figures of one incident (docs/report.md, "Metric
//! definitions"): requests and failures within the window, clients
//! affected, requests lost to missing traffic, latency before and during,
//! error budget and burn rate; and the response metrics (time to detect,
//! mitigate, recover).

use crate::display::round2;
use crate::series::{Histogram, Series};
use crate::time::{Micros, SEC};

/// Days in the SLO period the error budget is measured against.
pub const SLO_PERIOD_DAYS: f64 = 30.0;
/// Traffic before impact used for "before" latency and the usual rate.
pub const BEFORE_SECONDS: i64 = 3600;

/// Latency percentiles before and during, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latency {
    pub p50_before: Option<f64>,
    pub p99_before: Option<f64>,
    pub p50_during: Option<f64>,
    pub p99_during: Option<f64>,
}

/// What the incident cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Impact {
    pub requests_total: u64,
    pub requests_failed: u64,
    pub failed_pct: Option<f64>,
    pub clients_total: Option<u64>,
    pub clients_affected: Option<u64>,
    pub clients_affected_pct: Option<f64>,
    /// The client counts are estimates (from partials that sketched their
    /// clients: see `scan::sketch`), within about ±3 %.
    pub clients_estimated: bool,
    pub baseline_failed_pct: Option<f64>,
    /// Requests that did not arrive: the usual rate times the time, minus
    /// what was seen (only when the shortfall is clear).
    pub requests_lost: u64,
    pub latency: Latency,
    pub error_budget_used_pct: Option<f64>,
    pub burn_rate: Option<f64>,
    /// Usual requests per second before the incident.
    pub usual_rate_per_second: Option<f64>,
    /// Whether requests and failures were counted exactly within the window
    /// (a second read of the request logs) or estimated from buckets.
    pub exact_counts: bool,
    /// Error-level application messages within the window.
    pub error_messages: u64,
    /// Latency incidents: requests slower than the threshold (or failed),
    /// and their share.
    pub requests_slow: Option<u64>,
    pub slow_pct: Option<f64>,
    /// Refusal incidents: the refused requests (also `requests_failed`).
    pub requests_refused: Option<u64>,
    pub refused_pct: Option<f64>,
}

/// Time to detect, mitigate and recover, in seconds from the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Negative when the first alert fired before impact began.
    pub time_to_detect_seconds: Option<i64>,
    pub time_to_mitigate_seconds: Option<i64>,
    pub time_to_recover_seconds: i64,
}

impl Metrics {
    pub fn new(
        start: Micros,
        end: Micros,
        detected: Option<Micros>,
        mitigated: Option<Micros>,
    ) -> Metrics {
        let secs = |t: Micros| (t - start).div_euclid(SEC);
        Metrics {
            time_to_detect_seconds: detected.map(secs),
            time_to_mitigate_seconds: mitigated.map(secs),
            time_to_recover_seconds: secs(end),
        }
    }
}

/// Share in percent, rounded to 2 decimals; `None` without a denominator.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round2(part as f64 * 100.0 / whole as f64))
}

/// Error budget used, in percent of the period's budget:
/// `(failed − baseline_ratio × requests) / ((1 − SLO) × expected requests in
/// the period)`, the period's requests being the usual rate for 30 days.
pub fn error_budget_used_pct(
    failed: f64,
    requests: f64,
    baseline_ratio: f64,
    rate_per_second: f64,
    slo: f64,
) -> Option<f64> {
    let budget = (1.0 - slo) * rate_per_second * SLO_PERIOD_DAYS * 86_400.0;
    (budget > 0.0).then(|| round2(((failed - baseline_ratio * requests).max(0.0) / budget) * 100.0))
}

/// Burn rate: the error ratio over the error budget ratio.
pub fn burn_rate(failed: f64, requests: f64, slo: f64) -> Option<f64> {
    let budget = 1.0 - slo;
    (requests > 0.0 && budget > 0.0).then(|| round2(failed / requests / budget))
}

/// Requests and failures in `[from, to]` estimated from the buckets: whole
/// buckets inside, the edge buckets in proportion to their overlap. Used
/// when the request logs cannot be read a second time (standard input).
pub fn prorated_counts(series: &Series, from: Micros, to: Micros) -> (u64, u64) {
    if to < from {
        return (0, 0);
    }
    let (mut req, mut failed) = (0.0, 0.0);
    for (k, b) in series.present(series.key(from), series.key(to)) {
        let (bs, be) = (series.bucket_start(k), series.bucket_start(k + 1));
        let overlap = (be.min(to + 1) - bs.max(from)).max(0) as f64 / (be - bs) as f64;
        req += b.requests as f64 * overlap;
        failed += b.failed as f64 * overlap;
    }
    (req.round() as u64, failed.round() as u64)
}

/// Some count of the buckets (`count(bucket)`) in `[from, to]`, the edge
/// buckets in proportion to their overlap.
pub fn prorated_by(
    series: &Series,
    from: Micros,
    to: Micros,
    count: impl Fn(&crate::series::Bucket) -> u64,
) -> u64 {
    if to < from {
        return 0;
    }
    let mut sum = 0.0;
    for (k, b) in series.present(series.key(from), series.key(to)) {
        let (bs, be) = (series.bucket_start(k), series.bucket_start(k + 1));
        let overlap = (be.min(to + 1) - bs.max(from)).max(0) as f64 / (be - bs) as f64;
        sum += count(b) as f64 * overlap;
    }
    sum.round() as u64
}

/// Error-level messages in the buckets overlapping `[from, to]`.
pub fn error_messages(series: &Series, from: Micros, to: Micros) -> u64 {
    if to < from {
        return 0;
    }
    series
        .present(series.key(from), series.key(to))
        .into_iter()
        .map(|(_, b)| b.error_messages)
        .sum()
}

/// Latency percentiles of the hour before `start` (leaving out buckets of
/// any incident) and of the buckets mostly inside `[start, end]`.
pub fn latency(
    series: &Series,
    start: Micros,
    end: Micros,
    windows: &[(Micros, Micros)],
) -> Latency {
    let mut before = Histogram::default();
    let (k0, k1) = (
        series.key(start - BEFORE_SECONDS * SEC),
        series.key(start) - 1,
    );
    for (k, b) in series.present(k0, k1) {
        let (bs, be) = (series.bucket_start(k), series.bucket_start(k + 1));
        if windows.iter().any(|&(s, e)| bs <= e && be > s) {
            continue;
        }
        before.merge(&b.latency);
    }
    let mut during = Histogram::default();
    let mut edges = Histogram::default();
    for (k, b) in series.present(series.key(start), series.key(end)) {
        let (bs, be) = (series.bucket_start(k), series.bucket_start(k + 1));
        let overlap = (be.min(end + 1) - bs.max(start)) as f64 / (be - bs) as f64;
        if overlap >= 0.5 {
            during.merge(&b.latency);
        } else {
            edges.merge(&b.latency);
        }
    }
    if during.count() == 0 {
        during = edges;
    }
    let r = |v: Option<f64>| v.map(|x| (x * 10.0).round() / 10.0);
    Latency {
        p50_before: r(before.quantile_ms(0.5)),
        p99_before: r(before.quantile_ms(0.99)),
        p50_during: r(during.quantile_ms(0.5)),
        p99_during: r(during.quantile_ms(0.99)),
    }
}

/// The usual requests per second before `start`: the median of the
/// buckets with traffic in the hour before, outside incidents.
pub fn usual_rate(series: &Series, start: Micros, windows: &[(Micros, Micros)]) -> Option<f64> {
    let (k0, k1) = (
        series.key(start - BEFORE_SECONDS * SEC),
        series.key(start) - 1,
    );
    let mut v: Vec<f64> = Vec::new();
    for (k, b) in series.present(k0, k1) {
        let (bs, be) = (series.bucket_start(k), series.bucket_start(k + 1));
        if windows.iter().any(|&(s, e)| bs <= e && be > s) {
            continue;
        }
        let n = b.requests;
        if n > 0 {
            v.push(n as f64);
        }
    }
    // Too little history: not a rate to build on.
    if v.len() < 5 {
        return None;
    }
    super::detect::median(&mut v).map(|m| m / series.bucket_seconds as f64)
}

/// Requests missing against the usual rate, when the shortfall is clear
/// (more than 10% and more than 3 Poisson deviations).
pub fn shortfall(usual_per_second: f64, seconds: f64, seen: u64) -> u64 {
    let expected = usual_per_second * seconds;
    let gap = expected - seen as f64;
    if gap > 0.1 * expected && gap > 3.0 * expected.sqrt() {
        gap.round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_and_burn() {
        // 44,592 failed of 68,625 at a 0.21% baseline, 1,000 req/min usual.
        let used = error_budget_used_pct(44_592.0, 68_625.0, 0.0021, 1000.0 / 60.0, 0.999).unwrap();
        // Budget: 0.001 × 16.67/s × 2,592,000 s = 43,200 failed requests.
        let expect = (44_592.0 - 0.0021 * 68_625.0) / 43_200.0 * 100.0;
        assert!((used - expect).abs() < 0.01, "{used} vs {expect}");
        assert_eq!(burn_rate(44_592.0, 68_625.0, 0.999), Some(649.79));
        assert_eq!(burn_rate(1.0, 0.0, 0.999), None);
        assert_eq!(error_budget_used_pct(1.0, 1.0, 0.0, 0.0, 0.999), None);
        // Fewer failures than the baseline would give spend nothing.
        assert_eq!(
            error_budget_used_pct(0.0, 1000.0, 0.01, 1.0, 0.999),
            Some(0.0)
        );
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(44_592, 68_625), Some(64.98));
        assert_eq!(percent(1, 0), None);
    }

    #[test]
    fn edge_buckets_are_prorated() {
        let mut s = Series::new(60);
        for sec in 0..180 {
            s.add_request(sec * SEC, 200, sec % 2 == 0, None, Some(10.0));
        }
        // [30 s, 149 s]: half of bucket 0, all of bucket 1, half of bucket 2.
        assert_eq!(prorated_counts(&s, 30 * SEC, 150 * SEC - 1), (120, 60));
        assert_eq!(prorated_counts(&s, 10 * SEC, 5 * SEC), (0, 0));
    }

    #[test]
    fn latency_before_and_during() {
        let mut s = Series::new(60);
        for sec in 0..3600 {
            s.add_request(sec * SEC, 200, false, None, Some(30.0));
        }
        for sec in 3600..4200 {
            s.add_request(sec * SEC, 200, false, None, Some(640.0));
        }
        let l = latency(&s, 3600 * SEC, 4200 * SEC - 1, &[]);
        assert!((l.p50_before.unwrap() - 30.0).abs() < 2.0);
        assert!((l.p50_during.unwrap() - 640.0).abs() < 30.0);
        assert_eq!(usual_rate(&s, 3600 * SEC, &[]), Some(1.0));
    }

    #[test]
    fn shortfall_needs_a_clear_gap() {
        assert_eq!(shortfall(10.0, 600.0, 5950), 0);
        assert_eq!(shortfall(10.0, 600.0, 0), 6000);
        assert_eq!(shortfall(10.0, 600.0, 3000), 3000);
    }

    #[test]
    fn metrics_keep_out_of_order_facts() {
        let m = Metrics::new(100 * SEC, 400 * SEC, Some(40 * SEC), Some(300 * SEC));
        assert_eq!(m.time_to_detect_seconds, Some(-60));
        assert_eq!(m.time_to_mitigate_seconds, Some(200));
        assert_eq!(m.time_to_recover_seconds, 300);
    }
}
