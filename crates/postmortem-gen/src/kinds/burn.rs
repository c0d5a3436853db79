//! A slow burn: after a release, errors creep from 0.5% to about 12% over
//! hours until the release is rolled back. Truth: the onset is the first
//! sustained departure from baseline (defined in the truth, see
//! [`onset`]), the end the last failure the fault caused.

use std::io;

use serde_json::Value;

use super::common::*;
use crate::applog::Style;
use crate::clock::{HOUR, MIN, SEC};
use crate::traffic::{simulate, Fault, FaultKind, Req};
use crate::truth::Stamp;

/// Width of the windows the onset is judged in.
const WINDOW: i64 = 5 * MIN;
/// How far above the baseline ratio a window must be (percentage points).
const ABOVE: f64 = 0.005;

/// The onset: with B the failed ratio (all 5xx) of the hour before the
/// fault, the first 5-minute window (counted from the fault's start) from
/// which every window up to the fault's end has a ratio above B + 0.5
/// points; the onset is the first failed request in that window.
pub fn onset(reqs: &[Req], stamp: &Stamp, from: i64, to: i64) -> Option<i64> {
    let (mut n0, mut f0) = (0usize, 0usize);
    for r in reqs
        .iter()
        .filter(|r| stamp.of(r) >= from - HOUR && stamp.of(r) < from)
    {
        n0 += 1;
        f0 += usize::from(r.failed());
    }
    let base = if n0 == 0 { 0.0 } else { f0 as f64 / n0 as f64 };
    let k = ((to - from) / WINDOW).max(1) as usize;
    let mut counts = vec![(0usize, 0usize); k];
    for r in reqs {
        let s = stamp.of(r);
        if s < from || s >= from + k as i64 * WINDOW {
            continue;
        }
        let i = ((s - from) / WINDOW) as usize;
        counts[i].0 += 1;
        counts[i].1 += usize::from(r.failed());
    }
    let above: Vec<bool> = counts
        .iter()
        .map(|&(n, f)| n > 0 && f as f64 / n as f64 > base + ABOVE)
        .collect();
    let first = (0..k).find(|&i| above[i..].iter().all(|&a| a))?;
    let w0 = from + first as i64 * WINDOW;
    reqs.iter()
        .filter(|r| r.failed())
        .map(|r| stamp.of(r))
        .filter(|&s| s >= w0 && s < w0 + WINDOW)
        .min()
}

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let front = if dev { Front::Envoy } else { Front::Nginx };
    let day = st.pick((2024, 1, 16), (2024, 10, 1));
    let start = day_at(day, 7, 0);
    let end = start + 7 * HOUR;
    let b = backends(6, &["api-a", "api-b", "api-c"]);
    let rate = st.scale * (st.pick(4.0, 8.0) * st.uniform(0.85, 1.2));
    let change = start + 90 * MIN + st.between(0, 30 * MIN) + st.between(0, 1000) * 1000;
    let from = change + st.between(60, 180) * SEC;
    let hours = st.uniform(2.5, 4.0);
    let to = from + (hours * HOUR as f64) as i64;
    let p1 = st.uniform(0.10, 0.13);
    let faults = (0..3)
        .map(|bi| Fault {
            backend: bi,
            from,
            to,
            kind: FaultKind::Creep {
                p0: 0.005,
                p1,
                app: !dev,
            },
            incident: Some(1),
        })
        .collect();
    let p = plan(
        (start, end),
        rate,
        st.humans(6000),
        stack(front, b, even(3), 15_000),
        faults,
        vec![],
    );
    let traffic = simulate(&p, st.seed);
    write_front(st, front, &traffic, &p, &[])?;
    let mut cfg = app_cfg();
    if !dev {
        cfg.planted_error = Some(crate::applog::Ev::Custom {
            level: "error",
            caller: "db/tx.go:212",
            msg: "transaction aborted: too many clients already".into(),
            fields: vec![("pool", "primary".into())],
        });
    }
    write_apps(
        st,
        &traffic,
        &p,
        &[Style::Zap, Style::SlogJson, Style::Zap],
        &[],
        "shop-api",
        cfg,
        vec![],
    )?;
    let set_tools = tools(st.set);
    let tool = set_tools[(st.seed as usize + 6) % set_tools.len()];
    write_changes(
        &[
            (
                set_tools[(st.seed as usize + 1) % set_tools.len()],
                start + 30 * MIN,
                benign(3),
                false,
                None,
            ),
            (
                tool,
                change,
                what("api-a", "10.0.6.11:8080"),
                false,
                Some("cause"),
            ),
            (tool, to, what("api-a", "10.0.6.11:8080"), true, Some("fix")),
        ],
        st,
    )?;
    let stamp = front.stamp();
    let onset_at = onset(&traffic.reqs, &stamp, from, to);
    let last = planted_edges(&traffic.reqs, &stamp, 1, Measure::Errors).map(|e| e.1);
    let span = match (onset_at, last) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let fired = onset_at.unwrap_or(from) + st.between(20, 60) * MIN;
    write_alerts(vec![alert(
        "ErrorBudgetBurn",
        "shop-api is burning its error budget 6x faster than allowed",
        "sum(rate(http_requests_total{job=\"shop-api\",code=~\"5..\"}[1h])) / sum(rate(http_requests_total{job=\"shop-api\"}[1h])) > 6 * 0.001",
        fired,
        to + st.between(5, 20) * MIN,
    )], (start, end), st)?;
    st.variant.push(format!(
        "{} front, 0.5% → {:.1}% over {hours:.1} h, cause {}",
        front.format(),
        p1 * 100.0,
        tool.name()
    ));
    let planted = Planted {
        kind: "errors",
        measure: Measure::Errors,
        span,
        cause: st.cause("cause", "change"),
        backends: vec![],
        detected_at: Some(fired),
        mitigated_at: st.at("fix"),
        definition: "start (onset): with B the failed ratio (5xx) of the hour before the fault began, the first failed request of the first 5-minute window \
                     (counted from the fault's start) from which every 5-minute window until the fault ends is above B + 0.5 points; \
                     end: the last failed request the fault caused".into(),
    };
    let inc = incident(&traffic.reqs, &stamp, 1, &planted);
    Ok(doc(st, Some(front), &traffic, &stamp, vec![inc], vec![
        format!("the fault (a connection leak in the release) begins at {}: failure probability 0.5% rising linearly to {:.1}%", crate::clock::truth_time(from, SEC), p1 * 100.0),
    ]))
}
