//! Outage families with planted truth, one per kind of incident the
//! detector must find (see the crate README, "Kinds"): latency, refusals,
//! a partly failing fleet, a stuttering onset and a thin-traffic end, a
//! slow burn, crash loops, application logs only, causes in any tool's
//! words, a skewed host clock, and a noisy day without an incident.
//!
//! Each family comes in two sets that differ in rates, formats, wording
//! and tools: `dev` (to work against) and `heldout` (to check that the
//! work generalises). The seed varies the times, rates and, where a family
//! has several, the variant (which tool made the change, which status).
//!
//! ```no_run
//! use postmortem_gen::kinds::{self, Set};
//! for name in kinds::list(Set::Dev) {
//!     let w = kinds::write(name, Set::Dev, 1, std::path::Path::new("/tmp/k")).unwrap();
//!     println!("{name}: {}", w.truth["incidents"]);
//! }
//! ```

mod apps_only;
mod burn;
mod cause;
mod common;
mod crash;
mod fleet;
mod latency;
mod quiet;
mod refusals;
mod skew;
mod stutter;

use std::path::Path;

use crate::out::Out;
use crate::{at, Error, Written};

/// Which variants of a family: the ones to develop against, or the
/// held-out ones (other rates, formats, wording and tools).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    Dev,
    Heldout,
}

impl Set {
    pub fn as_str(self) -> &'static str {
        match self {
            Set::Dev => "dev",
            Set::Heldout => "heldout",
        }
    }

    /// `dev` or `heldout`.
    pub fn parse(s: &str) -> Result<Set, Error> {
        match s {
            "dev" => Ok(Set::Dev),
            "heldout" | "held-out" => Ok(Set::Heldout),
            _ => Err(Error(format!("unknown set {s:?}; known: dev, heldout"))),
        }
    }
}

/// Every family, in the order of the issue.
pub const FAMILIES: &[&str] = &[
    "latency",
    "refusals",
    "partial-fleet",
    "stutter",
    "slow-burn",
    "crash-loop",
    "apps-only",
    "cause",
    "skew",
    "noisy-quiet",
];

/// The families of a set (the same names in both sets).
pub fn list(_set: Set) -> &'static [&'static str] {
    FAMILIES
}

/// How many variants the seed walks through in a family (seed 1, 2, ...
/// give variants 0, 1, ... and then again with other times): the tools of
/// the cause family, the statuses of the refusals; 1 elsewhere.
pub fn variants(name: &str, set: Set) -> usize {
    match name {
        "cause" => cause::variants(set),
        "refusals" => 2,
        _ => 1,
    }
}

/// Writes family `name` of `set` with `seed` into `dir` (created if
/// missing); returns its truth (see the README for the fields).
pub fn write(name: &str, set: Set, seed: u64, dir: &Path) -> Result<Written, Error> {
    write_scaled(name, set, seed, 1.0, dir)
}

/// [`write`] with the request rates multiplied by `scale` (in (0, 10]);
/// the thin-traffic family keeps its rate (it is the point of it).
pub fn write_scaled(
    name: &str,
    set: Set,
    seed: u64,
    scale: f64,
    dir: &Path,
) -> Result<Written, Error> {
    if !FAMILIES.contains(&name) {
        return Err(Error(format!(
            "unknown kind {name:?}; known: {}",
            FAMILIES.join(", ")
        )));
    }
    if !(scale > 0.0 && scale <= 10.0) {
        return Err(Error(format!("scale must be in (0, 10], got {scale}")));
    }
    let mut out = Out::new(dir).map_err(at(dir))?;
    let mut st = common::Story::new(&mut out, name, set, seed, scale);
    let truth = match name {
        "latency" => latency::run(&mut st),
        "refusals" => refusals::run(&mut st),
        "partial-fleet" => fleet::run(&mut st),
        "stutter" => stutter::run(&mut st),
        "slow-burn" => burn::run(&mut st),
        "crash-loop" => crash::run(&mut st),
        "apps-only" => apps_only::run(&mut st),
        "cause" => cause::run(&mut st),
        "skew" => skew::run(&mut st),
        _ => quiet::run(&mut st),
    }
    .map_err(at(dir))?;
    drop(st);
    Ok(Written {
        truth,
        files: out.files,
    })
}
