//! Likely causes of an incident, ranked: the changes just before it, a
//! crash at its start, a backend whose share of traffic jumped, a backend
//! failing every request, and error messages never seen before.
//!
//! Each suspect carries its evidence (the log line, or the counts) and a
//! `why` for people. The ranking is a score: a change shortly before impact
//! scores highest because, in the outages we study, a change is usually the
//! trigger while backend figures describe the mechanism.

use std::collections::{BTreeMap, HashMap};

use crate::event::EventKind;
use crate::series::Series;
use crate::time::{format_clock, format_duration, Micros, SEC};
use crate::timeline::{group_thousands, Event};
use crate::TemplateSummary;

/// How far before impact a change is still a suspect.
pub const CHANGE_LOOKBACK_SECONDS: i64 = 2 * 3600;
/// A change this soon after impact began may still be the trigger (clocks
/// differ between machines).
pub const CHANGE_GRACE_SECONDS: i64 = 60;
/// How far before impact a crash is still a suspect.
pub const CRASH_LOOKBACK_SECONDS: i64 = 600;
/// A backend failing at least this share of its requests is "failing".
pub const FAILING_RATIO: f64 = 0.9;
/// Rise in a backend's share of traffic that counts as an imbalance.
pub const IMBALANCE_RISE: f64 = 0.15;
/// Most new error templates listed.
pub const MAX_NEW_ERRORS: usize = 5;
/// Words in a pattern id that mean a process died.
const CRASH_WORDS: &[&str] = &[
    "oom", "crash", "exit", "panic", "killed", "segfault", "died", "abort", "fatal", "restart",
];
/// Words in a message that mean a process died, whatever pattern caught it.
const CRASH_MESSAGES: &[&str] = &[
    "exiting",
    "exited",
    "core dumped",
    "segmentation fault",
    "killed process",
    "terminated by signal",
];
/// Crash lines of one source closer than this are one crash.
pub const CRASH_BURST_SECONDS: i64 = 60;
/// Words in a pattern id that mark a change as the mechanics of applying
/// another one (reloads, restarts, starts, stops, progress).
const MECHANICAL_WORDS: &[&str] = &[
    "reload",
    "reconfigur",
    "reexec",
    "new_worker",
    "loading_success",
    "proxy_start",
    "proxy_stop",
    "started",
    "starting",
    "stopping",
    "stopped",
    "restart",
    "progress",
    "rollout_waiting",
    "rollout_complete",
    "apply_complete",
    "recap",
];
/// A reload this soon after a change is taken to apply it.
pub const FOLLOW_UP_SECONDS: i64 = 600;
/// Words that mark a change as a rollback.
const ROLLBACK_WORDS: &[&str] = &["rollback", "roll back", "rolled back", "revert", "restor"];

/// What kind of cause a suspect is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SuspectKind {
    Change,
    Crash,
    BackendImbalance,
    BackendFailing,
    NewError,
}

impl SuspectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuspectKind::Change => "change",
            SuspectKind::Crash => "crash",
            SuspectKind::BackendImbalance => "backend_imbalance",
            SuspectKind::BackendFailing => "backend_failing",
            SuspectKind::NewError => "new_error",
        }
    }
}

/// A log line cited as evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRef {
    pub at: Micros,
    pub source: String,
    pub line: u64,
    pub pattern: String,
    /// The log text.
    pub message: String,
    /// The pattern's short rendering, when it has one.
    pub title: Option<String>,
}

impl EventRef {
    pub fn of(e: &Event) -> EventRef {
        EventRef {
            at: e.at,
            source: e.source.clone(),
            line: e.line,
            pattern: e.pattern.clone(),
            message: e.message.clone(),
            title: e.title.clone(),
        }
    }
}

/// What supports a suspect.
#[derive(Clone, Debug, PartialEq)]
pub enum Evidence {
    /// A change or crash line.
    Event(EventRef),
    /// A backend's share of the requests before and during the incident.
    Imbalance {
        backend: String,
        share_before: f64,
        share_during: f64,
        requests_before: u64,
        requests_during: u64,
        failed_during: u64,
    },
    /// A backend failing (nearly) every request.
    Failing {
        backend: String,
        failed_pct: f64,
        requests: u64,
        failed: u64,
        /// Share of all failed requests in the incident that went through it.
        share_of_failures: f64,
        /// It served no requests in the hour before impact.
        new_in_pool: bool,
    },
    /// An error-level message template first seen in the incident.
    NewError {
        template: String,
        count: u64,
        first: EventRef,
    },
}

/// One ranked suspect.
#[derive(Clone, Debug, PartialEq)]
pub struct Suspect {
    pub rank: usize,
    pub kind: SuspectKind,
    /// Higher is more likely; only the order matters.
    pub score: f64,
    pub why: String,
    pub evidence: Evidence,
}

/// What the ranking looks at for one incident.
pub struct SuspectInput<'a> {
    pub events: &'a [Event],
    pub templates: &'a [TemplateSummary],
    /// The series at its own bucket width.
    pub series: &'a Series,
    pub start: Micros,
    pub end: Micros,
    pub mitigated: Option<Micros>,
    /// Other incidents, left out of the "before" traffic.
    pub other_windows: &'a [(Micros, Micros)],
    /// The first timestamp of each input: an error is only "new" in a log
    /// that was already being written before impact.
    pub source_first: &'a HashMap<String, Micros>,
}

/// Per-backend requests and failures over a time range.
fn backend_counts(
    series: &Series,
    from: Micros,
    to: Micros,
    skip: &[(Micros, Micros)],
) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    if to < from {
        return out;
    }
    let (k0, k1) = (series.key(from), series.key(to));
    for (k, b) in series.present(k0, k1) {
        let (bs, be) = (series.bucket_start(k), series.bucket_start(k + 1));
        if skip.iter().any(|&(s, e)| bs <= e && be > s) {
            continue;
        }
        for (name, c) in &b.backends {
            let e = out.entry(name.to_string()).or_default();
            e.0 += c.requests;
            e.1 += c.failed;
        }
    }
    out
}

fn is_crash(e: &Event) -> bool {
    let p = e.pattern.to_ascii_lowercase();
    let m = e.message.to_ascii_lowercase();
    CRASH_WORDS.iter().any(|w| p.contains(w)) || CRASH_MESSAGES.iter().any(|w| m.contains(w))
}

/// Which line of a burst of crash lines tells the story best: the kill
/// itself, then anything about memory, then panics and faults, then exits.
fn crash_priority(e: &Event) -> u8 {
    let p = e.pattern.to_ascii_lowercase();
    let m = e.message.to_ascii_lowercase();
    if p.contains("kill") && (m.contains("killed") || p.contains("kernel_kill")) {
        0
    } else if p.contains("oom") {
        1
    } else if p.contains("panic") || p.contains("segfault") || p.contains("crash") {
        2
    } else {
        3
    }
}

/// Whether a change is the mechanics of applying another (a reload, a restart).
pub fn is_mechanical(e: &Event) -> bool {
    let p = e.pattern.to_ascii_lowercase();
    MECHANICAL_WORDS.iter().any(|w| p.contains(w))
}

/// Whether a change event reads as a rollback.
pub fn is_rollback(e: &Event) -> bool {
    let p = e.pattern.to_ascii_lowercase();
    let m = e.message.to_ascii_lowercase();
    ROLLBACK_WORDS
        .iter()
        .any(|w| p.contains(w) || m.contains(w))
}

fn relative(at: Micros, start: Micros) -> String {
    let d = (at - start).div_euclid(SEC);
    if d < 0 {
        format!("{} before impact began", format_duration(-d))
    } else if d == 0 {
        "as impact began".to_string()
    } else {
        format!("{} after impact began", format_duration(d))
    }
}

fn pct(x: f64) -> String {
    let p = x * 100.0;
    if p >= 10.0 || p == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// The suspects of one incident, best first, and the change that most
/// likely ended it (a rollback near the end, else the change closest to
/// mitigation).
pub fn rank(input: &SuspectInput) -> (Vec<Suspect>, Option<EventRef>) {
    let mut out = Vec::new();
    let start = input.start;

    // Changes shortly before impact, the closest first.
    let mut changes: Vec<(i64, &Event)> = input
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Change)
        .filter(|e| {
            e.at >= start - CHANGE_LOOKBACK_SECONDS * SEC
                && e.at <= start + CHANGE_GRACE_SECONDS * SEC
        })
        .map(|e| {
            let d = e.at - start;
            // A change after the start explains it less well than one before.
            (if d > 0 { 3 * d } else { -d }, e)
        })
        .collect();
    changes.sort_by(|a, b| (a.0, &a.1.source, a.1.line).cmp(&(b.0, &b.1.source, b.1.line)));
    // Reloads and restarts usually carry out a change made just before
    // them: the change itself is the better suspect.
    let substantive: Vec<Micros> = changes
        .iter()
        .filter(|(_, e)| !is_mechanical(e))
        .map(|(_, e)| e.at)
        .collect();
    let (mut n_sub, mut n_mech) = (0usize, 0usize);
    let mut seen: Vec<&Event> = Vec::new();
    for (_, e) in &changes {
        let before = (start - e.at).max(0) as f64 / SEC as f64;
        let mut score = 97.0 - 35.0 * (before / CHANGE_LOOKBACK_SECONDS as f64).min(1.0);
        let mechanical = is_mechanical(e);
        let follows_change = mechanical
            && substantive
                .iter()
                .any(|&t| t <= e.at && e.at - t <= FOLLOW_UP_SECONDS * SEC);
        if mechanical {
            score -= 8.0 * n_mech as f64 + if follows_change { 15.0 } else { 5.0 };
            n_mech += 1;
        } else {
            score -= 8.0 * n_sub as f64;
            // The steps of one change (plan, test, apply) share its blame
            // with the step closest to impact.
            if seen
                .iter()
                .any(|c| c.source == e.source && (c.at - e.at).abs() <= 300 * SEC)
            {
                score -= 6.0;
            }
            seen.push(e);
            n_sub += 1;
        }
        if e.at > start {
            score -= 10.0;
        }
        let mut why = format!("change {}", relative(e.at, start));
        if !mechanical && n_sub == 1 {
            why.push_str("; the closest change to the start of impact");
        }
        if follows_change {
            why.push_str("; a reload or restart that follows a change");
        }
        out.push(Suspect {
            rank: 0,
            kind: SuspectKind::Change,
            score,
            why,
            evidence: Evidence::Event(EventRef::of(e)),
        });
    }

    // A process dying just before or as impact began.
    let mut crashes: Vec<&Event> = input
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Error && is_crash(e))
        .filter(|e| e.at >= start - CRASH_LOOKBACK_SECONDS * SEC && e.at <= start + 120 * SEC)
        .collect();
    crashes.sort_by_key(|e| (e.source.clone(), e.at, e.line));
    // One suspect per burst of crash lines (an OOM kill writes several).
    let mut bursts: Vec<Vec<&Event>> = Vec::new();
    for e in crashes {
        match bursts.last_mut() {
            Some(b)
                if b[0].source == e.source
                    && e.at - b[b.len() - 1].at <= CRASH_BURST_SECONDS * SEC =>
            {
                b.push(e)
            }
            _ => bursts.push(vec![e]),
        }
    }
    let mut reps: Vec<(&Event, usize)> = bursts
        .iter()
        .filter_map(|b| {
            b.iter()
                .min_by_key(|e| (crash_priority(e), e.at, e.line))
                .map(|e| (*e, b.len()))
        })
        .collect();
    reps.sort_by_key(|(e, _)| ((e.at - start).abs(), e.source.clone(), e.line));
    for (i, (e, lines)) in reps.iter().enumerate() {
        let d = (e.at - start).abs() as f64 / SEC as f64;
        let near = e.at >= start - 120 * SEC && e.at <= start + 60 * SEC;
        let score = if near {
            96.0 - 2.0 * (d / 120.0).min(1.0)
        } else {
            80.0 - 10.0 * (d / 600.0).min(1.0)
        } - 5.0 * i as f64;
        let count = if e.count > 1 {
            format!(" (×{})", group_thousands(e.count))
        } else {
            String::new()
        };
        let related = if *lines > 1 {
            format!(", with {} related lines", lines - 1)
        } else {
            String::new()
        };
        out.push(Suspect {
            rank: 0,
            kind: SuspectKind::Crash,
            score,
            why: format!(
                "process crash or exit{count} {}{related}",
                relative(e.at, start)
            ),
            evidence: Evidence::Event(EventRef::of(e)),
        });
    }

    // Backends: shares before and during, failures during.
    let hour = 3600 * SEC;
    let mut before = backend_counts(input.series, start - hour, start - 1, input.other_windows);
    if before.values().map(|c| c.0).sum::<u64>() < 100 {
        before = backend_counts(
            input.series,
            start - 6 * hour,
            start - 1,
            input.other_windows,
        );
    }
    let during = backend_counts(input.series, start, input.end, &[]);
    let total_before: u64 = before.values().map(|c| c.0).sum();
    let total_during: u64 = during.values().map(|c| c.0).sum();
    let failed_during: u64 = during.values().map(|c| c.1).sum();
    for (name, &(req, failed)) in &during {
        let ratio = if req > 0 {
            failed as f64 / req as f64
        } else {
            0.0
        };
        let (req_before, _) = before.get(name).copied().unwrap_or_default();
        let share_before = if total_before > 0 {
            req_before as f64 / total_before as f64
        } else {
            0.0
        };
        let share_during = if total_during > 0 {
            req as f64 / total_during as f64
        } else {
            0.0
        };
        let share_fail = if failed_during > 0 {
            failed as f64 / failed_during as f64
        } else {
            0.0
        };
        let others = if total_during > req {
            (failed_during - failed) as f64 / (total_during - req) as f64
        } else {
            0.0
        };
        let imbalance = total_before > 0
            && req >= 20
            && share_during >= share_before + IMBALANCE_RISE
            && share_during >= 1.5 * share_before;
        // A backend behind most of the failures, failing far more than the
        // rest (one overwhelmed target behind a path rule, say).
        let concentrated = req >= 20 && share_fail >= 0.5 && ratio >= (5.0 * others).max(0.05);
        let failing = req >= 10 && ratio >= FAILING_RATIO;
        if failing || (concentrated && !imbalance) {
            let new_in_pool = total_before > 0 && req_before == 0;
            let mut why = format!(
                "backend {name} failed {} of its {} requests during the incident ({} of all failed requests; other backends {})",
                pct(ratio),
                group_thousands(req),
                pct(share_fail),
                pct(others)
            );
            if new_in_pool {
                why.push_str("; it served no traffic before impact began (new in the pool?)");
            }
            out.push(Suspect {
                rank: 0,
                kind: SuspectKind::BackendFailing,
                score: if failing { 70.0 } else { 62.0 } + 25.0 * share_fail,
                why,
                evidence: Evidence::Failing {
                    backend: name.clone(),
                    failed_pct: round2(ratio * 100.0),
                    requests: req,
                    failed,
                    share_of_failures: round4(share_fail),
                    new_in_pool,
                },
            });
        } else if imbalance {
            let rise = share_during - share_before;
            out.push(Suspect {
                rank: 0,
                kind: SuspectKind::BackendImbalance,
                score: 65.0 + 25.0 * (rise / 0.5).min(1.0),
                why: format!(
                    "backend {name} took {} of requests during the incident, {} before; {} of its requests failed",
                    pct(share_during),
                    pct(share_before),
                    pct(ratio)
                ),
                evidence: Evidence::Imbalance {
                    backend: name.clone(),
                    share_before: round4(share_before),
                    share_during: round4(share_during),
                    requests_before: req_before,
                    requests_during: req,
                    failed_during: failed,
                },
            });
        }
    }

    // Error templates first seen in the incident, in logs written before it.
    let mut new: Vec<&TemplateSummary> = input
        .templates
        .iter()
        .filter(|t| t.seen.first >= start - 120 * SEC && t.seen.first <= input.end)
        .filter(|t| {
            input
                .source_first
                .get(&t.source)
                .is_some_and(|&f| f < start - 600 * SEC)
        })
        .collect();
    new.sort_by(|a, b| {
        (b.seen.count, a.seen.first, &a.source, a.seen.line).cmp(&(
            a.seen.count,
            b.seen.first,
            &b.source,
            b.seen.line,
        ))
    });
    let cited: Vec<(String, u64)> = out
        .iter()
        .filter_map(|s| match &s.evidence {
            Evidence::Event(e) => Some((e.source.clone(), e.line)),
            _ => None,
        })
        .collect();
    new.retain(|t| !cited.contains(&(t.source.clone(), t.seen.line)));
    for (i, t) in new.iter().take(MAX_NEW_ERRORS).enumerate() {
        out.push(Suspect {
            rank: 0,
            kind: SuspectKind::NewError,
            score: 50.0 - i as f64,
            why: format!(
                "error never seen before, first at {} ({}), {} times",
                format_clock(t.seen.first),
                relative(t.seen.first, start),
                group_thousands(t.seen.count)
            ),
            evidence: Evidence::NewError {
                template: t.template.clone(),
                count: t.seen.count,
                first: EventRef {
                    at: t.seen.first,
                    source: t.source.clone(),
                    line: t.seen.line,
                    pattern: String::new(),
                    message: t.seen.sample.clone(),
                    title: None,
                },
            },
        });
    }

    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(sort_key(a).cmp(&sort_key(b)))
    });
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    (out, likely_fix(input))
}

fn sort_key(s: &Suspect) -> (Micros, String, u64) {
    match &s.evidence {
        Evidence::Event(e) => (e.at, e.source.clone(), e.line),
        Evidence::Imbalance { backend, .. } | Evidence::Failing { backend, .. } => {
            (0, backend.clone(), 0)
        }
        Evidence::NewError { first, .. } => (first.at, first.source.clone(), first.line),
    }
}

/// A rollback between the start and shortly after the end, else the
/// change closest to the moment the errors stopped (within 10 minutes).
fn likely_fix(input: &SuspectInput) -> Option<EventRef> {
    let from = input.start + CHANGE_GRACE_SECONDS * SEC;
    let to = input.end + 600 * SEC;
    let pivot = input.mitigated.unwrap_or(input.end);
    let candidates: Vec<&Event> = input
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Change && e.at > from && e.at <= to)
        .collect();
    fn closest(list: Vec<&Event>, pivot: Micros) -> Option<&Event> {
        list.into_iter()
            .min_by_key(|e| ((e.at - pivot).abs(), e.source.clone(), e.line))
    }
    let rollbacks: Vec<&Event> = candidates
        .iter()
        .copied()
        .filter(|e| is_rollback(e))
        .collect();
    if let Some(e) = closest(rollbacks, pivot) {
        return Some(EventRef::of(e));
    }
    closest(candidates, pivot)
        .filter(|e| (e.at - pivot).abs() <= 600 * SEC)
        .map(EventRef::of)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Severity;

    pub(crate) fn event(at_s: i64, kind: EventKind, pattern: &str, message: &str) -> Event {
        Event {
            at: at_s * SEC,
            until: None,
            count: 1,
            kind,
            severity: Severity::Info,
            source: "deploy.log".to_string(),
            line: at_s as u64,
            pattern: pattern.to_string(),
            message: message.to_string(),
            title: None,
            fields: Default::default(),
        }
    }

    /// One hour of traffic before t=7200 s spread evenly over three
    /// backends, then `during` per minute until t=9000 s.
    fn series(during: &[(&str, u64, u64)]) -> Series {
        let mut s = Series::new(60);
        for m in 60..120 {
            for b in ["a", "b", "c"] {
                for r in 0..100 {
                    let at = (m * 60 + r % 50) * SEC;
                    s.add_request(at, 200, false, Some(b), Some(30.0));
                }
            }
        }
        for m in 120..150 {
            for &(b, req, failed) in during {
                for r in 0..req {
                    let bad = r < failed;
                    let at = (m * 60 + (r % 60) as i64) * SEC;
                    s.add_request(at, if bad { 502 } else { 200 }, bad, Some(b), Some(30.0));
                }
            }
        }
        s
    }

    fn input<'a>(
        events: &'a [Event],
        series: &'a Series,
        firsts: &'a HashMap<String, Micros>,
    ) -> SuspectInput<'a> {
        SuspectInput {
            events,
            templates: &[],
            series,
            start: 7200 * SEC,
            end: 9000 * SEC - 1,
            mitigated: Some(8900 * SEC),
            other_windows: &[],
            source_first: firsts,
        }
    }

    #[test]
    fn weight_change_then_imbalance() {
        let events = vec![
            event(
                3600,
                EventKind::Change,
                "deploy.apply",
                "deployed orders 2.4.1",
            ),
            event(7115, EventKind::Change, "lb.config", "set weight=10 on b"),
            event(
                8890,
                EventKind::Change,
                "deploy.rollback",
                "rollback: weights restored",
            ),
        ];
        let s = series(&[("a", 20, 0), ("b", 260, 120), ("c", 20, 0)]);
        let firsts = HashMap::new();
        let (suspects, fix) = rank(&input(&events, &s, &firsts));
        assert_eq!(suspects[0].kind, SuspectKind::Change);
        assert!(suspects[0].why.contains("1 min 25 s before impact began"));
        assert!(suspects[0].why.contains("closest change"));
        assert_eq!(suspects[1].kind, SuspectKind::BackendImbalance);
        match &suspects[1].evidence {
            Evidence::Imbalance {
                backend,
                share_before,
                share_during,
                ..
            } => {
                assert_eq!(backend, "b");
                assert!((share_before - 0.3333).abs() < 1e-3);
                assert!((share_during - 0.8667).abs() < 1e-3);
            }
            e => panic!("{e:?}"),
        }
        assert_eq!(suspects[2].kind, SuspectKind::Change);
        assert_eq!(suspects.len(), 3);
        assert_eq!(fix.unwrap().pattern, "deploy.rollback");
        assert!(suspects.iter().enumerate().all(|(i, s)| s.rank == i + 1));
    }

    #[test]
    fn a_reload_after_a_change_ranks_below_it() {
        let events = vec![
            event(
                7115,
                EventKind::Change,
                "lb.weight_set",
                "set weight=10 on b",
            ),
            event(
                7118,
                EventKind::Change,
                "nginx.reload_signalled",
                "signal process started",
            ),
            event(
                7118,
                EventKind::Change,
                "nginx.reconfiguring",
                "reconfiguring",
            ),
        ];
        let s = series(&[("a", 20, 0), ("b", 260, 120), ("c", 20, 0)]);
        let firsts = HashMap::new();
        let (suspects, _) = rank(&input(&events, &s, &firsts));
        let kinds: Vec<(SuspectKind, String)> = suspects
            .iter()
            .map(|s| {
                let p = match &s.evidence {
                    Evidence::Event(e) => e.pattern.clone(),
                    _ => String::new(),
                };
                (s.kind, p)
            })
            .collect();
        assert_eq!(kinds[0], (SuspectKind::Change, "lb.weight_set".to_string()));
        assert_eq!(kinds[1].0, SuspectKind::BackendImbalance);
        assert!(suspects[2].why.contains("follows a change"));
        // A reload alone is still a suspect.
        let events = vec![event(
            7118,
            EventKind::Change,
            "nginx.reload_signalled",
            "signal",
        )];
        let (suspects, _) = rank(&input(&events, &s, &firsts));
        assert_eq!(suspects[0].kind, SuspectKind::Change);
    }

    #[test]
    fn offline_backend_is_named() {
        let events = vec![event(7170, EventKind::Change, "lb.add", "added d to pool")];
        let s = series(&[("a", 100, 0), ("b", 100, 0), ("c", 100, 0), ("d", 100, 100)]);
        let firsts = HashMap::new();
        let (suspects, _) = rank(&input(&events, &s, &firsts));
        assert_eq!(suspects[0].kind, SuspectKind::Change);
        assert_eq!(suspects[1].kind, SuspectKind::BackendFailing);
        match &suspects[1].evidence {
            Evidence::Failing {
                backend,
                failed_pct,
                new_in_pool,
                share_of_failures,
                ..
            } => {
                assert_eq!(backend, "d");
                assert_eq!(*failed_pct, 100.0);
                assert!(*new_in_pool);
                assert_eq!(*share_of_failures, 1.0);
            }
            e => panic!("{e:?}"),
        }
        // The new backend is failing, not "imbalanced".
        assert!(!suspects
            .iter()
            .any(|s| s.kind == SuspectKind::BackendImbalance));
    }

    #[test]
    fn crash_without_change_comes_first() {
        let mut oom = event(
            7190,
            EventKind::Error,
            "kernel.oom_kill",
            "Out of memory: Killed process 4242 (java)",
        );
        oom.source = "syslog".into();
        let events = vec![
            oom,
            event(1000, EventKind::Change, "deploy.apply", "old deploy"),
        ];
        let s = series(&[("a", 100, 50), ("b", 100, 50), ("c", 100, 50)]);
        let firsts = HashMap::new();
        let (suspects, fix) = rank(&input(&events, &s, &firsts));
        assert_eq!(suspects[0].kind, SuspectKind::Crash);
        assert_eq!(suspects[1].kind, SuspectKind::Change);
        assert!(fix.is_none());
    }

    #[test]
    fn new_errors_only_from_logs_written_before() {
        use crate::scan::TemplateSeen;
        let t = |template: &str, source: &str, first: i64, count: u64| TemplateSummary {
            template: template.to_string(),
            source: source.to_string(),
            seen: TemplateSeen {
                count,
                first: first * SEC,
                last: first * SEC,
                line: 7,
                sample: template.to_string(),
            },
        };
        let templates = vec![
            t("old error <*>", "app.log", 100, 50),
            t("pool exhausted after <*>", "app.log", 7230, 900),
            t("upstream timed out", "app.log", 7300, 2000),
            t("fresh log error", "new.log", 7300, 10),
        ];
        let mut firsts = HashMap::new();
        firsts.insert("app.log".to_string(), 0);
        firsts.insert("new.log".to_string(), 7250 * SEC);
        let s = series(&[("a", 100, 0)]);
        let mut inp = input(&[], &s, &firsts);
        inp.templates = &templates;
        let (suspects, _) = rank(&inp);
        let new: Vec<&str> = suspects
            .iter()
            .filter_map(|s| match &s.evidence {
                Evidence::NewError { template, .. } => Some(template.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(new, vec!["upstream timed out", "pool exhausted after <*>"]);
    }
}
