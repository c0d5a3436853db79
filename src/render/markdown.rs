//! The postmortem draft in Markdown, in the seeds' section order: header,
//! Issue Summary, Timeline, Impact, Detection and response, Root Cause and
//! Resolution, Corrective and Preventative Measures, an impact chart and
//! an Appendix (reference/postmortem.md).
//!
//! Every number is measured; what only people know is a visible TODO.
//! Text that comes from the logs (messages, paths, backend and alert names)
//! only ever appears inside code spans, so a crafted log line cannot add
//! links, images, HTML or headings to the draft.

use std::fmt::Write as _;
use std::io::Read;

use sha2::{Digest, Sha256};

use crate::event::EventKind;
use crate::incident::{pct, relative, Incident, IncidentKind};
use crate::input::Origin;
use crate::render::sanitize_for_terminal;
use crate::scan::FAILED_REQUESTS;
use crate::suspects::{Evidence, SuspectKind};
use crate::time::{format_clock, format_date, format_duration, Micros, SEC};
use crate::timeline::{group_thousands, Event};
use crate::{Analysis, GENERATED_BY};

/// Timeline lines at most; the rest are counted.
const MAX_TIMELINE: usize = 80;
/// How long before impact the timeline starts (at least).
const TIMELINE_BEFORE_SECONDS: i64 = 15 * 60;
/// How long after impact the timeline and chart go on.
const AFTER_SECONDS: i64 = 20 * 60;
/// Suspects listed in the draft at most (all are in the JSON).
const MAX_SUSPECTS: usize = 8;
/// Rows of the impact chart at most.
const CHART_ROWS: i64 = 60;

/// `2024-03-09 08:37:42`.
pub fn date_time(at: Micros) -> String {
    format!("{} {}", format_date(at), format_clock(at))
}

/// `08:37:42 UTC on 2024-03-09`.
fn when(at: Micros) -> String {
    format!("{} UTC on {}", format_clock(at), format_date(at))
}

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
fn code_cell(text: &str) -> String {
    code(&text.replace('|', "\\|"))
}

fn ms(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 10.0 => format!("{} ms", group_thousands(x.round() as u64)),
        Some(x) => format!("{x:.1} ms"),
        None => "n/a".to_string(),
    }
}

fn pct_value(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.2}%"))
        .unwrap_or_else(|| "n/a".to_string())
}

/// SHA-256 of a file as stored (compressed files are hashed compressed).
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let digest = hasher.finalize();
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    Ok(s)
}

fn input_hash(a: &Analysis, path: &str) -> String {
    let Some(r) = a.results.iter().find(|r| r.file.display == path) else {
        return "n/a".to_string();
    };
    match &r.file.origin {
        Origin::Stdin => "standard input (not hashed)".to_string(),
        Origin::Path(p) => sha256_file(p).unwrap_or_else(|e| format!("unreadable: {e}")),
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

/// Which request logs the impact was measured on.
fn request_sources(a: &Analysis) -> Vec<String> {
    a.results
        .iter()
        .filter(|r| crate::incident::counts_requests(a, r))
        .map(|r| r.file.display.clone())
        .collect()
}

/// The whole draft.
pub fn report(
    a: &Analysis,
    incidents: &[Incident],
    selected: Option<usize>,
    command_line: &str,
) -> String {
    let chosen = match selected {
        Some(id) => incidents.iter().find(|i| i.id == id),
        None => incidents.iter().min_by_key(|i| i.rank),
    };
    let mut md = String::new();
    match chosen {
        Some(i) => incident_report(&mut md, a, incidents, i, command_line),
        None => quiet_report(&mut md, a, incidents, selected, command_line),
    }
    md
}

fn header(md: &mut String, a: &Analysis, title: &str) {
    let _ = writeln!(md, "# {title}\n");
    let _ = writeln!(
        md,
        "- **Status:** Draft (generated). Numbers are measured from the logs; *hints* are unverified; **TODO** marks what only people know."
    );
    let _ = writeln!(md, "- **Generated by:** {GENERATED_BY}");
    let _ = writeln!(md, "- **All times UTC.**");
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

fn incident_report(
    md: &mut String,
    a: &Analysis,
    incidents: &[Incident],
    i: &Incident,
    command_line: &str,
) {
    let title = match i.kind {
        IncidentKind::ErrorsFromAppLogs => format!(
            "Postmortem: application errors for {} on {}",
            format_duration(i.duration_seconds()),
            format_date(i.start)
        ),
        IncidentKind::TrafficLoss => format!(
            "Postmortem: traffic lost for {} on {}",
            format_duration(i.duration_seconds()),
            format_date(i.start)
        ),
        IncidentKind::ErrorRatio => format!(
            "Postmortem: {} of requests failed for {} on {}",
            pct_value(i.impact.failed_pct),
            format_duration(i.duration_seconds()),
            format_date(i.start)
        ),
    };
    header(md, a, &title);
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
    md.push('\n');

    summary(md, a, i);
    if incidents.len() > 1 {
        others(md, incidents, i);
    }
    timeline(md, a, incidents, i);
    impact_table(md, i);
    detection(md, i);
    root_cause(md, i);
    measures(md, i);
    let from = chart_from(i);
    let _ = writeln!(md, "## Impact chart\n");
    md.push_str(&chart(a, Some(i), from, i.end + AFTER_SECONDS * SEC));
    md.push('\n');
    appendix(md, a, incidents, Some(i), command_line);
}

fn quiet_report(
    md: &mut String,
    a: &Analysis,
    incidents: &[Incident],
    selected: Option<usize>,
    command_line: &str,
) {
    header(md, a, "Postmortem: no incident detected");
    md.push('\n');
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
        _ => {
            let _ = writeln!(
                md,
                "No incident was detected in these logs: the error ratio never rose above the entry threshold for {} buckets in a row, and traffic never fell far below its usual rate. See the Appendix for the thresholds; TODO: if users did see an outage, check that the right logs were given.\n",
                crate::detect::ENTER_BUCKETS
            );
        }
    }
    let range = a.series.key_range();
    if let Some((k0, k1)) = range {
        let _ = writeln!(md, "## Impact chart\n");
        md.push_str(&chart(
            a,
            None,
            a.series.bucket_start(k0),
            a.series.bucket_start(k1 + 1),
        ));
        md.push('\n');
    }
    appendix(md, a, incidents, None, command_line);
}

fn summary(md: &mut String, a: &Analysis, i: &Incident) {
    let _ = writeln!(md, "## Issue Summary\n");
    let span = if format_date(i.start) == format_date(i.end) {
        format!(
            "From {} to {} UTC on {} ({}),",
            format_clock(i.start),
            format_clock(i.end),
            format_date(i.start),
            format_duration(i.duration_seconds())
        )
    } else {
        format!(
            "From {} UTC to {} UTC ({}),",
            date_time(i.start),
            date_time(i.end),
            format_duration(i.duration_seconds())
        )
    };
    let sources = request_sources(a);
    let through = match sources.len() {
        0 => String::new(),
        1 => format!(" logged in {}", code(&sources[0])),
        n => format!(" logged in {n} request logs"),
    };
    let mut sentence = match i.kind {
        IncidentKind::ErrorsFromAppLogs => format!(
            "{span} the applications logged {} error-level messages, well above their usual rate",
            group_thousands(i.impact.error_messages)
        ),
        IncidentKind::TrafficLoss => {
            let mut s = format!(
                "{span} traffic{through} fell far below its usual rate: about {} requests that would normally have arrived did not",
                group_thousands(i.impact.requests_lost)
            );
            if let Some(p) = i.impact.failed_pct {
                let _ = write!(s, ", and {p:.2}% of those that did failed");
            }
            s
        }
        IncidentKind::ErrorRatio => {
            let mut s = format!(
                "{span} {} of requests{through} failed",
                pct_value(i.impact.failed_pct)
            );
            if let Some(r) = i.peak.as_ref().and_then(|p| p.error_ratio) {
                let _ = write!(s, " (peak {})", pct(r));
            }
            if let Some(c) = i.impact.clients_affected_pct {
                let _ = write!(s, ", {c:.1}% of clients saw at least one error");
            }
            s
        }
    };
    match &i.detected {
        Some(d) => {
            let _ = write!(
                sentence,
                "; the first alert fired {}",
                relative(d.at, i.start)
            );
        }
        None => sentence.push_str("; no alert fired"),
    }
    sentence.push('.');
    let _ = writeln!(md, "{sentence}\n");

    let _ = writeln!(
        md,
        "- **Duration:** {}, from {} to {}{}.",
        format_duration(i.duration_seconds()),
        when(i.start),
        when(i.end),
        if i.open_ended {
            " (recovery not confirmed: the logs end soon after)"
        } else {
            ""
        }
    );
    let imp = &i.impact;
    let mut impact = Vec::new();
    if i.kind == IncidentKind::TrafficLoss && imp.requests_total == 0 {
        impact.push("no requests logged at all".to_string());
        impact.push(format!(
            "about {} requests lost against the usual rate",
            group_thousands(imp.requests_lost)
        ));
    } else if i.kind != IncidentKind::ErrorsFromAppLogs {
        impact.push(format!(
            "{} of {} requests failed ({}; baseline {})",
            group_thousands(imp.requests_failed),
            group_thousands(imp.requests_total),
            pct_value(imp.failed_pct),
            pct_value(imp.baseline_failed_pct)
        ));
        if let (Some(x), Some(t), Some(p)) = (
            imp.clients_affected,
            imp.clients_total,
            imp.clients_affected_pct,
        ) {
            impact.push(format!(
                "{} of {} clients ({p:.2}%) saw at least one failed request",
                group_thousands(x),
                group_thousands(t)
            ));
        }
        if imp.requests_lost > 0 {
            impact.push(format!(
                "about {} requests lost (traffic below its usual rate)",
                group_thousands(imp.requests_lost)
            ));
        }
        if imp.latency.p99_during.is_some() {
            impact.push(format!(
                "p99 latency {} before, {} during",
                ms(imp.latency.p99_before),
                ms(imp.latency.p99_during)
            ));
        }
    } else {
        impact.push(format!(
            "{} error-level messages",
            group_thousands(imp.error_messages)
        ));
    }
    let _ = writeln!(md, "- **Impact:** {}.", impact.join("; "));
    let _ = writeln!(
        md,
        "- **What was failing:** TODO (service and user-facing symptom; measured on {}).",
        if request_sources(a).is_empty() {
            "the application logs".to_string()
        } else {
            request_sources(a)
                .iter()
                .map(|s| code(s))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    match i.suspects.first() {
        Some(s) => {
            let _ = writeln!(
                md,
                "- **Root cause (hint, unverified):** {}. TODO: confirm.",
                suspect_headline(s)
            );
        }
        None => {
            let _ = writeln!(
                md,
                "- **Root cause:** TODO (no change, crash or backend anomaly found in the logs)."
            );
        }
    }
    if let Some(f) = &i.likely_fix {
        let _ = writeln!(
            md,
            "- **Resolution (hint):** {} at {} ({}:{}).",
            code(f.title.as_deref().unwrap_or(&f.message)),
            when(f.at),
            code(&f.source),
            f.line
        );
    }
    md.push('\n');
}

fn others(md: &mut String, incidents: &[Incident], chosen: &Incident) {
    let _ = writeln!(md, "### Other incidents in these logs\n");
    let _ = writeln!(
        md,
        "| Id | Rank | Kind | Start (UTC) | End (UTC) | Duration | Failed | Lost |"
    );
    let _ = writeln!(md, "|---:|---:|---|---|---|---|---:|---:|");
    let mut sorted: Vec<&Incident> = incidents.iter().filter(|i| i.id != chosen.id).collect();
    sorted.sort_by_key(|i| i.rank);
    for i in sorted {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} ({}) | {} |",
            i.id,
            i.rank,
            i.kind.as_str(),
            date_time(i.start),
            date_time(i.end),
            format_duration(i.duration_seconds()),
            group_thousands(i.impact.requests_failed),
            pct_value(i.impact.failed_pct),
            group_thousands(i.impact.requests_lost)
        );
    }
    let _ = writeln!(
        md,
        "\nDraft another with `postmortem report --incident ID ...`.\n"
    );
}

/// Where the timeline and chart start: a little before impact, earlier
/// when the top change suspect is earlier.
fn chart_from(i: &Incident) -> Micros {
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

fn kind_label(e: &Event) -> &'static str {
    match e.kind {
        EventKind::Error => "error",
        EventKind::Alert => "alert",
        EventKind::Change => "change",
        EventKind::Recovery => "recovery",
        EventKind::Info => "info",
        EventKind::Marker => "marker",
    }
}

/// A marker as Markdown: our own words, with log-derived names in code spans.
fn marker_line(e: &Event, i: &Incident) -> String {
    let name = e.pattern.trim_start_matches("marker.");
    let label = match name {
        "impact_begins" => "IMPACT BEGINS",
        "detected" => "DETECTED",
        "peak" => "PEAK",
        "mitigated" => "MITIGATED",
        "impact_ends" => "IMPACT ENDS",
        _ => "MARKER",
    };
    // The message after the label is ours except for an alert name.
    let rest = match (name, &i.detected) {
        ("detected", Some(d)) => format!(
            "alert {} fired, {}",
            code(&d.alert),
            relative(d.at, i.start)
        ),
        _ => e
            .message
            .split_once(" — ")
            .map(|(_, r)| r.to_string())
            .unwrap_or_default(),
    };
    format!("**{label}** — {rest}")
}

/// Failed requests per backend within `[start, end]`, from the per-second
/// aggregates (the collapsed runs of the timeline may begin long before
/// the incident, joined by baseline failures).
struct BackendFailures {
    backend: String,
    source: String,
    count: u64,
    first: Micros,
    line: u64,
    last: Micros,
    statuses: Vec<(u16, u64)>,
}

fn failures_by_backend(a: &Analysis, start: Micros, end: Micros) -> Vec<BackendFailures> {
    // One line per backend, across rotated files.
    let mut by: std::collections::BTreeMap<String, BackendFailures> =
        std::collections::BTreeMap::new();
    let (s0, s1) = (start.div_euclid(SEC), end.div_euclid(SEC));
    for r in a
        .results
        .iter()
        .filter(|r| crate::incident::counts_requests(a, r))
    {
        for (key, seconds) in &r.partial.runs {
            if key.pattern != FAILED_REQUESTS {
                continue;
            }
            for (_, agg) in seconds.range(s0..=s1.max(s0)) {
                let b = by
                    .entry(key.key.clone())
                    .or_insert_with(|| BackendFailures {
                        backend: key.key.clone(),
                        source: r.file.display.clone(),
                        count: 0,
                        first: agg.first,
                        line: agg.line,
                        last: agg.last,
                        statuses: Vec::new(),
                    });
                b.count += agg.count;
                if (agg.first, &r.file.display, agg.line) < (b.first, &b.source, b.line) {
                    b.first = agg.first;
                    b.line = agg.line;
                    b.source = r.file.display.clone();
                }
                b.last = b.last.max(agg.last);
                for &(st, n) in &agg.statuses {
                    match b.statuses.iter_mut().find(|(x, _)| *x == st) {
                        Some((_, c)) => *c += n,
                        None => b.statuses.push((st, n)),
                    }
                }
            }
        }
    }
    let mut out: Vec<BackendFailures> = by.into_values().collect();
    for b in &mut out {
        b.statuses.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    }
    out.sort_by(|x, y| (x.first, &x.source, x.line).cmp(&(y.first, &y.source, y.line)));
    out
}

/// One timeline line before rendering.
struct Line {
    at: Micros,
    /// Markers first at the same moment, in their natural order.
    order: u8,
    source: String,
    line: u64,
    text: String,
}

fn marker_order(pattern: &str) -> u8 {
    match pattern {
        "marker.impact_begins" => 0,
        "marker.detected" => 1,
        "marker.peak" => 2,
        "marker.mitigated" => 3,
        _ => 4,
    }
}

fn until_text(at: Micros, until: Option<Micros>, count: u64) -> String {
    if count <= 1 {
        return String::new();
    }
    let until = until
        .map(|u| {
            if format_date(u) == format_date(at) {
                format!(" until {}", format_clock(u))
            } else {
                format!(" until {}", date_time(u))
            }
        })
        .unwrap_or_default();
    format!(" (×{}{until})", group_thousands(count))
}

fn timeline(md: &mut String, a: &Analysis, incidents: &[Incident], i: &Incident) {
    let _ = writeln!(md, "## Timeline\n");
    let from = chart_from(i);
    let to = i.end + AFTER_SECONDS * SEC;
    let mut lines: Vec<Line> = Vec::new();
    for m in crate::incident::marker_events(incidents)
        .into_iter()
        .filter(|m| m.fields.get("incident") == Some(&i.id.to_string()))
    {
        lines.push(Line {
            at: m.at,
            order: marker_order(&m.pattern),
            source: String::new(),
            line: 0,
            text: marker_line(&m, i),
        });
    }
    let mut new_errors: Vec<(String, u64)> = Vec::new();
    for s in &i.suspects {
        if let Evidence::NewError { first, count, .. } = &s.evidence {
            new_errors.push((first.source.clone(), first.line));
            lines.push(Line {
                at: first.at,
                order: 5,
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
    let failed_in = i.impact.requests_failed.max(1);
    for b in failures_by_backend(a, i.start, i.end) {
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
            order: 5,
            source: b.source.clone(),
            line: b.line,
            text: format!(
                "error: {} failed requests via {backend} ({}) until {} — {}:{}",
                group_thousands(b.count),
                statuses.join(", "),
                if format_date(b.last) == format_date(b.first) {
                    format_clock(b.last)
                } else {
                    date_time(b.last)
                },
                code(&b.source),
                b.line
            ),
        });
    }
    let near = |e: &Event| e.at >= i.start - 300 * SEC && e.at <= i.end;
    let mut picked: Vec<&Event> = a
        .events
        .iter()
        .filter(|e| e.at >= from && e.at <= to && e.pattern != FAILED_REQUESTS)
        .filter(|e| {
            !new_errors
                .iter()
                .any(|(s, l)| *s == e.source && *l == e.line)
        })
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
        let drop: std::collections::HashSet<usize> =
            errors.iter().take(dropped).map(|(k, _)| *k).collect();
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
            order: 5,
            source: e.source.clone(),
            line: e.line,
            text: format!(
                "{}: {}{} — {}:{}",
                kind_label(e),
                code(e.headline()),
                until_text(e.at, e.until, e.count),
                code(&e.source),
                e.line
            ),
        });
    }
    lines.sort_by(|x, y| {
        (x.at, x.order, &x.source, x.line).cmp(&(y.at, y.order, &y.source, y.line))
    });
    let mut day = String::new();
    for l in &lines {
        let d = format_date(l.at);
        if d != day {
            let _ = writeln!(md, "{}**{d}**\n", if day.is_empty() { "" } else { "\n" });
            day = d;
        }
        let _ = writeln!(md, "- {} — {}", format_clock(l.at), l.text);
    }
    if dropped > 0 {
        let _ = writeln!(
            md,
            "- … {dropped} smaller error runs left out (`postmortem timeline` shows all)"
        );
    }
    let _ = writeln!(
        md,
        "- TODO — escalation: who was paged or called in, when, and who joined."
    );
    let _ = writeln!(
        md,
        "- TODO — misleading paths: what was investigated or changed that did not help."
    );
    let _ = writeln!(
        md,
        "- TODO — when and how the cause was found, and who applied the fix.\n"
    );
}

fn impact_table(md: &mut String, i: &Incident) {
    let imp = &i.impact;
    let _ = writeln!(md, "## Impact\n");
    let _ = writeln!(md, "| Measure | Value |");
    let _ = writeln!(md, "|---|---|");
    let _ = writeln!(
        md,
        "| Window | {} → {} UTC ({}) |",
        date_time(i.start),
        date_time(i.end),
        format_duration(i.duration_seconds())
    );
    if i.kind != IncidentKind::ErrorsFromAppLogs {
        let _ = writeln!(
            md,
            "| Requests | {}{} |",
            group_thousands(imp.requests_total),
            if imp.exact_counts {
                ""
            } else {
                " (estimated from buckets)"
            }
        );
        let _ = writeln!(
            md,
            "| Failed requests | {} ({}) |",
            group_thousands(imp.requests_failed),
            pct_value(imp.failed_pct)
        );
        let _ = writeln!(
            md,
            "| Usual failure rate (baseline) | {} |",
            pct_value(imp.baseline_failed_pct)
        );
        let clients = match (imp.clients_affected, imp.clients_total) {
            (Some(x), Some(t)) => format!(
                "{} of {} ({})",
                group_thousands(x),
                group_thousands(t),
                pct_value(imp.clients_affected_pct)
            ),
            _ => "n/a".to_string(),
        };
        let _ = writeln!(md, "| Clients with a failed request | {clients} |");
        let _ = writeln!(
            md,
            "| Requests lost (traffic below its usual rate) | {} |",
            group_thousands(imp.requests_lost)
        );
        let _ = writeln!(
            md,
            "| Latency p50, before → during | {} → {} |",
            ms(imp.latency.p50_before),
            ms(imp.latency.p50_during)
        );
        let _ = writeln!(
            md,
            "| Latency p99, before → during | {} → {} |",
            ms(imp.latency.p99_before),
            ms(imp.latency.p99_during)
        );
        let _ = writeln!(
            md,
            "| Error budget used (SLO {}%, {} days at the usual rate) | {} |",
            trim_float(i.method.slo * 100.0),
            crate::impact::SLO_PERIOD_DAYS,
            pct_value(imp.error_budget_used_pct)
        );
        let _ = writeln!(
            md,
            "| Burn rate (error ratio ÷ error budget ratio) | {} |",
            imp.burn_rate
                .map(|b| format!("{b:.1}×"))
                .unwrap_or_else(|| "n/a".into())
        );
        if let Some(p) = &i.peak {
            let what = match p.error_ratio {
                Some(r) if i.kind != IncidentKind::TrafficLoss => format!("error ratio {}", pct(r)),
                _ => format!("{} requests", group_thousands(p.requests)),
            };
            let _ = writeln!(
                md,
                "| Peak ({} bucket) | {what} at {} |",
                format_duration(p.bucket_seconds),
                format_clock(p.at)
            );
        }
    }
    let _ = writeln!(
        md,
        "| Error-level application messages | {} |",
        group_thousands(imp.error_messages)
    );
    let _ = writeln!(md, "| Revenue or user-facing cost | TODO |\n");
}

fn trim_float(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn detection(md: &mut String, i: &Incident) {
    let _ = writeln!(md, "## Detection and response\n");
    let _ = writeln!(md, "| Metric | Value |");
    let _ = writeln!(md, "|---|---|");
    let ttd = match (&i.detected, i.metrics.time_to_detect_seconds) {
        (Some(d), Some(t)) if t < 0 => format!(
            "−{} (alert {} at {}, before the first failed request)",
            format_duration(-t),
            code_cell(&d.alert),
            format_clock(d.at)
        ),
        (Some(d), Some(t)) => format!(
            "{} (alert {} at {})",
            format_duration(t),
            code_cell(&d.alert),
            format_clock(d.at)
        ),
        _ => "no alert in the logs (TODO: how was it noticed?)".to_string(),
    };
    let _ = writeln!(
        md,
        "| Time to detect (first alert − impact start) | {ttd} |"
    );
    let ttm = match (i.mitigated, i.metrics.time_to_mitigate_seconds) {
        (Some(m), Some(t)) => format!("{} ({})", format_duration(t), format_clock(m)),
        _ => "n/a".to_string(),
    };
    let _ = writeln!(
        md,
        "| Time to mitigate (errors below the entry threshold for good) | {ttm} |"
    );
    let _ = writeln!(
        md,
        "| Time to recover (impact end − impact start) | {} ({}) |\n",
        format_duration(i.metrics.time_to_recover_seconds),
        format_clock(i.end)
    );
    if let Some(t) = i.metrics.time_to_detect_seconds.filter(|t| *t < 0) {
        let _ = writeln!(
            md,
            "- The first alert fired {} before the first failed request, as logged (clocks, or an alert on another signal); not adjusted.",
            format_duration(-t)
        );
    }
    let _ = writeln!(
        md,
        "- TODO: who responded, how they were reached, and what slowed the response.\n"
    );
}

/// A suspect in one line of Markdown, log-derived parts in code spans.
fn suspect_headline(s: &crate::suspects::Suspect) -> String {
    match &s.evidence {
        Evidence::Event(e) => {
            let what = match s.kind {
                SuspectKind::Crash => "process crash or exit",
                _ => "change",
            };
            let rest = s
                .why
                .strip_prefix("process crash or exit")
                .or_else(|| s.why.strip_prefix("change"))
                .unwrap_or(&s.why)
                .trim_start();
            format!(
                "{what} {} {} ({}:{}, {})",
                code(e.title.as_deref().unwrap_or(&e.message)),
                rest.split(';').next().unwrap_or("").trim(),
                code(&e.source),
                e.line,
                format_clock(e.at)
            )
        }
        Evidence::Imbalance {
            backend,
            share_before,
            share_during,
            requests_during,
            failed_during,
            ..
        } => format!(
            "backend {} took {} of requests during the incident ({} before); {} of its {} requests failed",
            code(backend),
            pct(*share_during),
            pct(*share_before),
            pct(if *requests_during > 0 {
                *failed_during as f64 / *requests_during as f64
            } else {
                0.0
            }),
            group_thousands(*requests_during)
        ),
        Evidence::Failing {
            backend,
            failed_pct,
            requests,
            share_of_failures,
            new_in_pool,
            ..
        } => format!(
            "backend {} failed {failed_pct:.1}% of its {} requests ({} of all failed requests){}",
            code(backend),
            group_thousands(*requests),
            pct(*share_of_failures),
            if *new_in_pool {
                "; it served no traffic before impact began (new in the pool?)"
            } else {
                ""
            }
        ),
        Evidence::NewError {
            template,
            count,
            first,
        } => format!(
            "new error {} first at {} ({}:{}), {} times",
            code(template),
            format_clock(first.at),
            code(&first.source),
            first.line,
            group_thousands(*count)
        ),
    }
}

fn root_cause(md: &mut String, i: &Incident) {
    let _ = writeln!(md, "## Root Cause and Resolution\n");
    if i.suspects.is_empty() {
        let _ = writeln!(
            md,
            "No suspect found in the logs: no change in the {} before impact, no crash, no backend anomaly, no new error.\n",
            format_duration(crate::suspects::CHANGE_LOOKBACK_SECONDS)
        );
    } else {
        let _ = writeln!(
            md,
            "Suspects, most likely first (*hints from the logs, unverified*):\n"
        );
        for s in i.suspects.iter().take(MAX_SUSPECTS) {
            let label = match s.kind {
                SuspectKind::Change => "Change",
                SuspectKind::Crash => "Crash",
                SuspectKind::BackendImbalance => "Backend imbalance",
                SuspectKind::BackendFailing => "Backend failing",
                SuspectKind::NewError => "New error",
            };
            let _ = writeln!(md, "{}. **{label}** — {}", s.rank, suspect_headline(s));
            match &s.evidence {
                Evidence::Event(e) if e.title.is_some() => {
                    let _ = writeln!(md, "   - log line: {}", code(&e.message));
                }
                Evidence::NewError { first, .. } => {
                    let _ = writeln!(md, "   - first line: {}", code(&first.message));
                }
                _ => {}
            }
        }
        if i.suspects.len() > MAX_SUSPECTS {
            let _ = writeln!(
                md,
                "\n{} more suspects in `postmortem timeline --format json` (`.incidents[].suspects`).",
                i.suspects.len() - MAX_SUSPECTS
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "**Resolution.**");
    match &i.likely_fix {
        Some(f) => {
            let _ = writeln!(
                md,
                "The likely fix (hint): {} at {} ({}:{}), {}.",
                code(f.title.as_deref().unwrap_or(&f.message)),
                format_clock(f.at),
                code(&f.source),
                f.line,
                relative(f.at, i.start)
            );
        }
        None => {
            let _ = writeln!(
                md,
                "No rollback or change near the end was found in the logs."
            );
        }
    }
    match (i.kind, i.mitigated) {
        (IncidentKind::TrafficLoss, _) => {
            let _ = writeln!(
                md,
                "Traffic was back to its usual rate at {}.",
                format_clock(i.end)
            );
        }
        (_, Some(m)) => {
            let _ = writeln!(
                md,
                "Errors stayed below the entry threshold from {} and impact ended at {}.",
                format_clock(m),
                format_clock(i.end)
            );
        }
        _ => {}
    }
    let _ = writeln!(
        md,
        "\nTODO: the narrative — what the trigger was, why it caused failures, why it was not caught earlier, and how it was fixed.\n"
    );
}

fn measures(md: &mut String, i: &Incident) {
    let _ = writeln!(md, "## Corrective and Preventative Measures\n");
    let _ = writeln!(
        md,
        "Suggested from what the logs show (*hints*; owners TODO):\n"
    );
    let mut items: Vec<String> = Vec::new();
    let has = |k: SuspectKind| i.suspects.iter().any(|s| s.kind == k);
    for s in &i.suspects {
        if let Evidence::Failing {
            backend,
            new_in_pool,
            ..
        } = &s.evidence
        {
            items.push(format!(
                "Add active health checks to the load balancer so that a backend that fails every request (here {}) is taken out of the pool.",
                code(backend)
            ));
            if *new_in_pool {
                items.push(
                    "Only add servers to the pool once they pass health checks (gate pool changes on the checks)."
                        .to_string(),
                );
            }
        }
    }
    let weight_change = i.suspects.iter().any(|s| match &s.evidence {
        Evidence::Event(e) if s.kind == SuspectKind::Change => {
            let m = e.message.to_ascii_lowercase();
            m.contains("weight")
                || m.contains("upstream")
                || m.contains("pool")
                || m.contains("backend")
        }
        _ => false,
    });
    if has(SuspectKind::BackendImbalance) || weight_change {
        items.push(
            "Validate load-balancer configuration changes (weights, pool members) before applying them, and roll them out as a canary with automatic rollback on a rise in the error ratio."
                .to_string(),
        );
    }
    if has(SuspectKind::BackendImbalance) {
        items.push(
            "Alert on a backend's share of traffic or its saturation, so an overloaded backend is seen before it fails."
                .to_string(),
        );
    }
    if has(SuspectKind::Change) && !weight_change {
        items.push(
            "Roll out changes like the suspected one progressively (canary), watching the error ratio, with a tested rollback."
                .to_string(),
        );
    }
    if has(SuspectKind::Crash) {
        items.push(
            "Set memory limits with headroom and alert on OOM kills and process restarts."
                .to_string(),
        );
    }
    match i.metrics.time_to_detect_seconds {
        None => items.push(
            "No alert fired: alert on the load balancer's error ratio (multi-window burn rate: page at burn rate ≥ 14.4 over 5 min and 1 h)."
                .to_string(),
        ),
        Some(t) if t > 300 => items.push(format!(
            "Detection took {}: alert on the error ratio with a shorter window (multi-window burn rate, 5 min short window).",
            format_duration(t)
        )),
        _ => {}
    }
    if i.kind == IncidentKind::TrafficLoss
        || i.parts.iter().any(|p| p.kind == IncidentKind::TrafficLoss)
    {
        items.push(
            "Alert when traffic falls far below its usual rate, and probe the front servers from outside: a server that is down logs nothing."
                .to_string(),
        );
    }
    if i.metrics.time_to_mitigate_seconds.is_some_and(|t| t > 1800) {
        items.push(
            "Mitigation took over 30 minutes: document and rehearse the rollback in the runbook."
                .to_string(),
        );
    }
    if has(SuspectKind::NewError) {
        items.push(
            "Give the new error messages listed above a runbook entry or an alert.".to_string(),
        );
    }
    for it in items {
        let _ = writeln!(md, "- [ ] {it} Owner: TODO.");
    }
    let _ = writeln!(
        md,
        "- [ ] TODO: items from the review (process, training, documentation), each with an owner and a due date.\n"
    );
}

/// A text chart of traffic and error ratio, one row per time step, the
/// incident window marked with `┃`.
pub fn chart(a: &Analysis, i: Option<&Incident>, from: Micros, to: Micros) -> String {
    let series = &a.series;
    let (Some((lo, hi)), true) = (series.key_range(), to > from) else {
        return "```\n(no data)\n```\n".to_string();
    };
    let k0 = series.key(from).max(lo);
    let k1 = series.key(to).min(hi);
    if k1 < k0 {
        return "```\n(no data)\n```\n".to_string();
    }
    let n = k1 - k0 + 1;
    let group = (n + CHART_ROWS - 1) / CHART_ROWS;
    let step = series.bucket_seconds * group;
    struct Row {
        start: Micros,
        requests: u64,
        failed: u64,
        errors: u64,
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut k = k0.div_euclid(group) * group;
    while k <= k1 {
        let mut r = Row {
            start: series.bucket_start(k),
            requests: 0,
            failed: 0,
            errors: 0,
        };
        for (_, b) in series.present(k, k + group - 1) {
            r.requests += b.requests;
            r.failed += b.failed;
            r.errors += b.error_messages;
        }
        rows.push(r);
        k += group;
    }
    let requests_mode = rows.iter().any(|r| r.requests > 0);
    let max_req = rows.iter().map(|r| r.requests).max().unwrap_or(0).max(1);
    let max_err = rows.iter().map(|r| r.errors).max().unwrap_or(0).max(1);
    let max_ratio = rows
        .iter()
        .filter(|r| r.requests > 0)
        .map(|r| r.failed as f64 / r.requests as f64)
        .fold(0.0f64, f64::max);
    let ratio_scale = if max_ratio > 0.0 { max_ratio } else { 1.0 };
    let bar = |v: f64, width: usize| {
        let filled = (v * width as f64).round() as usize;
        if filled == 0 && v > 0.0 {
            "▏".to_string()
        } else {
            "█".repeat(filled.min(width))
        }
    };
    let multi_day = format_date(series.bucket_start(k0)) != format_date(series.bucket_start(k1));
    let mut out = String::from("```\n");
    let per = format_duration(step);
    let head = if requests_mode {
        format!(
            "{:<11}  {:<20} {:>9}   error ratio (█ = {})",
            "UTC",
            format!("requests per {per}"),
            "",
            pct(ratio_scale / 24.0),
        )
    } else {
        format!("{:<11}  errors per {per}", "UTC")
    };
    out.push_str(head.trim_end());
    out.push('\n');
    for r in &rows {
        let end = r.start + step * SEC;
        let label = if multi_day {
            format!(
                "{} {}",
                &format_date(r.start)[5..],
                &format_clock(r.start)[..5]
            )
        } else {
            format_clock(r.start)[..5].to_string()
        };
        let inside = i.is_some_and(|i| r.start <= i.end && end > i.start);
        let mark = if inside { '┃' } else { ' ' };
        let mut line = if requests_mode {
            let ratio = (r.requests > 0).then(|| r.failed as f64 / r.requests as f64);
            format!(
                "{label:<11}{mark} {:<20} {:>9}   {:<24} {:>7}",
                bar(r.requests as f64 / max_req as f64, 20),
                group_thousands(r.requests),
                ratio.map(|x| bar(x / ratio_scale, 24)).unwrap_or_default(),
                ratio.map(pct).unwrap_or_else(|| "-".into())
            )
        } else {
            format!(
                "{label:<11}{mark} {:<20} {:>9}",
                bar(r.errors as f64 / max_err as f64, 20),
                group_thousands(r.errors)
            )
        };
        if let Some(i) = i {
            let mut notes = Vec::new();
            let within = |t: Micros| t >= r.start && t < end;
            if within(i.start) {
                notes.push(format!("impact begins {}", format_clock(i.start)));
            }
            if let Some(d) = &i.detected {
                if within(d.at) {
                    notes.push(format!("detected {}", format_clock(d.at)));
                }
            }
            if let Some(p) = &i.peak {
                if within(p.at) {
                    notes.push("peak".to_string());
                }
            }
            if let Some(m) = i.mitigated {
                if within(m) && m != i.end {
                    notes.push(format!("mitigated {}", format_clock(m)));
                }
            }
            if within(i.end) {
                notes.push(format!("impact ends {}", format_clock(i.end)));
            }
            if !notes.is_empty() {
                let _ = write!(line, "  ◀ {}", notes.join(", "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str("```\n");
    out
}

fn appendix(
    md: &mut String,
    a: &Analysis,
    incidents: &[Incident],
    i: Option<&Incident>,
    command_line: &str,
) {
    let _ = writeln!(md, "## Appendix\n");
    let _ = writeln!(md, "### Method\n");
    let method = i
        .map(|i| i.method.clone())
        .or_else(|| incidents.first().map(|i| i.method.clone()));
    let _ = writeln!(
        md,
        "- Requests are bucketed by {}; a request failed when the load balancer answered 5xx (including ones it generated) or could not answer at all.",
        format_duration(a.series.bucket_seconds)
    );
    match &method {
        Some(m) if m.mode == IncidentKind::ErrorsFromAppLogs => {
            if let Some(e) = &m.error_baseline {
                let _ = writeln!(
                    md,
                    "- No request logs: buckets of {} with more than {:.1} error-level messages (usual {:.1}) for {} buckets open an incident; {} buckets at or below {:.1} close it. Alert intervals count too.",
                    format_duration(m.bucket_seconds),
                    e.enter(),
                    e.median,
                    crate::detect::ENTER_BUCKETS,
                    crate::detect::EXIT_BUCKETS,
                    e.exit()
                );
            }
        }
        Some(m) => {
            if let Some(b) = &m.baseline {
                let (enter, exit) = b.typical_thresholds();
                let _ = writeln!(
                    md,
                    "- Baseline: median error ratio {} (MAD {}) over {} bucket(s) of {} outside incidents; pooled {}; usual traffic {} requests per bucket.",
                    pct(b.median),
                    pct(b.mad),
                    b.buckets,
                    format_duration(m.bucket_seconds),
                    pct(b.pooled),
                    group_thousands(b.rate.round() as u64)
                );
                let _ = writeln!(
                    md,
                    "- Enter: error ratio above max(median + {}σ̂, {} × (1 − SLO)) for {} buckets in a row ({} at the usual traffic); leave after {} buckets below max(median + {}σ̂, 1 − SLO) ({}). σ̂ = max(1.4826 × MAD, √(p(1−p)/n), {}) with p the largest of the median, the pooled ratio and 1 − SLO (failures too sparse for the median to see still make noise); trailing buckets within that noise after the last one above the entry threshold are not part of the incident. Buckets with fewer than {} requests cannot open an incident alone.",
                    crate::detect::ENTER_SIGMAS,
                    crate::detect::ENTER_BURN,
                    crate::detect::ENTER_BUCKETS,
                    pct(enter),
                    crate::detect::EXIT_BUCKETS,
                    crate::detect::EXIT_SIGMAS,
                    pct(exit),
                    crate::detect::SIGMA_FLOOR,
                    crate::detect::MIN_BUCKET_REQUESTS
                );
            }
            let _ = writeln!(
                md,
                "- Traffic loss: at least {} below {}% of the usual rate (the median of the nearest normal buckets before and after).",
                format_duration(crate::detect::LOSS_MIN_SECONDS),
                (crate::detect::LOSS_FRACTION * 100.0).round()
            );
        }
        None => {}
    }
    let _ = writeln!(
        md,
        "- Windows closer than {} are merged; stretches shorter than {} or with fewer than {} failed requests above the baseline are blips and ignored.",
        format_duration(crate::detect::MERGE_GAP_SECONDS),
        format_duration(crate::detect::MIN_DURATION_SECONDS),
        crate::detect::MIN_EXCESS_FAILED
    );
    let _ = writeln!(
        md,
        "- Start and end are the first and last failed request of the anomalous stretch (a change point on the failures per second), so they are exact to the second; impact counts are the requests within [start, end], read a second time from the request logs."
    );
    let _ = writeln!(
        md,
        "- Detected: the first alert firing at or after {} before the start. Mitigated: the start of the first bucket after which the error ratio stays below the entry threshold. Error budget: (failed − baseline ratio × requests) ÷ ((1 − SLO) × requests expected in {} days at the usual rate).",
        format_duration(crate::incident::DETECT_LOOKBACK_SECONDS),
        crate::impact::SLO_PERIOD_DAYS
    );
    if let Some(m) = &method {
        let _ = writeln!(md, "- SLO: {}%.", trim_float(m.slo * 100.0));
    }
    md.push('\n');

    let _ = writeln!(md, "### Data gaps and warnings\n");
    let mut notes: Vec<String> = Vec::new();
    // An incident's warnings include the method's.
    if let (None, Some(m)) = (i, &method) {
        notes.extend(m.warnings.iter().map(|w| code(w)));
    }
    if let Some(i) = i {
        notes.extend(i.warnings.iter().map(|w| code(w)));
        for p in i
            .parts
            .iter()
            .filter(|p| p.kind == IncidentKind::TrafficLoss)
        {
            notes.push(format!(
                "traffic {}far below its usual rate from {} to {} (about {} requests missing)",
                p.source
                    .as_ref()
                    .map(|s| format!("in {} ", code(s)))
                    .unwrap_or_default(),
                date_time(p.start),
                date_time(p.end),
                group_thousands(p.lost)
            ));
        }
    }
    for inp in &a.inputs {
        if inp.stats.skipped > 0 {
            notes.push(format!(
                "{}: {} of {} lines not understood",
                code(&inp.path),
                group_thousands(inp.stats.skipped),
                group_thousands(inp.stats.lines)
            ));
        }
    }
    notes.extend(a.warnings.iter().map(|w| code(&w.to_string())));
    if notes.is_empty() {
        let _ = writeln!(md, "None found.\n");
    } else {
        for n in notes {
            let _ = writeln!(md, "- {n}");
        }
        md.push('\n');
    }

    let _ = writeln!(md, "### Inputs\n");
    let _ = writeln!(
        md,
        "| Path | Format | Lines | First (UTC) | Last (UTC) | SHA-256 |"
    );
    let _ = writeln!(md, "|---|---|---:|---|---|---|");
    for inp in &a.inputs {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            code_cell(&inp.path),
            inp.format.unwrap_or("not read"),
            group_thousands(inp.stats.lines),
            inp.stats.first.map(date_time).unwrap_or_else(|| "-".into()),
            inp.stats.last.map(date_time).unwrap_or_else(|| "-".into()),
            code_cell(&input_hash(a, &inp.path))
        );
    }
    md.push('\n');
    let _ = writeln!(md, "### Reproduce\n");
    let cmd = sanitize_for_terminal(command_line);
    let fence = if cmd.contains("```") { "~~~~" } else { "```" };
    let _ = writeln!(md, "{fence}\n{cmd}\n{fence}");
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
