//! Refusals: a rate-limit change makes the gateway answer 429 to most
//! requests (odd seeds), or an authentication config change makes it
//! answer 401/403 to most of them (even seeds). Nothing reaches the
//! backends for those, nothing is a 5xx. Truth: kind `refusals`, refused %
//! and the statuses counted.

use std::io;

use serde_json::Value;

use super::common::*;
use crate::applog::Style;
use crate::clock::{MIN, SEC};
use crate::traffic::{simulate, Fault, FaultKind};

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let auth = st.seed.is_multiple_of(2);
    let front = match (dev, auth) {
        (true, _) => Front::TraefikClf,
        (false, false) => Front::Caddy,
        (false, true) => Front::Envoy,
    };
    let day = st.pick((2024, 5, 2), (2024, 7, 23));
    let start = day_at(day, 12, 0);
    let end = start + 3 * 60 * MIN;
    let b = backends(3, &["api-1", "api-2", "api-3"]);
    let rate = st.scale * (st.pick(4.0, 9.0) * st.uniform(0.8, 1.25));
    let change = start + 60 * MIN + st.between(0, 50 * MIN) + st.between(0, 1000) * 1000;
    let from = change + st.between(2, 15) * SEC;
    let dur = st.between(18, 34) * MIN;
    let fix = from + dur;
    let share = st.uniform(0.7, 0.92);
    let (status, alt, statuses): (u16, Option<(u16, f64)>, &'static [u16]) = if auth {
        (401, Some((403, st.uniform(0.15, 0.4))), &[401, 403])
    } else {
        (429, None, &[429])
    };
    let faults = vec![Fault {
        backend: 0,
        from,
        to: fix,
        kind: FaultKind::Deny {
            status,
            alt,
            share,
            ramp: st.between(5, 40) * SEC,
        },
        incident: Some(1),
    }];
    let p = plan(
        (start, end),
        rate,
        st.humans(4000),
        stack(front, b, even(3), 30_000),
        faults,
        vec![],
    );
    let traffic = simulate(&p, st.seed);
    write_front(st, front, &traffic, &p, &[])?;
    write_apps(
        st,
        &traffic,
        &p,
        &[Style::SlogText, Style::SlogText, Style::Zap],
        &[],
        "shop-api",
        app_cfg(),
        vec![],
    )?;
    let set_tools = tools(st.set);
    let tool = set_tools[(st.seed as usize + 1) % set_tools.len()];
    let noise = set_tools[(st.seed as usize + 4) % set_tools.len()];
    let mut w = what("gw-1", "10.0.3.2:8443");
    w.service = if auth {
        "gateway-auth"
    } else {
        "gateway-ratelimit"
    };
    w.from = if auth { "jwks-v41" } else { "rl-avg-500" };
    w.to = if auth { "jwks-v42" } else { "rl-avg-5" };
    write_changes(
        &[
            (noise, start + 25 * MIN, benign(2), false, None),
            (tool, change, w.clone(), false, Some("cause")),
            (tool, fix, w, true, Some("fix")),
        ],
        st,
    )?;
    let fired = from + st.between(120, 300) * SEC;
    let spec = alert(
        if auth { "AuthFailuresHigh" } else { "RateLimitedRequestsHigh" },
        if auth { "more than 30% of requests answered 401/403" } else { "more than 20% of requests rate limited (429)" },
        "sum(rate(gateway_requests_total{code=~\"4..\"}[5m])) / sum(rate(gateway_requests_total[5m])) > 0.2",
        fired,
        fix + st.between(60, 200) * SEC,
    );
    write_alerts(vec![spec], (start, end), st)?;
    st.variant.push(format!(
        "{} front, {} to {:.0}% of requests for {} min, cause {}",
        front.format(),
        if auth { "401/403" } else { "429" },
        share * 100.0,
        dur / MIN,
        tool.name()
    ));
    let stamp = front.stamp();
    let planted = Planted {
        kind: "refusals",
        measure: Measure::Refused(statuses),
        span: None,
        cause: st.cause("cause", "change"),
        backends: vec![],
        detected_at: Some(fired),
        mitigated_at: st.at("fix"),
        definition: "start/end: the first and last request the gateway refused because of the planted change; \
                     requests_refused: requests of the window answered with one of refused_statuses (the background ones included); \
                     clients_affected: clients refused at least once in the window".into(),
    };
    let inc = incident(&traffic.reqs, &stamp, 1, &planted);
    Ok(doc(
        st,
        Some(front),
        &traffic,
        &stamp,
        vec![inc],
        vec![if auth {
            "an auth configuration change (new JWKS) makes the gateway reject most tokens: 401, some 403; no request reaches the backends".into()
        } else {
            "a rate-limit change (average 500/s → 5/s) makes the gateway answer 429 to most requests".into()
        }],
    ))
}
