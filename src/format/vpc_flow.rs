//! AWS VPC flow logs: the default version 2 fields
//!
//! ```text
//! version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
//! ```
//!
//! or any custom set, named by the header line that files delivered to S3
//! start with (`version vpc-id subnet-id ... start end action log-status`),
//! which sets the layout of the lines after it ([`TimeCtx::layout`]).
//!
//! A line is a flow summary over a capture window, not a request: it
//! becomes a message at the window's start (epoch seconds, UTC) with the
//! flow's fields. `REJECT` (a security group or network ACL dropped the
//! traffic) and `SKIPDATA` (records lost) are warnings, everything else
//! info: a rejected flow is neither an HTTP failure nor an error of the
//! service (the internet's scanners are rejected all day long). A spike of
//! them is still on the timeline as warnings, and a pattern of one's own
//! can make the rejects to one port events (docs/formats.md, `vpc_flow`).

use std::borrow::Cow;
use std::sync::Arc;

use crate::format::lex::{is_digits, text, Fields};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{TimeCtx, SEC};

/// AWS VPC flow logs (default v2 fields, or custom ones named by a header line).
pub struct VpcFlow;

impl LogFormat for VpcFlow {
    fn name(&self) -> &'static str {
        "vpc_flow"
    }

    fn description(&self) -> &'static str {
        "AWS VPC flow logs (default v2 fields, or custom ones named by a header line)"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn headers(&self) -> &'static [&'static [u8]] {
        // The first field of the formats AWS offers and most custom ones.
        &[
            b"version ",
            b"account-id ",
            b"interface-id ",
            b"instance-id ",
            b"vpc-id ",
            b"subnet-id ",
            b"srcaddr ",
        ]
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if let Some(layout) = header(line) {
            ctx.layout = Some(Arc::from(layout));
            return Parsed::Framing;
        }
        let layout = ctx.layout.clone();
        let roles: &[u8] = match layout.as_deref() {
            Some([TAG, roles @ ..]) => roles,
            _ => &DEFAULT_V2,
        };
        read_line(line, roles).unwrap_or(Parsed::Unparsed)
    }
}

/// The first byte of a layout this format wrote.
const TAG: u8 = b'V';

mod role {
    pub const OTHER: u8 = 0;
    pub const VERSION: u8 = 1;
    pub const INTERFACE: u8 = 2;
    pub const SRCADDR: u8 = 3;
    pub const DSTADDR: u8 = 4;
    pub const SRCPORT: u8 = 5;
    pub const DSTPORT: u8 = 6;
    pub const PROTOCOL: u8 = 7;
    pub const PACKETS: u8 = 8;
    pub const BYTES: u8 = 9;
    pub const START: u8 = 10;
    pub const END: u8 = 11;
    pub const ACTION: u8 = 12;
    pub const STATUS: u8 = 13;
    pub const INSTANCE: u8 = 14;
    pub const DIRECTION: u8 = 15;
    pub const REJECT_REASON: u8 = 16;
}

const DEFAULT_V2: [u8; 14] = [
    role::VERSION,
    role::OTHER,
    role::INTERFACE,
    role::SRCADDR,
    role::DSTADDR,
    role::SRCPORT,
    role::DSTPORT,
    role::PROTOCOL,
    role::PACKETS,
    role::BYTES,
    role::START,
    role::END,
    role::ACTION,
    role::STATUS,
];

/// The role of a field name; `vpc_id` is read as `vpc-id` (as Vector's
/// format strings write them).
fn role_of(name: &[u8]) -> u8 {
    let name: Vec<u8> = name
        .iter()
        .map(|&c| if c == b'_' { b'-' } else { c })
        .collect();
    match name.as_slice() {
        b"version" => role::VERSION,
        b"interface-id" => role::INTERFACE,
        b"srcaddr" => role::SRCADDR,
        b"dstaddr" => role::DSTADDR,
        b"srcport" => role::SRCPORT,
        b"dstport" => role::DSTPORT,
        b"protocol" => role::PROTOCOL,
        b"packets" => role::PACKETS,
        b"bytes" => role::BYTES,
        b"start" => role::START,
        b"end" => role::END,
        b"action" => role::ACTION,
        b"log-status" => role::STATUS,
        b"instance-id" => role::INSTANCE,
        b"flow-direction" => role::DIRECTION,
        b"reject-reason" => role::REJECT_REASON,
        _ => role::OTHER,
    }
}

/// A header line: field names only (lowercase words and hyphens), with
/// `start` among them (every line needs its time).
fn header(line: &[u8]) -> Option<Vec<u8>> {
    // Cheap tests first: data lines start with a digit or `-`, and a
    // header names `start`.
    if !line.first().is_some_and(u8::is_ascii_lowercase)
        || !(line.starts_with(b"start ") || memchr::memmem::find(line, b" start").is_some())
    {
        return None;
    }
    let names: Vec<&[u8]> = line
        .split(|&c| c == b' ')
        .filter(|t| !t.is_empty())
        .collect();
    if names.len() < 4
        || !names.iter().all(|n| {
            n.first().is_some_and(u8::is_ascii_lowercase)
                && n.iter().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_')
                })
        })
    {
        return None;
    }
    let mut layout = vec![TAG];
    layout.extend(names.iter().map(|n| role_of(n)));
    layout.contains(&role::START).then_some(layout)
}

#[derive(Default)]
struct Flow<'a> {
    interface: Option<&'a [u8]>,
    instance: Option<&'a [u8]>,
    src: Option<&'a [u8]>,
    dst: Option<&'a [u8]>,
    sport: Option<&'a [u8]>,
    dport: Option<&'a [u8]>,
    protocol: Option<&'a [u8]>,
    packets: Option<&'a [u8]>,
    bytes: Option<&'a [u8]>,
    start: Option<i64>,
    action: Option<&'a [u8]>,
    status: Option<&'a [u8]>,
    direction: Option<&'a [u8]>,
    reject_reason: Option<&'a [u8]>,
}

fn read_line<'a>(line: &'a [u8], roles: &[u8]) -> Option<Parsed<'a>> {
    let mut f = Flow::default();
    let mut n = 0;
    let mut from = 0;
    let ends = memchr::memchr_iter(b' ', line).chain(std::iter::once(line.len()));
    for end in ends {
        let value = line.get(from..end).unwrap_or_default();
        from = end + 1;
        if value.is_empty() {
            continue;
        }
        let &r = roles.get(n)?;
        n += 1;
        let v = (value != b"-").then_some(value);
        match r {
            role::VERSION if !is_digits(value) => return None,
            role::INTERFACE => f.interface = v,
            role::INSTANCE => f.instance = v,
            role::SRCADDR => f.src = v,
            role::DSTADDR => f.dst = v,
            role::SRCPORT => f.sport = v,
            role::DSTPORT => f.dport = v,
            role::PROTOCOL => f.protocol = v,
            role::PACKETS => f.packets = v,
            role::BYTES => f.bytes = v,
            role::START => {
                if !is_digits(value) || value.len() > 12 {
                    return None;
                }
                f.start = std::str::from_utf8(value).ok()?.parse().ok();
            }
            role::END if !(is_digits(value) || value == b"-") => return None,
            role::ACTION => {
                if !matches!(value, b"ACCEPT" | b"REJECT" | b"-") {
                    return None;
                }
                f.action = v;
            }
            role::STATUS => {
                if !matches!(value, b"OK" | b"NODATA" | b"SKIPDATA") {
                    return None;
                }
                f.status = v;
            }
            role::DIRECTION => f.direction = v,
            role::REJECT_REASON => f.reject_reason = v,
            _ => {}
        }
    }
    if n != roles.len() {
        return None;
    }
    let at = f.start?.checked_mul(SEC)?;
    Some(Parsed::Message {
        at,
        message: f.into_message(),
    })
}

impl<'a> Flow<'a> {
    fn into_message(self) -> Message<'a> {
        let level = match (self.action, self.status) {
            (Some(b"REJECT"), _) | (_, Some(b"SKIPDATA")) => Level::Warn,
            _ => Level::Info,
        };
        let proto = self.protocol.map(protocol_name);
        let mut words = String::with_capacity(96);
        match (self.status, self.action) {
            (Some(b"OK") | None, Some(action)) => {
                push(&mut words, action);
                words.push(' ');
                words.push_str(proto.as_deref().unwrap_or("-"));
                words.push(' ');
                endpoint(&mut words, self.src, self.sport);
                words.push_str(" -> ");
                endpoint(&mut words, self.dst, self.dport);
                if let (Some(p), Some(b)) = (self.packets, self.bytes) {
                    words.push_str(" (");
                    push(&mut words, p);
                    words.push_str(" packets, ");
                    push(&mut words, b);
                    words.push_str(" bytes)");
                }
            }
            (Some(status), _) => {
                push(&mut words, status);
                if let Some(i) = self.interface {
                    words.push(' ');
                    push(&mut words, i);
                }
                words.push_str(match status {
                    b"NODATA" => ": no traffic in the capture window",
                    b"SKIPDATA" => ": flow records were skipped in the capture window",
                    _ => "",
                });
            }
            (None, None) => words.push_str("flow"),
        }
        let mut fields: Fields<'a> = Vec::new();
        let parts = [
            ("action", self.action),
            ("srcaddr", self.src),
            ("dstaddr", self.dst),
            ("dstport", self.dport),
            ("interface", self.interface),
            ("instance", self.instance),
            ("flow_direction", self.direction),
            ("reject_reason", self.reject_reason),
            ("log_status", self.status),
        ];
        for (name, value) in parts {
            if let Some(v) = value {
                fields.push((Cow::Borrowed(name), text(v)));
            }
        }
        if let Some(p) = proto {
            fields.push((Cow::Borrowed("protocol"), p));
        }
        Message {
            level: Some(level),
            text: Cow::Owned(words),
            fields,
        }
    }
}

/// Appends bytes as text (lossily when not UTF-8).
fn push(out: &mut String, b: &[u8]) {
    out.push_str(&text(b));
}

/// Appends `addr:port` (`[v6]:port`), `-` for a missing address.
fn endpoint(out: &mut String, addr: Option<&[u8]>, port: Option<&[u8]>) {
    let a = addr.unwrap_or(b"-");
    let v6 = a.contains(&b':');
    if v6 && port.is_some() {
        out.push('[');
    }
    push(out, a);
    if let Some(p) = port {
        if v6 {
            out.push(']');
        }
        out.push(':');
        push(out, p);
    }
}

/// IANA protocol numbers by name, for the common ones.
fn protocol_name(p: &[u8]) -> Cow<'_, str> {
    Cow::Borrowed(match p {
        b"6" => "tcp",
        b"17" => "udp",
        b"1" => "icmp",
        b"58" => "icmpv6",
        b"47" => "gre",
        b"50" => "esp",
        _ => return text(p),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        access_doc_lines, check, check_in, each, framing, message, mutated_line, random_bytes,
        unparsed,
    };
    use proptest::prelude::*;

    /// The default-format examples of the VPC user guide (awsdocs
    /// `amazon-vpc-user-guide` `doc_source/flow-logs-records-examples.md`,
    /// CC-BY-SA-4.0) and Vector's `parse_aws_vpc_flow_log` example
    /// (vectordotdev/vector, MPL-2.0).
    const DOC: &[&str] = &[
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
        "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
        "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
        "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
    ];

    #[test]
    fn default_fields() {
        check(
            &VpcFlow,
            &[
                (
                    DOC[0],
                    message()
                        .at("2014-12-14T04:06:50Z")
                        .level(Level::Info)
                        .text("ACCEPT tcp 172.31.16.139:20641 -> 172.31.16.21:22 (20 packets, 4249 bytes)")
                        .field("action", "ACCEPT")
                        .field("dstport", "22")
                        .field("interface", "eni-1235b8ca123456789"),
                ),
                (
                    DOC[1],
                    message()
                        .level(Level::Warn)
                        .text_prefix("REJECT tcp 172.31.9.69:49761 -> 172.31.9.12:3389")
                        .field("protocol", "tcp"),
                ),
                (
                    DOC[2],
                    message()
                        .at("2015-05-10T18:01:16Z")
                        .level(Level::Info)
                        .text("NODATA eni-1235b8ca123456789: no traffic in the capture window")
                        .field("action", None),
                ),
                (DOC[3], message().level(Level::Warn).text_prefix("SKIPDATA")),
            ],
        );
    }

    #[test]
    fn a_header_names_the_fields() {
        // A custom format, as the VPC user guide's examples write it.
        let header = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status";
        let line = "3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK";
        let mut ctx = TimeCtx::default();
        assert_eq!(VpcFlow.parse(header.as_bytes(), &mut ctx), Parsed::Framing);
        match VpcFlow.parse(line.as_bytes(), &mut ctx) {
            Parsed::Message { message, .. } => {
                assert_eq!(
                    message.text,
                    "ACCEPT tcp 52.213.180.42:43416 -> 10.0.0.62:5001 (8 packets, 568 bytes)"
                );
                let instance = message.fields.iter().find(|(k, _)| k == "instance");
                assert_eq!(
                    instance.map(|(_, v)| v.as_ref()),
                    Some("i-01234567890123456")
                );
            }
            other => panic!("{other:?}"),
        }
        // Without the header the line is not the default's.
        check(&VpcFlow, &[(line, unparsed()), (header, framing())]);
    }

    #[test]
    fn near_misses() {
        let mut rows = each(access_doc_lines(), unparsed());
        rows.extend(each(
            [
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ALLOW OK",
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT",
                "x 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
                "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 soon 1418530070 ACCEPT OK",
                // Lowercase words without `start`: not a header.
                "the quick brown fox jumps",
            ],
            unparsed(),
        ));
        check_in(&VpcFlow, TimeCtx::default, &rows);
    }

    proptest! {
        #[test]
        fn mutated_lines_never_panic(line in mutated_line(DOC)) {
            let _ = VpcFlow.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(300)) {
            let mut ctx = TimeCtx::default();
            let _ = VpcFlow.parse(&bytes, &mut ctx);
            let _ = VpcFlow.parse(b"version start end action", &mut ctx);
            let _ = VpcFlow.parse(&bytes, &mut ctx);
        }
    }
}
