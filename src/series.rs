//! Bucketed, mergeable counters: requests, failures, per-backend traffic,
//! latency histograms and error-level messages per time bucket.
//!
//! Everything here merges by addition, so per-thread and per-file partials
//! combine in any order into the same result.

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use crate::time::{Micros, SEC};

/// A latency histogram with logarithmic bins (16 per power of two, about
/// 4% wide), mergeable by addition. Values are microseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    counts: Vec<u32>,
    total: u64,
}

const SUB_BITS: u32 = 4;
const SUB: u64 = 1 << SUB_BITS;

impl Histogram {
    #[inline]
    fn bin(micros: u64) -> usize {
        if micros < SUB {
            return micros as usize;
        }
        let exp = 63 - micros.leading_zeros();
        let sub = (micros >> (exp - SUB_BITS)) & (SUB - 1);
        ((exp - SUB_BITS + 1) as u64 * SUB + sub) as usize
    }

    /// The lower edge of a bin, in microseconds.
    fn bin_low(bin: usize) -> u64 {
        let bin = bin as u64;
        if bin < SUB {
            return bin;
        }
        let exp = bin / SUB + SUB_BITS as u64 - 1;
        let sub = bin % SUB;
        (1u64 << exp) | (sub << (exp - SUB_BITS as u64))
    }

    /// Adds one latency in milliseconds.
    #[inline]
    pub fn record_ms(&mut self, ms: f64) {
        if !(ms.is_finite() && ms >= 0.0) {
            return;
        }
        let micros = (ms * 1000.0).min(1e15) as u64;
        let b = Self::bin(micros);
        if self.counts.len() <= b {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] = self.counts[b].saturating_add(1);
        self.total += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.saturating_add(*b);
        }
        self.total += other.total;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// Values above `ms` milliseconds: the bins whose lower edge is at or
    /// above it (bins are about 4% wide, so this is as close as the
    /// histogram can tell; exact counts come from a second read).
    pub fn count_above_ms(&self, ms: f64) -> u64 {
        if !(ms.is_finite() && ms >= 0.0) {
            return 0;
        }
        let micros = (ms * 1000.0).min(1e15) as u64;
        let first = Self::bin(micros);
        // The bin holding the threshold counts only when it starts there.
        let from = if Self::bin_low(first) >= micros {
            first
        } else {
            first + 1
        };
        self.counts.iter().skip(from).map(|&c| c as u64).sum()
    }

    /// The `q` quantile (0..=1) in milliseconds, at the middle of its bin;
    /// `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0u64;
        for (bin, &c) in self.counts.iter().enumerate() {
            seen += c as u64;
            if seen >= rank {
                let low = Self::bin_low(bin) as f64;
                let high = Self::bin_low(bin + 1) as f64;
                return Some((low + high) / 2.0 / 1000.0);
            }
        }
        None
    }
}

/// Requests and failures through one backend in one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendCounts {
    pub requests: u64,
    pub failed: u64,
}

/// Everything counted in one time bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub requests: u64,
    pub failed: u64,
    /// Requests per status class: 0 (no response), 1xx .. 5xx.
    pub by_class: [u64; 6],
    pub backends: HashMap<Box<str>, BackendCounts>,
    pub latency: Histogram,
    /// Application and system messages, and those at error level or worse.
    pub messages: u64,
    pub error_messages: u64,
    /// Client-visible refusals, per status of [`REFUSALS`].
    pub refused: [u64; 3],
}

/// The refusal statuses counted per bucket: 401, 403 and 429.
pub const REFUSALS: [u16; 3] = [401, 403, 429];

impl Bucket {
    pub fn merge(&mut self, other: &Bucket) {
        self.requests += other.requests;
        self.failed += other.failed;
        for (a, b) in self.by_class.iter_mut().zip(other.by_class) {
            *a += b;
        }
        for (name, c) in &other.backends {
            let e = self.backends.entry(name.clone()).or_default();
            e.requests += c.requests;
            e.failed += c.failed;
        }
        self.latency.merge(&other.latency);
        self.messages += other.messages;
        self.error_messages += other.error_messages;
        for (a, b) in self.refused.iter_mut().zip(other.refused) {
            *a += b;
        }
    }
}

/// A gap in the data longer than this splits it into separate stretches
/// (see [`Series::core`]).
pub const STRAY_GAP_SECONDS: i64 = 7 * 86_400;
/// A stretch at either end of the data holding less than this share of it
/// is a stray (see [`Series::core`]).
pub const STRAY_SHARE: f64 = 0.01;

/// The bulk of a series' data, as bucket keys (see [`Series::core`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Core {
    pub first: i64,
    pub last: i64,
    /// What was left out, if anything.
    pub strays: Option<Strays>,
}

/// Buckets left out of a [`Core`]: their total weight and the keys of the
/// first and last of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strays {
    pub weight: u64,
    pub first: i64,
    pub last: i64,
}

/// Most distinct backends kept over all inputs (see `scan::keycap`): the
/// rest are summed per bucket as [`OTHER_BACKEND`].
pub const MAX_BACKENDS: usize = 1000;
/// The backend the backends past [`MAX_BACKENDS`] are summed as.
pub const OTHER_BACKEND: &str = "(other)";

/// Buckets keyed by their index (bucket start / bucket width).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub bucket_seconds: i64,
    buckets: HashMap<i64, Bucket>,
    /// Distinct backends summed as [`OTHER_BACKEND`] over all inputs of
    /// the scan: the same in every series it made, kept by merging.
    pub folded_backends: usize,
}

impl Series {
    pub fn new(bucket_seconds: i64) -> Series {
        Series {
            bucket_seconds: bucket_seconds.max(1),
            buckets: HashMap::default(),
            folded_backends: 0,
        }
    }

    /// The bucket index of a time.
    #[inline]
    pub fn key(&self, at: Micros) -> i64 {
        at.div_euclid(SEC).div_euclid(self.bucket_seconds)
    }

    /// The start of a bucket, in microseconds.
    pub fn bucket_start(&self, key: i64) -> Micros {
        key * self.bucket_seconds * SEC
    }

    #[inline]
    pub fn bucket_mut(&mut self, at: Micros) -> &mut Bucket {
        let key = self.key(at);
        self.buckets.entry(key).or_default()
    }

    /// Counts one request.
    #[inline]
    pub fn add_request(
        &mut self,
        at: Micros,
        status: u16,
        failed: bool,
        backend: Option<&str>,
        latency_ms: Option<f64>,
    ) {
        let b = self.bucket_mut(at);
        b.requests += 1;
        b.failed += failed as u64;
        b.by_class[(status / 100).min(5) as usize] += 1;
        if let Some(i) = REFUSALS.iter().position(|&r| r == status) {
            b.refused[i] += 1;
        }
        if let Some(name) = backend {
            match b.backends.get_mut(name) {
                Some(c) => {
                    c.requests += 1;
                    c.failed += failed as u64;
                }
                None => {
                    b.backends.insert(
                        name.into(),
                        BackendCounts {
                            requests: 1,
                            failed: failed as u64,
                        },
                    );
                }
            }
        }
        if let Some(ms) = latency_ms {
            b.latency.record_ms(ms);
        }
    }

    /// Counts one message, and whether it is an error.
    #[inline]
    pub fn add_message(&mut self, at: Micros, is_error: bool) {
        let b = self.bucket_mut(at);
        b.messages += 1;
        b.error_messages += is_error as u64;
    }

    /// Adds `other`, which must have the same bucket width.
    pub fn merge(&mut self, other: &Series) {
        debug_assert_eq!(self.bucket_seconds, other.bucket_seconds);
        self.folded_backends = self.folded_backends.max(other.folded_backends);
        for (k, b) in &other.buckets {
            self.buckets.entry(*k).or_default().merge(b);
        }
    }

    /// [`Series::merge`] taking `other` by value: its buckets move in
    /// rather than being copied where this series has none.
    pub fn merge_owned(&mut self, other: Series) {
        debug_assert_eq!(self.bucket_seconds, other.bucket_seconds);
        self.folded_backends = self.folded_backends.max(other.folded_backends);
        if self.buckets.is_empty() {
            self.buckets = other.buckets;
            return;
        }
        for (k, b) in other.buckets {
            match self.buckets.get_mut(&k) {
                Some(mine) => mine.merge(&b),
                None => {
                    self.buckets.insert(k, b);
                }
            }
        }
    }

    /// Adds only the request and message totals of `other` (no backends,
    /// no latencies): enough to say where the bulk of the data lies.
    pub fn merge_totals(&mut self, other: &Series) {
        for (k, b) in &other.buckets {
            let mine = self.buckets.entry(*k).or_default();
            mine.requests += b.requests;
            mine.failed += b.failed;
            mine.messages += b.messages;
            mine.error_messages += b.error_messages;
        }
    }

    /// Adds only the message counts of `other` (for files whose requests
    /// are not the load balancer's: see `Analysis::request_sources`).
    pub fn merge_messages(&mut self, other: &Series) {
        for (k, b) in &other.buckets {
            if b.messages == 0 {
                continue;
            }
            let mine = self.buckets.entry(*k).or_default();
            mine.messages += b.messages;
            mine.error_messages += b.error_messages;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The first and last bucket index, if any.
    pub fn key_range(&self) -> Option<(i64, i64)> {
        let min = self.buckets.keys().min()?;
        let max = self.buckets.keys().max()?;
        Some((*min, *max))
    }

    pub fn get(&self, key: i64) -> Option<&Bucket> {
        self.buckets.get(&key)
    }

    /// Buckets in time order with their index, empty ones included, from
    /// `first` to `last`. This walks every key of the range: keep it for
    /// ranges known to be short, and use [`Series::present`] otherwise.
    pub fn dense(&self, first: i64, last: i64) -> impl Iterator<Item = (i64, Option<&Bucket>)> {
        (first..=last).map(move |k| (k, self.buckets.get(&k)))
    }

    /// The buckets that exist from `first` to `last`, in time order. Costs
    /// the smaller of the range and the number of buckets: one stray
    /// timestamp years away makes the range billions of keys long while
    /// the buckets stay few.
    pub fn present(&self, first: i64, last: i64) -> Vec<(i64, &Bucket)> {
        if last < first {
            return Vec::new();
        }
        let span = (last as i128 - first as i128 + 1) as u128;
        if span <= 2 * self.buckets.len() as u128 {
            (first..=last)
                .filter_map(|k| self.buckets.get(&k).map(|b| (k, b)))
                .collect()
        } else {
            let mut v: Vec<(i64, &Bucket)> = self
                .buckets
                .iter()
                .filter(|(k, _)| (first..=last).contains(*k))
                .map(|(k, b)| (*k, b))
                .collect();
            v.sort_unstable_by_key(|(k, _)| *k);
            v
        }
    }

    /// Where the bulk of the data lies: the first and last bucket with a
    /// non-zero `weight`, leaving out strays at either end. A stray is a
    /// stretch of buckets separated from the rest by more than
    /// [`STRAY_GAP_SECONDS`] of nothing and holding less than
    /// [`STRAY_SHARE`] of the weight: a host whose clock fell back to
    /// 1970, a mistyped year. Such lines would otherwise stretch a time
    /// range over decades.
    pub fn core(&self, weight: impl Fn(&Bucket) -> u64) -> Option<Core> {
        let (lo, hi) = self.key_range()?;
        let keys: Vec<(i64, u64)> = self
            .present(lo, hi)
            .into_iter()
            .map(|(k, b)| (k, weight(b)))
            .filter(|&(_, w)| w > 0)
            .collect();
        let (first, last) = (keys.first()?.0, keys.last()?.0);
        let gap = (STRAY_GAP_SECONDS / self.bucket_seconds).max(1);
        // Stretches separated by long gaps: (first key, last key, weight).
        let mut parts: Vec<(i64, i64, u64)> = Vec::new();
        for &(k, w) in &keys {
            match parts.last_mut() {
                Some(p) if k - p.1 <= gap => {
                    p.1 = k;
                    p.2 = p.2.saturating_add(w);
                }
                _ => parts.push((k, k, w)),
            }
        }
        let total = parts.iter().map(|p| p.2).fold(0, u64::saturating_add);
        let big = |p: &&(i64, i64, u64)| p.2 as f64 >= total as f64 * STRAY_SHARE;
        let k0 = parts.iter().find(big).map_or(first, |p| p.0);
        let k1 = parts.iter().rev().find(big).map_or(last, |p| p.1);
        let strays: Vec<&(i64, i64, u64)> = parts.iter().filter(|p| p.1 < k0 || p.0 > k1).collect();
        let strays = match (strays.first(), strays.last()) {
            (Some(a), Some(b)) => Some(Strays {
                weight: strays.iter().map(|p| p.2).fold(0, u64::saturating_add),
                first: a.0,
                last: b.1,
            }),
            _ => None,
        };
        Some(Core {
            first: k0,
            last: k1,
            strays,
        })
    }

    /// The range `first..=last` split where the logs have a gap longer
    /// than the data on either side of it (two request logs years apart,
    /// a week of logs then one more hour a month later): such a gap is a
    /// gap in the logs, not an outage, and each side is judged on its own.
    /// The largest gap is split first, then each side again.
    pub fn segments(
        &self,
        weight: impl Fn(&Bucket) -> u64,
        first: i64,
        last: i64,
    ) -> Vec<(i64, i64)> {
        let keys: Vec<i64> = self
            .present(first, last)
            .into_iter()
            .filter(|(_, b)| weight(b) > 0)
            .map(|(k, _)| k)
            .collect();
        let mut out = Vec::new();
        split_at_gaps(&keys, &mut out);
        if out.is_empty() {
            out.push((first, last));
        }
        out
    }

    /// Total requests counted.
    pub fn total_requests(&self) -> u64 {
        self.buckets.values().map(|b| b.requests).sum()
    }

    /// Every backend name seen, sorted.
    pub fn backend_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .buckets
            .values()
            .flat_map(|b| b.backends.keys().map(|k| k.to_string()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every backend (but [`OTHER_BACKEND`]) with its failed and all
    /// requests over the series, in no particular order.
    pub fn backend_tallies(&self) -> Vec<(Box<str>, (u64, u64))> {
        let mut totals: HashMap<&str, (u64, u64)> = HashMap::default();
        for b in self.buckets.values() {
            for (name, c) in &b.backends {
                if &**name == OTHER_BACKEND {
                    continue;
                }
                let t = totals.entry(name).or_default();
                t.0 += c.failed;
                t.1 += c.requests;
            }
        }
        totals.into_iter().map(|(n, t)| (n.into(), t)).collect()
    }

    /// Sums the backends named in `names` into [`OTHER_BACKEND`], bucket
    /// by bucket.
    pub fn fold_backends(&mut self, names: &rustc_hash::FxHashSet<&str>) {
        if names.is_empty() {
            return;
        }
        for b in self.buckets.values_mut() {
            let mut other = BackendCounts::default();
            let before = b.backends.len();
            b.backends.retain(|name, c| {
                let fold = names.contains(&**name);
                if fold {
                    other.requests += c.requests;
                    other.failed += c.failed;
                }
                !fold
            });
            if b.backends.len() < before {
                let e = b.backends.entry(OTHER_BACKEND.into()).or_default();
                e.requests += other.requests;
                e.failed += other.failed;
                b.backends.shrink_to_fit();
            }
        }
    }

    /// A copy with buckets `factor` times wider (for very long time ranges).
    pub fn coarsen(&self, factor: i64) -> Series {
        let mut out = Series::new(self.bucket_seconds * factor.max(1));
        out.folded_backends = self.folded_backends;
        for (k, b) in &self.buckets {
            out.buckets
                .entry(k.div_euclid(factor.max(1)))
                .or_default()
                .merge(b);
        }
        out
    }
}

/// [`Series::segments`] over sorted bucket keys with data.
fn split_at_gaps(keys: &[i64], out: &mut Vec<(i64, i64)>) {
    let (Some(&first), Some(&last)) = (keys.first(), keys.last()) else {
        return;
    };
    // The widest gap: between keys[at] and keys[at + 1].
    let widest = keys
        .windows(2)
        .enumerate()
        .max_by_key(|(_, w)| w[1] - w[0])
        .map(|(at, w)| (at, w[1] - w[0] - 1));
    if let Some((at, gap)) = widest {
        let before = keys[at] - first + 1;
        let after = last - keys[at + 1] + 1;
        if gap > before && gap > after {
            split_at_gaps(&keys[..=at], out);
            split_at_gaps(&keys[at + 1..], out);
            return;
        }
    }
    out.push((first, last));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_above_a_latency() {
        let mut h = Histogram::default();
        for ms in [1.0, 10.0, 100.0, 1000.0, 2000.0, 9000.0] {
            h.record_ms(ms);
        }
        assert_eq!(h.count_above_ms(0.0), 6);
        assert_eq!(h.count_above_ms(500.0), 3);
        assert_eq!(h.count_above_ms(1000.0), 2);
        assert_eq!(h.count_above_ms(1100.0), 2);
        assert_eq!(h.count_above_ms(10_000.0), 0);
        assert_eq!(h.count_above_ms(f64::NAN), 0);
    }

    #[test]
    fn refusals_are_counted_per_status() {
        let mut s = Series::new(60);
        for status in [200, 429, 429, 401, 403, 500] {
            s.add_request(0, status, status >= 500, None, None);
        }
        let b = s.get(0).unwrap();
        assert_eq!(b.refused, [1, 1, 2]);
        assert_eq!((b.requests, b.failed), (6, 1));
    }

    #[test]
    fn a_gap_longer_than_the_data_on_either_side_splits_the_logs() {
        let mut s = Series::new(60);
        let hour = |h: i64, m: i64| (h * 3600 + m * 60) * SEC;
        let year = 365 * 24;
        // An hour of requests, ten years of nothing, another hour.
        for m in 0..60 {
            s.add_request(hour(0, m), 200, false, None, None);
            s.add_request(hour(10 * year, m), 200, false, None, None);
        }
        let (lo, hi) = s.key_range().unwrap();
        let w = |b: &Bucket| b.requests;
        assert_eq!(
            s.segments(w, lo, hi),
            vec![(0, 59), (10 * year * 60, 10 * year * 60 + 59)]
        );
        // Three hours, a 40-minute stop, three hours: an outage, not a gap.
        let mut s = Series::new(60);
        for m in (0..180).chain(220..400) {
            s.add_request(hour(0, m), 200, false, None, None);
        }
        let (lo, hi) = s.key_range().unwrap();
        assert_eq!(s.segments(w, lo, hi), vec![(0, 399)]);
    }

    #[test]
    fn present_walks_buckets_not_the_range() {
        let mut s = Series::new(60);
        let day = 1_709_942_400 * SEC;
        s.add_message(0, false);
        s.add_message(day, true);
        s.add_message(day + 61 * SEC, true);
        // 253402300799 s is 9999-12-31T23:59:59Z: billions of keys away.
        s.add_message(253_402_300_799 * SEC, false);
        let (lo, hi) = s.key_range().unwrap();
        let keys: Vec<i64> = s.present(lo, hi).iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [0, day / SEC / 60, day / SEC / 60 + 1, 253_402_300_799 / 60]
        );
        assert_eq!(s.present(1, day / SEC / 60).len(), 1);
        assert!(s.present(5, 4).is_empty());
    }

    #[test]
    fn core_leaves_out_strays_at_either_end() {
        let mut s = Series::new(60);
        let day = 1_709_942_400 * SEC;
        for i in 0..1000 {
            s.add_message(day + i * 10 * SEC, false);
        }
        let bulk = (s.key(day), s.key(day + 9990 * SEC));
        assert_eq!(
            s.core(|b| b.messages).map(|c| (c.first, c.last)),
            Some(bulk)
        );
        // A clock at 1970 and a year 2099 on a few lines.
        for _ in 0..3 {
            s.add_message(7 * SEC, false);
        }
        s.add_message(4_070_908_800 * SEC, false);
        let core = s.core(|b| b.messages).unwrap();
        assert_eq!((core.first, core.last), bulk);
        let strays = core.strays.unwrap();
        assert_eq!((strays.weight, strays.first), (4, 0));
        assert_eq!(strays.last, 4_070_908_800 / 60);
        // A second day of real data a month later is not a stray.
        for i in 0..500 {
            s.add_message(day + 30 * 86_400 * SEC + i * SEC, false);
        }
        assert_eq!(
            s.core(|b| b.messages).unwrap().last,
            s.key(day + (30 * 86_400 + 499) * SEC)
        );
        // Weightless buckets do not count.
        assert_eq!(s.core(|b| b.requests), None);
    }

    #[test]
    fn histogram_quantiles_are_close() {
        let mut h = Histogram::default();
        for ms in 1..=1000 {
            h.record_ms(ms as f64);
        }
        let p50 = h.quantile_ms(0.5).unwrap();
        let p99 = h.quantile_ms(0.99).unwrap();
        assert!((p50 - 500.0).abs() / 500.0 < 0.05, "p50 {p50}");
        assert!((p99 - 990.0).abs() / 990.0 < 0.05, "p99 {p99}");
        for v in [0u64, 1, 15, 16, 17, 1000, 123_456, 1 << 40] {
            let b = Histogram::bin(v);
            assert!(
                Histogram::bin_low(b) <= v && v < Histogram::bin_low(b + 1),
                "{v}"
            );
        }
    }

    #[test]
    fn merge_is_addition() {
        let mut a = Series::new(60);
        let mut b = Series::new(60);
        a.add_request(0, 200, false, Some("x"), Some(5.0));
        b.add_request(30 * SEC, 502, true, Some("x"), Some(50.0));
        b.add_request(90 * SEC, 200, false, Some("y"), None);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        let first = ab.get(0).unwrap();
        assert_eq!((first.requests, first.failed), (2, 1));
        assert_eq!(first.backends["x"].failed, 1);
        assert_eq!(ab.total_requests(), 3);
    }
}
