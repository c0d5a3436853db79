//! Output: text for people, JSON and NDJSON for tools, and the postmortem
//! draft in Markdown and HTML.

pub mod clock;
pub mod html;
pub mod json;
pub mod markdown;
pub mod redact;
pub mod text;

/// Replaces terminal control characters (escape sequences, carriage
/// returns, bells) so that log text written by strangers cannot drive the
/// terminal. Tabs become spaces. Bidirectional overrides and isolates are
/// shown as escapes too: they would make the rest of a line (our own text
/// included) read in a different order than it was written.
pub fn sanitize_for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push(' '),
            '\n' => out.push('⏎'),
            c if is_unsafe(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Control characters (C0, DEL, C1) and bidirectional formatting marks.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_are_defused() {
        let s = sanitize_for_terminal("evil\x1b]0;pwned\x07 \x1b[31mred");
        assert!(!s.contains('\x1b'));
        assert!(!s.contains('\x07'));
        assert_eq!(sanitize_for_terminal("plain"), "plain");
        // C1 CSI, and a right-to-left override that would reverse the rest.
        let s = sanitize_for_terminal("a\u{9b}31m b\u{202e}gnp.exe c\u{2067}d");
        assert_eq!(s, "a\\u{9b}31m b\\u{202e}gnp.exe c\\u{2067}d");
        assert_eq!(
            sanitize_for_terminal("Müller, 東京, עברית"),
            "Müller, 東京, עברית"
        );
    }
}
