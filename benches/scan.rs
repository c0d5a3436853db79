//! End-to-end scan throughput (MB/s) on generated access logs, through the
//! library. For whole-program comparisons with ripgrep and friends see
//! `scripts/bench-compare.sh`.

use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn make_access_log(path: &std::path::Path, lines: usize) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let backends = ["10.0.1.11:8080", "10.0.1.12:8080", "10.0.1.13:8080"];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..lines {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let sec = i / 100;
        let status = if state.is_multiple_of(50) { 502 } else { 200 };
        writeln!(
            f,
            "203.0.113.{} - - [09/Mar/2024:{:02}:{:02}:{:02} +0000] \"GET /api/orders/{} HTTP/1.1\" {} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" {} {} 0.{:03} 0.{:03}",
            state % 250,
            8 + sec / 3600 % 12,
            sec / 60 % 60,
            sec % 60,
            state % 10_000,
            status,
            state % 5000,
            backends[(state % 3) as usize],
            status,
            state % 900,
            state % 800
        )
        .unwrap();
    }
    f.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let bytes = make_access_log(&path, 200_000);
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    let opts = postmortem::Options::default();
    let paths = vec![path.to_string_lossy().into_owned()];
    group.bench_function("nginx_access_200k_lines", |b| {
        b.iter(|| {
            let a = postmortem::analyze(&paths, &opts).unwrap();
            assert_eq!(a.inputs[0].stats.records, 200_000);
        })
    });
    group.finish();
}

criterion_group!(benches, scan);
criterion_main!(benches);
