//! Apache httpd as a reverse proxy (mod_proxy_http): the combined access
//! log (`%t` is when the request was received, seconds) and the 2.4 error
//! log with the proxy's failures (AH01114 connection failed, AH01102
//! reading the status line failed or timed out, AH00940 backend disabled).

use std::fmt::Write as _;

use crate::clock::{apache_error, clf, SEC};
use crate::out::TextLog;
use crate::rng::Rng;
use crate::traffic::{Fail, Req, Stack, Traffic};

/// Apache's own status for a failed proxy attempt.
fn status(r: &Req) -> u16 {
    match r.attempts.last().map(|a| a.fail) {
        Some(Fail::Refused) => 503,
        Some(Fail::Closed) => 502,
        Some(Fail::Timeout) => 504,
        _ => r.status,
    }
}

/// The combined access log, in the order lines are written (as requests
/// finish).
pub fn access_log(t: &Traffic) -> String {
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    let mut out = String::new();
    for i in idx {
        let r = &t.reqs[i];
        let c = &t.pop.clients[r.client as usize];
        let route = r.route();
        let bytes = if r.bytes == 0 {
            "-".to_string()
        } else {
            r.bytes.to_string()
        };
        let _ = writeln!(
            out,
            "{} - - [{}] \"{} {} {}\" {} {bytes} \"{}\" \"{}\"",
            c.ip,
            clf(r.t0, 0),
            route.method,
            r.path,
            if c.proto == "HTTP/2.0" {
                "HTTP/2.0"
            } else {
                "HTTP/1.1"
            },
            status(r),
            r.referer,
            c.ua
        );
    }
    out
}

/// The error log: proxy failures plus the everyday noise of a web server.
pub fn error_log(t: &Traffic, stack: &Stack, start: i64, end: i64, seed: u64) -> TextLog {
    let mut rng = Rng::stream(seed, 55);
    let mut log = TextLog::new();
    let pids = [2841u32, 2842, 2843, 3310];
    for r in &t.reqs {
        let c = &t.pop.clients[r.client as usize];
        let pid = pids[r.node as usize % pids.len()];
        let tid = 139_872_401_000_000u64 + (r.port as u64) * 4096;
        let head = |at: i64, module: &str| {
            format!("[{}] [{module}] [pid {pid}:tid {tid}]", apache_error(at, 0))
        };
        let mut at = r.t0;
        for a in &r.attempts {
            at += a.us;
            let addr = &stack.backends[a.backend].addr;
            let host = addr.split(':').next().unwrap_or(addr);
            match a.fail {
                Fail::Refused => {
                    log.push(at, format!("{} (111)Connection refused: AH00957: http: attempt to connect to {addr} ({host}:8080) failed", head(at, "proxy:error")));
                    log.push(at, format!("{} [client {}:{}] AH01114: HTTP: failed to make connection to backend: {host}", head(at, "proxy_http:error"), c.ip, r.port));
                    if rng.chance(0.2) {
                        log.push(
                            at,
                            format!(
                                "{} AH00940: http: disabled connection for ({host}:8080)",
                                head(at, "proxy:error")
                            ),
                        );
                    }
                }
                Fail::Timeout => {
                    log.push(at, format!("{} (70007)The timeout specified has expired: [client {}:{}] AH01102: error reading status line from remote server {host}:8080", head(at, "proxy_http:error"), c.ip, r.port));
                    log.push(at, format!("{} [client {}:{}] AH00898: Error reading from remote server returned by {}", head(at, "proxy:error"), c.ip, r.port, r.path.split('?').next().unwrap_or("/")));
                }
                Fail::Closed => {
                    log.push(at, format!("{} (104)Connection reset by peer: [client {}:{}] AH01102: error reading status line from remote server {host}:8080", head(at, "proxy_http:error"), c.ip, r.port));
                }
                _ => {}
            }
        }
    }
    // Scanners and broken clients, a few an hour.
    let hours = (end - start) as f64 / (3600 * SEC) as f64;
    for _ in 0..rng.poisson(2.0 * hours) {
        let at = rng.range(start, end);
        let ip = format!("45.148.10.{}", 2 + rng.below(250));
        let msg = match rng.below(3) {
            0 => format!("{} [client {ip}:{}] AH10244: invalid URI path (/cgi-bin/.%2e/.%2e/.%2e/bin/sh)", "[core:error]", 40_000 + rng.below(20_000)),
            1 => format!("{} [client {ip}:{}] AH01630: client denied by server configuration: /var/www/html/.env", "[authz_core:error]", 40_000 + rng.below(20_000)),
            _ => format!("{} [client {ip}:{}] AH02032: Hostname 198.51.100.7 provided via SNI and hostname shop.example.com provided via HTTP have no compatible SSL setup", "[ssl:error]", 40_000 + rng.below(20_000)),
        };
        let (module, rest) = msg.split_once(' ').unwrap_or(("[core:error]", ""));
        log.push(
            at,
            format!(
                "[{}] {module} [pid {}:tid 139872401516288] {rest}",
                apache_error(at, 0),
                pids[rng.index(pids.len())]
            ),
        );
    }
    log
}
