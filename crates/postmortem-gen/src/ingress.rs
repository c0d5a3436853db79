//! ingress-nginx's default access log, `upstreaminfo`: combined, then the
//! request length and time, `[namespace-service-port]`, the alternative
//! upstream, and the lists of upstream addresses, response lengths, times
//! and statuses (one per try), then the request id.

use std::fmt::Write as _;

use crate::clock::clf;
use crate::nginx::secs3;
use crate::traffic::{Stack, Traffic};

/// The `$proxy_upstream_name`.
pub const UPSTREAM: &str = "shop-shop-api-8080";

pub fn access_log(t: &Traffic, stack: &Stack) -> String {
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    let mut out = String::new();
    for i in idx {
        let r = &t.reqs[i];
        let c = &t.pop.clients[r.client as usize];
        let route = r.route();
        let _ = write!(
            out,
            "{} - - [{}] \"{} {} {}\" {} {} \"{}\" \"{}\" {} {} [{UPSTREAM}] [] ",
            c.ip,
            clf(r.t1, 0),
            route.method,
            r.path,
            c.proto,
            r.status,
            r.bytes,
            r.referer,
            c.ua,
            r.rx_bytes,
            secs3(r.t1 - r.t0),
        );
        if r.attempts.is_empty() {
            let _ = writeln!(out, "- - - - {}", r.rid);
            continue;
        }
        let join = |f: &dyn Fn(usize) -> String| {
            (0..r.attempts.len()).map(f).collect::<Vec<_>>().join(", ")
        };
        let addrs = join(&|k| stack.backends[r.attempts[k].backend].addr.clone());
        let lens = join(&|k| {
            let a = &r.attempts[k];
            match a.status {
                Some(s) if s < 500 && k + 1 == r.attempts.len() => r.bytes.to_string(),
                Some(_) => "0".to_string(),
                None => "0".to_string(),
            }
        });
        let times = join(&|k| secs3(r.attempts[k].us));
        let statuses = join(&|k| {
            r.attempts[k]
                .status
                .map_or("-".to_string(), |s| s.to_string())
        });
        let _ = writeln!(out, "{addrs} {lens} {times} {statuses} {}", r.rid);
    }
    out
}
