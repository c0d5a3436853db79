//! A stuttering onset and a thin-traffic end, at about 150 requests a
//! minute: the fault's first burst, a calmer minute or so, then the storm;
//! after the real end (the fix), a couple of background failures a few
//! minutes apart. Truth: the start is the first failure of the first
//! burst, the end the last failure the fault caused (the background ones
//! after it are not the incident).

use std::io;

use serde_json::Value;

use super::common::*;
use crate::applog::Style;
use crate::clock::{MIN, SEC};
use crate::traffic::{simulate, Fault, FaultKind};

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let front = if dev {
        Front::Apache
    } else {
        Front::TraefikJson
    };
    let day = st.pick((2024, 2, 14), (2024, 9, 10));
    let start = day_at(day, 10, 0);
    let end = start + st.pick(150, 140) * MIN;
    let b = backends(2, &["web-1", "web-2"]);
    // ~150 requests a minute (the day's curve is about 1.1 at this hour);
    // not scaled: thin traffic is the point.
    let rate = st.pick(2.3, 2.0) * st.uniform(0.9, 1.1);
    let change = start + 50 * MIN + st.between(0, 30 * MIN) + st.between(0, 1000) * 1000;
    let burst = change + st.between(30, 90) * SEC;
    let burst_end = burst + st.between(30, 70) * SEC;
    let storm = burst_end + st.between(60, 110) * SEC;
    let fix = storm + st.between(12, 25) * MIN;
    let p_burst = st.uniform(0.25, 0.45);
    let p_storm = st.uniform(0.45, 0.7);
    let mut faults = Vec::new();
    for bi in 0..2 {
        faults.push(Fault {
            backend: bi,
            from: burst,
            to: burst_end,
            kind: FaultKind::Creep {
                p0: p_burst,
                p1: p_burst,
                app: false,
            },
            incident: Some(1),
        });
        faults.push(Fault {
            backend: bi,
            from: storm,
            to: fix,
            kind: FaultKind::Creep {
                p0: p_storm,
                p1: p_storm,
                app: false,
            },
            incident: Some(1),
        });
    }
    // The calm: a failure now and then, still the fault's.
    faults.push(Fault {
        backend: 0,
        from: burst_end,
        to: storm,
        kind: FaultKind::Creep {
            p0: 0.03,
            p1: 0.03,
            app: false,
        },
        incident: Some(1),
    });
    // Background failures after the end: one to three minutes, then four
    // to seven (a request each, to a backend restarting or a bad client).
    let b1 = fix + st.between(60, 180) * SEC;
    let b2 = fix + st.between(240, 420) * SEC;
    for (bi, at_) in [(0usize, b1), (1, b2)] {
        faults.push(Fault {
            backend: bi,
            from: at_,
            to: at_ + SEC,
            kind: FaultKind::Blip { n: 1 },
            incident: None,
        });
    }
    // Background 5xx stay out of the minutes before the burst only in dev.
    let quiet = if dev {
        vec![(burst - 3 * MIN, fix)]
    } else {
        vec![(burst - 30 * SEC, fix)]
    };
    let p = plan(
        (start, end),
        rate,
        st.humans(1500),
        stack(front, b, even(2), 15_000),
        faults,
        quiet,
    );
    let traffic = simulate(&p, st.seed);
    write_front(st, front, &traffic, &p, &[])?;
    write_apps(
        st,
        &traffic,
        &p,
        &[Style::Python, Style::Python],
        &[],
        "shop-web",
        app_cfg(),
        vec![],
    )?;
    let set_tools = tools(st.set);
    let tool = set_tools[(st.seed as usize + 3) % set_tools.len()];
    let mut w = what("web-1", "10.0.2.11:8080");
    w.service = "shop-web";
    write_changes(
        &[
            (tool, change, w.clone(), false, Some("cause")),
            (tool, fix, w, true, Some("fix")),
        ],
        st,
    )?;
    let fired = storm + st.between(100, 240) * SEC;
    write_alerts(vec![alert(
        "HighErrorRate",
        "5xx ratio of shop-web above 5% for 3m",
        "sum(rate(http_requests_total{job=\"shop-web\",code=~\"5..\"}[3m])) / sum(rate(http_requests_total{job=\"shop-web\"}[3m])) > 0.05",
        fired,
        fix + st.between(90, 240) * SEC,
    )], (start, end), st)?;
    st.variant.push(format!(
        "{} front at ~{:.0} req/min, burst {} s, calm {} s, storm {} min, cause {}",
        front.format(),
        rate * 60.0 * 1.1,
        (burst_end - burst) / SEC,
        (storm - burst_end) / SEC,
        (fix - storm) / MIN,
        tool.name()
    ));
    let stamp = front.stamp();
    let planted = Planted {
        kind: "errors",
        measure: Measure::Errors,
        span: None,
        cause: st.cause("cause", "change"),
        backends: vec![],
        detected_at: Some(fired),
        mitigated_at: st.at("fix"),
        definition: "start: the first failed request of the fault's first burst (the calm minute and the storm after it are one incident); \
                     end: the last failed request the fault caused; the background failures after the fix are not part of it".into(),
    };
    let inc = incident(&traffic.reqs, &stamp, 1, &planted);
    Ok(doc(
        st,
        Some(front),
        &traffic,
        &stamp,
        vec![inc],
        vec![format!(
            "background failures after the end at {} and {}",
            crate::clock::truth_time(b1, SEC),
            crate::clock::truth_time(b2, SEC)
        )],
    ))
}
