//! The `postmortem-gen` command line: a thin layer over the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use postmortem_gen::{BenchCfg, Error, Length, Written};

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
    /// Write a throughput input of one format (json, logfmt, syslog, log4j, haproxy, alb, envoy).
    Perf {
        /// json, logfmt, syslog, log4j, haproxy, alb or envoy.
        #[arg(long)]
        format: String,
        /// Approximate size: 220M, 64M ...
        #[arg(long, default_value = "220M")]
        size: String,
        /// Share of the records that are errors (failed requests for access logs).
        #[arg(long, default_value_t = 0.02)]
        errors: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a hostile shape: upstreams, failure-flood, many-files, alert-resend, user-patterns.
    Hostile {
        /// upstreams, failure-flood, many-files, alert-resend or user-patterns.
        kind: String,
        /// Directory to write the logs into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Multiplies the shape's size (1.0: the sizes of issue 12).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write one outage family (by kind) and its truth.json.
    Kind {
        /// latency, refusals, partial-fleet, stutter, slow-burn, crash-loop, apps-only, cause, skew, noisy-quiet
        name: String,
        /// dev or heldout.
        #[arg(long, default_value = "dev")]
        set: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Directory to write the logs into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Multiplies the request rates (the thin-traffic family keeps its own).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Where to write the truth (default: OUT/truth.json).
        #[arg(long)]
        truth: Option<PathBuf>,
    },
    /// List the scenarios.
    List,
    /// List the kind families (for `kind NAME`).
    Kinds,
}

fn summary(w: &Written) {
    eprintln!("wrote {} files, {} bytes", w.files.len(), w.bytes());
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.cmd {
        Cmd::Scenario {
            name,
            out,
            seed,
            scale,
            truth,
        } => {
            let w = postmortem_gen::scenario(&name, &out, seed, scale)?;
            postmortem_gen::write_truth(
                &truth.unwrap_or_else(|| out.join("truth.json")),
                &w.truth,
            )?;
            summary(&w);
        }
        Cmd::Sample { out, truth } => {
            let w = postmortem_gen::sample(&out)?;
            if let Some(p) = truth {
                postmortem_gen::write_truth(&p, &w.truth)?;
            }
            summary(&w);
        }
        Cmd::Bench {
            out,
            size,
            seed,
            truth,
        } => {
            let size = postmortem_gen::parse_size(&size)?;
            let began = Instant::now();
            let t = postmortem_gen::bench(
                &out,
                &BenchCfg {
                    length: Length::Bytes(size),
                    seed,
                },
            )?;
            let secs = began.elapsed().as_secs_f64();
            postmortem_gen::write_truth(&truth.unwrap_or_else(|| out.join("truth.json")), &t)?;
            let bytes = t["traffic"]["access_bytes"].as_u64().unwrap_or(0)
                + t["traffic"]["app_bytes"].as_u64().unwrap_or(0);
            eprintln!(
                "wrote {} bytes in {:.2} s ({:.0} MB/s)",
                bytes,
                secs,
                bytes as f64 / secs.max(1e-9) / 1e6
            );
        }
        Cmd::Perf {
            format,
            size,
            errors,
            seed,
            out,
        } => {
            let bytes = postmortem_gen::parse_size(&size)?;
            let began = Instant::now();
            let written = postmortem_gen::perf(
                &out,
                &postmortem_gen::PerfCfg {
                    format,
                    bytes,
                    error_share: errors,
                    seed,
                },
            )?;
            let secs = began.elapsed().as_secs_f64();
            eprintln!(
                "wrote {written} bytes in {secs:.2} s ({:.0} MB/s)",
                written as f64 / secs.max(1e-9) / 1e6
            );
        }
        Cmd::Hostile {
            kind,
            out,
            scale,
            seed,
        } => {
            let w =
                postmortem_gen::hostile(&out, &postmortem_gen::HostileCfg { kind, scale, seed })?;
            eprintln!("wrote {} files, {} bytes", w.files.len(), w.bytes);
            // The pattern file to pass with --patterns, for scripts.
            if let Some(p) = w.patterns {
                println!("patterns {}", p.display());
            }
        }
        Cmd::Kind {
            name,
            set,
            seed,
            out,
            scale,
            truth,
        } => {
            let set = postmortem_gen::kinds::Set::parse(&set)?;
            let w = postmortem_gen::kinds::write_scaled(&name, set, seed, scale, &out)?;
            postmortem_gen::write_truth(
                &truth.unwrap_or_else(|| out.join("truth.json")),
                &w.truth,
            )?;
            summary(&w);
        }
        Cmd::List => {
            for n in postmortem_gen::SCENARIOS {
                println!("{n}");
            }
        }
        Cmd::Kinds => {
            for n in postmortem_gen::kinds::list(postmortem_gen::kinds::Set::Dev) {
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
