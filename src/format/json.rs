//! JSON lines (logrus, zap, zerolog, bunyan, pino, slog, structlog, ECS, journald, Traefik, tracing).
//!
//! Every line is one JSON object. Instead of one parser per logger, the
//! object's keys are probed for the time, level and message under the names
//! the common loggers use (see docs/formats.md, `json`); lines shaped like access
//! logs (Traefik, nginx/Envoy/Caddy JSON) become requests. The object is
//! walked once and every key sorted into a slot, so a line costs one
//! `serde_json` parse and one pass over its top-level keys.

use std::borrow::Cow;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::format::lex::json_object::{
    json_value_time, split_json_line, JsonKey, JsonObject, JsonValue,
};
use crate::format::lex::{
    cap_value, looks_continued, status_code, strip_port, unit_duration_ms, Fields, MAX_FIELDS,
};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed, Request};
use crate::time::{Micros, TimeCtx};

/// JSON lines (logrus, zap, zerolog, bunyan, pino, slog, structlog, ECS, journald, Traefik, tracing).
pub struct JsonLines;

impl LogFormat for JsonLines {
    fn name(&self) -> &'static str {
        "json"
    }

    fn description(&self) -> &'static str {
        "JSON lines (logrus, zap, zerolog, bunyan, pino, slog, structlog, ECS, journald, Traefik, tracing)"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        let Some((prefix_at, body)) = split_json_line(line, ctx) else {
            return Parsed::Unparsed;
        };
        let Some(entries) = parse_entries(body) else {
            return Parsed::Unparsed;
        };
        read_object(&entries, prefix_at, ctx, 0).unwrap_or(Parsed::Unparsed)
    }
}

/// The top-level entries of an object that some probe wants, in line
/// order. Values under other keys (request headers, Terraform hooks, big
/// nested contexts) are checked by the parser but never built, which is
/// most of the cost of a `serde_json::Value`.
type Entries<'de> = Vec<(Cow<'de, str>, JsonValue<'de>)>;

struct Wanted<'de>(Entries<'de>);

impl<'de> Deserialize<'de> for Wanted<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Wanted<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Wanted<'de>, A::Error> {
                let mut out = Vec::with_capacity(16);
                while let Some(JsonKey(k)) = map.next_key()? {
                    if wanted(&k) {
                        let v: JsonValue<'de> = map.next_value()?;
                        out.push((k, v));
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Wanted(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn wanted(k: &str) -> bool {
    time_rank(k).is_some()
        || level_rank(k).is_some()
        || message_rank(k).is_some()
        || req_slot(k).is_some()
        || is_kept_field(k)
        || matches!(k, "log" | "fields" | "c")
}

/// Parses a line's object into its wanted entries; invalid UTF-8 inside
/// strings is read lossily.
fn parse_entries(body: &[u8]) -> Option<Entries<'_>> {
    match serde_json::from_slice::<Wanted>(body) {
        Ok(w) => Some(w.0),
        Err(_) if std::str::from_utf8(body).is_err() => {
            let fixed = String::from_utf8_lossy(body).into_owned();
            let w = serde_json::from_str::<Wanted>(&fixed).ok()?;
            Some(owned_entries(w.0))
        }
        Err(_) => None,
    }
}

/// Entries that own their strings (read from a copy of the line).
fn owned_entries(entries: Entries<'_>) -> Entries<'static> {
    entries
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
        .collect()
}

fn get<'e, 'a>(
    entries: &'e [(Cow<'a, str>, JsonValue<'a>)],
    key: &str,
) -> Option<&'e JsonValue<'a>> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

// ---------------------------------------------------------------------------
// Key probes

/// Time keys, most trusted first: a request's start, journald's origin time
/// before its reception time, then the loggers' own keys.
fn time_rank(key: &str) -> Option<usize> {
    Some(match key {
        "StartUTC" => 0,
        "_SOURCE_REALTIME_TIMESTAMP" => 1,
        "__REALTIME_TIMESTAMP" => 2,
        "time" => 3,
        "timestamp" => 4,
        "@timestamp" => 5,
        "ts" => 6,
        "t" => 7,
        "time_iso8601" => 8,
        "start_time" => 9,
        "time_local" => 10,
        "datetime" => 11,
        "date" => 12,
        "eventTime" => 13,
        "lastTimestamp" => 14,
        "msec" => 15,
        "Timestamp" => 16,
        // Audit logs (feature flags, ticketing, cloud trails).
        "createdAt" => 17,
        "created_at" => 18,
        "event_time" => 19,
        "eventTimestamp" => 20,
        _ if generic_time_key(key) => GENERIC_TIME_SLOT,
        _ => return None,
    })
}
/// The slot of a key that is no logger's known time key but is named
/// like one (`created_date`, `loggedAt`, `event_datetime`): tried last.
const GENERIC_TIME_SLOT: usize = 21;
const TIME_SLOTS: usize = 22;

/// Whether a key is named like the time a record was written: it ends in
/// a time word (`date`, `time`, `timestamp`, `_ts`, `_at`, `At`) and says
/// nothing of another moment or of a duration (`expires_at`, `end_time`,
/// `next_run_time`, `response_time`, `time_ms`).
fn generic_time_key(key: &str) -> bool {
    const ENDINGS: &[&str] = &["date", "time", "timestamp", "datetime", "_ts", "_at"];
    const OTHER_MOMENTS: &[&str] = &[
        "expir", "end", "until", "deadline", "after", "before", "next", "due", "last", "start",
        "stop", "dur", "elapsed", "took", "ms", "latency", "ttl", "timeout", "uptime", "response",
        "request", "upstream", "connect", "wait", "total", "birth", "valid", "renew", "retry",
    ];
    // Every key of every JSON line no logger is known for comes here:
    // compare bytes without case, allocate nothing, reject on the ending
    // first.
    let k = key.as_bytes();
    let ends =
        |e: &str| k.len() >= e.len() && k[k.len() - e.len()..].eq_ignore_ascii_case(e.as_bytes());
    let has = |w: &str| {
        k.windows(w.len())
            .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
    };
    let camel_at = k.len() > 2 && key.ends_with("At");
    (camel_at || ENDINGS.iter().any(|e| ends(e))) && !OTHER_MOMENTS.iter().any(|w| has(w))
}

/// How a level value is read.
#[derive(Clone, Copy, PartialEq)]
enum LevelKind {
    /// Words, or numbers on the bunyan/pino scale.
    Word,
    /// journald `PRIORITY`: syslog severity 0-7.
    Syslog,
    /// MongoDB `s`: `F`, `E`, `W`, `I`, `D1`..`D5` only.
    Mongo,
}

fn level_rank(key: &str) -> Option<(usize, LevelKind)> {
    Some(match key {
        "level" => (0, LevelKind::Word),
        "severity" => (1, LevelKind::Word),
        "log.level" => (2, LevelKind::Word),
        // 3: nested {"log": {"level": ..}}
        "@level" => (4, LevelKind::Word),
        "lvl" => (5, LevelKind::Word),
        "levelname" => (6, LevelKind::Word),
        "loglevel" => (7, LevelKind::Word),
        "SeverityText" => (8, LevelKind::Word),
        "PRIORITY" => (9, LevelKind::Syslog),
        "s" => (10, LevelKind::Mongo),
        _ => return None,
    })
}
const LEVEL_SLOTS: usize = 11;
const LEVEL_NESTED_LOG: usize = 3;

fn message_rank(key: &str) -> Option<usize> {
    Some(match key {
        "msg" => 0,
        "message" => 1,
        "@message" => 2,
        "MESSAGE" => 3,
        "event" => 4,
        "fields.message" => 5,
        // 6: nested {"fields": {"message": ..}} (tracing)
        // 7: docker json-file `log`
        "Body" => 8,
        _ => return None,
    })
}
const MESSAGE_SLOTS: usize = 9;
const MESSAGE_NESTED_FIELDS: usize = 6;
const MESSAGE_DOCKER_LOG: usize = 7;

/// Scalar keys worth carrying on a message.
fn is_kept_field(key: &str) -> bool {
    matches!(
        key,
        "service"
            | "service.name"
            | "service_name"
            | "app"
            | "application"
            | "host"
            | "hostname"
            | "host.name"
            | "_HOSTNAME"
            | "logger"
            | "logger_name"
            | "log.logger"
            | "name"
            | "caller"
            | "target"
            | "module"
            | "@module"
            | "type"
            | "_SYSTEMD_UNIT"
            | "UNIT"
            | "SYSLOG_IDENTIFIER"
            | "error"
            | "err"
            | "error.message"
            | "error.type"
            | "exception"
            | "status"
            | "code"
            | "upstream"
            | "backend"
            | "pod"
            | "pod_name"
            | "namespace"
            | "container"
            | "container_name"
            | "version"
            | "component"
            | "env"
            | "environment"
            | "region"
            | "reason"
            | "stream"
            | "trace_id"
            | "request_id"
    )
}

/// Keys of nested objects (ECS `{"service": {"name": ..}}`) worth carrying.
fn kept_nested(outer: &str) -> bool {
    matches!(
        outer,
        "service" | "host" | "error" | "container" | "pod" | "kubernetes" | "process"
    )
}

fn kept_nested_inner(inner: &str) -> bool {
    matches!(inner, "name" | "message" | "type" | "hostname")
}

/// Keys of access-log-shaped objects.
#[derive(Default)]
struct RequestKeys<'m> {
    status: [Option<&'m JsonValue<'m>>; 6],
    method: [Option<&'m JsonValue<'m>>; 4],
    path: [Option<&'m JsonValue<'m>>; 5],
    request_line: Option<&'m JsonValue<'m>>,
    request_obj: Option<&'m JsonObject<'m>>,
    client: [Option<&'m JsonValue<'m>>; 10],
    backend: [Option<&'m JsonValue<'m>>; 6],
    latency: [Option<(&'m JsonValue<'m>, LatencyUnit)>; 12],
    response_flags: Option<&'m JsonValue<'m>>,
    /// Keys only Traefik writes: its `Duration` is in nanoseconds.
    traefik: bool,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum LatencyUnit {
    Ns,
    Us,
    Ms,
    S,
    /// `duration`, `latency`, `took`, `elapsed`: a unit suffix, a float in
    /// seconds (Caddy, zap), or an integer in ms (Envoy) or ns (Go) by size.
    Guess,
}

/// Where a request key goes.
#[derive(Clone, Copy)]
enum ReqSlot {
    Status(usize),
    Method(usize),
    Path(usize),
    Request,
    Client(usize),
    Backend(usize),
    Latency(usize, LatencyUnit),
    Flags,
}

/// The slot of an access-log key; ranks are preferences within a slot.
fn req_slot(key: &str) -> Option<ReqSlot> {
    use LatencyUnit::*;
    use ReqSlot::*;
    Some(match key {
        "DownstreamStatus" => Status(0),
        "status" => Status(1),
        "response_code" => Status(2),
        "status_code" | "statusCode" => Status(3),
        "http.response.status_code" => Status(4),
        "OriginStatus" => Status(5),
        "RequestMethod" => Method(0),
        "method" | "request_method" => Method(1),
        "http_method" => Method(2),
        "http.request.method" => Method(3),
        "RequestPath" => Path(0),
        "path" | "request_path" => Path(1),
        "uri" | "request_uri" => Path(2),
        "url.path" | "url.original" => Path(3),
        "url" => Path(4),
        "request" => Request,
        "ClientHost" => Client(0),
        "client_ip" | "clientip" | "client.ip" => Client(1),
        "remote_ip" | "source.ip" => Client(2),
        "remote_addr" | "remoteAddr" => Client(3),
        "ClientAddr" => Client(4),
        "downstream_remote_address" => Client(5),
        "client" | "client_addr" => Client(6),
        "x_forwarded_for" | "http_x_forwarded_for" => Client(7),
        "ServiceAddr" => Backend(0),
        "ServiceURL" => Backend(1),
        "upstream_addr" | "upstream_host" => Backend(2),
        "upstream" | "backend" => Backend(3),
        "upstream_cluster" | "ServiceName" => Backend(4),
        "response_flags" => Flags,
        "Duration" => Latency(0, Ns),
        "request_time" => Latency(1, S),
        "duration_ms" | "latency_ms" | "elapsed_ms" | "took_ms" | "response_time_ms" => {
            Latency(2, Ms)
        }
        "duration_us" | "latency_us" => Latency(3, Us),
        "duration_ns" | "event.duration" => Latency(4, Ns),
        "duration_s" | "duration_sec" | "request_duration_seconds" => Latency(5, S),
        "duration" => Latency(6, Guess),
        "latency" | "took" | "elapsed" | "response_time" => Latency(7, Guess),
        "upstream_response_time" => Latency(8, S),
        _ => return None,
    })
}

impl<'m> RequestKeys<'m> {
    /// Sorts a key into its slot; the first value of a slot wins.
    fn take(&mut self, key: &str, v: &'m JsonValue<'m>) {
        fn put<'m>(arr: &mut [Option<&'m JsonValue<'m>>], i: usize, v: &'m JsonValue<'m>) {
            if let Some(s) = arr.get_mut(i) {
                if s.is_none() {
                    *s = Some(v);
                }
            }
        }
        let Some(slot) = req_slot(key) else {
            return;
        };
        // Keys only Traefik writes.
        if matches!(key, "DownstreamStatus" | "OriginStatus" | "Duration") {
            self.traefik = true;
        }
        match slot {
            ReqSlot::Status(i) => put(&mut self.status, i, v),
            ReqSlot::Method(i) => put(&mut self.method, i, v),
            ReqSlot::Path(i) => put(&mut self.path, i, v),
            ReqSlot::Client(i) => put(&mut self.client, i, v),
            ReqSlot::Backend(i) => put(&mut self.backend, i, v),
            ReqSlot::Request => match v {
                JsonValue::String(_) => self.request_line = Some(v),
                JsonValue::Object(o) => self.request_obj = Some(o),
                _ => {}
            },
            ReqSlot::Flags => self.response_flags = Some(v),
            ReqSlot::Latency(i, unit) => {
                if let Some(s) = self.latency.get_mut(i) {
                    if s.is_none() {
                        *s = Some((v, unit));
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reading an object

/// A scalar JSON value as text (strings as they are, numbers and booleans
/// written out); `None` for null, arrays and objects.
fn scalar_text<'a>(v: &JsonValue<'a>) -> Option<Cow<'a, str>> {
    match v {
        JsonValue::String(_) => v.as_text(),
        JsonValue::Number(n) => Some(Cow::Owned(n.to_string())),
        JsonValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// Message text of a value: strings, scalars, and journald's byte arrays
/// (non-UTF-8 messages) or repeated fields (arrays of strings).
fn message_text<'a>(v: &JsonValue<'a>) -> Option<Cow<'a, str>> {
    match v {
        JsonValue::Array(items) => {
            if items.iter().all(JsonValue::is_number) {
                let bytes: Vec<u8> = items
                    .iter()
                    .filter_map(|x| x.as_u64())
                    .filter_map(|x| u8::try_from(x).ok())
                    .collect();
                Some(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()))
            } else {
                let parts: Vec<Cow<'a, str>> = items.iter().filter_map(message_text).collect();
                (!parts.is_empty()).then(|| Cow::Owned(parts.join(" ")))
            }
        }
        other => scalar_text(other),
    }
}

fn level_of(v: &JsonValue<'_>, kind: LevelKind) -> Option<Level> {
    match kind {
        LevelKind::Word => match v {
            JsonValue::Number(n) => Level::from_bunyan(n.as_i64()?),
            JsonValue::String(s) => Level::from_word(s).or_else(|| {
                let n: i64 = s.trim().parse().ok()?;
                Level::from_bunyan(n)
            }),
            _ => None,
        },
        LevelKind::Syslog => {
            let n = match v {
                JsonValue::Number(n) => n.as_u64()?,
                JsonValue::String(s) => s.trim().parse().ok()?,
                _ => return None,
            };
            (n <= 7).then(|| Level::from_syslog_severity(n as u8))
        }
        LevelKind::Mongo => {
            let s = v.as_str()?;
            matches!(
                s,
                "F" | "E" | "W" | "I" | "D" | "D1" | "D2" | "D3" | "D4" | "D5"
            )
            .then(|| Level::from_word(s))
            .flatten()
        }
    }
}

/// Reads one object into a record. `fallback_at` is a time from outside the
/// object (a leading timestamp, or the docker wrapper's time). `depth` stops
/// the docker `log` unwrapping after one level.
fn read_object<'a>(
    entries: &[(Cow<'a, str>, JsonValue<'a>)],
    fallback_at: Option<Micros>,
    ctx: &mut TimeCtx,
    depth: u8,
) -> Option<Parsed<'a>> {
    let mut times: [Option<&JsonValue<'a>>; TIME_SLOTS] = [None; TIME_SLOTS];
    let mut levels: [Option<(&JsonValue<'a>, LevelKind)>; LEVEL_SLOTS] = [None; LEVEL_SLOTS];
    let mut messages: [Option<&JsonValue<'a>>; MESSAGE_SLOTS] = [None; MESSAGE_SLOTS];
    let mut req = RequestKeys::default();
    let mut mongo = false;
    let mut docker_log: Option<Cow<'a, str>> = None;

    for (key, v) in entries {
        let k: &str = key;
        if let Some(r) = time_rank(k) {
            if let Some(s) = times.get_mut(r) {
                // The first key named like a time, of those no logger is
                // known for.
                if r != GENERIC_TIME_SLOT || s.is_none() {
                    *s = Some(v);
                }
            }
            if k == "t" && v.is_object() {
                mongo = true;
            }
            continue;
        }
        if let Some((r, kind)) = level_rank(k) {
            if let Some(s) = levels.get_mut(r) {
                *s = Some((v, kind));
            }
            continue;
        }
        if let Some(r) = message_rank(k) {
            if let Some(s) = messages.get_mut(r) {
                *s = Some(v);
            }
            continue;
        }
        match (k, v) {
            ("log", JsonValue::Object(o)) => {
                if let Some(l) = o.get("level") {
                    levels[LEVEL_NESTED_LOG] = Some((l, LevelKind::Word));
                }
                continue;
            }
            ("log", JsonValue::String(_)) => {
                docker_log = v.as_text();
                continue;
            }
            ("fields", JsonValue::Object(o)) => {
                if let Some(m) = o.get("message") {
                    messages[MESSAGE_NESTED_FIELDS] = Some(m);
                }
                continue;
            }
            _ => {}
        }
        req.take(k, v);
    }

    // The wall time of the line: the first time key that reads.
    let mut at = None;
    for v in times.iter().flatten() {
        if let Some(t) = json_value_time(v, ctx) {
            at = Some(t);
            break;
        }
    }

    // Docker's json-file driver wraps each line: `{"log": "...\n", "stream": .., "time": ..}`.
    // When the wrapped line is itself JSON, read it, with the wrapper's time as fallback.
    if let Some(log) = &docker_log {
        let inner = log.trim();
        if depth == 0 && inner.starts_with('{') && inner.ends_with('}') {
            let inner_entries = match log {
                Cow::Borrowed(line) => parse_entries(line.trim().as_bytes()),
                Cow::Owned(_) => parse_entries(inner.as_bytes()).map(owned_entries),
            };
            if let Some(inner_entries) = inner_entries {
                if let Some(p) = read_object(&inner_entries, at.or(fallback_at), ctx, depth + 1) {
                    return Some(p);
                }
            }
        }
    }

    let Some(at) = at.or(fallback_at) else {
        // A line without a time whose message is a stack frame (a shipper
        // that wraps each line of a container's output) continues the
        // record before it.
        let text = docker_log
            .clone()
            .or_else(|| messages.iter().flatten().find_map(|v| message_text(v)));
        return text
            .filter(|t| looks_continued(t.as_bytes()))
            .map(|_| Parsed::Continuation);
    };

    // Caddy's error log describes a request its access log counts.
    let caddy_error = get(entries, "logger")
        .and_then(JsonValue::as_str)
        .is_some_and(|l| l.starts_with("http.log.error"));
    if !caddy_error {
        if let Some(request) = read_request(&req) {
            return Some(Parsed::Request { at, request });
        }
    }

    let level = levels
        .iter()
        .flatten()
        .find_map(|(v, kind)| level_of(v, *kind));

    let mut text_key = None;
    let mut text: Option<Cow<'a, str>> = None;
    for (i, v) in messages.iter().enumerate() {
        let candidate = if i == MESSAGE_DOCKER_LOG {
            docker_log.clone().map(trim_end)
        } else {
            v.and_then(message_text)
        };
        if let Some(t) = candidate {
            if !t.is_empty() {
                text = Some(t);
                break;
            }
        }
    }
    if text.is_none() {
        // No message: an error value is the next best description.
        for key in ["error", "err", "error.message"] {
            if let Some(t) = get(entries, key).and_then(scalar_text) {
                if !t.is_empty() {
                    text = Some(t);
                    text_key = Some(key);
                    break;
                }
            }
        }
    }

    // A shipper's record whose message is an access line (filebeat's
    // `message` holding Envoy's text line): the request, timed by the line.
    if let Some(t) = text.as_deref().filter(|_| depth == 0) {
        if let Some(p) = crate::format::request_in(t.as_bytes(), ctx) {
            return Some(p);
        }
    }

    // One JSON record per line of a stack trace (a shipper's per-line
    // JSON, a logger writing each frame as a record): the frames and the
    // causes continue the record before them, their own time
    // notwithstanding, so a trace is one error, not forty.
    if text_key.is_none()
        && text
            .as_deref()
            .is_some_and(|t| crate::format::lex::is_frame_or_cause(t.as_bytes()))
    {
        return Some(Parsed::Continuation);
    }

    let mut fields: Fields<'a> = Vec::new();
    for (key, v) in entries {
        if fields.len() >= MAX_FIELDS {
            break;
        }
        let k: &str = key;
        if Some(k) == text_key {
            continue;
        }
        if mongo && k == "c" {
            if let Some(t) = scalar_text(v) {
                fields.push((Cow::Borrowed("component"), cap_value(t)));
            }
            continue;
        }
        if k == "fields" {
            // tracing puts the event's own fields here, beside `message`.
            if let JsonValue::Object(o) = v {
                for (ik, iv) in o.iter() {
                    if fields.len() < MAX_FIELDS && is_kept_field(ik) {
                        if let Some(t) = scalar_text(iv).filter(|t| !t.is_empty()) {
                            fields.push((ik.clone(), cap_value(t)));
                        }
                    }
                }
            }
            continue;
        }
        if !is_kept_field(k) {
            continue;
        }
        match v {
            JsonValue::Object(o) if kept_nested(k) => {
                for (ik, iv) in o.iter() {
                    if fields.len() >= MAX_FIELDS {
                        break;
                    }
                    if kept_nested_inner(ik) {
                        if let Some(t) = scalar_text(iv) {
                            fields.push((Cow::Owned(format!("{k}.{ik}")), cap_value(t)));
                        }
                    }
                }
            }
            _ => {
                if let Some(t) = scalar_text(v) {
                    if !t.is_empty() {
                        fields.push((key.clone(), cap_value(t)));
                    }
                }
            }
        }
    }

    Some(Parsed::Message {
        at,
        message: Message {
            level,
            text: text.unwrap_or(Cow::Borrowed("")),
            fields,
        },
    })
}

/// Text without its trailing white space, still borrowed when it was.
fn trim_end(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim_end()),
        Cow::Owned(s) => Cow::Owned(s.trim_end().to_string()),
    }
}

/// An access-log record when the object has a status code and something
/// that names the request (method, path, request line) or is Traefik's.
fn read_request<'a>(k: &RequestKeys<'_>) -> Option<Request<'a>> {
    let obj = k.request_obj;
    let obj_get = |key: &str| obj.and_then(|o| o.get(key));
    let status = k.status.iter().flatten().find_map(|v| match v {
        JsonValue::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| *n == 0 || (100..=599).contains(n)),
        JsonValue::String(s) => status_code(s),
        _ => None,
    })?;

    let (mut method, mut path) = (None, None);
    if let Some(JsonValue::String(line)) = k.request_line {
        // `GET /path HTTP/1.1`
        let mut parts = line.split(' ');
        if let (Some(m), Some(p)) = (parts.next(), parts.next()) {
            if !m.is_empty() && m.bytes().all(|c| c.is_ascii_uppercase()) {
                method = Some(m.to_string());
                path = Some(p.to_string());
            }
        }
    }
    let first_text = |arr: &[Option<&JsonValue<'_>>]| {
        arr.iter()
            .flatten()
            .find_map(|v| v.as_str().filter(|s| !s.is_empty() && *s != "-"))
            .map(str::to_string)
    };
    method = method.or_else(|| first_text(&k.method)).or_else(|| {
        obj_get("method")
            .and_then(JsonValue::as_str)
            .map(str::to_string)
    });
    path = path.or_else(|| first_text(&k.path)).or_else(|| {
        obj_get("uri")
            .and_then(JsonValue::as_str)
            .map(str::to_string)
    });
    if method.is_none() && path.is_none() && !k.traefik {
        return None;
    }

    let client = k
        .client
        .iter()
        .flatten()
        .copied()
        .chain(obj_get("client_ip"))
        .chain(obj_get("remote_ip"))
        .chain(obj_get("remote_addr"))
        .find_map(|v| {
            let s = v.as_str()?;
            // X-Forwarded-For lists the original client first.
            let first = s.split(',').next()?.trim();
            let host = strip_port(first);
            (!host.is_empty() && host != "-").then(|| host.to_string())
        });

    let backend = k.backend.iter().flatten().find_map(|v| {
        let s = v.as_str()?;
        // nginx lists every upstream tried (`a, b : c`); the last one answered.
        let last = s.rsplit([',', ' ']).find(|p| !p.is_empty() && *p != ":")?;
        (last != "-").then(|| last.to_string())
    });

    let latency_ms = k
        .latency
        .iter()
        .flatten()
        .find_map(|(v, unit)| latency_ms(v, *unit));

    let mut failed = Request::default_failed(status);
    if status == 0 {
        // Envoy: code 0 with only `DC` means the client went away first.
        if let Some(flags) = k.response_flags.and_then(JsonValue::as_str) {
            if flags.split(',').all(|f| f.trim() == "DC") {
                failed = false;
            }
        }
    }

    Some(Request {
        status,
        failed,
        backend: backend.map(Cow::Owned),
        client: client.map(Cow::Owned),
        latency_ms,
        method: method.map(Cow::Owned),
        path: path.map(Cow::Owned),
    })
}

/// A latency value in milliseconds; `None` for `-`, negatives and junk.
fn latency_ms(v: &JsonValue<'_>, unit: LatencyUnit) -> Option<f64> {
    let (n, is_float) = match v {
        JsonValue::Number(n) => (n.as_f64()?, !(n.is_u64() || n.is_i64())),
        JsonValue::String(s) => {
            let s = s.trim();
            // nginx: `0.001, 0.002` when several upstreams were tried; `-` when none.
            let s = s.rsplit(',').next().unwrap_or(s).trim();
            if let Some(ms) = unit_duration_ms(s) {
                return Some(ms);
            }
            let n: f64 = s.parse().ok()?;
            (n, s.contains('.'))
        }
        _ => return None,
    };
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    Some(match unit {
        LatencyUnit::Ns => n / 1e6,
        LatencyUnit::Us => n / 1e3,
        LatencyUnit::Ms => n,
        LatencyUnit::S => n * 1e3,
        LatencyUnit::Guess => {
            if is_float {
                n * 1e3
            } else if n >= 1e6 {
                n / 1e6
            } else {
                n
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::detect;
    use crate::format::testkit::{
        self, check, check_in, each, format, message, message_of, mutated_line, random_bytes,
        request, request_of, unparsed,
    };
    use crate::time::{YearAnchor, Zone};
    use proptest::prelude::*;

    fn parse(line: &str) -> Parsed<'_> {
        JsonLines.parse(line.as_bytes(), &mut TimeCtx::default())
    }

    const REAL_LINES: &[&str] = &[
        r#"{"level":30,"time":1531171074631,"msg":"hello world","pid":657,"hostname":"Davids-MBP-3.fritz.box"}"#,
        r#"{"time":"2022-11-08T15:28:26.000000000-05:00","level":"INFO","msg":"hello","count":3}"#,
        r#"{"name":"myapp","hostname":"banana.local","pid":40161,"level":30,"msg":"hi","time":"2013-01-04T18:46:23.851Z","v":0}"#,
        r#"{"level":"info","ts":1649944125.9843705,"caller":"zpagesextension/zpagesextension.go:53","msg":"Starting zPages extension","kind":"extension","name":"zpages","config":{"TCPAddr":{"Endpoint":"localhost:42424"}}}"#,
        r#"{"level":"warning","msg":"The group's number increased tremendously!","number":122,"omg":true,"time":"2014-03-10 19:57:38.562264131 -0400 EDT"}"#,
        r#"{"level":"debug","time":1516134303,"message":"hello world"}"#,
        r#"{"event": "user logged in", "level": "info", "timestamp": "2022-07-12T10:00:00.123456Z", "user": "alice"}"#,
        r#"{"@timestamp":"2019-05-15T12:34:56.789Z","log.level":"error","message":"Connection refused","ecs.version":"1.6.0","service.name":"checkout","error.type":"java.net.ConnectException"}"#,
        r#"{"t":{"$date":"2020-05-01T15:16:17.180+00:00"},"s":"I", "c":"NETWORK", "id":12345, "ctx":"listener", "msg":"Listening on", "attr":{"address":"127.0.0.1"}}"#,
        r#"{"severity":"ERROR","message":"There was an error in the application.","httpRequest":{"requestMethod":"GET"},"time":"2020-10-12T07:20:50.52Z"}"#,
        r#"{"@level":"info","@message":"random_pet.animal: Creation complete after 0s [id=smart-lizard]","@module":"terraform.ui","@timestamp":"2021-05-25T13:32:41.826179-04:00","hook":{"resource":{"addr":"random_pet.animal","module":"","resource":"random_pet.animal","implied_provider":"random","resource_type":"random_pet","resource_name":"animal","resource_key":null},"action":"create","id_key":"id","id_value":"smart-lizard","elapsed_seconds":0},"type":"apply_complete"}"#,
        r#"{"@level":"info","@message":"Apply complete! Resources: 1 added, 0 changed, 0 destroyed.","@module":"terraform.ui","@timestamp":"2021-05-25T13:32:41.869168-04:00","changes":{"add":1,"change":0,"remove":0,"operation":"apply"},"type":"change_summary"}"#,
        r#"{ "__CURSOR" : "s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=6c7c6013a8194bb1a77e2ea7fae64e2c;m=4b2d13b;t=4b97dd3a2e79a;x=ad1d4be5d02a4f8e", "__REALTIME_TIMESTAMP" : "1342540861416409", "__MONOTONIC_TIMESTAMP" : "78827835", "_BOOT_ID" : "6c7c6013a8194bb1a77e2ea7fae64e2c", "PRIORITY" : "3", "_SYSTEMD_UNIT" : "nginx.service", "SYSLOG_IDENTIFIER" : "nginx", "_HOSTNAME" : "web-1", "MESSAGE" : "Hello World", "_UDEV_DEVLINK" : [ "/dev/alias1", "/dev/alias2" ], "LARGE" : null }"#,
        r#"{"ClientAddr":"192.168.1.20:63261","ClientHost":"192.168.1.20","ClientPort":"63261","ClientUsername":"-","DownstreamContentSize":287,"DownstreamStatus":207,"Duration":8184335,"OriginContentSize":287,"OriginDuration":7349966,"OriginStatus":207,"Overhead":834369,"RequestAddr":"bk.example.com","RequestHost":"bk.example.com","RequestMethod":"PROPFIND","RequestPath":"/remote.php/dav","RequestPort":"-","RequestProtocol":"HTTP/2.0","RequestScheme":"https","RetryAttempts":0,"RouterName":"bk@docker","ServiceAddr":"172.29.0.2:8111","ServiceName":"bk-bk@docker","ServiceURL":"http://172.29.0.2:8111","StartLocal":"2024-12-29T12:42:47.503803974+01:00","StartUTC":"2024-12-29T11:42:47.503803974Z","entryPointName":"websecure","level":"info","msg":"","time":"2024-12-29T12:42:47+01:00"}"#,
        r#"{"timestamp":"2024-03-09T08:41:12.345678Z","level":"ERROR","fields":{"message":"connection reset by peer","upstream":"10.0.0.5:8080"},"target":"hyper::proto::h1::io","threadId":"ThreadId(2)"}"#,
    ];

    /// Audit logs name their time after the record (`created_date`,
    /// `loggedAt`): keys named like a time are read when no known key is
    /// there; keys of another moment or a duration never are. (Flagsmith's
    /// audit-log API item and message wording, from its `audit/models.py`.)
    #[test]
    fn keys_named_like_a_time_are_the_record_s_time() {
        check(
            &JsonLines,
            &[
                (
                    r#"{"id": 812, "created_date": "2024-03-09T08:36:10.412345Z", "log": "Flag state / Remote Config value updated for feature: checkout_v2", "author": {"id": 3}, "related_object_type": "FEATURE_STATE"}"#,
                    message()
                        .at("2024-03-09T08:36:10.412345Z")
                        .text("Flag state / Remote Config value updated for feature: checkout_v2"),
                ),
                (
                    r#"{"loggedAt": "2024-03-09T08:36:10Z", "msg": "flag toggled"}"#,
                    message().at("2024-03-09T08:36:10Z").text("flag toggled"),
                ),
                // A known key wins over one only named like a time.
                (
                    r#"{"updated_date": "2020-01-01T00:00:00Z", "time": "2024-03-09T08:36:10Z", "msg": "x"}"#,
                    message().at("2024-03-09T08:36:10Z").text("x"),
                ),
            ],
        );
        for key in [
            "expires_at",
            "end_time",
            "next_run_time",
            "response_time",
            "time_ms",
            "last_seen_at",
            "duration",
        ] {
            assert!(!generic_time_key(key), "{key}");
        }
        for key in [
            "created_date",
            "loggedAt",
            "event_datetime",
            "updated_at",
            "log_ts",
            "occurredAt",
        ] {
            assert!(generic_time_key(key), "{key}");
        }
    }

    #[test]
    fn pino() {
        check(
            &JsonLines,
            &[(
                REAL_LINES[0],
                message()
                    .at("2018-07-09T21:17:54.631Z")
                    .level(Level::Info)
                    .text("hello world")
                    .field("hostname", "Davids-MBP-3.fritz.box")
                    .field("pid", None),
            )],
        );
    }

    #[test]
    fn slog_json_handler() {
        check(
            &JsonLines,
            &[(
                REAL_LINES[1],
                message()
                    .at("2022-11-08T20:28:26Z")
                    .level(Level::Info)
                    .text("hello"),
            )],
        );
    }

    #[test]
    fn bunyan() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[2],
                    message()
                        .at("2013-01-04T18:46:23.851Z")
                        .level(Level::Info)
                        .text("hi")
                        .field("name", "myapp"),
                ),
                (
                    r#"{"name":"myapp","level":60,"msg":"boom","time":"2013-01-04T18:46:23.851Z","v":0}"#,
                    message().level(Level::Critical),
                ),
            ],
        );
    }

    #[test]
    fn zap_production() {
        check(
            &JsonLines,
            &[(
                REAL_LINES[3],
                message()
                    .at("2022-04-14T13:48:45.984371Z")
                    .level(Level::Info)
                    .text("Starting zPages extension")
                    .field("caller", "zpagesextension/zpagesextension.go:53"),
            )],
        );
    }

    #[test]
    fn logrus_old_go_time_string() {
        check(
            &JsonLines,
            &[(
                REAL_LINES[4],
                message()
                    .at("2014-03-10T23:57:38.562264Z")
                    .level(Level::Warn)
                    .text("The group's number increased tremendously!"),
            )],
        );
    }

    #[test]
    fn zerolog_epoch_and_rfc3339() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[5],
                    message()
                        .at("2018-01-16T20:25:03Z")
                        .level(Level::Debug)
                        .text("hello world"),
                ),
                (
                    r#"{"level":"error","error":"dial tcp 10.0.1.12:5432: connect: connection refused","time":"2024-03-09T08:41:12Z","message":"db ping failed"}"#,
                    message()
                        .at("2024-03-09T08:41:12Z")
                        .level(Level::Error)
                        .text("db ping failed")
                        .field(
                            "error",
                            "dial tcp 10.0.1.12:5432: connect: connection refused",
                        ),
                ),
                // Milliseconds and nanoseconds by magnitude, as numbers and strings.
                (
                    r#"{"level":"info","time":1709973672123,"message":"x"}"#,
                    message().at("2024-03-09T08:41:12.123Z"),
                ),
                (
                    r#"{"level":"info","time":1709973672123456789,"message":"x"}"#,
                    message().at("2024-03-09T08:41:12.123456Z"),
                ),
                (
                    r#"{"level":"info","time":"1709973672","message":"x"}"#,
                    message().at("2024-03-09T08:41:12Z"),
                ),
            ],
        );
    }

    #[test]
    fn structlog() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[6],
                    message()
                        .at("2022-07-12T10:00:00.123456Z")
                        .text("user logged in")
                        .level(Level::Info),
                ),
                (
                    r#"{"event":"cache miss","level":"warning","timestamp":1657620000.25}"#,
                    message().at("2022-07-12T10:00:00.250Z").level(Level::Warn),
                ),
            ],
        );
    }

    #[test]
    fn ecs() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[7],
                    message()
                        .at("2019-05-15T12:34:56.789Z")
                        .level(Level::Error)
                        .text("Connection refused")
                        .field("service.name", "checkout")
                        .field("error.type", "java.net.ConnectException"),
                ),
                // Nested objects as some ECS loggers write them.
                (
                    r#"{"@timestamp":"2019-05-15T12:34:56.789Z","log":{"level":"WARN","logger":"app"},"message":"slow","service":{"name":"cart"}}"#,
                    message().level(Level::Warn).field("service.name", "cart"),
                ),
            ],
        );
    }

    #[test]
    fn mongodb() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[8],
                    message()
                        .at("2020-05-01T15:16:17.180Z")
                        .level(Level::Info)
                        .text("Listening on")
                        .field("component", "NETWORK"),
                ),
                (
                    r#"{"t":{"$date":{"$numberLong":"1588346177180"}},"s":"E","c":"STORAGE","id":22435,"ctx":"initandlisten","msg":"WiredTiger error"}"#,
                    message().level(Level::Error),
                ),
                (
                    r#"{"t":{"$date":"2020-05-01T15:16:17.180+00:00"},"s":"D2","c":"NETWORK","msg":"x"}"#,
                    message().level(Level::Debug),
                ),
                // `s` is only a level in MongoDB's letters.
                (
                    r#"{"time":"2020-05-01T15:16:17Z","s":"a","msg":"x"}"#,
                    message().level(None),
                ),
            ],
        );
    }

    #[test]
    fn google_cloud() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[9],
                    message()
                        .at("2020-10-12T07:20:50.520Z")
                        .level(Level::Error)
                        .text("There was an error in the application."),
                ),
                (
                    r#"{"severity":"CRITICAL","message":"x","timestamp":{"seconds":1602487250,"nanos":520000000}}"#,
                    message()
                        .at("2020-10-12T07:20:50.520Z")
                        .level(Level::Critical),
                ),
            ],
        );
    }

    #[test]
    fn terraform_json() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[10],
                    message()
                        .at("2021-05-25T17:32:41.826179Z")
                        .level(Level::Info)
                        .text("random_pet.animal: Creation complete after 0s [id=smart-lizard]")
                        .field("@module", "terraform.ui")
                        .field("type", "apply_complete"),
                ),
                (
                    REAL_LINES[11],
                    message()
                        .at("2021-05-25T17:32:41.869168Z")
                        .text("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."),
                ),
            ],
        );
    }

    #[test]
    fn journald() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[12],
                    message()
                        .at("2012-07-17T16:01:01.416409Z")
                        .level(Level::Error)
                        .text("Hello World")
                        .field("_SYSTEMD_UNIT", "nginx.service")
                        .field("SYSLOG_IDENTIFIER", "nginx")
                        .field("_HOSTNAME", "web-1"),
                ),
                // Non-UTF-8 messages come as byte arrays; the origin time wins.
                (
                    r#"{"__REALTIME_TIMESTAMP":"1342540861416409","_SOURCE_REALTIME_TIMESTAMP":"1342540861400000","PRIORITY":"6","MESSAGE":[116,104,105,115,32,255,33]}"#,
                    message()
                        .at("2012-07-17T16:01:01.400Z")
                        .level(Level::Info)
                        .text("this \u{FFFD}!"),
                ),
                // Oversized values are null: the message is empty, the record stays.
                (
                    r#"{"__REALTIME_TIMESTAMP":"1342540861416409","MESSAGE":null}"#,
                    message().text(""),
                ),
            ],
        );
    }

    #[test]
    fn traefik_access() {
        check(
            &JsonLines,
            &[
                (
                    REAL_LINES[13],
                    request()
                        .at("2024-12-29T11:42:47.503803Z")
                        .status(207)
                        .failed(false)
                        .client("192.168.1.20")
                        .backend("172.29.0.2:8111")
                        .method("PROPFIND")
                        .path("/remote.php/dav")
                        .latency_near(8.184335),
                ),
                // No response from the backend (traefik/traefik#10504).
                (
                    r#"{"ClientAddr":"10.0.0.9:5050","DownstreamStatus":0,"Duration":30000000000,"OriginStatus":0,"RequestMethod":"GET","RequestPath":"/","StartUTC":"2024-03-09T08:41:12Z","level":"info","msg":"","time":"2024-03-09T08:41:42Z"}"#,
                    request()
                        .status(0)
                        .failed(true)
                        .client("10.0.0.9")
                        .latency(30_000.0),
                ),
                // Traefik's own log lines are messages.
                (
                    r#"{"level":"error","msg":"service \"app\" error: 502 Bad Gateway","time":"2024-03-09T08:41:42Z"}"#,
                    message().level(Level::Error),
                ),
            ],
        );
    }

    #[test]
    fn rust_tracing() {
        check(
            &JsonLines,
            &[(
                REAL_LINES[14],
                message()
                    .at("2024-03-09T08:41:12.345678Z")
                    .level(Level::Error)
                    .text("connection reset by peer")
                    .field("target", "hyper::proto::h1::io")
                    .field("upstream", "10.0.0.5:8080"),
            )],
        );
    }

    #[test]
    fn nginx_json_access() {
        check(
            &JsonLines,
            &[
                (
                    r#"{"time_iso8601":"2024-03-09T08:41:12+00:00","remote_addr":"203.0.113.7","request":"GET /api/orders?id=5 HTTP/1.1","status":"502","body_bytes_sent":"157","request_time":"0.003","upstream_addr":"10.0.1.11:8080, 10.0.1.12:8080","upstream_response_time":"0.001, 0.002","http_user_agent":"curl/8.0"}"#,
                    request()
                        .at("2024-03-09T08:41:12Z")
                        .status(502)
                        .failed(true)
                        .client("203.0.113.7")
                        .backend("10.0.1.12:8080")
                        .method("GET")
                        .path("/api/orders?id=5")
                        .latency_near(3.0),
                ),
                // CLF time, `-` for no upstream.
                (
                    r#"{"time_local":"10/Oct/2000:13:55:36 -0700","remote_addr":"10.1.1.1","request_method":"POST","request_uri":"/login","status":200,"request_time":"0.120","upstream_addr":"-"}"#,
                    request()
                        .at("2000-10-10T20:55:36Z")
                        .failed(false)
                        .backend(None)
                        .latency_near(120.0),
                ),
            ],
        );
    }

    #[test]
    fn caddy_access() {
        let line = r#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"127.0.0.1","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/","headers":{"User-Agent":["curl/7.82.0"]}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"]}}"#;
        let (at, _) = request_of(parse(line));
        assert!(at.starts_with("2022-03-09T21:30:01.5241"), "{at}");
        check(
            &JsonLines,
            &[(
                line,
                request()
                    .status(200)
                    .method("GET")
                    .path("/")
                    .client("127.0.0.1")
                    .latency_near(0.929675),
            )],
        );
    }

    #[test]
    fn caddy_error_entries_are_messages() {
        // The access entry of the same request carries the 502.
        check(
            &JsonLines,
            &[(
                r#"{"level":"error","ts":1773408591.231394,"logger":"http.log.error","msg":"dial tcp 172.18.0.15:9000: connect: connection refused","request":{"remote_ip":"54.252.80.129","remote_port":"44662","client_ip":"54.252.80.129","proto":"HTTP/2.0","method":"GET","host":"auth.ai.datasquiz.net","uri":"/"},"duration":0.002887438,"status":502,"err_id":"hhkiuv3vp","err_trace":"reverseproxy.statusError (reverseproxy.go:1525)"}"#,
                message()
                    .level(Level::Error)
                    .text("dial tcp 172.18.0.15:9000: connect: connection refused"),
            )],
        );
    }

    #[test]
    fn envoy_json_access() {
        check(
            &JsonLines,
            &[
                (
                    r#"{"start_time":"2022-11-30T07:39:00.605Z","method":"GET","path":"/ip","protocol":"HTTP/1.1","response_code":503,"response_flags":"UF","bytes_received":0,"bytes_sent":91,"duration":1000,"upstream_service_time":null,"x_forwarded_for":null,"user_agent":"curl/7.84.0","authority":"localhost","upstream_host":"35.168.106.184:443"}"#,
                    request()
                        .at("2022-11-30T07:39:00.605Z")
                        .failed(true)
                        .latency(1000.0)
                        .backend("35.168.106.184:443"),
                ),
                // The client went away first: code 0, `DC` only.
                (
                    r#"{"start_time":"2022-11-30T07:39:00.605Z","method":"GET","path":"/","response_code":0,"response_flags":"DC","duration":12,"downstream_remote_address":"10.0.0.3:51234"}"#,
                    request().status(0).failed(false).client("10.0.0.3"),
                ),
            ],
        );
    }

    #[test]
    fn app_status_words_are_not_requests() {
        check(
            &JsonLines,
            &[
                (
                    r#"{"time":"2024-03-09T08:41:12Z","level":"info","msg":"health","status":"ok","path":"/healthz"}"#,
                    message().field("status", "ok"),
                ),
                (
                    r#"{"time":"2024-03-09T08:41:12Z","msg":"done","status":200}"#,
                    message().text("done"),
                ),
            ],
        );
    }

    #[test]
    fn lines_without_time_or_not_objects() {
        let rows = each(
            [
                r#"{"level":"info","msg":"no time here"}"#,
                r#"{"time":"soon","msg":"x"}"#,
                r#"[1,2,3]"#,
                r#""just a string""#,
                r#"{"time":"2024-03-09T08:41:12Z""#,
                r#"{"time":"2024-03-09T08:41:12Z"} trailing"#,
                "",
                "plain text line",
                r#"2024-03-09T08:41:12Z not json {"a":1}"#,
            ],
            unparsed(),
        );
        check(&JsonLines, &rows);
    }

    #[test]
    fn leading_timestamp_then_json() {
        check(
            &JsonLines,
            &[
                (
                    r#"2024-03-09T08:41:12Z {"level":"warn","msg":"slow query"}"#,
                    message().at("2024-03-09T08:41:12Z").level(Level::Warn),
                ),
                // The object's own time wins over the shipper's.
                (
                    r#"2024-03-09T08:41:13Z {"time":"2024-03-09T08:41:12.5Z","msg":"x"}"#,
                    message().at("2024-03-09T08:41:12.500Z"),
                ),
                // CRI container log lines.
                (
                    r#"2024-03-09T08:41:12.123456789Z stderr F {"level":"error","msg":"panic: nil map"}"#,
                    message()
                        .at("2024-03-09T08:41:12.123456Z")
                        .text("panic: nil map"),
                ),
            ],
        );
    }

    /// A shipper that wraps each line of a container's output without a
    /// time: the stack frames continue the record before them.
    #[test]
    fn timeless_stack_frames_continue() {
        check(
            &JsonLines,
            &[
                (
                    r#"{"log":"    at com.example.Foo.run(Foo.java:12)"}"#,
                    crate::format::testkit::continuation(),
                ),
                (
                    r#"{"message":"Caused by: java.io.IOException: reset"}"#,
                    crate::format::testkit::continuation(),
                ),
                (r#"{"message":"no time, no frame"}"#, unparsed()),
            ],
        );
    }

    /// A logger or shipper that writes each line of a trace as a record
    /// of its own, timed: the frames and causes still continue the record
    /// before them; an exception's head with a level of its own stays a
    /// record.
    #[test]
    fn timed_stack_frames_continue() {
        check(
            &JsonLines,
            &[
                (
                    r#"{"time":"2021-03-01T10:00:01Z","level":"error","message":"    at com.example.Foo.run(Foo.java:12)"}"#,
                    crate::format::testkit::continuation(),
                ),
                (
                    r#"{"time":"2021-03-01T10:00:01Z","message":"\t... 12 more"}"#,
                    crate::format::testkit::continuation(),
                ),
                (
                    r#"{"time":"2021-03-01T10:00:01Z","msg":"Caused by: java.io.IOException: reset"}"#,
                    crate::format::testkit::continuation(),
                ),
                (
                    r#"{"time":"2021-03-01T10:00:01Z","level":"error","msg":"java.io.IOException: reset"}"#,
                    message()
                        .at("2021-03-01T10:00:01Z")
                        .level(Level::Error)
                        .text("java.io.IOException: reset"),
                ),
            ],
        );
    }

    #[test]
    fn docker_json_file() {
        check(
            &JsonLines,
            &[
                (
                    r#"{"log":"{\"level\":\"error\",\"msg\":\"upstream timeout\",\"upstream\":\"10.0.1.12:8080\"}\n","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z"}"#,
                    message()
                        .at("2019-01-01T11:11:11.111111Z")
                        .level(Level::Error)
                        .text("upstream timeout")
                        .field("upstream", "10.0.1.12:8080"),
                ),
                (
                    r#"{"log":"Listening on :8080\n","stream":"stderr","time":"2019-01-01T11:11:11Z"}"#,
                    message()
                        .text("Listening on :8080")
                        .field("stream", "stderr"),
                ),
            ],
        );
    }

    #[test]
    fn offsetless_times_use_the_zone() {
        check_in(
            &JsonLines,
            || TimeCtx::new(Zone::Fixed(3600), YearAnchor::End(0)),
            &[
                (
                    r#"{"time":"2024-03-09 08:41:12,250","level":"info","msg":"x"}"#,
                    message().at("2024-03-09T07:41:12.250Z"),
                ),
                // Epochs are UTC whatever the zone.
                (
                    r#"{"ts":1709973672,"msg":"x"}"#,
                    message().at("2024-03-09T08:41:12Z"),
                ),
            ],
        );
    }

    #[test]
    fn levels() {
        check(
            &JsonLines,
            &[
                (
                    r#"{"time":1709973672,"level":"50","msg":"x"}"#,
                    message().level(Level::Error),
                ),
                (
                    r#"{"time":1709973672,"lvl":"eror","msg":"x"}"#,
                    message().level(Level::Error),
                ),
                (
                    r#"{"time":1709973672,"levelname":"CRITICAL","msg":"x"}"#,
                    message().level(Level::Critical),
                ),
                (
                    r#"{"time":1709973672,"loglevel":"notice","msg":"x"}"#,
                    message().level(Level::Notice),
                ),
                (
                    r#"{"time":1709973672,"PRIORITY":"0","MESSAGE":"x"}"#,
                    message().level(Level::Emergency),
                ),
                (
                    r#"{"time":1709973672,"PRIORITY":"9","MESSAGE":"x"}"#,
                    message().level(None),
                ),
                (
                    r#"{"time":1709973672,"severity":"DEFAULT","message":"x"}"#,
                    message().level(None),
                ),
                (
                    r#"{"time":1709973672,"level":"dpanic","msg":"x"}"#,
                    message().level(Level::Critical),
                ),
            ],
        );
    }

    #[test]
    fn invalid_utf8_is_read_lossily() {
        let mut line = br#"{"time":"2024-03-09T08:41:12Z","msg":"bad "#.to_vec();
        line.push(0xff);
        line.extend_from_slice(br#" byte"}"#);
        let parsed = JsonLines.parse(&line, &mut TimeCtx::default());
        message()
            .text("bad \u{FFFD} byte")
            .assert(&parsed, "a 0xff byte");
    }

    #[test]
    fn fields_are_capped() {
        let long = "x".repeat(500);
        let mut line = String::from(r#"{"time":"2024-03-09T08:41:12Z","msg":"m""#);
        for key in [
            "service",
            "app",
            "host",
            "logger",
            "caller",
            "target",
            "module",
            "component",
            "pod",
            "container",
            "version",
            "env",
            "region",
            "namespace",
            "reason",
        ] {
            line.push_str(&format!(r#","{key}":"{long}""#));
        }
        line.push('}');
        let (_, m) = message_of(parse(&line));
        assert_eq!(m.fields.len(), MAX_FIELDS);
        let v = &m.fields[0].1;
        assert_eq!(v.chars().count(), crate::format::lex::MAX_FIELD_CHARS + 1);
        assert!(v.ends_with('…'));
    }

    #[test]
    fn detection_picks_json_for_app_logs() {
        let lines: Vec<&[u8]> = REAL_LINES.iter().map(|l| l.as_bytes()).collect();
        let f = detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(f, Some("json"));
        // A log of leading-timestamp + JSON lines, as some shippers write.
        let lines: Vec<&[u8]> = vec![
            br#"2024-03-09T08:41:12Z {"level":"info","msg":"a"}"#,
            br#"2024-03-09T08:41:13Z {"level":"error","msg":"b"}"#,
        ];
        let f = detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(f, Some("json"));
    }

    /// Lines of other formats: none of json, logfmt, alertmanager may read them.
    const FOREIGN: &[&str] = &[
        r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
        r#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot?a=b&c=d HTTP/1.1" 200 571 "-" "Mozilla/5.0""#,
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        r#"Mar  5 10:00:00 web-1 app[123]: level=error msg="db down" status=500"#,
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        "2018-08-14T14:30:02.203151+02:00 linux-sqrz systemd[4179]: Stopped target Basic System.",
        "2020/05/07 03:15:12 [error] 1234#0: *5 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.1.12:8080/\"",
        "[2022-11-30T07:39:00.605Z] \"GET /ip HTTP/1.1\" 503 UF 0 91 1000 - \"-\" \"curl/7.84.0\" \"8f56bc6a-343d-4c14-97a2-eef342497287\" \"localhost\" \"35.168.106.184:443\"",
        "2003-07-08 16:49:45,896 ERROR [main] com.example.App - request failed status=500 path=/x",
    ];

    /// The formats that read JSON objects.
    fn json_family() -> [&'static dyn LogFormat; 3] {
        [format("json"), format("logfmt"), format("alertmanager")]
    }

    #[test]
    fn foreign_lines_are_not_claimed() {
        let rows = each(FOREIGN, unparsed());
        for f in json_family() {
            check(f, &rows);
        }
    }

    #[test]
    fn corpus_lines_are_not_claimed() {
        let Some(root) = testkit::corpus_dir() else {
            return;
        };
        let mut ctx = TimeCtx::default();
        let mut checked = 0;
        for dir in std::fs::read_dir(root).unwrap().flatten() {
            let Ok(files) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for file in files.flatten() {
                let path = file.path();
                if path.extension().is_none_or(|e| e != "log") {
                    continue;
                }
                let data = std::fs::read(&path).unwrap();
                for line in data.split(|b| *b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    for f in json_family() {
                        assert_eq!(
                            f.parse(line, &mut ctx),
                            Parsed::Unparsed,
                            "{} read {}: {}",
                            f.name(),
                            path.display(),
                            String::from_utf8_lossy(line)
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 50);
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in random_bytes(400)) {
            let mut ctx = TimeCtx::default();
            let _ = JsonLines.parse(&bytes, &mut ctx);
            let mut framed = b"{".to_vec();
            framed.extend_from_slice(&bytes);
            framed.push(b'}');
            let _ = JsonLines.parse(&framed, &mut ctx);
        }

        #[test]
        fn mutated_real_lines_never_panic(line in mutated_line(REAL_LINES)) {
            let _ = JsonLines.parse(&line, &mut TimeCtx::default());
        }
    }
}
