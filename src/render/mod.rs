//! Output: text for people, JSON and NDJSON for tools.

pub mod json;
pub mod markdown;
pub mod text;

/// Replaces terminal control characters (escape sequences, carriage
/// returns, bells) so that log text written by strangers cannot drive the
/// terminal. Tabs become spaces.
pub fn sanitize_for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push(' '),
            '\n' => out.push('⏎'),
            c if c.is_control() => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
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
    }
}
