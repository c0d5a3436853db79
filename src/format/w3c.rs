//! W3C extended log files, driven by their `#Fields:` header: IIS (and
//! its HTTP.sys `HTTPERR` log), CloudFront standard logs, and whatever else
//! writes the format.
//!
//! A file says what its lines hold: directives (`#Software:`, `#Version:`,
//! `#Date:`, `#Fields:`, `#Remark:`) come first and again whenever the
//! writer restarts, and `#Fields:` names the fields of the lines after it,
//! which may change mid-file. The directives are framing (read, no record);
//! `#Fields:` sets the layout ([`TimeCtx::layout`]) the scan hands to every
//! block that follows. Values never hold the separator (IIS writes `+` for
//! spaces, CloudFront URL-encodes), so a line is its fields split at spaces,
//! or at tabs when it has any (CloudFront).
//!
//! - Times: `date` and `time` fields, UTC (IIS and CloudFront write UTC
//!   whatever the server's zone).
//! - `time-taken`: IIS writes whole milliseconds, CloudFront seconds with a
//!   fraction (`0.102`); a value with a decimal point is read as seconds.
//! - The client is `c-ip`, unless an `x-forwarded-for` field (CloudFront, or
//!   an IIS custom field) names a public address first.
//! - The backend is the server that answered: CloudFront's edge location,
//!   else IIS's `s-computername`, `s-ip`, or `s-sitename`.
//! - A `-` status is a request with no status: status 0, counted in the
//!   traffic and not as a failure, unless the server says it failed it
//!   (HTTPERR's `s-reason`, such as `Connection_Abandoned_By_ReqQueue`
//!   when an application pool died; CloudFront's `Origin…Error` results).
//!
//! A line that does not fit the header in force, or comes without one (a
//! fragment of a file), is read with IIS's default fields when it has
//! exactly their count and shape.

use std::sync::Arc;

use crate::format::lex::{decimal, forwarded_client, ip_of, is_public, status3, text, trim_ascii};
use crate::format::{LogFormat, Role};
use crate::record::{Parsed, Request};
use crate::time::{parse_iso, Micros, TimeCtx};

/// W3C extended log files (IIS, HTTP.sys HTTPERR, CloudFront standard logs).
pub struct W3c;

impl LogFormat for W3c {
    fn name(&self) -> &'static str {
        "w3c"
    }

    fn description(&self) -> &'static str {
        "W3C extended logs driven by their #Fields header (IIS, HTTP.sys HTTPERR, CloudFront standard logs)"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn headers(&self) -> &'static [&'static [u8]] {
        &[b"#Fields:"]
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if line.first() == Some(&b'#') {
            return directive(line, ctx);
        }
        let read = match ctx.layout.as_deref() {
            Some([TAG, roles @ ..]) => read_line(line, roles, false),
            _ => None,
        };
        // A line that does not fit the header in force (or with none) may
        // still be IIS's default fields.
        read.or_else(|| read_line(line, &IIS_DEFAULT, true))
            .and_then(|r| r.into_parsed(ctx))
            .unwrap_or(Parsed::Unparsed)
    }
}

/// The first byte of a layout this format wrote (so that a layout left by
/// another format is never taken for one).
const TAG: u8 = b'W';

/// What a field holds, for the fields this reader uses.
mod role {
    pub const OTHER: u8 = 0;
    pub const DATE: u8 = 1;
    pub const TIME: u8 = 2;
    pub const CLIENT: u8 = 3;
    pub const METHOD: u8 = 4;
    pub const STEM: u8 = 5;
    pub const URI: u8 = 6;
    pub const STATUS: u8 = 7;
    pub const TIME_TAKEN: u8 = 8;
    pub const SERVER_IP: u8 = 9;
    pub const SERVER_NAME: u8 = 10;
    pub const SITE: u8 = 11;
    pub const FORWARDED: u8 = 12;
    pub const EDGE: u8 = 13;
    pub const EDGE_DETAIL: u8 = 14;
    pub const REASON: u8 = 15;
}

/// The role of a field name (`cs(X-Forwarded-For)`, any case).
fn role_of(name: &[u8]) -> u8 {
    let lower = name.to_ascii_lowercase();
    match lower.as_slice() {
        b"date" => role::DATE,
        b"time" => role::TIME,
        b"c-ip" => role::CLIENT,
        b"cs-method" => role::METHOD,
        b"cs-uri-stem" => role::STEM,
        b"cs-uri" => role::URI,
        b"sc-status" => role::STATUS,
        b"time-taken" => role::TIME_TAKEN,
        b"s-ip" => role::SERVER_IP,
        b"s-computername" => role::SERVER_NAME,
        b"s-sitename" => role::SITE,
        b"x-forwarded-for" | b"cs(x-forwarded-for)" => role::FORWARDED,
        b"x-edge-location" => role::EDGE,
        b"x-edge-detailed-result-type" => role::EDGE_DETAIL,
        b"s-reason" => role::REASON,
        _ => role::OTHER,
    }
}

/// IIS's default fields (IIS 7.5 to 10), for lines read without a header:
/// `date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username
/// c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status
/// time-taken`.
const IIS_DEFAULT: [u8; 15] = [
    role::DATE,
    role::TIME,
    role::SERVER_IP,
    role::METHOD,
    role::STEM,
    role::OTHER,
    role::OTHER,
    role::OTHER,
    role::CLIENT,
    role::OTHER,
    role::OTHER,
    role::STATUS,
    role::OTHER,
    role::OTHER,
    role::TIME_TAKEN,
];

/// Directives: `#Fields:` sets the layout; the others are read as they
/// are. Any other `#` line is not this format's.
fn directive<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
    let Some(colon) = memchr::memchr(b':', line) else {
        return Parsed::Unparsed;
    };
    let name = line.get(1..colon).unwrap_or_default();
    let value = trim_ascii(line.get(colon + 1..).unwrap_or_default());
    match name {
        b"Fields" => {
            let mut layout = vec![TAG];
            layout.extend(
                value
                    .split(|&c| c == b' ' || c == b'\t')
                    .filter(|n| !n.is_empty())
                    .map(role_of),
            );
            let roles = layout.get(1..).unwrap_or_default();
            // Every request needs its time.
            if !(roles.contains(&role::DATE) && roles.contains(&role::TIME)) {
                return Parsed::Unparsed;
            }
            ctx.layout = Some(Arc::from(layout));
            Parsed::Framing
        }
        b"Software" | b"Version" | b"Date" | b"Remark" | b"Start-Date" | b"End-Date" => {
            Parsed::Framing
        }
        _ => Parsed::Unparsed,
    }
}

/// The fields of one line that make its request.
#[derive(Default)]
struct Line<'a> {
    date: &'a [u8],
    time: &'a [u8],
    client: Option<&'a [u8]>,
    forwarded: Option<&'a [u8]>,
    method: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
    status: Option<u16>,
    time_taken: Option<&'a [u8]>,
    edge: Option<&'a [u8]>,
    edge_detail: Option<&'a [u8]>,
    server_name: Option<&'a [u8]>,
    server_ip: Option<&'a [u8]>,
    site: Option<&'a [u8]>,
    reason: Option<&'a [u8]>,
}

/// Splits a line into its fields by `roles`. Without a header (`guess`),
/// the line must have exactly the default's fields, a method and a status.
fn read_line<'a>(line: &'a [u8], roles: &[u8], guess: bool) -> Option<Line<'a>> {
    // The first separator tells which one the line uses.
    let sep = match memchr::memchr2(b' ', b'\t', line).and_then(|i| line.get(i)) {
        Some(b'\t') => b'\t',
        _ => b' ',
    };
    let mut l = Line::default();
    let mut n = 0;
    let mut from = 0;
    let ends = memchr::memchr_iter(sep, line).chain(std::iter::once(line.len()));
    for end in ends {
        let value = line.get(from..end).unwrap_or_default();
        from = end + 1;
        let Some(&r) = roles.get(n) else {
            // Trailing empty fields (a tab too many) are harmless; more
            // values than names is another layout.
            if value.is_empty() {
                continue;
            }
            return None;
        };
        n += 1;
        let v = (value != b"-" && !value.is_empty()).then_some(value);
        match r {
            role::DATE => l.date = value,
            role::TIME => l.time = value,
            role::CLIENT => l.client = v,
            role::FORWARDED => l.forwarded = v,
            role::METHOD => l.method = v,
            role::STEM | role::URI => l.path = l.path.or(v),
            role::STATUS => {
                l.status = match v {
                    None => None,
                    Some(s) => Some(status3(s)?),
                }
            }
            role::TIME_TAKEN => l.time_taken = v,
            role::EDGE => l.edge = v,
            role::EDGE_DETAIL => l.edge_detail = v,
            role::SERVER_NAME => l.server_name = v,
            role::SERVER_IP => l.server_ip = v,
            role::SITE => l.site = v,
            role::REASON => l.reason = v,
            _ => {}
        }
    }
    if n != roles.len() {
        return None;
    }
    if guess {
        let method_ok = l
            .method
            .is_some_and(|m| m.iter().all(|c| c.is_ascii_uppercase()));
        if !method_ok || l.status.is_none() {
            return None;
        }
    }
    Some(l)
}

impl<'a> Line<'a> {
    fn into_parsed(self, ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
        let at = date_time(self.date, self.time, ctx)?;
        let status = self.status.unwrap_or(0);
        let server_failed = match (self.status, self.reason, self.edge_detail) {
            (Some(s), _, _) => s >= 500,
            // HTTP.sys dropped the request because the application failed it.
            (None, Some(reason), _) => matches!(
                reason,
                b"Connection_Abandoned_By_AppPool"
                    | b"Connection_Abandoned_By_ReqQueue"
                    | b"Connection_Dropped_List_Full"
                    | b"Timer_AppPool"
                    | b"AppOffline"
                    | b"AppPoolTimer"
                    | b"QueueFull"
            ),
            (None, None, _) => false,
        };
        // CloudFront's `000`: the viewer left first, unless the origin failed.
        let origin_failed = status == 0
            && self
                .edge_detail
                .is_some_and(|d| d.starts_with(b"Origin") || d == b"AbortedOrigin");
        let client = match self.forwarded.and_then(forwarded_client) {
            Some(c) if ip_of(c).is_some_and(|(_, ip)| is_public(ip)) => Some(c),
            _ => self.client.map(|c| ip_of(c).map_or(c, |(h, _)| h)),
        };
        let backend = self
            .edge
            .or(self.server_name)
            .or(self.server_ip)
            .or(self.site);
        let latency_ms = self.time_taken.and_then(time_taken_ms);
        let (method, path) = if ctx.details {
            (self.method.map(text), self.path.map(text))
        } else {
            (None, None)
        };
        Some(Parsed::Request {
            at,
            request: Request {
                status,
                failed: server_failed || origin_failed,
                backend: backend.map(text),
                client: client.map(text),
                latency_ms,
                method,
                path,
            },
        })
    }
}

/// `2018-01-01` and `08:09:10` (or `08:09:10.123`), in UTC.
fn date_time(date: &[u8], time: &[u8], ctx: &mut TimeCtx) -> Option<Micros> {
    if date.len() != 10 || !(8..=15).contains(&time.len()) {
        return None;
    }
    // Lines come in bursts within one second: the last result is kept.
    if let Some(at) = recall_pair(date, time, ctx) {
        return Some(at);
    }
    let at = date_time_uncached(date, time, ctx)?;
    remember_pair(date, time, at, ctx);
    Some(at)
}

/// The pair's text as one key: `date` `time` joined by the separator.
fn pair_key(date: &[u8], time: &[u8]) -> [u8; 26] {
    let mut key = [0u8; 26];
    key[..10].copy_from_slice(date);
    key[10] = b' ';
    let n = time.len().min(15);
    key[11..11 + n].copy_from_slice(&time[..n]);
    key
}

fn recall_pair(date: &[u8], time: &[u8], ctx: &TimeCtx) -> Option<Micros> {
    let key = pair_key(date, time);
    ctx.recall(&key[..11 + time.len().min(15)])
}

fn remember_pair(date: &[u8], time: &[u8], at: Micros, ctx: &mut TimeCtx) {
    let key = pair_key(date, time);
    ctx.remember(&key[..11 + time.len().min(15)], at);
}

fn date_time_uncached(date: &[u8], time: &[u8], ctx: &mut TimeCtx) -> Option<Micros> {
    let mut buf = [0u8; 26];
    buf[..10].copy_from_slice(date);
    buf[10] = b'T';
    buf[11..11 + time.len()].copy_from_slice(time);
    let joined = &buf[..11 + time.len()];
    let (mut stamp, used) = parse_iso(joined)?;
    if used != joined.len() || stamp.offset.is_some() {
        return None;
    }
    stamp.offset = Some(0);
    Some(ctx.resolve(stamp))
}

/// `time-taken` in ms: whole milliseconds (IIS), or seconds with a
/// fraction (CloudFront, the W3C draft).
fn time_taken_ms(v: &[u8]) -> Option<f64> {
    let d = decimal(v)?;
    Some(if d.frac_digits > 0 {
        d.ms()
    } else {
        d.int as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        access_doc_lines, check, each, format, framing, mutated_line, random_bytes, request,
        request_of, unparsed,
    };
    use crate::record::Parsed;
    use proptest::prelude::*;

    /// filebeat's IIS access test log (elastic/beats
    /// `filebeat/module/iis/access/test/test.log`, Apache-2.0): three
    /// restarts, each with its own fields.
    const IIS: &str = "#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: 2018-01-01 08:09:10
#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
2018-01-01 08:09:10 127.0.0.1 GET / q=100 80 - 81.2.69.143 Mozilla/5.0+(Windows+NT+6.1;+Win64;+x64;+rv:57.0)+Gecko/20100101+Firefox/57.0 - 200 0 0 123
#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Date: 2018-01-01 09:10:11
#Fields: date time s-sitename cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken
2018-01-01 09:10:11 W3SVC1 GET / - 80 - 127.0.0.1 Mozilla/5.0+(Windows+NT+6.1;+Win64;+x64;+rv:57.0)+Gecko/20100101+Firefox/57.0 - - example.com 200 0 0 123 456 789
#Fields: date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken
2018-01-01 10:11:12 W3SVC1 MACHINE-NAME 127.0.0.1 GET / - 80 - 81.2.69.143 HTTP/1.1 Mozilla/5.0+(Macintosh;+Intel+Mac+OS+X+10_14_0)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/70.0.3538.102+Safari/537.36 - - example.com 503 0 0 123 456 789";

    /// filebeat's HTTPERR test log (`filebeat/module/iis/error/test/test.log`).
    const HTTPERR: &str = "#Software: Microsoft HTTP API 2.0
#Version: 1.0
#Date: 2018-01-01 08:09:10
#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename
2018-01-01 08:09:10 172.31.77.6 2094 172.31.77.6 80 HTTP/1.1 GET /qos/1kbfile.txt 503 - ConnLimit -
2018-01-01 09:10:11 81.2.69.143 2780 127.0.0.1 80 HTTP/1.1 GET /ThisIsMyUrl.htm 400 - Hostname -
2018-01-01 11:12:13 81.2.69.143 64388 127.0.0.1 80 - - - - - Timer_MinBytesPerSecond -
2018-01-01 11:12:14 81.2.69.143 64389 127.0.0.1 80 HTTP/1.1 GET /slow - - Connection_Abandoned_By_ReqQueue DefaultAppPool";

    /// The example file of the CloudFront developer guide (awsdocs
    /// `amazon-cloudfront-developer-guide` `doc_source/AccessLogs.md`,
    /// CC-BY-SA-4.0), request ids shortened; the second line keeps the
    /// stray trailing tab of the original.
    const CLOUDFRONT: &str = "#Version: 1.0
#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end
2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-
2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\tf37nTMVvnKvV2ZSvEsivup_c2kZ7VXzYdjC-GUQZ5qNs-89BlWazbw==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-\t
2019-12-13\t22:36:27\tSEA19-C1\t900\t192.0.2.200\tGET\td111111abcdef8.cloudfront.net\t/favicon.ico\t502\thttp://www.example.com/\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tError\t1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==\twww.example.com\thttp\t675\t0.102\t-\t-\t-\tError\tHTTP/1.1\t-\t-\t25260\t0.102\tOriginDnsError\ttext/html\t507\t-\t-";

    /// Parses a whole file's lines in order with one context, as the scan
    /// does within a block.
    fn read_all(file: &str) -> Vec<Parsed<'_>> {
        let mut ctx = TimeCtx::default();
        file.lines()
            .map(|l| W3c.parse(l.as_bytes(), &mut ctx))
            .collect()
    }

    fn requests(file: &str) -> Vec<(String, crate::record::Request<'_>)> {
        read_all(file)
            .into_iter()
            .filter(|p| !matches!(p, Parsed::Framing))
            .map(request_of)
            .collect()
    }

    #[test]
    fn directives_are_framing() {
        let parsed = read_all(IIS);
        let framed: Vec<usize> = parsed
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p, Parsed::Framing))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(framed, [0, 1, 2, 3, 5, 6, 7, 8, 10]);
        check(
            &W3c,
            &[
                ("#Remark: rotated", framing()),
                ("#End-Date: 2018-01-02 00:00:00", framing()),
                ("# just a comment", unparsed()),
                ("#Other: x", unparsed()),
                // No time fields: not a layout to read requests with.
                ("#Fields: c-ip sc-status", unparsed()),
            ],
        );
    }

    #[test]
    fn iis_fields_follow_each_header() {
        let got = requests(IIS);
        let want = [
            (
                "2018-01-01T08:09:10Z",
                200,
                "81.2.69.143",
                "127.0.0.1",
                123.0,
            ),
            ("2018-01-01T09:10:11Z", 200, "127.0.0.1", "W3SVC1", 789.0),
            (
                "2018-01-01T10:11:12Z",
                503,
                "81.2.69.143",
                "MACHINE-NAME",
                789.0,
            ),
        ];
        assert_eq!(got.len(), want.len());
        for ((at, r), (w_at, status, client, backend, ms)) in got.iter().zip(want) {
            assert_eq!(at, w_at);
            assert_eq!(r.status, status);
            assert_eq!(r.failed, status >= 500);
            assert_eq!(r.client.as_deref(), Some(client));
            assert_eq!(r.backend.as_deref(), Some(backend));
            assert_eq!(r.latency_ms, Some(ms));
            assert_eq!(r.method.as_deref(), Some("GET"));
            assert_eq!(r.path.as_deref(), Some("/"));
        }
    }

    #[test]
    fn httperr_reasons() {
        let got = requests(HTTPERR);
        let rows: Vec<(u16, bool, Option<&str>, Option<&str>)> = got
            .iter()
            .map(|(_, r)| (r.status, r.failed, r.client.as_deref(), r.path.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (503, true, Some("172.31.77.6"), Some("/qos/1kbfile.txt")),
                (400, false, Some("81.2.69.143"), Some("/ThisIsMyUrl.htm")),
                // A slow client's connection timed out: no status, no failure.
                (0, false, Some("81.2.69.143"), None),
                // The application pool's queue abandoned it.
                (0, true, Some("81.2.69.143"), Some("/slow")),
            ]
        );
    }

    #[test]
    fn cloudfront() {
        let got = requests(CLOUDFRONT);
        assert_eq!(got.len(), 3);
        let (at, ok) = &got[0];
        assert_eq!(at, "2019-12-04T21:02:31Z");
        assert_eq!(ok.status, 200);
        assert!(!ok.failed);
        assert_eq!(ok.client.as_deref(), Some("192.0.2.100"));
        assert_eq!(ok.backend.as_deref(), Some("LAX1"));
        assert_eq!(ok.latency_ms, Some(1.0));
        assert_eq!(ok.path.as_deref(), Some("/index.html"));
        // The trailing tab does not lose the line.
        assert_eq!(got[1].1.status, 200);
        let (_, dns) = &got[2];
        assert_eq!((dns.status, dns.failed), (502, true));
        assert_eq!(dns.backend.as_deref(), Some("SEA19-C1"));
        assert_eq!(dns.latency_ms, Some(102.0));
    }

    #[test]
    fn forwarded_for_and_status_000() {
        let header = "#Fields: date time x-edge-location c-ip cs-method cs-uri-stem sc-status x-forwarded-for time-taken x-edge-detailed-result-type";
        let rows = [
            (
                "2024-03-09\t08:00:01\tFRA2\t10.1.2.3\tGET\t/\t200\t203.0.113.9\t0.010\tMiss",
                200,
                false,
                "203.0.113.9",
            ),
            (
                "2024-03-09\t08:00:01\tFRA2\t198.51.100.7\tGET\t/\t000\t-\t0.010\tClientCommError",
                0,
                false,
                "198.51.100.7",
            ),
            (
                "2024-03-09\t08:00:01\tFRA2\t198.51.100.7\tGET\t/\t000\t-\t2.500\tOriginReadError",
                0,
                true,
                "198.51.100.7",
            ),
            // A private forwarded address does not replace the peer.
            (
                "2024-03-09\t08:00:01\tFRA2\t198.51.100.7\tGET\t/\t200\t10.0.0.1\t0.010\tHit",
                200,
                false,
                "198.51.100.7",
            ),
        ];
        for (line, status, failed, client) in rows {
            let file = format!("{header}\n{line}");
            let got = requests(&file);
            assert_eq!(got.len(), 1, "{line}");
            let r = &got[0].1;
            assert_eq!((r.status, r.failed), (status, failed), "{line}");
            assert_eq!(r.client.as_deref(), Some(client), "{line}");
        }
    }

    #[test]
    fn a_line_that_does_not_fit_the_header_may_be_iis_default() {
        let file = format!(
            "{}\n2018-12-31 12:52:33 10.44.0.136 GET /x - 443 - 10.50.6.188 UA - 404 0 2 0\n2018-12-31 12:52:33 10.44.0.136 GET /x",
            IIS
        );
        let parsed = read_all(&file);
        let n = parsed.len();
        assert!(matches!(&parsed[n - 2], Parsed::Request { request, .. } if request.status == 404));
        assert_eq!(parsed[n - 1], Parsed::Unparsed);
    }

    #[test]
    fn without_a_header() {
        check(
            &W3c,
            &[
                // IIS's default fields.
                (
                    "2018-12-31 12:52:33 10.44.0.136 GET /index.htm - 443 - 10.50.6.188 Mozilla/4.0+(compatible;+MSIE+8.0) - 404 0 2 15",
                    request()
                        .at("2018-12-31T12:52:33Z")
                        .status(404)
                        .client("10.50.6.188")
                        .latency(15.0),
                ),
                // One field too many or too few, no method: not guessed.
                ("2018-12-31 12:52:33 10.44.0.136 GET / - 443 - 10.50.6.188 UA - 404 0 2 15 9", unparsed()),
                ("2018-12-31 12:52:33 10.44.0.136 GET / - 443 - 10.50.6.188 UA - 404 0 2", unparsed()),
                ("2018-12-31 12:52:33 10.44.0.136 get / - 443 - 10.50.6.188 UA - 404 0 2 15", unparsed()),
                ("2018-12-31 12:52:33,123 INFO [main] starting the server on port 443 now ok", unparsed()),
            ],
        );
    }

    #[test]
    fn a_layout_is_kept_only_by_its_format() {
        // A layout another format left is not read as fields.
        let mut ctx = TimeCtx::default();
        ctx.layout = Some(Arc::from(&b"Xabc"[..]));
        let line =
            "2018-12-31 12:52:33 10.44.0.136 GET /index.htm - 443 - 10.50.6.188 UA - 404 0 2 15";
        assert!(matches!(
            W3c.parse(line.as_bytes(), &mut ctx),
            Parsed::Request { .. }
        ));
    }

    #[test]
    fn other_formats_are_not_read() {
        check(&W3c, &each(access_doc_lines(), unparsed()));
        check(
            format("nginx_access"),
            &each(IIS.lines().chain(CLOUDFRONT.lines()), unparsed()),
        );
    }

    #[test]
    fn detected_with_directives() {
        for file in [IIS, HTTPERR, CLOUDFRONT] {
            let lines: Vec<&[u8]> = file.lines().map(str::as_bytes).collect();
            let got = crate::format::detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
            assert_eq!(got, Some("w3c"), "{}", &file[..40]);
        }
    }

    fn real_lines() -> Vec<&'static str> {
        IIS.lines()
            .chain(HTTPERR.lines())
            .chain(CLOUDFRONT.lines())
            .collect()
    }

    proptest! {
        #[test]
        fn mutated_lines_never_panic(line in mutated_line(real_lines())) {
            let mut ctx = TimeCtx::default();
            for l in IIS.lines().take(4) {
                let _ = W3c.parse(l.as_bytes(), &mut ctx);
            }
            let _ = W3c.parse(&line, &mut ctx);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(300)) {
            let mut ctx = TimeCtx::default();
            let _ = W3c.parse(&bytes, &mut ctx);
            let _ = W3c.parse(b"#Fields: date time c-ip cs-method sc-status", &mut ctx);
            let _ = W3c.parse(&bytes, &mut ctx);
        }
    }
}
