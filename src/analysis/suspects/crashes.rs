//! A process dying just before or as impact began: one suspect per
//! burst of crash lines, told by its most telling line.

use super::{EventRef, Evidence, Suspect, SuspectInput, SuspectKind};
use crate::display::{group_thousands, relative};
use crate::event::EventKind;
use crate::time::SEC;
use crate::timeline::Event;

/// How far before impact a crash is still a suspect.
pub const CRASH_LOOKBACK_SECONDS: i64 = 600;
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
    "panicked",
    "panic:",
];
/// Crash lines of one source closer than this are one crash.
pub const CRASH_BURST_SECONDS: i64 = 60;
/// Words in a pattern id that mean a server or container went out of
/// service (a health check took it out, the kubelet backs off).
const DOWN_WORDS: &[&str] = &["down", "backoff", "crash_loop", "unhealthy", "not_ready"];

/// Whether an event says a process crashed or a server went down.
pub fn is_crash_or_down(e: &Event) -> bool {
    let p = e.origin.id().to_ascii_lowercase();
    is_crash(e) || DOWN_WORDS.iter().any(|w| p.contains(w))
}

fn is_crash(e: &Event) -> bool {
    let p = e.origin.id().to_ascii_lowercase();
    CRASH_WORDS.iter().any(|w| p.contains(w)) || says_crash(&e.message)
}

/// Whether a message says its process died, whatever caught it (a
/// pattern, or an error-level line no pattern knows).
pub fn says_crash(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    CRASH_MESSAGES.iter().any(|w| m.contains(w))
}

/// How well a crash `at` explains impact that began at `start`: best as
/// impact began (from 2 minutes before to 1 minute after), less the
/// further back it lies; `order` is its place among the crashes, nearest
/// first.
pub fn crash_score(at: crate::time::Micros, start: crate::time::Micros, order: usize) -> f64 {
    let d = (at - start).abs() as f64 / SEC as f64;
    let near = at >= start - 120 * SEC && at <= start + 60 * SEC;
    let base = if near {
        96.0 - 2.0 * (d / 120.0).min(1.0)
    } else {
        80.0 - 10.0 * (d / 600.0).min(1.0)
    };
    base - 5.0 * order as f64
}

/// Which line of a burst of crash lines tells the story best: the kill
/// itself, then anything about memory, then panics and faults, then exits.
fn crash_priority(e: &Event) -> u8 {
    let p = e.origin.id().to_ascii_lowercase();
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

/// Suspects for the crashes around the start of impact.
pub fn suspects(input: &SuspectInput, out: &mut Vec<Suspect>) {
    let start = input.start;
    // A process dying just before or as impact began.
    let mut crashes: Vec<&Event> = input
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Error && is_crash(e))
        .filter(|e| {
            let at = input.corrected(e);
            at >= start - CRASH_LOOKBACK_SECONDS * SEC && at <= start + 120 * SEC
        })
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
    reps.sort_by_key(|(e, _)| ((input.corrected(e) - start).abs(), e.source.clone(), e.line));
    for (i, (e, lines)) in reps.iter().enumerate() {
        let score = crash_score(input.corrected(e), start, i);
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
                relative(input.corrected(e), start)
            ),
            evidence: Evidence::Event(EventRef::of(e)),
        });
    }
}
