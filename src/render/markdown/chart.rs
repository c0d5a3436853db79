//! A text chart of traffic and error ratio, one row per time step, the
//! incident window marked with `┃`.

use std::fmt::Write as _;

use super::CHART_ROWS;
use crate::analysis::{Analysis, Incident};
use crate::display::{group_thousands, pct};
use crate::time::{format_clock, format_date, format_duration, Micros, SEC};

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
