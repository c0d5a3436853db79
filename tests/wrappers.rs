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

/// `formats --format json` of one file: (format, lines, records, skipped).
fn formats_of(path: &Path) -> (String, u64, u64, u64) {
    let out = ok(&["formats", "--format", "json"], &[path]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let i = &v["inputs"][0];
    (
        i["format"].as_str().unwrap_or("-").to_string(),
        i["lines"].as_u64().unwrap_or(0),
        i["records"].as_u64().unwrap_or(0),
        i["skipped"].as_u64().unwrap_or(0),
    )
}

#[test]
fn a_file_that_starts_with_junk_is_read_by_the_format_of_the_rest() {
    let dir = tempdir();
    let raw = raw_lines();
    let mut text = String::new();
    for i in 0..250 {
        text.push_str(&format!(
            "=== banner line {i}: starting log shipper, buffering ===\n"
        ));
    }
    for line in raw.iter().cycle().take(10_000) {
        text.push_str(line);
        text.push('\n');
    }
    let path = dir.path().join("access.log");
    std::fs::write(&path, text).unwrap();
    let (format, lines, records, skipped) = formats_of(&path);
    assert_eq!(format, "nginx_access");
    assert_eq!((lines, records, skipped), (10_250, 10_000, 250));
}

#[test]
fn mixed_files_keep_every_line_each_format_reads() {
    let dir = tempdir();
    // Envoy access lines beside Envoy's own notices (envoyproxy/envoy docs).
    let envoy = [
        r#"[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80""#,
        "[2019-04-11 00:52:07.980][1][warning][upstream] [source/common/upstream/cluster_manager_impl.cc:500] no healthy host for HTTP connection pool",
        r#"[2016-04-15T20:17:01.310Z] "GET /api/v1/locations HTTP/2" 503 UH 0 91 0 - "10.0.35.28" "nsq2http" "dd21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "-""#,
    ];
    // ALB lines beside NLB lines (the AWS guides' examples).
    let lb = [
        r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#,
        "tls 2.0 2018-12-20T02:59:40 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2018-12-20T02:59:30",
        r#"http 2018-07-02T22:23:01.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2818 10.0.0.1:80 0.000 0.001 0.000 502 502 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe355" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "502" "-" "-""#,
    ];
    for (name, want, lines) in [("envoy.log", "envoy", &envoy), ("lb.log", "alb", &lb)] {
        let path = dir.path().join(name);
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let (format, lines, records, skipped) = formats_of(&path);
        assert_eq!(format, want, "{name}");
        assert_eq!(
            (lines, records, skipped),
            (3, 3, 0),
            "{name}: every line read"
        );
    }
}

/// Docker splits a line longer than 16 KiB into entries of 16 KiB, all
/// but the last without the newline. Long lines split so, read with
/// blocks smaller than a piece (every piece a block of its own), give the
/// same timeline as with the default blocks, and the raw file's incident:
/// the pieces are joined across block boundaries.
#[test]
fn docker_pieces_are_joined_across_blocks() {
    const PIECE: usize = 16 * 1024;
    let raw: Vec<String> = raw_lines()
        .into_iter()
        .enumerate()
        .map(|(i, line)| match i % 50 {
            // A long query string, two or three pieces.
            7 => line.replacen(
                " HTTP/",
                &format!("?q={} HTTP/", "x".repeat(PIECE + (i % 3) * 9000)),
                1,
            ),
            _ => line,
        })
        .collect();
    let dir = tempdir();
    let raw_dir = dir.path().join("raw");
    std::fs::create_dir(&raw_dir).unwrap();
    std::fs::write(raw_dir.join("access.log"), raw.join("\n") + "\n").unwrap();
    let (want, _) = incidents(&raw_dir);
    let mut docker = String::new();
    for (i, line) in raw.iter().enumerate() {
        let t = chrono::DateTime::from_timestamp_millis(SHIP_MS + i as i64).unwrap();
        let time = t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
        let bytes = line.as_bytes();
        let pieces: Vec<&[u8]> = bytes.chunks(PIECE).collect();
        for (k, p) in pieces.iter().enumerate() {
            let mut log = String::from_utf8(p.to_vec()).unwrap();
            if k + 1 == pieces.len() {
                log.push('\n');
            }
            docker.push_str(&json!({"log": log, "stream": "stdout", "time": time}).to_string());
            docker.push('\n');
        }
    }
    let d = dir.path().join("docker");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("lb.log"), docker).unwrap();
    let (got, formats) = incidents(&d);
    assert_eq!(formats, ["docker/nginx_access"]);
    assert_eq!(got, want, "the incident differs from the raw file's");
    let timeline = |block: Option<&str>| {
        let mut c = crate::util::bin();
        c.args(["timeline", "--format", "json"]).arg(&d);
        if let Some(b) = block {
            c.env("POSTMORTEM_BLOCK_SIZE", b);
        }
        let o = c.output().unwrap();
        assert!(o.status.success());
        o.stdout
    };
    let default = timeline(None);
    assert!(
        default == timeline(Some("4096")),
        "block size changed the timeline"
    );
    let v: Value = serde_json::from_slice(&default).unwrap();
    assert_eq!(v["inputs"][0]["skipped"], 0, "{}", v["inputs"][0]);
}
