//! End-to-end checks of detection on synthetic logs written here (the
//! generator crate's planted scenarios are checked in `tests/`). The log
//! builders are shared with the renderers' tests.

use super::*;
use crate::event::{Marker, Origin};
use crate::time::{Micros, SEC};

// ---- End to end on synthetic logs -------------------------------------

/// A small deterministic random generator.
pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 2024-03-09 00:00:00 UTC.
pub(crate) const DAY: i64 = 1_709_942_400;

pub(crate) fn clf_time(sec: i64) -> String {
    let (y, m, d) = crate::time::civil_from_days(sec.div_euclid(86_400));
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let sod = sec.rem_euclid(86_400);
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
        months[(m - 1) as usize],
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

/// An nginx access log from `from` to `to` (seconds of the day) at
/// `rate` requests per second; `fail(sec, backend)` gives the chance a
/// request fails; `None` skips the second (no traffic).
pub(crate) fn access_log(
    from: i64,
    to: i64,
    rate: f64,
    seed: u64,
    fail: impl Fn(i64, usize) -> Option<f64>,
) -> String {
    let mut rng = Lcg(seed);
    requests_log(from, to, rate, seed, |sec, backend| {
        let p = fail(sec, backend)?;
        Some((if rng.next() < p { 502 } else { 200 }, 0.040))
    })
}

/// An nginx access log from `from` to `to` (seconds of the day) at `rate`
/// requests per second through three backends; `answer(sec, backend)`
/// gives a request's status and latency in seconds (`None`: no traffic).
pub(crate) fn requests_log(
    from: i64,
    to: i64,
    rate: f64,
    seed: u64,
    mut answer: impl FnMut(i64, usize) -> Option<(u16, f64)>,
) -> String {
    let mut rng = Lcg(seed.wrapping_add(17));
    let mut out = String::new();
    let mut carry = 0.0;
    for sec in from..to {
        carry += rate;
        while carry >= 1.0 {
            carry -= 1.0;
            let backend = (rng.next() * 3.0) as usize;
            let Some((status, latency)) = answer(sec, backend) else {
                continue;
            };
            let client = (rng.next() * 400.0) as u32;
            out.push_str(&format!(
                "203.0.{}.{} - - [{}] \"GET /api/orders HTTP/1.1\" {status} 512 \"-\" \"t\" 10.0.1.{}:8080 {status} {latency:.3} {latency:.3}\n",
                client / 200,
                client % 200 + 1,
                clf_time(DAY + sec),
                11 + backend
            ));
        }
    }
    out
}

pub(crate) fn analyze_files(files: &[(&str, String)]) -> (tempfile::TempDir, Analysis) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    // Compiling the built-in patterns is slow in debug builds: once.
    static OPTIONS: std::sync::OnceLock<crate::Options> = std::sync::OnceLock::new();
    let opts = OPTIONS.get_or_init(crate::Options::default);
    let a = crate::analyze(&[dir.path().to_string_lossy().into_owned()], opts).unwrap();
    (dir, a)
}

pub(crate) fn at(sec: i64) -> Micros {
    (DAY + sec) * SEC
}

/// 08:00-14:00 at 5 req/s; 09:00:30-09:20:00 half of backend 0 fails,
/// 12:10:15-12:50:45 everything fails a third of the time.
pub(crate) fn two_incidents() -> (tempfile::TempDir, Analysis) {
    let log = access_log(8 * 3600, 14 * 3600, 5.0, 7, |s, b| {
        Some(if (9 * 3600 + 30..9 * 3600 + 1200).contains(&s) && b == 0 {
            0.5
        } else if (12 * 3600 + 615..12 * 3600 + 3045).contains(&s) {
            0.33
        } else {
            0.001
        })
    });
    analyze_files(&[("lb/access.log", log)])
}

#[test]
fn two_incidents_ranked_by_impact() {
    let (_d, a) = two_incidents();
    let inc = find_incidents(&a);
    assert_eq!(
        inc.len(),
        2,
        "{:#?}",
        inc.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>()
    );
    // The bigger one first, ids in time order.
    assert_eq!((inc[0].id, inc[0].rank), (2, 1));
    assert_eq!((inc[1].id, inc[1].rank), (1, 2));
    assert!((inc[0].start - at(12 * 3600 + 615)).abs() <= 5 * SEC);
    assert!(
        (inc[0].end - at(12 * 3600 + 3045)).abs() <= 10 * SEC,
        "{}",
        crate::time::format_rfc3339(inc[0].end)
    );
    assert!((inc[1].start - at(9 * 3600 + 30)).abs() <= 10 * SEC);
    assert!((inc[1].end - at(9 * 3600 + 1200)).abs() <= 20 * SEC);
    let fp = inc[0].impact.failed_pct.unwrap();
    assert!((fp - 33.0).abs() < 2.0, "{fp}");
    assert!(inc[0].impact.exact_counts);
    // Counts are exact: the same as counting the log.
    let i = &inc[0];
    assert_eq!(i.kind, IncidentKind::ErrorRatio);
    // Markers for both, tagged with their incident.
    let markers = super::markers::all(&inc);
    assert_eq!(
        markers
            .iter()
            .filter(|m| m.origin == Origin::Marker(Marker::ImpactBegins))
            .count(),
        2
    );
    assert!(markers[0]
        .message
        .starts_with("IMPACT BEGINS (incident 1) — error ratio"));
}

/// 08:00-10:00 with a third of requests failing 09:00-09:20, on two
/// front servers; one of them also logged a few lines with its clock at
/// 1970, and one line says 9999.
pub(crate) fn stray_timestamps() -> (tempfile::TempDir, Analysis) {
    let outage = |s: i64, _| {
        Some(if (9 * 3600..9 * 3600 + 1200).contains(&s) {
            0.33
        } else {
            0.001
        })
    };
    let a_log = access_log(8 * 3600, 10 * 3600, 3.0, 5, outage);
    let mut b_log = access_log(8 * 3600, 10 * 3600, 3.0, 6, outage);
    let stray = |when: &str| {
        format!("203.0.0.9 - - [{when}] \"GET / HTTP/1.1\" 200 1 \"-\" \"t\" 10.0.1.11:8080 200 0.040 0.040\n")
    };
    b_log.insert_str(0, &stray("01/Jan/1970:00:00:07 +0000").repeat(3));
    b_log.push_str(&stray("09/Mar/9999:08:30:07 +0000"));
    analyze_files(&[("lb/a.log", a_log), ("lb/b.log", b_log)])
}

#[test]
fn stray_timestamps_years_away_do_not_hide_the_outage() {
    let started = std::time::Instant::now();
    let (_d, a) = stray_timestamps();
    let inc = find_incidents(&a);
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    assert_eq!(
        inc.len(),
        1,
        "{:#?}",
        inc.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>()
    );
    assert!((inc[0].start - at(9 * 3600)).abs() <= 10 * SEC);
    assert!((inc[0].end - at(9 * 3600 + 1200)).abs() <= 20 * SEC);
    let method = &inc[0].method.warnings;
    assert!(
        method
            .iter()
            .any(|w| w.contains("4 requests dated far from the rest of the logs")),
        "{method:?}"
    );
}

/// A 20 s burst of failures straddling a minute boundary, and a 40 s one
/// inside a minute, on a quiet day.
pub(crate) fn quiet_day() -> (tempfile::TempDir, Analysis) {
    let log = access_log(8 * 3600, 12 * 3600, 5.0, 11, |s, _| {
        Some(
            if (9 * 3600 + 50..9 * 3600 + 70).contains(&s)
                || (10 * 3600 + 10..10 * 3600 + 50).contains(&s)
            {
                0.9
            } else {
                0.002
            },
        )
    });
    analyze_files(&[("lb/access.log", log)])
}

#[test]
fn quiet_day_with_blips_has_no_incident() {
    let (_d, a) = quiet_day();
    let inc = find_incidents(&a);
    assert!(
        inc.is_empty(),
        "{:#?}",
        inc.iter().map(|i| (i.start, i.end)).collect::<Vec<_>>()
    );
}

#[test]
fn dead_server_is_traffic_loss() {
    let log = access_log(8 * 3600, 12 * 3600, 5.0, 3, |s, _| {
        if (10 * 3600..10 * 3600 + 1500).contains(&s) {
            None
        } else {
            Some(0.001)
        }
    });
    let (_d, a) = analyze_files(&[("lb/access.log", log)]);
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1);
    let i = &inc[0];
    assert_eq!(i.kind, IncidentKind::TrafficLoss);
    assert!((i.start - at(10 * 3600)).abs() <= 60 * SEC);
    assert!((i.end - at(10 * 3600 + 1500)).abs() <= 60 * SEC);
    let lost = i.impact.requests_lost as f64;
    assert!((lost - 7500.0).abs() < 400.0, "{lost}");
    assert!(i.warnings.iter().any(|w| w.contains("logs nothing")));
}

#[test]
fn one_of_two_front_servers_dies() {
    let a_log = access_log(8 * 3600, 12 * 3600, 5.0, 5, |_, _| Some(0.001));
    let b_log = access_log(8 * 3600, 12 * 3600, 5.0, 6, |s, _| {
        if (10 * 3600..10 * 3600 + 900).contains(&s) {
            None
        } else {
            Some(0.001)
        }
    });
    let (_d, a) = analyze_files(&[("lb1/access.log", a_log), ("lb2/access.log", b_log)]);
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].kind, IncidentKind::TrafficLoss);
    assert_eq!(inc[0].parts[0].source.as_deref(), Some("lb2/access.log"));
    let lost = inc[0].impact.requests_lost as f64;
    assert!((lost - 4500.0).abs() < 300.0, "{lost}");
}

#[test]
fn thin_traffic_widens_buckets_and_warns() {
    // One request every 10 s; an hour of 60% failures.
    let log = access_log(6 * 3600, 14 * 3600, 0.1, 9, |s, _| {
        Some(if (10 * 3600..11 * 3600).contains(&s) {
            0.6
        } else {
            0.0
        })
    });
    let (_d, a) = analyze_files(&[("lb/access.log", log)]);
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1);
    let i = &inc[0];
    assert!(i.method.bucket_seconds > 60);
    assert!(i.method.warnings.iter().any(|w| w.contains("thin")));
    assert!((i.start - at(10 * 3600)).abs() <= 120 * SEC);
    assert!((i.end - at(11 * 3600)).abs() <= 180 * SEC);
}

#[test]
fn without_request_logs_app_errors_and_alerts_are_used() {
    let mut app = String::new();
    for m in 0..240 {
        let sec = 8 * 3600 + m * 60;
        let errors = if (100..130).contains(&m) { 30 } else { m % 2 };
        for k in 0..errors {
            app.push_str(&format!(
                "{{\"time\": \"{}\", \"level\": \"error\", \"msg\": \"db pool exhausted after 5000ms\"}}\n",
                crate::time::format_rfc3339(at(sec + k))
            ));
        }
        app.push_str(&format!(
            "{{\"time\": \"{}\", \"level\": \"info\", \"msg\": \"ok\"}}\n",
            crate::time::format_rfc3339(at(sec + 59))
        ));
    }
    let (_d, a) = analyze_files(&[("app/app.json.log", app)]);
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1);
    let i = &inc[0];
    assert_eq!(i.kind, IncidentKind::ErrorsFromAppLogs);
    assert_eq!(i.start, at(8 * 3600 + 100 * 60));
    assert!(i.impact.error_messages >= 900);
}

/// An application's JSON log in which request lines are a minority: its
/// requests are the only traffic there is, and every part of the analysis
/// must count them the same way (the traffic decision has one owner).
#[test]
fn requests_in_a_minority_of_application_lines_are_counted_once_and_exactly() {
    let mut log = String::new();
    for minute in 0..60i64 {
        for s in 0..60i64 {
            let t = crate::time::format_rfc3339(at(8 * 3600 + minute * 60 + s));
            for k in 0..3 {
                log.push_str(&format!(
                    "{{\"time\":\"{t}\",\"level\":\"info\",\"msg\":\"cache refreshed shard {k}\"}}\n"
                ));
            }
            // 08:30-08:45: two requests in three fail.
            let failing = (30..45).contains(&minute) && s % 3 != 1;
            let status = if failing { 503 } else { 200 };
            log.push_str(&format!(
                "{{\"time\":\"{t}\",\"level\":\"info\",\"msg\":\"request\",\"method\":\"GET\",\"path\":\"/api\",\"status\":{status},\"remote_addr\":\"10.9.0.{}\"}}\n",
                s % 30
            ));
        }
    }
    let (_d, a) = analyze_files(&[("app/api.json.log", log)]);
    assert_eq!(a.traffic.basis, crate::traffic::Basis::ApplicationRequests);
    assert_eq!(
        a.request_sources().collect::<Vec<_>>(),
        vec!["app/api.json.log"]
    );
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1, "{inc:#?}");
    let i = &inc[0];
    assert_eq!(
        (i.start, i.end),
        (at(8 * 3600 + 30 * 60), at(8 * 3600 + 45 * 60 - 1))
    );
    assert!(i.impact.exact_counts);
    assert_eq!(
        (i.impact.requests_total, i.impact.requests_failed),
        (900, 600)
    );
    assert_eq!(i.impact.clients_total, Some(30));
    assert_eq!(i.impact.requests_lost, 0);
}

/// Slow, not failing: p99 from 40 ms to seconds for half an hour, no 5xx.
#[test]
fn a_slowdown_without_errors_is_a_latency_incident() {
    let mut rng = Lcg(5);
    let log = requests_log(8 * 3600, 12 * 3600, 5.0, 3, |s, _| {
        let slow = (9 * 3600..9 * 3600 + 1800).contains(&s) && rng.next() < 0.5;
        Some((
            200,
            if slow {
                4.0 + rng.next() * 5.0
            } else {
                0.020 + rng.next() * 0.060
            },
        ))
    });
    let (_d, a) = analyze_files(&[("lb/access.log", log)]);
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1, "{inc:#?}");
    let i = &inc[0];
    assert_eq!(i.kind, IncidentKind::Latency);
    assert!((i.start - at(9 * 3600)).abs() <= 60 * SEC, "{}", i.start);
    assert!(
        (i.end - at(9 * 3600 + 1800)).abs() <= 120 * SEC,
        "{}",
        i.end
    );
    let t = i.slow_threshold_ms().unwrap();
    assert!(t > 100.0 && t < 1000.0, "{t}");
    let slow = i.impact.slow_pct.unwrap();
    assert!((slow - 50.0).abs() < 5.0, "{slow}");
    assert_eq!((i.impact.requests_failed, i.bad().1), (0, Some(slow)));
    assert!(i.counted[0].starts_with("slower than"), "{:?}", i.counted);
    assert!(i.edges.is_some());
}

/// Refused, not failing: a rate limit answers 429 to most requests.
#[test]
fn a_storm_of_429s_is_a_refusals_incident() {
    let mut rng = Lcg(9);
    let log = requests_log(8 * 3600, 12 * 3600, 5.0, 4, |s, _| {
        let limited = (10 * 3600..10 * 3600 + 1200).contains(&s) && rng.next() < 0.7;
        let stray = rng.next() < 0.002;
        Some((if limited || stray { 429 } else { 200 }, 0.030))
    });
    let (_d, a) = analyze_files(&[("lb/access.log", log)]);
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1, "{inc:#?}");
    let i = &inc[0];
    assert_eq!(i.kind, IncidentKind::Refusals);
    assert_eq!(i.counted, vec!["429".to_string()]);
    assert!((i.start - at(10 * 3600)).abs() <= 30 * SEC);
    assert!((i.end - at(10 * 3600 + 1200)).abs() <= 60 * SEC);
    let refused = i.impact.failed_pct.unwrap();
    assert!((refused - 70.0).abs() < 5.0, "{refused}");
    // With 429 counted as a failure, it is an error incident instead.
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Lcg(9);
    let log = requests_log(8 * 3600, 12 * 3600, 5.0, 4, |s, _| {
        let limited = (10 * 3600..10 * 3600 + 1200).contains(&s) && rng.next() < 0.7;
        Some((if limited { 429 } else { 200 }, 0.030))
    });
    std::fs::write(dir.path().join("access.log"), log).unwrap();
    let opts = Options {
        failure: crate::record::FailurePolicy::parse("5xx,429").unwrap(),
        ..Options::default()
    };
    let a = analyze(&[dir.path().to_string_lossy().into_owned()], &opts).unwrap();
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].kind, IncidentKind::ErrorRatio);
    assert_eq!(inc[0].counted, vec!["5xx", "no response", "429"]);
}

/// Part of the fleet: one of three backends fails a quarter of its
/// requests; the fleet-wide ratio stays under 10% but the backend's own
/// stretch is found and the backend named.
#[test]
fn one_backend_failing_a_quarter_of_its_requests_is_found() {
    let mut rng = Lcg(21);
    let log = requests_log(8 * 3600, 12 * 3600, 8.0, 6, |s, b| {
        let failing = (9 * 3600..9 * 3600 + 2400).contains(&s) && b == 1 && rng.next() < 0.25;
        Some((if failing { 502 } else { 200 }, 0.030))
    });
    let (_d, a) = analyze_files(&[("lb/access.log", log)]);
    let inc = find_incidents(&a);
    assert_eq!(inc.len(), 1, "{inc:#?}");
    let i = &inc[0];
    assert_eq!(i.kind, IncidentKind::ErrorRatio);
    assert!((i.start - at(9 * 3600)).abs() <= 60 * SEC);
    assert!((i.end - at(9 * 3600 + 2400)).abs() <= 120 * SEC);
    let named: Vec<&str> = i
        .suspects
        .iter()
        .filter_map(|s| match &s.evidence {
            super::suspects::Evidence::Failing { backend, .. } => Some(backend.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(named, vec!["10.0.1.12:8080"], "{:#?}", i.suspects);
}
