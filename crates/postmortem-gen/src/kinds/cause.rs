//! The cause whatever its wording: an incident caused by a change written
//! by one of the set's tools (the seed walks through them: Argo CD, Helm,
//! kubectl in a chat-ops bot's JSON, Terraform, Unleash, Alembic, a
//! `diff=` record, a kubectl rollout in dev; Flux, Nomad, Puppet, Chef,
//! Salt, LaunchDarkly, Flagsmith, Envoy xDS, HAProxy's runtime API,
//! `action=apply`, Flyway, Liquibase held out), with benign changes of
//! other tools earlier in the day; and one variant per set with no change
//! at all, where the first error is the cause (an expired certificate in
//! dev, a database failover held out).

use std::io;

use serde_json::Value;

use super::common::*;
use super::Set;
use crate::applog::{Ev, Style};
use crate::apps::Extra;
use crate::changes::Tool;
use crate::clock::{comma_ms, MIN, SEC};
use crate::out::TextLog;
use crate::traffic::{simulate, Fault, FaultKind};

pub fn variants(set: Set) -> usize {
    tools(set).len() + 1
}

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let front = if dev { Front::Nginx } else { Front::Envoy };
    let set_tools = tools(st.set);
    let v = (st.seed.max(1) as usize - 1) % variants(st.set);
    let tool = set_tools.get(v).copied();
    let day = st.pick((2024, 5, 14), (2024, 10, 22));
    let start = day_at(day, 9, 30);
    let end = start + 3 * 60 * MIN;
    let b = backends(1, &["app-1", "app-2", "app-3"]);
    let rate = st.scale * (st.pick(4.0, 7.0) * st.uniform(0.8, 1.25));
    let change = start + 70 * MIN + st.between(0, 40 * MIN) + st.between(0, 1000) * 1000;
    let from = change + st.between(20, 90) * SEC;
    let to = from + st.between(12, 30) * MIN;
    // Load-balancer-side changes break one backend; the others break the app.
    let lb_side = matches!(
        tool,
        Some(
            Tool::EnvoyXds
                | Tool::HaproxyRuntime
                | Tool::Terraform
                | Tool::DiffField
                | Tool::Salt
                | Tool::Puppet
                | Tool::Chef
        )
    );
    let victim = st.between(0, 3) as usize;
    let faults: Vec<Fault> = if lb_side {
        vec![Fault {
            backend: victim,
            from,
            to,
            kind: FaultKind::Creep {
                p0: 0.7,
                p1: 0.7,
                app: false,
            },
            incident: Some(1),
        }]
    } else {
        let pf = st.uniform(0.15, 0.35);
        (0..3)
            .map(|bi| Fault {
                backend: bi,
                from,
                to,
                kind: FaultKind::Creep {
                    p0: pf,
                    p1: pf,
                    app: true,
                },
                incident: Some(1),
            })
            .collect()
    };
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
    let mut cfg = app_cfg();
    let mut extras = Vec::new();
    let mut benign_at = start + 15 * MIN;
    let mut entries = Vec::new();
    for k in 0..3 {
        let t = set_tools[(v + 1 + 3 * k) % set_tools.len()];
        entries.push((t, benign_at, benign(k), false, None));
        benign_at += st.between(20, 35) * MIN;
    }
    let mut cause_kind = "change";
    match tool {
        Some(tool) => {
            let host = ["app-1", "app-2", "app-3"][victim];
            let addr = ["10.0.1.11:8080", "10.0.1.12:8080", "10.0.1.13:8080"][victim];
            entries.push((tool, change, what(host, addr), false, Some("cause")));
            entries.push((tool, to, what(host, addr), true, Some("fix")));
            st.variant.push(format!("cause by {}", tool.name()));
        }
        None if dev => {
            cause_kind = "error";
            let msg = "Post \"https://payments.partner.example.net/v2/charge\": tls: failed to verify certificate: x509: certificate has expired or is not yet valid";
            cfg.planted_error = Some(Ev::Custom {
                level: "error",
                caller: "payments/client.go:77",
                msg: msg.into(),
                fields: vec![],
            });
            extras.push(Extra {
                backend: 0,
                t: from - 300_000,
                ev: Ev::Custom {
                    level: "error",
                    caller: "payments/client.go:77",
                    msg: msg.into(),
                    fields: vec![("attempt", "1".into())],
                },
                tag: Some("cause".into()),
            });
            st.variant
                .push("no change: the partner's TLS certificate expired".into());
        }
        None => {
            cause_kind = "error";
            cfg.planted_error = Some(Ev::Custom {
                level: "error",
                caller: "db/conn.go:58",
                msg: "dial tcp 10.0.5.10:5432: connect: connection refused".into(),
                fields: vec![("db", "primary".into())],
            });
            let pg = |t: i64, lvl: &str, pid: u32, m: &str| {
                format!(
                    "{} UTC [{pid}] {lvl}:  {m}",
                    &comma_ms(t, 0).replace(',', ".")
                )
            };
            let mut l1 = TextLog::new();
            let c = from - 400_000;
            l1.push(c - 20 * MIN, pg(c - 20 * MIN, "LOG", 1, "checkpoint complete: wrote 2211 buffers (13.5%); 0 WAL file(s) added, 0 removed, 3 recycled"));
            l1.push_tagged(
                c,
                pg(
                    c,
                    "PANIC",
                    8812,
                    "could not write to file \"pg_wal/xlogtemp.8812\": No space left on device",
                ),
                "cause",
            );
            l1.push(
                c + 30_000,
                pg(
                    c + 30_000,
                    "LOG",
                    1,
                    "WAL writer process (PID 8812) was terminated by signal 6: Aborted",
                ),
            );
            l1.push(
                c + 31_000,
                pg(
                    c + 31_000,
                    "LOG",
                    1,
                    "terminating any other active server processes",
                ),
            );
            st.write_log("db/postgresql-db-01.log", l1)?;
            let mut l2 = TextLog::new();
            l2.push(
                to - 3 * SEC,
                pg(to - 3 * SEC, "LOG", 611, "received promote request"),
            );
            l2.push(
                to - 2 * SEC,
                pg(to - 2 * SEC, "LOG", 611, "redo done at 3/5A0012F8"),
            );
            l2.push_tagged(
                to,
                pg(
                    to,
                    "LOG",
                    1,
                    "database system is ready to accept connections",
                ),
                "fix",
            );
            st.write_log("db/postgresql-db-02.log", l2)?;
            st.variant
                .push("no change: the database primary fails, a replica is promoted".into());
        }
    }
    write_changes(&entries, st)?;
    write_apps(
        st,
        &traffic,
        &p,
        &[Style::Zap, Style::Pino, Style::SlogText],
        &[],
        "shop-api",
        cfg,
        extras,
    )?;
    let fired = from + st.between(120, 300) * SEC;
    write_alerts(vec![alert(
        "HighErrorRate",
        "5xx ratio of shop-api above 5% for 3m",
        "sum(rate(http_requests_total{job=\"shop-api\",code=~\"5..\"}[3m])) / sum(rate(http_requests_total{job=\"shop-api\"}[3m])) > 0.05",
        fired,
        to + st.between(60, 200) * SEC,
    )], (start, end), st)?;
    let stamp = front.stamp();
    let backends = if lb_side {
        vec![front.label(&p.stack.backends[victim])]
    } else {
        vec![]
    };
    let planted = Planted {
        kind: "errors",
        measure: Measure::Errors,
        span: None,
        cause: st.cause("cause", cause_kind),
        backends,
        detected_at: Some(fired),
        mitigated_at: st.at("fix"),
        definition: "start/end: the first and last failed request caused by the planted fault; the cause is the change line (or, with no change, the first error line that is the failure itself)".into(),
    };
    let inc = incident(&traffic.reqs, &stamp, 1, &planted);
    Ok(doc(
        st,
        Some(front),
        &traffic,
        &stamp,
        vec![inc],
        vec![format!(
            "variant {} of {} (seed {} walks through them)",
            v + 1,
            variants(st.set),
            st.seed
        )],
    ))
}
