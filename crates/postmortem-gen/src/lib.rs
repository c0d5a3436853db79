//! `postmortem-gen`: deterministic generator of load-balancer outage logs
//! with known truth, for testing and benchmarking `postmortem`.
//!
//! Same seed, same bytes: every random draw comes from a seeded SplitMix64
//! stream and every distribution uses only exactly-rounded arithmetic.
//!
//! This crate never depends on `postmortem`: it is the independent source
//! of truth the analyser is measured against. The `postmortem-gen` binary
//! is a thin command line over the functions here:
//!
//! - [`scenario`]: one named outage story ([`SCENARIOS`]) into a folder,
//! - [`sample`]: the committed `sample-logs/`,
//! - [`bench`]: a large access log (and its companions) for benchmarks,
//! - [`hostile`]: inputs shaped to blow up per-key state (memory checks),
//! - [`kinds`]: families of outages by kind (latency, refusals, a partly
//!   failing fleet, ...) in `dev` and `heldout` variants,
//!
//! each returning the truth document, which [`write_truth`] writes as the
//! command line does.

mod alb;
mod alerts;
mod apache;
mod applog;
mod apps;
mod bench;
mod caddy;
mod changes;
mod clock;
mod envoy;
mod haproxy;
mod hostile;
mod ingress;
pub mod kinds;
mod kube;
mod nginx;
mod ops;
mod out;
mod perf;
mod rng;
mod scenarios;
mod traefik;
mod traffic;
mod truth;
mod world;

use std::fmt;
use std::path::Path;

pub use bench::{parse_size, BenchCfg, Length};
pub use hostile::{HostileCfg, HostileWritten, KINDS as HOSTILE_KINDS};
pub use perf::{PerfCfg, FORMATS as PERF_FORMATS};
pub use serde_json::Value;

/// Every scenario name, as accepted by [`scenario`] and on the command line.
pub const SCENARIOS: &[&str] = scenarios::NAMES;

/// What went wrong, as the command line prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(s: String) -> Error {
        Error(s)
    }
}

fn at(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error(format!("{}: {e}", path.display()))
}

/// What one run wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The truth document (not written to disk; see [`write_truth`]).
    pub truth: Value,
    /// Relative path and size in bytes of every file written.
    pub files: Vec<(String, u64)>,
}

impl Written {
    /// Total bytes written.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.1).sum()
    }
}

/// Writes scenario `name` into `out` (created if missing) with the given
/// seed and traffic scale (request rate and client population multiplied,
/// in (0, 100]); returns its truth.
pub fn scenario(name: &str, out: &Path, seed: u64, scale: f64) -> Result<Written, Error> {
    if !SCENARIOS.contains(&name) {
        return Err(Error(format!(
            "unknown scenario {name:?}; known: {}",
            SCENARIOS.join(", ")
        )));
    }
    if !(scale > 0.0 && scale <= 100.0) {
        return Err(Error(format!("--scale must be in (0, 100], got {scale}")));
    }
    let mut o = out::Out::new(out).map_err(at(out))?;
    let truth = scenarios::run(name, &mut o, &scenarios::Opts { seed, scale }).map_err(at(out))?;
    Ok(Written {
        truth,
        files: o.files,
    })
}

/// Writes the committed sample (the weights story, a few MB) into `out`;
/// returns its truth.
pub fn sample(out: &Path) -> Result<Written, Error> {
    let mut o = out::Out::new(out).map_err(at(out))?;
    let truth = scenarios::sample(&mut o).map_err(at(out))?;
    Ok(Written {
        truth,
        files: o.files,
    })
}

/// Writes the benchmark corpus into `out`: `access.log` (of the size or
/// line count asked for, with one planted outage at 60-67% of it),
/// `app.log`, `alerts.log` and `deploy.log`; returns the truth.
pub fn bench(out: &Path, cfg: &BenchCfg) -> Result<Value, Error> {
    bench::run(out, cfg).map_err(at(out))
}

/// A throughput input of one format (see [`PERF_FORMATS`]); returns the
/// bytes written.
pub fn perf(out: &Path, cfg: &PerfCfg) -> Result<u64, Error> {
    perf::write(out, cfg).map_err(|e| Error(format!("{}: {e}", out.display())))
}

/// Writes one hostile shape ([`HOSTILE_KINDS`]) into `out`: inputs whose
/// shape makes per-key state explode, to check memory stays bounded.
pub fn hostile(out: &Path, cfg: &HostileCfg) -> Result<HostileWritten, Error> {
    hostile::write(out, cfg).map_err(|e| Error(format!("{}: {e}", out.display())))
}

/// Writes a truth document as pretty JSON with a final newline, creating
/// the folder it goes in.
pub fn write_truth(path: &Path, truth: &Value) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(at(dir))?;
        }
    }
    let mut text = serde_json::to_string_pretty(truth).map_err(|e| Error(e.to_string()))?;
    text.push('\n');
    std::fs::write(path, text).map_err(at(path))
}
