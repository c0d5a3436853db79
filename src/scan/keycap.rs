//! Caps over all inputs, applied while the scan runs: on distinct event
//! keys (their runs) and on backends (in the series). Each file's keys
//! are admitted as the file finishes (in input order, so the choice is
//! the same for any thread count and block size), and the keys past the
//! cap are summed under [`OTHER_KEY`]: one run per kind, severity and
//! origin, one `(other)` backend per bucket. Memory is then bounded by
//! the caps, not by files × keys (50 files of 10,000 upstreams held
//! 250,000 keys' runs, 500,000 backends and the failures per backend
//! built from them until the end: 1 GB).
//!
//! Which keys stay: those with the largest tallies so far (then the ones
//! already kept, then by key). A key displaced by a later file's keys is
//! folded in the earlier files too, so every file agrees on the kept set.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use super::partial::{RunKey, SecondAgg};

/// Most distinct event keys over all inputs (all files together: the
/// per-file cap alone let 50 files of 10,000 upstreams keep 500,000).
pub const MAX_EVENT_KEYS: usize = 10_000;

/// The key folded event keys share, per kind, severity and origin.
pub const OTHER_KEY: &str = "(other)";

/// Distinct folded keys remembered (as 64-bit hashes) to count them for
/// the warning; past this the warning says "more than".
const MAX_FOLDED_REMEMBERED: usize = 1 << 20;

/// A file's runs, as the partials hold them.
pub type Runs = HashMap<RunKey, BTreeMap<i64, SecondAgg>>;

/// What a key is ranked by: occurrences (event keys), failed then all
/// requests (backends). Adds up over files.
pub trait Tally: Ord + Copy {
    fn add(&mut self, other: Self);
}

impl Tally for u64 {
    fn add(&mut self, other: u64) {
        *self = self.saturating_add(other);
    }
}

impl Tally for (u64, u64) {
    fn add(&mut self, other: (u64, u64)) {
        self.0 = self.0.saturating_add(other.0);
        self.1 = self.1.saturating_add(other.1);
    }
}

/// One kept key: its tally so far and the files holding it.
struct Kept<C> {
    tally: C,
    files: Vec<usize>,
}

/// The keys kept so far over the files admitted, at most `cap`.
pub struct KeyCap<K, C> {
    cap: usize,
    kept: FxHashMap<K, Kept<C>>,
    /// Hashes of the keys folded at least once.
    folded: FxHashSet<u64>,
    folded_overflow: bool,
}

/// What admitting one file's keys asks to fold.
pub struct Admitted<K> {
    /// In the file itself.
    pub here: Vec<K>,
    /// Keys this file displaced, with the earlier files holding them.
    pub displaced: Vec<(K, Vec<usize>)>,
}

/// What a cap did, for its warning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyCapStats {
    /// Distinct keys met (kept and folded).
    pub total: usize,
    /// Of them, summed into the other row or run.
    pub folded: usize,
    /// More keys were folded than could be counted: `folded` is a floor.
    pub more: bool,
}

impl KeyCapStats {
    /// The warning naming the event-key cap, when it was hit.
    pub fn warning(&self) -> Option<String> {
        self.warning_for(
            "event keys",
            "occurrences",
            "(one run per kind and pattern)",
        )
    }

    /// The warning of a cap on `what`, kept by most `by`.
    pub fn warning_for(&self, what: &str, by: &str, note: &str) -> Option<String> {
        use crate::display::group_thousands;
        (self.folded > 0).then(|| {
            let more = if self.more { "more than " } else { "" };
            format!(
                "{more}{} distinct {what}: the {} with most {by} kept, {more}{} summed as `{OTHER_KEY}` {note}",
                group_thousands(self.total as u64),
                group_thousands((self.total - self.folded) as u64),
                group_thousands(self.folded as u64),
            )
        })
    }
}

fn hash_of<K: Hash>(key: &K) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

impl<K: Hash + Eq + Ord + Clone, C: Tally> KeyCap<K, C> {
    pub fn new(cap: usize) -> KeyCap<K, C> {
        KeyCap {
            cap,
            kept: FxHashMap::default(),
            folded: FxHashSet::default(),
            folded_overflow: false,
        }
    }

    /// Admits the keys of file `file` with their tallies in it (files are
    /// admitted in input order, each key once): says which to fold in
    /// this file and in the earlier ones.
    pub fn admit(&mut self, file: usize, tallies: Vec<(K, C)>) -> Admitted<K> {
        let mut new: Vec<(K, C)> = Vec::new();
        for (key, tally) in tallies {
            match self.kept.get_mut(&key) {
                Some(k) => {
                    k.tally.add(tally);
                    k.files.push(file);
                }
                None => new.push((key, tally)),
            }
        }
        let mut out = Admitted {
            here: Vec::new(),
            displaced: Vec::new(),
        };
        if self.kept.len() + new.len() <= self.cap {
            for (key, tally) in new {
                let files = vec![file];
                self.kept.insert(key, Kept { tally, files });
            }
            return out;
        }
        // The largest tallies first; on a tie the key already kept stays
        // (no earlier files to fold again), then by key.
        let mut pool: Vec<(K, Kept<C>, bool)> = self
            .kept
            .drain()
            .map(|(k, v)| (k, v, false))
            .chain(new.into_iter().map(|(k, tally)| {
                let files = vec![file];
                (k, Kept { tally, files }, true)
            }))
            .collect();
        pool.sort_unstable_by(|a, b| (b.1.tally, a.2, &a.0).cmp(&(a.1.tally, b.2, &b.0)));
        let losers = pool.split_off(self.cap.min(pool.len()));
        self.kept = pool.into_iter().map(|(k, v, _)| (k, v)).collect();
        for (key, mut kept, _) in losers {
            self.note_folded(&key);
            let len = kept.files.len();
            kept.files.retain(|&f| f != file);
            if kept.files.len() < len {
                out.here.push(key.clone());
            }
            if !kept.files.is_empty() {
                out.displaced.push((key, kept.files));
            }
        }
        out
    }

    fn note_folded(&mut self, key: &K) {
        let h = hash_of(key);
        if self.folded.len() < MAX_FOLDED_REMEMBERED {
            self.folded.insert(h);
        } else if !self.folded.contains(&h) {
            self.folded_overflow = true;
        }
    }

    /// What the cap did over every file admitted.
    pub fn stats(&self) -> KeyCapStats {
        let kept: FxHashSet<u64> = self.kept.keys().map(hash_of).collect();
        let folded = self.folded.iter().filter(|h| !kept.contains(h)).count();
        KeyCapStats {
            total: self.kept.len() + folded,
            folded,
            more: self.folded_overflow,
        }
    }
}

/// The event keys of a file's runs with their occurrences (the runs
/// folded already left out).
pub fn run_tallies(runs: &Runs) -> Vec<(RunKey, u64)> {
    runs.iter()
        .filter(|(k, _)| k.key != OTHER_KEY)
        .map(|(k, seconds)| (k.clone(), seconds.values().map(|a| a.count).sum()))
        .collect()
}

/// Sums the runs of `keys` into their [`OTHER_KEY`] runs.
pub fn fold_keys<'k>(runs: &mut Runs, keys: impl Iterator<Item = &'k RunKey>) {
    for key in keys {
        let Some(seconds) = runs.remove(key) else {
            continue;
        };
        let other = RunKey {
            key: OTHER_KEY.to_string(),
            ..key.clone()
        };
        let mine = runs.entry(other).or_default();
        for (sec, agg) in seconds {
            match mine.get_mut(&sec) {
                Some(m) => m.merge(agg),
                None => {
                    mine.insert(sec, agg);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admit(
        cap: &mut KeyCap<&'static str, u64>,
        file: usize,
        keys: &[(&'static str, u64)],
    ) -> Admitted<&'static str> {
        cap.admit(file, keys.to_vec())
    }

    #[test]
    fn keys_under_the_cap_are_all_kept() {
        let mut cap = KeyCap::new(3);
        let a = admit(&mut cap, 0, &[("a", 1), ("b", 2)]);
        assert!(a.here.is_empty() && a.displaced.is_empty());
        let a = admit(&mut cap, 1, &[("a", 5), ("c", 1)]);
        assert!(a.here.is_empty() && a.displaced.is_empty());
        assert_eq!(
            cap.stats(),
            KeyCapStats {
                total: 3,
                folded: 0,
                more: false
            }
        );
        assert_eq!(cap.stats().warning(), None);
    }

    #[test]
    fn a_later_frequent_key_displaces_a_rare_one_in_the_earlier_files() {
        let mut cap = KeyCap::new(2);
        admit(&mut cap, 0, &[("a", 1), ("b", 3)]);
        admit(&mut cap, 1, &[("a", 1)]);
        // `c` has more occurrences than `a` (2): `a` goes, from files 0 and 1.
        let a = admit(&mut cap, 2, &[("c", 9), ("d", 1)]);
        assert_eq!(a.here, vec!["d"]);
        assert_eq!(a.displaced, vec![("a", vec![0, 1])]);
        let s = cap.stats();
        assert_eq!((s.total, s.folded), (4, 2));
        assert!(s.warning().unwrap().starts_with(
            "4 distinct event keys: the 2 with most occurrences kept, 2 summed as `(other)`"
        ));
    }

    #[test]
    fn on_a_tie_the_key_kept_stays() {
        let mut cap = KeyCap::new(1);
        admit(&mut cap, 0, &[("z", 1)]);
        let a = admit(&mut cap, 1, &[("a", 1)]);
        assert_eq!(a.here, vec!["a"]);
        assert!(a.displaced.is_empty());
    }

    #[test]
    fn folded_runs_sum_into_one_other_run_per_origin() {
        use crate::event::{EventKind, Origin, Severity};
        let key = |k: &str| RunKey {
            kind: EventKind::Error,
            severity: Severity::Error,
            origin: Origin::FailedRequests,
            key: k.to_string(),
        };
        let agg = |count: u64, line: u64| SecondAgg {
            count,
            first: 0,
            last: 0,
            line,
            message: String::new(),
            title: None,
            fields: Vec::new(),
            statuses: vec![(502, count)],
        };
        let mut runs = Runs::new();
        runs.entry(key("a")).or_default().insert(7, agg(2, 5));
        runs.entry(key("b")).or_default().insert(7, agg(3, 1));
        runs.entry(key("c")).or_default().insert(8, agg(1, 9));
        fold_keys(&mut runs, [key("a"), key("b")].iter());
        assert_eq!(runs.len(), 2);
        let other = &runs[&key(OTHER_KEY)][&7];
        assert_eq!(
            (other.count, other.line, other.statuses.clone()),
            (5, 1, vec![(502, 5)])
        );
        assert_eq!(run_tallies(&runs), vec![(key("c"), 1)]);
    }
}
