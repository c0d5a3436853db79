//! AWS load balancer access logs: Application Load Balancer (`type time elb
//! client:port target:port ...`) and Classic ELB (the same without `type`).
//!
//! Both are space-delimited with a fixed order up to the request line; ALB
//! keeps appending fields at the end, so everything after the user agent is
//! ignored. Timestamps are UTC with microseconds.

use crate::format::lex::{
    decimal, ip_of, is_count, method_path, next_token, quoted_token, status3, text,
};
use crate::format::LogFormat;
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
pub(crate) mod tests {
    use super::*;
    use crate::format::access::testutil;
    use crate::time::format_rfc3339;

    /// Real lines from log-formats.md §4.1 (ALB) and §4.2 (Classic ELB).
    pub(crate) const DOC_LINES: &[&str] = &[
        r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" 10.0.0.1:80 200 "-" "-""#,
        r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.000 0.001 0.000 502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "LambdaInvalidResponse" "-" "-" "-" "-""#,
        r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#,
        r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#,
    ];

    fn parse(f: &dyn LogFormat, line: &str) -> (String, Request<'static>) {
        let mut ctx = TimeCtx::default();
        match f.parse(line.as_bytes(), &mut ctx) {
            Parsed::Request { at, request } => (
                format_rfc3339(at),
                Request {
                    status: request.status,
                    failed: request.failed,
                    backend: request.backend.map(|c| c.into_owned().into()),
                    client: request.client.map(|c| c.into_owned().into()),
                    latency_ms: request.latency_ms,
                    method: request.method.map(|c| c.into_owned().into()),
                    path: request.path.map(|c| c.into_owned().into()),
                },
            ),
            other => panic!("not a request: {other:?} for {line}"),
        }
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn alb_doc_lines() {
        let (at, r) = parse(&Alb, DOC_LINES[0]);
        assert_eq!(at, "2018-07-02T22:23:00.186641Z");
        assert_eq!(r.status, 200);
        assert!(!r.failed);
        assert_eq!(r.backend.as_deref(), Some("10.0.0.1:80"));
        assert_eq!(r.client.as_deref(), Some("192.168.131.39"));
        assert!(close(r.latency_ms, 1.0));
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("/"));

        let (_, r) = parse(&Alb, DOC_LINES[1]);
        assert_eq!(r.status, 502);
        assert!(r.failed);
        assert_eq!(r.backend, None);
    }

    #[test]
    fn classic_doc_lines() {
        let (at, r) = parse(&ClassicElb, DOC_LINES[2]);
        assert_eq!(at, "2015-05-13T23:39:43.945958Z");
        assert_eq!(r.status, 200);
        assert!(!r.failed);
        assert_eq!(r.backend.as_deref(), Some("10.0.0.1:80"));
        assert_eq!(r.client.as_deref(), Some("192.168.131.39"));
        assert!(close(r.latency_ms, 0.000073e3 + 0.001048e3 + 0.000057e3));

        // TCP listener: no status, a backend took the connection.
        let (_, r) = parse(&ClassicElb, DOC_LINES[3]);
        assert_eq!(r.status, 0);
        assert!(!r.failed);
        assert_eq!(r.method, None);
        assert_eq!(r.backend.as_deref(), Some("10.0.0.1:80"));
    }

    #[test]
    fn unavailable_values() {
        // Never dispatched: timings -1, no target, malformed request.
        let line = r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - -1 -1 -1 400 - 0 0 "- http://www.example.com:80- -" "-" - - - "-" "-" "-" 0 2018-11-30T22:22:48.364000Z "-" "-" "-""#;
        let (_, r) = parse(&Alb, line);
        assert_eq!((r.status, r.failed, r.latency_ms), (400, false, None));
        assert_eq!((r.backend, r.method, r.path), (None, None, None));
        // Classic TCP connection no backend took.
        let line = r#"2015-05-13T23:39:43.945958Z my-elb 192.168.131.39:2817 - -1 -1 -1 - - 0 0 "- - - " "-" - -"#;
        let (_, r) = parse(&ClassicElb, line);
        assert_eq!((r.status, r.failed), (0, true));
        // Classic HTTP 504 from the ELB itself.
        let line = r#"2015-05-13T23:39:43.945958Z my-elb 192.168.131.39:2817 10.0.0.1:80 0.000073 -1 -1 504 0 0 0 "GET http://www.example.com:80/a HTTP/1.1" "curl/7.38.0" - -"#;
        let (_, r) = parse(&ClassicElb, line);
        assert_eq!((r.status, r.failed, r.latency_ms), (504, true, None));
        assert_eq!(r.path.as_deref(), Some("/a"));
    }

    #[test]
    fn ipv6_clients_and_new_types() {
        let line = r#"h2 2024-03-09T08:37:42.000001Z app/lb/1 [2001:db8::1]:52000 10.0.1.12:8080 0.001 0.500 0.000 503 503 10 20 "GET https://x:443/api HTTP/2.0" "-" - -"#;
        let (_, r) = parse(&Alb, line);
        assert_eq!(r.client.as_deref(), Some("2001:db8::1"));
        assert!(r.failed);
        let line = r#"grpcs 2024-03-09T08:37:42.000001Z app/lb/1 2001:db8::1:2817 10.0.1.12:8080 0.001 0.500 0.000 200 200 10 20 "POST https://x:443/svc/M HTTP/2.0" "-" - -"#;
        let (_, r) = parse(&Alb, line);
        assert_eq!(r.client.as_deref(), Some("2001:db8::1"));
    }

    #[test]
    fn generations_do_not_mix() {
        let mut ctx = TimeCtx::default();
        for line in &DOC_LINES[..2] {
            assert_eq!(
                ClassicElb.parse(line.as_bytes(), &mut ctx),
                Parsed::Unparsed
            );
        }
        for line in &DOC_LINES[2..] {
            assert_eq!(Alb.parse(line.as_bytes(), &mut ctx), Parsed::Unparsed);
        }
        for line in crate::format::envoy::tests::DOC_LINES {
            assert_eq!(Alb.parse(line.as_bytes(), &mut ctx), Parsed::Unparsed);
            assert_eq!(
                ClassicElb.parse(line.as_bytes(), &mut ctx),
                Parsed::Unparsed
            );
        }
    }

    #[test]
    fn corpus_files() {
        for (f, rel) in [
            (&Alb as &dyn LogFormat, "aws-elb/example-alb-http.log"),
            (&ClassicElb, "aws-elb/elb-http.log"),
        ] {
            let Some((records, lines)) = testutil::check(f, rel) else {
                return;
            };
            assert_eq!(records, lines, "{rel}");
            assert_eq!(testutil::detect(rel), Some(f.name()), "{rel}");
        }
    }

    #[test]
    fn corpus_backends_and_clients() {
        let Some(dir) = testutil::corpus() else {
            return;
        };
        for (f, rel) in [
            (&Alb as &dyn LogFormat, "aws-elb/example-alb-http.log"),
            (&ClassicElb, "aws-elb/elb-http.log"),
        ] {
            let data = std::fs::read(dir.join(rel)).unwrap();
            let exp: Vec<serde_json::Value> = serde_json::from_slice(
                &std::fs::read(dir.join(format!("{rel}-expected.json"))).unwrap(),
            )
            .unwrap();
            let mut ctx = TimeCtx::default();
            for (off, line) in testutil::lines(&data) {
                let e = exp
                    .iter()
                    .find(|e| e.get("log.offset").and_then(|o| o.as_u64()) == Some(off as u64))
                    .unwrap();
                let Parsed::Request { request, .. } = f.parse(line, &mut ctx) else {
                    panic!("{rel}@{off}")
                };
                let want_backend = e.get("aws.elb.backend.ip").and_then(|v| v.as_str());
                assert_eq!(
                    request.backend.as_deref().map(crate::format::strip_port),
                    want_backend,
                    "{rel}@{off}"
                );
                assert_eq!(
                    request.client.as_deref(),
                    e.get("source.ip").and_then(|v| v.as_str()),
                    "{rel}@{off}"
                );
                let outcome = e.get("event.outcome").and_then(|v| v.as_str());
                // filebeat calls 4xx a failure too; only 5xx fail here.
                if outcome == Some("success") {
                    assert!(!request.failed, "{rel}@{off}");
                }
            }
        }
    }
}
