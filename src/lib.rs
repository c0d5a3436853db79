//! postmortem: read the logs of an outage, put them in one order, measure
//! the incident and draft the postmortem.
//!
//! Dependencies point one way (see ARCHITECTURE.md):
//! `render` → [`analysis`] (detection, impact, suspects, markers) →
//! [`traffic`] (which inputs are request traffic) → [`timeline`],
//! [`skew`] → [`scan`] (lines, folding, partials, second read, records) →
//! [`format`] and [`patterns`] → leaves ([`time`], [`input`], [`record`],
//! [`series`], [`template`], [`event`], [`display`], [`user_time`]).
//! [`exit`] holds the binary's exit codes.
//! [`analyze`] runs it all.

pub mod analysis;
pub mod display;
pub mod display_zone;
pub mod event;
pub mod exit;
pub mod format;
pub mod input;
pub mod patterns;
pub mod record;
pub mod render;
pub mod scan;
pub mod series;
pub mod skew;
pub mod source;
pub mod template;
pub mod time;
pub mod timeline;
pub mod traffic;
pub mod user_time;

pub use analysis::{
    analyze, analyze_with_progress, find_incidents, Analysis, DetectConfig, Error, Incident,
    IncidentKind, InputSummary, Options, TemplateSummary,
};

/// The tool's name and version, as written into outputs.
pub const GENERATED_BY: &str = concat!("postmortem ", env!("CARGO_PKG_VERSION"));

/// The JSON schema identifier of the timeline document.
pub const SCHEMA: &str = "postmortem.timeline.v1";

/// Calls `each(source, format, line, record)` for every line of every input
/// (`postmortem records`); returns the warnings met.
pub fn for_each_record(
    paths: &[String],
    opts: &Options,
    each: &mut scan::records::EachRecord,
) -> Result<Vec<input::Warning>, RecordsError> {
    let (files, mut warnings) = input::expand_in(paths, opts.key_window())?;
    let scan_opts = scan::ScanOptions {
        skipped_samples: 0,
        ..opts.scan_options(None)
    };
    warnings.extend(scan::for_each_record(files, &scan_opts, each)?);
    Ok(warnings)
}

/// The first and last record times of the inputs, with no `--since` or
/// `--until` (to resolve relative ones); `None` when no record has a time.
/// It reads every input once more, so standard input cannot be among them.
pub fn data_range(
    paths: &[String],
    opts: &Options,
) -> Result<Option<(time::Micros, time::Micros)>, RecordsError> {
    let (files, _) = input::expand(paths)?;
    let scan_opts = scan::ScanOptions {
        skipped_samples: 0,
        window: scan::partial::TimeWindow::default(),
        ..opts.scan_options(None)
    };
    let mut range: Option<(time::Micros, time::Micros)> = None;
    let mut each = |_: &str, _: &'static str, _: u64, parsed: &record::Parsed| {
        if let Some(at) = parsed.at() {
            range = Some(range.map_or((at, at), |(f, l)| (f.min(at), l.max(at))));
        }
        Ok(())
    };
    scan::for_each_record(files, &scan_opts, &mut each)?;
    Ok(range)
}

/// Errors of [`for_each_record`].
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error(transparent)]
    Records(#[from] scan::RecordsError),
}
