//! The lexing kit the format parsers share.
//!
//! Each format file is a thin parser over these pieces: it knows its own
//! layout, and borrows the tokens, numbers, addresses, JSON objects and
//! syslog headers from here, never from another format. Everything is
//! byte-level and borrows from the line.
//!
//! - `tokens`: bytes to text, space-separated and quoted tokens, trimming;
//! - `numbers`: decimal seconds, durations with units;
//! - `net`: IP addresses with or without a port;
//! - `http`: status codes and request lines;
//! - `fields`: a message's fields and their caps;
//! - `lines`: blank lines, and lines that belong to another format;
//! - [`json_object`]: a JSON object on a line, JSON time values;
//! - [`syslog_header`]: the syslog prefix (RFC 3164, RFC 5424, ISO), and
//!   the [`SyslogPayload`] hook of the formats that come behind one.

mod fields;
mod http;
pub mod json_object;
mod lines;
mod net;
mod numbers;
pub mod syslog_header;
mod tokens;

pub(crate) use fields::cap_value;
pub use fields::{Fields, MAX_FIELDS, MAX_FIELD_CHARS};
pub(crate) use http::{method_path, path_of_target, status3, status_code};
pub use lines::is_blank;
pub(crate) use lines::{
    continues_unless_digit_or_foreign, ends_python_traceback, foreign_line, is_frame_or_cause,
    looks_continued, starts_trace,
};
pub use net::strip_port;
pub(crate) use net::{forwarded_client, ip_of, is_public, split_port};
pub(crate) use numbers::{decimal, unit_duration_ms};
pub use syslog_header::SyslogPayload;
pub use tokens::{
    find_byte, is_count, is_digits, leading_spaces, next_token, opt_text, quoted_token,
    skip_spaces, text, trim_ascii, trim_spaces, LineText,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped() {
        assert_eq!(strip_port("10.0.0.1:80"), "10.0.0.1");
        assert_eq!(strip_port("[::1]:443"), "::1");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(strip_port("client"), "client");
    }

    #[test]
    fn find_byte_agrees_with_memchr() {
        let hay: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        for n in 0..hay.len() {
            for needle in [b'a', b'q', b'z', b' '] {
                assert_eq!(
                    find_byte(needle, &hay[n..]),
                    memchr::memchr(needle, &hay[n..])
                );
            }
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(next_token(b"a  b"), (&b"a"[..], &b"b"[..]));
        let (q, rest) = quoted_token(br#""GET / \"x\" HTTP/1.1" 200"#).unwrap();
        assert_eq!(q, br#"GET / \"x\" HTTP/1.1"#);
        assert_eq!(rest, b"200");
        assert!(quoted_token(b"\"open").is_none());
    }

    #[test]
    fn numbers_and_addresses() {
        assert_eq!(decimal(b"0.123").unwrap().ms(), 123.0);
        assert_eq!(decimal(b"14.998").unwrap().ms(), 14998.0);
        assert_eq!(decimal(b"12").unwrap().ms(), 12000.0);
        assert!(decimal(b"1.").is_none());
        assert!(decimal(b".5").is_none());
        assert!(decimal(b"-1").is_none());
        assert!(decimal(b"").is_none());
        assert_eq!(status3(b"404"), Some(404));
        assert_eq!(status3(b"40"), None);
        assert!(net::ipv4(b"256.1.1.1").is_none());
        assert!(net::ipv4(b"1.2.3").is_none());
        assert!(net::ipv4(b"1.2.3.4.5").is_none());
    }

    #[test]
    fn go_durations() {
        assert_eq!(unit_duration_ms("18ms"), Some(18.0));
        assert_eq!(unit_duration_ms("1.5s"), Some(1500.0));
        assert_eq!(unit_duration_ms("1m30s"), Some(90_000.0));
        assert!((unit_duration_ms("350µs").unwrap() - 0.35).abs() < 1e-12);
        assert_eq!(unit_duration_ms("12"), None);
        assert_eq!(unit_duration_ms("fast"), None);
        assert_eq!(unit_duration_ms("ms"), None);
    }
}
