//! The failed requests of the request sources, per backend and second:
//! built once from the scan for every consumer (detection edges, the
//! report's per-backend lines, clock-skew estimates), so none of them
//! walks the scan results or decides again which files count.

use std::collections::BTreeMap;

use crate::scan::partial::add_status;
use crate::scan::FileResult;
use crate::time::{Micros, SEC};
use crate::traffic::Traffic;

use super::detect::FailedSeconds;

/// Failed requests through one backend in one second, over all sources.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedSecond {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
    /// Source (input path) and line of the first one.
    pub source: String,
    pub line: u64,
    /// Count per status.
    pub statuses: Vec<(u16, u64)>,
}

/// Failed requests through one backend within a window.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendFailures {
    /// `-` when the log names none.
    pub backend: String,
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
    pub source: String,
    pub line: u64,
    /// Count per status, most frequent first.
    pub statuses: Vec<(u16, u64)>,
}

/// Failed requests per backend and second.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Failures {
    by_backend: BTreeMap<String, BTreeMap<i64, FailedSecond>>,
    /// All backends together.
    total: FailedSeconds,
}

impl Failures {
    /// From the inputs whose requests count.
    pub fn of(results: &[FileResult], traffic: &Traffic) -> Failures {
        let mut by_backend: BTreeMap<String, BTreeMap<i64, FailedSecond>> = BTreeMap::new();
        for (i, r) in results.iter().enumerate() {
            if !traffic.counts(i) {
                continue;
            }
            for (backend, seconds) in r.partial.failed_request_runs() {
                let mine = by_backend.entry(backend.to_string()).or_default();
                for (&sec, agg) in seconds {
                    let e = mine.entry(sec).or_insert_with(|| FailedSecond {
                        count: 0,
                        first: agg.first,
                        last: agg.last,
                        source: r.file.display.clone(),
                        line: agg.line,
                        statuses: Vec::new(),
                    });
                    e.count += agg.count;
                    e.last = e.last.max(agg.last);
                    if (agg.first, &r.file.display, agg.line) < (e.first, &e.source, e.line) {
                        e.first = agg.first;
                        e.source = r.file.display.clone();
                        e.line = agg.line;
                    }
                    for &(status, n) in &agg.statuses {
                        add_status(&mut e.statuses, status, n);
                    }
                }
            }
        }
        let mut f = Failures {
            by_backend,
            total: FailedSeconds::default(),
        };
        f.total = f.seconds_of(None);
        f
    }

    /// Failed requests per second through all backends.
    pub fn seconds(&self) -> &FailedSeconds {
        &self.total
    }

    /// Failed requests per second through some backends (all when `None`).
    pub fn seconds_of(&self, backends: Option<&[String]>) -> FailedSeconds {
        let mut f = FailedSeconds::default();
        for (name, seconds) in &self.by_backend {
            if backends.is_some_and(|b| !b.contains(name)) {
                continue;
            }
            for (&sec, s) in seconds {
                f.add(sec, s.count, s.first, s.last);
            }
        }
        f
    }

    /// Failed requests per second, as counts (the clock-skew reference).
    pub fn per_second(&self) -> BTreeMap<i64, f64> {
        self.total
            .seconds
            .iter()
            .map(|(&s, f)| (s, f.count as f64))
            .collect()
    }

    /// Per backend within `[start, end]` (to the second), ordered by the
    /// first failure.
    pub fn by_backend_within(&self, start: Micros, end: Micros) -> Vec<BackendFailures> {
        let (s0, s1) = (start.div_euclid(SEC), end.div_euclid(SEC));
        let mut out = Vec::new();
        for (name, seconds) in &self.by_backend {
            let mut b: Option<BackendFailures> = None;
            for s in seconds.range(s0..=s1.max(s0)).map(|(_, s)| s) {
                let b = b.get_or_insert_with(|| BackendFailures {
                    backend: name.clone(),
                    count: 0,
                    first: s.first,
                    last: s.last,
                    source: s.source.clone(),
                    line: s.line,
                    statuses: Vec::new(),
                });
                b.count += s.count;
                b.last = b.last.max(s.last);
                if (s.first, &s.source, s.line) < (b.first, &b.source, b.line) {
                    b.first = s.first;
                    b.source = s.source.clone();
                    b.line = s.line;
                }
                for &(status, n) in &s.statuses {
                    add_status(&mut b.statuses, status, n);
                }
            }
            out.extend(b);
        }
        for b in &mut out {
            b.statuses.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        }
        out.sort_by(|x, y| (x.first, &x.source, x.line).cmp(&(y.first, &y.source, y.line)));
        out
    }
}
