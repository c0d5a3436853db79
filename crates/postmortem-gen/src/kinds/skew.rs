//! Clock skew: one application host's clock is off by 30–90 s (ahead in
//! dev, behind held out) and the cause is on that host: its deploy agent
//! switches it to a bad release (dev), or its service crashes (held out).
//! Every line that host writes is stamped off by the skew. Truth: the
//! cause's file and line, its true time, and the skew.

use std::io;

use serde_json::{json, Value};

use super::common::*;
use crate::applog::{Ev, Style};
use crate::apps::Extra;
use crate::clock::{truth_time, MIN, SEC};
use crate::ops;
use crate::out::TextLog;
use crate::traffic::{simulate, Fault, FaultKind};

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let front = if dev { Front::Nginx } else { Front::Envoy };
    let day = st.pick((2024, 6, 4), (2024, 2, 27));
    let start = day_at(day, 11, 0);
    let end = start + 3 * 60 * MIN;
    let b = backends(1, &["app-1", "app-2", "app-3"]);
    let host = st.between(0, 3) as usize;
    let secs = st.between(30, 91);
    let skew = if dev { secs * SEC } else { -secs * SEC } + st.between(0, 1000) * 1000;
    let rate = st.scale * (st.pick(5.0, 8.0) * st.uniform(0.85, 1.2));
    let t0 = start + 70 * MIN + st.between(0, 40 * MIN) + st.between(0, 1000) * 1000;
    let from = t0 + st.between(3, 15) * SEC;
    let to = from + st.between(12, 25) * MIN;
    let kind = if dev {
        FaultKind::Creep {
            p0: 0.8,
            p1: 0.8,
            app: true,
        }
    } else {
        FaultKind::Refuse
    };
    let faults = vec![Fault {
        backend: host,
        from,
        to,
        kind,
        incident: Some(1),
    }];
    let p = plan(
        (start, end),
        rate,
        st.humans(5000),
        stack(front, b, even(3), 20_000),
        faults,
        vec![(from - 2 * MIN, to + 2 * MIN)],
    );
    let traffic = simulate(&p, st.seed);
    write_front(st, front, &traffic, &p, &[])?;
    let name = p.stack.backends[host].name.clone();
    let mut skews = vec![0i64; 3];
    skews[host] = skew;
    let mut extras = Vec::new();
    if dev {
        // The host's deploy agent, stamped by the same wrong clock.
        let mut dl = TextLog::new();
        let w = |t: i64, m: &str| ops::pylog(t + skew, 0, "INFO", "deploy-agent", m);
        dl.push(
            t0 - 6 * SEC,
            w(
                t0 - 6 * SEC,
                "fetched release shop-api 2.15.0 (sha256:9f1c2a7e) from artifacts.internal",
            ),
        );
        dl.push_tagged(t0, w(t0, "switched /srv/shop-api/current -> releases/2.15.0 (was 2.14.3); restarting shop-api"), "cause");
        dl.push(to, w(to, "switched /srv/shop-api/current -> releases/2.14.3 (was 2.15.0); restarting shop-api"));
        st.write_log(&format!("{name}/deploy-agent.log"), dl)?;
    } else {
        extras.push(Extra {
            backend: host,
            t: t0,
            ev: Ev::Fatal,
            tag: Some("cause".into()),
        });
        extras.push(Extra {
            backend: host,
            t: to - 3 * SEC,
            ev: Ev::Starting,
            tag: None,
        });
        extras.push(Extra {
            backend: host,
            t: to - 1_200_000,
            ev: Ev::Listening,
            tag: None,
        });
    }
    let styles = if dev {
        [Style::Python, Style::Python, Style::Python]
    } else {
        [Style::Zap, Style::Zap, Style::Zap]
    };
    write_apps(
        st,
        &traffic,
        &p,
        &styles,
        &skews,
        "shop-api",
        app_cfg(),
        extras,
    )?;
    let set_tools = tools(st.set);
    write_changes(
        &[
            (
                set_tools[(st.seed as usize + 2) % set_tools.len()],
                start + 20 * MIN,
                benign(1),
                false,
                None,
            ),
            (
                set_tools[(st.seed as usize + 5) % set_tools.len()],
                t0 - st.between(25, 50) * MIN,
                benign(2),
                false,
                None,
            ),
        ],
        st,
    )?;
    let fired = from + st.between(120, 280) * SEC;
    write_alerts(vec![alert(
        "HighErrorRate",
        "5xx ratio of shop-api above 5% for 3m",
        "sum(rate(http_requests_total{job=\"shop-api\",code=~\"5..\"}[3m])) / sum(rate(http_requests_total{job=\"shop-api\"}[3m])) > 0.05",
        fired,
        to + st.between(60, 200) * SEC,
    )], (start, end), st)?;
    st.variant.push(format!(
        "{} front, {name}'s clock {:+.1} s, cause {}",
        front.format(),
        skew as f64 / 1e6,
        if dev { "deploy agent" } else { "crash" }
    ));
    let stamp = front.stamp();
    let planted = Planted {
        kind: "errors",
        measure: Measure::Errors,
        span: None,
        cause: st.cause("cause", if dev { "change" } else { "crash" }),
        backends: vec![front.label(&p.stack.backends[host])],
        detected_at: Some(fired),
        mitigated_at: Some(to),
        definition: "start/end: the first and last failed request caused by the planted fault, in true time; the cause's `at` is true time (the line itself is stamped `skew.seconds` off)".into(),
    };
    let mut inc = incident(&traffic.reqs, &stamp, 1, &planted);
    let sources: Vec<String> = if dev {
        vec![
            format!("app/{name}.log"),
            format!("{name}/deploy-agent.log"),
        ]
    } else {
        vec![format!("app/{name}.log")]
    };
    if let Some(o) = inc.as_object_mut() {
        o.insert(
            "skew".into(),
            json!({"host": name, "seconds": skew as f64 / 1e6, "sources": sources}),
        );
        if let Some(c) = o.get_mut("cause").and_then(Value::as_object_mut) {
            if let Some(at) = st.at("cause") {
                c.insert("at".into(), json!(truth_time(at, 1000)));
                c.insert("stamped".into(), json!(truth_time(at + skew, 1000)));
            }
        }
    }
    Ok(doc(
        st,
        Some(front),
        &traffic,
        &stamp,
        vec![inc],
        vec![format!(
            "{name}'s clock is {:+.3} s off: its lines are stamped that much {}",
            skew as f64 / 1e6,
            if skew > 0 { "late" } else { "early" }
        )],
    ))
}
