//! Log formats: one file per format, and detection of a file's format from
//! its first lines.
//!
//! Every format turns one line (without its line ending) into a
//! [`Parsed`] record. Detection runs every format over a sample of the
//! file's first lines and keeps the one that reads the most of them; ties go
//! to the more specific format (earlier in [`registry`]).

use std::sync::Arc;

use crate::record::Parsed;
use crate::time::TimeCtx;

pub mod access;
pub mod alb;
pub mod alertmanager;
pub mod apache_error;
pub mod bgl;
pub mod bind;
pub mod caddy;
pub mod envoy;
pub mod haproxy;
pub mod hdfs;
pub mod healthapp;
pub mod json;
pub mod jul;
pub mod k8s_events;
pub mod klog;
pub mod lex;
pub mod logcat;
pub mod logfmt;
pub mod mysql;
pub mod nginx_error;
pub mod nlb;
pub mod openstack;
pub mod postgresql;
pub mod proxifier;
pub mod rails;
pub mod redis;
pub mod s3;
pub mod squid;
pub mod strace;
pub mod syslog;
pub mod tai64n;
#[cfg(test)]
pub(crate) mod testkit;
pub mod timeless;
pub mod timestamped;
pub mod tomcat;
pub mod uwsgi;
pub mod vpc_flow;
pub mod w3c;
pub mod wrap;

// The helpers other modules have always reached through `format`.
pub use lex::{find_byte, is_blank, next_token, opt_text, quoted_token, strip_port, text};

/// A log format: a name for people and JSON, and a line parser.
pub trait LogFormat: Send + Sync {
    /// Stable identifier shown in `inputs[].format` and accepted by `--log-format`.
    fn name(&self) -> &'static str;

    /// A few words for `postmortem formats` and the README table.
    fn description(&self) -> &'static str;

    /// Parses one line. The line has no `\n` and no trailing `\r`.
    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a>;

    /// Who writes files of this format (see [`Role`]).
    fn role(&self) -> Role;

    /// Who the format's request records stand for: its [`role`](Self::role),
    /// unless its requests come from lines another writer put in the file
    /// (syslog's are the HAProxy lines it carries: front traffic).
    fn request_role(&self) -> Role {
        self.role()
    }

    /// Whether records can span several lines (stack traces, wrapped
    /// messages). Such formats return [`Parsed::Continuation`] for the
    /// following lines; lines they return as [`Parsed::Unparsed`] are
    /// skipped all the same.
    fn multiline(&self) -> bool {
        false
    }

    /// Whether a record's first line needs the line after it to be read
    /// (java.util.logging writes the level on the second line). The scan
    /// then calls [`parse_with_next`](Self::parse_with_next) instead of
    /// [`parse`](Self::parse).
    fn needs_next_line(&self) -> bool {
        false
    }

    /// Parses one line knowing the next non-blank line of the same block
    /// (`None` at the block's end: the format must cope without it).
    fn parse_with_next<'a>(
        &self,
        line: &'a [u8],
        next: Option<&'a [u8]>,
        ctx: &mut TimeCtx,
    ) -> Parsed<'a> {
        let _ = next;
        self.parse(line, ctx)
    }

    /// Whether some timestamps lack a year, so the file must be read after
    /// the others have fixed the time range (RFC 3164 syslog).
    fn yearless(&self) -> bool {
        false
    }

    /// Whether the format reads any line of a broad shape (timestamped
    /// text): a fallback that never wins detection over a format that
    /// reads as many lines, even one that reads more of them as
    /// continuations (PostgreSQL's `DETAIL` lines are records to it).
    fn fallback(&self) -> bool {
        false
    }

    /// How the lines that set the layout of the lines after them start
    /// (W3C `#Fields:`, a table's column header); none for most formats.
    /// Parsing such a line stores the layout in [`TimeCtx::layout`] and
    /// returns [`Parsed::Framing`]; the scan finds them ahead of the
    /// parallel parse (see [`layout_after`]) so that every block starts
    /// with the layout in force there.
    fn headers(&self) -> &'static [&'static [u8]] {
        &[]
    }

    /// For a format that joins a line's pieces (a wrapper's split lines):
    /// what is held at the end of `block`, as the [`Layout`] the next
    /// block starts with, given `before` at its start; `None` for formats
    /// that hold nothing across lines (most). See [`layout_after`].
    fn held_after(&self, block: &[u8], before: &Layout, ctx: &TimeCtx) -> Option<Layout> {
        let _ = (block, before, ctx);
        None
    }

    /// Whether the times are ages (`kubectl get events`' `47m`), counted
    /// back from when the file was written: the scan then reads the file
    /// with its modification time as the anchor
    /// ([`YearAnchor::End`](crate::time::YearAnchor::End)) and says so in a
    /// warning.
    fn relative_times(&self) -> bool {
        false
    }

    /// What this reader cannot do with the file, said in a warning when
    /// the file is opened (a wrapper whose lines are in no known format).
    fn caveat(&self) -> Option<String> {
        None
    }
}

/// Who writes a format's files, and so what its records stand for.
///
/// Downstream, one question matters: are a format's request records the
/// service's front traffic, what its users saw? They are when the format's
/// [`LogFormat::request_role`] is [`Role::Front`]. A format that is not
/// `Front` may still hold requests (Traefik JSON lines, Heroku router lines
/// in logfmt): nothing in the format says whether they are the front's, so
/// they are not taken as front traffic on the format alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Written by the front of the service (load balancers, proxies, web
    /// servers' access logs): its requests are what users saw. nginx and
    /// Apache access logs, HAProxy, ALB, Classic ELB, Envoy.
    Front,
    /// The application's own logs: JSON lines, logfmt, timestamped text.
    Application,
    /// Alert notifications: Alertmanager.
    Alerts,
    /// The system the service runs on: syslog, and the web servers' own
    /// error logs (nginx, Apache), which report on the server, not on the
    /// requests users made.
    System,
}

impl std::fmt::Debug for dyn LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every format, most specific first. Detection breaks ties in this order.
pub fn registry() -> &'static [&'static dyn LogFormat] {
    static ALL: &[&dyn LogFormat] = &[
        &alertmanager::Alertmanager,
        &alb::Alb,
        &alb::ClassicElb,
        &w3c::W3c,
        &nlb::Nlb,
        &s3::S3Access,
        &squid::Squid,
        &vpc_flow::VpcFlow,
        &envoy::Envoy,
        // Caddy's runtime lines are JSON lines: the JSON reader reads them.
        &caddy::Caddy::new(&json::JsonLines),
        &k8s_events::K8sEvents,
        &k8s_events::KubectlEvents,
        &haproxy::Haproxy,
        &access::Access,
        &nginx_error::NginxError,
        &apache_error::ApacheError,
        // Syslog hands the lines of formats that hide behind its header
        // to their readers: HAProxy's.
        &syslog::Syslog::new(&[&haproxy::Haproxy]),
        &postgresql::Postgresql,
        &mysql::Mysql,
        &redis::Redis,
        &klog::Klog,
        &tomcat::Tomcat,
        &jul::Jul,
        &bind::Bind,
        &logcat::Logcat,
        &hdfs::Hdfs,
        &bgl::Bgl,
        &healthapp::HealthApp,
        &proxifier::Proxifier,
        &openstack::Openstack,
        &strace::Strace,
        &tai64n::Tai64n,
        &uwsgi::Uwsgi,
        &rails::Rails,
        &json::JsonLines,
        &logfmt::Logfmt,
        &timestamped::Timestamped,
    ];
    ALL
}

/// The format with this name, if any: a plain format, or a wrapped one
/// (`cri/nginx_access`, see [`wrap`]).
pub fn by_name(name: &str) -> Option<&'static dyn LogFormat> {
    registry()
        .iter()
        .copied()
        .find(|f| f.name() == name)
        .or_else(|| wrap::by_name(name))
}

/// Lines tried with the other formats in a block before giving up on a
/// file whose foreign lines no format reads (one in sixteen, at least).
const FOREIGN_PATIENCE: u32 = 256;

/// Reads a line that the file's own format (`own`) did not: the format
/// that read the last such line first, then every other format in
/// [`registry`] order, most specific first. Formats whose lines depend on
/// the lines around them (header-driven layouts, the next line, ages) are
/// not tried. A block whose foreign lines mostly fail stops trying, so a
/// file of junk costs little.
pub fn read_foreign<'a>(
    line: &'a [u8],
    ctx: &mut TimeCtx,
    own: Option<&'static dyn LogFormat>,
) -> Parsed<'a> {
    if is_blank(line) {
        return Parsed::Unparsed;
    }
    let tally = ctx.foreign;
    if tally.tried >= FOREIGN_PATIENCE && tally.read * 16 < tally.tried {
        return Parsed::Unparsed;
    }
    ctx.foreign.tried += 1;
    let own_name = own.map(|f| f.name());
    let layout = ctx.layout.take();
    let all = registry();
    let hint = tally.hint.map(usize::from).filter(|&i| i < all.len());
    let mut found = Parsed::Unparsed;
    for i in hint
        .into_iter()
        .chain((0..all.len()).filter(|&i| Some(i) != hint))
    {
        let format = all[i];
        if Some(format.name()) == own_name
            || !format.headers().is_empty()
            || format.needs_next_line()
            || format.relative_times()
        {
            continue;
        }
        let parsed = format.parse(line, ctx);
        ctx.layout = None;
        if parsed.is_record() {
            ctx.foreign.read += 1;
            ctx.foreign.hint = u16::try_from(i).ok();
            found = parsed;
            break;
        }
    }
    ctx.layout = layout;
    found
}

/// The request an access line quoted in another record's message is (a
/// JSON shipper's `message` holding Envoy's or nginx's text line), read
/// by the front formats; `None` cheaply for text with no quoted request
/// line (`"GET / HTTP/1.1"`, Envoy's TCP `"- - -"`).
pub(crate) fn request_in(text: &[u8], ctx: &mut TimeCtx) -> Option<Parsed<'static>> {
    if memchr::memmem::find(text, b" HTTP/").is_none()
        && memchr::memmem::find(text, b"\"- - -\"").is_none()
    {
        return None;
    }
    let layout = ctx.layout.take();
    let mut found = None;
    for format in registry() {
        if format.role() != Role::Front
            || !format.headers().is_empty()
            || format.needs_next_line()
            || format.relative_times()
        {
            continue;
        }
        if let p @ Parsed::Request { .. } = format.parse(text, ctx) {
            found = Some(p.into_owned());
            break;
        }
    }
    ctx.layout = layout;
    found
}

/// A plain format that reads the lines it does not understand with the
/// other formats ([`read_foreign`]): a file can hold several formats (an
/// Envoy access log with Envoy's own notices, ALB lines beside NLB ones).
/// It is the file's format in every other respect.
pub struct PerLine {
    main: &'static dyn LogFormat,
}

/// The reader a detected format is read with: a wrapped format reads
/// foreign lines itself; every other one through [`per_line`].
pub fn per_line_unless_wrapped(format: &'static dyn LogFormat) -> &'static dyn LogFormat {
    if format.name().contains('/') {
        format
    } else {
        per_line(format)
    }
}

/// The per-line reader of `main`, made once per format.
pub fn per_line(main: &'static dyn LogFormat) -> &'static dyn LogFormat {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static MADE: OnceLock<Mutex<HashMap<&'static str, &'static PerLine>>> = OnceLock::new();
    let mut made = MADE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    *made
        .entry(main.name())
        .or_insert_with(|| Box::leak(Box::new(PerLine { main })))
}

impl PerLine {
    /// What the file's format made of `line`, or, when it could not read
    /// it, what another format does.
    #[inline]
    fn or_foreign<'a>(&self, parsed: Parsed<'a>, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        match parsed {
            Parsed::Unparsed => match read_foreign(line, ctx, Some(self.main)) {
                // A line no format reads that continues a multi-line record
                // (a stack trace a library printed under a JSON line).
                Parsed::Unparsed if lex::looks_continued(line) || lex::starts_trace(line) => {
                    Parsed::Continuation
                }
                p => p,
            },
            parsed => parsed,
        }
    }
}

impl LogFormat for PerLine {
    fn name(&self) -> &'static str {
        self.main.name()
    }
    fn description(&self) -> &'static str {
        self.main.description()
    }
    #[inline]
    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        let parsed = self.main.parse(line, ctx);
        self.or_foreign(parsed, line, ctx)
    }
    fn role(&self) -> Role {
        self.main.role()
    }
    fn request_role(&self) -> Role {
        self.main.request_role()
    }
    fn multiline(&self) -> bool {
        self.main.multiline()
    }
    fn needs_next_line(&self) -> bool {
        self.main.needs_next_line()
    }
    fn parse_with_next<'a>(
        &self,
        line: &'a [u8],
        next: Option<&'a [u8]>,
        ctx: &mut TimeCtx,
    ) -> Parsed<'a> {
        let parsed = self.main.parse_with_next(line, next, ctx);
        self.or_foreign(parsed, line, ctx)
    }
    fn yearless(&self) -> bool {
        self.main.yearless()
    }
    fn fallback(&self) -> bool {
        self.main.fallback()
    }
    fn headers(&self) -> &'static [&'static [u8]] {
        self.main.headers()
    }
    fn relative_times(&self) -> bool {
        self.main.relative_times()
    }
    fn caveat(&self) -> Option<String> {
        self.main.caveat()
    }
}

/// How well a format reads a sample: records, continuation and framing
/// lines read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SampleScore {
    pub records: usize,
    pub continued: usize,
    pub framing: usize,
    pub lines: usize,
}

/// Scores one format against sample lines (blank lines ignored). The
/// layout a header line sets holds for the sample's later lines only.
pub fn score(format: &dyn LogFormat, lines: &[&[u8]], ctx: &mut TimeCtx) -> SampleScore {
    score_each(format, lines, ctx, |_, _| {})
}

/// [`score`], telling `each` for every line (by index) whether it was
/// read (a record, continuation or framing line) and whether as a record.
fn score_each(
    format: &dyn LogFormat,
    lines: &[&[u8]],
    ctx: &mut TimeCtx,
    mut each: impl FnMut(usize, (bool, bool)),
) -> SampleScore {
    let mut s = SampleScore::default();
    let layout = ctx.layout.take();
    for (i, line) in lines.iter().enumerate() {
        if is_blank(line) {
            continue;
        }
        s.lines += 1;
        match format.parse(line, ctx) {
            Parsed::Continuation => {
                if s.records > 0 {
                    s.continued += 1;
                    each(i, (true, false));
                }
            }
            Parsed::Framing | Parsed::Held => {
                s.framing += 1;
                each(i, (true, false));
            }
            Parsed::Unparsed => {}
            _ => {
                s.records += 1;
                each(i, (true, true));
            }
        }
    }
    ctx.layout = layout;
    s
}

/// What header lines said, as a format encoded it ([`TimeCtx::layout`]).
pub type Layout = Option<Arc<[u8]>>;

/// The layout in force after `block`, given the one in force before it:
/// the block's header lines ([`LogFormat::headers`]) read in order, each
/// with the layout its predecessors left; for a format that joins split
/// lines, the pieces held at the block's end ([`LogFormat::held_after`]),
/// so that a line split across two blocks is joined there too.
pub fn layout_after(format: &dyn LogFormat, block: &[u8], before: Layout, ctx: &TimeCtx) -> Layout {
    if let Some(held) = format.held_after(block, &before, ctx) {
        return held;
    }
    let prefixes = format.headers();
    if prefixes.is_empty() {
        return before;
    }
    let mut starts: Vec<usize> = Vec::new();
    for prefix in prefixes {
        if block.starts_with(prefix) {
            starts.push(0);
        }
        let mut needle = Vec::with_capacity(prefix.len() + 1);
        needle.push(b'\n');
        needle.extend_from_slice(prefix);
        starts.extend(memchr::memmem::find_iter(block, &needle).map(|i| i + 1));
    }
    if starts.is_empty() {
        return before;
    }
    starts.sort_unstable();
    starts.dedup();
    let mut c = ctx.clone();
    c.layout = before;
    for start in starts {
        let rest = block.get(start..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = rest.get(..end).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let _ = format.parse(line, &mut c);
    }
    c.layout
}

/// The layout in force at the start of each of `blocks`, which follow
/// one another in a file, given the one in force before the first; also
/// returns the one in force after the last.
pub fn layouts_at_starts(
    format: &dyn LogFormat,
    blocks: &[Vec<u8>],
    mut before: Layout,
    ctx: &TimeCtx,
) -> (Vec<Layout>, Layout) {
    let mut out = Vec::with_capacity(blocks.len());
    for block in blocks {
        out.push(before.clone());
        before = layout_after(format, block, before, ctx);
    }
    (out, before)
}

/// Picks the format for sample `lines`: a plain one ([`detect_plain`]),
/// or one read through a shipper's envelope ([`wrap::detect`]) when the
/// envelope opens as many lines as the best plain format reads (a weak
/// envelope, more of them, or as many when the plain format is a
/// fallback or the envelope's inner format); `None` when no format reads a single record.
pub fn detect(lines: &[&[u8]], ctx: &mut TimeCtx) -> Option<&'static dyn LogFormat> {
    detect_at_depth(lines, ctx, 2)
}

/// [`detect`], with envelopes looked for `depth` levels deep (CRI lines
/// inside Docker's: 2).
pub fn detect_at_depth(
    lines: &[&[u8]],
    ctx: &mut TimeCtx,
    depth: u8,
) -> Option<&'static dyn LogFormat> {
    let plain = detect_plain(lines, ctx);
    if depth == 0 {
        return plain.map(|(f, _)| f);
    }
    let wrapped = wrap::detect(lines, ctx, depth);
    match (plain, wrapped) {
        (plain, None) => plain.map(|(f, _)| f),
        (None, Some(w)) => Some(w.format),
        (Some((format, read)), Some(w)) => {
            let wins = if w.strong {
                w.opened >= read
            } else {
                // On a tie the envelope explains the prefix the plain
                // format swallowed (a timestamp read as a virtual host).
                let same_inner = w
                    .format
                    .name()
                    .strip_suffix(format.name())
                    .is_some_and(|p| p.ends_with('/'));
                w.opened > read || (w.opened == read && (format.fallback() || same_inner))
            };
            Some(if wins { w.format } else { format })
        }
    }
}

/// Picks the plain format for sample `lines`, as it will be read: with the
/// lines it does not read tried with the other formats ([`PerLine`]). A
/// format that reads at least half of the lines itself and is no
/// [fallback](LogFormat::fallback) wins over those that do not (an Envoy
/// access log beside Envoy's own notices is Envoy's, not timestamped
/// text); then the one that, with the others' help, reads the most lines;
/// then the one that reads the most itself, then the one that reads more
/// of them as records, then the more specific (earlier in [`registry`]).
/// Returns the lines it reads itself. `None` when no format reads a
/// single record.
pub fn detect_plain(lines: &[&[u8]], ctx: &mut TimeCtx) -> Option<(&'static dyn LogFormat, usize)> {
    struct Seen {
        format: &'static dyn LogFormat,
        score: SampleScore,
        read: Vec<bool>,
    }
    let mut seen: Vec<Seen> = Vec::new();
    // Lines some format reads as a record on its own: what a per-line
    // reader can count on, whatever the file's format.
    let mut any_record = vec![false; lines.len()];
    for &format in registry() {
        let mut read = vec![false; lines.len()];
        let foreign_ok =
            format.headers().is_empty() && !format.needs_next_line() && !format.relative_times();
        let score = score_each(format, lines, ctx, |i, (r, record)| {
            read[i] = r;
            if record && foreign_ok {
                any_record[i] = true;
            }
        });
        if score.records > 0 {
            seen.push(Seen {
                format,
                score,
                read,
            });
        }
    }
    let best = seen.iter().max_by_key(|c| {
        let s = c.score;
        let own = s.records + s.continued + s.framing;
        let with_help = c
            .read
            .iter()
            .zip(&any_record)
            .filter(|(&own, &other)| own || other)
            .count();
        let majority = !c.format.fallback() && 2 * own >= s.lines;
        let records = if c.format.fallback() { 0 } else { s.records };
        // Ties go to the earlier (more specific) format: `max_by_key`
        // keeps the last maximum, so the index breaks them.
        let rank = registry().len()
            - registry()
                .iter()
                .position(|f| f.name() == c.format.name())
                .unwrap_or(0);
        (majority, with_help, own, records, rank)
    })?;
    let s = best.score;
    Some((best.format, s.records + s.continued + s.framing))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_format_has_its_role() {
        let roles: Vec<(&str, Role, Role)> = registry()
            .iter()
            .map(|f| (f.name(), f.role(), f.request_role()))
            .collect();
        use Role::*;
        assert_eq!(
            roles,
            [
                ("alertmanager", Alerts, Alerts),
                ("alb", Front, Front),
                ("elb", Front, Front),
                ("w3c", Front, Front),
                ("nlb", Front, Front),
                ("s3", Front, Front),
                ("squid", Front, Front),
                ("vpc_flow", System, System),
                ("envoy", Front, Front),
                ("caddy", Front, Front),
                ("k8s_events", System, System),
                ("kubectl_events", System, System),
                ("haproxy", Front, Front),
                ("nginx_access", Front, Front),
                ("nginx_error", System, System),
                ("apache_error", System, System),
                // Its requests are the HAProxy lines it carries.
                ("syslog", System, Front),
                ("postgresql", System, System),
                ("mysql", System, System),
                ("redis", System, System),
                ("klog", System, System),
                ("tomcat", Application, Application),
                ("jul", Application, Application),
                ("bind", System, System),
                ("logcat", System, System),
                ("hdfs", System, System),
                ("bgl", System, System),
                ("healthapp", Application, Application),
                ("proxifier", System, System),
                ("openstack", System, System),
                ("strace", System, System),
                ("tai64n", Application, Application),
                ("uwsgi", Application, Application),
                ("rails", Application, Application),
                ("json", Application, Application),
                ("logfmt", Application, Application),
                ("timestamped", Application, Application),
            ]
        );
    }

    /// The layout a block starts with is the one its predecessors' last
    /// header lines set, whatever the block boundaries.
    #[test]
    fn layouts_follow_header_lines_across_blocks() {
        let w3c = by_name("w3c").unwrap();
        let a =
            b"#Fields: date time c-ip cs-method sc-status\n2024-01-01 00:00:00 1.2.3.4 GET 200\n";
        let b =
            b"2024-01-01 00:00:01 1.2.3.4 GET 200\n#Fields: date time sc-status c-ip cs-method\n";
        let c = b"2024-01-01 00:00:02 200 1.2.3.4 GET\n";
        let blocks = vec![a.to_vec(), b.to_vec(), c.to_vec()];
        let ctx = TimeCtx::default();
        let (starts, after) = layouts_at_starts(w3c, &blocks, None, &ctx);
        assert!(starts[0].is_none());
        let first = starts[1].clone().expect("layout after the first header");
        let second = starts[2].clone().expect("layout after the second header");
        assert_ne!(first, second);
        assert_eq!(after, Some(second.clone()));
        // Each block read with its layout gives its requests.
        for (block, layout) in blocks.iter().zip(starts) {
            let mut c = TimeCtx::default();
            c.layout = layout;
            for line in block.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let p = w3c.parse(line, &mut c);
                assert!(
                    matches!(p, Parsed::Request { .. } | Parsed::Framing),
                    "{p:?} <- {}",
                    String::from_utf8_lossy(line)
                );
            }
        }
        // Formats without headers keep none.
        let nginx = by_name("nginx_access").unwrap();
        assert_eq!(layouts_at_starts(nginx, &blocks, None, &ctx).1, None);
    }

    /// The formats whose requests are the service's front traffic (as
    /// `crate::traffic` decides), derived from the roles.
    #[test]
    fn front_formats_are_the_ones_with_front_requests() {
        let front: BTreeSet<&str> = crate::traffic::front_formats().into_iter().collect();
        assert_eq!(
            front,
            BTreeSet::from([
                "nginx_access",
                "haproxy",
                "alb",
                "elb",
                "w3c",
                "nlb",
                "s3",
                "squid",
                "envoy",
                "caddy",
                "syslog"
            ])
        );
    }
}
