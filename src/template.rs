//! Message templates: a message with its variable parts (numbers, ids,
//! addresses, hex) masked, so that "the same error" can be counted and
//! compared across time.

/// Longest template kept.
const MAX_TEMPLATE: usize = 200;
/// Longest text considered before the trailing context is taken off (the
/// context of an nginx error is rarely longer than this).
const MAX_SCANNED: usize = 4 * MAX_TEMPLATE;

/// The template of a message: double-quoted values (request lines, URLs,
/// referrers) become `"<*>"`, every whitespace-separated word containing a
/// digit becomes `<*>` (keeping surrounding punctuation), runs of white
/// space become one space, trailing variable context is taken off (see
/// [`strip_variable_context`]), and the result is cut to 200 characters.
pub fn template(text: &str) -> String {
    let unquoted = mask_quoted(text);
    let mut out = String::with_capacity(text.len().min(256));
    for word in unquoted.split_whitespace() {
        if out.len() >= MAX_SCANNED {
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
    strip_variable_context(&mut out);
    if out.len() > MAX_TEMPLATE {
        let mut cut = MAX_TEMPLATE;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    out
}

/// Takes off the trailing `, key: <*>` pairs: context whose value varies
/// from line to line, appended after the message itself. nginx adds
/// `client`, `server`, `request`, `upstream`, `host` and `referrer` to an
/// error depending on the state of the request (a request without a
/// Referer header has no `referrer:`), so the same error would otherwise
/// make several templates. A pair whose value is a constant (`server:
/// shop.example.com`, `reason: timeout`) is part of what the error is:
/// stripping stops there. The message before the context always stays.
fn strip_variable_context(out: &mut String) {
    while let Some(cut) = out.rfind(", ") {
        let pair = &out[cut + 2..];
        let Some((key, value)) = pair.split_once(": ") else {
            break;
        };
        let key_ok = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        let value = value.trim_end_matches([',', ';', '.']);
        let variable = value == "<*>" || value == "\"<*>\"";
        if !(key_ok && variable) || out[..cut].trim().is_empty() {
            break;
        }
        out.truncate(cut);
    }
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
            "connect() failed (<*>: Connection refused) while connecting to upstream"
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

    /// Real nginx error lines (messages after the `*N` connection number),
    /// quoted in public documentation and notes: the troubleshooting page
    /// of GitLab's Geo documentation (CC BY-SA 4.0), and nginx notes in
    /// public repositories (one line each, as nginx printed it; the second
    /// line of each pair is the first with other values and without the
    /// referrer). The same error with and without the optional context is
    /// one template.
    #[test]
    fn the_same_nginx_error_with_and_without_referrer_is_one_template() {
        let with_referrer = r#"upstream sent too big header while reading response header from upstream, client: 10.0.2.2, server: geo.staging.gitlab.com, request: "POST /users/sign_in HTTP/2.0", upstream: "http://unix:/var/opt/gitlab/gitlab-workhorse/sockets/socket:/users/sign_in", host: "geo.staging.gitlab.com", referrer: "https://geo.staging.gitlab.com/users/sign_in""#;
        let without = r#"upstream sent too big header while reading response header from upstream, client: 10.0.2.9, server: geo.staging.gitlab.com, request: "GET /api/v4/projects HTTP/2.0", upstream: "http://unix:/var/opt/gitlab/gitlab-workhorse/sockets/socket:/api/v4/projects", host: "geo.staging.gitlab.com""#;
        assert_eq!(template(with_referrer), template(without));
        assert_eq!(
            template(with_referrer),
            "upstream sent too big header while reading response header from upstream, client: <*>, server: geo.staging.gitlab.com"
        );
        let recv = r#"recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 223.104.3.203, server: banli17.com, request: "POST /poem/generate HTTP/1.1", upstream: "http://103.4.128.43:80/poem/generate", host: "www.banli17.com", referrer: "https://servicewechat.com/wxec40586820dc1549/12/page-frame.html""#;
        let recv_no_referrer = r#"recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 223.104.3.9, server: banli17.com, request: "GET / HTTP/1.1", upstream: "http://103.4.128.43:80/", host: "www.banli17.com""#;
        assert_eq!(template(recv), template(recv_no_referrer));
        // An empty server name (a default server) is context nginx prints
        // as it is: the same either way.
        let grpc = r#"upstream prematurely closed connection while reading response header from upstream, client: 192.168.48.1, server: , request: "POST /techschool_pcbook.AuthService/Login HTTP/2.0", upstream: "grpc://192.168.48.3:50051", host: "0.0.0.0:8080""#;
        let grpc_referrer = format!(r#"{grpc}, referrer: "https://example.org/""#);
        assert_eq!(template(grpc), template(&grpc_referrer));
    }

    #[test]
    fn constant_context_and_different_errors_stay_apart() {
        // Another virtual host is another service's error.
        assert_ne!(
            template(
                r#"upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: shop.example.com, request: "GET / HTTP/1.1""#
            ),
            template(
                r#"upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: api.example.com, request: "GET / HTTP/1.1""#
            )
        );
        // A constant value says what the error is.
        assert_ne!(
            template("login failed, reason: expired"),
            template("login failed, reason: locked")
        );
        assert_ne!(
            template("connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4"),
            template("upstream timed out (110: Connection timed out) while connecting to upstream, client: 1.2.3.4")
        );
        // Variable context alone is never stripped to nothing.
        assert_eq!(template("client: 10.0.0.1"), "client: <*>");
        assert_eq!(template(", client: 10.0.0.1"), ", client: <*>");
    }
}
