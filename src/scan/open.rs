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

/// A stream opened and detected, waiting to be read.
pub struct Opened<'a> {
    pub file: InputFile,
    pub blocks: BlockReader<Box<dyn std::io::Read + 'a>>,
    pub first_block: Vec<u8>,
    pub format: Option<&'static dyn LogFormat>,
    pub forced: bool,
    pub warnings: Vec<Warning>,
    pub opened: input::OpenInputInfo,
    /// Filled in while the file is read, when the options ask for digests.
    pub digest: Option<input::Digest>,
    /// The clock correction for this file.
    pub skew: crate::time::Micros,
    /// Set when reading stopped within the first block: what happened.
    pub damaged: Option<String>,
}

/// A stream of an input: opened and detected, or not read (with its
/// result saying why).
pub type Stream<'a> = Result<Opened<'a>, FileResult>;

/// Calls `each` with every stream of `file` (the file, or each member of
/// an archive), opened and detected, or as the result of a stream not
/// read (binary, unreadable, skipped in a folder or an archive, the
/// damaged rest of an archive). A file the user named that cannot be read
/// or is binary is an error. `select` picks archive members by index.
pub fn each_stream<E: From<ScanError>>(
    file: &InputFile,
    opts: &ScanOptions,
    select: input::archive::Select<'_>,
    each: &mut dyn FnMut(Stream<'_>) -> Result<(), E>,
) -> Result<(), E> {
    if let Some(n) = &file.not_read {
        let mut r = FileResult::skipped(file.clone(), n.reason.clone(), opts);
        if n.quiet {
            r.warnings.clear();
        }
        return each(Err(r));
    }
    // Members skipped for their names: the first one's warning speaks for all.
    let mut quiet_warned = false;
    let walked = input::for_each_entry(file, opts.digests, select, &mut |entry| {
        let stream = match entry {
            input::Entry::Member(m) => match detect(m, opts) {
                Ok(s) => s,
                Err(e) => return Err(E::from(e)),
            },
            input::Entry::Skipped {
                file,
                reason,
                sha256,
            } => {
                let quiet = file.not_read.as_ref().is_some_and(|n| n.quiet);
                let mut r = FileResult::skipped(file, reason, opts);
                r.sha256 = opts
                    .digests
                    .then(|| sha256.unwrap_or_else(|| Err("not hashed: not read".to_string())));
                if quiet {
                    if quiet_warned {
                        r.warnings.clear();
                    } else {
                        quiet_warned = true;
                        r.warnings[0].message.push_str(
                            " (members not read for their names are listed by `postmortem formats`, not warned about one by one)",
                        );
                    }
                }
                Err(r)
            }
        };
        each(stream)
    });
    match walked {
        Ok(w) => {
            if let Some(damage) = w.damage {
                let mut r = FileResult::skipped(file.clone(), damage, opts);
                r.warnings[0].message = r.skipped_reason.clone().unwrap_or_default();
                each(Err(r))?;
            }
            Ok(())
        }
        Err(input::archive::EachError::Visit(e)) => Err(e),
        Err(input::archive::EachError::Open(e)) => {
            if file.explicit {
                return Err(E::from(ScanError::Unreadable {
                    path: file.display.clone(),
                    message: e.to_string(),
                }));
            }
            let reason = format!("cannot read it: {e}");
            each(Err(FileResult::skipped(file.clone(), reason, opts)))
        }
    }
}

/// Detects the format of one stream. `Ok(Err(result))` is a stream that
/// is not read (binary), with its warning; the same problem with a file
/// the user named is an error.
pub fn detect<'a>(m: input::Member<'a>, opts: &ScanOptions) -> Result<Stream<'a>, ScanError> {
    let input::Member {
        file,
        reader,
        info,
        digest,
    } = m;
    let mut blocks = BlockReader::new(reader, DETECT_BYTES);
    let first_block = blocks.next_block().unwrap_or_default();
    let mut warnings = Vec::new();
    let mut damaged = None;
    if let Some(e) = blocks.error.take() {
        let w = damage_warning(&file, &info, &e);
        damaged = Some(w.message.clone());
        warnings.push(w);
    }
    if input::looks_binary(&first_block) {
        if file.explicit && file.member.is_none() {
            return Err(ScanError::Binary {
                path: file.display.clone(),
            });
        }
        if digest.is_some() && file.member.is_some() {
            // A member cannot be hashed on its own later: finish it now.
            blocks.drain();
        }
        let reason = "binary file, not a log".to_string();
        let mut r = FileResult::skipped(file, reason, opts);
        if let Some(d) = &digest {
            r.sha256 = Some(super::digest_of(&r.file, Some(d)));
        }
        return Ok(Err(r));
    }
    blocks.set_block_size(opts.block_size);
    let (format, forced) = match override_for(opts, &file) {
        Some(f) => (Some(f), true),
        None => {
            let mut ctx = TimeCtx::new(
                opts.zone,
                YearAnchor::End(file.content_mtime().unwrap_or(0)),
            );
            let detected = detect_in(&first_block, &mut ctx);
            if let Some(note) = detected.and_then(|f| f.caveat()) {
                let sample = Lines::new(&first_block)
                    .find(|(_, l)| !format::is_blank(l))
                    .map(|(n, l)| format!(" (line {n}: {})", super::lines::display_line(l)))
                    .unwrap_or_default();
                warnings.push(Warning {
                    path: file.display.clone(),
                    message: format!("{note}{sample}"),
                });
            }
            (detected.map(format::per_line_unless_wrapped), false)
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
        damaged,
    }))
}

/// Lines sampled across the first block when its first
/// [`DETECT_LINES`] are not mostly read by one format.
pub const WIDE_SAMPLE_LINES: usize = 1000;

/// The format of a stream from its first block: the first
/// [`DETECT_LINES`] lines decide when the best format reads nine in ten
/// of them; otherwise (a file that starts with junk, or with a banner)
/// a sample of up to [`WIDE_SAMPLE_LINES`] spread over the whole block.
fn detect_in(first_block: &[u8], ctx: &mut TimeCtx) -> Option<&'static dyn LogFormat> {
    let all: Vec<&[u8]> = Lines::new(first_block).map(|(_, l)| l).collect();
    let head = &all[..all.len().min(DETECT_LINES)];
    let found = format::detect(head, &mut ctx.clone());
    if all.len() <= DETECT_LINES {
        return found;
    }
    let nonblank = head.iter().filter(|l| !format::is_blank(l)).count();
    let read = found.map_or(0, |f| {
        let s = format::score(f, head, &mut ctx.clone());
        s.records + s.continued + s.framing
    });
    if 10 * read >= 9 * nonblank {
        return found;
    }
    let rest = &all[DETECT_LINES..];
    let step = rest.len().div_ceil(WIDE_SAMPLE_LINES - DETECT_LINES).max(1);
    let wide: Vec<&[u8]> = head
        .iter()
        .copied()
        .chain(rest.iter().step_by(step).copied())
        .collect();
    format::detect(&wide, ctx).or(found)
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
/// shown, as given, or a trailing part of either. A member of an archive
/// is named by its path in the archive too (`ARCHIVE:MEMBER` as shown,
/// the archive's path as given followed by `:MEMBER`, or a trailing part
/// of the member's path).
pub fn path_matches(file: &InputFile, p: &str) -> bool {
    let mut origin = file.origin.as_given();
    if let Some(m) = &file.member {
        let tail = |s: &str| s == p || s.ends_with(&format!("/{p}"));
        if tail(&m.path) {
            return true;
        }
        origin = format!("{origin}:{}", m.path);
    }
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
    Warning {
        path: file.display.clone(),
        message: info.describe_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(display: &str, origin: &str) -> InputFile {
        InputFile::new(
            display.to_string(),
            input::Origin::Path(origin.into()),
            false,
        )
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

    #[test]
    fn members_match_by_their_path_in_the_archive() {
        let mut f = file("b.tgz:var/log/nginx/access.log", "/tmp/x/b.tgz");
        f.member = Some(input::MemberRef {
            path: "var/log/nginx/access.log".into(),
            index: 3,
            mtime: None,
            offset: None,
        });
        for p in [
            "b.tgz:var/log/nginx/access.log",
            "/tmp/x/b.tgz:var/log/nginx/access.log",
            "nginx/access.log",
            "access.log",
            "var/log/nginx/access.log",
        ] {
            assert!(path_matches(&f, p), "{p}");
        }
        for p in ["b.tgz", "error.log", "log/nginx"] {
            assert!(!path_matches(&f, p), "{p}");
        }
    }
}
