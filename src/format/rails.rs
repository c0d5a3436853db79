//! Ruby's `Logger` and Rails' request log, docs/formats.md `rails`:
//!
//! ```text
//! I, [2024-03-09T08:00:00.123456 #1234]  INFO -- : Started GET "/" for 1.2.3.4 at 2024-03-09 08:00:00 +0000
//! E, [2024-03-09T08:00:00.135000 #1234] ERROR -- : Completed 500 Internal Server Error in 12ms (ActiveRecord: 0.0ms)
//! Started GET "/" for 127.0.0.1 at 2024-03-09 08:00:00 +0100
//! Completed 500 Internal Server Error in 12ms (ActiveRecord: 0.0ms | Allocations: 1234)
//! ```
//!
//! `Logger`'s default format: `L, [ISO time #pid] LEVEL -- progname: msg`
//! (local time). Rails' production log without it (`SimpleFormatter`):
//! `Started METHOD "path" for IP at TIME` gives the request's time; its
//! `Completed STATUS` line is a record at that time, an error for 5xx
//! (a 5xx is an error whatever level the logger gave it). Tagged lines
//! (`[request-id] Started …`) are read the same. Other lines
//! (`Processing by …`, `Rendered …`, backtraces) continue the record.

use std::borrow::Cow;

use crate::format::lex::{foreign_line, text};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_iso, parse_text_timestamp, TimeCtx};

/// Ruby Logger and Rails.
pub struct Rails;

impl LogFormat for Rails {
    fn name(&self) -> &'static str {
        "rails"
    }

    fn description(&self) -> &'static str {
        "Ruby Logger (I, [2024-03-09T08:00:00.123456 #1234]  INFO -- : msg) and Rails request lines"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if let Some(p) = logger_line(line, ctx) {
            return p;
        }
        let body = untagged(line);
        if let Some(p) = rails_line(body, None, ctx) {
            return p;
        }
        if foreign_line(line) || crate::time::parse_leading(line).is_some() {
            Parsed::Unparsed
        } else {
            Parsed::Continuation
        }
    }

    fn multiline(&self) -> bool {
        true
    }
}

/// The line without Rails' tags (`[request-id] [subdomain] `).
fn untagged(mut b: &[u8]) -> &[u8] {
    while let Some(inner) = b.strip_prefix(b"[") {
        let Some(close) = memchr::memchr(b']', inner) else {
            break;
        };
        match inner.get(close + 1..).and_then(|r| r.strip_prefix(b" ")) {
            Some(rest) => b = rest,
            None => break,
        }
    }
    b
}

fn logger_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let letter = *line.first()?;
    if !matches!(letter, b'D' | b'I' | b'W' | b'E' | b'F' | b'A') || line.get(1..4) != Some(b", [")
    {
        return None;
    }
    let body = line.get(4..)?;
    let (stamp, used) = parse_iso(body)?;
    let rest = body.get(used..)?.strip_prefix(b" #")?;
    let close = memchr::memchr(b']', rest)?;
    let pid = rest.get(..close)?;
    let rest = rest.get(close + 1..)?.trim_ascii_start();
    let sp = memchr::memchr(b' ', rest)?;
    let word = rest.get(..sp)?;
    let level = match word {
        b"ANY" | b"UNKNOWN" => None,
        _ => Some(Level::from_word(std::str::from_utf8(word).ok()?)?),
    };
    let rest = rest.get(sp..)?.trim_ascii_start().strip_prefix(b"--")?;
    let colon = memchr::memmem::find(rest, b": ")
        .or_else(|| rest.ends_with(b":").then(|| rest.len() - 1))?;
    let progname = rest.get(..colon)?.trim_ascii();
    let msg = rest.get(colon + 1..)?;
    let msg = msg.strip_prefix(b" ").unwrap_or(msg);
    let at = ctx.resolve(stamp);
    let mut fields = vec![(Cow::Borrowed("pid"), text(pid))];
    if !progname.is_empty() {
        fields.push((Cow::Borrowed("progname"), text(progname)));
    }
    if let Some(Parsed::Message { message, .. }) = rails_line(untagged(msg), Some(at), ctx) {
        // The request's status may say more than the logger's level.
        let level = match (level, message.level) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        fields.extend(message.fields);
        return Some(Parsed::Message {
            at,
            message: Message {
                level,
                text: text(msg),
                fields,
            },
        });
    }
    Some(Parsed::Message {
        at,
        message: Message {
            level,
            text: text(msg),
            fields,
        },
    })
}

/// `Started GET "/" for IP at TIME` and `Completed 500 … in 12ms`; `at`
/// is the time already known (a Logger line's).
fn rails_line<'a>(b: &'a [u8], at: Option<i64>, ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    if let Some(rest) = b.strip_prefix(b"Started ") {
        let sp = memchr::memchr(b' ', rest)?;
        let method = rest.get(..sp)?;
        if !method.iter().all(|c| c.is_ascii_uppercase()) {
            return None;
        }
        let at_pos = memchr::memmem::rfind(rest, b" at ")?;
        let time = std::str::from_utf8(rest.get(at_pos + 4..)?).ok()?;
        let at = match at {
            Some(at) => at,
            None => parse_text_timestamp(time, ctx)?,
        };
        let mut fields = vec![(Cow::Borrowed("method"), text(method))];
        if let Some(ip) = memchr::memmem::rfind(rest.get(..at_pos)?, b" for ") {
            fields.push((Cow::Borrowed("client"), text(rest.get(ip + 5..at_pos)?)));
        }
        return Some(Parsed::Message {
            at,
            message: Message {
                level: Some(Level::Info),
                text: text(b),
                fields,
            },
        });
    }
    if let Some(rest) = b.strip_prefix(b"Completed ") {
        let status: u16 = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
        if rest.get(3) != Some(&b' ') {
            return None;
        }
        let at = at.or(ctx.last_at)?;
        let level = if status >= 500 {
            Level::Error
        } else {
            Level::Info
        };
        let status_text: &'static str = match status / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        };
        return Some(Parsed::Message {
            at,
            message: Message {
                level: Some(level),
                text: text(b),
                fields: vec![
                    (Cow::Borrowed("status"), text(rest.get(..3)?)),
                    (Cow::Borrowed("status_class"), Cow::Borrowed(status_text)),
                ],
            },
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        assert_detected, check, continuation, each, message, mutated_line, random_bytes, unparsed,
    };
    use proptest::prelude::*;

    /// Lines in the shapes of Ruby's Logger documentation and the Rails
    /// guides (the issue's examples); messages made up.
    const REAL: &[&str] = &[
        "I, [2024-03-09T08:00:00.123456 #1234]  INFO -- : Started GET \"/\" for 1.2.3.4 at 2024-03-09 08:00:00 +0000",
        "E, [2024-03-09T08:00:00.135000 #1234] ERROR -- : Completed 500 Internal Server Error in 12ms (ActiveRecord: 0.0ms)",
        "I, [2024-03-09T08:00:00.140000 #1234]  INFO -- : Completed 503 Service Unavailable in 3ms",
        "W, [2024-03-09T08:00:01.000000 #1234]  WARN -- sidekiq: slow job",
        "Started GET \"/\" for 127.0.0.1 at 2024-03-09 08:00:00 +0100",
        "Processing by HomeController#index as HTML",
        "Completed 500 Internal Server Error in 12ms (ActiveRecord: 0.0ms | Allocations: 1234)",
        "[af2c9c1e-2b7a-4b67-9a38-4e0e1c1c0b0a] Started POST \"/orders\" for 10.0.0.1 at 2024-03-09 08:00:02 +0000",
        "app/controllers/orders_controller.rb:12:in `create'",
    ];

    #[test]
    fn real_lines() {
        check(
            &Rails,
            &[
                (
                    REAL[0],
                    message()
                        .at("2024-03-09T08:00:00.123456Z")
                        .level(Level::Info)
                        .field("pid", "1234")
                        .field("progname", None)
                        .field("client", "1.2.3.4")
                        .text_prefix("Started GET"),
                ),
                (
                    REAL[1],
                    message().level(Level::Error).field("status", "500"),
                ),
                (
                    REAL[2],
                    message().level(Level::Error).field("status_class", "5xx"),
                ),
                (
                    REAL[3],
                    message()
                        .level(Level::Warn)
                        .field("progname", "sidekiq")
                        .text("slow job"),
                ),
                (
                    REAL[4],
                    message()
                        .at("2024-03-09T07:00:00Z")
                        .level(Level::Info)
                        .field("method", "GET"),
                ),
                (REAL[5], continuation()),
                (
                    REAL[7],
                    message().at("2024-03-09T08:00:02Z").field("method", "POST"),
                ),
                (REAL[8], continuation()),
            ],
        );
        // `Completed` takes the time of the request before it.
        let mut ctx = TimeCtx::default();
        ctx.last_at = Some(9);
        assert!(
            matches!(Rails.parse(REAL[6].as_bytes(), &mut ctx), Parsed::Message { at: 9, message } if message.level == Some(Level::Error))
        );
        check(
            &Rails,
            &each(["{\"a\":1}", "2024-03-15 10:00:00 x"], unparsed()),
        );
    }

    #[test]
    fn detected() {
        assert_detected("rails", REAL, &mut TimeCtx::default());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let mut ctx = TimeCtx::default();
            ctx.last_at = Some(0);
            let _ = Rails.parse(&line, &mut ctx);
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL.iter())) {
            let mut ctx = TimeCtx::default();
            ctx.last_at = Some(0);
            let _ = Rails.parse(&line, &mut ctx);
        }
    }
}
