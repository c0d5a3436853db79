//! The outage scenarios: each builds a plan, simulates the traffic, writes
//! every log file of the story and returns the truth counted from what was
//! written.

use std::collections::BTreeMap;
use std::io;

use serde_json::{json, Value};

use crate::alb;
use crate::alerts::{self, AlertSpec};
use crate::applog::{Ev, Instance, Style};
use crate::apps::{app_logs, AppCfg, Extra};
use crate::clock::{at, date, truth_time, HOUR, MIN, SEC};
use crate::haproxy;
use crate::nginx::{self, Life};
use crate::ops::{self, Tf};
use crate::out::{Located, Out, TextLog};
use crate::rng::Rng;
use crate::traffic::{
    simulate, Backend, Fault, FaultKind, Gap, LbKind, Plan, Pool, Stack, Traffic,
};
use crate::truth::{self, Cause, IncidentDef, Stamp};

/// Every scenario name, as accepted on the command line.
pub const NAMES: &[&str] = &[
    "weights",
    "offline-server",
    "auth-alb",
    "dead-front",
    "quiet",
    "two-incidents",
    "non-utc",
];

/// Knobs shared by all scenarios.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    pub seed: u64,
    /// Multiplies request rate and client population.
    pub scale: f64,
}

/// India Standard Time, which has no daylight saving.
const IST: i32 = 19_800;

/// Tagged lines found while writing: tag → (source path, location).
type Found = BTreeMap<String, (String, Located)>;

fn write_log(out: &mut Out, rel: &str, log: TextLog, found: &mut Found) -> io::Result<()> {
    let (text, tags) = log.render();
    for (tag, loc) in tags {
        found.insert(tag, (rel.to_string(), loc));
    }
    out.write(rel, text.as_bytes())
}

fn cause(found: &Found, tag: &str, kind: &'static str) -> Cause {
    let (source, loc) = found.get(tag).cloned().unwrap_or_else(|| {
        (
            String::new(),
            Located {
                line: 0,
                text: String::new(),
                at: 0,
            },
        )
    });
    Cause {
        kind,
        source,
        line: loc.line,
        message: loc.text,
        at: loc.at,
    }
}

/// Runs a scenario by name, writing into `out`; returns the truth.
pub fn run(name: &str, out: &mut Out, o: &Opts) -> io::Result<Value> {
    match name {
        "weights" => weights(out, o, Variant::Weights),
        "non-utc" => weights(out, o, Variant::NonUtc),
        "offline-server" => offline_server(out, o),
        "auth-alb" => auth_alb(out, o),
        "dead-front" => dead_front(out, o),
        "quiet" => quiet(out, o),
        "two-incidents" => two_incidents(out, o),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unknown scenario {name:?}; known: {}", NAMES.join(", ")),
        )),
    }
}

/// The fixed seed of `postmortem-gen sample`.
pub const SAMPLE_SEED: u64 = 20_240_309;

/// The committed sample: the weights story, smaller.
pub fn sample(out: &mut Out) -> io::Result<Value> {
    weights(
        out,
        &Opts {
            seed: SAMPLE_SEED,
            scale: 1.0,
        },
        Variant::Sample,
    )
}

// ---------------------------------------------------------------------------
// The nginx stack shared by weights, non-utc, quiet, two-incidents, dead-front

const NGINX_BACKENDS: [(&str, &str, f64); 3] = [
    ("10.0.1.11:8080", "app-1", 1.0),
    ("10.0.1.12:8080", "app-2", 1.05),
    ("10.0.1.13:8080", "app-3", 0.95),
];

fn nginx_stack(phases: Vec<(i64, Vec<u32>)>) -> Stack {
    Stack {
        lb: LbKind::Nginx,
        backends: NGINX_BACKENDS
            .iter()
            .map(|(a, n, s)| Backend {
                addr: a.to_string(),
                name: n.to_string(),
                speed: *s,
            })
            .collect(),
        pools: vec![Pool {
            members: vec![0, 1, 2],
            phases,
        }],
        auth_pool: None,
        lb_serves_static: true,
        retry_refused: true,
        timeout_ms: 10_000,
    }
}

fn nginx_instances(styles: [Style; 3], offset: i32) -> Vec<Option<Instance>> {
    let pids = [4211, 3187, 2975];
    (0..3)
        .map(|i| {
            Some(Instance {
                host: NGINX_BACKENDS[i].1.to_string(),
                ip: NGINX_BACKENDS[i].0.trim_end_matches(":8080").to_string(),
                pid: pids[i],
                style: styles[i],
                offset: if matches!(styles[i], Style::Log4j | Style::Python) {
                    offset
                } else {
                    0
                },
                service: "shop-api",
                version: "2.14.0",
                skew: 0,
            })
        })
        .collect()
}

fn scaled(rate: f64, humans: usize, o: &Opts) -> (f64, usize) {
    let s = o.scale.max(0.0001);
    (rate * s, ((humans as f64 * s) as usize).max(30))
}

/// Rotation points of the access log (35% and 65% of the span, on 5 minutes).
fn cuts(start: i64, end: i64) -> Vec<i64> {
    let r = |f: i64| {
        let t = start + (end - start) * f / 100;
        t - t.rem_euclid(5 * MIN)
    };
    vec![r(35), r(65)]
}

/// Simulates and writes nginx and the three apps; returns the traffic.
#[allow(clippy::too_many_arguments)]
fn nginx_and_apps(
    out: &mut Out,
    plan: &Plan,
    styles: [Style; 3],
    offset: i32,
    mut life: Vec<Life>,
    extras: Vec<Extra>,
    seed: u64,
    found: &mut Found,
) -> io::Result<Traffic> {
    let traffic = simulate(plan, seed);
    let cuts = cuts(plan.start, plan.end);
    for c in &cuts {
        life.push(Life::Reopen(*c + 2 * SEC));
    }
    life.sort_by_key(|l| match l {
        Life::Reload(t) | Life::Reopen(t) | Life::Killed(t) | Life::Start(t) => *t,
    });
    let parts = nginx::access_logs(&traffic, &plan.stack, offset, &cuts);
    out.write_gz("nginx/access.log.2.gz", parts[0].as_bytes())?;
    out.write("nginx/access.log.1", parts[1].as_bytes())?;
    out.write("nginx/access.log", parts[2].as_bytes())?;
    let err = nginx::error_log(
        &traffic,
        &plan.stack,
        offset,
        &life,
        plan.start,
        plan.end,
        seed,
    );
    write_log(out, "nginx/error.log", err, found)?;
    let insts = nginx_instances(styles, offset);
    let cfg = AppCfg {
        request_sample: 0.12,
        pool_error_sample: 0.3,
        planted_error: None,
    };
    let logs = app_logs(&traffic, plan, &insts, &cfg, extras, seed);
    for (i, log) in logs.into_iter().enumerate() {
        if let Some(log) = log {
            write_log(out, &format!("app/app-{}.log", i + 1), log, found)?;
        }
    }
    Ok(traffic)
}

/// A rolling restart of the app tier, as a deploy does it.
fn rolling_restart(t: i64, backends: &[usize]) -> Vec<Extra> {
    let mut v = Vec::new();
    for (k, &b) in backends.iter().enumerate() {
        let s = t + k as i64 * 48 * SEC;
        for (dt, ev) in [
            (0, Ev::Stopping),
            (2_300_000, Ev::Starting),
            (3_900_000, Ev::Listening),
        ] {
            v.push(Extra {
                backend: b,
                t: s + dt,
                ev,
                tag: None,
            });
        }
    }
    v
}

fn deploy_restart_lines(
    log: &mut TextLog,
    t: i64,
    offset: i32,
    service: &str,
    version: &str,
    hosts: &[&str],
) {
    let d = |log: &mut TextLog, t: i64, msg: String| {
        log.push(t, ops::pylog(t, offset, "INFO", "deploy", &msg))
    };
    d(
        log,
        t - 3 * SEC,
        format!(
            "starting deploy of {service} {version} (build 8841) to {} [requested by ci]",
            hosts.join(", ")
        ),
    );
    for (k, h) in hosts.iter().enumerate() {
        let s = t + k as i64 * 48 * SEC;
        d(log, s - SEC, format!("{h}: draining from lb pool"));
        d(log, s, format!("{h}: restarting {service}"));
        d(
            log,
            s + 9 * SEC,
            format!("{h}: health check passed (200 in 31ms)"),
        );
        d(log, s + 10 * SEC, format!("{h}: back in lb pool"));
    }
    let e = t + hosts.len() as i64 * 48 * SEC;
    d(
        log,
        e,
        format!(
            "finished deploy of {service} {version} in {}s",
            (e - t) / SEC + 3
        ),
    );
}

fn noise_alerts(start: i64, end: i64, rng: &mut Rng) -> Vec<AlertSpec> {
    let disk = start + (end - start) / 7 + rng.range(0, 10 * MIN);
    vec![
        AlertSpec {
            name: "TLSCertificateExpiringSoon",
            labels: vec![
                ("instance", "api.partner.example.net:443".into()),
                ("severity", "warning".into()),
            ],
            summary: "TLS certificate expires in less than 14 days".into(),
            description: "The certificate of api.partner.example.net:443 expires on 2024-04-02."
                .into(),
            expr: "probe_ssl_earliest_cert_expiry - time() < 86400 * 14",
            receiver: "slack-platform",
            starts: start - 3 * 24 * HOUR + 17 * MIN,
            ends: None,
            repeat: 4 * HOUR,
        },
        AlertSpec {
            name: "DiskSpaceLow",
            labels: vec![
                ("device", "/dev/nvme1n1".into()),
                ("instance", "db-02:9100".into()),
                ("mountpoint", "/var/lib/postgresql".into()),
                ("severity", "warning".into()),
            ],
            summary: "Disk space below 15% on db-02".into(),
            description: "/var/lib/postgresql on db-02 has 13.2% free.".into(),
            expr: "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.15",
            receiver: "slack-platform",
            starts: disk,
            ends: Some(disk + 33 * MIN + rng.range(0, 5 * MIN)),
            repeat: HOUR,
        },
    ]
}

fn error_rate_alert(service_label: &str, starts: i64, ends: i64, lb: &str) -> AlertSpec {
    AlertSpec {
        name: "HighErrorRate",
        labels: vec![
            ("service", service_label.to_string()),
            ("severity", "page".into()),
            ("team", "storefront".into()),
        ],
        summary: format!("5xx ratio for {service_label} above 5% for 2m"),
        description: format!("{lb} is answering more than 5% of requests with 5xx."),
        expr: "sum(rate(nginx_http_requests_total{host=\"shop.example.com\",status=~\"5..\"}[2m])) / sum(rate(nginx_http_requests_total{host=\"shop.example.com\"}[2m])) > 0.05",
        receiver: "pagerduty-storefront",
        starts,
        ends: Some(ends),
        repeat: 20 * MIN,
    }
}

fn latency_alert(instance: &str, upstream: &str, starts: i64, ends: i64) -> AlertSpec {
    AlertSpec {
        name: "UpstreamLatencyHigh",
        labels: vec![
            ("instance", instance.to_string()),
            ("service", "shop-api".into()),
            ("severity", "warning".into()),
            ("upstream", upstream.to_string()),
        ],
        summary: format!("p99 latency of {instance} above 2s"),
        description: format!("Upstream {upstream} p99 response time is above 2 seconds for 1m."),
        expr: "histogram_quantile(0.99, sum by (le, upstream) (rate(nginx_upstream_response_seconds_bucket[1m]))) > 2",
        receiver: "slack-storefront",
        starts,
        ends: Some(ends),
        repeat: 30 * MIN,
    }
}

fn alert_log(
    out: &mut Out,
    specs: &[AlertSpec],
    span: (i64, i64),
    seed: u64,
    found: &mut Found,
) -> io::Result<()> {
    write_log(
        out,
        "alerts.log",
        alerts::log(specs, span.0 - HOUR, span.1, seed),
        found,
    )
}

#[allow(clippy::too_many_arguments)]
fn truth_doc(
    name: &str,
    o: &Opts,
    day: &str,
    tz: &str,
    traffic: &Traffic,
    stamp: &Stamp,
    defs: &[IncidentDef],
    notes: Vec<String>,
) -> Value {
    let incidents: Vec<Value> = defs
        .iter()
        .map(|d| truth::incident(&traffic.reqs, stamp, d))
        .collect();
    json!({
        "scenario": name,
        "generator": "postmortem-gen",
        "seed": o.seed,
        "scale": o.scale,
        "date": day,
        "timezone": tz,
        "traffic": truth::traffic_summary(&traffic.reqs, stamp),
        "incidents": incidents,
        "notes": notes,
    })
}

fn edge_note() -> String {
    "start/end are the logged times of the first and last failed request caused by the planted fault; \
     requests_* and clients_* count every request the load balancer logged in [start, end] inclusive \
     (failed = 5xx at the load balancer); background 5xx are kept out of the 3 minutes around the planted window"
        .to_string()
}

// ---------------------------------------------------------------------------
// weights / non-utc / sample

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Weights,
    NonUtc,
    Sample,
}

fn weights(out: &mut Out, o: &Opts, v: Variant) -> io::Result<Value> {
    let t = |h, m, s, ms: i64| at(2024, 3, 9, h, m, s, 0) + ms * 1000;
    let (start, end, (rate, humans)) = match v {
        Variant::Sample => (t(7, 50, 0, 0), t(10, 20, 0, 0), (1.2, 1500)),
        _ => (t(6, 0, 0, 0), t(11, 0, 0, 0), scaled(5.0, 6000, o)),
    };
    let offset = if v == Variant::NonUtc { IST } else { 0 };
    let styles = if v == Variant::NonUtc {
        [Style::Python, Style::Pino, Style::Log4j]
    } else {
        [Style::Zap, Style::Pino, Style::SlogText]
    };
    let seed = o.seed;
    let mut rng = Rng::stream(seed, 9);

    let change = t(8, 36, 17, 412);
    let rollback = t(9, 58, 41, 207);
    let impact = change + 83 * SEC;
    let fault_end = rollback + 25 * SEC;
    let plan = Plan {
        start,
        end,
        rate,
        humans,
        stack: nginx_stack(vec![
            (i64::MIN, vec![1, 1, 1]),
            (change, vec![1, 15, 1]),
            (rollback, vec![1, 1, 1]),
        ]),
        faults: vec![Fault {
            backend: 1,
            from: impact,
            to: fault_end,
            kind: FaultKind::Overload {
                peak: 0.74,
                ramp: 90 * SEC,
                slow: 22.0,
            },
            incident: Some(1),
        }],
        gaps: vec![],
        quiet: vec![(impact - 3 * MIN, fault_end + 3 * MIN + 10 * SEC)],
        audience_offset: offset,
        ipv6: true,
    };

    let mut found = Found::new();
    let deploy_at = t(6, 12, 3, 118);
    let mut extras = Vec::new();
    if deploy_at > start {
        extras.extend(rolling_restart(deploy_at, &[0, 1, 2]));
    }
    let life = vec![
        Life::Reload(change + 520_000),
        Life::Reload(rollback + 610_000),
    ];
    let traffic = nginx_and_apps(out, &plan, styles, offset, life, extras, seed, &mut found)?;

    // deploy.log (the deploy tool runs in the hosts' zone).
    let mut dl = TextLog::new();
    let d = |dl: &mut TextLog, t: i64, msg: &str| {
        dl.push(t, ops::pylog(t, offset, "INFO", "deploy", msg))
    };
    deploy_restart_lines(
        &mut dl,
        deploy_at,
        offset,
        "shop-api",
        "v2.14.0",
        &["app-1", "app-2", "app-3"],
    );
    d(
        &mut dl,
        t(7, 5, 22, 400),
        "starting deploy of shop-web v5.3.1 (static assets) to lb-01 [requested by ci]",
    );
    d(
        &mut dl,
        t(7, 5, 31, 932),
        "lb-01: synced 214 files to /var/www/shop/static",
    );
    d(
        &mut dl,
        t(7, 5, 31, 940),
        "finished deploy of shop-web v5.3.1 in 9s",
    );
    d(&mut dl, t(8, 34, 51, 77), "lb config change OPS-4211 requested by mkhan: \"send more traffic to app-2 to warm its cache before the promo\"");
    d(&mut dl, t(8, 35, 58, 310), "lb-01: nginx -t: the configuration file /etc/nginx/nginx.conf syntax is ok; test is successful");
    dl.push_tagged(
        change,
        ops::pylog(
            change,
            offset,
            "INFO",
            "deploy",
            "applied lb config change: set weight=15 on backend 10.0.1.12:8080 (was 1)",
        ),
        "cause",
    );
    d(
        &mut dl,
        change + 530_000,
        "lb-01: reloaded nginx (master pid 1021)",
    );
    d(
        &mut dl,
        t(9, 57, 2, 660),
        "rollback of OPS-4211 requested by asmith (incident INC-2291)",
    );
    dl.push_tagged(
        rollback,
        ops::pylog(
            rollback,
            offset,
            "INFO",
            "deploy",
            "applied lb config change: set weight=1 on backend 10.0.1.12:8080 (was 15)",
        ),
        "fix",
    );
    d(
        &mut dl,
        rollback + 620_000,
        "lb-01: reloaded nginx (master pid 1021)",
    );
    write_log(out, "deploy.log", dl, &mut found)?;

    // alerts.log (UTC, as Alertmanager sends it).
    let first_alert = impact + 90 * SEC + 50 * SEC;
    let mut specs = noise_alerts(start, end, &mut rng);
    specs.push(latency_alert(
        "app-2",
        "10.0.1.12:8080",
        first_alert,
        rollback + 2 * MIN + 5 * SEC,
    ));
    specs.push(error_rate_alert(
        "shop",
        first_alert + 65 * SEC,
        rollback + 3 * MIN + 20 * SEC,
        "nginx on lb-01",
    ));
    alert_log(out, &specs, (start, end), seed, &mut found)?;

    let name = match v {
        Variant::NonUtc => "non-utc",
        _ => "weights",
    };
    let defs = [IncidentDef {
        id: 1,
        kind: "errors",
        backend: Some("10.0.1.12:8080".into()),
        cause: cause(&found, "cause", "change"),
        detected_at: Some(first_alert),
        mitigated_at: Some(found.get("fix").map_or(rollback, |f| f.1.at)),
        gap: None,
        lost: None,
    }];
    let mut notes = vec![
        "nginx upstream weight change sends ~88% of traffic to 10.0.1.12:8080 (app-2), which saturates: 504 upstream timeouts, 502s, slow successes; rollback restores weight=1".to_string(),
        "nginx/access.log is newest, then access.log.1, then access.log.2.gz; GET requests refused by app-2 are retried on another server (upstream lists like \"10.0.1.12:8080, 10.0.1.11:8080\")".to_string(),
        edge_note(),
    ];
    let tz = if v == Variant::NonUtc {
        notes.push("nginx access log uses +05:30 offsets; nginx error.log, app-1 (Python), app-3 (Java) and deploy.log are Asia/Kolkata local time without offset (run the analyzer with --tz Asia/Kolkata); app-2 (pino) uses epoch ms; alerts.log is UTC; all truth times are UTC".into());
        "Asia/Kolkata"
    } else {
        "UTC"
    };
    if v == Variant::Sample {
        notes.push(
            "the committed sample: `postmortem-gen sample` regenerates it byte for byte".into(),
        );
    }
    let stamp = Stamp {
        resolution: SEC,
        at_end: true,
    };
    Ok(truth_doc(
        name,
        o,
        &date(start),
        tz,
        &traffic,
        &stamp,
        &defs,
        notes,
    ))
}

// ---------------------------------------------------------------------------
// quiet

fn quiet(out: &mut Out, o: &Opts) -> io::Result<Value> {
    let t = |h, m, s, ms: i64| at(2024, 3, 12, h, m, s, 0) + ms * 1000;
    let (start, end) = (t(8, 0, 0, 0), t(11, 0, 0, 0));
    let (rate, humans) = scaled(5.0, 6000, o);
    let seed = o.seed;
    let mut rng = Rng::stream(seed, 9);
    let blip1 = t(9, 12, 31, 250);
    let blip2 = t(10, 27, 5, 600);
    let plan = Plan {
        start,
        end,
        rate,
        humans,
        stack: nginx_stack(vec![(i64::MIN, vec![1, 1, 1])]),
        faults: vec![
            Fault {
                backend: 2,
                from: blip1,
                to: blip1 + 4 * SEC,
                kind: FaultKind::Blip { n: 3 },
                incident: None,
            },
            Fault {
                backend: 0,
                from: blip2,
                to: blip2 + 3 * SEC,
                kind: FaultKind::Blip { n: 5 },
                incident: None,
            },
        ],
        gaps: vec![],
        quiet: vec![],
        audience_offset: 0,
        ipv6: true,
    };
    let mut found = Found::new();
    let benign = t(9, 40, 12, 5);
    let life = vec![Life::Reload(benign + 480_000)];
    let mut extras = Vec::new();
    for (b, at_) in [(2usize, blip1), (0, blip2)] {
        for (dt, ev) in [
            (-SEC, Ev::Stopping),
            (1_500_000, Ev::Starting),
            (3_200_000, Ev::Listening),
        ] {
            extras.push(Extra {
                backend: b,
                t: at_ + dt,
                ev,
                tag: None,
            });
        }
    }
    let styles = [Style::Zap, Style::Pino, Style::SlogText];
    let traffic = nginx_and_apps(out, &plan, styles, 0, life, extras, seed, &mut found)?;

    let mut dl = TextLog::new();
    let d =
        |dl: &mut TextLog, t: i64, msg: &str| dl.push(t, ops::pylog(t, 0, "INFO", "deploy", msg));
    d(
        &mut dl,
        blip1 - 2 * SEC,
        "app-3: restarting shop-api to pick up rotated database credentials",
    );
    d(
        &mut dl,
        blip1 + 9 * SEC,
        "app-3: health check passed (200 in 28ms)",
    );
    d(
        &mut dl,
        benign - 40 * SEC,
        "lb config change OPS-4230 requested by mkhan: \"add Cache-Control for /static\"",
    );
    d(&mut dl, benign, "applied lb config change: add_header Cache-Control \"public, max-age=31536000\" for location /static/");
    d(
        &mut dl,
        benign + 490_000,
        "lb-01: reloaded nginx (master pid 1021)",
    );
    d(
        &mut dl,
        blip2 - 2 * SEC,
        "app-1: restarting shop-api to pick up rotated database credentials",
    );
    d(
        &mut dl,
        blip2 + 8 * SEC,
        "app-1: health check passed (200 in 33ms)",
    );
    write_log(out, "deploy.log", dl, &mut found)?;
    let specs = noise_alerts(start, end, &mut rng);
    alert_log(out, &specs, (start, end), seed, &mut found)?;

    let stamp = Stamp {
        resolution: SEC,
        at_end: true,
    };
    let blips: Vec<Value> = [(blip1, 3, "10.0.1.13:8080"), (blip2, 5, "10.0.1.11:8080")]
        .iter()
        .map(|(b, n, be)| json!({"at": truth_time(*b, SEC), "failed": n, "backend": be}))
        .collect();
    let mut doc = truth_doc(
        "quiet",
        o,
        &date(start),
        "UTC",
        &traffic,
        &stamp,
        &[],
        vec![
            "a normal day: baseline background 5xx, two seconds-long blips of 502s while an app instance restarts, and a harmless nginx reload; none of it is an incident".into(),
        ],
    );
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("blips".into(), Value::Array(blips));
    }
    Ok(doc)
}

// ---------------------------------------------------------------------------
// two-incidents

fn two_incidents(out: &mut Out, o: &Opts) -> io::Result<Value> {
    let t = |h, m, s, ms: i64| at(2024, 3, 21, h, m, s, 0) + ms * 1000;
    let (start, end) = (t(7, 0, 0, 0), t(13, 0, 0, 0));
    let (rate, humans) = scaled(4.0, 6000, o);
    let seed = o.seed;
    let mut rng = Rng::stream(seed, 9);

    let change = t(8, 12, 44, 870);
    let impact1 = change + 78 * SEC;
    let rollback = t(8, 51, 30, 115);
    let end1 = rollback + 25 * SEC;
    let crash = t(11, 23, 8, 532);
    let hotfix = t(11, 49, 40, 12);
    let plan = Plan {
        start,
        end,
        rate,
        humans,
        stack: nginx_stack(vec![
            (i64::MIN, vec![1, 1, 1]),
            (change, vec![1, 1, 12]),
            (rollback, vec![1, 1, 1]),
        ]),
        faults: vec![
            Fault {
                backend: 2,
                from: impact1,
                to: end1,
                kind: FaultKind::Overload {
                    peak: 0.7,
                    ramp: 80 * SEC,
                    slow: 20.0,
                },
                incident: Some(1),
            },
            Fault {
                backend: 1,
                from: crash + 400_000,
                to: hotfix,
                kind: FaultKind::Refuse,
                incident: Some(2),
            },
        ],
        gaps: vec![],
        quiet: vec![
            (impact1 - 3 * MIN, end1 + 3 * MIN + 10 * SEC),
            (crash - 3 * MIN, hotfix + 3 * MIN),
        ],
        audience_offset: 0,
        ipv6: true,
    };
    let mut found = Found::new();
    // app-2 crash loop: dies, systemd restarts it, it dies again.
    let mut extras = vec![Extra {
        backend: 1,
        t: crash,
        ev: Ev::Fatal,
        tag: Some("crash".into()),
    }];
    let mut c = crash;
    loop {
        let restart = c + 5 * SEC + rng.range(0, 2 * SEC);
        let next = restart + 18 * SEC + rng.range(0, 15 * SEC);
        if next >= hotfix - 20 * SEC {
            break;
        }
        extras.push(Extra {
            backend: 1,
            t: restart,
            ev: Ev::Starting,
            tag: None,
        });
        extras.push(Extra {
            backend: 1,
            t: restart + 1_700_000,
            ev: Ev::Listening,
            tag: None,
        });
        extras.push(Extra {
            backend: 1,
            t: next,
            ev: Ev::Fatal,
            tag: None,
        });
        c = next;
    }
    extras.push(Extra {
        backend: 1,
        t: hotfix - 4 * SEC,
        ev: Ev::Starting,
        tag: None,
    });
    extras.push(Extra {
        backend: 1,
        t: hotfix - 2_300_000,
        ev: Ev::Listening,
        tag: None,
    });
    let life = vec![
        Life::Reload(change + 450_000),
        Life::Reload(rollback + 500_000),
    ];
    let styles = [Style::Zap, Style::Pino, Style::SlogText];
    let traffic = nginx_and_apps(out, &plan, styles, 0, life, extras, seed, &mut found)?;

    let mut dl = TextLog::new();
    let d = |dl: &mut TextLog, t: i64, lvl: &str, msg: &str| {
        dl.push(t, ops::pylog(t, 0, lvl, "deploy", msg))
    };
    d(
        &mut dl,
        t(7, 31, 10, 0),
        "INFO",
        "starting deploy of shop-worker v1.8.2 to worker-1 [requested by ci]",
    );
    d(
        &mut dl,
        t(7, 31, 52, 0),
        "INFO",
        "finished deploy of shop-worker v1.8.2 in 42s",
    );
    d(&mut dl, change - 70 * SEC, "INFO", "lb config change OPS-4240 requested by jlee: \"drain app-1 and app-2 for kernel patching\"");
    dl.push_tagged(
        change,
        ops::pylog(
            change,
            0,
            "INFO",
            "deploy",
            "applied lb config change: set weight=12 on backend 10.0.1.13:8080 (was 1)",
        ),
        "cause1",
    );
    d(
        &mut dl,
        change + 460_000,
        "INFO",
        "lb-01: reloaded nginx (master pid 1021)",
    );
    d(
        &mut dl,
        rollback - 40 * SEC,
        "INFO",
        "rollback of OPS-4240 requested by asmith (incident INC-2300)",
    );
    dl.push_tagged(
        rollback,
        ops::pylog(
            rollback,
            0,
            "INFO",
            "deploy",
            "applied lb config change: set weight=1 on backend 10.0.1.13:8080 (was 12)",
        ),
        "fix1",
    );
    d(
        &mut dl,
        rollback + 510_000,
        "INFO",
        "lb-01: reloaded nginx (master pid 1021)",
    );
    d(
        &mut dl,
        t(11, 31, 40, 0),
        "INFO",
        "app-2: restarting shop-api (incident INC-2301)",
    );
    d(
        &mut dl,
        t(11, 32, 5, 0),
        "WARNING",
        "app-2: health check failed (connection refused)",
    );
    d(&mut dl, hotfix - 95 * SEC, "INFO", "starting deploy of shop-api v2.14.1 (hotfix: guard missing currency in price feed) to app-2 [requested by asmith]");
    dl.push_tagged(
        hotfix,
        ops::pylog(
            hotfix,
            0,
            "INFO",
            "deploy",
            "app-2: health check passed (200 in 35ms)",
        ),
        "fix2",
    );
    d(
        &mut dl,
        hotfix + 2 * SEC,
        "INFO",
        "finished deploy of shop-api v2.14.1 in 97s",
    );
    write_log(out, "deploy.log", dl, &mut found)?;

    let a1 = impact1 + 80 * SEC + 45 * SEC;
    let a2 = crash + 2 * MIN + 10 * SEC;
    let mut specs = noise_alerts(start, end, &mut rng);
    specs.push(latency_alert(
        "app-3",
        "10.0.1.13:8080",
        a1,
        rollback + 2 * MIN,
    ));
    specs.push(error_rate_alert(
        "shop",
        a1 + 60 * SEC,
        rollback + 3 * MIN,
        "nginx on lb-01",
    ));
    specs.push(AlertSpec {
        name: "InstanceDown",
        labels: vec![
            ("instance", "app-2:8080".into()),
            ("job", "shop-api".into()),
            ("severity", "page".into()),
        ],
        summary: "app-2:8080 of job shop-api is down".into(),
        description: "app-2:8080 has not answered scrapes for more than 1 minute.".into(),
        expr: "up{job=\"shop-api\"} == 0",
        receiver: "pagerduty-storefront",
        starts: a2,
        ends: Some(hotfix + 40 * SEC),
        repeat: 20 * MIN,
    });
    alert_log(out, &specs, (start, end), seed, &mut found)?;

    let defs = [
        IncidentDef {
            id: 1,
            kind: "errors",
            backend: Some("10.0.1.13:8080".into()),
            cause: cause(&found, "cause1", "change"),
            detected_at: Some(a1),
            mitigated_at: Some(rollback),
            gap: None,
            lost: None,
        },
        IncidentDef {
            id: 2,
            kind: "errors",
            backend: Some("10.0.1.12:8080".into()),
            cause: cause(&found, "crash", "crash"),
            detected_at: Some(a2),
            mitigated_at: Some(hotfix),
            gap: None,
            lost: None,
        },
    ];
    let stamp = Stamp {
        resolution: SEC,
        at_end: true,
    };
    Ok(truth_doc(
        "two-incidents",
        o,
        &date(start),
        "UTC",
        &traffic,
        &stamp,
        &defs,
        vec![
            "morning: weight=12 on 10.0.1.13:8080 (app-3) overloads it until the rollback".into(),
            "afternoon: app-2 crash-loops on a bad price feed (pino level 60); nginx gets connection refused: GETs are retried on another server and succeed, POST/DELETE fail with 502; fixed by a hotfix deploy".into(),
            edge_note(),
        ],
    ))
}

// ---------------------------------------------------------------------------
// dead-front

fn dead_front(out: &mut Out, o: &Opts) -> io::Result<Value> {
    let t = |h, m, s, ms: i64| at(2024, 4, 2, h, m, s, 0) + ms * 1000;
    let (start, end) = (t(9, 0, 0, 0), t(13, 0, 0, 0));
    let (rate, humans) = scaled(5.0, 6000, o);
    let seed = o.seed;
    let mut rng = Rng::stream(seed, 9);
    let kill = t(11, 12, 3, 118);
    let restart = t(11, 34, 41, 604);
    let plan = Plan {
        start,
        end,
        rate,
        humans,
        stack: nginx_stack(vec![(i64::MIN, vec![1, 1, 1])]),
        faults: vec![],
        gaps: vec![Gap {
            from: kill,
            to: restart + 300_000,
            incident: Some(1),
        }],
        quiet: vec![],
        audience_offset: 0,
        ipv6: true,
    };
    let mut found = Found::new();
    let deploy_at = t(9, 41, 12, 310);
    let extras = rolling_restart(deploy_at, &[0, 1, 2]);
    let life = vec![Life::Killed(kill), Life::Start(restart + 210_000)];
    let styles = [Style::Zap, Style::Pino, Style::SlogText];
    let traffic = nginx_and_apps(out, &plan, styles, 0, life, extras, seed, &mut found)?;

    let mut dl = TextLog::new();
    deploy_restart_lines(
        &mut dl,
        deploy_at,
        0,
        "shop-api",
        "v2.15.0",
        &["app-1", "app-2", "app-3"],
    );
    write_log(out, "deploy.log", dl, &mut found)?;

    // syslog of the front host: background noise, then the OOM kill.
    let host = "web-01";
    let mut sl = TextLog::new();
    let s = |sl: &mut TextLog, t: i64, tag: &str, msg: &str| {
        sl.push(t, ops::sys(t, 0, host, tag, msg));
    };
    let mut x = start + rng.range(0, 10 * MIN);
    while x < end {
        let pid = 20_000 + rng.below(30_000);
        match rng.below(4) {
            0 => s(
                &mut sl,
                x,
                &format!("CRON[{pid}]"),
                "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
            ),
            1 => s(
                &mut sl,
                x,
                "systemd[1]",
                "Starting Refresh fwupd metadata and update motd...",
            ),
            2 => s(
                &mut sl,
                x,
                &format!("sshd[{pid}]"),
                &format!(
                    "Connection closed by authenticating user root {}.{}.{}.{} port {} [preauth]",
                    45 + rng.below(150),
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(254),
                    30_000 + rng.below(30_000)
                ),
            ),
            _ => s(
                &mut sl,
                x,
                "systemd-timesyncd[611]",
                "Network configuration changed, trying to establish connection.",
            ),
        }
        x += rng.range(4 * MIN, 15 * MIN);
    }
    let k = 8_712_344.0 + (kill - start) as f64 / SEC as f64;
    let kern = |dt: f64| format!("[{:.6}]", k + dt);
    s(
        &mut sl,
        kill - 4 * MIN,
        "kernel",
        &format!(
            "{} TCP: out of memory -- consider tuning tcp_mem",
            kern(-240.0)
        ),
    );
    s(&mut sl, kill - 2_000, "kernel", &format!("{} nginx invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0", kern(-0.002)));
    s(&mut sl, kill - 1_000, "kernel", &format!("{} oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/nginx.service,task=nginx,pid=1021,uid=0", kern(-0.001)));
    sl.push_tagged(
        kill,
        ops::sys(kill, 0, host, "kernel", &format!("{} Out of memory: Killed process 1021 (nginx) total-vm:3984412kB, anon-rss:3721560kB, file-rss:1204kB, shmem-rss:8192kB, UID:0 pgtables:7508kB oom_score_adj:0", kern(0.0))),
        "cause",
    );
    let k2 = kill + 40_000;
    s(
        &mut sl,
        k2,
        "systemd[1]",
        "nginx.service: Main process exited, code=killed, status=9/KILL",
    );
    for w in 1024..1028 {
        s(
            &mut sl,
            k2,
            "systemd[1]",
            &format!("nginx.service: Killing process {w} (nginx) with signal SIGKILL."),
        );
    }
    s(
        &mut sl,
        k2 + 90_000,
        "systemd[1]",
        "nginx.service: Failed with result 'oom-kill'.",
    );
    s(
        &mut sl,
        k2 + 90_000,
        "systemd[1]",
        "nginx.service: Consumed 2h 41min 12.812s CPU time.",
    );
    s(&mut sl, restart - 3 * MIN, "sshd[28841]", "Accepted publickey for oncall from 10.0.0.5 port 52311 ssh2: ED25519 SHA256:Qm1v0xk3WQ7rY5bZ2Tq9yH4nL8cJ6dF0sA1pE3uI7oM");
    s(
        &mut sl,
        restart - 3 * MIN,
        "systemd-logind[702]",
        "New session 2291 of user oncall.",
    );
    s(&mut sl, restart - 14 * SEC, "sudo", "  oncall : TTY=pts/0 ; PWD=/home/oncall ; USER=root ; COMMAND=/usr/bin/systemctl start nginx");
    s(
        &mut sl,
        restart,
        "systemd[1]",
        "Starting A high performance web server and a reverse proxy server...",
    );
    sl.push_tagged(
        restart + 240_000,
        ops::sys(
            restart + 240_000,
            0,
            host,
            "systemd[1]",
            "Started A high performance web server and a reverse proxy server.",
        ),
        "restart",
    );
    write_log(out, "syslog", sl, &mut found)?;

    let mut specs = noise_alerts(start, end, &mut rng);
    let a = kill + 75 * SEC;
    specs.push(AlertSpec {
        name: "ProbeFailed",
        labels: vec![
            ("instance", "https://shop.example.com/healthz".into()),
            ("job", "blackbox".into()),
            ("severity", "page".into()),
        ],
        summary: "https://shop.example.com/healthz is not answering".into(),
        description: "Blackbox probe of https://shop.example.com/healthz failed for 1 minute (connection refused).".into(),
        expr: "probe_success{job=\"blackbox\"} == 0",
        receiver: "pagerduty-storefront",
        starts: a,
        ends: Some(restart + 50 * SEC),
        repeat: 10 * MIN,
    });
    alert_log(out, &specs, (start, end), seed, &mut found)?;

    let restart_at = found.get("restart").map_or(restart, |r| r.1.at);
    let lost = traffic.lost.first().map(|l| (l.1, l.2));
    let defs = [IncidentDef {
        id: 1,
        kind: "traffic_loss",
        backend: None,
        cause: cause(&found, "cause", "crash"),
        detected_at: Some(a),
        mitigated_at: Some(restart_at),
        gap: Some((kill, restart_at)),
        lost,
    }];
    let stamp = Stamp {
        resolution: SEC,
        at_end: true,
    };
    Ok(truth_doc(
        "dead-front",
        o,
        &date(start),
        "UTC",
        &traffic,
        &stamp,
        &defs,
        vec![
            "the kernel OOM-kills the nginx master on web-01; the access log stops (no lines at all) until an on-call engineer starts nginx again".into(),
            "for this traffic_loss incident start = the OOM kill and end = systemd's \"Started\" line; requests_total counts the (few or none) logged requests in that window; requests_lost counts arrivals that were never logged".into(),
            "syslog is RFC 3164 (no year): run the analyzer with --year 2024 if it cannot infer it".into(),
        ],
    ))
}

// ---------------------------------------------------------------------------
// offline-server (HAProxy)

fn offline_server(out: &mut Out, o: &Opts) -> io::Result<Value> {
    let t = |h, m, s, ms: i64| at(2024, 5, 15, h, m, s, 0) + ms * 1000;
    let (start, end) = (t(12, 0, 0, 0), t(17, 0, 0, 0));
    let (rate, humans) = scaled(4.5, 6000, o);
    let seed = o.seed;
    let mut rng = Rng::stream(seed, 9);
    let change = t(14, 14, 29, 671);
    let reload1 = t(14, 14, 31, 208);
    let fix = t(15, 0, 12, 455);
    let reload2 = t(15, 0, 14, 20);
    let names: Vec<String> = (1..=5).map(|i| format!("app-0{i}")).collect();
    let stack = Stack {
        lb: LbKind::Haproxy,
        backends: (0..5)
            .map(|i| Backend {
                addr: format!("10.0.1.{}:8080", 21 + i),
                name: names[i].clone(),
                speed: 1.0 + 0.04 * i as f64,
            })
            .collect(),
        pools: vec![Pool {
            members: vec![0, 1, 2, 3, 4],
            phases: vec![
                (i64::MIN, vec![1, 1, 1, 1, 0]),
                (reload1, vec![1, 1, 1, 1, 1]),
                (reload2, vec![1, 1, 1, 1, 0]),
            ],
        }],
        auth_pool: None,
        lb_serves_static: false,
        retry_refused: false,
        timeout_ms: 30_000,
    };
    let plan = Plan {
        start,
        end,
        rate,
        humans,
        stack,
        faults: vec![Fault {
            backend: 4,
            from: reload1,
            to: reload2,
            kind: FaultKind::Refuse,
            incident: Some(1),
        }],
        gaps: vec![],
        quiet: vec![(reload1 - 3 * MIN, reload2 + 3 * MIN)],
        audience_offset: 0,
        ipv6: true,
    };
    let traffic = simulate(&plan, seed);
    let mut found = Found::new();
    let host = "lb-01";
    let pids = [2231u32, 24_517, 25_873];
    let pid_at = |x: i64| {
        if x < reload1 {
            pids[0]
        } else if x < reload2 {
            pids[1]
        } else {
            pids[2]
        }
    };
    let mut hl = TextLog::new();
    haproxy::request_lines(&traffic, &names, host, 0, &pid_at, &mut hl, seed);
    haproxy::reload_notices(&mut hl, reload1, host, 0, pids[0], pids[1], 812_334);
    haproxy::reload_notices(&mut hl, reload2, host, 0, pids[1], pids[2], 49_210);
    write_log(out, "haproxy/haproxy.log", hl, &mut found)?;

    // syslog: systemd reloads and host noise.
    let mut sl = TextLog::new();
    let s = |sl: &mut TextLog, t: i64, tag: &str, msg: &str| {
        sl.push(t, ops::sys(t, 0, host, tag, msg));
    };
    let mut x = start + rng.range(0, 10 * MIN);
    while x < end {
        let pid = 20_000 + rng.below(30_000);
        match rng.below(3) {
            0 => s(&mut sl, x, &format!("CRON[{pid}]"), "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"),
            1 => s(&mut sl, x, "systemd[1]", &format!("Started Session {} of User deploy.", 4100 + pid % 500)),
            _ => s(&mut sl, x, &format!("sshd[{pid}]"), "Accepted publickey for deploy from 10.0.0.8 port 40122 ssh2: ED25519 SHA256:Zk4n1b8QhT0r2Vx6cJ9mW3yP5sA7dF1gL0eK8uI2oQ"),
        }
        x += rng.range(5 * MIN, 16 * MIN);
    }
    for (r, old, new) in [(reload1, pids[0], pids[1]), (reload2, pids[1], pids[2])] {
        s(
            &mut sl,
            r - 40_000,
            "systemd[1]",
            "Reloading HAProxy Load Balancer.",
        );
        s(
            &mut sl,
            r - 30_000,
            "haproxy[1187]",
            "[NOTICE]   (1187) : Reloading HAProxy",
        );
        s(
            &mut sl,
            r,
            "haproxy[1187]",
            &format!("[NOTICE]   (1187) : New worker ({new}) forked"),
        );
        s(
            &mut sl,
            r,
            "haproxy[1187]",
            "[NOTICE]   (1187) : Loading success.",
        );
        s(
            &mut sl,
            r + 20_000,
            "systemd[1]",
            "Reloaded HAProxy Load Balancer.",
        );
        s(
            &mut sl,
            r + 900_000,
            "haproxy[1187]",
            &format!("[WARNING]  (1187) : Former worker ({old}) exited with code 0 (Exit)"),
        );
    }
    write_log(out, "syslog", sl, &mut found)?;

    // Java apps on app-01..04; app-05 never came up.
    let insts: Vec<Option<Instance>> = (0..5)
        .map(|i| {
            (i < 4).then(|| Instance {
                host: names[i].clone(),
                ip: format!("10.0.1.{}", 21 + i),
                pid: 1812 + 97 * i as u32,
                style: Style::Log4j,
                offset: 0,
                service: "shop-api",
                version: "3.2.1",
                skew: 0,
            })
        })
        .collect();
    let cfg = AppCfg {
        request_sample: 0.1,
        pool_error_sample: 0.4,
        planted_error: None,
    };
    let logs = app_logs(&traffic, &plan, &insts, &cfg, vec![], seed);
    for (i, log) in logs.into_iter().enumerate() {
        if let Some(log) = log {
            write_log(out, &format!("app/{}.log", names[i]), log, &mut found)?;
        }
    }

    // Ansible log.
    let mut al = TextLog::new();
    let mut pid = 88_213u32;
    let mut play = |al: &mut TextLog, t0: i64, lines: &[(i64, &str, Option<&str>)]| {
        for (dt, msg, tag) in lines {
            let tt = t0 + dt;
            let text = ops::ansible(tt, 0, pid, msg);
            match tag {
                Some(tag) => al.push_tagged(tt, text, tag),
                None => {
                    al.push(tt, text);
                }
            }
        }
        pid += 1931;
    };
    let b = ops::banner;
    let patch_play = [
        b("PLAY [patch app tier: apt upgrades]"),
        b("TASK [Gathering Facts]"),
        b("TASK [apt : upgrade packages]"),
        b("PLAY RECAP"),
    ];
    let t0 = t(12, 31, 4, 550);
    play(
        &mut al,
        t0,
        &[
            (0, &patch_play[0], None),
            (SEC, &patch_play[1], None),
            (4 * SEC, "ok: [app-01]", None),
            (4 * SEC + 120_000, "ok: [app-02]", None),
            (4 * SEC + 260_000, "ok: [app-03]", None),
            (4 * SEC + 390_000, "ok: [app-04]", None),
            (5 * SEC, &patch_play[2], None),
            (61 * SEC, "changed: [app-01]", None),
            (64 * SEC, "changed: [app-02]", None),
            (66 * SEC, "ok: [app-03]", None),
            (70 * SEC, "changed: [app-04]", None),
            (71 * SEC, &patch_play[3], None),
            (71 * SEC, &ops::recap("app-01", 2, 1, 0, 0), None),
            (71 * SEC, &ops::recap("app-02", 2, 1, 0, 0), None),
            (71 * SEC, &ops::recap("app-03", 2, 0, 0, 0), None),
            (71 * SEC, &ops::recap("app-04", 2, 1, 0, 0), None),
        ],
    );
    let scale_play = [
        b("PLAY [scale out app tier]"),
        b("TASK [Gathering Facts]"),
        b("TASK [shop-api : install shop-api 3.2.1]"),
        b("PLAY [update load balancer pool]"),
        b("TASK [haproxy : add app-05 to backend app_servers]"),
        b("TASK [haproxy : validate configuration]"),
        b("TASK [haproxy : reload haproxy]"),
        b("PLAY RECAP"),
    ];
    let base = change - 49 * SEC;
    let unreachable = "fatal: [app-05]: UNREACHABLE! => {\"changed\": false, \"msg\": \"Failed to connect to the host via ssh: ssh: connect to host 10.0.1.25 port 22: Connection timed out\", \"unreachable\": true}";
    play(
        &mut al,
        base,
        &[
            (0, &scale_play[0], None),
            (SEC, &scale_play[1], None),
            (31 * SEC, unreachable, None),
            (31 * SEC + 50_000, &scale_play[2], None),
            (31 * SEC + 60_000, "skipping: no hosts matched", None),
            (31 * SEC + 80_000, &scale_play[3], None),
            (31 * SEC + 90_000, &scale_play[1], None),
            (33 * SEC, "ok: [lb-01]", None),
            (33 * SEC + 10_000, &scale_play[4], None),
            (
                change - base,
                "changed: [lb-01] => (item=server app-05 10.0.1.25:8080 check disabled)",
                Some("cause"),
            ),
            (change - base + 30_000, &scale_play[5], None),
            (change - base + 700_000, "ok: [lb-01]", None),
            (change - base + 710_000, &scale_play[6], None),
            (reload1 - base + 60_000, "changed: [lb-01]", None),
            (reload1 - base + 80_000, &scale_play[7], None),
            (
                reload1 - base + 80_000,
                &ops::recap("app-05", 0, 0, 1, 0),
                None,
            ),
            (
                reload1 - base + 80_000,
                &ops::recap("lb-01", 4, 2, 0, 0),
                None,
            ),
        ],
    );
    let fix_play = [
        b("PLAY [update load balancer pool]"),
        b("TASK [haproxy : remove app-05 from backend app_servers]"),
        b("TASK [haproxy : reload haproxy]"),
        b("PLAY RECAP"),
    ];
    let fb = fix - 6 * SEC;
    play(
        &mut al,
        fb,
        &[
            (0, &fix_play[0], None),
            (SEC, &fix_play[1], None),
            (
                fix - fb,
                "changed: [lb-01] => (item=server app-05 10.0.1.25:8080)",
                Some("fix"),
            ),
            (fix - fb + 20_000, &fix_play[2], None),
            (reload2 - fb + 50_000, "changed: [lb-01]", None),
            (reload2 - fb + 70_000, &fix_play[3], None),
            (
                reload2 - fb + 70_000,
                &ops::recap("lb-01", 2, 2, 0, 0),
                None,
            ),
        ],
    );
    write_log(out, "deploy/ansible.log", al, &mut found)?;

    let first_alert = reload1 + 2 * MIN + 40 * SEC;
    let mut specs = noise_alerts(start, end, &mut rng);
    specs.push(AlertSpec {
        name: "HAProxyHighHttp5xx",
        labels: vec![
            ("backend", haproxy::BACKEND.into()),
            ("instance", "lb-01:8405".into()),
            ("severity", "page".into()),
        ],
        summary: "HAProxy backend app_servers answers more than 5% 5xx".into(),
        description: "Backend app_servers on lb-01 returned 5xx for more than 5% of requests over 2m.".into(),
        expr: "sum by (proxy) (rate(haproxy_backend_http_responses_total{proxy=\"app_servers\",code=\"5xx\"}[2m])) / sum by (proxy) (rate(haproxy_backend_http_responses_total{proxy=\"app_servers\"}[2m])) > 0.05",
        receiver: "pagerduty-storefront",
        starts: first_alert,
        ends: Some(reload2 + 2 * MIN + 30 * SEC),
        repeat: 15 * MIN,
    });
    alert_log(out, &specs, (start, end), seed, &mut found)?;

    let defs = [IncidentDef {
        id: 1,
        kind: "errors",
        backend: Some(format!("{}/app-05", haproxy::BACKEND)),
        cause: cause(&found, "cause", "change"),
        detected_at: Some(first_alert),
        mitigated_at: Some(reload2),
        gap: None,
        lost: None,
    }];
    let stamp = Stamp {
        resolution: 1000,
        at_end: false,
    };
    Ok(truth_doc(
        "offline-server",
        o,
        &date(start),
        "UTC",
        &traffic,
        &stamp,
        &defs,
        vec![
            "Ansible adds app-05 (10.0.1.25:8080) to the HAProxy backend without health checks, but the host never got the app: its round-robin share fails with 503, termination state SC--, Tc -1, 3 retries".into(),
            "truth times use the HAProxy request date (accept time, ms); the syslog prefix is the emit time; HAProxy and syslog times are UTC without offset; the backend is written as backend/server".into(),
            edge_note(),
        ],
    ))
}

// ---------------------------------------------------------------------------
// auth-alb (AWS ALB)

fn auth_alb(out: &mut Out, o: &Opts) -> io::Result<Value> {
    let t = |d, h, m, s, ms: i64| at(2024, 2, d, h, m, s, 0) + ms * 1000;
    let (start, end) = (t(17, 20, 0, 0, 0), t(18, 2, 0, 0, 0));
    let (rate, humans) = scaled(4.0, 6000, o);
    let seed = o.seed;
    let mut rng = Rng::stream(seed, 9);
    let change = t(17, 22, 27, 41, 903);
    let rollback = t(18, 0, 58, 9, 377);
    let impact = change + 35 * SEC;
    let backends: Vec<Backend> = [
        ("10.0.3.11:8080", "api-1"),
        ("10.0.3.12:8080", "api-2"),
        ("10.0.3.13:8080", "api-3"),
        ("10.0.2.21:8080", "auth-1"),
        ("10.0.2.22:8080", "auth-2"),
        ("10.0.2.23:8080", "auth-3"),
        ("10.0.2.31:8080", "auth-v2"),
    ]
    .iter()
    .map(|(a, n)| Backend {
        addr: a.to_string(),
        name: n.to_string(),
        speed: 1.0,
    })
    .collect();
    let groups: Vec<String> = [
        "shop-web",
        "shop-web",
        "shop-web",
        "shop-auth",
        "shop-auth",
        "shop-auth",
        "shop-auth-v2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let stack = Stack {
        lb: LbKind::Alb,
        backends,
        pools: vec![
            Pool {
                members: vec![0, 1, 2],
                phases: vec![(i64::MIN, vec![1, 1, 1])],
            },
            Pool {
                members: vec![3, 4, 5, 6],
                phases: vec![
                    (i64::MIN, vec![1, 1, 1, 0]),
                    (change, vec![0, 0, 0, 1]),
                    (rollback, vec![1, 1, 1, 0]),
                ],
            },
        ],
        auth_pool: Some(1),
        lb_serves_static: false,
        retry_refused: false,
        timeout_ms: 60_000,
    };
    let fault_end = rollback + 20 * SEC;
    let plan = Plan {
        start,
        end,
        rate,
        humans,
        stack,
        faults: vec![Fault {
            backend: 6,
            from: impact,
            to: fault_end,
            kind: FaultKind::Overload {
                peak: 0.82,
                ramp: 60 * SEC,
                slow: 30.0,
            },
            incident: Some(1),
        }],
        gaps: vec![],
        quiet: vec![(impact - 3 * MIN, fault_end + 4 * MIN + 10 * SEC)],
        audience_offset: -18_000,
        ipv6: false,
    };
    let traffic = simulate(&plan, seed);
    let mut found = Found::new();

    // ALB files: 5-minute objects per node; the ones somebody already
    // downloaded and gunzipped are plain.
    let files = alb::files(&traffic, &plan.stack, &groups, 5 * MIN, seed);
    for (name, text) in files {
        let plain = name.contains("_20240218T00");
        if plain {
            out.write(&name, text.as_bytes())?;
        } else {
            out.write_gz(&format!("{name}.gz"), text.as_bytes())?;
        }
    }

    // Apps: zerolog on the api tier, slog JSON on auth.
    let insts: Vec<Option<Instance>> = (0..7)
        .map(|i| {
            let b = &plan.stack.backends[i];
            Some(Instance {
                host: b.name.clone(),
                ip: b.addr.trim_end_matches(":8080").to_string(),
                pid: 7,
                style: if i < 3 {
                    Style::Zerolog
                } else {
                    Style::SlogJson
                },
                offset: 0,
                service: if i < 3 { "shop-api" } else { "auth-svc" },
                version: if i == 6 { "2.0.0-rc.3" } else { "1.19.4" },
                skew: 0,
            })
        })
        .collect();
    let cfg = AppCfg {
        request_sample: 0.08,
        pool_error_sample: 0.5,
        planted_error: None,
    };
    let logs = app_logs(&traffic, &plan, &insts, &cfg, vec![], seed);
    for (i, log) in logs.into_iter().enumerate() {
        if let Some(log) = log {
            write_log(
                out,
                &format!("app/{}.log", plan.stack.backends[i].name),
                log,
                &mut found,
            )?;
        }
    }

    // Terraform -json runs.
    let rule_id = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
    let asg_id = "shop-api-asg-20231102";
    let mut tl = TextLog::new();
    let run = |tl: &mut TextLog, t0: i64, addr: &str, id: &str, tag: Option<&str>| {
        let lines = [
            (0, Tf::Version),
            (
                2_100_000,
                Tf::Planned {
                    addr,
                    action: "update",
                },
            ),
            (
                2_150_000,
                Tf::PlanSummary {
                    add: 0,
                    change: 1,
                    remove: 0,
                },
            ),
            (9_400_000, Tf::ApplyStart { addr, id }),
        ];
        for (dt, m) in lines {
            tl.push(t0 + dt, ops::terraform(t0 + dt, 0, m));
        }
        let done = t0 + 10_600_000;
        let text = ops::terraform(done, 0, Tf::ApplyComplete { addr, id, secs: 1 });
        match tag {
            Some(tag) => tl.push_tagged(done, text, tag),
            None => {
                tl.push(done, text);
            }
        }
        tl.push(
            done + 40_000,
            ops::terraform(
                done + 40_000,
                0,
                Tf::ApplySummary {
                    add: 0,
                    change: 1,
                    remove: 0,
                },
            ),
        );
    };
    run(
        &mut tl,
        t(17, 20, 41, 12, 640),
        "aws_autoscaling_group.api",
        asg_id,
        None,
    );
    run(
        &mut tl,
        change - 10_600_000,
        "aws_lb_listener_rule.auth",
        rule_id,
        Some("cause"),
    );
    run(
        &mut tl,
        rollback - 10_600_000,
        "aws_lb_listener_rule.auth",
        rule_id,
        Some("fix"),
    );
    write_log(out, "deploy/terraform-apply.log", tl, &mut found)?;

    let first_alert = impact + 60 * SEC + 2 * MIN + 5 * SEC;
    let mut specs = noise_alerts(start, end, &mut rng);
    specs.push(AlertSpec {
        name: "ALBTarget5xxHigh",
        labels: vec![
            ("load_balancer", "app/shop-alb/50dc6c495c0c9188".into()),
            ("severity", "page".into()),
            ("target_group", "shop-auth-v2".into()),
        ],
        summary: "shop-alb returns more than 5% 5xx".into(),
        description: "HTTPCode_ELB_5XX_Count / RequestCount above 5% for 3 minutes on shop-alb.".into(),
        expr: "sum(aws_applicationelb_httpcode_elb_5_xx_count_sum) / sum(aws_applicationelb_request_count_sum) > 0.05",
        receiver: "pagerduty-identity",
        starts: first_alert,
        ends: Some(rollback + 4 * MIN),
        repeat: 30 * MIN,
    });
    alert_log(out, &specs, (start, end), seed, &mut found)?;

    let defs = [IncidentDef {
        id: 1,
        kind: "errors",
        backend: Some("10.0.2.31:8080".into()),
        cause: cause(&found, "cause", "change"),
        detected_at: Some(first_alert),
        mitigated_at: Some(found.get("fix").map_or(rollback, |f| f.1.at)),
        gap: None,
        lost: None,
    }];
    let stamp = Stamp {
        resolution: 1,
        at_end: true,
    };
    Ok(truth_doc(
        "auth-alb",
        o,
        &date(start),
        "UTC",
        &traffic,
        &stamp,
        &defs,
        vec![
            "a Terraform change to aws_lb_listener_rule.auth forwards all /auth/* traffic to the one-target group shop-auth-v2 (10.0.2.31:8080), which is overwhelmed: ALB 504 after the 60 s idle timeout and 502, target_status -, processing times -1; the rollback restores the 3-target group".into(),
            "ALB time is the response time (µs); the incident crosses midnight UTC (2024-02-17 → 2024-02-18); ALB files are per node and 5 minutes, .gz except the ones from 00:xx".into(),
            edge_note(),
        ],
    ))
}
