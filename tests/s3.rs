//! `s3://` inputs against a real S3-compatible server on loopback: moto's
//! server mode, started (and stopped) by `.ci/run`, which exports
//! `POSTMORTEM_TEST_S3_ENDPOINT` (a server that takes any keys) and
//! `POSTMORTEM_TEST_S3_AUTH_ENDPOINT` (one that checks them, so every
//! key is wrong). Without them each test says it was skipped and passes.
//!
//! By hand: `target/ci-venv/bin/moto_server -H 127.0.0.1 -p 5917` and
//! `INITIAL_NO_AUTH_ACTION_COUNT=0 target/ci-venv/bin/moto_server -H
//! 127.0.0.1 -p 5918`, then run with the two variables set to
//! `http://127.0.0.1:5917` and `http://127.0.0.1:5918`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::Value;

use crate::util;

const SKIP: &str =
    "skipped: no S3 test server (set POSTMORTEM_TEST_S3_ENDPOINT; .ci/run starts one)";

/// The test server's endpoint, or `None` with the skip notice.
fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(e) if !e.is_empty() => Some(e),
        _ => {
            // The real stderr (libtest captures only `eprintln!`), so a
            // skip is never silent.
            let thread = std::thread::current();
            let test = thread.name().unwrap_or("an s3 test");
            let _ = writeln!(std::io::stderr(), "{test}: {SKIP}");
            None
        }
    }
}

/// The variables the binary reads the server with.
fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// The binary with only the given AWS variables (none from the shell).
fn postmortem(env: &[(&str, String)], args: &[&str]) -> Output {
    let mut c: Command = util::bin();
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    c.envs(env.iter().map(|(k, v)| (*k, v.as_str()))).args(args);
    util::run_command(c, &format!("{args:?}"))
}

/// A client of the server for the tests' own uploads.
struct Bucket {
    store: Arc<dyn ObjectStore>,
    rt: tokio::runtime::Runtime,
    name: String,
}

impl Bucket {
    /// A new bucket (created through moto's S3 API).
    fn create(endpoint: &str, name: &str) -> Bucket {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Bucket creation is not in object_store's API: a plain PUT.
        let url = format!("{endpoint}/{name}");
        let status = rt.block_on(async {
            reqwest::Client::new()
                .put(&url)
                .send()
                .await
                .map(|r| r.status())
        });
        let status = status.unwrap_or_else(|e| panic!("PUT {url}: {e}"));
        assert!(status.is_success(), "PUT {url}: {status}");
        let store = AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_allow_http(true)
            .with_bucket_name(name)
            .with_region("us-east-1")
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .unwrap();
        Bucket {
            store: Arc::new(store),
            rt,
            name: name.to_string(),
        }
    }

    fn put(&self, key: &str, data: Vec<u8>) {
        let p = StorePath::parse(key).unwrap();
        self.rt
            .block_on(self.store.put(&p, PutPayload::from(data)))
            .unwrap_or_else(|e| panic!("put {key}: {e}"));
    }

    /// Uploads every file under `dir` below `prefix`.
    fn put_dir(&self, dir: &Path, prefix: &str) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let key = format!("{prefix}{name}");
            if entry.file_type().unwrap().is_dir() {
                self.put_dir(&entry.path(), &format!("{key}/"));
            } else {
                self.put(&key, std::fs::read(entry.path()).unwrap());
            }
        }
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }
}

/// The JSON of a run, as text, with `from` replaced by `to` (input paths).
fn json_text(out: &Output, from: &str, to: &str) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).replace(from, to)
}

#[test]
fn the_same_logs_from_the_server_and_from_disk_give_the_same_json() {
    let Some(endpoint) = endpoint("POSTMORTEM_TEST_S3_ENDPOINT") else {
        return;
    };
    let b = Bucket::create(&endpoint, "pm-same");
    // Plain, gzip and zstd objects, as files.
    let dir = util::tempdir();
    util::copy_dir(&util::mini(), dir.path());
    let access = std::fs::read(dir.path().join("lb/access.log")).unwrap();
    std::fs::write(dir.path().join("lb/access.log"), util::gzip(&access)).unwrap();
    std::fs::rename(
        dir.path().join("lb/access.log"),
        dir.path().join("lb/access.log.gz"),
    )
    .unwrap();
    b.put_dir(dir.path(), "mini/");
    let env = aws_env(&endpoint);
    let local = dir.path().to_str().unwrap();
    for command in [&["timeline", "--format", "json"][..], &["report"][..]] {
        let disk = util::ok(command, &[dir.path()]);
        let url = b.url("mini/");
        let args: Vec<&str> = command.iter().copied().chain([url.as_str()]).collect();
        let remote = postmortem(&env, &args);
        // The argument (in the draft's "Reproduce") as ROOT, the input
        // paths relative to it.
        let remote = json_text(&remote, &format!(" {url}"), " ROOT").replace(&url, "");
        let disk = String::from_utf8_lossy(&disk.stdout)
            .replace(&format!(" {local}"), " ROOT")
            .replace(&format!("{local}/"), "");
        assert!(
            remote == disk,
            "{command:?}: the server's output differs from the disk's:\n--- disk\n{disk}\n--- server\n{remote}"
        );
    }
    // Names in the output are the objects' URLs; clients are counted
    // (the second read went to the server).
    let out = postmortem(&env, &["timeline", "--format", "json", &b.url("mini/")]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"s3://pm-same/mini/lb/access.log.gz"),
        "{paths:?}"
    );
    let incident = &doc["incidents"][0];
    assert!(
        incident["impact"]["clients_total"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{incident}"
    );
    // A key named alone, mixed with a local file.
    let out = postmortem(
        &env,
        &[
            "timeline",
            "--format",
            "json",
            &b.url("mini/lb/access.log.gz"),
            dir.path().join("deploy.log").to_str().unwrap(),
        ],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["inputs"].as_array().unwrap().len(), 2, "{doc}");
}

/// One ALB access-log line at `t` (seconds since the epoch).
fn alb_line(t: i64, n: u64, status: u16) -> String {
    let stamp = |t: i64, micros: i64| {
        let secs = t.rem_euclid(86_400);
        format!(
            "2024-03-09T{:02}:{:02}:{:02}.{micros:06}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    };
    format!(
        "https {} app/my-lb/50dc6c495c0c9188 203.0.113.{}:{} 10.0.0.{}:8080 0.000 0.012 0.000 {status} {status} 180 512 \"GET https://shop.example.com:443/api/cart HTTP/1.1\" \"Mozilla/5.0\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop/73e2d6bc24d8a067 \"Root=1-{t:08x}-{n:024x}\" \"shop.example.com\" \"-\" 0 {} \"forward\" \"-\" \"-\" \"10.0.0.{}:8080\" \"{status}\" \"-\" \"-\"\n",
        stamp(t, 250_000),
        n % 200,
        30_000 + n % 30_000,
        11 + n % 3,
        stamp(t, 100_000),
        11 + n % 3,
    )
}

/// A day of 5-minute ALB objects (one node, a request every 5 s) with
/// 40% of requests failing from 10:00 to 12:00: (key, gzipped bytes).
fn alb_day() -> Vec<(String, Vec<u8>)> {
    let day = 1_709_942_400; // 2024-03-09T00:00:00Z
    let mut out = Vec::new();
    let mut n = 0u64;
    for slot in 0..288i64 {
        let mut text = String::new();
        for k in 0..60 {
            let t = day + slot * 300 + k * 5;
            let tod = t - day;
            let failing = (36_000..43_200).contains(&tod) && n % 5 < 2;
            text.push_str(&alb_line(t, n, if failing { 502 } else { 200 }));
            n += 1;
        }
        let end = day + (slot + 1) * 300;
        let e = end - day;
        let stamp = if e == 86_400 {
            "20240310T0000Z".to_string()
        } else {
            format!("20240309T{:02}{:02}Z", e / 3600, e / 60 % 60)
        };
        let date = if e == 86_400 {
            "2024/03/10"
        } else {
            "2024/03/09"
        };
        let key = format!(
            "AWSLogs/123456789012/elasticloadbalancing/us-east-1/{date}/123456789012_elasticloadbalancing_us-east-1_app.my-lb.50dc6c495c0c9188_{stamp}_10.0.0.1_{slot:04x}.log.gz"
        );
        out.push((key, util::gzip(text.as_bytes())));
    }
    out
}

#[test]
fn a_window_fetches_only_its_objects_and_finds_the_same_incident() {
    let Some(endpoint) = endpoint("POSTMORTEM_TEST_S3_ENDPOINT") else {
        return;
    };
    let b = Bucket::create(&endpoint, "pm-alb");
    let dir = util::tempdir();
    for (key, data) in alb_day() {
        let path = dir.path().join(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &data).unwrap();
        b.put(&key, data);
    }
    let env = aws_env(&endpoint);
    let window = [
        "--since",
        "2024-03-09T09:00:00Z",
        "--until",
        "2024-03-09T13:00:00Z",
    ];
    let url = b.url("AWSLogs/123456789012/elasticloadbalancing/us-east-1/");
    let args: Vec<&str> = ["timeline", "--format", "json"]
        .into_iter()
        .chain(window)
        .chain([url.as_str()])
        .collect();
    let out = postmortem(&env, &args);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // Objects ending 08:55 (one interval early) to 13:10 (one late).
    let fetched = doc["inputs"].as_array().unwrap().len();
    assert_eq!(fetched, 52, "{err}");
    assert!(
        err.contains("236 of 288 objects not fetched"),
        "stderr says how many were skipped: {err}"
    );
    assert!(
        doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.to_string().contains("236 of 288 objects not fetched")),
        "and so does the JSON"
    );
    // The same incident and impact as from all the objects (on disk,
    // every one read, the window applied to the records).
    let local = dir
        .path()
        .join("AWSLogs/123456789012/elasticloadbalancing/us-east-1");
    let disk_args: Vec<&str> = ["timeline", "--format", "json"]
        .into_iter()
        .chain(window)
        .collect();
    let disk = util::json_of(&util::ok(&disk_args, &[&local]));
    let incidents = |doc: &Value, prefix: &str| doc["incidents"].to_string().replace(prefix, "");
    assert_eq!(incidents(&doc, &url), incidents(&disk, ""));
    let incident = &doc["incidents"][0];
    assert_eq!(
        incident["start"], "2024-03-09T10:00:00.250000Z",
        "{incident}"
    );
    assert!(
        incident["impact"]["clients_total"].as_u64().is_some(),
        "{incident}"
    );
}

#[test]
fn bad_endpoints_keys_buckets_and_prefixes_exit_2_naming_the_url_quickly() {
    let Some(endpoint) = endpoint("POSTMORTEM_TEST_S3_ENDPOINT") else {
        return;
    };
    let b = Bucket::create(&endpoint, "pm-errors");
    b.put(
        "logs/a.log",
        b"2024-03-09 08:36:17,412 INFO hello\n".to_vec(),
    );
    // A port nobody listens on: bind one, note it, close it.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // (variables, URL, what the error must say)
    type Case = (Vec<(&'static str, String)>, String, &'static str);
    let mut cases: Vec<Case> = vec![
        (
            aws_env(&format!("http://127.0.0.1:{closed}")),
            "s3://pm-errors/logs/".into(),
            "cannot reach http://127.0.0.1:",
        ),
        (
            aws_env(&endpoint),
            "s3://pm-no-such-bucket/logs/".into(),
            "the bucket does not exist",
        ),
        (
            aws_env(&endpoint),
            "s3://pm-errors/nothing-here/".into(),
            "no object has this key or lies under this prefix",
        ),
        (
            vec![("AWS_ENDPOINT_URL", endpoint.clone())],
            "s3://pm-errors/logs/".into(),
            "no AWS credentials",
        ),
    ];
    match std::env::var("POSTMORTEM_TEST_S3_AUTH_ENDPOINT") {
        Ok(auth) if !auth.is_empty() => {
            // A server that checks keys: none is known to it.
            cases.push((aws_env(&auth), "s3://pm-errors/logs/".into(), "access key"));
        }
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "s3 wrong keys: skipped, no key-checking S3 test server (set POSTMORTEM_TEST_S3_AUTH_ENDPOINT; .ci/run starts one)"
            );
        }
    }
    for (env, url, says) in cases {
        let started = Instant::now();
        let out = postmortem(&env, &["timeline", &url]);
        let took = started.elapsed();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {err}");
        assert!(err.contains(&url) && err.contains(says), "{url}: {err}");
        // Bounded retries and timeouts: an answer, not a hang.
        assert!(took < Duration::from_secs(30), "{url}: took {took:?}");
    }
}

#[test]
fn a_damaged_object_is_skipped_with_a_warning_like_a_damaged_file() {
    let Some(endpoint) = endpoint("POSTMORTEM_TEST_S3_ENDPOINT") else {
        return;
    };
    let b = Bucket::create(&endpoint, "pm-damaged");
    let access = util::mini_access_log();
    b.put("lb/access.log", access.clone());
    let mut cut = util::gzip(&access);
    cut.truncate(cut.len() / 2);
    b.put("lb/old.log.gz", cut);
    let out = postmortem(
        &aws_env(&endpoint),
        &["timeline", "--format", "json", &b.url("lb/")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("s3://pm-damaged/lb/old.log.gz: damaged or truncated gzip data"),
        "{err}"
    );
}
