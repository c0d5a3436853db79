//! Apache httpd error log, 2.4 and 2.2 (docs/formats.md, `apache_error`):
//!
//! ```text
//! [Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: ...
//! [Sat Jul 08 17:40:54.742169 2017] [proxy:error] [pid 1081] (111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8000 (127.0.0.1) failed
//! [Wed Oct 20 19:20:59.121211 2021] [rewrite:trace3] [pid 121591:tid 140413273032448] mod_rewrite.c(470): [client 10.121.192.8:38350] ...
//! [Mon Dec 26 16:22:00 2016] [error] [client 192.168.33.1] File does not exist: /var/www/favicon.ico, referer: http://192.168.33.72/
//! ```
//!
//! Local time without an offset. The 2.4 default `ErrorLogFormat` is
//! `[%{u}t] [%-m:%l] [pid %P:tid %T] %7F: %E: [client %a] %M% , referer %{Referer}i`,
//! so the source location, the `(errno)Text: ` prefix and the client are all
//! optional, in that order. The text keeps the errno prefix and the message
//! (with its `AHnnnnn:` id) and drops the source location and the client,
//! which become fields. Lines that do not start with a bracketed date
//! continue the previous record (multi-line CGI and PHP output).

use std::borrow::Cow;

use crate::format::lex::{foreign_line, leading_spaces, skip_spaces, strip_port, text, Fields};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_clf, parse_ctime, parse_leading, TimeCtx};

/// Apache httpd error log (2.2 and 2.4).
pub struct ApacheError;

impl LogFormat for ApacheError {
    fn name(&self) -> &'static str {
        "apache_error"
    }

    fn description(&self) -> &'static str {
        "Apache httpd error log (2.2 and 2.4)"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if let Some(parsed) = parse_record(line, ctx) {
            return parsed;
        }
        if foreign_line(line) || parse_leading(line).is_some() {
            Parsed::Unparsed
        } else {
            Parsed::Continuation
        }
    }

    fn multiline(&self) -> bool {
        true
    }
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let body = line.strip_prefix(b"[")?;
    // `%t` writes ctime; some setups log CLF dates (`[01/Mar/2021:12:00:19 +0000]`).
    let (stamp, used) = parse_ctime(body).or_else(|| parse_clf(body))?;
    let rest = body.get(used..)?.strip_prefix(b"] [")?;

    // [module:level], [level] (2.2) or [:level] (2.4 with no module, PHP).
    let close = memchr::memchr(b']', rest.get(..rest.len().min(64))?)?;
    let tag = rest.get(..close)?;
    let has_colon = tag.contains(&b':');
    let (module, level_word) = match memchr::memrchr(b':', tag) {
        Some(i) => (tag.get(..i)?, tag.get(i + 1..)?),
        None => (&b""[..], tag),
    };
    let level = Level::from_word(std::str::from_utf8(level_word).ok()?)?;
    let mut rest = skip_spaces(rest.get(close + 1..)?);

    let mut fields: Fields<'a> = Vec::with_capacity(3);
    if !module.is_empty() {
        fields.push((Cow::Borrowed("module"), text(module)));
    }

    // [pid P:tid T] or [pid P]
    if let Some(pid_part) = rest.strip_prefix(b"[pid ") {
        if let Some(close) = memchr::memchr(b']', pid_part) {
            let inner = pid_part.get(..close)?;
            let pid_len = inner.iter().take_while(|c| c.is_ascii_digit()).count();
            if pid_len > 0 {
                fields.push((Cow::Borrowed("pid"), text(inner.get(..pid_len)?)));
            }
            rest = skip_spaces(pid_part.get(close + 1..)?);
        }
    }

    // `file.c(470): `, the source location (`%7F: `).
    if let Some(n) = source_location(rest) {
        rest = rest.get(n..)?;
    }
    let mut client = take_client(rest);
    if let Some((_, n)) = client {
        rest = rest.get(n..)?;
    }
    // `(111)Connection refused: `, then possibly the client after it.
    let mut errno: &[u8] = &[];
    if client.is_none() {
        if let Some(n) = errno_prefix(rest) {
            let after = rest.get(n..)?;
            if let Some((ip, m)) = take_client(after) {
                errno = rest.get(..n)?;
                client = Some((ip, 0));
                rest = after.get(m..)?;
            }
        }
    }
    if let Some((addr, _)) = client {
        // Only 2.4 (`[module:level]`) writes the port.
        let ip = match text(addr) {
            Cow::Borrowed(s) => Cow::Borrowed(client_ip(s, has_colon)),
            Cow::Owned(s) => Cow::Owned(client_ip(&s, has_colon).to_string()),
        };
        fields.push((Cow::Borrowed("client"), ip));
    }

    let text = if errno.is_empty() {
        text(rest)
    } else {
        let mut joined = String::with_capacity(errno.len() + rest.len());
        joined.push_str(&String::from_utf8_lossy(errno));
        joined.push_str(&String::from_utf8_lossy(rest));
        Cow::Owned(joined)
    };

    Some(Parsed::Message {
        at: ctx.resolve(stamp),
        message: Message {
            level: Some(level),
            text,
            fields,
        },
    })
}

/// The client IP without its port. 2.4 (`[module:level]`) always writes
/// `ip:port`, IPv6 included (`2001:db8::1:51234`), so the last `:digits`
/// goes; 2.2 writes the bare address.
fn client_ip(addr: &str, with_port: bool) -> &str {
    if addr.starts_with('[') || addr.matches(':').count() <= 1 {
        return strip_port(addr);
    }
    if with_port {
        if let Some((ip, port)) = addr.rsplit_once(':') {
            if !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit()) && !ip.is_empty() {
                return ip;
            }
        }
    }
    addr
}

/// `[client 1.2.3.4:5678] ` at the start: (address, bytes consumed).
fn take_client(b: &[u8]) -> Option<(&[u8], usize)> {
    let inner = b.strip_prefix(b"[client ")?;
    // Bracketed IPv6 (`[client [2001:db8::1]:51234]`), in case a build writes it.
    let from = if inner.first() == Some(&b'[') {
        memchr::memchr(b']', inner)? + 1
    } else {
        0
    };
    let close = from + memchr::memchr(b']', inner.get(from..)?)?;
    let addr = inner.get(..close)?;
    if addr.is_empty() || addr.contains(&b' ') {
        return None;
    }
    let used = 8 + close + 1;
    let spaces = leading_spaces(b.get(used..)?);
    Some((addr, used + spaces))
}

/// Length of a `name.c(123): ` source location at the start, if any.
fn source_location(b: &[u8]) -> Option<usize> {
    let open = b
        .iter()
        .take(64)
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')))?;
    if open == 0 || b.get(open) != Some(&b'(') {
        return None;
    }
    let digits = b
        .get(open + 1..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = open + 1 + digits;
    if digits == 0 || b.get(end..end + 3) != Some(b"): ") {
        return None;
    }
    Some(end + 3)
}

/// Length of an `(111)Connection refused: ` prefix at the start, if any.
fn errno_prefix(b: &[u8]) -> Option<usize> {
    let inner = b.strip_prefix(b"(")?;
    let digits = inner.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || inner.get(digits) != Some(&b')') {
        return None;
    }
    let colon = memchr::memmem::find(inner, b": ")?;
    Some(1 + colon + 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        check, check_in, check_messages, continuation, detect_corpus, each, message, mutated_line,
        random_bytes, unparsed,
    };
    use crate::format::{detect, LogFormat};
    use crate::time::{YearAnchor, Zone};
    use proptest::prelude::*;

    const REFERENCE: &[&str] = &[
        "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico",
        "[Sat Jul 08 17:40:54.742169 2017] [proxy:error] [pid 1081] (111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8000 (127.0.0.1) failed",
        "[Sat Jul 08 17:40:54.742228 2017] [proxy_http:error] [pid 1081] [client 10.0.2.2:53768] AH01114: HTTP: failed to make connection to backend: 127.0.0.1",
        "[Wed Dec 04 17:14:32 2019] [error] [client 1.2.3.4] Premature end of script headers: index.cgi",
        "[Mon Dec 26 16:17:53 2016] [notice] Apache/2.2.22 (Ubuntu) configured -- resuming normal operations",
        "[Wed Oct 20 19:20:59.121211 2021] [rewrite:trace3] [pid 121591:tid 140413273032448] mod_rewrite.c(470): [client 10.121.192.8:38350] 10.121.192.8 - - [dev.elastic.co/sid#55a374e851c8][rid#7fb438083ac0/initial] applying pattern '^/import/?(.*)$' to uri '/'",
        "[Mon Dec 26 16:22:00 2016] [error] [client 192.168.33.1] File does not exist: /var/www/favicon.ico, referer: http://192.168.33.72/",
    ];

    #[test]
    fn apache_24_with_thread() {
        check(
            &ApacheError,
            &[(
                REFERENCE[0],
                message()
                    .at("2011-09-09T10:42:29.902022Z")
                    .level(Level::Error)
                    .text("File does not exist: /usr/local/apache2/htdocs/favicon.ico")
                    .field("module", "core")
                    .field("pid", "35708")
                    .field("client", "72.15.99.187"),
            )],
        );
    }

    #[test]
    fn errno_prefix_and_message_id() {
        check(
            &ApacheError,
            &[
                (
                    REFERENCE[1],
                    message()
                        .at("2017-07-08T17:40:54.742169Z")
                        .level(Level::Error)
                        .text("(111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8000 (127.0.0.1) failed")
                        .field("module", "proxy")
                        .field("pid", "1081")
                        .field("client", None),
                ),
                (
                    REFERENCE[2],
                    message()
                        .level(Level::Error)
                        .text("AH01114: HTTP: failed to make connection to backend: 127.0.0.1")
                        .field("module", "proxy_http")
                        // the port is dropped
                        .field("client", "10.0.2.2"),
                ),
            ],
        );
    }

    #[test]
    fn errno_before_the_client_stays_in_the_text() {
        check(
            &ApacheError,
            &[(
                "[Sat Jul 08 17:40:54.742228 2017] [proxy:error] [pid 1081:tid 140] (70007)The timeout specified has expired: [client 10.0.2.2:53768] AH01102: error reading status line from remote server 10.0.1.12:8080",
                message()
                    .level(Level::Error)
                    .text("(70007)The timeout specified has expired: AH01102: error reading status line from remote server 10.0.1.12:8080")
                    .field("client", "10.0.2.2"),
            )],
        );
    }

    #[test]
    fn apache_22_lines() {
        check(
            &ApacheError,
            &[
                (
                    REFERENCE[3],
                    message()
                        .at("2019-12-04T17:14:32Z")
                        .level(Level::Error)
                        .text("Premature end of script headers: index.cgi")
                        .field("client", "1.2.3.4")
                        .field("module", None)
                        .field("pid", None),
                ),
                (
                    REFERENCE[4],
                    message()
                        .level(Level::Notice)
                        .text("Apache/2.2.22 (Ubuntu) configured -- resuming normal operations")
                        .no_fields(),
                ),
                (
                    REFERENCE[6],
                    message()
                        .level(Level::Error)
                        .text_suffix(", referer: http://192.168.33.72/"),
                ),
            ],
        );
    }

    #[test]
    fn sub_levels_and_source_location() {
        check(
            &ApacheError,
            &[(
                REFERENCE[5],
                message()
                    .at("2021-10-20T19:20:59.121211Z")
                    .level(Level::Trace)
                    .text_prefix("10.121.192.8 - - [dev.elastic.co/sid#55a374e851c8]")
                    .field("module", "rewrite")
                    .field("pid", "121591")
                    .field("client", "10.121.192.8"),
            )],
        );
    }

    #[test]
    fn module_less_and_ipv6_clients() {
        check(
            &ApacheError,
            &[
                (
                    "[Wed Oct 11 14:32:52.123456 2000] [:error] [pid 123] [client [2001:db8::1]:51234] PHP Fatal error:  Uncaught Exception: boom in /var/www/index.php:3",
                    message()
                        .level(Level::Error)
                        .text_prefix("PHP Fatal error:")
                        .field("module", None)
                        .field("client", "2001:db8::1"),
                ),
                (
                    "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 123] [client 2001:db8::1:51234] x",
                    message().level(Level::Error).field("client", "2001:db8::1"),
                ),
                (
                    "[Wed Oct 11 14:32:52 2000] [error] [client 2001:db8::1] x",
                    message().level(Level::Error).field("client", "2001:db8::1"),
                ),
                (
                    "[Wed Oct 11 14:32:52 2000] [crit] (13)Permission denied: x",
                    message().level(Level::Critical),
                ),
                (
                    "[Wed Oct 11 14:32:52 2000] [mpm_event:emerg] [pid 1:tid 2] AH00000: x",
                    message().level(Level::Emergency),
                ),
            ],
        );
    }

    #[test]
    fn clf_dates() {
        // Vector's `parse_apache_log` example (vectordotdev/vector, MPL-2.0).
        check(
            &ApacheError,
            &[
                (
                    "[01/Mar/2021:12:00:19 +0000] [ab:alert] [pid 4803:tid 3814] [client 147.159.108.175:24259] I will bypass the haptic COM bandwidth, that should matrix the CSS driver!",
                    message()
                        .at("2021-03-01T12:00:19Z")
                        .level(Level::Alert)
                        .field("client", "147.159.108.175")
                        .text_prefix("I will bypass"),
                ),
                // An access line starting with its date is not an error line.
                (
                    r#"[10/Aug/2018:09:45:56 +0200] 172.30.0.119 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "GET / HTTP/1.1" 1375"#,
                    unparsed(),
                ),
            ],
        );
    }

    #[test]
    fn not_apache_error_lines() {
        let unread = [
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
            r#"{"time":"2024-03-15T10:00:00Z","level":"error","msg":"x"}"#,
            "Mar  5 10:00:00 host prog[1]: x",
            "2020/05/07 03:15:12 [error] 6#6: *1 connect() failed",
            "[Mon Dec 26 16:22:08 2016] [bogus] [client 1.2.3.4] x",
            "[Mon Dec 26 16:22:08 2016] no level bracket",
            "[2024-03-15 10:00:00] [error] iso is not apache",
        ];
        let continued = [
            "PHP Stack trace:",
            "  thrown in /var/www/index.php on line 3",
            "200 OK",
        ];
        let rows = [each(unread, unparsed()), each(continued, continuation())].concat();
        check(&ApacheError, &rows);
    }

    #[test]
    fn local_time_in_the_source_zone() {
        check_in(
            &ApacheError,
            || TimeCtx::new(Zone::Fixed(3600), YearAnchor::End(0)),
            &[(REFERENCE[3], message().at("2019-12-04T16:14:32Z"))],
        );
    }

    #[test]
    fn corpus_error_logs() {
        for rel in [
            "apache/error-test.log",
            "apache/error-ubuntu-2.2.22.log",
            "apache/error-sublevel.log",
        ] {
            check_messages(&ApacheError, rel);
        }
    }

    #[test]
    fn detects_apache_error_files() {
        for rel in ["apache/error-test.log", "apache/error-ubuntu-2.2.22.log"] {
            let Some(found) = detect_corpus(rel) else {
                return;
            };
            assert_eq!(found, "apache_error", "{rel}");
        }
        let lines: Vec<&[u8]> = REFERENCE.iter().map(|l| l.as_bytes()).collect();
        let found = detect(&lines, &mut TimeCtx::default()).expect("a format");
        assert_eq!(found.name(), "apache_error");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(300)) {
            let _ = ApacheError.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REFERENCE)) {
            let _ = ApacheError.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn header_soup_never_panics(parts in proptest::collection::vec(
            prop_oneof![
                Just("[pid ".to_string()), Just("[client ".to_string()), Just("]".to_string()),
                Just("(111)".to_string()), Just(": ".to_string()), Just("x.c(".to_string()),
                Just("):".to_string()), "[a-z0-9:. ]{0,6}",
            ], 0..20)) {
            let line = format!("[Fri Sep 09 10:42:29.902022 2011] [core:error] {}", parts.concat());
            let parsed = ApacheError.parse(line.as_bytes(), &mut TimeCtx::default());
            let is_message = matches!(parsed, Parsed::Message { .. });
            prop_assert!(is_message);
        }
    }
}
