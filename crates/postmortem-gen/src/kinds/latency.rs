//! Latency: the database behind the service slows down and p99 goes from
//! about 100 ms to several seconds for about half an hour; nothing fails
//! (timeouts are long), a latency alert fires. Truth: kind `latency`,
//! slow requests (≥ 1 s at the front) and the clients who saw one.

use std::io;

use serde_json::Value;

use super::common::*;
use crate::applog::Style;
use crate::clock::{MIN, SEC};
use crate::traffic::{simulate, Fault, FaultKind};

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let front = if dev { Front::Nginx } else { Front::Istio };
    let day = st.pick((2024, 4, 9), (2024, 6, 18));
    let start = day_at(day, 9, 0);
    let end = start + st.pick(3, 4) * 60 * MIN;
    let names: &[&str] = if dev {
        &["app-1", "app-2", "app-3"]
    } else {
        &[
            "shop-api-7d9c8b6f5-x2k4q",
            "shop-api-7d9c8b6f5-m8v7p",
            "shop-api-7d9c8b6f5-q4w9z",
            "shop-api-7d9c8b6f5-h2j6n",
        ]
    };
    let b = backends(if dev { 1 } else { 42 }, names);
    let n = b.len();
    let rate = st.scale * (if dev { 5.0 } else { 11.0 } * st.uniform(0.8, 1.25));
    let change = start + 70 * MIN + st.between(0, 40 * MIN) + st.between(0, 1000) * 1000;
    let from = change + st.between(20, 70) * SEC;
    let dur = st.between(25, 36) * MIN;
    let to = from + dur;
    let factor = st.uniform(18.0, 35.0);
    let ramp = st.between(30, 120) * SEC;
    let faults = (0..n)
        .map(|bi| Fault {
            backend: bi,
            from,
            to,
            kind: FaultKind::Slow { factor, ramp },
            incident: Some(1),
        })
        .collect();
    let quiet = vec![(from - 2 * MIN, to + 2 * MIN)];
    let p = plan(
        (start, end),
        rate,
        st.humans(5000),
        stack(front, b, even(n), 60_000),
        faults,
        quiet,
    );
    let traffic = simulate(&p, st.seed);
    write_front(st, front, &traffic, &p, &[])?;
    let styles = if dev {
        [Style::Zap, Style::Pino, Style::SlogText]
    } else {
        [Style::Zerolog, Style::Zerolog, Style::SlogJson]
    };
    write_apps(
        st,
        &traffic,
        &p,
        &styles,
        &[],
        "shop-api",
        app_cfg(),
        vec![],
    )?;
    // The cause: a migration that rebuilt an index without CONCURRENTLY.
    let tool = if dev {
        crate::changes::Tool::Alembic
    } else {
        crate::changes::Tool::Flyway
    };
    let noise = tools(st.set)[st.seed as usize % tools(st.set).len()];
    write_changes(
        &[
            (noise, start + 20 * MIN, benign(1), false, None),
            (
                tool,
                change,
                what("db-01", "10.0.5.10:5432"),
                false,
                Some("cause"),
            ),
        ],
        st,
    )?;
    let fired = from + ramp + st.between(60, 150) * SEC;
    let resolved = to + st.between(60, 180) * SEC;
    let mut spec = alert(
        "HighRequestLatency",
        "p99 latency of shop-api above 2s for 5m",
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service=\"shop-api\"}[5m]))) > 2",
        fired,
        resolved,
    );
    spec.labels[1].1 = "warning".into();
    write_alerts(vec![spec], (start, end), st)?;
    st.variant.push(format!(
        "{} front, {n} backends, slowed x{factor:.0} for {} min, cause {}",
        front.format(),
        dur / MIN,
        tool.name()
    ));
    let stamp = front.stamp();
    let planted = Planted {
        kind: "latency",
        measure: Measure::Slow(SEC),
        span: None,
        cause: st.cause("cause", "change"),
        backends: vec![],
        detected_at: Some(fired),
        mitigated_at: None,
        definition: "start/end: the first and last request slowed by the planted fault that took ≥ 1000 ms at the front; \
                     requests_slow: requests of the window that took ≥ 1000 ms; clients_affected: clients with a slow (or failed) request in the window".into(),
    };
    let inc = incident(&traffic.reqs, &stamp, 1, &planted);
    Ok(doc(
        st,
        Some(front),
        &traffic,
        &stamp,
        vec![inc],
        vec!["a schema migration locks a hot table: every backend answers slowly (no 5xx); the lock is released when the migration's index build finishes".into()],
    ))
}
