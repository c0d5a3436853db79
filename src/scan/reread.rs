//! The second read: exact request, failure and client counts within
//! incident windows. Keeping every client of every minute in the first
//! pass would make memory grow with traffic, while reading again only the
//! blocks of the request logs that touch a window costs little.
//!
//! The analysis owns a [`Reread`]: the request sources it decided on, each
//! with what a second read needs (its parser, year anchor, clock
//! correction and the blocks it was read in).

use std::collections::HashMap;

use rayon::prelude::*;

use crate::format::LogFormat;
use crate::input::{self, BlockReader, Compression, InputFile};
use crate::record::Parsed;
use crate::time::{Micros, TimeCtx, YearAnchor, Zone};

use super::fold::shifted;
use super::lines::Lines;
use super::partial::{max_opt, min_opt};

/// Where one block of a file lies and which times its records have, so a
/// second read can go straight to the blocks an incident window touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockSpan {
    /// Offset of the block in the (decompressed) stream.
    pub offset: u64,
    pub len: u64,
    pub first: Option<Micros>,
    pub last: Option<Micros>,
    /// The layout in force at the block's start (`TimeCtx::layout`).
    pub layout: Option<std::sync::Arc<[u8]>>,
}

impl BlockSpan {
    fn touches(&self, windows: &[(Micros, Micros)]) -> bool {
        match (self.first, self.last) {
            (Some(f), Some(l)) => windows.iter().any(|&(s, e)| f <= e && l >= s),
            _ => false,
        }
    }
}

/// What reading one file again needs.
#[derive(Clone, Debug)]
pub struct Source {
    pub file: InputFile,
    pub parser: &'static dyn LogFormat,
    pub anchor: YearAnchor,
    /// The clock correction applied in the first read.
    pub skew: Micros,
    /// The blocks the file was read in, in order.
    pub blocks: Vec<BlockSpan>,
    pub compression: Compression,
    /// The time range of its records.
    pub first: Option<Micros>,
    pub last: Option<Micros>,
}

/// Clients seen and clients with at least one failed request, within one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientCounts {
    pub total: u64,
    pub affected: u64,
    /// Requests and failed requests within the window, counted exactly
    /// (bucketed series cannot split the buckets at a window's edges).
    pub requests: u64,
    pub failed: u64,
    /// The first and last request within the window (where traffic stopped
    /// and resumed, for an outage that logged nothing).
    pub first: Option<Micros>,
    pub last: Option<Micros>,
}

/// What a second read found in each window, and the sources it could not
/// read again (standard input, files changed since).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counted {
    pub windows: Vec<ClientCounts>,
    pub left_out: Vec<String>,
}

impl Counted {
    /// The counts of window `i`, when every source could be read again.
    pub fn exact(&self, i: usize) -> Option<ClientCounts> {
        self.windows
            .get(i)
            .copied()
            .filter(|_| self.left_out.is_empty())
    }
}

/// The request sources to read again, and how.
#[derive(Clone, Debug)]
pub struct Reread {
    pub sources: Vec<Source>,
    pub zone: Zone,
    pub block_size: usize,
}

impl Reread {
    /// Counts requests, failures and distinct clients in each window.
    pub fn count(&self, windows: &[(Micros, Micros)]) -> Counted {
        let mut left_out = Vec::new();
        let sources: Vec<&Source> = self
            .sources
            .iter()
            .filter(|s| {
                let ok = unchanged_since_read(&s.file);
                if !ok {
                    left_out.push(s.file.display.clone());
                }
                ok
            })
            .collect();
        let tallies: Vec<Option<Vec<WindowTally>>> = sources
            .par_iter()
            .map(|s| self.tally_source(s, windows))
            .collect();
        let mut merged: Vec<WindowTally> = vec![WindowTally::default(); windows.len()];
        for (s, file_tallies) in sources.iter().zip(tallies) {
            match file_tallies {
                Some(t) => merge_into(&mut merged, t),
                None => left_out.push(s.file.display.clone()),
            }
        }
        Counted {
            windows: merged.iter().map(WindowTally::counts).collect(),
            left_out,
        }
    }

    fn tally_source(&self, s: &Source, windows: &[(Micros, Micros)]) -> Option<Vec<WindowTally>> {
        let mut out = vec![WindowTally::default(); windows.len()];
        // Skip files whose time range misses every window.
        let (Some(first), Some(last)) = (s.first, s.last) else {
            return Some(out);
        };
        if !windows.iter().any(|&(w0, w1)| first <= w1 && last >= w0) {
            return Some(out);
        }
        let ctx = TimeCtx::new(self.zone, s.anchor);
        // A plain file on disk: read only the blocks that touch a window.
        if let (input::Origin::Path(path), Compression::None) = (&s.file.origin, s.compression) {
            if !s.blocks.is_empty() {
                let wanted: Vec<&BlockSpan> =
                    s.blocks.iter().filter(|b| b.touches(windows)).collect();
                let parts: Option<Vec<Vec<WindowTally>>> = wanted
                    .par_iter()
                    .map(|span| {
                        let block = read_span(path, span).ok()?;
                        let mut ctx = ctx.clone();
                        ctx.layout = span.layout.clone();
                        Some(tally_block(&block, s.parser, ctx, s.skew, windows))
                    })
                    .collect();
                for part in parts? {
                    merge_into(&mut out, part);
                }
                return Some(out);
            }
        }
        // Compressed files cannot be read from the middle: read the whole
        // stream again.
        let open = input::open(&s.file, None).ok()?;
        let mut blocks = BlockReader::new(open.reader, self.block_size);
        let batch = (rayon::current_num_threads() * 2).max(2);
        let mut pending = Vec::with_capacity(batch);
        let mut layout = None;
        loop {
            super::read_batch(&mut blocks, &mut pending, batch);
            if pending.is_empty() {
                break;
            }
            let (layouts, after) =
                crate::format::layouts_at_starts(s.parser, &pending, layout.take(), &ctx);
            layout = after;
            let parts: Vec<Vec<WindowTally>> = pending
                .par_iter()
                .zip(layouts)
                .map(|(b, layout)| {
                    let mut ctx = ctx.clone();
                    ctx.layout = layout;
                    tally_block(b, s.parser, ctx, s.skew, windows)
                })
                .collect();
            for part in parts {
                merge_into(&mut out, part);
            }
            for b in pending.drain(..) {
                blocks.recycle(b);
            }
        }
        // A damaged archive stops at the same place as in the first read.
        Some(out)
    }
}

/// What the second read gathers for one window.
#[derive(Clone, Default)]
struct WindowTally {
    clients: HashMap<Box<str>, bool>,
    requests: u64,
    failed: u64,
    first: Option<Micros>,
    last: Option<Micros>,
}

impl WindowTally {
    fn merge(&mut self, other: WindowTally) {
        self.requests += other.requests;
        self.failed += other.failed;
        self.first = min_opt(self.first, other.first);
        self.last = max_opt(self.last, other.last);
        for (client, failed) in other.clients {
            let e = self.clients.entry(client).or_insert(false);
            *e |= failed;
        }
    }

    fn add(&mut self, at: Micros, failed: bool, client: Option<&str>) {
        self.requests += 1;
        self.failed += failed as u64;
        self.first = min_opt(self.first, Some(at));
        self.last = max_opt(self.last, Some(at));
        let Some(client) = client else {
            return;
        };
        match self.clients.get_mut(client) {
            Some(f) => *f |= failed,
            None => {
                self.clients.insert(client.into(), failed);
            }
        }
    }

    fn counts(&self) -> ClientCounts {
        ClientCounts {
            total: self.clients.len() as u64,
            affected: self.clients.values().filter(|f| **f).count() as u64,
            requests: self.requests,
            failed: self.failed,
            first: self.first,
            last: self.last,
        }
    }
}

fn merge_into(out: &mut [WindowTally], part: Vec<WindowTally>) {
    for (w, t) in part.into_iter().enumerate() {
        if let Some(o) = out.get_mut(w) {
            o.merge(t);
        }
    }
}

/// Whether a file can be read a second time and is still what was read
/// the first time: a file on disk with the same size and modification time
/// (a log rotated or appended to mid-analysis would give wrong counts).
fn unchanged_since_read(file: &InputFile) -> bool {
    let input::Origin::Path(path) = &file.origin else {
        return false;
    };
    match std::fs::metadata(path) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            m.len() == file.size && (file.mtime.is_none() || mtime == file.mtime)
        }
        Err(_) => false,
    }
}

/// Reads one block of a plain file again.
fn read_span(path: &std::path::Path, span: &BlockSpan) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(span.offset))?;
    let mut buf = vec![0u8; span.len as usize];
    f.read_exact(&mut buf)?;
    Ok(buf)
}

/// Requests, failures and clients of one block, per window.
fn tally_block(
    block: &[u8],
    parser: &dyn LogFormat,
    mut ctx: TimeCtx,
    skew: Micros,
    windows: &[(Micros, Micros)],
) -> Vec<WindowTally> {
    let mut tallies = vec![WindowTally::default(); windows.len()];
    ctx.details = false;
    for (_, line) in Lines::new(block) {
        let Parsed::Request { at, request } = shifted(parser.parse(line, &mut ctx), skew) else {
            continue;
        };
        for (t, &(s, e)) in tallies.iter_mut().zip(windows) {
            if at >= s && at <= e {
                t.add(at, request.failed, request.client.as_deref());
            }
        }
    }
    tallies
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SEC;

    fn source(dir: &std::path::Path, text: &str, block_size: usize) -> Reread {
        let path = dir.join("access.log");
        std::fs::write(&path, text).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let file = InputFile {
            display: "access.log".to_string(),
            origin: input::Origin::Path(path.clone()),
            explicit: true,
            size: meta.len(),
            mtime: meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64),
        };
        let parser = crate::format::by_name("nginx_access").unwrap();
        // Blocks as the first pass cuts them, with their time ranges.
        let mut blocks = Vec::new();
        let mut reader = BlockReader::new(std::fs::File::open(&path).unwrap(), block_size);
        let mut offset = 0u64;
        let mut ctx = TimeCtx::new(Zone::Utc, YearAnchor::End(0));
        while let Some(b) = reader.next_block() {
            let times: Vec<Micros> = Lines::new(&b)
                .filter_map(|(_, l)| parser.parse(l, &mut ctx).at())
                .collect();
            blocks.push(BlockSpan {
                offset,
                len: b.len() as u64,
                first: times.iter().min().copied(),
                last: times.iter().max().copied(),
                layout: None,
            });
            offset += b.len() as u64;
        }
        let first = blocks.iter().filter_map(|b| b.first).min();
        let last = blocks.iter().filter_map(|b| b.last).max();
        Reread {
            sources: vec![Source {
                file,
                parser,
                anchor: YearAnchor::End(0),
                skew: 0,
                blocks,
                compression: Compression::None,
                first,
                last,
            }],
            zone: Zone::Utc,
            block_size,
        }
    }

    fn line(sec: u32, client: &str, status: u16) -> String {
        format!(
            "{client} - - [09/Mar/2024:{:02}:{:02}:{:02} +0000] \"GET / HTTP/1.1\" {status} 5 \"-\" \"ua\"\n",
            8 + sec / 3600,
            sec / 60 % 60,
            sec % 60
        )
    }

    #[test]
    fn counts_requests_failures_and_clients_per_window_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for s in 0..7200u32 {
            let status = if (100..200).contains(&s) && s % 2 == 0 {
                502
            } else {
                200
            };
            text.push_str(&line(s, &format!("10.0.0.{}", s % 7), status));
        }
        // Small blocks: the window touches only some of them.
        let reread = source(dir.path(), &text, 4096);
        assert!(reread.sources[0].blocks.len() > 5);
        let t0 = crate::time::parse_user_time("2024-03-09T08:00:00Z", Zone::Utc).unwrap();
        let windows = [
            (t0 + 100 * SEC, t0 + 199 * SEC),
            (t0 + 10_000 * SEC, t0 + 11_000 * SEC),
        ];
        let counted = reread.count(&windows);
        assert!(counted.left_out.is_empty());
        let w = counted.exact(0).unwrap();
        assert_eq!((w.requests, w.failed, w.total), (100, 50, 7));
        // Clients seen at even seconds failed: 7 clients cycle over even
        // and odd seconds, so all of them saw a failure.
        assert_eq!(w.affected, 7);
        assert_eq!(
            (w.first, w.last),
            (Some(t0 + 100 * SEC), Some(t0 + 199 * SEC))
        );
        assert_eq!(counted.exact(1).unwrap(), ClientCounts::default());
    }

    #[test]
    fn a_file_changed_since_the_first_read_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let reread = source(dir.path(), &line(5, "10.0.0.1", 502), 4096);
        std::fs::write(dir.path().join("access.log"), "changed\n").unwrap();
        let t0 = crate::time::parse_user_time("2024-03-09T08:00:00Z", Zone::Utc).unwrap();
        let counted = reread.count(&[(t0, t0 + 60 * SEC)]);
        assert_eq!(counted.left_out, vec!["access.log".to_string()]);
        assert_eq!(counted.exact(0), None);
    }
}
