//! The one way the scan walks the lines of a block: split at `\n`, a
//! trailing `\r` dropped, blank lines counted for line numbers but not
//! yielded. Every reader (the first pass, the second read, `records`)
//! uses it, so they agree on line numbers and on what a line is.

use crate::format;

/// The non-blank lines of a block with their 1-based number within it.
pub struct Lines<'b> {
    block: &'b [u8],
    pos: usize,
    number: u64,
    newlines: u64,
}

impl<'b> Lines<'b> {
    pub fn new(block: &'b [u8]) -> Lines<'b> {
        Lines {
            block,
            pos: 0,
            number: 0,
            newlines: 0,
        }
    }

    /// Line breaks passed so far; after the last line, all of the block's
    /// (the lines the next block's numbers start after).
    pub fn newlines(&self) -> u64 {
        self.newlines
    }

    /// The next non-blank line, without moving past it: for the formats
    /// whose first line needs the second ([`format::LogFormat::needs_next_line`]).
    /// `None` at the end of the block (the next block's first line is not
    /// seen).
    pub fn peek(&self) -> Option<&'b [u8]> {
        let mut rest = self.block.get(self.pos..)?;
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            let line = strip_cr(&rest[..end]);
            if !line.is_empty() && !format::is_blank(line) {
                return Some(line);
            }
            rest = rest.get(end + 1..).unwrap_or(&[]);
        }
        None
    }
}

impl<'b> Iterator for Lines<'b> {
    type Item = (u64, &'b [u8]);

    #[inline]
    fn next(&mut self) -> Option<(u64, &'b [u8])> {
        let len = self.block.len();
        while self.pos < len {
            let rest = &self.block[self.pos..];
            let end = match memchr::memchr(b'\n', rest) {
                Some(i) => {
                    self.newlines += 1;
                    i
                }
                None => rest.len(),
            };
            let line = strip_cr(&rest[..end]);
            self.pos += end + 1;
            self.number += 1;
            if !line.is_empty() && !format::is_blank(line) {
                return Some((self.number, line));
            }
        }
        None
    }
}

/// A line without its trailing `\r` (CRLF files).
#[inline]
pub fn strip_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

/// A line as shown to people: lossy UTF-8, cut to a sensible length.
pub fn display_line(line: &[u8]) -> String {
    super::partial::truncate_chars(&String::from_utf8_lossy(line), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_sees_the_next_non_blank_line_without_moving() {
        let mut lines = Lines::new(b"a\n\n  \r\nb\r\nc");
        assert_eq!(lines.next(), Some((1, &b"a"[..])));
        assert_eq!(lines.peek(), Some(&b"b"[..]));
        assert_eq!(lines.next(), Some((4, &b"b"[..])));
        assert_eq!(lines.peek(), Some(&b"c"[..]));
        assert_eq!(lines.next(), Some((5, &b"c"[..])));
        assert_eq!(lines.peek(), None);
        assert_eq!(lines.next(), None);
    }

    fn collect(block: &[u8]) -> (Vec<(u64, &[u8])>, u64) {
        let mut lines = Lines::new(block);
        let got: Vec<_> = lines.by_ref().collect();
        (got, lines.newlines())
    }

    /// A block, the lines it yields (number, text), and its line breaks.
    type Case = (&'static [u8], &'static [(u64, &'static [u8])], u64);

    #[test]
    fn cases() {
        let cases: &[Case] = &[
            (b"", &[], 0),
            (b"a\n", &[(1, b"a")], 1),
            (b"a", &[(1, b"a")], 0),
            (b"a\nb", &[(1, b"a"), (2, b"b")], 1),
            // Blank and white-space lines count for numbering only.
            (b"a\n\n  \t\nb\n", &[(1, b"a"), (4, b"b")], 4),
            // CRLF: the \r goes; a lone \r line is blank.
            (b"a\r\n\r\nb\r\n", &[(1, b"a"), (3, b"b")], 3),
            (b"\n\n", &[], 2),
        ];
        for (block, want, newlines) in cases {
            let (got, n) = collect(block);
            assert_eq!(&got, want, "{:?}", String::from_utf8_lossy(block));
            assert_eq!(n, *newlines, "{:?}", String::from_utf8_lossy(block));
        }
    }

    #[test]
    fn numbers_continue_across_blocks_by_their_newlines() {
        // Blocks are cut after a newline; numbering the second block from
        // the first one's newlines gives the whole file's numbers.
        let whole = b"a\n\nb\nc\n\nd\n";
        let (all, _) = collect(whole);
        let (first, base) = collect(&whole[..5]);
        let (second, _) = collect(&whole[5..]);
        let joined: Vec<(u64, &[u8])> = first
            .into_iter()
            .chain(second.into_iter().map(|(n, l)| (n + base, l)))
            .collect();
        assert_eq!(joined, all);
    }
}
