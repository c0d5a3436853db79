//! The supercomputer logs of the USENIX CFDR collection: Blue Gene/L
//! (BGL) and Thunderbird, docs/formats.md `bgl`:
//!
//! ```text
//! - 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.363779 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected
//! - 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root
//! ```
//!
//! Both start with the alert tag (`-` for none, else a category such as
//! `KERNDTLB`), the epoch seconds, the date `yyyy.mm.dd` and the node.
//! The epoch is the time (UTC); the rest is the node's local view. BGL
//! then has the full local time, the node again, the event type, the
//! component and the level (`INFO`, `WARNING`, `SEVERE` and `ERROR`
//! error, `FAILURE` error, `FATAL` critical); Thunderbird a syslog line
//! without a level.

use std::borrow::Cow;

use crate::format::lex::text;
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{digits, TimeCtx, SEC};

/// BGL and Thunderbird supercomputer logs.
pub struct Bgl;

impl LogFormat for Bgl {
    fn name(&self) -> &'static str {
        "bgl"
    }

    fn description(&self) -> &'static str {
        "Blue Gene/L and Thunderbird supercomputer logs (alert tag, epoch, date, node)"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_record(line).unwrap_or(Parsed::Unparsed)
    }
}

/// The next space-separated token and the rest after one space.
fn token(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = memchr::memchr(b' ', b)?;
    Some((b.get(..sp)?, b.get(sp + 1..)?))
}

fn parse_record(line: &[u8]) -> Option<Parsed<'_>> {
    let (tag, rest) = token(line)?;
    if !(tag == b"-"
        || (!tag.is_empty()
            && tag
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')))
    {
        return None;
    }
    let (epoch, rest) = token(rest)?;
    if epoch.len() != 10 || !epoch.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs: i64 = std::str::from_utf8(epoch).ok()?.parse().ok()?;
    let (date, rest) = token(rest)?;
    if date.len() != 10 || date.get(4) != Some(&b'.') || date.get(7) != Some(&b'.') {
        return None;
    }
    digits(date, 4)?;
    digits(date.get(5..)?, 2)?;
    digits(date.get(8..)?, 2)?;
    let (node, rest) = token(rest)?;
    let mut fields = vec![(Cow::Borrowed("node"), text(node))];
    if tag != b"-" {
        fields.push((Cow::Borrowed("alert"), text(tag)));
    }
    let mut level = None;
    let mut msg = rest;
    // BGL: `2005-06-03-15.42.50.363779 NODE RAS KERNEL INFO msg`.
    if rest.get(4) == Some(&b'-') && rest.get(10) == Some(&b'-') && rest.get(13) == Some(&b'.') {
        let (_, r) = token(rest)?;
        let (_, r) = token(r)?;
        let (_kind, r) = token(r)?;
        let (component, r) = token(r)?;
        let (word, r) = token(r).unwrap_or((r, &[]));
        fields.push((Cow::Borrowed("component"), text(component)));
        level = Level::from_word(std::str::from_utf8(word).ok()?);
        if level.is_some() {
            msg = r;
        } else {
            msg = rest;
        }
    }
    Some(Parsed::Message {
        at: secs.checked_mul(SEC)?,
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
        assert_detected, check, each, message, mutated_line, random_bytes, unparsed,
    };
    use proptest::prelude::*;

    /// The issue's BGL and Thunderbird example lines; the alert-tagged
    /// line is made up in their shape.
    const REAL: &[&str] = &[
        "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.363779 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
        "- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root",
        "KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-19.32.07.812497 R30-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt",
    ];

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("2005-06-03T22:42:50Z")
                        .level(Level::Info)
                        .field("component", "KERNEL")
                        .field("node", "R02-M1-N0-C:J12-U11")
                        .text("instruction cache parity error corrected"),
                ),
                (
                    REAL[1],
                    message()
                        .at("2005-11-09T20:01:01Z")
                        .level(None)
                        .field("node", "dn228")
                        .text_prefix("Nov 9 12:01:01 dn228/dn228 crond"),
                ),
                (
                    REAL[2],
                    message().level(Level::Critical).field("alert", "KERNDTLB"),
                ),
            ],
            each(
                [
                    "- 11178385 2005.06.03 x y",
                    "x 1117838570 2005.06.03 n m",
                    "2024-03-15 10:00:00 x",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check(&Bgl, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("bgl", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Bgl.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Bgl.parse(&line, &mut TimeCtx::default());
        }
    }
}
