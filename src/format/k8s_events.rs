//! Kubernetes events, as users save them after an outage: two formats.
//!
//! `k8s_events` reads them as JSON:
//!
//! - `kubectl get events -o json`: a `List` document, pretty-printed. Its
//!   lines are framing, except the one that closes an event object, which
//!   becomes the event's record. The reader keeps the objects open so far
//!   in [`TimeCtx::layout`]; a block of a large file that starts inside an
//!   event loses that one event.
//! - one event object per line (`jq -c '.items[]'`, `kubectl get events -w
//!   -o json` piped through `jq -c`), event-router's `{"verb":"ADDED",
//!   "event":{…}}`, and `events.k8s.io/v1` objects (`regarding`, `note`).
//!
//! `kubectl_events` reads the tables of `kubectl get events`, `kubectl
//! events` (the `LAST SEEN TYPE REASON OBJECT MESSAGE` columns, and the
//! older `LAST SEEN FIRST SEEN COUNT NAME KIND SUBOBJECT TYPE REASON SOURCE
//! MESSAGE`), and the `Events:` table of `kubectl describe` (`Type Reason
//! Age From Message`). The header row names the columns (their starts set
//! the layout); a message wrapped onto the next line continues its row.
//! Tables carry ages (`47m`, `2m52s`, `68s (x10 over 5m18s)`), not times:
//! they are counted back from the file's modification time
//! ([`LogFormat::relative_times`]), which the scan says in a warning. A row
//! whose age is `<unknown>` is not read.
//!
//! Both give a message per event: `{reason} {kind/name}: {message}` (the
//! reason first, so that patterns can tell `BackOff` from `Killing`), level
//! warn for `Warning` and info for `Normal`, and the fields `reason`,
//! `object`, `namespace`, `count` and `source`. The time of a JSON event is
//! the last time it was seen (`lastTimestamp`, else the series' last
//! observation, `eventTime`, `firstTimestamp`, the object's creation).

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::format::lex::json_object::{parse_object, value_time};
use crate::format::lex::{cap_value, trim_ascii, Fields};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed};
use crate::time::{Micros, TimeCtx, YearAnchor, SEC};

/// Kubernetes events as JSON (`kubectl get events -o json`, one object a
/// line, event-router).
pub struct K8sEvents;

impl LogFormat for K8sEvents {
    fn name(&self) -> &'static str {
        "k8s_events"
    }

    fn description(&self) -> &'static str {
        "Kubernetes events as JSON (kubectl get events -o json, one event a line, event-router)"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        let t = trim_ascii(line);
        if t.len() > 1 && t.first() == Some(&b'{') && t.last() == Some(&b'}') {
            return one_line(t, ctx).unwrap_or(Parsed::Unparsed);
        }
        pretty_line(line, ctx)
    }
}

/// Kubernetes events as kubectl prints them (`get events`, `events`,
/// `describe`), times counted back from the file's modification time.
pub struct KubectlEvents;

impl LogFormat for KubectlEvents {
    fn name(&self) -> &'static str {
        "kubectl_events"
    }

    fn description(&self) -> &'static str {
        "kubectl get events / kubectl events / describe tables (ages counted back from the file's modification time)"
    }

    fn role(&self) -> Role {
        Role::System
    }

    fn headers(&self) -> &'static [&'static [u8]] {
        &[b"LAST SEEN", b"NAMESPACE ", b"  Type "]
    }

    fn multiline(&self) -> bool {
        true
    }

    fn relative_times(&self) -> bool {
        true
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        table_line(line, ctx)
    }
}

// ---------------------------------------------------------------------------
// What an event says, whatever the shape it came in

#[derive(Default)]
struct Event {
    reason: Option<String>,
    message: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    object: Option<String>,
    event_type: Option<String>,
    count: Option<String>,
    source: Option<String>,
}

impl Event {
    fn into_message(self) -> Message<'static> {
        let object = self.object.or_else(|| match (&self.kind, &self.name) {
            (Some(k), Some(n)) => Some(format!("{}/{n}", k.to_ascii_lowercase())),
            (None, Some(n)) => Some(n.clone()),
            _ => None,
        });
        let reason = self.reason.unwrap_or_default();
        let message = self.message.unwrap_or_default();
        let mut text = reason.clone();
        if let Some(o) = &object {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(o);
        }
        if !message.is_empty() {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(message.trim_end());
        }
        let level = match self.event_type.as_deref() {
            Some("Warning") => Some(Level::Warn),
            Some("Normal") => Some(Level::Info),
            _ => None,
        };
        let mut fields: Fields<'static> = Vec::new();
        for (name, value) in [
            ("reason", Some(reason).filter(|r| !r.is_empty())),
            ("object", object),
            ("namespace", self.namespace),
            ("count", self.count),
            ("source", self.source),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                let v = cap_value(Cow::Owned(v)).into_owned();
                fields.push((Cow::Borrowed(name), Cow::Owned(v)));
            }
        }
        Message {
            level,
            text: Cow::Owned(text),
            fields,
        }
    }
}

// ---------------------------------------------------------------------------
// One event object on a line

fn one_line<'a>(line: &[u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let obj = parse_object(line)?;
    // event-router: {"verb": "ADDED", "event": {...}}
    let ev = match (obj.get("verb"), obj.get("event")) {
        (Some(Value::String(_)), Some(Value::Object(inner))) => inner,
        _ => &obj,
    };
    let is_event = ev.get("kind").and_then(Value::as_str) == Some("Event")
        || (ev.contains_key("reason")
            && (ev.contains_key("involvedObject") || ev.contains_key("regarding")));
    if !is_event {
        return None;
    }
    let at = event_time(ev, ctx)?;
    Some(Parsed::Message {
        at,
        message: event_of(ev).into_message(),
    })
}

/// The last time an event was seen.
fn event_time(ev: &Map<String, Value>, ctx: &mut TimeCtx) -> Option<Micros> {
    let series_last = ev.get("series").and_then(|s| s.get("lastObservedTime"));
    let created = ev.get("metadata").and_then(|m| m.get("creationTimestamp"));
    [
        ev.get("lastTimestamp"),
        series_last,
        ev.get("deprecatedLastTimestamp"),
        ev.get("eventTime"),
        ev.get("firstTimestamp"),
        ev.get("deprecatedFirstTimestamp"),
        created,
    ]
    .into_iter()
    .flatten()
    .find_map(|v| value_time(v, ctx))
}

fn event_of(ev: &Map<String, Value>) -> Event {
    let s = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let object = ev.get("involvedObject").or_else(|| ev.get("regarding"));
    let of = |key: &str| s(object.and_then(|o| o.get(key)));
    Event {
        reason: s(ev.get("reason")),
        message: s(ev.get("message")).or_else(|| s(ev.get("note"))),
        kind: of("kind"),
        name: of("name"),
        namespace: of("namespace")
            .or_else(|| s(ev.get("metadata").and_then(|m| m.get("namespace")))),
        object: None,
        event_type: s(ev.get("type")),
        count: s(ev.get("count"))
            .or_else(|| s(ev.get("series").and_then(|x| x.get("count"))))
            .or_else(|| s(ev.get("deprecatedCount"))),
        source: s(ev.get("source").and_then(|x| x.get("component")))
            .or_else(|| s(ev.get("reportingComponent")))
            .or_else(|| s(ev.get("reportingController"))),
    }
}

// ---------------------------------------------------------------------------
// Pretty-printed documents
//
// The objects open so far are kept as frames: each with its indent, what
// it is, and the keys of interest read directly inside it. A frame that
// closes hands its keys to its parent (an event's `involvedObject`,
// `source`, `series`, `metadata`); an anonymous object that closes with a
// `reason` and an object it is about is an event.

/// The first byte of a layout this format wrote.
const DOC_TAG: u8 = b'J';
/// Deepest nesting kept; deeper objects are only framing.
const MAX_FRAMES: usize = 24;
/// Longest value kept, in bytes.
const MAX_VALUE: usize = 4096;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FrameKind {
    Object,
    Array,
    Regarding,
    Source,
    Series,
    Metadata,
    Other,
}

impl FrameKind {
    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(c: u8) -> FrameKind {
        use FrameKind::*;
        [Object, Array, Regarding, Source, Series, Metadata, Other]
            .get(c as usize)
            .copied()
            .unwrap_or(Other)
    }

    fn of_key(key: &str) -> FrameKind {
        match key {
            "involvedObject" | "regarding" => FrameKind::Regarding,
            "source" => FrameKind::Source,
            "series" => FrameKind::Series,
            "metadata" => FrameKind::Metadata,
            _ => FrameKind::Other,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Frame {
    indent: u16,
    kind: FrameKind,
    /// (event key, raw JSON value) read inside this frame.
    keys: Vec<(String, Vec<u8>)>,
}

/// The name under which a key read in a frame of `kind` is kept, if kept.
fn kept_key(kind: FrameKind, key: &str) -> Option<String> {
    let kept = match kind {
        FrameKind::Object => matches!(
            key,
            "reason"
                | "message"
                | "note"
                | "type"
                | "kind"
                | "count"
                | "lastTimestamp"
                | "eventTime"
                | "firstTimestamp"
                | "deprecatedLastTimestamp"
                | "deprecatedFirstTimestamp"
                | "deprecatedCount"
                | "reportingComponent"
                | "reportingController"
        ),
        FrameKind::Regarding => matches!(key, "kind" | "name" | "namespace"),
        FrameKind::Source => key == "component",
        FrameKind::Series => matches!(key, "count" | "lastObservedTime"),
        FrameKind::Metadata => matches!(key, "namespace" | "creationTimestamp"),
        FrameKind::Array | FrameKind::Other => false,
    };
    let prefix = match kind {
        FrameKind::Regarding => "involvedObject.",
        FrameKind::Source => "source.",
        FrameKind::Series => "series.",
        FrameKind::Metadata => "metadata.",
        _ => "",
    };
    kept.then(|| format!("{prefix}{key}"))
}

fn encode(frames: &[Frame]) -> Arc<[u8]> {
    let mut out = vec![DOC_TAG, frames.len() as u8];
    for f in frames {
        out.extend_from_slice(&f.indent.to_le_bytes());
        out.push(f.kind.code());
        out.push(f.keys.len() as u8);
        for (k, v) in &f.keys {
            out.push(k.len() as u8);
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&(v.len() as u16).to_le_bytes());
            out.extend_from_slice(v);
        }
    }
    Arc::from(out)
}

fn decode(layout: Option<&[u8]>) -> Vec<Frame> {
    let Some([DOC_TAG, n, rest @ ..]) = layout else {
        return Vec::new();
    };
    let mut frames = Vec::with_capacity(*n as usize);
    let mut r = rest;
    let mut take = |len: usize| -> Option<&[u8]> {
        let (head, tail) = (r.get(..len)?, r.get(len..)?);
        r = tail;
        Some(head)
    };
    for _ in 0..*n {
        let Some(head) = take(4) else { break };
        let indent = u16::from_le_bytes([head[0], head[1]]);
        let kind = FrameKind::from_code(head[2]);
        let mut keys = Vec::new();
        for _ in 0..head[3] {
            let Some(kl) = take(1) else { break };
            let Some(k) = take(kl[0] as usize) else { break };
            let k = String::from_utf8_lossy(k).into_owned();
            let Some(vl) = take(2) else { break };
            let Some(v) = take(u16::from_le_bytes([vl[0], vl[1]]) as usize) else {
                break;
            };
            keys.push((k, v.to_vec()));
        }
        frames.push(Frame { indent, kind, keys });
    }
    frames
}

/// A line of a pretty-printed document: framing, or the close of an event.
fn pretty_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
    let indent = line.iter().take_while(|&&c| c == b' ').count();
    let t = trim_ascii(line);
    let t = t.strip_suffix(b",").unwrap_or(t);
    let indent = indent.min(u16::MAX as usize) as u16;
    let mut frames = decode(ctx.layout.as_deref());
    let mut event = None;
    match t {
        b"{" => push(&mut frames, indent, FrameKind::Object),
        b"[" => push(&mut frames, indent, FrameKind::Array),
        b"}" | b"]" => event = pop(&mut frames, indent, ctx),
        b"{}" | b"[]" => {}
        _ if t.first() == Some(&b'"') => {
            let Some((key, value)) = key_value(t) else {
                return Parsed::Unparsed;
            };
            match value {
                b"{" => push(&mut frames, indent, FrameKind::of_key(&key)),
                b"[" => push(&mut frames, indent, FrameKind::Array),
                b"{}" | b"[]" => {}
                v => {
                    // A key read directly inside the innermost frame.
                    if let Some(f) = frames.last_mut() {
                        if f.indent < indent {
                            if let Some(name) = kept_key(f.kind, &key) {
                                let v = v.get(..v.len().min(MAX_VALUE)).unwrap_or_default();
                                f.keys.push((name, v.to_vec()));
                            }
                        }
                    }
                }
            }
        }
        _ => return Parsed::Unparsed,
    }
    ctx.layout = (!frames.is_empty()).then(|| encode(&frames));
    match event {
        Some((at, message)) => Parsed::Message { at, message },
        None => Parsed::Framing,
    }
}

fn push(frames: &mut Vec<Frame>, indent: u16, kind: FrameKind) {
    if frames.len() < MAX_FRAMES {
        frames.push(Frame {
            indent,
            kind,
            keys: Vec::new(),
        });
    }
}

/// Closes the frame opened at `indent` (and any left open inside it): its
/// keys go to its parent, or make an event.
fn pop(
    frames: &mut Vec<Frame>,
    indent: u16,
    ctx: &mut TimeCtx,
) -> Option<(Micros, Message<'static>)> {
    let at = frames.iter().rposition(|f| f.indent == indent)?;
    let mut closed = frames.split_off(at);
    let frame = closed.remove(0);
    match frame.kind {
        FrameKind::Regarding | FrameKind::Source | FrameKind::Series | FrameKind::Metadata => {
            if let Some(parent) = frames.last_mut() {
                if parent.kind == FrameKind::Object {
                    parent.keys.extend(frame.keys);
                }
            }
            None
        }
        FrameKind::Object => document_event(&frame.keys, ctx),
        FrameKind::Array | FrameKind::Other => None,
    }
}

/// An event from the keys of a closed object, when it is one.
fn document_event(
    keys: &[(String, Vec<u8>)],
    ctx: &mut TimeCtx,
) -> Option<(Micros, Message<'static>)> {
    let mut map = Map::new();
    for (k, v) in keys {
        let value: Value = serde_json::from_slice(v).unwrap_or(Value::Null);
        match k.split_once('.') {
            Some((outer, inner)) => {
                let entry = map
                    .entry(outer.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(o) = entry {
                    o.insert(inner.to_string(), value);
                }
            }
            None => {
                map.insert(k.clone(), value);
            }
        }
    }
    let is_event = map.get("kind").and_then(Value::as_str) == Some("Event")
        || (map.contains_key("reason") && map.contains_key("involvedObject"));
    if !is_event {
        return None;
    }
    let at = event_time(&map, ctx)?;
    Some((at, event_of(&map).into_message()))
}

/// `"key": value` → (key, value without its trailing comma).
fn key_value(t: &[u8]) -> Option<(String, &[u8])> {
    // The key is a JSON string; find its closing quote.
    let mut i = 1;
    while i < t.len() {
        match t[i] {
            b'\\' => i += 2,
            b'"' => break,
            _ => i += 1,
        }
    }
    let key: String = serde_json::from_slice(t.get(..=i)?).ok()?;
    let rest = trim_ascii(t.get(i + 1..)?);
    let value = trim_ascii(rest.strip_prefix(b":")?);
    Some((key, value))
}

// ---------------------------------------------------------------------------
// Tables

/// The first byte of a table layout.
const TABLE_TAG: u8 = b'T';

mod col {
    pub const OTHER: u8 = 0;
    pub const NAMESPACE: u8 = 1;
    pub const LAST_SEEN: u8 = 2;
    pub const FIRST_SEEN: u8 = 3;
    pub const COUNT: u8 = 4;
    pub const NAME: u8 = 5;
    pub const KIND: u8 = 6;
    pub const TYPE: u8 = 7;
    pub const REASON: u8 = 8;
    pub const OBJECT: u8 = 9;
    pub const SOURCE: u8 = 10;
    pub const MESSAGE: u8 = 11;
}

fn column_of(word: &str) -> u8 {
    match word {
        "NAMESPACE" => col::NAMESPACE,
        "LAST SEEN" | "Age" => col::LAST_SEEN,
        "FIRST SEEN" => col::FIRST_SEEN,
        "COUNT" => col::COUNT,
        "NAME" => col::NAME,
        "KIND" => col::KIND,
        "TYPE" | "Type" => col::TYPE,
        "REASON" | "Reason" => col::REASON,
        "OBJECT" => col::OBJECT,
        "SOURCE" | "From" => col::SOURCE,
        "MESSAGE" | "Message" => col::MESSAGE,
        _ => col::OTHER,
    }
}

/// A header row: its column names and where they start; `None` unless it
/// names the age, type and reason.
fn table_header(line: &[u8]) -> Option<Vec<(u8, usize)>> {
    let text = std::str::from_utf8(line).ok()?;
    let mut cols: Vec<(u8, usize)> = Vec::new();
    let mut words = text.char_indices().peekable();
    let mut pending: Option<(usize, String)> = None;
    let mut spaces = 0;
    let flush = |cols: &mut Vec<(u8, usize)>, p: Option<(usize, String)>| {
        if let Some((start, w)) = p {
            cols.push((column_of(&w), start));
        }
    };
    while let Some((i, c)) = words.next() {
        if c == ' ' {
            spaces += 1;
            continue;
        }
        // `LAST SEEN`, `FIRST SEEN`: two words, one space.
        let joins = spaces == 1
            && pending
                .as_ref()
                .is_some_and(|(_, w)| w == "LAST" || w == "FIRST");
        if let Some((_, w)) = pending.as_mut().filter(|_| joins) {
            w.push(' ');
            w.push(c);
        } else if spaces > 0 || pending.is_none() {
            flush(&mut cols, pending.take());
            pending = Some((i, c.to_string()));
        } else if let Some((_, w)) = pending.as_mut() {
            w.push(c);
        }
        spaces = 0;
        while let Some(&(_, n)) = words.peek() {
            if n == ' ' {
                break;
            }
            if let Some((_, w)) = pending.as_mut() {
                w.push(n);
            }
            words.next();
        }
    }
    flush(&mut cols, pending);
    let has = |c: u8| cols.iter().any(|(k, _)| *k == c);
    (has(col::LAST_SEEN) && has(col::TYPE) && has(col::REASON)).then_some(cols)
}

fn encode_table(cols: &[(u8, usize)]) -> Arc<[u8]> {
    let mut out = vec![TABLE_TAG];
    for &(c, start) in cols {
        out.push(c);
        out.extend_from_slice(&(start.min(u16::MAX as usize) as u16).to_le_bytes());
    }
    Arc::from(out)
}

fn decode_table(layout: Option<&[u8]>) -> Option<Vec<(u8, usize)>> {
    let [TABLE_TAG, rest @ ..] = layout? else {
        return None;
    };
    Some(
        rest.chunks_exact(3)
            .map(|c| (c[0], u16::from_le_bytes([c[1], c[2]]) as usize))
            .collect(),
    )
}

fn table_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
    if let Some(cols) = table_header(line) {
        ctx.layout = Some(encode_table(&cols));
        return Parsed::Framing;
    }
    let Some(cols) = decode_table(ctx.layout.as_deref()) else {
        return Parsed::Unparsed;
    };
    let t = trim_ascii(line);
    // `kubectl describe`'s underline row.
    if !t.is_empty() && t.iter().all(|&c| c == b'-' || c == b' ') {
        return Parsed::Framing;
    }
    let Some(&(_, age_start)) = cols.iter().find(|(c, _)| *c == col::LAST_SEEN) else {
        return Parsed::Unparsed;
    };
    let first_col = cols.iter().map(|&(_, s)| s).min().unwrap_or(0);
    let lead = line.iter().take_while(|&&c| c == b' ').count();
    // A wrapped message: nothing where the first columns are.
    if lead > age_start.max(first_col) && ctx.last_at.is_some() {
        return Parsed::Continuation;
    }
    table_row(line, &cols, ctx).unwrap_or(Parsed::Unparsed)
}

fn table_row<'a>(line: &'a [u8], cols: &[(u8, usize)], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let text = std::str::from_utf8(line).ok()?;
    let cell = |i: usize| -> Option<&str> {
        let (_, start) = *cols.get(i)?;
        let end = cols
            .get(i + 1)
            .map_or(text.len(), |&(_, s)| s.min(text.len()));
        // A column starts after a space, or the row is not this table's.
        if start > 0 && start <= text.len() && text.as_bytes().get(start - 1) != Some(&b' ') {
            return None;
        }
        Some(
            text.get(start.min(text.len())..end.max(start.min(text.len())))?
                .trim(),
        )
    };
    let mut ev = Event::default();
    let mut age = None;
    let mut kind = None;
    let mut name = None;
    for (i, &(c, _)) in cols.iter().enumerate() {
        let v = cell(i)?;
        let owned = (!v.is_empty()).then(|| v.to_string());
        match c {
            col::LAST_SEEN => age = Some(parse_age(v)?),
            col::TYPE => {
                if !matches!(v, "Normal" | "Warning") {
                    return None;
                }
                ev.event_type = owned;
            }
            col::REASON => {
                if v.is_empty() || v.contains(' ') {
                    return None;
                }
                ev.reason = owned;
            }
            col::NAMESPACE => ev.namespace = owned,
            col::COUNT => ev.count = owned,
            col::NAME => name = owned,
            col::KIND => kind = owned,
            col::OBJECT => ev.object = owned,
            col::SOURCE => ev.source = owned,
            col::MESSAGE => ev.message = owned,
            _ => {}
        }
    }
    let (age_secs, count) = age?;
    if ev.count.is_none() {
        ev.count = count.map(|c| c.to_string());
    }
    // The old table names the event (`pod-name.15779d3700ff4a2c`) and its kind.
    if ev.object.is_none() {
        if let Some(n) = name {
            let object_name = n.rsplit_once('.').map_or(n.as_str(), |(o, _)| o);
            ev.object = Some(match &kind {
                Some(k) => format!("{}/{object_name}", k.to_ascii_lowercase()),
                None => object_name.to_string(),
            });
        }
    }
    let anchor = match ctx.anchor {
        YearAnchor::End(secs) => secs,
        YearAnchor::Start { .. } => return None,
    };
    let at = anchor.checked_sub(age_secs)?.checked_mul(SEC)?;
    Some(Parsed::Message {
        at,
        message: ev.into_message(),
    })
}

/// An age as kubectl writes it: `47m`, `2m52s`, `3d4h`, `88s`, optionally
/// followed by `(x10 over 5m18s)`: (seconds, count).
fn parse_age(cell: &str) -> Option<(i64, Option<u32>)> {
    let (age, rest) = cell.split_once(' ').unwrap_or((cell, ""));
    let secs = duration_secs(age)?;
    let count = rest
        .trim()
        .strip_prefix("(x")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok());
    Some((secs, count))
}

/// `2m52s` and friends in seconds (units s, m, h, d, y).
fn duration_secs(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut total: i64 = 0;
    let mut n: i64 = 0;
    let mut digits = false;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            n = n.checked_mul(10)?.checked_add(d as i64)?;
            digits = true;
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'y' => 365 * 86_400,
            _ => return None,
        };
        if !digits {
            return None;
        }
        total = total.checked_add(n.checked_mul(unit)?)?;
        n = 0;
        digits = false;
    }
    (!digits).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        access_doc_lines, check, check_in, continuation, each, framing, message, mutated_line,
        random_bytes, unparsed,
    };
    use proptest::prelude::*;

    /// 2024-03-09T12:00:00Z, the tables' "now".
    const NOW: i64 = 1_709_985_600;

    fn at_now() -> TimeCtx {
        TimeCtx::new(crate::time::Zone::Utc, YearAnchor::End(NOW))
    }

    /// Reads lines in order with one context, as a block is read.
    fn read_all<'a>(f: &dyn LogFormat, lines: &[&'a str]) -> Vec<Parsed<'a>> {
        let mut ctx = at_now();
        lines
            .iter()
            .map(|l| {
                let p = f.parse(l.as_bytes(), &mut ctx);
                if let Some(at) = p.at() {
                    ctx.last_at = Some(at);
                }
                p
            })
            .collect()
    }

    fn texts(parsed: &[Parsed<'_>]) -> Vec<(String, String, Option<Level>)> {
        parsed
            .iter()
            .filter_map(|p| match p {
                Parsed::Message { at, message } => Some((
                    crate::time::format_rfc3339(*at),
                    message.text.to_string(),
                    message.level,
                )),
                _ => None,
            })
            .collect()
    }

    /// `kubectl events --for HelmRelease/podinfo`, from fluxcd/helm-controller's
    /// `docs/spec/v2/helmreleases.md` (Apache-2.0): the last message wraps.
    const FLUX_TABLE: &[&str] = &[
        "LAST SEEN   TYPE      REASON             OBJECT                MESSAGE",
        "88s         Normal    HelmChartCreated   HelmRelease/podinfo   Created HelmChart/podinfo/podinfo-podinfo with SourceRef 'HelmRepository/podinfo/podinfo'",
        "83s         Normal    InstallSucceeded   HelmRelease/podinfo   Helm install succeeded for release podinfo/podinfo.v1 with chart podinfo@6.5.3",
        "78s         Warning   TestFailed         HelmRelease/podinfo   Helm test failed for release podinfo/podinfo.v1 with chart podinfo@6.5.3: 1 error occurred:",
        "            * pod podinfo-fault-test-a0tew failed",
    ];

    /// The older table, from Argo CD's `docs/operator-manual/security.md`
    /// (argoproj/argo-cd, Apache-2.0).
    const ARGO_TABLE: &[&str] = &[
        "LAST SEEN   FIRST SEEN   COUNT   NAME                         KIND          SUBOBJECT   TYPE      REASON               SOURCE                          MESSAGE",
        "1m          1m           1       guestbook.157f7c5edd33aeac   Application               Normal    ResourceCreated      argocd-server                   admin created application",
        "1m          1m           1       guestbook.157f7c5f0f747acf   Application               Normal    ResourceUpdated      argocd-application-controller   Updated sync status:  -> OutOfSync",
    ];

    #[test]
    fn kubectl_events_table() {
        let parsed = read_all(&KubectlEvents, FLUX_TABLE);
        assert_eq!(parsed[0], Parsed::Framing);
        assert_eq!(parsed[4], Parsed::Continuation);
        assert_eq!(
            texts(&parsed),
            [
                ("2024-03-09T11:58:32Z".to_string(), "HelmChartCreated HelmRelease/podinfo: Created HelmChart/podinfo/podinfo-podinfo with SourceRef 'HelmRepository/podinfo/podinfo'".to_string(), Some(Level::Info)),
                ("2024-03-09T11:58:37Z".to_string(), "InstallSucceeded HelmRelease/podinfo: Helm install succeeded for release podinfo/podinfo.v1 with chart podinfo@6.5.3".to_string(), Some(Level::Info)),
                ("2024-03-09T11:58:42Z".to_string(), "TestFailed HelmRelease/podinfo: Helm test failed for release podinfo/podinfo.v1 with chart podinfo@6.5.3: 1 error occurred:".to_string(), Some(Level::Warn)),
            ]
        );
    }

    #[test]
    fn older_table_names_the_event() {
        let parsed = read_all(&KubectlEvents, ARGO_TABLE);
        let Parsed::Message { message, at } = &parsed[2] else {
            panic!("{:?}", parsed[2]);
        };
        assert_eq!(*at, (NOW - 60) * SEC);
        assert_eq!(
            message.text,
            "ResourceUpdated application/guestbook: Updated sync status:  -> OutOfSync"
        );
        let field = |k: &str| {
            message
                .fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.to_string())
        };
        assert_eq!(field("count").as_deref(), Some("1"));
        assert_eq!(
            field("source").as_deref(),
            Some("argocd-application-controller")
        );
    }

    #[test]
    fn ages_and_repeats() {
        let lines = [
            "NAMESPACE     LAST SEEN            TYPE      REASON      OBJECT                  MESSAGE",
            "calico-system 6m1s                 Warning   Unhealthy   pod/calico-node-4fpgp   Readiness probe failed:",
            "default       68s (x10 over 5m)    Warning   BackOff     pod/custom-cmd          Back-off restarting failed container",
            "default       <unknown>            Normal    Scheduled   pod/custom-cmd          Successfully assigned default/custom-cmd to minikube",
        ];
        let parsed = read_all(&KubectlEvents, &lines);
        let Parsed::Message { at, message } = &parsed[2] else {
            panic!("{:?}", parsed[2]);
        };
        assert_eq!(*at, (NOW - 68) * SEC);
        assert!(message
            .fields
            .iter()
            .any(|(k, v)| k == "count" && v == "10"));
        assert!(message
            .fields
            .iter()
            .any(|(k, v)| k == "namespace" && v == "default"));
        assert!(matches!(&parsed[1], Parsed::Message { at, .. } if *at == (NOW - 361) * SEC));
        assert_eq!(parsed[3], Parsed::Unparsed);
        for (age, secs) in [
            ("47m", 2820),
            ("2m52s", 172),
            ("3d4h", 273_600),
            ("1y", 31_536_000),
        ] {
            assert_eq!(duration_secs(age), Some(secs), "{age}");
        }
        for bad in ["", "m", "5", "5x", "<invalid>", "1m5"] {
            assert_eq!(duration_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn describe_events_section() {
        // `kubectl describe pod`'s Events (the Kubernetes docs' shape).
        let lines = [
            "  Type     Reason       Age                   From               Message",
            "  ----     ------       ----                  ----               -------",
            "  Warning  FailedMount  68s (x10 over 5m18s)  kubelet, minikube  MountVolume.SetUp failed for volume \"mysecret\" : secret \"mysecret\" not found",
        ];
        let parsed = read_all(&KubectlEvents, &lines);
        assert_eq!(parsed[0], Parsed::Framing);
        assert_eq!(parsed[1], Parsed::Framing);
        let Parsed::Message { message, .. } = &parsed[2] else {
            panic!("{:?}", parsed[2]);
        };
        assert!(
            message
                .text
                .starts_with("FailedMount: MountVolume.SetUp failed"),
            "{}",
            message.text
        );
        assert!(message
            .fields
            .iter()
            .any(|(k, v)| k == "source" && v == "kubelet, minikube"));
    }

    #[test]
    fn rows_need_their_header() {
        check_in(
            &KubectlEvents,
            at_now,
            &[
                (
                    "88s         Normal    HelmChartCreated   HelmRelease/podinfo   Created",
                    unparsed(),
                ),
                (FLUX_TABLE[0], framing()),
                ("LAST SEEN TYPE", unparsed()),
            ],
        );
        check(&KubectlEvents, &each(access_doc_lines(), unparsed()));
    }

    /// One event a line. Event-router's output as OpenShift's logging
    /// guide shows it (an `oc logs` of the eventrouter pod), and
    /// heptiolabs/eventrouter's stdout sink test (Apache-2.0), whose event
    /// has no time at all; then two written for this test in the shapes of
    /// `jq -c '.items[]'` and of an `events.k8s.io/v1` object.
    const JSON_LINES: &[&str] = &[
        r#"{"verb":"ADDED","event":{"metadata":{"name":"elasticsearch-operator.v0.0.1.158f402e25397146","namespace":"openshift-operators","selfLink":"/api/v1/namespaces/openshift-operators/events/elasticsearch-operator.v0.0.1.158f402e25397146","uid":"37b7ff11-4f1a-11e9-a7ad-0271b2ca69f0","resourceVersion":"523264","creationTimestamp":"2019-03-25T16:22:43Z"},"involvedObject":{"kind":"ClusterServiceVersion","namespace":"openshift-operators","name":"elasticsearch-operator.v0.0.1","uid":"27b2ca6d-4f1a-11e9-8fba-0ea949ad61f6","apiVersion":"operators.coreos.com/v1alpha1","resourceVersion":"523096"},"reason":"InstallSucceeded","message":"waiting for install components to report healthy","source":{"component":"operator-lifecycle-manager"},"firstTimestamp":"2019-03-25T16:22:43Z","lastTimestamp":"2019-03-25T16:22:43Z","count":1,"type":"Normal"}}"#,
        r#"{"verb":"UPDATED","event":{"metadata":{"name":"my-test-event","namespace":"test-ns","creationTimestamp":null},"involvedObject":{},"reason":"foobar","source":{},"firstTimestamp":null,"lastTimestamp":null,"eventTime":null,"reportingComponent":"","reportingInstance":""},"old_event":{"metadata":{"name":"my-test-event","namespace":"test-ns","creationTimestamp":null},"involvedObject":{},"reason":"foobar","source":{},"firstTimestamp":null,"lastTimestamp":null,"eventTime":null,"reportingComponent":"","reportingInstance":""}}"#,
        r#"{"apiVersion":"v1","count":1,"eventTime":null,"firstTimestamp":"2021-05-24T09:07:02Z","involvedObject":{"apiVersion":"v1","kind":"Pod","name":"web-5d4f7c8b9-x2x7q","namespace":"default","resourceVersion":"1213","uid":"4b8a"},"kind":"Event","lastTimestamp":"2021-05-24T09:07:02Z","message":"Back-off restarting failed container web in pod web-5d4f7c8b9-x2x7q_default(4b8a)","metadata":{"creationTimestamp":"2021-05-24T09:07:02Z","name":"web-5d4f7c8b9-x2x7q.1681f2a8c2d1a3b4","namespace":"default"},"reason":"BackOff","reportingComponent":"","reportingInstance":"","source":{"component":"kubelet","host":"node-1"},"type":"Warning"}"#,
        r#"{"kind":"Event","apiVersion":"events.k8s.io/v1","metadata":{"name":"web.17","namespace":"default","creationTimestamp":"2024-03-09T11:00:00Z"},"eventTime":"2024-03-09T11:00:00.123456Z","reportingController":"default-scheduler","reason":"FailedScheduling","regarding":{"kind":"Pod","namespace":"default","name":"web-1"},"note":"0/3 nodes are available: 3 Insufficient memory.","type":"Warning","series":{"count":4,"lastObservedTime":"2024-03-09T11:05:00.000000Z"}}"#,
    ];

    #[test]
    fn one_event_a_line() {
        check(
            &K8sEvents,
            &[
                (
                    JSON_LINES[0],
                    message()
                        .at("2019-03-25T16:22:43Z")
                        .level(Level::Info)
                        .text("InstallSucceeded clusterserviceversion/elasticsearch-operator.v0.0.1: waiting for install components to report healthy")
                        .field("namespace", "openshift-operators")
                        .field("source", "operator-lifecycle-manager")
                        .field("count", "1"),
                ),
                // No time anywhere: nothing to place it at.
                (JSON_LINES[1], unparsed()),
                (
                    JSON_LINES[2],
                    message()
                        .at("2021-05-24T09:07:02Z")
                        .level(Level::Warn)
                        .text_prefix("BackOff pod/web-5d4f7c8b9-x2x7q: Back-off restarting failed container web")
                        .field("reason", "BackOff")
                        .field("source", "kubelet"),
                ),
                (
                    JSON_LINES[3],
                    message()
                        .at("2024-03-09T11:05:00Z")
                        .text("FailedScheduling pod/web-1: 0/3 nodes are available: 3 Insufficient memory.")
                        .field("count", "4")
                        .field("source", "default-scheduler"),
                ),
                (r#"{"level":"info","msg":"not an event","reason":"x"}"#, unparsed()),
                (r#"{"kind":"Pod","metadata":{"name":"x"}}"#, unparsed()),
            ],
        );
    }

    #[test]
    fn reasons_become_timeline_events() {
        let set = crate::patterns::PatternSet::builtin();
        let cases = [
            ("BackOff pod/web-1: Back-off restarting failed container web in pod web-1_default(4b8a)", "k8s.event.crash_loop", "pod/web-1: crash loop (back-off restarting failed container)"),
            ("Unhealthy pod/calico-node-4fpgp: Readiness probe failed:", "k8s.event.probe_failed", "pod/calico-node-4fpgp: Readiness probe failed"),
            ("Killing pod/web-1: Stopping container web", "k8s.event.killing", "pod/web-1: container stopped"),
            ("Killing pod/web-1: Container web failed liveness probe, will be restarted", "k8s.event.killed_by_probe", "pod/web-1: container web restarted after its liveness probe failed"),
            ("OOMKilling node/node-1: Memory cgroup out of memory: Killed process 1234 (java)", "k8s.event.oom", "node/node-1: out of memory, a process was killed"),
            ("FailedScheduling pod/nginx-66f9f9cfd5-2w97n: 0/1 nodes are available: 1 Insufficient cpu.", "k8s.event.failed_scheduling", "pod/nginx-66f9f9cfd5-2w97n cannot be scheduled (Insufficient cpu)"),
            ("ScalingReplicaSet deployment/nginx: Scaled up replica set nginx-f89759699 to 1", "k8s.event.scaling_replica_set", "deployment/nginx: scaled up replica set nginx-f89759699"),
        ];
        for format in ["k8s_events", "kubectl_events"] {
            for (text, id, title) in cases {
                let m = set
                    .find(format, text)
                    .unwrap_or_else(|| panic!("no pattern for {text}"));
                assert_eq!(m.pattern.id, id, "{text}");
                assert_eq!(m.title, title, "{text}");
            }
        }
        // Only for these formats: an application's log saying "BackOff" is not an event of them.
        let m = set.find("json", "Killing pod/web-1: Stopping container web");
        assert!(m.is_none_or(|m| !m.pattern.id.starts_with("k8s.event.")));
    }

    /// Written for this test in the shape `kubectl get events -o json`
    /// prints (keys sorted, four spaces, a `List`), with a nested
    /// `managedFields` list whose objects are not events.
    const DOC: &str = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "count": 3,
            "eventTime": null,
            "firstTimestamp": "2021-05-24T09:05:00Z",
            "involvedObject": {
                "apiVersion": "v1",
                "fieldPath": "spec.containers{web}",
                "kind": "Pod",
                "name": "web-5d4f7c8b9-x2x7q",
                "namespace": "default"
            },
            "kind": "Event",
            "lastTimestamp": "2021-05-24T09:07:02Z",
            "message": "Liveness probe failed: HTTP probe failed with statuscode: 500",
            "metadata": {
                "creationTimestamp": "2021-05-24T09:05:00Z",
                "managedFields": [
                    {
                        "apiVersion": "v1",
                        "manager": "kubelet",
                        "operation": "Update",
                        "time": "2021-05-24T09:05:00Z"
                    }
                ],
                "name": "web-5d4f7c8b9-x2x7q.1681f2a8",
                "namespace": "default"
            },
            "reason": "Unhealthy",
            "source": {
                "component": "kubelet",
                "host": "node-1"
            },
            "type": "Warning"
        },
        {
            "apiVersion": "v1",
            "involvedObject": {
                "kind": "Pod",
                "name": "web-5d4f7c8b9-x2x7q"
            },
            "kind": "Event",
            "lastTimestamp": "2021-05-24T09:07:03Z",
            "message": "Container web failed liveness probe, will be restarted",
            "reason": "Killing",
            "type": "Normal"
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}"#;

    #[test]
    fn a_pretty_printed_list() {
        let lines: Vec<&str> = DOC.lines().collect();
        let parsed = read_all(&K8sEvents, &lines);
        assert!(parsed
            .iter()
            .all(|p| matches!(p, Parsed::Framing | Parsed::Message { .. })));
        let got = texts(&parsed);
        assert_eq!(
            got,
            [
                ("2021-05-24T09:07:02Z".to_string(), "Unhealthy pod/web-5d4f7c8b9-x2x7q: Liveness probe failed: HTTP probe failed with statuscode: 500".to_string(), Some(Level::Warn)),
                ("2021-05-24T09:07:03Z".to_string(), "Killing pod/web-5d4f7c8b9-x2x7q: Container web failed liveness probe, will be restarted".to_string(), Some(Level::Info)),
            ]
        );
        // The record is the line that closes the event.
        let at_close = lines.iter().position(|l| *l == "        },").unwrap();
        assert!(matches!(parsed[at_close], Parsed::Message { .. }));
        // And the same events with jq's two spaces.
        let two: Vec<String> = lines
            .iter()
            .map(|l| {
                let n = l.len() - l.trim_start().len();
                format!("{}{}", " ".repeat(n / 2), l.trim_start())
            })
            .collect();
        let two: Vec<&str> = two.iter().map(String::as_str).collect();
        assert_eq!(texts(&read_all(&K8sEvents, &two)), got);
    }

    #[test]
    fn detection() {
        let doc: Vec<&[u8]> = DOC.lines().map(str::as_bytes).collect();
        let mut ctx = at_now();
        assert_eq!(
            crate::format::detect(&doc, &mut ctx).map(|f| f.name()),
            Some("k8s_events")
        );
        let lines: Vec<&[u8]> = JSON_LINES.iter().map(|l| l.as_bytes()).collect();
        assert_eq!(
            crate::format::detect(&lines, &mut ctx).map(|f| f.name()),
            Some("k8s_events")
        );
        let table: Vec<&[u8]> = FLUX_TABLE.iter().map(|l| l.as_bytes()).collect();
        assert_eq!(
            crate::format::detect(&table, &mut ctx).map(|f| f.name()),
            Some("kubectl_events")
        );
    }

    #[test]
    fn the_document_state_round_trips() {
        let frames = vec![
            Frame {
                indent: 0,
                kind: FrameKind::Object,
                keys: vec![],
            },
            Frame {
                indent: 8,
                kind: FrameKind::Object,
                keys: vec![("reason".into(), b"\"BackOff\"".to_vec())],
            },
            Frame {
                indent: 12,
                kind: FrameKind::Regarding,
                keys: vec![("involvedObject.name".into(), b"\"x\"".to_vec())],
            },
        ];
        assert_eq!(decode(Some(&encode(&frames))), frames);
        assert!(decode(Some(b"J\x05")).len() <= 5);
        assert!(decode(Some(b"Tabc")).is_empty());
    }

    fn real_lines() -> Vec<&'static str> {
        FLUX_TABLE
            .iter()
            .chain(ARGO_TABLE)
            .chain(JSON_LINES)
            .copied()
            .chain(DOC.lines())
            .collect()
    }

    proptest! {
        #[test]
        fn mutated_lines_never_panic(line in mutated_line(real_lines())) {
            for f in [&K8sEvents as &dyn LogFormat, &KubectlEvents] {
                let mut ctx = at_now();
                for l in FLUX_TABLE.iter().take(2).chain(DOC.lines().take(8).collect::<Vec<_>>().iter()) {
                    let _ = f.parse(l.as_bytes(), &mut ctx);
                }
                let _ = f.parse(&line, &mut ctx);
                let _ = f.parse(&line, &mut at_now());
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(300), layout in random_bytes(64)) {
            for f in [&K8sEvents as &dyn LogFormat, &KubectlEvents] {
                let mut ctx = at_now();
                let _ = f.parse(&bytes, &mut ctx);
                ctx.layout = Some(Arc::from(layout.clone()));
                let _ = f.parse(&bytes, &mut ctx);
                let _ = f.parse(b"        }", &mut ctx);
            }
        }
    }

    #[test]
    fn a_continuation_needs_a_row_before_it() {
        check_in(
            &KubectlEvents,
            || {
                let mut c = at_now();
                c.layout = table_header(FLUX_TABLE[0].as_bytes()).map(|cols| encode_table(&cols));
                c
            },
            &[(FLUX_TABLE[4], unparsed())],
        );
        let mut c = at_now();
        c.layout = table_header(FLUX_TABLE[0].as_bytes()).map(|cols| encode_table(&cols));
        c.last_at = Some(0);
        continuation().assert(
            &KubectlEvents.parse(FLUX_TABLE[4].as_bytes(), &mut c),
            "wrapped",
        );
    }
}
