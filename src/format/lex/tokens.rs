//! Bytes to text, and the space-separated and quoted tokens most line
//! formats are made of.

use std::borrow::Cow;

/// Bytes as text: borrowed when valid UTF-8, replaced lossily otherwise.
#[inline]
pub fn text(b: &[u8]) -> Cow<'_, str> {
    // `from_utf8` has an ASCII fast path that the lossy decoder lacks.
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// The text of the parts of one line, its UTF-8 checked once: a parser
/// taking several short fields from a line pays one validation instead
/// of one call per field (on fields of a few bytes the calls, not the
/// bytes, are the cost).
#[derive(Clone, Copy)]
pub struct LineText<'a> {
    line: &'a [u8],
    whole: Option<&'a str>,
}

impl<'a> LineText<'a> {
    pub fn new(line: &'a [u8]) -> LineText<'a> {
        LineText {
            line,
            whole: std::str::from_utf8(line).ok(),
        }
    }

    /// The text of `part`, a slice of the line: borrowed from the checked
    /// line when it is one; otherwise (another buffer, a line that is not
    /// UTF-8) as [`text`] reads it.
    #[inline]
    pub fn of(&self, part: &'a [u8]) -> Cow<'a, str> {
        if let Some(whole) = self.whole {
            let start = (part.as_ptr() as usize).wrapping_sub(self.line.as_ptr() as usize);
            let same = start
                .checked_add(part.len())
                .and_then(|end| whole.get(start..end))
                // The same memory, so the same bytes.
                .filter(|s| s.as_ptr() == part.as_ptr());
            if let Some(s) = same {
                return Cow::Borrowed(s);
            }
        }
        text(part)
    }
}

/// `None` for the `-` that logs write for "no value", else the text.
#[inline]
pub fn opt_text(b: &[u8]) -> Option<Cow<'_, str>> {
    if b.is_empty() || b == b"-" {
        None
    } else {
        Some(text(b))
    }
}

/// Position of `needle` in `hay`. Log fields are short, and for a short
/// distance a plain loop beats setting up a vectorised search, so the
/// first bytes are looked at one by one before handing over to memchr.
#[inline]
pub fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    const SHORT: usize = 24;
    let head = hay.len().min(SHORT);
    for (i, &c) in hay[..head].iter().enumerate() {
        if c == needle {
            return Some(i);
        }
    }
    if hay.len() <= SHORT {
        return None;
    }
    memchr::memchr(needle, &hay[SHORT..]).map(|i| i + SHORT)
}

/// Splits off the next space-separated token: (token, rest after the spaces).
#[inline]
pub fn next_token(b: &[u8]) -> (&[u8], &[u8]) {
    match find_byte(b' ', b) {
        Some(i) => {
            let mut j = i;
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            (&b[..i], &b[j..])
        }
        None => (b, &b[b.len()..]),
    }
}

/// Splits off a `"quoted"` token (backslash escapes skipped): (inside, rest
/// after the closing quote and spaces). `None` when `b` does not start with
/// a quote or the quote is never closed.
#[inline]
pub fn quoted_token(b: &[u8]) -> Option<(&[u8], &[u8])> {
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    loop {
        let j = memchr::memchr2(b'"', b'\\', &b[i..])? + i;
        if b[j] == b'\\' {
            i = j + 2;
            if i > b.len() {
                return None;
            }
            continue;
        }
        let mut k = j + 1;
        while k < b.len() && b[k] == b' ' {
            k += 1;
        }
        return Some((&b[1..j], &b[k..]));
    }
}

/// How many spaces (`' '` only) `b` starts with.
#[inline]
pub fn leading_spaces(b: &[u8]) -> usize {
    b.iter().take_while(|&&c| c == b' ').count()
}

/// `b` without its leading spaces (`' '` only).
#[inline]
pub fn skip_spaces(b: &[u8]) -> &[u8] {
    b.get(leading_spaces(b)..).unwrap_or_default()
}

/// `b` without leading and trailing spaces (`' '` only).
#[inline]
pub fn trim_spaces(b: &[u8]) -> &[u8] {
    let start = leading_spaces(b);
    let end = b.len() - b.iter().rev().take_while(|&&c| c == b' ').count();
    b.get(start..end.max(start)).unwrap_or_default()
}

/// `b` without leading and trailing ASCII white space.
pub fn trim_ascii(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if first.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// One or more ASCII digits, nothing else.
#[inline]
pub fn is_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// A count (bytes sent, bytes received): digits, or `-` for none.
#[inline]
pub fn is_count(b: &[u8]) -> bool {
    b == b"-" || is_digits(b)
}
