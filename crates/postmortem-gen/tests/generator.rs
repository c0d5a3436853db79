//! Integration tests of `postmortem-gen`, through its library (and, for
//! the command line's own behaviour, its binary): every scenario writes its
//! files, output is deterministic, the truth is consistent with the logs it
//! was counted from, and the committed sample is up to date.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const SCENARIOS: &[&str] = &[
    "weights",
    "offline-server",
    "auth-alb",
    "dead-front",
    "quiet",
    "two-incidents",
    "non-utc",
];

/// The binary, for the tests of the command line itself.
fn gen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_postmortem-gen"))
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().expect("run postmortem-gen");
    assert!(
        out.status.success(),
        "postmortem-gen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The workspace root, where `sample-logs/` and `tests/fixtures/` are.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Writes scenario `name` into `dir` with its truth at `dir/truth.json`,
/// as `postmortem-gen scenario NAME --out DIR` does; returns the truth.
fn scenario(name: &str, dir: &Path, seed: u64, scale: f64) -> Value {
    let w = postmortem_gen::scenario(name, dir, seed, scale)
        .unwrap_or_else(|e| panic!("postmortem-gen scenario {name}: {e}"));
    postmortem_gen::write_truth(&dir.join("truth.json"), &w.truth).unwrap();
    read_json(&dir.join("truth.json"))
}

/// `postmortem-gen bench --out DIR --size SIZE --seed SEED`.
fn bench(dir: &Path, size: &str, seed: u64) {
    let cfg = postmortem_gen::BenchCfg {
        length: postmortem_gen::Length::Bytes(postmortem_gen::parse_size(size).unwrap()),
        seed,
    };
    let t = postmortem_gen::bench(dir, &cfg).unwrap();
    postmortem_gen::write_truth(&dir.join("truth.json"), &t).unwrap();
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

/// All files under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

fn content(p: &Path) -> Vec<u8> {
    let raw = fs::read(p).unwrap();
    if p.extension().is_some_and(|e| e == "gz") {
        let mut s = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut s)
            .unwrap();
        s
    } else {
        raw
    }
}

fn text(p: &Path) -> String {
    String::from_utf8(content(p)).unwrap()
}

fn expected_files(name: &str) -> Vec<&'static str> {
    let nginx = vec![
        "nginx/access.log",
        "nginx/access.log.1",
        "nginx/access.log.2.gz",
        "nginx/error.log",
        "app/app-1.log",
        "app/app-2.log",
        "app/app-3.log",
        "alerts.log",
        "deploy.log",
        "truth.json",
    ];
    match name {
        "offline-server" => vec![
            "haproxy/haproxy.log",
            "syslog",
            "app/app-01.log",
            "app/app-04.log",
            "deploy/ansible.log",
            "alerts.log",
            "truth.json",
        ],
        "auth-alb" => vec![
            "app/auth-v2.log",
            "app/auth-1.log",
            "app/api-1.log",
            "deploy/terraform-apply.log",
            "alerts.log",
            "truth.json",
        ],
        "dead-front" => {
            let mut v = nginx;
            v.push("syslog");
            v
        }
        _ => nginx,
    }
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

/// Checks the internal consistency of a truth document.
fn check_truth(name: &str, dir: &Path, t: &Value) {
    assert_eq!(t["scenario"], name);
    let incidents = t["incidents"].as_array().unwrap();
    for inc in incidents {
        let total = inc["requests_total"].as_u64().unwrap();
        let failed = inc["requests_failed"].as_u64().unwrap();
        let clients = inc["clients_total"].as_u64().unwrap();
        let affected = inc["clients_affected"].as_u64().unwrap();
        assert!(failed <= total, "{name}: failed > total");
        assert!(affected <= clients, "{name}: affected > clients");
        let fp = inc["failed_pct"].as_f64().unwrap();
        assert!(
            (fp - pct(failed, total)).abs() < 0.006,
            "{name}: failed_pct {fp}"
        );
        let cp = inc["clients_affected_pct"].as_f64().unwrap();
        assert!(
            (cp - pct(affected, clients)).abs() < 0.006,
            "{name}: clients pct {cp}"
        );
        let start = inc["start"].as_str().unwrap();
        let end = inc["end"].as_str().unwrap();
        assert!(start.ends_with('Z') && end.ends_with('Z'));
        assert!(start <= end, "{name}: start {start} after end {end}");
        match inc["kind"].as_str().unwrap() {
            "errors" => {
                assert!(failed > 0, "{name}: an error incident without failures");
                assert!(inc["backend"].is_string());
            }
            "traffic_loss" => {
                assert!(inc["requests_lost"].as_u64().unwrap() > 0);
            }
            k => panic!("{name}: unknown kind {k}"),
        }
        // The cause points at a real line of a real file.
        let cause = &inc["cause"];
        assert!(matches!(
            cause["kind"].as_str(),
            Some("change") | Some("crash")
        ));
        let src = dir.join(cause["source"].as_str().unwrap());
        let line = cause["line"].as_u64().unwrap() as usize;
        let body = text(&src);
        let got = body.lines().nth(line - 1).unwrap_or("");
        assert_eq!(
            got,
            cause["message"].as_str().unwrap(),
            "{name}: cause line"
        );
        // The cause happens before the impact ends and the alert after impact starts.
        assert!(cause["at"].as_str().unwrap() <= end);
        if let Some(d) = inc["detected_at"].as_str() {
            assert!(d >= start, "{name}: detected {d} before start {start}");
        }
    }
}

#[test]
fn every_scenario_writes_its_files_and_consistent_truth() {
    let tmp = tempfile::tempdir().unwrap();
    for name in SCENARIOS {
        let dir = tmp.path().join(name);
        let t = scenario(name, &dir, 3, 0.1);
        for f in expected_files(name) {
            assert!(dir.join(f).is_file(), "{name}: missing {f}");
        }
        check_truth(name, &dir, &t);
        let n = t["incidents"].as_array().unwrap().len();
        let want = match *name {
            "quiet" => 0,
            "two-incidents" => 2,
            _ => 1,
        };
        assert_eq!(n, want, "{name}: incidents");
    }
    // ALB files come as AWS names them, most gzipped, some already gunzipped.
    let alb = files(&tmp.path().join("auth-alb"));
    let gz = alb
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".log.gz"))
        .count();
    let plain = alb
        .iter()
        .filter(|p| p.starts_with("AWSLogs") && p.to_string_lossy().ends_with(".log"))
        .count();
    assert!(gz > 10 && plain > 2, "gz {gz} plain {plain}");
}

#[test]
fn quiet_has_no_incident_but_blips() {
    let tmp = tempfile::tempdir().unwrap();
    let t = scenario("quiet", tmp.path(), 5, 0.1);
    assert!(t["incidents"].as_array().unwrap().is_empty());
    let blips = t["blips"].as_array().unwrap();
    assert!(blips.len() >= 2);
    for b in blips {
        let n = b["failed"].as_u64().unwrap();
        assert!((3..=5).contains(&n));
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["weights", "auth-alb", "offline-server", "dead-front"] {
        let a = tmp.path().join(format!("{name}-a"));
        let b = tmp.path().join(format!("{name}-b"));
        let c = tmp.path().join(format!("{name}-c"));
        scenario(name, &a, 11, 0.05);
        scenario(name, &b, 11, 0.05);
        scenario(name, &c, 12, 0.05);
        let fa = files(&a);
        assert_eq!(fa, files(&b), "{name}: file lists differ");
        for f in &fa {
            assert!(
                fs::read(a.join(f)).unwrap() == fs::read(b.join(f)).unwrap(),
                "{name}: {} differs between runs",
                f.display()
            );
        }
        let main_log = fa.iter().find(|f| f.starts_with("app")).unwrap();
        assert_ne!(
            fs::read(a.join(main_log)).unwrap(),
            fs::read(c.join(main_log)).unwrap(),
            "{name}: another seed gave the same output"
        );
    }
}

// --- recounting the truth from the written load-balancer logs -------------

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// `09/Mar/2024:08:37:42 +0530` or `09/Mar/2024:08:37:42.123` → UTC ms.
fn clf_ms(s: &str) -> i64 {
    let d: i64 = s[0..2].parse().unwrap();
    let mo = MONTHS.iter().position(|m| *m == &s[3..6]).unwrap() as i64 + 1;
    let y: i64 = s[7..11].parse().unwrap();
    let h: i64 = s[12..14].parse().unwrap();
    let mi: i64 = s[15..17].parse().unwrap();
    let sec: i64 = s[18..20].parse().unwrap();
    let mut ms = (days(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec) * 1000;
    let rest = &s[20..];
    if let Some(frac) = rest.strip_prefix('.') {
        ms += frac[..3].parse::<i64>().unwrap();
    } else if let Some(off) = rest.strip_prefix(' ') {
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let oh: i64 = off[1..3].parse().unwrap();
        let om: i64 = off[3..5].parse().unwrap();
        ms -= sign * (oh * 3600 + om * 60) * 1000;
    }
    ms
}

/// `2024-03-09T08:37:42.123456Z` (or without fraction) → UTC µs.
fn iso_us(s: &str) -> i64 {
    let y: i64 = s[0..4].parse().unwrap();
    let mo: i64 = s[5..7].parse().unwrap();
    let d: i64 = s[8..10].parse().unwrap();
    let h: i64 = s[11..13].parse().unwrap();
    let mi: i64 = s[14..16].parse().unwrap();
    let sec: i64 = s[17..19].parse().unwrap();
    let mut us = (days(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec) * 1_000_000;
    if s.as_bytes()[19] == b'.' {
        let frac = &s[20..s.len() - 1];
        let mut f: i64 = frac.parse().unwrap();
        for _ in frac.len()..6 {
            f *= 10;
        }
        us += f;
    }
    us
}

/// (time µs, client, status) of every request in the files.
fn nginx_requests(dir: &Path) -> Vec<(i64, String, u16)> {
    let mut v = Vec::new();
    for f in [
        "nginx/access.log.2.gz",
        "nginx/access.log.1",
        "nginx/access.log",
    ] {
        for line in text(&dir.join(f)).lines() {
            let ip = line.split(' ').next().unwrap().to_string();
            let open = line.find('[').unwrap();
            let close = line.find(']').unwrap();
            let t = clf_ms(&line[open + 1..close]) * 1000;
            let after = line.split('"').nth(2).unwrap();
            let status: u16 = after.split_whitespace().next().unwrap().parse().unwrap();
            v.push((t, ip, status));
        }
    }
    v
}

fn haproxy_requests(dir: &Path) -> Vec<(i64, String, u16)> {
    let mut v = Vec::new();
    for line in text(&dir.join("haproxy/haproxy.log")).lines() {
        let Some(open) = line.find(" [") else {
            continue;
        };
        let Some(colon) = line.find("]: ") else {
            continue;
        };
        let client = &line[colon + 3..open];
        if !client.contains(':') || !line[open..].contains("] www-https~ ") {
            continue;
        }
        let ip = client.rsplit_once(':').unwrap().0.to_string();
        let close = open + line[open..].find(']').unwrap();
        let t = clf_ms(&line[open + 2..close]) * 1000;
        let fields: Vec<&str> = line[close + 2..].split(' ').collect();
        let status: u16 = fields[3].parse().unwrap();
        v.push((t, ip, status));
    }
    v
}

fn alb_requests(dir: &Path) -> Vec<(i64, String, u16)> {
    let mut v = Vec::new();
    for f in files(dir) {
        if !f.starts_with("AWSLogs") {
            continue;
        }
        for line in text(&dir.join(&f)).lines() {
            let fields: Vec<&str> = line.splitn(10, ' ').collect();
            let t = iso_us(fields[1]);
            let ip = fields[3].rsplit_once(':').unwrap().0.to_string();
            let status: u16 = fields[8].parse().unwrap();
            v.push((t, ip, status));
        }
    }
    v
}

/// Reads (time µs, client, status) of every request of a scenario.
type Reader = fn(&Path) -> Vec<(i64, String, u16)>;

fn recount(reqs: &[(i64, String, u16)], start: i64, end: i64) -> (u64, u64, usize, usize) {
    let mut total = 0;
    let mut failed = 0;
    let mut clients = BTreeSet::new();
    let mut affected = BTreeSet::new();
    for (t, ip, st) in reqs {
        if *t < start || *t > end {
            continue;
        }
        total += 1;
        clients.insert(ip.clone());
        if *st >= 500 {
            failed += 1;
            affected.insert(ip.clone());
        }
    }
    (total, failed, clients.len(), affected.len())
}

#[test]
fn truth_matches_an_independent_recount_of_the_lb_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, Reader); 5] = [
        ("weights", nginx_requests),
        ("non-utc", nginx_requests),
        ("two-incidents", nginx_requests),
        ("offline-server", haproxy_requests),
        ("auth-alb", alb_requests),
    ];
    for (name, read) in cases {
        let dir = tmp.path().join(name);
        let t = scenario(name, &dir, 21, 0.08);
        let reqs = read(&dir);
        let windows: Vec<(i64, i64)> = t["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    iso_us(i["start"].as_str().unwrap()) - 300_000_000,
                    iso_us(i["end"].as_str().unwrap()) + 300_000_000,
                )
            })
            .collect();
        let outside: Vec<_> = reqs
            .iter()
            .filter(|(t, _, _)| !windows.iter().any(|(a, b)| t >= a && t <= b))
            .cloned()
            .collect();
        let (ot, of, _, _) = recount(&outside, i64::MIN, i64::MAX);
        assert_eq!(
            reqs.len() as u64,
            t["traffic"]["requests"].as_u64().unwrap(),
            "{name}: request count"
        );
        for inc in t["incidents"].as_array().unwrap() {
            let start = iso_us(inc["start"].as_str().unwrap());
            let end = iso_us(inc["end"].as_str().unwrap());
            // Edges are failed requests.
            for edge in [start, end] {
                assert!(
                    reqs.iter().any(|(t, _, s)| *t == edge && *s >= 500),
                    "{name}: no failed request at {edge}"
                );
            }
            let (total, failed, clients, affected) = recount(&reqs, start, end);
            assert_eq!(total, inc["requests_total"].as_u64().unwrap(), "{name}");
            assert_eq!(failed, inc["requests_failed"].as_u64().unwrap(), "{name}");
            assert_eq!(
                clients as u64,
                inc["clients_total"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                affected as u64,
                inc["clients_affected"].as_u64().unwrap(),
                "{name}"
            );
            // The planted window is clearly worse than the rest of the day.
            assert!(
                pct(failed, total) > 5.0 * pct(of, ot).max(0.5),
                "{name}: incident {}% vs baseline {}%",
                pct(failed, total),
                pct(of, ot)
            );
        }
    }
}

#[test]
fn dead_front_access_log_has_a_silent_gap() {
    let tmp = tempfile::tempdir().unwrap();
    let t = scenario("dead-front", tmp.path(), 2, 0.1);
    let inc = &t["incidents"][0];
    assert_eq!(inc["kind"], "traffic_loss");
    assert_eq!(inc["cause"]["source"], "syslog");
    assert!(inc["cause"]["message"]
        .as_str()
        .unwrap()
        .contains("Out of memory: Killed process"));
    let start = iso_us(inc["start"].as_str().unwrap());
    let end = iso_us(inc["end"].as_str().unwrap());
    let minutes = (end - start) / 60_000_000;
    assert!((10..=30).contains(&minutes), "gap of {minutes} min");
    let reqs = nginx_requests(tmp.path());
    // Nothing is logged strictly inside the gap (the kill and restart seconds aside).
    let inside = reqs
        .iter()
        .filter(|(t, _, _)| *t > start + 1_000_000 && *t < end)
        .count();
    assert_eq!(inside, 0);
    let syslog = text(&tmp.path().join("syslog"));
    assert!(syslog.contains("nginx.service: Main process exited, code=killed, status=9/KILL"));
    assert!(syslog.contains("Started A high performance web server and a reverse proxy server."));
}

#[test]
fn formats_look_like_the_real_thing() {
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path().join("w");
    scenario("weights", &w, 4, 0.05);
    let access = text(&w.join("nginx/access.log"));
    let line = access.lines().find(|l| l.contains(" 504 ")).unwrap();
    assert!(line.contains("+0000] \""), "{line}");
    assert!(
        line.ends_with(" 10.0.1.12:8080 504 10.000 10.000")
            || line.contains("10.0.1.12:8080 504 10.0"),
        "{line}"
    );
    let err = text(&w.join("nginx/error.log"));
    assert!(err.contains("[notice] ") && err.contains(": signal process started"));
    assert!(err.contains("reconfiguring"));
    assert!(err.contains("upstream timed out (110: Connection timed out) while reading response header from upstream"));
    let pino = text(&w.join("app/app-2.log"));
    assert!(pino.lines().all(|l| l.starts_with("{\"level\":")));
    assert!(pino.contains("\"level\":50"));
    let alerts = text(&w.join("alerts.log"));
    assert!(alerts.contains("\"endsAt\":\"0001-01-01T00:00:00Z\""));
    assert!(alerts.contains("\"status\":\"resolved\""));
    for l in alerts.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["version"], "4");
    }

    let n = tmp.path().join("n");
    scenario("non-utc", &n, 4, 0.05);
    assert!(text(&n.join("nginx/access.log"))
        .lines()
        .all(|l| l.contains(" +0530] ")));
    let t = read_json(&n.join("truth.json"));
    assert_eq!(t["timezone"], "Asia/Kolkata");

    let h = tmp.path().join("h");
    scenario("offline-server", &h, 4, 0.05);
    let hap = text(&h.join("haproxy/haproxy.log"));
    let sc = hap.lines().find(|l| l.contains(" SC-- ")).unwrap();
    assert!(
        sc.contains("app_servers/app-05") && sc.contains("/-1/-1/") && sc.contains(" 503 "),
        "{sc}"
    );
    let java = text(&h.join("app/app-01.log"));
    assert!(java.lines().any(|l| l.starts_with("\tat ")), "stack traces");
    let sys = text(&h.join("syslog"));
    assert!(sys.contains("Reloading HAProxy Load Balancer."));
}

#[test]
fn sample_reproduces_the_committed_sample_logs() {
    let root = workspace_root();
    let committed = root.join("sample-logs");
    let fixture = root.join("tests/fixtures/sample-truth.json");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sample-logs");
    let truth = tmp.path().join("truth.json");
    let w = postmortem_gen::sample(&out).unwrap();
    postmortem_gen::write_truth(&truth, &w.truth).unwrap();
    let got = files(&out);
    assert_eq!(
        got,
        files(&committed),
        "sample-logs/ is stale: run `cargo run -p postmortem-gen --release -- sample --out sample-logs --truth tests/fixtures/sample-truth.json`"
    );
    let mut total = 0;
    for f in &got {
        total += fs::metadata(out.join(f)).unwrap().len();
        // Compressed files compare by content, so a zlib upgrade is not a failure.
        assert!(
            content(&out.join(f)) == content(&committed.join(f)),
            "sample-logs/{} is stale: regenerate with `cargo run -p postmortem-gen --release -- sample --out sample-logs --truth tests/fixtures/sample-truth.json`",
            f.display()
        );
    }
    assert!(total <= 5 * 1024 * 1024, "sample is {total} bytes");
    assert_eq!(
        read_json(&truth),
        read_json(&fixture),
        "tests/fixtures/sample-truth.json is stale"
    );
    check_truth("weights", &committed, &read_json(&fixture));
}

#[test]
fn bench_writes_about_the_requested_size() {
    let tmp = tempfile::tempdir().unwrap();
    bench(tmp.path(), "5M", 9);
    let size = fs::metadata(tmp.path().join("access.log")).unwrap().len();
    let want = 5 * 1024 * 1024;
    assert!(
        size >= want && size < want + 4096,
        "access.log is {size} bytes"
    );
    let app = fs::metadata(tmp.path().join("app.log")).unwrap().len();
    assert!(app > 50_000 && app < size / 5, "app.log is {app} bytes");
    assert!(tmp.path().join("alerts.log").is_file());
    let t = read_json(&tmp.path().join("truth.json"));
    let inc = &t["incidents"][0];
    let (total, failed) = (
        inc["requests_total"].as_u64().unwrap(),
        inc["requests_failed"].as_u64().unwrap(),
    );
    assert!(failed > 0 && failed <= total);
    // Recount from the file.
    let mut reqs = Vec::new();
    for line in fs::read_to_string(tmp.path().join("access.log"))
        .unwrap()
        .lines()
    {
        let open = line.find('[').unwrap();
        let t = clf_ms(&line[open + 1..line.find(']').unwrap()]) * 1000;
        let status: u16 = line
            .split('"')
            .nth(2)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        reqs.push((t, line.split(' ').next().unwrap().to_string(), status));
    }
    let (rt, rf, rc, ra) = recount(
        &reqs,
        iso_us(inc["start"].as_str().unwrap()),
        iso_us(inc["end"].as_str().unwrap()),
    );
    assert_eq!((rt, rf), (total, failed));
    assert_eq!(rc as u64, inc["clients_total"].as_u64().unwrap());
    assert_eq!(ra as u64, inc["clients_affected"].as_u64().unwrap());
    // Same seed, same bytes.
    let again = tempfile::tempdir().unwrap();
    bench(again.path(), "5M", 9);
    assert!(
        fs::read(tmp.path().join("access.log")).unwrap()
            == fs::read(again.path().join("access.log")).unwrap()
    );
}

#[test]
fn truth_option_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("logs");
    let truth = tmp.path().join("weights.truth.json");
    run_ok(gen().args([
        "scenario",
        "weights",
        "--out",
        dir.to_str().unwrap(),
        "--scale",
        "0.02",
        "--truth",
        truth.to_str().unwrap(),
    ]));
    assert!(truth.is_file());
    assert!(!dir.join("truth.json").exists());
    // Without --truth, it goes beside the logs.
    let beside = tmp.path().join("beside");
    run_ok(gen().args([
        "scenario",
        "quiet",
        "--out",
        beside.to_str().unwrap(),
        "--scale",
        "0.02",
    ]));
    assert!(beside.join("truth.json").is_file());

    let out = gen()
        .args(["scenario", "nope", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario"));
    let out = gen()
        .args(["bench", "--out", dir.to_str().unwrap(), "--size", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = gen()
        .args([
            "scenario",
            "quiet",
            "--out",
            dir.to_str().unwrap(),
            "--scale",
            "-1",
        ])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let listed = gen().arg("list").output().unwrap();
    let names: BTreeSet<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let want: BTreeSet<String> = SCENARIOS.iter().map(|s| s.to_string()).collect();
    assert_eq!(names, want);
}

#[test]
fn bench_by_lines_writes_exactly_that_many_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = postmortem_gen::BenchCfg {
        length: postmortem_gen::Length::Lines(20_000),
        seed: 9,
    };
    let t = postmortem_gen::bench(tmp.path(), &cfg).unwrap();
    let access = fs::read_to_string(tmp.path().join("access.log")).unwrap();
    assert_eq!(access.lines().count(), 20_000);
    assert_eq!(t["traffic"]["requests"], 20_000);
    assert_eq!(
        t["traffic"]["access_bytes"].as_u64(),
        Some(access.len() as u64)
    );
    // The planted outage is in it, as in the corpus by size.
    let inc = &t["incidents"][0];
    assert!(inc["requests_failed"].as_u64().unwrap() > 0);
}

/// Every kind family, in both sets: writes its files, is deterministic,
/// and its truth cites real lines and consistent spans.
#[test]
fn kinds_write_consistent_truth() {
    use postmortem_gen::kinds::{self, Set};
    for set in [Set::Dev, Set::Heldout] {
        for &name in kinds::list(set) {
            let a = tempfile::tempdir().unwrap();
            let b = tempfile::tempdir().unwrap();
            let wa = kinds::write_scaled(name, set, 3, 0.1, a.path()).unwrap();
            let wb = kinds::write_scaled(name, set, 3, 0.1, b.path()).unwrap();
            assert_eq!(wa.truth, wb.truth, "{name}: truth not deterministic");
            assert_eq!(files(a.path()), files(b.path()));
            for f in files(a.path()) {
                assert_eq!(
                    fs::read(a.path().join(&f)).unwrap(),
                    fs::read(b.path().join(&f)).unwrap(),
                    "{name}: {} not deterministic",
                    f.display()
                );
            }
            let t = &wa.truth;
            assert_eq!(t["family"], name);
            assert_eq!(t["set"], set.as_str());
            let incidents = t["incidents"].as_array().unwrap();
            assert_eq!(incidents.is_empty(), name == "noisy-quiet", "{name}");
            for i in incidents {
                assert!(
                    i["start"].as_str().unwrap() <= i["end"].as_str().unwrap(),
                    "{name}: {i}"
                );
                assert!(i["duration_seconds"].as_i64().unwrap() > 60, "{name}: {i}");
                let kind = i["kind"].as_str().unwrap();
                match kind {
                    "latency" => assert!(i["slow_pct"].as_f64().unwrap() > 5.0, "{name}"),
                    "refusals" => assert!(i["refused_pct"].as_f64().unwrap() > 30.0, "{name}"),
                    "errors" => assert!(i["failed_pct"].as_f64().unwrap() > 0.0, "{name}"),
                    "errors_from_app_logs" => assert!(i["error_lines"].as_u64().unwrap() > 0),
                    _ => panic!("{name}: kind {kind}"),
                }
                // The cause is the line the truth says it is.
                let c = &i["cause"];
                let text =
                    fs::read_to_string(a.path().join(c["source"].as_str().unwrap())).unwrap();
                let line = text
                    .lines()
                    .nth(c["line"].as_u64().unwrap() as usize - 1)
                    .unwrap();
                assert_eq!(line, c["message"].as_str().unwrap(), "{name}");
            }
            if name == "partial-fleet" {
                let i = &incidents[0];
                assert_eq!(i["backends"].as_array().unwrap().len(), 2);
                assert!(i["failed_pct"].as_f64().unwrap() < 10.0, "{i}");
            }
        }
    }
    assert!(kinds::write("nope", Set::Dev, 1, Path::new("/tmp")).is_err());
    assert!(Set::parse("held-out").is_ok() && Set::parse("x").is_err());
}

/// `postmortem-gen kind NAME --set heldout` writes the logs and truth.json.
#[test]
fn kind_command_line() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        gen()
            .args([
                "kind", "refusals", "--set", "heldout", "--seed", "2", "--scale", "0.1", "--out",
            ])
            .arg(dir.path()),
    );
    let t = read_json(&dir.path().join("truth.json"));
    assert_eq!(t["incidents"][0]["kind"], "refusals");
    let out = gen()
        .args(["kind", "nope", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
