//! Writing the generated files: an ordered in-memory log that remembers
//! where tagged entries landed (so the truth can cite file and line), and an
//! output directory that writes plain or gzip files and lists them.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};

/// Entries of one log file, sorted by time when rendered.
#[derive(Default)]
pub struct TextLog {
    entries: Vec<(i64, u64, String)>,
    tags: Vec<(u64, String)>,
    seq: u64,
}

/// Where a tagged entry ended up.
#[derive(Clone, Debug)]
pub struct Located {
    /// 1-based line of the entry's first line.
    pub line: usize,
    /// The entry's first line.
    pub text: String,
    pub at: i64,
}

impl TextLog {
    pub fn new() -> TextLog {
        TextLog::default()
    }

    /// Adds an entry (possibly several lines joined by `\n`) at time `t`;
    /// entries with equal times keep insertion order.
    pub fn push(&mut self, t: i64, text: String) -> u64 {
        let s = self.seq;
        self.seq += 1;
        self.entries.push((t, s, text));
        s
    }

    /// Adds an entry and remembers it under `tag`.
    pub fn push_tagged(&mut self, t: i64, text: String, tag: &str) {
        let s = self.push(t, text);
        self.tags.push((s, tag.to_string()));
    }

    /// Sorts and joins the entries; returns the text and tagged locations.
    pub fn render(mut self) -> (String, BTreeMap<String, Located>) {
        self.entries.sort_by_key(|e| (e.0, e.1));
        let wanted: BTreeMap<u64, String> = self.tags.into_iter().collect();
        let mut out = String::new();
        let mut found = BTreeMap::new();
        let mut line = 1;
        for (t, seq, text) in &self.entries {
            if let Some(tag) = wanted.get(seq) {
                found.insert(
                    tag.clone(),
                    Located {
                        line,
                        text: text.lines().next().unwrap_or("").to_string(),
                        at: *t,
                    },
                );
            }
            out.push_str(text);
            out.push('\n');
            line += text.matches('\n').count() + 1;
        }
        (out, found)
    }
}

/// The output directory and what was written into it.
pub struct Out {
    root: PathBuf,
    /// Relative path and size in bytes of every file written.
    pub files: Vec<(String, u64)>,
}

impl Out {
    pub fn new(root: &Path) -> io::Result<Out> {
        fs::create_dir_all(root)?;
        Ok(Out {
            root: root.to_path_buf(),
            files: Vec::new(),
        })
    }

    fn target(&self, rel: &str) -> io::Result<PathBuf> {
        let p = self.root.join(rel);
        if let Some(dir) = p.parent() {
            fs::create_dir_all(dir)?;
        }
        Ok(p)
    }

    /// Writes a plain file.
    pub fn write(&mut self, rel: &str, data: &[u8]) -> io::Result<()> {
        let p = self.target(rel)?;
        fs::write(&p, data)?;
        self.files.push((rel.to_string(), data.len() as u64));
        Ok(())
    }

    /// Writes a gzip file with a fixed header (no name, mtime 0) so the
    /// bytes depend only on the content.
    pub fn write_gz(&mut self, rel: &str, data: &[u8]) -> io::Result<()> {
        let p = self.target(rel)?;
        let bytes = gzip(data)?;
        fs::write(&p, &bytes)?;
        self.files.push((rel.to_string(), bytes.len() as u64));
        Ok(())
    }
}

/// Gzip with a reproducible header.
pub fn gzip(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut enc: GzEncoder<Vec<u8>> = GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(Vec::new(), Compression::new(6));
    enc.write_all(data)?;
    enc.finish()
}
