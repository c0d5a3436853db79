//! The traffic simulation: arrivals over the day, sessions, routing through
//! the load balancer's pools, planted faults, and what each request ended
//! as. The result is a list of [`Req`] that the format writers render and
//! from which the truth is counted.

use crate::clock::{civil, MIN, SEC};
use crate::rng::{cumulative, Rng};
use crate::world::{
    bytes_for, path_for, referer_for, ClientKind, Population, Route, RouteKind, RouteTables, ROUTES,
};

/// Which load balancer fronts the stack; decides error statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbKind {
    Nginx,
    Haproxy,
    Alb,
}

/// One upstream server.
#[derive(Clone, Debug)]
pub struct Backend {
    /// `ip:port` as the load balancer logs it.
    pub addr: String,
    /// Host or server name (`app-2`, `app-05`).
    pub name: String,
    /// Relative speed (1.0 = normal).
    pub speed: f64,
}

/// A group of backends with weights that change over time.
#[derive(Clone, Debug)]
pub struct Pool {
    pub members: Vec<usize>,
    /// `(from, weights per member)`, ascending by time; weight 0 = not in pool.
    pub phases: Vec<(i64, Vec<u32>)>,
}

impl Pool {
    fn weights_at(&self, t: i64) -> &[u32] {
        let mut w: &[u32] = &self.phases[0].1;
        for (from, ws) in &self.phases {
            if *from <= t {
                w = ws;
            }
        }
        w
    }
}

/// The load balancer and what sits behind it.
#[derive(Clone, Debug)]
pub struct Stack {
    pub lb: LbKind,
    pub backends: Vec<Backend>,
    /// Pool 0 serves everything except auth routes when `auth_pool` is set.
    pub pools: Vec<Pool>,
    pub auth_pool: Option<usize>,
    /// nginx serves `/static/` and dot-files itself.
    pub lb_serves_static: bool,
    /// nginx `proxy_next_upstream error`: refused GETs go to another server.
    pub retry_refused: bool,
    /// Upstream read timeout (nginx) or idle timeout (ALB), ms.
    pub timeout_ms: u32,
}

/// How a request went wrong, if it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fail {
    None,
    /// The application answered 5xx itself.
    App,
    /// No response header within the timeout.
    Timeout,
    /// Connection refused.
    Refused,
    /// The upstream closed the connection before answering.
    Closed,
    /// The client gave up first (nginx 499, ALB 460); not a failure.
    ClientAbort,
}

/// A planted fault on one backend.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Saturation: failure probability ramps to `peak` over `ramp`, and
    /// surviving requests slow down by up to `slow`.
    Overload { peak: f64, ramp: i64, slow: f64 },
    /// Every connection is refused (offline or crash-looping server).
    Refuse,
    /// A few seconds-long burst of `n` failures (not an incident).
    Blip { n: u32 },
    /// Failure probability moving linearly from `p0` to `p1` over the
    /// fault (constant when equal: a steady share of failures; rising: a
    /// slow burn); `app` makes the application answer 500 itself instead
    /// of the upstream timing out or closing the connection.
    Creep { p0: f64, p1: f64, app: bool },
    /// Every answer slowed by a factor rising from 1 to `factor` over
    /// `ramp`; nothing fails (timeouts are set high enough).
    Slow { factor: f64, ramp: i64 },
    /// The gateway answers `status` itself to a share of the proxied
    /// requests (rising to `share` over `ramp`), without asking a backend:
    /// a rate limit (429) or an authentication filter (401, with `alt`'s
    /// status for that share of them). The fault's backend is ignored.
    Deny {
        status: u16,
        alt: Option<(u16, f64)>,
        share: f64,
        ramp: i64,
    },
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub backend: usize,
    pub from: i64,
    pub to: i64,
    pub kind: FaultKind,
    /// Which truth incident the failures belong to.
    pub incident: Option<u8>,
}

/// A stretch where the load balancer itself is down and logs nothing.
#[derive(Clone, Debug)]
pub struct Gap {
    pub from: i64,
    pub to: i64,
    pub incident: Option<u8>,
}

/// Everything the simulation needs.
#[derive(Clone, Debug)]
pub struct Plan {
    pub start: i64,
    pub end: i64,
    /// Mean requests per second at the daily average.
    pub rate: f64,
    pub humans: usize,
    pub stack: Stack,
    pub faults: Vec<Fault>,
    pub gaps: Vec<Gap>,
    /// Intervals without background 5xx, so planted edges are unambiguous.
    pub quiet: Vec<(i64, i64)>,
    /// Offset of the site's audience, for the daily curve.
    pub audience_offset: i32,
    pub ipv6: bool,
}

/// One try at one backend.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub backend: usize,
    /// Upstream status; `None` when there was none (refused, timeout, abort).
    pub status: Option<u16>,
    /// Time spent on this upstream, µs.
    pub us: i64,
    pub fail: Fail,
}

/// One request as it happened.
#[derive(Clone, Debug)]
pub struct Req {
    /// Received by the load balancer.
    pub t0: i64,
    /// Response finished (or connection dropped).
    pub t1: i64,
    pub client: u32,
    pub port: u16,
    pub route: u16,
    pub path: String,
    pub referer: String,
    pub status: u16,
    pub bytes: u32,
    pub rx_bytes: u32,
    /// Upstream tries in order; empty when the load balancer answered itself.
    pub attempts: Vec<Attempt>,
    /// How the request ended.
    pub fail: Fail,
    /// The truth incident this failure belongs to.
    pub planted: Option<u8>,
    pub rid: String,
    /// Load balancer node / worker that handled it.
    pub node: u8,
}

impl Req {
    pub fn route(&self) -> &'static Route {
        &ROUTES[self.route as usize]
    }

    /// A 5xx at the load balancer: what the truth counts as failed.
    pub fn failed(&self) -> bool {
        self.status >= 500
    }
}

/// What the simulation produced.
pub struct Traffic {
    pub pop: Population,
    pub reqs: Vec<Req>,
    /// Arrivals dropped in each gap: (incident, requests, distinct clients).
    pub lost: Vec<(Option<u8>, u64, u64)>,
}

/// Relative traffic by local hour (an online shop's day).
const DAY: [f64; 25] = [
    0.35, 0.25, 0.2, 0.18, 0.2, 0.3, 0.5, 0.75, 0.95, 1.05, 1.1, 1.15, 1.25, 1.2, 1.1, 1.05, 1.05,
    1.1, 1.25, 1.4, 1.45, 1.3, 1.0, 0.65, 0.35,
];

fn daily(t: i64, offset: i32) -> f64 {
    let c = civil(t, offset);
    let h = c.h as usize;
    let frac = (c.mi as f64 * 60.0 + c.s as f64) / 3600.0;
    DAY[h] + (DAY[h + 1] - DAY[h]) * frac
}

struct Sessions {
    active: Vec<(u32, u32)>,
}

/// Runs the simulation.
pub fn simulate(plan: &Plan, seed: u64) -> Traffic {
    let mut rng = Rng::stream(seed, 1);
    let pop = Population::new(&mut Rng::stream(seed, 2), plan.humans, plan.ipv6);
    let tables = RouteTables::new();
    let mut sessions = Sessions { active: Vec::new() };
    let mut reqs = Vec::new();
    let mut lost: Vec<(Option<u8>, u64, std::collections::BTreeSet<u32>)> = plan
        .gaps
        .iter()
        .map(|g| (g.incident, 0, Default::default()))
        .collect();

    // Per-minute wobble so traffic is not a perfectly smooth curve.
    let minutes = ((plan.end - plan.start) / MIN + 2) as usize;
    let mut wobble = Vec::with_capacity(minutes);
    let mut w = 1.0f64;
    for _ in 0..minutes {
        w = (w * 0.8 + 0.2 * rng.lognormal(1.0, 0.18)).clamp(0.6, 1.5);
        wobble.push(w);
    }

    let first = plan.start.div_euclid(SEC);
    let last = plan.end.div_euclid(SEC);
    let mut blips_done = vec![0u32; plan.faults.len()];
    for sec in first..last {
        let t_sec = sec * SEC;
        let minute = ((t_sec - plan.start) / MIN) as usize;
        let mut lambda = plan.rate * daily(t_sec, plan.audience_offset) * wobble[minute];
        // Clients retry after an outage of the front: a short surge.
        for g in &plan.gaps {
            if t_sec >= g.to && t_sec < g.to + 3 * MIN {
                lambda *= 1.6;
            }
        }
        let n = rng.poisson(lambda);
        let mut offs: Vec<i64> = (0..n).map(|_| rng.below(SEC as u64) as i64).collect();
        offs.sort_unstable();
        for off in offs {
            let t0 = t_sec + off;
            let client = draw_client(&pop, &mut sessions, &mut rng);
            if let Some(gi) = plan.gaps.iter().position(|g| t0 >= g.from && t0 < g.to) {
                lost[gi].1 += 1;
                lost[gi].2.insert(client);
                continue;
            }
            let route = tables.draw(pop.clients[client as usize].kind, &mut rng);
            let req = make_request(plan, &pop, &mut rng, t0, client, route, None);
            // In flight when the front died: never logged.
            if let Some(gi) = plan
                .gaps
                .iter()
                .position(|g| req.t1 >= g.from && req.t1 < g.to)
            {
                lost[gi].1 += 1;
                lost[gi].2.insert(client);
                continue;
            }
            reqs.push(req);
        }
        // Blips: a handful of requests hit a restarting backend.
        for (fi, f) in plan.faults.iter().enumerate() {
            if let FaultKind::Blip { n } = f.kind {
                let span = (f.to - f.from).max(SEC);
                while blips_done[fi] < n {
                    let at = f.from + span * blips_done[fi] as i64 / n as i64;
                    if at >= t_sec + SEC {
                        break;
                    }
                    blips_done[fi] += 1;
                    let client = pop.draw_human(&mut rng);
                    let route = &ROUTES[if rng.chance(0.5) { 6 } else { 7 }];
                    let req = make_request(plan, &pop, &mut rng, at, client, route, Some(fi));
                    reqs.push(req);
                }
            }
        }
    }
    Traffic {
        pop,
        reqs,
        lost: lost
            .into_iter()
            .map(|(i, n, c)| (i, n, c.len() as u64))
            .collect(),
    }
}

fn draw_client(pop: &Population, s: &mut Sessions, rng: &mut Rng) -> u32 {
    if rng.chance(pop.robot_share) {
        return pop.draw_robot(rng);
    }
    if s.active.is_empty() || (s.active.len() < 400 && rng.chance(0.09)) {
        let c = pop.draw_human(rng);
        let len = rng.geometric(11.0);
        if len > 1 {
            s.active.push((c, len - 1));
        }
        return c;
    }
    let i = rng.index(s.active.len());
    let c = s.active[i].0;
    s.active[i].1 -= 1;
    if s.active[i].1 == 0 {
        s.active.swap_remove(i);
    }
    c
}

fn in_any(t: i64, spans: &[(i64, i64)]) -> bool {
    spans.iter().any(|&(a, b)| t >= a && t < b)
}

fn choose_backend(pool: &Pool, t: i64, exclude: Option<usize>, rng: &mut Rng) -> usize {
    let ws = pool.weights_at(t);
    let cum = cumulative(pool.members.iter().zip(ws).map(|(&m, &w)| {
        if Some(m) == exclude {
            0.0
        } else {
            w as f64
        }
    }));
    if cum.last().copied().unwrap_or(0.0) <= 0.0 {
        return pool.members[0];
    }
    pool.members[rng.weighted(&cum)]
}

/// A normal answer from a healthy backend: status and upstream time.
fn normal_answer(
    plan: &Plan,
    route: &Route,
    backend: usize,
    slow: f64,
    t: i64,
    rng: &mut Rng,
) -> (u16, i64, Fail) {
    let speed = plan.stack.backends[backend].speed;
    let sigma = if route.id == 12 || route.id == 8 {
        0.7
    } else {
        0.5
    };
    let mut ms = rng.lognormal(route.median_ms.max(1.0) * speed, sigma) * slow;
    if rng.chance(0.004) {
        // GC pauses, cold caches: the long tail every service has.
        ms += rng.lognormal(900.0, 0.6);
    }
    let background_ok = !in_any(t, &plan.quiet);
    let r = rng.f64();
    let (status, fail) = match route.id {
        1 | 7 if r < 0.02 => (404, Fail::None),
        9 if r < 0.04 => (401, Fail::None),
        10 if r < 0.01 => (400, Fail::None),
        12 if r < 0.03 => (402, Fail::None),
        12 if r < 0.034 && background_ok => (500, Fail::App),
        8 if r < 0.0015 && background_ok => (500, Fail::App),
        15 if r < 0.12 => (401, Fail::None),
        15 if r < 0.13 => (429, Fail::None),
        16 if r < 0.06 => (401, Fail::None),
        _ if r > 0.9994
            && background_ok
            && matches!(route.kind, RouteKind::Api | RouteKind::Page) =>
        {
            (500, Fail::App)
        }
        _ => (route.ok, Fail::None),
    };
    (status, (ms * 1000.0) as i64 + 200, fail)
}

/// Builds one request. `blip` forces the failure of a blip fault.
fn make_request(
    plan: &Plan,
    pop: &Population,
    rng: &mut Rng,
    t0: i64,
    client: u32,
    route: &'static Route,
    blip: Option<usize>,
) -> Req {
    let stack = &plan.stack;
    let c = &pop.clients[client as usize];
    let path = path_for(route, rng);
    let referer = referer_for(route, c, rng);
    let rid = rng.hex(32);
    let port = rng.range(32_768, 61_000) as u16;
    let node = rng.below(4) as u8;
    let rx_bytes = match route.method {
        "POST" => 420 + rng.below(900) as u32,
        _ => 180 + rng.below(500) as u32,
    };
    let mut req = Req {
        t0,
        t1: t0,
        client,
        port,
        route: route.id,
        path,
        referer,
        status: route.ok,
        bytes: 0,
        rx_bytes,
        attempts: Vec::new(),
        fail: Fail::None,
        planted: None,
        rid,
        node,
    };

    // Answered by the load balancer itself.
    let dotfile = req.path.starts_with("/.");
    if stack.lb_serves_static && (route.kind == RouteKind::Static || dotfile) {
        let (status, bytes) = if dotfile {
            (403, 153)
        } else if c.kind == ClientKind::Browser && rng.chance(0.3) {
            (304, 0)
        } else {
            (200, route.bytes as u32)
        };
        req.status = status;
        req.bytes = bytes;
        let mbps = if c.ua.contains("Mobile") { 2.0 } else { 12.0 };
        req.t1 = t0 + (bytes as f64 / mbps) as i64 + rng.range(0, 400);
        return req;
    }
    if stack.lb == LbKind::Haproxy && dotfile {
        req.status = 403;
        req.bytes = 192;
        req.t1 = t0 + rng.range(50, 300);
        return req;
    }

    let pool_i = match (route.kind, stack.auth_pool) {
        (RouteKind::Auth, Some(p)) => p,
        _ => 0,
    };
    let pool = &stack.pools[pool_i];
    let backend = choose_backend(pool, t0, None, rng);
    let lb_us = rng.range(100, 1_500);

    // The gateway refuses the request itself.
    for f in &plan.faults {
        if let FaultKind::Deny {
            status,
            alt,
            share,
            ramp,
        } = f.kind
        {
            if t0 < f.from || t0 >= f.to || blip.is_some() {
                continue;
            }
            let x = ((t0 - f.from) as f64 / ramp.max(1) as f64).min(1.0);
            if rng.chance(share * x) {
                let status = match alt {
                    Some((s, p)) if rng.chance(p) => s,
                    _ => status,
                };
                req.status = status;
                req.bytes = match status {
                    429 => 18,
                    401 => 12 + rng.below(40) as u32,
                    _ => 9,
                };
                req.fail = Fail::None;
                req.planted = f.incident;
                req.t1 = t0 + lb_us + rng.range(50, 900);
                return req;
            }
        }
    }

    // Which fault, if any, touches this request.
    let mut fail = Fail::None;
    let mut slow = 1.0;
    let mut planted = None;
    let mut app500 = false;
    if let Some(fi) = blip {
        let f = &plan.faults[fi];
        return finish(
            plan,
            rng,
            req,
            f.backend,
            Fail::Closed,
            None,
            lb_us,
            c.kind,
            route,
            1.0,
        );
    }
    for f in &plan.faults {
        if f.backend != backend || t0 < f.from || t0 >= f.to {
            continue;
        }
        match f.kind {
            FaultKind::Overload {
                peak,
                ramp,
                slow: s,
            } => {
                let x = ((t0 - f.from) as f64 / ramp.max(1) as f64).min(1.0);
                slow = 1.0 + (s - 1.0) * x;
                let p = peak * x * (0.85 + 0.3 * rng.f64());
                if rng.chance(p) {
                    let r = rng.f64();
                    fail = if stack.lb == LbKind::Alb {
                        if r < 0.78 {
                            Fail::Timeout
                        } else {
                            Fail::Closed
                        }
                    } else if r < 0.72 {
                        Fail::Timeout
                    } else if r < 0.84 {
                        Fail::Closed
                    } else {
                        Fail::Refused
                    };
                    planted = f.incident;
                }
            }
            FaultKind::Refuse => {
                fail = Fail::Refused;
                planted = f.incident;
            }
            FaultKind::Creep { p0, p1, app } => {
                let span = (f.to - f.from).max(1) as f64;
                let p = p0 + (p1 - p0) * ((t0 - f.from) as f64 / span);
                if rng.chance(p) {
                    planted = f.incident;
                    if app {
                        app500 = true;
                    } else {
                        let r = rng.f64();
                        fail = if r < 0.6 {
                            Fail::Timeout
                        } else if r < 0.85 {
                            Fail::Closed
                        } else {
                            Fail::Refused
                        };
                    }
                }
            }
            FaultKind::Slow { factor, ramp } => {
                let x = ((t0 - f.from) as f64 / ramp.max(1) as f64).min(1.0);
                slow = 1.0 + (factor - 1.0) * x;
                planted = f.incident;
            }
            FaultKind::Blip { .. } | FaultKind::Deny { .. } => {}
        }
    }
    let mut req = finish(
        plan, rng, req, backend, fail, planted, lb_us, c.kind, route, slow,
    );
    if app500 && req.fail != Fail::ClientAbort {
        // The application itself answers 500 (a bug, a failing dependency).
        req.status = 500;
        req.fail = Fail::App;
        req.planted = planted;
        req.bytes = 120 + rng.below(200) as u32;
        if let Some(a) = req.attempts.last_mut() {
            a.status = Some(500);
            a.fail = Fail::App;
        }
    }
    req
}

/// Settles status, bytes, attempts and end time.
#[allow(clippy::too_many_arguments)]
fn finish(
    plan: &Plan,
    rng: &mut Rng,
    mut req: Req,
    backend: usize,
    fail: Fail,
    planted: Option<u8>,
    lb_us: i64,
    kind: ClientKind,
    route: &'static Route,
    slow: f64,
) -> Req {
    let stack = &plan.stack;
    let human = matches!(kind, ClientKind::Browser | ClientKind::MobileApp);
    let timeout_us = stack.timeout_ms as i64 * 1000;
    match fail {
        Fail::None | Fail::App => {
            let (status, us, f) = normal_answer(plan, route, backend, slow, req.t0, rng);
            // People give up on very slow pages; robots wait.
            if human && us > 6 * SEC && rng.chance(0.35) {
                let waited = rng.range(5 * SEC, 6 * SEC);
                req.attempts.push(Attempt {
                    backend,
                    status: None,
                    us: waited,
                    fail: Fail::ClientAbort,
                });
                return abort(stack, req, waited + lb_us);
            }
            let us = us.min(timeout_us);
            req.attempts.push(Attempt {
                backend,
                status: Some(status),
                us,
                fail: f,
            });
            req.status = status;
            req.fail = f;
            // Only a slowed request carries a fault here (never a failure).
            req.planted = planted;
            req.bytes = bytes_for(route, status, rng);
            req.t1 = req.t0 + us + lb_us;
        }
        Fail::Timeout => {
            if human && rng.chance(0.12) {
                let waited = rng.range(4 * SEC, timeout_us.max(5 * SEC) - SEC / 2);
                req.attempts.push(Attempt {
                    backend,
                    status: None,
                    us: waited,
                    fail: Fail::ClientAbort,
                });
                return abort(stack, req, waited + lb_us);
            }
            let us = timeout_us + rng.range(0, 3_000);
            let (status, up) = match stack.lb {
                LbKind::Nginx => (504, Some(504)),
                LbKind::Haproxy => (504, None),
                LbKind::Alb => (504, None),
            };
            req.attempts.push(Attempt {
                backend,
                status: up,
                us,
                fail,
            });
            req.status = status;
            req.fail = fail;
            req.planted = planted;
            req.bytes = error_bytes(stack.lb, status);
            req.t1 = req.t0 + us + lb_us;
        }
        Fail::Closed => {
            let us = rng.lognormal(1_800_000.0, 0.6) as i64;
            let us = us.min(timeout_us);
            let up = if stack.lb == LbKind::Nginx {
                Some(502)
            } else {
                None
            };
            req.attempts.push(Attempt {
                backend,
                status: up,
                us,
                fail,
            });
            req.status = 502;
            req.fail = fail;
            req.planted = planted;
            req.bytes = error_bytes(stack.lb, 502);
            req.t1 = req.t0 + us + lb_us;
        }
        Fail::Refused => {
            let connect_us = rng.range(80, 1_200);
            let nginx_retry =
                stack.lb == LbKind::Nginx && stack.retry_refused && route.idempotent();
            if nginx_retry {
                let pool_i = match (route.kind, stack.auth_pool) {
                    (RouteKind::Auth, Some(p)) => p,
                    _ => 0,
                };
                let other = choose_backend(&stack.pools[pool_i], req.t0, Some(backend), rng);
                if other != backend {
                    req.attempts.push(Attempt {
                        backend,
                        status: Some(502),
                        us: connect_us,
                        fail,
                    });
                    let (status, us, f) = normal_answer(plan, route, other, 1.0, req.t0, rng);
                    req.attempts.push(Attempt {
                        backend: other,
                        status: Some(status),
                        us,
                        fail: f,
                    });
                    req.status = status;
                    req.fail = f;
                    req.bytes = bytes_for(route, status, rng);
                    req.t1 = req.t0 + connect_us + us + lb_us;
                    return req;
                }
            }
            match stack.lb {
                LbKind::Haproxy => {
                    // retries 3, one second apart, then 503 SC.
                    let us = 3 * SEC + rng.range(500, 4_000);
                    req.attempts.push(Attempt {
                        backend,
                        status: None,
                        us,
                        fail,
                    });
                    req.status = 503;
                    req.bytes = 217;
                    req.t1 = req.t0 + us + lb_us;
                }
                _ => {
                    let up = if stack.lb == LbKind::Nginx {
                        Some(502)
                    } else {
                        None
                    };
                    req.attempts.push(Attempt {
                        backend,
                        status: up,
                        us: connect_us,
                        fail,
                    });
                    req.status = 502;
                    req.bytes = error_bytes(stack.lb, 502);
                    req.t1 = req.t0 + connect_us + lb_us;
                }
            }
            req.fail = fail;
            req.planted = planted;
        }
        Fail::ClientAbort => unreachable!("not planted"),
    }
    req
}

fn abort(stack: &Stack, mut req: Req, waited: i64) -> Req {
    req.status = match stack.lb {
        LbKind::Alb => 460,
        _ => 499,
    };
    req.fail = Fail::ClientAbort;
    req.bytes = 0;
    req.t1 = req.t0 + waited;
    req
}

fn error_bytes(lb: LbKind, status: u16) -> u32 {
    match (lb, status) {
        (LbKind::Nginx, 502) => 157,
        (LbKind::Nginx, 504) => 167,
        (LbKind::Alb, 502) => 122,
        (LbKind::Alb, 504) => 132,
        (LbKind::Haproxy, 504) => 206,
        _ => 192,
    }
}
