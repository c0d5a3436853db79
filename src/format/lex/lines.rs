//! Whole-line tests.

/// True for lines holding nothing but white space.
#[inline]
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}
