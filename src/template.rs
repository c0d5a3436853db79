//! Message templates: a message with its variable parts (numbers, ids,
//! addresses, hex) masked, so that "the same error" can be counted and
//! compared across time.

/// The template of a message: double-quoted values (request lines, URLs,
/// referrers) become `"<*>"`, every whitespace-separated word containing a
/// digit becomes `<*>` (keeping surrounding punctuation), runs of white
/// space become one space, and the result is cut to 200 characters.
pub fn template(text: &str) -> String {
    let unquoted = mask_quoted(text);
    let mut out = String::with_capacity(text.len().min(256));
    for word in unquoted.split_whitespace() {
        if out.len() >= 200 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if word.bytes().any(|b| b.is_ascii_digit()) || looks_like_id(word) {
            let lead: String = word
                .chars()
                .take_while(|c| matches!(c, '(' | '[' | '"' | '\'' | '<' | '{'))
                .collect();
            let trail: String = word
                .chars()
                .rev()
                .take_while(|c| {
                    matches!(
                        c,
                        ')' | ']' | '"' | '\'' | '>' | '}' | ',' | ';' | ':' | '.'
                    )
                })
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            out.push_str(&lead);
            out.push_str("<*>");
            if trail.len() < word.len() {
                out.push_str(&trail);
            }
        } else {
            out.push_str(word);
        }
    }
    if out.len() > 200 {
        let mut cut = 200;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// Replaces the inside of each `"..."` with `<*>`; an unclosed quote masks
/// the rest of the text (a line cut mid-value).
fn mask_quoted(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('"') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..open]);
        out.push_str("\"<*>\"");
        let after = &rest[open + 1..];
        match after.find('"') {
            Some(close) => rest = &after[close + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Long hex-ish or base64-ish words without digits are ids too (rare, but
/// request ids can be all letters).
fn looks_like_id(word: &str) -> bool {
    word.len() >= 24
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_parts_are_masked() {
        assert_eq!(
            template("connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, upstream: \"http://10.0.1.12:8080/api\""),
            "connect() failed (<*>: Connection refused) while connecting to upstream, client: <*>, upstream: \"<*>\""
        );
        assert_eq!(
            template(
                r#"upstream timed out, request: "GET /products/steel-case HTTP/2.0", host: "shop""#
            ),
            template(r#"upstream timed out, request: "POST /api/checkout HTTP/1.1", host: "x""#)
        );
        assert_eq!(template(r#"cut "mid value"#), r#"cut "<*>""#);
        assert_eq!(
            template("pool exhausted after 30000ms"),
            "pool exhausted after <*>"
        );
        assert_eq!(template("a   b"), "a b");
        assert_eq!(
            template("request 3f2a9c1e0b4d failed"),
            template("request 9a8b7c6d5e4f failed")
        );
    }
}
