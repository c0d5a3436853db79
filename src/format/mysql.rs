//! The MySQL and MariaDB error log, docs/formats.md `mysql`:
//!
//! ```text
//! 2019-03-24T13:44:25.484123Z 0 [System] [MY-013169] [Server] /usr/sbin/mysqld (mysqld 8.0.15) initializing of server in progress as process 1640
//! 2016-12-09T12:08:33.335060Z 0 [Warning] TIMESTAMP with implicit DEFAULT value is deprecated.
//! 2019-10-16 17:24:15 0 [Note] InnoDB: Using Linux native AIO
//! 161209 13:08:33 [ERROR] Can't start server: Bind on TCP/IP port: Address already in use
//! 161209 13:08:33 mysqld_safe Starting mysqld daemon with databases from /usr/local/var/mysql
//! ```
//!
//! MySQL 8 (`time thread [Level] [MY-code] [subsystem] msg`), 5.7
//! (`time thread [Level] msg`, UTC with `Z` by default), MariaDB and 5.6
//! (`YYYY-MM-DD HH:MM:SS thread [Level]`, local time) and MySQL 5.5 and
//! `mysqld_safe` (`yymmdd HH:MM:SS`, the hour space-padded in the general
//! query log). Levels: `Note` is notice, `Warning` warn, `ERROR` error,
//! `System` (MySQL 8's start and stop messages) info. Lines without a
//! header (`Version: '5.7.10' socket: ...`, crash-report stack traces)
//! continue the record before them.

use std::borrow::Cow;

use crate::format::lex::{continues_unless_digit_or_foreign, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_iso, parse_loose_clock, parse_yymmdd, Stamp, TimeCtx};

/// MySQL and MariaDB error log.
pub struct Mysql;

impl LogFormat for Mysql {
    fn name(&self) -> &'static str {
        "mysql"
    }

    fn description(&self) -> &'static str {
        "MySQL 5/8 and MariaDB error log ([Note], [Warning], [ERROR], [System])"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        match parse_record(line, ctx) {
            Some(p) => p,
            None => continues_unless_digit_or_foreign(line),
        }
    }

    fn multiline(&self) -> bool {
        true
    }
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    if line.get(4) == Some(&b'-') {
        let (stamp, used) = parse_iso(line)?;
        let rest = line.get(used..)?.strip_prefix(b" ")?;
        // The thread id is required here: it is what tells MySQL from any
        // other `time [LEVEL] msg` logger.
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || rest.get(n) != Some(&b' ') {
            return None;
        }
        let thread = rest.get(..n)?;
        let (level, tail) = bracket_level(rest.get(n + 1..)?)?;
        return Some(record(ctx.resolve(stamp), Some(level), Some(thread), tail));
    }
    // `161209 13:08:33 ...` and `191015  9:46:45\t...`.
    if line.get(6) != Some(&b' ') {
        return None;
    }
    let day = parse_yymmdd(line)?;
    let (sod, used) = parse_loose_clock(line.get(7..)?)?;
    let rest = line.get(7 + used..)?;
    if !matches!(rest.first(), None | Some(b' ' | b'\t')) {
        return None;
    }
    let rest = rest.trim_ascii_start();
    let at = ctx.resolve(Stamp {
        wall: day + sod as i64,
        micros: 0,
        offset: None,
    });
    match bracket_level(rest) {
        Some((level, tail)) => Some(record(at, Some(level), None, tail)),
        None => Some(record(at, None, None, rest)),
    }
}

/// `[Note] msg`, `[System] [MY-013169] [Server] msg`: the level, and the
/// rest with MySQL 8's code and subsystem still in it.
fn bracket_level(b: &[u8]) -> Option<(Level, &[u8])> {
    let inner = b.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', inner.get(..inner.len().min(12))?)?;
    let level = match inner.get(..close)? {
        b"Note" | b"NOTE" => Level::Notice,
        b"Warning" | b"WARNING" | b"Warn" => Level::Warn,
        b"ERROR" | b"Error" => Level::Error,
        b"System" | b"SYSTEM" | b"Info" | b"INFO" => Level::Info,
        _ => return None,
    };
    let tail = inner.get(close + 1..)?;
    Some((level, tail.strip_prefix(b" ").unwrap_or(tail)))
}

fn record<'a>(
    at: crate::time::Micros,
    level: Option<Level>,
    thread: Option<&'a [u8]>,
    mut tail: &'a [u8],
) -> Parsed<'a> {
    let mut fields = Vec::new();
    if let Some(t) = thread {
        fields.push((Cow::Borrowed("thread"), text(t)));
    }
    // MySQL 8: `[MY-013169] [Server] `.
    if let Some(code) = bracketed(tail, b"[MY-") {
        fields.push((Cow::Borrowed("code"), text(code.0)));
        tail = code.1;
        if let Some((subsystem, rest)) = bracketed(tail, b"[") {
            fields.push((Cow::Borrowed("subsystem"), text(subsystem)));
            tail = rest;
        }
    }
    Parsed::Message {
        at,
        message: Message {
            level,
            text: text(tail),
            fields,
        },
    }
}

/// `[inner] rest` when `b` starts with `open` (the inner text keeps what
/// `open` has after its `[`).
fn bracketed<'a>(b: &'a [u8], open: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    if !b.starts_with(open) {
        return None;
    }
    let close = memchr::memchr(b']', b.get(..b.len().min(40))?)?;
    let inner = b.get(1..close)?;
    if inner.contains(&b' ') {
        return None;
    }
    let rest = b.get(close + 1..)?;
    Some((inner, rest.strip_prefix(b" ").unwrap_or(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check, continuation, each, message, mutated_line, random_bytes, unparsed,
    };
    use proptest::prelude::*;

    /// Real lines: filebeat's MySQL module fixtures (elastic/beats,
    /// `filebeat/module/mysql/error/test/`).
    const REAL: &[&str] = &[
        "2019-03-24T13:44:25.484123Z 0 [System] [MY-013169] [Server] /usr/sbin/mysqld (mysqld 8.0.15) initializing of server in progress as process 1640",
        "2019-03-24T13:44:27.924508Z 5 [Warning] [MY-010453] [Server] root@localhost is created with an empty password ! Please consider switching off the --initialize-insecure option.",
        "2016-12-09T12:08:33.335060Z 0 [Warning] TIMESTAMP with implicit DEFAULT value is deprecated. Please use --explicit_defaults_for_timestamp server option (see documentation for more details).",
        "2019-10-16 17:24:15 0 [Note] InnoDB: Using Linux native AIO",
        "161209 13:08:33 mysqld_safe Starting mysqld daemon with databases from /usr/local/var/mysql",
        "191015  9:46:45\t    13 Query\tSHOW /*!50002 GLOBAL */ STATUS",
        "161209 14:18:50 [ERROR] Can't start server: Bind on TCP/IP port: Address already in use",
        "2016-12-09T12:08:33.534436Z 0 [ERROR] InnoDB: Unable to lock ./ibdata1 error: 35",
        "Version: '5.7.10'  socket: '/tmp/mysql.sock'  port: 3306  Homebrew",
    ];

    #[test]
    fn real_lines() {
        check(
            &Mysql,
            &[
                (
                    REAL[0],
                    message()
                        .at("2019-03-24T13:44:25.484123Z")
                        .level(Level::Info)
                        .field("code", "MY-013169")
                        .field("subsystem", "Server")
                        .field("thread", "0")
                        .text_prefix("/usr/sbin/mysqld"),
                ),
                (
                    REAL[1],
                    message()
                        .level(Level::Warn)
                        .field("thread", "5")
                        .text_prefix("root@localhost"),
                ),
                (
                    REAL[2],
                    message()
                        .at("2016-12-09T12:08:33.335060Z")
                        .level(Level::Warn)
                        .field("code", None)
                        .text_prefix("TIMESTAMP"),
                ),
                (
                    REAL[3],
                    message()
                        .at("2019-10-16T17:24:15Z")
                        .level(Level::Notice)
                        .text("InnoDB: Using Linux native AIO"),
                ),
                (
                    REAL[4],
                    message()
                        .at("2016-12-09T13:08:33Z")
                        .level(None)
                        .text_prefix("mysqld_safe Starting"),
                ),
                (REAL[5], message().at("2019-10-15T09:46:45Z").level(None)),
                (
                    REAL[6],
                    message()
                        .at("2016-12-09T14:18:50Z")
                        .level(Level::Error)
                        .text_prefix("Can't start"),
                ),
                (REAL[7], message().level(Level::Error)),
                (REAL[8], continuation()),
            ],
        );
        let rows = each(
            [
                "2009/01/23 01:23:23 [ERROR] upstream gone",
                "2024-03-15 10:00:00,123 [main] WARN x",
                "2024-03-15 10:00:00 12 [Bogus] x",
                "{\"a\":1}",
            ],
            unparsed(),
        );
        check(&Mysql, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("mysql", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Mysql.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Mysql.parse(&line, &mut TimeCtx::default());
        }
    }
}
