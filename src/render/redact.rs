//! Masking of client addresses and user ids in the reports people share
//! (Markdown and HTML); the JSON keeps the raw values for tools.
//!
//! What is masked, wherever it appears in text taken from the logs:
//! - IPv4 addresses: the last octet (`203.0.113.7` → `203.0.113.x`);
//! - IPv6 addresses: all but the first three groups (`2001:db8:85a3:…`);
//! - e-mail addresses: all but the first character of the local part
//!   (`alice@example.com` → `a***@example.com`);
//! - the values of user-id keys (`user=`, `user_id:`, `uid=`, `login=`,
//!   `account_id=`, `customer=`, `email=`...): all but the first
//!   character (`user_id=u48213` → `user_id=u***`).
//!
//! What is kept, because it names the service rather than its users and
//! the report needs it: the addresses of the backends the analysis saw
//! (`10.0.1.12:8080` is where the failures were), the host of a URL
//! (`http://10.0.1.12:8080/api` is an upstream), and the input paths and
//! the command line (an address in a file name names a server, and the
//! command must reproduce the run).

use std::borrow::Cow;
use std::collections::HashSet;
use std::net::Ipv6Addr;
use std::sync::OnceLock;

use regex::Regex;

use crate::analysis::suspects::Evidence;
use crate::analysis::{Analysis, Incident};

/// What a report masks; [`Redactor::off`] masks nothing (`--no-redact`).
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    enabled: bool,
    /// Addresses (without port) that are the service's own.
    keep_hosts: HashSet<String>,
    /// Text kept verbatim wherever it appears (paths, the command line),
    /// as one search, longest first (thousands of inputs stay fast).
    keep_literals: Option<Regex>,
}

impl Redactor {
    /// Masks nothing.
    pub fn off() -> Redactor {
        Redactor::default()
    }

    /// Masks client values, keeping `keep_hosts` (addresses of the
    /// service's own servers) and `keep_literals` verbatim.
    pub fn new(
        keep_hosts: impl IntoIterator<Item = String>,
        keep_literals: impl IntoIterator<Item = String>,
    ) -> Redactor {
        let mut literals: Vec<String> = keep_literals
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect();
        // Longest first, so a path that contains another is kept whole
        // (the alternation prefers the earlier of two at the same start).
        literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
        literals.dedup();
        let pattern: Vec<String> = literals.iter().map(|l| regex::escape(l)).collect();
        // Too many to search at once (the size limit) masks the paths
        // too: safe, only less readable.
        let keep_literals = (!literals.is_empty())
            .then(|| {
                regex::RegexBuilder::new(&pattern.join("|"))
                    .size_limit(64 << 20)
                    .build()
                    .ok()
            })
            .flatten();
        Redactor {
            enabled: true,
            keep_hosts: keep_hosts.into_iter().map(|h| host_of(&h)).collect(),
            keep_literals,
        }
    }

    /// The redactor for a report on `a`: the backends seen in the series
    /// and named by suspects are kept, and so are the input paths and
    /// `command_line`.
    pub fn for_report(a: &Analysis, incidents: &[Incident], command_line: &str) -> Redactor {
        let mut hosts: HashSet<String> = HashSet::new();
        if let Some((k0, k1)) = a.series.key_range() {
            for (_, b) in a.series.present(k0, k1) {
                for name in b.backends.keys() {
                    hosts.insert(name.to_string());
                }
            }
        }
        for (_, s) in &a.source_series {
            if let Some((k0, k1)) = s.key_range() {
                for (_, b) in s.present(k0, k1) {
                    hosts.extend(b.backends.keys().map(|n| n.to_string()));
                }
            }
        }
        for i in incidents {
            for s in &i.suspects {
                match &s.evidence {
                    Evidence::Imbalance { backend, .. } | Evidence::Failing { backend, .. } => {
                        hosts.insert(backend.clone());
                    }
                    _ => {}
                }
            }
        }
        let mut literals: Vec<String> = a.inputs.iter().map(|i| i.path.clone()).collect();
        literals.push(command_line.to_string());
        Redactor::new(hosts, literals)
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// `text` with client values masked (unchanged when off).
    pub fn apply<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.enabled || !might_hold_client_values(text) {
            return Cow::Borrowed(text);
        }
        // The kept literals split the text; only the pieces between them
        // are masked.
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        if let Some(keep) = &self.keep_literals {
            for m in keep.find_iter(text) {
                out.push_str(&self.mask(&text[last..m.start()]));
                out.push_str(m.as_str());
                last = m.end();
            }
        }
        out.push_str(&self.mask(&text[last..]));
        if out == text {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(out)
        }
    }

    fn mask(&self, text: &str) -> String {
        let text = mask_user_ids(text);
        let text = mask_emails(&text);
        let text = self.mask_ipv6(&text);
        self.mask_ipv4(&text)
    }

    fn mask_ipv4(&self, text: &str) -> String {
        let re = regex(&IPV4, r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}");
        replace_checked(text, re, |s, start, end| {
            let m = &s[start..end];
            let before = s[..start].chars().next_back();
            let after = s[end..].chars().next();
            // Part of a longer dotted number or word (a version 1.2.3.4.5,
            // an OID), or the host of a URL: not a client address.
            if before.is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_')
                || after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                || (after == Some('.') && s[end + 1..].starts_with(|c: char| c.is_ascii_digit()))
                || s[..start].ends_with("//")
            {
                return None;
            }
            if m.split('.')
                .any(|o| o.parse::<u16>().map_or(true, |v| v > 255))
            {
                return None;
            }
            if self.keep_hosts.contains(m) {
                return None;
            }
            let (net, _) = m.rsplit_once('.')?;
            Some(format!("{net}.x"))
        })
    }

    fn mask_ipv6(&self, text: &str) -> String {
        let re = regex(&IPV6, r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}");
        replace_checked(text, re, |s, start, end| {
            let m = &s[start..end];
            let before = s[..start].chars().next_back();
            let after = s[end..].chars().next();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                || after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                || !m.bytes().any(|b| b.is_ascii_digit())
            {
                return None;
            }
            // An address in brackets keeps its port after them, so the
            // match is the address alone; a bare one with a port is not
            // recognised (ambiguous), as it is not an address as written.
            let addr: Ipv6Addr = m.parse().ok()?;
            if s[..start].ends_with("//[") || self.keep_hosts.contains(&addr.to_string()) {
                return None;
            }
            let g = addr.segments();
            Some(format!("{:x}:{:x}:{:x}:…", g[0], g[1], g[2]))
        })
    }
}

/// Cheap test: no digit and no `@` or `=`/`:` means nothing to mask.
fn might_hold_client_values(text: &str) -> bool {
    text.bytes()
        .any(|b| b.is_ascii_digit() || b == b'@' || b == b'=' || b == b':')
}

/// The address of a backend name: without its port and brackets.
fn host_of(name: &str) -> String {
    let name = name.trim();
    if let Some(rest) = name.strip_prefix('[') {
        if let Some((h, _)) = rest.split_once(']') {
            return h
                .parse::<Ipv6Addr>()
                .map_or(h.to_string(), |a| a.to_string());
        }
    }
    if let Ok(a) = name.parse::<Ipv6Addr>() {
        return a.to_string();
    }
    match name.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => name.to_string(),
    }
}

static IPV4: OnceLock<Regex> = OnceLock::new();
static IPV6: OnceLock<Regex> = OnceLock::new();
static EMAIL: OnceLock<Regex> = OnceLock::new();
static USER: OnceLock<Regex> = OnceLock::new();

fn regex<'a>(cell: &'a OnceLock<Regex>, pattern: &str) -> &'a Regex {
    // The patterns are constants of this module, checked by its tests.
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|_| unreachable!("valid regex")))
}

/// Replaces the matches of `re` for which `f` (text, start, end) gives a
/// replacement; the others stay.
fn replace_checked(
    text: &str,
    re: &Regex,
    f: impl Fn(&str, usize, usize) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in re.find_iter(text) {
        if let Some(r) = f(text, m.start(), m.end()) {
            out.push_str(&text[last..m.start()]);
            out.push_str(&r);
            last = m.end();
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The first character and `***`.
fn keep_first(value: &str) -> String {
    let first: String = value.chars().take(1).collect();
    format!("{first}***")
}

fn mask_emails(text: &str) -> String {
    let re = regex(
        &EMAIL,
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    );
    replace_checked(text, re, |s, start, end| {
        let m = &s[start..end];
        let (local, domain) = m.split_once('@')?;
        if local.ends_with("***") {
            return None;
        }
        Some(format!("{}@{domain}", keep_first(local)))
    })
}

/// The values of keys that name a user: `user=alice`, `user_id: 42`,
/// `"uid":"u-9"`, `login=bob`, `account_id=...`, `customer=...`,
/// `email=...`. A masked placeholder (`<*>`) or `-` stays.
fn mask_user_ids(text: &str) -> String {
    let re = regex(
        &USER,
        r#"(?i)\b(?:user(?:_?id|_?name)?|uid|login|account(?:_?id)?|customer(?:_?id)?|member(?:_?id)?|e-?mail)["']?\s*[:=]\s*["']?([^\s"',;&)\]}]+)"#,
    );
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let (Some(whole), Some(value)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        // `\b` does not see `_` as a boundary: `x_user=` is another key.
        if text[..whole.start()].ends_with('_') {
            continue;
        }
        let v = value.as_str();
        if v == "-" || v.starts_with("<*>") || v.ends_with("***") {
            continue;
        }
        out.push_str(&text[last..value.start()]);
        out.push_str(&keep_first(v));
        last = value.end();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> Redactor {
        Redactor::new(
            ["10.0.1.12:8080".to_string()],
            ["logs/10.9.9.9/access.log".into()],
        )
    }

    #[test]
    fn client_addresses_are_masked() {
        let r = on();
        // A real nginx error line's context (see tests/realworld/NOTICE.md).
        let line = r#"connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "http://10.0.1.12:8080/", host: "shop.example.com""#;
        let got = r.apply(line);
        assert!(got.contains("client: 203.0.113.x,"), "{got}");
        assert!(got.contains("http://10.0.1.12:8080/"), "{got}");
        assert!(got.contains("(111: Connection refused)"), "{got}");
        assert_eq!(r.apply("from 198.51.100.23"), "from 198.51.100.x");
        assert_eq!(
            r.apply("client 2001:db8:85a3::8a2e:370:7334 reset"),
            "client 2001:db8:85a3:… reset"
        );
        assert_eq!(r.apply("peer [2001:db8::1]:443"), "peer [2001:db8:0:…]:443");
        assert_eq!(r.apply("fe80::1%eth0"), "fe80:0:0:…%eth0");
    }

    #[test]
    fn service_addresses_times_and_versions_stay() {
        let r = on();
        for keep in [
            "weight of 10.0.1.12:8080 set to 15",
            "backend 10.0.1.12 down",
            "at 08:38:05.123 and 10:00:00",
            "deployed v1.2.3.4 and 1.2.3.4.5",
            "reading logs/10.9.9.9/access.log",
            "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "crate::module::fn",
            "999.1.1.1 is no address",
        ] {
            assert_eq!(r.apply(keep), keep);
        }
    }

    #[test]
    fn user_ids_and_emails_are_masked() {
        let r = on();
        assert_eq!(
            r.apply("login failed for alice@example.com"),
            "login failed for a***@example.com"
        );
        assert_eq!(
            r.apply("user_id=u48213 cart=7 user: bob"),
            "user_id=u*** cart=7 user: b***"
        );
        assert_eq!(
            r.apply(r#"{"uid":"9f3a","userName":"carol"}"#),
            r#"{"uid":"9***","userName":"c***"}"#
        );
        assert_eq!(r.apply("email=dave@corp.example"), "email=d***");
        // Placeholders, other keys and words stay.
        for keep in [
            "user: <*>",
            "user=-",
            "user_agent=curl/8.0",
            "users: 5",
            "browser_user=x",
        ] {
            assert_eq!(r.apply(keep), keep);
        }
    }

    #[test]
    fn many_kept_paths_stay_fast_and_kept() {
        let paths: Vec<String> = (0..5000)
            .map(|k| format!("hosts/10.1.{}.{}/access.log", k / 250, k % 250))
            .collect();
        let r = Redactor::new(Vec::<String>::new(), paths.clone());
        let text: String = paths
            .iter()
            .map(|p| format!("`{p}` client 198.51.100.7\n"))
            .collect();
        let got = r.apply(&text);
        assert_eq!(got.matches("198.51.100.x").count(), 5000);
        assert!(got.contains("hosts/10.1.19.249/access.log"));
    }

    #[test]
    fn off_keeps_everything() {
        let s = "client: 203.0.113.7 user=alice a@b.example";
        assert_eq!(Redactor::off().apply(s), s);
        assert!(!Redactor::off().is_enabled());
    }

    #[test]
    fn masking_is_idempotent() {
        let r = on();
        let s = "client: 203.0.113.7 user=alice a@b.example 2001:db8::1";
        let once = r.apply(s).into_owned();
        assert_eq!(r.apply(&once), once);
    }
}
