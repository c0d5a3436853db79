//! The impact chart as inline SVG: requests per step (bars), the error
//! ratio (line) and latency p50/p99 (lines) over the same time axis, the
//! incident window shaded across all panels, and the incident's moments
//! (impact begins and ends, first alert, top suspect, mitigation, likely
//! fix) drawn as labelled vertical lines. Only our own words appear in
//! it; every number is the series' (the same steps as the text chart).

use std::fmt::Write as _;

use super::markup::escape;
use crate::analysis::suspects::Evidence;
use crate::analysis::{Analysis, Incident};
use crate::display::{group_thousands, pct};
use crate::render::clock::Clock;
use crate::render::markdown::chart::{label, multi_day, rows, Row};
use crate::time::{format_duration, Micros, SEC};

/// Steps at most (about 4 px each).
const MAX_STEPS: i64 = 240;
const WIDTH: f64 = 960.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
/// Height of the marker labels' lanes, above the panels.
const LANE: f64 = 15.0;
const LANES: usize = 3;
const PANEL: f64 = 110.0;
const GAP: f64 = 30.0;

/// A moment drawn as a labelled vertical line.
struct Mark {
    at: Micros,
    /// For tests and styling: `impact-begins`, `first-alert`...
    kind: &'static str,
    label: String,
}

/// The incident's moments, as the chart labels them.
fn marks(i: &Incident, c: &Clock) -> Vec<Mark> {
    let mut m = vec![Mark {
        at: i.start,
        kind: "impact-begins",
        label: format!("impact begins {}", c.clock(i.start)),
    }];
    if let Some(d) = &i.detected {
        m.push(Mark {
            at: d.at,
            kind: "first-alert",
            label: format!("first alert {}", c.clock(d.at)),
        });
    }
    if let Some(s) = i.suspects.first() {
        let at = match &s.evidence {
            Evidence::Event(e) => Some(e.at),
            Evidence::NewError { first, .. } => Some(first.at),
            _ => None,
        };
        if let Some(at) = at {
            let what = crate::render::markdown::sections::suspect_label(s.kind).to_lowercase();
            m.push(Mark {
                at,
                kind: "top-suspect",
                label: format!("top suspect: {what} {}", c.clock(at)),
            });
        }
    }
    if let Some(f) = &i.likely_fix {
        m.push(Mark {
            at: f.at,
            kind: "likely-fix",
            label: format!("likely fix {}", c.clock(f.at)),
        });
    }
    if let Some(t) = i.mitigated.filter(|&t| t != i.end) {
        m.push(Mark {
            at: t,
            kind: "mitigated",
            label: format!("mitigated {}", c.clock(t)),
        });
    }
    m.push(Mark {
        at: i.end,
        kind: "impact-ends",
        label: format!("impact ends {}", c.clock(i.end)),
    });
    m.sort_by_key(|k| k.at);
    m
}

/// The chart as an `<svg>` element, or a paragraph saying there is no data.
pub fn svg(a: &Analysis, i: Option<&Incident>, from: Micros, to: Micros, c: &Clock) -> String {
    let Some((rows, step)) = rows(a, from, to, MAX_STEPS) else {
        return "<p class=\"no-data\">No requests or messages with times in this span: nothing to chart.</p>\n".to_string();
    };
    let requests_mode = rows.iter().any(|r| r.requests > 0);
    let latency: Vec<(Option<f64>, Option<f64>)> = rows
        .iter()
        .map(|r| (r.latency.quantile_ms(0.5), r.latency.quantile_ms(0.99)))
        .collect();
    let has_latency = latency.iter().any(|(_, p99)| p99.is_some());
    let mut panels: Vec<&str> = vec!["volume"];
    if requests_mode {
        panels.push("ratio");
    }
    if has_latency {
        panels.push("latency");
    }
    let marks = i.map(|i| marks(i, c)).unwrap_or_default();
    let top = if marks.is_empty() {
        12.0
    } else {
        LANE * LANES as f64 + 12.0
    };
    let height = top + panels.len() as f64 * (PANEL + GAP) + 12.0;
    let t0 = rows[0].start;
    let span = (rows.len() as i64 * step * SEC).max(1) as f64;
    let plot = WIDTH - LEFT - RIGHT;
    let x = |t: Micros| LEFT + ((t - t0) as f64 / span * plot).clamp(0.0, plot);
    let bar_w = plot / rows.len() as f64;
    let per = format_duration(step);

    let mut s = String::new();
    let title = match i {
        Some(i) => format!(
            "Requests, error ratio and latency per {per}, {} to {}{}; incident window {} to {} shaded",
            c.clock(t0),
            c.clock(t0 + rows.len() as i64 * step * SEC),
            c.tag(),
            c.clock(i.start),
            c.clock(i.end)
        ),
        None => format!("Requests, error ratio and latency per {per} (no incident)"),
    };
    let _ = writeln!(
        s,
        "<svg id=\"impact-chart\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" aria-labelledby=\"chart-title\">"
    );
    let _ = writeln!(s, "<title id=\"chart-title\">{}</title>", escape(&title));

    // The incident window behind everything.
    if let Some(i) = i {
        let (x0, x1) = (x(i.start), x(i.end));
        let _ = writeln!(
            s,
            "<rect class=\"incident-window\" x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>incident window {} to {}{}</title></rect>",
            top - 4.0,
            (x1 - x0).max(1.5),
            height - top - 8.0,
            c.clock(i.start),
            c.clock(i.end),
            c.tag()
        );
    }

    let multi = multi_day(&rows, c);
    for (n, panel) in panels.iter().enumerate() {
        let y0 = top + n as f64 * (PANEL + GAP) + 14.0;
        let base = y0 + PANEL - 14.0;
        let h = PANEL - 14.0;
        let _ = writeln!(s, "<g class=\"panel {panel}\">");
        match *panel {
            "volume" => {
                let (what, values): (String, Vec<u64>) = if requests_mode {
                    (
                        format!("requests per {per}"),
                        rows.iter().map(|r| r.requests).collect(),
                    )
                } else {
                    (
                        format!("error-level messages per {per}"),
                        rows.iter().map(|r| r.errors).collect(),
                    )
                };
                let max = values.iter().copied().max().unwrap_or(0).max(1);
                panel_frame(&mut s, y0, base, &what, &group_thousands(max));
                for (k, (r, v)) in rows.iter().zip(&values).enumerate() {
                    let bh = *v as f64 / max as f64 * h;
                    let _ = writeln!(
                        s,
                        "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"><title>{} {}</title></rect>",
                        LEFT + k as f64 * bar_w,
                        base - bh,
                        (bar_w - 0.6).max(0.6),
                        label(r.start, multi, c),
                        group_thousands(*v)
                    );
                }
            }
            "ratio" => {
                let max = rows
                    .iter()
                    .filter_map(Row::error_ratio)
                    .fold(0.0f64, f64::max);
                let scale = nice_ratio(max);
                panel_frame(
                    &mut s,
                    y0,
                    base,
                    "error ratio (failed ÷ requests)",
                    &pct(scale),
                );
                let points: Vec<Option<(f64, f64)>> = rows
                    .iter()
                    .enumerate()
                    .map(|(k, r)| {
                        r.error_ratio().map(|v| {
                            (
                                LEFT + (k as f64 + 0.5) * bar_w,
                                base - (v / scale).min(1.0) * h,
                            )
                        })
                    })
                    .collect();
                polyline(&mut s, "ratio-line", &points);
            }
            _ => {
                let max = latency
                    .iter()
                    .filter_map(|(_, p99)| *p99)
                    .fold(0.0f64, f64::max)
                    .max(1.0);
                panel_frame(
                    &mut s,
                    y0,
                    base,
                    "latency p50 and p99 (ms)",
                    &group_thousands(max.round() as u64),
                );
                for (class, pick) in [("p50-line", 0usize), ("p99-line", 1)] {
                    let points: Vec<Option<(f64, f64)>> = latency
                        .iter()
                        .enumerate()
                        .map(|(k, l)| {
                            let v = if pick == 0 { l.0 } else { l.1 };
                            v.map(|v| (LEFT + (k as f64 + 0.5) * bar_w, base - v / max * h))
                        })
                        .collect();
                    polyline(&mut s, class, &points);
                }
                let _ = writeln!(
                    s,
                    "<text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\"><tspan class=\"p50\">— p50</tspan> <tspan class=\"p99\">— p99</tspan></text>",
                    WIDTH - RIGHT,
                    y0 - 2.0
                );
            }
        }
        // Time labels under each panel, about every 100 px.
        let every = ((100.0 / bar_w).ceil() as usize).max(1);
        for (k, r) in rows.iter().enumerate().step_by(every) {
            let _ = writeln!(
                s,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                LEFT + k as f64 * bar_w,
                base + 12.0,
                label(r.start, multi, c)
            );
        }
        s.push_str("</g>\n");
    }

    // The moments, their labels in lanes so that they do not overlap.
    let mut lane_end = [f64::MIN; LANES];
    for m in &marks {
        let mx = x(m.at);
        let w = m.label.chars().count() as f64 * 6.2 + 8.0;
        // Labels run right of their line, or left of it near the edge.
        let anchor_end = mx + w > WIDTH - RIGHT;
        let (lx0, lx1) = if anchor_end {
            (mx - w, mx)
        } else {
            (mx, mx + w)
        };
        let lane = (0..LANES).find(|&l| lane_end[l] < lx0).unwrap_or(LANES - 1);
        lane_end[lane] = lx1;
        let ly = 12.0 + lane as f64 * LANE;
        let _ = writeln!(
            s,
            "<g class=\"marker {}\" data-kind=\"{}\"><line x1=\"{mx:.1}\" x2=\"{mx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text x=\"{:.1}\" y=\"{ly:.1}\" text-anchor=\"{}\">{}</text></g>",
            m.kind,
            m.kind,
            ly + 3.0,
            height - 12.0,
            if anchor_end { mx - 3.0 } else { mx + 3.0 },
            if anchor_end { "end" } else { "start" },
            escape(&m.label)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A panel's axis line, its name and its top value.
fn panel_frame(s: &mut String, y0: f64, base: f64, name: &str, top_value: &str) {
    let _ = writeln!(
        s,
        "<text class=\"panel-name\" x=\"{LEFT}\" y=\"{:.1}\">{}</text>",
        y0 - 2.0,
        escape(name)
    );
    let _ = writeln!(
        s,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base:.1}\" y2=\"{base:.1}\"/>",
        WIDTH - RIGHT
    );
    let _ = writeln!(
        s,
        "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
        WIDTH - RIGHT,
        y0 + 14.0,
        y0 + 14.0
    );
    let _ = writeln!(
        s,
        "<text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><text class=\"axis-label\" x=\"{:.1}\" y=\"{base:.1}\" text-anchor=\"end\">0</text>",
        LEFT - 4.0,
        y0 + 18.0,
        escape(top_value),
        LEFT - 4.0
    );
}

/// A line through the points, broken where a step has no value.
fn polyline(s: &mut String, class: &str, points: &[Option<(f64, f64)>]) {
    for run in points.split(|p| p.is_none()) {
        let pts: Vec<String> = run
            .iter()
            .flatten()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        match pts.len() {
            0 => {}
            1 => {
                let _ = writeln!(
                    s,
                    "<circle class=\"{class}\" cx=\"{}\" r=\"1.5\"/>",
                    pts[0].replace(',', "\" cy=\"")
                );
            }
            _ => {
                let _ = writeln!(
                    s,
                    "<polyline class=\"{class}\" points=\"{}\"/>",
                    pts.join(" ")
                );
            }
        }
    }
}

/// The top of the error-ratio axis: the peak rounded up to 1, 2 or 5
/// times a power of ten (at least 1%), at most 100%.
fn nice_ratio(max: f64) -> f64 {
    let max = max.max(0.01);
    let mut unit = 10f64.powf(max.log10().floor());
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * unit >= max - 1e-12 {
                return (m * unit).min(1.0);
            }
        }
        unit *= 10.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_axis_is_round() {
        assert_eq!(nice_ratio(0.0), 0.01);
        assert_eq!(nice_ratio(0.013), 0.02);
        assert_eq!(nice_ratio(0.44), 0.5);
        assert_eq!(nice_ratio(0.62), 1.0);
        assert_eq!(nice_ratio(1.0), 1.0);
    }
}
