//! Inputs: expanding paths and directories into files ([`walk`]),
//! recognising compression ([`decode`]), archives read member by member
//! ([`archive`]), and reading a stream as newline-aligned blocks.
//!
//! Nothing here stops a run for one bad file met inside a directory or an
//! archive: special files, dangling links, unreadable, binary and damaged
//! files are kept as inputs that say why they were not (fully) read.
//! Paths the user named explicitly are held to a higher standard: a
//! missing or unreadable one is an error.

pub mod archive;
pub mod decode;
pub mod object;
pub mod walk;

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use archive::{for_each_entry, Entry, Member, Walked};
pub use decode::Compression;
pub use object::KeyWindow;
pub use walk::{expand, expand_in, skip_by_name};

/// Where a file's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Path(PathBuf),
    Stdin,
    /// An object in an object store (`s3://bucket/key`).
    Object(std::sync::Arc<object::ObjectRef>),
}

impl Origin {
    /// Whether the bytes can be read again (a second pass, a second read).
    pub fn rereadable(&self) -> bool {
        !matches!(self, Origin::Stdin)
    }

    /// The origin as a path or URL, as given (`-` for standard input).
    pub fn as_given(&self) -> String {
        match self {
            Origin::Path(p) => p.to_string_lossy().into_owned(),
            Origin::Stdin => "-".to_string(),
            Origin::Object(o) => o.url.clone(),
        }
    }
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
    /// For a member of an archive (`origin` is the archive): which one.
    pub member: Option<MemberRef>,
    /// Set for an entry met in a folder that is not read, and why.
    pub not_read: Option<NotRead>,
}

impl InputFile {
    /// An input with no size, time or member yet.
    pub fn new(display: String, origin: Origin, explicit: bool) -> InputFile {
        InputFile {
            display,
            origin,
            explicit,
            size: 0,
            mtime: None,
            member: None,
            not_read: None,
        }
    }

    /// The modification time of the content: a member's own, else the file's.
    pub fn content_mtime(&self) -> Option<i64> {
        self.member.as_ref().and_then(|m| m.mtime).or(self.mtime)
    }
}

/// Which member of an archive an input is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRef {
    /// The member's path inside the archive, as shown after `archive:`.
    pub path: String,
    /// Its position among the archive's entries (0-based).
    pub index: usize,
    /// Its modification time, from the archive.
    pub mtime: Option<i64>,
    /// Where its bytes start in the archive file, when they are stored
    /// there as they are (a member of an uncompressed tar on disk).
    pub offset: Option<u64>,
}

/// Why an entry met in a folder is not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRead {
    pub reason: String,
    /// Not warned about one by one (files skipped for their names: they
    /// are listed, and counted in one warning per folder).
    pub quiet: bool,
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
    #[error("no input: give one or more log files or folders, or - for standard input")]
    NoInput,
    /// An `s3://` input that cannot be listed or read (unreachable
    /// endpoint, credentials, missing bucket, empty prefix).
    #[error("{url}: {message}")]
    Remote { url: String, message: String },
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
pub struct Hashing<R> {
    pub inner: R,
    pub digest: Digest,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}

/// An open input: decompressed bytes plus what is needed to report damage.
pub struct OpenInput {
    pub reader: Box<dyn Read>,
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
    pub fn new(compression: Compression) -> OpenInputInfo {
        OpenInputInfo {
            compression,
            consumed: Default::default(),
        }
    }

    /// The counter the decoder adds the compressed bytes it reads to.
    pub fn counter(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        self.consumed.clone()
    }

    /// What to say about a read of this input that stopped early on `e`.
    pub fn describe_error(&self, e: &io::Error) -> String {
        decode::describe_error(self.compression, self.consumed(), e)
    }

    /// Compressed bytes consumed so far (for warnings about damaged archives).
    pub fn consumed(&self) -> u64 {
        self.consumed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Opens a file (or stdin) as one stream, decompressed when its magic
/// bytes say so. With a `digest`, the bytes as stored are hashed as they
/// are read. Archives are read with [`for_each_entry`] instead.
pub fn open(file: &InputFile, digest: Option<&Digest>) -> io::Result<OpenInput> {
    let raw: Box<dyn Read + Send> = match &file.origin {
        Origin::Path(p) => Box::new(fs::File::open(p)?),
        Origin::Stdin => Box::new(io::stdin()),
        Origin::Object(o) => Box::new(object::ObjectReader::new(o.clone())),
    };
    let raw: Box<dyn Read + Send> = match digest {
        Some(d) => Box::new(Hashing {
            inner: raw,
            digest: d.clone(),
        }),
        None => raw,
    };
    let (head, raw) = decode::peek(raw, 8)?;
    let compression = Compression::sniff(&head);
    let consumed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let reader = decode::decoder(raw, compression, consumed.clone())?;
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

    /// Reads the rest of the stream and drops it (so a digest taken while
    /// reading covers every byte).
    pub fn drain(&mut self) {
        if !self.eof {
            if let Err(e) = io::copy(&mut self.reader, &mut io::sink()) {
                self.error = Some(e);
            }
            self.eof = true;
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
}
