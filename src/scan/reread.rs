//! The second read: exact request, failure and client counts within
//! incident windows. Keeping every client of every minute in the first
//! pass would make memory grow with traffic, while reading again only the
//! blocks of the request logs that touch a window costs little.
//!
//! The analysis owns a [`Reread`]: the request sources it decided on, each
//! with what a second read needs (its parser, year anchor, clock
//! correction and the blocks it was read in).

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::format::LogFormat;
use crate::input::{self, BlockReader, Compression, InputFile};
use crate::record::{FailurePolicy, Parsed, Request};
use crate::time::{Micros, TimeCtx, YearAnchor, Zone, SEC};

use super::cells::client_hash;
use super::fold::shifted;
use super::lines::Lines;
use super::partial::{max_opt, min_opt};
use super::sketch::{self, Hll};

/// Where one block of a file lies and which times its records have, so a
/// second read can go straight to the blocks an incident window touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSpan {
    /// Offset of the block in the (decompressed) stream.
    pub offset: u64,
    pub len: u64,
    /// Lines of the file before the block (its first line is this + 1).
    pub line_base: u64,
    pub first: Option<Micros>,
    pub last: Option<Micros>,
    /// The layout in force at the block's start (`TimeCtx::layout`).
    pub layout: Option<std::sync::Arc<[u8]>>,
}

impl BlockSpan {
    fn touches(&self, windows: &[(Micros, Micros)]) -> bool {
        match (self.first, self.last) {
            (Some(f), Some(l)) => windows.iter().any(|&(s, e)| f <= e && l >= s),
            _ => false,
        }
    }
}

/// What reading one file again needs.
#[derive(Clone, Debug)]
pub struct Source {
    pub file: InputFile,
    pub parser: &'static dyn LogFormat,
    pub anchor: YearAnchor,
    /// The clock correction applied in the first read.
    pub skew: Micros,
    /// The blocks the file was read in, in order.
    pub blocks: Vec<BlockSpan>,
    pub compression: Compression,
    /// The time range of its records.
    pub first: Option<Micros>,
    pub last: Option<Micros>,
}

/// Which requests a second read counts as bad.
#[derive(Clone, Debug, PartialEq)]
pub enum Criterion {
    /// Failed, by the run's failure policy.
    Failed,
    /// Answered with one of these statuses (refusals).
    Status(Vec<u16>),
    /// Slower than this many milliseconds.
    SlowerThan(f64),
}

impl Criterion {
    #[inline]
    fn bad(&self, request: &Request, policy: &FailurePolicy) -> bool {
        match self {
            Criterion::Failed => policy.failed(request.status, request.failed),
            Criterion::Status(set) => set.contains(&request.status),
            // A failed request is as bad as a slow one to whoever sent it.
            Criterion::SlowerThan(ms) => {
                request.latency_ms.is_some_and(|l| l > *ms)
                    || policy.failed(request.status, request.failed)
            }
        }
    }
}

/// A request found by a second read: when, and where it was logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub at: Micros,
    pub source: String,
    pub line: u64,
}

impl Located {
    /// Earliest first (then source, then line).
    pub(crate) fn key(&self) -> (Micros, &str, u64) {
        (self.at, &self.source, self.line)
    }
}

/// Bad requests in one second: how many, the first and the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecondTally {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
}

impl SecondTally {
    pub(crate) fn add(&mut self, other: SecondTally) {
        self.count += other.count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// Clients seen and clients with at least one bad request, within one window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientCounts {
    pub total: u64,
    /// Clients with at least one bad request.
    pub affected: u64,
    /// Requests and bad requests within the window, counted exactly
    /// (bucketed series cannot split the buckets at a window's edges).
    pub requests: u64,
    pub failed: u64,
    /// The first and last request within the window (where traffic stopped
    /// and resumed, for an outage that logged nothing).
    pub first: Option<Micros>,
    pub last: Option<Micros>,
    /// The first and last bad request, with their lines.
    pub first_bad: Option<Located>,
    pub last_bad: Option<Located>,
    /// Bad requests per second, when asked for.
    pub bad_seconds: BTreeMap<i64, SecondTally>,
    /// Set when `total` and `affected` are estimates: some input came
    /// from a partial whose clients were sketched.
    pub clients_estimated: Option<ClientEstimate>,
}

/// How estimated client counts were made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClientEstimate {
    /// Two relative standard errors, in percent.
    pub error_pct: f64,
    /// The sketches' bucket width: windows are counted over the whole
    /// buckets they touch.
    pub bucket_seconds: i64,
}

/// What a second read found in each window, and the sources it could not
/// read again (standard input, files changed since).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counted {
    pub windows: Vec<ClientCounts>,
    pub left_out: Vec<String>,
}

impl Counted {
    /// The counts of window `i`, when every source could be read again.
    pub fn exact(&self, i: usize) -> Option<&ClientCounts> {
        self.windows.get(i).filter(|_| self.left_out.is_empty())
    }
}

/// The request sources to read again, and how.
#[derive(Clone, Debug)]
pub struct Reread {
    pub sources: Vec<Source>,
    /// Request sources read from partials: their request rows stand in
    /// for a second read of their lines.
    pub carried: Vec<super::cells::Carried>,
    pub zone: Zone,
    pub block_size: usize,
    /// What counts as a failed request, as in the first read.
    pub failure: FailurePolicy,
}

/// What one second read looks for.
struct Probe<'a> {
    windows: &'a [(Micros, Micros)],
    criterion: &'a Criterion,
    /// Keep bad requests per second.
    per_second: bool,
}

impl Reread {
    /// Counts requests, failures and distinct clients in each window.
    pub fn count(&self, windows: &[(Micros, Micros)]) -> Counted {
        self.count_by(windows, &Criterion::Failed, false)
    }

    /// Counts requests, the requests `criterion` calls bad, and distinct
    /// clients (and those with a bad request) in each window; with
    /// `per_second`, also the bad requests per second (for exact edges).
    ///
    /// A plain file, or a member stored as it is in an uncompressed tar on
    /// disk, is read again only in the blocks that touch a window. A
    /// compressed file is read again whole; members of a compressed
    /// archive (or compressed members) are read again by streaming the
    /// archive once up to the last of them, reading only those.
    pub fn count_by(
        &self,
        windows: &[(Micros, Micros)],
        criterion: &Criterion,
        per_second: bool,
    ) -> Counted {
        let probe = Probe {
            windows,
            criterion,
            per_second,
        };
        let mut left_out = Vec::new();
        let sources: Vec<&Source> = self
            .sources
            .iter()
            // An object is checked (a request) only when it matters.
            .filter(|s| !matches!(s.file.origin, input::Origin::Object(_)) || s.touches(windows))
            .filter(|s| match unchanged_since_read(&s.file) {
                Ok(()) => true,
                Err(why) => {
                    left_out.push(match why {
                        Some(why) => format!("{} ({why})", s.file.display),
                        None => s.file.display.clone(),
                    });
                    false
                }
            })
            .filter(|s| s.touches(windows))
            .collect();
        // One unit per file or archive to read.
        let mut units: Vec<Vec<&Source>> = Vec::new();
        for s in sources {
            let streamed = s
                .file
                .member
                .as_ref()
                .is_some_and(|m| m.offset.is_none() || s.compression != Compression::None);
            let same_archive = units.iter_mut().find(|u| {
                streamed
                    && u[0].file.member.is_some()
                    && u[0].file.origin == s.file.origin
                    && !in_place(u[0])
            });
            match same_archive {
                Some(u) => u.push(s),
                None => units.push(vec![s]),
            }
        }
        let tallies: Vec<Vec<Option<Vec<WindowTally>>>> = units
            .par_iter()
            .map(|u| {
                if u[0].file.member.is_some() && !in_place(u[0]) {
                    self.tally_members(u, &probe)
                } else {
                    vec![self.tally_source(u[0], &probe)]
                }
            })
            .collect();
        let mut merged: Vec<WindowTally> = vec![WindowTally::default(); windows.len()];
        let carried: Vec<Vec<WindowTally>> = self
            .carried
            .par_iter()
            .map(|c| c.tally(windows, criterion, &self.failure, per_second))
            .collect();
        for t in carried {
            merge_into(&mut merged, t);
        }
        for (u, unit_tallies) in units.iter().zip(tallies) {
            for (s, t) in u.iter().zip(unit_tallies) {
                match t {
                    Some(t) => merge_into(&mut merged, t),
                    None => left_out.push(s.file.display.clone()),
                }
            }
        }
        Counted {
            windows: merged.into_iter().map(WindowTally::counts).collect(),
            left_out,
        }
    }

    fn tally_source(&self, s: &Source, probe: &Probe) -> Option<Vec<WindowTally>> {
        let windows = probe.windows;
        let mut out = vec![WindowTally::default(); windows.len()];
        let ctx = TimeCtx::new(self.zone, s.anchor);
        let reader = BlockTally {
            source: s,
            policy: &self.failure,
            probe,
        };
        // A plain file on disk (or a plain member of a plain tar): read
        // only the blocks that touch a window.
        if let (input::Origin::Object(obj), true) = (&s.file.origin, in_place(s)) {
            if !s.blocks.is_empty() {
                let base = s.file.member.as_ref().and_then(|m| m.offset).unwrap_or(0);
                let wanted: Vec<&BlockSpan> =
                    s.blocks.iter().filter(|b| b.touches(windows)).collect();
                // A few ranged GETs in flight, the blocks of one batch
                // tallied in parallel while memory holds only that batch.
                for batch in wanted.chunks(input::object::AHEAD.max(rayon::current_num_threads())) {
                    let ranges: Vec<std::ops::Range<u64>> = batch
                        .iter()
                        .map(|b| base + b.offset..base + b.offset + b.len)
                        .collect();
                    let blocks = input::object::fetch_ranges(obj, &ranges).ok()?;
                    let parts: Vec<Vec<WindowTally>> = batch
                        .par_iter()
                        .zip(&blocks)
                        .map(|(span, block)| {
                            let mut ctx = ctx.clone();
                            ctx.layout = span.layout.clone();
                            reader.tally(block, span.line_base, ctx)
                        })
                        .collect();
                    for part in parts {
                        merge_into(&mut out, part);
                    }
                }
                return Some(out);
            }
        }
        if let (input::Origin::Path(path), true) = (&s.file.origin, in_place(s)) {
            if !s.blocks.is_empty() {
                let base = s.file.member.as_ref().and_then(|m| m.offset).unwrap_or(0);
                let wanted: Vec<&BlockSpan> =
                    s.blocks.iter().filter(|b| b.touches(windows)).collect();
                let parts: Option<Vec<Vec<WindowTally>>> = wanted
                    .par_iter()
                    .map(|span| {
                        let block = read_span(path, base, span).ok()?;
                        let mut ctx = ctx.clone();
                        ctx.layout = span.layout.clone();
                        Some(reader.tally(&block, span.line_base, ctx))
                    })
                    .collect();
                for part in parts? {
                    merge_into(&mut out, part);
                }
                return Some(out);
            }
        }
        if s.file.member.is_some() {
            return self.tally_members(&[s], probe).pop().flatten();
        }
        // Compressed files cannot be read from the middle: read the whole
        // stream again.
        let mut found = false;
        let walked = input::for_each_entry::<()>(&s.file, false, None, &mut |e| {
            if let input::Entry::Member(m) = e {
                found = true;
                self.tally_stream(m.reader, &reader, &ctx, &mut out);
            }
            Ok(())
        });
        // A damaged archive stops at the same place as in the first read.
        (walked.is_ok() && found).then_some(out)
    }

    /// The members of one archive, read again in one pass over it.
    fn tally_members(&self, sources: &[&Source], probe: &Probe) -> Vec<Option<Vec<WindowTally>>> {
        let windows = probe.windows;
        let mut out: Vec<Option<Vec<WindowTally>>> = vec![None; sources.len()];
        let index_of = |i: usize| {
            sources
                .iter()
                .position(|s| s.file.member.as_ref().is_some_and(|m| m.index == i))
        };
        let wanted = |i: usize| index_of(i).is_some();
        let last = sources
            .iter()
            .filter_map(|s| s.file.member.as_ref().map(|m| m.index))
            .max()
            .unwrap_or(0);
        let mut archive = sources[0].file.clone();
        archive.member = None;
        let _ = input::for_each_entry::<()>(&archive, false, Some((&wanted, last)), &mut |e| {
            let input::Entry::Member(m) = e else {
                return Ok(());
            };
            let Some(k) = m.file.member.as_ref().and_then(|mm| index_of(mm.index)) else {
                return Ok(());
            };
            let s = sources[k];
            if m.file.member.as_ref().map(|mm| &mm.path)
                != s.file.member.as_ref().map(|mm| &mm.path)
            {
                return Ok(());
            }
            let ctx = TimeCtx::new(self.zone, s.anchor);
            let reader = BlockTally {
                source: s,
                policy: &self.failure,
                probe,
            };
            let mut t = vec![WindowTally::default(); windows.len()];
            self.tally_stream(m.reader, &reader, &ctx, &mut t);
            out[k] = Some(t);
            Ok(())
        });
        out
    }

    /// Reads a whole stream again, tallying its blocks in parallel.
    fn tally_stream(
        &self,
        reader: Box<dyn std::io::Read + '_>,
        tally: &BlockTally,
        ctx: &TimeCtx,
        out: &mut [WindowTally],
    ) {
        let mut blocks = BlockReader::new(reader, self.block_size);
        let batch = (rayon::current_num_threads() * 2).max(2);
        let mut pending = Vec::with_capacity(batch);
        let mut line_base = 0u64;
        let mut layout = None;
        loop {
            super::read_batch(&mut blocks, &mut pending, batch);
            if pending.is_empty() {
                break;
            }
            let mut bases = Vec::with_capacity(pending.len());
            for b in &pending {
                bases.push(line_base);
                line_base += memchr::memchr_iter(b'\n', b).count() as u64;
            }
            let (layouts, after) =
                crate::format::layouts_at_starts(tally.source.parser, &pending, layout.take(), ctx);
            layout = after;
            let parts: Vec<Vec<WindowTally>> = pending
                .par_iter()
                .zip(&bases)
                .zip(layouts)
                .map(|((b, &base), layout)| {
                    let mut ctx = ctx.clone();
                    ctx.layout = layout;
                    tally.tally(b, base, ctx)
                })
                .collect();
            for part in parts {
                merge_into(out, part);
            }
            for b in pending.drain(..) {
                blocks.recycle(b);
            }
        }
    }
}

/// Whether a source's bytes lie in its file as they are: a plain file, or
/// a plain member of an uncompressed tar on disk.
fn in_place(s: &Source) -> bool {
    s.compression == Compression::None && s.file.member.as_ref().is_none_or(|m| m.offset.is_some())
}

impl Source {
    /// Whether the source's time range meets a window.
    fn touches(&self, windows: &[(Micros, Micros)]) -> bool {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return false;
        };
        windows.iter().any(|&(w0, w1)| first <= w1 && last >= w0)
    }
}

/// What the second read gathers for one window. Clients are counted by
/// their [`client_hash`], as in partials, so that the clients of logs and
/// of partials union exactly.
#[derive(Clone, Default)]
pub(crate) struct WindowTally {
    /// Each client seen, and whether one of its requests was bad.
    pub(crate) clients: FxHashMap<u64, bool>,
    pub(crate) requests: u64,
    pub(crate) bad: u64,
    pub(crate) first: Option<Micros>,
    pub(crate) last: Option<Micros>,
    pub(crate) first_bad: Option<Located>,
    pub(crate) last_bad: Option<Located>,
    pub(crate) bad_seconds: BTreeMap<i64, SecondTally>,
    /// Clients of inputs whose partial sketched them.
    pub(crate) sketch: Option<WindowSketch>,
}

/// The sketched clients of a window: all, and those with a bad request.
#[derive(Clone, Default)]
pub(crate) struct WindowSketch {
    pub(crate) all: Hll,
    pub(crate) bad: Hll,
    pub(crate) bucket_seconds: i64,
}

impl WindowTally {
    fn merge(&mut self, other: WindowTally) {
        self.requests += other.requests;
        self.bad += other.bad;
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        for (client, bad) in other.clients {
            let e = self.clients.entry(client).or_insert(false);
            *e |= bad;
        }
        if let Some(f) = other.first_bad {
            if self.first_bad.as_ref().is_none_or(|m| f.key() < m.key()) {
                self.first_bad = Some(f);
            }
        }
        if let Some(l) = other.last_bad {
            if self.last_bad.as_ref().is_none_or(|m| l.key() > m.key()) {
                self.last_bad = Some(l);
            }
        }
        for (sec, t) in other.bad_seconds {
            match self.bad_seconds.get_mut(&sec) {
                Some(mine) => mine.add(t),
                None => {
                    self.bad_seconds.insert(sec, t);
                }
            }
        }
        if let Some(theirs) = other.sketch {
            match &mut self.sketch {
                Some(mine) => {
                    mine.all.merge(&theirs.all);
                    mine.bad.merge(&theirs.bad);
                    mine.bucket_seconds = mine.bucket_seconds.max(theirs.bucket_seconds);
                }
                None => self.sketch = Some(theirs),
            }
        }
    }

    pub(crate) fn counts(self) -> ClientCounts {
        let (total, affected, clients_estimated) = match self.sketch {
            // The exact clients join the sketches: a client seen both in a
            // plain file and in a sketched partial counts once.
            Some(mut sk) => {
                for (&client, &bad) in &self.clients {
                    sk.all.add(client);
                    if bad {
                        sk.bad.add(client);
                    }
                }
                let total = sk.all.estimate().round() as u64;
                let affected = (sk.bad.estimate().round() as u64).min(total);
                let how = ClientEstimate {
                    error_pct: sketch::ERROR_PCT,
                    bucket_seconds: sk.bucket_seconds,
                };
                (total, affected, Some(how))
            }
            None => (
                self.clients.len() as u64,
                self.clients.values().filter(|f| **f).count() as u64,
                None,
            ),
        };
        ClientCounts {
            total,
            affected,
            clients_estimated,
            requests: self.requests,
            failed: self.bad,
            first: self.first,
            last: self.last,
            first_bad: self.first_bad,
            last_bad: self.last_bad,
            bad_seconds: self.bad_seconds,
        }
    }
}

fn merge_into(out: &mut [WindowTally], part: Vec<WindowTally>) {
    for (w, t) in part.into_iter().enumerate() {
        if let Some(o) = out.get_mut(w) {
            o.merge(t);
        }
    }
}

/// Whether a file can be read a second time and is still what was read
/// the first time: a file on disk with the same size and modification time
/// (a log rotated or appended to mid-analysis would give wrong counts),
/// an object with the same ETag and size. `Err` may say what changed.
fn unchanged_since_read(file: &InputFile) -> Result<(), Option<String>> {
    let path = match &file.origin {
        input::Origin::Path(path) => path,
        input::Origin::Object(obj) => return input::object::unchanged(obj).map_err(Some),
        input::Origin::Stdin => return Err(None),
    };
    match std::fs::metadata(path) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            let same = m.len() == file.size && (file.mtime.is_none() || mtime == file.mtime);
            if same {
                Ok(())
            } else {
                Err(None)
            }
        }
        Err(_) => Err(None),
    }
}

/// Reads one block of a plain file (or plain tar member at `base`) again.
fn read_span(path: &std::path::Path, base: u64, span: &BlockSpan) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(base + span.offset))?;
    let mut buf = vec![0u8; span.len as usize];
    f.read_exact(&mut buf)?;
    Ok(buf)
}

/// Tallies the blocks of one source.
struct BlockTally<'a> {
    source: &'a Source,
    policy: &'a FailurePolicy,
    probe: &'a Probe<'a>,
}

impl BlockTally<'_> {
    /// Requests, bad requests and clients of one block, per window;
    /// `line_base` lines of the file come before it.
    fn tally(&self, block: &[u8], line_base: u64, mut ctx: TimeCtx) -> Vec<WindowTally> {
        let windows = self.probe.windows;
        let mut tallies = vec![WindowTally::default(); windows.len()];
        ctx.details = false;
        for (n, line) in Lines::new(block) {
            let parsed = shifted(self.source.parser.parse(line, &mut ctx), self.source.skew);
            match parsed {
                Parsed::Request { at, request } => {
                    self.count(&mut tallies, at, &request, line_base + n)
                }
                Parsed::Batch(items) => {
                    for item in items {
                        if let Parsed::Request { at, request } = item {
                            self.count(&mut tallies, at, &request, line_base + n);
                        }
                    }
                }
                _ => {}
            }
        }
        tallies
    }

    /// Counts one request into the windows it falls in.
    fn count(&self, tallies: &mut [WindowTally], at: Micros, request: &Request<'_>, line: u64) {
        let windows = self.probe.windows;
        let mut bad = None;
        for (t, &(s, e)) in tallies.iter_mut().zip(windows) {
            if at < s || at > e {
                continue;
            }
            let is_bad = *bad.get_or_insert_with(|| self.probe.criterion.bad(request, self.policy));
            t.requests += 1;
            t.first = min_opt(t.first, Some(at));
            t.last = max_opt(t.last, Some(at));
            if is_bad {
                t.bad += 1;
                let here = || Located {
                    at,
                    source: self.source.file.display.clone(),
                    line,
                };
                if t.first_bad.as_ref().is_none_or(|f| at < f.at) {
                    t.first_bad = Some(here());
                }
                if t.last_bad.as_ref().is_none_or(|l| at >= l.at) {
                    t.last_bad = Some(here());
                }
                if self.probe.per_second {
                    let one = SecondTally {
                        count: 1,
                        first: at,
                        last: at,
                    };
                    t.bad_seconds
                        .entry(at.div_euclid(SEC))
                        .and_modify(|s| s.add(one))
                        .or_insert(one);
                }
            }
            if let Some(client) = request.client.as_deref() {
                *t.clients.entry(client_hash(client)).or_insert(false) |= is_bad;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(dir: &std::path::Path, text: &str, block_size: usize) -> Reread {
        let path = dir.join("access.log");
        std::fs::write(&path, text).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let mut file = InputFile::new(
            "access.log".to_string(),
            input::Origin::Path(path.clone()),
            true,
        );
        file.size = meta.len();
        file.mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64);
        let parser = crate::format::by_name("nginx_access").unwrap();
        // Blocks as the first pass cuts them, with their time ranges.
        let mut blocks = Vec::new();
        let mut reader = BlockReader::new(std::fs::File::open(&path).unwrap(), block_size);
        let (mut offset, mut line_base) = (0u64, 0u64);
        let mut ctx = TimeCtx::new(Zone::Utc, YearAnchor::End(0));
        while let Some(b) = reader.next_block() {
            let mut lines = Lines::new(&b);
            let times: Vec<Micros> = lines
                .by_ref()
                .filter_map(|(_, l)| parser.parse(l, &mut ctx).at())
                .collect();
            blocks.push(BlockSpan {
                offset,
                len: b.len() as u64,
                line_base,
                first: times.iter().min().copied(),
                last: times.iter().max().copied(),
                layout: None,
            });
            offset += b.len() as u64;
            line_base += lines.newlines();
        }
        let first = blocks.iter().filter_map(|b| b.first).min();
        let last = blocks.iter().filter_map(|b| b.last).max();
        Reread {
            sources: vec![Source {
                file,
                parser,
                anchor: YearAnchor::End(0),
                skew: 0,
                blocks,
                compression: Compression::None,
                first,
                last,
            }],
            carried: Vec::new(),
            zone: Zone::Utc,
            block_size,
            failure: FailurePolicy::default(),
        }
    }

    fn line(sec: u32, client: &str, status: u16) -> String {
        format!(
            "{client} - - [09/Mar/2024:{:02}:{:02}:{:02} +0000] \"GET / HTTP/1.1\" {status} 5 \"-\" \"ua\"\n",
            8 + sec / 3600,
            sec / 60 % 60,
            sec % 60
        )
    }

    #[test]
    fn counts_requests_failures_and_clients_per_window_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for s in 0..7200u32 {
            let status = if (100..200).contains(&s) && s % 2 == 0 {
                502
            } else {
                200
            };
            text.push_str(&line(s, &format!("10.0.0.{}", s % 7), status));
        }
        // Small blocks: the window touches only some of them.
        let reread = source(dir.path(), &text, 4096);
        assert!(reread.sources[0].blocks.len() > 5);
        let t0 = crate::time::parse_user_time("2024-03-09T08:00:00Z", Zone::Utc).unwrap();
        let windows = [
            (t0 + 100 * SEC, t0 + 199 * SEC),
            (t0 + 10_000 * SEC, t0 + 11_000 * SEC),
        ];
        let counted = reread.count(&windows);
        assert!(counted.left_out.is_empty());
        let w = counted.exact(0).unwrap();
        assert_eq!((w.requests, w.failed, w.total), (100, 50, 7));
        // Clients seen at even seconds failed: 7 clients cycle over even
        // and odd seconds, so all of them saw a failure.
        assert_eq!(w.affected, 7);
        assert_eq!(
            (w.first, w.last),
            (Some(t0 + 100 * SEC), Some(t0 + 199 * SEC))
        );
        // The first and last failure, with the file's own line numbers
        // (line n logs second n - 1), across the small blocks.
        let first = w.first_bad.clone().unwrap();
        let last = w.last_bad.clone().unwrap();
        assert_eq!((first.at, first.line), (t0 + 100 * SEC, 101));
        assert_eq!((last.at, last.line), (t0 + 198 * SEC, 199));
        assert!(w.bad_seconds.is_empty());
        assert_eq!(counted.exact(1).unwrap(), &ClientCounts::default());
        // Other criteria: slow (none has a latency) or failed, and statuses.
        let slow = reread.count_by(&windows[..1], &Criterion::SlowerThan(1.0), false);
        assert_eq!(
            (slow.windows[0].requests, slow.windows[0].failed),
            (100, 50)
        );
        let by_status = reread.count_by(&windows[..1], &Criterion::Status(vec![200]), true);
        let w = &by_status.windows[0];
        assert_eq!((w.failed, w.affected), (50, 7));
        assert_eq!(w.bad_seconds.len(), 50);
        assert_eq!(
            w.bad_seconds
                .get(&((t0 + 101 * SEC) / SEC))
                .map(|s| s.count),
            Some(1)
        );
    }

    #[test]
    fn a_file_changed_since_the_first_read_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let reread = source(dir.path(), &line(5, "10.0.0.1", 502), 4096);
        std::fs::write(dir.path().join("access.log"), "changed\n").unwrap();
        let t0 = crate::time::parse_user_time("2024-03-09T08:00:00Z", Zone::Utc).unwrap();
        let counted = reread.count(&[(t0, t0 + 60 * SEC)]);
        assert_eq!(counted.left_out, vec!["access.log".to_string()]);
        assert_eq!(counted.exact(0), None);
    }
}
