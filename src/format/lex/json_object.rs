//! JSON objects on a line, and the time values loggers write in them.

use serde_json::{Map, Value};

use super::trim_ascii;
use crate::time::{epoch_f64_to_micros, parse_leading, parse_text_timestamp, Micros, TimeCtx};

/// Splits a line into an optional leading timestamp (as some shippers write
/// `2024-03-09T08:41:12Z {...}`, or the CRI container format
/// `2024-03-09T08:41:12.1Z stdout F {...}`) and the JSON object text.
/// `None` when the line is not an object, so non-JSON lines cost a byte or two.
pub(crate) fn split_json_line<'a>(
    line: &'a [u8],
    ctx: &mut TimeCtx,
) -> Option<(Option<Micros>, &'a [u8])> {
    let mut b = trim_ascii(line);
    // A UTF-8 byte-order mark left at the start of a file.
    if let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        b = rest;
    }
    if b.last() != Some(&b'}') {
        return None;
    }
    match b.first()? {
        b'{' => Some((None, b)),
        c if c.is_ascii_digit() || *c == b'[' => {
            let (stamp, used) = parse_leading(b)?;
            let mut rest = b.get(used..)?;
            if rest.first() != Some(&b' ') && rest.first() != Some(&b'\t') {
                return None;
            }
            rest = trim_ascii(rest);
            // CRI log lines: `<time> stdout|stderr F|P <log>`.
            for stream in [&b"stdout "[..], &b"stderr "[..]] {
                if let Some(r) = rest.strip_prefix(stream) {
                    if let Some(r) = r.strip_prefix(b"F ").or_else(|| r.strip_prefix(b"P ")) {
                        rest = r;
                    }
                }
            }
            if rest.first() != Some(&b'{') {
                return None;
            }
            Some((Some(ctx.resolve(stamp)), rest))
        }
        _ => None,
    }
}

/// Parses a JSON object. Invalid UTF-8 inside strings is read lossily
/// rather than losing the line.
pub(crate) fn parse_object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Map<String, Value>>(body) {
        Ok(map) => Some(map),
        Err(_) if std::str::from_utf8(body).is_err() => {
            serde_json::from_str(&String::from_utf8_lossy(body)).ok()
        }
        Err(_) => None,
    }
}

/// A JSON time value: an RFC 3339 or other text timestamp (offset-less ones
/// read in the context's zone), Go's `time.String()`, an epoch number or
/// numeric string in s/ms/µs/ns by magnitude, MongoDB's `{"$date": ...}`
/// and Google Cloud's `{"seconds": .., "nanos": ..}`.
pub(crate) fn value_time(v: &Value, ctx: &mut TimeCtx) -> Option<Micros> {
    match v {
        Value::String(s) => {
            if s.is_empty() || s.len() > 64 {
                return None;
            }
            parse_text_timestamp(s, ctx)
        }
        Value::Number(n) => number_epoch(n),
        Value::Object(o) => {
            if let Some(d) = o.get("$date") {
                return match d {
                    Value::Object(inner) => {
                        inner.get("$numberLong").and_then(|x| value_time(x, ctx))
                    }
                    other => value_time(other, ctx),
                };
            }
            let secs = o.get("seconds")?;
            let secs = match secs {
                Value::Number(n) => n.as_i64()?,
                Value::String(s) => s.parse().ok()?,
                _ => return None,
            };
            let nanos = o.get("nanos").and_then(Value::as_i64).unwrap_or(0);
            if !(0..=1_000_000_000).contains(&nanos) || !(0..=1i64 << 40).contains(&secs) {
                return None;
            }
            Some(secs * 1_000_000 + nanos / 1000)
        }
        _ => None,
    }
}

/// An epoch JSON number; integers are read exactly (nanosecond epochs do
/// not fit an `f64`'s precision).
fn number_epoch(n: &serde_json::Number) -> Option<Micros> {
    if let Some(u) = n.as_u64() {
        let u = u as i64;
        return match u {
            100_000_000..=9_999_999_999 => Some(u * 1_000_000),
            100_000_000_000..=9_999_999_999_999 => Some(u * 1000),
            100_000_000_000_000..=9_999_999_999_999_999 => Some(u),
            100_000_000_000_000_000..=i64::MAX => Some(u / 1000),
            _ => None,
        };
    }
    epoch_f64_to_micros(n.as_f64()?)
}
