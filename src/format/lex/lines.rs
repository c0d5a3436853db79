//! Whole-line tests: blank lines, and lines that clearly belong to
//! another format.

use crate::record::Parsed;
use crate::time::{parse_clf, parse_syslog_date};

/// True for lines holding nothing but white space.
#[inline]
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

/// What a multi-line text format whose records start with a number (a
/// date, a pid) makes of a line it could not read as a record: a line of
/// another format, or one starting with a digit (a record it could not
/// read), is not its; anything else (stack frames, banners, wrapped text)
/// continues the record before it.
pub(crate) fn continues_unless_digit_or_foreign(line: &[u8]) -> Parsed<'static> {
    if foreign_line(line) || line.first().is_some_and(|c| c.is_ascii_digit()) {
        Parsed::Unparsed
    } else {
        Parsed::Continuation
    }
}

/// True for a line of text with no format of its own that continues the
/// record before it the way loggers write multi-line records: indented
/// (Java's `\tat` frames, Python's `  File` lines, Go's `\t/path:line`),
/// or a Java cause (`Caused by: `). Used where each line carries a time
/// from an envelope, so the time cannot tell (a container's stack trace,
/// one line per Docker entry).
pub(crate) fn looks_continued(line: &[u8]) -> bool {
    match line.first() {
        Some(b' ' | b'\t') => !is_blank(line),
        Some(_) => line.starts_with(b"Caused by: "),
        None => false,
    }
}

/// True for lines that clearly belong to another format: JSON objects,
/// syslog (`<PRI>` or a year-less `Mar  5 10:00:00` date) and CLF access
/// lines (`host ident user [10/Oct/2000:13:55:36 -0700] ...`). The
/// multi-line text formats return `Unparsed` rather than `Continuation` for
/// them, so a foreign line in the middle of a file is not glued to a record.
pub(crate) fn foreign_line(line: &[u8]) -> bool {
    let Some(&first) = line.first() else {
        return false;
    };
    if first == b'{' {
        return true;
    }
    if first == b'<' {
        let n = line
            .get(1..)
            .unwrap_or(&[])
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if (1..=3).contains(&n) && line.get(n + 1) == Some(&b'>') {
            return true;
        }
    }
    if first.is_ascii_alphabetic() && parse_syslog_date(line).is_some() {
        return true;
    }
    // CLF: the date in brackets after the client, ident and user tokens.
    let head = line.get(..line.len().min(256)).unwrap_or(&[]);
    if let Some(open) = memchr::memchr(b'[', head) {
        if open > 0
            && head.get(open - 1) == Some(&b' ')
            && !head.first().is_some_and(|c| c.is_ascii_whitespace())
            && line.get(open + 1..).and_then(parse_clf).is_some()
        {
            return true;
        }
    }
    false
}
