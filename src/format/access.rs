//! nginx and Apache access logs: the CLF family (common, combined, combined
//! plus trailing fields) and the upstream fields nginx setups append
//! (`$upstream_addr $upstream_status $request_time ...`, ingress-nginx
//! `upstreaminfo`, `key=value` suffixes).
//!
//! Real files rarely stick to one layout: hosts prefix a vhost, proxies
//! prepend `X-Forwarded-For` lists, and everyone appends their own fields.
//! So the line is read around its anchor, the CLF timestamp
//! `[dd/Mon/yyyy:HH:MM:SS ±zzzz]`: the client comes from what precedes it,
//! then the quoted request, status and bytes follow, and the fields after the
//! user agent are classified by shape rather than by position.
//!
//! This is the hot path: everything is byte-level, one pass over the line,
//! and every text field borrows from the line.

use crate::format::lex::{
    decimal, find_byte, ip_of, is_count, is_public, leading_spaces, method_path, next_token,
    quoted_token, skip_spaces, split_port, status3, text, trim_spaces,
};
use crate::format::{LogFormat, Role};
use crate::record::{Parsed, Request};
use crate::time::{parse_clf, Micros, Stamp, TimeCtx};

/// nginx and Apache access logs (common, combined, upstream fields, ingress-nginx upstreaminfo).
pub struct Access;

impl LogFormat for Access {
    fn name(&self) -> &'static str {
        "nginx_access"
    }

    fn description(&self) -> &'static str {
        "nginx and Apache access logs (common, combined, upstream fields, ingress-nginx upstreaminfo)"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_line(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

fn parse_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    // A JSON line may quote a whole access line; it belongs to the JSON reader.
    if line.first() == Some(&b'{') {
        return None;
    }
    if let Some(parsed) = fast_combined(line, ctx) {
        return Some(parsed);
    }
    let (open, stamp, after) = find_clf(line)?;
    let at = ctx.resolve(stamp);
    let rest = line.get(after..)?;
    if open == 0 {
        timestamp_first(rest, at, ctx.details)
    } else {
        standard(line.get(..open)?, rest, at, ctx.details)
    }
}

/// The common layout, read strictly and fast: `client ident user [time]
/// "request" status bytes "referer" "user agent"`, optionally followed by
/// exactly `$upstream_addr $upstream_status $request_time
/// $upstream_response_time` for one upstream. Anything else (lists,
/// vhosts, other trailing fields, `-` values) returns `None` and goes to
/// the general reader, which gives the same record for these lines (a test
/// checks that).
fn fast_combined<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let sp = find_byte(b' ', line)?;
    let client = line.get(..sp)?;
    if client.is_empty() || client.iter().any(|c| matches!(c, b',' | b'"' | b'[')) {
        return None;
    }
    let rest = line.get(sp + 1..)?;
    let ident_end = find_byte(b' ', rest)?;
    let rest = rest.get(ident_end + 1..)?;
    let user_end = find_byte(b' ', rest)?;
    let rest = rest.get(user_end + 1..)?;
    let body = rest.strip_prefix(b"[")?;
    // Consecutive lines mostly share their second: reuse the last result.
    let close = find_byte(b']', body)?;
    let date = body.get(..close)?;
    let at = match ctx.recall(date) {
        Some(at) => at,
        _ => {
            let (stamp, n) = parse_clf(body)?;
            if n != close {
                return None;
            }
            let at = ctx.resolve(stamp);
            ctx.remember(date, at);
            at
        }
    };
    let rest = body.get(close..)?.strip_prefix(b"] ")?;
    let (req, rest) = quoted_token(rest)?;
    let (status_tok, rest) = next_token(rest);
    let status = status3(status_tok)?;
    let (bytes_tok, rest) = next_token(rest);
    if !is_count(bytes_tok) {
        return None;
    }
    let (_referer, rest) = quoted_token(rest)?;
    let (_agent, rest) = quoted_token(rest)?;
    let mut tail = Tail::default();
    if !rest.is_empty() {
        let (addr, rest) = next_token(rest);
        let (up_status, rest) = next_token(rest);
        let (rt, rest) = next_token(rest);
        let (urt, rest) = next_token(rest);
        let simple_addr = !addr.is_empty()
            && addr.first().is_some_and(u8::is_ascii_digit)
            && !addr.contains(&b',')
            && is_upstream_addr(addr);
        if !rest.is_empty() || !simple_addr || status3(up_status).is_none() {
            return None;
        }
        let (Some(rt), Some(urt)) = (decimal(rt), decimal(urt)) else {
            return None;
        };
        if rt.frac_digits != 3
            || urt.frac_digits != 3
            || rt.int >= 1_000_000
            || urt.int >= 1_000_000
        {
            return None;
        }
        tail.backend = Some(addr);
        tail.latency_ms = Some(rt.ms().max(urt.ms()));
    }
    // Without a colon there is no port to strip (and no IPv6 to read).
    let client = if client.contains(&b':') {
        host_of(client)
    } else {
        client
    };
    Some(request(at, status, req, client, tail, ctx.details))
}

/// The first `[dd/Mon/yyyy:HH:MM:SS zone]` that starts the line or follows a
/// space: (index of `[`, stamp, index after `]`).
fn find_clf(line: &[u8]) -> Option<(usize, Stamp, usize)> {
    for i in memchr::memchr_iter(b'[', line) {
        if i > 0 && line.get(i - 1) != Some(&b' ') {
            continue;
        }
        let body = line.get(i + 1..)?;
        if !body.first().is_some_and(u8::is_ascii_digit) {
            continue;
        }
        if let Some((stamp, n)) = parse_clf(body) {
            if body.get(n) == Some(&b']') {
                return Some((i, stamp, i + n + 2));
            }
        }
    }
    None
}

/// `client... ident user [time] "request" status bytes ...`
fn standard<'a>(prefix: &'a [u8], rest: &'a [u8], at: Micros, details: bool) -> Option<Parsed<'a>> {
    // `%l` and `%u` are the two tokens just before the time; whatever
    // precedes them names the client (possibly with a vhost or a list).
    let (prefix, _user) = split_last_token(prefix);
    let (client_part, _ident) = split_last_token(prefix);
    if client_part.is_empty() {
        return None;
    }
    let rest = skip_spaces(rest.strip_prefix(b" ")?);
    let (req, rest) = quoted_token(rest)?;
    let (status_tok, rest) = next_token(rest);
    // `-`: the server logged the request without a status (it never
    // answered, or the field was empty): a request with status 0.
    let status = match status_tok {
        b"-" => 0,
        s => status3(s)?,
    };
    let tail = parse_tail(rest, status);
    let client = choose_client(tail.xff, client_part);
    Some(request(at, status, req, client, tail, details))
}

/// Apache `ssl_request_log` and relatives: `[time] client ... "request" ...`.
fn timestamp_first(rest: &[u8], at: Micros, details: bool) -> Option<Parsed<'_>> {
    let rest = skip_spaces(rest.strip_prefix(b" ")?);
    let (client, mut r) = next_token(rest);
    // Lines that merely start with a CLF date (application logs) are not
    // requests: insist on an address and a request line.
    let (client, _) = ip_of(client)?;
    let mut skipped = 0;
    while r.first() != Some(&b'"') {
        if r.is_empty() || skipped == 6 {
            return None;
        }
        r = next_token(r).1;
        skipped += 1;
    }
    let (req, r) = quoted_token(r)?;
    if !(req.is_empty() || req == b"-" || method_path(req).0.is_some()) {
        return None;
    }
    // ssl_request_log ends with `%b` and has no status: a 3-digit number is
    // only taken as the status when a byte count follows it.
    let (t1, after1) = next_token(r);
    let (t2, _) = next_token(after1);
    let (status, tail) = match status3(t1) {
        Some(s) if (100..600).contains(&s) && is_count(t2) => (s, after1),
        _ => (0, r),
    };
    let tail = parse_tail(tail, status);
    Some(request(at, status, req, client, tail, details))
}

fn request<'a>(
    at: Micros,
    status: u16,
    req: &'a [u8],
    client: &'a [u8],
    tail: Tail<'a>,
    details: bool,
) -> Parsed<'a> {
    let (method, path) = if details {
        method_path(req)
    } else {
        (None, None)
    };
    Parsed::Request {
        at,
        request: Request {
            status,
            // Status 0 here means "not logged", not "no response".
            failed: status >= 500,
            backend: tail.backend.map(text),
            client: Some(text(client)),
            latency_ms: tail.latency_ms,
            method,
            path,
        },
    }
}

// ---------------------------------------------------------------------------
// Fields after the status

/// What the fields after the status say about the upstream and the client.
#[derive(Debug, Default)]
struct Tail<'a> {
    backend: Option<&'a [u8]>,
    latency_ms: Option<f64>,
    /// A quoted `X-Forwarded-For` list right after the user agent.
    xff: Option<&'a [u8]>,
}

/// One field after the user agent.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Item<'a> {
    Quoted(&'a [u8]),
    Bracket(&'a [u8]),
    /// `key=value` or `key="value"` (quotes removed).
    Kv(&'a [u8], &'a [u8]),
    /// A bare token, or a list of them joined by `, ` or ` : ` (nginx's
    /// shape for several upstream attempts), kept as one slice.
    Bare(&'a [u8]),
}

/// Reads bytes, referer and user agent, then classifies the trailing fields
/// in one pass. Named (`key=value`) fields win over positional guesses.
fn parse_tail(rest: &[u8], status: u16) -> Tail<'_> {
    let mut r = rest;
    let (tok, after) = next_token(r);
    if is_count(tok) {
        r = after;
    }
    let mut quoted = 0;
    while quoted < 2 {
        match quoted_token(r) {
            Some((_, after)) => {
                r = after;
                quoted += 1;
            }
            None => break,
        }
    }
    let mut tail = Tail::default();
    let mut kv_rt = None;
    let mut kv_urt = None;
    let mut kv_backend: Option<&[u8]> = None;
    let mut pos_rt: Option<f64> = None;
    let mut pos_urt = None;
    let mut pos_addr = None;
    let mut group = None;
    let mut url_backend = None;
    let mut unit_ms = None;
    let mut prev_word: Option<&[u8]> = None;
    let mut first = quoted == 2;
    while let Some((item, after)) = next_item(r) {
        r = after;
        let mut word = None;
        match item {
            Item::Quoted(q) => {
                if first && is_ip_list(q) {
                    tail.xff = Some(q);
                } else if url_backend.is_none() {
                    // Traefik's `"router" "http://10.0.0.5:8080"`: the server URL.
                    url_backend = url_host(q);
                }
            }
            Item::Bracket(_) => {}
            Item::Kv(key, value) => {
                if key_is(key, &[b"rt", b"request_time", b"req_time", b"reqtime"]) {
                    kv_rt = kv_rt.or(decimal(value).map(|d| d.ms()));
                } else if key_is(key, &[b"urt", b"upstream_response_time", b"upstream_time"]) {
                    kv_urt = kv_urt.or(sum_times_ms(value));
                } else if key_is(
                    key,
                    &[
                        b"upstream",
                        b"upstream_addr",
                        b"upstream_address",
                        b"upstream_host",
                        b"backend",
                    ],
                ) || (key_is(key, &[b"ua"]) && is_addr_list(value))
                {
                    kv_backend = kv_backend.or(last_elem(value));
                }
            }
            Item::Bare(b) => {
                if b == b"502" {
                    // When nginx cannot select a server, `$upstream_addr`
                    // holds the group name and `$upstream_status` 502.
                    if status >= 500 && group.is_none() {
                        group = prev_word;
                    }
                } else if let Some(d) = decimal(b) {
                    // nginx prints every time with milliseconds; `$msec`
                    // (epoch seconds) has the same shape, hence the bound.
                    if d.frac_digits == 3 && d.int < 1_000_000 {
                        let ms = d.ms();
                        pos_rt = Some(pos_rt.map_or(ms, |m| m.max(ms)));
                    }
                } else if is_list(b) && is_time_list(b) {
                    // Connect, header and response time lists may all be
                    // there; the response time is the longest.
                    if let Some(ms) = sum_times_ms(b) {
                        pos_urt = Some(pos_urt.map_or(ms, |m: f64| m.max(ms)));
                    }
                } else if pos_addr.is_none() && is_addr_list(b) {
                    pos_addr = last_elem(b);
                } else if let Some(ms) = whole_ms(b) {
                    // Traefik ends its lines with the duration, `12ms`.
                    unit_ms = Some(ms);
                } else if is_word(b) {
                    word = Some(b);
                }
            }
        }
        prev_word = word;
        first = false;
    }
    // `$request_time` is at least as long as every upstream time on the
    // line, so the largest single time is the request's.
    tail.latency_ms = kv_rt.or(pos_rt).or(kv_urt).or(pos_urt).or(unit_ms);
    tail.backend = kv_backend.or(pos_addr).or(url_backend).or(group);
    tail
}

/// `host:port` of an `http://host:port[/path]` URL naming an upstream
/// server by address (Traefik's service URL).
fn url_host(q: &[u8]) -> Option<&[u8]> {
    let i = memchr::memmem::find(q, b"://")?;
    let scheme = q.get(..i)?;
    if !matches!(scheme, b"http" | b"https" | b"h2c") {
        return None;
    }
    let rest = q.get(i + 3..)?;
    let host = rest.get(..find_byte(b'/', rest).unwrap_or(rest.len()))?;
    (is_upstream_addr(host) || ip_of(host).is_some()).then_some(host)
}

/// `12ms`: a whole number of milliseconds.
fn whole_ms(b: &[u8]) -> Option<f64> {
    let digits = b.strip_suffix(b"ms")?;
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The next field after `b`'s leading spaces, and the rest. `None` at the
/// end, or at an unclosed quote or bracket (a truncated line).
fn next_item(b: &[u8]) -> Option<(Item<'_>, &[u8])> {
    let b = skip_spaces(b);
    match *b.first()? {
        b'"' => {
            let (q, rest) = quoted_token(b)?;
            Some((Item::Quoted(q), rest))
        }
        // `[name]`, but not `[v6]:port`, which is an address.
        b'[' if find_byte(b']', b)
            .is_some_and(|end| matches!(b.get(end + 1), None | Some(b' '))) =>
        {
            let end = find_byte(b']', b)?;
            Some((Item::Bracket(b.get(1..end)?), b.get(end + 1..)?))
        }
        _ => {
            let tok_end = find_byte(b' ', b).unwrap_or(b.len());
            let tok = b.get(..tok_end)?;
            if let Some(eq) = find_byte(b'=', tok) {
                let key = tok.get(..eq)?;
                if is_key(key) {
                    let v = b.get(eq + 1..)?;
                    if v.first() == Some(&b'"') {
                        let (q, rest) = quoted_token(v)?;
                        return Some((Item::Kv(key, q), rest));
                    }
                    let end = list_extent(v);
                    return Some((Item::Kv(key, v.get(..end)?), v.get(end..)?));
                }
            }
            let end = list_extent(b);
            Some((Item::Bare(b.get(..end)?), b.get(end..)?))
        }
    }
}

/// Length of the token at the start of `b` together with any `, `- or
/// ` : `-joined continuation.
fn list_extent(b: &[u8]) -> usize {
    let token_end = |from: usize| -> usize {
        b.get(from..)
            .and_then(|s| find_byte(b' ', s))
            .map_or(b.len(), |i| from + i)
    };
    let mut end = token_end(0);
    loop {
        if end == 0 {
            return 0;
        }
        let after = end + leading_spaces(b.get(end..).unwrap_or_default());
        let Some(&next) = b.get(after) else {
            return end;
        };
        if b.get(end - 1) == Some(&b',') {
            if next == b'"' || next == b'[' {
                return end;
            }
            end = token_end(after);
        } else if next == b':' && matches!(b.get(after + 1), None | Some(b' ')) {
            let next_start = after + 1 + leading_spaces(b.get(after + 1..).unwrap_or_default());
            if next_start >= b.len() {
                return end;
            }
            end = token_end(next_start);
        } else {
            return end;
        }
    }
}

/// Elements of an nginx list value (`a, b, c`, `a : b`), trimmed.
fn list_elems(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    b.split(|&c| c == b',')
        .flat_map(|chunk| ColonSplit { rest: Some(chunk) })
        .map(trim_spaces)
        .filter(|e| !e.is_empty())
}

/// Splits at ` : ` (but not at the colons inside `ip:port` or `[v6]`).
struct ColonSplit<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for ColonSplit<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let b = self.rest?;
        let mut from = 0;
        while let Some(i) = b.get(from..).and_then(|s| memchr::memchr(b':', s)) {
            let i = from + i;
            let spaced_before = i > 0 && b.get(i - 1) == Some(&b' ');
            let spaced_after = matches!(b.get(i + 1), None | Some(b' '));
            if spaced_before && spaced_after {
                self.rest = b.get(i + 1..);
                return b.get(..i);
            }
            from = i + 1;
        }
        self.rest = None;
        Some(b)
    }
}

/// The element that answered last, or `None` for `-`.
fn last_elem(b: &[u8]) -> Option<&[u8]> {
    list_elems(b).last().filter(|e| *e != b"-")
}

fn is_list(b: &[u8]) -> bool {
    memchr::memchr2(b',', b' ', b).is_some()
}

fn is_time_list(b: &[u8]) -> bool {
    let mut any = false;
    for e in list_elems(b) {
        if e == b"-" {
            continue;
        }
        match decimal(e) {
            Some(d) if d.frac_digits > 0 => any = true,
            _ => return false,
        }
    }
    any
}

/// Total of a time list (seconds) in ms: the time spent on all attempts.
fn sum_times_ms(b: &[u8]) -> Option<f64> {
    let mut total = None;
    for e in list_elems(b) {
        if e == b"-" {
            continue;
        }
        let ms = decimal(e)?.ms();
        total = Some(total.unwrap_or(0.0) + ms);
    }
    total
}

/// Every element is an upstream address: `ip:port`, `[v6]:port`, `unix:path`.
fn is_addr_list(b: &[u8]) -> bool {
    let mut any = false;
    for e in list_elems(b) {
        if e == b"-" {
            continue;
        }
        if !is_upstream_addr(e) {
            return false;
        }
        any = true;
    }
    any
}

fn is_upstream_addr(e: &[u8]) -> bool {
    if e.starts_with(b"unix:") {
        return e.len() > 5;
    }
    if let Some((host, port)) = split_port(e) {
        return !port.is_empty() && ip_of(host).is_some();
    }
    false
}

/// Every element is an IP address (with or without port).
fn is_ip_list(b: &[u8]) -> bool {
    let mut any = false;
    for e in b.split(|&c| c == b',').map(trim_spaces) {
        if e.is_empty() {
            continue;
        }
        if ip_of(e).is_none() {
            return false;
        }
        any = true;
    }
    any
}

/// A bare word that can be an upstream group name.
fn is_word(b: &[u8]) -> bool {
    b.len() <= 128
        && b.iter().any(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

fn is_key(b: &[u8]) -> bool {
    !b.is_empty()
        && b.len() <= 64
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

fn key_is(key: &[u8], names: &[&[u8]]) -> bool {
    names.iter().any(|n| key.eq_ignore_ascii_case(n))
}

// ---------------------------------------------------------------------------
// Clients

/// Picks the client among the candidates before the time (a vhost, an
/// `X-Forwarded-For` list, the peer address) and a quoted `X-Forwarded-For`
/// after the user agent: the first public address (the real client behind
/// proxies), else the first address, else the first word (`localhost`,
/// `unix:`), as filebeat does.
fn choose_client<'a>(xff: Option<&'a [u8]>, part: &'a [u8]) -> &'a [u8] {
    let is_sep = |c: &u8| matches!(c, b' ' | b',' | b'"');
    if xff.is_none() && !part.iter().any(is_sep) {
        return host_of(part);
    }
    let part = without_vhost(part);
    let mut first_ip = None;
    let mut first_any = None;
    let xff_elems = xff.into_iter().flat_map(|x| x.split(is_sep));
    for e in xff_elems.chain(part.split(is_sep)) {
        if e.is_empty() || e == b"-" {
            continue;
        }
        if let Some((host, ip)) = ip_of(e) {
            if is_public(ip) {
                return host;
            }
            first_ip = first_ip.or(Some(host));
        }
        first_any = first_any.or(Some(e));
    }
    first_ip.or(first_any).unwrap_or(part)
}

/// The candidates before the time without a leading virtual host: when
/// more than one item precedes `%l %u` (a token, a `, `-joined list, a
/// quoted list), a first item that is a single bare token is the server's
/// name or address (Apache's `%v:%p %h`, nginx's `$host $remote_addr`),
/// even when it is an IP address, as filebeat reads it.
fn without_vhost(part: &[u8]) -> &[u8] {
    let part = trim_spaces(part);
    if part.first() == Some(&b'"') {
        return part;
    }
    let (first, rest) = next_token(part);
    if first.ends_with(b",") || rest.is_empty() || rest.first() == Some(&b',') {
        return part;
    }
    rest
}

/// The address without its port when `b` is an address, else `b`.
fn host_of(b: &[u8]) -> &[u8] {
    ip_of(b).map_or(b, |(host, _)| host)
}

/// (everything before the last token, the last token), trailing spaces ignored.
fn split_last_token(b: &[u8]) -> (&[u8], &[u8]) {
    let b = trim_spaces(b);
    match memchr::memrchr(b' ', b) {
        Some(i) => (
            trim_spaces(b.get(..i).unwrap_or_default()),
            b.get(i + 1..).unwrap_or_default(),
        ),
        None => (&[], b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        access_doc_lines, access_family, check, check_in, check_requests, check_requests_with,
        corpus_lines, detect_corpus, each, expected_str, mutated_line, random_bytes, request,
        unparsed, NGINX_ACCESS_DOC as DOC_LINES,
    };
    use crate::time::{YearAnchor, Zone};
    use proptest::prelude::*;

    /// Times are checked in a zone two hours west of UTC.
    fn west() -> TimeCtx {
        TimeCtx::new(Zone::Fixed(-7200), YearAnchor::End(0))
    }

    #[test]
    fn doc_lines() {
        let apache = || {
            request()
                .at("2000-10-10T20:55:36Z")
                .status(200)
                .failed(false)
                .client("127.0.0.1")
                .path("/apache_pb.gif")
                .backend(None)
                .latency(None)
        };
        check_in(
            &Access,
            west,
            &[
                // combined
                (
                    DOC_LINES[0],
                    request()
                        .at("2020-05-07T03:15:12Z")
                        .status(502)
                        .failed(true)
                        .client("172.21.0.1")
                        .method("GET")
                        .path("/")
                        .backend(None)
                        .latency(None),
                ),
                // a vhost before the client
                (
                    DOC_LINES[1],
                    request().status(503).failed(true).client("192.168.33.100"),
                ),
                // ingress-nginx upstreaminfo
                (
                    DOC_LINES[2],
                    request()
                        .status(504)
                        .failed(true)
                        .client("108.162.227.25")
                        .backend("192.168.215.1:80")
                        .latency(14998.0),
                ),
                // Apache common and combined
                (DOC_LINES[3], apache()),
                (DOC_LINES[4], apache()),
            ],
        );
    }

    #[test]
    fn upstream_suffix_layouts() {
        let base = r#"10.1.2.3 - - [09/Mar/2024:08:37:42 +0000] "GET /api HTTP/1.1" 502 157 "-" "curl/8.0""#;
        let cases: &[(&str, Option<&'static str>, Option<f64>)] = &[
            // $upstream_addr $upstream_status $request_time $upstream_response_time
            (" 10.0.1.12:8080 502 0.123 0.122", Some("10.0.1.12:8080"), Some(123.0)),
            // reordered: times first
            (" 0.250 0.249 10.0.1.12:8080 502", Some("10.0.1.12:8080"), Some(250.0)),
            (" 0.002 0.250 10.0.1.12:8080 502", Some("10.0.1.12:8080"), Some(250.0)),
            // retries and an internal redirect
            (
                " 10.0.1.11:8080, 10.0.1.12:8080 : 10.0.2.1:80 502, 502 : 502 3.001 1.000, 1.000 : 1.000",
                Some("10.0.2.1:80"),
                Some(3001.0),
            ),
            // no server could be selected: the group name
            (" backend 502 0.000 -", Some("backend"), Some(0.0)),
            // served without upstream
            (" - - 0.000 -", None, Some(0.0)),
            // upstream time only, as a list
            (" 10.0.1.12:8080, 10.0.1.13:8080 - 0.100, 0.200", Some("10.0.1.13:8080"), Some(300.0)),
            // unix sockets and IPv6
            (" unix:/run/app.sock 502 0.010 0.010", Some("unix:/run/app.sock"), Some(10.0)),
            (" [2001:db8::1]:8080 502 0.010 0.010", Some("[2001:db8::1]:8080"), Some(10.0)),
            // key=value suffixes
            (
                r#" rt=0.123 uct="0.001" uht="0.120" urt="0.122" upstream=10.0.1.12:8080 ua="10.0.1.12:8080" us="200""#,
                Some("10.0.1.12:8080"),
                Some(123.0),
            ),
            (
                r#" request_time=1.5 upstream_response_time=1.499 upstream_addr=10.0.1.12:8080 upstream_status=502"#,
                Some("10.0.1.12:8080"),
                Some(1500.0),
            ),
            (
                r#" upstream_addr="10.0.1.11:80, 10.0.1.12:80" upstream_response_time="0.5, 0.25""#,
                Some("10.0.1.12:80"),
                Some(750.0),
            ),
            (r#" ua="curl/8.0" rt=0.5"#, None, Some(500.0)),
            (r#" upstream=- rt=0.5"#, None, Some(500.0)),
            // an X-Forwarded-For after the user agent, then upstream fields
            (r#" "203.0.113.9, 10.0.0.1" 10.0.1.12:8080 502 0.123 0.122"#, Some("10.0.1.12:8080"), Some(123.0)),
            (r#" "-" 10.0.1.12:8080 502 0.123 0.122"#, Some("10.0.1.12:8080"), Some(123.0)),
            // $msec is not a duration; Apache %D (µs) is not guessed
            (" 1709973462.123", None, None),
            (" 123456", None, None),
        ];
        let rows: Vec<_> = cases
            .iter()
            .map(|&(suffix, backend, latency)| {
                let want = request().status(502).backend(backend).latency(latency);
                (format!("{base}{suffix}"), want)
            })
            .collect();
        check(&Access, &rows);
    }

    #[test]
    fn traefik_common_format() {
        // filebeat's Traefik test log (elastic/beats
        // `filebeat/module/traefik/access/test/test.log`, Apache-2.0).
        check(
            &Access,
            &[
                (
                    r#"192.168.33.1 - - [02/Oct/2017:20:22:07 +0000] "GET /ui/favicons/favicon-16x16.png HTTP/1.1" 304 0 "http://example.com/login" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/61.0.3163.100 Safari/537.36" 262 "Host-host-1" "http://172.19.0.3:5601" 2ms"#,
                    request()
                        .status(304)
                        .client("192.168.33.1")
                        .backend("172.19.0.3:5601")
                        .latency(2.0),
                ),
                (
                    r#"10.0.0.1 - - [02/Oct/2017:20:22:07 +0000] "GET / HTTP/1.1" 502 11 "-" "curl/8.0" 263 "web@docker" "-" 30001ms"#,
                    request()
                        .status(502)
                        .failed(true)
                        .backend(None)
                        .latency(30001.0),
                ),
            ],
        );
    }

    #[test]
    fn dash_status_is_a_request_without_one() {
        check(
            &Access,
            &[
                (
                    r#"10.1.2.3 - - [09/Mar/2024:08:37:42 +0000] "GET /slow HTTP/1.1" - 0 "-" "curl/8.0""#,
                    request()
                        .status(0)
                        .failed(false)
                        .client("10.1.2.3")
                        .path("/slow"),
                ),
                (
                    r#"10.1.2.3 - - [09/Mar/2024:08:37:42 +0000] "GET / HTTP/1.1" -- 0"#,
                    unparsed(),
                ),
            ],
        );
    }

    #[test]
    fn a_leading_virtual_host_is_not_the_client() {
        let cases = [
            (
                r#"1.128.3.4 2a02:cf40:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - - [30/Dec/2016:06:47:09 +0000] "GET /test.html HTTP/1.1" 404 8571 "-" "-""#,
                "2a02:cf40:10ff:f00f:0000:0000:0:8000",
            ),
            (
                r#"1.128.3.4:80 127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-""#,
                "127.0.0.1",
            ),
            (
                r#"example.com:80 "10.5.102.222, 175.16.199.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /a HTTP/1.1" 200 25507 "-" "Amazon CloudFront""#,
                "175.16.199.1",
            ),
            (
                r#"www.example.com:443 198.51.100.23 - - [22/Jan/2016:13:18:29 +0000] "GET /a HTTP/1.1" 200 25507 "-" "-""#,
                "198.51.100.23",
            ),
            (
                r#"example.com 10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "-""#,
                "10.0.0.2",
            ),
        ];
        let rows: Vec<_> = cases
            .iter()
            .map(|&(line, client)| (line, request().client(client)))
            .collect();
        check(&Access, &rows);
    }

    #[test]
    fn group_name_needs_a_failure() {
        check(
            &Access,
            &[(
                r#"10.1.2.3 - - [09/Mar/2024:08:37:42 +0000] "GET / HTTP/1.1" 200 1 "-" "-" example.com 502"#,
                request().backend(None),
            )],
        );
    }

    #[test]
    fn forwarded_for_names_the_client() {
        check(
            &Access,
            &[
                (
                    r#"10.0.0.5 - - [09/Mar/2024:08:37:42 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.0" "203.0.113.9, 10.0.0.1""#,
                    request().client("203.0.113.9"),
                ),
                (
                    r#"10.0.0.5 - - [09/Mar/2024:08:37:42 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.0" "-""#,
                    request().client("10.0.0.5"),
                ),
                (
                    r#"10.0.0.5 - - [09/Mar/2024:08:37:42 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.0" "example.com""#,
                    request().client("10.0.0.5"),
                ),
            ],
        );
    }

    #[test]
    fn client_lists() {
        let cases = [
            (
                r#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "-""#,
                "10.0.0.2",
            ),
            (
                r#"10.0.0.2, 10.0.0.1, 81.2.69.143 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "-""#,
                "81.2.69.143",
            ),
            (
                r#""10.5.102.222, 175.16.199.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /a HTTP/1.1" 200 25507 "-" "Amazon CloudFront""#,
                "175.16.199.1",
            ),
            (
                r#"2a02:cf40:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - - [30/Dec/2016:06:47:09 +0000] "GET /test.html HTTP/1.1" 404 8571 "-" "-""#,
                "2a02:cf40:10ff:f00f:0000:0000:0:8000",
            ),
            (
                r#"unix: - - [26/Feb/2019:15:39:42 +0100] "hello" 400 173 "-" "-""#,
                "unix:",
            ),
            (
                r#"localhost, localhost - - [29/May/2017:19:02:48 +0000] "GET /test2 HTTP/1.1" 200 612 "-" "-" "-""#,
                "localhost",
            ),
            (
                r#"vhost1.domaine.fr 192.168.33.2 - - [26/Dec/2016:16:22:14 +0000] "GET /hello HTTP/1.1" 404 499 "-" "-""#,
                "192.168.33.2",
            ),
            (
                r#"::1 - - [26/Dec/2016:16:16:29 +0200] "GET /favicon.ico HTTP/1.1" 404 209"#,
                "::1",
            ),
            (
                r#"10.0.0.7:51234 - - [26/Dec/2016:16:16:29 +0200] "GET / HTTP/1.1" 200 209"#,
                "10.0.0.7",
            ),
            (
                r#"[2001:db8::7]:51234 - - [26/Dec/2016:16:16:29 +0200] "GET / HTTP/1.1" 200 209"#,
                "2001:db8::7",
            ),
            (
                r#"Mar  5 10:00:00 web1 nginx: 10.0.0.9 - - [05/Mar/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 209"#,
                "10.0.0.9",
            ),
        ];
        let rows: Vec<_> = cases
            .iter()
            .map(|&(line, client)| (line, request().client(client)))
            .collect();
        check(&Access, &rows);
    }

    #[test]
    fn odd_requests() {
        check(
            &Access,
            &[
                (
                    r#"::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -"#,
                    request().status(408).method(None).path(None),
                ),
                (
                    r#"127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-""#,
                    request().status(400),
                ),
                (
                    r#"1.2.3.4 - - [12/Apr/2018:09:48:40 +0200] "GET /a\"b HTTP/1.1" 200 0 "-" "-""#,
                    request().path("/a\\\"b"),
                ),
                (
                    r#"1.2.3.4 - - [12/Apr/2018:09:48:40 +0200] "\x16\x03\x01\x00\xA5\x01" 400 157 "-" "-""#,
                    request().status(400).method(None),
                ),
                (
                    r#"1.2.3.4 - - [12/Apr/2018:09:48:40 +0200] "GET http://example.com/x?y HTTP/1.1" 200 0"#,
                    request().path("/x?y"),
                ),
                // truncated in the user agent: still a request
                (
                    r#"1.2.3.4 - - [12/Apr/2018:09:48:40 +0200] "GET / HTTP/1.1" 200 0 "-" "Mozilla/5.0 (X11"#,
                    request().status(200),
                ),
            ],
        );
    }

    #[test]
    fn timestamp_first_layout() {
        check_in(
            &Access,
            west,
            &[
                (
                    r#"[10/Aug/2018:09:45:56 +0200] 172.30.0.119 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "GET /nagiosxi/ajaxhelper.php?cmd=x HTTP/1.1" 1375"#,
                    request()
                        .at("2018-08-10T07:45:56Z")
                        .status(0)
                        .failed(false)
                        .client("172.30.0.119")
                        .method("GET"),
                ),
                (
                    r#"[10/Aug/2018:09:45:56 +0200] 172.30.0.119 TLSv1.2 X "GET / HTTP/1.1" 503 1375"#,
                    request().status(503).failed(true),
                ),
                (
                    r#"[10/Aug/2018:09:45:56 +0200] 172.30.0.119 "GET / HTTP/1.1" 200"#,
                    request().status(0),
                ),
            ],
        );
    }

    #[test]
    fn offsetless_stamps_use_the_zone() {
        check_in(
            &Access,
            west,
            &[(
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36] "GET / HTTP/1.1" 200 1"#,
                request().at("2000-10-10T15:55:36Z"),
            )],
        );
    }

    /// Lines of formats other than the access-log ones, from the corpus and
    /// a few written here.
    fn foreign_lines() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = [
            r#"{"time":"2024-03-15T10:00:00Z","level":"error","msg":"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 502 0"}"#,
            r#"{"ClientHost":"1.2.3.4","DownstreamStatus":502,"StartUTC":"2024-12-29T11:42:47.503803974Z"}"#,
            "time=2024-03-15T10:00:00Z level=error msg=\"upstream timed out\" upstream=10.0.1.12:8080",
            "2022/12/14 13:16:29 [error] 1829#1829: *451 no live upstreams while connecting to upstream, client: REDACTED, server: goblin.technology, request: \"GET /api/v1/streaming HTTP/1.1\", upstream: \"http://localhost/api/v1/streaming\", host: \"goblin.technology\"",
            "Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 \"GET /index.html HTTP/1.1\"",
            "10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 \"GET /index.html HTTP/1.1\"",
            "[10/Oct/2000:13:55:36 -0700] INFO \"starting\" worker 3",
            "2024-03-15 10:00:00,123 ERROR [main] c.e.App - request failed \"GET /\" 502",
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
            "",
            "-",
            "\"\"",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        out.extend(corpus_lines(&[
            "nginx/error.log",
            "apache/error-test.log",
            "apache/error-sublevel.log",
            "apache/error-ubuntu-2.2.22.log",
            "haproxy/haproxy.log",
            "haproxy/default.log",
            "haproxy/tcplog.log",
            "syslog/darwin-syslog-sample.log",
            "syslog/iso8601_timestamp_multiline_syslog.log",
            "syslog/suse-syslog.log",
            "syslog/tz-offset.log",
        ]));
        out
    }

    /// Every real line of the access-log formats, for mutation tests.
    fn real_lines() -> &'static [Vec<u8>] {
        static LINES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        LINES.get_or_init(|| {
            let mut out: Vec<Vec<u8>> = access_doc_lines().map(|s| s.as_bytes().to_vec()).collect();
            out.extend(corpus_lines(&[
                "nginx/access-test.log",
                "apache/access-test.log",
                "apache/access-ssl-request.log",
                "apache/access-test-vhost.log",
                "aws-elb/elb-http.log",
                "aws-elb/example-alb-http.log",
                "envoy/envoy.log",
            ]));
            out
        })
    }

    #[test]
    fn rejects_other_formats() {
        let mut ctx = TimeCtx::default();
        for line in foreign_lines() {
            for p in access_family() {
                assert_eq!(
                    p.parse(&line, &mut ctx),
                    Parsed::Unparsed,
                    "{} read {}",
                    p.name(),
                    String::from_utf8_lossy(&line)
                );
            }
        }
    }

    #[test]
    fn rejects_alb_and_envoy_lines() {
        let others = each(
            access_doc_lines().filter(|l| !DOC_LINES.contains(l)),
            unparsed(),
        );
        assert_eq!(others.len(), 6);
        check(&Access, &others);
        let ours = each(DOC_LINES, unparsed());
        for p in &access_family()[1..] {
            check(*p, &ours);
        }
    }

    #[test]
    fn corpus_files() {
        for rel in [
            "nginx/access-test.log",
            "apache/access-test.log",
            "apache/access-ssl-request.log",
            "apache/access-test-vhost.log",
        ] {
            let Some(run) = check_requests(&Access, rel) else {
                return;
            };
            assert_eq!(run.records, run.lines, "{rel}");
            assert_eq!(detect_corpus(rel), Some("nginx_access"), "{rel}");
        }
    }

    #[test]
    fn corpus_clients() {
        for rel in [
            "nginx/access-test.log",
            "apache/access-test.log",
            "apache/access-test-vhost.log",
        ] {
            check_requests_with(&Access, rel, |place, request, e| {
                let want = expected_str(e, "source.ip")
                    .or_else(|| expected_str(e, "source.address"))
                    .unwrap();
                assert_eq!(request.client.as_deref(), Some(want), "{place}");
            });
        }
    }

    #[test]
    fn every_truncation_is_safe() {
        let mut ctx = TimeCtx::default();
        for line in real_lines() {
            let line = line.as_slice();
            for end in 0..=line.len() {
                for p in access_family() {
                    let _ = p.parse(&line[..end], &mut ctx);
                    let _ = p.parse(&line[end..], &mut ctx);
                }
            }
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(
            list_elems(b"a, b : c").collect::<Vec<_>>(),
            vec![&b"a"[..], b"b", b"c"]
        );
        assert_eq!(last_elem(b"[::1]:80, [::2]:80"), Some(&b"[::2]:80"[..]));
        assert_eq!(list_extent(b"a, b : c d"), 8);
        assert_eq!(list_extent(b"a,"), 2);
        assert_eq!(list_extent(b"a :"), 1);
        assert_eq!(split_last_token(b"a b  "), (&b"a"[..], &b"b"[..]));
    }

    /// The fast path must give exactly what the general reader gives.
    fn general(line: &[u8]) -> Option<Parsed<'_>> {
        let mut ctx = TimeCtx::default();
        let (open, stamp, after) = find_clf(line)?;
        let at = ctx.resolve(stamp);
        let rest = line.get(after..)?;
        if open == 0 {
            timestamp_first(rest, at, true)
        } else {
            standard(line.get(..open)?, rest, at, true)
        }
    }

    #[test]
    fn fast_path_agrees_with_the_general_reader() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut lines: Vec<Vec<u8>> = DOC_LINES.iter().map(|l| l.as_bytes().to_vec()).collect();
        for f in [
            "sample-logs/nginx/access.log",
            "tests/fixtures/mini/lb/access.log",
        ] {
            let data = std::fs::read(root.join(f)).expect("fixture");
            lines.extend(
                data.split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| l.to_vec()),
            );
        }
        let mut fast_hits = 0;
        for line in &lines {
            let mut ctx = TimeCtx::default();
            if let Some(fast) = fast_combined(line, &mut ctx) {
                fast_hits += 1;
                assert_eq!(
                    Some(fast),
                    general(line),
                    "{}",
                    String::from_utf8_lossy(line)
                );
            }
        }
        assert!(
            fast_hits > 1000,
            "the fast path took only {fast_hits} lines"
        );
    }

    proptest! {
        #[test]
        fn fast_path_agrees_on_mutated_lines(
            idx in 0..DOC_LINES.len(),
            at in any::<usize>(),
            insert in "[ -~]{0,12}",
        ) {
            let mut line = DOC_LINES[idx].as_bytes().to_vec();
            let at = at % (line.len() + 1);
            line.splice(at..at, insert.bytes());
            let mut ctx = TimeCtx::default();
            if let Some(fast) = fast_combined(&line, &mut ctx) {
                prop_assert_eq!(Some(fast), general(&line));
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(400)) {
            let mut ctx = TimeCtx::default();
            for p in access_family() {
                let _ = p.parse(&bytes, &mut ctx);
            }
        }

        #[test]
        fn fields_swapped_for_edge_values_never_panic(
            pick in any::<prop::sample::Index>(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..6),
        ) {
            const EDGE: &[&str] = &[
                "", "-", "-1", "0", "000", "999", "1.", ".5", "0.000", "\"", "\"\"", "\"-", "[", "]",
                "[]", "[::1]:80", "[::1", ":", " : ", ",", ", ", "=", "a=", "=\"", "ua=\"", "rt=",
                "unix:", "502", "backend", "10.0.0.1:80,", "\\", "\u{e9}", "\u{1F600}",
                "[10/Oct/2000:13:55:36 -0700]", "2018-07-02T22:23:00.186641Z",
            ];
            let lines = real_lines();
            let line = &lines[pick.index(lines.len())];
            let mut fields: Vec<Vec<u8>> = line.split(|&c| c == b' ').map(|f| f.to_vec()).collect();
            for (field, value) in edits {
                let i = field.index(fields.len());
                fields[i] = EDGE[value.index(EDGE.len())].as_bytes().to_vec();
            }
            let line = fields.join(&b' ');
            let mut ctx = TimeCtx::default();
            for p in access_family() {
                let _ = p.parse(&line, &mut ctx);
            }
        }

        #[test]
        fn mutated_real_lines_never_panic(line in mutated_line(real_lines())) {
            let mut ctx = TimeCtx::default();
            for p in access_family() {
                let _ = p.parse(&line, &mut ctx);
            }
        }
    }
}
