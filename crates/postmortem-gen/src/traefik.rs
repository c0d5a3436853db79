//! Traefik access logs: the default Common Log Format line (with Traefik's
//! request counter, router, server URL and duration) and the JSON layout
//! (logrus keys in alphabetical order, durations in nanoseconds).
//!
//! Traefik stamps a request with its start time (`StartUTC`) and writes the
//! line when it finishes; a middleware that answers itself (rate limit,
//! forward auth) leaves the service fields out and `OriginStatus` at 0.

use std::fmt::Write as _;

use crate::applog::json_str as q;
use crate::clock::{clf, rfc3339, rfc3339_nano_trim};
use crate::traffic::{Fail, Req, Stack, Traffic};

/// The router and service names Traefik logs (`shop@kubernetes`).
pub const ROUTER: &str = "websecure-shop-shop-api@kubernetes";
pub const SERVICE: &str = "shop-shop-api-8080@kubernetes";

/// Traefik's own status for a failed proxy attempt.
fn downstream(r: &Req) -> u16 {
    match r.attempts.last().map(|a| a.fail) {
        Some(Fail::Refused) | Some(Fail::Closed) => 502,
        Some(Fail::Timeout) => 504,
        _ => r.status,
    }
}

/// The requests in the order Traefik writes them (as they finish), with
/// the request counter Traefik gives them (in order of arrival).
fn ordered(t: &Traffic) -> Vec<(usize, u64)> {
    let mut by_start: Vec<usize> = (0..t.reqs.len()).collect();
    by_start.sort_by_key(|&i| (t.reqs[i].t0, i));
    let mut count = vec![0u64; t.reqs.len()];
    for (n, &i) in by_start.iter().enumerate() {
        count[i] = 48_211 + n as u64;
    }
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    idx.into_iter().map(|i| (i, count[i])).collect()
}

/// The CLF access log.
pub fn clf_log(t: &Traffic, stack: &Stack) -> String {
    let mut out = String::new();
    for (i, n) in ordered(t) {
        let r = &t.reqs[i];
        let c = &t.pop.clients[r.client as usize];
        let route = r.route();
        let url = match r.attempts.last() {
            Some(a) => format!("http://{}", stack.backends[a.backend].addr),
            None => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "{} - - [{}] \"{} {} {}\" {} {} \"{}\" \"{}\" {n} \"{ROUTER}\" \"{url}\" {}ms",
            c.ip,
            clf(r.t0, 0),
            route.method,
            r.path,
            c.proto,
            downstream(r),
            r.bytes,
            r.referer,
            c.ua,
            (r.t1 - r.t0) / 1000
        );
    }
    out
}

/// The JSON access log.
pub fn json_log(t: &Traffic, stack: &Stack) -> String {
    let mut out = String::new();
    for (i, n) in ordered(t) {
        let r = &t.reqs[i];
        let c = &t.pop.clients[r.client as usize];
        let route = r.route();
        let dur_ns = (r.t1 - r.t0) * 1000;
        let a = r.attempts.last();
        let answered = a.is_some_and(|a| a.status.is_some() && a.fail != Fail::Refused);
        let (origin_status, origin_size, origin_ns) = match a {
            Some(a) if answered && a.fail != Fail::Timeout => {
                (a.status.unwrap_or(0), r.bytes, a.us * 1000)
            }
            Some(a) => (0, 0, a.us * 1000),
            None => (0, 0, 0),
        };
        let mut s = String::with_capacity(900);
        let _ = write!(
            s,
            "{{\"ClientAddr\":\"{}:{}\",\"ClientHost\":\"{}\",\"ClientPort\":\"{}\",\"ClientUsername\":\"-\",\"DownstreamContentSize\":{},\"DownstreamStatus\":{},\"Duration\":{dur_ns},",
            c.ip, r.port, c.ip, r.port, r.bytes, downstream(r)
        );
        if a.is_some() {
            let _ = write!(
                s,
                "\"OriginContentSize\":{origin_size},\"OriginDuration\":{origin_ns},\"OriginStatus\":{origin_status},\"Overhead\":{},",
                (dur_ns - origin_ns).max(0)
            );
        } else {
            let _ = write!(s, "\"OriginStatus\":0,\"Overhead\":{dur_ns},");
        }
        let _ = write!(
            s,
            "\"RequestAddr\":\"shop.example.com\",\"RequestContentSize\":{},\"RequestCount\":{n},\"RequestHost\":\"shop.example.com\",\"RequestMethod\":\"{}\",\"RequestPath\":{},\"RequestPort\":\"-\",\"RequestProtocol\":\"{}\",\"RequestScheme\":\"https\",\"RetryAttempts\":{},\"RouterName\":\"{ROUTER}\",",
            if route.method == "POST" { r.rx_bytes } else { 0 },
            route.method,
            q(&r.path),
            c.proto,
            r.attempts.len().saturating_sub(1)
        );
        if let Some(a) = a {
            let addr = &stack.backends[a.backend].addr;
            let _ = write!(
                s,
                "\"ServiceAddr\":\"{addr}\",\"ServiceName\":\"{SERVICE}\",\"ServiceURL\":\"http://{addr}\","
            );
        }
        let _ = write!(
            s,
            "\"StartLocal\":\"{}\",\"StartUTC\":\"{}\",\"downstream_Content-Type\":\"{}\",\"entryPointName\":\"websecure\",\"level\":\"info\",\"msg\":\"\",\"request_User-Agent\":{},\"time\":\"{}\"}}",
            rfc3339_nano_trim(r.t0),
            rfc3339_nano_trim(r.t0),
            if r.status >= 400 { "text/plain; charset=utf-8" } else { "application/json" },
            q(c.ua),
            rfc3339(r.t1, 0, 0)
        );
        out.push_str(&s);
        out.push('\n');
    }
    out
}
