//! End-to-end scan throughput (MB/s) on a generated access log, through the
//! library. The log comes from `postmortem-gen`'s benchmark corpus (its
//! clients, routes, statuses and timings; one planted outage). For
//! whole-program comparisons with ripgrep and friends see
//! `scripts/bench-compare.sh`.

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
    group.finish();
}

criterion_group!(benches, scan);
criterion_main!(benches);
