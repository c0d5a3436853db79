//! The one test kit of the format parsers: case tables, the corpus check,
//! the real lines more than one parser's tests read, and the property-test
//! strategies.
//!
//! - Case tables: rows of `(line, expected)`, where the expectation names
//!   only the fields that matter ([`request`], [`message`], [`unparsed`],
//!   [`continuation`] and their setters), checked by [`check`].
//! - The corpus: `../shared/corpus/<dir>/<file>` with filebeat's
//!   `<file>-expected.json`. [`check_requests`] and [`check_messages`]
//!   read a whole file against it; [`CorpusFile`] gives the pieces to tests
//!   that check more. When the corpus is not there, a `corpus: SKIPPED`
//!   notice goes straight to the process's stderr, which the test harness
//!   does not capture, so a run without it says so instead of passing
//!   quietly.
//! - Strategies: [`mutated_line`] (real lines, a few random edits, a cut)
//!   and [`random_bytes`].
//!
//! Tests reach other formats through the registry ([`format`]), never by
//! importing a sibling parser.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;

use crate::format::{by_name, detect, is_blank, LogFormat};
use crate::record::{Level, Message, Parsed, Request};
use crate::time::{format_rfc3339, parse_iso, TimeCtx, YearAnchor, Zone};

// ---------------------------------------------------------------------------
// Formats and shared lines

/// The registered format called `name`.
pub fn format(name: &str) -> &'static dyn LogFormat {
    by_name(name).unwrap_or_else(|| panic!("no format {name}"))
}

/// The access-log family: nginx/Apache, ALB, Classic ELB and Envoy.
pub fn access_family() -> [&'static dyn LogFormat; 4] {
    [
        format("nginx_access"),
        format("alb"),
        format("elb"),
        format("envoy"),
    ]
}

/// nginx and Apache access lines quoted in docs/formats.md (nginx, ingress-nginx and Apache documentation and issues).
pub const NGINX_ACCESS_DOC: &[&str] = &[
    r#"172.21.0.1 - - [07/May/2020:03:15:12 +0000] "GET / HTTP/1.1" 502 157 "-" "Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:60.0) Gecko/20100101 Firefox/60.0""#,
    r#"localhost 192.168.33.100 - - [08/Apr/2016:03:57:21 +0000] "GET / HTTP/1.1" 503 615 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.110 Safari/537.36""#,
    r#"108.162.227.25 - - [08/Mar/2023:16:02:45 +0000] "GET / HTTP/1.1" 504 562 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36" 1100 14.998 [pc-dev-example-web-service-80] [] 192.168.215.1:80, 192.168.215.1:80, 192.168.215.1:80 0, 0, 0 5.000, 5.000, 5.000 504, 504, 504 a7c98d98ac870f64981a997cd2f373a1"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
];

/// Application Load Balancer lines from the AWS user guide (docs/formats.md, `alb`).
pub const ALB_DOC: &[&str] = &[
    r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" 10.0.0.1:80 200 "-" "-""#,
    r#"http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 - 0.000 0.001 0.000 502 - 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" 0 2018-11-30T22:22:48.364000Z "forward" "-" "LambdaInvalidResponse" "-" "-" "-" "-""#,
];

/// Classic ELB lines from the AWS user guide (docs/formats.md, `elb`).
pub const ELB_DOC: &[&str] = &[
    r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#,
    r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -"#,
];

/// Envoy lines from its documentation and issues (docs/formats.md, `envoy`).
pub const ENVOY_DOC: &[&str] = &[
    r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#,
    r#"[2022-11-30T07:39:00.605Z] "GET /ip HTTP/1.1" 503 UF 0 91 1000 - "-" "curl/7.84.0" "8f56bc6a-343d-4c14-97a2-eef342497287" "localhost" "35.168.106.184:443""#,
];

/// Every documented line of the access-log family.
pub fn access_doc_lines() -> impl Iterator<Item = &'static str> {
    NGINX_ACCESS_DOC
        .iter()
        .chain(ALB_DOC)
        .chain(ELB_DOC)
        .chain(ENVOY_DOC)
        .copied()
}

// ---------------------------------------------------------------------------
// Case tables

/// What a line must parse to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Request,
    Message,
    Continuation,
    Framing,
    Unparsed,
}

/// The expected reading of one line: its kind and the fields that matter.
/// Unset fields are not checked; `Some(None)` (a setter given `None`)
/// checks that the field is absent.
#[derive(Clone, Debug)]
pub struct Want {
    kind: Kind,
    at: Option<&'static str>,
    status: Option<u16>,
    failed: Option<bool>,
    backend: Option<Option<&'static str>>,
    client: Option<Option<&'static str>>,
    latency: Option<Option<f64>>,
    latency_near: Option<f64>,
    method: Option<Option<&'static str>>,
    path: Option<Option<&'static str>>,
    level: Option<Option<Level>>,
    text: Option<&'static str>,
    text_prefix: Option<&'static str>,
    text_suffix: Option<&'static str>,
    text_contains: Option<&'static str>,
    fields: Vec<(&'static str, Option<&'static str>)>,
    no_fields: bool,
}

fn want(kind: Kind) -> Want {
    Want {
        kind,
        at: None,
        status: None,
        failed: None,
        backend: None,
        client: None,
        latency: None,
        latency_near: None,
        method: None,
        path: None,
        level: None,
        text: None,
        text_prefix: None,
        text_suffix: None,
        text_contains: None,
        fields: Vec::new(),
        no_fields: false,
    }
}

/// A request record.
pub fn request() -> Want {
    want(Kind::Request)
}

/// A message record.
pub fn message() -> Want {
    want(Kind::Message)
}

/// A line that continues the previous record.
pub fn continuation() -> Want {
    want(Kind::Continuation)
}

/// A line that frames the records (a directive, a table header).
pub fn framing() -> Want {
    want(Kind::Framing)
}

/// A line the format does not read.
pub fn unparsed() -> Want {
    want(Kind::Unparsed)
}

impl Want {
    /// The record's time, as RFC 3339 UTC (`format_rfc3339`).
    pub fn at(mut self, rfc3339: &'static str) -> Want {
        self.at = Some(rfc3339);
        self
    }

    pub fn status(mut self, status: u16) -> Want {
        self.status = Some(status);
        self
    }

    pub fn failed(mut self, failed: bool) -> Want {
        self.failed = Some(failed);
        self
    }

    pub fn backend(mut self, backend: impl Into<Option<&'static str>>) -> Want {
        self.backend = Some(backend.into());
        self
    }

    pub fn client(mut self, client: impl Into<Option<&'static str>>) -> Want {
        self.client = Some(client.into());
        self
    }

    /// The latency in ms, exactly.
    pub fn latency(mut self, ms: impl Into<Option<f64>>) -> Want {
        self.latency = Some(ms.into());
        self
    }

    /// The latency in ms, to within 1e-9.
    pub fn latency_near(mut self, ms: f64) -> Want {
        self.latency_near = Some(ms);
        self
    }

    pub fn method(mut self, method: impl Into<Option<&'static str>>) -> Want {
        self.method = Some(method.into());
        self
    }

    pub fn path(mut self, path: impl Into<Option<&'static str>>) -> Want {
        self.path = Some(path.into());
        self
    }

    pub fn level(mut self, level: impl Into<Option<Level>>) -> Want {
        self.level = Some(level.into());
        self
    }

    /// The whole text.
    pub fn text(mut self, text: &'static str) -> Want {
        self.text = Some(text);
        self
    }

    pub fn text_prefix(mut self, prefix: &'static str) -> Want {
        self.text_prefix = Some(prefix);
        self
    }

    pub fn text_suffix(mut self, suffix: &'static str) -> Want {
        self.text_suffix = Some(suffix);
        self
    }

    pub fn text_contains(mut self, part: &'static str) -> Want {
        self.text_contains = Some(part);
        self
    }

    /// The value of the first field called `key` (`None`: no such field).
    pub fn field(mut self, key: &'static str, value: impl Into<Option<&'static str>>) -> Want {
        self.fields.push((key, value.into()));
        self
    }

    /// The message carries no fields at all.
    pub fn no_fields(mut self) -> Want {
        self.no_fields = true;
        self
    }

    /// Checks a parse result; `line` names it in the failure message.
    #[track_caller]
    pub fn assert(&self, parsed: &Parsed<'_>, line: &str) {
        match (self.kind, parsed) {
            (Kind::Request, Parsed::Request { at, request }) => {
                self.check_at(*at, line);
                self.check_request(request, line);
            }
            (Kind::Message, Parsed::Message { at, message }) => {
                self.check_at(*at, line);
                self.check_message(message, line);
            }
            (Kind::Continuation, Parsed::Continuation)
            | (Kind::Framing, Parsed::Framing)
            | (Kind::Unparsed, Parsed::Unparsed) => {}
            (kind, other) => panic!("want {kind:?}, got {other:?} <- {line}"),
        }
    }

    #[track_caller]
    fn check_at(&self, at: i64, line: &str) {
        if let Some(want) = self.at {
            assert_eq!(format_rfc3339(at), want, "time <- {line}");
        }
    }

    #[track_caller]
    fn check_request(&self, r: &Request<'_>, line: &str) {
        if let Some(want) = self.status {
            assert_eq!(r.status, want, "status <- {line}");
        }
        if let Some(want) = self.failed {
            assert_eq!(r.failed, want, "failed <- {line}");
        }
        if let Some(want) = self.backend {
            assert_eq!(r.backend.as_deref(), want, "backend <- {line}");
        }
        if let Some(want) = self.client {
            assert_eq!(r.client.as_deref(), want, "client <- {line}");
        }
        if let Some(want) = self.latency {
            assert_eq!(r.latency_ms, want, "latency <- {line}");
        }
        if let Some(want) = self.latency_near {
            assert!(
                r.latency_ms.is_some_and(|ms| (ms - want).abs() < 1e-9),
                "latency {:?}, want about {want} <- {line}",
                r.latency_ms
            );
        }
        if let Some(want) = self.method {
            assert_eq!(r.method.as_deref(), want, "method <- {line}");
        }
        if let Some(want) = self.path {
            assert_eq!(r.path.as_deref(), want, "path <- {line}");
        }
    }

    #[track_caller]
    fn check_message(&self, m: &Message<'_>, line: &str) {
        if let Some(want) = self.level {
            assert_eq!(m.level, want, "level <- {line}");
        }
        if let Some(want) = self.text {
            assert_eq!(m.text, want, "text <- {line}");
        }
        if let Some(want) = self.text_prefix {
            assert!(m.text.starts_with(want), "text {:?} <- {line}", m.text);
        }
        if let Some(want) = self.text_suffix {
            assert!(m.text.ends_with(want), "text {:?} <- {line}", m.text);
        }
        if let Some(want) = self.text_contains {
            assert!(m.text.contains(want), "text {:?} <- {line}", m.text);
        }
        for &(key, want) in &self.fields {
            assert_eq!(field(m, key), want, "field {key} <- {line}");
        }
        if self.no_fields {
            assert!(m.fields.is_empty(), "fields {:?} <- {line}", m.fields);
        }
    }
}

/// Rows giving every line the same expectation.
pub fn each<L>(lines: impl IntoIterator<Item = L>, want: Want) -> Vec<(L, Want)> {
    lines.into_iter().map(|l| (l, want.clone())).collect()
}

/// Parses every row's line with a fresh default context and checks it.
#[track_caller]
pub fn check<L: AsRef<str>>(format: &dyn LogFormat, rows: &[(L, Want)]) {
    check_in(format, TimeCtx::default, rows);
}

/// [`check`] with a fresh context from `ctx` for every row.
#[track_caller]
pub fn check_in<L: AsRef<str>>(
    format: &dyn LogFormat,
    ctx: impl Fn() -> TimeCtx,
    rows: &[(L, Want)],
) {
    for (line, want) in rows {
        let line = line.as_ref();
        let parsed = format.parse(line.as_bytes(), &mut ctx());
        want.assert(&parsed, &format!("{}: {line}", format.name()));
    }
}

/// The first value of the field called `key`.
pub fn field<'m>(m: &'m Message<'_>, key: &str) -> Option<&'m str> {
    m.fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_ref())
}

/// The request a line parses to, with its time as RFC 3339; panics on
/// anything else.
#[track_caller]
pub fn request_of<'a>(parsed: Parsed<'a>) -> (String, Request<'a>) {
    match parsed {
        Parsed::Request { at, request } => (format_rfc3339(at), request),
        other => panic!("not a request: {other:?}"),
    }
}

/// The message a line parses to, with its time as RFC 3339; panics on
/// anything else.
#[track_caller]
pub fn message_of<'a>(parsed: Parsed<'a>) -> (String, Message<'a>) {
    match parsed {
        Parsed::Message { at, message } => (format_rfc3339(at), message),
        other => panic!("not a message: {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The corpus

/// `../shared/corpus`, or `None` after a `corpus: SKIPPED` notice on the
/// process's stderr (not captured by the test harness) when it is missing.
#[track_caller]
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let notice = format!(
        "corpus: SKIPPED {test} ({}): no corpus at {}\n",
        std::panic::Location::caller(),
        dir.display()
    );
    // One write, straight to the process's stderr: the harness captures
    // `eprintln!` but not this.
    let _ = std::io::stderr().lock().write_all(notice.as_bytes());
    None
}

/// Non-blank lines of a file (without `\n` and `\r`) with the byte offset
/// each starts at.
pub fn lines(data: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in data.split(|&c| c == b'\n') {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if !is_blank(line) {
            out.push((offset, line));
        }
        offset += raw.len() + 1;
    }
    out
}

/// The non-blank lines of corpus files; none (after the notice) when the
/// corpus is not there.
#[track_caller]
pub fn corpus_lines(rels: &[&str]) -> Vec<Vec<u8>> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rel in rels {
        let data = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        out.extend(lines(&data).into_iter().map(|(_, l)| l.to_vec()));
    }
    out
}

/// A corpus file and filebeat's expectations for it.
pub struct CorpusFile {
    pub data: Vec<u8>,
    pub expected: Vec<Value>,
}

impl CorpusFile {
    /// Reads `rel` (e.g. `nginx/error.log`) and `rel-expected.json`;
    /// `None` when the corpus is not there (with a notice).
    #[track_caller]
    pub fn open(rel: &str) -> Option<CorpusFile> {
        let dir = corpus_dir()?;
        let data = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let exp = std::fs::read(dir.join(format!("{rel}-expected.json")))
            .unwrap_or_else(|e| panic!("{rel}-expected.json: {e}"));
        let expected = serde_json::from_slice(&exp).unwrap_or_else(|e| panic!("{rel}: {e}"));
        Some(CorpusFile { data, expected })
    }

    /// The file's non-blank lines with their offsets.
    pub fn lines(&self) -> Vec<(usize, &[u8])> {
        lines(&self.data)
    }

    /// The expectation for the record at `offset`.
    pub fn entry(&self, offset: usize) -> Option<&Value> {
        self.expected
            .iter()
            .find(|e| e.get("log.offset").and_then(Value::as_u64) == Some(offset as u64))
    }

    /// The zone filebeat read the file in (`event.timezone`), else UTC.
    pub fn zone(&self) -> Zone {
        self.expected
            .iter()
            .find_map(|e| e.get("event.timezone")?.as_str())
            .map_or(Zone::Utc, |z| Zone::parse(z).expect("zone"))
    }
}

/// A string field of an expectation.
pub fn expected_str<'e>(e: &'e Value, key: &str) -> Option<&'e str> {
    e.get(key).and_then(Value::as_str)
}

/// What [`check_requests`] and [`check_messages`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorpusRun {
    /// Non-blank lines.
    pub lines: usize,
    /// Lines that were records (requests or messages).
    pub records: usize,
    /// Lines that continued a record.
    pub continued: usize,
}

/// Reads a corpus file of requests with `format`: every non-blank line is
/// a request with an expectation at its offset, every expectation has its
/// request, and times (to the millisecond) and statuses are filebeat's.
/// `each` sees every request with its expectation, for more checks.
#[track_caller]
pub fn check_requests_with(
    format: &dyn LogFormat,
    rel: &str,
    mut each: impl FnMut(&str, &Request<'_>, &Value),
) -> Option<CorpusRun> {
    check_corpus(format, rel, Kind::Request, &mut |at, parsed, e| {
        if let Parsed::Request { request, .. } = parsed {
            each(at, request, e);
        }
    })
}

/// [`check_requests_with`] without further checks.
#[track_caller]
pub fn check_requests(format: &dyn LogFormat, rel: &str) -> Option<CorpusRun> {
    check_requests_with(format, rel, |_, _, _| {})
}

/// Reads a corpus file of messages with `format`: every non-blank line is
/// a message or continues one, the messages sit exactly at the expected
/// offsets, with filebeat's time (to the millisecond) and `log.level`.
#[track_caller]
pub fn check_messages(format: &dyn LogFormat, rel: &str) -> Option<CorpusRun> {
    check_corpus(format, rel, Kind::Message, &mut |_, _, _| {})
}

#[track_caller]
fn check_corpus(
    format: &dyn LogFormat,
    rel: &str,
    kind: Kind,
    each: &mut dyn FnMut(&str, &Parsed<'_>, &Value),
) -> Option<CorpusRun> {
    let file = CorpusFile::open(rel)?;
    let by_offset: HashMap<u64, &Value> = file
        .expected
        .iter()
        .filter_map(|e| Some((e.get("log.offset")?.as_u64()?, e)))
        .collect();
    let mut ctx = TimeCtx::new(file.zone(), YearAnchor::End(0));
    let lines = file.lines();
    let mut run = CorpusRun {
        lines: lines.len(),
        records: 0,
        continued: 0,
    };
    for &(offset, line) in &lines {
        let place = format!("{}: {rel}@{offset}", format.name());
        let parsed = format.parse(line, &mut ctx);
        let at = match (kind, &parsed) {
            (Kind::Request, Parsed::Request { at, .. })
            | (Kind::Message, Parsed::Message { at, .. }) => *at,
            (Kind::Message, Parsed::Continuation) => {
                assert!(run.records > 0, "{place}: continuation before any record");
                run.continued += 1;
                continue;
            }
            (_, other) => panic!(
                "{place}: not a {kind:?}: {other:?}: {}",
                String::from_utf8_lossy(line)
            ),
        };
        run.records += 1;
        let e = by_offset
            .get(&(offset as u64))
            .unwrap_or_else(|| panic!("{place}: no expected entry"));
        if let Some(ts) = expected_str(e, "@timestamp") {
            let (stamp, _) = parse_iso(ts.as_bytes()).expect("expected @timestamp");
            let want = stamp.utc_if_explicit().expect("@timestamp with an offset");
            assert_eq!(at.div_euclid(1000), want.div_euclid(1000), "{place}: time");
        }
        match &parsed {
            Parsed::Request { request, .. } => {
                if let Some(st) = e.get("http.response.status_code").and_then(Value::as_u64) {
                    assert_eq!(request.status as u64, st, "{place}: status");
                }
            }
            Parsed::Message { message, .. } => {
                let want = expected_str(e, "log.level").and_then(Level::from_word);
                assert_eq!(message.level, want, "{place}: level");
            }
            _ => {}
        }
        each(&place, &parsed, e);
    }
    assert_eq!(run.records, file.expected.len(), "{rel}: records");
    Some(run)
}

/// Asserts that detection picks the format called `name` for `lines`.
#[track_caller]
pub fn assert_detected(name: &str, lines: &[&str], ctx: &mut TimeCtx) {
    let sample: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    assert_eq!(detect(&sample, ctx).map(|f| f.name()), Some(name));
}

/// The format detection picks for a corpus file.
#[track_caller]
pub fn detect_corpus(rel: &str) -> Option<&'static str> {
    let dir = corpus_dir()?;
    let data = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let sample: Vec<&[u8]> = lines(&data).into_iter().map(|(_, l)| l).collect();
    Some(detect(&sample, &mut TimeCtx::default()).map_or("none", |f| f.name()))
}

// ---------------------------------------------------------------------------
// Property-test strategies

/// Bytes written into a line by the separator edit: the punctuation
/// formats split their fields at.
const SEPARATORS: &[u8] = b" \"[],:=-/<>{}";

/// Real lines with a few random edits (overwrite a byte, insert one,
/// delete one, or write in a field separator) and a random cut: close
/// enough to the format to reach deep into a parser, broken enough to find
/// its edge cases.
pub fn mutated_line<L: AsRef<[u8]>>(
    real: impl IntoIterator<Item = L>,
) -> impl Strategy<Value = Vec<u8>> {
    let real: Vec<Vec<u8>> = real.into_iter().map(|l| l.as_ref().to_vec()).collect();
    assert!(!real.is_empty(), "no lines to mutate");
    (
        0..real.len(),
        proptest::collection::vec((any::<usize>(), any::<u8>(), 0..4u8), 0..8),
        any::<usize>(),
    )
        .prop_map(move |(i, edits, cut)| {
            let mut line = real[i].clone();
            for (pos, byte, op) in edits {
                let pos = pos % (line.len() + 1);
                match op {
                    0 if pos < line.len() => line[pos] = byte,
                    1 => line.insert(pos, byte),
                    2 if pos < line.len() => {
                        line.remove(pos);
                    }
                    3 if pos < line.len() => {
                        line[pos] = SEPARATORS[byte as usize % SEPARATORS.len()];
                    }
                    _ => {}
                }
            }
            line.truncate(cut % (line.len() + 1));
            line
        })
}

/// Up to `max` random bytes.
pub fn random_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 502 0"#;

    #[test]
    fn a_matching_row_passes() {
        check(
            format("nginx_access"),
            &[(LINE, request().status(502).failed(true).client("10.0.0.1"))],
        );
    }

    #[test]
    #[should_panic(expected = "status")]
    fn a_wrong_field_fails() {
        check(format("nginx_access"), &[(LINE, request().status(200))]);
    }

    #[test]
    #[should_panic(expected = "want Message")]
    fn a_wrong_kind_fails() {
        check(format("nginx_access"), &[(LINE, message())]);
    }

    #[test]
    fn offsets_skip_blank_lines() {
        assert_eq!(lines(b"a\r\n\n  \nb"), vec![(0, &b"a"[..]), (7, &b"b"[..])]);
    }
}
