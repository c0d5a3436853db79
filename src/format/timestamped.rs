//! The long tail: any line that starts with a timestamp, multi-line records.
//!
//! Reads every shape [`parse_leading`] knows (ISO 8601 with `T` or a space,
//! comma or dot fractions, Go's slashes, two-digit years, ctime, optionally
//! in brackets) and epoch numbers of 10 or 13 digits followed by white
//! space. It covers log4j/logback, Python `logging`, Go `log`, Spring Boot,
//! Ansible, Windows CBS and most home-grown loggers:
//!
//! ```text
//! 2024-03-15 10:00:00,123 ERROR [main] com.foo.Bar - Connection refused
//! 2024-03-15 10:00:00,123 - myapp.db - WARNING - pool exhausted
//! 2009/01/23 01:23:23.123123 [ERROR] upstream gone
//! 2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505
//! 2024-03-09 08:00:00.123 [INFO][606918] felix/int_dataplane.go 1234: msg
//! [2017-04-04 11:16:34 +0200] warning/PluginNotificationTask: Notification command ... terminated with exit code 127
//! ```
//!
//! After the timestamp the first few tokens are searched for a level word
//! (`ERROR`, `[error]`, `<warn>`, `level=error`, `E`, ...). The text is the
//! rest of the line after the timestamp, level word included, so patterns
//! see what the logger wrote. Lines that do not start with a timestamp
//! (stack traces, tracebacks, wrapped text) continue the previous record.
//!
//! This format is last in the registry: detection gives ties to the more
//! specific formats, so it may read lines they also read, but it only ever
//! claims lines that really start with a timestamp. Year-less syslog dates
//! are not timestamps here (`parse_leading` does not read them).

use std::borrow::Cow;

use crate::format::lex::{foreign_line, LineText};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{epoch_to_micros, parse_leading, Micros, TimeCtx};

/// Any line starting with a timestamp (log4j, Python, Go, ISO 8601), multi-line records.
pub struct Timestamped;

impl LogFormat for Timestamped {
    fn name(&self) -> &'static str {
        "timestamped"
    }

    fn description(&self) -> &'static str {
        "any line starting with a timestamp (log4j, Python, Go, ISO 8601), multi-line records"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        let Some((at, used)) = leading_time(line, ctx) else {
            return if foreign_line(line) {
                Parsed::Unparsed
            } else {
                Parsed::Continuation
            };
        };
        let rest = line.get(used..).unwrap_or(&[]);
        let header = scan_header(rest);
        let line = LineText::new(line);
        let mut fields = ctx.field_list();
        if let Some(logger) = header.logger {
            fields.push((Cow::Borrowed("logger"), line.of(logger)));
        }
        if let Some(thread) = header.thread {
            fields.push((Cow::Borrowed("thread"), line.of(thread)));
        }
        Parsed::Message {
            at,
            message: Message {
                level: header.level,
                text: line.of(trim_lead(rest)),
                fields,
            },
        }
    }

    fn multiline(&self) -> bool {
        true
    }

    fn fallback(&self) -> bool {
        true
    }
}

/// The timestamp at the start of the line: (UTC micros, bytes consumed).
/// A UTF-8 byte-order mark (Windows tools start files with one) is skipped.
fn leading_time(line: &[u8], ctx: &mut TimeCtx) -> Option<(Micros, usize)> {
    let (bom, line) = match line.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (3, rest),
        None => (0, line),
    };
    let first = *line.first()?;
    if first.is_ascii_digit() {
        if let Some((at, used)) = leading_epoch(line) {
            return Some((at, bom + used));
        }
    } else if matches!(first, b' ' | b'\t' | b'=' | b'>') {
        return marked_time(line, ctx).map(|(at, used)| (at, bom + used));
    } else if first != b'[' && !first.is_ascii_alphabetic() {
        return None;
    }
    let (stamp, used) = parse_leading(line)?;
    // `2024-03-15 10:00:00abc` is not a timestamp followed by text.
    if line.get(used).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((ctx.resolve(stamp), bom + used))
}

/// A full date and time after a short marker or indentation, as CLIs
/// print their progress (`nomad job run`: `==> 2023-08-23T10:47:47Z: …`,
/// then `    2023-08-23T10:47:48Z: …`): a record of its own, not the
/// continuation its indentation suggests. Only a whole date with a time
/// counts (never a number or a bare time, which stack traces and tables
/// indent too).
fn marked_time(line: &[u8], ctx: &mut TimeCtx) -> Option<(Micros, usize)> {
    const MAX_MARK: usize = 4;
    let mark = line
        .iter()
        .take(MAX_MARK + 1)
        .take_while(|c| matches!(c, b' ' | b'\t' | b'=' | b'>'))
        .count();
    if mark > MAX_MARK {
        return None;
    }
    let rest = line.get(mark..)?;
    // `2023-08-23T10:47:47`: a date, a separator, a time.
    let shaped = rest.len() >= 19
        && rest[..4].iter().all(u8::is_ascii_digit)
        && rest[4] == b'-'
        && rest[7] == b'-'
        && matches!(rest[10], b'T' | b' ')
        && rest[13] == b':';
    if !shaped {
        return None;
    }
    let (stamp, used) = parse_leading(rest)?;
    if used < 19 || rest.get(used).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((ctx.resolve(stamp), mark + used))
}

/// An epoch number of 10 (seconds, optionally with a fraction) or 13
/// (milliseconds) digits followed by white space.
fn leading_epoch(line: &[u8]) -> Option<(Micros, usize)> {
    let int = line
        .iter()
        .take(14)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if line.first() == Some(&b'0') {
        return None;
    }
    let mut end = int;
    if int == 10 && line.get(10) == Some(&b'.') {
        let frac = line
            .get(11..)?
            .iter()
            .take(10)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if frac == 0 {
            return None;
        }
        end = 11 + frac;
    } else if int != 10 && int != 13 {
        return None;
    }
    if !matches!(line.get(end), Some(b' ') | Some(b'\t')) {
        return None;
    }
    let number = std::str::from_utf8(line.get(..end)?).ok()?;
    Some((epoch_to_micros(number)?, end))
}

/// What the tokens after the timestamp say.
#[derive(Debug, Default, PartialEq)]
struct Header<'a> {
    level: Option<Level>,
    thread: Option<&'a [u8]>,
    logger: Option<&'a [u8]>,
}

/// How many (non-separator) tokens after the timestamp may hold the level.
const HEADER_TOKENS: usize = 6;

/// Finds the level word, and the thread and logger when they are obvious,
/// among the first tokens after the timestamp.
///
/// A level word counts when it is the first token, is decorated
/// (`[ERROR]`, `error:`, `<warn>`, `level=error`, Calico's
/// `[INFO][606918]`, Icinga's `warning/Category:`) or is written in capitals
/// (`[main] ERROR`, `- WARNING -`): a plain lowercase `note` or `fine`
/// deeper in the line is prose, not a level. Single letters (`E`, `W`)
/// count only as the first token, in capitals.
fn scan_header(rest: &[u8]) -> Header<'_> {
    let mut h = Header::default();
    let mut tokens = Tokens {
        rest,
        left: HEADER_TOKENS * 2,
        peeked: None,
    };
    let mut idx = 0;
    while let Some(raw) = tokens.next() {
        if idx >= HEADER_TOKENS || (h.level.is_some() && h.logger.is_some()) {
            break;
        }
        let word = strip_decoration(raw);
        // Calico's and other loggers' stacked brackets, `[INFO][606918]`:
        // the first one holds the level.
        let word = match memchr::memchr(b']', word) {
            Some(close) if raw.first() == Some(&b'[') => word.get(..close).unwrap_or(word),
            _ => word,
        };
        if word.is_empty() {
            // A separator: `-`, `|`, `---`, `:`.
            continue;
        }
        let decorated = word.len() != raw.len();
        if h.level.is_none() {
            if let Some(level) = level_of(word, idx, decorated) {
                h.level = Some(level);
                idx += 1;
                continue;
            }
        }
        if h.thread.is_none() && idx <= 2 && raw.len() > 2 {
            if let Some(inner) = raw.strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")) {
                if !inner.contains(&b'[') && !inner.contains(&b']') {
                    h.thread = Some(inner);
                    idx += 1;
                    continue;
                }
            }
        }
        let ends_colon = raw.last() == Some(&b':');
        let next_is_sep = tokens
            .peek()
            .is_some_and(|t| t == b"-" || t == b":" || t == b"|");
        if h.logger.is_none()
            && (next_is_sep || ends_colon)
            && is_identifier(word)
            && (word.contains(&b'.') || (h.level.is_none() && idx == 0))
        {
            h.logger = Some(word);
        }
        if ends_colon {
            break;
        }
        idx += 1;
    }
    h
}

/// The first `left` tokens of a header, separated by spaces and tabs: what
/// `split(blank).filter(non-empty).take(left).peekable()` yields, without
/// the adapters' work per byte (this loop runs on every line of a log4j
/// file).
struct Tokens<'a> {
    rest: &'a [u8],
    left: usize,
    /// A token looked at and not taken yet (`Some(None)`: there is none).
    peeked: Option<Option<&'a [u8]>>,
}

impl<'a> Tokens<'a> {
    fn pull(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let blank = |c: &u8| *c == b' ' || *c == b'\t';
        let start = self.rest.iter().position(|c| !blank(c))?;
        let from = self.rest.get(start..)?;
        let len = from.iter().position(blank).unwrap_or(from.len());
        let (token, rest) = from.split_at(len);
        self.rest = rest;
        self.left -= 1;
        Some(token)
    }

    fn next(&mut self) -> Option<&'a [u8]> {
        match self.peeked.take() {
            Some(token) => token,
            None => self.pull(),
        }
    }

    fn peek(&mut self) -> Option<&'a [u8]> {
        match self.peeked {
            Some(token) => token,
            None => {
                let token = self.pull();
                self.peeked = Some(token);
                token
            }
        }
    }
}

/// The token without the brackets and punctuation loggers put around levels.
fn strip_decoration(raw: &[u8]) -> &[u8] {
    let deco = |c: &u8| {
        matches!(
            c,
            b'[' | b']' | b'(' | b')' | b':' | b'<' | b'>' | b',' | b'|' | b'-' | b'!'
        )
    };
    let start = raw.iter().position(|c| !deco(c)).unwrap_or(raw.len());
    let end = raw.iter().rposition(|c| !deco(c)).map_or(start, |e| e + 1);
    raw.get(start..end).unwrap_or(&[])
}

/// The level a header token names, under the rules of [`scan_header`].
fn level_of(word: &[u8], idx: usize, decorated: bool) -> Option<Level> {
    // `level=error`, `lvl=warn`, `severity=ERROR`.
    if let Some(eq) = memchr::memchr(b'=', word) {
        let key = word.get(..eq)?;
        let is_level_key = [
            &b"level"[..],
            b"lvl",
            b"severity",
            b"loglevel",
            b"log.level",
        ]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k));
        if !is_level_key {
            return None;
        }
        let value = word.get(eq + 1..)?;
        let value = value.strip_prefix(b"\"").unwrap_or(value);
        let value = value.strip_suffix(b"\"").unwrap_or(value);
        return Level::from_word(std::str::from_utf8(value).ok()?);
    }
    // `ERROR:root:message` (Python's basic format), `[core:error]` (module:level).
    if let Some(colon) = memchr::memchr(b':', word) {
        let head = word.get(..colon)?;
        if head.len() > 1 && head.iter().all(|c| c.is_ascii_uppercase()) {
            return Level::from_word(std::str::from_utf8(head).ok()?);
        }
        if decorated {
            let tail = word.get(memchr::memrchr(b':', word)? + 1..)?;
            if tail.len() > 1 {
                return Level::from_word(std::str::from_utf8(tail).ok()?);
            }
        }
        return None;
    }
    // Icinga 2's `information/Notification:`, `warning/PluginCheckTask:`.
    if let Some(slash) = memchr::memchr(b'/', word) {
        let head = word.get(..slash)?;
        let tail = word.get(slash + 1..)?;
        if idx != 0 || head.len() < 4 || !tail.first().is_some_and(|c| c.is_ascii_uppercase()) {
            return None;
        }
        return Level::from_word(std::str::from_utf8(head).ok()?);
    }
    if word.len() == 1 {
        let c = *word.first()?;
        if idx != 0 || !matches!(c, b'T' | b'D' | b'I' | b'W' | b'E' | b'F') {
            return None;
        }
    } else if !(idx == 0 || decorated || word.iter().all(|c| c.is_ascii_uppercase())) {
        return None;
    }
    Level::from_word(std::str::from_utf8(word).ok()?)
}

/// A logger name: starts with a letter; letters, digits, `._$/`.
fn is_identifier(word: &[u8]) -> bool {
    word.first().is_some_and(|c| c.is_ascii_alphabetic())
        && word
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'$' | b'/'))
}

/// The text after the timestamp without the separators between them
/// (`, Info`, `- name -`, `| msg`).
fn trim_lead(mut b: &[u8]) -> &[u8] {
    loop {
        match b.first() {
            Some(b' ' | b'\t' | b',' | b'|') => {}
            Some(b'-' | b':') if matches!(b.get(1), Some(b' ' | b'\t') | None) => {}
            _ => return b,
        }
        b = b.get(1..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        self, check, check_in, check_messages, continuation, each, format, message, mutated_line,
        random_bytes, unparsed,
    };
    use crate::format::{detect, registry};
    use crate::time::{YearAnchor, Zone};
    use proptest::prelude::*;

    /// (line, UTC time, level) for every shape of the cheat-sheet and the
    /// loggers the brief names.
    const SHAPES: &[(&str, &str, Option<Level>)] = &[
        // log4j / logback
        ("2024-03-15 10:00:00,123 ERROR [main] com.foo.Bar - Connection refused", "2024-03-15T10:00:00.123Z", Some(Level::Error)),
        ("2024-03-15 10:00:00,123 [main] WARN  com.foo.Bar - pool low", "2024-03-15T10:00:00.123Z", Some(Level::Warn)),
        ("2003-07-08 16:49:45,896 INFO  [org.jboss.Main] Starting JBoss", "2003-07-08T16:49:45.896Z", Some(Level::Info)),
        ("2024-03-15T10:00:00,123 FATAL [worker-1] x.Y - out of memory", "2024-03-15T10:00:00.123Z", Some(Level::Critical)),
        ("2024-03-15 10:00:00.123  INFO 12345 --- [           main] o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on port(s): 8080 (http)", "2024-03-15T10:00:00.123Z", Some(Level::Info)),
        // Python logging
        ("2024-03-15 10:00:00,123 - myapp.db - WARNING - pool exhausted", "2024-03-15T10:00:00.123Z", Some(Level::Warn)),
        ("2024-03-15 10:00:00,123 ERROR:root:division by zero", "2024-03-15T10:00:00.123Z", Some(Level::Error)),
        ("2024-03-15 10:00:00,123 CRITICAL app: disk full", "2024-03-15T10:00:00.123Z", Some(Level::Critical)),
        // Go log, with and without microseconds
        ("2009/01/23 01:23:23 [ERROR] upstream gone", "2009-01-23T01:23:23Z", Some(Level::Error)),
        ("2009/01/23 01:23:23.123123 http: TLS handshake error from 10.0.0.1:5555: EOF", "2009-01-23T01:23:23.123123Z", None),
        ("2020/05/07 03:15:12 panic: runtime error: index out of range", "2020-05-07T03:15:12Z", Some(Level::Critical)),
        // yy/MM/dd (Hadoop, Spark)
        ("15/08/31 14:38:07 INFO storage.BlockManager: Found block rdd_2_3 locally", "2015-08-31T14:38:07Z", Some(Level::Info)),
        // ctime in brackets
        ("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties", "2005-12-04T04:47:44Z", Some(Level::Notice)),
        ("[Sun Dec 04 04:52:15 2005] [error] mod_jk child workerEnv in error state 6", "2005-12-04T04:52:15Z", Some(Level::Error)),
        // Windows CBS
        ("2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\\Windows\\winsxs\\cbscore.dll", "2016-09-28T04:30:30Z", Some(Level::Info)),
        ("2016-09-28 04:30:31, Error                 CSI    00000001@2016/9/28:02:30:31.240 (F) failure", "2016-09-28T04:30:31Z", Some(Level::Error)),
        // Ansible
        ("2023-11-03 08:45:48,440 p=1285948 u=ansible n=ansible | PLAY [all] ***", "2023-11-03T08:45:48.440Z", None),
        ("2023-11-03 08:45:49,001 p=1285948 u=ansible n=ansible | [WARNING]: Could not match supplied host pattern", "2023-11-03T08:45:49.001Z", Some(Level::Warn)),
        // ISO 8601 with zones, brackets, structured tails
        ("2024-03-15T10:00:00+02:00 ERROR boom", "2024-03-15T08:00:00Z", Some(Level::Error)),
        ("2018-07-02T22:23:00.186641Z level=error msg=\"db down\"", "2018-07-02T22:23:00.186641Z", Some(Level::Error)),
        ("[2024-03-15T10:00:00.123Z] <error> thing failed", "2024-03-15T10:00:00.123Z", Some(Level::Error)),
        ("[2024-03-15 10:00:00,123] WARN - slow", "2024-03-15T10:00:00.123Z", Some(Level::Warn)),
        ("2024-03-15T10:00:00Z {\"json\":true,\"level\":\"error\"}", "2024-03-15T10:00:00Z", None),
        ("2024-12-29T11:42:47.503803974Z\terror\tpkg/file.go:12\tfailed to dial", "2024-12-29T11:42:47.503803Z", Some(Level::Error)),
        ("2014-03-10 19:57:38.562264131 -0400 EDT [WARN] something", "2014-03-10T23:57:38.562264Z", Some(Level::Warn)),
        ("2024-03-15 10:00:00.123 E [main] boom", "2024-03-15T10:00:00.123Z", Some(Level::Error)),
        ("2024-03-15 10:00:00 a new connection", "2024-03-15T10:00:00Z", None),
        ("2024-03-15 10:00:00 connection closed: note that this is fine", "2024-03-15T10:00:00Z", None),
        ("2024-03-15 10:00:00", "2024-03-15T10:00:00Z", None),
        // CLF-style date first (not an access line)
        ("10/Oct/2000:13:55:36 -0700 ERROR x", "2000-10-10T20:55:36Z", Some(Level::Error)),
        // Epoch numbers
        ("1516134303 ERROR boom", "2018-01-16T20:25:03Z", Some(Level::Error)),
        ("1531171074631 WARN slow", "2018-07-09T21:17:54.631Z", Some(Level::Warn)),
        ("1649944125.9843705\tinfo\tstarted", "2022-04-14T13:48:45.984370Z", Some(Level::Info)),
        // Calico Felix (projectcalico/calico#9760, projectcalico/felix#1447;
        // the DEBUG and WARNING lines are made up in their shape)
        ("2025-01-25 07:58:47.843 [INFO][96] felix/int_dataplane.go 363: Creating internal dataplane driver. config=intdataplane.Config{Hostname:\"xxxxxx\", NodeZone:\"\"}", "2025-01-25T07:58:47.843Z", Some(Level::Info)),
        ("2017-05-05 07:29:25.573 [INFO][21384] felix.go 195: Successfully loaded configuration.", "2017-05-05T07:29:25.573Z", Some(Level::Info)),
        ("2021-03-04 08:25:26.391 [DEBUG][606918] felix/route_table.go 1000: Reconciling", "2021-03-04T08:25:26.391Z", Some(Level::Debug)),
        ("2021-03-04 08:25:26.391 [WARNING][66] startup/startup.go 1181: Unable to auto-detect an IPv4 address", "2021-03-04T08:25:26.391Z", Some(Level::Warn)),
        // Icinga 2 (filebeat's icinga module fixtures, elastic/beats)
        ("[2017-04-04 11:16:34 +0200] information/Notification: Sending 'Recovery' notification 'demo!load!mail-icingaadmin for user 'on-call'", "2017-04-04T09:16:34Z", Some(Level::Info)),
        ("[2017-04-04 11:16:34 +0200] warning/PluginNotificationTask: Notification command for object 'demo!load' terminated with exit code 127", "2017-04-04T09:16:34Z", Some(Level::Warn)),
        ("[2017-04-04 13:43:09 +0200] debug/GraphiteWriter: Add to metric list:'icinga2.demo.services.procs.procs.perfdata.procs.warn 250 1491306189'.", "2017-04-04T11:43:09Z", Some(Level::Debug)),
        ("[2024-03-09 08:00:00 +0100] critical/ApiListener: Cannot bind TCP socket for host '::' on port '5665'", "2024-03-09T07:00:00Z", Some(Level::Critical)),
        ("2024-03-15 10:00:00 and/Or prose with a slash", "2024-03-15T10:00:00Z", None),
    ];

    #[test]
    fn every_shape() {
        let rows: Vec<_> = SHAPES
            .iter()
            .map(|&(line, at, level)| (line, message().at(at).level(level)))
            .collect();
        check(&Timestamped, &rows);
    }

    #[test]
    fn text_is_the_rest_of_the_line() {
        check(
            &Timestamped,
            &[
                (
                    SHAPES[0].0,
                    message().text("ERROR [main] com.foo.Bar - Connection refused"),
                ),
                (
                    SHAPES[5].0,
                    message().text("myapp.db - WARNING - pool exhausted"),
                ),
                (
                    SHAPES[14].0,
                    message().text_prefix("Info                  CBS    Loaded"),
                ),
                (SHAPES[20].0, message().text("<error> thing failed")),
                (
                    SHAPES[22].0,
                    message().text("{\"json\":true,\"level\":\"error\"}"),
                ),
                (
                    SHAPES[16].0,
                    message().text("p=1285948 u=ansible n=ansible | PLAY [all] ***"),
                ),
                ("2024-03-15 10:00:00", message().text("")),
                (
                    "\u{feff}2016-09-28 04:30:30, Info                  CBS    Starting",
                    message().at("2016-09-28T04:30:30Z").text_prefix("Info"),
                ),
            ],
        );
    }

    #[test]
    fn logger_and_thread_when_obvious() {
        check(
            &Timestamped,
            &[
                (
                    SHAPES[0].0,
                    message()
                        .field("logger", "com.foo.Bar")
                        .field("thread", "main"),
                ),
                (
                    SHAPES[1].0,
                    message()
                        .field("thread", "main")
                        .field("logger", "com.foo.Bar"),
                ),
                (SHAPES[5].0, message().field("logger", "myapp.db")),
                (
                    SHAPES[4].0,
                    message().field("logger", "o.s.b.w.embedded.tomcat.TomcatWebServer"),
                ),
                (
                    SHAPES[11].0,
                    message().field("logger", "storage.BlockManager"),
                ),
                (
                    "2024-03-15 10:00:00 INFO Starting - please wait",
                    message().field("logger", None),
                ),
                (
                    "2024-03-15 10:00:00 connection closed: bye",
                    message().field("logger", None),
                ),
                (SHAPES[9].0, message().field("logger", "http")),
            ],
        );
    }

    #[test]
    fn offset_less_times_use_the_zone() {
        check_in(
            &Timestamped,
            || TimeCtx::new(Zone::Fixed(3600), YearAnchor::End(0)),
            &[
                (
                    "2024-03-15 10:00:00,123 INFO x",
                    message().at("2024-03-15T09:00:00.123Z"),
                ),
                (
                    "2024-03-15T10:00:00Z INFO x",
                    message().at("2024-03-15T10:00:00Z"),
                ),
                ("1516134303 x", message().at("2018-01-16T20:25:03Z")),
            ],
        );
    }

    #[test]
    fn traps_are_not_timestamps() {
        let unread = [
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
            r#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 502 0 "-" "curl/8" 0.002"#,
            r#"{"time":"2024-03-15T10:00:00Z","level":"error","msg":"x"}"#,
            "Mar  5 10:00:00 host prog[1]: x",
            "Apr 4 03:39:57 host sshd[22]: Accepted publickey",
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
            "<13>Mar  5 10:00:00 host prog: x",
        ];
        let continued = [
            "200 OK",
            "2024-03-15 10:00:00abc",
            "20240315 100000 compact",
            "12345678901 eleven digits",
            "1516134303",
            "0000000000 zeros",
            "2024-13-45 10:00:00 bad date",
            "2024-03-15 25:00:00 bad hour",
            "  10:00:00 an indented time alone",
            "      2024-03-15 10:00:00 indented past a marker's width",
            "  2024-03-15 is a date alone",
            "ERROR something without a time",
            "[WARNING]  (301) : Server app/app1 is DOWN",
        ];
        let rows = [each(unread, unparsed()), each(continued, continuation())].concat();
        check(&Timestamped, &rows);
    }

    /// A CLI's progress lines (`nomad job run`): a marker or indentation,
    /// then a whole date and time, are records of their own.
    #[test]
    fn marked_and_indented_date_times_are_records() {
        let mut ctx = TimeCtx::new(Zone::Utc, YearAnchor::End(0));
        for (line, at, text) in [
            (
                "==> 2023-08-23T10:47:47Z: Monitoring evaluation \"d01ca58f\"",
                "2023-08-23T10:47:47Z",
                "Monitoring evaluation \"d01ca58f\"",
            ),
            (
                "    2023-08-23T10:47:48Z: Evaluation within deployment: \"037572cd\"",
                "2023-08-23T10:47:48Z",
                "Evaluation within deployment: \"037572cd\"",
            ),
            (
                "  2024-03-15 10:00:00 indented",
                "2024-03-15T10:00:00Z",
                "indented",
            ),
        ] {
            message()
                .at(at)
                .text(text)
                .assert(&Timestamped.parse(line.as_bytes(), &mut ctx), line);
        }
    }

    const JAVA: &str =
        "2024-03-15 10:00:00,123 ERROR [http-nio-8080-exec-1] com.foo.OrderService - Request failed
java.lang.IllegalStateException: boom
\tat com.foo.OrderService.place(OrderService.java:42)
\tat java.base/java.lang.Thread.run(Thread.java:833)
Caused by: java.net.ConnectException: Connection refused (Connection refused)
\tat java.base/java.net.PlainSocketImpl.socketConnect(Native Method)
\t... 3 more

2024-03-15 10:00:01,000 INFO  [main] com.foo.OrderService - recovered
2024-03-15 10:00:02,000 WARN  [main] com.foo.Pool - [pool] low: 2 of 20
";

    const PYTHON: &str = "2024-03-15 10:00:00,123 - app.worker - ERROR - unhandled exception
Traceback (most recent call last):
  File \"/srv/app/worker.py\", line 3, in <module>
    main()
  File \"/srv/app/worker.py\", line 1, in main
    raise ValueError(\"bad\")
ValueError: bad
2024-03-15 10:00:05,000 - app.worker - INFO - restarted
";

    /// A Go panic after a `log` line: the panic's lines are from
    /// fluent/fluent-bit's multiline documentation example
    /// (`documentation/examples/multiline/filter_multiline/test.log`);
    /// the log lines around them are made up.
    const GO_PANIC: &str = "2020/05/07 03:15:12 starting worker pool
panic: my panic

goroutine 4 [running]:
panic(0x45cb40, 0x47ad70)
  /usr/local/go/src/runtime/panic.go:542 +0x46c fp=0xc42003f7b8 sp=0xc42003f710 pc=0x422f7c
main.main.func1(0xc420024120)
  foo.go:6 +0x39 fp=0xc42003f7d8 sp=0xc42003f7b8 pc=0x451339
created by main.main
  foo.go:5 +0x58
2020/05/07 03:15:13 restarted
";

    #[test]
    fn go_panic_is_one_record() {
        let (records, continued) = read_all(GO_PANIC);
        assert_eq!(records, vec![(1, None), (11, None)]);
        assert_eq!(continued, 8);
    }

    /// Parses a whole text: (records as (line number, level), continuations).
    fn read_all(text: &str) -> (Vec<(usize, Option<Level>)>, usize) {
        let mut ctx = TimeCtx::default();
        let mut records = Vec::new();
        let mut continued = 0;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match Timestamped.parse(line.as_bytes(), &mut ctx) {
                Parsed::Message { message, .. } => records.push((n + 1, message.level)),
                Parsed::Continuation => continued += 1,
                other => panic!("line {}: {other:?}", n + 1),
            }
        }
        (records, continued)
    }

    #[test]
    fn java_stack_trace_is_one_record() {
        let (records, continued) = read_all(JAVA);
        assert_eq!(
            records,
            vec![
                (1, Some(Level::Error)),
                (9, Some(Level::Info)),
                (10, Some(Level::Warn))
            ]
        );
        assert_eq!(continued, 6);
    }

    #[test]
    fn python_traceback_is_one_record() {
        let (records, continued) = read_all(PYTHON);
        assert_eq!(
            records,
            vec![(1, Some(Level::Error)), (8, Some(Level::Info))]
        );
        assert_eq!(continued, 6);
    }

    #[test]
    fn detects_log4j_and_python_files() {
        for text in [JAVA, PYTHON] {
            let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
            let found = detect(&lines, &mut TimeCtx::default()).expect("a format");
            assert_eq!(found.name(), "timestamped");
        }
        let lines: Vec<&[u8]> = SHAPES.iter().map(|(l, _, _)| l.as_bytes()).collect();
        let found = detect(&lines, &mut TimeCtx::default()).expect("a format");
        assert_eq!(found.name(), "timestamped");
    }

    #[test]
    fn is_last_in_the_registry() {
        assert_eq!(
            registry().last().map(|f| f.name()),
            Some("timestamped"),
            "ties must go to the specific formats"
        );
    }

    #[test]
    fn reads_the_error_log_corpus_like_the_specific_formats() {
        for rel in [
            "nginx/error.log",
            "apache/error-test.log",
            "apache/error-ubuntu-2.2.22.log",
            "apache/error-sublevel.log",
        ] {
            check_messages(&Timestamped, rel);
        }
    }

    #[test]
    fn leaves_syslog_and_access_corpus_files_alone() {
        let Some(dir) = testkit::corpus_dir() else {
            return;
        };
        let formats = [
            format("timestamped"),
            format("nginx_error"),
            format("apache_error"),
        ];
        for rel in [
            "syslog/darwin-syslog-sample.log",
            "haproxy/default.log",
            // haproxy.log is left out: its last line has an rsyslog ISO
            // prefix, which is a timestamp-first line this reader may
            // claim; detection still gives the file to `haproxy`.
            "haproxy/tcplog.log",
            "apache/access-test.log",
            // access-ssl-request.log starts each line with its CLF date:
            // timestamp-first, so this reader may claim it too.
            "apache/access-test-vhost.log",
            "nginx/access-test.log",
        ] {
            let data = std::fs::read(dir.join(rel)).expect("corpus");
            for (offset, line) in testkit::lines(&data) {
                let starts_record = line.first().is_some_and(|c| !c.is_ascii_whitespace());
                for format in formats {
                    let got = format.parse(line, &mut TimeCtx::default());
                    if starts_record {
                        assert_eq!(got, Parsed::Unparsed, "{} {rel}@{offset}", format.name());
                    } else {
                        assert!(got.at().is_none(), "{} {rel}@{offset}", format.name());
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn header_tokens_are_the_split_of_the_blanks(
            rest in "[ \t]{0,3}([a-z\\[\\]:-]{0,6}[ \t]{1,3}){0,15}[a-z]{0,3}",
            peeks in proptest::collection::vec(any::<bool>(), 0..20),
        ) {
            let rest = rest.as_bytes();
            let mut std = rest
                .split(|c| *c == b' ' || *c == b'\t')
                .filter(|t| !t.is_empty())
                .take(HEADER_TOKENS * 2)
                .peekable();
            let mut mine = Tokens { rest, left: HEADER_TOKENS * 2, peeked: None };
            for peek in peeks {
                if peek {
                    prop_assert_eq!(mine.peek(), std.peek().copied());
                }
                prop_assert_eq!(mine.next(), std.next());
            }
        }

        #[test]
        fn random_bytes_never_panic(line in random_bytes(300)) {
            let _ = Timestamped.parse(&line, &mut TimeCtx::default());
            let _ = foreign_line(&line);
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(SHAPES.iter().map(|s| s.0))) {
            let _ = Timestamped.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn header_soup_never_panics(parts in proptest::collection::vec(
            prop_oneof![
                Just("[".to_string()), Just("]".to_string()), Just(" - ".to_string()),
                Just(":".to_string()), Just("level=".to_string()), Just("=".to_string()),
                Just("E".to_string()), Just("ERROR".to_string()), Just("\t".to_string()),
                Just("\"".to_string()), "[a-zA-Z0-9.|<> ]{0,6}",
            ], 0..24)) {
            let line = format!("2024-03-15 10:00:00,123 {}", parts.concat());
            let parsed = Timestamped.parse(line.as_bytes(), &mut TimeCtx::default());
            let is_message = matches!(parsed, Parsed::Message { .. });
            prop_assert!(is_message);
        }
    }
}
