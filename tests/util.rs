//! The one harness of the integration tests: where things are, how to run
//! the binary, temporary folders, JSON, visible skips and the scenarios
//! generated once per run.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

// ---------------------------------------------------------------------------
// Where things are

/// The repository root (the tests' working directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The small hand-written fixture: every format, one incident.
pub fn mini() -> PathBuf {
    root().join("tests/fixtures/mini")
}

/// The nginx access log of [`mini`] (183 requests).
pub fn mini_access_log() -> Vec<u8> {
    std::fs::read(mini().join("lb/access.log")).unwrap()
}

/// The real-log corpus beside the checkout, or `None` with a notice that
/// the test was skipped.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = root().join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        skipped("../shared/corpus");
        None
    }
}

/// Says on the real stderr (which the test harness does not capture) that
/// the running test did not run for want of `missing`, so a missing input
/// never passes silently.
pub fn skipped(missing: &str) {
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "{test}: SKIPPED, {missing} not found");
}

// ---------------------------------------------------------------------------
// Running the binary

/// Longest any single run under [`run`] may take (debug builds on a busy
/// machine): a hang fails the test instead of stalling the suite.
const LIMIT: Duration = Duration::from_secs(60);

/// Variables that change the binary's defaults: the tests run without
/// them, whatever the shell that started them has set.
pub const DEFAULTS_FROM_ENV: &[&str] = &[
    "POSTMORTEM_TZ",
    "POSTMORTEM_SLO",
    "POSTMORTEM_PATTERNS",
    "NO_COLOR",
    "COLUMNS",
    "TZ",
];

/// The `postmortem` binary, started in the repository root, without the
/// variables of [`DEFAULTS_FROM_ENV`].
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_postmortem"));
    c.current_dir(root());
    for v in DEFAULTS_FROM_ENV {
        c.env_remove(v);
    }
    c
}

/// Runs the binary with `args` then `paths`, no stdin, and a time limit:
/// kills it and fails after [`LIMIT`]. Fails on a panic message.
pub fn run(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = bin();
    c.args(args).args(paths);
    run_command(c, &format!("{args:?} {paths:?}"))
}

/// Runs a command made from [`bin`] as [`run`] does (no stdin, the time
/// limit, no panic); `what` names it in failures.
pub fn run_command(mut c: Command, what: &str) -> Output {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Drain both pipes while waiting, or a large output would block the child.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("postmortem {what} still running after {LIMIT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{what}: {err}");
    out
}

/// [`run`], which must succeed.
pub fn ok(args: &[&str], paths: &[&Path]) -> Output {
    let out = run(args, paths);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

// ---------------------------------------------------------------------------
// JSON

/// The JSON document on the stdout of a successful run.
pub fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `postmortem timeline --format json PATH`: the document and the stderr.
pub fn timeline_json(path: &Path) -> (Value, String) {
    let out: Output = bin()
        .args(["timeline", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    // Exit 3 is "no usable data": the document is still written.
    assert!(matches!(out.status.code(), Some(0) | Some(3)), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

/// A JSON file.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------
// Files

/// A new temporary folder, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Gzip at the default level.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

// ---------------------------------------------------------------------------
// Generated scenarios

/// A `postmortem-gen` scenario written once per test run.
pub struct Scenario {
    /// The folder of the logs (never changed by a test: copy it first).
    pub logs: PathBuf,
    pub truth: Value,
}

/// Scenario `name` at `seed` and `scale`, generated on first use and shared
/// by every test of the run that asks for the same one. It is written under
/// Cargo's scratch folder for integration tests (replacing what an earlier
/// run left there), so nothing outlives the target folder.
pub fn scenario(name: &str, seed: u64, scale: f64) -> &'static Scenario {
    type Slot = &'static OnceLock<Scenario>;
    static MADE: Mutex<BTreeMap<String, Slot>> = Mutex::new(BTreeMap::new());
    let key = format!("{name}-seed{seed}-scale{scale}");
    let slot: Slot = *MADE
        .lock()
        .unwrap()
        .entry(key.clone())
        .or_insert_with(|| Box::leak(Box::default()));
    slot.get_or_init(|| {
        let logs = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("scenarios")
            .join(key);
        if logs.exists() {
            std::fs::remove_dir_all(&logs).unwrap();
        }
        let w = postmortem_gen::scenario(name, &logs, seed, scale)
            .unwrap_or_else(|e| panic!("postmortem-gen {name}: {e}"));
        Scenario {
            logs,
            truth: w.truth,
        }
    })
}
