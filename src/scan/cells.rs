//! The request table a partial carries in place of its logs: what the
//! second read ([`super::reread`]) would find in any window, kept while
//! the first read goes by (`scan --partial`), so that a merge of partials
//! from many hosts counts requests, failures and distinct clients within
//! a window exactly without the logs.
//!
//! One row per distinct (timestamp as logged, client, status, the
//! parser's failure verdict, latency class): how many requests, and the
//! first and last line they were logged on. Rows are keyed by the
//! timestamp as logged, never cut coarser, so a window cut anywhere
//! (even inside a second, for logs with sub-second times) takes whole
//! rows: the counts are those of reading the lines again.
//!
//! - Clients are their [`client_hash`]: xxh3-64, seed 0, over the client
//!   text as the parser returns it (the address without port), so the
//!   same client on two hosts is the same hash and distinct clients union
//!   exactly across partials (two clients share a hash with odds of about
//!   n²/2⁶⁵: one in ten million for a million clients).
//! - Latencies are kept as their [`latency_class`]: the smallest number of
//!   two significant digits (10..99 × 10ⁿ ms) at or above them. Every
//!   slow threshold the analysis uses is such a number (see
//!   `analysis::signals::round_threshold`), and for those `latency > t`
//!   holds exactly when `class > t`. As no threshold is at or below
//!   [`LATENCY_FLOOR_MS`], every latency up to it is kept as that one
//!   class.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::record::{FailurePolicy, Request};
use crate::time::{Micros, SEC};

use super::partial::{max_opt, min_opt};
use super::reread::{Criterion, Located, SecondTally, WindowSketch, WindowTally};
use super::sketch::{slow_grade, BadClients, ClientSketches};

/// The most distinct clients one input of a partial keeps as hashes by
/// default (`scan --client-limit`): about 16 MiB of hashes while
/// scanning, a few bytes each in the file.
pub const CLIENT_LIMIT: usize = 1_000_000;

/// The hash a client is counted by, in partials and in the second read
/// alike: xxh3-64 with seed 0 over the client's text.
#[inline]
pub fn client_hash(client: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(client.as_bytes())
}

/// No slow threshold the analysis sets is at or below this
/// (`analysis::signals::round_threshold` is at least
/// `SLOW_MIN_MARGIN_MS` above a p99), so the table keeps every latency up
/// to it as this one class: `latency > t` is false for all of them alike,
/// and rows of fast requests that differed only by latency become one.
pub const LATENCY_FLOOR_MS: f64 = 100.0;

/// The class a row keeps a latency as: its [`latency_class`], or
/// [`LATENCY_FLOOR_MS`] for anything at or below that.
#[inline]
pub fn row_latency(ms: f64) -> f64 {
    let class = latency_class(ms);
    if class <= LATENCY_FLOOR_MS {
        LATENCY_FLOOR_MS
    } else {
        class
    }
}

/// The smallest number of two significant digits (m × 10ⁿ, m in 10..=99)
/// at or above `ms`; `ms` itself when it is not a positive finite number.
pub fn latency_class(ms: f64) -> f64 {
    if !(ms.is_finite() && ms > 0.0) {
        return ms;
    }
    let exp = ms.log10().floor() as i32 - 1;
    let unit = 10f64.powi(exp);
    let mut m = (ms / unit).ceil();
    // Float division can land one step off either way.
    if m * unit < ms {
        m += 1.0;
    }
    while m > 1.0 && (m - 1.0) * unit >= ms {
        m -= 1.0;
    }
    m * unit
}

/// What makes two requests one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    pub at: Micros,
    /// [`client_hash`] of the client, when one was logged.
    pub client: Option<u64>,
    pub status: u16,
    /// The parser's own failure verdict (`Request::failed`).
    pub failed: bool,
    /// [`latency_class`] as f64 bits, when a latency was logged.
    pub latency: Option<u64>,
}

/// The requests of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellValue {
    pub count: u64,
    pub first_line: u64,
    pub last_line: u64,
}

/// The request rows of one input.
///
/// A table for a whole input may have a bound on its distinct clients
/// ([`Cells::bounded`]): past it, the clients move into per-bucket
/// HyperLogLog sketches ([`ClientSketches`]) and the rows keep every other
/// count exactly, without a client. Memory then grows with the buckets,
/// not with the clients.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cells {
    pub rows: FxHashMap<CellKey, CellValue>,
    /// The clients, once the bound was passed.
    pub sketch: Option<ClientSketches>,
    bound: Option<Bound>,
    /// The distinct clients of the rows, while a bound is kept.
    clients: FxHashSet<u64>,
}

/// The most distinct clients a table keeps as hashes, and the bucket
/// width its sketches use past that.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bound {
    clients: usize,
    bucket_seconds: i64,
}

impl Cells {
    /// Notes one request logged at `line`.
    #[inline]
    pub fn add(&mut self, at: Micros, request: &Request<'_>, line: u64) {
        let key = CellKey {
            at,
            client: request.client.as_deref().map(client_hash),
            status: request.status,
            failed: request.failed,
            latency: request.latency_ms.map(|l| row_latency(l).to_bits()),
        };
        let one = CellValue {
            count: 1,
            first_line: line,
            last_line: line,
        };
        add_row(&mut self.rows, key, one);
    }

    /// A table for a whole input that keeps at most `clients` distinct
    /// client hashes; past them, clients are sketched per bucket of
    /// `bucket_seconds`.
    pub fn bounded(clients: usize, bucket_seconds: i64) -> Cells {
        Cells {
            bound: Some(Bound {
                clients,
                bucket_seconds,
            }),
            ..Cells::default()
        }
    }

    /// Adds the rows of another part of the same input.
    pub fn merge(&mut self, other: Cells) {
        if let Some(theirs) = &other.sketch {
            self.sketch_clients();
            if let Some(mine) = &mut self.sketch {
                mine.merge(theirs);
            }
        }
        if let Some(sketch) = &mut self.sketch {
            move_clients(sketch, other.rows, &mut self.rows);
            return;
        }
        if self.bound.is_some() {
            self.clients
                .extend(other.rows.keys().filter_map(|k| k.client));
        }
        if self.rows.is_empty() {
            self.rows = other.rows;
        } else {
            for (k, v) in other.rows {
                add_row(&mut self.rows, k, v);
            }
        }
        if self.bound.is_some_and(|b| self.clients.len() > b.clients) {
            self.sketch_clients();
        }
    }

    /// Moves the rows' clients into sketches (once).
    fn sketch_clients(&mut self) {
        if self.sketch.is_some() {
            return;
        }
        let bucket = self.bound.map_or(60, |b| b.bucket_seconds);
        let mut sketch = ClientSketches::new(bucket);
        let rows = std::mem::take(&mut self.rows);
        move_clients(&mut sketch, rows, &mut self.rows);
        self.clients = FxHashSet::default();
        self.sketch = Some(sketch);
    }

    /// The bound on distinct clients this table was made with, once it
    /// was passed.
    pub fn passed_bound(&self) -> Option<usize> {
        self.sketch.as_ref().and(self.bound.map(|b| b.clients))
    }

    /// Makes a block's line numbers absolute.
    pub fn shift_lines(&mut self, base: u64) {
        for v in self.rows.values_mut() {
            v.first_line += base;
            v.last_line += base;
        }
    }

    /// The rows in time order, for counting windows.
    pub fn sorted(self) -> Vec<(CellKey, CellValue)> {
        let mut rows: Vec<(CellKey, CellValue)> = self.rows.into_iter().collect();
        rows.sort_unstable_by_key(|(k, _)| *k);
        rows
    }

    /// Distinct client hashes in the table.
    pub fn distinct_clients(&self) -> usize {
        let mut seen: rustc_hash::FxHashSet<u64> = Default::default();
        seen.extend(self.rows.keys().filter_map(|k| k.client));
        seen.len()
    }
}

/// Adds `rows` to `into` without their clients, which go to `sketch`.
fn move_clients(
    sketch: &mut ClientSketches,
    rows: FxHashMap<CellKey, CellValue>,
    into: &mut FxHashMap<CellKey, CellValue>,
) {
    for (mut k, v) in rows {
        if let Some(c) = k.client.take() {
            sketch.add(k.at, c, k.status, k.failed, k.latency.map(f64::from_bits));
        }
        add_row(into, k, v);
    }
}

fn add_row(rows: &mut FxHashMap<CellKey, CellValue>, k: CellKey, v: CellValue) {
    rows.entry(k)
        .and_modify(|m| {
            m.count += v.count;
            m.first_line = m.first_line.min(v.first_line);
            m.last_line = m.last_line.max(v.last_line);
        })
        .or_insert(v);
}

/// An input read from a partial: its request rows in time order, which a
/// second read counts instead of its lines.
#[derive(Clone, Debug)]
pub struct Carried {
    /// The input's path as the scan that made the partial named it.
    pub source: String,
    pub rows: Vec<(CellKey, CellValue)>,
    /// The clients, when the scan sketched them (the rows have none).
    pub sketch: Option<ClientSketches>,
}

impl CellKey {
    /// Whether a request of this row is bad by `criterion`.
    #[inline]
    fn bad(&self, criterion: &Criterion, policy: &FailurePolicy) -> bool {
        match criterion {
            Criterion::Failed => policy.failed(self.status, self.failed),
            Criterion::Status(set) => set.contains(&self.status),
            Criterion::SlowerThan(ms) => {
                self.latency.is_some_and(|l| f64::from_bits(l) > *ms)
                    || policy.failed(self.status, self.failed)
            }
        }
    }
}

impl Carried {
    /// What a second read of the input would gather in each window.
    pub(crate) fn tally(
        &self,
        windows: &[(Micros, Micros)],
        criterion: &Criterion,
        policy: &FailurePolicy,
        per_second: bool,
    ) -> Vec<WindowTally> {
        windows
            .iter()
            .map(|&(s, e)| {
                let mut t = WindowTally::default();
                if let Some(sketch) = &self.sketch {
                    t.sketch = Some(window_sketch(sketch, s, e, criterion, policy));
                }
                let from = self.rows.partition_point(|(k, _)| k.at < s);
                for (k, v) in self.rows[from..].iter().take_while(|(k, _)| k.at <= e) {
                    let bad = k.bad(criterion, policy);
                    t.requests += v.count;
                    t.first = min_opt(t.first, Some(k.at));
                    t.last = max_opt(t.last, Some(k.at));
                    if let Some(c) = k.client {
                        *t.clients.entry(c).or_insert(false) |= bad;
                    }
                    if !bad {
                        continue;
                    }
                    t.bad += v.count;
                    let first = Located {
                        at: k.at,
                        source: self.source.clone(),
                        line: v.first_line,
                    };
                    if t.first_bad.as_ref().is_none_or(|f| first.key() < f.key()) {
                        t.first_bad = Some(first);
                    }
                    let last = Located {
                        at: k.at,
                        source: self.source.clone(),
                        line: v.last_line,
                    };
                    if t.last_bad.as_ref().is_none_or(|l| last.key() > l.key()) {
                        t.last_bad = Some(last);
                    }
                    if per_second {
                        let one = SecondTally {
                            count: v.count,
                            first: k.at,
                            last: k.at,
                        };
                        add_second(&mut t.bad_seconds, k.at.div_euclid(SEC), one);
                    }
                }
                t
            })
            .collect()
    }
}

/// The sketched clients of a window, as `criterion` asks.
fn window_sketch(
    sketch: &ClientSketches,
    start: Micros,
    end: Micros,
    criterion: &Criterion,
    policy: &FailurePolicy,
) -> WindowSketch {
    let failed = |s: u16, v: bool| policy.failed(s, v);
    let (all, bad) = match criterion {
        Criterion::Failed => sketch.window(start, end, &BadClients::Failed(&failed)),
        Criterion::Status(set) => {
            let refused = |s: u16, _: bool| set.contains(&s);
            sketch.window(start, end, &BadClients::Failed(&refused))
        }
        Criterion::SlowerThan(ms) => sketch.window(
            start,
            end,
            &BadClients::SlowerThan(slow_grade(*ms), &failed),
        ),
    };
    WindowSketch {
        all,
        bad,
        bucket_seconds: sketch.bucket_seconds,
    }
}

fn add_second(seconds: &mut BTreeMap<i64, SecondTally>, sec: i64, one: SecondTally) {
    match seconds.get_mut(&sec) {
        Some(s) => s.add(one),
        None => {
            seconds.insert(sec, one);
        }
    }
}

/// The rows as written in a partial: columns, times and lines as
/// differences from the row before (small numbers, which compress well),
/// clients as indices into a table of their hashes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Columns {
    /// Distinct client hashes, ascending.
    pub clients: Vec<u64>,
    /// Microseconds since the row before (the first: since the epoch).
    pub at: Vec<i64>,
    /// Index into `clients` + 1; 0 for no client.
    pub client: Vec<u32>,
    pub status: Vec<u16>,
    /// The parser's failure verdict: 0 or 1.
    pub failed: Vec<u8>,
    /// The latency class in ms; null for none.
    pub latency: Vec<Option<f64>>,
    pub count: Vec<u64>,
    /// First line, as a difference from the row before's first line.
    pub first_line: Vec<i64>,
    /// Last line minus first line.
    pub lines: Vec<u64>,
}

impl Columns {
    pub fn of(rows: &[(CellKey, CellValue)]) -> Columns {
        let mut clients: Vec<u64> = rows.iter().filter_map(|(k, _)| k.client).collect();
        clients.sort_unstable();
        clients.dedup();
        let mut c = Columns {
            clients,
            ..Columns::default()
        };
        let (mut at, mut line) = (0i64, 0i64);
        for (k, v) in rows {
            c.at.push(k.at.wrapping_sub(at));
            at = k.at;
            c.client.push(match k.client {
                Some(h) => c.clients.binary_search(&h).map_or(0, |i| i as u32 + 1),
                None => 0,
            });
            c.status.push(k.status);
            c.failed.push(k.failed as u8);
            c.latency.push(k.latency.map(f64::from_bits));
            c.count.push(v.count);
            c.first_line.push((v.first_line as i64).wrapping_sub(line));
            line = v.first_line as i64;
            c.lines.push(v.last_line.saturating_sub(v.first_line));
        }
        c
    }

    /// The rows back, in time order; `None` when the columns disagree.
    pub fn rows(&self) -> Option<Vec<(CellKey, CellValue)>> {
        let n = self.at.len();
        let lens = [
            self.client.len(),
            self.status.len(),
            self.failed.len(),
            self.latency.len(),
            self.count.len(),
            self.first_line.len(),
            self.lines.len(),
        ];
        if lens.iter().any(|&l| l != n) {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        let (mut at, mut line) = (0i64, 0i64);
        for i in 0..n {
            at = at.wrapping_add(self.at[i]);
            line = line.wrapping_add(self.first_line[i]);
            let client = match self.client[i] {
                0 => None,
                c => Some(*self.clients.get(c as usize - 1)?),
            };
            let first_line = u64::try_from(line).ok()?;
            out.push((
                CellKey {
                    at,
                    client,
                    status: self.status[i],
                    failed: self.failed[i] != 0,
                    latency: self.latency[i].map(f64::to_bits),
                },
                CellValue {
                    count: self.count[i],
                    first_line,
                    last_line: first_line.checked_add(self.lines[i])?,
                },
            ));
        }
        if out.windows(2).any(|w| w[0].0 >= w[1].0) {
            return None;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_classes_keep_the_comparison_with_two_digit_thresholds() {
        assert_eq!(latency_class(1234.5), 1300.0);
        assert_eq!(latency_class(1000.0), 1000.0);
        assert_eq!(latency_class(1000.001), 1100.0);
        assert_eq!(latency_class(99.5), 100.0);
        assert_eq!(latency_class(123.0), 130.0);
        assert_eq!(latency_class(0.0), 0.0);
        for t in [100.0, 130.0, 500.0, 680.0, 1000.0, 1200.0, 5000.0] {
            for l in [
                t - 1.0,
                t - 0.001,
                t,
                t + 0.001,
                t + 1.0,
                t * 0.93,
                t * 1.07,
            ] {
                assert_eq!(l > t, latency_class(l) > t, "latency {l}, threshold {t}");
            }
        }
    }

    #[test]
    fn the_client_hash_is_xxh3_seeded_zero() {
        assert_eq!(
            client_hash("10.0.0.1"),
            xxhash_rust::xxh3::xxh3_64_with_seed(b"10.0.0.1", 0)
        );
        // Fixed for all time: partials from two versions must agree.
        assert_eq!(client_hash(""), 0x2d06800538d394c2);
    }

    /// 6,000 clients over three minutes, a tenth of them failing in the
    /// second minute, some slow; blocks of 700 requests.
    fn blocks_of_traffic() -> Vec<Cells> {
        let mut blocks = Vec::new();
        let mut block = Cells::default();
        for i in 0..18_000u64 {
            let client = format!("10.1.{}.{}", (i % 6_000) / 250, (i % 6_000) % 250);
            let at = (i / 100) as i64 * SEC;
            let failing = (60..120).contains(&(at / SEC)) && i % 10 == 0;
            let req = Request {
                status: if failing { 503 } else { 200 },
                failed: failing,
                client: Some(client.into()),
                latency_ms: Some(if i % 7 == 0 { 1500.0 } else { 40.0 }),
                ..Request::default()
            };
            block.add(at, &req, i + 1);
            if i % 700 == 699 {
                blocks.push(std::mem::take(&mut block));
            }
        }
        blocks.push(block);
        blocks
    }

    fn carried(cells: Cells) -> Carried {
        let mut cells = cells;
        let sketch = cells.sketch.take();
        Carried {
            source: "access.log".into(),
            rows: cells.sorted(),
            sketch,
        }
    }

    #[test]
    fn a_bounded_table_keeps_every_count_but_sketches_the_clients() {
        let mut exact = Cells::bounded(1_000_000, 60);
        let mut bounded = Cells::bounded(1_000, 60);
        for b in blocks_of_traffic() {
            exact.merge(b.clone());
            bounded.merge(b);
        }
        assert_eq!(exact.passed_bound(), None);
        assert_eq!(bounded.passed_bound(), Some(1_000));
        assert!(bounded.rows.keys().all(|k| k.client.is_none()));
        assert!(bounded.rows.len() < exact.rows.len());
        let (exact, bounded) = (carried(exact), carried(bounded));
        let policy = FailurePolicy::default();
        // Whole minutes, and a window cut inside minutes.
        let windows = [(0, 180 * SEC), (60 * SEC, 119 * SEC), (75 * SEC, 100 * SEC)];
        for criterion in [
            Criterion::Failed,
            Criterion::Status(vec![503]),
            Criterion::SlowerThan(1000.0),
        ] {
            let e = exact.tally(&windows, &criterion, &policy, true);
            let b = bounded.tally(&windows, &criterion, &policy, true);
            for (w, (e, b)) in e.into_iter().zip(b).enumerate() {
                assert_eq!(
                    (e.requests, e.bad, e.first, e.last),
                    (b.requests, b.bad, b.first, b.last)
                );
                assert_eq!(e.bad_seconds, b.bad_seconds);
                assert_eq!(
                    e.first_bad.as_ref().map(|l| l.line),
                    b.first_bad.as_ref().map(|l| l.line)
                );
                assert!(e.sketch.is_none() && b.sketch.is_some());
                let (e, b) = (e.counts(), b.counts());
                assert!(e.clients_estimated.is_none());
                assert!(b.clients_estimated.is_some());
                let close = |x: u64, y: u64| (x as f64 - y as f64).abs() <= 0.05 * x as f64 + 2.0;
                if w < 2 {
                    // Windows of whole buckets: the estimate of the same clients.
                    assert!(
                        close(e.total, b.total),
                        "window {w}: {} vs {}",
                        e.total,
                        b.total
                    );
                    assert!(
                        close(e.affected, b.affected),
                        "window {w}: {} vs {}",
                        e.affected,
                        b.affected
                    );
                } else {
                    // Cut inside a bucket: its whole bucket is counted.
                    assert!(
                        b.total as f64 >= 0.95 * e.total as f64,
                        "{} vs {}",
                        e.total,
                        b.total
                    );
                }
            }
        }
    }

    #[test]
    fn columns_round_trip() {
        let mut cells = Cells::default();
        let req = |client: Option<&'static str>, status, latency| Request {
            status,
            failed: status >= 500,
            client: client.map(Into::into),
            latency_ms: latency,
            ..Request::default()
        };
        cells.add(5 * SEC, &req(Some("a"), 200, Some(12.0)), 3);
        cells.add(5 * SEC, &req(Some("a"), 200, Some(11.5)), 9);
        cells.add(4 * SEC + 7, &req(None, 502, None), 1);
        cells.add(6 * SEC, &req(Some("b"), 429, Some(2000.0)), 2);
        let rows = cells.sorted();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1].1,
            CellValue {
                count: 2,
                first_line: 3,
                last_line: 9
            }
        );
        let cols = Columns::of(&rows);
        assert_eq!(cols.clients.len(), 2);
        assert_eq!(cols.rows().unwrap(), rows);
        let mut bad = cols.clone();
        bad.client[0] = 99;
        assert_eq!(bad.rows(), None);
    }
}
