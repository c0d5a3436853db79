//! Caddy's JSON access log (`log` directive, the `http.log.access`
//! logger): one "handled request" object per request, written when it
//! finishes (`ts`, epoch seconds), `duration` in seconds, the request as a
//! nested object. Caddy logs 5xx answers at level `error`. Reverse-proxy
//! failures also go to the server log (`http.log.error`).

use std::fmt::Write as _;

use crate::applog::json_str as q;
use crate::clock::epoch_secs_frac;
use crate::traffic::{Fail, Req, Stack, Traffic};

fn status(r: &Req) -> u16 {
    match r.attempts.last().map(|a| a.fail) {
        Some(Fail::Refused) | Some(Fail::Closed) => 502,
        Some(Fail::Timeout) => 504,
        _ => r.status,
    }
}

fn request_obj(r: &Req, t: &Traffic) -> String {
    let c = &t.pop.clients[r.client as usize];
    let route = r.route();
    let tls_proto = if c.proto == "HTTP/2.0" { "h2" } else { "" };
    format!(
        "{{\"remote_ip\":\"{}\",\"remote_port\":\"{}\",\"client_ip\":\"{}\",\"proto\":\"{}\",\"method\":\"{}\",\"host\":\"shop.example.com\",\"uri\":{},\"headers\":{{\"User-Agent\":[{}],\"Accept-Encoding\":[\"gzip, deflate, br\"]}},\"tls\":{{\"resumed\":false,\"version\":772,\"cipher_suite\":4865,\"proto\":\"{tls_proto}\",\"server_name\":\"shop.example.com\"}}}}",
        c.ip,
        r.port,
        c.ip,
        c.proto,
        route.method,
        q(&r.path),
        q(c.ua)
    )
}

/// The access log and the server log (proxy errors).
pub fn logs(t: &Traffic, stack: &Stack) -> (String, String) {
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    let mut access = String::new();
    let mut errors = String::new();
    for i in idx {
        let r = &t.reqs[i];
        let st = status(r);
        let level = if st >= 500 { "error" } else { "info" };
        let ct = if st >= 400 {
            "text/plain; charset=utf-8"
        } else {
            "application/json"
        };
        let req = request_obj(r, t);
        let dur = (r.t1 - r.t0) as f64 / 1e6;
        let _ = writeln!(
            access,
            "{{\"level\":\"{level}\",\"ts\":{},\"logger\":\"http.log.access.log0\",\"msg\":\"handled request\",\"request\":{req},\"bytes_read\":{},\"user_id\":\"\",\"duration\":{dur:.6},\"size\":{},\"status\":{st},\"resp_headers\":{{\"Server\":[\"Caddy\"],\"Content-Type\":[\"{ct}\"]}}}}",
            epoch_secs_frac(r.t1),
            if r.route().method == "POST" { r.rx_bytes } else { 0 },
            r.bytes,
        );
        if let Some(a) = r.attempts.last() {
            let addr = &stack.backends[a.backend].addr;
            let msg = match a.fail {
                Fail::Refused => format!("dial tcp {addr}: connect: connection refused"),
                Fail::Timeout => "net/http: timeout awaiting response headers".to_string(),
                Fail::Closed => "EOF".to_string(),
                _ => continue,
            };
            let _ = writeln!(
                errors,
                "{{\"level\":\"error\",\"ts\":{},\"logger\":\"http.log.error.log0\",\"msg\":{},\"request\":{req},\"duration\":{dur:.6},\"status\":{st},\"err_id\":\"{}\",\"err_trace\":\"reverseproxy.statusError (reverseproxy.go:1269)\"}}",
                epoch_secs_frac(r.t1),
                q(&msg),
                &r.rid[..9],
            );
        }
    }
    (access, errors)
}
