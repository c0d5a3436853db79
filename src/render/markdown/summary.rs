//! Issue Summary: the one-sentence summary, duration, impact, what was
//! failing, the suspected cause and fix; the list of other incidents; one
//! line per suspect.

use std::fmt::Write as _;

use super::{code, ms};
use crate::analysis::suspects::{Evidence, Suspect, SuspectKind};
use crate::analysis::{Analysis, Incident, IncidentKind};
use crate::display::{group_thousands, pct, pct2, relative};
use crate::render::clock::Clock;
use crate::time::format_duration;

pub(crate) fn summary(md: &mut String, a: &Analysis, i: &Incident, c: &Clock) {
    let _ = writeln!(md, "## Issue Summary\n");
    let sources: Vec<&str> = a.request_sources().collect();
    let _ = writeln!(md, "{}\n", sentence(i, &sources, c));

    let _ = writeln!(
        md,
        "- **Duration:** {}, from {} to {}{}.",
        format_duration(i.duration_seconds()),
        c.when(i.start),
        c.when(i.end),
        if i.open_ended {
            " (recovery not confirmed: the logs end soon after)"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "- **Impact:** {}.", impact_parts(i).join("; "));
    let _ = writeln!(
        md,
        "- **What was failing:** TODO (service and user-facing symptom; measured on {}).",
        if sources.is_empty() {
            "the application logs".to_string()
        } else {
            sources
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
                suspect_headline(s, c)
            );
        }
        // The loop itself is what the logs show; why it looped is not.
        None if i.kind == IncidentKind::CrashLoop => {
            let _ = writeln!(
                md,
                "- **Root cause:** TODO (the logs show the crash loop, {}, but no change or error before it that explains it).",
                crate::analysis::markers::crash_loop_what(i)
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
            c.when(f.at),
            code(&f.source),
            f.line
        );
    }
    md.push('\n');
}

/// "From 08:38:05 to 09:59:08 UTC on 2024-03-09 (1 h 21 min), 43.99% of
/// requests logged in … failed (peak 62%), …; the first alert fired …."
fn sentence(i: &Incident, sources: &[&str], c: &Clock) -> String {
    let tag = c.tag();
    let span = if c.same_date(i.start, i.end) {
        format!(
            "From {} to {}{tag} on {} ({}),",
            c.clock(i.start),
            c.clock(i.end),
            c.date(i.start),
            format_duration(i.duration_seconds())
        )
    } else {
        format!(
            "From {}{tag} to {}{tag} ({}),",
            c.date_time(i.start),
            c.date_time(i.end),
            format_duration(i.duration_seconds())
        )
    };
    let through = match sources.len() {
        0 => String::new(),
        1 => format!(" logged in {}", code(sources[0])),
        n => format!(" logged in {n} request logs"),
    };
    let mut sentence = match i.kind {
        IncidentKind::CrashLoop => {
            let mut s = format!(
                "{span} something crashed or went down again and again ({})",
                crate::analysis::markers::crash_loop_what(i)
            );
            if let Some(p) = i.impact.failed_pct.filter(|_| !sources.is_empty()) {
                let _ = write!(s, "; {p:.2}% of requests{through} failed meanwhile");
            }
            s
        }
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
        IncidentKind::ErrorRatio | IncidentKind::Refusals | IncidentKind::Latency => {
            let mut s = format!(
                "{span} {} of requests{through} {}",
                pct2(i.bad().1),
                i.bad_verb()
            );
            if i.kind != IncidentKind::ErrorRatio {
                let _ = write!(s, " ({})", i.counted.join(", "));
            }
            if let Some(r) = i.peak.as_ref().and_then(|p| p.error_ratio) {
                let _ = write!(s, " (peak {})", pct(r));
            }
            if let Some(c) = i.impact.clients_affected_pct {
                let what = match i.kind {
                    IncidentKind::Refusals => "one refusal",
                    IncidentKind::Latency => "one slow request",
                    _ => "one error",
                };
                let about = if i.impact.clients_estimated {
                    "about "
                } else {
                    ""
                };
                let _ = write!(s, ", {about}{c:.1}% of clients saw at least {what}");
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
        None => {
            sentence.push_str("; ");
            sentence.push_str(crate::analysis::markers::no_alert(i));
        }
    }
    sentence.push('.');
    sentence
}

/// The impact in numbers, as clauses.
fn impact_parts(i: &Incident) -> Vec<String> {
    let imp = &i.impact;
    let mut impact = Vec::new();
    if i.kind == IncidentKind::TrafficLoss && imp.requests_total == 0 {
        impact.push("no requests logged at all".to_string());
        impact.push(format!(
            "about {} requests lost against the usual rate",
            group_thousands(imp.requests_lost)
        ));
    } else if i.kind == IncidentKind::CrashLoop && imp.requests_total == 0 {
        // Nothing measured the requests: say so rather than "0 of 0".
        impact.push(format!(
            "not measured: no request log covers the window (the crash loop: {})",
            crate::analysis::markers::crash_loop_what(i)
        ));
    } else if i.kind != IncidentKind::ErrorsFromAppLogs {
        let (bad, share) = i.bad();
        let what = match i.kind {
            IncidentKind::Refusals => "refused",
            IncidentKind::Latency => "slow",
            _ => "failed",
        };
        impact.push(format!(
            "{} of {} requests {} ({}{})",
            group_thousands(bad),
            group_thousands(imp.requests_total),
            i.bad_verb(),
            pct2(share),
            if i.kind == IncidentKind::ErrorRatio {
                format!("; baseline {}", pct2(imp.baseline_failed_pct))
            } else {
                format!("; counted: {}", i.counted.join(", "))
            }
        ));
        if let (Some(x), Some(t), Some(p)) = (
            imp.clients_affected,
            imp.clients_total,
            imp.clients_affected_pct,
        ) {
            impact.push(format!(
                "{}{} of {} clients ({p:.2}%) saw at least one {what} request",
                if imp.clients_estimated { "about " } else { "" },
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
    impact
}

pub(crate) fn others(md: &mut String, incidents: &[Incident], chosen: &Incident, c: &Clock) {
    let _ = writeln!(md, "### Other incidents in these logs\n");
    let zone = c.column();
    let _ = writeln!(
        md,
        "| Id | Rank | Kind | Start ({zone}) | End ({zone}) | Duration | Failed | Lost |"
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
            c.date_time(i.start),
            c.date_time(i.end),
            format_duration(i.duration_seconds()),
            group_thousands(i.impact.requests_failed),
            pct2(i.impact.failed_pct),
            group_thousands(i.impact.requests_lost)
        );
    }
    let _ = writeln!(
        md,
        "\nDraft another with `postmortem report --incident ID ...`.\n"
    );
}

/// A suspect in one line of Markdown, log-derived parts in code spans.
pub(crate) fn suspect_headline(s: &Suspect, c: &Clock) -> String {
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
                c.clock(e.at)
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
            c.clock(first.at),
            code(&first.source),
            first.line,
            group_thousands(*count)
        ),
    }
}
