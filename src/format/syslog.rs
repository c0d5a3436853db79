//! syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files).
//!
//! Three header shapes are read (log-formats.md §6.1, §6.2):
//!
//! - RFC 3164: `[<PRI>]Mmm dd HH:MM:SS [host] [tag[pid]:] msg`, year-less
//!   and zone-less (the year comes from the [`YearAnchor`](crate::time::YearAnchor),
//!   the zone from `--tz`);
//! - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`, `-` for nil;
//! - ISO-timestamped files as rsyslog (`RSYSLOG_FileFormat`) and systemd
//!   write them: `2018-08-14T14:30:02.203151+02:00 host prog[pid]: msg`.
//!
//! The header parser is shared with the HAProxy format, which reads the same
//! prefix in front of its own payloads; lines whose program is `haproxy` are
//! handed to [`haproxy`] here too, so a mixed syslog file still yields
//! HAProxy requests.

use std::borrow::Cow;

use crate::format::{haproxy, is_blank, next_token, text, LogFormat};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_iso, parse_syslog_date, Micros, Stamp, TimeCtx, YearlessStamp};

/// syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files).
pub struct Syslog;

impl LogFormat for Syslog {
    fn name(&self) -> &'static str {
        "syslog"
    }

    fn description(&self) -> &'static str {
        "syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files)"
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        // Indented lines continue a multi-line message (macOS syslog writes
        // object dumps this way; rsyslog escapes newlines as `#012` instead).
        if matches!(line.first(), Some(b' ' | b'\t')) {
            return if is_blank(line) {
                Parsed::Unparsed
            } else {
                Parsed::Continuation
            };
        }
        match parse_header(line) {
            Some(header) => from_header(&header, ctx),
            None => Parsed::Unparsed,
        }
    }

    fn multiline(&self) -> bool {
        true
    }

    fn yearless(&self) -> bool {
        true
    }
}

/// The record of a line whose header has been read: HAProxy payloads go to
/// the HAProxy parser, everything else becomes a message.
pub fn from_header<'a>(header: &Header<'a>, ctx: &mut TimeCtx) -> Parsed<'a> {
    if haproxy::is_haproxy_program(header.program) || haproxy::looks_like_request(header.msg) {
        let parsed = haproxy::from_syslog(header, ctx);
        if parsed != Parsed::Unparsed {
            return parsed;
        }
    }
    let at = match header.time {
        HeaderTime::Nil => ctx.last_at,
        time => time.resolve(ctx),
    };
    let Some(at) = at else {
        return Parsed::Unparsed;
    };
    let mut fields = Vec::new();
    header.push_fields(&mut fields);
    Parsed::Message {
        at,
        message: Message {
            level: header.level(),
            text: text(header.msg),
            fields,
        },
    }
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
    /// The severity of `<PRI>`, if present.
    pub fn level(&self) -> Option<Level> {
        self.pri.map(|p| Level::from_syslog_severity(p & 7))
    }

    /// Appends `host`, `program`, `pid` (and RFC 5424 `msgid`,
    /// `structured_data`) to a message's fields.
    pub fn push_fields(&self, fields: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>) {
        let parts = [
            ("host", self.host),
            ("program", self.program),
            ("pid", self.pid),
            ("msgid", self.msgid),
            ("structured_data", self.structured),
        ];
        for (name, value) in parts {
            if let Some(v) = value {
                fields.push((Cow::Borrowed(name), text(v)));
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
    let rest = trim_start(rest);
    if rest.is_empty() {
        return None;
    }
    // macOS writes `--- last message repeated 1 time ---` with no host.
    let (host, program, pid, msg) = if rest.starts_with(b"---") {
        (None, None, None, rest)
    } else {
        host_tag_msg(rest, false)?
    };
    Some(Header {
        pri,
        time: HeaderTime::Yearless(stamp),
        host,
        program,
        pid,
        msgid: None,
        structured: None,
        msg,
    })
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
    let (host, program, pid, msg) = host_tag_msg(trim_start(rest), true)?;
    Some(Header {
        pri,
        time: HeaderTime::Full(stamp),
        host,
        program,
        pid,
        msgid: None,
        structured: None,
        msg,
    })
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

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| c == b' ').count();
    b.get(n..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{detect, haproxy::Haproxy};
    use crate::record::Request;
    use crate::time::{civil_to_secs, format_rfc3339, parse_text_timestamp, YearAnchor, Zone};
    use proptest::prelude::*;

    fn ctx() -> TimeCtx {
        TimeCtx::new(
            Zone::Utc,
            YearAnchor::End(civil_to_secs(2024, 6, 1, 0, 0, 0).unwrap()),
        )
    }

    fn msg(line: &str) -> (String, Message<'_>) {
        match Syslog.parse(line.as_bytes(), &mut ctx()) {
            Parsed::Message { at, message } => (format_rfc3339(at), message),
            other => panic!("not a message: {other:?} <- {line}"),
        }
    }

    fn field<'m>(m: &'m Message<'_>, name: &str) -> Option<&'m str> {
        m.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    #[test]
    fn rfc3164() {
        let (at, m) =
            msg("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(at, "2023-10-11T22:14:15Z");
        assert_eq!(m.level, Some(Level::Critical), "34 = auth.crit");
        assert_eq!(m.text, "'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(field(&m, "host"), Some("mymachine"));
        assert_eq!(field(&m, "program"), Some("su"));
        assert_eq!(field(&m, "pid"), None);

        let (at, m) = msg("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");
        assert_eq!(at, "2024-02-05T17:32:18Z");
        assert_eq!(m.level, Some(Level::Notice));
        assert_eq!(m.text, "Use the BFG!");
        assert_eq!(field(&m, "host"), Some("10.0.0.99"));
        assert_eq!(field(&m, "program"), None);

        // Files drop `<PRI>`: no level. Zero-padded and single-digit days.
        let (at, m) =
            msg("Mar 05 10:00:00 web1 CRON[1234]: (root) CMD (run-parts /etc/cron.hourly)");
        assert_eq!(at, "2024-03-05T10:00:00Z");
        assert_eq!(m.level, None);
        assert_eq!(field(&m, "pid"), Some("1234"));
        assert_eq!(m.text, "(root) CMD (run-parts /etc/cron.hourly)");
        assert_eq!(
            msg("Apr 4 03:39:57 host kernel: oops").0,
            "2024-04-04T03:39:57Z"
        );

        // No host: the tag straight after the date.
        let (_, m) = msg("Feb 11 15:29:37 sshd[42]: Accepted publickey");
        assert_eq!(field(&m, "host"), None);
        assert_eq!(field(&m, "program"), Some("sshd"));

        // macOS.
        let (_, m) = msg("Apr 4 03:39:57 --- last message repeated 1 time ---");
        assert_eq!(m.text, "--- last message repeated 1 time ---");
        assert!(m.fields.is_empty());
    }

    #[test]
    fn rfc3164_in_the_zone_and_across_new_year() {
        let end = civil_to_secs(2025, 1, 2, 12, 0, 0).unwrap();
        let mut c = TimeCtx::new(Zone::Fixed(3600), YearAnchor::End(end));
        let at =
            |line: &str, c: &mut TimeCtx| Syslog.parse(line.as_bytes(), c).at().map(format_rfc3339);
        assert_eq!(
            at("Dec 31 23:59:59 h app: a", &mut c).as_deref(),
            Some("2024-12-31T22:59:59Z")
        );
        assert_eq!(
            at("Jan  1 00:00:01 h app: b", &mut c).as_deref(),
            Some("2024-12-31T23:00:01Z")
        );
        let mut c = TimeCtx::new(
            Zone::Utc,
            YearAnchor::Start {
                year: 2016,
                first_month: 12,
            },
        );
        assert_eq!(
            at("Dec 13 11:35:28 a-mac-with-esc-key x[1]: y", &mut c).as_deref(),
            Some("2016-12-13T11:35:28Z")
        );
        assert_eq!(
            at(
                "Apr 4 03:39:57 --- last message repeated 1 time ---",
                &mut c
            )
            .as_deref(),
            Some("2017-04-04T03:39:57Z")
        );
    }

    #[test]
    fn rfc5424() {
        let (at, m) = msg("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{FEFF}'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(at, "2003-10-11T22:14:15.003Z");
        assert_eq!(m.level, Some(Level::Critical));
        assert_eq!(m.text, "'su root' failed for lonvick on /dev/pts/8");
        assert_eq!(field(&m, "host"), Some("mymachine.example.com"));
        assert_eq!(field(&m, "program"), Some("su"));
        assert_eq!(field(&m, "pid"), None);
        assert_eq!(field(&m, "msgid"), Some("ID47"));

        let (at, m) = msg("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
        assert_eq!(at, "2003-08-24T12:14:15.000003Z");
        assert_eq!(m.level, Some(Level::Notice));
        assert_eq!(m.text, "%% It's time to make the do-nuts.");
        assert_eq!(field(&m, "pid"), Some("8710"));

        // Structured data (with an escaped `]` in a value), and no message.
        let (_, m) = msg(
            r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high\]"]"#,
        );
        assert_eq!(m.text, "");
        assert_eq!(
            field(&m, "structured_data"),
            Some(
                r#"[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high\]"]"#
            )
        );
        let (_, m) = msg(r#"<165>1 2003-10-11T22:14:15.003Z host app - - [a b="]"] hello"#);
        assert_eq!(m.text, "hello");

        // Nil timestamp: the previous record's time, else nothing.
        let nil = b"<14>1 - host app 12 - - started";
        assert_eq!(Syslog.parse(nil, &mut ctx()), Parsed::Unparsed);
        let mut c = ctx();
        c.last_at = Some(5);
        assert_eq!(Syslog.parse(nil, &mut c).at(), Some(5));
    }

    #[test]
    fn iso_timestamped_files() {
        let (at, m) = msg("2018-08-14T14:30:02.203151+02:00 linux-sqrz systemd[4179]: Stopped target Basic System.");
        assert_eq!(at, "2018-08-14T12:30:02.203151Z");
        assert_eq!(m.text, "Stopped target Basic System.");
        assert_eq!(field(&m, "host"), Some("linux-sqrz"));
        assert_eq!(field(&m, "program"), Some("systemd"));
        assert_eq!(field(&m, "pid"), Some("4179"));

        let (at, _) = msg("1986-04-26T01:23:45.101+0400 rmbkmonitor04 shutdown[2649]: shutting down for system halt");
        assert_eq!(at, "1986-04-25T21:23:45.101Z");

        // Bare: read in --tz.
        let line =
            b"2019-06-14T10:40:20.912134 localhost sudo: pam_unix(sudo-i:session): session opened";
        let mut c = TimeCtx::new(Zone::Fixed(-3600), YearAnchor::End(0));
        let p = Syslog.parse(line, &mut c);
        assert_eq!(
            p.at().map(format_rfc3339).as_deref(),
            Some("2019-06-14T11:40:20.912134Z")
        );
        let Parsed::Message { message, .. } = p else {
            panic!()
        };
        assert_eq!(message.text, "pam_unix(sudo-i:session): session opened");
    }

    #[test]
    fn not_syslog() {
        for line in [
            "2020/05/07 03:15:12 [error] 1234#0: *1 connect() failed (111: Connection refused) while connecting to upstream",
            r#"{"time":"2024-03-15T10:00:00Z","level":"error","msg":"boom"}"#,
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
            "2024-03-15 10:00:00,123 ERROR [main] com.example.App: boom",
            "2024-03-15T10:00:00.123Z ERROR [main] com.example.App: boom",
            "2024-03-15T10:00:00Z INFO app: started",
            "2024-03-15T10:00:00Z started the thing",
            "2024-03-15T10:00:00Z main: no pid, no host",
            "level=error msg=boom ts=2024-03-15T10:00:00Z",
            "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist",
            "Feb  5 17:32:18",
            "<200>Feb  5 17:32:18 host x: y",
            "<34>2 2003-10-11T22:14:15.003Z host su - ID47 - x",
            "",
        ] {
            assert_eq!(Syslog.parse(line.as_bytes(), &mut ctx()), Parsed::Unparsed, "{line}");
        }
        assert_eq!(
            Syslog.parse(b"\t\tcontinued", &mut ctx()),
            Parsed::Continuation
        );
    }

    #[test]
    fn haproxy_lines_in_a_syslog_file() {
        let line = br#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 503 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
        assert!(matches!(
            Syslog.parse(line, &mut ctx()),
            Parsed::Request {
                request: Request {
                    status: 503,
                    failed: true,
                    ..
                },
                ..
            }
        ));
        let (_, m) = msg("<129>Feb 11 15:29:37 lb haproxy[32442]: [WARNING] 041/152937 (32442) : Server app/web1 is DOWN, reason: Layer4 timeout");
        assert_eq!(
            m.level,
            Some(Level::Warn),
            "the [LEVEL] prefix wins over PRI"
        );
        assert_eq!(m.text, "Server app/web1 is DOWN, reason: Layer4 timeout");
        assert_eq!(field(&m, "server"), Some("web1"));
        assert_eq!(field(&m, "host"), Some("lb"));

        // A plain syslog sample is syslog, not haproxy; a mixed one still syslog.
        let plain: Vec<&[u8]> = vec![
            b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            b"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
            b"Feb  6 12:14:15 localhost sshd[1]: Accepted",
        ];
        assert_eq!(detect(&plain, &mut ctx()).map(|f| f.name()), Some("syslog"));
        let mut mixed = plain.clone();
        mixed.push(line);
        assert_eq!(detect(&mixed, &mut ctx()).map(|f| f.name()), Some("syslog"));
        assert_eq!(Haproxy.parse(plain[0], &mut ctx()), Parsed::Unparsed);
    }

    // -----------------------------------------------------------------------
    // Corpus

    fn corpus() -> Option<std::path::PathBuf> {
        crate::format::timestamped::test_support::corpus_folder("syslog")
    }

    fn lines(data: &[u8]) -> Vec<(usize, &[u8])> {
        let mut out = Vec::new();
        let mut offset = 0;
        for raw in data.split(|&c| c == b'\n') {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if !is_blank(line) {
                out.push((offset, line));
            }
            offset += raw.len() + 1;
        }
        out
    }

    const FILES: [&str; 4] = [
        "darwin-syslog-sample.log",
        "iso8601_timestamp_multiline_syslog.log",
        "suse-syslog.log",
        "tz-offset.log",
    ];

    #[test]
    fn corpus_files() {
        let Some(dir) = corpus() else {
            return;
        };
        let anchor = YearAnchor::Start {
            year: 2016,
            first_month: 12,
        };
        for name in FILES {
            let path = dir.join(name);
            let data = std::fs::read(&path).unwrap();
            let expected: Vec<serde_json::Value> = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("{name}-expected.json"))).unwrap(),
            )
            .unwrap();
            let mut records = 0;
            for (offset, line) in lines(&data) {
                let want = expected
                    .iter()
                    .find(|e| e["log.offset"].as_u64() == Some(offset as u64));
                let zone = want
                    .and_then(|e| e["event.timezone"].as_str())
                    .map_or(Zone::Utc, |z| Zone::parse(z).unwrap());
                let mut c = TimeCtx::new(zone, anchor);
                let parsed = Syslog.parse(line, &mut c);
                let Some(want) = want else {
                    assert_eq!(parsed, Parsed::Continuation, "{name}@{offset}");
                    continue;
                };
                records += 1;
                let Parsed::Message { at, message } = parsed else {
                    panic!("{name}@{offset}: {parsed:?}");
                };
                // Our text is the first line; filebeat's joins continuations.
                let text = want["message"].as_str().unwrap();
                assert_eq!(message.text, text.split('\n').next().unwrap());
                assert_eq!(field(&message, "host"), want["host.hostname"].as_str());
                assert_eq!(field(&message, "program"), want["process.name"].as_str());
                let pid = want["process.pid"].as_u64().map(|p| p.to_string());
                assert_eq!(field(&message, "pid"), pid.as_deref());
                match want["@timestamp"].as_str() {
                    // filebeat reads this line in its event.timezone (-02:00)
                    // and ignores the line's own `+02:00`; we honour the
                    // explicit offset, which puts it four hours earlier.
                    Some(ts) if name.starts_with("iso8601") => {
                        assert_eq!(ts, "2020-12-25T23:59:59-02:00");
                        assert_eq!(format_rfc3339(at), "2020-12-25T21:59:59Z");
                    }
                    // filebeat keeps milliseconds; we keep microseconds.
                    Some(ts) => {
                        let ts = parse_text_timestamp(ts, &mut c).unwrap();
                        assert_eq!(at / 1000, ts / 1000, "{name}@{offset}");
                    }
                    None => {}
                }
            }
            assert_eq!(records, expected.len(), "{name}");
        }

        // The year-less darwin lines, with the year from the anchor (and its
        // rollover from December to April).
        let data = std::fs::read(dir.join(FILES[0])).unwrap();
        let mut c = TimeCtx::new(Zone::Utc, anchor);
        let times: Vec<String> = lines(&data)
            .into_iter()
            .filter_map(|(_, l)| Syslog.parse(l, &mut c).at().map(format_rfc3339))
            .collect();
        assert_eq!(
            times,
            [
                "2016-12-13T11:35:28Z",
                "2016-12-13T11:35:28Z",
                "2017-04-04T03:39:57Z"
            ]
        );
    }

    #[test]
    fn detection() {
        let Some(dir) = corpus() else {
            return;
        };
        for name in FILES {
            let data = std::fs::read(dir.join(name)).unwrap();
            let sample: Vec<&[u8]> = lines(&data).into_iter().map(|(_, l)| l).collect();
            assert_eq!(
                detect(&sample, &mut ctx()).map(|f| f.name()),
                Some("syslog"),
                "{name}"
            );
        }
    }

    // -----------------------------------------------------------------------
    // Never panic

    const REAL: &[&str] = &[
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{FEFF}'su root' failed for lonvick on /dev/pts/8",
        r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] msg"#,
        "2018-08-14T14:30:02.203151+02:00 linux-sqrz systemd[4179]: Stopped target Basic System.",
        "2019-06-14T10:40:20.912134 localhost sudo: pam_unix(sudo-i:session): session opened for user root by userauth3(uid=0)",
        "Apr 4 03:39:57 --- last message repeated 1 time ---",
        r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#,
    ];

    fn mutated() -> impl Strategy<Value = Vec<u8>> {
        crate::format::testing::mutated_line(REAL)
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut c = ctx();
            c.last_at = Some(0);
            let _ = Syslog.parse(&line, &mut c);
            let _ = parse_header(&line);
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated()) {
            let mut c = ctx();
            c.last_at = Some(0);
            let _ = Syslog.parse(&line, &mut c);
        }
    }
}
