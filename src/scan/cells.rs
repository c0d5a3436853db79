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
//!   holds exactly when `class > t`.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::record::{FailurePolicy, Request};
use crate::time::{Micros, SEC};

use super::partial::{max_opt, min_opt};
use super::reread::{Criterion, Located, SecondTally, WindowTally};

/// The hash a client is counted by, in partials and in the second read
/// alike: xxh3-64 with seed 0 over the client's text.
#[inline]
pub fn client_hash(client: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(client.as_bytes())
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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cells {
    pub rows: FxHashMap<CellKey, CellValue>,
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
            latency: request.latency_ms.map(|l| latency_class(l).to_bits()),
        };
        self.rows
            .entry(key)
            .and_modify(|v| {
                v.count += 1;
                v.first_line = v.first_line.min(line);
                v.last_line = v.last_line.max(line);
            })
            .or_insert(CellValue {
                count: 1,
                first_line: line,
                last_line: line,
            });
    }

    /// Adds the rows of another part of the same input.
    pub fn merge(&mut self, other: Cells) {
        if self.rows.is_empty() {
            self.rows = other.rows;
            return;
        }
        for (k, v) in other.rows {
            self.rows
                .entry(k)
                .and_modify(|m| {
                    m.count += v.count;
                    m.first_line = m.first_line.min(v.first_line);
                    m.last_line = m.last_line.max(v.last_line);
                })
                .or_insert(v);
        }
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

/// An input read from a partial: its request rows in time order, which a
/// second read counts instead of its lines.
#[derive(Clone, Debug)]
pub struct Carried {
    /// The input's path as the scan that made the partial named it.
    pub source: String,
    pub rows: Vec<(CellKey, CellValue)>,
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
