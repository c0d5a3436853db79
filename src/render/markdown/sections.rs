//! Impact, Detection and response, Root Cause and Resolution, and
//! Corrective and Preventative Measures.

use std::fmt::Write as _;

use super::summary::suspect_headline;
use super::{code, code_cell, ms, MAX_SUSPECTS};
use crate::analysis::suspects::{self, Evidence, SuspectKind};
use crate::analysis::{impact, Incident, IncidentKind};
use crate::display::{group_thousands, pct, pct2, relative, trim_float};
use crate::render::clock::Clock;
use crate::time::format_duration;

pub(crate) fn impact_table(md: &mut String, i: &Incident, c: &Clock) {
    let imp = &i.impact;
    let _ = writeln!(md, "## Impact\n");
    let _ = writeln!(md, "| Measure | Value |");
    let _ = writeln!(md, "|---|---|");
    let _ = writeln!(
        md,
        "| Window | {} → {}{} ({}) |",
        c.date_time(i.start),
        c.date_time(i.end),
        c.tag(),
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
            pct2(imp.failed_pct)
        );
        let _ = writeln!(
            md,
            "| Usual failure rate (baseline) | {} |",
            pct2(imp.baseline_failed_pct)
        );
        let clients = match (imp.clients_affected, imp.clients_total) {
            (Some(x), Some(t)) => format!(
                "{}{} of {} ({}){}",
                if imp.clients_estimated { "≈ " } else { "" },
                group_thousands(x),
                group_thousands(t),
                pct2(imp.clients_affected_pct),
                if imp.clients_estimated {
                    ", estimated"
                } else {
                    ""
                }
            ),
            _ => "n/a".to_string(),
        };
        // The clients counted are those with a request bad by the
        // incident's own criterion.
        let bad = match i.kind {
            IncidentKind::Latency => "slow",
            IncidentKind::Refusals => "refused",
            _ => "failed",
        };
        let _ = writeln!(md, "| Clients with a {bad} request | {clients} |");
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
            impact::SLO_PERIOD_DAYS,
            pct2(imp.error_budget_used_pct)
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
                c.clock(p.at)
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

pub(crate) fn detection(md: &mut String, i: &Incident, c: &Clock) {
    let _ = writeln!(md, "## Detection and response\n");
    let _ = writeln!(md, "| Metric | Value |");
    let _ = writeln!(md, "|---|---|");
    let ttd = match (&i.detected, i.metrics.time_to_detect_seconds) {
        (Some(d), Some(t)) if t < 0 => format!(
            "−{} (alert {} at {}, before the first failed request)",
            format_duration(-t),
            code_cell(&d.alert),
            c.clock(d.at)
        ),
        (Some(d), Some(t)) => format!(
            "{} (alert {} at {})",
            format_duration(t),
            code_cell(&d.alert),
            c.clock(d.at)
        ),
        _ => "no alert in the logs (TODO: how was it noticed?)".to_string(),
    };
    let _ = writeln!(
        md,
        "| Time to detect (first alert − impact start) | {ttd} |"
    );
    let ttm = match (i.mitigated, i.metrics.time_to_mitigate_seconds) {
        (Some(m), Some(t)) => format!("{} ({})", format_duration(t), c.clock(m)),
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
        c.clock(i.end)
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

pub(super) fn root_cause(md: &mut String, i: &Incident, c: &Clock) {
    let _ = writeln!(md, "## Root Cause and Resolution\n");
    suspects_list(md, i, c);
    resolution(md, i, c);
}

/// The suspect's kind as the draft names it.
pub(crate) fn suspect_label(kind: SuspectKind) -> &'static str {
    match kind {
        SuspectKind::Change => "Change",
        SuspectKind::Crash => "Crash",
        SuspectKind::BackendImbalance => "Backend imbalance",
        SuspectKind::BackendFailing => "Backend failing",
        SuspectKind::NewError => "New error",
    }
}

/// The log line behind a suspect, when its headline does not show it.
pub(crate) fn suspect_line(s: &suspects::Suspect) -> Option<(&'static str, &str)> {
    match &s.evidence {
        Evidence::Event(e) if e.title.is_some() => Some(("log line", &e.message)),
        Evidence::NewError { first, .. } => Some(("first line", &first.message)),
        _ => None,
    }
}

/// The reloads or restarts that carried out a change suspect: `applied at
/// 08:36:20 by `nginx: reload signalled` (`lb/error.log`:1), …`.
pub(crate) fn applied_text(s: &suspects::Suspect, c: &Clock) -> Option<String> {
    let Evidence::Event(e) = &s.evidence else {
        return None;
    };
    let first = e.applied.first()?;
    let by: Vec<String> = e
        .applied
        .iter()
        .map(|r| {
            format!(
                "{} ({}:{})",
                code(r.title.as_deref().unwrap_or(&r.message)),
                code(&r.source),
                r.line
            )
        })
        .collect();
    Some(format!(
        "applied at {} by {}",
        c.clock(first.at),
        by.join(", ")
    ))
}

/// Why there is no suspect.
pub(crate) fn no_suspect_text() -> String {
    format!(
        "No suspect found in the logs: no change in the {} before impact, no crash, no backend anomaly, no new error.",
        format_duration(suspects::CHANGE_LOOKBACK_SECONDS)
    )
}

/// The note on suspects beyond [`MAX_SUSPECTS`], when there are some.
pub(crate) fn more_suspects_note(i: &Incident) -> Option<String> {
    (i.suspects.len() > MAX_SUSPECTS).then(|| {
        format!(
            "{} more suspects in `postmortem timeline --format json` (`.incidents[].suspects`).",
            i.suspects.len() - MAX_SUSPECTS
        )
    })
}

fn suspects_list(md: &mut String, i: &Incident, c: &Clock) {
    if i.suspects.is_empty() {
        let _ = writeln!(md, "{}\n", no_suspect_text());
    } else {
        let _ = writeln!(
            md,
            "Suspects, most likely first (*hints from the logs, unverified*):\n"
        );
        for s in i.suspects.iter().take(MAX_SUSPECTS) {
            let _ = writeln!(
                md,
                "{}. **{}** — {}",
                s.rank,
                suspect_label(s.kind),
                suspect_headline(s, c)
            );
            if let Some((what, line)) = suspect_line(s) {
                let _ = writeln!(md, "   - {what}: {}", code(line));
            }
            if let Some(applied) = applied_text(s, c) {
                let _ = writeln!(md, "   - {applied}");
            }
        }
        if let Some(note) = more_suspects_note(i) {
            let _ = writeln!(md, "\n{note}");
        }
        md.push('\n');
    }
}

/// How the incident ended, and the narrative left to people.
pub(crate) fn resolution(md: &mut String, i: &Incident, c: &Clock) {
    let _ = writeln!(md, "**Resolution.**");
    match &i.likely_fix {
        Some(f) => {
            let _ = writeln!(
                md,
                "The likely fix (hint): {} at {} ({}:{}), {}.",
                code(f.title.as_deref().unwrap_or(&f.message)),
                c.clock(f.at),
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
                c.clock(i.end)
            );
        }
        (_, Some(m)) => {
            let _ = writeln!(
                md,
                "Errors stayed below the entry threshold from {} and impact ended at {}.",
                c.clock(m),
                c.clock(i.end)
            );
        }
        _ => {}
    }
    let _ = writeln!(
        md,
        "\nTODO: the narrative — what the trigger was, why it caused failures, why it was not caught earlier, and how it was fixed.\n"
    );
}

pub(crate) fn measures(md: &mut String, i: &Incident) {
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
            failed_pct,
            ..
        } = &s.evidence
        {
            // Only a backend failing (nearly) every request is one that
            // "fails every request"; a crash loop's victim fails a few.
            let failing = *failed_pct >= crate::analysis::suspects::FAILING_RATIO * 100.0;
            items.push(if failing {
                format!(
                    "Add active health checks to the load balancer so that a backend that fails every request (here {}) is taken out of the pool.",
                    code(backend)
                )
            } else {
                format!(
                    "Make the load balancer's health checks take a failing backend out of the pool sooner (here {}, which failed {} of its requests), and find why it failed.",
                    code(backend),
                    crate::display::pct_coarse(failed_pct / 100.0)
                )
            });
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
