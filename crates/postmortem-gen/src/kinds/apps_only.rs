//! Application logs only: no request log at all; the services log
//! error-level lines in words no pattern knows ("pool is full, 32 of 32
//! connections busy") while an alert fires. Truth: kind
//! `errors_from_app_logs`, start and end the first and last such line.

use std::io;

use serde_json::{json, Value};

use super::common::*;
use crate::applog::{after, Ev, Style};
use crate::clock::{truth_time, MIN, SEC};
use crate::traffic::{simulate, Fail, Fault, FaultKind};
use crate::truth::Stamp;

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let day = st.pick((2024, 3, 5), (2024, 12, 3));
    let start = day_at(day, 8, 0);
    let end = start + 3 * 60 * MIN;
    let names: &[&str] = if dev {
        &["api-1", "api-2", "api-3"]
    } else {
        &["billing-1", "billing-2"]
    };
    let b = backends(7, names);
    let n = b.len();
    let rate = st.scale * (st.pick(3.0, 5.0) * st.uniform(0.85, 1.2));
    let change = start + 60 * MIN + st.between(0, 50 * MIN) + st.between(0, 1000) * 1000;
    let from = change + st.between(30, 120) * SEC;
    let to = from + st.between(15, 35) * MIN;
    let pfail = st.uniform(0.08, 0.2);
    let faults = (0..n)
        .map(|bi| Fault {
            backend: bi,
            from,
            to,
            kind: FaultKind::Creep {
                p0: pfail,
                p1: pfail,
                app: true,
            },
            incident: Some(1),
        })
        .collect();
    let p = plan(
        (start, end),
        rate,
        st.humans(3000),
        stack(Front::Envoy, b, even(n), 30_000),
        faults,
        vec![(from - 2 * MIN, to + 2 * MIN)],
    );
    let traffic = simulate(&p, st.seed);
    let mut cfg = app_cfg();
    cfg.planted_error = Some(if dev {
        Ev::Custom {
            level: "error",
            caller: "store/pool.go:141",
            msg: "pool is full, 32 of 32 connections busy".into(),
            fields: vec![("waiters", "57".into())],
        }
    } else {
        Ev::Custom { level: "error", caller: "c.e.billing.LedgerClient", msg: "ledger handoff stalled: no free slot in upstream pool (48/48 in use), request parked".into(), fields: vec![] }
    });
    let styles = if dev {
        vec![Style::SlogText, Style::Zerolog, Style::SlogText]
    } else {
        vec![Style::Log4j, Style::Python]
    };
    write_apps(
        st,
        &traffic,
        &p,
        &styles,
        &[],
        if dev { "shop-api" } else { "billing" },
        cfg,
        vec![],
    )?;
    let set_tools = tools(st.set);
    let tool = set_tools[(st.seed as usize + 8) % set_tools.len()];
    write_changes(
        &[
            (
                tool,
                change,
                what("api-1", "10.0.7.11:8080"),
                false,
                Some("cause"),
            ),
            (
                tool,
                to + st.between(-40, 0) * SEC,
                what("api-1", "10.0.7.11:8080"),
                true,
                Some("fix"),
            ),
        ],
        st,
    )?;
    // The error lines: one per failed request, written as it finishes.
    let lines: Vec<i64> = traffic
        .reqs
        .iter()
        .filter(|r| r.planted == Some(1) && r.fail == Fail::App)
        .filter_map(|r| r.attempts.last().map(|a| after(r.t0, a.us)))
        .collect();
    let first = lines.iter().copied().min().unwrap_or(from);
    let last = lines.iter().copied().max().unwrap_or(to);
    let fired = first + st.between(120, 300) * SEC;
    write_alerts(
        vec![alert(
            "ServiceErrorLogsHigh",
            "more than 20 error log lines a minute from the service",
            "sum(rate(log_lines_total{level=\"error\"}[5m])) * 60 > 20",
            fired,
            last + st.between(60, 240) * SEC,
        )],
        (start, end),
        st,
    )?;
    st.variant.push(format!(
        "{} hosts, {:.0}% of requests failing for {} min, cause {}",
        n,
        pfail * 100.0,
        (to - from) / MIN,
        tool.name()
    ));
    let stamp = Stamp {
        resolution: 1000,
        at_end: true,
    };
    let planted = Planted {
        kind: "errors_from_app_logs",
        measure: Measure::Errors,
        span: Some((first, last)),
        cause: st.cause("cause", "change"),
        backends: vec![],
        detected_at: Some(fired),
        mitigated_at: st.at("fix"),
        definition: "no request log: start/end are the first and last error line the fault made the services write (ms); no failed % or clients".into(),
    };
    let mut inc = incident(&traffic.reqs, &stamp, 1, &planted);
    if let Some(o) = inc.as_object_mut() {
        for k in [
            "requests_total",
            "requests_failed",
            "failed_pct",
            "clients_total",
            "clients_affected",
            "clients_affected_pct",
        ] {
            o.insert(k.into(), Value::Null);
        }
        o.insert("error_lines".into(), json!(lines.len()));
        o.insert(
            "start".into(),
            json!(truth_time(first - first.rem_euclid(1000), 1000)),
        );
        o.insert(
            "end".into(),
            json!(truth_time(last - last.rem_euclid(1000), 1000)),
        );
    }
    Ok(doc(st, None, &traffic, &stamp, vec![inc], vec![
        "the services' own request lines are sampled; the front's log is not part of the inputs".into(),
    ]))
}
