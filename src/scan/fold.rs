//! Folding one block's records into a [`Partial`]: requests into the
//! series and failed-request runs, messages into the series, error
//! templates and pattern events, alert notifications kept as seen.

use crate::event::Origin;
use crate::format::LogFormat;
use crate::patterns::PatternSet;
use crate::record::{FailurePolicy, Message, Parsed, Request};
use crate::time::{Micros, TimeCtx};

use super::lines::{display_line, Lines};
use super::partial::{truncate_chars, Occurrence, Partial, RunKey, TimeWindow};

/// Where the block's reading stands: inside a record or not, where that
/// record starts, and where a record being held (see [`Parsed::Held`])
/// began.
struct Place {
    in_record: bool,
    /// Unknown for a record that began in the block before.
    record_line: Option<u64>,
    held_line: Option<u64>,
    /// Which writer names (program, logger) are change tools, remembered.
    writers: crate::source::ChangeWriters,
}

/// Structured fields kept per event, at most.
const MAX_EVENT_FIELDS: usize = 16;
/// Characters kept of a structured field's value.
const FIELD_CHARS: usize = 200;

/// What folding needs besides the block: the same for every block of a file.
pub struct Folder<'a> {
    pub format: &'a dyn LogFormat,
    pub patterns: &'a PatternSet,
    pub window: TimeWindow,
    /// Clock correction added to every time read.
    pub skew: Micros,
    pub bucket_seconds: i64,
    /// Skipped lines kept for display.
    pub skipped_samples: usize,
    /// What counts as a failed request.
    pub failure: &'a FailurePolicy,
    /// The source is a log of changes by its name (see [`crate::source`]).
    pub change_source: bool,
    /// Keep every request's row for a partial file ([`super::cells`]).
    pub cells: bool,
}

/// Fields whose value may say what was done (a command in a chat-ops log,
/// a flag's new state): patterns are tried on them when the message
/// itself matches none.
const ACTION_FIELDS: &[&str] = &[
    "command",
    "cmd",
    "action",
    "event",
    "type",
    "operation",
    "op",
    "change",
    "diff",
    "args",
    "task",
    "activity",
    "description",
    "kind",
];

/// Fields that say what went wrong; an error line's template includes
/// the first of them.
const ERROR_FIELDS: &[&str] = &[
    "error",
    "err",
    "err.message",
    "error.message",
    "exception",
    "exc_info",
    "cause",
];

impl Folder<'_> {
    /// Reads one block. Line numbers in the result are relative to the
    /// block (first line = 1); also returns the block's line breaks.
    /// `continues_file`: the block is not the file's first, so
    /// continuation lines at its start belong to a record before it.
    pub fn fold(&self, block: &[u8], continues_file: bool, mut ctx: TimeCtx) -> (Partial, u64) {
        let mut p = Partial::new(self.bucket_seconds);
        if self.cells {
            p.cells = Some(Default::default());
        }
        p.stats.bytes = block.len() as u64;
        ctx.details = false;
        let mut at = Place {
            in_record: continues_file,
            record_line: None,
            held_line: None,
            writers: Default::default(),
        };
        let mut lines = Lines::new(block);
        let lookahead = self.format.needs_next_line();
        while let Some((line_no, line)) = lines.next() {
            p.stats.lines += 1;
            ctx.in_record = at.in_record;
            let parsed = if lookahead {
                self.format.parse_with_next(line, lines.peek(), &mut ctx)
            } else {
                self.format.parse(line, &mut ctx)
            };
            let parsed = shifted(parsed, self.skew);
            match parsed {
                Parsed::Batch(items) => {
                    // One line, several records: `records` counts lines.
                    let extra = items.len().saturating_sub(1) as u64;
                    for item in items {
                        self.take(&mut p, &mut ctx, &mut at, line_no, line, item);
                    }
                    p.stats.records -= extra.min(p.stats.records);
                }
                parsed => self.take(&mut p, &mut ctx, &mut at, line_no, line, parsed),
            }
        }
        p.stats.ambiguous_zones = ctx.ambiguous;
        let newlines = lines.newlines();
        (p, newlines)
    }

    /// Folds one record (or a line that is none) of line `line_no`.
    fn take(
        &self,
        p: &mut Partial,
        ctx: &mut TimeCtx,
        place: &mut Place,
        line_no: u64,
        line: &[u8],
        parsed: Parsed<'_>,
    ) {
        let Place {
            in_record,
            record_line,
            held_line,
            writers,
        } = place;
        // A record completed by this line starts where its first part was held.
        let line_no = match parsed.is_record() {
            true => {
                let start = held_line.take().unwrap_or(line_no);
                *record_line = Some(start);
                start
            }
            false => line_no,
        };
        match parsed {
            Parsed::Request { at, request } => {
                p.stats.requests += 1;
                self.start_record(p, ctx, in_record, at);
                if p.stats.note_time(at, &self.window) {
                    self.request(p, at, line_no, &request);
                }
            }
            Parsed::Message { at, message } => {
                self.start_record(p, ctx, in_record, at);
                if p.stats.note_time(at, &self.window) {
                    self.message(p, at, line_no, &message, writers);
                }
                ctx.give_back_fields(message.fields);
            }
            Parsed::Alerts { at, alerts } => {
                self.start_record(p, ctx, in_record, at);
                if p.stats.note_time(at, &self.window) {
                    for alert in alerts {
                        p.record_alert(at, line_no, alert);
                    }
                }
            }
            Parsed::Framing => p.stats.framing += 1,
            Parsed::Held => {
                p.stats.framing += 1;
                held_line.get_or_insert(line_no);
            }
            Parsed::Continuation if *in_record => {
                p.stats.records += 1;
                p.stats.continued += 1;
                // A pattern met in a stack trace is the record's, where it starts.
                self.continuation(p, ctx.last_at, record_line.unwrap_or(line_no), line);
            }
            _ => {
                p.stats.skipped += 1;
                if p.stats.skipped_samples.len() < self.skipped_samples {
                    p.stats.skipped_samples.push((line_no, display_line(line)));
                }
            }
        }
    }

    #[inline]
    fn start_record(&self, p: &mut Partial, ctx: &mut TimeCtx, in_record: &mut bool, at: Micros) {
        p.stats.records += 1;
        *in_record = true;
        ctx.last_at = Some(at);
    }

    fn request(&self, p: &mut Partial, at: Micros, line: u64, request: &Request) {
        if let Some(cells) = &mut p.cells {
            cells.add(at, request, line);
        }
        let backend = request.backend.as_deref();
        let failed = self.failure.failed(request.status, request.failed);
        p.series
            .add_request(at, request.status, failed, backend, request.latency_ms);
        if failed {
            p.record_event(
                RunKey::failed_requests(backend.unwrap_or("-")),
                Occurrence {
                    at,
                    line,
                    message: "",
                    title: None,
                    fields: Vec::new(),
                    status: Some(request.status),
                },
            );
        }
    }

    fn message(
        &self,
        p: &mut Partial,
        at: Micros,
        line: u64,
        message: &Message,
        writers: &mut crate::source::ChangeWriters,
    ) {
        let is_error = message.level.is_some_and(|l| l.is_error());
        p.series.add_message(at, is_error);
        if let Some(level) = message.level.filter(|l| l.is_error()) {
            match error_field(message) {
                Some(detail) => {
                    p.record_template(at, line, &format!("{}: {detail}", message.text), level)
                }
                None => p.record_template(at, line, &message.text, level),
            }
        }
        let format = self.format.name();
        if let Some(m) = self.patterns.find(format, &message.text) {
            self.matched(p, at, line, message, m, &message.text);
            return;
        }
        // A pattern may know what a field says was done.
        for (k, v) in &message.fields {
            // The length first: it is one comparison, the name fourteen.
            if v.len() >= 6 && ACTION_FIELDS.contains(&k.as_ref()) {
                if let Some(m) = self.patterns.find(format, v) {
                    let text = if message.text.trim().is_empty() {
                        format!("{k}: {v}")
                    } else {
                        format!("{} ({k}: {v})", message.text)
                    };
                    self.matched(p, at, line, message, m, &text);
                    return;
                }
            }
        }
        // A change log's lines are changes whatever their words.
        let quiet = message
            .level
            .is_some_and(|l| l < crate::record::Level::Info);
        if !quiet && (self.change_source || writers.any(&message.fields)) {
            self.change_line(p, at, line, message);
        }
    }

    /// A line of a change source that no pattern knows.
    fn change_line(&self, p: &mut Partial, at: Micros, line: u64, message: &Message) {
        let text = if message.text.trim().is_empty() {
            message
                .fields
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            message.text.to_string()
        };
        let severity = match message.level {
            Some(l) if l.is_error() => crate::event::Severity::Error,
            Some(crate::record::Level::Warn) => crate::event::Severity::Warning,
            _ => crate::event::Severity::Info,
        };
        let mut fields: Vec<(String, String)> = message
            .fields
            .iter()
            .take(MAX_EVENT_FIELDS)
            .map(|(k, v)| (k.to_string(), truncate_chars(v, FIELD_CHARS)))
            .collect();
        if let Some(level) = message.level {
            fields.push(("level".to_string(), level.as_str().to_string()));
        }
        p.record_event(
            RunKey {
                kind: crate::event::EventKind::Change,
                severity,
                origin: Origin::ChangeSource,
                key: crate::template::template(&text),
            },
            Occurrence {
                at,
                line,
                message: &text,
                title: None,
                fields,
                status: None,
            },
        );
    }

    /// A message a pattern matched (on `text`, the message or a field).
    fn matched(
        &self,
        p: &mut Partial,
        at: Micros,
        line: u64,
        message: &Message,
        m: crate::patterns::PatternMatch,
        text: &str,
    ) {
        // The match is this event's own copy: its strings move in.
        let mut fields = m.fields;
        for (k, v) in &message.fields {
            if fields.len() >= MAX_EVENT_FIELDS {
                break;
            }
            if !fields.iter().any(|(fk, _)| fk == k.as_ref()) {
                fields.push((k.to_string(), truncate_chars(v, FIELD_CHARS)));
            }
        }
        if let Some(level) = message.level {
            fields.push(("level".to_string(), level.as_str().to_string()));
        }
        let title = (m.title != text).then_some(m.title);
        p.record_event(
            RunKey {
                kind: m.pattern.kind,
                severity: m.pattern.severity,
                origin: Origin::pattern(&m.pattern.id),
                key: m.key,
            },
            Occurrence {
                at,
                line,
                message: text,
                title,
                fields,
                status: None,
            },
        );
    }

    /// Stack traces carry the telling line (OutOfMemoryError, Caused by
    /// ...) after the first: match them too, at the record's time.
    fn continuation(&self, p: &mut Partial, record_at: Option<Micros>, line_no: u64, line: &[u8]) {
        let Some(at) = record_at.filter(|&at| self.window.contains(at)) else {
            return;
        };
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        let Some(m) = self.patterns.find(self.format.name(), text) else {
            return;
        };
        let title = (m.title != text).then_some(m.title);
        p.record_event(
            RunKey {
                kind: m.pattern.kind,
                severity: m.pattern.severity,
                origin: Origin::pattern(&m.pattern.id),
                key: m.key,
            },
            Occurrence {
                at,
                line: line_no,
                message: text,
                title,
                fields: m.fields,
                status: None,
            },
        );
    }
}

/// The first field of an error line that says what went wrong.
fn error_field<'m>(message: &'m Message) -> Option<&'m str> {
    message
        .fields
        .iter()
        .find(|(k, v)| ERROR_FIELDS.contains(&k.as_ref()) && !v.trim().is_empty())
        .map(|(_, v)| v.as_ref())
        .filter(|v| !message.text.contains(*v))
}

/// A record with a source's clock correction applied.
#[inline]
pub fn shifted(mut parsed: Parsed<'_>, skew: Micros) -> Parsed<'_> {
    if skew != 0 {
        parsed.shift(skew);
    }
    parsed
}
