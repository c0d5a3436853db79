//! java.util.logging's `SimpleFormatter` (Tomcat 7's `catalina.out`, any
//! JDK logger left at its default), docs/formats.md `jul`:
//!
//! ```text
//! Dec 30, 2020 11:30:40 AM org.apache.catalina.core.StandardContext startInternal
//! SEVERE: One or more listeners failed to start. Full details will be found in the appropriate container log file
//! ```
//!
//! One record of two lines: the date (`MMM dd, yyyy h:mm:ss AM`, local
//! time) with the logger and method, then `LEVEL: message`. The level and
//! the message come from the second line, so the scan hands this format
//! the next line ([`LogFormat::needs_next_line`]); the second line is
//! then a continuation, as are the stack traces after it. At the end of
//! a block (every few hundred kilobytes) the second line is in the next
//! block: that one record keeps its first line's text and no level.

use std::borrow::Cow;

use crate::format::lex::{foreign_line, text};
use crate::format::tomcat::jul_level;
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_jul_date, TimeCtx};

/// java.util.logging SimpleFormatter.
pub struct Jul;

impl LogFormat for Jul {
    fn name(&self) -> &'static str {
        "jul"
    }

    fn description(&self) -> &'static str {
        "java.util.logging (Dec 30, 2020 11:30:40 AM class method, then LEVEL: msg), stack traces attached"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        self.parse_with_next(line, None, ctx)
    }

    fn needs_next_line(&self) -> bool {
        true
    }

    fn parse_with_next<'a>(
        &self,
        line: &'a [u8],
        next: Option<&'a [u8]>,
        ctx: &mut TimeCtx,
    ) -> Parsed<'a> {
        let Some((stamp, used)) = parse_jul_date(line) else {
            return if foreign_line(line) || crate::time::parse_leading(line).is_some() {
                Parsed::Unparsed
            } else {
                Parsed::Continuation
            };
        };
        let Some(source) = line.get(used..).and_then(|r| r.strip_prefix(b" ")) else {
            return Parsed::Unparsed;
        };
        let mut fields = Vec::new();
        let mut parts = source.splitn(2, |c| *c == b' ');
        if let Some(logger) = parts.next().filter(|l| !l.is_empty()) {
            fields.push((Cow::Borrowed("logger"), text(logger)));
        }
        if let Some(method) = parts.next().filter(|m| !m.is_empty()) {
            fields.push((Cow::Borrowed("method"), text(method)));
        }
        let (level, msg) = match next.and_then(level_line) {
            Some((level, msg)) => (Some(level), msg),
            None => (None, source),
        };
        Parsed::Message {
            at: ctx.resolve(stamp),
            message: Message {
                level,
                text: text(msg),
                fields,
            },
        }
    }

    fn multiline(&self) -> bool {
        true
    }
}

/// `SEVERE: message`: the level and the message.
fn level_line(line: &[u8]) -> Option<(Level, &[u8])> {
    let colon = memchr::memchr(b':', line.get(..line.len().min(8))?)?;
    let level = jul_level(line.get(..colon)?)?;
    let msg = line.get(colon + 1..)?;
    Some((level, msg.strip_prefix(b" ").unwrap_or(msg)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, continuation, each, message, mutated_line, random_bytes, unparsed,
    };
    use crate::time::format_rfc3339;
    use proptest::prelude::*;

    /// A JUL record as Tomcat 7 writes it: the message of
    /// iipc/openwayback#426's SEVERE line in SimpleFormatter's two-line
    /// layout (the date line made up in the JDK's documented pattern),
    /// with a stack trace.
    const REAL: &[&str] = &[
        "Mar 11, 2020 6:00:36 AM org.apache.catalina.core.StandardContext startInternal",
        "SEVERE: One or more Filters failed to start. Full details will be found in the appropriate container log file",
        "java.lang.IllegalStateException: boom",
        "\tat org.apache.catalina.core.StandardContext.startInternal(StandardContext.java:4889)",
        "Dec 30, 2020 11:30:40 PM org.apache.coyote.AbstractProtocol start",
        "INFO: Starting ProtocolHandler [\"http-nio-8080\"]",
    ];

    #[test]
    fn two_lines_make_one_record() {
        let mut ctx = TimeCtx::default();
        let Parsed::Message { at, message: m } =
            Jul.parse_with_next(REAL[0].as_bytes(), Some(REAL[1].as_bytes()), &mut ctx)
        else {
            panic!("not a message");
        };
        assert_eq!(format_rfc3339(at), "2020-03-11T06:00:36Z");
        assert_eq!(m.level, Some(Level::Error));
        assert!(m.text.starts_with("One or more Filters"));
        assert_eq!(m.fields[0].1, "org.apache.catalina.core.StandardContext");
        assert_eq!(m.fields[1].1, "startInternal");
        let Parsed::Message { at, message: m } =
            Jul.parse_with_next(REAL[4].as_bytes(), Some(REAL[5].as_bytes()), &mut ctx)
        else {
            panic!("not a message");
        };
        assert_eq!(format_rfc3339(at), "2020-12-30T23:30:40Z");
        assert_eq!(m.level, Some(Level::Info));
        // Without the next line (a block's end): no level, the source as text.
        let rows = [
            vec![(
                REAL[0],
                message()
                    .level(None)
                    .text("org.apache.catalina.core.StandardContext startInternal"),
            )],
            each(REAL[1..4].iter().copied(), continuation()),
            each(["2024-03-15 10:00:00 x", "{\"a\":1}"], unparsed()),
        ]
        .concat();
        crate::format::testkit::check(&Jul, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("jul", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200), next in random_bytes(40)) {
            let _ = Jul.parse_with_next(&line, Some(&next), &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter()), next in mutated_line(REAL.iter())) {
            let _ = Jul.parse_with_next(&line, Some(&next), &mut TimeCtx::default());
        }
    }
}
