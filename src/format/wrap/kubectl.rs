//! `kubectl logs` output with `--prefix` (`[pod/web-7d4b9c/nginx] `),
//! `--timestamps` (an RFC 3339 time and a space before each line), or
//! both; the same shape as the lines of a CloudWatch Logs export to S3
//! and `docker logs --timestamps`.

use std::borrow::Cow;

use crate::time::TimeCtx;

use super::{leading_stamp, Envelope, Inner, Wrapper};

pub struct Kubectl;

impl Wrapper for Kubectl {
    fn name(&self) -> &'static str {
        "kubectl"
    }

    fn description(&self) -> &'static str {
        "kubectl logs --prefix/--timestamps ([pod/NAME/CONTAINER] <time> <line>), S3 exports of CloudWatch Logs"
    }

    fn strong(&self) -> bool {
        false
    }

    fn source<'x>(&self, inner: &'x Inner<'_>) -> Option<&'x str> {
        super::field_value(inner, &["container", "pod"])
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        let mut rest = line;
        let mut pod = None;
        if let Some((p, r)) = prefix(line) {
            pod = Some(p);
            rest = r;
        }
        let mut at = None;
        if rest.first().is_some_and(u8::is_ascii_digit) {
            if let Some((t, r)) = leading_stamp(rest, ctx) {
                at = Some(t);
                rest = r;
            }
        }
        if pod.is_none() && at.is_none() {
            return Envelope::Not;
        }
        let mut inner = Inner::new(rest, at);
        if let Some(p) = pod {
            let mut parts = p.split('/');
            // `pod/NAME/CONTAINER`; older kubectl wrote `[NAME/CONTAINER]`.
            let (kind, name, container) = match (parts.next(), parts.next(), parts.next()) {
                (Some(k), Some(n), Some(c)) => (Some(k), n, Some(c)),
                (Some(n), Some(c), None) => (None, n, Some(c)),
                (Some(n), None, None) => (None, n, None),
                _ => (None, p, None),
            };
            let _ = kind;
            inner.field("pod", Cow::Borrowed(name));
            if let Some(c) = container {
                inner.field("container", Cow::Borrowed(c));
            }
        }
        Envelope::One(inner)
    }
}

/// `[pod/NAME/CONTAINER] ` at the start of a line: a bracketed name
/// without spaces holding a slash, then a space.
fn prefix(line: &[u8]) -> Option<(&str, &[u8])> {
    let body = line.strip_prefix(b"[")?;
    let end = memchr::memchr(b']', body)?;
    let name = &body[..end];
    let rest = body.get(end + 1..)?.strip_prefix(b" ")?;
    if name.is_empty()
        || !name.contains(&b'/')
        || !name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
    {
        return None;
    }
    Some((std::str::from_utf8(name).ok()?, rest))
}
