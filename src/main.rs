//! The `postmortem` command: a thin layer over the library that parses
//! arguments, prints results and maps errors to exit codes (see
//! [`postmortem::exit`]).

use std::collections::BTreeSet;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use postmortem::analysis::{self, find_incidents};
use postmortem::display_zone::DisplayZone;
use postmortem::exit;
use postmortem::format;
use postmortem::input::InputFile;
use postmortem::patterns::PatternSet;
use postmortem::render::{html, json, markdown, sanitize_for_terminal, text};
use postmortem::scan::FormatOverride;
use postmortem::time::{self, Micros, Zone};
use postmortem::user_time::TimeBound;
use postmortem::{Analysis, Options};

/// The top command's help after the flags: examples, environment, exit codes.
fn top_after_help() -> String {
    format!(
        "Examples:
  postmortem report ./incident-logs/ -o POSTMORTEM.md
  postmortem timeline --format json ./incident-logs/ | jq '.incidents[0]'
  postmortem timeline --since 08:30 --until 09:10 --display-tz Europe/Berlin ./logs/
  postmortem timeline --fail-on-incident -q ./logs/ >/dev/null || echo 'incident'
  postmortem formats ./incident-logs/
  postmortem completions bash > /etc/bash_completion.d/postmortem

Environment:
  POSTMORTEM_TZ        default for --tz
  POSTMORTEM_SLO       default for --slo
  POSTMORTEM_PATTERNS  default for --patterns (paths separated by ':')
  NO_COLOR             no colour with --color auto
  COLUMNS              width of the text timeline when not on a terminal

{}",
        exit::HELP
    )
}

const TIMELINE_EXAMPLES: &str = "Examples:
  postmortem timeline ./incident-logs/
  postmortem timeline --since 2h ./logs/                 # the last two hours of the data
  postmortem timeline --since 08:30 --until 09:10 ./logs/  # on the data's date, in --tz
  postmortem timeline --display-tz Europe/Berlin ./logs/
  postmortem timeline --format json ./logs/ | jq '.incidents[0].impact'
  postmortem timeline --format ndjson ./logs/ | jq -c 'select(.kind==\"change\")'
  postmortem timeline --fail-on-incident -q ./logs/ > timeline.txt";

const REPORT_EXAMPLES: &str = "Examples:
  postmortem report ./incident-logs/ -o POSTMORTEM.md
  postmortem report ./incident-logs/ -o - | less
  postmortem report --incident 2 --slo 99.95 ./logs/
  postmortem report --display-tz Europe/Berlin ./logs/ -o postmortem.html";

const FORMATS_EXAMPLES: &str = "Examples:
  postmortem formats ./incident-logs/
  postmortem formats --show-skipped ./logs/app.log
  postmortem formats --list
  postmortem formats --format json ./logs/ | jq '.inputs[] | {path, format}'";

const RECORDS_EXAMPLES: &str = "Examples:
  postmortem records ./logs/lb/access.log | jq -c 'select(.failed)'
  postmortem records --all --log-format app.log=json ./logs/ | head
  postmortem records --format json ./logs/app.log | jq '.records | length'";

const SCAN_EXAMPLES: &str = "Examples:
  postmortem scan --partial web-1.pmp /var/log/nginx/
  for h in web-1 web-2 web-3; do ssh $h postmortem scan -q --partial - /var/log/nginx/ > $h.pmp; done
  postmortem timeline web-*.pmp
  postmortem report web-*.pmp deploy.log -o POSTMORTEM.md

Settings that decide what is read (--since/--until, --tz, --year, --log-format,
--skew, --patterns) apply here, when scanning; --bucket and --failed-status
must be the same when the partials are merged.";

const PATTERNS_EXAMPLES: &str = "Examples:
  postmortem patterns
  postmortem patterns --check ./my-patterns.toml
  postmortem patterns --patterns ./my-patterns/ --format json | jq '.patterns[].id'";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  postmortem completions bash > ~/.local/share/bash-completion/completions/postmortem
  postmortem completions zsh > ~/.zfunc/_postmortem
  postmortem completions fish > ~/.config/fish/completions/postmortem.fish
  postmortem completions powershell >> $PROFILE";

const MAN_EXAMPLES: &str = "Examples:
  postmortem man | man -l -
  postmortem man --dir /usr/local/share/man/man1";

#[derive(Parser)]
#[command(
    name = "postmortem",
    version,
    about = "Read outage logs, build one ordered timeline, measure the incident and draft the postmortem",
    after_help = top_after_help()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Subcommand)]
enum Command {
    /// The ordered timeline of every input (text, json or ndjson).
    #[command(after_help = TIMELINE_EXAMPLES)]
    Timeline {
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        #[command(flatten)]
        display: DisplayArgs,
        /// Columns the text timeline may use (default: the terminal's width,
        /// else COLUMNS, else 80; 0: no limit). Long sources and events are
        /// shortened with '…'.
        #[arg(long, value_name = "COLUMNS")]
        width: Option<usize>,
        #[command(flatten)]
        gate: Gate,
    },
    /// A postmortem draft in Markdown (or HTML) for the most impactful incident.
    #[command(after_help = REPORT_EXAMPLES)]
    Report {
        #[command(flatten)]
        common: Common,
        /// Write the draft to FILE instead of standard output ('-': standard output).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Draft incident N (its id, as listed in the draft) instead of the top-ranked one.
        #[arg(long, value_name = "N")]
        incident: Option<usize>,
        #[command(flatten)]
        gate: Gate,
        /// Draft format: md, or html (one self-contained file); default from -o's extension (.html, .htm), else md.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<ReportFormat>,
        /// Keep client addresses and user ids as logged (masked by default; JSON always keeps them).
        #[arg(long)]
        no_redact: bool,
        #[command(flatten)]
        display: DisplayArgs,
    },
    /// What each input was read as: format, lines read and skipped, time range.
    #[command(after_help = FORMATS_EXAMPLES)]
    Formats {
        #[command(flatten)]
        common: Common,
        /// Show the first lines of each file that could not be read.
        #[arg(long)]
        show_skipped: bool,
        /// Also list every supported format (without PATHS: only that).
        #[arg(long)]
        list: bool,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = TableFormat::Text)]
        format: TableFormat,
        #[command(flatten)]
        display: DisplayArgs,
    },
    /// Every line as parsed, one JSON object per line (for jq and for checking a format).
    #[command(after_help = RECORDS_EXAMPLES)]
    Records {
        #[command(flatten)]
        common: Common,
        /// Also print lines that continue a record or could not be read.
        #[arg(long)]
        all: bool,
        /// Output format: ndjson (one record a line) or json (one document).
        #[arg(long, short = 'f', value_enum, default_value_t = RecordsFormat::Ndjson)]
        format: RecordsFormat,
    },
    /// Scan logs on one host into a partial file, to merge with other hosts' (`timeline host*.pmp`).
    #[command(after_help = SCAN_EXAMPLES)]
    Scan {
        #[command(flatten)]
        common: Common,
        /// Write the partial to FILE ('-': standard output; the format: docs/partial.md).
        #[arg(long, value_name = "FILE")]
        partial: PathBuf,
        /// The host's name in the merged timeline, whose inputs are named HOST:PATH (default: this machine's name).
        #[arg(long, value_name = "NAME")]
        host: Option<String>,
        /// Past N distinct clients in one input, sketch them per bucket (HyperLogLog, about ±3 %) instead of keeping every client's hash; merged client counts are then marked estimated.
        #[arg(long, value_name = "N", default_value_t = postmortem::scan::cells::CLIENT_LIMIT)]
        client_limit: usize,
    },
    /// List the patterns in force, or check a pattern file.
    #[command(after_help = PATTERNS_EXAMPLES)]
    Patterns {
        /// Validate this pattern file (TOML) and report errors with line numbers.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
        /// Extra pattern files or folders, as for the other commands.
        #[arg(
            long = "patterns",
            value_name = "FILE_OR_DIR",
            env = "POSTMORTEM_PATTERNS",
            value_delimiter = ':'
        )]
        patterns: Vec<PathBuf>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = TableFormat::Text)]
        format: TableFormat,
    },
    /// Shell completions on standard output.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The manual page (roff) on standard output, or one page a command in a folder.
    #[command(after_help = MAN_EXAMPLES)]
    Man {
        /// Write postmortem.1 and a page for each command into this folder.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Args)]
struct Common {
    /// Log files, folders (searched recursively), compressed logs (.gz, .zst, .bz2, .xz) and bundles (.tar, .tar.gz, .zip); - reads standard input.
    #[arg(value_name = "PATHS")]
    paths: Vec<String>,
    /// Extra pattern files or folders (TOML), in addition to the built-in patterns.
    #[arg(
        long = "patterns",
        value_name = "FILE_OR_DIR",
        env = "POSTMORTEM_PATTERNS",
        value_delimiter = ':'
    )]
    patterns: Vec<PathBuf>,
    /// Leave out records before this time: RFC 3339, 'YYYY-MM-DD HH:MM' or a time
    /// of day (08:30, 08:30:15) on the data's date, all in --tz; a duration before
    /// the end of the data (2h, 90m); now-DURATION; or epoch seconds.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    since: Option<String>,
    /// Leave out records after this time (the same forms as --since).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    until: Option<String>,
    /// Show the timeline from this time on (the same forms as --since): display
    /// only; what is detected and measured is unchanged.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    show_since: Option<String>,
    /// Show the timeline up to this time (the same forms as --since): display only.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    show_until: Option<String>,
    /// Zone for logs whose timestamps carry no offset: an IANA name or an offset such as +02:00.
    #[arg(
        long,
        value_name = "ZONE",
        default_value = "UTC",
        env = "POSTMORTEM_TZ",
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
    #[arg(
        long,
        value_name = "PERCENT",
        default_value_t = 99.9,
        env = "POSTMORTEM_SLO"
    )]
    slo: f64,
    /// What counts as a failed request: statuses and classes, e.g. 5xx,429
    /// (default 5xx and requests never answered).
    #[arg(long, value_name = "STATUSES")]
    failed_status: Option<String>,
    /// Read files as this format instead of detecting it: FORMAT for all, or PATH=FORMAT (repeatable).
    #[arg(long = "log-format", value_name = "[PATH=]FORMAT")]
    log_format: Vec<String>,
    /// Correct a source's clock: PATH=±DURATION is added to its times (e.g. app-2.log=-3s). Repeatable.
    #[arg(long, value_name = "PATH=±DURATION", allow_hyphen_values = true)]
    skew: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// No warnings and no progress on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// The zone times are shown in (text and the report; JSON stays UTC).
#[derive(Args)]
struct DisplayArgs {
    /// Show times in this zone (an IANA name or an offset) instead of UTC.
    #[arg(
        long,
        value_name = "ZONE",
        conflicts_with = "local",
        allow_hyphen_values = true
    )]
    display_tz: Option<String>,
    /// Show times in this machine's zone.
    #[arg(long)]
    local: bool,
}

impl DisplayArgs {
    fn zone(&self) -> Result<DisplayZone, Failure> {
        if self.local {
            return Ok(DisplayZone::local());
        }
        match &self.display_tz {
            None => Ok(DisplayZone::default()),
            Some(t) => Zone::parse(t)
                .map(DisplayZone::Zone)
                .map_err(|e| Failure::usage(format!("--display-tz: {e}"))),
        }
    }
}

/// Exit status for scripts.
#[derive(Args)]
struct Gate {
    /// Exit with status 1 when an incident is found (the output is written as usual).
    #[arg(long)]
    fail_on_incident: bool,
}

impl Gate {
    fn code(&self, analysis: &postmortem::Analysis, incidents: &[postmortem::Incident]) -> u8 {
        // Nothing to judge is never a success: say so to scripts too.
        if !postmortem::analysis::coverage::coverage(analysis).usable() {
            exit::NO_DATA
        } else if self.fail_on_incident && !incidents.is_empty() {
            exit::INCIDENT_FOUND
        } else {
            exit::OK
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Json,
    Ndjson,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TableFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum RecordsFormat {
    Ndjson,
    Json,
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

impl ColorChoice {
    /// Whether to colour a stream that is a terminal or not.
    fn on(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none(),
        }
    }
}

/// An error for the user: what went wrong and what to do, and the exit code.
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: exit::USAGE,
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::usage(e.to_string())
    }
}

/// Writes `message` to stderr after `prefix`, one line at a time, with
/// every control character of user text (paths, flag values, log lines)
/// defused.
fn report_error(prefix: &str, message: &str) {
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for (n, line) in message.lines().enumerate() {
        let line = sanitize_for_terminal(line);
        let _ = if n == 0 {
            writeln!(err, "{prefix}{line}")
        } else {
            writeln!(err, "{line}")
        };
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help and --version are not errors.
            let _ = e.print();
            return ExitCode::from(exit::OK);
        }
        Err(e) => {
            // clap's message quotes the values given; they are defused like
            // every other error.
            report_error("", &e.render().to_string());
            return ExitCode::from(exit::USAGE);
        }
    };
    let color = cli.color;
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(f) if f.message == BROKEN_PIPE => ExitCode::SUCCESS,
        Err(f) => {
            let prefix = if color.on(io::stderr().is_terminal()) {
                "postmortem: \x1b[1;31merror:\x1b[0m "
            } else {
                "postmortem: error: "
            };
            report_error(prefix, &f.message);
            ExitCode::from(f.code)
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
        Failure::usage(BROKEN_PIPE)
    } else {
        Failure::usage(format!("cannot write output: {e}"))
    }
}

/// The same error clap gives for a missing argument, for commands whose
/// paths are optional in some uses (`formats --list`).
fn require_paths(common: &Common) -> Result<(), Failure> {
    if common.paths.is_empty() {
        return Err(Failure::usage(
            "no PATHS given: name log files or folders, or - for standard input",
        ));
    }
    Ok(())
}

fn run(cli: Cli) -> Result<u8, Failure> {
    let color = cli.color;
    match cli.command {
        Command::Timeline {
            common,
            format,
            display,
            width,
            gate,
        } => {
            require_paths(&common)?;
            let zone = display.zone()?;
            let (analysis, pool) = analyze(&common, false)?;
            let incidents = pool.install(|| find_incidents(&analysis));
            let stdout = io::stdout();
            let is_tty = stdout.is_terminal();
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
                    let width = match width {
                        Some(0) => None,
                        Some(w) => Some(w),
                        None => Some(text::output_width(is_tty)),
                    };
                    let style = text::Style {
                        color: color.on(is_tty),
                        zone,
                        width,
                    };
                    text::write_timeline(&mut out, &analysis, &incidents, style).map_err(output)?;
                }
            }
            out.flush().map_err(output)?;
            Ok(gate.code(&analysis, &incidents))
        }
        Command::Report {
            common,
            output: path,
            incident: selected,
            gate,
            format,
            no_redact,
            display,
        } => {
            require_paths(&common)?;
            let zone = display.zone()?;
            // The draft lists every input's SHA-256, computed while reading.
            let (analysis, pool) = analyze(&common, true)?;
            let incidents = pool.install(|| find_incidents(&analysis));
            if let Some(id) = selected {
                if !incidents.iter().any(|i| i.id == id) {
                    let ids: Vec<String> = incidents.iter().map(|i| i.id.to_string()).collect();
                    return Err(Failure::usage(if ids.is_empty() {
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
            let opts = markdown::ReportOptions {
                redact: !no_redact,
                zone,
            };
            let md = if html {
                html::report(&analysis, &incidents, selected, &reproduce_command(), &opts)
            } else {
                markdown::report_with(&analysis, &incidents, selected, &reproduce_command(), &opts)
            };
            match path {
                Some(p) if p.as_os_str() != "-" => std::fs::write(&p, md)
                    .map_err(|e| Failure::usage(format!("cannot write {}: {e}", p.display())))?,
                _ => {
                    let stdout = io::stdout();
                    let mut out = stdout.lock();
                    out.write_all(md.as_bytes()).map_err(output)?;
                    out.flush().map_err(output)?;
                }
            }
            Ok(gate.code(&analysis, &incidents))
        }
        Command::Formats {
            common,
            show_skipped,
            list,
            format,
            display,
        } => {
            if !list {
                require_paths(&common)?;
            }
            let zone = display.zone()?;
            let analysis = if common.paths.is_empty() {
                None
            } else {
                Some(analyze(&common, false)?.0)
            };
            let stdout = io::stdout();
            let is_tty = stdout.is_terminal();
            let mut out = io::BufWriter::new(stdout.lock());
            match format {
                TableFormat::Json => {
                    let doc = json::formats_document(analysis.as_ref(), show_skipped, list);
                    json::write_document(&mut out, &doc).map_err(output)?;
                }
                TableFormat::Text => {
                    let style = text::Style {
                        color: color.on(is_tty),
                        zone,
                        width: None,
                    };
                    if let Some(a) = &analysis {
                        text::write_formats(&mut out, a, show_skipped, style).map_err(output)?;
                    }
                    if list {
                        write_format_list(&mut out, analysis.is_some()).map_err(output)?;
                    }
                }
            }
            out.flush().map_err(output)?;
            Ok(exit::OK)
        }
        Command::Scan {
            common,
            partial,
            host,
            client_limit,
        } => {
            require_paths(&common)?;
            let (partials, _) = analysis::split_partials(&common.paths);
            if let Some(p) = partials.first() {
                return Err(Failure::usage(format!(
                    "{p}: already a partial: merge partials with `postmortem timeline` or `report`"
                )));
            }
            let (mut opts, deferred) = options(&common)?;
            opts.client_limit = client_limit;
            let pool = worker_pool(&common)?;
            let target = (partial.as_os_str() != "-").then_some(partial.as_path());
            let host = match host {
                Some(h) if h.trim().is_empty() || h.contains(char::is_control) => {
                    return Err(Failure::usage("--host: give a name such as web-1"))
                }
                Some(h) => h,
                None => machine_name(),
            };
            let (warnings, names) = pool
                .install(|| analysis::scan_to_partial(&common.paths, &opts, &host, target, None))?;
            print_warnings(&warnings, common.quiet);
            check_deferred(&deferred, names.iter().map(String::as_str))?;
            if let (Some(t), false) = (target, common.quiet) {
                let size = std::fs::metadata(t).map(|m| m.len()).unwrap_or(0);
                report_error(
                    "postmortem: ",
                    &format!(
                        "wrote {} ({} bytes)",
                        t.display(),
                        postmortem::display::group_thousands(size)
                    ),
                );
            }
            Ok(exit::OK)
        }
        Command::Records {
            common,
            all,
            format,
        } => {
            require_paths(&common)?;
            let (opts, deferred) = options(&common)?;
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            let mut sources: BTreeSet<String> = BTreeSet::new();
            let mut last_source = String::new();
            let mut written = 0u64;
            if format == RecordsFormat::Json {
                write!(
                    out,
                    "{{\"schema\":\"{}\",\"generated_by\":{},\"records\":[",
                    RECORDS_SCHEMA,
                    serde_json::Value::from(postmortem::GENERATED_BY)
                )
                .map_err(output)?;
            }
            let mut each = |source: &str,
                            format_name: &'static str,
                            line: u64,
                            parsed: &postmortem::record::Parsed| {
                if source != last_source {
                    last_source = source.to_string();
                    sources.insert(last_source.clone());
                }
                if !all && parsed.at().is_none() {
                    return Ok(());
                }
                if format == RecordsFormat::Json && written > 0 {
                    out.write_all(b",")?;
                }
                written += 1;
                serde_json::to_writer(
                    &mut out,
                    &json::record_value(source, format_name, line, parsed),
                )?;
                if format == RecordsFormat::Ndjson {
                    out.write_all(b"\n")?;
                }
                Ok(())
            };
            let warnings = match postmortem::for_each_record(&common.paths, &opts, &mut each) {
                Ok(w) => w,
                Err(postmortem::RecordsError::Records(postmortem::scan::RecordsError::Output(
                    e,
                ))) => return Err(output(e)),
                Err(e) => return Err(e.into()),
            };
            if format == RecordsFormat::Json {
                let texts: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
                writeln!(out, "],\"warnings\":{}}}", serde_json::Value::from(texts))
                    .map_err(output)?;
            }
            out.flush().map_err(output)?;
            print_warnings(&warnings, common.quiet);
            check_deferred(&deferred, sources.iter().map(String::as_str))?;
            Ok(exit::OK)
        }
        Command::Patterns {
            check,
            patterns,
            format,
        } => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            let (found, checked) = match &check {
                Some(path) => (PatternSet::check_file(path)?, Some(path)),
                None => (PatternSet::load(&patterns)?.patterns().to_vec(), None),
            };
            match (format, checked) {
                (TableFormat::Json, _) => {
                    let name = checked.map(|p| p.display().to_string());
                    let doc = json::patterns_document(&found, name.as_deref());
                    json::write_document(&mut out, &doc).map_err(output)?;
                }
                (TableFormat::Text, Some(path)) => {
                    writeln!(out, "{}: ok, {} patterns", path.display(), found.len())
                        .map_err(output)?;
                }
                (TableFormat::Text, None) => write_pattern_table(&mut out, &found, color)?,
            }
            out.flush().map_err(output)?;
            Ok(exit::OK)
        }
        Command::Completions { shell } => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            clap_complete::generate(shell, &mut Cli::command(), "postmortem", &mut out);
            out.flush().map_err(output)?;
            Ok(exit::OK)
        }
        Command::Man { dir } => {
            let cmd = Cli::command();
            match dir {
                Some(d) => {
                    std::fs::create_dir_all(&d).map_err(|e| {
                        Failure::usage(format!("cannot create {}: {e}", d.display()))
                    })?;
                    clap_mangen::generate_to(cmd, &d).map_err(|e| {
                        Failure::usage(format!("cannot write pages into {}: {e}", d.display()))
                    })?;
                }
                None => {
                    let stdout = io::stdout();
                    let mut out = io::BufWriter::new(stdout.lock());
                    clap_mangen::Man::new(cmd)
                        .render(&mut out)
                        .map_err(output)?;
                    out.flush().map_err(output)?;
                }
            }
            Ok(exit::OK)
        }
    }
}

/// The schema identifier of `postmortem records --format json`.
const RECORDS_SCHEMA: &str = "postmortem.records.v1";

fn write_pattern_table(
    out: &mut dyn Write,
    found: &[postmortem::patterns::Pattern],
    color: ColorChoice,
) -> Result<(), Failure> {
    let header = format!(
        "{:<32}  {:<8}  {:<8}  {:<20}  ORIGIN",
        "ID", "KIND", "SEVERITY", "FORMATS"
    );
    if color.on(io::stdout().is_terminal()) {
        writeln!(out, "\x1b[1m{header}\x1b[0m").map_err(output)?;
    } else {
        writeln!(out, "{header}").map_err(output)?;
    }
    for p in found {
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
            sanitize_for_terminal(&p.origin),
            p.line
        )
        .map_err(output)?;
    }
    Ok(())
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

fn write_format_list(out: &mut dyn Write, after_table: bool) -> io::Result<()> {
    if after_table {
        writeln!(out)?;
    }
    writeln!(out, "Supported formats:")?;
    for f in format::registry() {
        writeln!(out, "  {:<14} {}", f.name(), f.description())?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Wrappers (the line inside is read by its own format; --log-format takes WRAPPER/FORMAT, e.g. cri/nginx_access):"
    )?;
    for w in format::wrap::wrappers() {
        writeln!(out, "  {:<14} {}", w.name(), w.description())?;
    }
    Ok(())
}

/// `--skew` and `--log-format` paths that only archive members can match:
/// checked against the inputs once they are read.
#[derive(Default)]
struct Deferred {
    paths: Vec<(&'static str, String)>,
}

/// Whether an input shown as `display` is named by `p` (as
/// `scan::open::path_matches` does for files, here for archive members
/// shown as `ARCHIVE:MEMBER`).
fn display_matches(display: &str, p: &str) -> bool {
    let tail = |s: &str| s == p || s.ends_with(&format!("/{p}"));
    tail(display)
        || display
            .rsplit_once(':')
            .is_some_and(|(_, member)| tail(member))
}

/// Fails for a deferred path no input shown matches.
fn check_deferred<'a>(
    deferred: &Deferred,
    shown: impl Iterator<Item = &'a str> + Clone,
) -> Result<(), Failure> {
    for (flag, p) in &deferred.paths {
        if !shown.clone().any(|d| display_matches(d, p)) {
            return Err(no_such_input(flag, p));
        }
    }
    Ok(())
}

fn no_such_input(flag: &str, p: &str) -> Failure {
    Failure::usage(format!(
        "{flag} {p}: no input matches this path (name a file as given or as \
         `postmortem formats` shows it, or the end of its path)"
    ))
}

/// Whether a file may hold members (whose names are known only once it is opened).
fn may_be_archive(f: &InputFile) -> bool {
    let name = f.display.to_ascii_lowercase();
    [".tar", ".tgz", ".tbz2", ".txz", ".tzst", ".zip"]
        .iter()
        .any(|ext| name.contains(ext))
}

/// Checks that each `--skew`/`--log-format` path names an input: now for
/// files, after the read for archive members.
fn check_paths(common: &Common, specs: &[(&'static str, String)]) -> Result<Deferred, Failure> {
    let mut deferred = Deferred::default();
    if specs.is_empty() {
        return Ok(deferred);
    }
    let (files, _) = postmortem::input::expand(&common.paths)?;
    let archives = files.iter().any(may_be_archive);
    for (flag, p) in specs {
        if files
            .iter()
            .any(|f| postmortem::scan::open::path_matches(f, p))
        {
            continue;
        }
        if archives {
            deferred.paths.push((flag, p.clone()));
        } else {
            return Err(no_such_input(flag, p));
        }
    }
    Ok(deferred)
}

/// The current time, for `now-2h`.
fn now() -> Micros {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Builds the options from the common flags, checking each for the user;
/// also the paths to check once the inputs are read.
fn options(common: &Common) -> Result<(Options, Deferred), Failure> {
    let zone = Zone::parse(&common.tz).map_err(|e| Failure::usage(format!("--tz: {e}")))?;
    let now = now();
    let bound = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|s| TimeBound::parse(s, zone, now))
            .transpose()
            .map_err(|e| Failure::usage(format!("{flag}: {e}")))
    };
    let since = bound("--since", &common.since)?;
    let until = bound("--until", &common.until)?;
    let show_since = bound("--show-since", &common.show_since)?;
    let show_until = bound("--show-until", &common.show_until)?;
    let bucket_seconds = time::parse_duration_secs(&common.bucket)
        .map_err(|e| Failure::usage(format!("--bucket: {e}")))?;
    if !(1..=86_400).contains(&bucket_seconds) {
        return Err(Failure::usage(
            "--bucket must be between 1s and 24h (e.g. 60s, 5m)",
        ));
    }
    if !(common.slo > 0.0 && common.slo < 100.0) {
        return Err(Failure::usage(
            "--slo must be a percentage between 0 and 100, e.g. 99.9",
        ));
    }
    if let Some(y) = common.year {
        if !(1970..=9999).contains(&y) {
            return Err(Failure::usage("--year must be a year such as 2024"));
        }
    }
    let mut named_paths: Vec<(&'static str, String)> = Vec::new();
    let mut overrides = Vec::new();
    for spec in &common.log_format {
        let (path, name) = match spec.rsplit_once('=') {
            Some((p, n)) => (Some(p.to_string()), n),
            None => (None, spec.as_str()),
        };
        let Some(format) = format::by_name(name) else {
            let names: Vec<&str> = format::registry().iter().map(|f| f.name()).collect();
            let wrappers: Vec<&str> = format::wrap::wrappers().iter().map(|w| w.name()).collect();
            return Err(Failure::usage(format!(
                "--log-format: unknown format '{name}' (known: {}; wrapped as WRAPPER/FORMAT with WRAPPER one of {})",
                names.join(", "),
                wrappers.join(", ")
            )));
        };
        if let Some(p) = &path {
            named_paths.push(("--log-format", p.clone()));
        }
        overrides.push(FormatOverride { path, format });
    }
    let mut skews = Vec::new();
    for spec in &common.skew {
        let Some((path, dur)) = spec.rsplit_once('=') else {
            return Err(Failure::usage(format!(
                "--skew '{spec}': use PATH=±DURATION, e.g. app-2.log=-3s"
            )));
        };
        // A bare number could mean seconds or milliseconds: the unit is required.
        if !dur.trim().ends_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(Failure::usage(format!(
                "--skew '{spec}': give the unit, e.g. {path}={}s or {path}={}m",
                dur.trim(),
                dur.trim()
            )));
        }
        let secs =
            time::parse_duration_secs(dur).map_err(|e| Failure::usage(format!("--skew: {e}")))?;
        // A clock a year off is the worst a correction needs; the bound
        // keeps sums of corrections and shifted times from overflowing.
        if secs.abs() > MAX_SKEW_SECONDS {
            return Err(Failure::usage(format!(
                "--skew '{spec}': a correction must be within a year (±366d)"
            )));
        }
        named_paths.push(("--skew", path.to_string()));
        skews.push((path.to_string(), secs * time::SEC));
    }
    let deferred = check_paths(common, &named_paths)?;
    let failure = match &common.failed_status {
        Some(text) => postmortem::record::FailurePolicy::parse(text)
            .map_err(|e| Failure::usage(format!("--failed-status: {e}")))?,
        None => postmortem::record::FailurePolicy::default(),
    };
    // The defaults are built once: they hold the built-in patterns, which
    // are what a run without `--patterns` loads (each build parses every
    // built-in file, ~4 ms before the first line is read).
    let defaults = Options::default();
    let patterns = match common.patterns.is_empty() {
        true => None,
        false => Some(PatternSet::load(&common.patterns)?),
    };
    // A knob for tests and benchmarks: smaller blocks exercise the
    // block-parallel path on small inputs.
    let block_size = std::env::var("POSTMORTEM_BLOCK_SIZE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| (4096..=1 << 30).contains(&n))
        .unwrap_or(defaults.block_size);
    let mut opts = Options {
        block_size,
        skews,
        zone,
        year: common.year,
        bucket_seconds,
        slo: common.slo,
        overrides,
        failure,
        ..defaults
    };
    if let Some(patterns) = patterns {
        opts.patterns = patterns;
    }
    let [since, until, show_since, show_until] = resolve_window(
        common,
        &opts,
        [
            ("--since", since, &common.since),
            ("--until", until, &common.until),
            ("--show-since", show_since, &common.show_since),
            ("--show-until", show_until, &common.show_until),
        ],
    )?;
    for (a, b, (s, u)) in [
        ("--since", "--until", (since, until)),
        ("--show-since", "--show-until", (show_since, show_until)),
    ] {
        if let (Some(s), Some(u)) = (s, u) {
            if s > u {
                return Err(Failure::usage(format!(
                    "{a} ({}) is after {b} ({}): swap them",
                    time::format_rfc3339(s),
                    time::format_rfc3339(u)
                )));
            }
        }
    }
    opts.since = since;
    opts.until = until;
    opts.shown = postmortem::analysis::Shown {
        since: show_since,
        until: show_until,
    };
    Ok((opts, deferred))
}

/// Resolves `--since`/`--until`: relative ones and times of day from the
/// data's time range, which takes one more read of the inputs (so not of
/// standard input). Says on stderr what a relative bound came to.
fn resolve_window<const N: usize>(
    common: &Common,
    opts: &Options,
    bounds: [(&str, Option<TimeBound>, &Option<String>); N],
) -> Result<[Option<Micros>; N], Failure> {
    let needs_data = bounds
        .iter()
        .filter_map(|(_, b, _)| b.as_ref())
        .any(TimeBound::needs_data);
    let range = if needs_data {
        if common.paths.iter().any(|p| p == "-") {
            return Err(Failure::usage(
                "--since/--until relative to the data (2h, 08:30) need the inputs read \
                 twice, which standard input cannot be: give an absolute time or now-2h",
            ));
        }
        postmortem::data_range(&common.paths, opts)?
    } else {
        None
    };
    let mut out = [None; N];
    for (slot, (flag, bound, text)) in out.iter_mut().zip(bounds) {
        let Some(bound) = bound else { continue };
        let at = bound.resolve(range, opts.zone).map_err(|e| {
            Failure::usage(format!("{flag} {}: {e}", text.as_deref().unwrap_or("")))
        })?;
        if bound.needs_data() && !common.quiet {
            if let Some((_, last)) = range {
                report_error(
                    "postmortem: note: ",
                    &format!(
                        "{flag} {} is {} (the last record is at {})",
                        text.as_deref().unwrap_or(""),
                        time::format_rfc3339(at),
                        time::format_rfc3339(last)
                    ),
                );
            }
        }
        *slot = Some(at);
    }
    Ok(out)
}

/// A progress bar on stderr, only for large inputs or object-store
/// inputs, on a terminal, and never with -q. With objects it counts the
/// objects opened and the stored bytes fetched (the network is what
/// takes the time); else the bytes of the files read.
fn progress_bar(common: &Common, opts: &Options) -> Option<(indicatif::ProgressBar, u64)> {
    const LARGE: u64 = 256 * 1024 * 1024;
    if common.quiet || !io::stderr().is_terminal() {
        return None;
    }
    let (files, _) = postmortem::input::expand_in(&common.paths, opts.key_window()).ok()?;
    let is_object = |f: &&postmortem::input::InputFile| {
        matches!(f.origin, postmortem::input::Origin::Object(_)) && f.not_read.is_none()
    };
    let objects = files.iter().filter(is_object).count() as u64;
    let total: u64 = if objects > 0 {
        files.iter().filter(is_object).map(|f| f.size).sum()
    } else {
        files.iter().map(|f| f.size).sum()
    };
    if total < LARGE && objects == 0 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let template = if objects > 0 {
        "{spinner} fetching logs {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left), {msg}"
    } else {
        "{spinner} reading logs {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left)"
    };
    let style = indicatif::ProgressStyle::with_template(template).ok()?;
    bar.set_style(style);
    if objects > 0 {
        bar.set_message(format!("objects 0/{objects}"));
    }
    Some((bar, objects))
}

/// Moves the bar on after a block: by its bytes for files; for objects,
/// to the objects opened and stored bytes fetched so far.
fn advance(bar: &indicatif::ProgressBar, objects: u64, block: u64) {
    if objects == 0 {
        bar.inc(block);
        return;
    }
    let (opened, fetched) = postmortem::input::object::progress();
    bar.set_position(fetched);
    bar.set_message(format!("objects {}/{objects}", opened.min(objects)));
}

/// This machine's name, for `scan --host`'s default.
fn machine_name() -> String {
    let from_file = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok();
    from_file
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && !h.contains(char::is_control))
        .unwrap_or_else(|| "host".to_string())
}

/// The worker threads of `--threads`.
fn worker_pool(common: &Common) -> Result<rayon::ThreadPool, Failure> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = common.threads {
        if !(1..=MAX_THREADS).contains(&n) {
            return Err(Failure::usage(format!(
                "--threads must be between 1 and {MAX_THREADS}"
            )));
        }
        builder = builder.num_threads(n);
    }
    builder
        .build()
        .map_err(|e| Failure::usage(format!("cannot start worker threads: {e}")))
}

/// Reads the inputs on the worker pool `--threads` sizes, and hands the
/// pool back: the second read that measures incidents runs on it too
/// (outside it, it took rayon's default pool, one thread per core,
/// whatever `--threads` said).
fn analyze(common: &Common, digests: bool) -> Result<(Analysis, rayon::ThreadPool), Failure> {
    let (partials, _) = analysis::split_partials(&common.paths);
    if let (Some(p), true) = (
        partials.first(),
        common.since.is_some() || common.until.is_some(),
    ) {
        return Err(Failure::usage(format!(
            "{p}: --since/--until apply when scanning: give them to `postmortem scan --partial` on each host"
        )));
    }
    let (opts, deferred) = options(common)?;
    let opts = Options { digests, ..opts };
    let pool = worker_pool(common)?;
    let bar = progress_bar(common, &opts);
    let tick = |n: u64| {
        if let Some((b, objects)) = &bar {
            advance(b, *objects, n);
        }
    };
    let analysis = pool.install(|| {
        postmortem::analyze_with_progress(
            &common.paths,
            &opts,
            bar.as_ref().map(|_| &tick as &(dyn Fn(u64) + Sync)),
        )
    });
    if let Some((b, _)) = &bar {
        b.finish_and_clear();
    }
    let analysis = analysis?;
    print_warnings(&analysis.warnings, common.quiet);
    check_deferred(&deferred, analysis.inputs.iter().map(|i| i.path.as_str()))?;
    Ok((analysis, pool))
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
