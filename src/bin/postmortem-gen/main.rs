//! `postmortem-gen`: deterministic generator of load-balancer outage logs
//! with known truth, for testing and benchmarking `postmortem`.
//!
//! Same seed, same bytes: every random draw comes from a seeded SplitMix64
//! stream and every distribution uses only exactly-rounded arithmetic.

mod alb;
mod alerts;
mod applog;
mod apps;
mod bench;
mod clock;
mod haproxy;
mod nginx;
mod ops;
mod out;
mod rng;
mod scenarios;
mod traffic;
mod truth;
mod world;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "postmortem-gen",
    version,
    about = "Generate realistic load-balancer outage logs with known truth"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write one scenario's logs and its truth.json.
    Scenario {
        /// weights, offline-server, auth-alb, dead-front, quiet, two-incidents, non-utc
        name: String,
        /// Directory to write the logs into (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Multiplies the request rate and the client population.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Where to write the truth (default: OUT/truth.json).
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// Write the committed sample (the weights story, a few MB).
    Sample {
        #[arg(long, default_value = "sample-logs")]
        out: PathBuf,
        /// Where to write the truth (default: not written).
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// Write a large access log (plus app.log, alerts.log, deploy.log) for benchmarks.
    Bench {
        #[arg(long)]
        out: PathBuf,
        /// Approximate access.log size: 1G, 500M, 5M ...
        #[arg(long, default_value = "1G")]
        size: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the truth (default: OUT/truth.json).
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// List the scenarios.
    List,
}

fn write_truth(path: &Path, truth: &serde_json::Value) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    let mut text = serde_json::to_string_pretty(truth).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn summary(out: &out::Out) {
    let total: u64 = out.files.iter().map(|f| f.1).sum();
    eprintln!("wrote {} files, {} bytes", out.files.len(), total);
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.cmd {
        Cmd::Scenario {
            name,
            out,
            seed,
            scale,
            truth,
        } => {
            if !scenarios::NAMES.contains(&name.as_str()) {
                return Err(format!(
                    "unknown scenario {name:?}; known: {}",
                    scenarios::NAMES.join(", ")
                ));
            }
            if !(scale > 0.0 && scale <= 100.0) {
                return Err(format!("--scale must be in (0, 100], got {scale}"));
            }
            let mut o = out::Out::new(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            let t = scenarios::run(&name, &mut o, &scenarios::Opts { seed, scale })
                .map_err(|e| format!("{}: {e}", out.display()))?;
            write_truth(&truth.unwrap_or_else(|| out.join("truth.json")), &t)?;
            summary(&o);
        }
        Cmd::Sample { out, truth } => {
            let mut o = out::Out::new(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            let t = scenarios::sample(&mut o).map_err(|e| format!("{}: {e}", out.display()))?;
            if let Some(p) = truth {
                write_truth(&p, &t)?;
            }
            summary(&o);
        }
        Cmd::Bench {
            out,
            size,
            seed,
            truth,
        } => {
            let size = bench::parse_size(&size)?;
            let began = Instant::now();
            let t = bench::run(&out, &bench::BenchCfg { size, seed })
                .map_err(|e| format!("{}: {e}", out.display()))?;
            let secs = began.elapsed().as_secs_f64();
            write_truth(&truth.unwrap_or_else(|| out.join("truth.json")), &t)?;
            let bytes = t["traffic"]["access_bytes"].as_u64().unwrap_or(0)
                + t["traffic"]["app_bytes"].as_u64().unwrap_or(0);
            eprintln!(
                "wrote {} bytes in {:.2} s ({:.0} MB/s)",
                bytes,
                secs,
                bytes as f64 / secs.max(1e-9) / 1e6
            );
        }
        Cmd::List => {
            for n in scenarios::NAMES {
                println!("{n}");
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("postmortem-gen: error: {e}");
            ExitCode::from(2)
        }
    }
}
