//! The syslog header: RFC 3164, RFC 5424 and ISO-timestamped (rsyslog
//! file format) prefixes, read by the syslog format and by formats whose
//! lines come behind such a prefix (HAProxy).
//!
//! Three header shapes are read (docs/formats.md, `syslog`):
//!
//! - RFC 3164: `[<PRI>]Mmm dd HH:MM:SS [host] [tag[pid]:] msg`, year-less
//!   and zone-less (the year comes from the [`YearAnchor`](crate::time::YearAnchor),
//!   the zone from `--tz`);
//! - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`, `-` for nil;
//! - ISO-timestamped files as rsyslog (`RSYSLOG_FileFormat`) and systemd
//!   write them: `2018-08-14T14:30:02.203151+02:00 host prog[pid]: msg`.

use std::borrow::Cow;

use super::{next_token, skip_spaces, text, Fields};
use crate::record::{Level, Parsed};
use crate::time::{parse_iso, parse_syslog_date, Micros, Stamp, TimeCtx, YearlessStamp};

/// A format some programs write behind a syslog header (HAProxy). The
/// syslog format hands each line's header to the payload readers it was
/// built with, so that a mixed syslog file still yields that program's
/// records; the registry decides which readers those are.
pub trait SyslogPayload: Sync {
    /// The record of a line with this header when the line is this
    /// format's; `None` leaves the line to syslog.
    fn read<'a>(&self, header: &Header<'a>, ctx: &mut TimeCtx) -> Option<Parsed<'a>>;
}

/// When a syslog header says the line was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderTime {
    /// A full date (ISO / RFC 5424), with or without an offset.
    Full(Stamp),
    /// An RFC 3164 date without a year.
    Yearless(YearlessStamp),
    /// An already resolved time.
    At(Micros),
    /// RFC 5424's nil timestamp `-`.
    Nil,
}

impl HeaderTime {
    /// UTC microseconds; `None` for nil and for impossible dates.
    pub fn resolve(self, ctx: &mut TimeCtx) -> Option<Micros> {
        match self {
            HeaderTime::Full(stamp) => Some(ctx.resolve(stamp)),
            HeaderTime::Yearless(stamp) => ctx.resolve_yearless(stamp),
            HeaderTime::At(at) => Some(at),
            HeaderTime::Nil => None,
        }
    }
}

/// The parts of a syslog line before the message. Slices borrow the line;
/// nil (`-`) values are `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Header<'a> {
    /// `<PRI>` = facility × 8 + severity, when the line carries it.
    pub pri: Option<u8>,
    pub time: HeaderTime,
    pub host: Option<&'a [u8]>,
    /// The tag or RFC 5424 APP-NAME.
    pub program: Option<&'a [u8]>,
    pub pid: Option<&'a [u8]>,
    /// RFC 5424 MSGID.
    pub msgid: Option<&'a [u8]>,
    /// RFC 5424 structured data, raw (`[id k="v"]...`).
    pub structured: Option<&'a [u8]>,
    /// The message after the header (a leading UTF-8 BOM removed).
    pub msg: &'a [u8],
}

impl<'a> Header<'a> {
    /// A header of the shapes without MSGID and structured data (RFC 3164, ISO).
    fn plain(pri: Option<u8>, time: HeaderTime, parts: HostTagMsg<'a>) -> Header<'a> {
        let (host, program, pid, msg) = parts;
        Header {
            pri,
            time,
            host,
            program,
            pid,
            msgid: None,
            structured: None,
            msg,
        }
    }

    /// The severity of `<PRI>`, if present.
    pub fn level(&self) -> Option<Level> {
        self.pri.map(|p| Level::from_syslog_severity(p & 7))
    }

    /// Appends `host`, `program`, `pid` (and RFC 5424 `msgid`,
    /// `structured_data`) to a message's fields.
    pub fn push_fields(&self, fields: &mut Fields<'a>) {
        self.push_fields_with(fields, text)
    }

    /// [`Header::push_fields`] with the values' text read by `text_of`
    /// (a [`LineText`](super::LineText) of the line, checked once).
    #[inline]
    pub fn push_fields_with(
        &self,
        fields: &mut Fields<'a>,
        text_of: impl Fn(&'a [u8]) -> Cow<'a, str>,
    ) {
        let parts = [
            ("host", self.host),
            ("program", self.program),
            ("pid", self.pid),
            ("msgid", self.msgid),
            ("structured_data", self.structured),
        ];
        for (name, value) in parts {
            if let Some(v) = value {
                fields.push((Cow::Borrowed(name), text_of(v)));
            }
        }
    }
}

/// Reads the syslog header at the start of a line (any of the three shapes);
/// `None` when the line does not start with one.
pub fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let (pri, rest) = match line.first()? {
        b'<' => {
            let (p, used) = pri(line)?;
            (Some(p), line.get(used..)?)
        }
        _ => (None, line),
    };
    let first = *rest.first()?;
    if first.is_ascii_digit() {
        if rest.get(1) == Some(&b' ') {
            return if first == b'1' {
                rfc5424(pri, rest.get(2..)?)
            } else {
                None
            };
        }
        return iso_header(pri, rest);
    }
    if first.is_ascii_alphabetic() {
        return bsd_header(pri, rest);
    }
    None
}

/// `<PRI>`: 1 to 3 digits, at most 191. Returns the value and bytes consumed.
fn pri(b: &[u8]) -> Option<(u8, usize)> {
    let mut value: u32 = 0;
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        if c == b'>' {
            break;
        }
        if !c.is_ascii_digit() || i > 3 {
            return None;
        }
        value = value * 10 + (c - b'0') as u32;
        i += 1;
    }
    if i == 1 || b.get(i) != Some(&b'>') || value > 191 {
        return None;
    }
    Some((value as u8, i + 1))
}

/// RFC 3164: `Mmm dd HH:MM:SS` then host, tag and message.
fn bsd_header(pri: Option<u8>, b: &[u8]) -> Option<Header<'_>> {
    let (stamp, used) = parse_syslog_date(b)?;
    let rest = b.get(used..)?;
    if rest.first() != Some(&b' ') {
        return None;
    }
    let rest = skip_spaces(rest);
    if rest.is_empty() {
        return None;
    }
    // macOS writes `--- last message repeated 1 time ---` with no host.
    let (host, program, pid, msg) = if rest.starts_with(b"---") {
        (None, None, None, rest)
    } else {
        host_tag_msg(rest, false)?
    };
    Some(Header::plain(
        pri,
        HeaderTime::Yearless(stamp),
        (host, program, pid, msg),
    ))
}

/// ISO-timestamped lines (rsyslog file format, systemd, `short-iso`). Only
/// `YYYY-MM-DDTHH:MM:SS` dates are taken, and a `host tag:` structure must
/// follow, so that application logs starting with an ISO date are not read
/// as syslog.
fn iso_header(pri: Option<u8>, b: &[u8]) -> Option<Header<'_>> {
    if b.get(4) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let (stamp, used) = parse_iso(b)?;
    let rest = b.get(used..)?;
    if rest.first() != Some(&b' ') {
        return None;
    }
    let parts = host_tag_msg(skip_spaces(rest), true)?;
    Some(Header::plain(pri, HeaderTime::Full(stamp), parts))
}

/// RFC 5424 after `<PRI>1 `: `TIMESTAMP HOST APP PROCID MSGID SD [MSG]`.
fn rfc5424(pri: Option<u8>, b: &[u8]) -> Option<Header<'_>> {
    let (ts, rest) = next_token(b);
    let time = if ts == b"-" {
        HeaderTime::Nil
    } else {
        if ts.get(4) != Some(&b'-') || ts.get(10) != Some(&b'T') {
            return None;
        }
        let (stamp, used) = parse_iso(ts)?;
        if used != ts.len() {
            return None;
        }
        HeaderTime::Full(stamp)
    };
    let (host, rest) = next_token(rest);
    let (app, rest) = next_token(rest);
    let (procid, rest) = next_token(rest);
    let (msgid, rest) = next_token(rest);
    if host.is_empty() || app.is_empty() || procid.is_empty() || msgid.is_empty() {
        return None;
    }
    let (structured, rest) = match rest.first() {
        Some(b'-') if matches!(rest.get(1), None | Some(b' ')) => (None, rest.get(1..)?),
        Some(b'[') => {
            let end = structured_data_end(rest)?;
            (Some(rest.get(..end)?), rest.get(end..)?)
        }
        None => (None, rest),
        _ => return None,
    };
    let mut msg = match rest.first() {
        Some(b' ') => rest.get(1..)?,
        None => rest,
        _ => return None,
    };
    if let Some(stripped) = msg.strip_prefix(b"\xEF\xBB\xBF") {
        msg = stripped;
    }
    Some(Header {
        pri,
        time,
        host: nil(host),
        program: nil(app),
        pid: nil(procid),
        msgid: nil(msgid),
        structured,
        msg,
    })
}

/// The end of one or more `[id k="v" ...]` elements at the start of `b`
/// (quoted values may hold `\"`, `\]` and `]`).
fn structured_data_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        i += 1;
        let mut quoted = false;
        loop {
            match *b.get(i)? {
                b'\\' if quoted => i += 2,
                b'"' => {
                    quoted = !quoted;
                    i += 1;
                }
                b']' if !quoted => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
    }
    Some(i)
}

fn nil(b: &[u8]) -> Option<&[u8]> {
    if b == b"-" {
        None
    } else {
        Some(b)
    }
}

type HostTagMsg<'a> = (
    Option<&'a [u8]>,
    Option<&'a [u8]>,
    Option<&'a [u8]>,
    &'a [u8],
);

/// Splits `[host] [tag[pid]:] msg`. The host is absent when the first
/// token is already a tag (HAProxy's `haproxy[pid]:` straight after the
/// date). `strict` (ISO dates) requires a plausible host followed by a tag,
/// or a tag with a pid.
fn host_tag_msg(b: &[u8], strict: bool) -> Option<HostTagMsg<'_>> {
    let (first, after_first) = next_token(b);
    if first.is_empty() {
        return None;
    }
    if let Some((program, pid)) = tag(first) {
        if strict && pid.is_none() {
            return None;
        }
        return Some((None, Some(program), pid, after_first));
    }
    if strict && !is_hostname(first) {
        return None;
    }
    let (second, after_second) = next_token(after_first);
    if let Some((program, pid)) = tag(second) {
        return Some((Some(first), Some(program), pid, after_second));
    }
    if strict {
        return None;
    }
    Some((Some(first), None, None, after_first))
}

/// `name[pid]:`, `name[pid]` or `name:` → (name, pid).
fn tag(t: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let (body, colon) = match t.strip_suffix(b":") {
        Some(body) => (body, true),
        None => (t, false),
    };
    if let Some(inner) = body.strip_suffix(b"]") {
        let open = memchr::memchr(b'[', inner)?;
        let name = inner.get(..open)?;
        let pid = inner.get(open + 1..)?;
        if pid.is_empty() || !pid.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
            return None;
        }
        return is_tag_name(name).then_some((name, Some(pid)));
    }
    (colon && is_tag_name(body)).then_some((body, None))
}

fn is_tag_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.iter().all(|&c| {
            c > b' ' && !matches!(c, b'[' | b']' | b':' | b'"' | b'=' | b'{' | b'}' | 0x7f)
        })
}

/// A host name or address as syslog writes it, and not a level word (so
/// `2024-03-15T10:00:00Z INFO app: ...` stays an application log line).
fn is_hostname(h: &[u8]) -> bool {
    if h.is_empty()
        || h.len() > 255
        || !h
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':' | b'%'))
    {
        return false;
    }
    std::str::from_utf8(h).is_ok_and(|s| Level::from_word(s).is_none())
}
