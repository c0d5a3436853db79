//! Kubernetes components (klog) and glog, docs/formats.md `klog`:
//!
//! ```text
//! I0507 12:04:17.597069       1 file.go:169] msg key=value
//! I20210131 14:48:54.411655 15520 main.c++:9] Hello world!
//! ```
//!
//! The header is `Lmmdd hh:mm:ss.uuuuuu threadid file:line]` with the
//! level letter `I`, `W`, `E` or `F` first; klog writes no year, glog's
//! own format (and klog with `-log_file_max_size` headers off) writes
//! `Lyyyymmdd`. Year-less dates take their year as RFC 3164 syslog does
//! (`--year`, else the other inputs' time range, else the file's time,
//! rolling over at New Year: [`crate::time::YearAnchor`]). Lines without
//! the header continue the record (multi-line values, Go stack traces).

use std::borrow::Cow;

use crate::format::lex::{foreign_line, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{digits, parse_month_day, Micros, TimeCtx, YearlessStamp};

/// klog (Kubernetes) and glog.
pub struct Klog;

impl LogFormat for Klog {
    fn name(&self) -> &'static str {
        "klog"
    }

    fn description(&self) -> &'static str {
        "Kubernetes components (klog) and glog: I0507 12:04:17.597069 1 file.go:169] msg"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        match parse_record(line, ctx) {
            Some(p) => p,
            None if foreign_line(line) || is_header_like(line) => Parsed::Unparsed,
            None => Parsed::Continuation,
        }
    }

    fn multiline(&self) -> bool {
        true
    }

    fn yearless(&self) -> bool {
        true
    }
}

fn level_of(c: u8) -> Option<Level> {
    Some(match c {
        b'I' => Level::Info,
        b'W' => Level::Warn,
        b'E' => Level::Error,
        b'F' => Level::Critical,
        _ => return None,
    })
}

/// A level letter and a digit: a header this reader could not read.
fn is_header_like(line: &[u8]) -> bool {
    line.first().and_then(|c| level_of(*c)).is_some()
        && line.get(1).is_some_and(|c| c.is_ascii_digit())
}

fn parse_record<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let level = level_of(*line.first()?)?;
    let body = line.get(1..)?;
    let (at, used) = header_time(body, ctx)?;
    let mut rest = body.get(used..)?;
    // The thread id, right-aligned in a padded column.
    let spaces = rest.iter().take_while(|c| **c == b' ').count();
    if spaces == 0 {
        return None;
    }
    rest = rest.get(spaces..)?;
    let tid = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if tid == 0 || rest.get(tid) != Some(&b' ') {
        return None;
    }
    let thread = rest.get(..tid)?;
    rest = rest.get(tid + 1..)?;
    // `file.go:169] `.
    let close = memchr::memchr(b']', rest.get(..rest.len().min(256))?)?;
    let source = rest.get(..close)?;
    if source.is_empty() || source.contains(&b' ') || !source.contains(&b':') {
        return None;
    }
    let msg = rest.get(close + 1..)?;
    let msg = msg.strip_prefix(b" ").unwrap_or(msg);
    Some(Parsed::Message {
        at,
        message: Message {
            level: Some(level),
            text: text(msg),
            fields: vec![
                (Cow::Borrowed("source"), text(source)),
                (Cow::Borrowed("thread"), text(thread)),
            ],
        },
    })
}

/// `mmdd hh:mm:ss.uuuuuu` (year-less) or `yyyymmdd hh:mm:ss.uuuuuu`.
fn header_time(b: &[u8], ctx: &mut TimeCtx) -> Option<(Micros, usize)> {
    if b.get(8) == Some(&b' ') {
        let year = digits(b, 4)? as i64;
        let (stamp, used) = parse_month_day(b.get(4..)?, None)?;
        let wall = crate::time::civil_to_secs(year, stamp.month, stamp.day, 0, 0, 0)?
            .checked_add(stamp.second_of_day as i64)?;
        let at = ctx.resolve(crate::time::Stamp {
            wall,
            micros: stamp.micros,
            offset: None,
        });
        return Some((at, 4 + used));
    }
    let (stamp, used): (YearlessStamp, usize) = parse_month_day(b, None)?;
    Some((ctx.resolve_yearless(stamp)?, used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check, check_in, continuation, each, message, mutated_line, random_bytes,
        unparsed,
    };
    use crate::time::{civil_to_secs, YearAnchor, Zone};
    use proptest::prelude::*;

    /// Real lines: Vector's VRL `parse_klog`/`parse_glog` examples
    /// (vectordotdev/vector), klog's README (kubernetes/klog), a kubelet
    /// log quoted in kubernetes/kubernetes issues.
    const REAL: &[&str] = &[
        "I0505 17:59:40.692994   28133 klog.go:70] hello from klog",
        "I20210131 14:48:54.411655 15520 main.c++:9] Hello world!",
        "I0507 12:04:17.597069       1 file.go:169] msg key=value",
        "E0618 10:04:08.318530    2457 pod_workers.go:191] Error syncing pod 4e0ad6d6 (\"nginx_default(4e0ad6d6)\"), skipping: failed to \"StartContainer\" for \"nginx\" with CrashLoopBackOff",
        "W1231 23:59:59.999999       7 reflector.go:424] watch of *v1.Pod ended with: too old resource version",
        "F0101 00:00:01.000001       7 main.go:42] unable to load config",
    ];

    fn anchored() -> TimeCtx {
        TimeCtx::new(
            Zone::Utc,
            YearAnchor::End(civil_to_secs(2025, 1, 2, 12, 0, 0).unwrap()),
        )
    }

    #[test]
    fn real_lines() {
        check_in(
            &Klog,
            anchored,
            &[
                (
                    REAL[0],
                    message()
                        .at("2024-05-05T17:59:40.692994Z")
                        .level(Level::Info)
                        .text("hello from klog")
                        .field("source", "klog.go:70")
                        .field("thread", "28133"),
                ),
                (
                    REAL[1],
                    message()
                        .at("2021-01-31T14:48:54.411655Z")
                        .level(Level::Info)
                        .text("Hello world!"),
                ),
                (
                    REAL[2],
                    message().text("msg key=value").field("thread", "1"),
                ),
                (
                    REAL[3],
                    message()
                        .at("2024-06-18T10:04:08.318530Z")
                        .level(Level::Error),
                ),
                // New Year: December is last year's, January this year's.
                (
                    REAL[4],
                    message()
                        .at("2024-12-31T23:59:59.999999Z")
                        .level(Level::Warn),
                ),
                (
                    REAL[5],
                    message()
                        .at("2025-01-01T00:00:01.000001Z")
                        .level(Level::Critical),
                ),
            ],
        );
    }

    #[test]
    fn year_from_the_start_anchor_rolls_over() {
        check_in(
            &Klog,
            || {
                TimeCtx::new(
                    Zone::Utc,
                    YearAnchor::Start {
                        year: 2020,
                        first_month: 12,
                    },
                )
            },
            &[
                (REAL[4], message().at("2020-12-31T23:59:59.999999Z")),
                (REAL[5], message().at("2021-01-01T00:00:01.000001Z")),
            ],
        );
    }

    #[test]
    fn other_lines() {
        let rows = [
            each(
                [
                    "goroutine 1 [running]:",
                    "\tk8s.io/kubernetes/cmd/kubelet/app.run(0xc000)",
                    "  continued value",
                ],
                continuation(),
            ),
            each(
                [
                    "I0505 17:59:40 no fraction or thread",
                    "I1305 17:59:40.692994   28133 klog.go:70] month 13",
                    "Mar  5 10:00:00 host kubelet[1]: I0505 x",
                    "{\"level\":\"info\"}",
                    "I0505 17:59:40.692994   28133 no source bracket",
                ],
                unparsed(),
            ),
        ]
        .concat();
        check(&Klog, &rows);
    }

    #[test]
    fn detected() {
        assert_detected("klog", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let _ = Klog.parse(&line, &mut anchored());
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let _ = Klog.parse(&line, &mut anchored());
        }
    }
}
