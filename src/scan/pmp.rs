//! Partial files (`.pmp`): what the scan of one host found, written by
//! `postmortem scan --partial` and read back by the other commands as if
//! the logs had been read in place. The format is in `docs/partial.md`:
//!
//! ```text
//! postmortem-partial <format version> postmortem <tool version>\n
//! <zstd-compressed JSON: settings, inputs (each with its scan results
//!  and request rows), warnings>
//! ```
//!
//! Every piece is the scan's own mergeable state ([`super::partial`]),
//! so reading partials and merging them is the same addition that merges
//! the blocks and files of one scan; the second read's counts come from
//! the request rows ([`super::cells`]).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::input::{self, InputFile, Warning};
use crate::series::Series;

use super::cells::{Carried, Columns};
use super::partial::{AlertKey, AlertSeen, FileStats, Partial, RunKey, SecondAgg, TemplateSeen};
use super::sketch::ClientSketches;
use super::{FileResult, Scanned};

/// The first word of a partial file.
pub const MAGIC: &str = "postmortem-partial";
/// The version of the layout; a partial of another is refused.
pub const FORMAT_VERSION: u32 = 2;
/// The version of the tool that writes partials; a partial written by
/// another is refused too (the serialised scan state follows the code).
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
/// zstd level: about 3 % of the time of a scan for a good ratio.
const LEVEL: i32 = 3;
/// The header line is never longer than this.
const MAX_HEADER: usize = 200;

/// The scan settings that made a partial. Those that decide what the
/// merged analysis counts must agree across the partials of one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The host the partial comes from (`scan --host`, by default the
    /// machine's name): a merged run names each input `HOST:PATH`.
    pub host: String,
    /// `--bucket`, in seconds.
    pub bucket_seconds: i64,
    /// `--failed-status`, as the policy describes itself.
    pub failed_status: Vec<String>,
    /// `--since`/`--until` the scan applied, microseconds since the epoch.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// `--tz` as given.
    pub tz: String,
}

/// One input of a partial.
#[derive(Serialize, Deserialize)]
struct WireInput {
    path: String,
    format: Option<String>,
    forced: bool,
    stats: FileStats,
    warnings: Vec<(String, String)>,
    skipped_reason: Option<String>,
    damaged: Option<String>,
    sha256: Option<Result<String, String>>,
    series: Series,
    runs: Vec<(RunKey, BTreeMap<i64, SecondAgg>)>,
    alerts: Vec<(AlertKey, AlertSeen)>,
    alerts_dropped: u64,
    templates: BTreeMap<String, TemplateSeen>,
    error_seconds: BTreeMap<i64, u64>,
    /// The request rows (inputs with requests).
    requests: Option<Columns>,
    /// The clients per bucket, when the input had more distinct clients
    /// than the scan's bound (the rows then carry none).
    client_sketches: Option<ClientSketches>,
}

#[derive(Serialize, Deserialize)]
struct Body {
    settings: Settings,
    inputs: Vec<WireInput>,
    /// Warnings about the whole scan (caps over all inputs).
    warnings: Vec<(String, String)>,
}

/// What reading a partial gave.
pub struct Loaded {
    pub settings: Settings,
    pub results: Vec<FileResult>,
    pub warnings: Vec<Warning>,
}

/// Why a partial could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    #[error("{path}: cannot read it: {message}")]
    Unreadable { path: String, message: String },
    #[error("{path}: cannot write it: {message}")]
    Unwritable { path: String, message: String },
    #[error(
        "{path}: a partial of format {found_format} written by postmortem {found_tool}; this is postmortem {TOOL_VERSION}, which reads format {FORMAT_VERSION} of its own version only: scan the host again with this version"
    )]
    Version {
        path: String,
        found_format: String,
        found_tool: String,
    },
    #[error("{path}: a damaged partial ({message}): copy it again or scan the host again")]
    Damaged { path: String, message: String },
    #[error("{path}: {message}")]
    Settings { path: String, message: String },
}

/// Whether the file at `path` is a partial (by its first word). Only a
/// regular file can be one: a FIFO or device is never opened here (opening
/// a FIFO blocks until a writer comes; the scan refuses it with a warning).
pub fn is_partial(path: &Path) -> bool {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(f) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = [0u8; MAGIC.len() + 1];
    let mut r = f.take(head.len() as u64);
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n == head.len() && &head[..MAGIC.len()] == MAGIC.as_bytes() && head[MAGIC.len()] == b' '
}

/// The header line of this version.
fn header() -> String {
    format!("{MAGIC} {FORMAT_VERSION} postmortem {TOOL_VERSION}\n")
}

/// Writes the results of a scan as a partial at `path` (`None`: standard
/// output).
pub fn write(
    path: Option<&Path>,
    scanned: Scanned,
    settings: Settings,
) -> Result<(), PartialError> {
    let shown = path.map_or("standard output".to_string(), |p| p.display().to_string());
    let err = |e: std::io::Error| PartialError::Unwritable {
        path: shown.clone(),
        message: e.to_string(),
    };
    let inputs = scanned.files.into_iter().map(wire).collect();
    let body = Body {
        settings,
        inputs,
        warnings: scanned
            .warnings
            .into_iter()
            .map(|w| (w.path, w.message))
            .collect(),
    };
    let Some(path) = path else {
        let stdout = std::io::stdout();
        return write_body(stdout.lock(), &body).map_err(err);
    };
    // Written beside the target and renamed: a reader never sees half a file.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = std::path::PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(err)?;
    if let Err(e) = write_body(file, &body) {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    std::fs::rename(&tmp, path).map_err(err)
}

fn write_body(out: impl Write, body: &Body) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    out.write_all(header().as_bytes())?;
    let mut z = zstd::stream::Encoder::new(out, LEVEL)?;
    serde_json::to_writer(&mut z, body)?;
    let mut out = z.finish()?;
    out.flush()
}

fn wire(r: FileResult) -> WireInput {
    let p = r.partial;
    let mut runs: Vec<(RunKey, BTreeMap<i64, SecondAgg>)> = p.runs.into_iter().collect();
    runs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut alerts: Vec<(AlertKey, AlertSeen)> = p.alerts.into_iter().collect();
    alerts.sort_by(|a, b| a.0.cmp(&b.0));
    let (requests, client_sketches) = match p.cells {
        Some(mut c) if !c.rows.is_empty() => {
            let sketch = c.sketch.take();
            (Some(Columns::of(&c.sorted())), sketch)
        }
        _ => (None, None),
    };
    WireInput {
        path: r.file.display,
        format: r.format.map(|f| f.name().to_string()),
        forced: r.forced,
        stats: p.stats,
        warnings: r
            .warnings
            .into_iter()
            .map(|w| (w.path, w.message))
            .collect(),
        skipped_reason: r.skipped_reason,
        damaged: r.damaged,
        sha256: r.sha256,
        series: p.series,
        runs,
        alerts,
        alerts_dropped: p.alerts_dropped,
        templates: p.templates.into_iter().collect(),
        error_seconds: p.error_seconds,
        requests,
        client_sketches,
    }
}

/// Reads a partial written by this version.
pub fn read(path: &Path) -> Result<Loaded, PartialError> {
    let shown = path.display().to_string();
    let damaged = |message: String| PartialError::Damaged {
        path: shown.clone(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| PartialError::Unreadable {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let mut r = BufReader::new(file);
    let mut line = Vec::new();
    (&mut r)
        .take(MAX_HEADER as u64)
        .read_until(b'\n', &mut line)
        .map_err(|e| damaged(e.to_string()))?;
    if line.last() != Some(&b'\n') {
        return Err(damaged("no header line".into()));
    }
    let text = String::from_utf8_lossy(&line);
    let words: Vec<&str> = text.split_ascii_whitespace().collect();
    match words.as_slice() {
        [MAGIC, format, "postmortem", tool]
            if *format == FORMAT_VERSION.to_string() && *tool == TOOL_VERSION => {}
        [MAGIC, format, "postmortem", tool] => {
            return Err(PartialError::Version {
                path: shown,
                found_format: format.to_string(),
                found_tool: tool.to_string(),
            })
        }
        _ => return Err(damaged("the header line is not a partial's".into())),
    }
    let z = zstd::stream::Decoder::with_buffer(r).map_err(|e| damaged(e.to_string()))?;
    let body: Body = serde_json::from_reader(BufReader::new(z)).map_err(|e| {
        // A cut or corrupted stream surfaces as an I/O error inside JSON.
        damaged(e.to_string())
    })?;
    if body.settings.bucket_seconds < 1 {
        return Err(damaged("its bucket width is not positive".into()));
    }
    if body.settings.host.is_empty() {
        return Err(damaged("it names no host".into()));
    }
    let mut results = Vec::with_capacity(body.inputs.len());
    for w in body.inputs {
        results.push(unwire(w, path, &body.settings).map_err(damaged)?);
    }
    let host = &body.settings.host;
    let warnings = body
        .warnings
        .into_iter()
        .map(|(p, message)| Warning {
            path: format!("{host}:{p}"),
            message,
        })
        .collect();
    Ok(Loaded {
        settings: body.settings,
        results,
        warnings,
    })
}

/// The name an input of a partial goes by in a merged run.
pub fn merged_name(host: &str, path: &str) -> String {
    format!("{host}:{path}")
}

fn unwire(mut w: WireInput, path: &Path, settings: &Settings) -> Result<FileResult, String> {
    let own = std::mem::take(&mut w.path);
    w.path = merged_name(&settings.host, &own);
    let format = match &w.format {
        Some(name) => Some(
            crate::format::by_name(name)
                .ok_or_else(|| format!("{}: unknown format {name}", w.path))?,
        ),
        None => None,
    };
    if w.series.bucket_seconds != settings.bucket_seconds {
        return Err(format!("{}: a series of another bucket width", w.path));
    }
    if let Some(sk) = &w.client_sketches {
        if !sk.is_valid() || w.requests.is_none() {
            return Err(format!("{}: its client sketches are not valid", w.path));
        }
    }
    let carried = match w.requests {
        Some(c) => Some(Carried {
            source: w.path.clone(),
            rows: c
                .rows()
                .ok_or_else(|| format!("{}: its request rows do not add up", w.path))?,
            sketch: w.client_sketches.take(),
        }),
        None => None,
    };
    let partial = Partial {
        stats: w.stats,
        series: w.series,
        runs: w.runs.into_iter().collect(),
        alerts: w.alerts.into_iter().collect(),
        alerts_dropped: w.alerts_dropped,
        templates: w.templates.into_iter().collect(),
        error_seconds: w.error_seconds,
        cells: None,
    };
    let file = InputFile::new(
        w.path.clone(),
        input::Origin::Path(path.to_path_buf()),
        false,
    );
    Ok(FileResult {
        file,
        format,
        forced: w.forced,
        partial,
        warnings: w
            .warnings
            .into_iter()
            .map(|(p, message)| Warning {
                path: if p == own {
                    w.path.clone()
                } else {
                    merged_name(&settings.host, &p)
                },
                message,
            })
            .collect(),
        skipped_reason: w.skipped_reason,
        damaged: w.damaged,
        reread: None,
        carried,
        sha256: w.sha256,
    })
}
