//! nginx front: access log with upstream fields (rotated), and the error
//! log with upstream failures, reloads, log reopening, fresh starts and the
//! everyday noise (TLS handshakes from scanners, buffered responses).

use std::fmt::Write as _;

use crate::clock::{clf, slashed, MIN, SEC};
use crate::out::TextLog;
use crate::rng::Rng;
use crate::traffic::{Fail, Req, Stack, Traffic};
use crate::world::{ClientKind, Population, RouteKind};

/// The server name nginx logs.
pub const SERVER: &str = "shop.example.com";

/// Seconds with millisecond resolution, as nginx prints `$request_time`.
pub fn secs3(us: i64) -> String {
    let ms = (us.max(0) + 500) / 1000;
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// One access-log line (combined + upstream addr, status, times).
pub fn access_line(r: &Req, pop: &Population, stack: &Stack, offset: i32) -> String {
    let c = &pop.clients[r.client as usize];
    let route = r.route();
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "{} - - [{}] \"{} {} {}\" {} {} \"{}\" \"{}\" ",
        c.ip,
        clf(r.t1, offset),
        route.method,
        r.path,
        c.proto,
        r.status,
        r.bytes,
        r.referer,
        c.ua
    );
    if r.attempts.is_empty() {
        let _ = write!(s, "- - {} -", secs3(r.t1 - r.t0));
        return s;
    }
    let addrs: Vec<&str> = r
        .attempts
        .iter()
        .map(|a| stack.backends[a.backend].addr.as_str())
        .collect();
    let statuses: Vec<String> = r
        .attempts
        .iter()
        .map(|a| a.status.map_or("-".to_string(), |x| x.to_string()))
        .collect();
    let times: Vec<String> = r.attempts.iter().map(|a| secs3(a.us)).collect();
    let _ = write!(
        s,
        "{} {} {} {}",
        addrs.join(", "),
        statuses.join(", "),
        secs3(r.t1 - r.t0),
        times.join(", ")
    );
    s
}

/// Writes the access log split at `cuts` (ascending): returns the parts
/// oldest first.
pub fn access_logs(t: &Traffic, stack: &Stack, offset: i32, cuts: &[i64]) -> Vec<String> {
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    let mut parts = vec![String::new(); cuts.len() + 1];
    for i in idx {
        let r = &t.reqs[i];
        let part = cuts.iter().filter(|&&c| r.t1 >= c).count();
        parts[part].push_str(&access_line(r, &t.pop, stack, offset));
        parts[part].push('\n');
    }
    parts
}

/// Process ids over time: reloads replace workers; a fresh start replaces
/// the master too and resets the connection counter.
pub struct Procs {
    /// (from, master, workers, connection counter base)
    epochs: Vec<(i64, u32, Vec<u32>, u64)>,
}

impl Procs {
    fn at(&self, t: i64) -> &(i64, u32, Vec<u32>, u64) {
        let mut e = &self.epochs[0];
        for x in &self.epochs {
            if x.0 <= t {
                e = x;
            }
        }
        e
    }
}

/// Lifecycle events of the nginx process.
#[derive(Clone, Debug)]
pub enum Life {
    /// `nginx -s reload` (configuration change).
    Reload(i64),
    /// logrotate's USR1.
    Reopen(i64),
    /// Killed: nothing is logged by nginx itself.
    Killed(i64),
    /// Started again by systemd.
    Start(i64),
}

/// Builds the error log.
pub fn error_log(
    t: &Traffic,
    stack: &Stack,
    offset: i32,
    life: &[Life],
    start: i64,
    end: i64,
    seed: u64,
) -> TextLog {
    let mut rng = Rng::stream(seed, 50);
    let mut log = TextLog::new();
    let stamp = |x: i64| slashed(x, offset);

    // Process epochs.
    let mut master = 1021u32;
    let mut next_pid = 1024u32;
    let mut workers: Vec<u32> = (0..4).map(|i| next_pid + i).collect();
    next_pid += 40 + rng.below(400) as u32;
    let mut epochs = vec![(i64::MIN, master, workers.clone(), 3_812_004u64)];
    for l in life {
        match *l {
            Life::Reload(at) => {
                let client = next_pid;
                next_pid += 1;
                let old = workers.clone();
                workers = (0..4).map(|i| next_pid + i).collect();
                next_pid += 30 + rng.below(200) as u32;
                log.push(
                    at,
                    format!(
                        "{} [notice] {client}#{client}: signal process started",
                        stamp(at)
                    ),
                );
                let m = at + 2_000;
                let lines = [
                    format!("signal 1 (SIGHUP) received from {client}, reconfiguring"),
                    "reconfiguring".to_string(),
                    "using the \"epoll\" event method".to_string(),
                    "start worker processes".to_string(),
                ];
                for line in lines {
                    log.push(
                        m,
                        format!("{} [notice] {master}#{master}: {line}", stamp(m)),
                    );
                }
                for w in &workers {
                    log.push(
                        m,
                        format!(
                            "{} [notice] {master}#{master}: start worker process {w}",
                            stamp(m)
                        ),
                    );
                }
                for (i, w) in old.iter().enumerate() {
                    let g = m + 5_000 + i as i64 * 700;
                    log.push(
                        g,
                        format!("{} [notice] {w}#{w}: gracefully shutting down", stamp(g)),
                    );
                }
                for (i, w) in old.iter().enumerate() {
                    let e = m + rng.range(SEC, 25 * SEC) + i as i64;
                    log.push(e, format!("{} [notice] {w}#{w}: exiting", stamp(e)));
                    log.push(e, format!("{} [notice] {w}#{w}: exit", stamp(e)));
                    let e2 = e + 3_000;
                    log.push(
                        e2,
                        format!(
                            "{} [notice] {master}#{master}: signal 17 (SIGCHLD) received from {w}",
                            stamp(e2)
                        ),
                    );
                    log.push(
                        e2,
                        format!(
                            "{} [notice] {master}#{master}: worker process {w} exited with code 0",
                            stamp(e2)
                        ),
                    );
                    log.push(
                        e2,
                        format!(
                            "{} [notice] {master}#{master}: signal 29 (SIGIO) received",
                            stamp(e2)
                        ),
                    );
                }
                let base = epochs.last().map_or(0, |e| e.3);
                epochs.push((at, master, workers.clone(), base));
            }
            Life::Reopen(at) => {
                let from = next_pid;
                next_pid += 1;
                log.push(at, format!("{} [notice] {master}#{master}: signal 10 (SIGUSR1) received from {from}, reopening logs", stamp(at)));
                log.push(
                    at,
                    format!("{} [notice] {master}#{master}: reopening logs", stamp(at)),
                );
                for w in &workers {
                    let a = at + 1_000;
                    log.push(a, format!("{} [notice] {w}#{w}: reopening logs", stamp(a)));
                }
            }
            Life::Killed(_) => {}
            Life::Start(at) => {
                master = next_pid;
                workers = (1..5).map(|i| master + i).collect();
                next_pid += 60;
                let lines = [
                    "using the \"epoll\" event method".to_string(),
                    "nginx/1.24.0".to_string(),
                    "built by gcc 13.2.0 (Ubuntu 13.2.0-4ubuntu3)".to_string(),
                    "OS: Linux 6.5.0-1016-aws".to_string(),
                    "getrlimit(RLIMIT_NOFILE): 1024:524288".to_string(),
                    "start worker processes".to_string(),
                ];
                for line in lines {
                    log.push(
                        at,
                        format!("{} [notice] {master}#{master}: {line}", stamp(at)),
                    );
                }
                for w in &workers {
                    log.push(
                        at,
                        format!(
                            "{} [notice] {master}#{master}: start worker process {w}",
                            stamp(at)
                        ),
                    );
                }
                epochs.push((at, master, workers.clone(), 1));
            }
        }
    }
    let procs = Procs { epochs };

    // Upstream failures, one line per failed try.
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    // The connection counter lives in shared memory: it survives reloads
    // and starts again from 1 only when a new master starts.
    let mut conn = procs.epochs[0].3;
    let mut last_epoch = 0;
    for i in idx {
        let r = &t.reqs[i];
        let ei = procs.epochs.iter().rposition(|e| e.0 <= r.t1).unwrap_or(0);
        if ei != last_epoch {
            if procs.epochs[ei].3 == 1 {
                conn = 1;
            }
            last_epoch = ei;
        }
        conn += 1 + r.rid.as_bytes()[0].is_multiple_of(3) as u64;
        let (_, _, ws, _) = procs.at(r.t0);
        let w = ws[r.node as usize % ws.len()];
        let c = &t.pop.clients[r.client as usize];
        let route = r.route();
        let mut at = r.t0;
        let tail = |addr: &str| {
            let mut s = format!(
                ", client: {}, server: {SERVER}, request: \"{} {} {}\", upstream: \"http://{addr}{}\", host: \"{SERVER}\"",
                c.ip, route.method, r.path, c.proto, r.path
            );
            if r.referer != "-" {
                let _ = write!(s, ", referrer: \"{}\"", r.referer);
            }
            s
        };
        for a in &r.attempts {
            at += a.us;
            let addr = &stack.backends[a.backend].addr;
            let what = match a.fail {
                Fail::Timeout => "upstream timed out (110: Connection timed out) while reading response header from upstream",
                Fail::Refused => "connect() failed (111: Connection refused) while connecting to upstream",
                Fail::Closed => "upstream prematurely closed connection while reading response header from upstream",
                _ => continue,
            };
            log.push(
                at,
                format!(
                    "{} [error] {w}#{w}: *{conn} {what}{}",
                    stamp(at),
                    tail(addr)
                ),
            );
            if a.fail == Fail::Refused && r.attempts.len() > 1 && rng.chance(0.3) {
                log.push(at, format!("{} [warn] {w}#{w}: *{conn} upstream server temporarily disabled while connecting to upstream{}", stamp(at), tail(addr)));
            }
        }
        if route.id == 21 && !r.attempts.is_empty() && rng.chance(0.5) {
            let a = &r.attempts[0];
            let addr = &stack.backends[a.backend].addr;
            let at = r.t0 + a.us / 2;
            log.push(at, format!(
                "{} [warn] {w}#{w}: *{conn} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/{}/{:02}/00000{} while reading upstream{}",
                stamp(at), conn % 10, conn % 100, conn, tail(addr)
            ));
        }
        if c.kind == ClientKind::Scanner && route.kind == RouteKind::Scan && rng.chance(0.15) {
            let at = r.t0 - rng.range(SEC, 20 * SEC);
            log.push(at, format!(
                "{} [crit] {w}#{w}: *{} SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: {}, server: 0.0.0.0:443",
                stamp(at), conn.saturating_sub(1), c.ip
            ));
        }
    }
    // Rare oversized uploads from broken clients.
    let hours = (end - start) as f64 / (60 * MIN) as f64;
    for _ in 0..rng.poisson(0.3 * hours) {
        let at = rng.range(start, end);
        let w = procs.at(at).2[0];
        let ip = &t.pop.clients[t.pop.draw_human(&mut rng) as usize].ip;
        log.push(at, format!(
            "{} [error] {w}#{w}: *{} client intended to send too large body: 10485921 bytes, client: {ip}, server: {SERVER}, request: \"POST /api/v1/events HTTP/2.0\", host: \"{SERVER}\"",
            stamp(at), 3_812_004 + rng.below(900_000),
        ));
    }
    log
}
