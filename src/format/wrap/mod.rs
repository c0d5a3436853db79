//! Shippers' envelopes around log lines: a container runtime, journald, a
//! CLI that prints a cloud service's log events. Each [`Wrapper`] opens its
//! envelope and hands back the line inside, with what the envelope knew
//! (the time it was shipped, a level, the host or pod); the inner line is
//! then read by its own format, detected from the unwrapped lines like a
//! plain file's ([`detect`]).
//!
//! The inner line's own timestamp wins when it has one; the wrapper's time
//! is the record's time otherwise, and a line no format reads becomes a
//! message at that time (the scan warns that the file's inner lines are
//! in no format it reads). A wrapped line may itself be wrapped: CRI lines
//! inside Docker's json-file are read to the nginx line in them.
//!
//! Envelopes that only a shipper writes (JSON keys of Docker, journald,
//! Loki, OpenTelemetry, CloudWatch; CRI's `stdout F`) are *strong*: the file
//! is read through them even when its inner lines are in no format.
//! Prefixes that any text log could start with (a timestamp, `name | `)
//! are *weak*: they are taken only when the lines after them are in a
//! format that reads them, and read more of the file than any plain format.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::format::lex::json_object::{JsonObject, JsonValue};
use crate::format::{self, is_blank, Layout, LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{parse_iso, Micros, TimeCtx, YearAnchor};

pub mod cloudwatch;
pub mod compose;
pub mod cri;
pub mod docker;
pub mod journald;
pub mod kubectl;
pub mod logcli;
pub mod otel;
pub mod pretty;

/// The longest time between two shipped lines of one stack trace: a
/// runtime writes a trace in one burst (microseconds to milliseconds
/// apart as a container runtime reads them), never seconds.
const TRACE_BURST: Micros = crate::time::SEC;

/// Structured fields a wrapper adds to a message, at most.
const MAX_WRAPPER_FIELDS: usize = 8;

/// A shipper's envelope.
pub trait Wrapper: Send + Sync {
    /// Stable identifier, the first part of a wrapped format's name
    /// (`docker/nginx_access`).
    fn name(&self) -> &'static str;

    /// A few words for `postmortem formats --list`.
    fn description(&self) -> &'static str;

    /// Whether the envelope alone tells the file (see the module docs).
    fn strong(&self) -> bool;

    /// How the lines that carry state to the lines after them start
    /// (see [`LogFormat::headers`]): a pretty-printed envelope's members.
    fn headers(&self) -> &'static [&'static [u8]] {
        &[]
    }

    /// Which writer a line comes from, when an envelope interleaves
    /// several (a compose service, a pod's container, a journald
    /// identifier): each writer's lines get the inner format detected
    /// from that writer's lines.
    fn source<'x>(&self, inner: &'x Inner<'_>) -> Option<&'x str> {
        let _ = inner;
        None
    }

    /// Opens the envelope of one line.
    fn open<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Envelope<'a>;

    /// Whether a line alone tells that it is a piece held for the next
    /// (Docker's entry without its newline, CRI's `P`): the pieces at the
    /// end of a block are then carried into the next one
    /// ([`LogFormat::held_after`]).
    fn splits_lines(&self) -> bool {
        false
    }
}

/// A line inside an envelope, with what the envelope said of it.
#[derive(Debug, Default)]
pub struct Inner<'a> {
    pub text: Cow<'a, [u8]>,
    /// When the line was shipped (the runtime's or the service's time).
    pub at: Option<Micros>,
    pub level: Option<Level>,
    /// Host, pod, container, service, labels.
    pub fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Inner<'a> {
    pub fn new(text: impl Into<Cow<'a, [u8]>>, at: Option<Micros>) -> Inner<'a> {
        Inner {
            text: text.into(),
            at,
            ..Inner::default()
        }
    }

    /// Adds a field when the value says something.
    pub fn field(&mut self, key: &'static str, value: Cow<'a, str>) {
        if !value.is_empty() && value != "-" && self.fields.len() < MAX_WRAPPER_FIELDS {
            self.fields.push((Cow::Borrowed(key), value));
        }
    }
}

/// What a wrapper made of a line.
#[derive(Debug)]
pub enum Envelope<'a> {
    One(Inner<'a>),
    /// An envelope holding several lines (a batch of events).
    Many(Vec<Inner<'a>>),
    /// The first part of a line split by the shipper: held in
    /// [`TimeCtx::pending`] until the part that completes it.
    Held,
    /// Brackets and keys of a pretty-printed envelope, no line of its own.
    Framing,
    /// Not this wrapper's envelope.
    Not,
}

/// Every wrapper, most specific first.
pub fn wrappers() -> &'static [&'static dyn Wrapper] {
    static ALL: &[&dyn Wrapper] = &[
        &docker::Docker,
        &cri::Cri,
        &journald::Journald,
        &logcli::Logcli,
        &otel::Otel,
        &cloudwatch::CloudWatch,
        &compose::Compose,
        &cloudwatch::AwsTail,
        &kubectl::Kubectl,
        &pretty::Pretty,
    ];
    ALL
}

/// The wrapper with this name, if any.
pub fn wrapper_by_name(name: &str) -> Option<&'static dyn Wrapper> {
    wrappers().iter().copied().find(|w| w.name() == name)
}

/// A format read through a wrapper: the wrapper opens each line, the
/// inner format reads what is inside.
pub struct Wrapped {
    wrapper: &'static dyn Wrapper,
    /// `None` when no format reads the inner lines: they are messages at
    /// the wrapper's time.
    inner: Option<&'static dyn LogFormat>,
    /// Writers (see [`Wrapper::source`]) whose lines are in another
    /// format than `inner`.
    by_source: Vec<(Box<str>, Option<&'static dyn LogFormat>)>,
    name: &'static str,
    description: &'static str,
}

/// The format that reads `inner` lines through `wrapper`; one per pair,
/// made once and kept for the run (formats are `'static` everywhere).
pub fn wrapped(
    wrapper: &'static dyn Wrapper,
    inner: Option<&'static dyn LogFormat>,
) -> &'static dyn LogFormat {
    wrapped_by_source(wrapper, inner, Vec::new())
}

/// [`wrapped`], with some writers' lines in formats of their own.
pub fn wrapped_by_source(
    wrapper: &'static dyn Wrapper,
    inner: Option<&'static dyn LogFormat>,
    by_source: Vec<(Box<str>, Option<&'static dyn LogFormat>)>,
) -> &'static dyn LogFormat {
    static MADE: OnceLock<Mutex<HashMap<String, &'static Wrapped>>> = OnceLock::new();
    let name_of = |f: Option<&'static dyn LogFormat>| f.map_or("text", |f| f.name());
    let name = format!("{}/{}", wrapper.name(), name_of(inner));
    let per_source: Vec<String> = by_source
        .iter()
        .map(|(src, f)| format!("{src}: {}", name_of(*f)))
        .collect();
    let key = format!("{name} {}", per_source.join(", "));
    let mut made = MADE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(w) = made.get(&key) {
        return *w;
    }
    let mut description = match inner {
        Some(f) => format!("{} inside {}", f.description(), wrapper.description()),
        None => format!("lines in no known format inside {}", wrapper.description()),
    };
    if !per_source.is_empty() {
        description.push_str(&format!("; read as their own: {}", per_source.join(", ")));
    }
    let w: &'static Wrapped = Box::leak(Box::new(Wrapped {
        wrapper,
        inner,
        by_source,
        name: Box::leak(name.into_boxed_str()),
        description: Box::leak(description.into_boxed_str()),
    }));
    made.insert(key, w);
    w
}

/// A wrapped format by its name (`cri/nginx_access`, `docker/cri/json`,
/// `journald/text`).
pub fn by_name(name: &str) -> Option<&'static dyn LogFormat> {
    let (wrapper, rest) = name.split_once('/')?;
    let wrapper = wrapper_by_name(wrapper)?;
    let inner = match rest {
        "text" => None,
        _ => Some(format::by_name(rest)?),
    };
    Some(wrapped(wrapper, inner))
}

impl Wrapped {
    /// The wrapper and the inner format (for the scan's caveat).
    pub fn parts(&self) -> (&'static dyn Wrapper, Option<&'static dyn LogFormat>) {
        (self.wrapper, self.inner)
    }

    /// Every inner format the file's lines are read with.
    fn inner_formats(&self) -> impl Iterator<Item = &'static dyn LogFormat> + '_ {
        self.inner
            .into_iter()
            .chain(self.by_source.iter().filter_map(|(_, f)| *f))
    }

    fn read<'a>(&self, inner: Inner<'a>, ctx: &mut TimeCtx) -> Parsed<'a> {
        let format = match self.by_source.is_empty() {
            true => self.inner,
            false => self
                .wrapper
                .source(&inner)
                .and_then(|src| self.by_source.iter().find(|(s, _)| **s == *src))
                .map_or(self.inner, |(_, f)| *f),
        };
        let Inner {
            text,
            at,
            level,
            fields,
        } = inner;
        match text {
            Cow::Borrowed(t) => read_text(format, t, at, level, fields, ctx),
            Cow::Owned(t) => read_text(format, &t, at, level, fields, ctx).into_owned(),
        }
    }
}

/// Reads the text inside an envelope with `format`, the envelope's
/// time, level and fields filling what the text lacks.
fn read_text<'t>(
    format: Option<&'static dyn LogFormat>,
    text: &'t [u8],
    at: Option<Micros>,
    level: Option<Level>,
    fields: Vec<(Cow<'t, str>, Cow<'t, str>)>,
    ctx: &mut TimeCtx,
) -> Parsed<'t> {
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    // A trace is written at once: a line shipped long after the line
    // before starts something new, whatever it looks like.
    let burst = match (at, ctx.shipped_at) {
        (Some(now), Some(before)) => (now - before).abs() <= TRACE_BURST,
        _ => true,
    };
    if at.is_some() {
        // Lines without a time of their own take the shipping time.
        ctx.last_at = at;
        ctx.shipped_at = at;
    }
    // Whether a line may continue the record before it at all.
    let joins = ctx.in_record && burst;
    // A Python traceback shipped line by line ends with the exception's
    // line (`Exception: ('spam', 'eggs')`), which no rule of its own tells
    // from a message: it is the traceback's when it follows the frames.
    if ctx.in_traceback {
        let indented = text.first().is_some_and(|c| *c == b' ' || *c == b'\t');
        if !indented {
            ctx.in_traceback = false;
            if joins && format::lex::ends_python_traceback(text) {
                return Parsed::Continuation;
            }
        } else if !burst {
            ctx.in_traceback = false;
        }
    }
    if text.starts_with(b"Traceback (most recent call last):") {
        ctx.in_traceback = true;
    }
    // A year-less line (syslog's `Dec 14 06:41:08`) was written shortly
    // before its envelope shipped it: its year is the one that puts it
    // just before the envelope's time, unless `--year` says otherwise.
    let anchor = ctx.anchor;
    if let (Some(at), YearAnchor::End(_)) = (at, anchor) {
        ctx.anchor = YearAnchor::End(at.div_euclid(1_000_000));
    }
    let mut parsed = match format {
        Some(f) => f.parse(text, ctx),
        None => Parsed::Unparsed,
    };
    // A multi-line format takes most lines it cannot read for the record
    // before (`continues_unless_digit_or_foreign`); an envelope that gives
    // each line its own time tells better: only a line that looks like a
    // continuation is one, any other is a message at the envelope's time.
    if at.is_some()
        && matches!(parsed, Parsed::Continuation)
        && !(format::lex::looks_continued(text) && joins)
    {
        parsed = Parsed::Unparsed;
    }
    if matches!(parsed, Parsed::Unparsed) {
        parsed = format::read_foreign(text, ctx, format);
    }
    ctx.anchor = anchor;
    if matches!(parsed, Parsed::Unparsed) {
        // A stack frame shipped as an entry of its own continues the
        // record before it, whatever time the envelope gave it.
        // With nothing before it to continue (the first lines of a
        // container's log), a line with the envelope's time is a message.
        let continued =
            format::lex::looks_continued(text) || (at.is_none() && format::lex::starts_trace(text));
        if continued && (joins || at.is_none()) {
            return Parsed::Continuation;
        }
        if let Some(at) = at {
            if is_blank(text) {
                // A blank line inside a trace (Go's between goroutines) is
                // the trace's; elsewhere it frames nothing.
                return match joins {
                    true => Parsed::Continuation,
                    false => Parsed::Framing,
                };
            }
            parsed = Parsed::Message {
                at,
                message: Message {
                    level: None,
                    text: String::from_utf8_lossy(format::lex::trim_ascii(text)),
                    fields: Vec::new(),
                },
            };
        }
    }
    if let Parsed::Message { message, .. } = &mut parsed {
        if message.level.is_none() {
            message.level = level;
        }
        for (k, v) in fields {
            if !message.fields.iter().any(|(have, _)| *have == k) {
                message.fields.push((k, v));
            }
        }
    }
    parsed
}

impl LogFormat for Wrapped {
    fn name(&self) -> &'static str {
        self.name
    }

    fn description(&self) -> &'static str {
        self.description
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        if ctx.layout.is_some() && self.wrapper.splits_lines() {
            take_carried(ctx);
        }
        match self.wrapper.open(line, ctx) {
            Envelope::One(inner) => self.read(inner, ctx),
            Envelope::Many(items) => {
                let mut records = Vec::with_capacity(items.len());
                for item in items {
                    self.read(item, ctx).for_each_record(|r| records.push(r));
                }
                match records.len() {
                    0 => Parsed::Unparsed,
                    1 => records.pop().unwrap_or(Parsed::Unparsed),
                    _ => Parsed::Batch(records),
                }
            }
            Envelope::Held => Parsed::Held,
            Envelope::Framing => Parsed::Framing,
            // A line outside any envelope (a plain line among wrapped ones).
            Envelope::Not => match self.inner {
                Some(f) => match f.parse(line, ctx) {
                    Parsed::Unparsed => format::read_foreign(line, ctx, Some(f)),
                    p => p,
                },
                None => format::read_foreign(line, ctx, None),
            },
        }
    }

    /// The front's when any writer's lines are front traffic (an nginx
    /// service among a compose project's), else the main inner format's.
    fn role(&self) -> Role {
        if self.inner_formats().any(|f| f.role() == Role::Front) {
            return Role::Front;
        }
        self.inner.map_or(Role::Application, |f| f.role())
    }

    fn request_role(&self) -> Role {
        if self
            .inner_formats()
            .any(|f| f.request_role() == Role::Front)
        {
            return Role::Front;
        }
        self.inner.map_or(Role::Application, |f| f.request_role())
    }

    fn multiline(&self) -> bool {
        self.inner_formats().any(|f| f.multiline())
    }

    fn yearless(&self) -> bool {
        self.inner_formats().any(|f| f.yearless())
    }

    fn relative_times(&self) -> bool {
        self.inner.is_some_and(|f| f.relative_times())
    }

    fn headers(&self) -> &'static [&'static [u8]] {
        self.wrapper.headers()
    }

    fn held_after(&self, block: &[u8], before: &Layout, ctx: &TimeCtx) -> Option<Layout> {
        if !self.wrapper.splits_lines() {
            return None;
        }
        Some(held_at_end(self.wrapper, block, before, ctx))
    }

    fn caveat(&self) -> Option<String> {
        match self.inner {
            None => Some(format!(
                "the lines inside {} are in no format postmortem reads: read as messages at the time the wrapper gives",
                self.wrapper.description()
            )),
            Some(f) => f.caveat(),
        }
    }
}

/// Marks a [`Layout`] that carries held pieces into the next block.
const CARRY: &[u8] = b"\0held\0";

/// The pieces held at the end of `block` (its trailing lines that are
/// pieces, with what `before` carried in when the whole block is pieces),
/// encoded for the next block's start: `CARRY`, the stdout text's length
/// (8 bytes, little-endian), the stdout text, the stderr text.
fn held_at_end(
    wrapper: &'static dyn Wrapper,
    block: &[u8],
    before: &Layout,
    ctx: &TimeCtx,
) -> Layout {
    /// Pieces looked back at, at most (past the 1 MiB a held line may
    /// grow to, [`hold`] lets it go anyway).
    const MAX_PIECES: usize = 1024;
    let mut c = ctx.clone();
    c.layout = None;
    let mut starts = Vec::new();
    let mut end = block.len();
    let mut whole = true;
    // Back over the trailing lines, while each is a piece.
    while end > 0 && starts.len() < MAX_PIECES {
        let body = &block[..end];
        let body = body.strip_suffix(b"\n").unwrap_or(body);
        let start = memchr::memrchr(b'\n', body).map_or(0, |i| i + 1);
        let line = &body[start..];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !is_blank(line) {
            c.pending.clear();
            c.pending_stderr.clear();
            if !matches!(wrapper.open(line, &mut c), Envelope::Held) {
                whole = false;
                break;
            }
            starts.push(start);
        }
        end = start;
    }
    if starts.len() >= MAX_PIECES {
        whole = false;
    }
    let mut c = ctx.clone();
    c.layout = None;
    c.pending.clear();
    c.pending_stderr.clear();
    if whole {
        if let Some(l) = before.as_deref() {
            c.layout = Some(l.into());
            take_carried(&mut c);
        }
    }
    for &start in starts.iter().rev() {
        let rest = &block[start..];
        let line = &rest[..memchr::memchr(b'\n', rest).unwrap_or(rest.len())];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let _ = wrapper.open(line, &mut c);
    }
    if c.pending.is_empty() && c.pending_stderr.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(CARRY.len() + 8 + c.pending.len() + c.pending_stderr.len());
    out.extend_from_slice(CARRY);
    out.extend_from_slice(&(c.pending.len() as u64).to_le_bytes());
    out.extend_from_slice(&c.pending);
    out.extend_from_slice(&c.pending_stderr);
    Some(out.into())
}

/// Moves pieces a block's [`Layout`] carried in ([`held_at_end`]) to the
/// held texts, before the block's first line is read.
fn take_carried(ctx: &mut TimeCtx) {
    let Some(rest) = ctx.layout.as_deref().and_then(|l| l.strip_prefix(CARRY)) else {
        return;
    };
    let (len, texts) = rest.split_at(rest.len().min(8));
    let len = <[u8; 8]>::try_from(len).map_or(0, u64::from_le_bytes);
    let len = usize::try_from(len).unwrap_or(usize::MAX).min(texts.len());
    let (out, err) = texts.split_at(len);
    ctx.pending = out.to_vec();
    ctx.pending_stderr = err.to_vec();
    ctx.layout = None;
}

/// How a wrapper fared on a sample: the format it reads the file with and
/// the sample lines it opened.
pub struct WrapScore {
    pub format: &'static dyn LogFormat,
    pub opened: usize,
    pub strong: bool,
    /// Whether the inner lines are in a format of their own (not a
    /// fallback, not none).
    pub inner_specific: bool,
}

/// The best wrapper for sample `lines`, if one opens at least half of the
/// non-blank ones and at least one record: the wrapped format (its inner
/// format detected from the unwrapped lines, `depth` levels of wrappers
/// deep) and how many lines it opened.
pub fn detect(lines: &[&[u8]], ctx: &mut TimeCtx, depth: u8) -> Option<WrapScore> {
    let nonblank = lines.iter().filter(|l| !is_blank(l)).count();
    if nonblank == 0 {
        return None;
    }
    let mut best: Option<WrapScore> = None;
    for &wrapper in wrappers() {
        let mut c = ctx.clone();
        c.pending.clear();
        c.pending_stderr.clear();
        let mut opened = 0usize;
        let mut texts: Vec<Vec<u8>> = Vec::new();
        // The writer of each text, where the envelope names one.
        let mut sources: Vec<Option<String>> = Vec::new();
        let mut seen = 0usize;
        for line in lines {
            if is_blank(line) {
                continue;
            }
            seen += 1;
            // Most lines so far not opened: not this wrapper.
            if seen > 32 && 4 * opened < seen {
                break;
            }
            match wrapper.open(line, &mut c) {
                Envelope::One(inner) => {
                    opened += 1;
                    sources.push(wrapper.source(&inner).map(str::to_string));
                    texts.push(inner.text.into_owned());
                }
                Envelope::Many(items) => {
                    opened += 1;
                    for i in items {
                        sources.push(wrapper.source(&i).map(str::to_string));
                        texts.push(i.text.into_owned());
                    }
                }
                Envelope::Held | Envelope::Framing => opened += 1,
                Envelope::Not => {}
            }
        }
        // A line still held when the sample ends is a line too (a file of
        // split entries whose last part is past the sample).
        for held in [&mut c.pending, &mut c.pending_stderr] {
            if !held.is_empty() {
                sources.push(None);
                texts.push(std::mem::take(held));
            }
        }
        if texts.is_empty() || 2 * opened < nonblank {
            continue;
        }
        let refs: Vec<&[u8]> = texts.iter().map(|t| t.as_slice()).collect();
        let mut ic = ctx.clone();
        let inner = format::detect_at_depth(&refs, &mut ic, depth.saturating_sub(1));
        let by_source = formats_by_source(&refs, &sources, inner, ctx, depth);
        let inner_specific = inner
            .into_iter()
            .chain(by_source.iter().filter_map(|(_, f)| *f))
            .any(|f| !f.fallback());
        if !wrapper.strong() && !inner_specific {
            continue;
        }
        let score = WrapScore {
            format: wrapped_by_source(wrapper, inner, by_source),
            opened,
            strong: wrapper.strong(),
            inner_specific,
        };
        if best.as_ref().is_none_or(|b| score.opened > b.opened) {
            best = Some(score);
        }
    }
    best
}

/// The value of the first of `keys` among a line's envelope fields.
pub(crate) fn field_value<'x>(inner: &'x Inner<'_>, keys: &[&str]) -> Option<&'x str> {
    keys.iter().find_map(|k| {
        inner
            .fields
            .iter()
            .find(|(have, _)| have == k)
            .map(|(_, v)| v.as_ref())
    })
}

/// The writers whose sample lines are in another format than the file's
/// inner format `main` (each writer with lines enough to tell, and in a
/// format postmortem reads).
fn formats_by_source(
    texts: &[&[u8]],
    sources: &[Option<String>],
    main: Option<&'static dyn LogFormat>,
    ctx: &TimeCtx,
    depth: u8,
) -> Vec<(Box<str>, Option<&'static dyn LogFormat>)> {
    /// Lines of a writer needed to detect its format apart.
    const MIN_SOURCE_LINES: usize = 3;
    /// Writers told apart, at most (pods of a large deployment).
    const MAX_SOURCES: usize = 32;
    let mut groups: Vec<(&str, Vec<&[u8]>)> = Vec::new();
    for (text, src) in texts.iter().zip(sources) {
        let Some(src) = src.as_deref() else { continue };
        if let Some(i) = groups.iter().position(|(s, _)| *s == src) {
            groups[i].1.push(text);
        } else if groups.len() < MAX_SOURCES {
            groups.push((src, vec![text]));
        }
    }
    if groups.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (src, lines) in groups {
        if lines.len() < MIN_SOURCE_LINES {
            continue;
        }
        // A writer whose lines no format reads keeps the file's format.
        let Some(f) = format::detect_at_depth(&lines, &mut ctx.clone(), depth.saturating_sub(1))
        else {
            continue;
        };
        if Some(f.name()) != main.map(|m| m.name()) {
            out.push((src.into(), Some(f)));
        }
    }
    out
}

/// An RFC 3339 timestamp at the start of `b` (with its offset: wrappers
/// write UTC or say their offset), and the rest after one space.
pub(crate) fn leading_stamp<'a>(b: &'a [u8], ctx: &mut TimeCtx) -> Option<(Micros, &'a [u8])> {
    let (stamp, used) = parse_iso(b)?;
    stamp.offset?;
    let rest = b.get(used..)?;
    let rest = rest
        .strip_prefix(b" ")
        .or_else(|| rest.strip_prefix(b"\t"))?;
    Some((ctx.resolve(stamp), rest))
}

/// The JSON object a line holds, its strings borrowed where they have
/// no escapes; `None` for anything else, cheaply for lines that do not
/// start with `{`.
pub(crate) fn json_object(line: &[u8]) -> Option<JsonObject<'_>> {
    let b = format::lex::trim_ascii(line);
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    if b.first() != Some(&b'{') || b.last() != Some(&b'}') {
        return None;
    }
    match serde_json::from_slice::<JsonValue<'_>>(b) {
        Ok(JsonValue::Object(o)) => Some(o),
        _ => None,
    }
}

/// A string member's text, borrowed where it can be.
pub(crate) fn str_of<'a>(o: &JsonObject<'a>, key: &str) -> Option<Cow<'a, str>> {
    o.get(key).and_then(JsonValue::as_text)
}

/// Text as bytes, borrowed where it can be.
pub(crate) fn bytes_of(text: Cow<'_, str>) -> Cow<'_, [u8]> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// Which of [`TimeCtx`]'s held texts a stream's pieces go to.
fn held_of(ctx: &mut TimeCtx, stderr: bool) -> &mut Vec<u8> {
    match stderr {
        true => &mut ctx.pending_stderr,
        false => &mut ctx.pending,
    }
}

/// Text held back by [`Envelope::Held`] lines of the same stream joined
/// with `last`, the part that completes them.
pub(crate) fn joined<'a>(ctx: &mut TimeCtx, stderr: bool, last: &'a [u8]) -> Cow<'a, [u8]> {
    let held = held_of(ctx, stderr);
    if held.is_empty() {
        Cow::Borrowed(last)
    } else {
        let mut all = std::mem::take(held);
        all.extend_from_slice(last);
        Cow::Owned(all)
    }
}

/// Holds `part` of a stream until the line that completes it; a runaway
/// (no end in a megabyte) is let go rather than growing without bound.
pub(crate) fn hold(ctx: &mut TimeCtx, stderr: bool, part: &[u8]) {
    const MAX_HELD: usize = 1 << 20;
    let held = held_of(ctx, stderr);
    if held.len() + part.len() > MAX_HELD {
        held.clear();
    }
    held.extend_from_slice(part);
}

#[cfg(test)]
mod tests;
