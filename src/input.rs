//! Inputs: expanding paths and directories into files, recognising
//! compression, and reading files as a stream of newline-aligned blocks.
//!
//! Nothing here stops a run for one bad file met inside a directory: special
//! files, dangling links, unreadable and binary files are skipped with a
//! warning naming them. Paths the user named explicitly are held to a higher
//! standard: a missing or unreadable one is an error.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Where a file's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Path(PathBuf),
    Stdin,
}

/// One file to read.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// The path shown to people and in JSON: relative to the directory
    /// argument it was found in, or the argument itself.
    pub display: String,
    pub origin: Origin,
    /// Whether the user named this file (rather than it being found in a directory).
    pub explicit: bool,
    /// Size on disk (compressed size for compressed files), 0 for stdin.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: Option<i64>,
}

/// A problem with one input that did not stop the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Errors about the inputs the user named.
#[derive(Debug, Error)]
pub enum InputError {
    #[error("{path}: no such file or directory (check the path)")]
    Missing { path: String },
    #[error("{path}: cannot read it: {source} (check permissions)")]
    Unreadable { path: String, source: io::Error },
    #[error("{path}: not a regular file or directory (FIFOs, sockets and devices are not read; copy the log into a file first)")]
    Special { path: String },
    #[error("{path}: looks like a binary file, not a log (name text or .gz/.zst logs)")]
    Binary { path: String },
    #[error("no input: give one or more log files or folders, or - for standard input")]
    NoInput,
}

/// Expands the arguments into the files to read, in a stable order.
pub fn expand(args: &[String]) -> Result<(Vec<InputFile>, Vec<Warning>), InputError> {
    if args.is_empty() {
        return Err(InputError::NoInput);
    }
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let mut stdin_seen = false;
    for arg in args {
        if arg == "-" {
            if !stdin_seen {
                stdin_seen = true;
                files.push(InputFile {
                    display: "-".to_string(),
                    origin: Origin::Stdin,
                    explicit: true,
                    size: 0,
                    mtime: None,
                });
            }
            continue;
        }
        let path = Path::new(arg);
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(InputError::Missing { path: arg.clone() })
            }
            Err(e) => {
                return Err(InputError::Unreadable {
                    path: arg.clone(),
                    source: e,
                })
            }
        };
        if meta.is_dir() {
            let mut visited = std::collections::HashSet::new();
            walk(path, path, &mut files, &mut warnings, &mut visited);
        } else if meta.is_file() {
            files.push(InputFile {
                display: arg.clone(),
                origin: Origin::Path(path.to_path_buf()),
                explicit: true,
                size: meta.len(),
                mtime: mtime_secs(&meta),
            });
        } else {
            return Err(InputError::Special { path: arg.clone() });
        }
    }
    Ok((files, warnings))
}

fn mtime_secs(meta: &fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => Some(d.as_secs() as i64),
        Err(e) => Some(-(e.duration().as_secs() as i64)),
    }
}

/// Relative display path of `path` under the directory argument `root`.
fn display_under(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    if s.is_empty() {
        path.to_string_lossy().into_owned()
    } else {
        s
    }
}

/// Lists `root` recursively, in name order, depth first. The walk keeps
/// its own stack rather than recursing: a hostile tree can be thousands of
/// folders deep, more than a thread's stack holds.
fn walk(
    root: &Path,
    dir: &Path,
    files: &mut Vec<InputFile>,
    warnings: &mut Vec<Warning>,
    visited: &mut std::collections::HashSet<DirId>,
) {
    let mut stack: Vec<std::vec::IntoIter<PathBuf>> = Vec::new();
    if let Some(entries) = list_dir(root, dir, warnings, visited) {
        stack.push(entries);
    }
    while let Some(top) = stack.last_mut() {
        let Some(path) = top.next() else {
            stack.pop();
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let display = display_under(root, &path);
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                let what =
                    if fs::symlink_metadata(&path).is_ok() && e.kind() == io::ErrorKind::NotFound {
                        "skipped: dangling symbolic link".to_string()
                    } else {
                        format!("skipped: cannot read it: {e}")
                    };
                warnings.push(Warning {
                    path: display,
                    message: what,
                });
                continue;
            }
        };
        if meta.is_dir() {
            if let Some(entries) = list_dir(root, &path, warnings, visited) {
                stack.push(entries);
            }
        } else if meta.is_file() {
            if is_obviously_not_a_log(&name) {
                continue;
            }
            files.push(InputFile {
                display,
                origin: Origin::Path(path.clone()),
                explicit: false,
                size: meta.len(),
                mtime: mtime_secs(&meta),
            });
        } else {
            warnings.push(Warning {
                path: display,
                message: "skipped: not a regular file (FIFO, socket or device)".to_string(),
            });
        }
    }
}

/// The entries of a folder, sorted; `None` for a folder already listed
/// (directory links can form loops) or one that cannot be listed (with a
/// warning).
fn list_dir(
    root: &Path,
    dir: &Path,
    warnings: &mut Vec<Warning>,
    visited: &mut std::collections::HashSet<DirId>,
) -> Option<std::vec::IntoIter<PathBuf>> {
    if let Some(id) = dir_id(dir) {
        if !visited.insert(id) {
            return None;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            warnings.push(Warning {
                path: display_under(root, dir),
                message: format!("skipped: cannot list this folder: {e}"),
            });
            return None;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Some(paths.into_iter())
}

/// What identifies a folder however it is reached (through links).
#[cfg(unix)]
type DirId = (u64, u64);
#[cfg(not(unix))]
type DirId = PathBuf;

/// The device and inode of a folder: one `stat`, where resolving the
/// canonical path costs a `stat` per component and makes deep trees slow.
#[cfg(unix)]
fn dir_id(dir: &Path) -> Option<DirId> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(dir).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_id(dir: &Path) -> Option<DirId> {
    fs::canonicalize(dir).ok()
}

/// Files that are never logs, skipped silently inside directories: archives
/// of other kinds, images, our own reports.
fn is_obviously_not_a_log(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const SKIP: &[&str] = &[
        ".png", ".jpg", ".jpeg", ".gif", ".pdf", ".zip", ".tar", ".tgz", ".bz2", ".xz", ".7z",
        ".so", ".exe", ".dll", ".pyc", ".class", ".jar", ".swp", ".md",
    ];
    SKIP.iter().any(|ext| lower.ends_with(ext))
}

/// How a file's bytes are compressed, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// The SHA-256 of an input's bytes as stored (compressed inputs are hashed
/// compressed), filled in while the input is read the first time, so the
/// report's hashes cost no second read.
#[derive(Clone, Debug, Default)]
pub struct Digest(std::sync::Arc<std::sync::Mutex<DigestState>>);

#[derive(Debug, Default)]
struct DigestState {
    hasher: sha2::Sha256,
    /// The stream was read to its end: the digest covers every byte.
    complete: bool,
}

impl Digest {
    fn update(&self, bytes: &[u8]) {
        use sha2::Digest as _;
        if let Ok(mut s) = self.0.lock() {
            if bytes.is_empty() {
                s.complete = true;
            } else {
                s.hasher.update(bytes);
            }
        }
    }

    /// The hex digest, when the whole stream went through it.
    pub fn finish(&self) -> Option<String> {
        use sha2::Digest as _;
        let s = self.0.lock().ok()?;
        s.complete.then(|| hex(&s.hasher.clone().finalize()))
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// SHA-256 of a file as stored, read on its own (for inputs whose first
/// read stopped early: damaged archives, binary files).
pub fn sha256_file(path: &Path) -> io::Result<String> {
    use sha2::Digest as _;
    let mut f = fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Passes bytes through to a [`Digest`].
struct Hashing<R> {
    inner: R,
    digest: Digest,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}

/// A reader that remembers how many compressed bytes went through it, so a
/// damaged archive can be reported with an offset.
struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// An open input: decompressed bytes plus what is needed to report damage.
pub struct OpenInput {
    pub reader: Box<dyn Read + Send>,
    pub compression: Compression,
    consumed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl OpenInput {
    /// What is needed to report damage after the reader has been handed on.
    pub fn info(&self) -> OpenInputInfo {
        OpenInputInfo {
            compression: self.compression,
            consumed: self.consumed.clone(),
        }
    }
}

/// The compression of an open input and how far into it reading got.
#[derive(Clone, Debug)]
pub struct OpenInputInfo {
    pub compression: Compression,
    consumed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl OpenInputInfo {
    /// Compressed bytes consumed so far (for warnings about damaged archives).
    pub fn consumed(&self) -> u64 {
        self.consumed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Opens a file (or stdin), sniffing gzip and zstd by their magic bytes.
/// With a `digest`, the bytes as stored are hashed as they are read.
pub fn open(file: &InputFile, digest: Option<&Digest>) -> io::Result<OpenInput> {
    let consumed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let raw: Box<dyn Read + Send> = match (&file.origin, digest) {
        (Origin::Path(p), Some(d)) => Box::new(Hashing {
            inner: fs::File::open(p)?,
            digest: d.clone(),
        }),
        (Origin::Path(_), None) => return open_plain(file, consumed),
        (Origin::Stdin, Some(d)) => Box::new(Hashing {
            inner: io::stdin(),
            digest: d.clone(),
        }),
        (Origin::Stdin, None) => Box::new(io::stdin()),
    };
    decoded(raw, consumed)
}

/// Opens a file on disk without a digest.
fn open_plain(
    file: &InputFile,
    consumed: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> io::Result<OpenInput> {
    if let Origin::Path(p) = &file.origin {
        // A plain file is handed to the block reader as it is: `File` reads
        // straight into a block's spare capacity, where a wrapper would make
        // the standard library zero every block first.
        let mut f = fs::File::open(p)?;
        let mut head = [0u8; 4];
        let mut got = 0;
        while got < head.len() {
            match f.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let compression = Compression::sniff(&head[..got]);
        if compression == Compression::None {
            io::Seek::seek(&mut f, io::SeekFrom::Start(0))?;
            return Ok(OpenInput {
                reader: Box::new(f),
                compression,
                consumed,
            });
        }
        io::Seek::seek(&mut f, io::SeekFrom::Start(0))?;
        return decoded(Box::new(f), consumed);
    }
    decoded(Box::new(io::stdin()), consumed)
}

/// Sniffs the compression of a stream and wraps it in a decoder that
/// counts the compressed bytes it consumes.
fn decoded(
    raw: Box<dyn Read + Send>,
    consumed: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> io::Result<OpenInput> {
    let mut buffered = io::BufReader::with_capacity(256 * 1024, raw);
    let head = io::BufRead::fill_buf(&mut buffered)?;
    let compression = Compression::sniff(head);
    let counting = Counting {
        inner: buffered,
        count: consumed.clone(),
    };
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(counting),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(counting)),
        Compression::Zstd => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(counting)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            Box::new(decoder)
        }
    };
    Ok(OpenInput {
        reader,
        compression,
        consumed,
    })
}

/// Reads a stream as blocks of whole lines of about `block_size` bytes.
/// A line longer than a block is kept whole (up to `max_line` bytes, after
/// which it is cut and the rest of it dropped).
pub struct BlockReader<R> {
    reader: R,
    carry: Vec<u8>,
    spare: Vec<Vec<u8>>,
    eof: bool,
    block_size: usize,
    max_line: usize,
    /// Set when reading stopped early on an error; the data before it is kept.
    pub error: Option<io::Error>,
}

impl<R: Read> BlockReader<R> {
    pub fn new(reader: R, block_size: usize) -> Self {
        BlockReader {
            reader,
            carry: Vec::new(),
            spare: Vec::new(),
            eof: false,
            block_size: block_size.max(4096),
            max_line: 64 * 1024 * 1024,
            error: None,
        }
    }

    /// Changes the size of the blocks read from now on.
    pub fn set_block_size(&mut self, block_size: usize) {
        self.block_size = block_size.max(4096);
    }

    /// The next block: whole lines, the last one ending in `\n` unless it is
    /// the end of the stream. `None` at the end.
    pub fn next_block(&mut self) -> Option<Vec<u8>> {
        // Reusing returned blocks spares the allocator fresh pages (and
        // their page faults) for every block of a large file.
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut target = self.block_size;
        loop {
            if buf.capacity() < target {
                buf.reserve(target - buf.len() + 64 * 1024);
            }
            while !self.eof && buf.len() < target {
                let want = (target - buf.len()).max(64 * 1024) as u64;
                // `read_to_end` fills spare capacity without zeroing it first.
                match (&mut self.reader).take(want).read_to_end(&mut buf) {
                    Ok(0) => self.eof = true,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.error = Some(e);
                        self.eof = true;
                    }
                }
            }
            if buf.is_empty() {
                self.spare.push(buf);
                return None;
            }
            if self.eof {
                return Some(buf);
            }
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => {
                    self.carry.extend_from_slice(&buf[i + 1..]);
                    buf.truncate(i + 1);
                    return Some(buf);
                }
                None if buf.len() >= self.max_line => {
                    // A runaway line: keep its start, drop the rest up to the next newline.
                    self.skip_to_newline();
                    buf.push(b'\n');
                    return Some(buf);
                }
                None => {
                    // No newline yet: read more into the same line.
                    target = buf.len() * 2;
                }
            }
        }
    }

    /// Gives a block back for reuse once it has been parsed.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if self.spare.len() < 16 && buf.capacity() <= 4 * self.block_size {
            self.spare.push(buf);
        }
    }

    fn skip_to_newline(&mut self) {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match self.reader.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => {
                    if let Some(i) = memchr::memchr(b'\n', &chunk[..n]) {
                        self.carry.extend_from_slice(&chunk[i + 1..n]);
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                    return;
                }
            }
        }
    }
}

/// Whether the start of a (decompressed) file looks like binary data rather
/// than text: NUL bytes or many control characters.
pub fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if sample.is_empty() {
        return false;
    }
    let mut nul = 0usize;
    let mut control = 0usize;
    for &b in sample {
        if b == 0 {
            nul += 1;
        } else if b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b) {
            control += 1;
        }
    }
    // A few NULs can come from a log written while a disk filled up; a
    // binary file has them everywhere.
    nul * 20 > sample.len() || (nul + control) * 10 > sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_on_newlines() {
        let data = b"one\ntwo\nthree\nfour".repeat(5000);
        let mut r = BlockReader::new(&data[..], 4096);
        let mut all = Vec::new();
        while let Some(b) = r.next_block() {
            assert!(b.ends_with(b"\n") || all.len() + b.len() == data.len());
            all.extend_from_slice(&b);
        }
        assert_eq!(all, data);
    }

    #[test]
    fn binary_sniffing() {
        assert!(!looks_binary(b"2024-01-01 hello\n"));
        assert!(looks_binary(&[0u8, 1, 2, 3, 4, 5, 0, 0, 7, 8]));
        let mut mostly_text = b"hello world\n".repeat(100);
        mostly_text[5] = 0;
        assert!(!looks_binary(&mostly_text));
    }

    #[test]
    fn very_deep_folders_do_not_overflow_the_stack() {
        let dir = tempfile::tempdir().unwrap();
        // As deep as a path can be written (PATH_MAX), in single letters.
        let room = 4000usize.saturating_sub(dir.path().as_os_str().len()) / 2 - 8;
        let mut deep = dir.path().to_path_buf();
        for _ in 0..room {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("x.log"), "2024-03-09 08:36:17,412 INFO hi\n").unwrap();
        std::fs::write(dir.path().join("a.log"), "").unwrap();
        // A small stack, as on a worker thread: recursion would overflow it.
        let root = dir.path().to_string_lossy().into_owned();
        let found = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || expand(&[root]).map(|(files, _)| files.len()))
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(found.unwrap(), 2, "{room} folders deep");
    }

    #[cfg(unix)]
    #[test]
    fn folder_loops_are_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/x.log"), "x\n").unwrap();
        std::os::unix::fs::symlink("..", dir.path().join("a/b/up")).unwrap();
        std::os::unix::fs::symlink(".", dir.path().join("self")).unwrap();
        let (files, _) = expand(&[dir.path().to_string_lossy().into_owned()]).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.display.as_str()).collect();
        assert_eq!(names, ["a/b/x.log"]);
    }

    #[test]
    fn display_paths_are_relative() {
        assert_eq!(
            display_under(Path::new("logs"), Path::new("logs/lb/access.log")),
            "lb/access.log"
        );
    }
}
