//! nginx error log (docs/formats.md, `nginx_error`):
//!
//! ```text
//! YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message[, client: IP][, server: NAME][, request: "LINE"][, upstream: "URL"][, host: "HOST"][, referrer: "URL"]
//! ```
//!
//! Local time without an offset. `*CONN ` is absent for process-level
//! notices (reloads, worker exits). The message is kept whole, suffixes
//! included, because patterns match on it; the suffixes are also read into
//! fields. Lines that do not start a record (PHP-FPM output relayed through
//! `FastCGI sent in stderr`) continue the previous one.

use std::borrow::Cow;

use crate::format::lex::{foreign_line, text, trim_spaces, Fields};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_iso, parse_leading, TimeCtx};

/// nginx error log.
pub struct NginxError;

impl LogFormat for NginxError {
    fn name(&self) -> &'static str {
        "nginx_error"
    }

    fn description(&self) -> &'static str {
        "nginx error log"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if let Some(parsed) = parse_record(line, ctx) {
            return parsed;
        }
        // `nginx: [emerg] bind() ... failed` is what the binary prints before
        // its log is open; it belongs where the last record left the clock.
        if let Some(rest) = line.strip_prefix(b"nginx: [") {
            if let (Some(at), Some((level, msg))) = (ctx.last_at, bracket_level(rest)) {
                return Parsed::Message {
                    at,
                    message: Message {
                        level: Some(level),
                        text: text(msg),
                        fields: Vec::new(),
                    },
                };
            }
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

/// `level] rest` after an opening bracket: the level and the rest after the
/// bracket and one space.
fn bracket_level(b: &[u8]) -> Option<(Level, &[u8])> {
    let head = b.get(..b.len().min(12))?;
    let close = memchr::memchr(b']', head)?;
    let level = Level::from_word(std::str::from_utf8(b.get(..close)?).ok()?)?;
    let rest = b.get(close + 1..)?;
    Some((level, rest.strip_prefix(b" ").unwrap_or(rest)))
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    // nginx writes exactly `YYYY/MM/DD HH:MM:SS `; anything looser is
    // another program's line.
    if line.get(4) != Some(&b'/') || line.get(19) != Some(&b' ') {
        return None;
    }
    let (stamp, used) = parse_iso(line)?;
    if used != 19 {
        return None;
    }
    let rest = line.get(20..)?.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', rest)?;
    if close == 0 || close > 10 {
        return None;
    }
    let level = Level::from_word(std::str::from_utf8(rest.get(..close)?).ok()?)?;
    let rest = rest.get(close + 1..)?.strip_prefix(b" ")?;

    // PID#TID:
    let pid_len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if pid_len == 0 || rest.get(pid_len) != Some(&b'#') {
        return None;
    }
    let pid = rest.get(..pid_len)?;
    let after_hash = rest.get(pid_len + 1..)?;
    let tid_len = after_hash.iter().take_while(|c| c.is_ascii_digit()).count();
    if tid_len == 0 || after_hash.get(tid_len) != Some(&b':') {
        return None;
    }
    let mut msg = after_hash.get(tid_len + 1..)?;
    msg = msg.strip_prefix(b" ").unwrap_or(msg);

    // *CONN
    if let Some(conn) = msg.strip_prefix(b"*") {
        let n = conn.iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 && matches!(conn.get(n), Some(b' ') | None) {
            msg = conn.get(n..)?;
            msg = msg.strip_prefix(b" ").unwrap_or(msg);
        }
    }

    let mut fields: Fields<'a> = Vec::with_capacity(6);
    fields.push((Cow::Borrowed("pid"), text(pid)));
    read_suffixes(msg, &mut fields);

    Some(Parsed::Message {
        at: ctx.resolve(stamp),
        message: Message {
            level: Some(level),
            text: text(msg),
            fields,
        },
    })
}

/// The suffix keys nginx appends after the message (http, mail and stream
/// modules), and whether the value is quoted.
const KEYS: &[(&str, bool)] = &[
    ("client", false),
    ("server", false),
    ("login", true),
    ("request", true),
    ("subrequest", true),
    ("upstream", true),
    ("host", true),
    ("referrer", true),
    ("bytes from/to client", false),
    ("bytes from/to upstream", false),
];

/// How many candidate starts of the suffix list are tried, so that a hostile
/// line full of `, client: ` stays cheap.
const MAX_TRIES: usize = 8;

/// Reads the `, key: value` suffixes at the end of the message into fields.
/// The suffix list starts at the first `, key: ` from which known keys run
/// to the end of the line, so a `, client: ` quoted inside the message
/// (relayed stderr) does not cut it short.
fn read_suffixes<'a>(msg: &'a [u8], fields: &mut Fields<'a>) {
    let mut tries = 0;
    for pos in memchr::memmem::find_iter(msg, b", ") {
        let Some(tail) = msg.get(pos..) else { break };
        if key_at(tail).is_none() {
            continue;
        }
        tries += 1;
        if tries > MAX_TRIES {
            return;
        }
        if let Some(list) = suffix_chain(tail) {
            for (key, value) in list {
                push_field(fields, key, value);
            }
            return;
        }
    }
}

/// The key of a `, key: ` at the start of `b`: (key, quoted, bytes up to the
/// value). The space after the colon is optional (`bytes from/to client:0/0`,
/// or an empty value at the end of a cut line).
fn key_at(b: &[u8]) -> Option<(&'static str, bool, usize)> {
    let body = b.strip_prefix(b", ")?;
    for &(key, quoted) in KEYS {
        if let Some(after) = body.strip_prefix(key.as_bytes()) {
            if let Some(value) = after.strip_prefix(b":") {
                let space = usize::from(value.first() == Some(&b' '));
                return Some((key, quoted, 2 + key.len() + 1 + space));
            }
        }
    }
    None
}

/// Parses `, key: value` pairs from `b` to its end; `None` when something
/// other than a known key sits in between, a key repeats, or an unquoted
/// value holds a space (the chain then started inside the message). A
/// quoted value that never closes (a line cut short) takes the rest of the
/// line.
fn suffix_chain(b: &[u8]) -> Option<Vec<(&'static str, &[u8])>> {
    let mut out: Vec<(&'static str, &[u8])> = Vec::with_capacity(6);
    let mut rest = b;
    while !rest.is_empty() {
        let (key, quoted, skip) = key_at(rest)?;
        // Each key appears once; a repeat means the chain started inside
        // the message.
        if out.iter().any(|(k, _)| *k == key) {
            return None;
        }
        let value_start = rest.get(skip..)?;
        if quoted && value_start.first() == Some(&b'"') {
            let inner = value_start.get(1..)?;
            // The closing quote is the one followed by the next key or the end.
            let mut end = None;
            for q in memchr::memchr_iter(b'"', inner) {
                let after = inner.get(q + 1..)?;
                if after.is_empty() || key_at(after).is_some() {
                    end = Some(q);
                    break;
                }
            }
            match end {
                Some(q) => {
                    out.push((key, inner.get(..q)?));
                    rest = inner.get(q + 1..)?;
                }
                None => {
                    out.push((key, inner));
                    rest = &[];
                }
            }
        } else {
            // Unquoted: up to the next `, key: ` or the end.
            let mut end = value_start.len();
            for p in memchr::memmem::find_iter(value_start, b", ") {
                if value_start.get(p..).and_then(key_at).is_some() {
                    end = p;
                    break;
                }
            }
            let value = value_start.get(..end)?;
            // Addresses, names and byte counts hold no spaces or quotes.
            if value.iter().any(|c| matches!(c, b' ' | b'"')) {
                return None;
            }
            out.push((key, value));
            rest = value_start.get(end..)?;
        }
    }
    Some(out)
}

fn push_field<'a>(fields: &mut Fields<'a>, key: &'static str, value: &'a [u8]) {
    let value = trim_spaces(value);
    if value.is_empty() {
        return;
    }
    match key {
        "client" | "server" | "request" | "host" => {
            fields.push((Cow::Borrowed(key), text(value)));
        }
        "upstream" => {
            fields.push((Cow::Borrowed("upstream"), text(value)));
            if let Some(host) = upstream_host(value) {
                fields.push((Cow::Borrowed("upstream_host"), text(host)));
            }
        }
        _ => {}
    }
}

/// `host:port` of an upstream URL (`http://172.21.0.19:9000/` →
/// `172.21.0.19:9000`); a Unix socket (`fastcgi://unix:/run/php.sock:`)
/// keeps its path.
fn upstream_host(url: &[u8]) -> Option<&[u8]> {
    let after_scheme = match memchr::memmem::find(url, b"://") {
        Some(i) => url.get(i + 3..)?,
        None => url,
    };
    if let Some(sock) = after_scheme.strip_prefix(b"unix:") {
        let end = memchr::memchr(b':', sock).unwrap_or(sock.len());
        let host = after_scheme.get(..5 + end)?;
        return (host.len() > 5).then_some(host);
    }
    let end = after_scheme
        .iter()
        .position(|c| matches!(c, b'/' | b'?' | b'#' | b' '))
        .unwrap_or(after_scheme.len());
    let host = after_scheme.get(..end)?;
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        check, check_in, check_messages, continuation, detect_corpus, each, message, message_of,
        mutated_line, random_bytes, unparsed,
    };
    use crate::format::{detect, LogFormat};
    use crate::time::{YearAnchor, Zone};
    use proptest::prelude::*;

    const REFERENCE: &[&str] = &[
        r#"2017/02/03 16:36:10 [error] 7588#7588: *3345968 upstream timed out (110: Connection timed out) while reading response header from upstream, client: REMOVED, server: retropie.org.uk, request: "GET /forum/socket.io/?EIO=3&transport=polling&t=Le4r2Ks&sid=Q9z39iYh---Ky3BzAAAh HTTP/1.1", upstream: "http://127.0.0.1:4567/forum/socket.io/?EIO=3&transport=polling&t=Le4r2Ks&sid="#,
        r#"2022/12/14 13:16:29 [error] 1829#1829: *451 no live upstreams while connecting to upstream, client: REDACTED, server: goblin.technology, request: "GET /api/v1/streaming?stream=user&access_token=REDACTED HTTP/1.1", upstream: "http://localhost/api/v1/streaming?stream=user&access_token=REDACTED", host: "goblin.technology""#,
        r#"2020/05/07 03:15:12 [error] 6#6: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 172.21.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://172.21.0.19:9000/", host: "0.0.0.0:9000""#,
        "2022/12/01 18:06:17 [notice] 37#37: signal 1 (SIGHUP) received from 21, reconfiguring",
        "2022/12/01 18:06:17 [notice] 37#37: reconfiguring",
        r#"2022/12/01 18:06:17 [notice] 37#37: using the "epoll" event method"#,
        "2022/12/01 18:06:17 [notice] 86#86: gracefully shutting down",
        "2022/12/01 18:06:17 [notice] 90#90: signal process started",
        "2015/01/20 10:15:34 [notice] 2153#0: signal 1 (SIGHUP) received, reconfiguring",
    ];

    #[test]
    fn upstream_timeout_cut_in_a_quoted_value() {
        check(
            &NginxError,
            &[(
                REFERENCE[0],
                message()
                    .at("2017-02-03T16:36:10Z")
                    .level(Level::Error)
                    .text_prefix("upstream timed out (110: Connection timed out) while reading")
                    // the whole message is kept
                    .text_suffix("&sid=")
                    .field("pid", "7588")
                    .field("client", "REMOVED")
                    .field("server", "retropie.org.uk")
                    .field(
                        "request",
                        "GET /forum/socket.io/?EIO=3&transport=polling&t=Le4r2Ks&sid=Q9z39iYh---Ky3BzAAAh HTTP/1.1",
                    )
                    .field(
                        "upstream",
                        "http://127.0.0.1:4567/forum/socket.io/?EIO=3&transport=polling&t=Le4r2Ks&sid=",
                    )
                    .field("upstream_host", "127.0.0.1:4567")
                    .field("host", None),
            )],
        );
    }

    #[test]
    fn no_live_upstreams() {
        check(
            &NginxError,
            &[(
                REFERENCE[1],
                message()
                    .at("2022-12-14T13:16:29Z")
                    .level(Level::Error)
                    .text_prefix("no live upstreams while connecting to upstream, client: ")
                    .field("pid", "1829")
                    .field("client", "REDACTED")
                    .field("server", "goblin.technology")
                    .field(
                        "upstream",
                        "http://localhost/api/v1/streaming?stream=user&access_token=REDACTED",
                    )
                    .field("upstream_host", "localhost")
                    .field("host", "goblin.technology"),
            )],
        );
    }

    #[test]
    fn connection_refused_with_empty_server() {
        check(
            &NginxError,
            &[(
                REFERENCE[2],
                message()
                    .at("2020-05-07T03:15:12Z")
                    .level(Level::Error)
                    .text_prefix("connect() failed (111: Connection refused) while connecting")
                    .text_suffix(r#"host: "0.0.0.0:9000""#)
                    .field("pid", "6")
                    .field("client", "172.21.0.1")
                    // `server: ,` is empty
                    .field("server", None)
                    .field("request", "GET / HTTP/1.1")
                    .field("upstream", "http://172.21.0.19:9000/")
                    .field("upstream_host", "172.21.0.19:9000")
                    .field("host", "0.0.0.0:9000"),
            )],
        );
    }

    #[test]
    fn error_variants() {
        let want = || {
            message()
                .level(Level::Error)
                .text_contains("while connecting to upstream")
                .field("upstream_host", "10.0.1.12:8080")
                .field("client", "10.0.0.7")
                .field("server", "_")
        };
        check(
            &NginxError,
            &[
                (
                    r#"2023/01/05 10:00:00 [error] 31#31: *9 connect() failed (110: Operation timed out) while connecting to upstream, client: 10.0.0.7, server: _, request: "POST /api HTTP/1.1", upstream: "http://10.0.1.12:8080/api", host: "example.com""#,
                    want(),
                ),
                (
                    r#"2023/01/05 10:00:00 [error] 31#31: *9 connect() failed (111: Unknown error) while connecting to upstream, client: 10.0.0.7, server: _, request: "POST /api HTTP/1.1", upstream: "http://10.0.1.12:8080/api", host: "example.com""#,
                    want(),
                ),
            ],
        );
    }

    #[test]
    fn reload_messages_without_connection() {
        let rows: Vec<_> = REFERENCE[3..]
            .iter()
            .map(|l| (*l, message().level(Level::Notice).field("client", None)))
            .collect();
        check(&NginxError, &rows);
        for line in &REFERENCE[3..] {
            let (at, m) = message_of(NginxError.parse(line.as_bytes(), &mut TimeCtx::default()));
            assert!(at.starts_with("20"), "{line}");
            assert!(
                !m.text.starts_with(' ') && !m.text.starts_with('*'),
                "{line}"
            );
        }
        check(
            &NginxError,
            &[
                (
                    REFERENCE[3],
                    message()
                        .text("signal 1 (SIGHUP) received from 21, reconfiguring")
                        .field("pid", "37"),
                ),
                (
                    REFERENCE[7],
                    message().text("signal process started").field("pid", "90"),
                ),
            ],
        );
    }

    #[test]
    fn every_level() {
        let mut rows: Vec<_> = [
            ("debug", Level::Debug),
            ("info", Level::Info),
            ("notice", Level::Notice),
            ("warn", Level::Warn),
            ("error", Level::Error),
            ("crit", Level::Critical),
            ("alert", Level::Alert),
            ("emerg", Level::Emergency),
        ]
        .into_iter()
        .map(|(word, level)| {
            let line = format!("2024/03/15 10:00:00 [{word}] 1#0: *5 something happened");
            (line, message().level(level).text("something happened"))
        })
        .collect();
        rows.push(("2024/03/15 10:00:00 [bogus] 1#0: *5 x".into(), unparsed()));
        check(&NginxError, &rows);
    }

    #[test]
    fn suffix_lookalikes_inside_the_message() {
        // A `, client: ` inside relayed stderr must not start the suffixes.
        let line = r#"2024/03/15 10:00:00 [error] 7#7: *3 FastCGI sent in stderr: "oops, client: gone away" while reading response header from upstream, client: 10.1.2.3, server: app, request: "GET /a?x=1, host: y HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "app.example""#;
        check(
            &NginxError,
            &[(
                line,
                message()
                    .level(Level::Error)
                    .text_prefix("FastCGI sent in stderr: \"oops, client: gone away\"")
                    .field("client", "10.1.2.3")
                    .field("server", "app")
                    .field("request", "GET /a?x=1, host: y HTTP/1.1")
                    .field("upstream", "fastcgi://unix:/run/php/php8.2-fpm.sock:")
                    .field("upstream_host", "unix:/run/php/php8.2-fpm.sock")
                    .field("host", "app.example"),
            )],
        );
        let (_, m) = message_of(NginxError.parse(line.as_bytes(), &mut TimeCtx::default()));
        assert_eq!(m.fields.iter().filter(|(k, _)| k == "client").count(), 1);
    }

    #[test]
    fn stream_module_suffixes() {
        check(
            &NginxError,
            &[(
                r#"2024/03/15 10:00:00 [error] 7#7: *3 upstream timed out (110: Connection timed out) while proxying connection, client: 10.1.2.3, server: 0.0.0.0:5432, upstream: "10.0.0.9:5432", bytes from/to client:0/0, bytes from/to upstream:0/0"#,
                message()
                    .level(Level::Error)
                    .field("upstream", "10.0.0.9:5432")
                    .field("upstream_host", "10.0.0.9:5432")
                    .field("server", "0.0.0.0:5432"),
            )],
        );
    }

    #[test]
    fn cut_lines_and_empty_values() {
        let rows: Vec<_> = [
            r#"2024/03/15 10:00:00 [error] 7#7: *3 boom, client: 10.1.2.3, server:"#,
            r#"2024/03/15 10:00:00 [error] 7#7: *3 boom, client: 10.1.2.3, server: "#,
            r#"2024/03/15 10:00:00 [error] 7#7: *3 boom, client: 10.1.2.3, request: "GET /x"#,
            r#"2024/03/15 10:00:00 [error] 7#7: *3 boom, client: 10.1.2.3, request: ""#,
            r#"2024/03/15 10:00:00 [error] 7#7: *3 boom, client: 10.1.2.3, upstream: "http://"#,
            "2024/03/15 10:00:00 [error] 7#7: *3",
            "2024/03/15 10:00:00 [error] 7#7:",
        ]
        .into_iter()
        .map(|cut| {
            let mut want = message().level(Level::Error).field("server", None);
            if cut.contains("client: ") {
                want = want.field("client", "10.1.2.3");
            }
            (cut, want)
        })
        .collect();
        check(&NginxError, &rows);
        check(
            &NginxError,
            &[("2024/03/15 10:00:00 [error] 7#7: *3", message().text(""))],
        );
    }

    #[test]
    fn not_nginx_error_lines() {
        let unread = [
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
            r#"{"time":"2024-03-15T10:00:00Z","level":"error","msg":"x"}"#,
            "Mar  5 10:00:00 host prog[1]: x",
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
            "2024/03/15 10:00:00 [error] upstream gone",
            "2024-03-15 10:00:00 [error] 1#1: dashes are not nginx",
            "2024/03/15 10:00:00.123 [error] 1#1: fraction is not nginx",
            "[Mon Dec 26 16:22:08 2016] [error] [client 192.168.33.1] File does not exist",
            "2024/03/15 10:00:00 [error] x#1: y",
            "2024/03/15 10:00:00 [error] 1#: y",
        ];
        let continued = [
            "PHP message: PHP Warning:  Declaration of X should be compatible",
            "\tat com.foo.Bar(Bar.java:10)",
            "200 OK",
        ];
        let rows = [each(unread, unparsed()), each(continued, continuation())].concat();
        check(&NginxError, &rows);
    }

    #[test]
    fn startup_stderr_takes_the_previous_time() {
        let line = b"nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)";
        let mut ctx = TimeCtx::default();
        assert_eq!(NginxError.parse(line, &mut ctx), Parsed::Continuation);
        ctx.last_at = Some(1_000_000);
        match NginxError.parse(line, &mut ctx) {
            Parsed::Message { at, message } => {
                assert_eq!(at, 1_000_000);
                assert_eq!(message.level, Some(Level::Emergency));
                assert!(message.text.starts_with("bind() to 0.0.0.0:80 failed"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn local_time_in_the_source_zone() {
        check_in(
            &NginxError,
            || TimeCtx::new(Zone::Fixed(-7200), YearAnchor::End(0)),
            &[(REFERENCE[2], message().at("2020-05-07T05:15:12Z"))],
        );
    }

    #[test]
    fn invalid_utf8_is_read_lossily() {
        let mut line =
            b"2024/03/15 10:00:00 [error] 1#1: *2 bad \xff\xfe bytes, client: 1.2.3.4".to_vec();
        line.extend_from_slice(b", server: \xc3");
        match NginxError.parse(&line, &mut TimeCtx::default()) {
            Parsed::Message { message, .. } => {
                assert!(message.text.contains('\u{fffd}'));
                assert!(message
                    .fields
                    .iter()
                    .any(|(k, v)| k == "client" && v == "1.2.3.4"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn corpus_error_log() {
        check_messages(&NginxError, "nginx/error.log");
    }

    #[test]
    fn detects_nginx_error_files() {
        let Some(found) = detect_corpus("nginx/error.log") else {
            return;
        };
        assert_eq!(found, "nginx_error");

        let lines: Vec<&[u8]> = REFERENCE.iter().map(|l| l.as_bytes()).collect();
        let found = detect(&lines, &mut TimeCtx::default()).expect("a format");
        assert_eq!(found.name(), "nginx_error");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(300)) {
            let _ = NginxError.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REFERENCE)) {
            let mut ctx = TimeCtx::default();
            ctx.last_at = Some(0);
            let _ = NginxError.parse(&line, &mut ctx);
        }

        #[test]
        fn suffix_soup_never_panics(parts in proptest::collection::vec(
            prop_oneof![
                Just(", client: ".to_string()), Just(", server: ".to_string()),
                Just(", request: \"".to_string()), Just(", upstream: \"".to_string()),
                Just("\"".to_string()), Just(", ".to_string()), Just(":".to_string()),
                Just("http://".to_string()), Just("unix:".to_string()), "[a-z0-9./ ]{0,6}",
            ], 0..20)) {
            let line = format!("2024/03/15 10:00:00 [error] 1#1: *2 m{}", parts.concat());
            let parsed = NginxError.parse(line.as_bytes(), &mut TimeCtx::default());
            let is_message = matches!(parsed, Parsed::Message { .. });
            prop_assert!(is_message);
        }
    }
}
