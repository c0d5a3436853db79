//! postmortem: read the logs of an outage, put them in one order, measure
//! the incident and draft the postmortem.
//!
//! The flow is `input` (files, directories, decompression) → `format`
//! (detection and one parser per format) → `scan` (parallel, producing
//! mergeable partials) → `timeline` (ordered, collapsed events) → `render`.
//! [`analyze`] runs it all.

pub mod detect;
pub mod event;
pub mod format;
pub mod impact;
pub mod incident;
pub mod input;
pub mod patterns;
pub mod record;
pub mod render;
pub mod scan;
pub mod series;
pub mod skew;
pub mod suspects;
pub mod template;
pub mod time;
pub mod timeline;

use patterns::PatternSet;
use scan::{FileResult, FormatOverride, ScanOptions};
use series::Series;
use time::{Micros, Zone};
use timeline::Event;

/// The tool's name and version, as written into outputs.
pub const GENERATED_BY: &str = concat!("postmortem ", env!("CARGO_PKG_VERSION"));

/// The JSON schema identifier of the timeline document.
pub const SCHEMA: &str = "postmortem.timeline.v1";

/// Settings for one analysis.
pub struct Options {
    /// Zone for timestamps without an offset (`--tz`).
    pub zone: Zone,
    /// Year for year-less syslog (`--year`).
    pub year: Option<i32>,
    pub since: Option<Micros>,
    pub until: Option<Micros>,
    /// Width of the series buckets (`--bucket`), seconds.
    pub bucket_seconds: i64,
    /// Availability objective in percent (`--slo`).
    pub slo: f64,
    pub patterns: PatternSet,
    pub overrides: Vec<FormatOverride>,
    /// Repeats of an event closer than this collapse into one run.
    pub run_gap_seconds: i64,
    /// Skipped lines kept per file for display.
    pub skipped_samples: usize,
    pub block_size: usize,
    /// Clock corrections per source (`--skew PATH=±DURATION`), microseconds.
    pub skews: Vec<(String, Micros)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            zone: Zone::Utc,
            year: None,
            since: None,
            until: None,
            bucket_seconds: 60,
            slo: 99.9,
            patterns: PatternSet::builtin(),
            overrides: Vec::new(),
            run_gap_seconds: 300,
            skipped_samples: 5,
            block_size: 4 * 1024 * 1024,
            skews: Vec::new(),
        }
    }
}

impl Options {
    /// The settings the scan needs, borrowed from these options.
    fn scan_options<'a>(
        &'a self,
        on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
    ) -> ScanOptions<'a> {
        ScanOptions {
            zone: self.zone,
            year: self.year,
            since: self.since,
            until: self.until,
            bucket_seconds: self.bucket_seconds,
            patterns: &self.patterns,
            overrides: self.overrides.clone(),
            block_size: self.block_size,
            skipped_samples: self.skipped_samples,
            skews: self.skews.clone(),
            on_progress,
        }
    }
}

/// What one input was read as.
#[derive(Clone, Debug)]
pub struct InputSummary {
    pub path: String,
    pub format: Option<&'static str>,
    pub forced: bool,
    pub stats: scan::FileStats,
    pub skipped_reason: Option<String>,
}

/// An error-level message template and where it was first seen.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateSummary {
    pub template: String,
    pub source: String,
    pub seen: scan::TemplateSeen,
}

/// Everything the analysis found.
pub struct Analysis {
    pub inputs: Vec<InputSummary>,
    /// Error-level message templates over all inputs, each with its first
    /// occurrence (earliest across files).
    pub templates: Vec<TemplateSummary>,
    /// The per-file scan results, kept for second reads (client counts).
    pub results: Vec<FileResult>,
    pub zone: Zone,
    pub block_size: usize,
    /// Sources whose clocks seem off against the request logs.
    pub skews: Vec<skew::SkewEstimate>,
    pub events: Vec<Event>,
    pub series: Series,
    pub warnings: Vec<input::Warning>,
    /// The options' bucket width and SLO, for rendering.
    pub bucket_seconds: i64,
    pub slo: f64,
}

/// Errors that stop an analysis (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error(transparent)]
    Scan(#[from] scan::ScanError),
}

impl Analysis {
    /// Distinct clients, and clients with a failed request, in each window
    /// (a second read of the request logs). The second value names inputs
    /// that could not be read again (standard input).
    pub fn count_clients(
        &self,
        windows: &[(Micros, Micros)],
    ) -> (Vec<scan::ClientCounts>, Vec<String>) {
        scan::count_clients(&self.results, windows, self.zone, self.block_size)
    }
}

/// Calls `each(source, format, line, record)` for every line of every input
/// (`postmortem records`); returns the warnings met.
pub fn for_each_record(
    paths: &[String],
    opts: &Options,
    each: &mut dyn FnMut(&str, &'static str, u64, &record::Parsed) -> std::io::Result<()>,
) -> Result<Vec<input::Warning>, RecordsError> {
    let (files, mut warnings) = input::expand(paths)?;
    let scan_opts = ScanOptions {
        skipped_samples: 0,
        ..opts.scan_options(None)
    };
    warnings.extend(scan::for_each_record(files, &scan_opts, each)?);
    Ok(warnings)
}

/// Errors of [`for_each_record`].
#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error(transparent)]
    Records(#[from] scan::RecordsError),
}

/// Whether a file's requests are the ones counted as the service's
/// traffic (set by [`analyze`], see [`mark_request_logs`]).
pub fn is_request_log(r: &FileResult) -> bool {
    r.counts_requests
}

/// Formats written by the front of the service: load balancers, proxies,
/// web servers. Their requests are what users saw.
const FRONT_FORMATS: &[&str] = &["nginx_access", "haproxy", "alb", "elb", "envoy", "syslog"];

/// Decides whose requests count. Front formats (load balancers, proxies,
/// web servers) when there are any; otherwise files that are mostly
/// request lines (Traefik JSON, JSON access logs, Heroku router). An
/// application that also logs each request it served would count the same
/// traffic twice, and it never sees what the load balancer failed itself.
pub fn mark_request_logs(results: &mut [FileResult]) {
    let front = |r: &FileResult| {
        r.partial.stats.requests > 0 && r.format.is_some_and(|f| FRONT_FORMATS.contains(&f))
    };
    let mostly_requests = |r: &FileResult| {
        let s = &r.partial.stats;
        let records = s.records - s.continued;
        s.requests > 0 && s.requests * 10 >= records * 9
    };
    let any_front = results.iter().any(front);
    for r in results.iter_mut() {
        r.counts_requests = if any_front {
            front(r)
        } else {
            mostly_requests(r)
        };
    }
}

/// Reads every input and builds the timeline.
pub fn analyze(paths: &[String], opts: &Options) -> Result<Analysis, Error> {
    analyze_with_progress(paths, opts, None)
}

/// [`analyze`] with a callback told the bytes read (for a progress bar).
pub fn analyze_with_progress(
    paths: &[String],
    opts: &Options,
    on_progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<Analysis, Error> {
    let (files, mut warnings) = input::expand(paths)?;
    let scan_opts = opts.scan_options(on_progress);
    let mut results: Vec<FileResult> = scan::scan_all(files, &scan_opts)?;
    mark_request_logs(&mut results);
    let skews = skew::estimate(&results);
    for e in &skews {
        warnings.push(input::Warning {
            path: e.source.clone(),
            message: e.warning(),
        });
    }
    let events = timeline::build(&results, opts.run_gap_seconds);
    // Request counts come from request logs (load balancers, proxies, web
    // servers). Application logs that also log requests would count the
    // same traffic twice, so they only count when there is nothing better.
    let request_logs: Vec<bool> = results.iter().map(is_request_log).collect();
    let any_request_log = request_logs.iter().any(|r| *r);
    let mut series = Series::new(opts.bucket_seconds);
    let mut inputs = Vec::with_capacity(results.len());
    let mut templates: std::collections::HashMap<String, TemplateSummary> =
        std::collections::HashMap::new();
    for (r, &is_requests) in results.iter().zip(&request_logs) {
        if is_requests || !any_request_log {
            series.merge(&r.partial.series);
        } else {
            series.merge_messages(&r.partial.series);
        }
        warnings.extend(r.warnings.iter().cloned());
        inputs.push(InputSummary {
            path: r.file.display.clone(),
            format: r.format,
            forced: r.forced,
            stats: r.partial.stats.clone(),
            skipped_reason: r.skipped_reason.clone(),
        });
        for (t, seen) in &r.partial.templates {
            let candidate = TemplateSummary {
                template: t.clone(),
                source: r.file.display.clone(),
                seen: seen.clone(),
            };
            match templates.get_mut(t) {
                Some(existing) => {
                    let count = existing.seen.count + seen.count;
                    let last = existing.seen.last.max(seen.last);
                    if (seen.first, &r.file.display) < (existing.seen.first, &existing.source) {
                        *existing = candidate;
                    }
                    existing.seen.count = count;
                    existing.seen.last = last;
                }
                None => {
                    templates.insert(t.clone(), candidate);
                }
            }
        }
    }
    let mut templates: Vec<TemplateSummary> = templates.into_values().collect();
    templates.sort_by(|a, b| {
        (a.seen.first, &a.source, a.seen.line, &a.template).cmp(&(
            b.seen.first,
            &b.source,
            b.seen.line,
            &b.template,
        ))
    });
    Ok(Analysis {
        inputs,
        templates,
        results,
        zone: opts.zone,
        block_size: opts.block_size,
        skews,
        events,
        series,
        warnings,
        bucket_seconds: opts.bucket_seconds,
        slo: opts.slo,
    })
}
