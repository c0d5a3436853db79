//! What the families share: the story being written (output, tagged lines,
//! randomness), the fronts (which access-log format, how it stamps and
//! names backends), application logs, alerts, change logs, and the truth
//! counted from the requests that were written.

use std::collections::{BTreeMap, BTreeSet};
use std::io;

use serde_json::{json, Map, Value};

use super::Set;
use crate::alerts::{self, AlertSpec};
use crate::applog::{Instance, Style};
use crate::apps::{app_logs, AppCfg, Extra};
use crate::changes::{self, Tool, What};
use crate::clock::{date, truth_time, HOUR, MIN, SEC};
use crate::out::{Located, Out, TextLog};
use crate::rng::Rng;
use crate::traffic::{Backend, LbKind, Plan, Pool, Req, Stack, Traffic};
use crate::truth::{traffic_summary, Stamp};
use crate::{apache, caddy, envoy, haproxy, ingress, nginx, traefik};

/// One family being written.
pub struct Story<'a> {
    pub out: &'a mut Out,
    pub name: &'static str,
    pub set: Set,
    pub seed: u64,
    pub scale: f64,
    pub rng: Rng,
    /// Tagged lines found while writing: tag → (source, location).
    pub found: BTreeMap<String, (String, Located)>,
    /// What was written, for the truth's notes.
    pub variant: Vec<String>,
}

impl<'a> Story<'a> {
    pub fn new(out: &'a mut Out, name: &str, set: Set, seed: u64, scale: f64) -> Story<'a> {
        let name = super::FAMILIES
            .iter()
            .copied()
            .find(|n| *n == name)
            .unwrap_or("latency");
        let salt = crate::rng::fnv(format!("{name}/{}", set.as_str()).as_bytes());
        Story {
            out,
            name,
            set,
            seed,
            scale,
            rng: Rng::stream(seed ^ salt, 300),
            found: BTreeMap::new(),
            variant: Vec::new(),
        }
    }

    pub fn dev(&self) -> bool {
        self.set == Set::Dev
    }

    /// A value from the dev or the held-out range.
    pub fn pick<T: Copy>(&self, dev: T, heldout: T) -> T {
        if self.dev() {
            dev
        } else {
            heldout
        }
    }

    /// Uniform in [lo, hi).
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.range(lo, hi)
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.f64()
    }

    /// Writes a text log, remembering its tagged lines.
    pub fn write_log(&mut self, rel: &str, log: TextLog) -> io::Result<()> {
        let (text, tags) = log.render();
        for (tag, loc) in tags {
            self.found.insert(tag, (rel.to_string(), loc));
        }
        self.out.write(rel, text.as_bytes())
    }

    /// The located line under `tag`, as a truth cause.
    pub fn cause(&self, tag: &str, kind: &'static str) -> Value {
        match self.found.get(tag) {
            Some((source, loc)) => json!({
                "kind": kind,
                "source": source,
                "line": loc.line,
                "message": loc.text,
                "at": truth_time(loc.at, 1000),
            }),
            None => Value::Null,
        }
    }

    /// When the line under `tag` happened (true time).
    pub fn at(&self, tag: &str) -> Option<i64> {
        self.found.get(tag).map(|f| f.1.at)
    }

    /// People behind the traffic, scaled.
    pub fn humans(&self, n: usize) -> usize {
        ((n as f64 * self.scale.min(1.0)) as usize).max(60)
    }
}

// ---------------------------------------------------------------------------
// Fronts

/// The access log in front of the backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Front {
    Nginx,
    Ingress,
    HaproxyRaw,
    HaproxySyslog,
    TraefikClf,
    TraefikJson,
    Envoy,
    Istio,
    Caddy,
    Apache,
}

impl Front {
    pub fn lb(self) -> LbKind {
        match self {
            Front::HaproxyRaw | Front::HaproxySyslog => LbKind::Haproxy,
            _ => LbKind::Nginx,
        }
    }

    /// How the front stamps a request (resolution, start or end).
    pub fn stamp(self) -> Stamp {
        let (resolution, at_end) = match self {
            Front::Nginx | Front::Ingress => (SEC, true),
            Front::HaproxyRaw | Front::HaproxySyslog => (1000, false),
            Front::TraefikClf | Front::Apache => (SEC, false),
            Front::TraefikJson => (1, false),
            Front::Envoy | Front::Istio => (1000, false),
            Front::Caddy => (1, true),
        };
        Stamp { resolution, at_end }
    }

    /// Where its log goes.
    pub fn path(self) -> &'static str {
        match self {
            Front::Nginx => "nginx/access.log",
            Front::Ingress => "ingress-nginx/controller.log",
            Front::HaproxyRaw => "haproxy/haproxy.log",
            Front::HaproxySyslog => "haproxy/haproxy.log",
            Front::TraefikClf => "traefik/access.log",
            Front::TraefikJson => "traefik/access.json",
            Front::Envoy => "envoy/access.log",
            Front::Istio => "istio/istio-ingressgateway.log",
            Front::Caddy => "caddy/access.log",
            Front::Apache => "apache2/access.log",
        }
    }

    /// The format, in words, for the truth.
    pub fn format(self) -> &'static str {
        match self {
            Front::Nginx => "nginx combined with upstream fields",
            Front::Ingress => "ingress-nginx upstreaminfo",
            Front::HaproxyRaw => "HAProxy httplog, log stdout format raw",
            Front::HaproxySyslog => "HAProxy httplog over syslog",
            Front::TraefikClf => "Traefik CLF",
            Front::TraefikJson => "Traefik JSON",
            Front::Envoy => "Envoy default text",
            Front::Istio => "Istio JSON (Envoy)",
            Front::Caddy => "Caddy JSON",
            Front::Apache => "Apache combined (+ error log)",
        }
    }

    /// How the front names a backend in its log (what the truth lists).
    pub fn label(self, b: &Backend) -> String {
        match self {
            Front::HaproxyRaw | Front::HaproxySyslog => {
                format!("{}/{}", haproxy::BACKEND, b.name)
            }
            _ => b.addr.clone(),
        }
    }
}

/// Backends `name` at `10.0.<net>.<11+i>:8080`.
pub fn backends(net: u8, names: &[&str]) -> Vec<Backend> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Backend {
            addr: format!("10.0.{net}.{}:8080", 11 + i),
            name: n.to_string(),
            speed: 1.0 + 0.03 * i as f64,
        })
        .collect()
}

/// One pool over every backend.
pub fn stack(
    front: Front,
    backends: Vec<Backend>,
    phases: Vec<(i64, Vec<u32>)>,
    timeout_ms: u32,
) -> Stack {
    let members = (0..backends.len()).collect();
    Stack {
        lb: front.lb(),
        backends,
        pools: vec![Pool { members, phases }],
        auth_pool: None,
        lb_serves_static: front == Front::Nginx,
        retry_refused: matches!(front, Front::Nginx | Front::Ingress),
        timeout_ms,
    }
}

/// Equal weights from the start.
pub fn even(n: usize) -> Vec<(i64, Vec<u32>)> {
    vec![(i64::MIN, vec![1; n])]
}

/// Writes the front's log(s); `notices` go into the same file (HAProxy's
/// health checks over syslog) as (time, message).
pub fn write_front(
    st: &mut Story,
    front: Front,
    traffic: &Traffic,
    plan: &Plan,
    notices: &[(i64, String)],
) -> io::Result<()> {
    let stack = &plan.stack;
    let seed = st.seed;
    match front {
        Front::Nginx => {
            let parts = nginx::access_logs(traffic, stack, 0, &[]);
            st.out.write(front.path(), parts[0].as_bytes())?;
            let err = nginx::error_log(traffic, stack, 0, &[], plan.start, plan.end, seed);
            st.write_log("nginx/error.log", err)?;
        }
        Front::Ingress => {
            st.out
                .write(front.path(), ingress::access_log(traffic, stack).as_bytes())?;
        }
        Front::HaproxyRaw => {
            let names: Vec<String> = stack.backends.iter().map(|b| b.name.clone()).collect();
            let mut log = TextLog::new();
            haproxy::raw_request_lines(traffic, &names, 0, &mut log, seed);
            st.write_log(front.path(), log)?;
        }
        Front::HaproxySyslog => {
            let names: Vec<String> = stack.backends.iter().map(|b| b.name.clone()).collect();
            let mut log = TextLog::new();
            let pid = |_: i64| 8123u32;
            haproxy::request_lines(traffic, &names, "lb-01", 0, &pid, &mut log, seed);
            for (t, msg) in notices {
                log.push(
                    *t,
                    format!("{} lb-01 haproxy[8123]: {msg}", crate::clock::syslog(*t, 0)),
                );
            }
            st.write_log(front.path(), log)?;
        }
        Front::TraefikClf => {
            st.out
                .write(front.path(), traefik::clf_log(traffic, stack).as_bytes())?;
        }
        Front::TraefikJson => {
            st.out
                .write(front.path(), traefik::json_log(traffic, stack).as_bytes())?;
        }
        Front::Envoy => {
            st.out
                .write(front.path(), envoy::text_log(traffic, stack).as_bytes())?;
        }
        Front::Istio => {
            st.out
                .write(front.path(), envoy::istio_log(traffic, stack).as_bytes())?;
        }
        Front::Caddy => {
            let (access, errors) = caddy::logs(traffic, stack);
            st.out.write(front.path(), access.as_bytes())?;
            st.out.write("caddy/caddy.log", errors.as_bytes())?;
        }
        Front::Apache => {
            st.out
                .write(front.path(), apache::access_log(traffic).as_bytes())?;
            let err = apache::error_log(traffic, stack, plan.start, plan.end, seed);
            st.write_log("apache2/error.log", err)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Applications, alerts, changes

/// Writes `app/<name>.log` for every backend with the given styles (cycled)
/// and clock skews (µs, per backend; missing = 0).
#[allow(clippy::too_many_arguments)]
pub fn write_apps(
    st: &mut Story,
    traffic: &Traffic,
    plan: &Plan,
    styles: &[Style],
    skews: &[i64],
    service: &'static str,
    cfg: AppCfg,
    extras: Vec<Extra>,
) -> io::Result<()> {
    let insts: Vec<Option<Instance>> = plan
        .stack
        .backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            Some(Instance {
                host: b.name.clone(),
                ip: b.addr.split(':').next().unwrap_or("").to_string(),
                pid: 1800 + 97 * i as u32,
                style: styles[i % styles.len()],
                offset: 0,
                service,
                version: "2.15.0",
                skew: skews.get(i).copied().unwrap_or(0),
            })
        })
        .collect();
    let logs = app_logs(traffic, plan, &insts, &cfg, extras, st.seed);
    for (i, log) in logs.into_iter().enumerate() {
        if let Some(log) = log {
            let rel = format!("app/{}.log", plan.stack.backends[i].name);
            st.write_log(&rel, log)?;
        }
    }
    Ok(())
}

/// The usual sampling of the applications.
pub fn app_cfg() -> AppCfg {
    AppCfg {
        request_sample: 0.08,
        pool_error_sample: 0.3,
        planted_error: None,
    }
}

/// Writes the alert log (`alerts.log` in dev, Alertmanager's webhook dump
/// under `monitoring/` in held-out) with the usual noise plus `specs`.
pub fn write_alerts(mut specs: Vec<AlertSpec>, span: (i64, i64), st: &mut Story) -> io::Result<()> {
    let disk = span.0 + (span.1 - span.0) / 5 + st.between(0, 10 * MIN);
    specs.push(AlertSpec {
        name: "DiskSpaceLow",
        labels: vec![
            ("device", "/dev/nvme1n1".into()),
            ("instance", "db-02:9100".into()),
            ("severity", "warning".into()),
        ],
        summary: "Disk space below 15% on db-02".into(),
        description: "/var/lib/postgresql on db-02 has 13.2% free.".into(),
        expr: "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.15",
        receiver: "slack-platform",
        starts: disk,
        ends: Some(disk + 25 * MIN + st.between(0, 5 * MIN)),
        repeat: HOUR,
    });
    let rel = if st.dev() {
        "alerts.log"
    } else {
        "monitoring/alertmanager-webhook.log"
    };
    let log = alerts::log(&specs, span.0 - HOUR, span.1, st.seed);
    st.write_log(rel, log)
}

/// An alert on the service, firing from `starts` to `ends`.
pub fn alert(
    name: &'static str,
    summary: &str,
    expr: &'static str,
    starts: i64,
    ends: i64,
) -> AlertSpec {
    AlertSpec {
        name,
        labels: vec![
            ("service", "shop-api".into()),
            ("severity", "page".into()),
            ("team", "storefront".into()),
        ],
        summary: summary.to_string(),
        description: format!("{summary} (shop-api, production)."),
        expr,
        receiver: "pagerduty-storefront",
        starts,
        ends: Some(ends),
        repeat: 15 * MIN,
    }
}

/// The tools a set's changes are written by.
pub fn tools(set: Set) -> &'static [Tool] {
    match set {
        Set::Dev => &[
            Tool::ArgoCd,
            Tool::Helm,
            Tool::KubectlChatops,
            Tool::Terraform,
            Tool::Unleash,
            Tool::Alembic,
            Tool::DiffField,
            Tool::KubectlRollout,
        ],
        Set::Heldout => &[
            Tool::Flux,
            Tool::Nomad,
            Tool::Puppet,
            Tool::Chef,
            Tool::Salt,
            Tool::LaunchDarkly,
            Tool::Flagsmith,
            Tool::EnvoyXds,
            Tool::HaproxyRuntime,
            Tool::ActionApply,
            Tool::Flyway,
            Tool::Liquibase,
        ],
    }
}

/// The change that causes the incident.
pub fn what(host: &'static str, addr: &'static str) -> What {
    What {
        service: "shop-api",
        namespace: "shop",
        from: "2.14.3",
        to: "2.15.0",
        user: "mkhan",
        flag: "checkout-v2",
        host,
        addr,
    }
}

/// A change that did nothing harmful.
pub fn benign(n: usize) -> What {
    let services = ["shop-worker", "search-api", "shop-web", "email-relay"];
    What {
        service: services[n % services.len()],
        namespace: "shop",
        from: "1.8.1",
        to: "1.8.2",
        user: ["asmith", "jlee", "ci-bot"][n % 3],
        flag: ["new-footer", "search-suggest", "promo-banner"][n % 3],
        host: ["worker-1", "search-1", "web-2"][n % 3],
        addr: "10.0.9.21:8080",
    }
}

/// Writes a tool's change logs: `(tool, time, what, back, tag)`, all the
/// entries of one tool going into its file.
pub fn write_changes(
    entries: &[(Tool, i64, What, bool, Option<&str>)],
    st: &mut Story,
) -> io::Result<()> {
    let mut by_file: BTreeMap<&'static str, TextLog> = BTreeMap::new();
    for (tool, t, w, back, tag) in entries {
        let log = by_file.entry(tool.path()).or_default();
        for (at, text, main) in changes::lines(*tool, *t, w, *back) {
            match (main, tag) {
                (true, Some(tag)) => log.push_tagged(at, text, tag),
                _ => {
                    log.push(at, text);
                }
            }
        }
    }
    for (path, log) in by_file {
        st.write_log(path, log)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Truth

/// What makes a request count against the incident.
#[derive(Clone, Copy, Debug)]
pub enum Measure {
    /// A 5xx at the front.
    Errors,
    /// The front took at least this long (µs); failures count too.
    Slow(i64),
    /// The front refused it with one of these statuses.
    Refused(&'static [u16]),
}

impl Measure {
    fn hit(self, r: &Req) -> bool {
        match self {
            Measure::Errors => r.failed(),
            Measure::Slow(us) => r.t1 - r.t0 >= us || r.failed(),
            Measure::Refused(s) => s.contains(&r.status),
        }
    }
}

/// A planted incident before counting.
pub struct Planted {
    pub kind: &'static str,
    pub measure: Measure,
    /// Start and end when they are not the first and last planted request
    /// that the measure hits (crash loops, a slow burn's onset).
    pub span: Option<(i64, i64)>,
    pub cause: Value,
    pub backends: Vec<String>,
    pub detected_at: Option<i64>,
    pub mitigated_at: Option<i64>,
    /// How start, end and the affected are defined, in words.
    pub definition: String,
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        (a as f64 * 10_000.0 / b as f64).round() / 100.0
    }
}

/// The first and last planted request (incident `id`) the measure hits.
pub fn planted_edges(reqs: &[Req], stamp: &Stamp, id: u8, m: Measure) -> Option<(i64, i64)> {
    let mut lo = None;
    let mut hi = None;
    for r in reqs.iter().filter(|r| r.planted == Some(id) && m.hit(r)) {
        let s = stamp.of(r);
        lo = Some(lo.map_or(s, |x: i64| x.min(s)));
        hi = Some(hi.map_or(s, |x: i64| x.max(s)));
    }
    Some((lo?, hi?))
}

/// One incident's truth, counted from the requests the front logged.
pub fn incident(reqs: &[Req], stamp: &Stamp, id: u8, p: &Planted) -> Value {
    let res = stamp.resolution;
    let (start, end) = match p.span {
        Some((a, b)) => (a.div_euclid(res) * res, b.div_euclid(res) * res),
        None => planted_edges(reqs, stamp, id, p.measure).unwrap_or((0, 0)),
    };
    let mut total = 0usize;
    let mut failed = 0usize;
    let mut slow = 0usize;
    let mut refused = 0usize;
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut clients = BTreeSet::new();
    let mut affected = BTreeSet::new();
    for r in reqs {
        let s = stamp.of(r);
        if s < start || s > end {
            continue;
        }
        total += 1;
        clients.insert(r.client);
        if r.failed() {
            failed += 1;
        }
        match p.measure {
            Measure::Slow(us) if r.t1 - r.t0 >= us => slow += 1,
            Measure::Refused(set) if set.contains(&r.status) => {
                refused += 1;
                *statuses.entry(r.status).or_default() += 1;
            }
            _ => {}
        }
        if p.measure.hit(r) {
            affected.insert(r.client);
        }
    }
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("kind".into(), json!(p.kind));
    m.insert("start".into(), json!(truth_time(start, res)));
    m.insert("end".into(), json!(truth_time(end, res)));
    m.insert("duration_seconds".into(), json!((end - start) / SEC));
    m.insert("requests_total".into(), json!(total));
    m.insert("requests_failed".into(), json!(failed));
    m.insert("failed_pct".into(), json!(pct(failed, total)));
    if let Measure::Slow(us) = p.measure {
        m.insert("slow_threshold_ms".into(), json!(us / 1000));
        m.insert("requests_slow".into(), json!(slow));
        m.insert("slow_pct".into(), json!(pct(slow, total)));
    }
    if let Measure::Refused(_) = p.measure {
        m.insert("requests_refused".into(), json!(refused));
        m.insert("refused_pct".into(), json!(pct(refused, total)));
        let by: Map<String, Value> = statuses
            .iter()
            .map(|(s, n)| (s.to_string(), json!(n)))
            .collect();
        m.insert("refused_statuses".into(), Value::Object(by));
    }
    m.insert("clients_total".into(), json!(clients.len()));
    m.insert("clients_affected".into(), json!(affected.len()));
    m.insert(
        "clients_affected_pct".into(),
        json!(pct(affected.len(), clients.len())),
    );
    m.insert("cause".into(), p.cause.clone());
    m.insert("backend".into(), json!(p.backends.first()));
    m.insert("backends".into(), json!(p.backends));
    m.insert(
        "detected_at".into(),
        json!(p.detected_at.map(|t| truth_time(t, 1000))),
    );
    m.insert(
        "mitigated_at".into(),
        json!(p.mitigated_at.map(|t| truth_time(t, 1000))),
    );
    m.insert("definition".into(), json!(p.definition));
    Value::Object(m)
}

/// Failed share per backend over [start, end] (for notes and checks).
pub fn backend_failed_pct(reqs: &[Req], stack: &Stack, from: i64, to: i64) -> Vec<(String, f64)> {
    let mut per: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for r in reqs.iter().filter(|r| r.t0 >= from && r.t0 <= to) {
        if let Some(a) = r.attempts.last() {
            let e = per.entry(a.backend).or_default();
            e.0 += 1;
            e.1 += usize::from(r.failed());
        }
    }
    per.into_iter()
        .map(|(b, (n, f))| (stack.backends[b].name.clone(), pct(f, n)))
        .collect()
}

/// The truth document of a family.
pub fn doc(
    st: &Story,
    front: Option<Front>,
    traffic: &Traffic,
    stamp: &Stamp,
    incidents: Vec<Value>,
    mut notes: Vec<String>,
) -> Value {
    let first = traffic.reqs.iter().map(|r| r.t0).min().unwrap_or(0);
    notes.push(
        "all truth times are UTC; `start`/`end` are at the resolution of the front's time stamps; \
         requests_* and clients_* count every request the front logged in [start, end] inclusive; \
         failed = 5xx at the front"
            .to_string(),
    );
    json!({
        "scenario": format!("kind/{}", st.name),
        "family": st.name,
        "set": st.set.as_str(),
        "generator": "postmortem-gen",
        "seed": st.seed,
        "scale": st.scale,
        "date": date(first),
        "timezone": "UTC",
        "front": front.map(|f| json!({"path": f.path(), "format": f.format()})),
        "variant": st.variant.join("; "),
        "traffic": if front.is_some() { traffic_summary(&traffic.reqs, stamp) } else { Value::Null },
        "incidents": incidents,
        "notes": notes,
    })
}

/// A plan with the usual audience (UTC) and no gaps.
pub fn plan(
    span: (i64, i64),
    rate: f64,
    humans: usize,
    stack: Stack,
    faults: Vec<crate::traffic::Fault>,
    quiet: Vec<(i64, i64)>,
) -> Plan {
    Plan {
        start: span.0,
        end: span.1,
        rate,
        humans,
        stack,
        faults,
        gaps: vec![],
        quiet,
        audience_offset: 0,
        ipv6: true,
    }
}

/// A minute-aligned moment `h:m` on the family's day plus `jitter` µs.
pub fn day_at(day: (i64, u32, u32), h: i64, m: i64) -> i64 {
    crate::clock::at(day.0, day.1, day.2, h, m, 0, 0)
}
