//! Likely causes of an incident, ranked: the changes just before it, a
//! crash at its start, a backend whose share of traffic jumped, a backend
//! failing every request, and error messages never seen before.
//!
//! Each suspect carries its evidence (the log line, or the counts) and a
//! `why` for people. The ranking is a score: a change shortly before impact
//! scores highest because, in the outages we study, a change is usually the
//! trigger while backend figures describe the mechanism.

mod applied;
mod backends;
mod changes;
mod crashes;
pub use crashes::is_crash_or_down;
mod new_errors;

use std::collections::HashMap;

use super::TemplateSummary;
use crate::series::Series;
use crate::time::Micros;
use crate::timeline::Event;

pub use backends::{FAILING_RATIO, IMBALANCE_RISE};
pub use changes::{is_mechanical, is_rollback, CHANGE_GRACE_SECONDS, CHANGE_LOOKBACK_SECONDS};
pub use crashes::CRASH_LOOKBACK_SECONDS;
pub use new_errors::MAX_NEW_ERRORS;

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
    /// The pattern that caught it (`None` for error templates).
    pub pattern: Option<String>,
    /// The log text.
    pub message: String,
    /// The pattern's short rendering, when it has one.
    pub title: Option<String>,
    /// What a change changed, from its fields (`diff`, `image`, `version`...).
    pub key_fields: Vec<(String, String)>,
    /// Seconds its source's clock seems ahead (its time was corrected by
    /// this for the ranking), when it seems off.
    pub clock_offset_seconds: Option<i64>,
    /// For a change: the reloads or restarts that carried it out
    /// ([`applied`]), oldest first; they are not suspects of their own.
    pub applied: Vec<EventRef>,
}

/// Fields that say what a change changed.
const KEY_FIELDS: &[&str] = &[
    "diff",
    "change",
    "changes",
    "image",
    "version",
    "revision",
    "commit",
    "sha",
    "tag",
    "flag",
    "feature",
    "featureName",
    "application",
    "release",
    "chart",
    "job",
    "command",
    "target",
    "from",
    "to",
];

impl EventRef {
    pub fn of(e: &Event) -> EventRef {
        EventRef {
            at: e.at,
            source: e.source.clone(),
            line: e.line,
            pattern: Some(e.origin.id().into_owned()),
            message: e.message.clone(),
            title: e.title.clone(),
            key_fields: e
                .fields
                .iter()
                .filter(|(k, _)| KEY_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            clock_offset_seconds: None,
            applied: Vec::new(),
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
    /// Sources whose clock seems off, and by how much (to subtract).
    pub clock_offsets: &'a HashMap<String, Micros>,
    /// Each source's host names ([`crate::analysis::Analysis::hosts`]).
    pub hosts: &'a HashMap<String, Vec<String>>,
    /// Each backend's request logs ([`crate::analysis::Analysis::routes`]).
    pub routes: &'a HashMap<String, Vec<String>>,
}

impl SuspectInput<'_> {
    /// When an event happened by the incident's clock: its logged time,
    /// less its source's clock offset when there is one.
    pub fn corrected(&self, e: &Event) -> Micros {
        e.at - self.clock_offsets.get(&e.source).copied().unwrap_or(0)
    }

    /// The offset of a source's clock, in seconds, when known.
    pub fn offset_seconds(&self, source: &str) -> Option<i64> {
        self.clock_offsets.get(source).map(|o| o / crate::time::SEC)
    }

    /// What a suspect's reason says of its source's clock, when it is off.
    pub fn clock_note(&self, source: &str) -> Option<String> {
        self.offset_seconds(source).map(|o| {
            format!(
                " (its host's clock seems {} s {}; corrected)",
                o.abs(),
                if o > 0 { "ahead" } else { "behind" }
            )
        })
    }
}

/// The suspects of one incident, best first, and the change that most
/// likely ended it (a rollback near the end, else the change closest to
/// mitigation).
pub fn rank(input: &SuspectInput) -> (Vec<Suspect>, Option<EventRef>) {
    let mut out = Vec::new();
    changes::suspects(input, &mut out);
    crashes::suspects(input, &mut out);
    backends::suspects(input, &mut out);
    new_errors::suspects(input, &mut out);
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(sort_key(a).cmp(&sort_key(b)))
    });
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    (out, changes::likely_fix(input))
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Severity};
    use crate::series::Series;
    use crate::time::SEC;

    pub(crate) fn event(at_s: i64, kind: EventKind, pattern: &str, message: &str) -> Event {
        Event {
            at: at_s * SEC,
            until: None,
            count: 1,
            kind,
            severity: Severity::Info,
            source: "deploy.log".to_string(),
            line: at_s as u64,
            origin: crate::event::Origin::pattern(pattern),
            message: message.to_string(),
            title: None,
            fields: Default::default(),
            key: String::new(),
        }
    }

    fn no_hosts() -> &'static HashMap<String, Vec<String>> {
        static EMPTY: std::sync::OnceLock<HashMap<String, Vec<String>>> =
            std::sync::OnceLock::new();
        EMPTY.get_or_init(HashMap::new)
    }

    fn no_offsets() -> &'static HashMap<String, Micros> {
        static EMPTY: std::sync::OnceLock<HashMap<String, Micros>> = std::sync::OnceLock::new();
        EMPTY.get_or_init(HashMap::new)
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
            clock_offsets: no_offsets(),
            hosts: no_hosts(),
            routes: no_hosts(),
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
        assert_eq!(fix.unwrap().pattern.as_deref(), Some("deploy.rollback"));
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
                    Evidence::Event(e) => e.pattern.clone().unwrap_or_default(),
                    _ => String::new(),
                };
                (s.kind, p)
            })
            .collect();
        assert_eq!(kinds[0], (SuspectKind::Change, "lb.weight_set".to_string()));
        assert_eq!(kinds[1].0, SuspectKind::BackendImbalance);
        // In the same log, the reloads carry the change out: shown with it.
        assert_eq!(suspects.len(), 2, "{suspects:#?}");
        match &suspects[0].evidence {
            Evidence::Event(e) => assert_eq!(e.applied.len(), 2),
            e => panic!("{e:?}"),
        }
        assert!(suspects[0]
            .why
            .contains("applied 3 s later (by 2 reload or restart lines)"));
        // A reload elsewhere, of nothing the change names, stays a suspect
        // below it.
        let mut elsewhere = events.clone();
        for e in &mut elsewhere[1..] {
            e.source = "other/error.log".into();
        }
        let (suspects, _) = rank(&input(&elsewhere, &s, &firsts));
        assert_eq!(suspects.len(), 4, "{suspects:#?}");
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
    fn the_switch_to_a_release_outranks_fetching_it() {
        let fetched = event(
            7100,
            EventKind::Change,
            "deploy.version",
            "INFO deploy-agent: fetched release shop-api 2.15.0 from artifacts.internal",
        );
        let mut switched = event(
            7106,
            EventKind::Change,
            "change.source",
            "INFO deploy-agent: switched current -> releases/2.15.0 (was 2.14.3); restarting shop-api",
        );
        switched.origin = crate::event::Origin::ChangeSource;
        let s = series(&[("a", 20, 0), ("b", 260, 120)]);
        let firsts = HashMap::new();
        let events = vec![fetched, switched];
        let (suspects, _) = rank(&input(&events, &s, &firsts));
        match &suspects[0].evidence {
            Evidence::Event(e) => assert_eq!(e.line, 7106, "{suspects:#?}"),
            e => panic!("{e:?}"),
        }
        // The fetch alone is still a suspect.
        let (suspects, _) = rank(&input(&events[..1], &s, &firsts));
        assert_eq!(suspects[0].kind, SuspectKind::Change);
    }

    #[test]
    fn a_puppet_run_is_blamed_on_the_resource_it_changed_not_its_summary() {
        let events = vec![
            event(
                7100,
                EventKind::Change,
                "puppet.resource_changed",
                "Notice: /Stage[main]/Nginx/File[/etc/nginx/conf.d/upstream.conf]/content: content changed '{md5}27a5' to '{md5}2274'",
            ),
            event(
                7104,
                EventKind::Change,
                "puppet.catalog",
                "Notice: Applied catalog in 4.21 seconds",
            ),
        ];
        let s = series(&[("a", 20, 0), ("b", 260, 120)]);
        let firsts = HashMap::new();
        let (suspects, _) = rank(&input(&events, &s, &firsts));
        match &suspects[0].evidence {
            Evidence::Event(e) => assert_eq!(
                e.pattern.as_deref(),
                Some("puppet.resource_changed"),
                "{suspects:#?}"
            ),
            e => panic!("{e:?}"),
        }
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

    /// An hour of clean traffic over three HAProxy servers, then half an
    /// hour in which `app/b2` fails 3 of its 90 requests (a crash loop's
    /// victim is out of rotation most of the time: its ratio stays low).
    fn crash_loop_series() -> Series {
        let mut s = Series::new(60);
        for m in 60..150 {
            for b in ["app/b1", "app/b2", "app/b3"] {
                for r in 0..3 {
                    let bad = b == "app/b2" && m >= 120 && m % 10 == 0 && r == 0;
                    let at = (m * 60 + r * 10) * SEC;
                    s.add_request(at, if bad { 503 } else { 200 }, bad, Some(b), Some(30.0));
                }
            }
        }
        s
    }

    fn down_event(key: &str) -> Event {
        let mut down = event(7200, EventKind::Error, "haproxy.server_down", "server down");
        down.count = 7;
        down.until = Some(8800 * SEC);
        down.key = key.to_string();
        down
    }

    fn failing_backends(suspects: &[Suspect]) -> Vec<(String, String)> {
        suspects
            .iter()
            .filter_map(|s| match &s.evidence {
                Evidence::Failing { backend, .. } => Some((backend.clone(), s.why.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_crash_loop_names_its_victim_backend() {
        let s = crash_loop_series();
        let firsts = HashMap::new();
        // Its down events name the server (HAProxy's `backend|server`).
        let events = vec![down_event("app|b2")];
        let named = failing_backends(&rank(&input(&events, &s, &firsts)).0);
        assert_eq!(named.len(), 1, "{named:?}");
        assert_eq!(named[0].0, "app/b2");
        assert!(named[0].1.contains("went down 7 times"), "{}", named[0].1);
        // They name a pod, not an address: the backend behind the loop's
        // failures is its victim all the same.
        let events = vec![down_event("shop/shop-api-7d9c8b6f5-x2k4q")];
        let named = failing_backends(&rank(&input(&events, &s, &firsts)).0);
        assert_eq!(named.len(), 1, "{named:?}");
        assert_eq!(named[0].0, "app/b2");
        // Without a crash loop, 3 failures of 90 are not a failing backend.
        let named = failing_backends(&rank(&input(&[], &s, &firsts)).0);
        assert!(named.is_empty(), "{named:?}");
    }

    #[test]
    fn a_new_error_saying_its_process_died_outranks_the_backend_it_took_down() {
        // No pattern knows the line; the backend it ran on fails every
        // request after it. The death explains the failing backend.
        let s = series(&[("a", 100, 0), ("b", 100, 100), ("c", 100, 0)]);
        let mut firsts = HashMap::new();
        firsts.insert("app-b.log".to_string(), 0);
        let templates = vec![crate::analysis::TemplateSummary {
            template: "price feed refresh panicked: <*>".into(),
            source: "app-b.log".into(),
            seen: crate::scan::partial::TemplateSeen {
                count: 1,
                first: 7170 * SEC,
                last: 7170 * SEC,
                line: 42,
                sample: "price feed refresh panicked: index out of range".into(),
                level: crate::record::Level::Error,
            },
        }];
        let inp = SuspectInput {
            templates: &templates,
            ..input(&[], &s, &firsts)
        };
        let (suspects, _) = rank(&inp);
        assert_eq!(suspects[0].kind, SuspectKind::NewError, "{suspects:#?}");
        assert!(suspects[0].why.starts_with("process crash or exit"));
        assert_eq!(suspects[1].kind, SuspectKind::BackendFailing);
        // The same line without words of dying stays below the backend.
        let mut plain = templates.clone();
        plain[0].seen.sample = "price feed refresh slow: index out of range".into();
        let inp = SuspectInput {
            templates: &plain,
            ..input(&[], &s, &firsts)
        };
        let (suspects, _) = rank(&inp);
        assert_eq!(
            suspects[0].kind,
            SuspectKind::BackendFailing,
            "{suspects:#?}"
        );
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
                level: crate::record::Level::Error,
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

    /// A fatal error just before impact, with no change near it, is the
    /// first suspect; a change hours before is not.
    #[test]
    fn a_fatal_error_just_before_impact_is_a_cause_by_itself() {
        use crate::scan::TemplateSeen;
        let templates = vec![TemplateSummary {
            template: "price feed refresh panicked: runtime error: index out of range [<*>]".into(),
            source: "app.log".into(),
            seen: TemplateSeen {
                count: 1,
                first: 7110 * SEC,
                last: 7110 * SEC,
                line: 297,
                sample: "price feed refresh panicked".into(),
                level: crate::record::Level::Critical,
            },
        }];
        let events = vec![event(
            2000,
            EventKind::Change,
            "chef.run",
            "Chef Client finished, 3/120 resources updated",
        )];
        let s = series(&[("a", 100, 50), ("b", 100, 50), ("c", 100, 50)]);
        let mut firsts = HashMap::new();
        firsts.insert("app.log".to_string(), 0);
        let mut inp = input(&events, &s, &firsts);
        inp.templates = &templates;
        let (suspects, _) = rank(&inp);
        assert_eq!(suspects[0].kind, SuspectKind::NewError, "{suspects:#?}");
        assert_eq!(suspects[1].kind, SuspectKind::Change);
    }
}
