//! Messy input: damaged archives, odd line endings, junk bytes, huge lines,
//! empty files. None of it may panic, hang or lose a readable record.

use serde_json::Value;

use crate::util::{bin, gzip, mini, mini_access_log as access_log, root, tempdir, timeline_json};

fn records_of(doc: &Value) -> u64 {
    doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["records"].as_u64().unwrap())
        .sum()
}

#[test]
fn truncated_gzip_keeps_every_record_before_the_damage() {
    let dir = tempdir();
    let data = access_log();
    let full = gzip(&data);
    let cut = &full[..full.len() * 2 / 3];
    std::fs::write(dir.path().join("access.log.2.gz"), cut).unwrap();
    let (doc, err) = timeline_json(dir.path());
    assert!(
        err.contains("access.log.2.gz") && err.contains("gzip"),
        "{err}"
    );
    let got = records_of(&doc);
    // Everything decompressible before the cut is read: at least half of it.
    assert!(got > 183 / 2 && got < 183, "{got} records");
}

#[test]
fn crlf_and_missing_final_newline_and_nul_bytes_work() {
    let dir = tempdir();
    let text = String::from_utf8(access_log()).unwrap();
    let crlf = text.replace('\n', "\r\n");
    std::fs::write(dir.path().join("crlf.log"), crlf.trim_end()).unwrap();
    let (doc, _) = timeline_json(&dir.path().join("crlf.log"));
    assert_eq!(doc["inputs"][0]["format"], "nginx_access");
    assert_eq!(doc["inputs"][0]["records"], 183);
    assert_eq!(doc["inputs"][0]["skipped"], 0);

    // A disk that filled up: a run of NULs in the middle of the file.
    let mut with_nuls = access_log();
    let mid = with_nuls.len() / 2;
    let at = mid + with_nuls[mid..].iter().position(|b| *b == b'\n').unwrap() + 1;
    with_nuls.splice(
        at..at,
        std::iter::repeat_n(0u8, 200).chain(std::iter::once(b'\n')),
    );
    std::fs::write(dir.path().join("nul.log"), &with_nuls).unwrap();
    let (doc, _) = timeline_json(&dir.path().join("nul.log"));
    assert_eq!(doc["inputs"][0]["records"], 183);
}

#[test]
fn latin1_bytes_are_read_lossily_not_dropped() {
    let dir = tempdir();
    let line =
        b"2024-03-09 08:37:50,120 ERROR [main] c.e.Api - Benutzer M\xfcller: connection refused\n";
    std::fs::write(dir.path().join("app.log"), line.repeat(3)).unwrap();
    let out = bin()
        .args(["records"])
        .arg(dir.path().join("app.log"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.contains("M\u{fffd}ller"));
}

#[test]
fn a_huge_line_is_kept_and_does_not_break_the_rest() {
    let dir = tempdir();
    let mut data = b"2024-03-09 08:37:50,120 ERROR [main] c.e.Api - dump: ".to_vec();
    data.extend(std::iter::repeat_n(b'x', 20 * 1024 * 1024));
    data.extend_from_slice(b"\n2024-03-09 08:37:51,120 INFO [main] c.e.Api - next line\n");
    std::fs::write(dir.path().join("app.log"), &data).unwrap();
    let out = bin()
        .args(["records"])
        .arg(dir.path().join("app.log"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.contains("next line"));
}

#[test]
fn empty_files_and_folders_are_fine() {
    let dir = tempdir();
    std::fs::write(dir.path().join("empty.log"), b"").unwrap();
    std::fs::create_dir(dir.path().join("nothing")).unwrap();
    let (doc, _) = timeline_json(dir.path());
    assert_eq!(records_of(&doc), 0);
    assert_eq!(doc["events"].as_array().unwrap().len(), 0);
}

#[test]
fn junk_beside_good_logs_changes_nothing_for_the_good_logs() {
    let alone = tempdir();
    let mixed = tempdir();
    for d in [alone.path(), mixed.path()] {
        std::fs::create_dir_all(d.join("lb")).unwrap();
        std::fs::write(d.join("lb/access.log"), access_log()).unwrap();
        std::fs::copy(mini().join("deploy.log"), d.join("deploy.log")).unwrap();
    }
    let m = mixed.path();
    std::fs::write(
        m.join("junk.bin"),
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::write(
        m.join("half.log.gz"),
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3],
    )
    .unwrap();
    std::fs::write(
        m.join("notes.txt"),
        b"we looked at the dashboards\nnothing obvious\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/nowhere", m.join("gone.log")).unwrap();
    let (a, _) = timeline_json(alone.path());
    let (b, err) = timeline_json(mixed.path());
    assert!(err.contains("junk.bin"), "{err}");
    let good = |doc: &Value| -> Vec<Value> {
        doc["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["source"] == "lb/access.log" || e["source"] == "deploy.log")
            .cloned()
            .collect()
    };
    assert_eq!(good(&a), good(&b));
    assert_eq!(a["series"], b["series"]);
}

#[test]
fn terminal_control_sequences_never_reach_the_terminal_raw() {
    let dir = tempdir();
    let line = "2024-03-09 08:37:50,120 ERROR [main] c.e.Api - connection refused \x1b]0;owned\x07 \x1b[2J by peer\n";
    std::fs::write(dir.path().join("app.log"), line).unwrap();
    let out = bin()
        .args(["timeline", "--color", "always"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("\x1b]0;"), "{text}");
    assert!(!text.contains("\x1b[2J"), "{text}");
    assert!(!text.contains('\x07'));
}

#[test]
fn year_less_syslog_takes_the_year_from_the_other_inputs_and_rolls_over() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("syslog"),
        "Dec 31 23:59:58 web1 systemd[1]: Stopping A high performance web server...\nJan  1 00:00:03 web1 systemd[1]: Started A high performance web server.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.log"),
        "2025-01-01 00:10:00,000 INFO [main] c.e.Api - ready\n",
    )
    .unwrap();
    let out = bin().args(["records"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"2024-12-31T23:59:58.000000Z\""), "{text}");
    assert!(text.contains("\"2025-01-01T00:00:03.000000Z\""), "{text}");

    // --year names the year the file starts in.
    let out = bin()
        .args(["records", "--year", "2019"])
        .arg(dir.path().join("syslog"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"2019-12-31T23:59:58.000000Z\""), "{text}");
    assert!(text.contains("\"2020-01-01T00:00:03.000000Z\""), "{text}");
}

#[test]
fn tz_applies_only_to_logs_without_an_offset() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("app.log"),
        "2024-07-01 12:00:00,000 ERROR [main] c.e.Api - boom\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("access.log"),
        "10.0.0.1 - - [01/Jul/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl\"\n",
    )
    .unwrap();
    let out = bin()
        .args(["records", "--tz", "Europe/Berlin"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("\"2024-07-01T10:00:00.000000Z\""),
        "app log read in Berlin time: {text}"
    );
    assert!(
        text.contains("\"2024-07-01T12:00:00.000000Z\""),
        "access log keeps its offset: {text}"
    );
}

#[test]
fn skew_moves_one_source() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("app.log"),
        "2024-07-01 12:00:00,000 ERROR [main] c.e.Api - boom\n",
    )
    .unwrap();
    let out = bin()
        .args(["records", "--skew", "app.log=-3s"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"2024-07-01T11:59:57.000000Z\""), "{text}");
}

#[test]
fn a_source_with_a_wrong_clock_is_pointed_out() {
    let sample = root().join("sample-logs");
    let out = bin()
        .args(["timeline", "--format", "json"])
        .arg(&sample)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["clock_skew"].as_array().unwrap().len(),
        0,
        "no skew in the sample"
    );

    // Move one application's clock 40 s ahead: the estimate finds it
    // (less the few seconds by which its errors naturally lead the proxy's).
    let out = bin()
        .args([
            "timeline",
            "--format",
            "json",
            "--skew",
            "app/app-2.log=+40s",
        ])
        .arg(&sample)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("app/app-2.log") && err.contains("--skew app/app-2.log=-"),
        "{err}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let skew = &doc["clock_skew"][0];
    assert_eq!(skew["source"], "app/app-2.log");
    let lag = skew["lag_seconds"].as_i64().unwrap();
    assert!((30..=45).contains(&lag), "{lag}");
}

#[test]
fn one_stray_future_line_does_not_move_year_less_dates() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("syslog"),
        "Mar  9 08:36:20 web1 systemd[1]: Reloading A high performance web server.\n",
    )
    .unwrap();
    let mut app = String::new();
    for i in 0..300 {
        app.push_str(&format!(
            "2024-03-09 08:{:02}:{:02},000 INFO [main] c.e.Api - ok\n",
            i / 60,
            i % 60
        ));
    }
    // A host whose clock jumped wrote one line in 2099.
    app.push_str("2099-01-01 00:00:00,000 INFO [main] c.e.Api - clock jumped\n");
    std::fs::write(dir.path().join("app.log"), app).unwrap();
    for cmd in ["records", "timeline"] {
        let out = bin()
            .args(
                [cmd, "--format", "json"]
                    .iter()
                    .take(if cmd == "records" { 1 } else { 3 }),
            )
            .arg(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        if cmd == "records" {
            assert!(text.contains("\"2024-03-09T08:36:20.000000Z\""), "{text}");
        } else {
            let doc: Value = serde_json::from_str(&text).unwrap();
            let syslog = doc["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["path"] == "syslog")
                .unwrap();
            assert_eq!(syslog["first"], "2024-03-09T08:36:20.000000Z");
        }
    }
}
