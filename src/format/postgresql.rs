//! PostgreSQL's server log (`log_destination = stderr`), docs/formats.md
//! `postgresql`:
//!
//! ```text
//! 2019-07-23 12:06:24.406 UTC [25] LOG:  00000: database system was interrupted; last known up at 2019-07-23 12:03:20 UTC
//! 2019-07-23 12:06:24.406 UTC [25] LOCATION:  StartupXLOG, xlog.c:6388
//! 2017-04-03 22:32:14.322 CEST [31225] postgres@mydb LOG:  could not receive data from client: Connection reset by peer
//! ```
//!
//! The line starts with `log_line_prefix`'s time (`%m` with milliseconds,
//! `%t` without), written in `log_timezone` with its abbreviation (`UTC`,
//! `CEST`, `PDT`) or a numeric offset (`+04`) for zones that have none.
//! The abbreviation gives the offset ([`parse_zone_abbrev`]); an
//! ambiguous one (`IST`, `CST`) is noted for the scan's warning. Whatever
//! the rest of the prefix holds (`[pid]`, `user@db`, `[pid-line]`), the
//! record's kind is the first `WORD:` among the next tokens, followed by
//! two spaces as the server writes it:
//!
//! - `LOG` is info, `DEBUG1`..`DEBUG5` debug, `INFO`, `NOTICE`, `WARNING`,
//!   `ERROR` as named, `FATAL` and `PANIC` critical;
//! - `DETAIL`, `HINT`, `QUERY`, `CONTEXT`, `LOCATION` and `STATEMENT`
//!   lines belong to the message before them: continuations;
//! - lines without the time (the rest of a multi-line statement, tab
//!   indented) continue the record too.
//!
//! Timestamped lines without such a word are not this format's.

use std::borrow::Cow;

use crate::format::lex::{continues_unless_digit_or_foreign, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_iso, parse_offset, parse_zone_abbrev, Micros, TimeCtx};

/// PostgreSQL server log.
pub struct Postgresql;

impl LogFormat for Postgresql {
    fn name(&self) -> &'static str {
        "postgresql"
    }

    fn description(&self) -> &'static str {
        "PostgreSQL server log (zone abbreviations, DETAIL/HINT/STATEMENT lines attached)"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        let Some((at, used)) = prefix_time(line, ctx) else {
            return continues_unless_digit_or_foreign(line);
        };
        let rest = line.get(used..).unwrap_or(&[]);
        let Some((kind, prefix, msg)) = find_kind(rest) else {
            return Parsed::Unparsed;
        };
        let level = match kind {
            Kind::Level(level) => level,
            Kind::Continues => return Parsed::Continuation,
        };
        let mut fields = Vec::new();
        if let Some(pid) = pid_of(prefix) {
            fields.push((Cow::Borrowed("pid"), text(pid)));
        }
        Parsed::Message {
            at,
            message: Message {
                level: Some(level),
                text: text(msg),
                fields,
            },
        }
    }

    fn multiline(&self) -> bool {
        true
    }
}

/// The prefix's time and zone: (UTC micros, bytes consumed).
fn prefix_time(line: &[u8], ctx: &mut TimeCtx) -> Option<(Micros, usize)> {
    // `%m` / `%t` are ISO with a space; some prefixes bracket them.
    let (open, body) = match line.strip_prefix(b"[") {
        Some(b) => (1, b),
        None => match line.strip_prefix(b"< ") {
            Some(b) => (2, b),
            None => (0, line),
        },
    };
    let (stamp, used) = parse_iso(body)?;
    if body.get(10) != Some(&b' ') {
        return None;
    }
    let mut end = used;
    let at = if stamp.offset.is_some() {
        ctx.resolve(stamp)
    } else if body.get(end) == Some(&b' ') {
        let zone = body.get(end + 1..).unwrap_or(&[]);
        if let Some((abbrev, n)) = parse_zone_abbrev(zone) {
            end += 1 + n;
            ctx.resolve_abbrev(stamp, abbrev)
        } else if let Some((off, n)) = numeric_zone(zone) {
            end += 1 + n;
            ctx.resolve(crate::time::Stamp {
                offset: Some(off),
                ..stamp
            })
        } else {
            ctx.resolve(stamp)
        }
    } else {
        ctx.resolve(stamp)
    };
    Some((at, open + end))
}

/// `+04`, `-03`, `+0530`, `+05:30` followed by a space or `]`.
fn numeric_zone(b: &[u8]) -> Option<(i32, usize)> {
    if !matches!(b.first(), Some(b'+' | b'-')) {
        return None;
    }
    let (off, n) = parse_offset(b)?;
    matches!(b.get(n), None | Some(b' ' | b']' | b'>')).then_some((off, n))
}

/// What the record's `WORD:` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Level(Level),
    /// DETAIL, HINT, QUERY, CONTEXT, LOCATION, STATEMENT.
    Continues,
}

/// How many tokens after the time may hold the `WORD:`.
const PREFIX_TOKENS: usize = 8;

/// Finds the first `WORD:` (followed by white space or the end) among the
/// first tokens: (what it says, the prefix before it, the message after).
fn find_kind(rest: &[u8]) -> Option<(Kind, &[u8], &[u8])> {
    let mut i = 0;
    for _ in 0..PREFIX_TOKENS {
        while rest.get(i).is_some_and(|c| *c == b' ' || *c == b'\t') {
            i += 1;
        }
        let start = i;
        while rest.get(i).is_some_and(|c| *c != b' ' && *c != b'\t') {
            i += 1;
        }
        if start == i {
            return None;
        }
        let token = rest.get(start..i)?;
        if let Some(word) = token.strip_suffix(b":") {
            if let Some(kind) = kind_of(word) {
                let msg = rest.get(i..).unwrap_or(&[]);
                let msg = trim_start(msg);
                return Some((kind, rest.get(..start)?, msg));
            }
        }
    }
    None
}

fn trim_start(mut b: &[u8]) -> &[u8] {
    while let Some((c, tail)) = b.split_first() {
        if *c != b' ' && *c != b'\t' {
            break;
        }
        b = tail;
    }
    b
}

fn kind_of(word: &[u8]) -> Option<Kind> {
    Some(match word {
        b"LOG" | b"INFO" => Kind::Level(Level::Info),
        b"NOTICE" => Kind::Level(Level::Notice),
        b"WARNING" => Kind::Level(Level::Warn),
        b"ERROR" => Kind::Level(Level::Error),
        b"FATAL" | b"PANIC" => Kind::Level(Level::Critical),
        b"DEBUG" | b"DEBUG1" | b"DEBUG2" | b"DEBUG3" | b"DEBUG4" | b"DEBUG5" => {
            Kind::Level(Level::Debug)
        }
        b"DETAIL" | b"HINT" | b"QUERY" | b"CONTEXT" | b"LOCATION" | b"STATEMENT" => Kind::Continues,
        _ => return None,
    })
}

/// The process id in the prefix: the first `[digits]` or `[digits-n]`.
fn pid_of(prefix: &[u8]) -> Option<&[u8]> {
    let open = memchr::memchr(b'[', prefix)?;
    let inner = prefix.get(open + 1..)?;
    let n = inner.iter().take_while(|c| c.is_ascii_digit()).count();
    (n > 0 && matches!(inner.get(n), Some(b']' | b'-'))).then(|| inner.get(..n))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        check, check_in, continuation, each, message, mutated_line, random_bytes, unparsed,
    };
    use crate::format::{detect, testkit::format};
    use crate::time::{ambiguous_warnings, YearAnchor, Zone};
    use proptest::prelude::*;

    /// Real lines: filebeat's PostgreSQL module fixtures (elastic/beats,
    /// `filebeat/module/postgresql/log/test/`) and the PostgreSQL manual.
    const REAL: &[&str] = &[
        "2019-07-23 12:06:24.406 UTC [25] LOG:  00000: database system was interrupted; last known up at 2019-07-23 12:03:20 UTC",
        "2019-07-23 12:06:24.406 UTC [25] LOCATION:  StartupXLOG, xlog.c:6388",
        "2019-07-23 12:06:33.732 UTC [44] ERROR:  42704: unrecognized configuration parameter \"config_filel\"",
        "2019-07-23 12:06:33.732 UTC [44] STATEMENT:  show config_filel;",
        "2017-04-03 22:32:14.322 CEST [31225] postgres@mydb LOG:  could not receive data from client: Connection reset by peer",
        "2017-07-31 13:39:16.249 CEST [5407] postgres@users FATAL:  database \"users\" does not exist",
        "2017-07-31 13:36:42.585 CEST [4974] LOG:  database system was shut down at 2017-06-17 16:58:04 CEST",
        "2017-04-07 22:45:30.218 CEST [22603] postgres@mydb ERROR:  operator does not exist: jsonb @> at character 49",
        "2017-04-07 22:45:30.218 CEST [22603] postgres@mydb HINT:  No operator matches the given name and argument type(s). You might need to add explicit type casts.",
        "2017-04-07 22:45:30.218 CEST [22603] postgres@mydb STATEMENT:  SELECT id, user FROM users WHERE data @> '{}';",
        "2016-06-15 14:12:53 PDT [1234-1] LOG:  checkpoint starting: time",
        "2017-07-31 13:36:43.557 CEST [4983] postgres@postgres LOG:  duration: 37.118 ms  statement: SELECT d.datname as \"Name\",",
        "\t       pg_catalog.pg_get_userbyid(d.datdba) as \"Owner\",",
        "2024-03-09 08:00:00.123 +04 [123] WARNING:  could not flush dirty data: Function not implemented",
        "2024-03-09 08:00:00.123 IST [123] PANIC:  could not write to file \"pg_wal/xlogtemp.123\": No space left on device",
    ];

    #[test]
    fn real_lines() {
        check(
            &Postgresql,
            &[
                (
                    REAL[0],
                    message()
                        .at("2019-07-23T12:06:24.406Z")
                        .level(Level::Info)
                        .text_prefix("00000: database system")
                        .field("pid", "25"),
                ),
                (REAL[1], continuation()),
                (REAL[2], message().level(Level::Error)),
                (REAL[3], continuation()),
                (
                    REAL[4],
                    message()
                        .at("2017-04-03T20:32:14.322Z")
                        .level(Level::Info)
                        .text("could not receive data from client: Connection reset by peer"),
                ),
                (
                    REAL[5],
                    message()
                        .at("2017-07-31T11:39:16.249Z")
                        .level(Level::Critical),
                ),
                (
                    REAL[6],
                    message()
                        .at("2017-07-31T11:36:42.585Z")
                        .field("pid", "4974"),
                ),
                (REAL[7], message().level(Level::Error)),
                (REAL[8], continuation()),
                (REAL[9], continuation()),
                (
                    REAL[10],
                    message()
                        .at("2016-06-15T21:12:53Z")
                        .level(Level::Info)
                        .field("pid", "1234"),
                ),
                (REAL[11], message().text_prefix("duration: 37.118 ms")),
                (REAL[12], continuation()),
                (
                    REAL[13],
                    message().at("2024-03-09T04:00:00.123Z").level(Level::Warn),
                ),
                (
                    REAL[14],
                    message()
                        .at("2024-03-09T02:30:00.123Z")
                        .level(Level::Critical),
                ),
            ],
        );
    }

    #[test]
    fn not_postgresql() {
        let rows = [
            each(
                [
                    "2024-03-15 10:00:00,123 ERROR [main] com.foo.Bar - Connection refused",
                    "2024-03-15T10:00:00Z LOG: no double space but a time T",
                    "{\"t\":{\"$date\":\"2020-05-20T19:17:06.188+00:00\"},\"s\":\"I\"}",
                    "Mar  5 10:00:00 host postgres[1]: [1-1] LOG:  x",
                ],
                unparsed(),
            ),
            each(["  indented text", "ORDER BY 1;"], continuation()),
        ]
        .concat();
        check(&Postgresql, &rows);
    }

    #[test]
    fn ambiguous_abbreviations_use_tz_and_are_noted() {
        // With --tz naming the zone, IST is read there.
        check_in(
            &Postgresql,
            || TimeCtx::new(Zone::parse("Europe/Dublin").unwrap(), YearAnchor::End(0)),
            &[(REAL[14], message().at("2024-03-09T08:00:00.123Z"))],
        );
        let mut ctx = TimeCtx::default();
        let _ = Postgresql.parse(REAL[4].as_bytes(), &mut ctx);
        assert_eq!(ctx.ambiguous, 0);
        let _ = Postgresql.parse(REAL[14].as_bytes(), &mut ctx);
        let warnings = ambiguous_warnings(ctx.ambiguous, Zone::Utc);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("IST") && warnings[0].contains("+05:30"),
            "{warnings:?}"
        );
    }

    #[test]
    fn detected_before_timestamped() {
        let lines: Vec<&[u8]> = REAL.iter().map(|l| l.as_bytes()).collect();
        let found = detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(found, Some("postgresql"));
        // A log4j file stays timestamped.
        let log4j: &[&[u8]] = &[
            b"2024-03-15 10:00:00,123 ERROR [main] com.foo.Bar - Connection refused",
            b"java.lang.IllegalStateException: boom",
            b"\tat com.foo.OrderService.place(OrderService.java:42)",
        ];
        let found = detect(log4j, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(found, Some("timestamped"));
        let _ = format("postgresql");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Postgresql.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Postgresql.parse(&line, &mut TimeCtx::default());
        }
    }
}
