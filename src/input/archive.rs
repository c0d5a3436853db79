//! One input as the streams it holds: a plain or compressed file is one
//! stream; a tar (plain, or compressed with gzip, zstd, bzip2 or xz) and a
//! zip are one stream per member, each an input of its own named
//! `archive:member/path`. Archives are recognised by their bytes (the
//! `ustar` magic of a tar, the local header of a zip), like compression.
//!
//! Members are visited in archive order, one at a time, each read while
//! the archive is positioned on it: nothing is extracted or held. A member
//! compressed itself (`access.log.1.gz` in a tar) is decoded; a member
//! that cannot be read (a link, a device, an archive inside the archive,
//! an unsupported zip method) is visited as [`Entry::Skipped`] with the
//! reason. A damaged archive gives every member before the damage, and
//! [`Walked::damage`] says where it stopped.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom};

use super::decode::{self, Compression};
use super::{skip_by_name, Digest, Hashing, InputFile, MemberRef, OpenInputInfo, Origin};

/// Bytes looked at to recognise compression and archives.
const HEAD: usize = 512;

/// One stream to read: a file, or a member of an archive.
pub struct Member<'a> {
    /// The input: the file itself, or the member (with [`InputFile::member`]).
    pub file: InputFile,
    /// The decompressed bytes.
    pub reader: Box<dyn Read + 'a>,
    /// Its compression and how far into it reading got.
    pub info: OpenInputInfo,
    /// Filled in while it is read, when digests were asked for.
    pub digest: Option<Digest>,
}

/// What [`for_each_entry`] visits.
pub enum Entry<'a> {
    Member(Member<'a>),
    /// A member that is not read, with the reason and, when digests were
    /// asked for, its SHA-256.
    Skipped {
        file: InputFile,
        reason: String,
        sha256: Option<Result<String, String>>,
    },
}

/// How visiting an input ended.
#[derive(Debug, Default)]
pub struct Walked {
    /// Whether it was an archive.
    pub archive: bool,
    /// For an archive whose reading stopped early: why; members after
    /// that point are lost.
    pub damage: Option<String>,
    /// Entries visited.
    pub visited: usize,
}

/// Errors of [`for_each_entry`]: the input could not be opened at all, or
/// the visitor stopped.
#[derive(Debug)]
pub enum EachError<E> {
    Open(io::Error),
    Visit(E),
}

impl<E> From<io::Error> for EachError<E> {
    fn from(e: io::Error) -> Self {
        EachError::Open(e)
    }
}

/// Which entries of an archive to visit, by index, and the last of them
/// (reading stops after it); `None` visits all.
pub type Select<'s> = Option<(&'s dyn Fn(usize) -> bool, usize)>;

/// Calls `visit` with each stream of `file` in order: the file itself, or
/// each member of an archive. With `digests`, each stream's bytes as
/// stored (a member as it would be extracted) are hashed.
pub fn for_each_entry<E>(
    file: &InputFile,
    digests: bool,
    select: Select<'_>,
    visit: &mut dyn FnMut(Entry<'_>) -> Result<(), E>,
) -> Result<Walked, EachError<E>> {
    let mut v = Visitor {
        archive: file,
        digests,
        select,
        visit,
        walked: Walked::default(),
        names: HashMap::new(),
    };
    match &file.origin {
        Origin::Path(p) => {
            let mut f = fs::File::open(p)?;
            let head = read_head(&mut f)?;
            f.seek(SeekFrom::Start(0))?;
            let compression = Compression::sniff(&head);
            if compression == Compression::None && is_zip(&head) {
                return v.zip(f);
            }
            if compression == Compression::None && is_tar(&head) {
                // The offsets of members in a plain tar are file offsets.
                return v.tar(f, true);
            }
            if compression == Compression::None && !digests {
                // A plain file goes to the block reader as it is: `File`
                // reads straight into a block's spare capacity, where a
                // wrapper would make the standard library zero every block.
                return v.single(Box::new(f), compression, None);
            }
            v.stream(Box::new(f), compression)
        }
        Origin::Object(o) => {
            // The first chunk holds the head: seeking back to the start
            // costs no second request.
            let mut r = super::object::ObjectReader::new(o.clone());
            let head = read_head(&mut r)?;
            r.seek(SeekFrom::Start(0))?;
            let compression = Compression::sniff(&head);
            if compression == Compression::None && is_zip(&head) {
                return v.zip(r);
            }
            if compression == Compression::None && is_tar(&head) {
                // Member offsets are offsets in the object.
                return v.tar(r, true);
            }
            v.stream(Box::new(r), compression)
        }
        Origin::Stdin => {
            let (head, raw) = decode::peek(io::stdin(), HEAD)?;
            let compression = Compression::sniff(&head);
            if compression == Compression::None && is_zip(&head) {
                v.skipped(
                    0,
                    "zip archive on standard input",
                    None,
                    "a zip archive cannot be read from standard input (its index is at its end): save it to a file and name the file".into(),
                    None,
                )?;
                return Ok(v.walked);
            }
            v.stream(raw, compression)
        }
    }
}

struct Visitor<'v, 's, E> {
    archive: &'v InputFile,
    digests: bool,
    select: Select<'s>,
    visit: &'v mut dyn FnMut(Entry<'_>) -> Result<(), E>,
    walked: Walked,
    /// Member names seen, to tell apart members stored twice.
    names: HashMap<String, usize>,
}

impl<E> Visitor<'_, '_, E> {
    fn wanted(&self, index: usize) -> bool {
        self.select.is_none_or(|(s, _)| s(index))
    }

    /// Whether `index` comes after the last entry wanted.
    fn past_last(&self, index: usize) -> bool {
        self.select.is_some_and(|(_, last)| index > last)
    }

    /// A stream that may be compressed and may be a tar.
    fn stream(
        &mut self,
        raw: Box<dyn Read + '_>,
        compression: Compression,
    ) -> Result<Walked, EachError<E>> {
        let digest = self.digests.then(Digest::default);
        let raw: Box<dyn Read + '_> = match &digest {
            Some(d) => Box::new(Hashing {
                inner: raw,
                digest: d.clone(),
            }),
            None => raw,
        };
        let info = OpenInputInfo::new(compression);
        let decoded = decode::decoder(raw, compression, info.counter())?;
        let (head, decoded) = decode::peek(decoded, HEAD)?;
        if is_tar(&head) {
            return self.tar(decoded, false);
        }
        self.single_with(decoded, info, digest)
    }

    fn single(
        &mut self,
        reader: Box<dyn Read + '_>,
        compression: Compression,
        digest: Option<Digest>,
    ) -> Result<Walked, EachError<E>> {
        self.single_with(reader, OpenInputInfo::new(compression), digest)
    }

    fn single_with(
        &mut self,
        reader: Box<dyn Read + '_>,
        info: OpenInputInfo,
        digest: Option<Digest>,
    ) -> Result<Walked, EachError<E>> {
        self.walked.visited = 1;
        (self.visit)(Entry::Member(Member {
            file: self.archive.clone(),
            reader,
            info,
            digest,
        }))
        .map_err(EachError::Visit)?;
        Ok(std::mem::take(&mut self.walked))
    }

    /// The input for member `path` at `index`.
    fn member_file(&mut self, index: usize, path: &str, mtime: Option<i64>) -> InputFile {
        let mut path = path
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_string();
        let seen = self.names.entry(path.clone()).or_default();
        *seen += 1;
        if *seen > 1 {
            path = format!("{path} ({seen})");
        }
        let mut f = self.archive.clone();
        f.display = format!("{}:{path}", self.archive.display);
        f.explicit = false;
        f.member = Some(MemberRef {
            path,
            index,
            mtime,
            offset: None,
        });
        f
    }

    fn skipped(
        &mut self,
        index: usize,
        path: &str,
        mtime: Option<i64>,
        reason: String,
        sha256: Option<Result<String, String>>,
    ) -> Result<(), EachError<E>> {
        let file = self.member_file(index, path, mtime);
        self.walked.visited += 1;
        (self.visit)(Entry::Skipped {
            file,
            reason,
            sha256,
        })
        .map_err(EachError::Visit)
    }

    /// One member's bytes: skipped by its name or as an archive inside the
    /// archive, else decoded and visited.
    fn member(
        &mut self,
        index: usize,
        path: &str,
        mtime: Option<i64>,
        offset: Option<u64>,
        raw: &mut dyn Read,
    ) -> Result<(), EachError<E>> {
        let base = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        let hidden_dir = path
            .trim_start_matches("./")
            .split('/')
            .rev()
            .skip(1)
            .any(|c| c.starts_with('.') && c != "." && c != "..");
        let by_name = skip_by_name(base).or_else(|| {
            hidden_dir.then(|| "in a hidden folder (a name starting with '.')".to_string())
        });
        let digest = self.digests.then(Digest::default);
        let mut hashed: Box<dyn Read + '_> = match &digest {
            Some(d) => Box::new(Hashing {
                inner: raw,
                digest: d.clone(),
            }),
            None => Box::new(raw),
        };
        if let Some(reason) = by_name {
            let sha = self.drain(&mut hashed, &digest);
            // Listed, not warned about one by one (as in a folder).
            let mut file = self.member_file(index, path, mtime);
            file.not_read = Some(super::NotRead {
                reason: reason.clone(),
                quiet: true,
            });
            self.walked.visited += 1;
            return (self.visit)(Entry::Skipped {
                file,
                reason,
                sha256: sha,
            })
            .map_err(EachError::Visit);
        }
        let (head, rest) = decode::peek(hashed, HEAD).map_err(EachError::Open)?;
        let compression = Compression::sniff(&head);
        let info = OpenInputInfo::new(compression);
        let (head, mut reader) = if compression == Compression::None {
            (head, rest)
        } else {
            match decode::decoder(rest, compression, info.counter())
                .and_then(|d| decode::peek(d, HEAD))
            {
                Ok(x) => x,
                Err(e) => {
                    let reason = format!("cannot decode it: {}", info.describe_error(&e));
                    return self.skipped(index, path, mtime, reason, None);
                }
            }
        };
        if is_tar(&head) || is_zip(&head) {
            let sha = self.drain(&mut reader, &digest);
            let reason = "an archive inside the archive is not read: extract it and name it".into();
            return self.skipped(index, path, mtime, reason, sha);
        }
        let mut file = self.member_file(index, path, mtime);
        if let Some(m) = &mut file.member {
            m.offset = offset.filter(|_| compression == Compression::None);
        }
        self.walked.visited += 1;
        (self.visit)(Entry::Member(Member {
            file,
            reader,
            info,
            digest,
        }))
        .map_err(EachError::Visit)
    }

    /// Reads the rest of a skipped member through its digest.
    fn drain(
        &self,
        reader: &mut dyn Read,
        digest: &Option<Digest>,
    ) -> Option<Result<String, String>> {
        let d = digest.as_ref()?;
        Some(match io::copy(reader, &mut io::sink()) {
            Ok(_) => d
                .finish()
                .ok_or_else(|| "not hashed: reading stopped early".to_string()),
            Err(e) => Err(format!("not hashed: {e}")),
        })
    }

    /// The members of a tar. `on_disk`: the reader is the archive file
    /// from its start, so member offsets are file offsets.
    fn tar<R: Read>(&mut self, reader: R, on_disk: bool) -> Result<Walked, EachError<E>> {
        self.walked.archive = true;
        let mut archive = tar::Archive::new(reader);
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => {
                self.walked.damage = Some(format!("cannot read the tar archive: {e}"));
                return Ok(std::mem::take(&mut self.walked));
            }
        };
        let mut members = 0usize;
        for (index, entry) in entries.enumerate() {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.walked.damage = Some(format!(
                        "damaged or truncated tar data after {members} member{}: {e}; every member before it was read",
                        if members == 1 { "" } else { "s" }
                    ));
                    break;
                }
            };
            if self.past_last(index) {
                break;
            }
            if !self.wanted(index) {
                continue;
            }
            let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let mtime = entry.header().mtime().ok().map(|t| t as i64);
            use tar::EntryType as T;
            let kind = entry.header().entry_type();
            match kind {
                T::Regular | T::Continuous | T::GNUSparse => {
                    members += 1;
                    let offset =
                        (on_disk && kind != T::GNUSparse).then(|| entry.raw_file_position());
                    self.member(index, &path, mtime, offset, &mut entry)?;
                }
                T::Directory | T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => {}
                T::Symlink | T::Link => {
                    members += 1;
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .unwrap_or_default();
                    self.skipped(
                        index,
                        &path,
                        mtime,
                        format!("a link inside the archive (to {target}), not followed"),
                        None,
                    )?;
                }
                other => {
                    members += 1;
                    let what = match other {
                        T::Char | T::Block | T::Fifo => {
                            "not a regular file (FIFO or device)".to_string()
                        }
                        _ => format!("a tar entry of type {:?}", other.as_byte() as char),
                    };
                    self.skipped(index, &path, mtime, what, None)?;
                }
            }
        }
        Ok(std::mem::take(&mut self.walked))
    }

    /// The members of a zip on disk, from its central directory, or from
    /// its local headers when the directory is damaged or missing.
    fn zip<R: Read + Seek>(&mut self, f: R) -> Result<Walked, EachError<E>> {
        self.walked.archive = true;
        let mut f = f;
        let mut zip = match zip::ZipArchive::new(&mut f) {
            Ok(z) => z,
            Err(e) => {
                drop(e);
                return self.zip_stream(f);
            }
        };
        for index in 0..zip.len() {
            if !self.wanted(index) {
                continue;
            }
            let name = match zip.name_for_index(index) {
                Some(Ok(n)) => n.into_owned(),
                _ => format!("(member {index})"),
            };
            let mut member = match zip.by_index(index) {
                Ok(m) => m,
                Err(e) => {
                    if name.ends_with('/') {
                        continue;
                    }
                    self.skipped(
                        index,
                        &name,
                        None,
                        format!("cannot read this zip member: {e}"),
                        None,
                    )?;
                    continue;
                }
            };
            if member.is_dir() {
                continue;
            }
            if member.is_symlink() {
                drop(member);
                self.skipped(
                    index,
                    &name,
                    None,
                    "a link inside the archive, not followed".into(),
                    None,
                )?;
                continue;
            }
            self.member(index, &name, None, None, &mut member)?;
        }
        Ok(std::mem::take(&mut self.walked))
    }

    fn zip_stream<R: Read + Seek>(&mut self, mut f: R) -> Result<Walked, EachError<E>> {
        f.seek(SeekFrom::Start(0))?;
        let mut r = io::BufReader::new(f);
        let mut index = 0usize;
        let note = "no readable zip index (central directory): members read from their own headers";
        loop {
            match zip::read::read_zipfile_from_stream(&mut r) {
                Ok(Some(mut member)) => {
                    let name = member.name().map(|n| n.into_owned()).unwrap_or_else(|_| {
                        String::from_utf8_lossy(member.name_raw()).into_owned()
                    });
                    if !member.is_dir() && self.wanted(index) {
                        self.member(index, &name, None, None, &mut member)?;
                    }
                    index += 1;
                }
                Ok(None) => {
                    self.walked.damage = Some(format!("{note}; every member was read"));
                    break;
                }
                Err(e) => {
                    self.walked.damage = Some(format!(
                        "{note}; stopped after {index} member{}: {e}; every member before it was read",
                        if index == 1 { "" } else { "s" }
                    ));
                    break;
                }
            }
        }
        Ok(std::mem::take(&mut self.walked))
    }
}

/// Up to [`HEAD`] bytes of a file's start.
fn read_head<R: Read>(f: &mut R) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    Read::take(&mut *f, HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// A tar header: `ustar` at offset 257 (POSIX and GNU), with a valid checksum.
fn is_tar(head: &[u8]) -> bool {
    if head.len() < 512 || &head[257..262] != b"ustar" {
        return false;
    }
    let stored = std::str::from_utf8(&head[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let sum: u32 = head[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    stored == Some(sum)
}

/// A zip's first local file header (or the end record of an empty zip).
fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A tar of `(path, bytes)` members.
    pub(crate) fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1_710_000_000);
            h.set_cksum();
            b.append_data(&mut h, path, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (path, data) in members {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file(*path, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// One entry visited: its name, and its contents or why it was not read.
    type Seen = (String, Result<Vec<u8>, String>);

    /// Every entry of a file, and how the visit ended.
    fn visit_all(path: &std::path::Path) -> (Vec<Seen>, Walked) {
        let mut f = InputFile::new("b".into(), Origin::Path(path.to_path_buf()), true);
        f.size = 1;
        let mut seen = Vec::new();
        let walked = for_each_entry::<()>(&f, true, None, &mut |e| {
            match e {
                Entry::Member(mut m) => {
                    let mut out = Vec::new();
                    let r = m.reader.read_to_end(&mut out);
                    seen.push((
                        m.file.display,
                        r.map(|_| out).map_err(|e| m.info.describe_error(&e)),
                    ));
                }
                Entry::Skipped { file, reason, .. } => seen.push((file.display, Err(reason))),
            }
            Ok(())
        })
        .unwrap_or_else(|_| panic!("opens"));
        (seen, walked)
    }

    #[test]
    fn tar_members_are_read_in_order_decoded_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let log = b"2024-03-09 08:36:17,412 INFO one\n".repeat(50);
        let packed = gz(&log);
        let tar = tar_of(&[
            ("./var/log/app.log", &log),
            ("var/log/app.log.1.gz", &packed),
            ("var/log/inner.tar", &tar_of(&[("x", b"x\n")])),
            ("var/log/.hidden", b"x\n"),
        ]);
        for (name, bytes) in [("b.tar", tar.clone()), ("b.tgz", gz(&tar))] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let (seen, walked) = visit_all(&p);
            assert!(walked.archive && walked.damage.is_none());
            let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(
                names,
                [
                    "b:var/log/app.log",
                    "b:var/log/app.log.1.gz",
                    "b:var/log/inner.tar",
                    "b:var/log/.hidden"
                ]
            );
            assert_eq!(seen[0].1.as_ref().unwrap(), &log);
            assert_eq!(seen[1].1.as_ref().unwrap(), &log, "decoded");
            assert!(seen[2].1.as_ref().unwrap_err().contains("archive inside"));
            assert!(seen[3].1.as_ref().unwrap_err().contains("hidden"));
        }
    }

    #[test]
    fn a_plain_tar_on_disk_tells_where_plain_members_lie() {
        let dir = tempfile::tempdir().unwrap();
        let log = b"line\n".repeat(300);
        let tar = tar_of(&[("a.log", &log), ("b.log.gz", &gz(&log))]);
        let p = dir.path().join("b.tar");
        std::fs::write(&p, &tar).unwrap();
        let f = InputFile::new("b.tar".into(), Origin::Path(p), true);
        let mut offsets = Vec::new();
        for_each_entry::<()>(&f, false, None, &mut |e| {
            if let Entry::Member(m) = e {
                offsets.push(m.file.member.unwrap().offset);
            }
            Ok(())
        })
        .ok()
        .unwrap();
        let at = offsets[0].unwrap() as usize;
        assert_eq!(&tar[at..at + log.len()], &log[..]);
        assert_eq!(
            offsets[1], None,
            "a compressed member cannot be read in place"
        );
    }

    #[test]
    fn zip_members_are_read_and_a_zip_without_its_index_still_gives_its_members() {
        let dir = tempfile::tempdir().unwrap();
        let log = b"2024-03-09 08:36:17,412 INFO one\n".repeat(50);
        let z = zip_of(&[("logs/a.log", &log), ("logs/b.log", &log)]);
        let p = dir.path().join("b.zip");
        std::fs::write(&p, &z).unwrap();
        let (seen, walked) = visit_all(&p);
        assert!(walked.damage.is_none());
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[1].0, "b:logs/b.log");
        assert_eq!(seen[1].1.as_ref().unwrap(), &log);
        // Cut before the central directory.
        let cut = &z[..z.len() - 150];
        std::fs::write(&p, cut).unwrap();
        let (seen, walked) = visit_all(&p);
        assert!(walked.damage.unwrap().contains("central directory"));
        assert!(!seen.is_empty());
        assert_eq!(seen[0].1.as_ref().unwrap(), &log);
    }

    #[test]
    fn a_truncated_tgz_keeps_the_members_before_the_damage() {
        let dir = tempfile::tempdir().unwrap();
        let log = b"2024-03-09 08:36:17,412 INFO one two three\n".repeat(3000);
        let other: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let tar = tar_of(&[("a.log", &log), ("b.log", &other), ("c.log", &log)]);
        let packed = gz(&tar);
        let p = dir.path().join("b.tgz");
        std::fs::write(&p, &packed[..packed.len() * 2 / 3]).unwrap();
        let (seen, walked) = visit_all(&p);
        assert_eq!(seen[0].1.as_ref().unwrap(), &log);
        assert!(seen.len() >= 2);
        assert!(walked.damage.is_some() || seen.iter().any(|(_, r)| r.is_err()));
    }

    #[test]
    fn tar_magic_needs_a_valid_checksum() {
        let tar = tar_of(&[("a.log", b"x\n")]);
        assert!(is_tar(&tar[..512]));
        let mut bad = tar[..512].to_vec();
        bad[0] ^= 1;
        assert!(!is_tar(&bad));
        assert!(!is_tar(b"ustar"));
    }

    /// Every kind of container, holding a few log members.
    /// Made once: compressing them (xz, bzip2, zstd) in a debug build
    /// cost more than every case of the property test below.
    fn samples() -> Vec<(&'static str, Vec<u8>)> {
        static MADE: std::sync::OnceLock<Vec<(&'static str, Vec<u8>)>> = std::sync::OnceLock::new();
        MADE.get_or_init(make_samples).clone()
    }

    fn make_samples() -> Vec<(&'static str, Vec<u8>)> {
        let log = b"2024-03-09 08:36:17,412 INFO one two\n".repeat(400);
        let tar = tar_of(&[("a.log", &log), ("b.log.gz", &gz(&log)), ("c.log", &log)]);
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&tar).unwrap();
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&tar).unwrap();
        vec![
            ("b.tar", tar.clone()),
            ("b.tgz", gz(&tar)),
            ("b.tar.zst", zstd::stream::encode_all(&tar[..], 3).unwrap()),
            ("b.tar.bz2", bz.finish().unwrap()),
            ("b.tar.xz", xz.finish().unwrap()),
            ("b.zip", zip_of(&[("a.log", &log), ("b.log.gz", &gz(&log))])),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Cut and corrupted containers never panic nor hang: every
        /// member is read to its end or to an error.
        #[test]
        fn damaged_containers_never_panic(
            which in 0usize..6,
            cut in 0.0f64..1.0,
            flips in proptest::collection::vec((0.0f64..1.0, 0u8..=255), 0..4),
        ) {
            let (name, mut bytes) = samples().swap_remove(which);
            for (at, b) in flips {
                let i = (at * bytes.len() as f64) as usize % bytes.len();
                bytes[i] ^= b;
            }
            bytes.truncate((cut * bytes.len() as f64) as usize);
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).unwrap();
            let f = InputFile::new(name.into(), Origin::Path(p), false);
            let _ = for_each_entry::<()>(&f, true, None, &mut |e| {
                if let Entry::Member(mut m) = e {
                    let mut sink = Vec::new();
                    let _ = m.reader.read_to_end(&mut sink);
                }
                Ok(())
            });
        }
    }
}
