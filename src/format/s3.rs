//! Amazon S3 server access logs:
//!
//! ```text
//! owner bucket [time] remote_ip requester request_id operation key
//! "request_uri" status error_code bytes_sent object_size total_time
//! turn_around_time "referer" "user_agent" version_id host_id ...
//! ```
//!
//! Space-separated with a CLF time in UTC; AWS appends fields at the end,
//! which are ignored. The operation (`REST.GET.OBJECT`, `WEBSITE.GET.OBJECT`,
//! `S3.EXPIRE.OBJECT`, `BATCH.DELETE.OBJECT`) is what tells these lines from
//! other CLF-dated ones. The bucket is the backend, the remote IP the
//! client, `total_time` (ms) the latency. S3's own operations (lifecycle,
//! logging) have `-` for the remote IP and the status: requests with status
//! 0, never failures. S3's `503 SlowDown` and `500 InternalError` are.

use crate::format::lex::{ip_of, method_path, next_token, quoted_token, status3, text};
use crate::format::{LogFormat, Role};
use crate::record::{Parsed, Request};
use crate::time::{parse_clf, TimeCtx};

/// Amazon S3 server access log.
pub struct S3Access;

impl LogFormat for S3Access {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn description(&self) -> &'static str {
        "Amazon S3 server access log"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_line(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

fn parse_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let (owner, r) = next_token(line);
    let (bucket, r) = next_token(r);
    if owner.is_empty() || bucket.is_empty() || owner.first() == Some(&b'[') {
        return None;
    }
    let body = r.strip_prefix(b"[")?;
    let (stamp, n) = parse_clf(body)?;
    let r = body.get(n..)?.strip_prefix(b"] ")?;
    let (remote, r) = next_token(r);
    let client = match remote {
        b"-" => None,
        ip => Some(ip_of(ip)?.0),
    };
    let (_requester, r) = next_token(r);
    let (_request_id, r) = next_token(r);
    let (operation, r) = next_token(r);
    if !is_operation(operation) {
        return None;
    }
    let (_key, r) = next_token(r);
    let (request_uri, r) = match quoted_token(r) {
        Some(q) => q,
        None => match next_token(r) {
            (b"-", rest) => (&b"-"[..], rest),
            _ => return None,
        },
    };
    let (status_tok, r) = next_token(r);
    let status = match status_tok {
        b"-" => 0,
        s => status3(s)?,
    };
    let (_error_code, r) = next_token(r);
    let (_bytes_sent, r) = next_token(r);
    let (_object_size, r) = next_token(r);
    let (total_time, _) = next_token(r);
    let latency_ms = match total_time {
        b"-" => None,
        t if !t.is_empty() && t.iter().all(u8::is_ascii_digit) => {
            std::str::from_utf8(t).ok()?.parse::<f64>().ok()
        }
        _ => return None,
    };
    let (method, path) = if ctx.details {
        method_path(request_uri)
    } else {
        (None, None)
    };
    Some(Parsed::Request {
        at: ctx.resolve(stamp),
        request: Request {
            status,
            failed: status >= 500,
            backend: Some(text(bucket)),
            client: client.map(text),
            latency_ms,
            method,
            path,
        },
    })
}

/// `REST.GET.OBJECT`, `S3.EXPIRE.OBJECT`, `SOAP.CreateBucket`, ...
fn is_operation(op: &[u8]) -> bool {
    let Some(dot) = memchr::memchr(b'.', op) else {
        return false;
    };
    let (kind, rest) = op.split_at(dot);
    matches!(kind, b"REST" | b"WEBSITE" | b"S3" | b"SOAP" | b"BATCH")
        && rest.len() > 1
        && rest
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        access_doc_lines, check, each, format, mutated_line, random_bytes, request, unparsed,
    };
    use proptest::prelude::*;

    /// The example log of the S3 user guide (awsdocs `amazon-s3-userguide`
    /// `doc_source/LogFormat.md`, CC-BY-SA-4.0).
    const DOC: &[&str] = &[
        r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.1"#,
        r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be A1206F460EXAMPLE REST.GET.BUCKETPOLICY - "GET /awsexamplebucket1?policy HTTP/1.1" 404 NoSuchBucketPolicy 297 - 38 - "-" "S3Console/0.4" - BNaBsXZQQDbssi6xMBdBU2sLt+Yf5kZDmeBUP35sFoKa3sLLeMC78iwEIWxs99CRUrbS4n11234= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.1"#,
        r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:01:57 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be DD6CC733AEXAMPLE REST.PUT.OBJECT s3-dg.pdf "PUT /awsexamplebucket1/s3-dg.pdf HTTP/1.1" 200 - - 4406583 41754 28 "-" "S3Console/0.4" - 10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234= SigV4 ECDHE-RSA-AES128-SHA AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.1"#,
    ];

    #[test]
    fn doc_lines() {
        check(
            &S3Access,
            &[
                (
                    DOC[0],
                    request()
                        .at("2019-02-06T00:00:38Z")
                        .status(200)
                        .failed(false)
                        .client("192.0.2.3")
                        .backend("awsexamplebucket1")
                        .latency(7.0)
                        .method("GET")
                        .path("/awsexamplebucket1?versioning"),
                ),
                (DOC[1], request().status(404).failed(false).latency(38.0)),
                (
                    DOC[2],
                    request()
                        .at("2019-02-06T00:01:57Z")
                        .method("PUT")
                        .latency(41754.0),
                ),
            ],
        );
    }

    #[test]
    fn s3_own_operations_and_throttling() {
        check(
            &S3Access,
            &[
                // A lifecycle expiry: no requester, no request, no status.
                (
                    r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:01:57 +0000] - AmazonS3 3E57427F3EXAMPLE S3.EXPIRE.OBJECT logs/2019/01/01.gz "-" - - - 4406583 - - "-" "-" -"#,
                    request().status(0).failed(false).client(None).latency(None),
                ),
                (
                    r#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:01:57 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT big.bin "GET /awsexamplebucket1/big.bin HTTP/1.1" 503 SlowDown 294 - 2 - "-" "aws-cli/2.15.0" -"#,
                    request().status(503).failed(true),
                ),
            ],
        );
    }

    #[test]
    fn other_lines_are_not_read() {
        check(&S3Access, &each(access_doc_lines(), unparsed()));
        check(
            &S3Access,
            &[(
                r#"owner bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 req id GET.OBJECT - "GET / HTTP/1.1" 200 - 1 - 1 - "-" "-" -"#,
                unparsed(),
            )],
        );
        check(
            format("nginx_access"),
            &each(DOC.iter().copied(), unparsed()),
        );
    }

    proptest! {
        #[test]
        fn mutated_lines_never_panic(line in mutated_line(DOC)) {
            let _ = S3Access.parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(300)) {
            let _ = S3Access.parse(&bytes, &mut TimeCtx::default());
        }
    }
}
