//! `postmortem records`: every line of every input as parsed, in file
//! order then line order, with the same years, clock corrections and
//! `--since`/`--until` as the analysis.

use crate::input::{InputFile, Warning};
use crate::record::Parsed;
use crate::series::Series;
use crate::time::{TimeCtx, YearAnchor};

use super::fold::shifted;
use super::lines::Lines;
use super::open::{damage_warning, open_and_detect, Opened};
use super::{end_of_bulk, year_anchor, ScanError, ScanOptions};

/// Errors of [`for_each_record`]: a bad input, or output that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Output(#[from] std::io::Error),
}

/// What `each` is told about one line: its source, format, line number and record.
pub type EachRecord<'e> = dyn FnMut(&str, &'static str, u64, &Parsed) -> std::io::Result<()> + 'e;

/// Calls `each` with every record of every file. Files are read one after
/// another; year-less files come last, with the year implied by the
/// others, as in [`super::scan_all`]. Returns the warnings met.
pub fn for_each_record(
    files: Vec<InputFile>,
    opts: &ScanOptions,
    each: &mut EachRecord,
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
        let anchor = super::dated_anchor(&op);
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

fn dump_file(
    mut op: Opened,
    opts: &ScanOptions,
    anchor: YearAnchor,
    each: &mut EachRecord,
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
    let mut base = 0u64;
    let mut block = Some(std::mem::take(&mut op.first_block));
    while let Some(b) = block {
        let mut lines = Lines::new(&b);
        for (n, line) in lines.by_ref() {
            let parsed = shifted(format.parse(line, &mut ctx), op.skew);
            if let Some(at) = parsed.at() {
                ctx.last_at = Some(at);
                if !opts.window.contains(at) {
                    continue;
                }
                if let Some(t) = times.as_deref_mut() {
                    t.add_message(at, false);
                }
            }
            each(&op.file.display, format.name(), base + n, &parsed)?;
        }
        base += lines.newlines();
        block = op.blocks.next_block();
    }
    if let Some(e) = op.blocks.error.take() {
        warnings.push(damage_warning(&op.file, &op.opened, &e));
    }
    if format.relative_times() {
        warnings.push(super::ages_warning(&op.file, anchor));
    }
    Ok(())
}
