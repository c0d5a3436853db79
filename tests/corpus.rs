//! Every real log file in ../shared/corpus (fixtures of elastic/beats) is
//! read through the CLI, and each line's timestamp, HTTP status and level is
//! compared with the `*-expected.json` beside it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use postmortem::record::Level;
use postmortem::time::{parse_text_timestamp, TimeCtx, SEC};
use serde_json::Value;

use crate::util::{bin, corpus_dir};

fn corpus_logs(dir: &Path) -> Vec<PathBuf> {
    let mut logs = Vec::new();
    for sub in std::fs::read_dir(dir).unwrap() {
        let sub = sub.unwrap().path();
        if !sub.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&sub).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "log") {
                logs.push(f);
            }
        }
    }
    logs.sort();
    logs
}

/// Line number (1-based) of each byte offset at which a line starts.
fn line_of_offset(text: &[u8]) -> HashMap<u64, u64> {
    let mut map = HashMap::new();
    let mut line = 1;
    map.insert(0, 1);
    for (i, b) in text.iter().enumerate() {
        if *b == b'\n' {
            line += 1;
            map.insert(i as u64 + 1, line);
        }
    }
    map
}

/// The zone filebeat read the file in (`event.timezone`), as a --tz value.
fn zone_of(expected: &[Value]) -> String {
    expected
        .iter()
        .find_map(|e| e.get("event.timezone").and_then(|z| z.as_str()))
        .unwrap_or("UTC")
        .to_string()
}

fn records(path: &Path, tz: &str) -> Vec<Value> {
    let out = bin()
        .args(["records", "--all", "--tz", tz, "-q"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Lines where we knowingly differ from filebeat, with the reason.
fn known_difference(file: &str, line: u64) -> Option<&'static str> {
    match (file, line) {
        // The line says `2020-12-25T23:59:59+02:00`; filebeat's expected
        // value keeps the wall clock and applies its configured -02:00
        // instead. We honour the offset written in the line.
        ("iso8601_timestamp_multiline_syslog.log", 1) => Some("explicit offset honoured"),
        _ => None,
    }
}

#[test]
fn every_corpus_file_is_read_with_expected_fields() {
    let Some(dir) = corpus_dir() else { return };
    let logs = corpus_logs(&dir);
    assert!(
        logs.len() >= 18,
        "expected the whole corpus, found {}",
        logs.len()
    );
    let mut checked_times = 0;
    let mut checked_status = 0;
    let mut checked_levels = 0;
    for log in &logs {
        let name = log.file_name().unwrap().to_string_lossy().to_string();
        let expected_path = PathBuf::from(format!("{}-expected.json", log.display()));
        let expected: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let tz = zone_of(&expected);
        let recs = records(log, &tz);
        let by_line: HashMap<u64, &Value> = recs
            .iter()
            .map(|r| (r["line"].as_u64().unwrap(), r))
            .collect();

        // At least 99% of non-blank lines are read.
        let text = std::fs::read(log).unwrap();
        let nonblank = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(|c| c.is_ascii_whitespace()))
            .count();
        let skipped = recs.iter().filter(|r| r["type"] == "skipped").count();
        assert!(
            (nonblank - skipped) as f64 >= 0.99 * nonblank as f64,
            "{name}: {skipped} of {nonblank} lines skipped"
        );

        let lines = line_of_offset(&text);
        for e in &expected {
            let offset = e["log.offset"].as_u64().unwrap();
            let line = lines[&offset];
            let rec = by_line
                .get(&line)
                .unwrap_or_else(|| panic!("{name}:{line}: no record"));
            assert_ne!(rec["type"], "skipped", "{name}:{line} skipped");
            assert_ne!(rec["type"], "continuation", "{name}:{line} is a record");
            if let Some(ts) = e.get("@timestamp").and_then(|t| t.as_str()) {
                if known_difference(&name, line).is_none() {
                    let want = parse_text_timestamp(ts, &mut TimeCtx::default()).unwrap();
                    let got_text = rec["at"].as_str().unwrap();
                    let got = parse_text_timestamp(got_text, &mut TimeCtx::default()).unwrap();
                    // filebeat keeps milliseconds.
                    assert_eq!(
                        got.div_euclid(1000),
                        want.div_euclid(1000),
                        "{name}:{line}: time {got_text}, expected {ts}"
                    );
                    checked_times += 1;
                } else {
                    assert!(rec["at"].is_string());
                }
            }
            if let Some(status) = e.get("http.response.status_code").and_then(|s| s.as_u64()) {
                assert_eq!(
                    rec["status"].as_u64(),
                    Some(status),
                    "{name}:{line}: status"
                );
                checked_status += 1;
            }
            if let Some(level) = e.get("log.level").and_then(|l| l.as_str()) {
                let want = Level::from_word(level).map(|l| l.as_str());
                assert_eq!(rec["level"].as_str(), want, "{name}:{line}: level");
                checked_levels += 1;
            }
        }
    }
    assert!(
        checked_times >= 50,
        "only {checked_times} timestamps checked"
    );
    assert!(
        checked_status >= 30,
        "only {checked_status} statuses checked"
    );
    assert!(checked_levels >= 15, "only {checked_levels} levels checked");
    let _ = SEC;
}

#[test]
fn corpus_folder_gives_one_ordered_timeline() {
    let Some(dir) = corpus_dir() else { return };
    let out = bin()
        .args(["timeline", "--format", "json", "-q"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    for input in doc["inputs"].as_array().unwrap() {
        let path = input["path"].as_str().unwrap();
        if path.ends_with(".log") {
            assert!(input["format"].is_string(), "{path} not recognised");
        }
    }
    let events = doc["events"].as_array().unwrap();
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "events are in time order");
}
