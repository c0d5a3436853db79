//! A partly failing fleet: two of six backends fail a quarter to all of
//! their requests while the fleet-wide failed ratio stays under 10%.
//! Truth: every failing backend named.

use std::io;

use serde_json::Value;

use super::common::*;
use crate::applog::Style;
use crate::clock::{MIN, SEC};
use crate::traffic::{simulate, Fault, FaultKind};

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let front = if dev {
        Front::HaproxyRaw
    } else {
        Front::Ingress
    };
    let day = st.pick((2024, 3, 27), (2024, 8, 6));
    let start = day_at(day, 13, 0);
    let end = start + 3 * 60 * MIN;
    let names: Vec<String> = if dev {
        (1..=6).map(|i| format!("app-0{i}")).collect()
    } else {
        (1..=6).map(|i| format!("shop-api-{i}")).collect()
    };
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let b = backends(if dev { 1 } else { 44 }, &refs);
    let rate = st.scale * (st.pick(7.0, 14.0) * st.uniform(0.8, 1.2));
    let change = start + 50 * MIN + st.between(0, 60 * MIN) + st.between(0, 1000) * 1000;
    let from = change + st.between(15, 60) * SEC;
    let to = from + st.between(20, 40) * MIN;
    // Which two, and how badly.
    let first = st.between(0, 6) as usize;
    let second = (first + 1 + st.between(0, 5) as usize) % 6;
    let (weights, p1, p2, app) = if dev {
        (
            vec![1u32; 6],
            st.uniform(0.25, 0.32),
            st.uniform(0.25, 0.3),
            false,
        )
    } else {
        // A canary at a quarter of the others' weight fails everything.
        let mut w = vec![5u32; 6];
        w[first] = 1;
        (w, 1.0, st.uniform(0.25, 0.3), true)
    };
    let faults = vec![
        Fault {
            backend: first,
            from,
            to,
            kind: FaultKind::Creep { p0: p1, p1, app },
            incident: Some(1),
        },
        Fault {
            backend: second,
            from,
            to,
            kind: FaultKind::Creep {
                p0: p2,
                p1: p2,
                app,
            },
            incident: Some(1),
        },
    ];
    let quiet = if dev {
        vec![(from - 90 * SEC, to + 90 * SEC)]
    } else {
        vec![]
    };
    let phases = vec![(i64::MIN, weights)];
    let p = plan(
        (start, end),
        rate,
        st.humans(6000),
        stack(front, b, phases, 20_000),
        faults,
        quiet,
    );
    let traffic = simulate(&p, st.seed);
    write_front(st, front, &traffic, &p, &[])?;
    write_apps(
        st,
        &traffic,
        &p,
        &[Style::Log4j, Style::Log4j, Style::Python],
        &[],
        "shop-api",
        app_cfg(),
        vec![],
    )?;
    let set_tools = tools(st.set);
    let tool = set_tools[(st.seed as usize + 2) % set_tools.len()];
    let mut w = what(if dev { "app-03" } else { "shop-api-3" }, "10.0.1.13:8080");
    w.host = match first {
        0 => "app-01",
        1 => "app-02",
        2 => "app-03",
        3 => "app-04",
        4 => "app-05",
        _ => "app-06",
    };
    write_changes(
        &[
            (
                set_tools[(st.seed as usize + 5) % set_tools.len()],
                start + 15 * MIN,
                benign(0),
                false,
                None,
            ),
            (tool, change, w.clone(), false, Some("cause")),
            (tool, to, w, true, Some("fix")),
        ],
        st,
    )?;
    let fired = from + st.between(150, 400) * SEC;
    write_alerts(vec![alert(
        "BackendErrorsHigh",
        "a backend of shop-api answers more than 20% 5xx",
        "max by (server) (rate(backend_http_responses_total{code=\"5xx\"}[5m]) / rate(backend_http_responses_total[5m])) > 0.2",
        fired,
        to + st.between(60, 200) * SEC,
    )], (start, end), st)?;
    let stamp = front.stamp();
    let labels = vec![
        front.label(&p.stack.backends[first]),
        front.label(&p.stack.backends[second]),
    ];
    let shares = backend_failed_pct(&traffic.reqs, &p.stack, from, to);
    st.variant.push(format!(
        "{} front, failing {} and {}, cause {}",
        front.format(),
        labels[0],
        labels[1],
        tool.name()
    ));
    let planted = Planted {
        kind: "errors",
        measure: Measure::Errors,
        span: None,
        cause: st.cause("cause", "change"),
        backends: labels,
        detected_at: Some(fired),
        mitigated_at: st.at("fix"),
        definition: "start/end: the first and last failed request caused by the planted fault; backends: every backend the fault made fail, as the front names it".into(),
    };
    let inc = incident(&traffic.reqs, &stamp, 1, &planted);
    let shares: Vec<String> = shares.iter().map(|(n, p)| format!("{n} {p}%")).collect();
    Ok(doc(
        st,
        Some(front),
        &traffic,
        &stamp,
        vec![inc],
        vec![
            format!(
                "failed share per backend during the fault: {}",
                shares.join(", ")
            ),
            "the fleet-wide failed ratio stays under 10%: only a per-backend view finds it".into(),
        ],
    ))
}
