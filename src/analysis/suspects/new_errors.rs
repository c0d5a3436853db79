//! Error-level message templates first seen in the incident, in logs
//! that were already being written before it.

use super::{EventRef, Evidence, Suspect, SuspectInput, SuspectKind};
use crate::analysis::TemplateSummary;
use crate::display::{group_thousands, relative};
use crate::time::{format_clock, SEC};

/// Most new error templates listed.
pub const MAX_NEW_ERRORS: usize = 5;
/// Suspects for the new error templates; lines already cited by other
/// suspects are left out.
pub fn suspects(input: &SuspectInput, out: &mut Vec<Suspect>) {
    let start = input.start;
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
                    pattern: None,
                    message: t.seen.sample.clone(),
                    title: None,
                },
            },
        });
    }
}
