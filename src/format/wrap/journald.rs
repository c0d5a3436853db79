//! `journalctl -o json` (and `-o export` piped through a JSON converter):
//! one JSON object a line with journald's fields: `MESSAGE` (a string, or
//! an array of bytes when it is not UTF-8), `PRIORITY` (syslog severity),
//! `__REALTIME_TIMESTAMP` (microseconds since the epoch), `_HOSTNAME`,
//! `SYSLOG_IDENTIFIER`, `_SYSTEMD_UNIT`.

use std::borrow::Cow;

use crate::format::lex::json_object::JsonValue;
use crate::record::Level;
use crate::time::{epoch_to_micros, TimeCtx};

use super::{bytes_of, json_object, str_of, Envelope, Inner, Wrapper};

pub struct Journald;

impl Wrapper for Journald {
    fn name(&self) -> &'static str {
        "journald"
    }

    fn description(&self) -> &'static str {
        "journald JSON (journalctl -o json)"
    }

    fn strong(&self) -> bool {
        true
    }

    fn source<'x>(&self, inner: &'x Inner<'_>) -> Option<&'x str> {
        super::field_value(inner, &["ident", "unit"])
    }

    fn open<'a>(&self, line: &'a [u8], _ctx: &mut TimeCtx) -> Envelope<'a> {
        if memchr::memmem::find(line, b"\"MESSAGE\"").is_none() {
            return Envelope::Not;
        }
        let Some(o) = json_object(line) else {
            return Envelope::Not;
        };
        // The time the message was logged, else when journald received it.
        let at = ["_SOURCE_REALTIME_TIMESTAMP", "__REALTIME_TIMESTAMP"]
            .iter()
            .find_map(|k| str_of(&o, k).and_then(|t| epoch_to_micros(&t)));
        if at.is_none() && o.get("__CURSOR").is_none() {
            return Envelope::Not;
        }
        let text: Cow<'a, [u8]> = match o.get("MESSAGE") {
            Some(JsonValue::String(s)) => bytes_of(s.clone()),
            // Not UTF-8: journald writes the bytes as numbers.
            Some(JsonValue::Array(bytes)) => Cow::Owned(
                bytes
                    .iter()
                    .filter_map(|b| b.as_u64().and_then(|n| u8::try_from(n).ok()))
                    .collect(),
            ),
            _ => return Envelope::Not,
        };
        let mut inner = Inner::new(text, at);
        inner.level = str_of(&o, "PRIORITY")
            .and_then(|p| p.trim().parse::<u8>().ok())
            .map(Level::from_syslog_severity);
        for (key, field) in [
            ("_HOSTNAME", "host"),
            ("SYSLOG_IDENTIFIER", "ident"),
            ("_SYSTEMD_UNIT", "unit"),
            ("CONTAINER_NAME", "container"),
        ] {
            if let Some(v) = str_of(&o, key) {
                inner.field(field, v);
            }
        }
        Envelope::One(inner)
    }
}
