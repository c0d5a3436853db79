//! `docker compose logs` (and `docker-compose logs`): `service-1  | line`,
//! the service's name padded to a column, optionally followed by the time
//! (`--timestamps`).

use std::borrow::Cow;

use crate::time::TimeCtx;

use super::{leading_stamp, Envelope, Inner, Wrapper};

pub struct Compose;

impl Wrapper for Compose {
    fn name(&self) -> &'static str {
        "compose"
    }

    fn description(&self) -> &'static str {
        "docker compose logs (service-1  | <line>)"
    }

    fn strong(&self) -> bool {
        false
    }

    fn source<'x>(&self, inner: &'x Inner<'_>) -> Option<&'x str> {
        // `web-1` and `web-2` are replicas of one service: one format.
        let name = super::field_value(inner, &["service"])?;
        Some(match name.rsplit_once(['-', '_']) {
            Some((base, n)) if !base.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
            _ => name,
        })
    }

    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a> {
        let name_end = line
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
            .unwrap_or(line.len());
        if name_end == 0 {
            return Envelope::Not;
        }
        let after = &line[name_end..];
        let pad = after.iter().take_while(|&&b| b == b' ').count();
        let Some(rest) = after[pad..].strip_prefix(b"|") else {
            return Envelope::Not;
        };
        if pad == 0 {
            return Envelope::Not;
        }
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        let (at, rest) = match rest.first().is_some_and(u8::is_ascii_digit) {
            true => match leading_stamp(rest, ctx) {
                Some((t, r)) => (Some(t), r),
                None => (None, rest),
            },
            false => (None, rest),
        };
        let mut inner = Inner::new(rest, at);
        if let Ok(name) = std::str::from_utf8(&line[..name_end]) {
            inner.field("service", Cow::Borrowed(name));
        }
        Envelope::One(inner)
    }
}
