//! AWS load balancer access logs: Application Load Balancer (`type time elb
//! client:port target:port ...`) and Classic ELB (the same without `type`).
//!
//! Both are space-delimited with a fixed order up to the request line; ALB
//! keeps appending fields at the end, so everything after the user agent is
//! ignored. Timestamps are UTC with microseconds.

use crate::format::lex::{
    decimal, ip_of, is_count, method_path, next_token, quoted_token, status3, text,
};
use crate::format::{LogFormat, Role};
use crate::record::{Parsed, Request};
use crate::time::{parse_iso, TimeCtx};

/// AWS Application Load Balancer access log.
pub struct Alb;

impl LogFormat for Alb {
    fn name(&self) -> &'static str {
        "alb"
    }

    fn description(&self) -> &'static str {
        "AWS Application Load Balancer access log"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        let (kind, rest) = next_token(line);
        if !matches!(kind, b"http" | b"https" | b"h2" | b"grpcs" | b"ws" | b"wss") {
            return Parsed::Unparsed;
        }
        parse_body(rest, ctx).unwrap_or(Parsed::Unparsed)
    }
}

/// AWS Classic Load Balancer access log.
pub struct ClassicElb;

impl LogFormat for ClassicElb {
    fn name(&self) -> &'static str {
        "elb"
    }

    fn description(&self) -> &'static str {
        "AWS Classic Load Balancer access log"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_body(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

/// `time elb client:port target:port rpt tpt rspt elb_status target_status
/// received sent "request" ...`, shared by both generations.
fn parse_body<'a>(b: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let (time, r) = next_token(b);
    let (stamp, used) = parse_iso(time)?;
    if used != time.len() || stamp.offset.is_none() {
        return None;
    }
    let (elb, r) = next_token(r);
    if elb.is_empty() || elb.first() == Some(&b'"') {
        return None;
    }
    let (client, r) = next_token(r);
    let client = client_host(client)?;
    let (target, mut r) = next_token(r);
    if target.is_empty() {
        return None;
    }
    let backend = (target != b"-").then_some(target);
    // The three processing times; -1 when the request was never dispatched
    // or the connection timed out, which leaves the total unknown.
    let mut latency_ms = Some(0.0);
    for _ in 0..3 {
        let (t, rest) = next_token(r);
        r = rest;
        latency_ms = match (latency_ms, timing_ms(t)?) {
            (Some(total), Some(ms)) => Some(total + ms),
            _ => None,
        };
    }
    let (elb_status, r) = next_token(r);
    let status = match elb_status {
        b"-" => None,
        s => Some(status3(s)?),
    };
    // Classic ELB writes backend status 0 when the backend never answered.
    let (target_status, r) = next_token(r);
    if !(target_status == b"-" || target_status == b"0" || status3(target_status).is_some()) {
        return None;
    }
    let (received, r) = next_token(r);
    let (sent, r) = next_token(r);
    if !is_count(received) || !is_count(sent) {
        return None;
    }
    let (req, _) = quoted_token(r)?;
    let (method, path) = method_path(req);
    let (status, failed) = match status {
        Some(s) => (s, s >= 500),
        // TCP listeners log no status: the connection failed only when no
        // backend took it.
        None => (0, backend.is_none()),
    };
    Some(Parsed::Request {
        at: ctx.resolve(stamp),
        request: Request {
            status,
            failed,
            backend: backend.map(text),
            client: Some(text(client)),
            latency_ms,
            method,
            path,
        },
    })
}

/// The address of `ip:port` (`[v6]:port`, or a v6 address with its port
/// simply appended). The port is always there, so the last `:digits` goes
/// before anything else is tried.
fn client_host(b: &[u8]) -> Option<&[u8]> {
    if let Some(i) = memchr::memrchr(b':', b) {
        let (host, port) = (b.get(..i)?, b.get(i + 1..)?);
        if !port.is_empty() && port.iter().all(u8::is_ascii_digit) {
            if let Some((h, _)) = ip_of(host) {
                return Some(h);
            }
        }
    }
    ip_of(b).map(|(h, _)| h)
}

/// A processing time in ms: `Some(None)` for `-1`, `None` when malformed.
fn timing_ms(t: &[u8]) -> Option<Option<f64>> {
    if t == b"-1" {
        return Some(None);
    }
    decimal(t).map(|d| Some(d.ms()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::lex::strip_port;
    use crate::format::testkit::{
        check, check_requests, check_requests_with, detect_corpus, each, expected_str, request,
        unparsed, ALB_DOC, ELB_DOC, ENVOY_DOC,
    };

    #[test]
    fn alb_doc_lines() {
        check(
            &Alb,
            &[
                (
                    ALB_DOC[0],
                    request()
                        .at("2018-07-02T22:23:00.186641Z")
                        .status(200)
                        .failed(false)
                        .backend("10.0.0.1:80")
                        .client("192.168.131.39")
                        .latency_near(1.0)
                        .method("GET")
                        .path("/"),
                ),
                (ALB_DOC[1], request().status(502).failed(true).backend(None)),
            ],
        );
    }

    #[test]
    fn classic_doc_lines() {
        check(
            &ClassicElb,
            &[
                (
                    ELB_DOC[0],
                    request()
                        .at("2015-05-13T23:39:43.945958Z")
                        .status(200)
                        .failed(false)
                        .backend("10.0.0.1:80")
                        .client("192.168.131.39")
                        .latency_near(0.000073e3 + 0.001048e3 + 0.000057e3),
                ),
                // TCP listener: no status, a backend took the connection.
                (
                    ELB_DOC[1],
                    request()
                        .status(0)
                        .failed(false)
                        .method(None)
                        .backend("10.0.0.1:80"),
                ),
            ],
        );
    }

    #[test]
    fn unavailable_values() {
        // Never dispatched: timings -1, no target, malformed request.
        check(
            &Alb,
            &[(
                r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - -1 -1 -1 400 - 0 0 "- http://www.example.com:80- -" "-" - - - "-" "-" "-" 0 2018-11-30T22:22:48.364000Z "-" "-" "-""#,
                request()
                    .status(400)
                    .failed(false)
                    .latency(None)
                    .backend(None)
                    .method(None)
                    .path(None),
            )],
        );
        check(
            &ClassicElb,
            &[
                // Classic TCP connection no backend took.
                (
                    r#"2015-05-13T23:39:43.945958Z my-elb 192.168.131.39:2817 - -1 -1 -1 - - 0 0 "- - - " "-" - -"#,
                    request().status(0).failed(true),
                ),
                // Classic HTTP 504 from the ELB itself.
                (
                    r#"2015-05-13T23:39:43.945958Z my-elb 192.168.131.39:2817 10.0.0.1:80 0.000073 -1 -1 504 0 0 0 "GET http://www.example.com:80/a HTTP/1.1" "curl/7.38.0" - -"#,
                    request().status(504).failed(true).latency(None).path("/a"),
                ),
            ],
        );
    }

    #[test]
    fn ipv6_clients_and_new_types() {
        check(
            &Alb,
            &[
                (
                    r#"h2 2024-03-09T08:37:42.000001Z app/lb/1 [2001:db8::1]:52000 10.0.1.12:8080 0.001 0.500 0.000 503 503 10 20 "GET https://x:443/api HTTP/2.0" "-" - -"#,
                    request().client("2001:db8::1").failed(true),
                ),
                (
                    r#"grpcs 2024-03-09T08:37:42.000001Z app/lb/1 2001:db8::1:2817 10.0.1.12:8080 0.001 0.500 0.000 200 200 10 20 "POST https://x:443/svc/M HTTP/2.0" "-" - -"#,
                    request().client("2001:db8::1"),
                ),
            ],
        );
    }

    #[test]
    fn generations_do_not_mix() {
        check(&ClassicElb, &each(ALB_DOC, unparsed()));
        check(&Alb, &each(ELB_DOC, unparsed()));
        check(&Alb, &each(ENVOY_DOC, unparsed()));
        check(&ClassicElb, &each(ENVOY_DOC, unparsed()));
    }

    #[test]
    fn corpus_files() {
        for (f, rel) in [
            (&Alb as &dyn LogFormat, "aws-elb/example-alb-http.log"),
            (&ClassicElb, "aws-elb/elb-http.log"),
        ] {
            let Some(run) = check_requests(f, rel) else {
                return;
            };
            assert_eq!(run.records, run.lines, "{rel}");
            assert_eq!(detect_corpus(rel), Some(f.name()), "{rel}");
        }
    }

    #[test]
    fn corpus_backends_and_clients() {
        for (f, rel) in [
            (&Alb as &dyn LogFormat, "aws-elb/example-alb-http.log"),
            (&ClassicElb, "aws-elb/elb-http.log"),
        ] {
            check_requests_with(f, rel, |place, request, e| {
                assert_eq!(
                    request.backend.as_deref().map(strip_port),
                    expected_str(e, "aws.elb.backend.ip"),
                    "{place}"
                );
                assert_eq!(
                    request.client.as_deref(),
                    expected_str(e, "source.ip"),
                    "{place}"
                );
                // filebeat calls 4xx a failure too; only 5xx fail here.
                if expected_str(e, "event.outcome") == Some("success") {
                    assert!(!request.failed, "{place}");
                }
            });
        }
    }
}
