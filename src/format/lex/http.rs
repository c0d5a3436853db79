//! HTTP pieces: status codes and request lines.

use std::borrow::Cow;

use super::{next_token, text};

/// Exactly three ASCII digits: an HTTP status.
#[inline]
pub(crate) fn status3(b: &[u8]) -> Option<u16> {
    match b {
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            Some((a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16)
        }
        _ => None,
    }
}

/// A status code: 0 (no response) or 100..=599, as a number or numeric string.
pub(crate) fn status_code(text: &str) -> Option<u16> {
    let t = text.trim();
    if t.is_empty() || t.len() > 3 || !t.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u16 = t.parse().ok()?;
    (n == 0 || (100..=599).contains(&n)).then_some(n)
}

/// Method and path of a request line `METHOD target PROTOCOL`; a full URL
/// target (proxies, ALB) gives its path.
pub(crate) fn method_path(req: &[u8]) -> (Option<Cow<'_, str>>, Option<Cow<'_, str>>) {
    let (m, rest) = next_token(req);
    let is_method = !m.is_empty()
        && m.len() <= 24
        && m.first().is_some_and(u8::is_ascii_uppercase)
        && m.iter()
            .all(|&c| c.is_ascii_uppercase() || c == b'-' || c == b'_');
    if !is_method {
        return (None, None);
    }
    let (target, _) = next_token(rest);
    let path = path_of_target(target).map(text);
    (Some(text(m)), path)
}

/// The path of a request target: itself when it starts with `/`, the
/// part after the host of a full URL, the target as it is otherwise
/// (`host:443` of a `CONNECT`); `None` for `-` and empty targets.
pub(crate) fn path_of_target(t: &[u8]) -> Option<&[u8]> {
    if t.is_empty() || t == b"-" {
        return None;
    }
    if t.first() == Some(&b'/') {
        return Some(t);
    }
    match memchr::memmem::find(t, b"://") {
        Some(i) => {
            let host = t.get(i + 3..)?;
            let slash = memchr::memchr(b'/', host)?;
            host.get(slash..)
        }
        None => Some(t),
    }
}
