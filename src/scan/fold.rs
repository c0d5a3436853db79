//! Folding one block's records into a [`Partial`]: requests into the
//! series and failed-request runs, messages into the series, error
//! templates and pattern events, alert notifications kept as seen.

use crate::event::Origin;
use crate::format::LogFormat;
use crate::patterns::PatternSet;
use crate::record::{Message, Parsed, Request};
use crate::time::{Micros, TimeCtx};

use super::lines::{display_line, Lines};
use super::partial::{truncate_chars, AlertSeen, Occurrence, Partial, RunKey, TimeWindow};

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
}

impl Folder<'_> {
    /// Reads one block. Line numbers in the result are relative to the
    /// block (first line = 1); also returns the block's line breaks.
    /// `continues_file`: the block is not the file's first, so
    /// continuation lines at its start belong to a record before it.
    pub fn fold(&self, block: &[u8], continues_file: bool, mut ctx: TimeCtx) -> (Partial, u64) {
        let mut p = Partial::new(self.bucket_seconds);
        p.stats.bytes = block.len() as u64;
        ctx.details = false;
        let mut in_record = continues_file;
        let mut lines = Lines::new(block);
        for (line_no, line) in lines.by_ref() {
            p.stats.lines += 1;
            let parsed = shifted(self.format.parse(line, &mut ctx), self.skew);
            match parsed {
                Parsed::Request { at, request } => {
                    p.stats.requests += 1;
                    self.start_record(&mut p, &mut ctx, &mut in_record, at);
                    if p.stats.note_time(at, &self.window) {
                        self.request(&mut p, at, line_no, &request);
                    }
                }
                Parsed::Message { at, message } => {
                    self.start_record(&mut p, &mut ctx, &mut in_record, at);
                    if p.stats.note_time(at, &self.window) {
                        self.message(&mut p, at, line_no, &message);
                    }
                }
                Parsed::Alerts { at, alerts } => {
                    self.start_record(&mut p, &mut ctx, &mut in_record, at);
                    if p.stats.note_time(at, &self.window) {
                        p.alerts.extend(alerts.into_iter().map(|alert| AlertSeen {
                            at,
                            line: line_no,
                            alert,
                        }));
                    }
                }
                Parsed::Framing => p.stats.framing += 1,
                Parsed::Continuation if in_record => {
                    p.stats.records += 1;
                    p.stats.continued += 1;
                    self.continuation(&mut p, ctx.last_at, line_no, line);
                }
                _ => {
                    p.stats.skipped += 1;
                    if p.stats.skipped_samples.len() < self.skipped_samples {
                        p.stats.skipped_samples.push((line_no, display_line(line)));
                    }
                }
            }
        }
        let newlines = lines.newlines();
        (p, newlines)
    }

    #[inline]
    fn start_record(&self, p: &mut Partial, ctx: &mut TimeCtx, in_record: &mut bool, at: Micros) {
        p.stats.records += 1;
        *in_record = true;
        ctx.last_at = Some(at);
    }

    fn request(&self, p: &mut Partial, at: Micros, line: u64, request: &Request) {
        let backend = request.backend.as_deref();
        p.series.add_request(
            at,
            request.status,
            request.failed,
            backend,
            request.latency_ms,
        );
        if request.failed {
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

    fn message(&self, p: &mut Partial, at: Micros, line: u64, message: &Message) {
        let is_error = message.level.is_some_and(|l| l.is_error());
        p.series.add_message(at, is_error);
        if is_error {
            p.record_template(at, line, &message.text);
        }
        let Some(m) = self.patterns.find(self.format.name(), &message.text) else {
            return;
        };
        let mut fields = m.fields.clone();
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
        let title = (m.title != *message.text).then(|| m.title.clone());
        p.record_event(
            RunKey {
                kind: m.pattern.kind,
                severity: m.pattern.severity,
                origin: Origin::pattern(&m.pattern.id),
                key: m.key.clone(),
            },
            Occurrence {
                at,
                line,
                message: &message.text,
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
        let title = (m.title != text).then(|| m.title.clone());
        p.record_event(
            RunKey {
                kind: m.pattern.kind,
                severity: m.pattern.severity,
                origin: Origin::pattern(&m.pattern.id),
                key: m.key.clone(),
            },
            Occurrence {
                at,
                line: line_no,
                message: text,
                title,
                fields: m.fields.clone(),
                status: None,
            },
        );
    }
}

/// A record with a source's clock correction applied.
#[inline]
pub fn shifted(mut parsed: Parsed<'_>, skew: Micros) -> Parsed<'_> {
    if skew != 0 {
        parsed.shift(skew);
    }
    parsed
}
