//! End-to-end scan throughput (MB/s) on a generated access log, through the
//! library. The log comes from `postmortem-gen`'s benchmark corpus (its
//! clients, routes, statuses and timings; one planted outage). For
//! whole-program comparisons with ripgrep and friends see
//! `scripts/perf-compare.sh`.
//!
//! Each stage on its own as well: folding one block of a zap JSON log
//! with 90% error lines (parse, pattern match, templates, events), and the
//! analysis of a scanned corpus (detection, impact, suspects).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const LINES: u64 = 200_000;

fn scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = postmortem_gen::BenchCfg {
        length: postmortem_gen::Length::Lines(LINES),
        seed: 1,
    };
    let truth = postmortem_gen::bench(dir.path(), &cfg).unwrap();
    let bytes = truth["traffic"]["access_bytes"].as_u64().unwrap();
    let path = dir.path().join("access.log");
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    let opts = postmortem::Options::default();
    let paths = vec![path.to_string_lossy().into_owned()];
    group.bench_function("nginx_access_200k_lines", |b| {
        b.iter(|| {
            let a = postmortem::analyze(&paths, &opts).unwrap();
            assert_eq!(a.inputs[0].stats.records, LINES);
        })
    });
    let analysis = postmortem::analyze(&paths, &opts).unwrap();
    group.bench_function("analysis_find_incidents", |b| {
        b.iter(|| postmortem::find_incidents(&analysis).len())
    });
    group.finish();
}

fn fold(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zap.log");
    let cfg = postmortem_gen::PerfCfg {
        format: "json".into(),
        bytes: 4 << 20,
        error_share: 0.9,
        seed: 1,
    };
    postmortem_gen::perf(&path, &cfg).unwrap();
    let block = std::fs::read(&path).unwrap();
    let patterns = postmortem::patterns::PatternSet::builtin();
    let failure = postmortem::record::FailurePolicy::default();
    let folder = postmortem::scan::fold::Folder {
        format: postmortem::format::by_name("json").unwrap(),
        patterns: &patterns,
        window: postmortem::scan::TimeWindow::default(),
        skew: 0,
        bucket_seconds: 60,
        skipped_samples: 5,
        failure: &failure,
        change_source: false,
        cells: false,
    };
    let ctx = || {
        postmortem::time::TimeCtx::new(
            postmortem::time::Zone::Utc,
            postmortem::time::YearAnchor::End(0),
        )
    };
    let mut group = c.benchmark_group("fold");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(block.len() as u64));
    group.bench_function("zap_json_4MiB_90pct_errors", |b| {
        b.iter(|| folder.fold(&block, false, ctx()).1)
    });
    group.finish();
}

criterion_group!(benches, scan, fold);
criterion_main!(benches);
