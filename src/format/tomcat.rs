//! Tomcat's `catalina.out` (Tomcat 8.5 and later, `OneLineFormatter`),
//! docs/formats.md `tomcat`:
//!
//! ```text
//! 14-Feb-2018 22:51:52.874 INFO [main] org.apache.catalina.startup.VersionLoggerListener.log Server version:        Apache Tomcat/8.0.24
//! 11-Mar-2020 06:00:36.958 SEVERE [main] org.apache.catalina.core.StandardContext.startInternal One or more Filters failed to start. Full details will be found in the appropriate container log file
//! ```
//!
//! `dd-Mon-yyyy HH:MM:SS.mmm LEVEL [thread] logger.method message`, local
//! time; the levels are java.util.logging's (`SEVERE` error, `WARNING`
//! warn, `INFO`, `CONFIG` info, `FINE` debug, `FINER`, `FINEST` trace).
//! Lines without the date (stack traces, `Caused by:` chains, what the
//! application printed) continue the record before them.

use std::borrow::Cow;

use crate::format::lex::{foreign_line, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_dd_mon_yyyy, TimeCtx};

/// Tomcat `catalina.out`.
pub struct Tomcat;

impl LogFormat for Tomcat {
    fn name(&self) -> &'static str {
        "tomcat"
    }

    fn description(&self) -> &'static str {
        "Tomcat catalina.out: 31-Jul-2020 16:40:38.451 INFO [thread] class msg, stack traces attached"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        match parse_record(line, ctx) {
            Some(p) => p,
            None if foreign_line(line) || parse_dd_mon_yyyy(line).is_some() => Parsed::Unparsed,
            None if line.first().is_some_and(|c| c.is_ascii_digit())
                && crate::time::parse_leading(line).is_some() =>
            {
                Parsed::Unparsed
            }
            None => Parsed::Continuation,
        }
    }

    fn multiline(&self) -> bool {
        true
    }
}

/// A java.util.logging level name.
pub(crate) fn jul_level(word: &[u8]) -> Option<Level> {
    Some(match word {
        b"SEVERE" => Level::Error,
        b"WARNING" => Level::Warn,
        b"INFO" | b"CONFIG" => Level::Info,
        b"FINE" => Level::Debug,
        b"FINER" | b"FINEST" => Level::Trace,
        _ => return None,
    })
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let (stamp, used) = parse_dd_mon_yyyy(line)?;
    let rest = line.get(used..)?.strip_prefix(b" ")?;
    let sp = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let level = jul_level(rest.get(..sp)?)?;
    let mut rest = rest.get(sp..)?.trim_ascii_start();
    let mut fields = Vec::new();
    if let Some(inner) = rest.strip_prefix(b"[") {
        if let Some(close) = memchr::memchr(b']', inner) {
            fields.push((Cow::Borrowed("thread"), text(inner.get(..close)?)));
            rest = inner.get(close + 1..)?.trim_ascii_start();
        }
    }
    let sp = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let logger = rest.get(..sp)?;
    if logger.contains(&b'.') {
        fields.push((Cow::Borrowed("logger"), text(logger)));
        rest = rest.get(sp..)?.trim_ascii_start();
    }
    Some(Parsed::Message {
        at: ctx.resolve(stamp),
        message: Message {
            level: Some(level),
            text: text(rest),
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

    /// Real lines: catalina.out quoted in b3log/solo#12337,
    /// iipc/openwayback#426 and codenvy/codenvy#2624 (the stack frames
    /// from skywalking#11965's report, tab-indented as Java prints them);
    /// the FINE line is made up (no public one found).
    const REAL: &[&str] = &[
        "14-Feb-2018 22:51:52.874 INFO [main] org.apache.catalina.startup.VersionLoggerListener.log Server version:        Apache Tomcat/8.0.24",
        "11-Mar-2020 06:00:36.958 SEVERE [main] org.apache.catalina.core.StandardContext.startInternal One or more Filters failed to start. Full details will be found in the appropriate container log file",
        "java.lang.NullPointerException",
        "\tat org.apache.catalina.core.StandardContext.startInternal(StandardContext.java:4889)",
        "Caused by: java.sql.SQLException: Connection refused",
        "\t... 12 more",
        "17-Aug-2017 20:39:30.422 WARNING [main] org.apache.catalina.util.SessionIdGeneratorBase.createSecureRandom Creation of SecureRandom instance for session ID generation using [SHA1PRNG] took [179,920] milliseconds.",
        "04-Jan-2021 09:10:11.500 FINE [localhost-startStop-1] org.apache.catalina.loader.WebappClassLoaderBase.clearReferences cleared",
    ];

    #[test]
    fn real_lines() {
        let rows = [
            vec![
                (
                    REAL[0],
                    message()
                        .at("2018-02-14T22:51:52.874Z")
                        .level(Level::Info)
                        .field("thread", "main")
                        .field(
                            "logger",
                            "org.apache.catalina.startup.VersionLoggerListener.log",
                        )
                        .text("Server version:        Apache Tomcat/8.0.24"),
                ),
                (
                    REAL[1],
                    message()
                        .at("2020-03-11T06:00:36.958Z")
                        .level(Level::Error)
                        .text_prefix("One or more Filters"),
                ),
                (
                    REAL[6],
                    message().at("2017-08-17T20:39:30.422Z").level(Level::Warn),
                ),
                (REAL[7], message().level(Level::Debug)),
            ],
            each(REAL[2..6].iter().copied(), continuation()),
            each(
                [
                    "31-Jul-2020 16:40:38.451 NOISE [main] x",
                    "2024-03-15 10:00:00,123 ERROR x",
                    "{\"a\":1}",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check(&Tomcat, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("tomcat", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Tomcat.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Tomcat.parse(&line, &mut TimeCtx::default());
        }
    }
}
