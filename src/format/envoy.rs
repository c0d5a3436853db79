//! Envoy's default access log format:
//!
//! `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
//! %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//! %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%"
//! "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`
//!
//! Istio's variant adds `%RESPONSE_CODE_DETAILS%
//! %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%"`
//! after the flags and the cluster and addresses at the end; both are read.

use crate::format::lex::{
    ip_of, is_count, is_digits, method_path, next_token, quoted_token, skip_spaces, text,
};
use crate::format::{LogFormat, Role};
use crate::record::{Parsed, Request};
use crate::time::{parse_iso, TimeCtx};

/// Envoy default access log.
pub struct Envoy;

impl LogFormat for Envoy {
    fn name(&self) -> &'static str {
        "envoy"
    }

    fn description(&self) -> &'static str {
        "Envoy default access log"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_line(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

fn parse_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let body = line.strip_prefix(b"[")?;
    let (stamp, used) = parse_iso(body)?;
    if body.get(used) != Some(&b']') {
        return None;
    }
    let r = skip_spaces(body.get(used + 1..)?.strip_prefix(b" ")?);
    let (req, r) = quoted_token(r)?;
    let (code, r) = next_token(r);
    let code = response_code(code)?;
    let (flags, mut r) = next_token(r);
    if !valid_flags(flags) {
        return None;
    }
    // Istio: response code details, termination details and the quoted
    // transport failure reason come before the byte counts.
    let mut skipped = 0;
    while !r.first().is_some_and(u8::is_ascii_digit) {
        if skipped == 3 || r.is_empty() {
            return None;
        }
        r = match quoted_token(r) {
            Some((_, rest)) => rest,
            None => next_token(r).1,
        };
        skipped += 1;
    }
    let (received, r) = next_token(r);
    let (sent, r) = next_token(r);
    let (duration, r) = next_token(r);
    let (upstream_time, r) = next_token(r);
    if !is_digits(received) || !is_digits(sent) || !is_count(duration) || !is_count(upstream_time) {
        return None;
    }
    let (xff, mut r) = quoted_token(r)?;
    // User agent, request id, authority, upstream host: optional, so that
    // formats that stop early still read.
    let mut upstream_host = None;
    for i in 0..4 {
        let Some((q, rest)) = quoted_token(r) else {
            break;
        };
        if i == 3 {
            upstream_host = Some(q);
        }
        r = rest;
    }
    let client = first_forwarded(xff).or_else(|| {
        // Istio: cluster, upstream local, downstream local, downstream remote.
        let mut t = r;
        let mut tok = &b""[..];
        for _ in 0..4 {
            (tok, t) = next_token(t);
        }
        ip_of(tok).map(|(h, _)| h)
    });
    let (method, path) = method_path(req);
    Some(Parsed::Request {
        at: ctx.resolve(stamp),
        request: Request {
            status: code,
            failed: code >= 500 || (code == 0 && upstream_failure(flags)),
            backend: upstream_host.and_then(backend),
            client: client.map(text),
            latency_ms: std::str::from_utf8(duration)
                .ok()
                .and_then(|d| d.parse::<u32>().ok())
                .map(f64::from),
            method,
            path,
        },
    })
}

/// `%RESPONSE_CODE%`: `0` when no response was sent, else the status.
fn response_code(b: &[u8]) -> Option<u16> {
    if b.is_empty() || b.len() > 3 || !is_digits(b) {
        return None;
    }
    Some(b.iter().fold(0u16, |v, &c| v * 10 + (c - b'0') as u16))
}

/// `-`, or comma-joined upper-case flags (`UF,URX`).
fn valid_flags(b: &[u8]) -> bool {
    b == b"-"
        || (!b.is_empty()
            && b.split(|&c| c == b',')
                .all(|f| !f.is_empty() && f.len() <= 8 && f.iter().all(u8::is_ascii_uppercase)))
}

/// Flags that say the upstream side (or Envoy's own routing) let a request
/// down with no response sent; the downstream's own doing (`DC`, `DPE`,
/// `DT`, `SI`, rate limits) is not a failure.
fn upstream_failure(flags: &[u8]) -> bool {
    flags.split(|&c| c == b',').any(|f| {
        matches!(
            f,
            b"UF"
                | b"UH"
                | b"UO"
                | b"URX"
                | b"UT"
                | b"UC"
                | b"UR"
                | b"UPE"
                | b"UMSDR"
                | b"NR"
                | b"NC"
                | b"LH"
                | b"LR"
                | b"OM"
                | b"DF"
                | b"DO"
        )
    })
}

/// The first address of an `X-Forwarded-For` value.
fn first_forwarded(xff: &[u8]) -> Option<&[u8]> {
    let first = xff.split(|&c| c == b',').next()?;
    let first = skip_spaces(first);
    let end = first.iter().position(|&c| c == b' ').unwrap_or(first.len());
    ip_of(first.get(..end)?).map(|(h, _)| h)
}

/// `%UPSTREAM_HOST%` without its scheme (`tcp://10.0.2.1:80`); `-` is none.
fn backend(host: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    if host.is_empty() || host == b"-" {
        return None;
    }
    let host = match memchr::memmem::find(host, b"://") {
        Some(i) => host.get(i + 3..)?,
        None => host,
    };
    Some(text(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::lex::strip_port;
    use crate::format::testkit::{
        check, check_requests_with, detect_corpus, each, expected_str, request, unparsed, ALB_DOC,
        ELB_DOC, ENVOY_DOC, NGINX_ACCESS_DOC,
    };

    #[test]
    fn doc_lines() {
        check(
            &Envoy,
            &[
                (
                    ENVOY_DOC[0],
                    request()
                        .at("2016-04-15T20:17:00.310Z")
                        .status(204)
                        .failed(false)
                        .latency(226.0)
                        .client("10.0.35.28")
                        .backend("10.0.2.1:80")
                        .method("POST")
                        .path("/api/v1/locations"),
                ),
                (
                    ENVOY_DOC[1],
                    request()
                        .status(503)
                        .failed(true)
                        .latency(1000.0)
                        .client(None)
                        .backend("35.168.106.184:443"),
                ),
            ],
        );
    }

    #[test]
    fn flags_decide_code_zero() {
        let line = |code: &str, flags: &str| {
            format!(
                r#"[2019-04-08T16:50:12.533Z] "- - -" {code} {flags} 87 254 4 - "-" "-" "-" "-" "172.27.0.2:80""#
            )
        };
        let mut rows = Vec::new();
        for (code, flags, failed) in [
            ("0", "-", false),
            ("0", "DC", false),
            ("0", "UF", true),
            ("0", "UF,URX", true),
            ("0", "DC,UC", true),
            ("0", "NR", true),
            ("0", "UT", true),
            ("0", "DPE", false),
            ("200", "UC", false),
            ("404", "NR", false),
            ("504", "UT", true),
            ("503", "UH", true),
        ] {
            let want = request().failed(failed).method(None).path(None);
            rows.push((line(code, flags), want));
        }
        check(&Envoy, &rows);
    }

    #[test]
    fn forwarded_for_and_upstream() {
        check(
            &Envoy,
            &[
                (
                    r#"[2019-04-11T00:31:55.439Z] "GET /elastic HTTP/1.1" 404 NR 0 0 0 - "172.17.0.3, 10.0.0.1" "curl/7.59.0" "58436667-bf70-4fd0-9fe9-cdadadecfd55" "192.168.99.107:30901" "-""#,
                    request().client("172.17.0.3").backend(None).failed(false),
                ),
                // Stops after the forwarded-for field.
                (
                    r#"[2019-04-11T00:31:55.439Z] "GET / HTTP/1.1" 200 - 0 0 7 - "[2001:db8::1]:4000""#,
                    request().client("2001:db8::1").backend(None).latency(7.0),
                ),
            ],
        );
    }

    #[test]
    fn istio_variant() {
        check(
            &Envoy,
            &[
                (
                    r#"[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"#,
                    request()
                        .at("2020-11-25T21:26:18.409Z")
                        .status(418)
                        .latency(4.0)
                        .backend("10.44.1.27:80")
                        .client("10.44.1.23"),
                ),
                (
                    r#"[2020-11-25T21:26:18.409Z] "GET / HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure} - "delayed_connect_error:_111" 0 91 3 - "-" "curl" "id" "svc:80" "10.44.1.27:80" outbound|80||svc 10.44.1.23:37652 10.0.45.184:80 10.44.1.23:46520 - default"#,
                    request().failed(true).backend("10.44.1.27:80"),
                ),
            ],
        );
    }

    #[test]
    fn rejects_near_misses() {
        let mut rows = each(
            [
                r#"[2019-04-08T16:50:12.533Z] "GET / HTTP/1.1" 200 - x 254 4 - "-""#,
                r#"[2019-04-08T16:50:12.533Z] "GET / HTTP/1.1" 2000 - 1 254 4 - "-""#,
                r#"[2019-04-08T16:50:12.533Z] "GET / HTTP/1.1" 200 uf 1 254 4 - "-""#,
                r#"[2019-04-08T16:50:12.533Z] INFO starting"#,
                r#"[2019-04-08T16:50:12.533Z] "GET / HTTP/1.1" 200 - 1 254 4 -"#,
                r#"[2024-03-15 10:00:00,123] ERROR "GET /" 502"#,
            ],
            unparsed(),
        );
        let others = NGINX_ACCESS_DOC
            .iter()
            .chain(ALB_DOC)
            .chain(ELB_DOC)
            .copied();
        rows.extend(each(others, unparsed()));
        check(&Envoy, &rows);
    }

    #[test]
    fn corpus_file() {
        let rel = "envoy/envoy.log";
        let run = check_requests_with(&Envoy, rel, |place, request, e| {
            let duration_ns = e.get("event.duration").and_then(|v| v.as_f64()).unwrap();
            assert_eq!(request.latency_ms, Some(duration_ns / 1e6), "{place}");
            assert_eq!(
                request.backend.as_deref().map(strip_port),
                expected_str(e, "destination.address"),
                "{place}"
            );
            assert_eq!(
                request.client.as_deref(),
                expected_str(e, "source.ip"),
                "{place}"
            );
            // filebeat counts the 404 as a failure; only 5xx and upstream
            // terminations fail here, and every corpus line is a success.
            assert!(!request.failed, "{place}");
        });
        let Some(run) = run else {
            return;
        };
        assert_eq!(run.records, run.lines);
        assert_eq!(detect_corpus(rel), Some("envoy"));
    }
}
