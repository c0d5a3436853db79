//! Proxifier's connection log, docs/formats.md `proxifier`:
//!
//! ```text
//! [10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS
//! ```
//!
//! `[MM.DD HH:MM:SS] program - message`, local time without a year (it is
//! inferred as for syslog). Proxifier writes no level; `error :` lines
//! (a connection that could not be made) are errors.

use std::borrow::Cow;

use crate::format::lex::text;
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_month_day, TimeCtx};

/// Proxifier log.
pub struct Proxifier;

impl LogFormat for Proxifier {
    fn name(&self) -> &'static str {
        "proxifier"
    }

    fn description(&self) -> &'static str {
        "Proxifier: [10.30 16:49:06] program - message"
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
    let body = line.strip_prefix(b"[")?;
    let (stamp, used) = parse_month_day(body, Some(b'.'))?;
    let rest = body.get(used..)?.strip_prefix(b"] ")?;
    let mut fields = Vec::new();
    let mut msg = rest;
    if let Some(i) = memchr::memmem::find(rest, b" - ") {
        fields.push((Cow::Borrowed("program"), text(rest.get(..i)?)));
        msg = rest.get(i + 3..)?;
    }
    let level = memchr::memmem::find(msg, b" error : ").map(|_| Level::Error);
    Some(Parsed::Message {
        at: ctx.resolve_yearless(stamp)?,
        message: Message {
            level,
            text: text(msg),
            fields,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check_in, each, message, mutated_line, random_bytes, unparsed,
    };
    use crate::time::{civil_to_secs, YearAnchor, Zone};
    use proptest::prelude::*;

    /// The issue's Proxifier example; the error line is made up in its shape.
    const REAL: &[&str] = &[
        "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS",
        "[10.30 16:49:07] chrome.exe - example.com:443 error : Could not connect through proxy proxy.example.com:5070 - Proxy server cannot establish a connection with the target, status code 403",
    ];

    fn ctx() -> TimeCtx {
        TimeCtx::new(
            Zone::Utc,
            YearAnchor::End(civil_to_secs(2017, 1, 2, 0, 0, 0).unwrap()),
        )
    }

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("2016-10-30T16:49:06Z")
                        .level(None)
                        .field("program", "chrome.exe")
                        .text_prefix("proxy.cse.cuhk.edu.hk:5070 open"),
                ),
                (REAL[1], message().level(Level::Error)),
            ],
            each(
                [
                    "[13.30 16:49:06] x - y",
                    "[10.30 16:49] x",
                    "[2024-03-15 10:00:00] x",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check_in(&Proxifier, ctx, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("proxifier", REAL, &mut ctx());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Proxifier.parse(&line, &mut ctx());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Proxifier.parse(&line, &mut ctx());
        }
    }
}
