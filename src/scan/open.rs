//! Opening an input and deciding how to read it: its format (detected
//! from its first lines, or forced with `--log-format`), its clock
//! correction (`--skew`), and whether it is a log at all.

use crate::format::{self, LogFormat};
use crate::input::{self, BlockReader, InputFile, Warning};
use crate::time::{TimeCtx, YearAnchor};

use super::lines::Lines;
use super::{FileResult, ScanError, ScanOptions};

/// Bytes of a file's start used to detect its format.
pub const DETECT_BYTES: usize = 256 * 1024;
/// Lines of a file's start used to detect its format.
pub const DETECT_LINES: usize = 200;

/// A format forced for some files (`--log-format [PATH=]FORMAT`).
#[derive(Clone)]
pub struct FormatOverride {
    /// `None` applies to every file.
    pub path: Option<String>,
    pub format: &'static dyn LogFormat,
}

/// A file opened and detected, waiting to be read.
pub struct Opened {
    pub file: InputFile,
    pub blocks: BlockReader<Box<dyn std::io::Read + Send>>,
    pub first_block: Vec<u8>,
    pub format: Option<&'static dyn LogFormat>,
    pub forced: bool,
    pub warnings: Vec<Warning>,
    pub opened: input::OpenInputInfo,
    /// Filled in while the file is read, when the options ask for digests.
    pub digest: Option<input::Digest>,
    /// The clock correction for this file.
    pub skew: crate::time::Micros,
}

/// Opens a file and detects its format. `Ok(Err(result))` is a file met
/// in a folder that is not read (binary, unreadable), with its warning;
/// the same problem with a file the user named is an error.
pub fn open_and_detect(
    file: InputFile,
    opts: &ScanOptions,
) -> Result<Result<Opened, FileResult>, ScanError> {
    let digest = opts.digests.then(input::Digest::default);
    let open = match input::open(&file, digest.as_ref()) {
        Ok(o) => o,
        Err(e) => {
            if file.explicit {
                return Err(ScanError::Unreadable {
                    path: file.display.clone(),
                    message: e.to_string(),
                });
            }
            let reason = format!("cannot read it: {e}");
            return Ok(Err(FileResult::skipped(file, reason, opts)));
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
        let reason = "binary file, not a log".to_string();
        return Ok(Err(FileResult::skipped(file, reason, opts)));
    }
    blocks.set_block_size(opts.block_size);
    let (format, forced) = match override_for(opts, &file) {
        Some(f) => (Some(f), true),
        None => {
            let lines: Vec<&[u8]> = Lines::new(&first_block)
                .map(|(_, l)| l)
                .take(DETECT_LINES)
                .collect();
            let mut ctx = TimeCtx::new(opts.zone, YearAnchor::End(file.mtime.unwrap_or(0)));
            (format::detect(&lines, &mut ctx), false)
        }
    };
    let skew = skew_for(opts, &file);
    Ok(Ok(Opened {
        file,
        blocks,
        first_block,
        format,
        forced,
        warnings,
        opened: info,
        digest,
        skew,
    }))
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
pub fn path_matches(file: &InputFile, p: &str) -> bool {
    let origin = match &file.origin {
        input::Origin::Path(pb) => pb.to_string_lossy().into_owned(),
        input::Origin::Stdin => "-".to_string(),
    };
    file.display == p
        || origin == p
        || file.display.ends_with(&format!("/{p}"))
        || origin.ends_with(&format!("/{p}"))
}

fn skew_for(opts: &ScanOptions, file: &InputFile) -> crate::time::Micros {
    opts.skews
        .iter()
        .filter(|(p, _)| path_matches(file, p))
        .map(|(_, by)| *by)
        .sum()
}

/// The warning for a read that stopped early.
pub fn damage_warning(
    file: &InputFile,
    info: &input::OpenInputInfo,
    e: &std::io::Error,
) -> Warning {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(display: &str, origin: &str) -> InputFile {
        InputFile {
            display: display.to_string(),
            origin: input::Origin::Path(origin.into()),
            explicit: false,
            size: 0,
            mtime: None,
        }
    }

    #[test]
    fn paths_match_as_shown_as_given_or_by_their_tail() {
        let f = file("lb/access.log", "/var/log/x/lb/access.log");
        for p in [
            "lb/access.log",
            "/var/log/x/lb/access.log",
            "access.log",
            "x/lb/access.log",
        ] {
            assert!(path_matches(&f, p), "{p}");
        }
        for p in ["ccess.log", "lb/access", "error.log"] {
            assert!(!path_matches(&f, p), "{p}");
        }
    }
}
