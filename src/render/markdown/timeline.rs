//! The Timeline section: the incident's markers, the first occurrence of
//! each new error, failed requests per backend within the window, and the
//! changes, alerts, recoveries and nearby errors around it, oldest first.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::{chart_from, code, kind_label, until_text, AFTER_SECONDS, MAX_TIMELINE};
use crate::analysis::suspects::Evidence;
use crate::analysis::{Analysis, Incident};
use crate::display::{group_thousands, relative};
use crate::event::{EventKind, Marker, Origin};
use crate::render::clock::Clock;
use crate::time::{Micros, SEC};
use crate::timeline::Event;

/// One timeline line before rendering.
struct Line {
    at: Micros,
    /// Markers first at the same moment, in their natural order.
    order: u8,
    source: String,
    line: u64,
    text: String,
}

/// Order of lines at the same moment that are not markers.
const EVENT_ORDER: u8 = 5;

/// The timeline's lines, oldest first: each moment with its text in
/// Markdown (log text in code spans), and how many smaller error runs
/// were left out. The HTML report lays out the same lines as a table.
pub(crate) fn lines(a: &Analysis, i: &Incident, c: &Clock) -> (Vec<(Micros, String)>, usize) {
    let mut lines = marker_lines(i, c);
    let new_errors = new_error_lines(i, &mut lines);
    backend_lines(a, i, &mut lines, c);
    let dropped = event_lines(a, i, &new_errors, &mut lines, c);
    // `--show-since/--show-until` trim what is shown, markers included.
    lines.retain(|l| a.shown.contains(l.at));
    lines.sort_by(|x, y| {
        (x.at, x.order, &x.source, x.line).cmp(&(y.at, y.order, &y.source, y.line))
    });
    (lines.into_iter().map(|l| (l.at, l.text)).collect(), dropped)
}

/// The note on the error runs left out, when some were.
pub(crate) fn dropped_note(dropped: usize) -> Option<String> {
    (dropped > 0).then(|| {
        format!("… {dropped} smaller error runs left out (`postmortem timeline` shows all)")
    })
}

/// What only people can add to the timeline.
pub(crate) const TODO_LINES: [&str; 3] = [
    "TODO — escalation: who was paged or called in, when, and who joined.",
    "TODO — misleading paths: what was investigated or changed that did not help.",
    "TODO — when and how the cause was found, and who applied the fix.",
];

pub(super) fn timeline(md: &mut String, a: &Analysis, i: &Incident, c: &Clock) {
    let _ = writeln!(md, "## Timeline\n");
    let (lines, dropped) = lines(a, i, c);
    let mut day = String::new();
    for (at, text) in &lines {
        let d = c.date(*at);
        if d != day {
            let _ = writeln!(md, "{}**{d}**\n", if day.is_empty() { "" } else { "\n" });
            day = d;
        }
        let _ = writeln!(md, "- {} — {text}", c.clock(*at));
    }
    if let Some(note) = dropped_note(dropped) {
        let _ = writeln!(md, "- {note}");
    }
    for todo in TODO_LINES {
        let _ = writeln!(md, "- {todo}");
    }
    md.push('\n');
}

fn marker_lines(i: &Incident, c: &Clock) -> Vec<Line> {
    i.markers
        .iter()
        .filter_map(|m| {
            let marker = m.origin.marker()?;
            Some(Line {
                at: m.at,
                order: marker as u8,
                source: String::new(),
                line: 0,
                text: marker_line(m, marker, i, c),
            })
        })
        .collect()
}

/// A marker as Markdown: our own words, with log-derived names in code spans.
fn marker_line(e: &Event, marker: Marker, i: &Incident, c: &Clock) -> String {
    // The message after the label is ours except for an alert name; the
    // peak's names a time, written in the report's zone.
    let rest = match (marker, &i.detected, &i.peak) {
        (Marker::Detected, Some(d), _) => format!(
            "alert {} fired, {}",
            code(&d.alert),
            relative(d.at, i.start)
        ),
        (Marker::Peak, _, Some(p)) => crate::analysis::markers::peak_text(i, p, &|t| c.clock(t)),
        _ => e
            .message
            .split_once(" — ")
            .map(|(_, r)| r.to_string())
            .unwrap_or_default(),
    };
    format!("**{}** — {rest}", marker.label())
}

/// The first line of each new error; returns where they are, so the same
/// lines are not listed again as events.
fn new_error_lines(i: &Incident, lines: &mut Vec<Line>) -> Vec<(String, u64)> {
    let mut cited = Vec::new();
    for s in &i.suspects {
        if let Evidence::NewError { first, count, .. } = &s.evidence {
            cited.push((first.source.clone(), first.line));
            lines.push(Line {
                at: first.at,
                order: EVENT_ORDER,
                source: first.source.clone(),
                line: first.line,
                text: format!(
                    "first occurrence of a new error: {} ({} times in all) — {}:{}",
                    code(&first.message),
                    group_thousands(*count),
                    code(&first.source),
                    first.line
                ),
            });
        }
    }
    cited
}

/// Failed requests per backend within the window (not the collapsed runs,
/// which may begin long before the incident, joined by baseline failures);
/// backends with a negligible share are left out.
fn backend_lines(a: &Analysis, i: &Incident, lines: &mut Vec<Line>, c: &Clock) {
    let failed_in = i.impact.requests_failed.max(1);
    for b in a.failures.by_backend_within(i.start, i.end) {
        if b.count < 10.max(failed_in / 100) {
            continue;
        }
        let statuses: Vec<String> = b
            .statuses
            .iter()
            .map(|(s, n)| {
                let name = if *s == 0 {
                    "no response".to_string()
                } else {
                    s.to_string()
                };
                format!("{name} ×{}", group_thousands(*n))
            })
            .collect();
        let backend = if b.backend == "-" {
            "no backend".to_string()
        } else {
            format!("backend {}", code(&b.backend))
        };
        lines.push(Line {
            at: b.first,
            order: EVENT_ORDER,
            source: b.source.clone(),
            line: b.line,
            text: format!(
                "error: {} failed requests via {backend} ({}) until {} — {}:{}",
                group_thousands(b.count),
                statuses.join(", "),
                if c.same_date(b.last, b.first) {
                    c.clock(b.last)
                } else {
                    c.date_time(b.last)
                },
                code(&b.source),
                b.line
            ),
        });
    }
}

/// Changes, alerts and recoveries around the incident, and errors near
/// its start; when there are too many, the smallest error runs go.
/// Returns how many were left out.
fn event_lines(
    a: &Analysis,
    i: &Incident,
    cited: &[(String, u64)],
    lines: &mut Vec<Line>,
    c: &Clock,
) -> usize {
    let from = chart_from(i);
    let to = i.end + AFTER_SECONDS * SEC;
    let near = |e: &Event| e.at >= i.start - 300 * SEC && e.at <= i.end;
    let mut picked: Vec<&Event> = a
        .events
        .iter()
        .filter(|e| e.at >= from && e.at <= to && e.origin != Origin::FailedRequests)
        .filter(|e| !cited.iter().any(|(s, l)| *s == e.source && *l == e.line))
        .filter(|e| match e.kind {
            EventKind::Alert | EventKind::Change | EventKind::Recovery => true,
            EventKind::Error => near(e),
            EventKind::Info | EventKind::Marker => false,
        })
        .collect();
    let room = MAX_TIMELINE.saturating_sub(lines.len());
    let dropped = picked.len().saturating_sub(room);
    if dropped > 0 {
        // Keep changes, alerts and recoveries; drop the smallest error runs.
        let mut errors: Vec<(usize, u64)> = picked
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EventKind::Error)
            .map(|(k, e)| (k, e.count))
            .collect();
        errors.sort_by_key(|&(k, c)| (c, std::cmp::Reverse(k)));
        let drop: HashSet<usize> = errors.iter().take(dropped).map(|(k, _)| *k).collect();
        picked = picked
            .into_iter()
            .enumerate()
            .filter(|(k, _)| !drop.contains(k))
            .map(|(_, e)| e)
            .collect();
    }
    for e in picked {
        lines.push(Line {
            at: e.at,
            order: EVENT_ORDER,
            source: e.source.clone(),
            line: e.line,
            text: format!(
                "{}: {}{} — {}:{}",
                kind_label(e),
                code(e.headline()),
                until_text(e.at, e.until, e.count, c),
                code(&e.source),
                e.line
            ),
        });
    }
    dropped
}
