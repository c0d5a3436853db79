//! Holding a year-less stream that cannot be read twice (standard input,
//! or a member of an archive on standard input) for the second pass: its
//! decompressed bytes go to a temporary file, removed when it is read.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::input::{self, InputFile, Warning};

use super::open::{damage_warning, detect, Opened};
use super::{FileResult, ScanError, ScanOptions};

/// A temporary file, removed when dropped.
pub struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A stream held for the second pass.
pub struct Held {
    pub spool: Spool,
    pub file: InputFile,
    pub sha256: Option<Result<String, String>>,
    /// Warnings met while holding it (damage).
    pub warnings: Vec<Warning>,
}

/// Writes the rest of an opened stream to a spool file. On failure, the
/// stream back (as far as it was read) with the error.
pub fn hold(mut op: Opened<'_>) -> Result<Held, Box<(Opened<'_>, io::Error)>> {
    static N: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "postmortem-{}-{}.spool",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let file = match std::fs::File::create(&path) {
        Ok(f) => f,
        Err(e) => return Err(Box::new((op, e))),
    };
    let spool = Spool(path);
    let mut out = io::BufWriter::new(file);
    if let Err(e) = out.write_all(&op.first_block) {
        return Err(Box::new((op, e)));
    }
    while let Some(b) = op.blocks.next_block() {
        if let Err(e) = out.write_all(&b) {
            return Err(Box::new((op, e)));
        }
        op.blocks.recycle(b);
    }
    if let Err(e) = out.flush() {
        return Err(Box::new((op, e)));
    }
    let mut warnings = op.warnings;
    if let Some(e) = op.blocks.error.take() {
        warnings.push(damage_warning(&op.file, &op.opened, &e));
    }
    let sha256 = op.digest.map(|d| super::digest_of(&op.file, Some(&d)));
    Ok(Held {
        spool,
        file: op.file,
        sha256,
        warnings,
    })
}

/// Reads a spooled stream as `file` with `read`; a stream that cannot be
/// read back gives its result instead.
pub fn read_back<T>(
    spool: &Spool,
    file: &InputFile,
    opts: &ScanOptions,
    read: impl FnOnce(Opened<'_>) -> T,
) -> Result<Result<T, FileResult>, ScanError> {
    let reader = match std::fs::File::open(&spool.0) {
        Ok(f) => f,
        Err(e) => {
            return Ok(Err(FileResult::skipped(
                file.clone(),
                format!("cannot read back the spooled copy: {e}"),
                opts,
            )))
        }
    };
    let member = input::Member {
        file: file.clone(),
        reader: Box::new(reader),
        info: input::OpenInputInfo::new(input::Compression::None),
        digest: None,
    };
    Ok(detect(member, opts)?.map(read))
}
