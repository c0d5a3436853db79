//! AWS Network Load Balancer access logs: one line per TLS connection
//! (NLBs log only their TLS listeners).
//!
//! ```text
//! type version time elb listener client:port destination:port
//! connection_time tls_handshake_time received_bytes sent_bytes
//! incoming_tls_alert chosen_cert_arn chosen_cert_serial tls_cipher
//! tls_protocol_version tls_named_group domain_name alpn_fe_protocol
//! alpn_be_protocol alpn_client_preference_list tls_connection_creation_time
//! ```
//!
//! A connection is the NLB's unit of traffic, so each line is a request
//! with no HTTP status (status 0): it failed when the TLS handshake did
//! not complete (`tls_handshake_time` is `-`, as AWS writes for a failed
//! handshake, an expired certificate's for one), and its latency is the
//! handshake time, what the client waited for before it could send
//! anything (`connection_time` is how long the connection stayed open).
//! The destination is the listener, not a target, so there is no
//! backend. Times are UTC (written without a zone).

use crate::format::lex::{ip_of, is_digits, next_token, split_port, text};
use crate::format::{LogFormat, Role};
use crate::record::{Parsed, Request};
use crate::time::{parse_iso, TimeCtx};

/// AWS Network Load Balancer access log (TLS listeners).
pub struct Nlb;

impl LogFormat for Nlb {
    fn name(&self) -> &'static str {
        "nlb"
    }

    fn description(&self) -> &'static str {
        "AWS Network Load Balancer access log (TLS connections)"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_line(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

fn parse_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let (kind, r) = next_token(line);
    if kind != b"tls" {
        return None;
    }
    let (version, r) = next_token(r);
    if !version.first().is_some_and(u8::is_ascii_digit) || !version.contains(&b'.') {
        return None;
    }
    let (time, r) = next_token(r);
    let (mut stamp, used) = parse_iso(time)?;
    if used != time.len() {
        return None;
    }
    // Written without a zone, in UTC.
    stamp.offset.get_or_insert(0);
    let (elb, r) = next_token(r);
    if !elb.starts_with(b"net/") {
        return None;
    }
    let (_listener, r) = next_token(r);
    let (client, r) = next_token(r);
    let (client_host, port) = split_port(client)?;
    let client_host = client_host
        .strip_prefix(b"[")
        .and_then(|h| h.strip_suffix(b"]"))
        .unwrap_or(client_host);
    if !is_digits(port) || ip_of(client_host).is_none() {
        return None;
    }
    let (_destination, r) = next_token(r);
    let (connection_ms, r) = next_token(r);
    let (handshake_ms, r) = next_token(r);
    let (received, r) = next_token(r);
    let (sent, _) = next_token(r);
    if !(is_digits(connection_ms) && is_digits(received) && is_digits(sent)) {
        return None;
    }
    let latency_ms = match handshake_ms {
        b"-" => None,
        ms if is_digits(ms) => std::str::from_utf8(ms).ok()?.parse::<f64>().ok(),
        _ => return None,
    };
    Some(Parsed::Request {
        at: ctx.resolve(stamp),
        request: Request {
            status: 0,
            failed: latency_ms.is_none(),
            backend: None,
            client: Some(text(client_host)),
            latency_ms,
            method: None,
            path: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        access_doc_lines, check, each, format, mutated_line, random_bytes, request, unparsed,
    };
    use proptest::prelude::*;

    /// The examples of the Network Load Balancer guide (awsdocs
    /// `elb-network-load-balancers-user-guide`
    /// `doc_source/load-balancer-access-logs.md`, CC-BY-SA-4.0), each on
    /// one line, with the creation time later versions of the page add.
    const DOC: &[&str] = &[
        "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2018-12-20T02:59:30",
        r#"tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:20"#,
    ];

    #[test]
    fn doc_lines() {
        check(
            &Nlb,
            &[
                (
                    DOC[0],
                    request()
                        .at("2018-12-20T02:59:40Z")
                        .status(0)
                        .failed(false)
                        .client("72.21.218.154")
                        .backend(None)
                        .latency(2.0)
                        .method(None),
                ),
                (DOC[1], request().at("2020-04-01T08:51:42Z").latency(2.0)),
            ],
        );
    }

    #[test]
    fn failed_handshakes() {
        check(
            &Nlb,
            &[
                // The client sent alert 45 (certificate expired).
                (
                    "tls 2.0 2024-03-09T08:41:12 net/web/c6e77e28c25b2234 g3d4b5e8bb8464cd [2001:db8::7]:51341 172.100.100.185:443 3 - 180 7 45 arn:aws:acm:us-east-2:671290407336:certificate/2a108f19 - - - - web.example.com - - - 2024-03-09T08:41:12",
                    request().failed(true).latency(None).client("2001:db8::7"),
                ),
            ],
        );
    }

    #[test]
    fn other_lines_are_not_read() {
        let mut rows = each(access_doc_lines(), unparsed());
        rows.extend(each(
            [
                "tls 2.0 2018-12-20T02:59:40 app/my-loadbalancer/c6e77e28c25b2234 g3 72.21.218.154:51341 1.2.3.4:443 5 2 98 246 -",
                "tls x 2018-12-20T02:59:40 net/lb/c6 g3 72.21.218.154:51341 1.2.3.4:443 5 2 98 246 -",
                "tls 2.0 2018-12-20T02:59:40 net/lb/c6 g3 client:51341 1.2.3.4:443 5 2 98 246 -",
                "tls 2.0 2018-12-20T02:59:40 net/lb/c6 g3 72.21.218.154:51341 1.2.3.4:443 five 2 98 246 -",
            ],
            unparsed(),
        ));
        check(&Nlb, &rows);
        // ALB does not take them either.
        check(format("alb"), &each(DOC.iter().copied(), unparsed()));
    }

    proptest! {
        #[test]
        fn mutated_lines_never_panic(line in mutated_line(DOC)) {
            let _ = Nlb.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(300)) {
            let _ = Nlb.parse(&bytes, &mut TimeCtx::default());
        }
    }
}
