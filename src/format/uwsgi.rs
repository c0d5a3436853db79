//! uWSGI's log: its request lines and its own messages, docs/formats.md
//! `uwsgi`:
//!
//! ```text
//! [pid: 343|app: 0|req: 678/3082] 93.213.240.171 () {38 vars in 637 bytes} [Mon Feb  1 15:42:51 2021] GET /a5a41a8a-9eb8-4d89-b831-c3b3636ee55c/low-level => generated 52243 bytes in 14 msecs (HTTP/1.1 200) 10 headers in 411 bytes (1 switches on core 0)
//! *** Starting uWSGI 2.0.18 (64bit) on [Mon Feb  1 15:40:02 2021] ***
//! Mon Feb  1 15:42:51 2021 - worker 1 buried after 1 seconds
//! ```
//!
//! Request lines become requests (client, method, path, status, latency
//! in ms; the time in brackets is local). They are the application
//! server's, not the front's. Lines with a ctime date (`--log-date`, the
//! start banner) are messages at that time; uWSGI's other messages carry
//! no time (`spawned uWSGI worker 1 (pid: 12, cores: 1)`) and are read
//! at the time of the line before, or skipped before any time is known.

use std::borrow::Cow;

use crate::format::lex::{foreign_line, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed, Request};
use crate::time::{parse_ctime, TimeCtx};

/// uWSGI log.
pub struct Uwsgi;

impl LogFormat for Uwsgi {
    fn name(&self) -> &'static str {
        "uwsgi"
    }

    fn description(&self) -> &'static str {
        "uWSGI: [pid: 343|app: 0|req: 678/3082] request lines and its own messages"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if line.starts_with(b"[pid: ") {
            return request(line, ctx).unwrap_or(Parsed::Unparsed);
        }
        if let Some(p) = dated_message(line, ctx) {
            return p;
        }
        if foreign_line(line) || !looks_like_uwsgi(line) {
            return Parsed::Unparsed;
        }
        match ctx.last_at {
            Some(at) => Parsed::Message {
                at,
                message: Message {
                    level: level_of(line),
                    text: text(line),
                    fields: Vec::new(),
                },
            },
            None => Parsed::Unparsed,
        }
    }

    fn multiline(&self) -> bool {
        true
    }
}

/// uWSGI's undated messages: its start-up report and worker notices.
fn looks_like_uwsgi(line: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"uWSGI",
        b"uwsgi",
        b"worker",
        b"*** ",
        b"spawned",
        b"mapped ",
        b"WSGI app",
        b"mountpoint",
        b"Python",
        b"your ",
        b"detected",
        b"thunder lock",
        b"compiled with",
        b"os: ",
        b"nodename",
        b"machine:",
        b"clock source",
        b"pcre",
        b"current working directory",
        b"writing pidfile",
        b"chdir()",
        b"lock engine",
        b"setgid",
        b"setuid",
        b"Operational MODE",
        b"SIGINT",
        b"goodbye",
        b"DAMN",
        b"IOError",
        b"OSError",
        b"SIGPIPE",
    ];
    WORDS
        .iter()
        .any(|w| memchr::memmem::find(line, w).is_some())
}

fn level_of(msg: &[u8]) -> Option<Level> {
    let has = |w: &[u8]| memchr::memmem::find(msg, w).is_some();
    if has(b"DAMN ! worker") || has(b"HARAKIRI") || has(b"!!! ") {
        Some(Level::Error)
    } else if has(b"IOError") || has(b"OSError") || has(b"SIGPIPE") {
        Some(Level::Warn)
    } else {
        None
    }
}

/// `Mon Feb  1 15:42:51 2021 - msg` and `*** Starting uWSGI … on [ctime] ***`.
fn dated_message<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let (stamp, msg) = if let Some((stamp, used)) = parse_ctime(line) {
        let msg = line.get(used..)?.strip_prefix(b" - ")?;
        (stamp, msg)
    } else {
        let open = memchr::memmem::find(line, b" on [")?;
        if !line.starts_with(b"*** ") {
            return None;
        }
        let (stamp, _) = parse_ctime(line.get(open + 5..)?)?;
        (stamp, line)
    };
    Some(Parsed::Message {
        at: ctx.resolve(stamp),
        message: Message {
            level: level_of(msg),
            text: text(msg),
            fields: Vec::new(),
        },
    })
}

fn request<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let close = memchr::memchr(b']', line)?;
    let rest = line.get(close + 1..)?.trim_ascii_start();
    let sp = memchr::memchr(b' ', rest)?;
    let client = rest.get(..sp)?;
    let open = memchr::memmem::find(rest, b"] ").and_then(|end| {
        let start = memchr::memrchr(b'[', rest.get(..end)?)?;
        Some((start, end))
    })?;
    let (stamp, _) = parse_ctime(rest.get(open.0 + 1..open.1)?)?;
    let after = rest.get(open.1 + 2..)?;
    let arrow = memchr::memmem::find(after, b" => generated ")?;
    let req = after.get(..arrow)?;
    let (method, path) = match memchr::memchr(b' ', req) {
        Some(i) => (req.get(..i)?, req.get(i + 1..)?),
        None => (req, &b""[..]),
    };
    let tail = after.get(arrow..)?;
    let latency_ms = memchr::memmem::find(tail, b" bytes in ").and_then(|i| {
        let t = tail.get(i + 10..)?;
        let n = t.iter().take_while(|c| c.is_ascii_digit()).count();
        let unit = t.get(n..)?;
        let v: f64 = std::str::from_utf8(t.get(..n)?).ok()?.parse().ok()?;
        if unit.starts_with(b" msecs") {
            Some(v)
        } else if unit.starts_with(b" micros") {
            Some(v / 1000.0)
        } else {
            None
        }
    });
    // `(HTTP/1.1 200)`.
    let proto = memchr::memmem::find(tail, b" (HTTP/")?;
    let t = tail.get(proto + 2..)?;
    let sp = memchr::memchr(b' ', t)?;
    let status: u16 = std::str::from_utf8(t.get(sp + 1..sp + 4)?)
        .ok()?
        .parse()
        .ok()?;
    if t.get(sp + 4) != Some(&b')') {
        return None;
    }
    let details = ctx.details;
    Some(Parsed::Request {
        at: ctx.resolve(stamp),
        request: Request {
            status,
            failed: Request::default_failed(status),
            backend: None,
            client: Some(Cow::Owned(
                crate::format::strip_port(&text(client)).to_string(),
            )),
            latency_ms,
            method: details.then(|| text(method)),
            path: details.then(|| text(path)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check, each, message, mutated_line, random_bytes, request, unparsed,
    };
    use proptest::prelude::*;

    /// Real request lines: metabrainz/acousticbrainz-server#389 and
    /// radiasoft/sirepo#238 (joined onto one line as uWSGI wrote it); the
    /// messages are made up in uWSGI's shapes.
    const REAL: &[&str] = &[
        "[pid: 343|app: 0|req: 678/3082] 93.213.240.171 () {38 vars in 637 bytes} [Mon Feb  1 15:42:51 2021] GET /a5a41a8a-9eb8-4d89-b831-c3b3636ee55c/low-level => generated 52243 bytes in 14 msecs (HTTP/1.1 200) 10 headers in 411 bytes (1 switches on core 0)",
        "[pid: 175|app: 0|req: 89/89] 66.249.64.180 () {48 vars in 860 bytes} [Sun Jul 24 22:43:57 2016] POST /run => generated 204501 bytes in 37 msecs (HTTP/1.1 500) 2 headers in 75 bytes (2 switches on core 8)",
        "*** Starting uWSGI 2.0.18 (64bit) on [Mon Feb  1 15:40:02 2021] ***",
        "Mon Feb  1 15:42:51 2021 - DAMN ! worker 1 (pid: 12) died :( trying respawn ...",
        "spawned uWSGI worker 1 (pid: 12, cores: 1)",
    ];

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    request()
                        .at("2021-02-01T15:42:51Z")
                        .status(200)
                        .failed(false)
                        .client("93.213.240.171")
                        .latency(14.0)
                        .method("GET")
                        .path("/a5a41a8a-9eb8-4d89-b831-c3b3636ee55c/low-level"),
                ),
                (
                    REAL[1],
                    request()
                        .status(500)
                        .failed(true)
                        .latency(37.0)
                        .method("POST"),
                ),
            ],
            each(
                [
                    "[pid: 1|app: 0|req: 1/1] x",
                    "Mar  5 10:00:00 host x: y",
                    "random text",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check(&Uwsgi, &rows);
        check(
            &Uwsgi,
            &[
                (
                    REAL[2],
                    message()
                        .at("2021-02-01T15:40:02Z")
                        .text_prefix("*** Starting"),
                ),
                (
                    REAL[3],
                    message()
                        .at("2021-02-01T15:42:51Z")
                        .level(Level::Error)
                        .text_prefix("DAMN"),
                ),
                // No time known yet: skipped.
                (REAL[4], unparsed()),
            ],
        );
        let mut ctx = TimeCtx::default();
        ctx.last_at = Some(7);
        assert!(matches!(
            Uwsgi.parse(REAL[4].as_bytes(), &mut ctx),
            Parsed::Message { at: 7, .. }
        ));
    }

    #[test]
    fn detected() {
        assert_detected("uwsgi", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let mut ctx = TimeCtx::default();
            ctx.last_at = Some(0);
            let _ = Uwsgi.parse(&line, &mut ctx);
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let mut ctx = TimeCtx::default();
            ctx.last_at = Some(0);
            let _ = Uwsgi.parse(&line, &mut ctx);
        }
    }
}
