//! Android `logcat`, docs/formats.md `logcat`:
//!
//! ```text
//! 03-17 16:13:38.811  1702  2395 D WindowManager: msg
//! 03-17 16:13:38.811 D/WindowManager( 1702): msg
//! ```
//!
//! `-v threadtime` (the default: `MM-DD HH:MM:SS.mmm pid tid L tag: msg`)
//! and `-v time` (`MM-DD HH:MM:SS.mmm L/tag(pid): msg`). No year: it is
//! inferred as for syslog. Levels: `V` trace, `D` debug, `I` info, `W`
//! warn, `E` error, `F` and `A` (assert) critical. `--------- beginning
//! of main` separators are records of their own (no level), at the time
//! of the line before.

use std::borrow::Cow;

use crate::format::lex::text;
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_month_day, TimeCtx};

/// Android logcat.
pub struct Logcat;

impl LogFormat for Logcat {
    fn name(&self) -> &'static str {
        "logcat"
    }

    fn description(&self) -> &'static str {
        "Android logcat (threadtime, time): 03-17 16:13:38.811  1702  2395 D Tag: msg"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if let Some(sep) = line.strip_prefix(b"--------- ") {
            return match ctx.last_at {
                Some(at) => Parsed::Message {
                    at,
                    message: Message {
                        level: None,
                        text: text(sep),
                        fields: Vec::new(),
                    },
                },
                None => Parsed::Unparsed,
            };
        }
        parse_record(line, ctx).unwrap_or(Parsed::Unparsed)
    }

    fn yearless(&self) -> bool {
        true
    }
}

fn level_of(c: u8) -> Option<Level> {
    Some(match c {
        b'V' => Level::Trace,
        b'D' => Level::Debug,
        b'I' => Level::Info,
        b'W' => Level::Warn,
        b'E' => Level::Error,
        b'F' | b'A' => Level::Critical,
        _ => return None,
    })
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let (stamp, used) = parse_month_day(line, Some(b'-'))?;
    let rest = line.get(used..)?;
    if rest.first() != Some(&b' ') {
        return None;
    }
    let rest = rest.trim_ascii_start();
    let (level, tag, pid, tid, msg) = if rest.get(1) == Some(&b'/') {
        // `-v time`: `D/Tag( 1702): msg`.
        let level = level_of(*rest.first()?)?;
        let body = rest.get(2..)?;
        let open = memchr::memchr(b'(', body)?;
        let close = open + memchr::memchr(b')', body.get(open..)?)?;
        let pid = body.get(open + 1..close)?.trim_ascii();
        let msg = body.get(close + 1..)?.strip_prefix(b":")?;
        (level, body.get(..open)?.trim_ascii(), Some(pid), None, msg)
    } else {
        // threadtime: `1702  2395 D Tag: msg`.
        let (pid, rest) = number(rest)?;
        let (tid, rest) = number(rest)?;
        let level = level_of(*rest.first()?)?;
        if rest.get(1) != Some(&b' ') {
            return None;
        }
        let body = rest.get(2..)?;
        let colon = memchr::memchr(b':', body)?;
        (
            level,
            body.get(..colon)?.trim_ascii(),
            Some(pid),
            Some(tid),
            body.get(colon + 1..)?,
        )
    };
    let mut fields = vec![(Cow::Borrowed("tag"), text(tag))];
    if let Some(pid) = pid {
        fields.push((Cow::Borrowed("pid"), text(pid)));
    }
    if let Some(tid) = tid {
        fields.push((Cow::Borrowed("tid"), text(tid)));
    }
    Some(Parsed::Message {
        at: ctx.resolve_yearless(stamp)?,
        message: Message {
            level: Some(level),
            text: text(msg.strip_prefix(b" ").unwrap_or(msg)),
            fields,
        },
    })
}

/// Digits then spaces: (digits, rest after the spaces).
fn number(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || b.get(n) != Some(&b' ') {
        return None;
    }
    Some((b.get(..n)?, b.get(n..)?.trim_ascii_start()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check_in, each, message, mutated_line, random_bytes, unparsed,
    };
    use crate::time::{civil_to_secs, YearAnchor, Zone};
    use proptest::prelude::*;

    /// Lines in the shapes the Android `logcat` documentation gives for
    /// `-v threadtime` and `-v time`; the messages are made up (the first
    /// line's header is the issue's example).
    const REAL: &[&str] = &[
        "03-17 16:13:38.811  1702  2395 D WindowManager: freezing display for app token",
        "03-17 16:13:38.819  1702  8671 E ActivityManager: ANR in com.example.app",
        "12-31 23:59:59.999   123   456 W System.err: java.io.IOException: broken pipe",
        "01-01 00:00:00.001   123   123 F libc    : Fatal signal 11 (SIGSEGV), code 1, fault addr 0x0 in tid 123",
        "03-17 16:13:38.811 I/ActivityManager( 1702): Start proc com.example for activity",
        "--------- beginning of main",
    ];

    fn ctx() -> TimeCtx {
        TimeCtx::new(
            Zone::Utc,
            YearAnchor::End(civil_to_secs(2025, 1, 2, 0, 0, 0).unwrap()),
        )
    }

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("2024-03-17T16:13:38.811Z")
                        .level(Level::Debug)
                        .field("tag", "WindowManager")
                        .field("pid", "1702")
                        .field("tid", "2395")
                        .text("freezing display for app token"),
                ),
                (
                    REAL[1],
                    message().level(Level::Error).text("ANR in com.example.app"),
                ),
                (
                    REAL[2],
                    message()
                        .at("2024-12-31T23:59:59.999Z")
                        .level(Level::Warn)
                        .field("tag", "System.err"),
                ),
                (
                    REAL[3],
                    message()
                        .at("2025-01-01T00:00:00.001Z")
                        .level(Level::Critical)
                        .field("tag", "libc"),
                ),
                (
                    REAL[4],
                    message()
                        .level(Level::Info)
                        .field("tag", "ActivityManager")
                        .field("pid", "1702")
                        .field("tid", None),
                ),
            ],
            each(
                [
                    REAL[5],
                    "03-17 16:13:38.811  1702  2395 X WindowManager: bad level",
                    "13-17 16:13:38.811  1702  2395 D T: month",
                    "\tat x",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check_in(&Logcat, ctx, &rows);
    }

    #[test]
    fn separator_takes_the_time_before() {
        let mut c = ctx();
        c.last_at = Some(5);
        assert!(matches!(
            Logcat.parse(REAL[5].as_bytes(), &mut c),
            Parsed::Message { at: 5, .. }
        ));
    }

    #[test]
    fn detected() {
        assert_detected("logcat", REAL, &mut ctx());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Logcat.parse(&line, &mut ctx());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Logcat.parse(&line, &mut ctx());
        }
    }
}
