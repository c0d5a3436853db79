//! A noisy day without an incident: background errors, two latency blips
//! of under a minute, a deploy that changed nothing (a rolling restart with
//! its few refused connections), a couple of minutes with a few 429s, and
//! one backend restart. Truth: no incident.

use std::io;

use serde_json::{json, Value};

use super::common::*;
use crate::applog::{Ev, Style};
use crate::apps::Extra;
use crate::clock::{truth_time, MIN, SEC};
use crate::traffic::{simulate, Fault, FaultKind};

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let front = if dev {
        Front::Nginx
    } else {
        Front::TraefikJson
    };
    let day = st.pick((2024, 3, 19), (2024, 8, 27));
    let start = day_at(day, 8, 0);
    let end = start + 4 * 60 * MIN;
    let b = backends(1, &["app-1", "app-2", "app-3"]);
    let rate = st.scale * (st.pick(5.0, 3.0) * st.uniform(0.8, 1.25));
    let mut faults = Vec::new();
    let mut events = Vec::new();
    let mut extras = Vec::new();
    // Latency blips.
    for k in 0..2 {
        let at_ = start + (40 + 90 * k) * MIN + st.between(0, 30 * MIN);
        let len = st.between(20, 50) * SEC;
        let bi = st.between(0, 3) as usize;
        faults.push(Fault {
            backend: bi,
            from: at_,
            to: at_ + len,
            kind: FaultKind::Slow {
                factor: st.uniform(4.0, 8.0),
                ramp: 5 * SEC,
            },
            incident: None,
        });
        events.push(
            json!({"what": "latency blip", "at": truth_time(at_, SEC), "seconds": len / SEC}),
        );
    }
    // A deploy that changed nothing: a rolling restart.
    let deploy = start + 100 * MIN + st.between(0, 20 * MIN);
    for bi in 0..3 {
        let s = deploy + bi as i64 * 45 * SEC;
        faults.push(Fault {
            backend: bi,
            from: s,
            to: s + 2 * SEC,
            kind: FaultKind::Blip {
                n: 1 + st.between(0, 2) as u32,
            },
            incident: None,
        });
        for (dt, ev) in [
            (-SEC, Ev::Stopping),
            (1_400_000, Ev::Starting),
            (3_000_000, Ev::Listening),
        ] {
            extras.push(Extra {
                backend: bi,
                t: s + dt,
                ev,
                tag: None,
            });
        }
    }
    events.push(json!({"what": "rolling deploy, no effect", "at": truth_time(deploy, SEC)}));
    // A few 429s for a couple of minutes (a partner's batch job).
    let rl = start + 150 * MIN + st.between(0, 30 * MIN);
    faults.push(Fault {
        backend: 0,
        from: rl,
        to: rl + st.between(60, 150) * SEC,
        kind: FaultKind::Deny {
            status: 429,
            alt: None,
            share: st.uniform(0.02, 0.05),
            ramp: SEC,
        },
        incident: None,
    });
    events.push(json!({"what": "a few 429s", "at": truth_time(rl, SEC)}));
    // One backend restart.
    let rs = start + 200 * MIN + st.between(0, 25 * MIN);
    let bi = st.between(0, 3) as usize;
    faults.push(Fault {
        backend: bi,
        from: rs,
        to: rs + 3 * SEC,
        kind: FaultKind::Blip {
            n: 3 + st.between(0, 3) as u32,
        },
        incident: None,
    });
    for (dt, ev) in [
        (-SEC, Ev::Stopping),
        (1_500_000, Ev::Starting),
        (3_300_000, Ev::Listening),
    ] {
        extras.push(Extra {
            backend: bi,
            t: rs + dt,
            ev,
            tag: None,
        });
    }
    events
        .push(json!({"what": "backend restart", "at": truth_time(rs, SEC), "backend": b[bi].addr}));
    let p = plan(
        (start, end),
        rate,
        st.humans(5000),
        stack(front, b, even(3), 20_000),
        faults,
        vec![],
    );
    let traffic = simulate(&p, st.seed);
    write_front(st, front, &traffic, &p, &[])?;
    write_apps(
        st,
        &traffic,
        &p,
        &[Style::Zap, Style::Pino, Style::SlogText],
        &[],
        "shop-api",
        app_cfg(),
        extras,
    )?;
    let set_tools = tools(st.set);
    let tool = set_tools[st.seed as usize % set_tools.len()];
    write_changes(
        &[
            (tool, deploy - 20 * SEC, benign(0), false, None),
            (
                set_tools[(st.seed as usize + 3) % set_tools.len()],
                start + 30 * MIN,
                benign(1),
                false,
                None,
            ),
        ],
        st,
    )?;
    write_alerts(vec![], (start, end), st)?;
    st.variant.push(format!(
        "{} front, deploy by {}",
        front.format(),
        tool.name()
    ));
    let stamp = front.stamp();
    let mut d = doc(
        st,
        Some(front),
        &traffic,
        &stamp,
        vec![],
        vec!["a normal day with its noise; none of it is an incident".into()],
    );
    if let Some(o) = d.as_object_mut() {
        o.insert("noise".into(), Value::Array(events));
    }
    Ok(d)
}
