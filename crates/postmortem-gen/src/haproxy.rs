//! HAProxy `option httplog` lines behind a syslog prefix, and the notices
//! a reload writes to the same file.

use crate::clock::{haproxy, syslog, SEC};
use crate::out::TextLog;
use crate::rng::Rng;
use crate::traffic::{Fail, Traffic};

/// Names of the proxies.
pub const FRONTEND: &str = "www-https~";
pub const BACKEND: &str = "app_servers";

/// Renders the request lines; `pid_at(t)` is the worker pid at `t`.
pub fn request_lines(
    t: &Traffic,
    names: &[String],
    host: &str,
    offset: i32,
    pid_at: &dyn Fn(i64) -> u32,
    log: &mut TextLog,
    seed: u64,
) {
    lines(t, names, Some((host, pid_at)), offset, log, seed);
}

/// The request lines as `log stdout format raw` writes them: no syslog
/// prefix, the accept date the only time.
pub fn raw_request_lines(t: &Traffic, names: &[String], offset: i32, log: &mut TextLog, seed: u64) {
    lines(t, names, None, offset, log, seed);
}

type Prefix<'a> = Option<(&'a str, &'a dyn Fn(i64) -> u32)>;

fn lines(t: &Traffic, names: &[String], prefix: Prefix, offset: i32, log: &mut TextLog, seed: u64) {
    let mut rng = Rng::stream(seed, 60);
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    for i in idx {
        let r = &t.reqs[i];
        let c = &t.pop.clients[r.client as usize];
        let route = r.route();
        let total_ms = (r.t1 - r.t0) / 1000;
        let tr = if rng.chance(0.2) { rng.range(1, 40) } else { 0 };
        let (server, timers, state, retries) = match r.attempts.last() {
            None => (
                "www-https/<NOSRV>".to_string(),
                format!("{tr}/-1/-1/-1/{}", tr),
                "PR--",
                0,
            ),
            Some(a) if a.fail == Fail::Refused => (
                format!("{BACKEND}/{}", names[a.backend]),
                format!("{tr}/0/-1/-1/{}", total_ms + tr),
                "SC--",
                3,
            ),
            Some(a) => {
                let tc = rng.range(0, 2);
                let up = (a.us / 1000).max(tc + 1);
                let tr_resp = (up - tc).max(0);
                (
                    format!("{BACKEND}/{}", names[a.backend]),
                    format!("{tr}/0/{tc}/{tr_resp}/{}", total_ms.max(up) + tr),
                    "----",
                    0,
                )
            }
        };
        let fe = 40 + rng.below(60);
        let be = 5 + rng.below(20) + if state == "SC--" { 12 } else { 0 };
        let srv = rng.below(6) + if state == "SC--" { 9 } else { 0 };
        let ua: String = c.ua.chars().take(64).collect();
        let answered = r.attempts.last().is_some_and(|a| a.fail != Fail::Refused);
        let resp_bytes = r.bytes as u64 + if answered { 260 } else { 0 };
        let head = match prefix {
            Some((host, pid_at)) => {
                format!(
                    "{} {host} haproxy[{}]: ",
                    syslog(r.t1, offset),
                    pid_at(r.t1)
                )
            }
            None => String::new(),
        };
        let line = format!(
            "{head}{}:{} [{}] {FRONTEND} {server} {timers} {} {resp_bytes} - - {state} {fe}/{fe}/{be}/{srv}/{retries} 0/0 {{shop.example.com|{ua}}} \"{} {} {}\"",
            c.ip,
            r.port,
            haproxy(r.t0, offset),
            r.status,
            route.method,
            r.path,
            c.proto,
        );
        log.push(r.t1, line);
    }
}

/// Notices of a reload: the new worker starts the proxies, the old one
/// stops them.
pub fn reload_notices(
    log: &mut TextLog,
    at: i64,
    host: &str,
    offset: i32,
    old_pid: u32,
    new_pid: u32,
    conns: u64,
) {
    let p =
        |t: i64, pid: u32, msg: &str| format!("{} {host} haproxy[{pid}]: {msg}", syslog(t, offset));
    log.push(at, p(at, new_pid, "Proxy www-https started."));
    log.push(at, p(at, new_pid, "Proxy app_servers started."));
    log.push(at, p(at, new_pid, "Proxy stats started."));
    let s = at + SEC / 5;
    log.push(s, p(s, old_pid, "Stopping frontend www-https in 0 ms."));
    log.push(s, p(s, old_pid, "Stopping backend app_servers in 0 ms."));
    log.push(s, p(s, old_pid, "Stopping proxy stats in 0 ms."));
    log.push(
        s,
        p(
            s,
            old_pid,
            &format!("Proxy www-https stopped (cumulated conns: FE: {conns}, BE: 0)."),
        ),
    );
    log.push(
        s,
        p(
            s,
            old_pid,
            &format!(
                "Proxy app_servers stopped (cumulated conns: FE: 0, BE: {}).",
                conns - conns / 37
            ),
        ),
    );
    log.push(
        s,
        p(
            s,
            old_pid,
            "Proxy stats stopped (cumulated conns: FE: 212, BE: 0).",
        ),
    );
}

/// A health check taking a server out of the backend (`DOWN`) or putting
/// it back (`UP`), as HAProxy writes it; `left` counts the servers still
/// (or again) in service.
pub fn health_line(server: &str, up: bool, left: usize, refused: bool) -> String {
    if up {
        format!(
            "Server {BACKEND}/{server} is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. {left} active and 0 backup servers online. 0 sessions requeued, 0 total in queue."
        )
    } else if refused {
        format!(
            "Server {BACKEND}/{server} is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. {left} active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
        )
    } else {
        format!(
            "Server {BACKEND}/{server} is DOWN, reason: Layer4 timeout, check duration: 2001ms. {left} active and 0 backup servers left. 3 sessions active, 0 requeued, 0 remaining in queue."
        )
    }
}
