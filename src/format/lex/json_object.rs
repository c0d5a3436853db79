//! JSON objects on a line, and the time values loggers write in them.

use std::borrow::Cow;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
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

/// A JSON value borrowed from the line where it can be: a string without
/// escapes is a slice of the line, so reading a record allocates only for
/// escaped strings and for arrays and objects (the hot path of JSON logs,
/// where a `serde_json::Value` would copy every string it holds).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum JsonValue<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Cow<'a, str>),
    Array(Vec<JsonValue<'a>>),
    Object(JsonObject<'a>),
}

/// An object's members in order. A repeated key keeps its first place and
/// takes the last value, as `serde_json`'s ordered map does.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct JsonObject<'a>(pub Vec<(Cow<'a, str>, JsonValue<'a>)>);

impl<'a> JsonObject<'a> {
    pub fn get(&self, key: &str) -> Option<&JsonValue<'a>> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Cow<'a, str>, &JsonValue<'a>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    fn into_owned(self) -> JsonObject<'static> {
        JsonObject(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                .collect(),
        )
    }
}

impl<'a> JsonValue<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The string as borrowed from the line (a copy when it had escapes).
    pub fn as_text(&self) -> Option<Cow<'a, str>> {
        match self {
            JsonValue::String(Cow::Borrowed(s)) => Some(Cow::Borrowed(s)),
            JsonValue::String(Cow::Owned(s)) => Some(Cow::Owned(s.clone())),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            JsonValue::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            JsonValue::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, JsonValue::Number(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, JsonValue::Object(_))
    }

    /// The same value owning its strings.
    pub fn into_owned(self) -> JsonValue<'static> {
        match self {
            JsonValue::Null => JsonValue::Null,
            JsonValue::Bool(b) => JsonValue::Bool(b),
            JsonValue::Number(n) => JsonValue::Number(n),
            JsonValue::String(s) => JsonValue::String(Cow::Owned(s.into_owned())),
            JsonValue::Array(items) => {
                JsonValue::Array(items.into_iter().map(JsonValue::into_owned).collect())
            }
            JsonValue::Object(o) => JsonValue::Object(o.into_owned()),
        }
    }
}

/// An object key, borrowed from the line unless it holds escapes.
pub(crate) struct JsonKey<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for JsonKey<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonKey<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<JsonKey<'de>, E> {
                Ok(JsonKey(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonKey<'de>, E> {
                Ok(JsonKey(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<JsonKey<'de>, E> {
                Ok(JsonKey(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for JsonValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonValue<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<JsonValue<'de>, E> {
                Ok(JsonValue::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<JsonValue<'de>, E> {
                Ok(JsonValue::Number(n.into()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<JsonValue<'de>, E> {
                Ok(JsonValue::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<JsonValue<'de>, E> {
                // As `serde_json::Value` reads it.
                Ok(serde_json::Number::from_f64(n).map_or(JsonValue::Null, JsonValue::Number))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<JsonValue<'de>, E> {
                Ok(JsonValue::String(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<JsonValue<'de>, E> {
                Ok(JsonValue::String(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<JsonValue<'de>, E> {
                Ok(JsonValue::String(Cow::Owned(s)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<JsonValue<'de>, E> {
                Ok(JsonValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<JsonValue<'de>, E> {
                Ok(JsonValue::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<JsonValue<'de>, D2::Error> {
                JsonValue::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue<'de>, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = seq.next_element()? {
                    items.push(x);
                }
                Ok(JsonValue::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue<'de>, A::Error> {
                let mut members: Vec<(Cow<'de, str>, JsonValue<'de>)> = Vec::new();
                while let Some(JsonKey(k)) = map.next_key()? {
                    let v: JsonValue<'de> = map.next_value()?;
                    match members.iter_mut().find(|(mk, _)| *mk == k) {
                        Some(slot) => slot.1 = v,
                        None => members.push((k, v)),
                    }
                }
                Ok(JsonValue::Object(JsonObject(members)))
            }
        }
        d.deserialize_any(V)
    }
}

/// [`value_time`] of a borrowed value.
pub(crate) fn json_value_time(v: &JsonValue<'_>, ctx: &mut TimeCtx) -> Option<Micros> {
    match v {
        JsonValue::String(s) => {
            if s.is_empty() || s.len() > 64 {
                return None;
            }
            parse_text_timestamp(s, ctx)
        }
        JsonValue::Number(n) => number_epoch(n),
        JsonValue::Object(o) => {
            if let Some(d) = o.get("$date") {
                return match d {
                    JsonValue::Object(inner) => inner
                        .get("$numberLong")
                        .and_then(|x| json_value_time(x, ctx)),
                    other => json_value_time(other, ctx),
                };
            }
            let secs = o.get("seconds")?;
            let secs = match secs {
                JsonValue::Number(n) => n.as_i64()?,
                JsonValue::String(s) => s.parse().ok()?,
                _ => return None,
            };
            let nanos = o.get("nanos").and_then(JsonValue::as_i64).unwrap_or(0);
            if !(0..=1_000_000_000).contains(&nanos) || !(0..=1i64 << 40).contains(&secs) {
                return None;
            }
            Some(secs * 1_000_000 + nanos / 1000)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_values_read_as_serde_json_does() {
        let line = r#"{"msg":"plain","esc":"a\"b","n":-3,"f":1.50,"big":18446744073709551615,"o":{"k":1,"k":2,"j":null},"a":[1,"x",true]}"#;
        let v: JsonValue = serde_json::from_str(line).unwrap();
        let reference: Value = serde_json::from_str(line).unwrap();
        let JsonValue::Object(o) = &v else {
            panic!("not an object")
        };
        assert!(matches!(
            o.get("msg"),
            Some(JsonValue::String(Cow::Borrowed("plain")))
        ));
        assert_eq!(o.get("esc").and_then(JsonValue::as_str), Some("a\"b"));
        for key in ["n", "f", "big"] {
            let JsonValue::Number(n) = o.get(key).unwrap() else {
                panic!("{key} is not a number")
            };
            assert_eq!(n.to_string(), reference[key].to_string(), "{key}");
        }
        // A repeated key keeps its place and takes the last value.
        let inner = o.get("o").unwrap();
        let JsonValue::Object(inner) = inner else {
            panic!("not an object")
        };
        let keys: Vec<&str> = inner.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["k", "j"]);
        assert_eq!(inner.get("k").and_then(JsonValue::as_u64), Some(2));
        assert_eq!(inner.get("j"), Some(&JsonValue::Null));
        assert!(matches!(o.get("a"), Some(JsonValue::Array(items)) if items.len() == 3));
        assert_eq!(v.clone().into_owned(), v);
    }
}
