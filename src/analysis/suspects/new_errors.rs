//! Error-level message templates first seen in the incident, in logs
//! that were already being written before it.

use super::{EventRef, Evidence, Suspect, SuspectInput, SuspectKind};
use crate::analysis::TemplateSummary;
use crate::display::{group_thousands, relative};
use crate::record::Level;
use crate::time::{format_clock, Micros, SEC};

/// Most new error templates listed.
pub const MAX_NEW_ERRORS: usize = 5;
/// A new critical error this long before impact may be its trigger.
pub const TRIGGER_LOOKBACK_SECONDS: i64 = 600;

/// A new error that came before the first failed request is a cause
/// candidate by itself (an expired certificate, a failover, a panic),
/// whether or not a change came before it: a fatal or critical one within
/// [`TRIGGER_LOOKBACK_SECONDS`], any error level within two minutes. It
/// scores like a change that close. `None` for errors that follow the
/// start (symptoms more than causes). `first` is its first time, by the
/// incident's clock (a skewed host's offset taken off).
fn trigger_score(input: &SuspectInput, t: &TemplateSummary, first: Micros) -> Option<f64> {
    let before = (input.start - first) as f64 / SEC as f64;
    if before <= 0.0 {
        return None;
    }
    if t.seen.level >= Level::Critical && before <= TRIGGER_LOOKBACK_SECONDS as f64 {
        Some(95.0 - 35.0 * before / TRIGGER_LOOKBACK_SECONDS as f64)
    } else if before <= 120.0 {
        Some(80.0 - 20.0 * before / 120.0)
    } else {
        None
    }
}
/// Suspects for the new error templates; lines already cited by other
/// suspects are left out.
pub fn suspects(input: &SuspectInput, out: &mut Vec<Suspect>) {
    let start = input.start;
    // Error templates first seen in the incident, in logs written before it.
    let mut new: Vec<&TemplateSummary> = input
        .templates
        .iter()
        .filter(|t| {
            let lookback = if t.seen.level >= Level::Critical {
                TRIGGER_LOOKBACK_SECONDS
            } else {
                120
            };
            t.seen.first >= start - lookback * SEC && t.seen.first <= input.end
        })
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
    let mut crashes = 0usize;
    for (i, t) in new.iter().take(MAX_NEW_ERRORS).enumerate() {
        let offset = input.clock_offsets.get(&t.source).copied().unwrap_or(0);
        let first = t.seen.first - offset;
        // A new error saying its process died (`panicked`, `exiting`) is
        // a crash, whether or not a pattern knows its words: it is scored
        // as the crash suspects are.
        let crash = super::crashes::says_crash(&t.seen.sample);
        let score = if crash {
            crashes += 1;
            super::crashes::crash_score(first, start, crashes - 1)
        } else {
            trigger_score(input, t, first).unwrap_or(50.0 - i as f64)
        };
        let mut why = format!(
            "{} never seen before, first at {} ({}), {} times",
            if crash {
                "process crash or exit, an error"
            } else {
                "error"
            },
            format_clock(t.seen.first),
            relative(first, start),
            group_thousands(t.seen.count)
        );
        if let Some(note) = input.clock_note(&t.source) {
            why.push_str(&note);
        }
        out.push(Suspect {
            rank: 0,
            kind: SuspectKind::NewError,
            score,
            why,
            evidence: Evidence::NewError {
                template: t.template.clone(),
                count: t.seen.count,
                first: EventRef {
                    at: t.seen.first,
                    source: t.source.clone(),
                    line: t.seen.line,
                    pattern: None,
                    key_fields: Vec::new(),
                    clock_offset_seconds: None,
                    applied: Vec::new(),
                    message: t.seen.sample.clone(),
                    title: None,
                },
            },
        });
    }
}
