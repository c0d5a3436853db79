//! An access log shipped through a container runtime, journald, kubectl or
//! CloudWatch gives the same incident (start, end, failed requests and
//! clients) as the raw file: the wrappers of `format::wrap`, through the CLI.

use std::path::Path;

use serde_json::{json, Value};

use crate::util::{ok, root, tempdir};

/// The bundled sample's nginx access log, oldest part first.
fn raw_lines() -> Vec<String> {
    let dir = root().join("sample-logs/nginx");
    let mut text = std::fs::read_to_string(dir.join("access.log.1")).unwrap();
    text.push_str(&std::fs::read_to_string(dir.join("access.log")).unwrap());
    text.lines().map(str::to_string).collect()
}

/// A shipping time a little after the line's own (wrappers stamp lines
/// when they ship them); the inner time must win.
const SHIP_MS: i64 = 1_709_974_800_000; // 2024-03-09T09:00:00Z, inside the sample's day

fn quoted(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// Each wrapped form of the raw lines: (name, file text).
fn wrapped(raw: &[String]) -> Vec<(&'static str, String)> {
    let ship = |i: usize| SHIP_MS + i as i64;
    let rfc = |i: usize| {
        let t = chrono::DateTime::from_timestamp_millis(ship(i)).unwrap();
        t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
    };
    let mut docker = String::new();
    let mut cri = String::new();
    let mut journald = String::new();
    let mut kubectl = String::new();
    let mut cloudwatch_events = Vec::new();
    for (i, line) in raw.iter().enumerate() {
        docker.push_str(
            &json!({"log": format!("{line}\n"), "stream": "stdout", "time": rfc(i)}).to_string(),
        );
        docker.push('\n');
        // Every seventh line split by the runtime into partial parts.
        if i % 7 == 3 && line.len() > 30 {
            let (a, b) = line.split_at(12);
            let (b, c) = b.split_at(10);
            cri.push_str(&format!(
                "{} stdout P {a}\n{} stdout P {b}\n",
                rfc(i),
                rfc(i)
            ));
            cri.push_str(&format!("{} stdout F {c}\n", rfc(i)));
        } else {
            cri.push_str(&format!("{} stdout F {line}\n", rfc(i)));
        }
        journald.push_str(
            &json!({
                "__CURSOR": format!("s=abc;i={i}"),
                "__REALTIME_TIMESTAMP": (ship(i) * 1000).to_string(),
                "PRIORITY": "6",
                "_HOSTNAME": "lb-1",
                "SYSLOG_IDENTIFIER": "nginx",
                "MESSAGE": line,
            })
            .to_string(),
        );
        journald.push('\n');
        kubectl.push_str(&format!("{} {line}\n", rfc(i)));
        cloudwatch_events.push(json!({
            "logStreamName": "lb/nginx/i-0abc",
            "timestamp": ship(i),
            "message": line,
            "ingestionTime": ship(i) + 150,
            "eventId": i.to_string(),
        }));
    }
    // `aws logs filter-log-events` prints the document pretty, 4 spaces.
    let doc = json!({"events": cloudwatch_events, "searchedLogStreams": []});
    let mut cloudwatch = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut cloudwatch, fmt);
    serde::Serialize::serialize(&doc, &mut ser).unwrap();
    let _ = quoted;
    vec![
        ("docker", docker),
        ("cri", cri),
        ("journald", journald),
        ("kubectl", kubectl),
        ("cloudwatch", String::from_utf8(cloudwatch).unwrap()),
    ]
}

/// What must not change: each incident's edges and impact.
fn incidents(dir: &Path) -> (Vec<Value>, Vec<String>) {
    let out = ok(&["timeline", "--format", "json"], &[dir]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let formats = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["format"].as_str().unwrap_or("-").to_string())
        .collect();
    let list = v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let m = &i["impact"];
            json!({
                "start": i["start"], "end": i["end"], "kind": i["kind"],
                "requests_total": m["requests_total"], "requests_failed": m["requests_failed"],
                "failed_pct": m["failed_pct"], "clients_affected": m["clients_affected"],
            })
        })
        .collect();
    (list, formats)
}

#[test]
fn wrapped_access_logs_give_the_raw_files_incident() {
    let raw = raw_lines();
    let dir = tempdir();
    let raw_dir = dir.path().join("raw");
    std::fs::create_dir(&raw_dir).unwrap();
    std::fs::write(raw_dir.join("access.log"), raw.join("\n") + "\n").unwrap();
    let (want, formats) = incidents(&raw_dir);
    assert_eq!(formats, ["nginx_access"]);
    assert!(!want.is_empty(), "the sample has an outage");
    eprintln!(
        "wrappers: raw file: {} incident(s), {}",
        want.len(),
        want[0]
    );
    for (name, text) in wrapped(&raw) {
        let d = dir.path().join(name);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("lb.log"), text).unwrap();
        let (got, formats) = incidents(&d);
        eprintln!("wrappers: {name}: read as {formats:?}");
        assert_eq!(formats, [format!("{name}/nginx_access")], "{name}");
        assert_eq!(
            got, want,
            "{name}: the incident differs from the raw file's"
        );
    }
}

#[test]
fn a_wrapper_around_unknown_text_says_so() {
    let dir = tempdir();
    let lines: String = (0..20)
        .map(|i| {
            json!({"log": format!("worker {i} ready\n"), "stream": "stderr",
                   "time": format!("2024-03-09T08:00:{i:02}.5Z")})
            .to_string()
                + "\n"
        })
        .collect();
    std::fs::write(dir.path().join("c.log"), lines).unwrap();
    let out = ok(&["formats"], &[dir.path()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("docker/text"), "{stdout}");
    assert!(
        stderr.contains("in no format postmortem reads") && stderr.contains("worker 0 ready"),
        "{stderr}"
    );
}
