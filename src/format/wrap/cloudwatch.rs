//! Amazon CloudWatch Logs as the AWS CLI prints it.
//!
//! - `aws logs filter-log-events` / `get-log-events`: a JSON document with
//!   an `events` array of `{"timestamp": <ms>, "message": …,
//!   "logStreamName": …, "ingestionTime": …}`; pretty-printed (the CLI's
//!   default: each member on a line of its own, the event's record made
//!   at the line that closes it) or on one line (`--output json | jq -c`),
//!   and one event a line (`jq -c '.events[]'`).
//! - `aws logs tail`: `<RFC3339 time> <log stream> <message>` ([`AwsTail`]).

use std::borrow::Cow;

use crate::format::lex::json_object::{JsonObject, JsonValue};
use crate::format::lex::trim_ascii;
use crate::time::{Micros, TimeCtx};

use super::{bytes_of, json_object, leading_stamp, str_of, Envelope, Inner, Wrapper};

pub struct CloudWatch;

/// The first byte of what a pretty-printed event held so far keeps in
/// [`TimeCtx::layout`]: the tag, 8 bytes of time, then the message. The
/// layout, because the scan carries it into the next block (through the
/// lines [`Wrapper::headers`] names), so an event cut by a block
/// boundary is still read whole.
const HELD_TAG: u8 = 0xC1;

/// The lines that set or clear what an event holds, as the AWS CLI
/// (4-space indent) and `jq` (2-space) print the document.
const MEMBER_LINES: &[&[u8]] = &[
    b"            \"timestamp\"",
    b"            \"message\"",
    b"        }",
    b"      \"timestamp\"",
    b"      \"message\"",
    b"    }",
];

impl Wrapper for CloudWatch {
    fn name(&self) -> &'static str {
        "cloudwatch"
    }

    fn description(&self) -> &'static str {
        "CloudWatch Logs events (aws logs filter-log-events / get-log-events JSON)"
    }

    fn strong(&self) -> bool {
        true
    }

    fn headers(&self) -> &'static [&'static [u8]] {
        MEMBER_LINES
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        let t = trim_ascii(line);
        match t.first() {
            Some(b'{') if t.len() > 1 => one_line(t),
            Some(b'"') => member(t, ctx),
            // An event opens (indented: the document's own brace is not).
            Some(b'{')
                if t.len() == 1 && line.first().is_some_and(|b| *b == b' ' || *b == b'\t') =>
            {
                set_held(ctx, i64::MIN, b"");
                Envelope::Held
            }
            Some(b'{' | b'}' | b'[' | b']') => {
                let closes = t.first() == Some(&b'}');
                if closes && held(ctx).is_some() {
                    return held_event(ctx);
                }
                if t.iter().all(|b| b"{}[], \t".contains(b)) {
                    Envelope::Framing
                } else {
                    Envelope::Not
                }
            }
            _ => Envelope::Not,
        }
    }
}

/// A document or an event on one line.
fn one_line(t: &[u8]) -> Envelope<'_> {
    if memchr::memmem::find(t, b"\"message\"").is_none() {
        return Envelope::Not;
    }
    let Some(o) = json_object(t) else {
        return Envelope::Not;
    };
    if let Some(JsonValue::Array(events)) = o.get("events") {
        let items: Vec<Inner<'_>> = events
            .iter()
            .filter_map(|e| match e {
                JsonValue::Object(e) => event(e),
                _ => None,
            })
            .collect();
        return if items.is_empty() {
            Envelope::Framing
        } else {
            Envelope::Many(items)
        };
    }
    let is_event = ["ingestionTime", "eventId", "logStreamName"]
        .iter()
        .any(|k| o.get(k).is_some());
    match is_event.then(|| event(&o)).flatten() {
        Some(inner) => Envelope::One(inner),
        None => Envelope::Not,
    }
}

fn event<'a>(e: &JsonObject<'a>) -> Option<Inner<'a>> {
    let at = millis(e.get("timestamp")?)?;
    let text = str_of(e, "message")?;
    let mut inner = Inner::new(trim_newline(bytes_of(text)), Some(at));
    if let Some(s) = str_of(e, "logStreamName") {
        inner.field("stream", s);
    }
    Some(inner)
}

fn millis(v: &JsonValue<'_>) -> Option<Micros> {
    let ms = match v {
        JsonValue::Number(n) => n.as_i64()?,
        JsonValue::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    ms.checked_mul(1000)
}

fn trim_newline(text: Cow<'_, [u8]>) -> Cow<'_, [u8]> {
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.strip_suffix(b"\n").unwrap_or(t)),
        Cow::Owned(mut t) => {
            if t.last() == Some(&b'\n') {
                t.pop();
            }
            Cow::Owned(t)
        }
    }
}

/// What the event being read holds so far: its time (`i64::MIN` when
/// not seen yet) and message.
fn held(ctx: &TimeCtx) -> Option<(i64, &[u8])> {
    let held = ctx.layout.as_deref()?;
    if held.first() != Some(&HELD_TAG) || held.len() < 9 {
        return None;
    }
    let at = i64::from_le_bytes(<[u8; 8]>::try_from(&held[1..9]).ok()?);
    Some((at, &held[9..]))
}

fn set_held(ctx: &mut TimeCtx, at: i64, message: &[u8]) {
    let mut held = Vec::with_capacity(9 + message.len());
    held.push(HELD_TAG);
    held.extend_from_slice(&at.to_le_bytes());
    held.extend_from_slice(message);
    ctx.layout = Some(held.into());
}

/// A `"key": value,` line of a pretty-printed document: the event's time
/// and message are held until the line that closes it.
fn member<'a>(t: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
    let Some(colon) = memchr::memmem::find(t, b"\":") else {
        return Envelope::Not;
    };
    let key = &t[1..colon];
    let value = trim_ascii(&t[colon + 2..]);
    let value = value.strip_suffix(b",").unwrap_or(value);
    let (at, message) = held(ctx).map_or((i64::MIN, Vec::new()), |(a, m)| (a, m.to_vec()));
    match key {
        b"timestamp" => {
            let Some(new_at) = std::str::from_utf8(value)
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .and_then(|ms| ms.checked_mul(1000))
            else {
                return Envelope::Framing;
            };
            let _ = at;
            set_held(ctx, new_at, &message);
            Envelope::Held
        }
        b"message" => {
            let Ok(text) = serde_json::from_slice::<String>(value) else {
                return Envelope::Framing;
            };
            const MAX_MESSAGE: usize = 1 << 20;
            let text = text.strip_suffix('\n').unwrap_or(&text).as_bytes();
            set_held(ctx, at, &text[..text.len().min(MAX_MESSAGE)]);
            Envelope::Held
        }
        _ => Envelope::Framing,
    }
}

/// The event held so far, at the line that closes it.
fn held_event<'a>(ctx: &mut TimeCtx) -> Envelope<'a> {
    let event = held(ctx).map(|(at, text)| (at, text.to_vec()));
    ctx.layout = None;
    match event {
        Some((at, text)) if at != i64::MIN => Envelope::One(Inner::new(text, Some(at))),
        _ => Envelope::Framing,
    }
}

/// `aws logs tail`: `2024-05-01T10:00:00.123000+00:00 <stream> <message>`.
pub struct AwsTail;

impl Wrapper for AwsTail {
    fn name(&self) -> &'static str {
        "aws_tail"
    }

    fn description(&self) -> &'static str {
        "aws logs tail (<time> <log stream> <message>)"
    }

    fn strong(&self) -> bool {
        false
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        if !line.first().is_some_and(u8::is_ascii_digit) {
            return Envelope::Not;
        }
        let Some((at, rest)) = leading_stamp(line, ctx) else {
            return Envelope::Not;
        };
        let Some(space) = memchr::memchr(b' ', rest) else {
            return Envelope::Not;
        };
        let (stream, text) = (&rest[..space], &rest[space + 1..]);
        if stream.is_empty() {
            return Envelope::Not;
        }
        let mut inner = Inner::new(text, Some(at));
        if let Ok(s) = std::str::from_utf8(stream) {
            inner.field("stream", Cow::Borrowed(s));
        }
        Envelope::One(inner)
    }
}
