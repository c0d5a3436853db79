//! Hadoop HDFS daemons' log4j output with the compact date
//! (`yyMMdd HHmmss`), docs/formats.md `hdfs`:
//!
//! ```text
//! 081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating
//! ```
//!
//! `yyMMdd HHmmss thread LEVEL logger: message`, local time, no fraction;
//! years are 20yy. Lines without the date (stack traces) continue the
//! record before them.

use std::borrow::Cow;

use crate::format::lex::{continues_unless_digit_or_foreign, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{digits, parse_yymmdd, Stamp, TimeCtx};

/// HDFS (log4j with `yyMMdd HHmmss`).
pub struct Hdfs;

impl LogFormat for Hdfs {
    fn name(&self) -> &'static str {
        "hdfs"
    }

    fn description(&self) -> &'static str {
        "Hadoop HDFS: 081109 203615 148 INFO dfs.DataNode$PacketResponder: msg"
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
    if line.get(6) != Some(&b' ') || line.get(13) != Some(&b' ') {
        return None;
    }
    let day = parse_yymmdd(line)?;
    let clock = line.get(7..13)?;
    let (h, m, s) = (
        digits(clock, 2)?,
        digits(clock.get(2..)?, 2)?,
        digits(clock.get(4..)?, 2)?,
    );
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let rest = line.get(14..)?;
    let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || rest.get(n) != Some(&b' ') {
        return None;
    }
    let thread = rest.get(..n)?;
    let rest = rest.get(n + 1..)?;
    let sp = memchr::memchr(b' ', rest)?;
    let word = rest.get(..sp)?;
    if !word.iter().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let level = Level::from_word(std::str::from_utf8(word).ok()?)?;
    let rest = rest.get(sp + 1..)?;
    let mut fields = vec![(Cow::Borrowed("thread"), text(thread))];
    let mut msg = rest;
    if let Some(colon) = memchr::memchr(b':', rest) {
        let logger = rest.get(..colon)?;
        if !logger.is_empty() && !logger.contains(&b' ') {
            fields.push((Cow::Borrowed("logger"), text(logger)));
            msg = rest.get(colon + 1..)?.trim_ascii_start();
        }
    }
    let micros = if s == 60 { crate::time::LEAP_SECOND } else { 0 };
    Some(Parsed::Message {
        at: ctx.resolve(Stamp {
            wall: day + (h * 3600 + m * 60 + s.min(59)) as i64,
            micros,
            offset: None,
        }),
        message: Message {
            level: Some(level),
            text: text(msg),
            fields,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check, continuation, each, message, mutated_line, random_bytes, unparsed,
    };
    use proptest::prelude::*;

    /// The issue's HDFS example line; the others are made up in its shape.
    const REAL: &[&str] = &[
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
        "081109 203807 222 WARN dfs.DataNode$DataXceiver: 10.251.30.85:50010:Got exception while serving blk_-2918118818249673980 to /10.251.90.64:",
        "081110 000001 19 ERROR dfs.DataNode: Exception in receiveBlock for block blk_1",
    ];

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("2008-11-09T20:36:15Z")
                        .level(Level::Info)
                        .field("logger", "dfs.DataNode$PacketResponder")
                        .field("thread", "148")
                        .text_prefix("PacketResponder 1"),
                ),
                (
                    REAL[1],
                    message()
                        .level(Level::Warn)
                        .text_prefix("10.251.30.85:50010:Got"),
                ),
                (
                    REAL[2],
                    message().at("2008-11-10T00:00:01Z").level(Level::Error),
                ),
            ],
            each(
                [
                    "java.io.IOException: Connection reset by peer",
                    "\tat x.y(Z.java:1)",
                ],
                continuation(),
            ),
            each(
                [
                    "081109 203615 148 NOISE x: y",
                    "081309 203615 1 INFO x: y",
                    "20240315 100000 compact",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check(&Hdfs, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("hdfs", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Hdfs.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Hdfs.parse(&line, &mut TimeCtx::default());
        }
    }
}
