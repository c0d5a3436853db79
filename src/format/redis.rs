//! Redis server log, docs/formats.md `redis`:
//!
//! ```text
//! 26571:M 27 Dec 2018 11:19:18.874 * Synchronization with replica 10.114.208.18:6023 succeeded
//! 4961:M 30 May 12:50:13.457 * Increased maximum number of open files to 10032 (it was originally set to 4864).
//! 4961:signal-handler (1496141561) Received SIGINT scheduling shutdown...
//! [4018] 14 Nov 07:01:22.119 * Background saving terminated with success
//! ```
//!
//! `pid:role` (role `M` master, `S` replica, `C` child writing a snapshot,
//! `X` sentinel) or Redis 2's `[pid]`, then `dd Mon [yyyy] HH:MM:SS.mmm`:
//! Redis 4 and later write the year, Redis 3 and 2 do not (the year is
//! inferred as for syslog). The level is a symbol: `.` debug, `-` verbose
//! (debug), `*` notice, `#` warning. The signal handler writes an epoch in
//! parentheses instead of a date. The ASCII-art banner and other lines
//! without a header continue the record before them.

use std::borrow::Cow;

use crate::format::lex::{continues_unless_digit_or_foreign, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{
    civil_to_secs, digits, epoch_to_micros, month_abbr, Micros, Stamp, TimeCtx, YearlessStamp,
};

/// Redis server log.
pub struct Redis;

impl LogFormat for Redis {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn description(&self) -> &'static str {
        "Redis server log: 98738:M 30 May 12:23:52.442 * msg (banner attached)"
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

    fn yearless(&self) -> bool {
        true
    }
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let (pid, role, rest) = header(line)?;
    if role == b"signal-handler" {
        // `(1496141561) Received SIGINT ...`
        let inner = rest.strip_prefix(b"(")?;
        let close = memchr::memchr(b')', inner)?;
        let at = epoch_to_micros(std::str::from_utf8(inner.get(..close)?).ok()?)?;
        let msg = inner.get(close + 1..)?;
        return Some(message(at, Level::Notice, pid, role, msg));
    }
    let (at, used) = date(rest, ctx)?;
    let rest = rest.get(used..)?;
    let level = match rest.get(..2)? {
        b" ." | b" -" => Level::Debug,
        b" *" => Level::Notice,
        b" #" => Level::Warn,
        _ => return None,
    };
    if !matches!(rest.get(2), None | Some(b' ')) {
        return None;
    }
    Some(message(at, level, pid, role, rest.get(3..).unwrap_or(&[])))
}

fn message<'a>(
    at: Micros,
    level: Level,
    pid: &'a [u8],
    role: &'a [u8],
    msg: &'a [u8],
) -> Parsed<'a> {
    let mut fields = vec![(Cow::Borrowed("pid"), text(pid))];
    if !role.is_empty() {
        fields.push((Cow::Borrowed("role"), text(role)));
    }
    Parsed::Message {
        at,
        message: Message {
            level: Some(level),
            text: text(msg.strip_prefix(b" ").unwrap_or(msg)),
            fields,
        },
    }
}

/// `pid:R ` or `[pid] `: (pid, role, the rest after the space).
fn header(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    if let Some(inner) = line.strip_prefix(b"[") {
        let n = inner.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || inner.get(n..n + 2) != Some(b"] ") {
            return None;
        }
        return Some((inner.get(..n)?, &[], inner.get(n + 2..)?));
    }
    let n = line.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || line.get(n) != Some(&b':') {
        return None;
    }
    let after = line.get(n + 1..)?;
    if let Some(rest) = after.strip_prefix(b"signal-handler ") {
        return Some((line.get(..n)?, b"signal-handler", rest));
    }
    let role = after.get(..1)?;
    if !matches!(role, b"M" | b"S" | b"C" | b"X") || after.get(1) != Some(&b' ') {
        return None;
    }
    Some((line.get(..n)?, role, after.get(2..)?))
}

/// `27 Dec 2018 11:19:18.874` or `30 May 12:50:13.457`: (UTC, bytes used).
fn date(b: &[u8], ctx: &mut TimeCtx) -> Option<(Micros, usize)> {
    let (day, dl) = match (digits(b, 2), digits(b, 1)) {
        (Some(d), _) => (d, 2),
        (None, Some(d)) => (d, 1),
        _ => return None,
    };
    if b.get(dl) != Some(&b' ') {
        return None;
    }
    let month = month_abbr(b.get(dl + 1..)?)?;
    let mut i = dl + 4;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let year = match (digits(b.get(i..)?, 4), b.get(i + 4)) {
        (Some(y), Some(b' ')) => {
            i += 5;
            Some(y as i64)
        }
        _ => None,
    };
    let clock = b.get(i..)?;
    let h = digits(clock, 2)?;
    let m = digits(clock.get(3..)?, 2)?;
    let s = digits(clock.get(6..)?, 2)?;
    if clock.get(2) != Some(&b':') || clock.get(5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
        return None;
    }
    i += 8;
    let mut micros = 0;
    if b.get(i) == Some(&b'.') {
        let ms = digits(b.get(i + 1..)?, 3)?;
        micros = ms * 1000;
        i += 4;
    }
    if s == 60 {
        micros = crate::time::LEAP_SECOND;
    }
    let sod = h * 3600 + m * 60 + s.min(59);
    let at = match year {
        Some(year) => {
            let wall = civil_to_secs(year, month, day, 0, 0, 0)? + sod as i64;
            ctx.resolve(Stamp {
                wall,
                micros,
                offset: None,
            })
        }
        None => {
            if day == 0 || day > 31 {
                return None;
            }
            ctx.resolve_yearless(YearlessStamp {
                month,
                day,
                second_of_day: sod,
                micros,
            })?
        }
    };
    Some((at, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check_in, continuation, each, message, mutated_line, random_bytes,
        unparsed,
    };
    use crate::time::{YearAnchor, Zone};
    use proptest::prelude::*;

    /// Real lines: filebeat's Redis module fixtures (elastic/beats,
    /// `filebeat/module/redis/log/test/`) and Redis issues.
    const REAL: &[&str] = &[
        "26571:M 27 Dec 2018 11:19:18.874 * Synchronization with replica 10.114.208.18:6023 succeeded",
        "4961:M 30 May 12:50:13.457 * Increased maximum number of open files to 10032 (it was originally set to 4864).",
        "4961:M 30 May 12:50:13.463 # Server started, Redis version 3.0.2",
        "4961:signal-handler (1496141561) Received SIGINT scheduling shutdown...",
        "[4018] 14 Nov 07:01:22.119 * Background saving terminated with success",
        "1:C 12 Mar 2024 08:00:00.001 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        "98738:S 30 May 12:23:52.442 - Accepted 127.0.0.1:50560",
        "                _._                                                  ",
        "           _.-``__ ''-._                                             ",
        " (    '      ,       .-`  | `,    )     Running in standalone mode",
    ];

    fn ctx() -> TimeCtx {
        TimeCtx::new(
            Zone::Utc,
            YearAnchor::End(civil_to_secs(2017, 6, 1, 0, 0, 0).unwrap()),
        )
    }

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("2018-12-27T11:19:18.874Z")
                        .level(Level::Notice)
                        .field("pid", "26571")
                        .field("role", "M")
                        .text("Synchronization with replica 10.114.208.18:6023 succeeded"),
                ),
                (
                    REAL[1],
                    message()
                        .at("2017-05-30T12:50:13.457Z")
                        .level(Level::Notice),
                ),
                (
                    REAL[2],
                    message()
                        .level(Level::Warn)
                        .text("Server started, Redis version 3.0.2"),
                ),
                (
                    REAL[3],
                    message()
                        .at("2017-05-30T10:52:41Z")
                        .level(Level::Notice)
                        .text("Received SIGINT scheduling shutdown..."),
                ),
                (
                    REAL[4],
                    message()
                        .at("2016-11-14T07:01:22.119Z")
                        .field("pid", "4018")
                        .field("role", None),
                ),
                (
                    REAL[5],
                    message()
                        .at("2024-03-12T08:00:00.001Z")
                        .level(Level::Warn)
                        .field("role", "C"),
                ),
                (REAL[6], message().level(Level::Debug).field("role", "S")),
            ],
            each(REAL[7..].iter().copied(), continuation()),
            each(
                [
                    "4961:Q 30 May 12:50:13.457 * unknown role",
                    "4961:M 30 May 12:50:13.457 ! unknown level",
                    "4961:M 31 Foo 12:50:13.457 * month",
                    "Mar  5 10:00:00 host redis[1]: x",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check_in(&Redis, ctx, &rows);
    }

    #[test]
    fn banner_file_is_detected() {
        assert_detected("redis", REAL, &mut ctx());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Redis.parse(&line, &mut ctx());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Redis.parse(&line, &mut ctx());
        }
    }
}
