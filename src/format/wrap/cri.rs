//! The CRI log format that containerd and CRI-O write under
//! `/var/log/pods` (and `kubectl logs` reads):
//! `<RFC3339Nano> stdout|stderr P|F <text>`. A line the runtime split
//! comes as `P` (partial) parts and a final `F` part; they are joined, each
//! stream's apart (stderr's pieces may come between stdout's).

use crate::time::TimeCtx;

use super::{hold, joined, leading_stamp, Envelope, Inner, Wrapper};

pub struct Cri;

impl Wrapper for Cri {
    fn name(&self) -> &'static str {
        "cri"
    }

    fn description(&self) -> &'static str {
        "CRI container logs (<time> stdout|stderr P|F <line>)"
    }

    fn strong(&self) -> bool {
        true
    }

    fn splits_lines(&self) -> bool {
        true
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        if !line.first().is_some_and(u8::is_ascii_digit) {
            return Envelope::Not;
        }
        let Some((at, rest)) = leading_stamp(line, ctx) else {
            return Envelope::Not;
        };
        let (stream, rest) = match rest {
            [b's', b't', b'd', b'o', b'u', b't', b' ', r @ ..] => ("stdout", r),
            [b's', b't', b'd', b'e', b'r', b'r', b' ', r @ ..] => ("stderr", r),
            _ => return Envelope::Not,
        };
        // The tag is `P` or `F`, possibly with more tags after a colon;
        // runtimes before tags were added wrote the line right after the
        // stream: a whole line.
        let tag_end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        let (partial, text) = match rest[..tag_end].split(|&b| b == b':').next() {
            Some(b"P") => (true, rest.get(tag_end + 1..).unwrap_or_default()),
            Some(b"F") => (false, rest.get(tag_end + 1..).unwrap_or_default()),
            _ => (false, rest),
        };
        let stderr = stream == "stderr";
        if partial {
            hold(ctx, stderr, text);
            return Envelope::Held;
        }
        let mut inner = Inner::new(joined(ctx, stderr, text), Some(at));
        inner.field("stream", stream.into());
        Envelope::One(inner)
    }
}
