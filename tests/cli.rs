//! The command line, through the binary: each command, each output format,
//! exit codes, and the promises about determinism.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::{bin, gzip, json_of, mini, mini_access_log, run, tempdir};

#[test]
fn timeline_json_follows_the_schema() {
    let out = bin()
        .args(["timeline", "--format", "json"])
        .arg(mini())
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["schema"], "postmortem.timeline.v1");
    assert!(doc["generated_by"]
        .as_str()
        .unwrap()
        .starts_with("postmortem "));
    assert!(doc["incidents"].is_array());
    let inputs = doc["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 6);
    let formats: Vec<(&str, &str)> = inputs
        .iter()
        .map(|i| {
            (
                i["path"].as_str().unwrap(),
                i["format"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert!(
        formats.contains(&("lb/access.log", "nginx_access")),
        "{formats:?}"
    );
    assert!(
        formats.contains(&("lb/error.log", "nginx_error")),
        "{formats:?}"
    );
    assert!(
        formats.contains(&("alerts.log", "alertmanager")),
        "{formats:?}"
    );
    assert!(
        formats.contains(&("app/app-1.json.log", "json")),
        "{formats:?}"
    );
    assert!(
        formats.contains(&("app/app-2.logfmt.log", "logfmt")),
        "{formats:?}"
    );
    for i in inputs {
        for key in [
            "path", "format", "lines", "records", "skipped", "first", "last",
        ] {
            assert!(i.get(key).is_some(), "inputs[].{key} missing");
        }
        assert_eq!(i["skipped"], 0, "{}", i["path"]);
    }
    let events = doc["events"].as_array().unwrap();
    let mut last = String::new();
    for e in events {
        let at = e["at"].as_str().unwrap().to_string();
        assert!(at.ends_with('Z'));
        assert!(at >= last, "events out of order");
        last = at;
        for key in [
            "until", "count", "kind", "severity", "source", "line", "pattern", "message", "fields",
        ] {
            assert!(e.get(key).is_some(), "events[].{key} missing");
        }
    }
    // Failed requests are collapsed, not one event per line.
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["pattern"] == "lb.failed_requests")
        .collect();
    assert!(!failed.is_empty());
    assert!(failed.iter().any(|e| e["count"].as_u64().unwrap() > 5));
    assert!(failed
        .iter()
        .any(|e| e["fields"]["backend"] == "10.0.1.12:8080"));
    // The alert fired once (two notifications) and resolved once.
    let alerts: Vec<&Value> = events.iter().filter(|e| e["kind"] == "alert").collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["at"], "2024-03-09T08:40:12.000000Z");
    assert_eq!(alerts[0]["count"], 2);
    assert!(events
        .iter()
        .any(|e| e["pattern"] == "alert.resolved" && e["at"] == "2024-03-09T08:44:12.000000Z"));
    // The series covers the requests.
    let series = &doc["series"];
    assert_eq!(series["bucket_seconds"], 60);
    let total: u64 = series["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 183);
    assert!(series["by_backend"]["10.0.1.12:8080"]["failed"].is_array());
}

#[test]
fn ndjson_is_one_event_per_line() {
    let out = bin()
        .args(["timeline", "--format", "ndjson"])
        .arg(mini())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let json = json_of(
        &bin()
            .args(["timeline", "--format", "json"])
            .arg(mini())
            .output()
            .unwrap(),
    );
    let events = json["events"].as_array().unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), events.len());
    assert_eq!(&lines[..], &events[..]);
}

#[test]
fn text_timeline_has_aligned_columns_and_relative_paths() {
    let out = bin()
        .args(["timeline", "--color", "never"])
        .arg(mini())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("postmortem: 6 inputs"), "{text}");
    assert!(text.contains("TIME (UTC)"));
    assert!(text.contains("lb/access.log:"));
    assert!(text.contains("deploy.log:2"));
    assert!(
        !text.contains(mini().to_str().unwrap()),
        "paths are relative"
    );
    assert!(!text.contains('\x1b'), "no colour when asked for none");
}

#[test]
fn formats_command_reports_each_file() {
    let out = bin().args(["formats"]).arg(mini()).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "lb/access.log",
        "nginx_access",
        "alertmanager",
        "logfmt",
        "100.0%",
    ] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}

#[test]
fn records_command_prints_parsed_lines() {
    let out = bin()
        .args(["records"])
        .arg(mini().join("lb/access.log"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "request");
    assert_eq!(first["line"], 1);
    assert!(first["status"].is_u64());
}

#[test]
fn patterns_command_lists_and_checks() {
    let out = run(&["patterns"], &[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ID"));

    let dir = tempdir();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[[pattern]]\nid = \"my.thing\"\nkind = \"error\"\nseverity = \"error\"\nregex = 'thing (?P<what>\\w+) broke'\n",
    )
    .unwrap();
    let out = bin()
        .args(["patterns", "--check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[pattern]]\nid = \"my.bad\"\nkind = \"error\"\nseverity = \"error\"\nregex = 'unclosed (group'\n",
    )
    .unwrap();
    let out = bin()
        .args(["patterns", "--check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("my.bad"), "{err}");
}

#[test]
fn same_output_for_any_thread_count_and_run() {
    let one = bin()
        .args(["timeline", "--format", "json", "--threads", "1"])
        .arg(mini())
        .output()
        .unwrap();
    let many = bin()
        .args(["timeline", "--format", "json", "--threads", "4"])
        .arg(mini())
        .output()
        .unwrap();
    let again = bin()
        .args(["timeline", "--format", "json", "--threads", "4"])
        .arg(mini())
        .output()
        .unwrap();
    assert!(one.status.success());
    assert_eq!(one.stdout, many.stdout);
    assert_eq!(many.stdout, again.stdout);
}

#[test]
fn small_blocks_give_the_same_timeline() {
    // Blocks of one file are parsed in parallel: a tiny block size forces
    // many blocks and must not change anything.
    let normal = bin()
        .args(["timeline", "--format", "json"])
        .arg(mini())
        .output()
        .unwrap();
    let tiny = bin()
        .args(["timeline", "--format", "json"])
        .env("POSTMORTEM_BLOCK_SIZE", "4096")
        .arg(mini())
        .output()
        .unwrap();
    assert_eq!(normal.stdout, tiny.stdout);
}

/// An IIS log whose `#Fields:` header changes halfway, with a burst of 503s
/// from one client set: 40 minutes of one request a second.
fn iis_log_with_two_layouts() -> String {
    let mut log = String::from(
        "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n\
         #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n",
    );
    for i in 0..2400u32 {
        let (m, s) = (i / 60, i % 60);
        let status = if (1500..1800).contains(&i) { 503 } else { 200 };
        let client = format!("203.0.113.{}", i % 50);
        if i == 1200 {
            log.push_str("#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-sitename cs-method cs-uri-stem sc-status c-ip time-taken\n");
        }
        if i < 1200 {
            log.push_str(&format!(
                "2018-01-01 08:{m:02}:{s:02} 10.0.0.1 GET /a - 443 - {client} Mozilla/5.0 - {status} 0 0 12\n"
            ));
        } else {
            log.push_str(&format!(
                "2018-01-01 08:{m:02}:{s:02} W3SVC1 GET /a {status} {client} 12\n"
            ));
        }
    }
    log
}

#[test]
fn a_header_reaches_every_block_after_it() {
    // Blocks are parsed in parallel and read again for the exact counts:
    // each must start with the layout the last `#Fields:` before it set.
    let dir = tempdir();
    let path = dir.path().join("u_ex180101.log");
    std::fs::write(&path, iis_log_with_two_layouts()).unwrap();
    let normal = bin()
        .args(["timeline", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let tiny = bin()
        .args(["timeline", "--format", "json"])
        .env("POSTMORTEM_BLOCK_SIZE", "4096")
        .arg(&path)
        .output()
        .unwrap();
    let doc = json_of(&normal);
    assert_eq!(normal.stdout, tiny.stdout);
    let input = &doc["inputs"][0];
    assert_eq!(input["format"], "w3c");
    assert_eq!(input["skipped"], 0, "{input}");
    assert_eq!(input["framing_lines"], 5, "{input}");
    assert_eq!(input["records"], 2400, "{input}");
    let incident = &doc["incidents"][0];
    assert!(incident.is_object(), "no incident: {doc}");
}

#[test]
fn event_ages_count_back_from_the_modification_time() {
    // `kubectl events` (fluxcd/helm-controller's docs): ages, not times.
    let dir = tempdir();
    let path = dir.path().join("events.txt");
    std::fs::write(
        &path,
        "LAST SEEN   TYPE      REASON             OBJECT                MESSAGE\n\
         88s         Normal    HelmChartCreated   HelmRelease/podinfo   Created HelmChart/podinfo/podinfo-podinfo\n\
         78s         Warning   TestFailed         HelmRelease/podinfo   Helm test failed for release podinfo/podinfo.v1\n",
    )
    .unwrap();
    // 2024-03-09T12:00:00Z
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_709_985_600);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let out = run(&["records"], &[&path]);
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let times: Vec<&str> = lines.iter().filter_map(|r| r["at"].as_str()).collect();
    assert_eq!(
        times,
        ["2024-03-09T11:58:32.000000Z", "2024-03-09T11:58:42.000000Z"]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ages") && err.contains("2024-03-09T12:00:00Z") && err.contains("--skew"),
        "{err}"
    );
}

#[test]
fn usage_and_input_errors_exit_2_with_a_clear_message() {
    for (args, needle) in [
        (vec!["timeline", "/no/such/dir"], "no such file"),
        (vec!["timeline", "--tz", "Mars/Base", "."], "--tz"),
        (vec!["timeline", "--since", "yesterday-ish", "."], "--since"),
        (vec!["timeline", "--bucket", "5 parsecs", "."], "--bucket"),
        (
            vec!["timeline", "--log-format", "nope", "."],
            "unknown format",
        ),
        (vec!["timeline"], "PATHS"),
        (vec!["frobnicate"], "frobnicate"),
    ] {
        let out = run(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn stdin_is_read_for_dash() {
    let access = mini_access_log();
    let mut child = bin()
        .args(["timeline", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&access).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["inputs"][0]["path"], "-");
    assert_eq!(doc["inputs"][0]["format"], "nginx_access");
    assert_eq!(doc["inputs"][0]["records"], 183);
}

#[test]
fn gzip_and_rotated_files_are_read() {
    let dir = tempdir();
    let access = mini_access_log();
    let half = access.len() / 2;
    let cut = half + access[half..].iter().position(|b| *b == b'\n').unwrap() + 1;
    std::fs::write(dir.path().join("access.log"), &access[cut..]).unwrap();
    std::fs::write(dir.path().join("access.log.1.gz"), gzip(&access[..cut])).unwrap();
    let doc = json_of(
        &bin()
            .args(["timeline", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    let total: u64 = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["records"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 183);
    assert!(doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["format"] == "nginx_access"));
}

#[test]
fn closed_pipe_ends_quietly() {
    let mut child = bin()
        .args(["timeline", "--format", "ndjson"])
        .arg(mini())
        .arg(mini())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn special_and_binary_files_in_a_folder_are_skipped_with_a_warning() {
    let dir = tempdir();
    std::fs::copy(mini().join("deploy.log"), dir.path().join("deploy.log")).unwrap();
    std::fs::write(
        dir.path().join("core.bin"),
        [0u8, 1, 2, 3, 0, 0, 0, 9, 8, 7].repeat(100),
    )
    .unwrap();
    std::os::unix::fs::symlink("/no/such/target", dir.path().join("dangling.log")).unwrap();
    let fifo = dir.path().join("pipe.log");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let out = bin()
        .args(["timeline", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let doc = json_of(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("core.bin") && err.contains("binary"), "{err}");
    assert!(err.contains("dangling.log"), "{err}");
    if made {
        assert!(err.contains("pipe.log"), "{err}");
    }
    let read: Vec<&Value> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["records"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0]["path"], "deploy.log");

    // Named explicitly, a binary file is refused.
    let out = bin()
        .args(["timeline"])
        .arg(dir.path().join("core.bin"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("binary"));
}

#[test]
fn app_request_lines_do_not_double_count_the_load_balancer_traffic() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("lb")).unwrap();
    std::fs::copy(
        mini().join("lb/access.log"),
        dir.path().join("lb/access.log"),
    )
    .unwrap();
    let mut app = String::new();
    for i in 0..50 {
        app.push_str(&format!(
            "{{\"level\":\"info\",\"ts\":{}.5,\"msg\":\"request completed\",\"path\":\"/api/orders\",\"method\":\"GET\",\"status\":200}}\n",
            1_709_973_000 + i * 10
        ));
    }
    std::fs::write(dir.path().join("app.log"), app).unwrap();
    let doc = json_of(
        &bin()
            .args(["timeline", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    let total: u64 = doc["series"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 183, "only the access log's requests count");
    assert_eq!(doc["incidents"][0]["impact"]["requests_total"], 33);

    // Alone, the application's request lines are the best there is.
    let doc = json_of(
        &bin()
            .args(["timeline", "--format", "json"])
            .arg(dir.path().join("app.log"))
            .output()
            .unwrap(),
    );
    let total: u64 = doc["series"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 50);
}

#[test]
fn zstd_files_are_read() {
    let dir = tempdir();
    let access = mini_access_log();
    let packed =
        ruzstd::encoding::compress_to_vec(&access[..], ruzstd::encoding::CompressionLevel::Fastest);
    std::fs::write(dir.path().join("access.log.3.zst"), packed).unwrap();
    let doc = json_of(
        &bin()
            .args(["timeline", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap(),
    );
    assert_eq!(doc["inputs"][0]["format"], "nginx_access");
    assert_eq!(doc["inputs"][0]["records"], 183);
}

#[test]
fn since_and_until_leave_out_records_outside() {
    let doc = json_of(
        &bin()
            .args([
                "timeline",
                "--format",
                "json",
                "--since",
                "2024-03-09T08:37:00Z",
                "--until",
                "2024-03-09 08:42",
            ])
            .arg(mini())
            .output()
            .unwrap(),
    );
    for e in doc["events"].as_array().unwrap() {
        let at = e["at"].as_str().unwrap();
        assert!(
            ("2024-03-09T08:37:00.000000Z".."2024-03-09T08:42:01.000000Z").contains(&at),
            "{at}"
        );
    }
    let access = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "lb/access.log")
        .unwrap();
    assert!(access["filtered"].as_u64().unwrap() > 100);
    assert!(access["first"].as_str().unwrap() >= "2024-03-09T08:37:00.000000Z");
}

/// A zone abbreviation that names several zones is read one way and
/// said once per file, naming it; `--tz` settles it.
#[test]
fn ambiguous_zone_abbreviations_are_warned_once_per_file() {
    let dir = tempdir();
    let lines = [
        "2024-03-09 08:00:00.123 IST [123] LOG:  checkpoint starting: time",
        "2024-03-09 08:00:01.123 IST [123] ERROR:  relation \"orders\" does not exist",
        "2024-03-09 08:00:01.123 IST [123] STATEMENT:  SELECT * FROM orders;",
        "2024-03-09 08:00:02.000 CEST [124] LOG:  checkpoint complete",
    ];
    std::fs::write(dir.path().join("postgresql.log"), lines.join("\n") + "\n").unwrap();
    let out = bin()
        .args(["timeline", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let doc = json_of(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("times marked IST are ambiguous").count(),
        1,
        "{err}"
    );
    assert!(err.contains("read as +05:30"), "{err}");
    assert!(!err.contains("CEST"), "{err}");
    let input = &doc["inputs"][0];
    assert_eq!(input["format"], "postgresql");
    assert_eq!(input["first"], "2024-03-09T02:30:00.123000Z", "{input}");

    let out = bin()
        .args(["timeline", "--format", "json", "--tz", "Europe/Dublin"])
        .arg(dir.path())
        .output()
        .unwrap();
    let doc = json_of(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("times marked IST") && err.contains("read in --tz"),
        "{err}"
    );
    assert_eq!(
        doc["inputs"][0]["first"], "2024-03-09T06:00:02.000000Z",
        "{}",
        doc["inputs"][0]
    );
}
