//! What scanning (part of) a file produces: statistics, the bucketed
//! series, per-second event aggregates, alert notifications and error
//! templates. Every piece merges by addition, so the partials of blocks,
//! files and threads combine in any order into the same result.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::event::{EventKind, Origin, Severity};
use crate::record::{Alert, Level};
use crate::series::Series;
use crate::time::{Micros, SEC};

/// Text kept for an event message, in characters.
pub const MESSAGE_CHARS: usize = 1000;
/// Text kept for a template's sample message, in characters.
pub const SAMPLE_CHARS: usize = 300;
/// Most distinct event keys kept per file.
pub const MAX_RUN_KEYS: usize = 10_000;
/// Most distinct error templates kept per file; more are counted, not kept.
pub const MAX_TEMPLATES: usize = 5000;

/// Error messages at most this long have their template remembered (per
/// thread, per exact text): error lines repeat the same few texts, and
/// masking a message costs more than looking it up.
const TEMPLATE_MEMO_BYTES: usize = 512;
/// Templates remembered per thread before the memo starts over.
const TEMPLATE_MEMO_ENTRIES: usize = 4096;

thread_local! {
    static TEMPLATE_MEMO: RefCell<FxHashMap<Box<str>, String>> = RefCell::new(FxHashMap::default());
}

/// `f` of the template of `text`, remembered or computed.
fn with_template<R>(text: &str, f: impl FnOnce(&str) -> R) -> R {
    if text.len() > TEMPLATE_MEMO_BYTES {
        return f(&crate::template::template(text));
    }
    TEMPLATE_MEMO.with(|memo| {
        let Ok(mut memo) = memo.try_borrow_mut() else {
            return f(&crate::template::template(text));
        };
        if !memo.contains_key(text) {
            if memo.len() >= TEMPLATE_MEMO_ENTRIES {
                memo.clear();
            }
            memo.insert(text.into(), crate::template::template(text));
        }
        match memo.get(text) {
            Some(t) => f(t),
            None => f(&crate::template::template(text)),
        }
    })
}

/// Line counts and time range of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStats {
    /// Non-blank lines.
    pub lines: u64,
    /// Lines read into records: first lines plus attached continuation lines.
    pub records: u64,
    /// Of `records`, the continuation lines (stack traces, wrapped messages).
    pub continued: u64,
    /// Lines read that frame the records rather than being one (W3C
    /// directives, table headers): neither records nor skipped.
    pub framing: u64,
    /// Lines no parser understood.
    pub skipped: u64,
    /// Records outside `--since`/`--until`.
    pub filtered: u64,
    /// The time range of those records (to say where the data lies when
    /// the window holds none of it).
    pub filtered_first: Option<Micros>,
    pub filtered_last: Option<Micros>,
    /// Request records (load balancer and access logs).
    pub requests: u64,
    pub first: Option<Micros>,
    pub last: Option<Micros>,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// The first few skipped lines: (line number, text).
    pub skipped_samples: Vec<(u64, String)>,
    /// Ambiguous zone abbreviations met (`crate::time::AMBIGUOUS` indices
    /// as a bit set), for one warning each.
    pub ambiguous_zones: u32,
}

impl FileStats {
    pub fn merge(&mut self, other: FileStats, keep_samples: usize) {
        self.lines += other.lines;
        self.records += other.records;
        self.continued += other.continued;
        self.framing += other.framing;
        self.skipped += other.skipped;
        self.filtered += other.filtered;
        self.filtered_first = min_opt(self.filtered_first, other.filtered_first);
        self.filtered_last = max_opt(self.filtered_last, other.filtered_last);
        self.requests += other.requests;
        self.bytes += other.bytes;
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        self.ambiguous_zones |= other.ambiguous_zones;
        for s in other.skipped_samples {
            if self.skipped_samples.len() < keep_samples {
                self.skipped_samples.push(s);
            }
        }
    }

    /// Share of non-blank lines read (into records, or as framing), 1.0
    /// for an empty file.
    pub fn read_ratio(&self) -> f64 {
        if self.lines == 0 {
            1.0
        } else {
            (self.records + self.framing) as f64 / self.lines as f64
        }
    }

    /// Records that start on their own line (continuation lines left out).
    pub fn first_lines(&self) -> u64 {
        self.records - self.continued
    }

    /// Notes a record's time; false when it falls outside `window` and is
    /// to be left out.
    #[inline]
    pub fn note_time(&mut self, at: Micros, window: &TimeWindow) -> bool {
        if !window.contains(at) {
            self.filtered += 1;
            self.filtered_first = Some(self.filtered_first.map_or(at, |f| f.min(at)));
            self.filtered_last = Some(self.filtered_last.map_or(at, |l| l.max(at)));
            return false;
        }
        self.first = Some(self.first.map_or(at, |f| f.min(at)));
        self.last = Some(self.last.map_or(at, |l| l.max(at)));
        true
    }
}

/// `--since`/`--until`: the records kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<Micros>,
    pub until: Option<Micros>,
}

impl TimeWindow {
    #[inline]
    pub fn contains(&self, at: Micros) -> bool {
        !(self.since.is_some_and(|s| at < s) || self.until.is_some_and(|u| at > u))
    }
}

pub fn min_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

pub fn max_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// What identifies "the same event" for collapsing repeats within one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunKey {
    pub kind: EventKind,
    pub severity: Severity,
    pub origin: Origin,
    /// What tells two events of one origin apart (the pattern's key
    /// captures, or the backend of failed requests).
    pub key: String,
}

impl RunKey {
    /// The key of failed requests through one backend (`-`: none logged).
    pub fn failed_requests(backend: &str) -> RunKey {
        RunKey {
            kind: EventKind::Error,
            severity: Severity::Error,
            origin: Origin::FailedRequests,
            key: backend.to_string(),
        }
    }
}

/// All occurrences of one event key within one second.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecondAgg {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
    /// Line of the first occurrence (the earliest, then lowest line).
    pub line: u64,
    pub message: String,
    pub title: Option<String>,
    pub fields: Vec<(String, String)>,
    /// For failed requests: count per status.
    pub statuses: Vec<(u16, u64)>,
}

impl SecondAgg {
    pub fn merge(&mut self, other: SecondAgg) {
        self.count += other.count;
        self.last = self.last.max(other.last);
        for (s, n) in &other.statuses {
            add_status(&mut self.statuses, *s, *n);
        }
        if (other.first, other.line) < (self.first, self.line) {
            self.first = other.first;
            self.line = other.line;
            self.message = other.message;
            self.title = other.title;
            self.fields = other.fields;
        }
    }
}

/// Adds `n` requests of `status` to a per-status tally.
pub fn add_status(statuses: &mut Vec<(u16, u64)>, status: u16, n: u64) {
    match statuses.iter_mut().find(|(s, _)| *s == status) {
        Some((_, c)) => *c += n,
        None => statuses.push((status, n)),
    }
}

/// All error-level messages of one template in one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateSeen {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
    /// Line of the first occurrence.
    pub line: u64,
    /// The first message of this template, as written.
    pub sample: String,
    /// The worst level it was logged at.
    pub level: Level,
}

impl TemplateSeen {
    pub fn merge(&mut self, other: TemplateSeen) {
        self.count += other.count;
        self.last = self.last.max(other.last);
        self.level = self.level.max(other.level);
        if (other.first, other.line) < (self.first, self.line) {
            self.first = other.first;
            self.line = other.line;
            self.sample = other.sample;
        }
    }
}

/// What makes copies of one alert notification the same: the alert's
/// identity (its fingerprint, else its name and labels), whether it is
/// firing, and when its episode started. Alertmanager resends a firing
/// alert every `repeat_interval`: the copies count once.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AlertKey {
    pub identity: String,
    pub firing: bool,
    pub starts_at: Option<Micros>,
}

impl AlertKey {
    pub fn of(alert: &Alert) -> AlertKey {
        let identity = match &alert.fingerprint {
            Some(f) if !f.is_empty() => f.clone(),
            _ => {
                let labels: Vec<String> = alert
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!("{}|{}", alert.name, labels.join(","))
            }
        };
        AlertKey {
            identity,
            firing: alert.firing,
            starts_at: alert.starts_at,
        }
    }
}

/// One alert seen in an alert log: its first notification (the
/// earliest, then lowest line), and how many copies of it came.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertSeen {
    pub at: Micros,
    pub line: u64,
    pub alert: Alert,
    /// Notifications of this alert (1: sent once).
    pub copies: u64,
    /// When the last copy was sent.
    pub last_at: Micros,
}

impl AlertSeen {
    fn merge(&mut self, other: AlertSeen) {
        self.copies += other.copies;
        self.last_at = self.last_at.max(other.last_at);
        if (other.at, other.line) < (self.at, self.line) {
            self.at = other.at;
            self.line = other.line;
            self.alert = other.alert;
        }
    }
}

/// Most distinct alerts kept per file (and over all files: see
/// `scan::Finished`); the notifications of the others are counted.
pub const MAX_ALERTS: usize = 10_000;

/// One occurrence of an event, before aggregation.
pub struct Occurrence<'m> {
    pub at: Micros,
    pub line: u64,
    pub message: &'m str,
    pub title: Option<String>,
    pub fields: Vec<(String, String)>,
    pub status: Option<u16>,
}

/// What scanning (part of) one file produced.
#[derive(Clone, Debug)]
pub struct Partial {
    pub stats: FileStats,
    pub series: Series,
    pub runs: HashMap<RunKey, BTreeMap<i64, SecondAgg>>,
    /// Alerts, each with the number of copies sent.
    pub alerts: HashMap<AlertKey, AlertSeen>,
    /// Alert notifications past [`MAX_ALERTS`] distinct alerts, not kept.
    pub alerts_dropped: u64,
    /// Error-level message templates (for "new error" suspects).
    pub templates: HashMap<String, TemplateSeen>,
    /// Error-level messages per second (for clock-skew estimates).
    pub error_seconds: BTreeMap<i64, u64>,
    /// The request rows a partial file carries (`scan --partial` only).
    pub cells: Option<super::cells::Cells>,
}

impl Partial {
    pub fn new(bucket_seconds: i64) -> Partial {
        Partial {
            stats: FileStats::default(),
            series: Series::new(bucket_seconds),
            runs: HashMap::new(),
            alerts: HashMap::new(),
            alerts_dropped: 0,
            templates: HashMap::new(),
            error_seconds: BTreeMap::new(),
            cells: None,
        }
    }

    /// Adds a later block's partial whose line numbers are already absolute.
    pub fn merge(&mut self, mut other: Partial, keep_samples: usize) {
        self.stats.merge(other.stats, keep_samples);
        self.series.merge_owned(other.series);
        // The first block's partial moves in whole (no second copy of
        // its maps); later ones merge key by key.
        if self.runs.is_empty() {
            std::mem::swap(&mut self.runs, &mut other.runs);
        }
        if self.templates.is_empty() {
            std::mem::swap(&mut self.templates, &mut other.templates);
        }
        if self.error_seconds.is_empty() {
            std::mem::swap(&mut self.error_seconds, &mut other.error_seconds);
        }
        for (key, seconds) in other.runs {
            let Some(mine) = self.runs.get_mut(&key) else {
                self.runs.insert(key, seconds);
                continue;
            };
            for (sec, agg) in seconds {
                match mine.get_mut(&sec) {
                    Some(m) => m.merge(agg),
                    None => {
                        mine.insert(sec, agg);
                    }
                }
            }
        }
        if self.alerts.is_empty() {
            std::mem::swap(&mut self.alerts, &mut other.alerts);
        }
        for (key, seen) in other.alerts {
            match self.alerts.get_mut(&key) {
                Some(mine) => mine.merge(seen),
                None => {
                    self.alerts.insert(key, seen);
                }
            }
        }
        self.alerts_dropped += other.alerts_dropped;
        self.cap_alerts(MAX_ALERTS);
        if let Some(cells) = other.cells {
            self.cells.get_or_insert_with(Default::default).merge(cells);
        }
        for (sec, n) in other.error_seconds {
            *self.error_seconds.entry(sec).or_insert(0) += n;
        }
        for (t, seen) in other.templates {
            let room = self.templates.len() < MAX_TEMPLATES;
            match self.templates.get_mut(&t) {
                Some(mine) => mine.merge(seen),
                None if room => {
                    self.templates.insert(t, seen);
                }
                None => {}
            }
        }
    }

    /// Makes a block's line numbers absolute: `base` lines came before it.
    pub fn shift_lines(&mut self, base: u64) {
        if base == 0 {
            return;
        }
        for seconds in self.runs.values_mut() {
            for agg in seconds.values_mut() {
                agg.line += base;
            }
        }
        for a in self.alerts.values_mut() {
            a.line += base;
        }
        for t in self.templates.values_mut() {
            t.line += base;
        }
        for s in &mut self.stats.skipped_samples {
            s.0 += base;
        }
        if let Some(c) = &mut self.cells {
            c.shift_lines(base);
        }
    }

    /// Notes one alert of a notification sent at `at`.
    pub fn record_alert(&mut self, at: Micros, line: u64, alert: Alert) {
        let key = AlertKey::of(&alert);
        let seen = AlertSeen {
            at,
            line,
            alert,
            copies: 1,
            last_at: at,
        };
        let room = self.alerts.len() < MAX_ALERTS;
        match self.alerts.get_mut(&key) {
            Some(mine) => mine.merge(seen),
            None if room => {
                self.alerts.insert(key, seen);
            }
            None => self.alerts_dropped += 1,
        }
    }

    /// Keeps the `max` alerts first notified (then by line and key),
    /// counting the notifications of the others as dropped.
    pub fn cap_alerts(&mut self, max: usize) {
        if self.alerts.len() <= max {
            return;
        }
        let mut all: Vec<(AlertKey, AlertSeen)> = self.alerts.drain().collect();
        all.sort_unstable_by(|a, b| (a.1.at, a.1.line, &a.0).cmp(&(b.1.at, b.1.line, &b.0)));
        for (_, seen) in all.drain(max..) {
            self.alerts_dropped += seen.copies;
        }
        self.alerts = all.into_iter().collect();
    }

    /// Counts an error-level message under its template.
    pub fn record_template(&mut self, at: Micros, line: u64, text: &str, level: Level) {
        with_template(text, |t| self.count_template(t, at, line, text, level));
        *self.error_seconds.entry(at.div_euclid(SEC)).or_insert(0) += 1;
    }

    fn count_template(&mut self, t: &str, at: Micros, line: u64, text: &str, level: Level) {
        let room = self.templates.len() < MAX_TEMPLATES;
        match self.templates.get_mut(t) {
            Some(seen) => {
                seen.count += 1;
                seen.last = seen.last.max(at);
                seen.level = seen.level.max(level);
                if at < seen.first {
                    seen.first = at;
                    seen.line = line;
                    seen.sample = truncate_chars(text, SAMPLE_CHARS);
                }
            }
            None if room => {
                self.templates.insert(
                    t.to_string(),
                    TemplateSeen {
                        count: 1,
                        first: at,
                        last: at,
                        line,
                        sample: truncate_chars(text, SAMPLE_CHARS),
                        level,
                    },
                );
            }
            None => {}
        }
    }

    /// Counts one occurrence of an event in its second.
    pub fn record_event(&mut self, mut key: RunKey, occ: Occurrence<'_>) {
        // A pattern whose key captures something per line (an id) would
        // make one run per line; past the cap, new keys share one run.
        if self.runs.len() >= MAX_RUN_KEYS && !self.runs.contains_key(&key) {
            key.key = "(other)".to_string();
        }
        let Occurrence {
            at,
            line,
            message,
            title,
            fields,
            status,
        } = occ;
        let sec = at.div_euclid(SEC);
        let seconds = self.runs.entry(key).or_default();
        match seconds.get_mut(&sec) {
            Some(agg) => {
                agg.count += 1;
                agg.last = agg.last.max(at);
                if let Some(s) = status {
                    add_status(&mut agg.statuses, s, 1);
                }
                if at < agg.first {
                    agg.first = at;
                    agg.line = line;
                    agg.message = truncate_chars(message, MESSAGE_CHARS);
                    agg.title = title;
                    agg.fields = fields;
                }
            }
            None => {
                seconds.insert(
                    sec,
                    SecondAgg {
                        count: 1,
                        first: at,
                        last: at,
                        line,
                        message: truncate_chars(message, MESSAGE_CHARS),
                        title,
                        fields,
                        statuses: status.map(|s| vec![(s, 1)]).unwrap_or_default(),
                    },
                );
            }
        }
    }

    /// The per-second runs of failed requests, by backend.
    pub fn failed_request_runs(&self) -> impl Iterator<Item = (&str, &BTreeMap<i64, SecondAgg>)> {
        self.runs
            .iter()
            .filter(|(k, _)| k.origin == Origin::FailedRequests)
            .map(|(k, s)| (k.key.as_str(), s))
    }
}

/// Cuts text to at most `max` characters, marking the cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => {
            let mut s = text[..i].to_string();
            s.push_str("… [truncated]");
            s
        }
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occurrence(at: Micros, line: u64, message: &str) -> Occurrence<'_> {
        Occurrence {
            at,
            line,
            message,
            title: None,
            fields: Vec::new(),
            status: Some(502),
        }
    }

    #[test]
    fn events_in_one_second_aggregate_and_keep_the_earliest_line() {
        let mut p = Partial::new(60);
        let key = RunKey::failed_requests("b1");
        p.record_event(key.clone(), occurrence(10 * SEC + 500, 7, "later"));
        p.record_event(key.clone(), occurrence(10 * SEC + 100, 9, "earlier"));
        p.record_event(key.clone(), occurrence(11 * SEC, 10, "next second"));
        let seconds = &p.runs[&key];
        assert_eq!(seconds.len(), 2);
        let agg = &seconds[&10];
        assert_eq!(
            (agg.count, agg.first, agg.last, agg.line),
            (2, 10 * SEC + 100, 10 * SEC + 500, 9)
        );
        assert_eq!(agg.message, "earlier");
        assert_eq!(agg.statuses, vec![(502, 2)]);
    }

    #[test]
    fn merging_block_partials_is_the_same_as_one_partial() {
        let key = RunKey::failed_requests("b1");
        let mut whole = Partial::new(60);
        let mut first = Partial::new(60);
        let mut second = Partial::new(60);
        for (i, p) in [(1u64, &mut first), (2, &mut second)] {
            p.record_event(key.clone(), occurrence(5 * SEC + i as i64, 1, "x"));
            p.record_template(5 * SEC, 1, "db timeout after 5000ms", Level::Error);
            p.stats.lines += 1;
        }
        second.shift_lines(1);
        whole.record_event(key.clone(), occurrence(5 * SEC + 1, 1, "x"));
        whole.record_event(key.clone(), occurrence(5 * SEC + 2, 2, "x"));
        whole.record_template(5 * SEC, 1, "db timeout after 5000ms", Level::Error);
        whole.record_template(5 * SEC, 2, "db timeout after 5000ms", Level::Error);
        first.merge(second, 5);
        assert_eq!(first.runs, whole.runs);
        assert_eq!(first.templates, whole.templates);
        assert_eq!(first.error_seconds, whole.error_seconds);
        assert_eq!(first.stats.lines, 2);
    }

    #[test]
    fn event_keys_past_the_cap_share_one_run() {
        let mut p = Partial::new(60);
        for i in 0..MAX_RUN_KEYS + 5 {
            let key = RunKey {
                kind: EventKind::Error,
                severity: Severity::Error,
                origin: Origin::pattern("x"),
                key: i.to_string(),
            };
            p.record_event(key, occurrence(0, 1, "m"));
        }
        assert_eq!(p.runs.len(), MAX_RUN_KEYS + 1);
        assert!(p.runs.keys().any(|k| k.key == "(other)"));
    }

    #[test]
    fn the_time_window_filters_and_counts() {
        let w = TimeWindow {
            since: Some(10),
            until: Some(20),
        };
        let mut s = FileStats::default();
        assert!(!s.note_time(5, &w));
        assert!(s.note_time(10, &w));
        assert!(s.note_time(20, &w));
        assert!(!s.note_time(21, &w));
        assert_eq!((s.filtered, s.first, s.last), (2, Some(10), Some(20)));
    }

    #[test]
    fn truncation_marks_the_cut_on_a_character_boundary() {
        assert_eq!(truncate_chars("héllo", 2), "hé… [truncated]");
        assert_eq!(truncate_chars("héllo", 5), "héllo");
    }
}
