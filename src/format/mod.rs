//! Log formats: one file per format, and detection of a file's format from
//! its first lines.
//!
//! Every format turns one line (without its line ending) into a
//! [`Parsed`] record. Detection runs every format over a sample of the
//! file's first lines and keeps the one that reads the most of them; ties go
//! to the more specific format (earlier in [`registry`]).

use std::borrow::Cow;

use crate::record::Parsed;
use crate::time::TimeCtx;

pub mod access;
pub mod alb;
pub mod alertmanager;
pub mod apache_error;
pub mod envoy;
pub mod haproxy;
pub mod json;
pub mod logfmt;
pub mod nginx_error;
pub mod syslog;
pub mod timestamped;

/// A log format: a name for people and JSON, and a line parser.
pub trait LogFormat: Send + Sync {
    /// Stable identifier shown in `inputs[].format` and accepted by `--log-format`.
    fn name(&self) -> &'static str;

    /// A few words for `postmortem formats` and the README table.
    fn description(&self) -> &'static str;

    /// Parses one line. The line has no `\n` and no trailing `\r`.
    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a>;

    /// Whether records can span several lines (stack traces, wrapped
    /// messages). Such formats return [`Parsed::Continuation`] for the
    /// following lines; lines they return as [`Parsed::Unparsed`] are
    /// skipped all the same.
    fn multiline(&self) -> bool {
        false
    }

    /// Whether some timestamps lack a year, so the file must be read after
    /// the others have fixed the time range (RFC 3164 syslog).
    fn yearless(&self) -> bool {
        false
    }
}

/// What kind of source writes a format (TEMPORARY: replaced by the format kit's roles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Front,
    Application,
    Alerts,
    System,
}

/// TEMPORARY until each format declares its role.
pub trait Roles {
    fn request_role(&self) -> Role;
}

impl<T: LogFormat + ?Sized> Roles for T {
    fn request_role(&self) -> Role {
        match self.name() {
            "nginx_access" | "haproxy" | "alb" | "elb" | "envoy" | "syslog" => Role::Front,
            _ => Role::Application,
        }
    }
}

impl std::fmt::Debug for dyn LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every format, most specific first. Detection breaks ties in this order.
pub fn registry() -> &'static [&'static dyn LogFormat] {
    static ALL: &[&dyn LogFormat] = &[
        &alertmanager::Alertmanager,
        &alb::Alb,
        &alb::ClassicElb,
        &envoy::Envoy,
        &haproxy::Haproxy,
        &access::Access,
        &nginx_error::NginxError,
        &apache_error::ApacheError,
        &syslog::Syslog,
        &json::JsonLines,
        &logfmt::Logfmt,
        &timestamped::Timestamped,
    ];
    ALL
}

/// The format with this name, if any.
pub fn by_name(name: &str) -> Option<&'static dyn LogFormat> {
    registry().iter().copied().find(|f| f.name() == name)
}

/// How well a format reads a sample: records and continuation lines read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SampleScore {
    pub records: usize,
    pub continued: usize,
    pub lines: usize,
}

/// Scores one format against sample lines (blank lines ignored).
pub fn score(format: &dyn LogFormat, lines: &[&[u8]], ctx: &mut TimeCtx) -> SampleScore {
    let mut s = SampleScore::default();
    for line in lines {
        if is_blank(line) {
            continue;
        }
        s.lines += 1;
        match format.parse(line, ctx) {
            Parsed::Continuation => {
                if s.records > 0 {
                    s.continued += 1
                }
            }
            Parsed::Unparsed => {}
            _ => s.records += 1,
        }
    }
    s
}

/// Picks the format that reads the most sample lines as records (then the
/// most lines in all); `None` when no format reads a single record.
pub fn detect(lines: &[&[u8]], ctx: &mut TimeCtx) -> Option<&'static dyn LogFormat> {
    let mut best: Option<(&'static dyn LogFormat, (usize, usize))> = None;
    for &format in registry() {
        let s = score(format, lines, ctx);
        if s.records == 0 {
            continue;
        }
        let key = (s.records + s.continued, s.records);
        if best.is_none_or(|(_, b)| key > b) {
            best = Some((format, key));
        }
    }
    best.map(|(f, _)| f)
}

/// True for lines holding nothing but white space.
#[inline]
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

// ---------------------------------------------------------------------------
// Helpers shared by the parsers

/// Bytes as text: borrowed when valid UTF-8, replaced lossily otherwise.
#[inline]
pub fn text(b: &[u8]) -> Cow<'_, str> {
    // `from_utf8` has an ASCII fast path that the lossy decoder lacks.
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Position of `needle` in `hay`. Log fields are short, and for a short
/// distance a plain loop beats setting up a vectorised search, so the
/// first bytes are looked at one by one before handing over to memchr.
#[inline]
pub fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    const SHORT: usize = 24;
    let head = hay.len().min(SHORT);
    for (i, &c) in hay[..head].iter().enumerate() {
        if c == needle {
            return Some(i);
        }
    }
    if hay.len() <= SHORT {
        return None;
    }
    memchr::memchr(needle, &hay[SHORT..]).map(|i| i + SHORT)
}

/// `None` for the `-` that logs write for "no value", else the text.
#[inline]
pub fn opt_text(b: &[u8]) -> Option<Cow<'_, str>> {
    if b.is_empty() || b == b"-" {
        None
    } else {
        Some(text(b))
    }
}

/// The host part of `ip:port`, `[v6]:port` or a bare address.
pub fn strip_port(addr: &str) -> &str {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match addr.rfind(':') {
        // Exactly one colon: ip:port. More than one: a bare IPv6 address.
        Some(i) if addr[..i].find(':').is_none() => &addr[..i],
        _ => addr,
    }
}

/// Splits off the next space-separated token: (token, rest after the spaces).
#[inline]
pub fn next_token(b: &[u8]) -> (&[u8], &[u8]) {
    match find_byte(b' ', b) {
        Some(i) => {
            let mut j = i;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            (&b[..i], &b[j..])
        }
        None => (b, &b[b.len()..]),
    }
}

/// Splits off a `"quoted"` token (backslash escapes skipped): (inside, rest
/// after the closing quote and spaces). `None` when `b` does not start with
/// a quote or the quote is never closed.
#[inline]
pub fn quoted_token(b: &[u8]) -> Option<(&[u8], &[u8])> {
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    loop {
        let j = memchr::memchr2(b'"', b'\\', &b[i..])? + i;
        if b[j] == b'\\' {
            i = j + 2;
            if i > b.len() {
                return None;
            }
            continue;
        }
        let mut k = j + 1;
        while k < b.len() && b[k] == b' ' {
            k += 1;
        }
        return Some((&b[1..j], &b[k..]));
    }
}

/// Test helpers shared by the format parsers' tests.
#[cfg(test)]
pub(crate) mod testing {
    use proptest::prelude::*;

    /// Real lines with a few random edits (overwrite, insert, delete)
    /// and a random cut: close enough to the format to reach deep into a
    /// parser, broken enough to find its edge cases.
    pub(crate) fn mutated_line(real: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        (
            0..real.len(),
            proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
            any::<usize>(),
        )
            .prop_map(move |(i, edits, cut)| {
                let mut line = real[i].as_bytes().to_vec();
                for (pos, byte) in edits {
                    let pos = pos % (line.len() + 1);
                    match byte % 3 {
                        0 if pos < line.len() => line[pos] = byte,
                        1 => line.insert(pos, byte),
                        _ if pos < line.len() => {
                            line.remove(pos);
                        }
                        _ => {}
                    }
                }
                line.truncate(cut % (line.len() + 1));
                line
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port("10.0.0.1:80"), "10.0.0.1");
        assert_eq!(strip_port("[::1]:443"), "::1");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(strip_port("client"), "client");
    }

    #[test]
    fn find_byte_agrees_with_memchr() {
        let hay: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        for n in 0..hay.len() {
            for needle in [b'a', b'q', b'z', b' '] {
                assert_eq!(
                    find_byte(needle, &hay[n..]),
                    memchr::memchr(needle, &hay[n..])
                );
            }
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(next_token(b"a  b"), (&b"a"[..], &b"b"[..]));
        let (q, rest) = quoted_token(br#""GET / \"x\" HTTP/1.1" 200"#).unwrap();
        assert_eq!(q, br#"GET / \"x\" HTTP/1.1"#);
        assert_eq!(rest, b"200");
        assert!(quoted_token(b"\"open").is_none());
    }
}
