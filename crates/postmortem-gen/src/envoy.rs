//! Envoy access logs: the default text format and Istio's JSON encoding of
//! the same fields (`meshConfig.accessLogEncoding: JSON`, keys in
//! alphabetical order). Envoy stamps a request with its start time (ms)
//! and writes the line when the stream ends; failures carry response
//! flags (`UF` connection failure, `UT` timeout, `UC` connection closed,
//! `RL` rate limited, `UAEX` external authorization denied, `DC` the
//! client went away).

use std::fmt::Write as _;

use crate::applog::json_str as q;
use crate::clock::rfc3339;
use crate::traffic::{Fail, Req, Stack, Traffic};

/// The authority the gateway serves.
pub const AUTHORITY: &str = "shop.example.com";

/// `8f56bc6a-343d-4c14-97a2-eef342497287` from a 32-digit hex id.
pub fn uuid(rid: &str) -> String {
    let h = |a: usize, b: usize| rid.get(a..b).unwrap_or("0");
    format!(
        "{}-{}-4{}-a{}-{}",
        h(0, 8),
        h(8, 12),
        h(13, 16),
        h(17, 20),
        h(20, 32)
    )
}

/// Envoy's code, flags and response-code details for a request.
fn outcome(r: &Req) -> (u16, &'static str, &'static str) {
    match r.attempts.last() {
        None => match r.status {
            429 => (429, "RL", "local_rate_limited"),
            401 | 403 => (r.status, "UAEX", "ext_authz_denied"),
            s => (s, "-", "via_upstream"),
        },
        Some(a) => match a.fail {
            Fail::Refused => (
                503,
                "UF,URX",
                "upstream_reset_before_response_started{connection_failure}",
            ),
            Fail::Timeout => (504, "UT", "response_timeout"),
            Fail::Closed => (
                503,
                "UC",
                "upstream_reset_before_response_started{connection_termination}",
            ),
            Fail::ClientAbort => (0, "DC", "downstream_remote_disconnect"),
            _ => (r.status, "-", "via_upstream"),
        },
    }
}

fn order(t: &Traffic) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    idx
}

/// Upstream time as `x-envoy-upstream-service-time` has it (only when the
/// upstream answered).
fn service_ms(r: &Req) -> Option<i64> {
    r.attempts
        .last()
        .filter(|a| matches!(a.fail, Fail::None | Fail::App))
        .map(|a| a.us / 1000)
}

/// The default text access log.
pub fn text_log(t: &Traffic, stack: &Stack) -> String {
    let mut out = String::new();
    for i in order(t) {
        let r = &t.reqs[i];
        let c = &t.pop.clients[r.client as usize];
        let route = r.route();
        let (code, flags, _) = outcome(r);
        let sent = if code == 0 { 0 } else { r.bytes };
        let up = service_ms(r).map_or("-".to_string(), |m| m.to_string());
        let host = r
            .attempts
            .last()
            .map_or("-".to_string(), |a| stack.backends[a.backend].addr.clone());
        let rx = if route.method == "POST" {
            r.rx_bytes
        } else {
            0
        };
        let _ = writeln!(
            out,
            "[{}] \"{} {} {}\" {code} {flags} {rx} {sent} {} {up} \"{}\" \"{}\" \"{}\" \"{AUTHORITY}\" \"{host}\"",
            rfc3339(r.t0 - r.t0.rem_euclid(1000), 0, 3),
            route.method,
            r.path,
            c.proto,
            (r.t1 - r.t0) / 1000,
            c.ip,
            c.ua,
            uuid(&r.rid),
        );
    }
    out
}

/// Istio's JSON access log of the ingress gateway.
pub fn istio_log(t: &Traffic, stack: &Stack) -> String {
    let mut out = String::new();
    for i in order(t) {
        let r = &t.reqs[i];
        let c = &t.pop.clients[r.client as usize];
        let route = r.route();
        let (code, flags, details) = outcome(r);
        let sent = if code == 0 { 0 } else { r.bytes };
        let a = r.attempts.last();
        let host = a.map(|a| stack.backends[a.backend].addr.as_str());
        let cluster = if a.is_some() {
            "\"outbound|8080||shop-api.shop.svc.cluster.local\"".to_string()
        } else {
            "null".to_string()
        };
        let failure = match a.map(|a| a.fail) {
            Some(Fail::Refused) => "\"delayed connect error: 111\"",
            _ => "null",
        };
        let mut s = String::with_capacity(900);
        let _ = write!(
            s,
            "{{\"authority\":\"{AUTHORITY}\",\"bytes_received\":{},\"bytes_sent\":{sent},\"connection_termination_details\":null,\"downstream_local_address\":\"10.8.3.17:8443\",\"downstream_remote_address\":\"{}:{}\",\"duration\":{},\"method\":\"{}\",\"path\":{},\"protocol\":\"{}\",\"request_id\":\"{}\",\"requested_server_name\":\"{AUTHORITY}\",\"response_code\":{code},\"response_code_details\":\"{details}\",\"response_flags\":\"{flags}\",\"route_name\":null,\"start_time\":\"{}\",\"upstream_cluster\":{cluster},",
            if route.method == "POST" { r.rx_bytes } else { 0 },
            c.ip,
            r.port,
            (r.t1 - r.t0) / 1000,
            route.method,
            q(&r.path),
            c.proto,
            uuid(&r.rid),
            rfc3339(r.t0 - r.t0.rem_euclid(1000), 0, 3),
        );
        match host {
            Some(h) => {
                let _ = write!(
                    s,
                    "\"upstream_host\":\"{h}\",\"upstream_local_address\":\"10.8.3.17:{}\",",
                    33_000 + r.port % 20_000
                );
            }
            None => s.push_str("\"upstream_host\":null,\"upstream_local_address\":null,"),
        }
        let up = service_ms(r).map_or("null".to_string(), |m| format!("\"{m}\""));
        let _ = write!(
            s,
            "\"upstream_service_time\":{up},\"upstream_transport_failure_reason\":{failure},\"user_agent\":{},\"x_forwarded_for\":\"{}\"}}",
            q(c.ua),
            c.ip
        );
        out.push_str(&s);
        out.push('\n');
    }
    out
}
