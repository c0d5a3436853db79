//! A text chart of traffic and error ratio, one row per time step, the
//! incident window marked with `┃`.

use std::fmt::Write as _;

use super::CHART_ROWS;
use crate::analysis::{Analysis, Incident};
use crate::display::{group_thousands, pct};
use crate::render::clock::Clock;
use crate::series::Histogram;
use crate::time::{format_duration, Micros, SEC};

/// One time step of a chart: the series' buckets added up.
pub(crate) struct Row {
    pub start: Micros,
    pub requests: u64,
    pub failed: u64,
    /// Error-level messages.
    pub errors: u64,
    pub latency: Histogram,
}

impl Row {
    pub fn error_ratio(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.failed as f64 / self.requests as f64)
    }
}

/// The series between `from` and `to` in at most `max_rows` steps of
/// whole buckets, with the step in seconds; `None` without data there.
pub(crate) fn rows(
    a: &Analysis,
    from: Micros,
    to: Micros,
    max_rows: i64,
) -> Option<(Vec<Row>, i64)> {
    let series = &a.series;
    let (lo, hi) = series.key_range()?;
    if to <= from {
        return None;
    }
    let k0 = series.key(from).max(lo);
    let k1 = series.key(to).min(hi);
    if k1 < k0 {
        return None;
    }
    let n = k1 - k0 + 1;
    let group = (n + max_rows - 1) / max_rows.max(1);
    let step = series.bucket_seconds * group;
    let mut rows: Vec<Row> = Vec::new();
    let mut k = k0.div_euclid(group) * group;
    while k <= k1 {
        let mut r = Row {
            start: series.bucket_start(k),
            requests: 0,
            failed: 0,
            errors: 0,
            latency: Histogram::default(),
        };
        for (_, b) in series.present(k, k + group - 1) {
            r.requests += b.requests;
            r.failed += b.failed;
            r.errors += b.error_messages;
            r.latency.merge(&b.latency);
        }
        rows.push(r);
        k += group;
    }
    Some((rows, step))
}

/// A text chart of traffic and error ratio, one row per time step, the
/// incident window marked with `┃`.
pub fn chart(a: &Analysis, i: Option<&Incident>, from: Micros, to: Micros, c: &Clock) -> String {
    let Some((rows, step)) = rows(a, from, to, CHART_ROWS) else {
        return "```\n(no data)\n```\n".to_string();
    };
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
    let multi_day = multi_day(&rows, c);
    let labels: Vec<String> = rows.iter().map(|r| label(r.start, multi_day, c)).collect();
    // The label column fits the zone's name and labels with an offset (a
    // daylight-saving change); 11 (`MM-DD HH:MM`) at least.
    let zone = c.column();
    let lw = labels
        .iter()
        .map(|l| l.chars().count())
        .chain([zone.chars().count()])
        .max()
        .unwrap_or(0)
        .max(11);
    let mut out = String::from("```\n");
    let per = format_duration(step);
    let head = if requests_mode {
        format!(
            "{zone:<lw$}  {:<20} {:>9}   error ratio (█ = {})",
            format!("requests per {per}"),
            "",
            pct(ratio_scale / 24.0),
        )
    } else {
        format!("{zone:<lw$}  errors per {per}")
    };
    out.push_str(head.trim_end());
    out.push('\n');
    for (r, label) in rows.iter().zip(&labels) {
        let end = r.start + step * SEC;
        let inside = i.is_some_and(|i| r.start <= i.end && end > i.start);
        let mark = if inside { '┃' } else { ' ' };
        let mut line = if requests_mode {
            let ratio = r.error_ratio();
            format!(
                "{label:<lw$}{mark} {:<20} {:>9}   {:<24} {:>7}",
                bar(r.requests as f64 / max_req as f64, 20),
                group_thousands(r.requests),
                ratio.map(|x| bar(x / ratio_scale, 24)).unwrap_or_default(),
                ratio.map(pct).unwrap_or_else(|| "-".into())
            )
        } else {
            format!(
                "{label:<lw$}{mark} {:<20} {:>9}",
                bar(r.errors as f64 / max_err as f64, 20),
                group_thousands(r.errors)
            )
        };
        if let Some(i) = i {
            let mut notes = Vec::new();
            let within = |t: Micros| t >= r.start && t < end;
            if within(i.start) {
                notes.push(format!("impact begins {}", c.clock(i.start)));
            }
            if let Some(d) = &i.detected {
                if within(d.at) {
                    notes.push(format!("detected {}", c.clock(d.at)));
                }
            }
            if let Some(p) = &i.peak {
                if within(p.at) {
                    notes.push("peak".to_string());
                }
            }
            if let Some(m) = i.mitigated {
                if within(m) && m != i.end {
                    notes.push(format!("mitigated {}", c.clock(m)));
                }
            }
            if within(i.end) {
                notes.push(format!("impact ends {}", c.clock(i.end)));
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

/// Whether the rows span more than one day in the report's zone (labels
/// then carry the date).
pub(crate) fn multi_day(rows: &[Row], c: &Clock) -> bool {
    match (rows.first(), rows.last()) {
        (Some(f), Some(l)) => !c.same_date(f.start, l.start),
        _ => false,
    }
}

/// A row's time label: `HH:MM`, or `MM-DD HH:MM` over several days (with
/// the offset when it is not the header's).
pub(crate) fn label(at: Micros, multi_day: bool, c: &Clock) -> String {
    if multi_day {
        format!("{} {}", c.month_day(at), c.hour_minute(at))
    } else {
        c.hour_minute(at)
    }
}

/// The same steps as a Mermaid `xychart-beta` block, which GitHub draws:
/// requests per step as bars and the error ratio as a line on the same
/// axis, scaled so that the top of the axis is its peak (Mermaid's chart
/// has one y axis; the title says the scale). Without requests, the
/// error-level messages per step as bars.
pub fn mermaid(a: &Analysis, i: Option<&Incident>, from: Micros, to: Micros, c: &Clock) -> String {
    let Some((rows, step)) = rows(a, from, to, CHART_ROWS) else {
        return String::new();
    };
    let multi_day = multi_day(&rows, c);
    let labels: Vec<String> = rows
        .iter()
        .map(|r| format!("\"{}\"", label(r.start, multi_day, c)))
        .collect();
    let per = format_duration(step);
    let window = i
        .map(|i| {
            format!(
                ", incident {}–{}{}",
                c.hour_minute(i.start),
                c.hour_minute(i.end),
                c.tag()
            )
        })
        .unwrap_or_default();
    let requests_mode = rows.iter().any(|r| r.requests > 0);
    let mut out = String::from("```mermaid\nxychart-beta\n");
    if requests_mode {
        let max_req = rows.iter().map(|r| r.requests).max().unwrap_or(0).max(1);
        let max_ratio = rows
            .iter()
            .filter_map(Row::error_ratio)
            .fold(0.0f64, f64::max);
        let _ = writeln!(
            out,
            "    title \"Requests per {per} (bars) and error ratio (line, top = {}){window}\"",
            if max_ratio > 0.0 {
                pct(max_ratio)
            } else {
                "0%".to_string()
            }
        );
        let _ = writeln!(out, "    x-axis [{}]", labels.join(", "));
        let _ = writeln!(out, "    y-axis \"Requests per {per}\" 0 --> {max_req}");
        let bars: Vec<String> = rows.iter().map(|r| r.requests.to_string()).collect();
        let _ = writeln!(out, "    bar [{}]", bars.join(", "));
        let scale = if max_ratio > 0.0 {
            max_req as f64 / max_ratio
        } else {
            0.0
        };
        let line: Vec<String> = rows
            .iter()
            .map(|r| format!("{:.1}", r.error_ratio().unwrap_or(0.0) * scale))
            .collect();
        let _ = writeln!(out, "    line [{}]", line.join(", "));
    } else {
        let max_err = rows.iter().map(|r| r.errors).max().unwrap_or(0).max(1);
        let _ = writeln!(out, "    title \"Error-level messages per {per}{window}\"");
        let _ = writeln!(out, "    x-axis [{}]", labels.join(", "));
        let _ = writeln!(out, "    y-axis \"Messages per {per}\" 0 --> {max_err}");
        let bars: Vec<String> = rows.iter().map(|r| r.errors.to_string()).collect();
        let _ = writeln!(out, "    bar [{}]", bars.join(", "));
    }
    out.push_str("```\n");
    out
}
