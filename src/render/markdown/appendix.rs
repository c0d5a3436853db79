//! The Appendix: the detection method with its thresholds, data gaps and
//! warnings, the inputs with their hashes, the command to reproduce.

use std::fmt::Write as _;

use super::{code, code_cell, input_hash};
use crate::analysis::incident::{self, Method};
use crate::analysis::{detect, impact, Analysis, Incident, IncidentKind};
use crate::display::{group_thousands, pct, trim_float};
use crate::render::clock::Clock;
use crate::render::sanitize_for_terminal;
use crate::time::format_duration;

pub(crate) fn appendix(
    md: &mut String,
    a: &Analysis,
    incidents: &[Incident],
    i: Option<&Incident>,
    command_line: &str,
    c: &Clock,
) {
    let _ = writeln!(md, "## Appendix\n");
    let method = i
        .map(|i| i.method.clone())
        .or_else(|| incidents.first().map(|i| i.method.clone()));
    method_section(md, a, method.as_ref());
    data_gaps(md, a, i, method.as_ref(), c);
    inputs(md, a, c);
    reproduce(md, command_line);
}

/// The method and the thresholds of this run.
fn method_section(md: &mut String, a: &Analysis, method: Option<&Method>) {
    let _ = writeln!(md, "### Method\n");
    let _ = writeln!(
        md,
        "- Requests are bucketed by {}; a request failed when the load balancer answered 5xx (including ones it generated) or could not answer at all.",
        format_duration(a.series.bucket_seconds)
    );
    match method {
        Some(m) if m.mode == IncidentKind::ErrorsFromAppLogs => {
            if let Some(e) = &m.error_baseline {
                let _ = writeln!(
                    md,
                    "- No request logs: buckets of {} with more than {:.1} error-level messages (usual {:.1}) for {} buckets open an incident; {} buckets at or below {:.1} close it. Alert intervals count too.",
                    format_duration(m.bucket_seconds),
                    e.enter(),
                    e.median,
                    detect::ENTER_BUCKETS,
                    detect::EXIT_BUCKETS,
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
                    detect::ENTER_SIGMAS,
                    detect::ENTER_BURN,
                    detect::ENTER_BUCKETS,
                    pct(enter),
                    detect::EXIT_BUCKETS,
                    detect::EXIT_SIGMAS,
                    pct(exit),
                    detect::SIGMA_FLOOR,
                    detect::MIN_BUCKET_REQUESTS
                );
            }
            let _ = writeln!(
                md,
                "- Traffic loss: at least {} below {}% of the usual rate (the median of the nearest normal buckets before and after).",
                format_duration(detect::LOSS_MIN_SECONDS),
                (detect::LOSS_FRACTION * 100.0).round()
            );
        }
        None => {}
    }
    let _ = writeln!(
        md,
        "- Windows closer than {} are merged; stretches shorter than {} or with fewer than {} failed requests above the baseline are blips and ignored.",
        format_duration(detect::MERGE_GAP_SECONDS),
        format_duration(detect::MIN_DURATION_SECONDS),
        detect::MIN_EXCESS_FAILED
    );
    let _ = writeln!(
        md,
        "- Start and end are the first and last failed request of the anomalous stretch (a change point on the failures per second), so they are exact to the second; impact counts are the requests within [start, end], read a second time from the request logs."
    );
    let _ = writeln!(
        md,
        "- Detected: the first alert firing at or after {} before the start. Mitigated: the start of the first bucket after which the error ratio stays below the entry threshold. Error budget: (failed − baseline ratio × requests) ÷ ((1 − SLO) × requests expected in {} days at the usual rate).",
        format_duration(incident::DETECT_LOOKBACK_SECONDS),
        impact::SLO_PERIOD_DAYS
    );
    if let Some(m) = method {
        let _ = writeln!(md, "- SLO: {}%.", trim_float(m.slo * 100.0));
    }
    md.push('\n');
}

/// What the logs could not show, and what went wrong reading them.
fn data_gaps(
    md: &mut String,
    a: &Analysis,
    i: Option<&Incident>,
    method: Option<&Method>,
    c: &Clock,
) {
    let _ = writeln!(md, "### Data gaps and warnings\n");
    let mut notes: Vec<String> = Vec::new();
    // An incident's warnings include the method's.
    if let (None, Some(m)) = (i, method) {
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
                c.date_time(p.start),
                c.date_time(p.end),
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
}

/// The inputs with their formats, ranges and hashes.
fn inputs(md: &mut String, a: &Analysis, c: &Clock) {
    let _ = writeln!(md, "### Inputs\n");
    let _ = writeln!(
        md,
        "| Path | Format | Lines | First ({zone}) | Last ({zone}) | SHA-256 |",
        zone = c.column()
    );
    let _ = writeln!(md, "|---|---|---:|---|---|---|");
    for inp in &a.inputs {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            code_cell(&inp.path),
            inp.format.unwrap_or("not read"),
            group_thousands(inp.stats.lines),
            inp.stats
                .first
                .map(|t| c.date_time(t))
                .unwrap_or_else(|| "-".into()),
            inp.stats
                .last
                .map(|t| c.date_time(t))
                .unwrap_or_else(|| "-".into()),
            code_cell(&input_hash(inp))
        );
    }
    md.push('\n');
}

fn reproduce(md: &mut String, command_line: &str) {
    let _ = writeln!(md, "### Reproduce\n");
    let cmd = sanitize_for_terminal(command_line);
    let fence = if cmd.contains("```") { "~~~~" } else { "```" };
    let _ = writeln!(md, "{fence}\n{cmd}\n{fence}");
}
