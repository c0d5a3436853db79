//! Text for people: the timeline in aligned columns (colour on a terminal)
//! and the table of inputs for `postmortem formats`.

use std::io::{self, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::analysis::{Analysis, Incident, IncidentKind};
use crate::display::{group_thousands, pct2, relative};
use crate::display_zone::DisplayZone;
use crate::event::{EventKind, Severity};
use crate::render::sanitize_for_terminal;
use crate::time::format_duration;
use crate::timeline::Event;

/// Gaps between the five columns of the timeline.
const GAPS: usize = 4 * 2;

/// Width of KIND (`recovery`).
const KIND_WIDTH: usize = 8;

/// The EVENT column keeps at least this much when the width is short (a
/// terminal narrower than the columns plus this wraps rather than the
/// event vanishing).
const MIN_EVENT_WIDTH: usize = 20;

/// Below this many columns for EVENT, a timeline on one date shows only
/// the time of day (the date is in the header line).
const ROOMY_EVENT_WIDTH: usize = 40;

/// How text is written: colours or none, the zone times are shown in, and
/// the columns it may use.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub color: bool,
    pub zone: DisplayZone,
    /// Columns a line may take (`None`: no limit). Table cells are
    /// shortened with an ellipsis and prose is wrapped to fit.
    pub width: Option<usize>,
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

    /// Writes a line of prose, wrapped to the width with `indent` before
    /// each continuation.
    fn prose(&self, out: &mut dyn Write, text: &str, indent: &str) -> io::Result<()> {
        for line in wrap(text, self.width, indent) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

/// Cuts `text` to at most `width` columns, ending with `…` when cut.
pub fn shorten_end(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Cuts `text` to at most `width` columns from the left, starting with
/// `…` when cut (a source keeps its file name and line number).
pub fn shorten_start(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut kept = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        kept.push(c);
    }
    let mut out = String::from("…");
    out.extend(kept.into_iter().rev());
    out
}

/// `text` padded with spaces to `width` columns.
fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    if w >= width {
        text.to_string()
    } else {
        format!("{text}{}", " ".repeat(width - w))
    }
}

/// Word-wraps `text` to `width` columns; continuation lines start with
/// `indent`. A word longer than a line is cut between characters.
pub fn wrap(text: &str, width: Option<usize>, indent: &str) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_string()];
    };
    let width = width.max(indent.width() + 10);
    if text.width() <= width {
        return vec![text.to_string()];
    }
    let lead: String = text.chars().take_while(|c| *c == ' ').collect();
    let mut lines = Vec::new();
    let mut line = lead.clone();
    let mut line_has_word = false;
    for word in text[lead.len()..].split(' ').filter(|w| !w.is_empty()) {
        let gap = usize::from(line_has_word);
        if line_has_word && line.width() + gap + word.width() > width {
            lines.push(std::mem::replace(&mut line, indent.to_string()));
            line_has_word = false;
        }
        if line_has_word {
            line.push(' ');
        }
        for c in word.chars() {
            if line.width() + c.width().unwrap_or(0) > width {
                lines.push(std::mem::replace(&mut line, indent.to_string()));
            }
            line.push(c);
        }
        line_has_word = true;
    }
    if line_has_word {
        lines.push(line);
    }
    lines
}

/// The terminal's width when `is_tty`, else `COLUMNS` when set, else 80.
pub fn output_width(is_tty: bool) -> usize {
    if is_tty {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            if w > 0 {
                return usize::from(w);
            }
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .unwrap_or(80)
}

/// Writes the timeline: a header about the inputs, then one event a line.
pub fn write_timeline(
    out: &mut dyn Write,
    a: &Analysis,
    incidents: &[Incident],
    style: Style,
) -> io::Result<()> {
    let zone = style.zone;
    let lines: u64 = a.inputs.iter().map(|i| i.stats.lines).sum();
    let first = a.inputs.iter().filter_map(|i| i.stats.first).min();
    let last = a.inputs.iter().filter_map(|i| i.stats.last).max();
    let coverage = crate::analysis::coverage::coverage(a);
    let range = match (first, last, &coverage) {
        (Some(f), Some(l), _) => format!(
            "{} → {} {}",
            zone.date_time(f),
            zone.date_time(l),
            zone.label()
        ),
        (_, _, crate::analysis::coverage::Coverage::AllFiltered { .. }) => {
            "none within --since/--until".to_string()
        }
        _ => "no timestamps".to_string(),
    };
    let title = style.paint("1", "postmortem:");
    let header = format!(
        "postmortem: {} inputs, {} lines, {}",
        a.inputs.len(),
        group_thousands(lines),
        range
    );
    for (n, line) in wrap(&header, style.width, "  ").into_iter().enumerate() {
        match line.strip_prefix("postmortem:") {
            Some(rest) if n == 0 => writeln!(out, "{title}{rest}")?,
            _ => writeln!(out, "{line}")?,
        }
    }
    for p in preamble(incidents, zone, &coverage) {
        let indent = if p.starts_with("  ") { "    " } else { "  " };
        style.prose(out, &sanitize_for_terminal(&p), indent)?;
    }
    if a.shown.is_trimmed() {
        let bound =
            |t: Option<crate::time::Micros>| t.map_or("…".to_string(), |t| zone.date_time(t));
        let note = format!(
            "Showing {} → {} {} only (--show-since/--show-until): incidents and impact are those of all the data.",
            bound(a.shown.since),
            bound(a.shown.until),
            zone.label()
        );
        style.prose(out, &note, "  ")?;
    }
    writeln!(out)?;
    let events = crate::analysis::timeline_events(a, incidents);
    if events.is_empty() {
        writeln!(out, "No events found.")?;
        return Ok(());
    }
    let sources: Vec<String> = events
        .iter()
        .map(|e| sanitize_for_terminal(&source_ref(e)).into_owned())
        .collect();
    let counts: Vec<String> = events.iter().map(count_text).collect();
    let one_date = events
        .iter()
        .all(|e| zone.date(e.at) == zone.date(events[0].at));
    let named = format!("TIME ({})", zone.label());
    let time_header = if named.width() <= 19 {
        named
    } else {
        "TIME".to_string()
    };
    let layout = Layout::fit(
        style.width,
        Widest {
            time_header: time_header.width(),
            source: sources.iter().map(|s| s.width()).max().unwrap_or(0),
            count: counts.iter().map(|c| c.width()).max().unwrap_or(0),
        },
        one_date,
    );
    writeln!(
        out,
        "{}",
        style.paint(
            "1",
            &format!(
                "{}  {:<KIND_WIDTH$}  {:>cw$}  {}  EVENT",
                pad(&time_header, layout.time),
                "KIND",
                "COUNT",
                pad("SOURCE", layout.source),
                cw = layout.count
            )
        )
    )?;
    for ((e, src), count) in events.iter().zip(&sources).zip(&counts) {
        write_event(out, e, src, count, &layout, style)?;
    }
    Ok(())
}

/// The widest cells of the columns that adapt.
struct Widest {
    time_header: usize,
    source: usize,
    count: usize,
}

/// The widths of the timeline's columns.
struct Layout {
    time: usize,
    count: usize,
    source: usize,
    /// `None`: as long as it is.
    event: Option<usize>,
    /// TIME shows only the time of day.
    clock_only: bool,
}

impl Layout {
    /// Columns for `width` (none: no limit): SOURCE as wide as the widest
    /// (10 to 40) while EVENT keeps most of the room; on one date, the
    /// date leaves TIME when EVENT would be narrow.
    fn fit(width: Option<usize>, widest: Widest, one_date: bool) -> Layout {
        let count = widest.count.max("COUNT".len());
        let natural_source = widest.source.clamp(10, 40);
        let Some(width) = width else {
            return Layout {
                time: 19,
                count,
                source: natural_source,
                event: None,
                clock_only: false,
            };
        };
        let with_time = |time: usize, clock_only: bool| {
            let room = width.saturating_sub(time + KIND_WIDTH + count + GAPS);
            // SOURCE takes at most two fifths of what is left.
            let source = natural_source.min((room * 2 / 5).max(10));
            Layout {
                time,
                count,
                source,
                event: Some(room.saturating_sub(source).max(MIN_EVENT_WIDTH)),
                clock_only,
            }
        };
        let full = with_time(19, false);
        if one_date && full.event.is_some_and(|e| e < ROOMY_EVENT_WIDTH) {
            with_time(widest.time_header.max(8), true)
        } else {
            full
        }
    }
}

/// `×1,234` for a run of events, empty for one.
fn count_text(e: &Event) -> String {
    if e.count > 1 {
        format!("×{}", group_thousands(e.count))
    } else {
        String::new()
    }
}

/// Lines for the top of the text timeline: each incident's window and impact.
fn preamble(
    incidents: &[Incident],
    zone: DisplayZone,
    coverage: &crate::analysis::coverage::Coverage,
) -> Vec<String> {
    let mut out = Vec::new();
    if incidents.is_empty() {
        out.push(crate::analysis::coverage::quiet_verdict(coverage));
        return out;
    }
    for i in incidents {
        let mut line = format!(
            "Incident {} (rank {}, {}): {} → {} {} ({})",
            i.id,
            i.rank,
            i.kind.as_str(),
            zone.date_time(i.start),
            zone.date_time(i.end),
            zone.label(),
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
                        ", {}{} of {} clients affected ({p:.1}%)",
                        if i.impact.clients_estimated {
                            "≈"
                        } else {
                            ""
                        },
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
    src: &str,
    count: &str,
    layout: &Layout,
    style: Style,
) -> io::Result<()> {
    let zone = style.zone;
    let mut headline = sanitize_for_terminal(e.headline()).into_owned();
    if let Some(u) = e.until {
        let until = if zone.date(u) == zone.date(e.at) {
            zone.clock(u)
        } else {
            zone.date_time(u)
        };
        headline.push_str(&format!(" (until {until})"));
    }
    if let Some(w) = layout.event {
        headline = shorten_end(&headline, w);
    }
    let src = shorten_start(src, layout.source);
    let kind = format!("{:<KIND_WIDTH$}", e.kind.as_str());
    let at = if layout.clock_only {
        zone.clock(e.at)
    } else {
        zone.date_time(e.at)
    };
    writeln!(
        out,
        "{}  {}  {:>cw$}  {}  {}",
        pad(&at, layout.time),
        style.kind(e.kind, e.severity, &kind),
        count,
        pad(&src, layout.source),
        if e.kind == EventKind::Marker {
            style.paint("1", &headline)
        } else {
            headline
        },
        cw = layout.count
    )
}

/// Writes the table of inputs for `postmortem formats`.
pub fn write_formats(
    out: &mut dyn Write,
    a: &Analysis,
    show_skipped: bool,
    style: Style,
) -> io::Result<()> {
    let zone = style.zone;
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
    let header = format!(
        "{:<width$}  {:<fw$}  {:>10}  {:>7}  {:>8}  {:<24}  {:<24}",
        "PATH", "FORMAT", "LINES", "READ", "SKIPPED", "FIRST", "LAST"
    );
    writeln!(out, "{}", style.paint("1", &header))?;
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
                .map(|t| zone.rfc3339(t))
                .unwrap_or_else(|| "-".into()),
            i.stats
                .last
                .map(|t| zone.rfc3339(t))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_shortened_to_their_columns() {
        assert_eq!(shorten_end("abcdef", 6), "abcdef");
        assert_eq!(shorten_end("abcdefg", 6), "abcde…");
        assert_eq!(shorten_start("app/app-1.json.log:12", 10), "…on.log:12");
        // Wide characters count twice.
        assert_eq!(shorten_end("東京東京", 5), "東京…");
        assert!(shorten_end("東京東京", 5).width() <= 5);
    }

    #[test]
    fn prose_wraps_at_words_and_indents() {
        let lines = wrap("one two three four five", Some(12), "  ");
        assert_eq!(lines, ["one two", "  three four", "  five"]);
        assert!(lines.iter().all(|l| l.width() <= 12));
        assert_eq!(wrap("short", Some(80), "  "), ["short"]);
        assert_eq!(wrap("no limit at all", None, "  "), ["no limit at all"]);
        let long = wrap(&"x".repeat(30), Some(12), "  ");
        assert!(long.iter().all(|l| l.width() <= 12), "{long:?}");
    }

    #[test]
    fn the_layout_leaves_the_event_most_of_the_room() {
        let widest = |source| Widest {
            time_header: 10,
            source,
            count: 3,
        };
        let l = Layout::fit(Some(80), widest(30), false);
        assert_eq!(
            l.time + l.count + l.source + KIND_WIDTH + GAPS + l.event.unwrap(),
            80
        );
        assert!(l.event.unwrap() > l.source);
        // On one date, the date leaves TIME when the event would be narrow.
        let dated = Layout::fit(Some(80), widest(30), false);
        let l = Layout::fit(Some(80), widest(30), true);
        assert!(l.clock_only && l.event.unwrap() > dated.event.unwrap());
        assert!(!Layout::fit(Some(200), widest(30), true).clock_only);
        let l = Layout::fit(None, widest(30), true);
        assert_eq!((l.time, l.source, l.event), (19, 30, None));
    }
}
