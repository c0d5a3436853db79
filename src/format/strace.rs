//! `strace` output with times (`-t`, `-tt`, `-ttt`), docs/formats.md
//! `strace`:
//!
//! ```text
//! 12:34:56.789012 open("/etc/passwd", O_RDONLY) = 3
//! 1710000000.123456 connect(3, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("10.0.0.5")}, 16) = -1 ECONNREFUSED (Connection refused)
//! [pid  1234] 12:34:56.789012 write(1, "ok\n", 3) = 3
//! ```
//!
//! Each line is a record: a system call (also `<... read resumed>`), a
//! signal (`--- SIGCHLD ... ---`) or an exit (`+++ exited with 0 +++`),
//! optionally after the process id (`-f`: `[pid N]` or `N ` with `-o`).
//! `-ttt` gives epoch seconds; `-t` and `-tt` only the time of day, so the
//! day is taken from the other inputs or the file's time as for year-less
//! dates ([`TimeCtx::resolve_time_of_day`]). A process killed by a signal
//! is critical; nothing else has a level (failed calls are routine).

use std::borrow::Cow;

use crate::format::lex::text;
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{digits, epoch_to_micros, Micros, TimeCtx};

/// strace with timestamps.
pub struct Strace;

impl LogFormat for Strace {
    fn name(&self) -> &'static str {
        "strace"
    }

    fn description(&self) -> &'static str {
        "strace -t/-tt/-ttt: 12:34:56.789012 open(\"/etc/passwd\", O_RDONLY) = 3"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_record(line, ctx).unwrap_or(Parsed::Unparsed)
    }

    fn yearless(&self) -> bool {
        true
    }
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let mut fields = Vec::new();
    let mut rest = line;
    if let Some(inner) = rest.strip_prefix(b"[pid ") {
        let close = memchr::memchr(b']', inner)?;
        let pid = inner.get(..close)?.trim_ascii();
        if pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) {
            return None;
        }
        fields.push((Cow::Borrowed("pid"), text(pid)));
        rest = inner.get(close + 1..)?.trim_ascii_start();
    } else {
        // `-f -o file`: `1234  12:34:56 ...` (a number, then spaces).
        let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 && n < 8 && rest.get(n..n + 2) == Some(b"  ") {
            fields.push((Cow::Borrowed("pid"), text(rest.get(..n)?)));
            rest = rest.get(n..)?.trim_ascii_start();
        }
    }
    let (at, used) = time(rest, ctx)?;
    let call = rest.get(used..)?.strip_prefix(b" ")?;
    let level = if call.starts_with(b"+++ killed by") {
        Some(Level::Critical)
    } else if call.starts_with(b"+++ ") || call.starts_with(b"--- ") || call.starts_with(b"<... ") {
        None
    } else {
        // A system call: a name, then `(`.
        let n = call
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        if n == 0 || call.get(n) != Some(&b'(') || !call.first()?.is_ascii_lowercase() {
            return None;
        }
        None
    };
    Some(Parsed::Message {
        at,
        message: Message {
            level,
            text: text(call),
            fields,
        },
    })
}

/// `HH:MM:SS[.uuuuuu]` or epoch `ssssssssss.uuuuuu`: (UTC, bytes used).
fn time(b: &[u8], ctx: &mut TimeCtx) -> Option<(Micros, usize)> {
    if b.get(2) == Some(&b':') {
        let (h, m, s) = (
            digits(b, 2)?,
            digits(b.get(3..)?, 2)?,
            digits(b.get(6..)?, 2)?,
        );
        if b.get(5) != Some(&b':') || h > 23 || m > 59 || s > 60 {
            return None;
        }
        let mut used = 8;
        let mut micros = 0;
        if b.get(8) == Some(&b'.') {
            let n = b
                .get(9..)?
                .iter()
                .take(9)
                .take_while(|c| c.is_ascii_digit())
                .count();
            if n == 0 {
                return None;
            }
            let frac = digits(b.get(9..)?, n.min(6))?;
            micros = frac * 10u32.pow(6 - n.min(6) as u32);
            used = 9 + n;
        }
        if s == 60 {
            micros = crate::time::LEAP_SECOND;
        }
        let at = ctx.resolve_time_of_day(h * 3600 + m * 60 + s.min(59), micros)?;
        return Some((at, used));
    }
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.')
        .count();
    let number = b.get(..n)?;
    if number.get(10) != Some(&b'.') {
        return None;
    }
    Some((epoch_to_micros(std::str::from_utf8(number).ok()?)?, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check_in, each, message, mutated_line, random_bytes, unparsed,
    };
    use crate::time::{civil_to_secs, YearAnchor, Zone};
    use proptest::prelude::*;

    /// The issue's example and lines made up in strace's documented
    /// output shapes.
    const REAL: &[&str] = &[
        "12:34:56.789012 open(\"/etc/passwd\", O_RDONLY) = 3",
        "1710000000.123456 connect(3, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr(\"10.0.0.5\")}, 16) = -1 ECONNREFUSED (Connection refused)",
        "[pid  1234] 12:34:56.789012 write(1, \"ok\\n\", 3) = 3",
        "1234  12:34:56 read(3, \"\", 4096) = 0",
        "12:34:57.000001 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=1235, si_uid=0, si_status=0} ---",
        "12:34:57.100000 +++ killed by SIGSEGV (core dumped) +++",
        "12:34:57.200000 <... read resumed>\"x\", 4096) = 1",
    ];

    fn ctx() -> TimeCtx {
        TimeCtx::new(
            Zone::Utc,
            YearAnchor::End(civil_to_secs(2024, 3, 9, 13, 0, 0).unwrap()),
        )
    }

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("2024-03-09T12:34:56.789012Z")
                        .level(None)
                        .text("open(\"/etc/passwd\", O_RDONLY) = 3"),
                ),
                (
                    REAL[1],
                    message()
                        .at("2024-03-09T16:00:00.123456Z")
                        .text_prefix("connect(3"),
                ),
                (
                    REAL[2],
                    message().field("pid", "1234").text_prefix("write(1"),
                ),
                (
                    REAL[3],
                    message().at("2024-03-09T12:34:56Z").field("pid", "1234"),
                ),
                (REAL[4], message().level(None)),
                (REAL[5], message().level(Level::Critical)),
                (REAL[6], message().level(None)),
            ],
            // After the anchor's time of day: the day before.
            vec![(
                "23:00:00 close(3) = 0",
                message().at("2024-03-08T23:00:00Z"),
            )],
            each(
                [
                    "12:34:56 Not a call",
                    "12:34:56.789012",
                    "2024-03-15 10:00:00 x",
                    "open(\"/x\") = 3",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check_in(&Strace, ctx, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("strace", REAL, &mut ctx());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Strace.parse(&line, &mut ctx());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Strace.parse(&line, &mut ctx());
        }
    }
}
