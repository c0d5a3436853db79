//! The `postmortem` command: a thin layer over the library that parses
//! arguments, prints results and maps errors to exit codes (2 for usage and
//! input errors).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use postmortem::analysis::{self, find_incidents};
use postmortem::format;
use postmortem::patterns::PatternSet;
use postmortem::render::{html, json, markdown, text};
use postmortem::scan::FormatOverride;
use postmortem::time::{self, Zone};
use postmortem::{Analysis, Options};

#[derive(Parser)]
#[command(
    name = "postmortem",
    version,
    about = "Read outage logs, build one ordered timeline, measure the incident and draft the postmortem",
    after_help = "Examples:\n  postmortem report ./incident-logs/ -o POSTMORTEM.md\n  postmortem timeline --format json ./incident-logs/ | jq '.incidents[0]'\n  postmortem formats ./incident-logs/"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The ordered timeline of every input (text, json or ndjson).
    Timeline {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// Colour: auto (on a terminal), always, never.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// A postmortem draft in Markdown (or HTML) for the most impactful incident.
    Report {
        #[command(flatten)]
        common: Common,
        /// Write the draft to FILE instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Draft incident N (its id, as listed in the draft) instead of the top-ranked one.
        #[arg(long, value_name = "N")]
        incident: Option<usize>,
        /// Draft format: md, or html (one self-contained file); default from -o's extension (.html, .htm), else md.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<ReportFormat>,
        /// Keep client addresses and user ids as logged (masked by default; JSON always keeps them).
        #[arg(long)]
        no_redact: bool,
    },
    /// What each input was read as: format, lines read and skipped, time range.
    Formats {
        #[command(flatten)]
        common: Common,
        /// Show the first lines of each file that could not be read.
        #[arg(long)]
        show_skipped: bool,
        /// Also list every supported format.
        #[arg(long)]
        list: bool,
    },
    /// Every line as parsed, one JSON object per line (for jq and for checking a format).
    Records {
        #[command(flatten)]
        common: Common,
        /// Also print lines that continue a record or could not be read.
        #[arg(long)]
        all: bool,
    },
    /// List the patterns in force, or check a pattern file.
    Patterns {
        /// Validate this pattern file (TOML) and report errors with line numbers.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
        /// Extra pattern files or folders, as for the other commands.
        #[arg(long = "patterns", value_name = "FILE_OR_DIR")]
        patterns: Vec<PathBuf>,
    },
}

#[derive(Args)]
struct Common {
    /// Log files, folders (searched recursively), compressed logs (.gz, .zst, .bz2, .xz) and bundles (.tar, .tar.gz, .zip); - reads standard input.
    #[arg(value_name = "PATHS", required = true)]
    paths: Vec<String>,
    /// Extra pattern files or folders (TOML), in addition to the built-in patterns.
    #[arg(long = "patterns", value_name = "FILE_OR_DIR")]
    patterns: Vec<PathBuf>,
    /// Leave out records before this time (RFC 3339, or 'YYYY-MM-DD HH:MM' in --tz).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Leave out records after this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Zone for logs whose timestamps carry no offset: an IANA name or an offset such as +02:00.
    #[arg(
        long,
        value_name = "ZONE",
        default_value = "UTC",
        allow_hyphen_values = true
    )]
    tz: String,
    /// Year for syslog lines without one (default: from the other inputs, else the file's date).
    #[arg(long, value_name = "YYYY")]
    year: Option<i32>,
    /// Width of the time buckets for series and detection (e.g. 60s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    bucket: String,
    /// Availability objective in percent, for thresholds and error budget.
    #[arg(long, value_name = "PERCENT", default_value_t = 99.9)]
    slo: f64,
    /// What counts as a failed request: statuses and classes, e.g. 5xx,429
    /// (default 5xx and requests never answered).
    #[arg(long, value_name = "STATUSES")]
    failed_status: Option<String>,
    /// Read files as this format instead of detecting it: FORMAT for all, or PATH=FORMAT (repeatable).
    #[arg(long = "log-format", value_name = "[PATH=]FORMAT")]
    log_format: Vec<String>,
    /// Correct a source's clock: PATH=±DURATION is added to its times (e.g. app-2.log=-3s). Repeatable.
    #[arg(long, value_name = "PATH=±DURATION")]
    skew: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// No warnings and no progress on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Json,
    Ndjson,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ReportFormat {
    Md,
    Html,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// An error for the user: what went wrong and what to do.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(msg)) if msg == BROKEN_PIPE => ExitCode::SUCCESS,
        Err(Failure(msg)) => {
            eprintln!("postmortem: error: {msg}");
            ExitCode::from(2)
        }
    }
}

const BROKEN_PIPE: &str = "\u{0}broken pipe";

/// The largest `--skew` correction, in seconds.
const MAX_SKEW_SECONDS: i64 = 366 * 86_400;

/// More worker threads than this only costs memory and start-up time.
const MAX_THREADS: usize = 1024;

/// Maps output errors: a closed pipe (`| head`) ends the run quietly.
fn output(e: io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Failure(BROKEN_PIPE.to_string())
    } else {
        Failure(format!("cannot write output: {e}"))
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Timeline {
            common,
            format,
            color,
        } => {
            let analysis = analyze(&common, false)?;
            let incidents = find_incidents(&analysis);
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            match format {
                OutputFormat::Json => {
                    let doc = json::document(&analysis, &incidents);
                    json::write_document(&mut out, &doc).map_err(output)?;
                }
                OutputFormat::Ndjson => {
                    let events = analysis::timeline_events(&analysis, &incidents);
                    json::write_ndjson(&mut out, &events).map_err(output)?;
                }
                OutputFormat::Text => {
                    let color = match color {
                        ColorChoice::Always => true,
                        ColorChoice::Never => false,
                        ColorChoice::Auto => {
                            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                        }
                    };
                    text::write_timeline(&mut out, &analysis, &incidents, text::Style { color })
                        .map_err(output)?;
                }
            }
            out.flush().map_err(output)?;
            Ok(())
        }
        Command::Report {
            common,
            output: path,
            incident: selected,
            format,
            no_redact,
        } => {
            // The draft lists every input's SHA-256, computed while reading.
            let analysis = analyze(&common, true)?;
            let incidents = find_incidents(&analysis);
            if let Some(id) = selected {
                if !incidents.iter().any(|i| i.id == id) {
                    let ids: Vec<String> = incidents.iter().map(|i| i.id.to_string()).collect();
                    return Err(Failure(if ids.is_empty() {
                        format!("--incident {id}: no incident was detected in these logs")
                    } else {
                        format!(
                            "--incident {id}: no such incident (found: {})",
                            ids.join(", ")
                        )
                    }));
                }
            }
            let html = format.map_or_else(
                || {
                    path.as_ref().and_then(|p| p.extension()).is_some_and(|e| {
                        e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm")
                    })
                },
                |f| f == ReportFormat::Html,
            );
            let opts = markdown::ReportOptions { redact: !no_redact };
            let md = if html {
                html::report(&analysis, &incidents, selected, &reproduce_command(), &opts)
            } else {
                markdown::report_with(&analysis, &incidents, selected, &reproduce_command(), &opts)
            };
            match path {
                Some(p) => std::fs::write(&p, md)
                    .map_err(|e| Failure(format!("cannot write {}: {e}", p.display())))?,
                None => {
                    let stdout = io::stdout();
                    let mut out = stdout.lock();
                    out.write_all(md.as_bytes()).map_err(output)?;
                    out.flush().map_err(output)?;
                }
            }
            Ok(())
        }
        Command::Formats {
            common,
            show_skipped,
            list,
        } => {
            let analysis = analyze(&common, false)?;
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            text::write_formats(&mut out, &analysis, show_skipped).map_err(output)?;
            if list {
                write_format_list(&mut out).map_err(output)?;
            }
            out.flush().map_err(output)?;
            Ok(())
        }
        Command::Records { common, all } => {
            let opts = options(&common)?;
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            let mut each = |source: &str,
                            format: &'static str,
                            line: u64,
                            parsed: &postmortem::record::Parsed| {
                if !all && parsed.at().is_none() {
                    return Ok(());
                }
                serde_json::to_writer(&mut out, &json::record_value(source, format, line, parsed))?;
                out.write_all(b"\n")
            };
            let warnings = match postmortem::for_each_record(&common.paths, &opts, &mut each) {
                Ok(w) => w,
                Err(postmortem::RecordsError::Records(postmortem::scan::RecordsError::Output(
                    e,
                ))) => return Err(output(e)),
                Err(e) => return Err(e.into()),
            };
            out.flush().map_err(output)?;
            print_warnings(&warnings, common.quiet);
            Ok(())
        }
        Command::Patterns { check, patterns } => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            if let Some(path) = check {
                let found = PatternSet::check_file(&path)?;
                writeln!(out, "{}: ok, {} patterns", path.display(), found.len())
                    .map_err(output)?;
            } else {
                let set = PatternSet::load(&patterns)?;
                writeln!(
                    out,
                    "{:<32}  {:<8}  {:<8}  {:<20}  ORIGIN",
                    "ID", "KIND", "SEVERITY", "FORMATS"
                )
                .map_err(output)?;
                for p in set.patterns() {
                    let formats = if p.formats.is_empty() {
                        "any".to_string()
                    } else {
                        p.formats.join(",")
                    };
                    writeln!(
                        out,
                        "{:<32}  {:<8}  {:<8}  {:<20}  {}:{}",
                        p.id,
                        p.kind.as_str(),
                        p.severity.as_str(),
                        formats,
                        p.origin,
                        p.line
                    )
                    .map_err(output)?;
                }
            }
            out.flush().map_err(output)?;
            Ok(())
        }
    }
}

/// The command line that reproduces this run, for the report's appendix:
/// the arguments as given, without the output file.
fn reproduce_command() -> String {
    let mut words = vec!["postmortem".to_string()];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-o" || a == "--output" {
            args.next();
            continue;
        }
        if a.starts_with("--output=")
            || (a.starts_with("-o") && a.len() > 2 && !a.starts_with("--"))
        {
            continue;
        }
        words.push(shell_quote(&a));
    }
    words.join(" ")
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_quote(w: &str) -> String {
    let plain = !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

fn write_format_list(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "\nSupported formats:")?;
    for f in format::registry() {
        writeln!(out, "  {:<14} {}", f.name(), f.description())?;
    }
    Ok(())
}

/// Builds the options from the common flags, checking each for the user.
fn options(common: &Common) -> Result<Options, Failure> {
    let zone = Zone::parse(&common.tz).map_err(|e| Failure(format!("--tz: {e}")))?;
    let since = common
        .since
        .as_deref()
        .map(|s| time::parse_user_time(s, zone))
        .transpose()
        .map_err(|e| Failure(format!("--since: {e}")))?;
    let until = common
        .until
        .as_deref()
        .map(|s| time::parse_user_time(s, zone))
        .transpose()
        .map_err(|e| Failure(format!("--until: {e}")))?;
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            return Err(Failure("--since is after --until: swap them".to_string()));
        }
    }
    let bucket_seconds =
        time::parse_duration_secs(&common.bucket).map_err(|e| Failure(format!("--bucket: {e}")))?;
    if !(1..=86_400).contains(&bucket_seconds) {
        return Err(Failure(
            "--bucket must be between 1s and 24h (e.g. 60s, 5m)".to_string(),
        ));
    }
    if !(common.slo > 0.0 && common.slo < 100.0) {
        return Err(Failure(
            "--slo must be a percentage between 0 and 100, e.g. 99.9".to_string(),
        ));
    }
    if let Some(y) = common.year {
        if !(1970..=9999).contains(&y) {
            return Err(Failure("--year must be a year such as 2024".to_string()));
        }
    }
    let mut overrides = Vec::new();
    for spec in &common.log_format {
        let (path, name) = match spec.rsplit_once('=') {
            Some((p, n)) => (Some(p.to_string()), n),
            None => (None, spec.as_str()),
        };
        let Some(format) = format::by_name(name) else {
            let names: Vec<&str> = format::registry().iter().map(|f| f.name()).collect();
            return Err(Failure(format!(
                "--log-format: unknown format '{name}' (known: {})",
                names.join(", ")
            )));
        };
        overrides.push(FormatOverride { path, format });
    }
    let mut skews = Vec::new();
    for spec in &common.skew {
        let Some((path, dur)) = spec.rsplit_once('=') else {
            return Err(Failure(format!(
                "--skew '{spec}': use PATH=±DURATION, e.g. app-2.log=-3s"
            )));
        };
        let secs = time::parse_duration_secs(dur).map_err(|e| Failure(format!("--skew: {e}")))?;
        // A clock a year off is the worst a correction needs; the bound
        // keeps sums of corrections and shifted times from overflowing.
        if secs.abs() > MAX_SKEW_SECONDS {
            return Err(Failure(format!(
                "--skew '{spec}': a correction must be within a year (±366d)"
            )));
        }
        skews.push((path.to_string(), secs * time::SEC));
    }
    let failure = match &common.failed_status {
        Some(text) => postmortem::record::FailurePolicy::parse(text)
            .map_err(|e| Failure(format!("--failed-status: {e}")))?,
        None => postmortem::record::FailurePolicy::default(),
    };
    let patterns = PatternSet::load(&common.patterns)?;
    // A knob for tests and benchmarks: smaller blocks exercise the
    // block-parallel path on small inputs.
    let block_size = std::env::var("POSTMORTEM_BLOCK_SIZE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| (4096..=1 << 30).contains(&n))
        .unwrap_or(Options::default().block_size);
    Ok(Options {
        block_size,
        skews,
        zone,
        year: common.year,
        since,
        until,
        bucket_seconds,
        slo: common.slo,
        patterns,
        overrides,
        failure,
        ..Options::default()
    })
}

/// A progress bar on stderr, only for large inputs on a terminal and never with -q.
fn progress_bar(common: &Common) -> Option<indicatif::ProgressBar> {
    const LARGE: u64 = 256 * 1024 * 1024;
    if common.quiet || !io::stderr().is_terminal() {
        return None;
    }
    let (files, _) = postmortem::input::expand(&common.paths).ok()?;
    let total: u64 = files.iter().map(|f| f.size).sum();
    if total < LARGE {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} reading logs {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left)",
    )
    .ok()?;
    bar.set_style(style);
    Some(bar)
}

fn analyze(common: &Common, digests: bool) -> Result<Analysis, Failure> {
    let opts = Options {
        digests,
        ..options(common)?
    };
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = common.threads {
        if !(1..=MAX_THREADS).contains(&n) {
            return Err(Failure(format!(
                "--threads must be between 1 and {MAX_THREADS}"
            )));
        }
        builder = builder.num_threads(n);
    }
    let pool = builder
        .build()
        .map_err(|e| Failure(format!("cannot start worker threads: {e}")))?;
    let bar = progress_bar(common);
    let tick = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let analysis = pool.install(|| {
        postmortem::analyze_with_progress(
            &common.paths,
            &opts,
            bar.as_ref().map(|_| &tick as &(dyn Fn(u64) + Sync)),
        )
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let analysis = analysis?;
    print_warnings(&analysis.warnings, common.quiet);
    Ok(analysis)
}

/// Warnings go to stderr, never into the output on stdout, and their log
/// text cannot drive the terminal.
fn print_warnings(warnings: &[postmortem::input::Warning], quiet: bool) {
    if quiet {
        return;
    }
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for w in warnings {
        let _ = writeln!(
            err,
            "postmortem: warning: {}",
            postmortem::render::sanitize_for_terminal(&w.to_string())
        );
    }
}
