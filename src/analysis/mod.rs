//! Everything after the scan: the scan results assembled into one
//! [`Analysis`] (inputs, the ordered timeline, the merged series, the
//! request-traffic decision, failures per backend, templates, the second
//! read), and the incidents found in it.
//!
//! - [`coverage`]: what the data could show (nothing read, all filtered, no request log);
//! - [`detect`]: the statistics of detection (baselines, thresholds, hysteresis);
//! - [`windows`]: candidate incident windows from the series and the events;
//! - [`measure`]: one window measured into an [`Incident`];
//! - [`impact`]: the impact figures;
//! - [`suspects`]: ranked likely causes;
//! - [`markers`]: IMPACT BEGINS, DETECTED, PEAK, MITIGATED, IMPACT ENDS;
//! - [`incident`]: the incident types and [`find_incidents`].

pub mod coverage;
pub mod detect;
pub mod failures;
pub mod impact;
pub mod incident;
pub mod markers;
pub mod measure;
pub mod signals;
pub mod stats;
pub mod suspects;
pub mod windows;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;

use crate::input::{self, Warning};
use crate::patterns::PatternSet;
use crate::record::FailurePolicy;
use crate::scan::{
    self, FileResult, FormatOverride, Reread, ScanOptions, TemplateSeen, TimeWindow,
};
use crate::series::Series;
use crate::skew::{self, SkewEstimate};
use crate::time::{Micros, Zone};
use crate::timeline::{self, Event};
use crate::traffic::Traffic;

pub use failures::{BackendFailures, Failures};
pub use incident::{find_incidents, Incident, IncidentKind};

/// Settings for one analysis. Each part takes only its own share
/// (see [`Options::scan_options`], [`Options::detect_config`]).
pub struct Options {
    /// Zone for timestamps without an offset (`--tz`).
    pub zone: Zone,
    /// Year for year-less syslog (`--year`).
    pub year: Option<i32>,
    pub since: Option<Micros>,
    pub until: Option<Micros>,
    /// The part of the timeline shown (`--show-since/--show-until`): what
    /// is displayed, never what is read or detected.
    pub shown: Shown,
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
    /// Hash every input (SHA-256) while reading it, for the report.
    pub digests: bool,
    /// What counts as a failed request (`--failed-status`).
    pub failure: FailurePolicy,
    /// The most distinct clients one input of a partial keeps as hashes
    /// before sketching them (`scan --client-limit`).
    pub client_limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            zone: Zone::Utc,
            year: None,
            since: None,
            until: None,
            shown: Shown::default(),
            bucket_seconds: 60,
            slo: 99.9,
            patterns: PatternSet::builtin(),
            overrides: Vec::new(),
            run_gap_seconds: 300,
            skipped_samples: 5,
            block_size: 4 * 1024 * 1024,
            skews: Vec::new(),
            digests: false,
            failure: FailurePolicy::default(),
            client_limit: scan::cells::CLIENT_LIMIT,
        }
    }
}

impl Options {
    /// The settings the scan needs, borrowed from these options.
    pub fn scan_options<'a>(
        &'a self,
        on_progress: Option<&'a (dyn Fn(u64) + Sync)>,
    ) -> ScanOptions<'a> {
        ScanOptions {
            zone: self.zone,
            year: self.year,
            window: TimeWindow {
                since: self.since,
                until: self.until,
            },
            bucket_seconds: self.bucket_seconds,
            patterns: &self.patterns,
            overrides: self.overrides.clone(),
            block_size: self.block_size,
            skipped_samples: self.skipped_samples,
            skews: self.skews.clone(),
            digests: self.digests,
            failure: &self.failure,
            on_progress,
            cells: None,
        }
    }

    /// The `--since`/`--until` an object-store listing skips objects by.
    pub fn key_window(&self) -> input::KeyWindow {
        input::KeyWindow {
            since: self.since,
            until: self.until,
        }
    }

    /// The settings detection needs.
    pub fn detect_config(&self) -> DetectConfig {
        DetectConfig { slo: self.slo }
    }
}

/// What detection is configured with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectConfig {
    /// Availability objective in percent (99.9).
    pub slo: f64,
}

/// What one input was read as.
#[derive(Clone, Debug)]
pub struct InputSummary {
    pub path: String,
    pub format: Option<&'static str>,
    pub forced: bool,
    pub stats: scan::FileStats,
    pub skipped_reason: Option<String>,
    /// Set when reading stopped early (damaged data): what happened.
    pub damaged: Option<String>,
    /// Whether its requests count as the service's traffic.
    pub counts_requests: bool,
    /// SHA-256 as stored, or why there is none; `None` when not asked for.
    pub sha256: Option<Result<String, String>>,
}

/// An error-level message template and where it was first seen.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateSummary {
    pub template: String,
    pub source: String,
    pub seen: TemplateSeen,
}

/// Everything read from the inputs, assembled for detection and rendering.
pub struct Analysis {
    pub inputs: Vec<InputSummary>,
    /// Error-level message templates over all inputs, each with its first
    /// occurrence (earliest across files).
    pub templates: Vec<TemplateSummary>,
    /// Which inputs are the service's request traffic.
    pub traffic: Traffic,
    /// Failed requests of those inputs, per backend and second.
    pub failures: Failures,
    /// The second read of those inputs (exact counts within windows).
    pub reread: Reread,
    /// Sources whose clocks seem off against the request logs.
    pub skews: Vec<SkewEstimate>,
    pub events: Vec<Event>,
    pub series: Series,
    /// The series of each input whose requests count, by path (one of
    /// several front servers can stop while the others carry on).
    pub source_series: Vec<(String, Series)>,
    pub warnings: Vec<Warning>,
    /// The options' bucket width, for rendering.
    pub bucket_seconds: i64,
    pub detect: DetectConfig,
    /// The part of the timeline shown (see [`Options::shown`]).
    pub shown: Shown,
}

/// A display-only window on the timeline: events outside it are not
/// shown; incidents, their edges and impact are those of all the data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    pub since: Option<Micros>,
    pub until: Option<Micros>,
}

impl Shown {
    /// Whether a time is inside the window.
    pub fn contains(&self, at: Micros) -> bool {
        self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at <= u)
    }

    /// Whether the display is trimmed at all.
    pub fn is_trimmed(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }
}

/// Errors that stop an analysis (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error(transparent)]
    Scan(#[from] scan::ScanError),
    #[error(transparent)]
    Partial(#[from] scan::pmp::PartialError),
}

impl Analysis {
    /// The inputs whose requests count, by path.
    pub fn request_sources(&self) -> impl Iterator<Item = &str> {
        self.inputs
            .iter()
            .filter(|i| i.counts_requests)
            .map(|i| i.path.as_str())
    }

    /// The names of the host each input seems to come from: the parts of
    /// its path (folders and file stems: `app-1` of `app/app-1.log` and of
    /// `app-1/deploy-agent.log`) that fewer than three inputs share (more
    /// is a category, not a host).
    pub fn hosts(&self) -> HashMap<String, Vec<String>> {
        let mut shared: HashMap<String, usize> = HashMap::new();
        for i in &self.inputs {
            for p in path_parts(&i.path) {
                *shared.entry(p).or_insert(0) += 1;
            }
        }
        self.inputs
            .iter()
            .map(|i| {
                let hosts = path_parts(&i.path)
                    .into_iter()
                    .filter(|p| shared.get(p).is_some_and(|&n| n < 3))
                    .collect();
                (i.path.clone(), hosts)
            })
            .collect()
    }

    /// For each backend, the request logs that routed requests to it.
    pub fn routes(&self) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (source, series) in &self.source_series {
            for b in series.backend_names() {
                out.entry(b).or_default().push(source.clone());
            }
        }
        out
    }

    /// How far each source's clock seems off (to subtract from its
    /// times), from the clock-skew estimates: the estimated source itself,
    /// and the other files of the same host ([`Analysis::hosts`]).
    pub fn clock_offsets(&self) -> HashMap<String, Micros> {
        let mut out = HashMap::new();
        if self.skews.is_empty() {
            return out;
        }
        let hosts_of = self.hosts();
        let none = Vec::new();
        for e in &self.skews {
            let lag = e.lag_seconds * crate::time::SEC;
            let hosts = hosts_of.get(&e.source).unwrap_or(&none);
            for i in &self.inputs {
                let same = i.path == e.source
                    || hosts_of
                        .get(&i.path)
                        .is_some_and(|h| h.iter().any(|p| hosts.contains(p)));
                if same {
                    out.entry(i.path.clone()).or_insert(lag);
                }
            }
        }
        out
    }

    /// The first timestamp of each input.
    pub fn source_first(&self) -> HashMap<String, Micros> {
        self.inputs
            .iter()
            .filter_map(|i| i.stats.first.map(|f| (i.path.clone(), f)))
            .collect()
    }
}

/// The folders and file stems of an input's path, once each, in order.
fn path_parts(path: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for p in path.split(['/', ':']) {
        let stem = p.split('.').next().unwrap_or(p);
        if !stem.is_empty() && !v.iter().any(|x| x == stem) {
            v.push(stem.to_string());
        }
    }
    v
}

/// The timeline with the incidents' markers, in order, within the shown
/// window ([`Analysis::shown`]).
pub fn timeline_events(a: &Analysis, incidents: &[Incident]) -> Vec<Event> {
    let mut events: Vec<Event> = a
        .events
        .iter()
        .filter(|e| a.shown.contains(e.at))
        .cloned()
        .collect();
    events.extend(
        markers::all(incidents)
            .into_iter()
            .filter(|e| a.shown.contains(e.at)),
    );
    crate::timeline::sort_events(&mut events);
    events
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
    let (partials, paths) = split_partials(paths);
    let loaded = load_partials(&partials, opts)?;
    let (files, mut warnings) = if paths.is_empty() && !partials.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        input::expand_in(&paths, opts.key_window())?
    };
    // What loading the user's patterns had to say (a cap hit, a pattern
    // that replaces another), once per run.
    warnings.extend(opts.patterns.warnings().iter().map(|m| Warning {
        path: "--patterns".to_string(),
        message: m.clone(),
    }));
    let mut preloaded = Vec::new();
    for l in loaded {
        warnings.extend(l.warnings);
        preloaded.extend(l.results);
    }
    let scan_opts = opts.scan_options(on_progress);
    let scanned = scan::scan_all_with(files, preloaded, &scan_opts)?;
    let results: Vec<FileResult> = scanned.files;
    let traffic = Traffic::decide(&results);
    let failures = Failures::of(&results, &traffic);
    let candidates: Vec<(&str, &scan::Partial)> = results
        .iter()
        .enumerate()
        .filter(|(i, _)| !traffic.counts(*i))
        .map(|(_, r)| (r.file.display.as_str(), &r.partial))
        .collect();
    let skews = skew::estimate(&failures.per_second(), &candidates);
    for e in &skews {
        warnings.push(Warning {
            path: e.source.clone(),
            message: e.warning(),
        });
    }
    let timeline = timeline::build(&results, opts.run_gap_seconds);
    warnings.extend(scanned.warnings);
    if let Some(message) = timeline.cap_warning() {
        warnings.push(Warning {
            path: "(all inputs)".to_string(),
            message,
        });
    }
    let events = timeline.events;
    let series = merged_series(&results, &traffic, opts.bucket_seconds);
    let templates = merged_templates(&results);
    let mut inputs = Vec::with_capacity(results.len());
    let mut sources = Vec::new();
    let mut carried = Vec::new();
    let mut source_series = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        warnings.extend(r.warnings.iter().cloned());
        let counts_requests = traffic.counts(i);
        inputs.push(InputSummary {
            path: r.file.display.clone(),
            format: r.format_name(),
            forced: r.forced,
            stats: r.partial.stats,
            skipped_reason: r.skipped_reason,
            damaged: r.damaged,
            counts_requests,
            sha256: r.sha256,
        });
        if counts_requests {
            sources.extend(r.reread);
            carried.extend(r.carried);
            source_series.push((r.file.display, r.partial.series));
        }
    }
    Ok(Analysis {
        inputs,
        templates,
        traffic,
        failures,
        reread: Reread {
            sources,
            carried,
            zone: opts.zone,
            block_size: opts.block_size,
            failure: opts.failure.clone(),
        },
        skews,
        events,
        series,
        source_series,
        warnings,
        bucket_seconds: opts.bucket_seconds,
        detect: opts.detect_config(),
        shown: opts.shown,
    })
}

/// The arguments that name partial files (`scan --partial`), and the others.
pub fn split_partials(paths: &[String]) -> (Vec<String>, Vec<String>) {
    paths
        .iter()
        .cloned()
        .partition(|p| p != "-" && scan::pmp::is_partial(std::path::Path::new(p)))
}

/// Reads the partials named, checking that they were made with the
/// settings this run counts by.
fn load_partials(paths: &[String], opts: &Options) -> Result<Vec<scan::pmp::Loaded>, Error> {
    let mut out: Vec<scan::pmp::Loaded> = Vec::with_capacity(paths.len());
    for p in paths {
        let l = scan::pmp::read(std::path::Path::new(p))?;
        let mismatch = |message: String| scan::pmp::PartialError::Settings {
            path: p.clone(),
            message,
        };
        if l.settings.bucket_seconds != opts.bucket_seconds {
            return Err(mismatch(format!(
                "scanned with --bucket {}s, this run counts {}s buckets: give --bucket {}s (partials merge bucket by bucket)",
                l.settings.bucket_seconds, opts.bucket_seconds, l.settings.bucket_seconds
            ))
            .into());
        }
        let policy = opts.failure.describe();
        if l.settings.failed_status != policy {
            return Err(mismatch(format!(
                "scanned with failures counted as {}, this run counts {}: give the same --failed-status to both",
                l.settings.failed_status.join(","),
                policy.join(",")
            ))
            .into());
        }
        if let Some(k) = out.iter().position(|o| o.settings.host == l.settings.host) {
            return Err(mismatch(format!(
                "{} also comes from host {}: a host's logs would count twice (scan each host once, or tell them apart with `scan --host NAME`)",
                paths[k], l.settings.host
            ))
            .into());
        }
        out.push(l);
    }
    Ok(out)
}

/// Scans the inputs (no partials among them) into a partial file at `out`
/// (`None`: standard output).
pub fn scan_to_partial(
    paths: &[String],
    opts: &Options,
    host: &str,
    out: Option<&std::path::Path>,
    on_progress: Option<&(dyn Fn(u64) + Sync)>,
) -> Result<(Vec<Warning>, Vec<String>), Error> {
    let (files, mut warnings) = input::expand(paths)?;
    warnings.extend(opts.patterns.warnings().iter().map(|m| Warning {
        path: "--patterns".to_string(),
        message: m.clone(),
    }));
    let scan_opts = ScanOptions {
        cells: Some(opts.client_limit),
        digests: true,
        ..opts.scan_options(on_progress)
    };
    let scanned = scan::scan_all(files, &scan_opts)?;
    for r in &scanned.files {
        warnings.extend(r.warnings.iter().cloned());
    }
    warnings.extend(scanned.warnings.iter().cloned());
    let settings = scan::pmp::Settings {
        host: host.to_string(),
        bucket_seconds: opts.bucket_seconds,
        failed_status: opts.failure.describe(),
        since: opts.since,
        until: opts.until,
        tz: opts.zone.name(),
    };
    let names = scanned
        .files
        .iter()
        .map(|r| r.file.display.clone())
        .collect();
    scan::pmp::write(out, scanned, settings)?;
    Ok((warnings, names))
}

/// The series of all inputs: requests from the inputs whose requests
/// count, messages from all.
fn merged_series(results: &[FileResult], traffic: &Traffic, bucket_seconds: i64) -> Series {
    let mut series = Series::new(bucket_seconds);
    for (i, r) in results.iter().enumerate() {
        if traffic.counts(i) {
            series.merge(&r.partial.series);
        } else {
            series.merge_messages(&r.partial.series);
        }
    }
    series
}

/// Error templates over all inputs, each with its earliest occurrence,
/// in order of first appearance.
fn merged_templates(results: &[FileResult]) -> Vec<TemplateSummary> {
    let mut templates: HashMap<String, TemplateSummary> = HashMap::new();
    for r in results {
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
                    let level = existing.seen.level.max(seen.level);
                    if (seen.first, &r.file.display) < (existing.seen.first, &existing.source) {
                        *existing = candidate;
                    }
                    existing.seen.count = count;
                    existing.seen.last = last;
                    existing.seen.level = level;
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
    templates
}
