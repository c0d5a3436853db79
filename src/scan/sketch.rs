//! Distinct-count sketches for partials that hold too many clients to
//! carry every client hash ([`super::cells`]): HyperLogLog with 2¹²
//! registers over the client hash itself (xxh3-64, already uniform, so
//! no second hash), and Ertl's improved estimator ("New cardinality
//! estimation algorithms for HyperLogLog sketches", 2017), which needs
//! neither bias tables nor a switch to linear counting.
//!
//! Sketches of the same clients made on different hosts union exactly
//! (register-wise maximum), so a merge of sketched partials estimates the
//! distinct clients of all of them, not the sum of each one's.
//!
//! The relative standard error is 1.04 / √4096 ≈ 1.6 %: [`ERROR_PCT`]
//! states two of them (≈ 95 % of estimates fall within it).

use serde::{Deserialize, Serialize};

/// Register index bits.
const P: u32 = 12;
/// Registers.
const M: usize = 1 << P;
/// The largest register value: the 64 − P bits left, plus one.
const Q1: u8 = (64 - P + 1) as u8;
/// A sparse sketch turns dense past this many registers set (a dense one
/// takes `M` bytes, a sparse entry 4).
const SPARSE_MAX: usize = M / 8;

/// Two relative standard errors of an estimate, in percent.
pub const ERROR_PCT: f64 = 2.0 * 104.0 / 64.0;

/// A HyperLogLog sketch: registers set, sparse (sorted `index << 8 |
/// value`) while few are, dense (one byte per register) after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hll {
    Sparse(Vec<u32>),
    Dense(Vec<u8>),
}

impl Default for Hll {
    fn default() -> Self {
        Hll::Sparse(Vec::new())
    }
}

/// The register a hash goes to and the value it offers: one more than
/// the leading zeros of the bits below the index, at most `Q1`.
#[inline]
fn register(hash: u64) -> (usize, u8) {
    let index = (hash >> (64 - P)) as usize;
    let rest = hash << P;
    let value = (rest.leading_zeros() + 1).min(Q1 as u32) as u8;
    (index, value)
}

impl Hll {
    /// Counts one client by its hash.
    #[inline]
    pub fn add(&mut self, hash: u64) {
        let (index, value) = register(hash);
        self.offer(index, value);
    }

    fn offer(&mut self, index: usize, value: u8) {
        match self {
            Hll::Dense(regs) => {
                if let Some(r) = regs.get_mut(index) {
                    *r = (*r).max(value);
                }
            }
            Hll::Sparse(entries) => {
                let key = (index as u32) << 8;
                match entries.binary_search_by_key(&key, |e| e & !0xff) {
                    Ok(i) => {
                        if (entries[i] & 0xff) < value as u32 {
                            entries[i] = key | value as u32;
                        }
                    }
                    Err(i) => {
                        entries.insert(i, key | value as u32);
                        if entries.len() > SPARSE_MAX {
                            self.densify();
                        }
                    }
                }
            }
        }
    }

    fn densify(&mut self) {
        if let Hll::Sparse(entries) = self {
            let mut regs = vec![0u8; M];
            for e in entries.iter() {
                if let Some(r) = regs.get_mut((e >> 8) as usize) {
                    *r = (*r).max((e & 0xff) as u8);
                }
            }
            *self = Hll::Dense(regs);
        }
    }

    /// The union of two sketches.
    pub fn merge(&mut self, other: &Hll) {
        match other {
            Hll::Sparse(entries) => {
                for e in entries {
                    self.offer((e >> 8) as usize, (e & 0xff) as u8);
                }
            }
            Hll::Dense(theirs) => {
                self.densify();
                if let Hll::Dense(mine) = self {
                    for (m, t) in mine.iter_mut().zip(theirs) {
                        *m = (*m).max(*t);
                    }
                }
            }
        }
    }

    /// Whether the sketch is one that could have been made: registers in
    /// range, a dense one of the right size, a sparse one sorted.
    pub fn is_valid(&self) -> bool {
        match self {
            Hll::Dense(regs) => regs.len() == M && regs.iter().all(|&r| r <= Q1),
            Hll::Sparse(entries) => {
                entries.windows(2).all(|w| (w[0] >> 8) < (w[1] >> 8))
                    && entries
                        .iter()
                        .all(|e| ((e >> 8) as usize) < M && (e & 0xff) <= Q1 as u32)
            }
        }
    }

    /// How many registers hold each value (0..=Q1).
    fn histogram(&self) -> [u32; Q1 as usize + 1] {
        let mut c = [0u32; Q1 as usize + 1];
        match self {
            Hll::Dense(regs) => {
                for &r in regs {
                    c[(r as usize).min(Q1 as usize)] += 1;
                }
            }
            Hll::Sparse(entries) => {
                c[0] = (M - entries.len()) as u32;
                for e in entries {
                    c[((e & 0xff) as usize).min(Q1 as usize)] += 1;
                }
            }
        }
        c
    }

    /// The estimated number of distinct hashes added.
    pub fn estimate(&self) -> f64 {
        let c = self.histogram();
        let m = M as f64;
        let q = Q1 as usize - 1;
        let mut z = m * tau(1.0 - c[q + 1] as f64 / m);
        for k in (1..=q).rev() {
            z = 0.5 * (z + c[k] as f64);
        }
        z += m * sigma(c[0] as f64 / m);
        if !z.is_finite() || z <= 0.0 {
            return 0.0;
        }
        let alpha_inf = 1.0 / (2.0 * std::f64::consts::LN_2);
        alpha_inf * m * m / z
    }
}

/// Ertl's σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k−1), for the registers still 0.
fn sigma(mut x: f64) -> f64 {
    if x >= 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's τ(x), for the registers at the largest value.
fn tau(mut x: f64) -> f64 {
    if x <= 0.0 || x >= 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

/// Slow-request grades (ms): clients with a request slower than each are
/// sketched apart. The analysis' thresholds are mostly 1, 2 or 5 × 10ⁿ
/// ms (`analysis::signals::round_threshold`); another threshold is read
/// at the grade below it (clients slower than that grade: stated).
pub const SLOW_GRADES_MS: [f64; 13] = [
    100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6,
];

/// The grade a slow threshold is read at: the largest at or below it
/// (the smallest when it is below all).
pub fn slow_grade(threshold_ms: f64) -> usize {
    SLOW_GRADES_MS
        .iter()
        .rposition(|&g| g <= threshold_ms)
        .unwrap_or(0)
}

/// Whether a request of this status and parser verdict can be bad by any
/// criterion the analysis uses with a partial: a failure (5xx, no
/// response, a parser's failure verdict, 4xx under `--failed-status`) or a
/// refusal (4xx). 2xx and 3xx are never sketched by status.
pub fn may_be_bad(status: u16, verdict: bool) -> bool {
    verdict || !(200..400).contains(&status)
}

/// The clients of one bucket of a sketched request table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BucketClients {
    /// Every client with a request in the bucket.
    pub all: Hll,
    /// Clients with a request of each (status, parser verdict) that
    /// [`may_be_bad`], by status.
    pub by_status: Vec<(u16, bool, Hll)>,
    /// Clients with a request slower than each grade of
    /// [`SLOW_GRADES_MS`], by index.
    pub slower: Vec<(u8, Hll)>,
}

impl BucketClients {
    fn status_mut(&mut self, status: u16, verdict: bool) -> &mut Hll {
        let i = match self
            .by_status
            .iter()
            .position(|(s, v, _)| (*s, *v) == (status, verdict))
        {
            Some(i) => i,
            None => {
                self.by_status.push((status, verdict, Hll::default()));
                self.by_status.len() - 1
            }
        };
        &mut self.by_status[i].2
    }

    fn slower_mut(&mut self, grade: u8) -> &mut Hll {
        let i = match self.slower.iter().position(|(g, _)| *g == grade) {
            Some(i) => i,
            None => {
                self.slower.push((grade, Hll::default()));
                self.slower.len() - 1
            }
        };
        &mut self.slower[i].1
    }

    fn merge(&mut self, other: &BucketClients) {
        self.all.merge(&other.all);
        for (s, v, h) in &other.by_status {
            self.status_mut(*s, *v).merge(h);
        }
        for (g, h) in &other.slower {
            self.slower_mut(*g).merge(h);
        }
    }

    fn is_valid(&self) -> bool {
        self.all.is_valid()
            && self.by_status.iter().all(|(_, _, h)| h.is_valid())
            && self
                .slower
                .iter()
                .all(|(g, h)| (*g as usize) < SLOW_GRADES_MS.len() && h.is_valid())
    }
}

/// Per-bucket client sketches of one input's request table, which stand
/// in for the rows' client hashes once the table holds more distinct
/// clients than its bound.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientSketches {
    /// The width of a bucket, in seconds (the scan's `--bucket`).
    pub bucket_seconds: i64,
    /// Bucket (start in seconds since the epoch / `bucket_seconds`) → clients.
    pub buckets: std::collections::BTreeMap<i64, BucketClients>,
}

/// What is asked of a window's clients: those of every request, and
/// those with a bad one.
pub enum BadClients<'a> {
    /// Requests of the statuses (and parser verdicts) `failed` says.
    Failed(&'a dyn Fn(u16, bool) -> bool),
    /// Requests slower than the grade (index into [`SLOW_GRADES_MS`]),
    /// or failed as `failed` says.
    SlowerThan(usize, &'a dyn Fn(u16, bool) -> bool),
}

impl ClientSketches {
    pub fn new(bucket_seconds: i64) -> ClientSketches {
        ClientSketches {
            bucket_seconds: bucket_seconds.max(1),
            buckets: Default::default(),
        }
    }

    /// Counts one request's client.
    pub fn add(
        &mut self,
        at: crate::time::Micros,
        client: u64,
        status: u16,
        verdict: bool,
        latency_ms: Option<f64>,
    ) {
        let bucket = at.div_euclid(crate::time::SEC * self.bucket_seconds);
        let b = self.buckets.entry(bucket).or_default();
        b.all.add(client);
        if may_be_bad(status, verdict) {
            b.status_mut(status, verdict).add(client);
        }
        if let Some(ms) = latency_ms {
            for (g, _) in SLOW_GRADES_MS.iter().enumerate().filter(|(_, &g)| ms > g) {
                b.slower_mut(g as u8).add(client);
            }
        }
    }

    /// The union with another input's (or host's) sketches.
    pub fn merge(&mut self, other: &ClientSketches) {
        for (k, b) in &other.buckets {
            self.buckets.entry(*k).or_default().merge(b);
        }
    }

    pub fn is_valid(&self) -> bool {
        self.bucket_seconds >= 1 && self.buckets.values().all(BucketClients::is_valid)
    }

    /// The clients of the buckets the window `[start, end]` touches: all
    /// of them, and those with a bad request.
    pub fn window(
        &self,
        start: crate::time::Micros,
        end: crate::time::Micros,
        bad: &BadClients<'_>,
    ) -> (Hll, Hll) {
        let width = crate::time::SEC * self.bucket_seconds;
        let (from, to) = (start.div_euclid(width), end.div_euclid(width));
        let (mut all, mut with_bad) = (Hll::default(), Hll::default());
        if from > to {
            return (all, with_bad);
        }
        for b in self.buckets.range(from..=to).map(|(_, b)| b) {
            all.merge(&b.all);
            let failed = match bad {
                BadClients::Failed(f) => f,
                BadClients::SlowerThan(grade, f) => {
                    if let Some((_, h)) = b.slower.iter().find(|(g, _)| *g as usize == *grade) {
                        with_bad.merge(h);
                    }
                    f
                }
            };
            for (s, v, h) in &b.by_status {
                if failed(*s, *v) {
                    with_bad.merge(h);
                }
            }
        }
        (all, with_bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::cells::client_hash;

    fn sketch_of(range: std::ops::Range<u32>) -> Hll {
        let mut h = Hll::default();
        for i in range {
            h.add(client_hash(&format!(
                "10.{}.{}.{}",
                i >> 16,
                (i >> 8) & 255,
                i & 255
            )));
        }
        h
    }

    #[test]
    fn estimates_fall_within_the_stated_error() {
        for n in [0u32, 1, 7, 100, 1_000, 5_000, 30_000, 200_000, 1_000_000] {
            let h = sketch_of(0..n);
            assert!(h.is_valid());
            let e = h.estimate();
            let err = if n == 0 {
                e
            } else {
                (e - n as f64).abs() / n as f64 * 100.0
            };
            // Small sets are all but exact (every client its own register).
            let allowed = if n <= 100 { 1.0 } else { ERROR_PCT * 1.5 };
            assert!(
                err <= allowed,
                "{n} clients estimated as {e:.0} ({err:.2} %)"
            );
        }
    }

    #[test]
    fn a_union_estimates_the_distinct_clients_of_both() {
        let mut a = sketch_of(0..60_000);
        let b = sketch_of(40_000..100_000);
        a.merge(&b);
        let e = a.estimate();
        assert!((e - 100_000.0).abs() / 1_000.0 <= ERROR_PCT * 1.5, "{e}");
        // Union is the register-wise maximum: the sketch of all at once.
        assert_eq!(a, sketch_of(0..100_000));
    }

    #[test]
    fn sparse_and_dense_sketches_of_the_same_clients_agree() {
        let sparse = sketch_of(0..300);
        assert!(matches!(sparse, Hll::Sparse(_)));
        let mut dense = sparse.clone();
        dense.densify();
        assert_eq!(sparse.estimate(), dense.estimate());
        let mut merged = Hll::default();
        merged.merge(&dense);
        merged.merge(&sparse);
        assert_eq!(merged, dense);
        assert!(matches!(sketch_of(0..5_000), Hll::Dense(_)));
    }

    #[test]
    fn impossible_sketches_are_told_apart() {
        assert!(!Hll::Dense(vec![0; 10]).is_valid());
        assert!(!Hll::Dense(vec![99; M]).is_valid());
        assert!(!Hll::Sparse(vec![5 << 8 | 1, 2 << 8 | 1]).is_valid());
        assert!(!Hll::Sparse(vec![(M as u32) << 8 | 1]).is_valid());
        assert!(Hll::Sparse(vec![2 << 8 | 1, 5 << 8 | 3]).is_valid());
    }
}
