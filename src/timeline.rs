//! The timeline: per-file event aggregates and alert notifications turned
//! into events, repeats collapsed into runs, all sources in one order
//! (time, then source, then line).

use std::collections::{BTreeMap, HashMap};

use rustc_hash::FxHashMap;

use crate::display::group_thousands;
use crate::event::{EventKind, Origin, Severity};
use crate::scan::{AlertKey, AlertSeen, FileResult, RunKey, SecondAgg};
use crate::time::{Micros, SEC};

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// First occurrence.
    pub at: Micros,
    /// Last occurrence, for collapsed runs.
    pub until: Option<Micros>,
    /// Occurrences collapsed into this event.
    pub count: u64,
    pub kind: EventKind,
    pub severity: Severity,
    /// Source path, relative to the argument it was found under; empty for markers.
    pub source: String,
    /// Line of the first occurrence (1-based); 0 for computed events.
    pub line: u64,
    /// Where it comes from: a pattern, failed requests, an alert
    /// notification, a marker (the JSON's `pattern`).
    pub origin: Origin,
    /// The log text of the first occurrence, or a summary for computed events.
    pub message: String,
    /// A short rendering of the event from the pattern's title template.
    pub title: Option<String>,
    /// What tells it apart from other events of its origin (the pattern's
    /// key captures, a failed request's backend): its identity in a run.
    pub key: String,
    pub fields: BTreeMap<String, String>,
}

impl Event {
    /// The text shown to people: the title when there is one, else the message.
    pub fn headline(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.message)
    }
}

/// Orders events: time, then source, then line, then the rest for a total order.
pub fn sort_events(events: &mut [Event]) {
    events.sort_by(|a, b| {
        (a.at, &a.source, a.line, a.kind, a.origin.id(), &a.message).cmp(&(
            b.at,
            &b.source,
            b.line,
            b.kind,
            b.origin.id(),
            &b.message,
        ))
    });
}

/// Builds the ordered timeline from scan results. Repeats of the same event
/// closer than `run_gap_seconds` collapse into one event, also across the
/// rotated parts of one log (`access.log.2.gz`, `access.log.1`,
/// `access.log`); the event points at the file and line of its first
/// occurrence.
pub fn build(results: &[FileResult], run_gap_seconds: i64) -> Timeline {
    let mut events = Vec::new();
    let cap = EventKeyCap::of(results);
    let names: Vec<&str> = results.iter().map(|r| r.file.display.as_str()).collect();
    let mut families: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        families.entry(family(&r.file.display)).or_default().push(i);
    }
    for members in families.values() {
        // (key) -> second -> (aggregate, index of the file it came from)
        let mut merged: BTreeMap<&RunKey, BTreeMap<i64, (SecondAgg, usize)>> = BTreeMap::new();
        for &i in members {
            for (key, seconds) in &results[i].partial.runs {
                let key = cap.key_of(key);
                let mine = merged.entry(key).or_default();
                for (&sec, agg) in seconds {
                    match mine.get_mut(&sec) {
                        Some((m, src)) => {
                            let take = (agg.first, i) < (m.first, *src);
                            let mut combined = agg.clone();
                            combined.count += m.count;
                            combined.last = combined.last.max(m.last);
                            for &(st, n) in &m.statuses {
                                match combined.statuses.iter_mut().find(|(x, _)| *x == st) {
                                    Some((_, c)) => *c += n,
                                    None => combined.statuses.push((st, n)),
                                }
                            }
                            if take {
                                *m = combined;
                                *src = i;
                            } else {
                                m.count = combined.count;
                                m.last = combined.last;
                                m.statuses = combined.statuses;
                            }
                        }
                        None => {
                            mine.insert(sec, (agg.clone(), i));
                        }
                    }
                }
            }
        }
        for (key, seconds) in merged {
            collapse(key, &seconds, &names, run_gap_seconds, &mut events);
        }
    }
    for r in results {
        alert_events(&r.partial.alerts, &r.file.display, &mut events);
    }
    sort_events(&mut events);
    Timeline {
        events,
        keys_total: cap.total,
        keys_folded: cap.folded,
    }
}

pub use crate::scan::keycap::{MAX_EVENT_KEYS, OTHER_KEY};

/// The ordered events, and how many distinct event keys were folded into
/// [`OTHER_KEY`] runs past [`MAX_EVENT_KEYS`] (for the warning).
#[derive(Debug)]
pub struct Timeline {
    pub events: Vec<Event>,
    pub keys_total: usize,
    pub keys_folded: usize,
}

impl Timeline {
    /// The warning naming the cap, when it was hit.
    pub fn cap_warning(&self) -> Option<String> {
        (self.keys_folded > 0).then(|| {
            format!(
                "{} distinct event keys: the {} with most occurrences kept, {} summed as `{OTHER_KEY}` (one run per kind and pattern)",
                group_thousands(self.keys_total as u64),
                group_thousands((self.keys_total - self.keys_folded) as u64),
                group_thousands(self.keys_folded as u64),
            )
        })
    }
}

/// Which event keys keep their own runs: all of them up to
/// [`MAX_EVENT_KEYS`], else those with most occurrences over every file
/// (then by key, so the choice is the same for any thread count).
struct EventKeyCap<'a> {
    folded_to: FxHashMap<&'a RunKey, RunKey>,
    total: usize,
    folded: usize,
}

impl<'a> EventKeyCap<'a> {
    fn of(results: &'a [FileResult]) -> EventKeyCap<'a> {
        let mut counts: FxHashMap<&RunKey, u64> = FxHashMap::default();
        for r in results {
            // Keys the scan folded already are not counted again.
            for (key, seconds) in r.partial.runs.iter().filter(|(k, _)| k.key != OTHER_KEY) {
                *counts.entry(key).or_default() += seconds.values().map(|a| a.count).sum::<u64>();
            }
        }
        let total = counts.len();
        let mut folded_to = FxHashMap::default();
        if total > MAX_EVENT_KEYS {
            let mut ranked: Vec<(&RunKey, u64)> = counts.into_iter().collect();
            ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            for (key, _) in ranked.into_iter().skip(MAX_EVENT_KEYS) {
                let other = RunKey {
                    key: OTHER_KEY.to_string(),
                    ..key.clone()
                };
                folded_to.insert(key, other);
            }
        }
        let folded = folded_to.len();
        EventKeyCap {
            folded_to,
            total,
            folded,
        }
    }

    /// The key a run is merged under.
    fn key_of<'k>(&'k self, key: &'k RunKey) -> &'k RunKey {
        self.folded_to.get(key).unwrap_or(key)
    }
}

/// The log a file is a rotation of: `access.log.2.gz`, `access.log.1` and
/// `access.log-20240309` all belong to `access.log`.
pub fn family(path: &str) -> String {
    let mut p = path;
    loop {
        let before = p;
        for ext in [".gz", ".zst", ".bz2", ".xz"] {
            if let Some(s) = p.strip_suffix(ext) {
                p = s;
            }
        }
        if let Some(i) = p.rfind(['.', '-', '_']) {
            let tail = &p[i + 1..];
            let digits = !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit());
            // `.1`, `.12` (logrotate's count) or a date (`-20240309`,
            // `.2024030912`); `app-1`, `app-2` stay different logs.
            let date = matches!(tail.len(), 8 | 10);
            let numbered = digits && (date || (p.as_bytes()[i] == b'.' && tail.len() <= 3));
            // Keep a numbered name that is all there is (`2024.log` stays).
            if numbered && i > 0 && !p[..i].ends_with('/') {
                p = &p[..i];
            }
        }
        if p == before {
            return p.to_string();
        }
    }
}

fn collapse(
    key: &RunKey,
    seconds: &BTreeMap<i64, (SecondAgg, usize)>,
    names: &[&str],
    gap: i64,
    out: &mut Vec<Event>,
) {
    let mut run: Vec<&(SecondAgg, usize)> = Vec::new();
    let mut last_sec = i64::MIN;
    for (&sec, entry) in seconds {
        if !run.is_empty() && sec - last_sec > gap {
            out.push(run_event(key, &run, names));
            run.clear();
        }
        run.push(entry);
        last_sec = sec;
    }
    if !run.is_empty() {
        out.push(run_event(key, &run, names));
    }
}

fn run_event(key: &RunKey, run: &[&(SecondAgg, usize)], names: &[&str]) -> Event {
    let (first, src) = run[0];
    let source = names.get(*src).copied().unwrap_or("");
    let run: Vec<&SecondAgg> = run.iter().map(|(a, _)| a).collect();
    let count: u64 = run.iter().map(|a| a.count).sum();
    let last = run.iter().map(|a| a.last).max().unwrap_or(first.first);
    let until = (count > 1 && last > first.first).then_some(last);
    let mut fields: BTreeMap<String, String> = first.fields.iter().cloned().collect();
    let (message, title) = if key.origin == Origin::FailedRequests {
        let mut statuses: Vec<(u16, u64)> = Vec::new();
        for a in &run {
            for &(s, n) in &a.statuses {
                match statuses.iter_mut().find(|(x, _)| *x == s) {
                    Some((_, c)) => *c += n,
                    None => statuses.push((s, n)),
                }
            }
        }
        statuses.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let status_text: Vec<String> = statuses
            .iter()
            .map(|(s, n)| format!("{} ×{}", status_name(*s), group_thousands(*n)))
            .collect();
        let backend = if key.key == "-" {
            "no backend".to_string()
        } else {
            format!("backend {}", key.key)
        };
        fields.insert("backend".to_string(), key.key.clone());
        fields.insert("statuses".to_string(), status_text.join(", "));
        let noun = if count == 1 { "request" } else { "requests" };
        (
            format!(
                "{} failed {noun} via {backend} ({})",
                group_thousands(count),
                status_text.join(", ")
            ),
            None,
        )
    } else {
        (first.message.clone(), first.title.clone())
    };
    Event {
        at: first.first,
        until,
        count,
        kind: key.kind,
        severity: key.severity,
        source: source.to_string(),
        line: first.line,
        origin: key.origin.clone(),
        message,
        title,
        fields,
        key: key.key.clone(),
    }
}

fn status_name(status: u16) -> String {
    if status == 0 {
        "no response".to_string()
    } else {
        status.to_string()
    }
}

/// Alert notifications become one `alert` event per firing episode (an
/// alert identity and its `startsAt`) and one `recovery` event when it
/// resolves; the copies of a notification (resends) are its count.
fn alert_events(alerts: &HashMap<AlertKey, AlertSeen>, source: &str, out: &mut Vec<Event>) {
    // (identity, episode start) -> its firing and resolved alerts.
    let mut episodes: HashMap<(&str, Option<Micros>), Vec<&AlertSeen>> = HashMap::new();
    for (key, seen) in alerts {
        episodes
            .entry((key.identity.as_str(), key.starts_at))
            .or_default()
            .push(seen);
    }
    let mut episodes: Vec<_> = episodes.into_iter().collect();
    episodes.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, mut seen) in episodes {
        seen.sort_by_key(|a| (a.at, a.line));
        let firing = seen.iter().find(|a| a.alert.firing);
        let resolved = seen.iter().find(|a| !a.alert.firing);
        let Some(&any) = seen.first() else { continue };
        let mut fields: BTreeMap<String, String> = any.alert.labels.clone().into_iter().collect();
        fields.insert("alertname".to_string(), any.alert.name.clone());
        let summary = any
            .alert
            .summary
            .as_deref()
            .map(|s| format!(": {s}"))
            .unwrap_or_default();
        let severity = match any
            .alert
            .labels
            .get("severity")
            .map(|s| s.to_ascii_lowercase())
        {
            Some(s) if s == "critical" || s == "page" => Severity::Critical,
            Some(s) if s == "warning" || s == "warn" => Severity::Warning,
            Some(s) if s == "info" || s == "none" => Severity::Info,
            _ => Severity::Error,
        };
        if let Some(first) = firing {
            let at = first.alert.starts_at.unwrap_or(first.at);
            let last_notice = first.last_at;
            let mut f = fields.clone();
            f.insert(
                "notified_at".to_string(),
                crate::time::format_rfc3339(first.at),
            );
            out.push(Event {
                at,
                until: (first.copies > 1 && last_notice > at).then_some(last_notice),
                count: first.copies,
                kind: EventKind::Alert,
                severity,
                source: source.to_string(),
                line: first.line,
                origin: Origin::AlertFiring,
                message: format!("alert {} firing{summary}", any.alert.name),
                title: None,
                fields: f,
                key: any.alert.name.clone(),
            });
        }
        if let Some(r) = resolved {
            let at = r.alert.ends_at.unwrap_or(r.at);
            // An episode only seen resolved still says when it started.
            if firing.is_none() {
                if let Some(start) = r.alert.starts_at {
                    fields.insert("started_at".to_string(), crate::time::format_rfc3339(start));
                }
            }
            out.push(Event {
                at,
                until: None,
                count: r.copies,
                kind: EventKind::Recovery,
                severity: Severity::Info,
                source: source.to_string(),
                line: r.line,
                origin: Origin::AlertResolved,
                message: format!("alert {} resolved{summary}", any.alert.name),
                title: None,
                fields,
                key: any.alert.name.clone(),
            });
        }
    }
}

/// Seconds between `a` and `b`, rounded down.
pub fn seconds_between(a: Micros, b: Micros) -> i64 {
    (b - a).div_euclid(SEC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_belong_to_one_log() {
        for p in [
            "nginx/access.log",
            "nginx/access.log.1",
            "nginx/access.log.2.gz",
            "nginx/access.log-20240309",
            "nginx/access.log.3.zst",
        ] {
            assert_eq!(family(p), "nginx/access.log", "{p}");
        }
        assert_eq!(family("app/app-1.log"), "app/app-1.log");
        assert_eq!(family("2024.log"), "2024.log");
        assert_ne!(family("app-1"), family("app-2"));
        assert_eq!(family("app-1.log.1"), "app-1.log");
    }

    fn agg(at: i64, line: u64) -> SecondAgg {
        SecondAgg {
            count: 1,
            first: at * SEC,
            last: at * SEC,
            line,
            message: format!("m{line}"),
            title: None,
            fields: vec![],
            statuses: vec![(502, 1)],
        }
    }

    #[test]
    fn quiet_gap_starts_a_new_run() {
        let key = RunKey::failed_requests("b1");
        let mut seconds = BTreeMap::new();
        for (s, l) in [(100, 1), (130, 5), (150, 9), (1000, 20)] {
            seconds.insert(s, (agg(s, l), 0));
        }
        let mut out = Vec::new();
        collapse(&key, &seconds, &["lb.log"], 300, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].count, 3);
        assert_eq!(out[0].line, 1);
        assert_eq!(out[0].until, Some(150 * SEC));
        assert_eq!(out[1].count, 1);
        assert!(out[0]
            .message
            .contains("3 failed requests via backend b1 (502 ×3)"));
    }
}
