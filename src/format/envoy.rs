//! Envoy's default access log format:
//!
//! `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
//! %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//! %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%"
//! "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`
//!
//! A literal word before the start time (Ambassador's `ACCESS [...]`) is
//! skipped.
//!
//! Istio's variant adds `%RESPONSE_CODE_DETAILS%
//! %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%"`
//! after the flags and the cluster and addresses at the end; both are read.
//!
//! Access logs written as JSON (`json_format`, Istio's
//! `accessLogEncoding: JSON`, Envoy Gateway's default) are read too, by the
//! key names those defaults use: `start_time`, `response_code`,
//! `response_flags`, `duration` (ms), `upstream_host`, `method`, `path` (or
//! `x-envoy-origin-path`), `downstream_remote_address` and
//! `x_forwarded_for`/`x-forwarded-for`. Values may be strings or numbers,
//! and `null` or `-` when unset. A JSON line is Envoy's when it has a
//! `response_code` and at least one other of Envoy's own keys
//! (`response_flags`, `upstream_host`, `upstream_cluster`,
//! `downstream_remote_address`); the client is the first public address of
//! `X-Forwarded-For`, else the downstream peer.

use std::borrow::Cow;

use serde_json::Value;

use crate::format::lex::json_object::{parse_object, value_time};
use crate::format::lex::{
    forwarded_client, ip_of, is_count, is_digits, is_public, method_path, next_token, quoted_token,
    skip_spaces, text, trim_ascii,
};
use crate::format::{LogFormat, Role};
use crate::record::{Parsed, Request};
use crate::time::{parse_iso, TimeCtx};

/// Envoy and Istio access logs (default text format and JSON).
pub struct Envoy;

impl LogFormat for Envoy {
    fn name(&self) -> &'static str {
        "envoy"
    }

    fn description(&self) -> &'static str {
        "Envoy and Istio access logs (default text format and JSON)"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        let parsed = match line.first() {
            Some(b'{') => parse_json(line, ctx),
            _ => parse_line(line, ctx),
        };
        parsed.unwrap_or(Parsed::Unparsed)
    }
}

/// A JSON access line (`json_format`).
fn parse_json<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let obj = parse_object(trim_ascii(line))?;
    let get = |keys: &[&str]| -> Option<&Value> {
        keys.iter()
            .filter_map(|k| obj.get(*k))
            .find(|v| !(v.is_null() || v.as_str() == Some("-")))
    };
    let code = get(&["response_code"])?;
    let code = match code {
        Value::Number(n) => u16::try_from(n.as_u64()?).ok()?,
        Value::String(s) => response_code(s.as_bytes())?,
        _ => return None,
    };
    if code != 0 && !(100..=599).contains(&code) {
        return None;
    }
    let envoy_keys = [
        "response_flags",
        "upstream_host",
        "upstream_cluster",
        "downstream_remote_address",
    ];
    if !envoy_keys.iter().any(|k| obj.contains_key(*k)) {
        return None;
    }
    let at = value_time(
        get(&["start_time", "@timestamp", "timestamp", "time"])?,
        ctx,
    )?;
    let flags = get(&["response_flags"])
        .and_then(Value::as_str)
        .unwrap_or("-");
    if !valid_flags(flags.as_bytes()) {
        return None;
    }
    let text_of = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let client = get(&["x_forwarded_for", "x-forwarded-for"])
        .and_then(Value::as_str)
        .and_then(|x| forwarded_client(x.as_bytes()))
        .filter(|c| ip_of(c).is_some_and(|(_, ip)| is_public(ip)))
        .or_else(|| {
            let peer = get(&["downstream_remote_address"])?.as_str()?;
            ip_of(peer.as_bytes()).map(|(h, _)| h)
        })
        .map(|c| text(c).into_owned());
    let backend = get(&["upstream_host"])
        .and_then(Value::as_str)
        .and_then(|h| backend(h.as_bytes()))
        .map(|h| h.into_owned());
    let latency_ms = get(&["duration"]).and_then(|v| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    });
    let (method, path) = if ctx.details {
        (
            get(&["method", ":method"]).and_then(text_of),
            get(&["x-envoy-origin-path", "path", ":path"]).and_then(text_of),
        )
    } else {
        (None, None)
    };
    Some(Parsed::Request {
        at,
        request: Request {
            status: code,
            failed: code >= 500 || (code == 0 && upstream_failure(flags.as_bytes())),
            backend: backend.map(Cow::Owned),
            client: client.map(Cow::Owned),
            latency_ms: latency_ms.filter(|ms| ms.is_finite() && *ms >= 0.0),
            method: method.map(Cow::Owned),
            path: path.map(Cow::Owned),
        },
    })
}

/// A literal word a `log_format` puts before `[%START_TIME%]`
/// (Ambassador/Emissary's `ACCESS `): upper case, then one space.
fn format_tag(line: &[u8]) -> &[u8] {
    let n = line
        .iter()
        .take(17)
        .take_while(|c| c.is_ascii_uppercase() || **c == b'_')
        .count();
    match (n, line.get(n), line.get(n + 1)) {
        (1..=16, Some(b' '), Some(b'[')) => &line[n + 1..],
        _ => line,
    }
}

fn parse_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let body = format_tag(line).strip_prefix(b"[")?;
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
fn backend(host: &[u8]) -> Option<Cow<'_, str>> {
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
        check, check_requests_with, detect_corpus, each, expected_str, mutated_line, random_bytes,
        request, unparsed, ALB_DOC, ELB_DOC, ENVOY_DOC, NGINX_ACCESS_DOC,
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

    /// Ambassador/Emissary's default format starts with `ACCESS ` (lines
    /// of filebeat's envoyproxy module test, elastic/beats).
    #[test]
    fn format_tag_before_start_time() {
        check(
            &Envoy,
            &[
                (
                    r#"ACCESS [2019-04-10T03:49:34.451Z] "GET /httpbin/status/501 HTTP/1.1" 501 - 0 0 180 179 "172.17.0.3" "curl/7.59.0" "413bf460-bd56-4515-ada4-2a69c5e78e54" "httpbin.org" "52.71.234.219:80""#,
                    request()
                        .at("2019-04-10T03:49:34.451Z")
                        .status(501)
                        .failed(true)
                        .client("172.17.0.3"),
                ),
                (
                    r#"ACCESS [2019-04-06T06:20:05.972Z] "- - -" 0 UF,URX 0 0 0 - "-" "-" "-" "-" "127.0.0.1:9200""#,
                    request().status(0).failed(true).method(None).path(None),
                ),
            ],
        );
        let mut ctx =
            crate::time::TimeCtx::new(crate::time::Zone::Utc, crate::time::YearAnchor::End(0));
        for no in [
            r#"access [2019-04-10T03:49:34.451Z] "GET / HTTP/1.1" 200 - 0 0 1 - "-" "-" "-" "-" "-""#,
            r#"ACCESS  [2019-04-10T03:49:34.451Z] "GET / HTTP/1.1" 200 - 0 0 1 - "-" "-" "-" "-" "-""#,
            r#"TOOLONGFORATAGWORD [2019-04-10T03:49:34.451Z] "GET / HTTP/1.1" 200 - 0 0 1 - "-" "-" "-" "-" "-""#,
        ] {
            assert!(
                matches!(Envoy.parse(no.as_bytes(), &mut ctx), Parsed::Unparsed),
                "{no}"
            );
        }
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

    /// JSON access lines: istio/istio#18995 (a circuit-broken TCP
    /// connection, code 0 with `UO`), an Istio walkthrough's
    /// `kubectl logs -c istio-proxy` (values as strings, and as numbers),
    /// and Envoy Gateway's rate-limit walkthrough (`:authority`,
    /// `x-forwarded-for`, nulls).
    const JSON_LINES: &[&str] = &[
        r#"{"response_code":"0","user_agent":"-","response_flags":"UO","start_time":"2019-11-15T18:52:50.514Z","method":"-","request_id":"-","upstream_host":"-","x_forwarded_for":"-","requested_server_name":"-","bytes_received":"0","istio_policy_status":"-","bytes_sent":"0","upstream_cluster":"-","downstream_remote_address":"10.72.106.197:59658","authority":"-","path":"-","protocol":"-","upstream_service_time":"-","upstream_local_address":"-","duration":"0","downstream_local_address":"10.72.106.254:8080","upstream_transport_failure_reason":"-","route_name":"-"}"#,
        r#"{"bytes_sent":"135","upstream_cluster":"outbound|8000||httpbin.default.svc.cluster.local","downstream_remote_address":"10.0.1.38:35842","authority":"httpbin:8000","path":"/status/418","protocol":"HTTP/1.1","upstream_service_time":"1","upstream_local_address":"10.0.1.38:41142","duration":"2","upstream_transport_failure_reason":"-","route_name":"default","downstream_local_address":"172.16.22.210:8000","user_agent":"curl/7.69.1","response_code":"418","response_flags":"-","start_time":"2020-12-08T03:24:22.162Z","method":"GET","request_id":"b6d7d73c-3f47-919f-9836-e8cd5d8df2da","upstream_host":"10.0.1.41:80","x_forwarded_for":"-","requested_server_name":"-","bytes_received":"0","istio_policy_status":"-"}"#,
        r#"{"response_code_details":"via_upstream","user_agent":"curl/7.86.0","request_id":"722ef34b-553e-9b82-8a73-a716de0b14fc","response_flags":"-","upstream_cluster":"outbound|80|version-v2|catalog.istioinaction.svc.cluster.local","downstream_remote_address":"172.17.0.1:48499","connection_termination_details":null,"upstream_transport_failure_reason":null,"bytes_received":0,"duration":420,"authority":"catalog.istioinaction.io","route_name":null,"response_code":200,"x_forwarded_for":"172.17.0.1","bytes_sent":502,"start_time":"2023-03-23T04:09:46.421Z","path":"/items","upstream_service_time":"420","downstream_local_address":"172.17.0.14:8080","method":"GET","requested_server_name":null,"upstream_host":"172.17.0.17:3000","protocol":"HTTP/1.1","upstream_local_address":"172.17.0.14:52046"}"#,
        r#"{":authority":"reviews:9080","bytes_received":0,"bytes_sent":18,"connection_termination_details":null,"downstream_local_address":"10.244.0.49:9080","downstream_remote_address":"10.244.0.44:40937","duration":0,"method":"GET","protocol":"HTTP/1.1","requested_server_name":null,"response_code":429,"response_code_details":"local_rate_limited","response_flags":"RL","route_name":"httproute/default/reviews/rule/0/match/0/reviews","start_time":"2025-05-01T08:34:27.573Z","upstream_cluster":"httproute/default/reviews/rule/0","upstream_host":null,"upstream_local_address":null,"upstream_transport_failure_reason":null,"user-agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36","x-envoy-origin-path":"/reviews/0","x-envoy-upstream-service-time":null,"x-forwarded-for":"10.244.0.44","x-request-id":"e52f5442-5bb7-47bb-97e1-652f56bb6ad6"}"#,
    ];

    #[test]
    fn json_access_lines() {
        check(
            &Envoy,
            &[
                (
                    JSON_LINES[0],
                    request()
                        .at("2019-11-15T18:52:50.514Z")
                        .status(0)
                        .failed(true)
                        .backend(None)
                        .client("10.72.106.197")
                        .latency(0.0)
                        .method(None),
                ),
                (
                    JSON_LINES[1],
                    request()
                        .at("2020-12-08T03:24:22.162Z")
                        .status(418)
                        .failed(false)
                        .backend("10.0.1.41:80")
                        .client("10.0.1.38")
                        .latency(2.0)
                        .method("GET")
                        .path("/status/418"),
                ),
                (
                    JSON_LINES[2],
                    request()
                        .status(200)
                        .latency(420.0)
                        .backend("172.17.0.17:3000")
                        .client("172.17.0.1"),
                ),
                (
                    JSON_LINES[3],
                    request()
                        .at("2025-05-01T08:34:27.573Z")
                        .status(429)
                        .failed(false)
                        .backend(None)
                        .client("10.244.0.44")
                        .path("/reviews/0"),
                ),
                // A public forwarded address is the client.
                (
                    r#"{"start_time":"2021-01-07T19:38:02.373Z","response_code":"503","response_flags":"UC","duration":"70706","upstream_host":"10.203.102.216:80","downstream_remote_address":"10.203.2.9:21756","x_forwarded_for":"44.225.244.145"}"#,
                    request().status(503).failed(true).client("44.225.244.145"),
                ),
            ],
        );
    }

    #[test]
    fn other_json_is_not_envoy_s() {
        let rows = each(
            [
                r#"{"level":"info","ts":1649944125.98,"msg":"started","status":200}"#,
                r#"{"time":"2024-03-15T10:00:00Z","status":502,"method":"GET","path":"/"}"#,
                r#"{"start_time":"2024-03-15T10:00:00Z","response_code":200}"#,
                r#"{"start_time":"2024-03-15T10:00:00Z","response_code":2000,"response_flags":"-"}"#,
                r#"{"start_time":"2024-03-15T10:00:00Z","response_code":200,"response_flags":"bad flags"}"#,
                r#"{"response_code":200,"response_flags":"-"}"#,
                r#"{"start_time":"2024-03-15T10:00:00Z","response_code":200,"response_flags":"-""#,
            ],
            unparsed(),
        );
        check(&Envoy, &rows);
    }

    proptest::proptest! {
        #[test]
        fn mutated_lines_never_panic(line in mutated_line(ENVOY_DOC.iter().chain(JSON_LINES))) {
            let _ = Envoy.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(300)) {
            let _ = Envoy.parse(&bytes, &mut TimeCtx::default());
            let mut json = b"{".to_vec();
            json.extend_from_slice(&bytes);
            let _ = Envoy.parse(&json, &mut TimeCtx::default());
        }
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
