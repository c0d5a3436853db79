//! Partials from many hosts (`scan --partial`, then `timeline host*.pmp`):
//! the logs of one outage split over eight "hosts" by round robin of the
//! request log's lines, each host scanned to a partial, and the partials
//! merged, give the same document as one scan of every host's folder:
//! the same incidents, edges, impact and distinct clients (inputs are
//! named `HOST:PATH` rather than `HOST/PATH`, and carry the digests the
//! scan takes).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{bin, ok, run, tempdir};

const HOSTS: usize = 8;

/// The request logs of the generated families, split over the hosts.
fn is_request_log(name: &str) -> bool {
    name.ends_with("access.log") || name.ends_with("haproxy.log")
}

/// Copies `from` into `to/host1..host8`: every request log's lines dealt
/// round robin to the hosts, every other file to host 1.
fn split(from: &Path, to: &Path, rel: &Path) {
    for entry in std::fs::read_dir(from.join(rel)).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        let rel = rel.join(&name);
        if entry.file_type().unwrap().is_dir() {
            split(from, to, &rel);
            continue;
        }
        if name == "truth.json" {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let mut parts = vec![String::new(); HOSTS];
        if is_request_log(&name) {
            for (i, line) in text.lines().enumerate() {
                parts[i % HOSTS].push_str(line);
                parts[i % HOSTS].push('\n');
            }
        } else {
            parts[0] = text;
        }
        for (h, part) in parts.iter().enumerate() {
            if part.is_empty() {
                continue;
            }
            let path = to.join(format!("host{}", h + 1)).join(&rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, part).unwrap();
        }
    }
}

/// A generated family split over the hosts: the folder of host folders.
fn fleet(family: &str, dir: &Path) -> Vec<PathBuf> {
    let logs = dir.join("logs");
    postmortem_gen::kinds::write_scaled(family, postmortem_gen::kinds::Set::Dev, 1, 0.1, &logs)
        .unwrap();
    let hosts = dir.join("hosts");
    split(&logs, &hosts, Path::new(""));
    (1..=HOSTS)
        .map(|h| hosts.join(format!("host{h}")))
        .collect()
}

/// Scans each host folder (from inside it, as a host would) to a partial.
fn scan_hosts(hosts: &[PathBuf], out: &Path) -> Vec<PathBuf> {
    scan_hosts_with(hosts, out, &[])
}

fn scan_hosts_with(hosts: &[PathBuf], out: &Path, extra: &[&str]) -> Vec<PathBuf> {
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let pmp = out.join(format!("host{}.pmp", i + 1));
            let name = format!("host{}", i + 1);
            let o = bin()
                .current_dir(h)
                .args(["scan", "-q", "--host", &name])
                .args(extra)
                .arg("--partial")
                .arg(&pmp)
                .arg(".")
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            pmp
        })
        .collect()
}

/// `HOSTn:` names back to `HOSTn/`, digests dropped: what may differ.
fn normalised(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::String(s) => {
                for h in 1..=HOSTS {
                    *s = s.replace(&format!("host{h}:"), &format!("host{h}/"));
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::Object(o) => {
                o.remove("sha256");
                o.values_mut().for_each(walk);
            }
            _ => {}
        }
    }
    walk(&mut v);
    v
}

fn timeline(dir: &Path, paths: &[&Path]) -> Value {
    let mut c = bin();
    c.current_dir(dir)
        .args(["timeline", "-q", "--format", "json"])
        .args(paths);
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn impacts(doc: &Value) -> Vec<Value> {
    doc["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let imp = &i["impact"];
            serde_json::json!([
                i["kind"],
                i["start"],
                i["end"],
                imp["requests_total"],
                imp["requests_failed"],
                imp["clients_total"],
                imp["clients_affected"]
            ])
        })
        .collect()
}

/// A family split over the hosts, and the document of reading all the
/// host folders in one place.
fn fleet_read_in_one_place(family: &str, dir: &Path) -> (Vec<PathBuf>, Value) {
    let hosts = fleet(family, dir);
    let rel: Vec<PathBuf> = (1..=HOSTS)
        .map(|h| PathBuf::from(format!("host{h}")))
        .collect();
    let rel: Vec<&Path> = rel.iter().map(PathBuf::as_path).collect();
    let one = timeline(&dir.join("hosts"), &rel);
    (hosts, one)
}

/// Errors (partial fleet: ms timestamps), slow requests and refusals:
/// each kind of bad request the second read counts.
#[test]
fn eight_hosts_merged_give_the_answer_of_one_scan() {
    for family in ["partial-fleet", "latency", "refusals"] {
        let dir = tempdir();
        let (hosts, one) = fleet_read_in_one_place(family, dir.path());
        let pmps = scan_hosts(&hosts, dir.path());
        let pmps: Vec<&Path> = pmps.iter().map(PathBuf::as_path).collect();
        let merged = timeline(dir.path(), &pmps);
        assert!(
            !one["incidents"].as_array().unwrap().is_empty(),
            "{family}: an incident"
        );
        let clients = &merged["incidents"][0]["impact"]["clients_total"];
        assert!(
            clients.as_u64().is_some_and(|n| n > 0),
            "{family}: {clients}"
        );
        assert_eq!(impacts(&merged), impacts(&one), "{family}");
        assert_eq!(normalised(merged), normalised(one.clone()), "{family}");

        // Partials beside plain logs: host 1 read in place, the others merged.
        let mut mixed: Vec<&Path> = vec![&hosts[0]];
        mixed.extend(&pmps[1..]);
        let m = timeline(dir.path(), &mixed);
        assert_eq!(impacts(&m), impacts(&one), "{family}: mixed");
    }
}

/// Past the bound on distinct clients, a partial sketches its clients:
/// the merge keeps every request count and edge exact, estimates the
/// clients within the sketches' error, and says so.
#[test]
fn partials_past_their_client_bound_estimate_clients_and_say_so() {
    for family in ["partial-fleet", "latency", "refusals"] {
        let dir = tempdir();
        let (hosts, one) = fleet_read_in_one_place(family, dir.path());
        let pmps = scan_hosts_with(&hosts, dir.path(), &["--client-limit", "3"]);
        let pmps: Vec<&Path> = pmps.iter().map(PathBuf::as_path).collect();
        let merged = timeline(dir.path(), &pmps);
        let (a, b) = (&one["incidents"], &merged["incidents"]);
        assert_eq!(
            a.as_array().unwrap().len(),
            b.as_array().unwrap().len(),
            "{family}"
        );
        for (x, y) in a.as_array().unwrap().iter().zip(b.as_array().unwrap()) {
            for key in ["kind", "start", "end"] {
                assert_eq!(x[key], y[key], "{family}: {key}");
            }
            let (xi, yi) = (&x["impact"], &y["impact"]);
            for key in ["requests_total", "requests_failed", "failed_pct"] {
                assert_eq!(xi[key], yi[key], "{family}: {key}");
            }
            assert_eq!(xi["clients_estimated"], false, "{family}");
            assert_eq!(yi["clients_estimated"], true, "{family}");
            for key in ["clients_total", "clients_affected"] {
                let (e, s) = (xi[key].as_f64().unwrap(), yi[key].as_f64().unwrap());
                // Within the sketches' error, and the whole buckets at the
                // window's edges (which may hold a few more clients).
                assert!(
                    s >= e * 0.95 - 2.0 && s <= e * 1.15 + 3.0,
                    "{family}: {key} {s} estimated for {e}"
                );
            }
            let warned = y["warnings"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(merged["warnings"].as_array().into_iter().flatten())
                .any(|w| w.to_string().contains("clients estimated"));
            assert!(warned, "{family}: {}", y["warnings"]);
        }
    }
}

#[test]
fn the_report_of_partials_is_the_report_of_the_logs() {
    let dir = tempdir();
    let hosts = fleet("partial-fleet", dir.path());
    let pmps = scan_hosts(&hosts, dir.path());
    let parent = dir.path().join("hosts");
    let report = |cwd: &Path, paths: Vec<PathBuf>| {
        let o = bin()
            .current_dir(cwd)
            .args(["report", "-q", "-o", "-"])
            .args(&paths)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8(o.stdout).unwrap();
        // The command line that reproduces it names its own inputs.
        text.lines()
            .filter(|l| !l.starts_with("postmortem report"))
            .map(|l| {
                let mut l = l.to_string();
                for h in 1..=HOSTS {
                    l = l.replace(&format!("host{h}:"), &format!("host{h}/"));
                }
                l
            })
            .collect::<Vec<_>>()
    };
    let one = report(
        &parent,
        (1..=HOSTS)
            .map(|h| PathBuf::from(format!("host{h}")))
            .collect(),
    );
    let merged = report(dir.path(), pmps);
    assert_eq!(merged, one);
}

fn partial_of_mini(dir: &Path) -> PathBuf {
    let pmp = dir.join("mini.pmp");
    ok(
        &[
            "scan",
            "-q",
            "--host",
            "mini",
            "--partial",
            pmp.to_str().unwrap(),
        ],
        &[&crate::util::mini()],
    );
    pmp
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn a_partial_of_another_version_is_refused_naming_both() {
    let dir = tempdir();
    let pmp = partial_of_mini(dir.path());
    let bytes = std::fs::read(&pmp).unwrap();
    let body = &bytes[bytes.iter().position(|&b| b == b'\n').unwrap() + 1..];
    let old = dir.path().join("old.pmp");
    let mut other = b"postmortem-partial 7 postmortem 0.0.1\n".to_vec();
    other.extend_from_slice(body);
    std::fs::write(&old, other).unwrap();
    let out = run(&["timeline"], &[&old]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("old.pmp"), "{err}");
    assert!(
        err.contains("format 7 written by postmortem 0.0.1"),
        "{err}"
    );
    assert!(err.contains(postmortem::scan::pmp::TOOL_VERSION), "{err}");
}

#[test]
fn a_damaged_partial_is_a_clear_error() {
    let dir = tempdir();
    let pmp = partial_of_mini(dir.path());
    let bytes = std::fs::read(&pmp).unwrap();
    let cut = dir.path().join("cut.pmp");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut flipped = bytes.clone();
    let mid = bytes.len() * 2 / 3;
    flipped[mid] ^= 0xff;
    let bad = dir.path().join("flipped.pmp");
    std::fs::write(&bad, flipped).unwrap();
    let garbage = dir.path().join("garbage.pmp");
    std::fs::write(&garbage, b"postmortem-partial nonsense\n\x00\x01").unwrap();
    for p in [&cut, &bad, &garbage] {
        let out = run(&["timeline"], &[p]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        assert!(err.contains(&name) && err.contains("damaged"), "{err}");
    }
}

#[test]
fn an_empty_partial_reads_as_no_data() {
    let dir = tempdir();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let pmp = dir.path().join("empty.pmp");
    ok(
        &[
            "scan",
            "-q",
            "--host",
            "e",
            "--partial",
            pmp.to_str().unwrap(),
        ],
        &[&empty],
    );
    let from_partial = run(&["timeline", "--format", "json"], &[&pmp]);
    let from_folder = run(&["timeline", "--format", "json"], &[&empty]);
    assert_eq!(from_partial.status.code(), from_folder.status.code());
    let doc: Value = serde_json::from_slice(&from_partial.stdout).unwrap();
    assert_eq!(doc["inputs"].as_array().map(Vec::len), Some(0));
}

#[test]
fn settings_that_must_agree_are_checked() {
    let dir = tempdir();
    let pmp = partial_of_mini(dir.path());
    for (args, says) in [
        (vec!["timeline", "--bucket", "5m"], "--bucket 60s"),
        (
            vec!["timeline", "--failed-status", "5xx,429"],
            "--failed-status",
        ),
        (vec!["timeline", "--since", "2h"], "apply when scanning"),
    ] {
        let out = run(&args, &[&pmp]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    // The same host twice would count its logs twice.
    let copy = dir.path().join("copy.pmp");
    std::fs::copy(&pmp, &copy).unwrap();
    let out = run(&["timeline"], &[&pmp, &copy]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("host mini"), "{}", stderr(&out));
    // A partial is not scanned into another.
    let out = run(&["scan", "--partial", "x.pmp"], &[&pmp]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already a partial"));
}

#[test]
fn a_partial_goes_to_standard_output_with_a_dash() {
    let dir = tempdir();
    let pmp = partial_of_mini(dir.path());
    let out = ok(
        &["scan", "-q", "--host", "mini", "--partial", "-"],
        &[&crate::util::mini()],
    );
    let piped = dir.path().join("piped.pmp");
    std::fs::write(&piped, &out.stdout).unwrap();
    let a = run(&["timeline", "--format", "json"], &[&pmp]);
    let b = run(&["timeline", "--format", "json"], &[&piped]);
    assert_eq!(a.stdout, b.stdout);
}
