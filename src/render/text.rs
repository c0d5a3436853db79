//! Text for people: the timeline in aligned columns (colour on a terminal)
//! and the table of inputs for `postmortem formats`.

use std::io::{self, Write};

use crate::analysis::{Analysis, Incident, IncidentKind};
use crate::display::{date_time, group_thousands, pct2, relative};
use crate::event::{EventKind, Severity};
use crate::render::sanitize_for_terminal;
use crate::time::{format_clock, format_date, format_duration, format_rfc3339};
use crate::timeline::Event;

/// Terminal colours, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn kind(&self, kind: EventKind, severity: Severity, text: &str) -> String {
        let code = match kind {
            EventKind::Error if severity >= Severity::Critical => "1;31",
            EventKind::Error => "31",
            EventKind::Alert => "1;35",
            EventKind::Change => "33",
            EventKind::Recovery => "32",
            EventKind::Marker => "1;36",
            EventKind::Info => "2",
        };
        self.paint(code, text)
    }
}

/// Writes the timeline: a header about the inputs, then one event a line.
pub fn write_timeline(
    out: &mut dyn Write,
    a: &Analysis,
    incidents: &[Incident],
    style: Style,
) -> io::Result<()> {
    let lines: u64 = a.inputs.iter().map(|i| i.stats.lines).sum();
    let first = a.inputs.iter().filter_map(|i| i.stats.first).min();
    let last = a.inputs.iter().filter_map(|i| i.stats.last).max();
    let coverage = crate::analysis::coverage::coverage(a);
    let range = match (first, last, &coverage) {
        (Some(f), Some(l), _) => format!("{} → {} UTC", date_time(f), date_time(l)),
        (_, _, crate::analysis::coverage::Coverage::AllFiltered { .. }) => {
            "none within --since/--until".to_string()
        }
        _ => "no timestamps".to_string(),
    };
    writeln!(
        out,
        "{} {} inputs, {} lines, {}",
        style.paint("1", "postmortem:"),
        a.inputs.len(),
        group_thousands(lines),
        range
    )?;
    for p in preamble(incidents, &coverage) {
        writeln!(out, "{}", sanitize_for_terminal(&p))?;
    }
    writeln!(out)?;
    let events = crate::analysis::timeline_events(a, incidents);
    if events.is_empty() {
        writeln!(out, "No events found.")?;
        return Ok(());
    }
    let source_width = events
        .iter()
        .map(|e| source_ref(e).chars().count())
        .max()
        .unwrap_or(10)
        .clamp(10, 40);
    writeln!(
        out,
        "{}",
        style.paint(
            "1",
            &format!(
                "{:<19}  {:<8}  {:>7}  {:<width$}  EVENT",
                "TIME (UTC)",
                "KIND",
                "COUNT",
                "SOURCE",
                width = source_width
            )
        )
    )?;
    for e in &events {
        write_event(out, e, source_width, style)?;
    }
    Ok(())
}

/// Lines for the top of the text timeline: each incident's window and impact.
fn preamble(incidents: &[Incident], coverage: &crate::analysis::coverage::Coverage) -> Vec<String> {
    let mut out = Vec::new();
    if incidents.is_empty() {
        out.push(crate::analysis::coverage::quiet_verdict(coverage));
        return out;
    }
    for i in incidents {
        let mut line = format!(
            "Incident {} (rank {}, {}): {} → {} UTC ({})",
            i.id,
            i.rank,
            i.kind.as_str(),
            date_time(i.start),
            date_time(i.end),
            format_duration(i.duration_seconds())
        );
        match i.kind {
            IncidentKind::ErrorsFromAppLogs => line.push_str(&format!(
                "; {} error messages",
                group_thousands(i.impact.error_messages)
            )),
            IncidentKind::CrashLoop if i.impact.requests_total == 0 => line.push_str(&format!(
                "; {}",
                crate::analysis::markers::crash_loop_what(i)
            )),
            _ => {
                let (bad, share) = i.bad();
                line.push_str(&format!(
                    "; {} of {} requests {} ({})",
                    group_thousands(bad),
                    group_thousands(i.impact.requests_total),
                    i.bad_verb(),
                    pct2(share)
                ));
                if let (Some(a), Some(t), Some(p)) = (
                    i.impact.clients_affected,
                    i.impact.clients_total,
                    i.impact.clients_affected_pct,
                ) {
                    line.push_str(&format!(
                        ", {} of {} clients affected ({p:.1}%)",
                        group_thousands(a),
                        group_thousands(t)
                    ));
                }
                if i.impact.requests_lost > 0 {
                    line.push_str(&format!(
                        ", about {} requests lost",
                        group_thousands(i.impact.requests_lost)
                    ));
                }
            }
        }
        out.push(line);
        let mut detail = Vec::new();
        match &i.detected {
            Some(d) => detail.push(format!(
                "first alert {} {}",
                d.alert,
                relative(d.at, i.start)
            )),
            None => detail.push(crate::analysis::markers::no_alert(i).to_string()),
        }
        if let Some(s) = i.suspects.first() {
            detail.push(format!("top suspect: {}", s.why));
        }
        out.push(format!("  {}", detail.join("; ")));
    }
    out
}

fn source_ref(e: &Event) -> String {
    if e.source.is_empty() {
        String::new()
    } else {
        format!("{}:{}", e.source, e.line)
    }
}

fn write_event(
    out: &mut dyn Write,
    e: &Event,
    source_width: usize,
    style: Style,
) -> io::Result<()> {
    let count = if e.count > 1 {
        format!("×{}", group_thousands(e.count))
    } else {
        String::new()
    };
    let mut headline = sanitize_for_terminal(e.headline()).into_owned();
    if let Some(u) = e.until {
        let same_day = format_date(u) == format_date(e.at);
        let until = if same_day {
            format_clock(u)
        } else {
            date_time(u)
        };
        headline.push_str(&format!(" (until {until})"));
    }
    let src = sanitize_for_terminal(&source_ref(e)).into_owned();
    let src = if src.chars().count() > source_width {
        let skip = src.chars().count() - source_width + 1;
        format!("…{}", src.chars().skip(skip).collect::<String>())
    } else {
        src
    };
    let kind = format!("{:<8}", e.kind.as_str());
    writeln!(
        out,
        "{:<19}  {}  {:>7}  {:<width$}  {}",
        date_time(e.at),
        style.kind(e.kind, e.severity, &kind),
        count,
        src,
        if e.kind == EventKind::Marker {
            style.paint("1", &headline)
        } else {
            headline
        },
        width = source_width
    )
}

/// Writes the table of inputs for `postmortem formats`.
pub fn write_formats(out: &mut dyn Write, a: &Analysis, show_skipped: bool) -> io::Result<()> {
    let width = a
        .inputs
        .iter()
        .map(|i| i.path.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 60);
    let format_of = |i: &crate::analysis::InputSummary| match (i.format, &i.skipped_reason) {
        (Some(f), _) if i.forced => format!("{f} (forced)"),
        (Some(f), _) => f.to_string(),
        (None, Some(_)) => "(not read)".to_string(),
        (None, None) => "(unknown)".to_string(),
    };
    // As wide as the longest format name shown (`kubectl_events`), 13 at least.
    let fw = a
        .inputs
        .iter()
        .map(|i| format_of(i).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(13, 40);
    writeln!(
        out,
        "{:<width$}  {:<fw$}  {:>10}  {:>7}  {:>8}  {:<24}  {:<24}",
        "PATH", "FORMAT", "LINES", "READ", "SKIPPED", "FIRST", "LAST"
    )?;
    for i in &a.inputs {
        let format = format_of(i);
        writeln!(
            out,
            "{:<width$}  {:<fw$}  {:>10}  {:>6.1}%  {:>8}  {:<24}  {:<24}",
            sanitize_for_terminal(&i.path),
            format,
            group_thousands(i.stats.lines),
            i.stats.read_ratio() * 100.0,
            group_thousands(i.stats.skipped),
            i.stats
                .first
                .map(format_rfc3339)
                .unwrap_or_else(|| "-".into()),
            i.stats
                .last
                .map(format_rfc3339)
                .unwrap_or_else(|| "-".into()),
        )?;
        if let Some(r) = &i.skipped_reason {
            writeln!(out, "    not read: {}", sanitize_for_terminal(r))?;
        }
        if let Some(d) = &i.damaged {
            writeln!(out, "    read stopped early: {}", sanitize_for_terminal(d))?;
        }
        if show_skipped {
            for (line, text) in &i.stats.skipped_samples {
                writeln!(
                    out,
                    "    skipped line {line}: {}",
                    sanitize_for_terminal(text)
                )?;
            }
            if i.stats.skipped > i.stats.skipped_samples.len() as u64 {
                writeln!(
                    out,
                    "    … {} more skipped lines",
                    group_thousands(i.stats.skipped - i.stats.skipped_samples.len() as u64)
                )?;
            }
        }
    }
    Ok(())
}
