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
/// record before it the way loggers and runtimes write multi-line records:
///
/// - indented (Java's `\tat` frames and `\t... 12 more`, Python's
///   `  File` lines, Go's `\t/path:line`, Node's `    at`);
/// - a Java cause or suppressed exception (`Caused by: `, `Suppressed: `);
/// - an exception's head line: a qualified class name (`java.lang.IllegalStateException: boom`,
///   `requests.exceptions.ConnectionError: …`) or a compound name ending in
///   `Error`/`Exception` (`ValueError: bad`, `KeyError: 'id'`), alone or
///   before `: `;
/// - Python's traceback frame (`Traceback (most recent call last):`, the
///   chained-exception sentences between two tracebacks);
/// - a Go goroutine dump: `goroutine 1 [running]:`, `[signal SIGSEGV: …]`,
///   `created by …`, and frames (`main.main()`, `net/http.(*conn).serve(0xc0001)`).
///
/// A line that starts a crash (`panic: `, `fatal error: `) is not one: it
/// is an event of its own where it has a time (see [`starts_trace`]).
/// Used where the record's format has no continuation rule of its own:
/// inside envelopes, where each line carries a time that cannot tell (a
/// container's stack trace, one line per Docker entry), and after lines
/// of formats that are one line a record (JSON lines followed by the raw
/// trace a library printed).
pub(crate) fn looks_continued(line: &[u8]) -> bool {
    let Some(&first) = line.first() else {
        return false;
    };
    if first == b' ' || first == b'\t' {
        return !is_blank(line);
    }
    if first == b'/' {
        return go_file_line(line);
    }
    if !first.is_ascii_alphabetic() && first != b'[' {
        return false;
    }
    const HEADS: &[&[u8]] = &[
        b"Caused by: ",
        b"Suppressed: ",
        b"Traceback (most recent call last):",
        b"During handling of the above exception, another exception occurred:",
        b"The above exception was the direct cause of the following exception:",
        b"created by ",
        b"[signal ",
    ];
    HEADS.iter().any(|h| line.starts_with(h))
        || exception_head(line)
        || goroutine_header(line)
        || go_frame(line)
        || go_file_line(line)
}

/// The part of [`looks_continued`] that holds even where the line carries
/// a time and a level of its own (a JSON record per line of a stack trace,
/// the way a shipper's per-line JSON or a logger that writes each line of a
/// trace as a record gives them): an indented frame (`    at …`, `\t... 12
/// more`) or a Java cause (`Caused by: `, `Suppressed: `). An exception's
/// head line is left out: with a time and a level it is usually the record
/// itself (`java.io.IOException: reset` logged as an error).
pub(crate) fn is_frame_or_cause(text: &[u8]) -> bool {
    match text.first() {
        Some(b' ' | b'\t') => !is_blank(text),
        Some(_) => text.starts_with(b"Caused by: ") || text.starts_with(b"Suppressed: "),
        None => false,
    }
}

/// True for a line that starts a crash report whose next lines
/// [continue](looks_continued) it: Go's `panic: ` and `fatal error: `.
/// Where the line has no time of its own (after a JSON line) it continues
/// the record before it too.
pub(crate) fn starts_trace(line: &[u8]) -> bool {
    line.starts_with(b"panic: ") || line.starts_with(b"fatal error: ")
}

/// The line that ends a Python traceback: after the `Traceback (most
/// recent call last):` header and its indented frames, the exception's
/// type (any identifier, dotted or bare: `Exception`, `KeyError`,
/// `requests.exceptions.HTTPError`), alone or before `: ` and its message.
/// Only meaningful right after a traceback's frames.
pub(crate) fn ends_python_traceback(line: &[u8]) -> bool {
    let (name, rest) = type_name(line, b"._");
    !name.is_empty()
        && line[0].is_ascii_alphabetic()
        && (rest.is_empty() || rest.starts_with(b": ") || rest == b":")
}

/// A type's name at the start of the line (letters, digits and the
/// `extra` punctuation), and what follows it.
fn type_name<'l>(line: &'l [u8], extra: &[u8]) -> (&'l [u8], &'l [u8]) {
    let end = line
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || extra.contains(c)))
        .unwrap_or(line.len());
    line.split_at(end)
}

/// `java.lang.IllegalStateException: boom`, `ValueError: bad`,
/// `com.foo.BarException` alone: a name without spaces ending in `Error`,
/// `Exception` or `Throwable`, qualified or compound (`Error: …` alone is
/// a message like any other), then `: ` or the end of the line.
fn exception_head(line: &[u8]) -> bool {
    let (name, rest) = type_name(line, b"._$");
    if !(rest.is_empty() || rest.starts_with(b": ") || rest == b":") {
        return false;
    }
    let simple = name.rsplit(|&c| c == b'.').next().unwrap_or(name);
    const KINDS: [&[u8]; 3] = [b"Exception", b"Error", b"Throwable"];
    let kind = KINDS.iter().find(|k| simple.ends_with(k));
    let Some(kind) = kind else {
        return false;
    };
    // `FooError`, `a.b.Error`: more than the bare word.
    simple.len() > kind.len() || name.len() > simple.len()
}

/// `goroutine 1 [running]:`, `goroutine 18 [chan receive, 2 minutes]:`.
fn goroutine_header(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"goroutine ") else {
        return false;
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && rest.get(digits) == Some(&b' ') && line.ends_with(b"]:")
}

/// A Go frame's file line that lost its indentation (pasted, or printed
/// by a shipper that trims): `/app/main.go:12 +0x1d`.
fn go_file_line(line: &[u8]) -> bool {
    let Some(plus) = memchr::memmem::rfind(line, b" +0x") else {
        return false;
    };
    let offset = &line[plus + 4..];
    let hex_end = offset
        .iter()
        .position(|c| !c.is_ascii_hexdigit())
        .unwrap_or(offset.len());
    hex_end > 0
        && (hex_end == offset.len() || offset[hex_end] == b' ')
        && memchr::memmem::find(&line[..plus], b".go:").is_some()
}

/// A Go stack frame's function line: a package-qualified name without
/// spaces, then its arguments in parentheses (`main.main()`,
/// `net/http.(*conn).serve(0xc000132000, {0x6f3e40, 0xc0000a4180})`,
/// `panic({0x4a1b20, 0x5b0b70})`), possibly `...` for elided ones.
fn go_frame(line: &[u8]) -> bool {
    let Some(open) = line
        .iter()
        .enumerate()
        .skip(1)
        .find(|&(i, &c)| c == b'(' && line.get(i + 1) != Some(&b'*'))
        .map(|(i, _)| i)
    else {
        return false;
    };
    let name = &line[..open];
    let named = name.contains(&b'.') || name == b"panic";
    named
        && !name.contains(&b' ')
        && line.ends_with(b")")
        && line[open..].iter().all(|c| !c.is_ascii_control())
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

#[cfg(test)]
mod tests {
    use super::{ends_python_traceback, looks_continued, starts_trace};

    #[test]
    fn the_exception_line_ends_a_python_traceback() {
        for line in [
            "Exception: ('spam', 'eggs')",
            "KeyError: 'id'",
            "requests.exceptions.HTTPError: 503 Server Error",
            "StopIteration",
        ] {
            assert!(ends_python_traceback(line.as_bytes()), "{line}");
        }
        for line in [
            "",
            "  File \"x.py\", line 1",
            "2024-03-15 ERROR x",
            "the end: here",
            "_private: x",
        ] {
            assert!(!ends_python_traceback(line.as_bytes()), "{line}");
        }
    }

    /// Real lines: Java traces from log4j/logback output, Python tracebacks,
    /// Go panics quoted in issues (cmu440/intro-to-go#1, bcicen/grmon#8,
    /// maxcnunes/gaper#9, aquasecurity/starboard#627, kubernetes/kubectl#1647).
    #[test]
    fn continuation_shapes() {
        let yes: &[&str] = &[
            "\tat com.example.App.handle(App.java:42)",
            "\t... 12 more",
            "Caused by: java.io.IOException: Broken pipe",
            "java.lang.IllegalStateException: boom",
            "java.lang.NullPointerException",
            "org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection",
            "Traceback (most recent call last):",
            "  File \"/app/main.py\", line 3, in <module>",
            "ValueError: bad",
            "requests.exceptions.ConnectionError: HTTPConnectionPool(host='db', port=5432)",
            "During handling of the above exception, another exception occurred:",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x98 pc=0xe1d30f]",
            "[signal 0xb code=0x1 addr=0x1 pc=0x8048f30]",
            "goroutine 1 [running]:",
            "goroutine 6 [chan send]:",
            "goroutine 0 gp=0x3367080 m=0 mp=0x3367d20 [idle]:",
            "main.main()",
            "main.chanSender(0x18346040, 0x80f5f10, 0x3)",
            "os/exec.(*Cmd).Wait(0x0, 0x5bc683, 0xc42000a060)",
            "github.com/maxcnunes/gaper.(*runner).runBin.func1(0xc4200b2000)",
            "k8s.io/kubernetes/vendor/github.com/spf13/cobra.(*Command).Execute(...)",
            "panic(0x15e2ba0, 0x22e29c0)",
            "created by main.main",
            "/home/runner/go/pkg/mod/k8s.io/apimachinery@v0.19.2/pkg/util/runtime/runtime.go:74 +0xa6",
        ];
        for l in yes {
            assert!(looks_continued(l.as_bytes()), "{l}");
        }
        let no: &[&str] = &[
            "",
            "   ",
            "Error: connection refused",
            "Exception",
            "2021-03-04 10:00:00,123 ERROR [main] c.e.App - Request failed",
            "{\"level\":\"info\",\"msg\":\"ok\"}",
            "exit status 2",
            "Connected to cluster at https://10.6.0.1:443",
            "Something failed (see the docs)",
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "/usr/bin/env: python: No such file or directory",
            "SIGQUIT: quit",
        ];
        for l in no {
            assert!(!looks_continued(l.as_bytes()), "{l}");
        }
        assert!(starts_trace(
            b"panic: runtime error: invalid memory address or nil pointer dereference"
        ));
        assert!(starts_trace(b"fatal error: concurrent map writes"));
        assert!(!starts_trace(b"panicked at 'x'"));
    }
}
