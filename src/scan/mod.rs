//! The parallel engine: reads each file in newline-aligned blocks, parses
//! every line with the file's format, and produces per-file partial results
//! (statistics, bucketed series, per-second event aggregates, alerts) that
//! merge by addition.
//!
//! Files are scanned in parallel, and so are the blocks of one file. Memory
//! stays flat: what is kept grows with the time span and the number of
//! distinct event keys, never with the number of lines.
//!
//! - [`lines`]: the one line iterator every reader uses;
//! - [`open`]: opening a file, detecting its format, overrides;
//! - [`fold`]: one block's records folded into a [`Partial`];
//! - [`partial`]: the mergeable partial types;
//! - [`reread`]: the second read of the request logs (exact counts);
//! - [`records`]: `postmortem records`.

pub mod cells;
pub mod fold;
pub mod keycap;
pub mod lines;
pub mod open;
pub mod partial;
pub mod pmp;
pub mod records;
pub mod reread;
pub mod sketch;
mod spool;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::format::{self, LogFormat};
use crate::input::{self, BlockReader, InputFile, Warning};
use crate::patterns::PatternSet;
use crate::series::Series;
use crate::time::{self, Micros, TimeCtx, YearAnchor, Zone, SEC};

pub use open::FormatOverride;
pub use partial::{
    AlertKey, AlertSeen, FileStats, Partial, RunKey, SecondAgg, TemplateSeen, TimeWindow,
};
pub use records::{for_each_record, RecordsError};
pub use reread::{BlockSpan, ClientCounts, Counted, Criterion, Located, Reread, SecondTally};

use fold::Folder;
use lines::{display_line, Lines};
use open::{damage_warning, Opened, DETECT_LINES};

/// Settings for a scan.
pub struct ScanOptions<'a> {
    pub zone: Zone,
    pub year: Option<i32>,
    /// `--since`/`--until`.
    pub window: TimeWindow,
    pub bucket_seconds: i64,
    pub patterns: &'a PatternSet,
    pub overrides: Vec<FormatOverride>,
    /// Bytes per block; blocks of one file are parsed in parallel.
    pub block_size: usize,
    /// Skipped lines kept per file for `formats --show-skipped`.
    pub skipped_samples: usize,
    /// Clock corrections: (path as for overrides, microseconds to add).
    pub skews: Vec<(String, Micros)>,
    /// Hash every input as stored (SHA-256) while reading it.
    pub digests: bool,
    /// What counts as a failed request (`--failed-status`).
    pub failure: &'a crate::record::FailurePolicy,
    /// Called with the bytes of each block read (for a progress bar).
    pub on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
    /// Keep the request rows a partial file carries ([`cells`]), with at
    /// most this many distinct clients per input as hashes.
    pub cells: Option<usize>,
}

/// The result of scanning one input file.
#[derive(Debug)]
pub struct FileResult {
    pub file: InputFile,
    /// The format the file was read as; `None` when nothing could be read.
    pub format: Option<&'static dyn LogFormat>,
    /// Whether the format was given by the user rather than detected.
    pub forced: bool,
    pub partial: Partial,
    pub warnings: Vec<Warning>,
    /// Set when the file was not read at all (binary, unreadable).
    pub skipped_reason: Option<String>,
    /// Set when reading stopped early (damaged or cut compressed data, a
    /// read error): what happened; the lines before it were read.
    pub damaged: Option<String>,
    /// What a second read of the file needs (files read as some format).
    pub reread: Option<reread::Source>,
    /// For an input read from a partial: its request rows, which stand in
    /// for a second read.
    pub carried: Option<cells::Carried>,
    /// SHA-256 of the file as stored, when the options asked for it.
    pub sha256: Option<Result<String, String>>,
}

impl FileResult {
    /// A file that is not read (binary, unreadable), with its warning.
    fn skipped(file: InputFile, reason: String, opts: &ScanOptions) -> FileResult {
        let sha256 = opts.digests.then(|| digest_of(&file, None));
        FileResult {
            warnings: vec![Warning {
                path: file.display.clone(),
                message: format!("skipped: {reason}"),
            }],
            file,
            format: None,
            forced: false,
            partial: Partial::new(opts.bucket_seconds),
            skipped_reason: Some(reason),
            damaged: None,
            reread: None,
            carried: None,
            sha256,
        }
    }

    /// The name of the format the file was read as.
    pub fn format_name(&self) -> Option<&'static str> {
        self.format.map(|f| f.name())
    }
}

/// The digest filled in while reading, or one read on its own when the
/// read stopped early (a damaged archive, a binary file). What was not
/// read in place (an entry skipped in a folder, a member of an archive)
/// is not hashed on its own.
pub(crate) fn digest_of(
    file: &InputFile,
    digest: Option<&input::Digest>,
) -> Result<String, String> {
    if let Some(hex) = digest.and_then(|d| d.finish()) {
        return Ok(hex);
    }
    if file.not_read.is_some() {
        return Err("not hashed: not read".into());
    }
    if file.member.is_some() {
        return Err("not hashed: reading stopped early".into());
    }
    match &file.origin {
        input::Origin::Path(p) => input::sha256_file(p).map_err(|e| format!("unreadable: {e}")),
        input::Origin::Stdin => Err("standard input (not hashed: reading stopped early)".into()),
        input::Origin::Object(o) => {
            input::object::sha256_object(o).map_err(|e| format!("unreadable: {e}"))
        }
    }
}

/// A fatal problem with an explicitly named input.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "{path}: looks like a binary file, not a log (name text logs, compressed logs (.gz, .zst, .bz2, .xz) or archives of them (.tar, .tar.gz, .zip))"
    )]
    Binary { path: String },
    #[error("{path}: cannot read it: {message}")]
    Unreadable { path: String, message: String },
}

/// Inputs open at once, at most: each is read with every thread on its
/// blocks, so more would only hold more files open and more blocks in
/// memory.
pub(crate) fn in_flight() -> usize {
    (rayon::current_num_threads() * 4).clamp(4, 64)
}

/// A year-less stream left for the second pass.
enum Later {
    /// Read again from its file (entry `entry` of the input; `member`:
    /// of an archive).
    Reopen {
        seq: usize,
        entry: usize,
        member: bool,
    },
    /// A stream that cannot be read twice (standard input), held in a
    /// spool file.
    Spooled { seq: usize, held: Box<spool::Held> },
}

/// What the first pass made of one input: the results of its streams
/// (by their place in the input) and the year-less ones left for later.
#[derive(Default)]
struct FirstPass {
    results: Vec<(usize, FileResult)>,
    later: Vec<Later>,
}

/// What the scan of every input made: one result per stream, in input
/// order, and the warnings about the whole (caps over all files).
#[derive(Debug)]
pub struct Scanned {
    pub files: Vec<FileResult>,
    pub warnings: Vec<Warning>,
}

/// The results of the streams read so far, with the caps over all of
/// them applied as each finishes (in input order, whatever the threads).
struct Finished {
    /// (input, place in the input, result), in the order admitted.
    results: Vec<(usize, usize, FileResult)>,
    keys: keycap::KeyCap<RunKey, u64>,
    backends: keycap::KeyCap<Box<str>, (u64, u64)>,
    /// Distinct alerts kept so far (at most [`partial::MAX_ALERTS`]), and
    /// the notifications of those past the cap.
    alerts_kept: usize,
    alerts_dropped: u64,
}

impl Finished {
    fn new(files: usize) -> Finished {
        Finished {
            results: Vec::with_capacity(files),
            keys: keycap::KeyCap::new(keycap::MAX_EVENT_KEYS),
            backends: keycap::KeyCap::new(crate::series::MAX_BACKENDS),
            alerts_kept: 0,
            alerts_dropped: 0,
        }
    }

    fn admit(&mut self, input: usize, seq: usize, mut r: FileResult) {
        let at = self.results.len();
        let keys = self.keys.admit(at, keycap::run_tallies(&r.partial.runs));
        keycap::fold_keys(&mut r.partial.runs, keys.here.iter());
        for (key, files) in keys.displaced {
            for f in files {
                keycap::fold_keys(&mut self.results[f].2.partial.runs, std::iter::once(&key));
            }
        }
        let backends = self.backends.admit(at, r.partial.series.backend_tallies());
        let here = backends.here.iter().map(|n| &**n).collect();
        r.partial.series.fold_backends(&here);
        let mut earlier: FxHashMap<usize, FxHashSet<&str>> = FxHashMap::default();
        for (name, files) in &backends.displaced {
            for f in files {
                earlier.entry(*f).or_default().insert(name);
            }
        }
        for (f, names) in earlier {
            self.results[f].2.partial.series.fold_backends(&names);
        }
        // Alerts: the first files' first, up to the cap over all files.
        r.partial
            .cap_alerts(partial::MAX_ALERTS.saturating_sub(self.alerts_kept));
        self.alerts_kept += r.partial.alerts.len();
        self.alerts_dropped += r.partial.alerts_dropped;
        self.results.push((input, seq, r));
    }

    /// The results in input order, and the warnings of the caps.
    fn finish(self) -> Scanned {
        let mut warnings = Vec::new();
        let mut push = |message: Option<String>| {
            warnings.extend(message.map(|message| Warning {
                path: "(all inputs)".to_string(),
                message,
            }))
        };
        push(self.keys.stats().warning());
        let backends = self.backends.stats();
        push(backends.warning_for("backends", "failed requests", "in each time bucket"));
        push((self.alerts_dropped > 0).then(|| {
            format!(
                "more than {} distinct alerts: the first {} kept (copies of one alert count once), and {} more notifications left out of the timeline",
                crate::display::group_thousands(partial::MAX_ALERTS as u64),
                crate::display::group_thousands(self.alerts_kept as u64),
                crate::display::group_thousands(self.alerts_dropped),
            )
        }));
        let mut results = self.results;
        results.sort_by_key(|(input, seq, _)| (*input, *seq));
        Scanned {
            files: results
                .into_iter()
                .map(|(_, _, mut r)| {
                    r.partial.series.folded_backends = backends.folded;
                    r
                })
                .collect(),
            warnings,
        }
    }
}

/// Scans every file: files with full dates first, then year-less ones
/// (RFC 3164 syslog) with the year implied by the others.
///
/// Inputs are opened when they are read, a bounded number at once: each
/// is opened, detected, read and closed; a year-less stream is noted and
/// opened again in the second pass rather than held open. Each result
/// is admitted under the caps over all files as it comes
/// ([`keycap`]), so what is held is bounded by the caps, not by files ×
/// keys.
pub fn scan_all(files: Vec<InputFile>, opts: &ScanOptions) -> Result<Scanned, ScanError> {
    scan_all_with(files, Vec::new(), opts)
}

/// [`scan_all`] with results already made elsewhere (read from partial
/// files): they come after the files, in their order, under the same caps,
/// and their time range counts for the year of year-less files.
pub fn scan_all_with(
    files: Vec<InputFile>,
    preloaded: Vec<FileResult>,
    opts: &ScanOptions,
) -> Result<Scanned, ScanError> {
    let mut done = Finished::new(files.len() + preloaded.len());
    let mut later: Vec<(usize, Vec<Later>)> = Vec::new();
    let mut dated_series = Series::new(opts.bucket_seconds);
    for r in &preloaded {
        dated_series.merge_totals(&r.partial.series);
    }
    let mut base = 0usize;
    for chunk in files.chunks(in_flight()) {
        let firsts: Vec<Result<FirstPass, ScanError>> =
            chunk.par_iter().map(|f| first_pass(f, opts)).collect();
        for (k, d) in firsts.into_iter().enumerate() {
            let d = d?;
            for (seq, r) in d.results {
                dated_series.merge_totals(&r.partial.series);
                done.admit(base + k, seq, r);
            }
            if !d.later.is_empty() {
                later.push((base + k, d.later));
            }
        }
        base += chunk.len();
    }
    let loaded_from = files.len();
    for (k, r) in preloaded.into_iter().enumerate() {
        done.admit(loaded_from + k, 0, r);
    }
    let range_end = end_of_bulk(&dated_series);
    drop(dated_series);
    for chunk in later.chunks(in_flight()) {
        let seconds: Vec<Result<Vec<(usize, FileResult)>, ScanError>> = chunk
            .par_iter()
            .map(|(i, later)| second_pass(&files[*i], later, opts, range_end))
            .collect();
        for ((i, _), d) in chunk.iter().zip(seconds) {
            let mut d = d?;
            d.sort_by_key(|(seq, _)| *seq);
            for (seq, r) in d {
                done.admit(*i, seq, r);
            }
        }
    }
    Ok(done.finish())
}

/// The first pass over one input: every stream with full dates is read,
/// year-less ones are noted.
fn first_pass(file: &InputFile, opts: &ScanOptions) -> Result<FirstPass, ScanError> {
    let mut out = FirstPass::default();
    let mut seq = 0usize;
    open::each_stream::<ScanError>(file, opts, None, &mut |stream| {
        let here = seq;
        seq += 1;
        match stream {
            Err(skipped) => out.results.push((here, skipped)),
            Ok(op) if op.format.is_some_and(|f| f.yearless()) => {
                if op.file.origin.rereadable() {
                    let entry = op.file.member.as_ref().map_or(0, |m| m.index);
                    out.later.push(Later::Reopen {
                        seq: here,
                        entry,
                        member: op.file.member.is_some(),
                    });
                } else {
                    match spool::hold(op) {
                        Ok(held) => out.later.push(Later::Spooled {
                            seq: here,
                            held: Box::new(held),
                        }),
                        Err(failed) => {
                            let (op, e) = *failed;
                            let mut r = read_file(op, opts, YearAnchor::End(now()));
                            r.warnings.push(Warning {
                                path: r.file.display.clone(),
                                message: format!(
                                    "cannot hold standard input for the year-less second pass ({e}): its year is taken from today (give --year)"
                                ),
                            });
                            out.results.push((here, r));
                        }
                    }
                }
            }
            Ok(op) => {
                let anchor = dated_anchor(&op);
                out.results.push((here, read_file(op, opts, anchor)))
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// The second pass over one input: its year-less streams, read with the
/// year the others imply.
fn second_pass(
    file: &InputFile,
    later: &[Later],
    opts: &ScanOptions,
    range_end: Option<Micros>,
) -> Result<Vec<(usize, FileResult)>, ScanError> {
    let mut out = Vec::new();
    let mut reopen: Vec<(usize, usize)> = Vec::new();
    let mut archive = false;
    for l in later {
        match l {
            Later::Reopen { seq, entry, member } => {
                archive |= *member;
                reopen.push((*entry, *seq));
            }
            Later::Spooled { seq, held } => {
                let mut r = spool::read_back(&held.spool, &held.file, opts, |op| {
                    let anchor = year_anchor(&op, opts.year, range_end);
                    read_file(op, opts, anchor)
                })?
                .unwrap_or_else(|r| r);
                r.sha256 = held.sha256.clone();
                let mut w = held.warnings.clone();
                w.append(&mut r.warnings);
                r.warnings = w;
                out.push((*seq, r));
            }
        }
    }
    if reopen.is_empty() {
        return Ok(out);
    }
    let seq_of = |entry: usize| reopen.iter().find(|(e, _)| *e == entry).map(|(_, s)| *s);
    let wanted = |i: usize| seq_of(i).is_some();
    let last = reopen.iter().map(|(e, _)| *e).max().unwrap_or(0);
    open::each_stream::<ScanError>(file, opts, Some((&wanted, last)), &mut |stream| {
        let stream_file = match &stream {
            Ok(op) => &op.file,
            Err(r) => &r.file,
        };
        // A plain file is its one stream; of an archive, only the members
        // asked for (its damage was reported in the first pass).
        let seq = match &stream_file.member {
            Some(m) => seq_of(m.index),
            None if !archive => Some(reopen[0].1),
            None => None,
        };
        let Some(seq) = seq else {
            return Ok(());
        };
        let r = match stream {
            Ok(op) => {
                let anchor = year_anchor(&op, opts.year, range_end);
                read_file(op, opts, anchor)
            }
            Err(r) => r,
        };
        out.push((seq, r));
        Ok(())
    })?;
    Ok(out)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The end of the bulk of the data: one stray line dated years away (a
/// host whose clock jumped) must not move every year-less date with it.
fn end_of_bulk(series: &Series) -> Option<Micros> {
    let core = series.core(|b| b.requests.saturating_add(b.messages))?;
    Some(
        series
            .bucket_start(core.last.saturating_add(1))
            .saturating_sub(1),
    )
}

/// The anchor of a file with full dates: none needed, unless its times are
/// ages ([`LogFormat::relative_times`]): then when the file was written,
/// its modification time (now for standard input).
fn dated_anchor(op: &Opened) -> YearAnchor {
    if op.format.is_some_and(|f| f.relative_times()) {
        YearAnchor::End(op.file.content_mtime().unwrap_or_else(now))
    } else {
        YearAnchor::End(0)
    }
}

/// The warning for a file whose times are ages counted back from `anchor`.
fn ages_warning(file: &InputFile, anchor: YearAnchor) -> Warning {
    let from = match (anchor, file.mtime) {
        (YearAnchor::End(secs), Some(_)) => format!(
            "the file's modification time, {}",
            time::format_rfc3339(secs.saturating_mul(SEC))
        ),
        _ => "the time it was read".to_string(),
    };
    Warning {
        path: file.display.clone(),
        message: format!(
            "its times are ages (such as `47m`), counted back from {from}; if the file was copied or touched after it was written, correct them with --skew {}=±DURATION",
            file.display
        ),
    }
}

/// Where a year-less file takes its year from: `--year`, else the end of
/// the other inputs' time range, else the file's modification time, else now.
fn year_anchor(op: &Opened<'_>, year: Option<i32>, range_end: Option<Micros>) -> YearAnchor {
    if let Some(year) = year {
        let first_month = first_syslog_month(&op.first_block).unwrap_or(1);
        return YearAnchor::Start { year, first_month };
    }
    if let Some(end) = range_end {
        return YearAnchor::End(end.div_euclid(SEC));
    }
    if let Some(m) = op.file.content_mtime() {
        return YearAnchor::End(m);
    }
    YearAnchor::End(now())
}

/// The month of the first RFC 3164 date in a block (for `--year` rollover).
fn first_syslog_month(block: &[u8]) -> Option<u32> {
    for (_, line) in Lines::new(block).take(DETECT_LINES) {
        let mut l = line;
        if l.first() == Some(&b'<') {
            if let Some(i) = memchr::memchr(b'>', l) {
                l = &l[i + 1..];
            }
        }
        if let Some((stamp, _)) = time::parse_syslog_date(l) {
            return Some(stamp.month);
        }
    }
    None
}

/// Reads a file whose start no format could read: its lines are counted
/// as skipped (a few kept to show).
fn read_unrecognised(mut op: Opened<'_>, opts: &ScanOptions) -> FileResult {
    let mut partial = Partial::new(opts.bucket_seconds);
    // Lines in a shape postmortem knows but without times are named as
    // such: "not recognised" would send the user looking for a format.
    let timeless = {
        let sample: Vec<&[u8]> = Lines::new(&op.first_block)
            .take(200)
            .map(|(_, l)| l)
            .collect();
        crate::format::timeless::shape_of(&sample)
    };
    let mut base = 0u64;
    let mut block = Some(std::mem::take(&mut op.first_block));
    while let Some(b) = block {
        partial.stats.bytes += b.len() as u64;
        let mut lines = Lines::new(&b);
        for (n, l) in lines.by_ref() {
            partial.stats.lines += 1;
            if partial.stats.skipped_samples.len() < opts.skipped_samples {
                partial
                    .stats
                    .skipped_samples
                    .push((base + n, display_line(l)));
            }
        }
        base += lines.newlines();
        block = op.blocks.next_block();
    }
    let lines = partial.stats.lines;
    partial.stats.skipped = lines;
    let mut warnings = op.warnings;
    if lines > 0 {
        let message = match timeless {
            Some(shape) => format!(
                "no timestamps: {lines} lines skipped; they are {}, which cannot be placed on the timeline (if a time is there after all, name its format with --log-format {}=FORMAT)",
                shape.describe(),
                op.file.display
            ),
            None => format!(
                "format not recognised: {lines} lines skipped (use --log-format {}=FORMAT; `postmortem formats` lists formats)",
                op.file.display
            ),
        };
        warnings.push(Warning {
            path: op.file.display.clone(),
            message,
        });
    }
    let mut damaged = op.damaged.take();
    if let Some(e) = op.blocks.error.take() {
        let w = damage_warning(&op.file, &op.opened, &e);
        damaged = Some(w.message.clone());
        warnings.push(w);
    }
    let sha256 = opts
        .digests
        .then(|| digest_of(&op.file, op.digest.as_ref()));
    FileResult {
        file: op.file,
        format: None,
        forced: false,
        partial,
        warnings,
        skipped_reason: None,
        damaged,
        reread: None,
        carried: None,
        sha256,
    }
}

fn read_file(mut op: Opened<'_>, opts: &ScanOptions, anchor: YearAnchor) -> FileResult {
    let Some(format) = op.format else {
        return read_unrecognised(op, opts);
    };
    let folder = Folder {
        format,
        patterns: opts.patterns,
        window: opts.window,
        skew: op.skew,
        bucket_seconds: opts.bucket_seconds,
        skipped_samples: opts.skipped_samples,
        failure: opts.failure,
        change_source: crate::source::is_change_name(&op.file.display),
        cells: opts.cells.is_some(),
    };
    let mut partial = Partial::new(opts.bucket_seconds);
    if let Some(limit) = opts.cells {
        partial.cells = Some(cells::Cells::bounded(limit, opts.bucket_seconds));
    }
    let threads = rayon::current_num_threads().max(1);
    let batch_size = (threads * 2).max(2);
    let mut base_line = 0u64;
    let mut block_index = 0usize;
    let mut pending = vec![std::mem::take(&mut op.first_block)];
    let ctx = TimeCtx::new(opts.zone, anchor);
    let mut spans = Vec::new();
    let mut offset = 0u64;
    let mut layout = None;
    let blocks = &mut op.blocks;
    // The format's pattern matcher is built while the first batch is read
    // (the reader stays on this thread, as below), for the formats whose
    // lines are messages: a request log's lines never reach the patterns,
    // and it would wait for a matcher it does not use.
    let messages = matches!(
        format.role(),
        format::Role::Application | format::Role::System
    );
    rayon::in_place_scope(|s| {
        let (patterns, name) = (opts.patterns, format.name());
        if messages {
            s.spawn(move |_| patterns.prepare(name));
        }
        read_batch(blocks, &mut pending, batch_size);
    });
    while !(pending.is_empty() || (pending.len() == 1 && pending[0].is_empty())) {
        let first_index = block_index;
        // The layout each block starts with, from the header lines before it.
        let (layouts, after) = format::layouts_at_starts(format, &pending, layout.take(), &ctx);
        layout = after;
        // Read the next batch while this one is parsed.
        let mut next = Vec::with_capacity(batch_size);
        let mut results: Vec<(Partial, u64)> = Vec::new();
        // The reader stays on this thread (a member of an archive borrows
        // the archive); the batch is parsed by the pool meanwhile.
        rayon::in_place_scope(|s| {
            let (pending, results, folder, ctx) = (&pending, &mut results, &folder, &ctx);
            let layouts = &layouts;
            s.spawn(move |_| {
                *results = pending
                    .par_iter()
                    .zip(layouts)
                    .enumerate()
                    .map(|(k, (block, layout))| {
                        if let Some(cb) = opts.on_progress {
                            cb(block.len() as u64);
                        }
                        let mut ctx = ctx.clone();
                        ctx.layout = layout.clone();
                        folder.fold(block, first_index + k > 0, ctx)
                    })
                    .collect();
            });
            read_batch(blocks, &mut next, batch_size);
        });
        block_index += pending.len();
        for ((block, (mut p, newlines)), layout) in pending.iter().zip(results).zip(layouts) {
            spans.push(BlockSpan {
                offset,
                len: block.len() as u64,
                line_base: base_line,
                first: p.stats.first,
                last: p.stats.last,
                layout,
            });
            offset += block.len() as u64;
            p.shift_lines(base_line);
            base_line += newlines;
            partial.merge(p, opts.skipped_samples);
        }
        for block in pending.drain(..) {
            blocks.recycle(block);
        }
        pending = next;
    }
    let mut warnings = op.warnings;
    let mut damaged = op.damaged.take();
    if let Some(e) = op.blocks.error.take() {
        let w = damage_warning(&op.file, &op.opened, &e);
        damaged = Some(w.message.clone());
        warnings.push(w);
    }
    if let Some(limit) = partial.cells.as_ref().and_then(cells::Cells::passed_bound) {
        warnings.push(Warning {
            path: op.file.display.clone(),
            message: format!(
                "more than {limit} distinct clients: the partial sketches them per {}-second bucket (HyperLogLog), so a merge estimates client counts (about ±{:.1} %) and marks them estimated; requests and failures stay exact (raise the bound with --client-limit)",
                opts.bucket_seconds,
                sketch::ERROR_PCT
            ),
        });
    }
    if format.relative_times() && partial.stats.records > 0 {
        warnings.push(ages_warning(&op.file, anchor));
    }
    let stats = &partial.stats;
    for message in time::ambiguous_warnings(stats.ambiguous_zones, opts.zone) {
        warnings.push(Warning {
            path: op.file.display.clone(),
            message,
        });
    }
    if stats.lines >= 10 && stats.read_ratio() < 0.99 {
        warnings.push(Warning {
            path: op.file.display.clone(),
            message: format!(
                "read as {} but {} of {} lines were not understood (see `postmortem formats --show-skipped`)",
                format.name(),
                stats.skipped,
                stats.lines
            ),
        });
    }
    let sha256 = opts
        .digests
        .then(|| digest_of(&op.file, op.digest.as_ref()));
    let reread = reread::Source {
        file: op.file.clone(),
        parser: format,
        anchor,
        skew: op.skew,
        blocks: spans,
        compression: op.opened.compression,
        first: partial.stats.first,
        last: partial.stats.last,
    };
    FileResult {
        file: op.file,
        format: Some(format),
        forced: op.forced,
        partial,
        warnings,
        skipped_reason: None,
        damaged,
        reread: Some(reread),
        carried: None,
        sha256,
    }
}

/// Fills `batch` with up to `size` blocks.
fn read_batch<R: std::io::Read>(
    blocks: &mut BlockReader<R>,
    batch: &mut Vec<Vec<u8>>,
    size: usize,
) {
    while batch.len() < size {
        match blocks.next_block() {
            Some(b) => batch.push(b),
            None => break,
        }
    }
}
