//! `postmortem report` and the incident parts of `timeline`: golden files
//! for the Markdown draft (regenerate with `UPDATE_GOLDEN=1 cargo test
//! --test integration report::`), and the command line around it.

use crate::util::{bin, root, skipped, tempdir};

/// Runs `postmortem report ARGS` from the repository root and compares the
/// draft with `tests/golden/NAME`, or rewrites it under `UPDATE_GOLDEN=1`.
fn golden(name: &str, args: &[&str]) {
    let out = bin().arg("report").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    // Nothing machine-specific: no absolute path of this checkout.
    let here = root().to_string_lossy().into_owned();
    assert!(!got.contains(&here), "the report embeds {here}");
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (create it with UPDATE_GOLDEN=1 cargo test --test integration report::)",
            path.display()
        )
    });
    if got != want {
        let diff: Vec<String> = want
            .lines()
            .zip(got.lines())
            .enumerate()
            .filter(|(_, (w, g))| w != g)
            .take(5)
            .map(|(i, (w, g))| format!("line {}:\n  want: {w}\n  got:  {g}", i + 1))
            .collect();
        panic!(
            "{} differs ({} vs {} lines); regenerate with UPDATE_GOLDEN=1 if intended\n{}",
            path.display(),
            want.lines().count(),
            got.lines().count(),
            diff.join("\n")
        );
    }
}

fn sample_logs() -> Option<&'static str> {
    if root().join("sample-logs").is_dir() {
        Some("sample-logs/")
    } else {
        skipped("sample-logs/");
        None
    }
}

#[test]
fn golden_sample_report() {
    if let Some(dir) = sample_logs() {
        golden("sample-report.md", &[dir]);
    }
}

#[test]
fn golden_mini_report() {
    golden("mini-report.md", &["tests/fixtures/mini"]);
}

#[test]
fn report_has_the_seed_sections_in_order() {
    let out = bin()
        .args(["report", "tests/fixtures/mini"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    let sections = [
        "# Postmortem",
        "Draft (generated)",
        "## Issue Summary",
        "## Timeline",
        "## Impact",
        "## Detection and response",
        "## Root Cause and Resolution",
        "## Corrective and Preventative Measures",
        "## Impact chart",
        "## Appendix",
        "### Reproduce",
    ];
    let mut last = 0;
    for s in sections {
        let at = md[last..]
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing or out of order"));
        last += at;
    }
    assert!(md.contains("IMPACT BEGINS"));
    assert!(md.contains("TODO"));
    assert!(md.contains("postmortem report tests/fixtures/mini"));
    // SHA-256 of every input.
    let hashes = md
        .lines()
        .filter(|l| l.starts_with("| `") && l.matches('|').count() >= 7)
        .count();
    assert_eq!(hashes, 6, "{md}");
}

#[test]
fn report_writes_a_file_and_leaves_it_out_of_the_command() {
    let dir = tempdir();
    let file = dir.path().join("POSTMORTEM.md");
    let out = bin()
        .args(["report", "tests/fixtures/mini", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(md.contains("## Issue Summary"));
    assert!(!md.contains("POSTMORTEM.md"));
}

#[test]
fn unknown_incident_is_a_usage_error() {
    let out = bin()
        .args(["report", "tests/fixtures/mini", "--incident", "7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--incident 7"), "{err}");
}

#[test]
fn timeline_json_has_incidents_and_markers() {
    let out = bin()
        .args(["timeline", "--format", "json", "tests/fixtures/mini"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inc = doc["incidents"].as_array().unwrap();
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0]["start"], "2024-03-09T08:37:42.000000Z");
    assert_eq!(inc[0]["rank"], 1);
    assert!(inc[0]["impact"]["failed_pct"].is_number());
    let events = doc["events"].as_array().unwrap();
    let markers: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "marker")
        .map(|e| e["pattern"].as_str().unwrap())
        .collect();
    assert!(markers.contains(&"marker.impact_begins"));
    assert!(markers.contains(&"marker.impact_ends"));
    assert!(markers.contains(&"marker.detected"));
    // Still in timeline order.
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
}

#[test]
fn text_timeline_opens_with_the_incident() {
    let out = bin()
        .args(["timeline", "--color", "never", "tests/fixtures/mini"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let second = text.lines().nth(1).unwrap_or("");
    assert!(second.starts_with("Incident 1"), "{text}");
    assert!(second.contains("2024-03-09 08:37:42"), "{second}");
}
