//! What every parser produces from a line: a timestamped record of one of
//! three shapes (request, message, alerts), or a note that the line continues
//! the previous record or was not understood.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::Micros;

/// Severity of an application or system message, ordered from least to most
/// severe so that `level >= Level::Error` reads naturally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Notice,
    Warn,
    Error,
    Critical,
    Alert,
    Emergency,
}

impl Level {
    /// Reads a level word as the common loggers write it (`warning`, `WARN`,
    /// `eror`, `E`, `fatal`, `crit`, `panic`, ...). Case-insensitive.
    pub fn from_word(word: &str) -> Option<Level> {
        let w = word.trim();
        if w.len() > 12 {
            return None;
        }
        // Lowercased on the stack: every header token of a text log is
        // looked up here, and a `String` per token showed in profiles.
        let mut buf = [0u8; 12];
        let lower = &mut buf[..w.len()];
        lower.copy_from_slice(w.as_bytes());
        lower.make_ascii_lowercase();
        let lower: &[u8] = lower;
        let level = match lower {
            b"trace" | b"trc" | b"finest" | b"finer" | b"verbose" | b"t" => Level::Trace,
            b"debug" | b"dbug" | b"dbg" | b"debg" | b"fine" | b"d" | b"d1" | b"d2" | b"d3"
            | b"d4" | b"d5" => Level::Debug,
            b"info" | b"inf" | b"information" | b"informational" | b"i" | b"config" => Level::Info,
            b"notice" | b"note" | b"n" => Level::Notice,
            b"warn" | b"warning" | b"wrn" | b"w" => Level::Warn,
            b"error" | b"err" | b"eror" | b"erro" | b"severe" | b"e" | b"failure" => Level::Error,
            b"crit" | b"critical" | b"fatal" | b"ftl" | b"f" | b"panic" | b"dpanic" | b"c" => {
                Level::Critical
            }
            b"alert" | b"a" => Level::Alert,
            b"emerg" | b"emergency" => Level::Emergency,
            _ => {
                // Apache 2.4 sub-levels: trace1..trace8.
                if lower.starts_with(b"trace") && lower[5..].iter().all(|b| b.is_ascii_digit()) {
                    Level::Trace
                } else {
                    return None;
                }
            }
        };
        Some(level)
    }

    /// Syslog severity 0 (emerg) .. 7 (debug), as in `<PRI>` and journald `PRIORITY`.
    pub fn from_syslog_severity(sev: u8) -> Level {
        match sev {
            0 => Level::Emergency,
            1 => Level::Alert,
            2 => Level::Critical,
            3 => Level::Error,
            4 => Level::Warn,
            5 => Level::Notice,
            6 => Level::Info,
            _ => Level::Debug,
        }
    }

    /// bunyan/pino numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
    pub fn from_bunyan(n: i64) -> Option<Level> {
        Some(match n {
            ..=10 => Level::Trace,
            11..=20 => Level::Debug,
            21..=30 => Level::Info,
            31..=40 => Level::Warn,
            41..=50 => Level::Error,
            51..=100 => Level::Critical,
            _ => return None,
        })
    }

    /// The lowercase name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Notice => "notice",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Critical => "critical",
            Level::Alert => "alert",
            Level::Emergency => "emergency",
        }
    }

    /// True for error and worse.
    pub fn is_error(self) -> bool {
        self >= Level::Error
    }
}

/// One request as seen by a load balancer, proxy or web server.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request<'a> {
    /// HTTP status sent to the client; 0 when no response was sent.
    pub status: u16,
    /// Whether the request counts as failed: a 5xx at the load balancer
    /// (including ones it generated), or no answer because of a server-side
    /// termination. The parser decides, because only it knows the
    /// format's termination flags.
    pub failed: bool,
    /// The backend that served (or failed) it: `ip:port`, server name, or
    /// upstream group name.
    pub backend: Option<Cow<'a, str>>,
    /// The client key: the client IP without port.
    pub client: Option<Cow<'a, str>>,
    /// Total time the request took, in milliseconds.
    pub latency_ms: Option<f64>,
    pub method: Option<Cow<'a, str>>,
    pub path: Option<Cow<'a, str>>,
}

impl Request<'_> {
    /// The default failure rule: 5xx, or status 0 (no response at all).
    /// Parsers with termination flags refine it.
    pub fn default_failed(status: u16) -> bool {
        status >= 500 || status == 0
    }
}

/// An application, system or proxy message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Message<'a> {
    pub level: Option<Level>,
    /// The message text (for structured logs the `msg` field; for text logs
    /// the line after the timestamp and level).
    pub text: Cow<'a, str>,
    /// Structured fields worth keeping (`host`, `service`, `upstream`, ...).
    pub fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// One alert of an Alertmanager notification.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub name: String,
    /// `firing` or `resolved`, per alert (not the group's status).
    pub firing: bool,
    pub labels: BTreeMap<String, String>,
    pub summary: Option<String>,
    pub starts_at: Option<Micros>,
    /// `None` for the zero time `0001-01-01T00:00:00Z` firing alerts carry.
    pub ends_at: Option<Micros>,
    pub fingerprint: Option<String>,
}

/// The result of parsing one line.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed<'a> {
    Request {
        at: Micros,
        request: Request<'a>,
    },
    Message {
        at: Micros,
        message: Message<'a>,
    },
    /// One notification can carry several alerts; `at` is the time the
    /// notification was sent or, failing that, the newest alert time in it.
    Alerts {
        at: Micros,
        alerts: Vec<Alert>,
    },
    /// The line continues the previous record (a stack trace, a wrapped
    /// message); it is read, not skipped.
    Continuation,
    /// The line frames the records rather than being one: a W3C directive
    /// (`#Software:`, `#Fields:`), a table's header row, the brackets and
    /// keys of a pretty-printed JSON document. It is read, not skipped, and
    /// it is no record of its own (a header may set how the lines after it
    /// are read: see [`crate::format::LogFormat::headers`]).
    Framing,
    /// The line starts a record that a later line completes (a CRI `P`
    /// part, an entry Docker split, the opening of a pretty-printed
    /// event): read, and the record that completes it is placed here.
    Held,
    /// The line does not fit the format; it is counted as skipped.
    Unparsed,
    /// One line holding several records: a shipper's envelope that
    /// batches them (OpenTelemetry's `resourceLogs`, a CloudWatch
    /// `events` array on one line). Its items are records (never another
    /// batch); an envelope whose records could not be read is
    /// [`Parsed::Unparsed`] instead.
    Batch(Vec<Parsed<'a>>),
}

impl<'a> Parsed<'a> {
    /// Moves every time in the record by `by` (clock-skew correction).
    pub fn shift(&mut self, by: Micros) {
        match self {
            // Saturating: a time read from a log is any number a line says.
            Parsed::Request { at, .. } | Parsed::Message { at, .. } => *at = at.saturating_add(by),
            Parsed::Alerts { at, alerts } => {
                *at = at.saturating_add(by);
                for a in alerts {
                    a.starts_at = a.starts_at.map(|t| t.saturating_add(by));
                    a.ends_at = a.ends_at.map(|t| t.saturating_add(by));
                }
            }
            Parsed::Batch(items) => items.iter_mut().for_each(|p| p.shift(by)),
            Parsed::Continuation | Parsed::Framing | Parsed::Held | Parsed::Unparsed => {}
        }
    }

    /// The record's timestamp, if it is a record.
    pub fn at(&self) -> Option<Micros> {
        match self {
            Parsed::Request { at, .. } | Parsed::Message { at, .. } | Parsed::Alerts { at, .. } => {
                Some(*at)
            }
            Parsed::Batch(items) => items.iter().filter_map(Parsed::at).min(),
            _ => None,
        }
    }

    /// Whether the line was read as a record (or several).
    pub fn is_record(&self) -> bool {
        matches!(
            self,
            Parsed::Request { .. }
                | Parsed::Message { .. }
                | Parsed::Alerts { .. }
                | Parsed::Batch(_)
        )
    }

    /// Calls `each` with every record the line holds: itself, or the
    /// items of a batch. Lines that are no record give none.
    pub fn for_each_record(self, mut each: impl FnMut(Parsed<'a>)) {
        match self {
            Parsed::Batch(items) => items.into_iter().for_each(each),
            p if p.is_record() => each(p),
            _ => {}
        }
    }

    /// The same record owning its text, free of the line it was read from
    /// (a wrapper's inner line is unescaped into a buffer of its own).
    pub fn into_owned(self) -> Parsed<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        fn own_opt(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
            c.map(own)
        }
        match self {
            Parsed::Request { at, request } => Parsed::Request {
                at,
                request: Request {
                    status: request.status,
                    failed: request.failed,
                    backend: own_opt(request.backend),
                    client: own_opt(request.client),
                    latency_ms: request.latency_ms,
                    method: own_opt(request.method),
                    path: own_opt(request.path),
                },
            },
            Parsed::Message { at, message } => Parsed::Message {
                at,
                message: Message {
                    level: message.level,
                    text: own(message.text),
                    fields: message
                        .fields
                        .into_iter()
                        .map(|(k, v)| (own(k), own(v)))
                        .collect(),
                },
            },
            Parsed::Alerts { at, alerts } => Parsed::Alerts { at, alerts },
            Parsed::Batch(items) => {
                Parsed::Batch(items.into_iter().map(Parsed::into_owned).collect())
            }
            Parsed::Continuation => Parsed::Continuation,
            Parsed::Framing => Parsed::Framing,
            Parsed::Held => Parsed::Held,
            Parsed::Unparsed => Parsed::Unparsed,
        }
    }
}

/// What counts as a failed request (`--failed-status`): by default a 5xx
/// or no answer at all, as each parser decides with its format's
/// termination flags; a user may add statuses or classes (`5xx,429`) or
/// replace the default (`5xx` must then be named to keep it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailurePolicy {
    /// The parsers' own rule (5xx and server-side terminations).
    server_errors: bool,
    /// Status classes counted in full (4 for `4xx`).
    classes: Vec<u16>,
    /// Single statuses counted.
    statuses: Vec<u16>,
}

impl Default for FailurePolicy {
    fn default() -> Self {
        FailurePolicy {
            server_errors: true,
            classes: Vec::new(),
            statuses: Vec::new(),
        }
    }
}

impl FailurePolicy {
    /// Reads `5xx,429,403`: classes as `Nxx`, single statuses as numbers.
    pub fn parse(text: &str) -> Result<FailurePolicy, String> {
        let mut p = FailurePolicy {
            server_errors: false,
            classes: Vec::new(),
            statuses: Vec::new(),
        };
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let lower = word.to_ascii_lowercase();
            if let Some(class) = lower.strip_suffix("xx") {
                match class.parse::<u16>() {
                    Ok(5) => p.server_errors = true,
                    Ok(c @ 1..=4) => p.classes.push(c),
                    _ => return Err(format!("'{word}' is not a status class (use 4xx or 5xx)")),
                }
            } else {
                match lower.parse::<u16>() {
                    Ok(s @ 100..=599) => p.statuses.push(s),
                    _ => {
                        return Err(format!(
                            "'{word}' is not an HTTP status (use numbers such as 429, or classes such as 5xx)"
                        ))
                    }
                }
            }
        }
        if !p.server_errors && p.classes.is_empty() && p.statuses.is_empty() {
            return Err("name at least one status or class, e.g. 5xx,429".to_string());
        }
        p.classes.sort_unstable();
        p.classes.dedup();
        p.statuses.sort_unstable();
        p.statuses.dedup();
        Ok(p)
    }

    /// Whether a request counts as failed, given the parser's own verdict.
    #[inline]
    pub fn failed(&self, status: u16, parser_failed: bool) -> bool {
        (self.server_errors && parser_failed)
            || (!self.statuses.is_empty() && self.statuses.contains(&status))
            || (!self.classes.is_empty() && self.classes.contains(&(status / 100)))
    }

    /// Whether this is the default rule.
    pub fn is_default(&self) -> bool {
        *self == FailurePolicy::default()
    }

    /// Whether a status counts as failed whatever the parser says (so a
    /// refusal among them is not also a refusal incident).
    pub fn counts_status(&self, status: u16) -> bool {
        self.statuses.contains(&status) || self.classes.contains(&(status / 100))
    }

    /// The statuses counted, as people write them: `5xx, no response, 429`.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.server_errors {
            out.push("5xx".to_string());
            out.push("no response".to_string());
        }
        out.extend(self.classes.iter().map(|c| format!("{c}xx")));
        out.extend(self.statuses.iter().map(|s| s.to_string()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_policies() {
        let d = FailurePolicy::default();
        assert!(d.failed(503, true) && !d.failed(429, false) && d.failed(0, true));
        assert_eq!(d.describe(), vec!["5xx", "no response"]);
        let p = FailurePolicy::parse("5xx, 429").unwrap();
        assert!(p.failed(502, true) && p.failed(429, false) && !p.failed(404, false));
        assert_eq!(p.describe(), vec!["5xx", "no response", "429"]);
        let only = FailurePolicy::parse("4xx").unwrap();
        assert!(!only.failed(503, true) && only.failed(404, false));
        for bad in ["", "6xx", "abc", "700", "5x"] {
            assert!(FailurePolicy::parse(bad).is_err(), "{bad}");
        }
    }
}
