//! Log lines are written by strangers: user agents, paths, alert labels,
//! file names. Whatever they contain must not inject Markdown into the
//! report, drive the terminal, or break JSON; and a folder of good logs
//! mixed with junk, damaged and special files must give the same results
//! for the good logs as the good logs alone, without hanging.
//!
//! Every run of the binary here has a time limit (`util::run`): a hang
//! fails the test instead of stalling the suite.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{copy_dir, gzip, mini, ok, run, tempdir};

// ---------------------------------------------------------------------------
// Hostile content

/// Markdown, HTML and terminal attacks in one string: backticks alone and
/// in runs (to close a code span early), a link and an image, script and
/// image tags, an autolink, table pipes, a carriage return, ANSI and OSC
/// escapes, a bell, NUL, a C1 CSI and a right-to-left override.
const HOSTILE: &str = "`x` ``` ```` ](javascript:alert(1)) ![x](http://evil/x.png) <script>alert(1)</script> <img src=x onerror=alert(1)> | a | b | \r \x1b[2J \x1b]0;title\x07 \0 [click](http://evil) <http://evil.auto> *em* __u__ \\ &amp; \u{202e}gnp \u{9b}31m";

/// Pieces of [`HOSTILE`] that must never be live outside code.
const LIVE: &[&str] = &["<script", "<img", "<http", "](", "![", "javascript", "evil"];

/// Characters that drive a terminal or reorder text.
const RAW_CONTROLS: &[char] = &['\x1b', '\x07', '\0', '\r', '\u{9b}', '\u{202e}'];

/// The change line of deploy.log with the hostile text appended.
fn change_message() -> String {
    format!("INFO deploy: applied lb config change: set weight=10 on backend 10.0.1.12:8080 (was 1) {HOSTILE}")
}

/// The mini fixture with hostile text in every place a stranger can write:
/// the change line and a new error line in deploy.log (plus a 5 MB line and
/// a line trying to be a heading), the request path and user agent of the
/// failed requests, a skipped junk line, alert names, labels and
/// summaries, application messages and fields, and (on Unix) a file name.
fn hostile_fixture(dir: &Path) {
    copy_dir(&mini(), dir);

    let deploy = std::fs::read_to_string(dir.join("deploy.log")).unwrap();
    let mut lines: Vec<String> = deploy.lines().map(str::to_string).collect();
    assert!(lines[1].starts_with("2024-03-09 08:36:17,412 INFO deploy: applied lb config change"));
    lines[1] = format!("2024-03-09 08:36:17,412 {}", change_message());
    lines.insert(
        2,
        format!("2024-03-09 08:36:18,000 ERROR deploy: # Heading attempt {HOSTILE}"),
    );
    lines.insert(
        3,
        format!(
            "2024-03-09 08:36:19,000 ERROR deploy: dump {}{HOSTILE}",
            "A".repeat(5 * 1024 * 1024)
        ),
    );
    lines.insert(4, format!("# {HOSTILE}"));
    std::fs::write(dir.join("deploy.log"), lines.join("\n") + "\n").unwrap();

    let access = std::fs::read_to_string(dir.join("lb/access.log")).unwrap();
    let mut out = String::new();
    for line in access.lines() {
        let line = if line.contains("\" 502 ") || line.contains("\" 504 ") {
            line.replace(
                "GET /api/orders",
                "GET /api/orders?q=<script>alert(1)</script>|`x`](javascript:alert(1))",
            )
            .replace(
                "\"Mozilla/5.0 (X11; Linux x86_64)\"",
                "\"Mozilla <img src=x onerror=alert(1)> \x1b[2J \x1b]0;ua\x07 ![x](http://evil/x.png) | # h\"",
            )
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!("junk that no parser reads {HOSTILE}\n"));
    std::fs::write(dir.join("lb/access.log"), out).unwrap();

    let alerts = std::fs::read_to_string(dir.join("alerts.log")).unwrap();
    let mut out = String::new();
    for line in alerts.lines().filter(|l| !l.trim().is_empty()) {
        let mut doc: Value = serde_json::from_str(line).unwrap();
        for a in doc["alerts"].as_array_mut().unwrap() {
            a["labels"]["alertname"] = Value::from(format!("HighErrorRate {HOSTILE}"));
            a["labels"]["service"] = Value::from(HOSTILE);
            a["annotations"]["summary"] = Value::from(format!("# {HOSTILE}"));
        }
        doc["groupLabels"]["alertname"] = Value::from(format!("HighErrorRate {HOSTILE}"));
        out.push_str(&serde_json::to_string(&doc).unwrap());
        out.push('\n');
    }
    std::fs::write(dir.join("alerts.log"), out).unwrap();

    let app = std::fs::read_to_string(dir.join("app/app-1.json.log")).unwrap();
    let mut out = String::new();
    for line in app.lines().filter(|l| !l.trim().is_empty()) {
        let mut doc: Value = serde_json::from_str(line).unwrap();
        let msg = format!("{} {HOSTILE}", doc["msg"].as_str().unwrap());
        doc["msg"] = Value::from(msg);
        doc["service"] = Value::from(HOSTILE);
        out.push_str(&serde_json::to_string(&doc).unwrap());
        out.push('\n');
    }
    std::fs::write(dir.join("app/app-1.json.log"), out).unwrap();

    #[cfg(unix)]
    std::fs::rename(
        dir.join("app/app-2.logfmt.log"),
        dir.join("app/`a|b`<img src=x> ](javascript:x) #h.log"),
    )
    .unwrap();
}

/// Removes inline code spans from one line, as CommonMark reads them: a
/// run of n backticks opens a span that the next run of exactly n closes;
/// an unclosed run is literal text.
fn outside_code_spans(line: &str) -> String {
    let b = line.as_bytes();
    let run_at = |i: usize| b[i..].iter().take_while(|&&c| c == b'`').count();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut k = i + n;
        let mut close = None;
        while k < b.len() {
            if b[k] == b'`' {
                let m = run_at(k);
                if m == n {
                    close = Some(k);
                    break;
                }
                k += m;
            } else {
                k += 1;
            }
        }
        match close {
            Some(c) => {
                out.extend_from_slice(b"CODE");
                i = c + n;
            }
            None => {
                out.extend_from_slice(&b[i..i + n]);
                i += n;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Pipes that split a GFM table row: those without a backslash before them.
fn cell_pipes(line: &str) -> usize {
    let b = line.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
        .count()
}

/// Everything wrong with a report: live Markdown or HTML from log text
/// outside code, headings made of log text, table rows split by log text,
/// raw control characters.
fn markdown_problems(md: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut fence: Option<String> = None;
    let mut table: Option<usize> = None;
    for (n, line) in md.lines().enumerate() {
        let n = n + 1;
        for c in RAW_CONTROLS {
            if line.contains(*c) {
                problems.push(format!("line {n}: raw {c:?}"));
            }
        }
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let opener: String = trimmed
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        if let Some(f) = &fence {
            if indent <= 3
                && trimmed.trim_end() == opener
                && opener.len() >= f.len()
                && opener.starts_with(&f[..1])
            {
                fence = None;
            }
            continue;
        }
        if indent <= 3
            && opener.len() >= 3
            && opener.chars().all(|c| c == opener.as_bytes()[0] as char)
        {
            fence = Some(opener);
            continue;
        }
        let rest = outside_code_spans(line);
        for live in LIVE {
            if rest.contains(live) {
                problems.push(format!("line {n}: {live:?} outside code: {}", cut(line)));
            }
        }
        if indent <= 3 && trimmed.starts_with('#') {
            for word in ["Heading", "alert(1)", "evil", "#h.log", "# h"] {
                if line.contains(word) {
                    problems.push(format!("line {n}: heading from log text: {}", cut(line)));
                }
            }
        }
        if line.starts_with('|') {
            let pipes = cell_pipes(line);
            match table {
                None => table = Some(pipes),
                Some(p) if p != pipes => problems.push(format!(
                    "line {n}: table row with {pipes} cell pipes, header {p}: {}",
                    cut(line)
                )),
                Some(_) => {}
            }
        } else {
            table = None;
        }
    }
    problems
}

fn cut(s: &str) -> String {
    s.chars().take(200).collect()
}

#[test]
fn markdown_checker_catches_injections() {
    // The checker itself: each of these must be flagged.
    for bad in [
        "- a <script>alert(1)</script>",
        "- `a` ![x](http://evil/x.png)",
        "- ``a` [click](javascript:alert(1))",
        "# Heading attempt",
        "| a | b |\n|---|---|\n| `x|y` | z |",
        "- text \x1b[2J",
    ] {
        assert!(!markdown_problems(bad).is_empty(), "not caught: {bad}");
    }
    for good in [
        "- `<script>alert(1)</script>`",
        "- ```` a ``` ](javascript:alert(1)) ````",
        "| a | b |\n|---|---|\n| `x\\|y` | z |",
        "```\n<img src=x>\n```",
    ] {
        assert!(
            markdown_problems(good).is_empty(),
            "{good}: {:?}",
            markdown_problems(good)
        );
    }
}

#[test]
fn the_report_never_carries_live_markdown_from_the_logs() {
    let dir = tempdir();
    hostile_fixture(dir.path());
    let out = ok(&["report"], &[dir.path()]);
    let md = String::from_utf8(out.stdout).expect("the report is UTF-8");
    let problems = markdown_problems(&md);
    assert!(problems.is_empty(), "{problems:#?}");
    // Shown, not dropped: the hostile text is in the draft, inside code.
    assert!(md.contains("](javascript:alert(1))"));
    assert!(md.contains("<script>alert(1)</script>"));
    assert!(
        md.contains("\\u{1b}[2J"),
        "control characters are shown as escapes"
    );
    // Still the same incident and suspect as the plain fixture.
    assert!(md.contains("weight of 10.0.1.12:8080 set to 10"), "{md}");
    // The 5 MB line does not make a 5 MB report.
    assert!(md.len() < 200_000, "{} bytes", md.len());

    // The quiet report (no incident) too: only the junk and change lines.
    let quiet = tempdir();
    std::fs::copy(
        dir.path().join("deploy.log"),
        quiet.path().join("deploy.log"),
    )
    .unwrap();
    let out = ok(&["report"], &[quiet.path()]);
    let md = String::from_utf8(out.stdout).unwrap();
    let problems = markdown_problems(&md);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn terminal_output_carries_no_raw_control_characters() {
    let dir = tempdir();
    hostile_fixture(dir.path());
    for args in [
        &["timeline", "--color", "always"][..],
        &["timeline", "--color", "never"],
        &["formats", "--show-skipped"],
        &["patterns"],
    ] {
        let paths: &[&Path] = if args[0] == "patterns" {
            &[]
        } else {
            &[dir.path()]
        };
        let out = ok(args, paths);
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            // Our own colours are the only escapes allowed.
            let mut ours = String::new();
            let mut rest = text.as_ref();
            while let Some(i) = rest.find('\x1b') {
                ours.push_str(&rest[..i]);
                let tail = &rest[i + 1..];
                let sgr = tail.strip_prefix('[').and_then(|t| {
                    let end = t.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
                    (t.as_bytes()[end] == b'm').then_some(end + 2)
                });
                match sgr {
                    Some(len) => rest = &tail[len..],
                    None => {
                        panic!("{args:?} {what}: raw ESC: {:?}", cut(&rest[i..]));
                    }
                }
            }
            ours.push_str(rest);
            for c in RAW_CONTROLS {
                assert!(!ours.contains(*c), "{args:?} {what}: raw {c:?}");
            }
        }
    }
    // The skipped junk line is shown (escaped) on request.
    let out = ok(&["formats", "--show-skipped"], &[dir.path()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("junk that no parser reads"));
}

#[test]
fn json_escapes_everything_and_gives_it_back_exactly() {
    let dir = tempdir();
    hostile_fixture(dir.path());
    let out = ok(&["timeline", "--format", "json"], &[dir.path()]);
    for c in ['\x1b', '\x07', '\0', '\r'] {
        assert!(!out.stdout.contains(&(c as u8)), "raw {c:?} in JSON");
    }
    let doc: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let events = doc["events"].as_array().unwrap();
    let change = events
        .iter()
        .find(|e| e["source"] == "deploy.log" && e["line"] == 2)
        .expect("the change event");
    assert_eq!(change["message"], Value::from(change_message()));
    let alert = events
        .iter()
        .find(|e| e["kind"] == "alert")
        .expect("the alert event");
    assert_eq!(
        alert["fields"]["alertname"],
        Value::from(format!("HighErrorRate {HOSTILE}"))
    );
    assert_eq!(alert["fields"]["service"], Value::from(HOSTILE));
    #[cfg(unix)]
    assert!(doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["path"] == "app/`a|b`<img src=x> ](javascript:x) #h.log"));

    // NDJSON: every line a JSON object, the same events.
    let out = ok(&["timeline", "--format", "ndjson"], &[dir.path()]);
    let lines: Vec<Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each NDJSON line parses"))
        .collect();
    assert!(lines.iter().any(|e| e["message"] == change_message()));

    // `records`: every line, the 5 MB one included, parses.
    let out = ok(&["records", "--all"], &[dir.path()]);
    let mut n = 0;
    for l in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let _: Value = serde_json::from_slice(l).expect("each record line parses");
        n += 1;
    }
    assert!(n > 190, "{n} records");
}

#[test]
fn absurd_option_values_are_usage_errors() {
    let dir = mini();
    for (args, needle) in [
        (
            &["timeline", "--skew", "deploy.log=99999999999999d"][..],
            "--skew",
        ),
        (&["timeline", "--skew", "deploy.log=400d"], "--skew"),
        (
            &["timeline", "--bucket", "99999999999999999999"],
            "--bucket",
        ),
        (&["timeline", "--bucket", "99999999999999s"], "--bucket"),
        (&["timeline", "--since", "99999999999999999999"], "--since"),
        (&["timeline", "--threads", "99999999"], "--threads"),
        (&["timeline", "--tz", "\x1b]0;x\x07"], "--tz"),
    ] {
        let out = run(args, &[&dir]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn a_stray_timestamp_years_away_neither_hangs_nor_hides_the_outage() {
    let dir = tempdir();
    copy_dir(&mini(), dir.path());
    let stray = |when: &str| {
        format!("203.0.113.9 - - [{when}] \"GET / HTTP/1.1\" 200 1 \"-\" \"t\" 10.0.1.11:8080 200 0.040 0.040\n")
    };
    let mut access = std::fs::read_to_string(dir.path().join("lb/access.log")).unwrap();
    access.insert_str(0, &stray("01/Jan/1970:00:00:00 +0000"));
    access.push_str(&stray("31/Dec/9999:23:59:59 +0000"));
    std::fs::write(dir.path().join("lb/access.log"), access).unwrap();
    let plain: Value =
        serde_json::from_slice(&ok(&["timeline", "--format", "json"], &[&mini()]).stdout).unwrap();
    let out = ok(&["timeline", "--format", "json"], &[dir.path()]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let window = |d: &Value| {
        (
            d["incidents"][0]["start"].clone(),
            d["incidents"][0]["end"].clone(),
        )
    };
    assert_eq!(window(&doc), window(&plain));
    assert!(doc["incidents"][0]["method"]["warnings"]
        .to_string()
        .contains("dated far from the rest"));
    let md = String::from_utf8(ok(&["report"], &[dir.path()]).stdout).unwrap();
    assert!(md.contains("# Postmortem: "), "{md}");
}

// ---------------------------------------------------------------------------
// Junk beside good logs

/// The good logs: every format of the mini fixture.
fn good_logs(dir: &Path) {
    copy_dir(&mini(), dir);
}

/// Bytes that are clearly not text.
fn binary_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 2_463_534_242;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 7 == 0 {
                0
            } else {
                x as u8
            }
        })
        .collect()
}

/// Adds junk of every kind to `dir`; returns the names warnings should
/// mention. Nothing here holds a readable log line.
fn add_junk(dir: &Path) -> Vec<&'static str> {
    let mut expect = vec!["core.bin", "half.log.gz", "cut.log.gz"];
    std::fs::write(dir.join("core.bin"), binary_bytes(64 * 1024)).unwrap();
    // A gzip header and nothing after it, and compressed binary cut in half.
    let full = gzip(&binary_bytes(256 * 1024));
    std::fs::write(dir.join("half.log.gz"), &full[..10]).unwrap();
    std::fs::write(dir.join("cut.log.gz"), &full[..full.len() / 2]).unwrap();
    std::fs::write(dir.join("empty.log"), b"").unwrap();
    std::fs::create_dir_all(dir.join("nothing/inside")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::{symlink, PermissionsExt};
        symlink("/no/such/target.log", dir.join("dangling.log")).unwrap();
        expect.push("dangling.log");
        // Directory loops: to itself, and to a parent.
        symlink(".", dir.join("loop")).unwrap();
        symlink("..", dir.join("nothing/inside/up")).unwrap();
        // A device that never ends, met through a link.
        if Path::new("/dev/zero").exists() {
            symlink("/dev/zero", dir.join("zero.log")).unwrap();
            expect.push("zero.log");
        }
        let fifo = dir.join("pipe.log");
        let made = Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if made {
            expect.push("pipe.log");
        }
        // A socket: held open for the test's life would need the listener;
        // the file stays after the listener is dropped.
        if std::os::unix::net::UnixListener::bind(dir.join("sock.log")).is_ok() {
            expect.push("sock.log");
        }
        // An unreadable file holding log lines (they must not count, and
        // must not stop the run). Root reads it anyway: then leave it out.
        let locked = dir.join("locked.log");
        std::fs::copy(mini().join("lb/access.log"), &locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&locked).is_ok() {
            std::fs::remove_file(&locked).unwrap();
        } else {
            expect.push("locked.log");
            let closed = dir.join("closed");
            std::fs::create_dir(&closed).unwrap();
            std::fs::copy(mini().join("deploy.log"), closed.join("deploy.log")).unwrap();
            std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o000)).unwrap();
            expect.push("closed");
        }
    }
    expect
}

/// What the good logs produced, as JSON text: their events, the series and
/// the incidents.
fn good_parts(doc: &Value, good_sources: &[String]) -> (String, String, String) {
    let events: Vec<&Value> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "marker" || good_sources.iter().any(|s| e["source"] == **s))
        .collect();
    (
        serde_json::to_string(&events).unwrap(),
        serde_json::to_string(&doc["series"]).unwrap(),
        serde_json::to_string(&doc["incidents"]).unwrap(),
    )
}

#[test]
fn junk_damaged_and_special_files_change_nothing_for_the_good_logs() {
    let alone = tempdir();
    let mixed = tempdir();
    good_logs(alone.path());
    good_logs(mixed.path());
    let expect = add_junk(mixed.path());

    let a = ok(&["timeline", "--format", "json"], &[alone.path()]);
    let b = ok(&["timeline", "--format", "json"], &[mixed.path()]);
    let a_doc: Value = serde_json::from_slice(&a.stdout).unwrap();
    let b_doc: Value = serde_json::from_slice(&b.stdout).unwrap();
    let sources: Vec<String> = a_doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sources.len(), 6, "{sources:?}");
    let (ae, aser, ainc) = good_parts(&a_doc, &sources);
    let (be, bser, binc) = good_parts(&b_doc, &sources);
    assert_eq!(ae, be, "events of the good logs");
    assert_eq!(aser, bser, "series");
    assert_eq!(ainc, binc, "incidents");
    // The good logs read the same; the junk added no records.
    let records = |d: &Value, path: &str| {
        d["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["path"] == path)
            .map(|i| i["records"].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let total = |d: &Value| {
        d["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["records"].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    for s in &sources {
        assert_eq!(records(&a_doc, s), records(&b_doc, s), "{s}");
    }
    assert_eq!(total(&a_doc), total(&b_doc));
    // Every piece of junk is named in a warning, on stderr and in the JSON.
    let err = String::from_utf8_lossy(&b.stderr);
    let warnings = b_doc["warnings"].to_string();
    for name in &expect {
        assert!(err.contains(name), "no warning for {name}: {err}");
        assert!(
            warnings.contains(name),
            "no JSON warning for {name}: {warnings}"
        );
    }
    assert!(
        !err.contains("empty.log"),
        "an empty file is not a problem: {err}"
    );

    // The same folder gives byte-identical JSON on every run.
    let again = ok(&["timeline", "--format", "json"], &[mixed.path()]);
    assert!(again.stdout == b.stdout, "a second run differs");
    let again = ok(
        &["timeline", "--format", "json", "--threads", "1"],
        &[mixed.path()],
    );
    assert!(again.stdout == b.stdout, "one thread differs");
    // The report and the other commands take the folder calmly too.
    ok(&["report"], &[mixed.path()]);
    ok(&["formats", "--show-skipped"], &[mixed.path()]);
    ok(&["records", "--all"], &[mixed.path()]);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Let the temporary directory be removed.
        let closed = mixed.path().join("closed");
        if closed.exists() {
            let _ = std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[cfg(unix)]
#[test]
fn special_files_named_explicitly_are_refused_without_hanging() {
    let dir = tempdir();
    let fifo = dir.path().join("pipe.log");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let mut specials = vec![PathBuf::from("/dev/zero")];
    if made {
        specials.push(fifo);
    }
    for special in specials.iter().filter(|p| p.exists()) {
        let out = run(&["timeline"], &[special]);
        assert_eq!(out.status.code(), Some(2), "{special:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a regular file"), "{err}");
    }
    // A truncated gzip named explicitly: its damage is a warning.
    let gz = dir.path().join("cut.log.gz");
    let data = std::fs::read(mini().join("lb/access.log")).unwrap();
    let full = gzip(&data);
    std::fs::write(&gz, &full[..full.len() / 2]).unwrap();
    let out = ok(&["timeline", "--format", "json"], &[&gz]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("gzip"));
}
