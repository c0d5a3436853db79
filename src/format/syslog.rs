//! syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files).
//!
//! The header (docs/formats.md, `syslog`) is read by
//! [`lex::syslog_header`](crate::format::lex::syslog_header), which the
//! HAProxy format shares, since HAProxy lines come behind the same prefix.
//! Every line becomes a message, except those a payload reader claims:
//! syslog is built with the [`SyslogPayload`] readers of the formats that
//! hide behind a syslog header (the registry gives it HAProxy's), so a
//! mixed syslog file still yields HAProxy requests. This file never names
//! those formats, and they never name it.

use crate::format::lex::syslog_header::{parse_header, Header, HeaderTime};
use crate::format::lex::{is_blank, LineText, SyslogPayload};
use crate::format::{LogFormat, Role};
use crate::record::{Message, Parsed};
use crate::time::TimeCtx;

/// syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files).
pub struct Syslog {
    /// The readers of the formats some programs write behind the header,
    /// tried in order before a line becomes a plain message.
    payloads: &'static [&'static dyn SyslogPayload],
}

impl Syslog {
    /// Syslog handing lines over to `payloads` (the registry passes HAProxy).
    pub const fn new(payloads: &'static [&'static dyn SyslogPayload]) -> Syslog {
        Syslog { payloads }
    }

    /// The record of a line whose header has been read: a payload reader's
    /// record when one claims the line, else a message.
    fn record<'a>(&self, header: &Header<'a>, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        for payload in self.payloads {
            if let Some(parsed) = payload.read(header, ctx) {
                return parsed;
            }
        }
        let at = match header.time {
            HeaderTime::Nil => ctx.last_at,
            time => time.resolve(ctx),
        };
        let Some(at) = at else {
            return Parsed::Unparsed;
        };
        let line = LineText::new(line);
        let mut fields = ctx.field_list();
        header.push_fields_with(&mut fields, |v| line.of(v));
        Parsed::Message {
            at,
            message: Message {
                level: header.level(),
                text: line.of(header.msg),
                fields,
            },
        }
    }
}

impl LogFormat for Syslog {
    fn name(&self) -> &'static str {
        "syslog"
    }

    fn description(&self) -> &'static str {
        "syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files)"
    }

    fn role(&self) -> Role {
        Role::System
    }

    /// Syslog's requests are the HAProxy lines it carries.
    fn request_role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        // Indented lines continue a multi-line message (macOS syslog writes
        // object dumps this way; rsyslog escapes newlines as `#012` instead).
        if matches!(line.first(), Some(b' ' | b'\t')) {
            return if is_blank(line) {
                Parsed::Unparsed
            } else {
                Parsed::Continuation
            };
        }
        match parse_header(line) {
            Some(header) => self.record(&header, line, ctx),
            None => Parsed::Unparsed,
        }
    }

    fn multiline(&self) -> bool {
        true
    }

    fn yearless(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::detect;
    use crate::format::testkit::{
        check_in, continuation, detect_corpus, each, field, format, message, mutated_line,
        random_bytes, request, unparsed, CorpusFile,
    };
    use crate::record::Level;
    use crate::time::{civil_to_secs, format_rfc3339, parse_text_timestamp, YearAnchor, Zone};
    use proptest::prelude::*;

    /// Syslog as the registry builds it, handing HAProxy lines over.
    fn syslog() -> &'static dyn LogFormat {
        format("syslog")
    }

    fn ctx() -> TimeCtx {
        TimeCtx::new(
            Zone::Utc,
            YearAnchor::End(civil_to_secs(2024, 6, 1, 0, 0, 0).unwrap()),
        )
    }

    #[test]
    fn rfc3164() {
        check_in(
            syslog(),
            ctx,
            &[
                (
                    "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
                    message()
                        .at("2023-10-11T22:14:15Z")
                        // 34 = auth.crit
                        .level(Level::Critical)
                        .text("'su root' failed for lonvick on /dev/pts/8")
                        .field("host", "mymachine")
                        .field("program", "su")
                        .field("pid", None),
                ),
                (
                    "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
                    message()
                        .at("2024-02-05T17:32:18Z")
                        .level(Level::Notice)
                        .text("Use the BFG!")
                        .field("host", "10.0.0.99")
                        .field("program", None),
                ),
                // Files drop `<PRI>`: no level. Zero-padded and single-digit days.
                (
                    "Mar 05 10:00:00 web1 CRON[1234]: (root) CMD (run-parts /etc/cron.hourly)",
                    message()
                        .at("2024-03-05T10:00:00Z")
                        .level(None)
                        .field("pid", "1234")
                        .text("(root) CMD (run-parts /etc/cron.hourly)"),
                ),
                (
                    "Apr 4 03:39:57 host kernel: oops",
                    message().at("2024-04-04T03:39:57Z"),
                ),
                // No host: the tag straight after the date.
                (
                    "Feb 11 15:29:37 sshd[42]: Accepted publickey",
                    message().field("host", None).field("program", "sshd"),
                ),
                // macOS.
                (
                    "Apr 4 03:39:57 --- last message repeated 1 time ---",
                    message()
                        .text("--- last message repeated 1 time ---")
                        .no_fields(),
                ),
            ],
        );
    }

    #[test]
    fn rfc3164_in_the_zone_and_across_new_year() {
        let end = civil_to_secs(2025, 1, 2, 12, 0, 0).unwrap();
        check_in(
            syslog(),
            || TimeCtx::new(Zone::Fixed(3600), YearAnchor::End(end)),
            &[
                (
                    "Dec 31 23:59:59 h app: a",
                    message().at("2024-12-31T22:59:59Z"),
                ),
                (
                    "Jan  1 00:00:01 h app: b",
                    message().at("2024-12-31T23:00:01Z"),
                ),
            ],
        );
        let anchor = YearAnchor::Start {
            year: 2016,
            first_month: 12,
        };
        check_in(
            syslog(),
            || TimeCtx::new(Zone::Utc, anchor),
            &[
                (
                    "Dec 13 11:35:28 a-mac-with-esc-key x[1]: y",
                    message().at("2016-12-13T11:35:28Z"),
                ),
                (
                    "Apr 4 03:39:57 --- last message repeated 1 time ---",
                    message().at("2017-04-04T03:39:57Z"),
                ),
            ],
        );
    }

    #[test]
    fn rfc5424() {
        check_in(
            syslog(),
            ctx,
            &[
                (
                    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{FEFF}'su root' failed for lonvick on /dev/pts/8",
                    message()
                        .at("2003-10-11T22:14:15.003Z")
                        .level(Level::Critical)
                        .text("'su root' failed for lonvick on /dev/pts/8")
                        .field("host", "mymachine.example.com")
                        .field("program", "su")
                        .field("pid", None)
                        .field("msgid", "ID47"),
                ),
                (
                    "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
                    message()
                        .at("2003-08-24T12:14:15.000003Z")
                        .level(Level::Notice)
                        .text("%% It's time to make the do-nuts.")
                        .field("pid", "8710"),
                ),
                // Structured data (with an escaped `]` in a value), and no message.
                (
                    r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high\]"]"#,
                    message().text("").field(
                        "structured_data",
                        r#"[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high\]"]"#,
                    ),
                ),
                (
                    r#"<165>1 2003-10-11T22:14:15.003Z host app - - [a b="]"] hello"#,
                    message().text("hello"),
                ),
            ],
        );

        // Nil timestamp: the previous record's time, else nothing.
        let nil = b"<14>1 - host app 12 - - started";
        assert_eq!(syslog().parse(nil, &mut ctx()), Parsed::Unparsed);
        let mut c = ctx();
        c.last_at = Some(5);
        assert_eq!(syslog().parse(nil, &mut c).at(), Some(5));
    }

    #[test]
    fn iso_timestamped_files() {
        check_in(
            syslog(),
            ctx,
            &[
                (
                    "2018-08-14T14:30:02.203151+02:00 linux-sqrz systemd[4179]: Stopped target Basic System.",
                    message()
                        .at("2018-08-14T12:30:02.203151Z")
                        .text("Stopped target Basic System.")
                        .field("host", "linux-sqrz")
                        .field("program", "systemd")
                        .field("pid", "4179"),
                ),
                (
                    "1986-04-26T01:23:45.101+0400 rmbkmonitor04 shutdown[2649]: shutting down for system halt",
                    message().at("1986-04-25T21:23:45.101Z"),
                ),
            ],
        );
        // Bare: read in --tz.
        check_in(
            syslog(),
            || TimeCtx::new(Zone::Fixed(-3600), YearAnchor::End(0)),
            &[(
                "2019-06-14T10:40:20.912134 localhost sudo: pam_unix(sudo-i:session): session opened",
                message()
                    .at("2019-06-14T11:40:20.912134Z")
                    .text("pam_unix(sudo-i:session): session opened"),
            )],
        );
    }

    #[test]
    fn not_syslog() {
        let mut rows = each(
            [
                "2020/05/07 03:15:12 [error] 1234#0: *1 connect() failed (111: Connection refused) while connecting to upstream",
                r#"{"time":"2024-03-15T10:00:00Z","level":"error","msg":"boom"}"#,
                r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
                "2024-03-15 10:00:00,123 ERROR [main] com.example.App: boom",
                "2024-03-15T10:00:00.123Z ERROR [main] com.example.App: boom",
                "2024-03-15T10:00:00Z INFO app: started",
                "2024-03-15T10:00:00Z started the thing",
                "2024-03-15T10:00:00Z main: no pid, no host",
                "level=error msg=boom ts=2024-03-15T10:00:00Z",
                "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist",
                "Feb  5 17:32:18",
                "<200>Feb  5 17:32:18 host x: y",
                "<34>2 2003-10-11T22:14:15.003Z host su - ID47 - x",
                "",
            ],
            unparsed(),
        );
        rows.push(("\t\tcontinued", continuation()));
        check_in(syslog(), ctx, &rows);
    }

    #[test]
    fn haproxy_lines_in_a_syslog_file() {
        let line = r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 503 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#;
        check_in(
            syslog(),
            ctx,
            &[
                (line, request().status(503).failed(true)),
                (
                    "<129>Feb 11 15:29:37 lb haproxy[32442]: [WARNING] 041/152937 (32442) : Server app/web1 is DOWN, reason: Layer4 timeout",
                    message()
                        // the [LEVEL] prefix wins over PRI
                        .level(Level::Warn)
                        .text("Server app/web1 is DOWN, reason: Layer4 timeout")
                        .field("server", "web1")
                        .field("host", "lb"),
                ),
            ],
        );

        // A plain syslog sample is syslog, not haproxy; a mixed one still syslog.
        let plain: Vec<&[u8]> = vec![
            b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            b"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
            b"Feb  6 12:14:15 localhost sshd[1]: Accepted",
        ];
        assert_eq!(detect(&plain, &mut ctx()).map(|f| f.name()), Some("syslog"));
        let mut mixed = plain.clone();
        mixed.push(line.as_bytes());
        assert_eq!(detect(&mixed, &mut ctx()).map(|f| f.name()), Some("syslog"));
        assert_eq!(
            format("haproxy").parse(plain[0], &mut ctx()),
            Parsed::Unparsed
        );
    }

    // -----------------------------------------------------------------------
    // Corpus

    const FILES: [&str; 4] = [
        "darwin-syslog-sample.log",
        "iso8601_timestamp_multiline_syslog.log",
        "suse-syslog.log",
        "tz-offset.log",
    ];

    #[test]
    fn corpus_files() {
        let anchor = YearAnchor::Start {
            year: 2016,
            first_month: 12,
        };
        for name in FILES {
            let Some(file) = CorpusFile::open(&format!("syslog/{name}")) else {
                return;
            };
            let mut records = 0;
            for (offset, line) in file.lines() {
                let want = file.entry(offset);
                let zone = want
                    .and_then(|e| e["event.timezone"].as_str())
                    .map_or(Zone::Utc, |z| Zone::parse(z).unwrap());
                let mut c = TimeCtx::new(zone, anchor);
                let parsed = syslog().parse(line, &mut c);
                let Some(want) = want else {
                    assert_eq!(parsed, Parsed::Continuation, "{name}@{offset}");
                    continue;
                };
                records += 1;
                let Parsed::Message { at, message } = parsed else {
                    panic!("{name}@{offset}: {parsed:?}");
                };
                // Our text is the first line; filebeat's joins continuations.
                let text = want["message"].as_str().unwrap();
                assert_eq!(message.text, text.split('\n').next().unwrap());
                assert_eq!(field(&message, "host"), want["host.hostname"].as_str());
                assert_eq!(field(&message, "program"), want["process.name"].as_str());
                let pid = want["process.pid"].as_u64().map(|p| p.to_string());
                assert_eq!(field(&message, "pid"), pid.as_deref());
                match want["@timestamp"].as_str() {
                    // filebeat reads this line in its event.timezone (-02:00)
                    // and ignores the line's own `+02:00`; we honour the
                    // explicit offset, which puts it four hours earlier.
                    Some(ts) if name.starts_with("iso8601") => {
                        assert_eq!(ts, "2020-12-25T23:59:59-02:00");
                        assert_eq!(format_rfc3339(at), "2020-12-25T21:59:59Z");
                    }
                    // filebeat keeps milliseconds; we keep microseconds.
                    Some(ts) => {
                        let ts = parse_text_timestamp(ts, &mut c).unwrap();
                        assert_eq!(at / 1000, ts / 1000, "{name}@{offset}");
                    }
                    None => {}
                }
            }
            assert_eq!(records, file.expected.len(), "{name}");
        }

        // The year-less darwin lines, with the year from the anchor (and its
        // rollover from December to April).
        let Some(file) = CorpusFile::open(&format!("syslog/{}", FILES[0])) else {
            return;
        };
        let mut c = TimeCtx::new(Zone::Utc, anchor);
        let times: Vec<String> = file
            .lines()
            .into_iter()
            .filter_map(|(_, l)| syslog().parse(l, &mut c).at().map(format_rfc3339))
            .collect();
        assert_eq!(
            times,
            [
                "2016-12-13T11:35:28Z",
                "2016-12-13T11:35:28Z",
                "2017-04-04T03:39:57Z"
            ]
        );
    }

    #[test]
    fn detection() {
        for name in FILES {
            let Some(found) = detect_corpus(&format!("syslog/{name}")) else {
                return;
            };
            assert_eq!(found, "syslog", "{name}");
        }
    }

    // -----------------------------------------------------------------------
    // Never panic

    const REAL: &[&str] = &[
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{FEFF}'su root' failed for lonvick on /dev/pts/8",
        r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] msg"#,
        "2018-08-14T14:30:02.203151+02:00 linux-sqrz systemd[4179]: Stopped target Basic System.",
        "2019-06-14T10:40:20.912134 localhost sudo: pam_unix(sudo-i:session): session opened for user root by userauth3(uid=0)",
        "Apr 4 03:39:57 --- last message repeated 1 time ---",
        r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#,
    ];

    proptest! {
        #[test]
        fn random_bytes_never_panic(line in random_bytes(200)) {
            let mut c = ctx();
            c.last_at = Some(0);
            let _ = syslog().parse(&line, &mut c);
            let _ = parse_header(&line);
        }

        #[test]
        fn mutated_lines_never_panic(line in mutated_line(REAL)) {
            let mut c = ctx();
            c.last_at = Some(0);
            let _ = syslog().parse(&line, &mut c);
        }
    }
}
