//! Changes shortly before impact: the closest one first, the mechanics
//! of applying a change (reloads, restarts) below the change itself; and
//! the change that most likely ended the incident.

use super::applied::{self, applies};
use super::{EventRef, Evidence, Suspect, SuspectInput, SuspectKind};
use crate::display::relative;
use crate::event::{EventKind, Origin};
use crate::time::{Micros, SEC};
use crate::timeline::Event;

/// How far before impact a change is still a suspect.
pub const CHANGE_LOOKBACK_SECONDS: i64 = 2 * 3600;
/// A change this soon after impact began may still be the trigger (clocks
/// differ between machines).
pub const CHANGE_GRACE_SECONDS: i64 = 60;
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
    // Puppet's `Applied catalog in 4.2 seconds`: the run's summary, after
    // the resources it changed.
    "catalog",
];
/// A reload this soon after a change is taken to apply it.
pub const FOLLOW_UP_SECONDS: i64 = 600;
/// Words that mark a change as a rollback.
const ROLLBACK_WORDS: &[&str] = &["rollback", "roll back", "rolled back", "revert", "restor"];

/// Words in a change log's line (one no pattern knows) that mark the
/// mechanics of carrying out a change...
const MECHANICAL_TEXT: &[&str] = &[
    "reload",
    "restart",
    "started",
    "starting",
    "stopped",
    "stopping",
    "waiting",
    "progress",
    "refreshing",
    "health",
    "status",
    "rolled out",
    "complete",
    "finished",
    "done",
    "healthy",
    "pulling",
    "pulled",
    "fetched",
    "fetching",
    "downloaded",
    "downloading",
];
/// ... unless it also says what was changed.
const SUBSTANTIVE_TEXT: &[&str] = &[
    "switch", "deploy", "upgrad", "apply", "applied", "set ", "updat", "chang", "install",
    "migrat", "enabl", "disabl", "scal", "sync", "promot", "release", "replac", "remov", "add",
    "creat", "delet", "toggl", "turned",
];

/// Whether a change is the mechanics of applying another (a reload, a
/// restart, progress): by the pattern that caught it, or, for a change
/// log's own lines, by words of mechanics without words of a change.
/// (They are also judged by what is near them: see `context` below.)
pub fn is_mechanical(e: &Event) -> bool {
    if e.origin == Origin::ChangeSource {
        let m = e.message.to_ascii_lowercase();
        return MECHANICAL_TEXT.iter().any(|w| m.contains(w))
            && !SUBSTANTIVE_TEXT.iter().any(|w| m.contains(w));
    }
    let p = e.origin.id().to_ascii_lowercase();
    MECHANICAL_WORDS.iter().any(|w| p.contains(w)) || is_preparation(e)
}

/// Words of getting a change ready (fetching the release, pulling the
/// image) rather than making it.
const PREPARATION_TEXT: &[&str] = &[
    "fetched",
    "fetching",
    "downloaded",
    "downloading",
    "pulled ",
    "pulling ",
];
/// Words of a change taking effect, which a preparation line lacks.
const TAKING_EFFECT_TEXT: &[&str] = &[
    "switch",
    "activat",
    "appl",
    "install",
    "upgrad",
    "enabl",
    "restart",
    "rolled out",
    "rollout",
];

/// Whether a change line only gets a change ready (`fetched release
/// shop-api 2.15.0`): the release the pattern recognised takes effect
/// later (`switched current -> 2.15.0`), and that line is the cause.
fn is_preparation(e: &Event) -> bool {
    let m = e.message.to_ascii_lowercase();
    PREPARATION_TEXT.iter().any(|w| m.contains(w))
        && !TAKING_EFFECT_TEXT.iter().any(|w| m.contains(w))
}

/// Whether a change event reads as a rollback.
pub fn is_rollback(e: &Event) -> bool {
    let p = e.origin.id().to_ascii_lowercase();
    let m = e.message.to_ascii_lowercase();
    ROLLBACK_WORDS
        .iter()
        .any(|w| p.contains(w) || m.contains(w))
}

/// Suspects for the changes before impact.
pub fn suspects(input: &SuspectInput, out: &mut Vec<Suspect>) {
    let start = input.start;
    // Changes shortly before impact, the closest first.
    let mut changes: Vec<(i64, &Event)> = input
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Change)
        .filter(|e| {
            let at = input.corrected(e);
            at >= start - CHANGE_LOOKBACK_SECONDS * SEC && at <= start + CHANGE_GRACE_SECONDS * SEC
        })
        .map(|e| {
            let d = input.corrected(e) - start;
            // A change after the start explains it less well than one before.
            (if d > 0 { 3 * d } else { -d }, e)
        })
        .collect();
    changes.sort_by(|a, b| (a.0, &a.1.source, a.1.line).cmp(&(b.0, &b.1.source, b.1.line)));
    // Reloads and restarts usually carry out a change made just before
    // them: the change itself is the better suspect.
    let substantive: Vec<Micros> = changes
        .iter()
        .filter(|(_, e)| !is_mechanical(e) && e.origin != Origin::ChangeSource)
        .map(|(_, e)| input.corrected(e))
        .collect();
    // Next to a change a pattern recognised in the same log, a line no
    // pattern knows is that change's context (a task header, a recap):
    // the mechanics, not the change. (Next to a recognised reload or a
    // fetch, it may well be the change itself.)
    let mechanical_at: Vec<bool> = changes
        .iter()
        .map(|(_, e)| {
            let context = e.origin == Origin::ChangeSource
                && changes.iter().any(|(_, c)| {
                    c.origin != Origin::ChangeSource
                        && !is_mechanical(c)
                        && c.source == e.source
                        && (c.at - e.at).abs() <= 300 * SEC
                });
            context || is_mechanical(e)
        })
        .collect();
    // A reload or restart that carries out one of these changes is shown
    // with it (the closest such change before it), not as a suspect.
    let ctx = applied::Context {
        hosts: input.hosts,
        routes: input.routes,
    };
    let mut carried: Vec<Vec<&Event>> = vec![Vec::new(); changes.len()];
    let mut absorbed = vec![false; changes.len()];
    for (m, (_, reload)) in changes.iter().enumerate() {
        // Only a reload or restart itself, not a line that is mechanics
        // by being next to a change (a config test, a task header).
        if !mechanical_at[m] || !applied::is_reload(reload) {
            continue;
        }
        let reload_at = input.corrected(reload);
        let target = changes
            .iter()
            .enumerate()
            .filter(|(c, (_, change))| {
                !mechanical_at[*c]
                    && applies(&ctx, reload, reload_at, change, input.corrected(change))
            })
            .max_by_key(|(c, (_, change))| (input.corrected(change), std::cmp::Reverse(*c)))
            .map(|(c, _)| c);
        if let Some(c) = target {
            carried[c].push(reload);
            absorbed[m] = true;
        }
    }
    let (mut n_sub, mut n_mech) = (0usize, 0usize);
    let mut seen: Vec<&Event> = Vec::new();
    for (k, (_, e)) in changes.iter().enumerate() {
        if absorbed[k] {
            continue;
        }
        let at = input.corrected(e);
        let before = (start - at).max(0) as f64 / SEC as f64;
        let mut score = 97.0 - 35.0 * (before / CHANGE_LOOKBACK_SECONDS as f64).min(1.0);
        let mechanical = mechanical_at[k];
        let follows_change = mechanical
            && substantive
                .iter()
                .any(|&t| t <= at && at - t <= FOLLOW_UP_SECONDS * SEC);
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
        if at > start {
            score -= 10.0;
        }
        // A change log's line no pattern knows is weaker evidence than a
        // change a pattern recognised.
        if e.origin == Origin::ChangeSource {
            score -= 2.0;
        }
        let mut why = format!("change {}", relative(at, start));
        let offset = input.offset_seconds(&e.source);
        if let Some(note) = input.clock_note(&e.source) {
            why.push_str(&note);
        }
        if !mechanical && n_sub == 1 {
            why.push_str("; the closest change to the start of impact");
        }
        if follows_change {
            why.push_str("; a reload or restart that follows a change");
        }
        let mut reloads = carried[k].clone();
        reloads.sort_by(|x, y| (x.at, &x.source, x.line).cmp(&(y.at, &y.source, y.line)));
        if let Some(first) = reloads.first() {
            why.push_str(&format!(
                "; applied {} later (by {} reload or restart line{})",
                crate::time::format_duration((input.corrected(first) - at).div_euclid(SEC)),
                reloads.len(),
                if reloads.len() == 1 { "" } else { "s" }
            ));
        }
        out.push(Suspect {
            rank: 0,
            kind: SuspectKind::Change,
            score,
            why,
            evidence: Evidence::Event(EventRef {
                clock_offset_seconds: offset,
                applied: reloads.into_iter().map(EventRef::of).collect(),
                ..EventRef::of(e)
            }),
        });
    }
}

/// A rollback between the start and shortly after the end, else the
/// change closest to the moment the errors stopped (within 10 minutes).
pub fn likely_fix(input: &SuspectInput) -> Option<EventRef> {
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
