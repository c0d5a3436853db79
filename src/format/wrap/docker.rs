//! Docker's json-file logging driver: one JSON object a line,
//! `{"log":"<line>\n","stream":"stdout","time":"<RFC3339Nano>"}`. Docker
//! splits lines longer than 16 KiB into several objects; all but the last
//! lack the trailing newline, and are joined with the next pieces of the
//! same stream up to the one that has it.

use crate::format::lex::json_object::{json_value_time, JsonObject};
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

    fn splits_lines(&self) -> bool {
        true
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        // Cheap refusal for lines that cannot be Docker's.
        if memchr::memmem::find(line, b"\"log\"").is_none() {
            return Envelope::Not;
        }
        match json_object(line) {
            Some(o) => entry(&o, ctx),
            None => lost_brace(line, ctx),
        }
    }
}

/// The members of a json-file entry; `attrs` holds the labels and
/// environment variables `--log-opt labels=…,env=…` asked for.
const MEMBERS: &[&str] = &["log", "stream", "time", "attrs"];

fn entry<'a>(o: &JsonObject<'a>, ctx: &mut TimeCtx) -> Envelope<'a> {
    let Some(log) = str_of(o, "log") else {
        return Envelope::Not;
    };
    let time = o.get("time");
    // An object with a `log` beside keys of its own is an application's
    // JSON line; one with only Docker's members is an entry, even when a
    // shipper dropped the time (or the stream).
    if time.is_none()
        && o.get("stream").is_none()
        && !o.iter().all(|(k, _)| MEMBERS.contains(&k.as_ref()))
    {
        return Envelope::Not;
    }
    let at = time.and_then(|t| json_value_time(t, ctx));
    let stream = str_of(o, "stream");
    let stderr = stream.as_deref() == Some("stderr");
    let text = bytes_of(log);
    let Some(whole) = text.strip_suffix(b"\n") else {
        hold(ctx, stderr, &text);
        return Envelope::Held;
    };
    let mut inner = Inner::new(joined(ctx, stderr, whole).into_owned(), at);
    if let Some(s) = stream {
        inner.field("stream", s);
    }
    Envelope::One(inner)
}

/// An entry that lost its opening brace (`"log":"…","stream":…}`: a
/// file copied from an offset, a rotated file's cut first line): read as
/// the entry it was.
fn lost_brace<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
    let t = crate::format::lex::trim_ascii(line);
    if !(t.starts_with(b"\"log\":") && t.ends_with(b"}")) {
        return Envelope::Not;
    }
    let mut whole = Vec::with_capacity(t.len() + 1);
    whole.push(b'{');
    whole.extend_from_slice(t);
    let Some(o) = json_object(&whole) else {
        return Envelope::Not;
    };
    match entry(&o, ctx) {
        Envelope::One(inner) => Envelope::One(owned(inner)),
        Envelope::Held => Envelope::Held,
        _ => Envelope::Not,
    }
}

fn owned(inner: Inner<'_>) -> Inner<'static> {
    use std::borrow::Cow;
    let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
    Inner {
        text: Cow::Owned(inner.text.into_owned()),
        at: inner.at,
        level: inner.level,
        fields: inner
            .fields
            .into_iter()
            .map(|(k, v)| (own(k), own(v)))
            .collect(),
    }
}
