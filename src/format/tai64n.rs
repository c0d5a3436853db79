//! Lines stamped with a TAI64N label by daemontools' `multilog`, s6-log
//! or runit's `svlogd -t`, docs/formats.md `tai64n`:
//!
//! ```text
//! @4000000021ae1c4e2b25b5fc message
//! ```
//!
//! The label is converted as daemontools' `tai64nlocal` does
//! ([`parse_tai64n`]); the rest is the service's own output, searched
//! for a level word as the timestamped reader does it (`ERROR`,
//! `[warn]`).

use crate::format::lex::text;
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_tai64n, TimeCtx};

/// TAI64N-stamped lines (daemontools, s6, runit).
pub struct Tai64n;

impl LogFormat for Tai64n {
    fn name(&self) -> &'static str {
        "tai64n"
    }

    fn description(&self) -> &'static str {
        "TAI64N-stamped lines (daemontools multilog, s6-log, svlogd -t): @4000000021ae1c4e2b25b5fc msg"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        let Some((at, used)) = parse_tai64n(line) else {
            return Parsed::Unparsed;
        };
        let rest = line.get(used..).unwrap_or(&[]);
        if !matches!(rest.first(), None | Some(b' ' | b'\t')) {
            return Parsed::Unparsed;
        }
        let msg = rest.trim_ascii_start();
        Parsed::Message {
            at,
            message: Message {
                level: first_word_level(msg),
                text: text(msg),
                fields: Vec::new(),
            },
        }
    }
}

/// A level word first in the message: `ERROR`, `[warn]`, `error:`.
fn first_word_level(msg: &[u8]) -> Option<Level> {
    let end = msg.iter().position(|c| *c == b' ').unwrap_or(msg.len());
    let word = msg.get(..end)?;
    let bare: &[u8] = {
        let w = word.strip_prefix(b"[").unwrap_or(word);
        let w = w.strip_suffix(b":").unwrap_or(w);
        w.strip_suffix(b"]").unwrap_or(w)
    };
    if bare.len() < 4 {
        return None;
    }
    let decorated = bare.len() != word.len();
    if !decorated && !bare.iter().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Level::from_word(std::str::from_utf8(bare).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check, each, message, mutated_line, random_bytes, unparsed,
    };
    use proptest::prelude::*;

    /// The issue's example label and lines made up in multilog's shape
    /// (the label converted by hand: 0x21ae1c4e is 1987-11-28T00:43:58
    /// before the 10 s are taken off).
    const REAL: &[&str] = &[
        "@4000000021ae1c4e2b25b5fc message",
        "@4000000065ec171c1dcd6500 ERROR: connection refused",
        "@4000000065ec171c1dcd6500 [warn] disk almost full",
        "@4000000065ec171c1dcd6500",
    ];

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("1987-11-28T00:43:48.723891Z")
                        .level(None)
                        .text("message"),
                ),
                (
                    REAL[1],
                    message().at("2024-03-09T08:00:18.500Z").level(Level::Error),
                ),
                (REAL[2], message().level(Level::Warn)),
                (REAL[3], message().text("")),
            ],
            each(
                [
                    "@40000000 short",
                    "@4000000065ec171c1dcd6500x",
                    "2024-03-15 x",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check(&Tai64n, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("tai64n", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Tai64n.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Tai64n.parse(&line, &mut TimeCtx::default());
        }
    }
}
