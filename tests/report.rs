//! `postmortem report` and the incident parts of `timeline`: golden files
//! for the Markdown draft (regenerate with `UPDATE_GOLDEN=1 cargo test
//! --test integration report::`), and the command line around it.

use crate::util::{bin, mini, ok, root, skipped, tempdir};

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

/// `report ARGS PATH` on standard output.
fn report_md(args: &[&str], path: &std::path::Path) -> String {
    let mut all = vec!["report"];
    all.extend(args);
    String::from_utf8(ok(&all, &[path]).stdout).unwrap()
}

#[test]
fn report_shows_every_time_in_the_display_zone_and_names_it_once() {
    let utc = report_md(&[], &mini());
    let md = report_md(&["--display-tz", "Europe/Berlin"], &mini());
    assert!(utc.contains("- **All times UTC.**"), "{utc}");
    assert!(
        md.contains("- **All times in Europe/Berlin (UTC+01:00).**"),
        "{md}"
    );
    // Named once: no time elsewhere says UTC.
    assert_eq!(md.matches("UTC").count(), 1, "{md}");
    for (want, was) in [
        // Summary, with the suspect and the likely fix.
        (
            "From 09:37:42 to 09:41:20 on 2024-03-09 (3 min 38 s)",
            "From 08:37:42 to 08:41:20 UTC on 2024-03-09 (3 min 38 s)",
        ),
        ("(`deploy.log`:2, 09:36:17)", "(`deploy.log`:2, 08:36:17)"),
        // Timeline: markers (the peak's own time too) and events.
        (
            "- 09:37:42 — **IMPACT BEGINS**",
            "- 08:37:42 — **IMPACT BEGINS**",
        ),
        ("in the 3 min from 09:39:00)", "in the 3 min from 08:39:00)"),
        ("- 09:36:17 — change:", "- 08:36:17 — change:"),
        // Impact and detection.
        (
            "| Window | 2024-03-09 09:37:42 → 2024-03-09 09:41:20 (3 min 38 s) |",
            "| Window | 2024-03-09 08:37:42 → 2024-03-09 08:41:20 UTC (3 min 38 s) |",
        ),
        (
            "(alert `HighErrorRate` at 09:40:12)",
            "(alert `HighErrorRate` at 08:40:12)",
        ),
        // Chart rows and the Mermaid axis.
        ("◀ impact begins 09:37:42", "◀ impact begins 08:37:42"),
        ("\"09:37\"", "\"08:37\""),
        ("incident 09:37–09:41\"", "incident 08:37–08:41 UTC\""),
        // Appendix inputs.
        ("| First (Europe/Berlin) |", "| First (UTC) |"),
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
        assert!(utc.contains(was), "missing {was:?} in\n{utc}");
    }
    // The chart's header fits its column.
    let head = md
        .lines()
        .find(|l| l.starts_with("Europe/Berlin "))
        .unwrap_or_else(|| panic!("{md}"));
    let row = md.lines().find(|l| l.starts_with("09:37 ")).unwrap();
    assert_eq!(head.find("requests per").map(|p| p > 13), Some(true));
    assert_eq!(row.find('┃'), Some(13), "{row}");
    // --local is the machine's zone.
    let local = String::from_utf8(
        bin()
            .args(["report", "--local"])
            .arg(mini())
            .env("TZ", "Asia/Kolkata")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        local.contains("All times in Asia/Kolkata (UTC+05:30).")
            && local.contains("From 14:07:42 to 14:11:20 on 2024-03-09"),
        "{local}"
    );
    let bad = bin()
        .args(["report", "--display-tz", "Mars/Base"])
        .arg(mini())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// An nginx access log from 00:00 to 03:00 UTC on 2024-03-31 (Europe/Berlin
/// springs forward at 01:00 UTC), 20 requests a minute, half of them
/// failing from 00:50 to 01:10 UTC.
fn across_spring_forward() -> String {
    let mut log = String::new();
    for minute in 0..180 {
        for k in 0..20 {
            let (h, m, s) = (minute / 60, minute % 60, k * 3);
            let failing = (50..70).contains(&minute) && k % 2 == 0;
            let status = if failing { 503 } else { 200 };
            log.push_str(&format!(
                "203.0.113.{} - - [31/Mar/2024:{h:02}:{m:02}:{s:02} +0000] \"GET /api HTTP/1.1\" {status} 512 \"-\" \"curl\" 10.0.1.{}:8080 {status} 0.040 0.040\n",
                k + 1,
                k % 3 + 1
            ));
        }
    }
    log
}

#[test]
fn a_daylight_saving_change_inside_the_report_shows_the_offsets() {
    let dir = tempdir();
    std::fs::write(dir.path().join("access.log"), across_spring_forward()).unwrap();
    let md = report_md(&["--display-tz", "Europe/Berlin"], dir.path());
    // The header names the offset at impact start and says times at the
    // other one carry theirs.
    assert!(
        md.contains("All times in Europe/Berlin (UTC+01:00). The offset changes"),
        "{md}"
    );
    // 20 minutes, not 1 h 20 min, as the offsets show.
    assert!(
        md.contains("From 01:50:00 to 03:09:54+02:00 on 2024-03-31 (19 min 54 s)"),
        "{md}"
    );
    assert!(md.contains("- 01:50:00 — **IMPACT BEGINS**"), "{md}");
    assert!(md.contains("- 03:09:54+02:00 — **IMPACT ENDS**"), "{md}");
    assert!(md.contains("e.g. 12:00:00+02:00."), "{md}");
    // Chart labels on both sides of the change.
    assert!(md.contains("\"01:59\", \"03:00+02:00\""), "{md}");
    // Without the change in view, no offsets.
    let summer = report_md(
        &["--display-tz", "Europe/Berlin", "--since", "01:30"],
        dir.path(),
    );
    assert!(
        summer.contains("All times in Europe/Berlin (UTC+02:00).**"),
        "{summer}"
    );
    assert!(
        !summer.contains("daylight") && !summer.contains(":00+0"),
        "{summer}"
    );
}

/// A folder with the mini fixture's access log (an incident from
/// 08:37:42) and `files` beside it.
fn with_access_log(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("lb")).unwrap();
    std::fs::copy(
        mini().join("lb/access.log"),
        dir.path().join("lb/access.log"),
    )
    .unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// The change suspects of the top incident: (source, line, the
/// (source, line) of each reload shown with it).
type ChangeSuspect = (String, u64, Vec<(String, u64)>);

fn change_suspects(path: &std::path::Path) -> (Vec<ChangeSuspect>, Vec<(String, u64)>) {
    let out = ok(&["timeline", "--format", "json", "--year", "2024"], &[path]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = |v: &serde_json::Value| {
        (
            v["source"].as_str().unwrap().to_string(),
            v["line"].as_u64().unwrap(),
        )
    };
    let suspects = doc["incidents"][0]["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "change")
        .map(|s| {
            let (src, line) = at(s);
            let applied = s["applied"]
                .as_array()
                .map(|a| a.iter().map(at).collect())
                .unwrap_or_default();
            (src, line, applied)
        })
        .collect();
    let changes = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "change")
        .map(at)
        .collect();
    (suspects, changes)
}

#[test]
fn a_reload_that_carries_out_a_change_is_shown_with_it() {
    let s = |x: &str| x.to_string();
    // nginx: a weight change in the deploy log, the reload in the error
    // log of the load balancer that routes to that backend.
    let (suspects, events) = change_suspects(&mini());
    assert_eq!(
        suspects[0],
        (
            s("deploy.log"),
            2,
            vec![(s("lb/error.log"), 1), (s("lb/error.log"), 2)]
        ),
        "{suspects:?}"
    );
    assert!(
        suspects.iter().all(|x| x.0 != "lb/error.log"),
        "{suspects:?}"
    );
    // The timeline keeps every line.
    for l in [1, 2] {
        assert!(events.contains(&(s("lb/error.log"), l)), "{events:?}");
    }
    let md = report_md(&[], &mini());
    assert!(
        md.contains(
            "   - applied at 08:36:20 by `nginx: reload signalled (nginx -s)` (`lb/error.log`:1)"
        ),
        "{md}"
    );
    assert!(md.contains("— change: `nginx: reload signalled (nginx -s)`"));

    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, ChangeSuspect);
    let cases: [Case; 3] = [
        // systemd reloads the unit the change named.
        (
            "systemd",
            vec![
                ("ops.log", "2024-03-09 08:36:17 INFO ops: applied config change to haproxy: weight of web2 set to 10\n"),
                ("syslog", "Mar  9 08:36:19 lb1 systemd[1]: Reloading haproxy.service - HAProxy Load Balancer...\nMar  9 08:36:19 lb1 systemd[1]: Reloaded haproxy.service - HAProxy Load Balancer.\n"),
            ],
            (s("ops.log"), 1, vec![(s("syslog"), 1), (s("syslog"), 2)]),
        ),
        // A Kubernetes rollout of the deployment whose image was set.
        (
            "kubernetes",
            vec![
                ("deploy.log", "2024-03-09T08:35:50Z + kubectl set image deployment/checkout checkout=registry.example.com/checkout:2.5.0\n"),
                ("rollout.log", "2024-03-09T08:35:52Z Waiting for deployment \"checkout\" rollout to finish: 1 of 3 updated replicas are available...\n2024-03-09T08:36:40Z deployment \"checkout\" successfully rolled out\n"),
            ],
            (s("deploy.log"), 1, vec![(s("rollout.log"), 1), (s("rollout.log"), 2)]),
        ),
        // HAProxy reloading the configuration the deploy pushed.
        (
            "haproxy",
            vec![
                ("deploy.log", "2024-03-09 08:36:17,412 INFO deploy: pushed new haproxy.cfg (maxconn 20 on backend app)\n"),
                ("lb/haproxy.log", "Mar  9 08:36:21 lb haproxy[73]: Reloading HAProxy\n"),
            ],
            (s("deploy.log"), 1, vec![(s("lb/haproxy.log"), 1)]),
        ),
    ];
    for (name, files, want) in cases {
        let dir = with_access_log(&files);
        let (suspects, events) = change_suspects(dir.path());
        assert_eq!(suspects, vec![want.clone()], "{name}");
        for r in &want.2 {
            assert!(events.contains(r), "{name}: {events:?}");
        }
    }

    // A reload of something the change does not name stays apart.
    let dir = with_access_log(&[
        ("ops.log", "2024-03-09 08:36:17 INFO ops: applied config change to haproxy: weight of web2 set to 10\n"),
        ("syslog", "Mar  9 08:36:19 lb1 systemd[1]: Reloading cron.service - Regular background program processing daemon...\n"),
    ]);
    let (suspects, _) = change_suspects(dir.path());
    assert_eq!(
        suspects,
        vec![(s("ops.log"), 1, vec![]), (s("syslog"), 1, vec![])],
        "unrelated"
    );
    // So does a reload long after the change (outside the window) or
    // before it.
    let dir = with_access_log(&[
        ("ops.log", "2024-03-09 08:36:17 INFO ops: applied config change to haproxy: weight of web2 set to 10\n"),
        ("syslog", "Mar  9 08:10:00 lb1 systemd[1]: Reloaded haproxy.service - HAProxy Load Balancer.\n"),
    ]);
    let (suspects, _) = change_suspects(dir.path());
    assert!(suspects.iter().all(|x| x.2.is_empty()), "{suspects:?}");
    assert_eq!(suspects.len(), 2, "{suspects:?}");
}

/// A server flapping in Traefik's own words (its v2 health-check lines),
/// with no request log: a crash loop from the first time it was taken out
/// to the last time it came back, and a draft that says the requests were
/// not measured instead of "0 of 0 requests failed".
#[test]
fn a_crash_loop_without_requests_says_what_was_not_measured() {
    let dir = tempdir();
    let path = dir.path().join("traefik.log");
    let mut log = String::new();
    for i in 0..60 {
        log.push_str(&format!(
            "time=\"2024-03-09T10:{:02}:{:02}Z\" level=debug msg=\"tick {i}\"\n",
            i / 6,
            (i % 6) * 10
        ));
    }
    for k in 0..4 {
        let down = 11 * 60 + k * 240;
        let up = down + 120;
        for (at, msg) in [
            (
                down,
                r#"Health check failed, removing from server list. Backend: \"api@docker\" URL: \"http://10.0.42.13:8080\" Weight: 1 Reason: HTTP request failed"#,
            ),
            (
                up,
                r#"Health check up: Returning to server list. Backend: \"api@docker\" URL: \"http://10.0.42.13:8080\" Weight: 1"#,
            ),
        ] {
            log.push_str(&format!(
                "time=\"2024-03-09T10:{:02}:{:02}Z\" level=warning msg=\"{msg}\"\n",
                at / 60,
                at % 60
            ));
        }
    }
    std::fs::write(&path, log).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&ok(&["timeline", "-q", "--format", "json"], &[&path]).stdout)
            .unwrap();
    let inc = &json["incidents"][0];
    assert_eq!(inc["kind"], "crash_loop", "{inc}");
    assert_eq!(inc["start"], "2024-03-09T10:11:00.000000Z");
    assert_eq!(inc["end"], "2024-03-09T10:25:00.000000Z");
    let md = report_md(&["-q"], &path);
    assert!(
        md.contains("not measured: no request log covers the window"),
        "{md}"
    );
    assert!(!md.contains("0 of 0 requests"), "{md}");
    assert!(md.contains("the logs show the crash loop"), "{md}");
}

/// A crash loop's victim fails a few of its requests, not all of them: the
/// draft's measures say what it did fail, never "fails every request".
#[test]
fn a_crash_loop_victim_is_not_said_to_fail_every_request() {
    let dir = tempdir();
    postmortem_gen::kinds::write_scaled(
        "crash-loop",
        postmortem_gen::kinds::Set::Dev,
        5,
        0.1,
        dir.path(),
    )
    .unwrap();
    let out = ok(&["report"], &[dir.path()]);
    let md = String::from_utf8_lossy(&out.stdout);
    let victim = "`app_servers/app-01`";
    assert!(md.contains(victim), "{md}");
    let measure = md
        .lines()
        .find(|l| l.contains("health checks") && l.contains(victim))
        .unwrap_or_else(|| panic!("no health-check measure naming {victim}:\n{md}"));
    assert!(measure.contains("which failed"), "{measure}");
    assert!(!measure.contains("fails every request"), "{measure}");
}
