//! Crash loops and flapping. Dev: one of four backends behind HAProxy
//! (over syslog) crashes every minute or two; HAProxy's health checks take
//! it out (`is DOWN`) and put it back (`is UP`) each time, and requests
//! that reach it before the check notices are refused (503 SC). Held-out:
//! a pod behind ingress-nginx in CrashLoopBackOff, the kubelet's klog lines
//! telling each death, back-off and restart. Truth: the span from the
//! first crash to the last recovery; the cause is the first crash.

use std::io;

use serde_json::Value;

use super::common::*;
use crate::applog::{Ev, Style};
use crate::apps::Extra;
use crate::clock::{MIN, SEC};
use crate::haproxy;
use crate::kube::{self, Pod};
use crate::out::TextLog;
use crate::traffic::{simulate, Fault, FaultKind};

pub fn run(st: &mut Story) -> io::Result<Value> {
    let dev = st.dev();
    let front = if dev {
        Front::HaproxySyslog
    } else {
        Front::Ingress
    };
    let day = st.pick((2024, 4, 24), (2024, 11, 5));
    let start = day_at(day, 15, 0);
    let end = start + 3 * 60 * MIN;
    let names: Vec<String> = if dev {
        (1..=4).map(|i| format!("app-0{i}")).collect()
    } else {
        ["x2k4q", "m8v7p", "q4w9z", "h2j6n"]
            .iter()
            .map(|s| format!("shop-api-7d9c8b6f5-{s}"))
            .collect()
    };
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let b = backends(if dev { 1 } else { 42 }, &refs);
    let victim = st.between(0, 4) as usize;
    let rate = st.scale * (st.pick(6.0, 10.0) * st.uniform(0.85, 1.2));
    let first = start + 60 * MIN + st.between(0, 50 * MIN) + st.between(0, 1000) * 1000;
    // Cycles: (crash, out of the pool, restarted, back in the pool).
    let mut cycles = Vec::new();
    let mut c = first;
    let n = st.between(6, 11) as usize;
    for k in 0..n {
        let (out_at, restart, back) = if dev {
            let out_at = c + st.between(4_000, 7_000) * 1000;
            let restart = c + st.between(8, 20) * SEC;
            (out_at, restart, restart + st.between(4_000, 6_500) * 1000)
        } else {
            let backoff = (10i64 << k.min(4)).min(300) * SEC;
            let out_at = c + st.between(5, 13) * SEC;
            let restart = c + backoff + st.between(500, 1500) * 1000;
            (out_at, restart, restart + st.between(5, 9) * SEC)
        };
        cycles.push((c, out_at, restart, back));
        c = back + st.between(25, 110) * SEC;
    }
    let last_back = cycles.last().map_or(first, |x| x.3);
    let mut phases = vec![(i64::MIN, vec![1u32; 4])];
    let mut faults = Vec::new();
    for &(crash, out_at, _, back) in &cycles {
        faults.push(Fault {
            backend: victim,
            from: crash,
            to: out_at,
            kind: FaultKind::Refuse,
            incident: Some(1),
        });
        let mut w = vec![1u32; 4];
        w[victim] = 0;
        phases.push((out_at, w));
        phases.push((back, vec![1u32; 4]));
    }
    let p = plan(
        (start, end),
        rate,
        st.humans(5000),
        stack(front, b, phases, 20_000),
        faults,
        vec![(first - 90 * SEC, last_back + 90 * SEC)],
    );
    let traffic = simulate(&p, st.seed);
    let mut notices = Vec::new();
    let mut extras = Vec::new();
    let mut kl = TextLog::new();
    let pod = Pod {
        namespace: "shop",
        name: &names[victim],
        container: "shop-api",
        ip: &p.stack.backends[victim].addr,
    };
    for (k, &(crash, out_at, restart, back)) in cycles.iter().enumerate() {
        let tag = (k == 0).then(|| "cause".to_string());
        if dev {
            notices.push((out_at, haproxy::health_line(&names[victim], false, 3, true)));
            notices.push((back, haproxy::health_line(&names[victim], true, 4, false)));
            extras.push(Extra {
                backend: victim,
                t: crash,
                ev: Ev::Fatal,
                tag,
            });
            extras.push(Extra {
                backend: victim,
                t: restart,
                ev: Ev::Starting,
                tag: None,
            });
            extras.push(Extra {
                backend: victim,
                t: restart + 1_800_000,
                ev: Ev::Listening,
                tag: (k + 1 == cycles.len()).then(|| "recovered".to_string()),
            });
        } else {
            extras.push(Extra {
                backend: victim,
                t: crash - 2_000,
                ev: Ev::Fatal,
                tag: None,
            });
            kube::died(&mut kl, &pod, crash, k, 137, tag.as_deref());
            for j in 0..3 {
                kube::probe_failed(&mut kl, &pod, crash + 1_000_000 + j * 4 * SEC);
            }
            if k + 1 < cycles.len() || k < 8 {
                kube::backoff(&mut kl, &pod, crash + 2 * SEC, (10u32 << k.min(4)).min(300));
            }
            kube::started(&mut kl, &pod, restart, k);
            extras.push(Extra {
                backend: victim,
                t: restart + 600_000,
                ev: Ev::Starting,
                tag: None,
            });
            kube::ready(
                &mut kl,
                &pod,
                back,
                (k + 1 == cycles.len()).then_some("recovered"),
            );
        }
    }
    write_front(st, front, &traffic, &p, &notices)?;
    let styles = if dev { [Style::Log4j] } else { [Style::Pino] };
    write_apps(
        st,
        &traffic,
        &p,
        &styles,
        &[],
        "shop-api",
        app_cfg(),
        extras,
    )?;
    if !dev {
        st.write_log("node-3/kubelet.log", kl)?;
    }
    let set_tools = tools(st.set);
    let tool = set_tools[(st.seed as usize + 7) % set_tools.len()];
    let fix = cycles.last().map_or(first, |x| x.2) - st.between(20, 60) * SEC;
    let mut w = what("app-03", "10.0.1.13:8080");
    w.from = "2.15.0";
    w.to = "2.15.1";
    write_changes(&[(tool, fix, w, false, Some("fix"))], st)?;
    let fired = first + st.between(90, 240) * SEC;
    write_alerts(
        vec![alert(
            if dev {
                "HAProxyServerFlapping"
            } else {
                "KubePodCrashLooping"
            },
            if dev {
                "a server of app_servers changed state more than 4 times in 10m"
            } else {
                "pod shop/shop-api is restarting more than once every 5 minutes"
            },
            "increase(kube_pod_container_status_restarts_total{namespace=\"shop\"}[10m]) > 2",
            fired,
            last_back + st.between(5, 12) * MIN,
        )],
        (start, end),
        st,
    )?;
    st.variant.push(format!(
        "{} front, {} crashes of {}, fix by {}",
        front.format(),
        cycles.len(),
        names[victim],
        tool.name()
    ));
    let stamp = front.stamp();
    let recovered = st.at("recovered").unwrap_or(last_back);
    let planted = Planted {
        kind: "errors",
        measure: Measure::Errors,
        span: Some((first, last_back.max(recovered))),
        cause: st.cause("cause", "crash"),
        backends: vec![front.label(&p.stack.backends[victim])],
        detected_at: Some(fired),
        mitigated_at: st.at("fix"),
        definition: "start: the first crash; end: the last recovery (back in the pool: HAProxy's last `is UP`, the kubelet's last `ready`); \
                     requests in between are counted whatever their backend".into(),
    };
    let inc = incident(&traffic.reqs, &stamp, 1, &planted);
    Ok(doc(st, Some(front), &traffic, &stamp, vec![inc], vec![
        "between crashes the backend serves normally; only requests that reach it between a crash and the health check (or probe) that takes it out fail".into(),
    ]))
}
