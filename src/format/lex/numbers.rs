//! Numbers as logs write them: decimal seconds and durations with units.

use super::find_byte;

/// A decimal number `123` or `0.123`: integer part, fraction digits read
/// (up to 9 kept), and how many fraction digits were written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Decimal {
    /// The integer part.
    pub int: u64,
    frac: u64,
    kept: u32,
    /// Fraction digits as written (`0.123` has 3).
    pub frac_digits: u32,
}

impl Decimal {
    /// The value, read as seconds, in milliseconds. Integer arithmetic keeps
    /// `0.123` at exactly 123.
    #[inline]
    pub fn ms(&self) -> f64 {
        (self.int as f64) * 1000.0 + (self.frac * 1000) as f64 / 10u64.pow(self.kept) as f64
    }
}

/// Parses a whole slice as an unsigned decimal number.
#[inline]
pub(crate) fn decimal(b: &[u8]) -> Option<Decimal> {
    let dot = find_byte(b'.', b);
    let int_part = b.get(..dot.unwrap_or(b.len()))?;
    if int_part.is_empty() || int_part.len() > 15 {
        return None;
    }
    let mut int: u64 = 0;
    for &c in int_part {
        if !c.is_ascii_digit() {
            return None;
        }
        int = int * 10 + (c - b'0') as u64;
    }
    let mut d = Decimal {
        int,
        frac: 0,
        kept: 0,
        frac_digits: 0,
    };
    if let Some(dot) = dot {
        let frac_part = b.get(dot + 1..)?;
        if frac_part.is_empty() {
            return None;
        }
        for &c in frac_part {
            if !c.is_ascii_digit() {
                return None;
            }
            if d.kept < 9 {
                d.frac = d.frac * 10 + (c - b'0') as u64;
                d.kept += 1;
            }
            d.frac_digits += 1;
        }
    }
    Some(d)
}

/// A Go duration string (`1.5s`, `12ms`, `350µs`, `1m30s`, `45ns`) or a
/// number with a unit suffix, in milliseconds. `None` without a unit.
pub(crate) fn unit_duration_ms(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t.len() > 40 {
        return None;
    }
    let mut total = 0.0;
    let mut rest = t;
    let mut any = false;
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|c| c.is_ascii_digit() || *c == b'.')
            .count();
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest.get(..num_len)?.parse().ok()?;
        rest = rest.get(num_len..)?;
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let unit = rest.get(..unit_len)?;
        rest = rest.get(unit_len..)?;
        let ms_per = match unit {
            "ns" => 1e-6,
            "us" | "µs" | "μs" => 1e-3,
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            _ => return None,
        };
        total += n * ms_per;
        any = true;
    }
    any.then_some(total)
}
