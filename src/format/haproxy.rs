//! HAProxy HTTP and TCP logs and notices, with or without syslog prefix.
//!
//! log-formats.md §3. A line is either a request log (`option httplog` /
//! `option tcplog`, or a custom `log-format` close to them) or a notice
//! (server up/down, health checks, reloads). Lines come behind a syslog
//! prefix (RFC 3164, `<PRI>`, ISO as rsyslog writes it; read by
//! [`syslog::parse_header`]) or bare, as `log stdout format raw` and the
//! stderr of the master process write them.
//!
//! Request fields are found by shape rather than position, because custom
//! formats add tokens: client, `[date]`, frontend, `backend/server`, then
//! (possibly after extra tokens) the timers `a/b/c/d/e` followed by the
//! status (HTTP) or `a/b/c` followed by the byte count (TCP).
//!
//! A request's time is its bracketed accept date, which has no offset: it
//! is read in `--tz`, except behind an ISO syslog header that carries an
//! offset (rsyslog's file format), whose offset is the host's zone.
//! Notices take the syslog header's time, else HAProxy's own `DDD/HHMMSS`,
//! else the previous record's time.

use std::borrow::Cow;

use crate::format::syslog::{self, Header, HeaderTime};
use crate::format::{next_token, quoted_token, text, LogFormat};
use crate::record::{Level, Message, Parsed, Request};
use crate::time::{
    civil_from_days, days_from_civil, digits, parse_leading, Micros, Stamp, TimeCtx, YearAnchor,
};

/// HAProxy HTTP and TCP logs and notices, with or without syslog prefix.
pub struct Haproxy;

impl LogFormat for Haproxy {
    fn name(&self) -> &'static str {
        "haproxy"
    }

    fn description(&self) -> &'static str {
        "HAProxy HTTP and TCP logs and notices, with or without syslog prefix"
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if let Some(header) = syslog::parse_header(line) {
            if is_haproxy_program(header.program) {
                return from_syslog(&header, ctx);
            }
            // Other programs' lines are syslog's, unless they carry an
            // unmistakable request log (a relay that rewrote the tag).
            let zone_hint = match header.time {
                HeaderTime::Full(stamp) => stamp.offset,
                _ => None,
            };
            return request(header.msg, zone_hint, ctx).unwrap_or(Parsed::Unparsed);
        }
        parse_any(line, None, false, ctx)
    }

    fn yearless(&self) -> bool {
        true
    }
}

/// Parses what follows the syslog prefix of a line written by HAProxy: a
/// request log, or a notice. `header_at` is the time of the syslog header,
/// used for notices (requests use their bracketed accept date, read in
/// `--tz`). Any text is accepted as a notice, since the caller knows the
/// program is HAProxy; `Unparsed` only when there is no time to give it.
pub fn parse_payload<'a>(
    payload: &'a [u8],
    header_at: Option<Micros>,
    ctx: &mut TimeCtx,
) -> Parsed<'a> {
    parse_any(payload, header_at.map(HeaderTime::At), true, ctx)
}

/// The record of a syslog line written by HAProxy: the payload parsed, the
/// level of `<PRI>` and the header's fields added to notices.
pub fn from_syslog<'a>(header: &Header<'a>, ctx: &mut TimeCtx) -> Parsed<'a> {
    let mut parsed = parse_any(header.msg, Some(header.time), true, ctx);
    if let Parsed::Message { message, .. } = &mut parsed {
        if message.level.is_none() {
            message.level = header.level();
        }
        header.push_fields(&mut message.fields);
    }
    parsed
}

/// True for the program names HAProxy logs under (`haproxy`, and
/// `hapee-lb` for HAProxy Enterprise).
pub fn is_haproxy_program(program: Option<&[u8]>) -> bool {
    program
        .is_some_and(|p| p.eq_ignore_ascii_case(b"haproxy") || p.eq_ignore_ascii_case(b"hapee-lb"))
}

/// A cheap test for `client [dd/...`: whether a payload is worth handing to
/// the request parser.
pub fn looks_like_request(payload: &[u8]) -> bool {
    let (client, rest) = next_token(payload);
    !client.is_empty()
        && rest.first() == Some(&b'[')
        && rest.get(1).is_some_and(|c| c.is_ascii_digit())
}

fn parse_any<'a>(
    p: &'a [u8],
    header_time: Option<HeaderTime>,
    any_text: bool,
    ctx: &mut TimeCtx,
) -> Parsed<'a> {
    // An ISO syslog header with an offset tells the zone the host writes
    // its local times in; HAProxy's own dates carry none.
    let zone_hint = match header_time {
        Some(HeaderTime::Full(stamp)) => stamp.offset,
        _ => None,
    };
    if let Some(parsed) = request(p, zone_hint, ctx) {
        return parsed;
    }
    notice(p, header_time, any_text, ctx)
}

// ---------------------------------------------------------------------------
// Requests

/// `zone_hint`: the offset to read the (offset-less) bracketed date with,
/// instead of `--tz`.
fn request<'a>(p: &'a [u8], zone_hint: Option<i32>, ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    if !looks_like_request(p) {
        return None;
    }
    let (client, rest) = next_token(p);
    let (mut stamp, used) = parse_leading(rest)?;
    if stamp.offset.is_none() {
        stamp.offset = zone_hint;
    }
    if used == 0 || rest.get(used - 1) != Some(&b']') {
        return None;
    }
    let rest = rest.get(used..)?;
    if rest.first() != Some(&b' ') {
        return None;
    }
    let (_frontend, rest) = next_token(trim_start(rest));
    let (backend, mut rest) = next_token(rest);
    if backend.is_empty() {
        return None;
    }

    // The timers, possibly after tokens a custom format put in between.
    let mut found = None;
    for _ in 0..4 {
        let (tok, after) = next_token(rest);
        if tok.is_empty() || matches!(tok.first(), Some(b'"' | b'{')) {
            break;
        }
        rest = after;
        if let Some(t) = timers(tok) {
            found = Some(t);
            break;
        }
    }
    let (count, total) = found?;
    let http = count >= 4;
    let status = if http {
        let (tok, after) = next_token(rest);
        rest = after;
        status(tok)?
    } else {
        // TCP: the byte count follows (`+` under logasap).
        let (tok, _) = next_token(rest);
        let n = tok.strip_prefix(b"+").unwrap_or(tok);
        if n.is_empty() || !n.iter().all(u8::is_ascii_digit) {
            return None;
        }
        0
    };

    let (termination, request_line) = tail(rest);
    let server_side = termination.is_some_and(|t| {
        matches!(
            t.first(),
            Some(b'S' | b's' | b'P' | b'R' | b'I' | b'D' | b'K')
        )
    });
    let failed = status >= 500 || (status == 0 && server_side);

    let (method, path) = match request_line {
        Some(r) => method_path(r),
        None => (None, None),
    };

    let at = ctx.resolve(stamp);
    Some(Parsed::Request {
        at,
        request: Request {
            status,
            failed,
            backend: Some(text(backend)),
            client: client_ip(client).map(text),
            latency_ms: total.map(|ms| ms as f64),
            method: method.map(text),
            path: path.map(text),
        },
    })
}

/// `a/b/c[/d/e...]` of signed integers (`+` under logasap, `-1` for a phase
/// never reached): (number of timers, the last one when not negative).
fn timers(tok: &[u8]) -> Option<(usize, Option<i64>)> {
    let mut count = 0;
    let mut last = None;
    for part in tok.split(|&c| c == b'/') {
        let part = part.strip_prefix(b"+").unwrap_or(part);
        let (negative, num) = match part.strip_prefix(b"-") {
            Some(n) => (true, n),
            None => (false, part),
        };
        if num.is_empty() || num.len() > 12 || !num.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let value = num.iter().fold(0i64, |v, &c| v * 10 + (c - b'0') as i64);
        last = (!negative).then_some(value);
        count += 1;
    }
    (3..=8).contains(&count).then_some((count, last))
}

/// An HTTP status: three digits, or `-1` (client abort, since 2.5) read as 0.
fn status(tok: &[u8]) -> Option<u16> {
    if tok == b"-1" {
        return Some(0);
    }
    if tok.len() != 3 {
        return None;
    }
    let s = digits(tok, 3)?;
    (100..=999).contains(&s).then_some(s as u16)
}

/// Reads what follows the status: the termination state (the 2- or
/// 4-character token just before the `actconn/feconn/...` counters) and
/// the quoted request line, skipping `{header captures}` that may hold
/// spaces. Tokens after the request (custom TLS fields) are ignored.
fn tail(mut rest: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let mut termination = None;
    let mut counters_seen = false;
    for _ in 0..24 {
        match rest.first() {
            None => break,
            Some(b'"') => {
                let request = match quoted_token(rest) {
                    Some((inside, _)) => inside,
                    // HAProxy truncates long lines: take what is there.
                    None => rest.get(1..).unwrap_or_default(),
                };
                return (termination, Some(request));
            }
            Some(b'{') => {
                let Some(close) = memchr::memchr(b'}', rest) else {
                    break;
                };
                rest = trim_start(rest.get(close + 1..).unwrap_or_default());
            }
            Some(_) => {
                let (tok, after) = next_token(rest);
                rest = after;
                if counters_seen {
                    continue;
                }
                if is_termination(tok) {
                    termination = Some(tok);
                } else if tok.iter().filter(|&&c| c == b'/').count() >= 4 {
                    counters_seen = true;
                }
            }
        }
    }
    (termination, None)
}

/// A termination state: 2 (TCP) or 4 (HTTP) characters, the first a cause,
/// the second a session phase, the others cookie flags.
fn is_termination(tok: &[u8]) -> bool {
    let cause_phase = matches!(
        tok.first(),
        Some(b'C' | b'S' | b'P' | b'L' | b'R' | b'I' | b'D' | b'U' | b'K' | b'c' | b's' | b'-')
    ) && matches!(
        tok.get(1),
        Some(b'R' | b'Q' | b'C' | b'H' | b'D' | b'L' | b'T' | b'-')
    );
    match tok.len() {
        2 => cause_phase,
        4 => {
            cause_phase
                && tok
                    .get(2..)
                    .unwrap_or_default()
                    .iter()
                    .all(|&c| c.is_ascii_uppercase() || c == b'-')
        }
        _ => false,
    }
}

/// Method and path of `GET /index.html HTTP/1.1`; `<BADREQ>` has neither.
fn method_path(r: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let (method, rest) = next_token(r);
    if method.is_empty()
        || method.len() > 24
        || !method
            .iter()
            .all(|&c| c.is_ascii_uppercase() || c == b'-' || c == b'_')
    {
        return (None, None);
    }
    let (path, _) = next_token(rest);
    (Some(method), (!path.is_empty()).then_some(path))
}

/// The client IP of `%ci:%cp`: IPv4 `a.b.c.d:port`, IPv6 written bare
/// (`::1:56789`) or bracketed, `-` (unknown) → `None`.
fn client_ip(tok: &[u8]) -> Option<&[u8]> {
    let ip = if let Some(rest) = tok.strip_prefix(b"[") {
        let close = memchr::memchr(b']', rest)?;
        rest.get(..close)?
    } else {
        match memchr::memrchr(b':', tok) {
            Some(i)
                if tok
                    .get(i + 1..)
                    .is_some_and(|p| p.iter().all(u8::is_ascii_digit)) =>
            {
                tok.get(..i)?
            }
            _ => tok,
        }
    };
    if ip.is_empty() || ip == b"-" {
        None
    } else {
        Some(ip)
    }
}

// ---------------------------------------------------------------------------
// Notices

/// Phrases HAProxy starts its notices with; bare (unprefixed) lines are only
/// taken as notices when they start with one of them.
const NOTICE_STARTS: &[&[u8]] = &[
    b"Server ",
    b"Backup Server ",
    b"Health check for ",
    b"Agent check for ",
    b"backend ",
    b"Proxy ",
    b"Stopping ",
    b"Pausing ",
    b"Connect from ",
];

fn notice<'a>(
    p: &'a [u8],
    header_time: Option<HeaderTime>,
    any_text: bool,
    ctx: &mut TimeCtx,
) -> Parsed<'a> {
    let (level, own_time, body) = match level_prefix(p) {
        Some(prefix) => prefix,
        None => {
            if !any_text && !NOTICE_STARTS.iter().any(|s| p.starts_with(s)) {
                return Parsed::Unparsed;
            }
            (None, None, p)
        }
    };
    if body.iter().all(|c| c.is_ascii_whitespace()) {
        return Parsed::Unparsed;
    }
    // The collector's time first, as every other line of the file is
    // ordered by it; then HAProxy's own day-of-year time; then the
    // previous record's time for the newer timeless stderr notices.
    let mut at = header_time.and_then(|t| t.resolve(ctx));
    if at.is_none() {
        at = own_time.and_then(|(doy, sod)| day_of_year(doy, sod, ctx));
    }
    let Some(at) = at.or(ctx.last_at) else {
        return Parsed::Unparsed;
    };
    Parsed::Message {
        at,
        message: Message {
            level,
            text: text(body),
            fields: notice_fields(body),
        },
    }
}

/// `[LEVEL] DDD/HHMMSS (PID) : ` or `[LEVEL]  (PID) : `: (level, the
/// day-of-year time, the text after the prefix).
type LevelPrefix<'a> = (Option<Level>, Option<(u32, u32)>, &'a [u8]);

fn level_prefix(p: &[u8]) -> Option<LevelPrefix<'_>> {
    if p.first() != Some(&b'[') {
        return None;
    }
    let close = memchr::memchr(b']', p.get(..12).unwrap_or(p))?;
    let word = p.get(1..close)?;
    if word.is_empty() || !word.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let level = std::str::from_utf8(word).ok().and_then(Level::from_word)?;
    let mut rest = trim_start(p.get(close + 1..)?);
    let mut when = None;
    if rest.get(3) == Some(&b'/') && rest.get(10).is_none_or(|&c| c == b' ') {
        let doy = digits(rest, 3)?;
        let hms = digits(rest.get(4..)?, 6)?;
        let (h, m, s) = (hms / 10_000, hms / 100 % 100, hms % 100);
        if doy > 365 || h > 23 || m > 59 || s > 60 {
            return None;
        }
        when = Some((doy, h * 3600 + m * 60 + s.min(59)));
        rest = trim_start(rest.get(10..)?);
    }
    // `(PID) :`
    let rest = rest.strip_prefix(b"(")?;
    let close = memchr::memchr(b')', rest.get(..12).unwrap_or(rest))?;
    if close == 0 || !rest.get(..close)?.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let rest = trim_start(rest.get(close + 1..)?);
    let rest = rest.strip_prefix(b":")?;
    Some((Some(level), when, trim_start(rest)))
}

/// HAProxy's stderr `DDD/HHMMSS`: DDD is `tm_yday`, counted from 0; the year
/// comes from the anchor (like RFC 3164 dates), the zone from `--tz`.
fn day_of_year(doy: u32, second_of_day: u32, ctx: &mut TimeCtx) -> Option<Micros> {
    let doy = doy as i64;
    let year = match ctx.anchor {
        YearAnchor::Start { year, .. } => {
            let (_, month, day) = civil_from_days(days_from_civil(year as i64, 1, 1) + doy);
            ctx.anchor.year_for(month, day)
        }
        YearAnchor::End(end) => {
            // As `year_for`, but per candidate year, since the day a
            // day-of-year falls on depends on the year being a leap year.
            let end_year = civil_from_days(end.div_euclid(86_400)).0;
            [end_year + 1, end_year, end_year - 1]
                .into_iter()
                .find(|&y| {
                    // Checked: the anchor can be a file's mtime, any number.
                    let days = days_from_civil(y, 1, 1) + doy;
                    let Some(t) = days.checked_mul(86_400) else {
                        return false;
                    };
                    civil_from_days(days).0 == y
                        && t <= end.saturating_add(31 * 86_400)
                        && t > end.saturating_sub(335 * 86_400)
                })
                .unwrap_or(end_year)
        }
    };
    let days = days_from_civil(year, 1, 1) + doy;
    // Day 365 only exists in leap years.
    if civil_from_days(days).0 != year {
        return None;
    }
    Some(ctx.resolve(Stamp {
        wall: days.checked_mul(86_400)? + second_of_day as i64,
        micros: 0,
        offset: None,
    }))
}

type Fields<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// `backend`, `server` (and `frontend`, `proxy`, `client`) named in a notice.
fn notice_fields<'a>(body: &'a [u8]) -> Fields<'a> {
    let mut fields: Fields<'a> = Vec::new();
    let mut push = |name: &'static str, value: &'a [u8]| {
        let value = trim_end_punct(value);
        if !value.is_empty() {
            fields.push((Cow::Borrowed(name), text(value)));
        }
    };
    for prefix in [
        &b"Server "[..],
        b"Backup Server ",
        b"Health check for server ",
        b"Health check for backup server ",
        b"Agent check for server ",
        b"Agent check for backup server ",
    ] {
        if let Some(rest) = body.strip_prefix(prefix) {
            let (be_srv, _) = next_token(rest);
            let be_srv = trim_end_punct(be_srv);
            match memchr::memchr(b'/', be_srv) {
                Some(i) => {
                    push("backend", be_srv.get(..i).unwrap_or_default());
                    push("server", be_srv.get(i + 1..).unwrap_or_default());
                }
                None => push("server", be_srv),
            }
            return fields;
        }
    }
    if let Some(rest) = body.strip_prefix(b"backend ") {
        let name = match rest.strip_prefix(b"'") {
            Some(quoted) => quoted.get(..memchr::memchr(b'\'', quoted).unwrap_or(quoted.len())),
            None => Some(next_token(rest).0),
        };
        push("backend", name.unwrap_or_default());
    } else if let Some(rest) = body.strip_prefix(b"Proxy ") {
        push("proxy", next_token(rest).0);
    } else if let Some(rest) = body
        .strip_prefix(b"Stopping ")
        .or_else(|| body.strip_prefix(b"Pausing "))
    {
        let (kind, rest) = next_token(rest);
        let name = next_token(rest).0;
        match kind {
            b"frontend" => push("frontend", name),
            b"backend" => push("backend", name),
            b"proxy" => push("proxy", name),
            _ => {}
        }
    } else if let Some(rest) = body.strip_prefix(b"Connect from ") {
        // `Connect from 1.2.3.4:40780 to 1.2.3.4:5000 (main/HTTP)`
        let (from, rest) = next_token(rest);
        if let Some(ip) = client_ip(from) {
            push("client", ip);
        }
        if let Some(open) = memchr::memchr(b'(', rest) {
            let inside = rest.get(open + 1..).unwrap_or_default();
            let end = memchr::memchr2(b'/', b')', inside).unwrap_or(inside.len());
            push("frontend", inside.get(..end).unwrap_or_default());
        }
    }
    fields
}

fn trim_end_punct(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .rev()
        .take_while(|&&c| matches!(c, b',' | b':' | b'.' | b'!' | b'\''))
        .count();
    b.get(..b.len() - n).unwrap_or_default()
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| c == b' ').count();
    b.get(n..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{detect, syslog::Syslog};
    use crate::time::{civil_to_secs, format_rfc3339, parse_text_timestamp, Zone};
    use proptest::prelude::*;

    /// Anchored in 2024, read in UTC.
    fn ctx() -> TimeCtx {
        TimeCtx::new(
            Zone::Utc,
            YearAnchor::End(civil_to_secs(2024, 6, 1, 0, 0, 0).unwrap()),
        )
    }

    fn parse(line: &str) -> Parsed<'_> {
        Haproxy.parse(line.as_bytes(), &mut ctx())
    }

    fn req(line: &str) -> (String, Request<'_>) {
        match parse(line) {
            Parsed::Request { at, request } => (format_rfc3339(at), request),
            other => panic!("not a request: {other:?} <- {line}"),
        }
    }

    fn msg(parsed: Parsed<'_>) -> (String, Message<'_>) {
        match parsed {
            Parsed::Message { at, message } => (format_rfc3339(at), message),
            other => panic!("not a message: {other:?}"),
        }
    }

    fn field<'m>(m: &'m Message<'_>, name: &str) -> Option<&'m str> {
        m.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    const HTTP_DOC: &str = r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
    const HTTP_H2: &str = r#"Feb 11 15:29:34 shopblocks haproxy[32499]: 10.20.30.1:63479 [11/Feb/2021:15:29:33.984] https~ core/localhost 0/0/1/25/26 200 1068 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/2.0""#;
    const TCP_DOC: &str = "Feb  6 12:12:56 localhost haproxy[14387]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0";
    const TCP_NOSRV: &str = "Nov  3 22:22:19 localhost haproxy[44]: 10.42.0.1:12558 [03/Nov/2016:22:22:19.363] 900 900/<NOSRV> -1/-1/4 213 SC 0/0/0/0/0 0/0";

    #[test]
    fn http_log_from_the_docs() {
        let (at, r) = req(HTTP_DOC);
        assert_eq!(at, "2009-02-06T12:14:14.655Z");
        assert_eq!(r.status, 200);
        assert!(!r.failed);
        assert_eq!(r.backend.as_deref(), Some("static/srv1"));
        assert_eq!(r.client.as_deref(), Some("10.0.1.2"));
        assert_eq!(r.latency_ms, Some(109.0));
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.path.as_deref(), Some("/index.html"));

        let (at, r) = req(HTTP_H2);
        assert_eq!(at, "2021-02-11T15:29:33.984Z");
        assert_eq!(r.status, 200);
        assert_eq!(r.backend.as_deref(), Some("core/localhost"));
        assert_eq!(r.client.as_deref(), Some("10.20.30.1"));
        assert_eq!(r.latency_ms, Some(26.0));
        assert_eq!(r.path.as_deref(), Some("/"));
    }

    #[test]
    fn tcp_log_from_the_docs() {
        let (at, r) = req(TCP_DOC);
        assert_eq!(at, "2009-02-06T12:12:51.443Z");
        assert_eq!(r.status, 0);
        assert!(!r.failed, "`--` is a normal end");
        assert_eq!(r.backend.as_deref(), Some("bck/srv1"));
        assert_eq!(r.latency_ms, Some(5007.0));
        assert_eq!(r.method, None);

        let (_, r) = req(TCP_NOSRV);
        assert_eq!(r.backend.as_deref(), Some("900/<NOSRV>"));
        assert_eq!(r.client.as_deref(), Some("10.42.0.1"));
        assert_eq!(r.latency_ms, Some(4.0));
        assert!(r.failed, "SC: connection refused");
    }

    #[test]
    fn prefixes_raw_pri_and_iso() {
        // `log stdout format raw`: no prefix at all.
        let raw = HTTP_DOC.split_once(": ").unwrap().1;
        let (at, r) = req(raw);
        assert_eq!(at, "2009-02-06T12:14:14.655Z");
        assert_eq!(r.latency_ms, Some(109.0));
        let raw_tcp = TCP_NOSRV.split_once(": ").unwrap().1;
        assert!(req(raw_tcp).1.failed);

        // `<PRI>` and no hostname.
        let line = format!("<134>Feb  6 12:14:14 haproxy[14389]: {raw}");
        assert_eq!(req(&line).1.status, 200);

        // rsyslog's ISO prefix: its offset is the zone of the bracketed date.
        let line = format!("2009-02-06T12:14:15+01:00 lb1 haproxy[14389]: {raw}");
        assert_eq!(req(&line).0, "2009-02-06T11:14:14.655Z");
        // Without an offset in the header, `--tz` applies.
        let line = format!("2009-02-06T12:14:15 lb1 haproxy[14389]: {raw}");
        let mut ctx = TimeCtx::new(Zone::Fixed(-7200), YearAnchor::End(0));
        assert_eq!(
            Haproxy
                .parse(line.as_bytes(), &mut ctx)
                .at()
                .map(format_rfc3339),
            Some("2009-02-06T14:14:14.655Z".to_string())
        );
    }

    #[test]
    fn bracketed_date_is_read_in_the_zone() {
        let mut ctx = TimeCtx::new(Zone::parse("Europe/Berlin").unwrap(), YearAnchor::End(0));
        let at = Haproxy.parse(HTTP_DOC.as_bytes(), &mut ctx).at().unwrap();
        assert_eq!(format_rfc3339(at), "2009-02-06T11:14:14.655Z");
    }

    #[test]
    fn failures_and_special_fields() {
        // HAProxy-generated 503 with <NOSRV>, `+` timers (logasap), `+N` retries.
        let (_, r) = req(
            r#"10.0.0.1:5000 [06/Feb/2009:12:14:14.655] http-in~ be/<NOSRV> 0/-1/-1/-1/+0 503 212 - - SC-- 0/0/0/0/+3 0/0 "GET /api HTTP/1.1""#,
        );
        assert_eq!(r.status, 503);
        assert!(r.failed);
        assert_eq!(r.backend.as_deref(), Some("be/<NOSRV>"));
        assert_eq!(r.latency_ms, Some(0.0));

        // Ta of -1: not available.
        let (_, r) = req(
            r#"10.0.0.1:5000 [06/Feb/2009:12:14:14.655] fe be/s1 0/0/0/-1/-1 504 194 - - sH-- 1/1/1/1/0 0/0 "GET / HTTP/1.1""#,
        );
        assert_eq!(r.latency_ms, None);
        assert!(r.failed);

        // Status -1 (client abort since 2.5): status 0, failed only for a
        // server-side termination.
        let abort = |state: &str| {
            format!(
                r#"10.0.0.1:5000 [06/Feb/2009:12:14:14.655] fe be/s1 3/0/1/-1/+9 -1 0 - - {state} 1/1/1/1/0 0/0 "POST /upload HTTP/1.1""#
            )
        };
        for (state, failed) in [
            ("CH--", false),
            ("cD--", false),
            ("SH--", true),
            ("--", false),
        ] {
            let line = abort(state);
            let (_, r) = req(&line);
            assert_eq!(r.status, 0);
            assert_eq!(r.failed, failed, "{state}");
            assert_eq!(r.latency_ms, Some(9.0));
        }

        // Timeouts and refusals in TCP mode; client-side ends are not failures.
        let tcp = |state: &str| {
            format!("10.0.0.1:5000 [06/Feb/2009:12:14:14.655] fe be/s1 0/-1/10001 0 {state} 0/0/0/0/3 0/0")
        };
        for (state, failed) in [
            ("sC", true),
            ("SC", true),
            ("sQ", true),
            ("SH", true),
            ("PR", true),
            ("CD", false),
            ("cD", false),
            ("LR", false),
            ("--", false),
        ] {
            assert_eq!(req(&tcp(state)).1.failed, failed, "{state}");
        }

        // A TCP line without termination state (custom format): unknown, not failed.
        let (_, r) = req("10.0.0.1:5000 [06/Feb/2009:12:14:14.655] fe be/s1 0/0/12 300");
        assert!(!r.failed);
        assert_eq!(r.latency_ms, Some(12.0));

        // HAProxy <=1.6 timers Tq/Tw/Tc/Tr/Tt in the same slots, no captures,
        // truncated request (HAProxy cuts long lines), IPv6 client.
        let (_, r) = req(
            r#"::1:56789 [06/Feb/2009:12:14:14.655] fe be/s1 5/0/1/2/8 502 0 - - SH-- 0/0/0/0/0 0/0 "GET /very/long/path?q=1"#,
        );
        assert_eq!(r.client.as_deref(), Some("::1"));
        assert!(r.failed);
        assert_eq!(r.path.as_deref(), Some("/very/long/path?q=1"));

        // A bad request has no method or path.
        let (_, r) = req(
            r#"10.0.0.1:5000 [06/Feb/2009:12:14:14.655] fe fe/<NOSRV> -1/-1/-1/-1/0 400 187 - - PR-- 0/0/0/0/0 0/0 "<BADREQ>""#,
        );
        assert_eq!((r.status, r.method, r.path), (400, None, None));
    }

    #[test]
    fn header_captures_with_spaces_and_custom_fields() {
        let line = r#"1.2.3.4:27368 [15/Dec/2021:16:55:17.995] frontendname~ backendname/server1 24/0/0/3/27 304 453 - - ---- 27/1/1/0/0 0/0 {|Mozilla/5.0 (Windows NT 10.0; Win64; x64) "quoted"} {a b} "GET /image.png HTTP/1.1" TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 R-<someID>"#;
        let (_, r) = req(line);
        assert_eq!(r.status, 304);
        assert_eq!(r.path.as_deref(), Some("/image.png"));

        // An extra token between backend/server and the timers; `-` client.
        let (_, r) = req(
            r#"-:22222 [22/May/2021:02:22:22.222] www-https~ myapp/node2 site.domain.com 0/0/0/18/18 200 200 - - ---- 222/222/2/0/0 0/0 "OPTIONS /api/v2/app/ HTTP/1.1""#,
        );
        assert_eq!(r.client, None);
        assert_eq!(r.backend.as_deref(), Some("myapp/node2"));
        assert_eq!(r.method.as_deref(), Some("OPTIONS"));
        assert_eq!(r.latency_ms, Some(18.0));
    }

    #[test]
    fn notices_from_the_docs() {
        let (at, m) = msg(parse(
            "Feb 11 15:29:37 shopblocks haproxy[32442]: [WARNING] 041/152937 (32442) : Reexecuting Master process",
        ));
        assert_eq!(at, "2024-02-11T15:29:37Z");
        assert_eq!(m.level, Some(Level::Warn));
        assert_eq!(m.text, "Reexecuting Master process");
        assert_eq!(field(&m, "host"), Some("shopblocks"));

        let (_, m) = msg(parse(
            "Feb 11 15:29:37 shopblocks haproxy[32442]: Proxy http started.",
        ));
        assert_eq!((m.level, m.text.as_ref()), (None, "Proxy http started."));
        assert_eq!(field(&m, "proxy"), Some("http"));

        let (_, m) = msg(parse(
            "Feb 11 15:29:37 shopblocks haproxy[32499]: Stopping frontend http in 0 ms.",
        ));
        assert_eq!(field(&m, "frontend"), Some("http"));

        // The syslog severity gives the level when there is no `[LEVEL]`.
        let (_, m) = msg(parse(
            "<129>Feb 11 15:29:40 haproxy[32499]: Server app/web1 is DOWN, reason: Layer4 timeout, check duration: 2001ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        ));
        assert_eq!(m.level, Some(Level::Alert));
        assert_eq!(field(&m, "backend"), Some("app"));
        assert_eq!(field(&m, "server"), Some("web1"));

        for (line, backend, server) in [
            ("Feb 11 15:29:41 lb haproxy[1]: Server app/web1 is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. 1 active and 0 backup servers online.", "app", Some("web1")),
            ("Feb 11 15:29:41 lb haproxy[1]: Health check for server app/web2 failed, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms, status: 0/2 DOWN.", "app", Some("web2")),
            ("Feb 11 15:29:41 lb haproxy[1]: backend 'app' has no server available!", "app", None),
            ("Feb 11 15:29:41 lb haproxy[1]: backend app has no server available!", "app", None),
        ] {
            let (_, m) = msg(parse(line));
            assert_eq!(field(&m, "backend"), Some(backend), "{line}");
            assert_eq!(field(&m, "server"), server, "{line}");
        }
    }

    #[test]
    fn stderr_notices() {
        // Newer: no time; the previous record's time is used.
        let down = r#"[WARNING]  (301) : Server solacescalable_default-default-8443-pub_8443/SRV_2 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."#;
        let mut c = ctx();
        assert_eq!(Haproxy.parse(down.as_bytes(), &mut c), Parsed::Unparsed);
        c.last_at = Some(1_700_000_000_000_000);
        let (at, m) = msg(Haproxy.parse(down.as_bytes(), &mut c));
        assert_eq!(at, "2023-11-14T22:13:20Z");
        assert_eq!(m.level, Some(Level::Warn));
        assert!(m.text.starts_with("Server solacescalable"));
        assert_eq!(
            field(&m, "backend"),
            Some("solacescalable_default-default-8443-pub_8443")
        );
        assert_eq!(field(&m, "server"), Some("SRV_2"));

        let alert = "[ALERT]    (301) : backend 'solacescalable_default-default-8443-pub_8443' has no server available!";
        let (_, m) = msg(Haproxy.parse(alert.as_bytes(), &mut c));
        assert_eq!(m.level, Some(Level::Alert));
        assert_eq!(
            field(&m, "backend"),
            Some("solacescalable_default-default-8443-pub_8443")
        );

        for (line, text) in [
            ("[NOTICE]   (73) : Reloading HAProxy", "Reloading HAProxy"),
            (
                "[NOTICE]   (73) : New worker (23091) forked",
                "New worker (23091) forked",
            ),
            ("[NOTICE]   (73) : Loading success.", "Loading success."),
        ] {
            let (_, m) = msg(Haproxy.parse(line.as_bytes(), &mut c));
            assert_eq!((m.level, m.text.as_ref()), (Some(Level::Notice), text));
        }

        // Older: day-of-year (from 0) and time, the year from the anchor.
        let old = "[ALERT] 279/142102 (8) : backend 'check_if_redis_is_master_1' has no server available!";
        let (at, m) = msg(parse(old));
        assert_eq!(
            at, "2023-10-07T14:21:02Z",
            "2023 is the year before the anchor"
        );
        assert_eq!(field(&m, "backend"), Some("check_if_redis_is_master_1"));
        assert_eq!(m.level, Some(Level::Alert));
    }

    #[test]
    fn day_of_year_with_absurd_anchors_does_not_overflow() {
        // The anchor can be a file's modification time: any number.
        for end in [i64::MIN, i64::MAX, i64::MAX / 86_400, -1] {
            let mut c = TimeCtx::new(Zone::Utc, YearAnchor::End(end));
            let _ = Haproxy.parse(
                b"[ALERT] 365/235959 (8) : backend 'x' has no server available!",
                &mut c,
            );
        }
    }

    #[test]
    fn day_of_year_rolls_over() {
        let end = civil_to_secs(2025, 1, 2, 12, 0, 0).unwrap();
        let mut c = TimeCtx::new(Zone::Utc, YearAnchor::End(end));
        let at = |line: &str, c: &mut TimeCtx| {
            Haproxy.parse(line.as_bytes(), c).at().map(format_rfc3339)
        };
        // 2024 is a leap year: day 365 (from 0) is 31 December.
        assert_eq!(
            at(
                "[WARNING] 365/235959 (1) : Stopping backend app in 0 ms.",
                &mut c
            ),
            Some("2024-12-31T23:59:59Z".into())
        );
        assert_eq!(
            at("[WARNING] 000/000001 (1) : Proxy app started.", &mut c),
            Some("2025-01-01T00:00:01Z".into())
        );
        let mut c = TimeCtx::new(
            Zone::Fixed(3600),
            YearAnchor::Start {
                year: 2024,
                first_month: 12,
            },
        );
        assert_eq!(
            at("[WARNING] 365/235959 (1) : x", &mut c),
            Some("2024-12-31T22:59:59Z".into())
        );
        assert_eq!(
            at("[WARNING] 000/000001 (1) : x", &mut c),
            Some("2024-12-31T23:00:01Z".into())
        );
    }

    #[test]
    fn parse_payload_for_syslog_handover() {
        let mut c = ctx();
        let p = parse_payload(b"Proxy http started.", Some(42), &mut c);
        assert_eq!(p.at(), Some(42));
        assert_eq!(
            parse_payload(b"Proxy http started.", None, &mut c),
            Parsed::Unparsed
        );
        let raw = HTTP_DOC.split_once(": ").unwrap().1;
        assert!(matches!(
            parse_payload(raw.as_bytes(), Some(42), &mut c),
            Parsed::Request {
                request: Request { status: 200, .. },
                ..
            }
        ));
    }

    #[test]
    fn not_haproxy() {
        for line in [
            "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
            "2018-08-14T14:30:02.203151+02:00 linux-sqrz systemd[4179]: Stopped target Basic System.",
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
            "2020/05/07 03:15:12 [error] 1234#0: *1 connect() failed",
            r#"{"level":"error","msg":"boom"}"#,
            "Proxy http started.",
            "[ERROR] something",
            "10.0.0.1:5000 [06/Feb/2009:12:14:14.655] fe be/s1 not timers",
            "10.0.0.1:5000 [06/Feb/2009:12:14:14.655] fe be/s1 1/2/3/4/5 abc",
            "",
        ] {
            assert_eq!(parse(line), Parsed::Unparsed, "{line}");
        }
    }

    // -----------------------------------------------------------------------
    // Corpus

    fn corpus(dir: &str) -> Option<std::path::PathBuf> {
        crate::format::timestamped::test_support::corpus_folder(dir)
    }

    /// (byte offset, line) of every non-blank line.
    fn lines(data: &[u8]) -> Vec<(usize, &[u8])> {
        let mut out = Vec::new();
        let mut offset = 0;
        for raw in data.split(|&c| c == b'\n') {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if !crate::format::is_blank(line) {
                out.push((offset, line));
            }
            offset += raw.len() + 1;
        }
        out
    }

    fn expected(path: &std::path::Path) -> Vec<serde_json::Value> {
        let mut p = path.as_os_str().to_owned();
        p.push("-expected.json");
        let text = std::fs::read_to_string(p).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn corpus_files() {
        let Some(dir) = corpus("haproxy") else {
            return;
        };
        let mut requests = 0;
        for name in ["default.log", "haproxy.log", "tcplog.log"] {
            let path = dir.join(name);
            let data = std::fs::read(&path).unwrap();
            let expected = expected(&path);
            for (offset, line) in lines(&data) {
                let want = expected
                    .iter()
                    .find(|e| e["log.offset"].as_u64() == Some(offset as u64));
                let zone = want
                    .and_then(|e| e["event.timezone"].as_str())
                    .map_or(Zone::Utc, |z| Zone::parse(z).unwrap());
                let mut c = TimeCtx::new(zone, YearAnchor::End(0));
                let parsed = Haproxy.parse(line, &mut c);
                assert_ne!(parsed, Parsed::Unparsed, "{name}@{offset}");
                // syslog hands the same lines to this parser.
                assert_eq!(Syslog.parse(line, &mut c), parsed, "{name}@{offset}");
                let Some(want) = want else { continue };
                if let Some(ts) = want["@timestamp"].as_str() {
                    let ts = parse_text_timestamp(ts, &mut c).unwrap();
                    assert_eq!(parsed.at().map(|a| a / 1000), Some(ts / 1000));
                }
                match &parsed {
                    Parsed::Request { request, .. } => {
                        requests += 1;
                        let status = want["http.response.status_code"].as_u64().unwrap_or(0);
                        assert_eq!(request.status as u64, status, "{name}@{offset}");
                        if let Some(d) = want["event.duration"].as_f64() {
                            assert_eq!(request.latency_ms, Some(d / 1e6), "{name}@{offset}");
                        }
                        let ip = want["source.ip"].as_str();
                        assert_eq!(request.client.as_deref(), ip, "{name}@{offset}");
                        let be = want["haproxy.backend_name"].as_str().unwrap();
                        let srv = want["haproxy.server_name"].as_str().unwrap();
                        assert_eq!(
                            request.backend.as_deref(),
                            Some(format!("{be}/{srv}").as_str())
                        );
                        assert_eq!(
                            request.method.as_deref(),
                            want["http.request.method"].as_str()
                        );
                    }
                    Parsed::Message { message, .. } => {
                        assert_eq!(name, "default.log");
                        assert_eq!(field(message, "frontend"), Some("main"));
                        assert_eq!(field(message, "client"), Some("1.2.3.4"));
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(requests, 11, "10 in haproxy.log with expectations, 1 tcp");

        // Timestamps (the expectations carry none for these files): the
        // bracketed date, in the file's zone, or in the ISO header's offset.
        let data = std::fs::read(dir.join("haproxy.log")).unwrap();
        let all = lines(&data);
        let mut c = TimeCtx::new(Zone::parse("-02:00").unwrap(), YearAnchor::End(0));
        let first = Haproxy.parse(all[0].1, &mut c).at().map(format_rfc3339);
        assert_eq!(first.as_deref(), Some("2018-07-30T11:03:52.726Z"));
        let last = Haproxy.parse(all[10].1, &mut c).at().map(format_rfc3339);
        assert_eq!(last.as_deref(), Some("2021-12-15T15:55:17.995Z"));
    }

    #[test]
    fn detection() {
        let Some(dir) = corpus("haproxy") else {
            return;
        };
        for name in ["default.log", "haproxy.log", "tcplog.log"] {
            let data = std::fs::read(dir.join(name)).unwrap();
            let sample: Vec<&[u8]> = lines(&data).into_iter().map(|(_, l)| l).collect();
            let found = detect(&sample, &mut ctx()).map(|f| f.name());
            assert_eq!(found, Some("haproxy"), "{name}");
        }
        let raw: Vec<&[u8]> = [HTTP_DOC, TCP_DOC, TCP_NOSRV]
            .iter()
            .map(|l| l.split_once(": ").unwrap().1.as_bytes())
            .collect();
        assert_eq!(detect(&raw, &mut ctx()).map(|f| f.name()), Some("haproxy"));
    }

    // -----------------------------------------------------------------------
    // Never panic

    const REAL: &[&str] = &[
        HTTP_DOC,
        HTTP_H2,
        TCP_DOC,
        TCP_NOSRV,
        r#"2021-12-15T16:55:18+01:00 host.example.com haproxy[20560]: 1.2.3.4:27368 [15/Dec/2021:16:55:17.995] frontendname~ backendname/server1 24/0/0/3/27 304 453 - - ---- 27/1/1/0/0 0/0 {|Mozilla/5.0 (Windows NT 10.0; Win64; x64)} "GET /image.png HTTP/1.1" TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 R-<someID>"#,
        "[ALERT] 279/142102 (8) : backend 'check_if_redis_is_master_1' has no server available!",
        "[NOTICE]   (73) : New worker (23091) forked",
        "Feb 11 15:29:37 shopblocks haproxy[32442]: [WARNING] 041/152937 (32442) : Reexecuting Master process",
        "Sep 20 15:42:59 1.2.3.4 haproxy[24551]: Connect from 1.2.3.4:40780 to 1.2.3.4:5000 (main/HTTP)",
    ];

    fn mutated() -> impl Strategy<Value = Vec<u8>> {
        crate::format::testing::mutated_line(REAL)
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut c = ctx();
            c.last_at = Some(0);
            let _ = Haproxy.parse(&line, &mut c);
            let _ = parse_payload(&line, Some(0), &mut c);
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated()) {
            let mut c = ctx();
            c.last_at = Some(0);
            let _ = Haproxy.parse(&line, &mut c);
            let _ = parse_payload(&line, None, &mut c);
        }
    }
}
