//! Inputs through the binary: every decoder, support bundles (tar, tar.gz,
//! zip) read member by member, inputs opened lazily (thousands of files
//! under a small open-file limit), everything skipped named, and display
//! names that keep files apart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_postmortem"))
}

fn mini() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

fn run(args: &[&str], paths: &[&Path]) -> Output {
    let out = bin().args(args).args(paths).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    out
}

fn json(paths: &[&Path]) -> (Value, String) {
    json_in(Path::new("."), paths)
}

/// The JSON timeline of `paths`, run from the folder `cwd` (paths as given
/// are the names shown).
fn json_in(cwd: &Path, paths: &[&Path]) -> (Value, String) {
    let out = bin()
        .current_dir(cwd)
        .args(["timeline", "--format", "json"])
        .args(paths)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn inputs(doc: &Value) -> Vec<(String, u64)> {
    doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["records"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// The sources the timeline's events point at (markers left out).
fn event_sources(doc: &Value) -> std::collections::BTreeSet<String> {
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["source"].as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn records(doc: &Value) -> u64 {
    inputs(doc).iter().map(|(_, r)| r).sum()
}

fn access() -> Vec<u8> {
    std::fs::read(mini().join("lb/access.log")).unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The mini fixture's files, by path under it.
fn mini_files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for rel in [
        "alerts.log",
        "app/app-1.json.log",
        "app/app-2.logfmt.log",
        "deploy.log",
        "lb/access.log",
        "lb/error.log",
    ] {
        out.push((rel.to_string(), std::fs::read(mini().join(rel)).unwrap()));
    }
    out
}

fn tar_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_710_000_000);
        h.set_cksum();
        b.append_data(&mut h, path, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, data) in members {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file(path.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The incidents with their numbers, source names taken out of the
/// bundle (`prefix`).
fn incidents_without_sources(doc: &Value, prefix: &str) -> String {
    let mut v = doc["incidents"].clone();
    for i in v.as_array_mut().unwrap() {
        i.as_object_mut().unwrap().remove("suspects");
        i.as_object_mut().unwrap().remove("method");
        // The edges name lines, and the bundle splits the access log.
        i.as_object_mut().unwrap().remove("edges");
    }
    v.to_string().replace(prefix, "")
}

#[test]
fn a_cut_zstd_file_keeps_every_line_before_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    // Lines that differ, so that half the compressed bytes hold many of them.
    let text = String::from_utf8(access()).unwrap();
    let data: String = (0..20)
        .flat_map(|k| {
            text.lines()
                .map(move |l| format!("{}\n", l.replacen("10.", &format!("10.{k}"), 1)))
        })
        .collect();
    let data = data.into_bytes();
    let full = zstd::stream::encode_all(&data[..], 19).unwrap();
    std::fs::write(dir.path().join("access.log.zst"), &full[..full.len() / 2]).unwrap();
    let (doc, err) = json(&[dir.path()]);
    assert!(
        err.contains("access.log.zst") && err.contains("zstd") && err.contains("kept every line"),
        "{err}"
    );
    let got = records(&doc);
    assert!(got > 183 * 20 / 4 && got < 183 * 20, "{got}");
    // Counted and named in the inputs, not only warned about.
    let damaged = doc["inputs"][0]["damaged"].as_str().unwrap();
    assert!(damaged.contains("zstd"), "{damaged}");
    let formats = String::from_utf8(run(&["formats"], &[dir.path()]).stdout).unwrap();
    assert!(
        formats.contains("read stopped early: damaged or truncated zstd data"),
        "{formats}"
    );
}

#[test]
fn concatenated_zstd_frames_and_pzstd_output_are_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = access();
    let half = data.len() / 2;
    let cut = half + data[half..].iter().position(|b| *b == b'\n').unwrap() + 1;
    let mut frames = zstd::stream::encode_all(&data[..cut], 3).unwrap();
    frames.extend(zstd::stream::encode_all(&data[cut..], 3).unwrap());
    std::fs::write(dir.path().join("access.log.zst"), &frames).unwrap();
    let (doc, _) = json(&[&dir.path().join("access.log.zst")]);
    assert_eq!(records(&doc), 183);
    // pzstd: a skippable frame before each frame.
    let mut p = Vec::new();
    for part in [&data[..cut], &data[cut..]] {
        let frame = zstd::stream::encode_all(part, 3).unwrap();
        p.extend([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]);
        p.extend((frame.len() as u32).to_le_bytes());
        p.extend(frame);
    }
    std::fs::write(dir.path().join("p.log.zst"), &p).unwrap();
    let (doc, _) = json(&[&dir.path().join("p.log.zst")]);
    assert_eq!(records(&doc), 183);
}

#[test]
fn bzip2_and_xz_are_read_by_their_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let data = access();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(&data).unwrap();
    // Named without its extension: the bytes decide.
    std::fs::write(dir.path().join("access-bz"), bz.finish().unwrap()).unwrap();
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&data).unwrap();
    std::fs::write(dir.path().join("access.log.1.xz"), xz.finish().unwrap()).unwrap();
    let (doc, err) = json(&[dir.path()]);
    assert_eq!(
        inputs(&doc),
        [
            ("access-bz".to_string(), 183),
            ("access.log.1.xz".to_string(), 183)
        ],
        "{err}"
    );
}

#[test]
fn a_zstd_long_window_is_refused_with_a_warning_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    enc.long_distance_matching(true).unwrap();
    enc.window_log(31).unwrap();
    enc.write_all(&access()).unwrap();
    std::fs::write(dir.path().join("big.log.zst"), enc.finish().unwrap()).unwrap();
    std::fs::copy(mini().join("deploy.log"), dir.path().join("deploy.log")).unwrap();
    let out = run(&["formats"], &[dir.path()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("big.log.zst") && err.contains("--long=31"),
        "{err}"
    );
}

#[test]
fn a_support_bundle_reads_like_the_folder_it_was_made_from() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(String, Vec<u8>)> = mini_files()
        .into_iter()
        .map(|(p, d)| (format!("./var/log/{p}"), d))
        .collect();
    // A rotated, compressed member and a binary one.
    let data = access();
    let cut = data.len() / 3;
    let cut = cut + data[cut..].iter().position(|b| *b == b'\n').unwrap() + 1;
    let lb = files
        .iter()
        .position(|(p, _)| p.ends_with("lb/access.log"))
        .unwrap();
    files[lb].1 = data[cut..].to_vec();
    files.push(("./var/log/lb/access.log.1.gz".to_string(), gz(&data[..cut])));
    files.push(("./var/log/core".to_string(), [0u8, 1, 2, 3].repeat(500)));
    let tar = tar_of(&files);
    let bundles = [
        ("bundle.tar", tar.clone()),
        ("bundle.tar.gz", gz(&tar)),
        (
            "bundle.tar.zst",
            zstd::stream::encode_all(&tar[..], 3).unwrap(),
        ),
        ("bundle.zip", zip_of(&files)),
    ];
    let (folder, _) = json(&[&mini()]);
    for (name, bytes) in bundles {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let (doc, err) = json_in(dir.path(), &[Path::new(name)]);
        let got = inputs(&doc);
        assert!(
            got.iter()
                .any(|(p, r)| p == &format!("{name}:var/log/lb/access.log.1.gz") && *r > 0),
            "{name}: {got:?}"
        );
        assert!(
            got.iter()
                .any(|(p, _)| p == &format!("{name}:var/log/app/app-1.json.log")),
            "{name}: {got:?}"
        );
        assert!(err.contains(&format!("{name}:var/log/core")) && err.contains("binary"));
        let core = doc["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == format!("{name}:var/log/core"))
            .unwrap();
        assert!(core["not_read"].as_str().unwrap().contains("binary"));
        assert_eq!(records(&doc), records(&folder), "{name}");
        // The same incidents, to the client: the second read finds the members.
        assert_eq!(
            incidents_without_sources(&doc, &format!("{name}:var/log/")),
            incidents_without_sources(&folder, ""),
            "{name}"
        );
        assert!(
            doc["incidents"][0]["impact"]["clients_total"]
                .as_u64()
                .unwrap()
                > 0
        );
        // Rotated members are one log: the failed-request runs of both
        // parts collapse as in a folder, into as many events.
        assert_eq!(
            doc["events"].as_array().unwrap().len(),
            folder["events"].as_array().unwrap().len(),
            "{name}"
        );
        let sources = event_sources(&doc);
        assert!(
            sources.iter().all(|s| s.starts_with(&format!("{name}:"))),
            "{sources:?}"
        );
        let formats = String::from_utf8(run(&["formats"], &[&path]).stdout).unwrap();
        assert!(
            formats.contains(&format!("{name}:var/log/lb/error.log")),
            "{formats}"
        );
    }
}

#[test]
fn a_damaged_bundle_keeps_every_member_before_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = mini_files();
    files.push(("zz-last.log".to_string(), access().repeat(50)));
    let tar = gz(&tar_of(&files));
    let path = dir.path().join("cut.tgz");
    std::fs::write(&path, &tar[..tar.len() - tar.len() / 4]).unwrap();
    let (doc, err) = json_in(dir.path(), &[Path::new("cut.tgz")]);
    let (whole, _) = json(&[&mini()]);
    assert!(err.contains("cut.tgz"), "{err}");
    let got = inputs(&doc);
    for (rel, _) in mini_files() {
        let n = got
            .iter()
            .find(|(p, _)| p == &format!("cut.tgz:{rel}"))
            .map(|(_, n)| *n);
        let want = inputs(&whole)
            .into_iter()
            .find(|(p, _)| p == &rel)
            .unwrap()
            .1;
        assert_eq!(n, Some(want), "{rel}: {got:?}");
    }
    assert!(doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(
            |i| i["not_read"].as_str().is_some_and(|r| r.contains("tar"))
                || i["path"] == "cut.tgz:zz-last.log"
        ));
}

#[cfg(unix)]
#[test]
fn thousands_of_files_are_read_under_a_small_open_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let line = |i: usize| {
        format!(
            "2024-03-09 08:{:02}:{:02},000 INFO [main] c.e.Api - request {i} served\n",
            i / 60 % 60,
            i % 60
        )
    };
    // 1,500 files: six times the limit below.
    for d in 0..30 {
        let sub = dir.path().join(format!("d{d:02}"));
        std::fs::create_dir(&sub).unwrap();
        for f in 0..50 {
            std::fs::write(sub.join(format!("app-{f:03}.log")), line(d * 50 + f)).unwrap();
        }
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 256 && exec '{}' timeline --format json '{}'",
            env!("CARGO_BIN_EXE_postmortem"),
            dir.path().display()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got = inputs(&doc);
    assert_eq!(got.len(), 1500);
    assert!(got.iter().all(|(_, r)| *r == 1), "every file read");
    assert!(!err.contains("Too many open files"), "{err}");
}

#[test]
fn same_names_from_different_folders_stay_apart_and_skew_still_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    for host in ["hostA", "hostB"] {
        std::fs::create_dir(dir.path().join(host)).unwrap();
        std::fs::copy(
            mini().join("deploy.log"),
            dir.path().join(host).join("deploy.log"),
        )
        .unwrap();
    }
    let a = dir.path().join("hostA");
    let b = dir.path().join("hostB");
    let (doc, _) = json(&[&a, &b]);
    let names: Vec<String> = inputs(&doc).into_iter().map(|(p, _)| p).collect();
    assert_eq!(names, ["hostA/deploy.log", "hostB/deploy.log"]);
    assert_eq!(
        event_sources(&doc).into_iter().collect::<Vec<_>>(),
        ["hostA/deploy.log", "hostB/deploy.log"]
    );
    // --skew names one of them by its new name.
    let out = run(
        &[
            "timeline",
            "--format",
            "json",
            "--skew",
            "hostB/deploy.log=+1h",
        ],
        &[&a, &b],
    );
    let skewed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = |d: &Value, i: usize| d["inputs"][i]["first"].as_str().unwrap().to_string();
    assert_eq!(first(&skewed, 0), first(&doc, 0));
    assert_ne!(first(&skewed, 1), first(&doc, 1));
}

#[cfg(unix)]
#[test]
fn a_file_given_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(mini().join("deploy.log"), dir.path().join("deploy.log")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("deploy.log"), dir.path().join("link.log")).unwrap();
    let f = dir.path().join("deploy.log");
    let (once, _) = json(&[&f]);
    for args in [
        vec![f.clone(), f.clone()],
        vec![dir.path().to_path_buf(), f.clone()],
        vec![dir.path().to_path_buf()],
    ] {
        let refs: Vec<&Path> = args.iter().map(|p| p.as_path()).collect();
        let (doc, err) = json(&refs);
        assert_eq!(inputs(&doc).len(), 1, "{args:?}: {:?}", inputs(&doc));
        assert_eq!(records(&doc), records(&once));
        if args.len() > 1 {
            assert!(err.contains("read once"), "{err}");
        }
    }
}

#[cfg(unix)]
#[test]
fn everything_skipped_in_a_folder_is_named_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(mini().join("deploy.log"), dir.path().join("deploy.log")).unwrap();
    std::os::unix::fs::symlink("/no/such/file", dir.path().join("dangling.log")).unwrap();
    std::fs::write(dir.path().join("NOTES.md"), "# notes\n").unwrap();
    std::fs::write(dir.path().join(".hidden.log"), "x\n").unwrap();
    std::fs::write(dir.path().join("core"), [0u8, 1, 2, 3].repeat(100)).unwrap();
    let (doc, err) = json(&[dir.path()]);
    let reason = |path: &str| {
        doc["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == path)
            .and_then(|i| i["not_read"].as_str())
            .map(str::to_string)
    };
    assert!(reason("dangling.log").unwrap().contains("dangling"));
    assert!(reason("NOTES.md").unwrap().contains(".md"));
    assert!(reason(".hidden.log").unwrap().contains("hidden"));
    assert!(reason("core").unwrap().contains("binary"));
    assert_eq!(reason("deploy.log"), None);
    assert!(
        err.contains("dangling.log") && err.contains("core"),
        "{err}"
    );
    // Files skipped for their names are counted in one warning.
    assert!(err.contains("2 files not read for their name"), "{err}");
    let formats = String::from_utf8(run(&["formats"], &[dir.path()]).stdout).unwrap();
    for name in ["dangling.log", "NOTES.md", ".hidden.log", "core"] {
        assert!(formats.contains(name), "{formats}");
    }
    assert!(
        formats.contains("not read: dangling symbolic link"),
        "{formats}"
    );
}

#[test]
fn year_less_members_of_a_bundle_take_the_year_of_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let syslog =
        b"Mar  9 08:40:01 web-1 kernel: Out of memory: Killed process 4242 (java)\n".to_vec();
    let mut files = mini_files();
    files.insert(0, ("syslog".to_string(), syslog.clone()));
    let path = dir.path().join("b.tar.gz");
    std::fs::write(&path, gz(&tar_of(&files))).unwrap();
    let (doc, _) = json_in(dir.path(), &[Path::new("b.tar.gz")]);
    let first = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "b.tar.gz:syslog")
        .unwrap()["first"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(first.starts_with("2024-03-09T08:40:01"), "{first}");
    // In order: the year-less member keeps its place in the archive.
    assert_eq!(doc["inputs"][0]["path"], "b.tar.gz:syslog");
    // Through standard input too (held for the second pass).
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "exec '{}' timeline --format json - < '{}'",
            env!("CARGO_BIN_EXE_postmortem"),
            path.display()
        ))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let i = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "-:syslog")
        .unwrap();
    assert!(i["first"]
        .as_str()
        .unwrap()
        .starts_with("2024-03-09T08:40:01"));
}

#[test]
fn a_bundle_reads_the_same_for_any_threads_and_block_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = mini_files();
    files.push(("lb/access.log.1.gz".to_string(), gz(&access())));
    std::fs::write(dir.path().join("b.tgz"), gz(&tar_of(&files))).unwrap();
    std::fs::write(dir.path().join("b.zip"), zip_of(&files)).unwrap();
    let out = |threads: &str, block: Option<&str>| {
        let mut c = bin();
        c.current_dir(dir.path()).args([
            "timeline",
            "--format",
            "json",
            "--threads",
            threads,
            "b.tgz",
            "b.zip",
        ]);
        if let Some(b) = block {
            c.env("POSTMORTEM_BLOCK_SIZE", b);
        }
        let o = c.output().unwrap();
        assert!(o.status.success());
        o.stdout
    };
    let one = out("1", None);
    assert!(one == out("2", None), "threads");
    assert!(one == out("2", Some("4096")), "block size");
}

#[test]
fn lines_of_a_known_shape_without_times_are_named_not_called_unrecognised() {
    let dir = tempfile::tempdir().unwrap();
    // external-dns (logrus) with timestamps turned off, and on a terminal.
    std::fs::write(
        dir.path().join("external-dns.log"),
        "level=info msg=\"Instantiating new Kubernetes client\"\nlevel=error msg=\"failed to sync\" error=timeout\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tty.log"),
        "INFO[0000] Instantiating new Kubernetes client\nERRO[0005] failed to sync  error=timeout\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("prose.txt"), "just words\nand more words\n").unwrap();
    std::fs::copy(mini().join("deploy.log"), dir.path().join("deploy.log")).unwrap();
    let out = run(&["formats"], &[dir.path()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line_of = |name: &str| {
        err.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no warning for {name}: {err}"))
            .to_string()
    };
    let logfmt = line_of("external-dns.log");
    assert!(
        logfmt.contains("no timestamps") && logfmt.contains("logfmt"),
        "{logfmt}"
    );
    let tty = line_of("tty.log");
    assert!(
        tty.contains("no timestamps") && tty.contains("INFO[0005]"),
        "{tty}"
    );
    let prose = line_of("prose.txt");
    assert!(prose.contains("format not recognised"), "{prose}");
}
