//! Memory bounded by design: shapes that would make per-key state grow
//! without limit (thousands of upstreams, files, alert resends, user
//! patterns) are capped, and every cap says what it folded, never a
//! silent drop. Inputs come from `postmortem_gen::hostile` at small
//! scales; the caps are checked by what the output holds, never by time
//! or memory figures.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{root, tempdir, timeline_json};

/// Writes a hostile shape at `scale` into `dir`; returns the inputs and
/// the `--patterns` directory, if any.
fn hostile(dir: &Path, kind: &str, scale: f64) -> (Vec<PathBuf>, Option<PathBuf>) {
    let w = postmortem_gen::hostile(
        dir,
        &postmortem_gen::HostileCfg {
            kind: kind.into(),
            scale,
            seed: 1,
        },
    )
    .unwrap();
    (w.files, w.patterns)
}

fn timeline_schema() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("schema/postmortem.timeline.v1.schema.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// The document's events with `field` equal to `value`.
fn events_with<'d>(doc: &'d Value, field: &str, value: &str) -> Vec<&'d Value> {
    doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[field] == value)
        .collect()
}

fn ints(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

#[test]
fn series_keeps_the_backends_with_most_failures_and_sums_the_rest_in_one_row() {
    let dir = tempdir();
    // 200 upstreams, each with a request or two, over three days.
    let (files, _) = hostile(dir.path(), "upstreams", 0.05);
    let (doc, _) = timeline_json(&files[0]);
    let errors: Vec<String> = timeline_schema()
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let series = &doc["series"];
    let rows = series["by_backend"].as_object().unwrap();
    assert_eq!(rows.len(), 51, "50 backends and the other row");
    let other = &rows["(other)"];
    assert_eq!(other["folded_backends"], 150);
    // Every failure is in exactly one row: the rows add up to the series.
    let failed = ints(&series["failed"]);
    let requests = ints(&series["requests"]);
    let mut sum_failed = vec![0; failed.len()];
    let mut sum_requests = vec![0; requests.len()];
    for (name, row) in rows {
        assert_eq!(row.get("folded_backends").is_some(), name == "(other)");
        for (i, (f, r)) in ints(&row["failed"])
            .into_iter()
            .zip(ints(&row["requests"]))
            .enumerate()
        {
            sum_failed[i] += f;
            sum_requests[i] += r;
        }
    }
    assert_eq!(sum_failed, failed);
    assert_eq!(sum_requests, requests);
    // About half the upstreams failed at least once: the kept rows are
    // among them, never one without failures.
    let kept_failures: Vec<u64> = rows
        .iter()
        .filter(|(n, _)| *n != "(other)")
        .map(|(_, r)| ints(&r["failed"]).iter().sum())
        .collect();
    assert!(kept_failures.iter().all(|&f| f > 0), "{kept_failures:?}");
}

#[test]
fn event_keys_are_capped_over_all_files_and_the_rest_summed_with_a_warning() {
    let dir = tempdir();
    // 15 files of 3,000 upstreams, half of them failing: 22,500 keys in
    // all, under the per-file cap in each file.
    let (files, _) = hostile(dir.path(), "many-files", 0.3);
    assert_eq!(files.len(), 15);
    let (doc, err) = timeline_json(dir.path());
    let failed: u64 = ints(&doc["series"]["failed"]).iter().sum();
    let events = events_with(&doc, "pattern", "lb.failed_requests");
    let backends: std::collections::HashSet<&str> = events
        .iter()
        .map(|e| e["fields"]["backend"].as_str().unwrap())
        .collect();
    assert!(backends.len() <= 10_001, "{}", backends.len());
    assert!(backends.contains("(other)"));
    // Folded, never dropped: every failed request is in some event.
    let counted: u64 = events.iter().map(|e| e["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, failed);
    assert!(
        err.contains("22,500 distinct event keys: the 10,000 with most occurrences kept, 12,500 summed as `(other)`"),
        "{err}"
    );
}

#[test]
fn backends_are_capped_over_all_files_the_same_for_any_threads_and_block_size() {
    let dir = tempdir();
    // 15 files of 3,000 upstreams each: 45,000 backends in all, past the
    // cap of 1,000 kept over every file while the scan runs.
    let (files, _) = hostile(dir.path(), "many-files", 0.3);
    assert_eq!(files.len(), 15);
    let run = |threads: &str, block: Option<&str>| {
        let mut c = crate::util::bin();
        c.args(["timeline", "--format", "json", "--threads", threads])
            .arg(dir.path());
        if let Some(b) = block {
            c.env("POSTMORTEM_BLOCK_SIZE", b);
        }
        let o = c.output().unwrap();
        assert!(o.status.success());
        (o.stdout, String::from_utf8_lossy(&o.stderr).to_string())
    };
    let (one, err) = run("1", None);
    assert!(
        err.contains("45,000 distinct backends: the 1,000 with most failed requests kept, 44,000 summed as `(other)`"),
        "{err}"
    );
    assert!(one == run("2", None).0, "threads");
    assert!(one == run("2", Some("65536")).0, "block size");
    let doc: Value = serde_json::from_slice(&one).unwrap();
    let series = &doc["series"];
    let rows = series["by_backend"].as_object().unwrap();
    assert_eq!(rows.len(), 51, "50 backends and the other row");
    // The JSON's row counts every backend it does not show: those the
    // scan summed and those past its own 50.
    assert_eq!(rows["(other)"]["folded_backends"], 45_000 - 50);
    let failed = ints(&series["failed"]);
    let mut sum_failed = vec![0; failed.len()];
    for row in rows.values() {
        for (i, f) in ints(&row["failed"]).into_iter().enumerate() {
            sum_failed[i] += f;
        }
    }
    assert_eq!(sum_failed, failed, "folded, never dropped");
}

#[test]
fn alert_resends_count_once_with_their_copies() {
    let dir = tempdir();
    // 3 alerts, each resent 400 times (every 5 s).
    let (files, _) = hostile(dir.path(), "alert-resend", 0.05);
    let (doc, err) = timeline_json(&files[0]);
    let alerts = events_with(&doc, "kind", "alert");
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    for a in &alerts {
        assert_eq!(a["count"], 400, "{a}");
        assert!(
            a["until"].is_string(),
            "the last copy is when it was last sent: {a}"
        );
    }
    assert!(!err.contains("distinct alerts"), "{err}");
}

#[test]
fn alerts_are_capped_over_all_files_and_the_rest_counted_in_a_warning() {
    let dir = tempdir();
    // 6,000 distinct alerts in each of two files, each sent twice: 12,000
    // alerts past the cap of 10,000 over all files.
    for f in 0..2 {
        let mut text = String::new();
        for copy in 0..2 {
            for i in 0..6000 {
                let id = f * 6000 + i;
                text.push_str(&format!(
                    "{{\"received_at\":\"2024-03-09T06:{:02}:{:02}.000Z\",\"payload\":{{\"receiver\":\"pager\",\"status\":\"firing\",\"alerts\":[{{\"status\":\"firing\",\"labels\":{{\"alertname\":\"A{id}\",\"severity\":\"page\"}},\"startsAt\":\"2024-03-09T06:00:00.000Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"fingerprint\":\"f{id}\"}}],\"version\":\"4\"}}}}\n",
                    copy * 10 + i / 1000,
                    i % 60
                ));
            }
        }
        std::fs::write(dir.path().join(format!("alerts-{f}.log")), text).unwrap();
    }
    let (doc, err) = timeline_json(dir.path());
    let alerts = events_with(&doc, "kind", "alert");
    assert_eq!(alerts.len(), 10_000);
    assert!(alerts.iter().all(|a| a["count"] == 2));
    assert!(
        err.contains("more than 10,000 distinct alerts: the first 10,000 kept (copies of one alert count once), and 4,000 more notifications left out of the timeline"),
        "{err}"
    );
}
