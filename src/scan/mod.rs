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

pub mod fold;
pub mod lines;
pub mod open;
pub mod partial;
pub mod records;
pub mod reread;

use rayon::prelude::*;

use crate::format::{self, LogFormat};
use crate::input::{self, BlockReader, InputFile, Warning};
use crate::patterns::PatternSet;
use crate::series::Series;
use crate::time::{self, Micros, TimeCtx, YearAnchor, Zone, SEC};

pub use open::FormatOverride;
pub use partial::{AlertSeen, FileStats, Partial, RunKey, SecondAgg, TemplateSeen, TimeWindow};
pub use records::{for_each_record, RecordsError};
pub use reread::{BlockSpan, ClientCounts, Counted, Reread};

use fold::Folder;
use lines::{display_line, Lines};
use open::{damage_warning, open_and_detect, Opened, DETECT_LINES};

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
    /// Called with the bytes of each block read (for a progress bar).
    pub on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
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
    /// What a second read of the file needs (files read as some format).
    pub reread: Option<reread::Source>,
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
            reread: None,
            sha256,
        }
    }

    /// The name of the format the file was read as.
    pub fn format_name(&self) -> Option<&'static str> {
        self.format.map(|f| f.name())
    }
}

/// The digest filled in while reading, or one read on its own when the
/// read stopped early (a damaged archive, a binary file).
fn digest_of(file: &InputFile, digest: Option<&input::Digest>) -> Result<String, String> {
    if let Some(hex) = digest.and_then(|d| d.finish()) {
        return Ok(hex);
    }
    match &file.origin {
        input::Origin::Path(p) => input::sha256_file(p).map_err(|e| format!("unreadable: {e}")),
        input::Origin::Stdin => Err("standard input (not hashed: reading stopped early)".into()),
    }
}

/// A fatal problem with an explicitly named input.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "{path}: looks like a binary file, not a log (name text logs, or .gz/.zst compressed logs)"
    )]
    Binary { path: String },
    #[error("{path}: cannot read it: {message}")]
    Unreadable { path: String, message: String },
}

/// Scans every file: files with full dates first, then year-less ones
/// (RFC 3164 syslog) with the year implied by the others.
pub fn scan_all(files: Vec<InputFile>, opts: &ScanOptions) -> Result<Vec<FileResult>, ScanError> {
    // Open and detect in parallel; an explicit binary or unreadable file is an error.
    let opened: Vec<Result<Result<Opened, FileResult>, ScanError>> = files
        .into_par_iter()
        .map(|f| open_and_detect(f, opts))
        .collect();
    let mut ready = Vec::new();
    let mut results: Vec<(usize, FileResult)> = Vec::new();
    for (i, o) in opened.into_iter().enumerate() {
        match o? {
            Ok(op) => ready.push((i, op)),
            Err(skipped) => results.push((i, skipped)),
        }
    }
    let (yearless, dated): (Vec<_>, Vec<_>) = ready
        .into_iter()
        .partition(|(_, op)| op.format.is_some_and(|f| f.yearless()));

    let first_pass: Vec<(usize, FileResult)> = dated
        .into_par_iter()
        .map(|(i, op)| {
            let anchor = dated_anchor(&op);
            (i, read_file(op, opts, anchor))
        })
        .collect();
    let mut dated_series = Series::new(opts.bucket_seconds);
    for (_, r) in &first_pass {
        dated_series.merge(&r.partial.series);
    }
    let range_end = end_of_bulk(&dated_series);
    results.extend(first_pass);

    let second_pass: Vec<(usize, FileResult)> = yearless
        .into_par_iter()
        .map(|(i, op)| {
            let anchor = year_anchor(&op, opts.year, range_end);
            (i, read_file(op, opts, anchor))
        })
        .collect();
    results.extend(second_pass);
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
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
        YearAnchor::End(op.file.mtime.unwrap_or_else(now_secs))
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

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Where a year-less file takes its year from: `--year`, else the end of
/// the other inputs' time range, else the file's modification time, else now.
fn year_anchor(op: &Opened, year: Option<i32>, range_end: Option<Micros>) -> YearAnchor {
    if let Some(year) = year {
        let first_month = first_syslog_month(&op.first_block).unwrap_or(1);
        return YearAnchor::Start { year, first_month };
    }
    if let Some(end) = range_end {
        return YearAnchor::End(end.div_euclid(SEC));
    }
    if let Some(m) = op.file.mtime {
        return YearAnchor::End(m);
    }
    YearAnchor::End(now_secs())
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
fn read_unrecognised(mut op: Opened, opts: &ScanOptions) -> FileResult {
    let mut partial = Partial::new(opts.bucket_seconds);
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
        warnings.push(Warning {
            path: op.file.display.clone(),
            message: format!(
                "format not recognised: {lines} lines skipped (use --log-format {}=FORMAT; `postmortem formats` lists formats)",
                op.file.display
            ),
        });
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
        reread: None,
        sha256,
    }
}

fn read_file(mut op: Opened, opts: &ScanOptions, anchor: YearAnchor) -> FileResult {
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
    };
    let mut partial = Partial::new(opts.bucket_seconds);
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
    read_batch(blocks, &mut pending, batch_size);
    while !(pending.is_empty() || (pending.len() == 1 && pending[0].is_empty())) {
        let first_index = block_index;
        // The layout each block starts with, from the header lines before it.
        let (layouts, after) = format::layouts_at_starts(format, &pending, layout.take(), &ctx);
        layout = after;
        // Read the next batch while this one is parsed.
        let mut next = Vec::with_capacity(batch_size);
        let (_, results) = rayon::join(
            || read_batch(blocks, &mut next, batch_size),
            || -> Vec<(Partial, u64)> {
                pending
                    .par_iter()
                    .zip(&layouts)
                    .enumerate()
                    .map(|(k, (block, layout))| {
                        if let Some(cb) = opts.on_progress {
                            cb(block.len() as u64);
                        }
                        let mut ctx = ctx.clone();
                        ctx.layout = layout.clone();
                        folder.fold(block, first_index + k > 0, ctx)
                    })
                    .collect()
            },
        );
        block_index += pending.len();
        for ((block, (p, _)), layout) in pending.iter().zip(&results).zip(layouts) {
            spans.push(BlockSpan {
                offset,
                len: block.len() as u64,
                first: p.stats.first,
                last: p.stats.last,
                layout,
            });
            offset += block.len() as u64;
        }
        for block in pending.drain(..) {
            blocks.recycle(block);
        }
        for (mut p, newlines) in results {
            p.shift_lines(base_line);
            base_line += newlines;
            partial.merge(p, opts.skipped_samples);
        }
        pending = next;
    }
    let mut warnings = op.warnings;
    if let Some(e) = op.blocks.error.take() {
        warnings.push(damage_warning(&op.file, &op.opened, &e));
    }
    if format.relative_times() && partial.stats.records > 0 {
        warnings.push(ages_warning(&op.file, anchor));
    }
    let stats = &partial.stats;
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
        reread: Some(reread),
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
