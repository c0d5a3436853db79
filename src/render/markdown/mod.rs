//! The postmortem draft in Markdown, in the seeds' section order: header,
//! Issue Summary, Timeline, Impact, Detection and response, Root Cause and
//! Resolution, Corrective and Preventative Measures, an impact chart and
//! an Appendix (docs/report.md).
//!
//! Every number is measured by the analysis; this module only words and
//! lays out what it is handed. What only people know is a visible TODO.
//! Text that comes from the logs (messages, paths, backend and alert names)
//! only ever appears inside code spans, so a crafted log line cannot add
//! links, images, HTML or headings to the draft.
//!
//! - [`summary`]: Issue Summary, the other incidents, suspect headlines;
//! - [`timeline`]: the Timeline section;
//! - [`sections`]: Impact, Detection and response, Root Cause, Measures;
//! - [`chart`]: the text impact chart;
//! - [`appendix`]: method, data gaps, inputs with hashes, how to reproduce.

pub(crate) mod appendix;
pub(crate) mod chart;
pub(crate) mod sections;
pub(crate) mod summary;
pub(crate) mod timeline;

use std::fmt::Write as _;

use crate::analysis::detect;
use crate::analysis::suspects::{Evidence, SuspectKind};
use crate::analysis::{Analysis, Incident, IncidentKind, InputSummary};
use crate::display::{group_thousands, pct2};
use crate::display_zone::DisplayZone;
use crate::event::EventKind;
use crate::render::clock::Clock;
use crate::render::redact::Redactor;
use crate::render::sanitize_for_terminal;
use crate::time::{format_duration, Micros, SEC};
use crate::timeline::Event;
use crate::GENERATED_BY;

pub use chart::{chart, mermaid};

/// Timeline lines at most; the rest are counted.
pub(super) const MAX_TIMELINE: usize = 80;
/// How long before impact the timeline starts (at least).
pub(super) const TIMELINE_BEFORE_SECONDS: i64 = 15 * 60;
/// How long after impact the timeline and chart go on.
pub(super) const AFTER_SECONDS: i64 = 20 * 60;
/// Suspects listed in the draft at most (all are in the JSON).
pub(crate) const MAX_SUSPECTS: usize = 8;
/// Rows of the impact chart at most.
pub(super) const CHART_ROWS: i64 = 60;

/// Log text as an inline code span: control characters made visible, the
/// fence longer than any backtick run inside, padded when the text starts
/// or ends with a backtick or a space.
pub fn code(text: &str) -> String {
    let clean = sanitize_for_terminal(text);
    if clean.is_empty() {
        return "(empty)".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = clean.starts_with('`')
        || clean.ends_with('`')
        || clean.starts_with(' ')
        || clean.ends_with(' ');
    if pad {
        format!("{fence} {clean} {fence}")
    } else {
        format!("{fence}{clean}{fence}")
    }
}

/// A code span for a table cell: pipes escaped (GFM splits cells on them,
/// even inside code spans).
pub(super) fn code_cell(text: &str) -> String {
    code(&text.replace('|', "\\|"))
}

pub(super) fn ms(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 10.0 => format!("{} ms", group_thousands(x.round() as u64)),
        Some(x) => format!("{x:.1} ms"),
        None => "n/a".to_string(),
    }
}

/// An input's SHA-256 as the analysis computed it, or why there is none.
pub(super) fn input_hash(i: &InputSummary) -> String {
    match &i.sha256 {
        Some(Ok(hex)) => hex.clone(),
        Some(Err(why)) => why.clone(),
        None => "n/a (not computed)".to_string(),
    }
}

/// A severity suggestion from the impact, for people to confirm.
fn suggested_severity(i: &Incident) -> &'static str {
    let failed = i.impact.failed_pct.unwrap_or(0.0);
    let clients = i.impact.clients_affected_pct.unwrap_or(0.0);
    let long = i.duration_seconds() >= 30 * 60;
    let lost = i.impact.requests_lost > 0 && i.kind == IncidentKind::TrafficLoss;
    if (failed >= 50.0 || clients >= 50.0 || lost) && long {
        "SEV-1"
    } else if failed >= 5.0 || clients >= 10.0 || lost {
        "SEV-2"
    } else {
        "SEV-3"
    }
}

/// How a shared report (Markdown or HTML) is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReportOptions {
    /// Mask client addresses and user ids in text from the logs
    /// ([`crate::render::redact`]); on unless `--no-redact`.
    pub redact: bool,
    /// The zone times are shown in (`--display-tz`, `--local`; UTC by default).
    pub zone: DisplayZone,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            redact: true,
            zone: DisplayZone::default(),
        }
    }
}

/// How the report about `chosen` writes times: the header names the zone's
/// offset at the incident's start (else at the data's), and a time at
/// another offset anywhere in the data carries its own.
pub(crate) fn clock(a: &Analysis, chosen: Option<&Incident>, opts: &ReportOptions) -> Clock {
    let first = a.inputs.iter().filter_map(|i| i.stats.first).min();
    let last = a.inputs.iter().filter_map(|i| i.stats.last).max();
    let span = first.zip(last);
    let main_at = chosen.map(|i| i.start).or(first).unwrap_or(0);
    Clock::new(opts.zone, main_at, span)
}

/// The redactor of a report with these options.
pub(crate) fn redactor(
    a: &Analysis,
    incidents: &[Incident],
    command_line: &str,
    opts: &ReportOptions,
) -> Redactor {
    if opts.redact {
        Redactor::for_report(a, incidents, command_line)
    } else {
        Redactor::off()
    }
}

/// The incident a report is about: `selected`, else the top-ranked one.
pub(crate) fn chosen(incidents: &[Incident], selected: Option<usize>) -> Option<&Incident> {
    match selected {
        Some(id) => incidents.iter().find(|i| i.id == id),
        None => incidents.iter().min_by_key(|i| i.rank),
    }
}

/// The whole draft, client values masked.
pub fn report(
    a: &Analysis,
    incidents: &[Incident],
    selected: Option<usize>,
    command_line: &str,
) -> String {
    report_with(
        a,
        incidents,
        selected,
        command_line,
        &ReportOptions::default(),
    )
}

/// The whole draft with `opts`.
pub fn report_with(
    a: &Analysis,
    incidents: &[Incident],
    selected: Option<usize>,
    command_line: &str,
    opts: &ReportOptions,
) -> String {
    let mut md = String::new();
    let chosen = chosen(incidents, selected);
    let c = clock(a, chosen, opts);
    match chosen {
        Some(i) => incident_report(&mut md, a, incidents, i, command_line, &c),
        None => quiet_report(&mut md, a, incidents, selected, command_line, &c),
    }
    // Text from the logs is everywhere in the draft (messages, samples,
    // warnings): masking the whole keeps any place from being missed; our
    // own words hold no addresses, and the service's are kept.
    redactor(a, incidents, command_line, opts)
        .apply(&md)
        .into_owned()
}

pub(crate) fn header(md: &mut String, a: &Analysis, title: &str, c: &Clock) {
    let _ = writeln!(md, "# {title}\n");
    let _ = writeln!(
        md,
        "- **Status:** Draft (generated). Numbers are measured from the logs; *hints* are unverified; **TODO** marks what only people know."
    );
    let _ = writeln!(md, "- **Generated by:** {GENERATED_BY}");
    let _ = writeln!(md, "- **{}**", c.header());
    let files: Vec<String> = a
        .inputs
        .iter()
        .map(|i| {
            format!(
                "{} ({}, {} lines)",
                code(&i.path),
                i.format.unwrap_or("not read"),
                group_thousands(i.stats.lines)
            )
        })
        .collect();
    let _ = writeln!(
        md,
        "- **Inputs:** {} (SHA-256 in the Appendix)",
        if files.is_empty() {
            "none".to_string()
        } else {
            files.join(", ")
        }
    );
}

/// The title of an incident's draft.
pub(crate) fn incident_title(i: &Incident, c: &Clock) -> String {
    match i.kind {
        IncidentKind::CrashLoop => format!(
            "Postmortem: crash loop for {} on {}",
            format_duration(i.duration_seconds()),
            c.date(i.start)
        ),
        IncidentKind::ErrorsFromAppLogs => format!(
            "Postmortem: application errors for {} on {}",
            format_duration(i.duration_seconds()),
            c.date(i.start)
        ),
        IncidentKind::TrafficLoss => format!(
            "Postmortem: traffic lost for {} on {}",
            format_duration(i.duration_seconds()),
            c.date(i.start)
        ),
        IncidentKind::ErrorRatio | IncidentKind::Refusals | IncidentKind::Latency => format!(
            "Postmortem: {} of requests {} for {} on {}",
            pct2(i.bad().1),
            i.bad_verb(),
            format_duration(i.duration_seconds()),
            c.date(i.start)
        ),
    }
}

/// The header lines particular to an incident: which one, owner, severity.
pub(crate) fn incident_meta(md: &mut String, incidents: &[Incident], i: &Incident) {
    let _ = writeln!(
        md,
        "- **Incident:** {} of {} found in these logs (rank {} by impact){}",
        i.id,
        incidents.len(),
        i.rank,
        if incidents.len() > 1 {
            "; the others are listed below the summary"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "- **Owner:** TODO");
    let _ = writeln!(
        md,
        "- **Severity:** TODO (suggested from the impact: {})",
        suggested_severity(i)
    );
}

fn incident_report(
    md: &mut String,
    a: &Analysis,
    incidents: &[Incident],
    i: &Incident,
    command_line: &str,
    c: &Clock,
) {
    header(md, a, &incident_title(i, c), c);
    incident_meta(md, incidents, i);
    md.push('\n');

    summary::summary(md, a, i, c);
    if incidents.len() > 1 {
        summary::others(md, incidents, i, c);
    }
    timeline::timeline(md, a, i, c);
    sections::impact_table(md, i, c);
    sections::detection(md, i, c);
    sections::root_cause(md, i, c);
    sections::measures(md, i);
    let (from, to) = chart_span(i);
    impact_chart(md, a, Some(i), from, to, c);
    appendix::appendix(md, a, incidents, Some(i), command_line, c);
}

fn quiet_report(
    md: &mut String,
    a: &Analysis,
    incidents: &[Incident],
    selected: Option<usize>,
    command_line: &str,
    c: &Clock,
) {
    header(md, a, quiet_title(a), c);
    md.push('\n');
    quiet_summary(md, a, incidents, selected);
    if let Some((from, to)) = quiet_span(a) {
        impact_chart(md, a, None, from, to, c);
    }
    appendix::appendix(md, a, incidents, None, command_line, c);
}

/// The Impact chart section: the text chart, and the same steps as a
/// Mermaid chart for where Markdown is shown with Mermaid (GitHub).
fn impact_chart(
    md: &mut String,
    a: &Analysis,
    i: Option<&Incident>,
    from: Micros,
    to: Micros,
    c: &Clock,
) {
    let _ = writeln!(md, "## Impact chart\n");
    md.push_str(&chart(a, i, from, to, c));
    md.push('\n');
    let m = mermaid(a, i, from, to, c);
    if !m.is_empty() {
        let _ = writeln!(
            md,
            "The same, drawn where Mermaid charts are shown (GitHub):\n"
        );
        md.push_str(&m);
        md.push('\n');
    }
}

pub(crate) const QUIET_TITLE: &str = "Postmortem: no incident detected";

/// The title of a draft without incident: "no incident detected" only
/// when there was data to judge, never a silent all-clear.
pub(crate) fn quiet_title(a: &Analysis) -> &'static str {
    if crate::analysis::coverage::coverage(a).usable() {
        QUIET_TITLE
    } else {
        "Postmortem: no usable data in these logs"
    }
}

/// The whole data's span, for the chart of a draft without incident.
pub(crate) fn quiet_span(a: &Analysis) -> Option<(Micros, Micros)> {
    a.series
        .key_range()
        .map(|(k0, k1)| (a.series.bucket_start(k0), a.series.bucket_start(k1 + 1)))
}

/// The Issue Summary of a draft without incident.
pub(crate) fn quiet_summary(
    md: &mut String,
    a: &Analysis,
    incidents: &[Incident],
    selected: Option<usize>,
) {
    let coverage = crate::analysis::coverage::coverage(a);
    let _ = writeln!(md, "## Issue Summary\n");
    match selected {
        Some(id) if !incidents.is_empty() => {
            let ids: Vec<String> = incidents.iter().map(|i| i.id.to_string()).collect();
            let _ = writeln!(
                md,
                "There is no incident {id} in these logs (incidents: {}).\n",
                ids.join(", ")
            );
        }
        _ if crate::analysis::coverage::limitation(&coverage).is_some() => {
            let _ = writeln!(
                md,
                "{}\n",
                crate::analysis::coverage::quiet_verdict(&coverage)
            );
        }
        _ => {
            let _ = writeln!(
                md,
                "No incident was detected in these logs: the error ratio never rose above the entry threshold for {} buckets in a row, and traffic never fell far below its usual rate. See the Appendix for the thresholds; TODO: if users did see an outage, check that the right logs were given.\n",
                detect::ENTER_BUCKETS
            );
        }
    }
}

/// The span of an incident's chart: from [`chart_from`] to a little after
/// impact ends.
pub(crate) fn chart_span(i: &Incident) -> (Micros, Micros) {
    (chart_from(i), i.end + AFTER_SECONDS * SEC)
}

/// Where the timeline and chart start: a little before impact, earlier
/// when the top change suspect is earlier.
pub(crate) fn chart_from(i: &Incident) -> Micros {
    let mut from = i.start - TIMELINE_BEFORE_SECONDS * SEC;
    if let Some(s) = i
        .suspects
        .iter()
        .find(|s| matches!(s.kind, SuspectKind::Change | SuspectKind::Crash))
    {
        if let Evidence::Event(e) = &s.evidence {
            from = from.min(e.at - 60 * SEC);
        }
    }
    from
}

pub(super) fn kind_label(e: &Event) -> &'static str {
    match e.kind {
        EventKind::Error => "error",
        EventKind::Alert => "alert",
        EventKind::Change => "change",
        EventKind::Recovery => "recovery",
        EventKind::Info => "info",
        EventKind::Marker => "marker",
    }
}

pub(super) fn until_text(at: Micros, until: Option<Micros>, count: u64, c: &Clock) -> String {
    if count <= 1 {
        return String::new();
    }
    let until = until
        .map(|u| {
            if c.same_date(u, at) {
                format!(" until {}", c.clock(u))
            } else {
                format!(" until {}", c.date_time(u))
            }
        })
        .unwrap_or_default();
    format!(" (×{}{until})", group_thousands(count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::trim_float;

    #[test]
    fn code_spans_contain_anything() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a `tick`"), "`` a `tick` ``");
        assert_eq!(code("``x"), "``` ``x ```");
        assert_eq!(code(""), "(empty)");
        let evil = "</code><script>alert(1)</script>\n# heading ![img](http://x/y.png) [link](http://evil)";
        let c = code(evil);
        assert!(!c.contains('\n'));
        assert!(c.starts_with('`') && c.ends_with('`'));
        // The inner text is not interpreted: it stays inside one span.
        let inner = &c[1..c.len() - 1];
        assert!(!inner.contains('`'));
    }

    #[test]
    fn table_cells_escape_pipes() {
        assert_eq!(code_cell("a|b"), "`a\\|b`");
        // A backslash already before the pipe stays text: GFM only splits
        // cells on pipes with no backslash before them.
        assert_eq!(code_cell("a\\|b"), "`a\\\\|b`");
    }

    #[test]
    fn code_spans_defuse_bidi_overrides() {
        // U+202E would show `exe.png` as `gnp.exe` and reverse our own
        // words after the span.
        let c = code("invoice\u{202e}gnp.exe");
        assert_eq!(c, "`invoice\\u{202e}gnp.exe`");
    }

    #[test]
    fn floats_trim() {
        assert_eq!(trim_float(99.9), "99.9");
        assert_eq!(trim_float(99.95), "99.95");
        assert_eq!(trim_float(99.0), "99");
    }

    // ---- On synthetic logs ------------------------------------------------

    use crate::analysis::find_incidents;
    use crate::analysis::tests::{access_log, analyze_files, at};

    /// Whether byte `pos` of a line is inside a CommonMark code span.
    fn in_code_span(line: &str, pos: usize) -> bool {
        let b = line.as_bytes();
        let mut open: Option<usize> = None;
        let mut i = 0;
        while i < pos {
            if b[i] == b'`' {
                let mut n = 0;
                while i + n < b.len() && b[i + n] == b'`' {
                    n += 1;
                }
                match open {
                    None => open = Some(n),
                    Some(m) if m == n => open = None,
                    Some(_) => {}
                }
                i += n;
            } else {
                i += 1;
            }
        }
        open.is_some()
    }

    #[test]
    fn crafted_log_text_cannot_inject_markdown() {
        let evil =
            "# Owned ![x](http://evil/x.png) [click](http://evil) <script>alert(1)</script> `tick`";
        let mut app = String::new();
        for m in 0..200 {
            let sec = 8 * 3600 + m * 60;
            app.push_str(&format!(
                "{{\"time\": \"{}\", \"level\": \"info\", \"msg\": \"ok\"}}\n",
                crate::time::format_rfc3339(at(sec))
            ));
        }
        let log = access_log(8 * 3600, 11 * 3600, 5.0, 2, |s, _| {
            Some(if (9 * 3600..9 * 3600 + 1200).contains(&s) {
                0.5
            } else {
                0.001
            })
        });
        for k in 0..20 {
            app.push_str(&format!(
                "{{\"time\": \"{}\", \"level\": \"error\", \"msg\": \"{}\"}}\n",
                crate::time::format_rfc3339(at(9 * 3600 + 10 + k)),
                evil.replace('"', "\\\"")
            ));
        }
        let (_d, a) = analyze_files(&[("lb/access.log", log), ("app/app.json.log", app)]);
        let inc = find_incidents(&a);
        assert_eq!(inc.len(), 1);
        assert!(inc[0]
            .suspects
            .iter()
            .any(|s| s.kind == SuspectKind::NewError));
        let md = report(&a, &inc, None, "postmortem report logs/");
        for line in md.lines() {
            if let Some(pos) = line.find("![x]") {
                assert!(in_code_span(line, pos), "{line}");
            }
            assert!(!line.starts_with("# Owned"), "{line}");
        }
        assert!(md.contains("<script>") && !md.contains("\n<script>"));
    }

    #[test]
    fn app_errors_report_names_their_kind() {
        let mut app = String::new();
        for m in 0..240 {
            let sec = 8 * 3600 + m * 60;
            let errors = if (100..130).contains(&m) { 30 } else { m % 2 };
            for k in 0..errors {
                app.push_str(&format!(
                    "{{\"time\": \"{}\", \"level\": \"error\", \"msg\": \"db pool exhausted after 5000ms\"}}\n",
                    crate::time::format_rfc3339(at(sec + k))
                ));
            }
            app.push_str(&format!(
                "{{\"time\": \"{}\", \"level\": \"info\", \"msg\": \"ok\"}}\n",
                crate::time::format_rfc3339(at(sec + 59))
            ));
        }
        let (_d, a) = analyze_files(&[("app/app.json.log", app)]);
        let inc = find_incidents(&a);
        let v = crate::render::json::incidents_value(&inc);
        assert_eq!(v[0]["kind"], "errors_from_app_logs");
        let md = report(&a, &inc, None, "postmortem report logs/");
        assert!(md.contains("## Issue Summary"));
        assert!(md.contains("error-level messages"));
    }

    #[test]
    fn a_quiet_day_says_no_incident_and_strays_keep_the_draft_small() {
        let (_d, a) = crate::analysis::tests::quiet_day();
        let md = report(&a, &find_incidents(&a), None, "postmortem report logs/");
        assert!(md.contains("no incident detected"));
        let (_d, a) = crate::analysis::tests::stray_timestamps();
        let md = report(&a, &find_incidents(&a), None, "postmortem report logs/");
        assert!(md.len() < 200_000, "{}", md.len());
    }
}
