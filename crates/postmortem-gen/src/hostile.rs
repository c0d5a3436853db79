//! Hostile inputs: small or ordinary-looking logs whose shape makes naive
//! per-key state explode (thousands of upstreams, failures every second,
//! many files each with their own upstreams, one alert resent thousands of
//! times, tens of thousands of user patterns). No planted truth: they
//! measure that memory stays bounded and that the caps say so.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::clock::{at, clf, rfc3339};
use crate::rng::Rng;

/// The shapes [`write`] knows, by the name the command line takes.
pub const KINDS: &[&str] = &[
    "upstreams",
    "failure-flood",
    "many-files",
    "alert-resend",
    "user-patterns",
];

/// What to write: a kind of [`KINDS`], `scale` times its default size
/// (1.0: the sizes of the issue).
#[derive(Clone, Debug)]
pub struct HostileCfg {
    pub kind: String,
    pub scale: f64,
    pub seed: u64,
}

/// What was written: the files, and the pattern file to pass with
/// `--patterns` (a directory, for `user-patterns`).
#[derive(Clone, Debug, Default)]
pub struct HostileWritten {
    pub files: Vec<PathBuf>,
    pub patterns: Option<PathBuf>,
    pub bytes: u64,
}

/// Writes the kind's files into `out` (created if missing).
pub fn write(out: &Path, cfg: &HostileCfg) -> io::Result<HostileWritten> {
    fs::create_dir_all(out)?;
    let scaled = |n: f64| ((n * cfg.scale).round() as u64).max(1);
    let mut rng = Rng::stream(cfg.seed, 97);
    let mut w = HostileWritten::default();
    match cfg.kind.as_str() {
        // 4,000 distinct upstreams, one or two requests each, over three
        // days: a dense per-backend series would be buckets × backends.
        "upstreams" => {
            let upstreams = scaled(4000.0);
            let span = 3 * 86_400 * 1_000_000i64;
            let lines = upstreams * 2;
            let start = at(2024, 3, 9, 0, 0, 0, 0);
            access_log(out, "access.log", &mut w, |s| {
                for i in 0..lines {
                    let t = start + (span / lines as i64) * i as i64;
                    let up = (i * 7919) % upstreams;
                    let status = if rng.chance(0.3) { 502 } else { 200 };
                    access_line(s, t, &upstream(up), status, &mut rng);
                }
            })?;
        }
        // Failures every second at a high rate (about 200 MB): one event
        // key, every second of two days holding an aggregate.
        "failure-flood" => {
            let bytes = scaled(200e6);
            let start = at(2024, 3, 9, 0, 0, 0, 0);
            access_log(out, "access.log", &mut w, |s| {
                let mut t = start;
                let mut n = 0u64;
                while (s.len() as u64) < bytes {
                    t += 250 + rng.below(500) as i64 * 10;
                    n += 1;
                    let up = upstream(n % 8);
                    access_line(s, t, &up, 502, &mut rng);
                }
            })?;
        }
        // 50 files, each with 10,000 upstreams of its own failing: caps per
        // file alone would keep 500,000 keys.
        "many-files" => {
            let files = scaled(50.0).min(500);
            let per_file = scaled(10_000.0);
            let start = at(2024, 3, 9, 6, 0, 0, 0);
            for f in 0..files {
                access_log(out, &format!("access-{f:03}.log"), &mut w, |s| {
                    for i in 0..per_file {
                        let t = start + (i as i64) * 30_000;
                        let up = f * per_file + i;
                        let status = if i % 2 == 0 { 502 } else { 200 };
                        access_line(s, t, &upstream(up), status, &mut rng);
                    }
                })?;
            }
        }
        // The same three alerts resent every few seconds, 8,000 times each
        // (Alertmanager's repeat interval set far too low).
        "alert-resend" => {
            let resends = scaled(8000.0);
            let start = at(2024, 3, 9, 6, 0, 0, 0);
            let path = out.join("alerts.log");
            let mut f = BufWriter::new(File::create(&path)?);
            let mut s = String::new();
            for i in 0..resends {
                for (a, name) in ["HighErrorRate", "UpstreamDown", "DiskSpaceLow"]
                    .iter()
                    .enumerate()
                {
                    s.clear();
                    let t = start + (i as i64 * 5 + a as i64) * 1_000_000;
                    alert_line(&mut s, name, start, t);
                    f.write_all(s.as_bytes())?;
                    w.bytes += s.len() as u64;
                }
            }
            f.flush()?;
            w.files.push(path);
        }
        // 40,000 user patterns (one per customer id, say) and a small
        // application log that a few of them match.
        "user-patterns" => {
            let patterns = scaled(40_000.0);
            // A directory of files of 1,000 (the most one file may hold).
            let ppath = out.join("patterns");
            fs::create_dir_all(&ppath)?;
            for file in 0..patterns.div_ceil(1000) {
                let fpath = ppath.join(format!("{file:03}.toml"));
                let mut f = BufWriter::new(File::create(fpath)?);
                for i in file * 1000..((file + 1) * 1000).min(patterns) {
                    writeln!(
                        f,
                        "[[pattern]]\nid = \"user.tenant_{i}\"\nkind = \"error\"\nseverity = \"error\"\nregex = '''tenant t{i:06} quota exceeded'''\n"
                    )?;
                }
                f.flush()?;
            }
            w.patterns = Some(ppath);
            let start = at(2024, 3, 9, 6, 0, 0, 0);
            let path = out.join("app.log");
            let mut f = BufWriter::new(File::create(&path)?);
            let mut s = String::new();
            for i in 0..scaled(20_000.0) {
                s.clear();
                let t = start + i as i64 * 200_000;
                let tenant = rng.below(patterns);
                let _ = writeln!(
                    s,
                    "time={} level=error msg=\"tenant t{tenant:06} quota exceeded\" request_id={:016x}",
                    rfc3339(t, 0, 3),
                    i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                );
                f.write_all(s.as_bytes())?;
                w.bytes += s.len() as u64;
            }
            f.flush()?;
            w.files.push(path);
        }
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown kind {other:?}; one of: {}", KINDS.join(", ")),
            ))
        }
    }
    Ok(w)
}

/// The `n`th upstream address: 10.x.y.z:8080.
fn upstream(n: u64) -> String {
    format!("10.{}.{}.{}:8080", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// Writes one access log whose text `fill` builds (in slices of a few MB).
fn access_log(
    out: &Path,
    name: &str,
    w: &mut HostileWritten,
    fill: impl FnOnce(&mut ChunkedWriter),
) -> io::Result<()> {
    let path = out.join(name);
    let mut cw = ChunkedWriter {
        file: BufWriter::with_capacity(8 << 20, File::create(&path)?),
        written: 0,
        error: None,
    };
    fill(&mut cw);
    if let Some(e) = cw.error.take() {
        return Err(e);
    }
    cw.file.flush()?;
    w.bytes += cw.written;
    w.files.push(path);
    Ok(())
}

/// A file written line by line that remembers its length and first error.
struct ChunkedWriter {
    file: BufWriter<File>,
    written: u64,
    error: Option<io::Error>,
}

impl ChunkedWriter {
    fn len(&self) -> usize {
        self.written as usize
    }

    fn push(&mut self, line: &str) {
        if self.error.is_none() {
            match self.file.write_all(line.as_bytes()) {
                Ok(()) => self.written += line.len() as u64,
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// One nginx access line with the upstream fields.
fn access_line(s: &mut ChunkedWriter, t: i64, upstream: &str, status: u16, rng: &mut Rng) {
    let client = rng.below(250);
    let ms = 1 + rng.below(900);
    let line = format!(
        "203.0.113.{client} - - [{}] \"GET /api/v1/items HTTP/1.1\" {status} 512 \"-\" \"curl/8.5\" {upstream} {status} 0.{ms:03} 0.{ms:03}\n",
        clf(t, 0)
    );
    s.push(&line);
}

/// One Alertmanager webhook notification of a firing alert, as a
/// receiver logs it (with the time it arrived).
fn alert_line(s: &mut String, name: &str, starts: i64, sent: i64) {
    let _ = writeln!(
        s,
        r#"{{"received_at":"{}","payload":{{"receiver":"pager","status":"firing","alerts":[{{"status":"firing","labels":{{"alertname":"{name}","severity":"page"}},"annotations":{{"summary":"{name} on shop-api"}},"startsAt":"{}","endsAt":"0001-01-01T00:00:00Z","fingerprint":"{:016x}"}}],"groupLabels":{{"alertname":"{name}"}},"commonLabels":{{"alertname":"{name}"}},"version":"4"}}}}"#,
        rfc3339(sent, 0, 3),
        rfc3339(starts, 0, 3),
        name.bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_writes_its_shape_at_a_small_scale() {
        let dir = tempfile::tempdir().unwrap();
        for kind in KINDS {
            let out = dir.path().join(kind);
            let cfg = HostileCfg {
                kind: kind.to_string(),
                scale: 0.01,
                seed: 1,
            };
            let w = write(&out, &cfg).unwrap();
            assert!(!w.files.is_empty(), "{kind}");
            let total: u64 = w.files.iter().map(|f| fs::metadata(f).unwrap().len()).sum();
            assert_eq!(total, w.bytes, "{kind}");
            assert_eq!(w.patterns.is_some(), *kind == "user-patterns", "{kind}");
        }
        let up = write(
            &dir.path().join("u"),
            &HostileCfg {
                kind: "upstreams".into(),
                scale: 0.05,
                seed: 1,
            },
        )
        .unwrap();
        let text = fs::read_to_string(&up.files[0]).unwrap();
        let distinct: std::collections::HashSet<&str> = text
            .lines()
            .filter_map(|l| l.split_whitespace().nth(12))
            .collect();
        assert_eq!(distinct.len(), 200);
        let bad = HostileCfg {
            kind: "nope".into(),
            scale: 1.0,
            seed: 1,
        };
        assert!(write(&dir.path().join("x"), &bad).is_err());
    }
}
