//! Docker's json-file logging driver: one JSON object a line,
//! `{"log":"<line>\n","stream":"stdout","time":"<RFC3339Nano>"}`. Docker
//! splits lines longer than 16 KiB into several objects; all but the last
//! lack the trailing newline, and are joined with it.

use crate::format::lex::json_object::json_value_time;
use crate::time::TimeCtx;

use super::{bytes_of, hold, joined, json_object, str_of, Envelope, Inner, Wrapper};

pub struct Docker;

impl Wrapper for Docker {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn description(&self) -> &'static str {
        "Docker json-file logs ({\"log\":…,\"stream\":…,\"time\":…})"
    }

    fn strong(&self) -> bool {
        true
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        // Cheap refusal for lines that cannot be Docker's.
        if memchr::memmem::find(line, b"\"log\"").is_none() {
            return Envelope::Not;
        }
        let Some(o) = json_object(line) else {
            return Envelope::Not;
        };
        let Some(log) = str_of(&o, "log") else {
            return Envelope::Not;
        };
        let time = o.get("time");
        if time.is_none() && o.get("stream").is_none() {
            return Envelope::Not;
        }
        let at = time.and_then(|t| json_value_time(t, ctx));
        let text = bytes_of(log);
        let Some(whole) = text.strip_suffix(b"\n") else {
            hold(ctx, &text);
            return Envelope::Held;
        };
        let mut inner = Inner::new(joined(ctx, whole).into_owned(), at);
        if let Some(s) = str_of(&o, "stream") {
            inner.field("stream", s);
        }
        Envelope::One(inner)
    }
}
