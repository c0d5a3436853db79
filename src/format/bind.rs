//! BIND 9's `named` log channels (`print-time yes`), docs/formats.md
//! `bind`:
//!
//! ```text
//! 19-Jul-2017 23:45:10.047 general: info: zone 0.in-addr.arpa/IN: loaded serial 1
//! 15-Jan-2024 10:30:45.123 client @0x7f8b8c000960 192.168.1.100#52341 (example.com): query: example.com IN A +E(0)EDC (192.168.1.1)
//! ```
//!
//! `dd-Mon-yyyy HH:MM:SS.mmm`, local time, then `category: ` when the
//! channel prints categories and `severity: ` when it prints severities
//! (`critical`, `error`, `warning`, `notice`, `info`, `debug N`,
//! `dynamic`), then the message. Without them the line is a record
//! without a level. Lines without the date continue the record before.

use std::borrow::Cow;

use crate::format::lex::{continues_unless_digit_or_foreign, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_dd_mon_yyyy, TimeCtx};

/// BIND `named` log.
pub struct Bind;

impl LogFormat for Bind {
    fn name(&self) -> &'static str {
        "bind"
    }

    fn description(&self) -> &'static str {
        "BIND named log: 09-Mar-2024 08:00:00.123 category: severity: message"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        let Some((stamp, used)) = parse_dd_mon_yyyy(line) else {
            return continues_unless_digit_or_foreign(line);
        };
        let Some(mut rest) = line.get(used..).and_then(|r| r.strip_prefix(b" ")) else {
            return Parsed::Unparsed;
        };
        let mut fields = Vec::new();
        let mut level = None;
        if let Some((word, tail)) = label(rest) {
            if let Some(l) = severity(word) {
                level = Some(l);
                rest = tail;
            } else if let Some((second, tail2)) = label(tail).filter(|(w, _)| severity(w).is_some())
            {
                fields.push((Cow::Borrowed("category"), text(word)));
                level = severity(second);
                rest = tail2;
            } else if is_category(word) {
                fields.push((Cow::Borrowed("category"), text(word)));
                rest = tail;
            }
        }
        Parsed::Message {
            at: ctx.resolve(stamp),
            message: Message {
                level,
                text: text(rest),
                fields,
            },
        }
    }

    fn multiline(&self) -> bool {
        true
    }
}

/// `word: rest` with a short lowercase word (a category or severity;
/// `debug 3:` included): (word, rest).
fn label(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr::memchr(b':', b.get(..b.len().min(24))?)?;
    let word = b.get(..colon)?;
    let ok = !word.is_empty()
        && word.first().is_some_and(|c| c.is_ascii_lowercase())
        && word.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b' ')
        });
    if !ok || b.get(colon + 1) != Some(&b' ') {
        return None;
    }
    Some((word, b.get(colon + 2..)?))
}

/// BIND's categories are single words (`general`, `lame-servers`,
/// `query-errors`).
fn is_category(word: &[u8]) -> bool {
    !word.contains(&b' ') && word.len() >= 3
}

fn severity(word: &[u8]) -> Option<Level> {
    Some(match word {
        b"critical" => Level::Critical,
        b"error" => Level::Error,
        b"warning" => Level::Warn,
        b"notice" => Level::Notice,
        b"info" => Level::Info,
        b"dynamic" => Level::Debug,
        _ if word.starts_with(b"debug") => {
            let n = word.get(5..)?;
            if n.is_empty()
                || (n.first() == Some(&b' ') && n.iter().skip(1).all(u8::is_ascii_digit))
            {
                Level::Debug
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check, continuation, each, message, mutated_line, random_bytes, unparsed,
    };
    use proptest::prelude::*;

    /// Real lines, the first four: a BIND container's README (its `docker
    /// logs`), a mail-server project's notes (the query line) and a named
    /// log parser's tests (the error line), public files found with the
    /// search tool; the last three are made up in the shape BIND's
    /// manual gives for `print-category`/`print-severity`.
    const REAL: &[&str] = &[
        "19-Jul-2017 23:45:10.047 general: info: zone 0.in-addr.arpa/IN: loaded serial 1",
        "19-Jul-2017 23:45:10.047 general: info: managed-keys-zone: loaded serial 1",
        "15-Jan-2024 10:30:45.123 client @0x7f8b8c000960 192.168.1.100#52341 (example.com): query: example.com IN A +E(0)EDC (192.168.1.1)",
        "19-May-2024 10:15:05.345 general: error: zone db.broken/IN: loading from master file failed: file not found",
        "09-Mar-2024 08:00:00.123 lame-servers: info: lame server resolving 'example.net' (in 'example.net'?): 192.0.2.1#53",
        "09-Mar-2024 08:00:00.123 debug 3: fetch: example.com/A",
        "09-Mar-2024 08:00:00.123 warning: no longer listening on 127.0.0.1#53",
    ];

    #[test]
    fn real_lines() {
        check(
            &Bind,
            &[
                (
                    REAL[0],
                    message()
                        .at("2017-07-19T23:45:10.047Z")
                        .level(Level::Info)
                        .field("category", "general")
                        .text("zone 0.in-addr.arpa/IN: loaded serial 1"),
                ),
                (
                    REAL[1],
                    message()
                        .level(Level::Info)
                        .text("managed-keys-zone: loaded serial 1"),
                ),
                (
                    REAL[2],
                    message()
                        .at("2024-01-15T10:30:45.123Z")
                        .level(None)
                        .text_prefix("client @0x7f8b8c000960"),
                ),
                (
                    REAL[3],
                    message().level(Level::Error).field("category", "general"),
                ),
                (
                    REAL[4],
                    message()
                        .level(Level::Info)
                        .field("category", "lame-servers"),
                ),
                (
                    REAL[5],
                    message()
                        .level(Level::Debug)
                        .field("category", None)
                        .text("fetch: example.com/A"),
                ),
                (REAL[6], message().level(Level::Warn)),
            ],
        );
        let rows = [
            each(["\tcontinued"], continuation()),
            each(
                ["19-Jul-2017 23:45", "2024-03-15 10:00:00 x", "{\"a\":1}"],
                unparsed(),
            ),
        ]
        .concat();
        check(&Bind, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("bind", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Bind.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Bind.parse(&line, &mut TimeCtx::default());
        }
    }
}
