//! `postmortem records`: every line of every input as parsed, in file
//! order then line order, with the same years, clock corrections and
//! `--since`/`--until` as the analysis.

use crate::input::{InputFile, Warning};
use crate::record::Parsed;
use crate::series::Series;
use crate::time::{TimeCtx, YearAnchor};

use super::fold::shifted;
use super::lines::Lines;
use super::open::{damage_warning, each_stream, Opened};
use super::spool;
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
    // The same buckets as `scan_all`, so both commands find the same
    // bulk of the data and give year-less files the same year.
    let mut dated_series = Series::new(opts.bucket_seconds);
    // Year-less streams: (input, entries to open again, spooled copies).
    let mut later: Vec<(usize, Vec<usize>, bool)> = Vec::new();
    let mut spooled = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let mut reopen = Vec::new();
        let mut member = false;
        each_stream::<RecordsError>(f, opts, None, &mut |stream| {
            match stream {
                Err(skipped) => warnings.extend(skipped.warnings),
                Ok(op) if op.format.is_some_and(|f| f.yearless()) => {
                    if op.file.origin.rereadable() {
                        member |= op.file.member.is_some();
                        reopen.push(op.file.member.as_ref().map_or(0, |m| m.index));
                    } else {
                        match spool::hold(op) {
                            Ok(held) => spooled.push(held),
                            Err(failed) => {
                                let (op, e) = *failed;
                                warnings.push(Warning {
                                    path: op.file.display.clone(),
                                    message: format!("cannot hold standard input for the year-less second pass ({e}): its year is taken from today"),
                                });
                                let anchor = YearAnchor::End(super::now());
                                dump_file(op, opts, anchor, each, &mut warnings, None)?;
                            }
                        }
                    }
                }
                Ok(op) => {
                    let anchor = super::dated_anchor(&op);
                    dump_file(
                        op,
                        opts,
                        anchor,
                        each,
                        &mut warnings,
                        Some(&mut dated_series),
                    )?
                }
            }
            Ok(())
        })?;
        if !reopen.is_empty() {
            later.push((i, reopen, member));
        }
    }
    let range_end = end_of_bulk(&dated_series);
    for (i, entries, member) in later {
        let last = entries.iter().copied().max().unwrap_or(0);
        let wanted = |e: usize| entries.contains(&e);
        each_stream::<RecordsError>(&files[i], opts, Some((&wanted, last)), &mut |stream| {
            match stream {
                Ok(op) if !member || op.file.member.is_some() => {
                    let anchor = year_anchor(&op, opts.year, range_end);
                    dump_file(op, opts, anchor, each, &mut warnings, None)?;
                }
                Err(skipped) if !member || skipped.file.member.is_some() => {
                    warnings.extend(skipped.warnings)
                }
                _ => {}
            }
            Ok(())
        })?;
    }
    for held in spooled {
        warnings.extend(held.warnings.iter().cloned());
        let dumped = spool::read_back(&held.spool, &held.file, opts, |op| {
            let anchor = year_anchor(&op, opts.year, range_end);
            let mut w = Vec::new();
            let r = dump_file(op, opts, anchor, each, &mut w, None);
            (r, w)
        })?;
        match dumped {
            Ok((r, w)) => {
                r?;
                warnings.extend(w);
            }
            Err(skipped) => warnings.extend(skipped.warnings),
        }
    }
    Ok(warnings)
}

/// Lines held for one record, at most: past that they are framing.
const MAX_HELD_LINES: usize = 256;

/// Gives lines held for a record that never came as framing lines.
fn flush_held(
    held: &mut Vec<u64>,
    source: &str,
    format: &'static str,
    each: &mut EachRecord,
) -> std::io::Result<()> {
    for line in held.drain(..) {
        each(source, format, line, &Parsed::Framing)?;
    }
    Ok(())
}

fn dump_file(
    mut op: Opened<'_>,
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
    let mut held: Vec<u64> = Vec::new();
    let mut block = Some(std::mem::take(&mut op.first_block));
    while let Some(b) = block {
        let mut lines = Lines::new(&b);
        let lookahead = format.needs_next_line();
        while let Some((n, line)) = lines.next() {
            let parsed = if lookahead {
                format.parse_with_next(line, lines.peek(), &mut ctx)
            } else {
                format.parse(line, &mut ctx)
            };
            let parsed = shifted(parsed, op.skew);
            let n = base + n;
            // Lines held for a record a later line completes: the record is
            // given at the first of them, the others follow it as its
            // continuation lines.
            match parsed {
                Parsed::Held => {
                    held.push(n);
                    continue;
                }
                Parsed::Framing if !held.is_empty() && held.len() < MAX_HELD_LINES => {
                    held.push(n);
                    continue;
                }
                ref p if p.is_record() => {}
                // A joined line that continues the record before it (a
                // stack frame split by the runtime): its pieces do too.
                Parsed::Continuation => {
                    for line in held.drain(..) {
                        each(&op.file.display, format.name(), line, &Parsed::Continuation)?;
                    }
                }
                _ => flush_held(&mut held, &op.file.display, format.name(), each)?,
            }
            let first = held.first().copied();
            let mut one = |parsed: &Parsed| -> std::io::Result<()> {
                if let Some(at) = parsed.at() {
                    ctx.last_at = Some(at);
                    ctx.in_record = true;
                    if !opts.window.contains(at) {
                        return Ok(());
                    }
                    if let Some(t) = times.as_deref_mut() {
                        t.add_message(at, false);
                    }
                }
                each(&op.file.display, format.name(), first.unwrap_or(n), parsed)
            };
            match &parsed {
                Parsed::Batch(items) => items.iter().try_for_each(&mut one)?,
                single => one(single)?,
            }
            if first.is_some() {
                for &line in held.iter().skip(1).chain(std::iter::once(&n)) {
                    each(&op.file.display, format.name(), line, &Parsed::Continuation)?;
                }
                held.clear();
            }
        }
        base += lines.newlines();
        block = op.blocks.next_block();
    }
    flush_held(&mut held, &op.file.display, format.name(), each)?;
    if let Some(e) = op.blocks.error.take() {
        warnings.push(damage_warning(&op.file, &op.opened, &e));
    }
    if format.relative_times() {
        warnings.push(super::ages_warning(&op.file, anchor));
    }
    Ok(())
}
