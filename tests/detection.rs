//! Detection against planted truth: each `postmortem-gen` scenario is
//! generated once per run (at a tenth of its traffic, to keep debug-build
//! tests quick) and analysed; the incidents found must match the truth the
//! generator wrote:
//!
//! - start within 60 s and end within 120 s,
//! - failed % within 2 points and clients affected % within 3 points,
//! - the causal change (or crash) among the top 2 suspects,
//! - the overloaded or offline backend named,
//! - no incident on the quiet day, both on the two-incident day.

use std::path::Path;
use std::sync::OnceLock;

use postmortem::analysis::{find_incidents, Incident, IncidentKind};
use postmortem::time::{Micros, Zone, SEC};
use postmortem::{analyze, Options};
use serde_json::Value;

use crate::util::{copy_dir, read_json, root, skipped, tempdir};

/// Traffic scale of the generated scenarios.
const SCALE: f64 = 0.1;

/// Seed of the generated scenarios (the command line's default).
const SEED: u64 = 1;

fn options() -> &'static Options {
    // Compiling the built-in patterns is slow in debug builds: once.
    static OPTIONS: OnceLock<Options> = OnceLock::new();
    OPTIONS.get_or_init(Options::default)
}

/// The scenario, generated once per run (read only).
fn generated(name: &str) -> &'static crate::util::Scenario {
    crate::util::scenario(name, SEED, SCALE)
}

fn incidents_of(logs: &Path, zone: Option<&str>) -> Vec<Incident> {
    let paths = [logs.to_string_lossy().into_owned()];
    let analysis = match zone {
        None => analyze(&paths, options()).unwrap(),
        Some(z) => {
            let opts = Options {
                zone: Zone::parse(z).unwrap(),
                patterns: options().patterns.clone(),
                ..Options::default()
            };
            analyze(&paths, &opts).unwrap()
        }
    };
    find_incidents(&analysis)
}

fn micros(v: &Value) -> Micros {
    postmortem::time::parse_user_time(v.as_str().unwrap(), Zone::Utc).unwrap()
}

/// The incident found that overlaps the planted one.
fn matching<'a>(found: &'a [Incident], t: &Value) -> &'a Incident {
    let (s, e) = (micros(&t["start"]), micros(&t["end"]));
    found
        .iter()
        .find(|i| i.start <= e + 600 * SEC && i.end >= s - 600 * SEC)
        .unwrap_or_else(|| panic!("no incident found near {} – {}", t["start"], t["end"]))
}

fn check(found: &[Incident], t: &Value) {
    let i = matching(found, t);
    let ds = (i.start - micros(&t["start"])) as f64 / SEC as f64;
    let de = (i.end - micros(&t["end"])) as f64 / SEC as f64;
    assert!(ds.abs() <= 60.0, "start off by {ds} s");
    assert!(de.abs() <= 120.0, "end off by {de} s");
    let failed = i.impact.failed_pct.unwrap_or(0.0);
    let want = t["failed_pct"].as_f64().unwrap();
    assert!((failed - want).abs() <= 2.0, "failed {failed}% vs {want}%");
    let clients = i.impact.clients_affected_pct.unwrap_or(0.0);
    let want = t["clients_affected_pct"].as_f64().unwrap();
    assert!(
        (clients - want).abs() <= 3.0,
        "clients {clients}% vs {want}%"
    );
    // The cause among the top two suspects.
    let cause = &t["cause"];
    let json = postmortem::render::json::incidents_value(std::slice::from_ref(i));
    let suspects = json[0]["suspects"].as_array().unwrap();
    let rank = suspects
        .iter()
        .find(|s| s["source"] == cause["source"] && s["line"] == cause["line"])
        .and_then(|s| s["rank"].as_u64());
    assert!(
        rank.is_some_and(|r| r <= 2),
        "cause {}:{} ranked {rank:?} in {suspects:#?}",
        cause["source"],
        cause["line"]
    );
    if let Some(b) = t["backend"].as_str() {
        assert!(
            suspects.iter().any(|s| s["backend"] == b),
            "backend {b} not named in {suspects:#?}"
        );
    }
}

fn scenario(name: &str, zone: Option<&str>) -> (Vec<Incident>, Value) {
    let generated = generated(name);
    let found = incidents_of(&generated.logs, zone);
    (found, generated.truth.clone())
}

#[test]
fn uneven_weights() {
    let (found, truth) = scenario("weights", None);
    assert_eq!(found.len(), 1);
    check(&found, &truth["incidents"][0]);
    assert_eq!(found[0].kind, IncidentKind::ErrorRatio);
    assert!(
        found[0].likely_fix.is_some(),
        "the rollback is the likely fix"
    );
}

#[test]
fn offline_server_added_to_the_pool() {
    let (found, truth) = scenario("offline-server", None);
    assert_eq!(found.len(), 1);
    check(&found, &truth["incidents"][0]);
}

#[test]
fn auth_backend_overwhelmed_behind_an_alb() {
    let (found, truth) = scenario("auth-alb", None);
    assert_eq!(found.len(), 1);
    check(&found, &truth["incidents"][0]);
}

#[test]
fn dead_front_server_is_traffic_loss() {
    let (found, truth) = scenario("dead-front", None);
    assert_eq!(found.len(), 1);
    let t = &truth["incidents"][0];
    check(&found, t);
    let i = &found[0];
    assert_eq!(i.kind, IncidentKind::TrafficLoss);
    let lost = i.impact.requests_lost as f64;
    let want = t["requests_lost"].as_f64().unwrap();
    assert!((lost - want).abs() <= 0.15 * want, "lost {lost} vs {want}");
}

#[test]
fn quiet_day_has_no_incident() {
    let (found, truth) = scenario("quiet", None);
    assert!(truth["incidents"].as_array().unwrap().is_empty());
    assert!(
        found.is_empty(),
        "{:?}",
        found.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>()
    );
}

#[test]
fn two_incidents_in_a_day() {
    let (found, truth) = scenario("two-incidents", None);
    assert_eq!(found.len(), 2);
    for t in truth["incidents"].as_array().unwrap() {
        check(&found, t);
    }
    // Ranked by impact, numbered in time order.
    assert_eq!(found[0].rank, 1);
    assert!(found[0].impact.requests_failed >= found[1].impact.requests_failed);
    let mut ids: Vec<usize> = found.iter().map(|i| i.id).collect();
    ids.sort();
    assert_eq!(ids, vec![1, 2]);
}

#[test]
fn logs_in_a_non_utc_zone_with_tz() {
    let (found, truth) = scenario("non-utc", Some("Asia/Kolkata"));
    assert_eq!(found.len(), 1);
    check(&found, &truth["incidents"][0]);
}

#[test]
fn the_committed_sample_matches_its_truth() {
    let root = root();
    let (sample, truth) = (
        root.join("sample-logs"),
        root.join("tests/fixtures/sample-truth.json"),
    );
    if !sample.is_dir() || !truth.is_file() {
        skipped("sample-logs/ or tests/fixtures/sample-truth.json");
        return;
    }
    let truth = read_json(&truth);
    let analysis = analyze(&[sample.to_string_lossy().into_owned()], options()).unwrap();
    let found = find_incidents(&analysis);
    assert_eq!(found.len(), 1);
    check(&found, &truth["incidents"][0]);
}

#[test]
fn without_load_balancer_logs_app_errors_find_it() {
    let generated = generated("weights");
    let (logs, truth) = (tempdir(), &generated.truth);
    copy_dir(&generated.logs, logs.path());
    std::fs::remove_dir_all(logs.path().join("nginx")).unwrap();
    let found = incidents_of(logs.path(), None);
    assert_eq!(found.len(), 1);
    let i = &found[0];
    assert_eq!(i.kind, IncidentKind::ErrorsFromAppLogs);
    let t = &truth["incidents"][0];
    // Bucket resolution: within a bucket or so of the truth.
    let ds = (i.start - micros(&t["start"])) / SEC;
    let de = (i.end - micros(&t["end"])) / SEC;
    assert!(ds.abs() <= 120, "start off by {ds} s");
    assert!(de.abs() <= 180, "end off by {de} s");
}
