//! The parallel engine: reads each file in newline-aligned blocks, parses
//! every line with the file's format, and produces per-file partial results
//! (statistics, bucketed series, per-second event aggregates, alerts) that
//! merge by addition.
//!
//! Files are scanned in parallel, and so are the blocks of one file. Memory
//! stays flat: what is kept grows with the time span and the number of
//! distinct event keys, never with the number of lines.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use crate::event::{EventKind, Severity};
use crate::format::{self, LogFormat};
use crate::input::{self, BlockReader, InputFile, Warning};
use crate::patterns::PatternSet;
use crate::record::{Alert, Parsed};
use crate::series::Series;
use crate::time::{self, Micros, TimeCtx, YearAnchor, Zone, SEC};

/// The pattern id of collapsed runs of failed load-balancer requests.
pub const FAILED_REQUESTS: &str = "lb.failed_requests";

/// Text kept for an event message, in characters.
const MESSAGE_CHARS: usize = 1000;

/// A format forced for some files (`--log-format [PATH=]FORMAT`).
#[derive(Clone)]
pub struct FormatOverride {
    /// `None` applies to every file.
    pub path: Option<String>,
    pub format: &'static dyn LogFormat,
}

/// Settings for a scan.
pub struct ScanOptions<'a> {
    pub zone: Zone,
    pub year: Option<i32>,
    pub since: Option<Micros>,
    pub until: Option<Micros>,
    pub bucket_seconds: i64,
    pub patterns: &'a PatternSet,
    pub overrides: Vec<FormatOverride>,
    /// Bytes per block; blocks of one file are parsed in parallel.
    pub block_size: usize,
    /// Skipped lines kept per file for `formats --show-skipped`.
    pub skipped_samples: usize,
    /// Clock corrections: (path as for overrides, microseconds to add).
    pub skews: Vec<(String, Micros)>,
    /// Called with the bytes of each block read (for a progress bar).
    pub on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

/// Line counts and time range of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// Non-blank lines.
    pub lines: u64,
    /// Lines read into records: first lines plus attached continuation lines.
    pub records: u64,
    /// Of `records`, the continuation lines (stack traces, wrapped messages).
    pub continued: u64,
    /// Lines no parser understood.
    pub skipped: u64,
    /// Records outside `--since`/`--until`.
    pub filtered: u64,
    /// Request records (load balancer and access logs).
    pub requests: u64,
    pub first: Option<Micros>,
    pub last: Option<Micros>,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// The first few skipped lines: (line number, text).
    pub skipped_samples: Vec<(u64, String)>,
}

impl FileStats {
    fn merge(&mut self, other: FileStats, keep_samples: usize) {
        self.lines += other.lines;
        self.records += other.records;
        self.continued += other.continued;
        self.skipped += other.skipped;
        self.filtered += other.filtered;
        self.requests += other.requests;
        self.bytes += other.bytes;
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        for s in other.skipped_samples {
            if self.skipped_samples.len() < keep_samples {
                self.skipped_samples.push(s);
            }
        }
    }

    /// Share of non-blank lines read into records, 1.0 for an empty file.
    pub fn read_ratio(&self) -> f64 {
        if self.lines == 0 {
            1.0
        } else {
            self.records as f64 / self.lines as f64
        }
    }
}

fn min_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<Micros>, b: Option<Micros>) -> Option<Micros> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// What identifies "the same event" for collapsing repeats within one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunKey {
    pub kind: EventKind,
    pub severity: Severity,
    pub pattern: String,
    pub key: String,
}

/// All occurrences of one event key within one second.
#[derive(Clone, Debug, PartialEq)]
pub struct SecondAgg {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
    /// Line of the first occurrence (the earliest, then lowest line).
    pub line: u64,
    pub message: String,
    pub title: Option<String>,
    pub fields: Vec<(String, String)>,
    /// For failed requests: count per status.
    pub statuses: Vec<(u16, u64)>,
}

impl SecondAgg {
    fn merge(&mut self, other: SecondAgg) {
        self.count += other.count;
        self.last = self.last.max(other.last);
        for (s, n) in &other.statuses {
            add_status(&mut self.statuses, *s, *n);
        }
        if (other.first, other.line) < (self.first, self.line) {
            self.first = other.first;
            self.line = other.line;
            self.message = other.message;
            self.title = other.title;
            self.fields = other.fields;
        }
    }
}

fn add_status(statuses: &mut Vec<(u16, u64)>, status: u16, n: u64) {
    match statuses.iter_mut().find(|(s, _)| *s == status) {
        Some((_, c)) => *c += n,
        None => statuses.push((status, n)),
    }
}

/// Most distinct event keys kept per file.
const MAX_RUN_KEYS: usize = 10_000;

/// Most distinct error templates kept per file; more are counted, not kept.
const MAX_TEMPLATES: usize = 5000;

/// All error-level messages of one template in one file.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateSeen {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
    /// Line of the first occurrence.
    pub line: u64,
    /// The first message of this template, as written.
    pub sample: String,
}

impl TemplateSeen {
    fn merge(&mut self, other: TemplateSeen) {
        self.count += other.count;
        self.last = self.last.max(other.last);
        if (other.first, other.line) < (self.first, self.line) {
            self.first = other.first;
            self.line = other.line;
            self.sample = other.sample;
        }
    }
}

/// One alert notification seen in an alert log.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertSeen {
    pub at: Micros,
    pub line: u64,
    pub alert: Alert,
}

/// What scanning (part of) one file produced.
#[derive(Clone, Debug)]
pub struct Partial {
    pub stats: FileStats,
    pub series: Series,
    pub runs: HashMap<RunKey, BTreeMap<i64, SecondAgg>>,
    pub alerts: Vec<AlertSeen>,
    /// Error-level message templates (for "new error" suspects).
    pub templates: HashMap<String, TemplateSeen>,
    /// Error-level messages per second (for clock-skew estimates).
    pub error_seconds: BTreeMap<i64, u64>,
}

impl Partial {
    fn new(bucket_seconds: i64) -> Partial {
        Partial {
            stats: FileStats::default(),
            series: Series::new(bucket_seconds),
            runs: HashMap::new(),
            alerts: Vec::new(),
            templates: HashMap::new(),
            error_seconds: BTreeMap::new(),
        }
    }

    /// Adds a later block's partial whose line numbers are already absolute.
    fn merge(&mut self, other: Partial, keep_samples: usize) {
        self.stats.merge(other.stats, keep_samples);
        self.series.merge(&other.series);
        for (key, seconds) in other.runs {
            let mine = self.runs.entry(key).or_default();
            for (sec, agg) in seconds {
                match mine.get_mut(&sec) {
                    Some(m) => m.merge(agg),
                    None => {
                        mine.insert(sec, agg);
                    }
                }
            }
        }
        self.alerts.extend(other.alerts);
        for (sec, n) in other.error_seconds {
            *self.error_seconds.entry(sec).or_insert(0) += n;
        }
        for (t, seen) in other.templates {
            let room = self.templates.len() < MAX_TEMPLATES;
            match self.templates.get_mut(&t) {
                Some(mine) => mine.merge(seen),
                None if room => {
                    self.templates.insert(t, seen);
                }
                None => {}
            }
        }
    }

    fn shift_lines(&mut self, base: u64) {
        if base == 0 {
            return;
        }
        for seconds in self.runs.values_mut() {
            for agg in seconds.values_mut() {
                agg.line += base;
            }
        }
        for a in &mut self.alerts {
            a.line += base;
        }
        for t in self.templates.values_mut() {
            t.line += base;
        }
        for s in &mut self.stats.skipped_samples {
            s.0 += base;
        }
    }

    fn record_template(&mut self, at: Micros, line: u64, text: &str) {
        let t = crate::template::template(text);
        let room = self.templates.len() < MAX_TEMPLATES;
        match self.templates.get_mut(&t) {
            Some(seen) => {
                seen.count += 1;
                seen.last = seen.last.max(at);
                if at < seen.first {
                    seen.first = at;
                    seen.line = line;
                    seen.sample = truncate_chars(text, 300);
                }
            }
            None if room => {
                self.templates.insert(
                    t,
                    TemplateSeen {
                        count: 1,
                        first: at,
                        last: at,
                        line,
                        sample: truncate_chars(text, 300),
                    },
                );
            }
            None => {}
        }
    }

    fn record_event(&mut self, mut key: RunKey, occ: Occurrence<'_>) {
        // A pattern whose key captures something per line (an id) would
        // make one run per line; past the cap, new keys share one run.
        if self.runs.len() >= MAX_RUN_KEYS && !self.runs.contains_key(&key) {
            key.key = "(other)".to_string();
        }
        let Occurrence {
            at,
            line,
            message,
            title,
            fields,
            status,
        } = occ;
        let sec = at.div_euclid(SEC);
        let seconds = self.runs.entry(key).or_default();
        match seconds.get_mut(&sec) {
            Some(agg) => {
                agg.count += 1;
                agg.last = agg.last.max(at);
                if let Some(s) = status {
                    add_status(&mut agg.statuses, s, 1);
                }
                if at < agg.first {
                    agg.first = at;
                    agg.line = line;
                    agg.message = truncate_chars(message, MESSAGE_CHARS);
                    agg.title = title;
                    agg.fields = fields;
                }
            }
            None => {
                seconds.insert(
                    sec,
                    SecondAgg {
                        count: 1,
                        first: at,
                        last: at,
                        line,
                        message: truncate_chars(message, MESSAGE_CHARS),
                        title,
                        fields,
                        statuses: status.map(|s| vec![(s, 1)]).unwrap_or_default(),
                    },
                );
            }
        }
    }
}

/// One occurrence of an event, before aggregation.
struct Occurrence<'m> {
    at: Micros,
    line: u64,
    message: &'m str,
    title: Option<String>,
    fields: Vec<(String, String)>,
    status: Option<u16>,
}

/// Cuts text to at most `max` characters, marking the cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => {
            let mut s = text[..i].to_string();
            s.push_str("… [truncated]");
            s
        }
        None => text.to_string(),
    }
}

/// Where one block of a file lies and which times its records have, so a
/// second read can go straight to the blocks an incident window touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockSpan {
    /// Offset of the block in the (decompressed) stream.
    pub offset: u64,
    pub len: u64,
    pub first: Option<Micros>,
    pub last: Option<Micros>,
}

impl BlockSpan {
    fn touches(&self, windows: &[(Micros, Micros)]) -> bool {
        match (self.first, self.last) {
            (Some(f), Some(l)) => windows.iter().any(|&(s, e)| f <= e && l >= s),
            _ => false,
        }
    }
}

/// The result of scanning one input file.
#[derive(Debug)]
pub struct FileResult {
    pub file: InputFile,
    /// The format the file was read as; `None` when nothing could be read.
    pub format: Option<&'static str>,
    /// Whether the format was given by the user rather than detected.
    pub forced: bool,
    pub partial: Partial,
    pub warnings: Vec<Warning>,
    /// Set when the file was not read at all (binary, unreadable).
    pub skipped_reason: Option<String>,
    /// What a second read of the file needs: its parser and year anchor.
    pub parser: Option<&'static dyn LogFormat>,
    pub anchor: YearAnchor,
    /// The clock correction applied to this file.
    pub skew: Micros,
    /// Whether this file's requests count as the service's traffic
    /// (decided over all files by `crate::mark_request_logs`).
    pub counts_requests: bool,
    /// The blocks the file was read in, in order.
    pub blocks: Vec<BlockSpan>,
    pub compression: input::Compression,
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

/// Bytes of a file's start used to detect its format.
const DETECT_BYTES: usize = 256 * 1024;
/// Lines of a file's start used to detect its format.
const DETECT_LINES: usize = 200;

/// A file opened and detected, waiting to be read.
struct Opened {
    file: InputFile,
    blocks: BlockReader<Box<dyn std::io::Read + Send>>,
    first_block: Vec<u8>,
    format: Option<&'static dyn LogFormat>,
    forced: bool,
    warnings: Vec<Warning>,
    opened: input::OpenInputInfo,
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
        .map(|(i, op)| (i, read_file(op, opts, YearAnchor::End(0))))
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    YearAnchor::End(now)
}

/// The month of the first RFC 3164 date in a block (for `--year` rollover).
fn first_syslog_month(block: &[u8]) -> Option<u32> {
    for line in block.split(|&b| b == b'\n').take(DETECT_LINES) {
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

fn override_for(opts: &ScanOptions, file: &InputFile) -> Option<&'static dyn LogFormat> {
    let mut general = None;
    for o in &opts.overrides {
        match &o.path {
            None => general = Some(o.format),
            Some(p) => {
                if path_matches(file, p) {
                    return Some(o.format);
                }
            }
        }
    }
    general
}

/// Whether a `--log-format`/`--skew` path names this file: the path as
/// shown, as given, or a trailing part of either.
fn path_matches(file: &InputFile, p: &str) -> bool {
    let origin = match &file.origin {
        input::Origin::Path(pb) => pb.to_string_lossy().into_owned(),
        input::Origin::Stdin => "-".to_string(),
    };
    file.display == p
        || origin == p
        || file.display.ends_with(&format!("/{p}"))
        || origin.ends_with(&format!("/{p}"))
}

fn skew_for(opts: &ScanOptions, file: &InputFile) -> Micros {
    opts.skews
        .iter()
        .filter(|(p, _)| path_matches(file, p))
        .map(|(_, by)| *by)
        .sum()
}

fn open_and_detect(
    file: InputFile,
    opts: &ScanOptions,
) -> Result<Result<Opened, FileResult>, ScanError> {
    let skipped = |file: InputFile, reason: String| FileResult {
        warnings: vec![Warning {
            path: file.display.clone(),
            message: format!("skipped: {reason}"),
        }],
        file,
        format: None,
        forced: false,
        partial: Partial::new(opts.bucket_seconds),
        skipped_reason: Some(reason),
        parser: None,
        anchor: YearAnchor::End(0),
        skew: 0,
        counts_requests: false,
        blocks: Vec::new(),
        compression: input::Compression::None,
    };
    let open = match input::open(&file) {
        Ok(o) => o,
        Err(e) => {
            if file.explicit {
                return Err(ScanError::Unreadable {
                    path: file.display.clone(),
                    message: e.to_string(),
                });
            }
            return Ok(Err(skipped(file, format!("cannot read it: {e}"))));
        }
    };
    let info = open.info();
    let mut blocks = BlockReader::new(open.reader, DETECT_BYTES);
    let first_block = blocks.next_block().unwrap_or_default();
    let mut warnings = Vec::new();
    if let Some(e) = blocks.error.take() {
        warnings.push(damage_warning(&file, &info, &e));
    }
    if input::looks_binary(&first_block) {
        if file.explicit {
            return Err(ScanError::Binary {
                path: file.display.clone(),
            });
        }
        return Ok(Err(skipped(file, "binary file, not a log".to_string())));
    }
    blocks.set_block_size(opts.block_size);
    let (format, forced) = match override_for(opts, &file) {
        Some(f) => (Some(f), true),
        None => {
            let lines: Vec<&[u8]> = first_block
                .split(|&b| b == b'\n')
                .map(strip_cr)
                .filter(|l| !format::is_blank(l))
                .take(DETECT_LINES)
                .collect();
            let mut ctx = TimeCtx::new(opts.zone, YearAnchor::End(file.mtime.unwrap_or(0)));
            (format::detect(&lines, &mut ctx), false)
        }
    };
    Ok(Ok(Opened {
        file,
        blocks,
        first_block,
        format,
        forced,
        warnings,
        opened: info,
    }))
}

fn damage_warning(file: &InputFile, info: &input::OpenInputInfo, e: &std::io::Error) -> Warning {
    let what = match info.compression {
        input::Compression::Gzip => "damaged or truncated gzip data",
        input::Compression::Zstd => "damaged or truncated zstd data",
        input::Compression::None => "read error",
    };
    Warning {
        path: file.display.clone(),
        message: format!(
            "{what} near compressed byte {}: {e}; kept every line before it",
            info.consumed()
        ),
    }
}

#[inline]
fn strip_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

fn read_file(mut op: Opened, opts: &ScanOptions, anchor: YearAnchor) -> FileResult {
    let mut partial = Partial::new(opts.bucket_seconds);
    let Some(format) = op.format else {
        // Nothing in the file's start could be read: count its lines as skipped.
        let mut lines = 0u64;
        let mut line_no = 0u64;
        let mut samples = Vec::new();
        let mut block = Some(std::mem::take(&mut op.first_block));
        while let Some(b) = block {
            partial.stats.bytes += b.len() as u64;
            for l in b.split(|&c| c == b'\n') {
                line_no += 1;
                let l = strip_cr(l);
                if !format::is_blank(l) {
                    lines += 1;
                    if samples.len() < opts.skipped_samples {
                        samples.push((line_no, display_line(l)));
                    }
                }
            }
            if b.ends_with(b"\n") {
                line_no -= 1;
            }
            block = op.blocks.next_block();
        }
        partial.stats.lines = lines;
        partial.stats.skipped = lines;
        partial.stats.skipped_samples = samples;
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
        return FileResult {
            file: op.file,
            format: None,
            forced: false,
            partial,
            warnings,
            skipped_reason: None,
            parser: None,
            anchor,
            skew: 0,
            counts_requests: false,
            blocks: Vec::new(),
            compression: op.opened.compression,
        };
    };

    let threads = rayon::current_num_threads().max(1);
    let batch_size = (threads * 2).max(2);
    let mut base_line = 0u64;
    let mut block_index = 0usize;
    let mut pending = vec![std::mem::take(&mut op.first_block)];
    let ctx = TimeCtx::new(opts.zone, anchor);
    let skew = skew_for(opts, &op.file);
    let mut spans = Vec::new();
    let mut offset = 0u64;
    let blocks = &mut op.blocks;
    read_batch(blocks, &mut pending, batch_size);
    while !(pending.is_empty() || (pending.len() == 1 && pending[0].is_empty())) {
        let first_index = block_index;
        // Read the next batch while this one is parsed.
        let mut next = Vec::with_capacity(batch_size);
        let (_, results) = rayon::join(
            || read_batch(blocks, &mut next, batch_size),
            || -> Vec<(Partial, u64)> {
                pending
                    .par_iter()
                    .enumerate()
                    .map(|(k, block)| {
                        if let Some(cb) = opts.on_progress {
                            cb(block.len() as u64);
                        }
                        parse_block(block, format, skew, first_index + k > 0, opts, ctx.clone())
                    })
                    .collect()
            },
        );
        block_index += pending.len();
        for (block, (p, _)) in pending.iter().zip(&results) {
            spans.push(BlockSpan {
                offset,
                len: block.len() as u64,
                first: p.stats.first,
                last: p.stats.last,
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
    FileResult {
        file: op.file,
        format: Some(format.name()),
        forced: op.forced,
        partial,
        warnings,
        skipped_reason: None,
        parser: Some(format),
        anchor,
        skew,
        counts_requests: false,
        blocks: spans,
        compression: op.opened.compression,
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

/// A line as shown to people: lossy UTF-8, cut to a sensible length.
fn display_line(line: &[u8]) -> String {
    truncate_chars(&String::from_utf8_lossy(line), 300)
}

/// Parses one block. Line numbers in the result are relative to the block
/// (first line = 1). Returns the partial and the number of line breaks seen.
fn parse_block(
    block: &[u8],
    format: &dyn LogFormat,
    skew: Micros,
    continues_file: bool,
    opts: &ScanOptions,
    mut ctx: TimeCtx,
) -> (Partial, u64) {
    let mut p = Partial::new(opts.bucket_seconds);
    p.stats.bytes = block.len() as u64;
    ctx.details = false;
    let format_name = format.name();
    // Continuation lines at a block's start belong to the previous block's record.
    let mut in_record = continues_file;
    let mut line_no = 0u64;
    let mut start = 0usize;
    let mut newlines = 0u64;
    let len = block.len();
    while start < len {
        let end = match memchr::memchr(b'\n', &block[start..]) {
            Some(i) => {
                newlines += 1;
                start + i
            }
            None => len,
        };
        let line = strip_cr(&block[start..end]);
        start = end + 1;
        line_no += 1;
        if line.is_empty() || format::is_blank(line) {
            continue;
        }
        p.stats.lines += 1;
        let mut parsed = format.parse(line, &mut ctx);
        if skew != 0 {
            parsed.shift(skew);
        }
        match parsed {
            Parsed::Request { at, request } => {
                p.stats.records += 1;
                p.stats.requests += 1;
                in_record = true;
                ctx.last_at = Some(at);
                if !note_time(&mut p.stats, at, opts) {
                    continue;
                }
                p.series.add_request(
                    at,
                    request.status,
                    request.failed,
                    request.backend.as_deref(),
                    request.latency_ms,
                );
                if request.failed {
                    let backend = request.backend.as_deref().unwrap_or("-");
                    p.record_event(
                        RunKey {
                            kind: EventKind::Error,
                            severity: Severity::Error,
                            pattern: FAILED_REQUESTS.to_string(),
                            key: backend.to_string(),
                        },
                        Occurrence {
                            at,
                            line: line_no,
                            message: "",
                            title: None,
                            fields: Vec::new(),
                            status: Some(request.status),
                        },
                    );
                }
            }
            Parsed::Message { at, message } => {
                p.stats.records += 1;
                in_record = true;
                ctx.last_at = Some(at);
                if !note_time(&mut p.stats, at, opts) {
                    continue;
                }
                let is_error = message.level.is_some_and(|l| l.is_error());
                p.series.add_message(at, is_error);
                if is_error {
                    p.record_template(at, line_no, &message.text);
                    *p.error_seconds.entry(at.div_euclid(SEC)).or_insert(0) += 1;
                }
                if let Some(m) = opts.patterns.find(format_name, &message.text) {
                    let mut fields = m.fields.clone();
                    for (k, v) in &message.fields {
                        if fields.len() >= 16 {
                            break;
                        }
                        if !fields.iter().any(|(fk, _)| fk == k.as_ref()) {
                            fields.push((k.to_string(), truncate_chars(v, 200)));
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
                            pattern: m.pattern.id.clone(),
                            key: m.key.clone(),
                        },
                        Occurrence {
                            at,
                            line: line_no,
                            message: &message.text,
                            title,
                            fields,
                            status: None,
                        },
                    );
                }
            }
            Parsed::Alerts { at, alerts } => {
                p.stats.records += 1;
                in_record = true;
                ctx.last_at = Some(at);
                if !note_time(&mut p.stats, at, opts) {
                    continue;
                }
                for alert in alerts {
                    p.alerts.push(AlertSeen {
                        at,
                        line: line_no,
                        alert,
                    });
                }
            }
            Parsed::Continuation if in_record => {
                p.stats.records += 1;
                p.stats.continued += 1;
                // Stack traces carry the telling line (OutOfMemoryError,
                // Caused by ...) after the first: match them too, at the
                // record's time.
                if let Some(at) = ctx.last_at {
                    if in_window(at, opts) {
                        let text = String::from_utf8_lossy(line);
                        if let Some(m) = opts.patterns.find(format_name, text.trim()) {
                            let title = (m.title != text.trim()).then(|| m.title.clone());
                            p.record_event(
                                RunKey {
                                    kind: m.pattern.kind,
                                    severity: m.pattern.severity,
                                    pattern: m.pattern.id.clone(),
                                    key: m.key.clone(),
                                },
                                Occurrence {
                                    at,
                                    line: line_no,
                                    message: text.trim(),
                                    title,
                                    fields: m.fields.clone(),
                                    status: None,
                                },
                            );
                        }
                    }
                }
            }
            _ => {
                p.stats.skipped += 1;
                if p.stats.skipped_samples.len() < opts.skipped_samples {
                    p.stats.skipped_samples.push((line_no, display_line(line)));
                }
            }
        }
    }
    (p, newlines)
}

#[inline]
fn in_window(at: Micros, opts: &ScanOptions) -> bool {
    !(opts.since.is_some_and(|s| at < s) || opts.until.is_some_and(|u| at > u))
}

/// Notes a record's time in the stats; false when it falls outside
/// `--since`/`--until` and is to be left out.
#[inline]
fn note_time(stats: &mut FileStats, at: Micros, opts: &ScanOptions) -> bool {
    if !in_window(at, opts) {
        stats.filtered += 1;
        return false;
    }
    stats.first = Some(stats.first.map_or(at, |f| f.min(at)));
    stats.last = Some(stats.last.map_or(at, |l| l.max(at)));
    true
}

/// Clients seen and clients with at least one failed request, within one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientCounts {
    pub total: u64,
    pub affected: u64,
    /// Requests and failed requests within the window, counted exactly
    /// (bucketed series cannot split the buckets at a window's edges).
    pub requests: u64,
    pub failed: u64,
    /// The first and last request within the window (where traffic stopped
    /// and resumed, for an outage that logged nothing).
    pub first: Option<Micros>,
    pub last: Option<Micros>,
}

/// What the second read gathers for one window.
#[derive(Clone, Default)]
struct WindowTally {
    clients: HashMap<Box<str>, bool>,
    requests: u64,
    failed: u64,
    first: Option<Micros>,
    last: Option<Micros>,
}

impl WindowTally {
    fn merge(&mut self, other: WindowTally) {
        self.requests += other.requests;
        self.failed += other.failed;
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        for (client, failed) in other.clients {
            let e = self.clients.entry(client).or_insert(false);
            *e |= failed;
        }
    }
}

/// Counts distinct clients per window by reading the request logs again:
/// keeping every client of every minute in the first pass would make
/// memory grow with traffic, while a second read of the few files that hold
/// requests costs little. Inputs that cannot be read twice (standard input)
/// are left out and reported in the second value.
pub fn count_clients(
    results: &[FileResult],
    windows: &[(Micros, Micros)],
    zone: Zone,
    block_size: usize,
) -> (Vec<ClientCounts>, Vec<String>) {
    let mut left_out = Vec::new();
    let sources: Vec<&FileResult> = results
        .iter()
        .filter(|r| r.parser.is_some() && crate::is_request_log(r))
        .filter(|r| {
            let ok = unchanged_since_read(&r.file);
            if !ok {
                left_out.push(r.file.display.clone());
            }
            ok
        })
        .collect();
    let tallies: Vec<Option<Vec<WindowTally>>> = sources
        .par_iter()
        .map(|r| clients_of_file(r, windows, zone, block_size))
        .collect();
    let mut merged: Vec<WindowTally> = vec![WindowTally::default(); windows.len()];
    for (r, file_tallies) in sources.iter().zip(tallies) {
        let Some(file_tallies) = file_tallies else {
            left_out.push(r.file.display.clone());
            continue;
        };
        for (w, t) in file_tallies.into_iter().enumerate() {
            merged[w].merge(t);
        }
    }
    let counts = merged
        .iter()
        .map(|t| ClientCounts {
            total: t.clients.len() as u64,
            affected: t.clients.values().filter(|f| **f).count() as u64,
            requests: t.requests,
            failed: t.failed,
            first: t.first,
            last: t.last,
        })
        .collect();
    (counts, left_out)
}

fn clients_of_file(
    r: &FileResult,
    windows: &[(Micros, Micros)],
    zone: Zone,
    block_size: usize,
) -> Option<Vec<WindowTally>> {
    let empty = || vec![WindowTally::default(); windows.len()];
    let Some(parser) = r.parser else {
        return Some(empty());
    };
    // Skip files whose time range misses every window.
    let (Some(first), Some(last)) = (r.partial.stats.first, r.partial.stats.last) else {
        return Some(empty());
    };
    if !windows.iter().any(|&(s, e)| first <= e && last >= s) {
        return Some(empty());
    }
    let ctx = TimeCtx::new(zone, r.anchor);
    let tally = |block: &[u8]| tally_block(block, parser, ctx.clone(), r.skew, windows);
    let mut out = empty();
    let merge = |out: &mut Vec<WindowTally>, parts: Vec<Vec<WindowTally>>| {
        for part in parts {
            for (w, t) in part.into_iter().enumerate() {
                out[w].merge(t);
            }
        }
    };
    // A plain file on disk: read only the blocks that touch a window.
    if let (input::Origin::Path(path), input::Compression::None) = (&r.file.origin, r.compression) {
        if !r.blocks.is_empty() {
            let wanted: Vec<&BlockSpan> = r.blocks.iter().filter(|b| b.touches(windows)).collect();
            let parts: Option<Vec<Vec<WindowTally>>> = wanted
                .par_iter()
                .map(|span| read_span(path, span).ok().map(|block| tally(&block)))
                .collect();
            merge(&mut out, parts?);
            return Some(out);
        }
    }
    // Compressed files and standard input cannot be read from the middle:
    // read the whole stream again.
    let open = input::open(&r.file).ok()?;
    let mut blocks = BlockReader::new(open.reader, block_size);
    let batch = (rayon::current_num_threads() * 2).max(2);
    let mut pending = Vec::with_capacity(batch);
    loop {
        read_batch(&mut blocks, &mut pending, batch);
        if pending.is_empty() {
            break;
        }
        let parts: Vec<Vec<WindowTally>> = pending.par_iter().map(|b| tally(b)).collect();
        merge(&mut out, parts);
        for b in pending.drain(..) {
            blocks.recycle(b);
        }
    }
    // A damaged archive stops at the same place as in the first read.
    Some(out)
}

/// Whether a file can be read a second time and is still what was read
/// the first time: a file on disk with the same size and modification time
/// (a log rotated or appended to mid-analysis would give wrong counts).
fn unchanged_since_read(file: &InputFile) -> bool {
    let input::Origin::Path(path) = &file.origin else {
        return false;
    };
    match std::fs::metadata(path) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            m.len() == file.size && (file.mtime.is_none() || mtime == file.mtime)
        }
        Err(_) => false,
    }
}

/// Reads one block of a plain file again.
fn read_span(path: &std::path::Path, span: &BlockSpan) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(span.offset))?;
    let mut buf = vec![0u8; span.len as usize];
    f.read_exact(&mut buf)?;
    Ok(buf)
}

/// Requests, failures and clients of one block, per window.
fn tally_block(
    block: &[u8],
    parser: &dyn LogFormat,
    mut ctx: TimeCtx,
    skew: Micros,
    windows: &[(Micros, Micros)],
) -> Vec<WindowTally> {
    let mut maps = vec![WindowTally::default(); windows.len()];
    ctx.details = false;
    for line in block.split(|&b| b == b'\n') {
        let line = strip_cr(line);
        if line.is_empty() {
            continue;
        }
        if let Parsed::Request { at, request } = parser.parse(line, &mut ctx) {
            let at = at + skew;
            for (w, &(s, e)) in windows.iter().enumerate() {
                if at >= s && at <= e {
                    let t = &mut maps[w];
                    t.requests += 1;
                    t.failed += request.failed as u64;
                    t.first = min_opt(t.first, Some(at));
                    t.last = max_opt(t.last, Some(at));
                    let Some(client) = request.client.as_deref() else {
                        continue;
                    };
                    match t.clients.get_mut(client) {
                        Some(f) => *f |= request.failed,
                        None => {
                            t.clients.insert(client.into(), request.failed);
                        }
                    }
                }
            }
        }
    }
    maps
}

/// Calls `each` with every record of every file, in file order then line
/// order (`postmortem records`). Files are read one after another; year-less
/// files come last, with the year implied by the others, as in [`scan_all`].
/// Returns the warnings met.
pub fn for_each_record(
    files: Vec<InputFile>,
    opts: &ScanOptions,
    each: &mut dyn FnMut(&str, &'static str, u64, &Parsed) -> std::io::Result<()>,
) -> Result<Vec<Warning>, RecordsError> {
    let mut warnings = Vec::new();
    let mut opened = Vec::new();
    for f in files {
        match open_and_detect(f, opts)? {
            Ok(op) => opened.push(op),
            Err(skipped) => warnings.extend(skipped.warnings),
        }
    }
    let (yearless, dated): (Vec<_>, Vec<_>) = opened
        .into_iter()
        .partition(|op| op.format.is_some_and(|f| f.yearless()));
    // The same buckets as `scan_all`, so both commands find the same
    // bulk of the data and give year-less files the same year.
    let mut dated_series = Series::new(opts.bucket_seconds);
    for op in dated {
        let anchor = YearAnchor::End(0);
        dump_file(
            op,
            opts,
            anchor,
            each,
            &mut warnings,
            Some(&mut dated_series),
        )?;
    }
    let range_end = end_of_bulk(&dated_series);
    for op in yearless {
        let anchor = year_anchor(&op, opts.year, range_end);
        dump_file(op, opts, anchor, each, &mut warnings, None)?;
    }
    Ok(warnings)
}

/// Errors of [`for_each_record`]: a bad input, or output that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Output(#[from] std::io::Error),
}

fn dump_file(
    mut op: Opened,
    opts: &ScanOptions,
    anchor: YearAnchor,
    each: &mut dyn FnMut(&str, &'static str, u64, &Parsed) -> std::io::Result<()>,
    warnings: &mut Vec<Warning>,
    mut times: Option<&mut Series>,
) -> Result<(), RecordsError> {
    let Some(format) = op.format else {
        warnings.push(Warning {
            path: op.file.display.clone(),
            message: "format not recognised: no records".to_string(),
        });
        return Ok(());
    };
    let mut ctx = TimeCtx::new(opts.zone, anchor);
    let skew = skew_for(opts, &op.file);
    let mut line_no = 0u64;
    let mut block = Some(std::mem::take(&mut op.first_block));
    while let Some(b) = block {
        let mut lines = b.split(|&c| c == b'\n').peekable();
        while let Some(line) = lines.next() {
            if lines.peek().is_none() && line.is_empty() {
                break;
            }
            line_no += 1;
            let line = strip_cr(line);
            if format::is_blank(line) {
                continue;
            }
            let mut parsed = format.parse(line, &mut ctx);
            if skew != 0 {
                parsed.shift(skew);
            }
            if let Some(at) = parsed.at() {
                ctx.last_at = Some(at);
                if !in_window(at, opts) {
                    continue;
                }
                if let Some(t) = times.as_deref_mut() {
                    t.add_message(at, false);
                }
            }
            each(&op.file.display, format.name(), line_no, &parsed)?;
        }
        block = op.blocks.next_block();
    }
    if let Some(e) = op.blocks.error.take() {
        warnings.push(damage_warning(&op.file, &op.opened, &e));
    }
    Ok(())
}
