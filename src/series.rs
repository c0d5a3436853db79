//! Bucketed, mergeable counters: requests, failures, per-backend traffic,
//! latency histograms and error-level messages per time bucket.
//!
//! Everything here merges by addition, so per-thread and per-file partials
//! combine in any order into the same result.

use rustc_hash::FxHashMap as HashMap;

use crate::time::{Micros, SEC};

/// A latency histogram with logarithmic bins (16 per power of two, about
/// 4% wide), mergeable by addition. Values are microseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackendCounts {
    pub requests: u64,
    pub failed: u64,
}

/// Everything counted in one time bucket.
#[derive(Clone, Debug, Default, PartialEq)]
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
}

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
    }
}

/// Buckets keyed by their index (bucket start / bucket width).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub bucket_seconds: i64,
    buckets: HashMap<i64, Bucket>,
}

impl Series {
    pub fn new(bucket_seconds: i64) -> Series {
        Series {
            bucket_seconds: bucket_seconds.max(1),
            buckets: HashMap::default(),
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

    pub fn merge(&mut self, other: &Series) {
        for (k, b) in &other.buckets {
            self.buckets.entry(*k).or_default().merge(b);
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

    /// A copy with buckets `factor` times wider (for very long time ranges).
    pub fn coarsen(&self, factor: i64) -> Series {
        let mut out = Series::new(self.bucket_seconds * factor.max(1));
        for (k, b) in &self.buckets {
            out.buckets
                .entry(k.div_euclid(factor.max(1)))
                .or_default()
                .merge(b);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
