//! Squid's native access log (`logformat squid`):
//!
//! ```text
//! time.ms elapsed client action/code size method URL ident hierarchy/from type
//! 1525344856.899  16867 10.170.72.111 TCP_TUNNEL/200 6256 CONNECT logs.ap-southeast-2.amazonaws.com:443 - HIER_DIRECT/53.140.206.134 -
//! ```
//!
//! The time is epoch seconds with milliseconds (UTC), `elapsed` the
//! milliseconds the transaction took, the client an address (or a name
//! with `log_fqdn`). `action/code` is Squid's result and the HTTP status
//! sent: `TCP_MISS/503` (Squid could not reach the server and answered
//! 503 itself) fails, `TCP_DENIED/403` does not, and code `000` (no reply
//! was sent, mostly because the client went away: `TCP_MISS_ABORTED/000`)
//! is status 0, not a failure. The backend is the server Squid forwarded
//! to (`HIER_DIRECT/10.0.0.5`, a parent); `HIER_NONE/-` means none.
//! Fields after the content type (custom `logformat` additions) are
//! ignored.

use crate::format::lex::{ip_of, is_digits, next_token, path_of_target, text};
use crate::format::{LogFormat, Role};
use crate::record::{Parsed, Request};
use crate::time::TimeCtx;

/// Squid native access log.
pub struct Squid;

impl LogFormat for Squid {
    fn name(&self) -> &'static str {
        "squid"
    }

    fn description(&self) -> &'static str {
        "Squid native access log"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_line(line, ctx.details).unwrap_or(Parsed::Unparsed)
    }
}

fn parse_line(line: &[u8], details: bool) -> Option<Parsed<'_>> {
    let (time, r) = next_token(line);
    let at = epoch_millis(time)?;
    let (elapsed, r) = next_token(r);
    if !is_digits(elapsed) || elapsed.len() > 12 {
        return None;
    }
    let (client, r) = next_token(r);
    if client.is_empty() || client == b"-" {
        return None;
    }
    let (result, r) = next_token(r);
    let slash = memchr::memchr(b'/', result)?;
    let (action, code) = (result.get(..slash)?, result.get(slash + 1..)?);
    if !is_action(action) || !is_digits(code) || code.len() > 3 {
        return None;
    }
    let status: u16 = std::str::from_utf8(code).ok()?.parse().ok()?;
    if !(status == 0 || (100..=599).contains(&status)) {
        return None;
    }
    let (size, r) = next_token(r);
    if !is_digits(size) {
        return None;
    }
    let (method, r) = next_token(r);
    let (url, r) = next_token(r);
    let (_ident, r) = next_token(r);
    let (hierarchy, _) = next_token(r);
    if method.is_empty() || url.is_empty() || hierarchy.is_empty() {
        return None;
    }
    let backend = hierarchy
        .iter()
        .position(|&c| c == b'/')
        .and_then(|i| hierarchy.get(i + 1..))
        .filter(|h| !h.is_empty() && *h != b"-");
    let client = ip_of(client).map_or(client, |(host, _)| host);
    let (method, path) = if details && method != b"-" {
        (Some(text(method)), path_of_target(url).map(text))
    } else {
        (None, None)
    };
    Some(Parsed::Request {
        at,
        request: Request {
            status,
            failed: status >= 500,
            backend: backend.map(text),
            client: Some(text(client)),
            latency_ms: std::str::from_utf8(elapsed).ok()?.parse::<f64>().ok(),
            method,
            path,
        },
    })
}

/// `1525344856.899`: epoch seconds and milliseconds, in microseconds.
fn epoch_millis(t: &[u8]) -> Option<i64> {
    let dot = memchr::memchr(b'.', t)?;
    let (secs, frac) = (t.get(..dot)?, t.get(dot + 1..)?);
    if !(9..=11).contains(&secs.len()) || frac.len() != 3 || !is_digits(secs) || !is_digits(frac) {
        return None;
    }
    let secs: i64 = std::str::from_utf8(secs).ok()?.parse().ok()?;
    let ms: i64 = std::str::from_utf8(frac).ok()?.parse().ok()?;
    Some(secs * 1_000_000 + ms * 1000)
}

/// `TCP_MISS`, `TCP_DENIED`, `NONE_NONE`, `TAG_NONE`, `UDP_HIT`, `NONE`.
fn is_action(a: &[u8]) -> bool {
    (a.starts_with(b"TCP_")
        || a.starts_with(b"UDP_")
        || a.starts_with(b"NONE")
        || a.starts_with(b"TAG_"))
        && a.iter().all(|c| c.is_ascii_uppercase() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        access_doc_lines, check, each, mutated_line, random_bytes, request, unparsed,
    };
    use proptest::prelude::*;

    /// Lines from logstash-patterns-core's `spec/patterns/squid_spec.rb`
    /// (Apache-2.0) and from issue threads: netdata/netdata#2235,
    /// allinurl/goaccess#988, sameersbn/docker-squid#78 and #20.
    const REAL: &[&str] = &[
        "1525344856.899  16867 10.170.72.111 TCP_TUNNEL/200 6256 CONNECT logs.ap-southeast-2.amazonaws.com:443 - HIER_DIRECT/53.140.206.134 -",
        "1525334330.556      3 120.65.1.1 TCP_REFRESH_MISS/200 2014 GET http://www.sample.com/hellow_world.txt public-user DIRECT/www.sample.com text/plain 902351708.872",
        "1495973310.327      0 10.4.23.199 TCP_DENIED/403 3915 GET http://observium.somedomain.lan/favicon.ico - HIER_NONE/- text/html",
        "1550374020.692     83 desktop-o1g07qt.domain.lan TCP_REFRESH_UNMODIFIED/200 866 GET http://clientservices.googleapis.com/chrome-variations/seed? - ORIGINAL_DST/172.217.22.99 application/octet-stream",
        "1645064587.444      1 172.17.0.1 TCP_DENIED/403 4032 CONNECT www.cyberciti.biz:443 - HIER_NONE/- text/html",
        "1504359799.758  22379 172.17.0.1 TCP_MISS/200 104857975 GET http://speedtest.tele2.net/100MB.zip - HIER_DIRECT/90.130.70.73 application/zip",
    ];

    #[test]
    fn real_lines() {
        check(
            &Squid,
            &[
                (
                    REAL[0],
                    request()
                        .at("2018-05-03T10:54:16.899Z")
                        .status(200)
                        .failed(false)
                        .client("10.170.72.111")
                        .backend("53.140.206.134")
                        .latency(16867.0)
                        .method("CONNECT")
                        .path("logs.ap-southeast-2.amazonaws.com:443"),
                ),
                (
                    REAL[1],
                    request()
                        .latency(3.0)
                        .backend("www.sample.com")
                        .path("/hellow_world.txt"),
                ),
                (REAL[2], request().status(403).failed(false).backend(None)),
                (REAL[3], request().client("desktop-o1g07qt.domain.lan")),
                (REAL[4], request().status(403).method("CONNECT")),
                (REAL[5], request().latency(22379.0)),
            ],
        );
    }

    #[test]
    fn failures_and_aborts() {
        check(
            &Squid,
            &[
                // Squid could not connect to the server and answered 503.
                (
                    "1684570000.123   3002 192.0.2.7 TCP_MISS/503 4123 GET http://api.internal/v1/x - HIER_DIRECT/10.0.0.5 text/html",
                    request().status(503).failed(true).backend("10.0.0.5"),
                ),
                // squid-cache/squid#1354's failed tunnel.
                (
                    "1684570000.123      0 192.0.2.7 TAG_NONE/503 0 CONNECT example.com:443 - HIER_NONE/- -",
                    request().status(503).failed(true).backend(None),
                ),
                // The client went away first: no reply, no failure.
                (
                    "1684570000.123  120128 192.168.1.223 TCP_MISS_ABORTED/000 325 GET http://connectivitycheck.gstatic.com/ - HIER_DIRECT/142.250.1.1 -",
                    request().status(0).failed(false),
                ),
            ],
        );
    }

    #[test]
    fn other_lines_are_not_read() {
        let mut rows = each(access_doc_lines(), unparsed());
        rows.extend(each(
            [
                "1525344856 16867 10.170.72.111 TCP_TUNNEL/200 6256 CONNECT x:443 - HIER_DIRECT/1.2.3.4 -",
                "1525344856.899 16867 10.170.72.111 MISS/200 6256 GET / - HIER_DIRECT/1.2.3.4 -",
                "1525344856.899 16867 10.170.72.111 TCP_MISS/2000 6256 GET / - HIER_DIRECT/1.2.3.4 -",
                "1525344856.899 16867 10.170.72.111 TCP_MISS/200 6256 GET",
                "1531171074.631 INFO starting the proxy on port 3128 now",
            ],
            unparsed(),
        ));
        check(&Squid, &rows);
    }

    proptest! {
        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL)) {
            let _ = Squid.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(300)) {
            let _ = Squid.parse(&bytes, &mut TimeCtx::default());
        }
    }
}
