//! Lines per second of each hot parser, of the timestamp shapes and of
//! pattern matching. Run with `cargo bench --bench parsers`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

use postmortem::format;
use postmortem::patterns::PatternSet;
use postmortem::time::{self, TimeCtx, YearAnchor, Zone};

const LINES: &[(&str, &str)] = &[
    (
        "nginx_access",
        r#"203.0.113.7 - - [09/Mar/2024:08:37:51 +0000] "GET /api/orders?id=123 HTTP/1.1" 502 157 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" 10.0.1.12:8080 502 0.004 0.004"#,
    ),
    (
        "haproxy",
        r#"Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1""#,
    ),
    (
        "alb",
        r#"http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2018-07-02T22:22:48.364000Z "forward" "-" "-" 10.0.0.1:80 200 "-" "-""#,
    ),
    (
        "envoy",
        r#"[2022-11-30T07:39:00.605Z] "GET /ip HTTP/1.1" 503 UF 0 91 1000 - "-" "curl/7.84.0" "8f56bc6a-343d-4c14-97a2-eef342497287" "localhost" "35.168.106.184:443""#,
    ),
    (
        "json",
        r#"{"level":"error","ts":1649944125.9843705,"caller":"orders/db.go:53","msg":"db pool exhausted: could not obtain connection","service":"orders","attempt":3}"#,
    ),
    (
        "logfmt",
        r#"t=2020-07-20T08:14:50+0000 lvl=eror msg="Data proxy error" logger=data-proxy-log userId=0 orgId=1 uname=admin"#,
    ),
    (
        "nginx_error",
        r#"2020/05/07 03:15:12 [error] 6#6: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 172.21.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://172.21.0.19:9000/", host: "0.0.0.0:9000""#,
    ),
    (
        "syslog",
        r#"Oct 11 22:14:15 mymachine systemd[1]: Started A high performance web server and a reverse proxy server."#,
    ),
    (
        "timestamped",
        r#"2024-03-15 10:00:00,123 ERROR [http-nio-8080-exec-3] c.e.orders.Api - request failed: java.net.SocketTimeoutException: Read timed out"#,
    ),
];

fn parsers(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_line");
    group.throughput(Throughput::Elements(1));
    for (name, line) in LINES {
        let Some(f) = format::by_name(name) else {
            continue;
        };
        let mut ctx = TimeCtx::new(Zone::Utc, YearAnchor::End(1_710_000_000));
        group.bench_function(*name, |b| {
            b.iter(|| {
                let parsed = f.parse(black_box(line.as_bytes()), &mut ctx);
                black_box(parsed.at())
            })
        });
    }
    group.finish();
}

fn timestamps(c: &mut Criterion) {
    let mut group = c.benchmark_group("timestamp");
    group.throughput(Throughput::Elements(1));
    for (name, text) in [
        ("rfc3339", "2018-07-02T22:23:00.186641Z"),
        ("clf", "10/Oct/2000:13:55:36 -0700"),
        ("java", "2003-07-08 16:49:45,896"),
        ("ctime", "Fri Sep 09 10:42:29.902022 2011"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(time::parse_leading(black_box(text.as_bytes()))))
        });
    }
    let berlin = Zone::parse("Europe/Berlin").unwrap();
    let mut ctx = TimeCtx::new(berlin, YearAnchor::End(0));
    let (stamp, _) = time::parse_iso(b"2024-07-01 12:00:00").unwrap();
    group.bench_function("resolve_named_zone", |b| {
        b.iter(|| black_box(ctx.resolve(black_box(stamp))))
    });
    // RFC 3164: the year inferred from the anchor, the day's start remembered.
    let mut ctx = TimeCtx::new(Zone::Utc, YearAnchor::End(1_710_000_000));
    let (yearless, _) = time::parse_syslog_date(b"Mar  9 06:00:00 web-01").unwrap();
    group.bench_function("syslog_yearless_resolve", |b| {
        b.iter(|| black_box(ctx.resolve_yearless(black_box(yearless))))
    });
    group.finish();
}

/// The writer-field check every message of a log4j or syslog file meets.
fn writers(c: &mut Criterion) {
    let mut group = c.benchmark_group("writer");
    group.throughput(Throughput::Elements(1));
    for (name, fields) in [
        ("log4j_logger", [("logger", "com.shop.orders.OrderService")]),
        ("syslog_program", [("program", "shop-api")]),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(postmortem::source::has_change_writer(black_box(&fields))))
        });
    }
    group.finish();
}

fn patterns(c: &mut Criterion) {
    let set = PatternSet::builtin();
    let mut group = c.benchmark_group("patterns");
    group.throughput(Throughput::Elements(1));
    group.bench_function("no_match", |b| {
        b.iter(|| {
            black_box(
                set.find(
                    "json",
                    black_box("request served in 12ms for user 42 path=/api/orders"),
                )
                .is_some(),
            )
        })
    });
    group.bench_function("match", |b| {
        b.iter(|| {
            black_box(
                set.find(
                    "nginx_error",
                    black_box(r#"upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.0.1, server: x, request: "GET / HTTP/1.1", upstream: "http://10.0.1.12:8080/""#),
                )
                .is_some(),
            )
        })
    });
    // Distinct texts (more than the per-thread memo holds), so every call
    // runs the set, the chunk sets and the captures.
    let distinct: Vec<String> = (0..10_000)
        .map(|i| format!("upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.0.{}.{}, server: x, request: \"GET /o/{i} HTTP/1.1\", upstream: \"http://10.0.1.12:8080/\"", i / 250, i % 250))
        .collect();
    bench_cycling(&mut group, "match_distinct", &set, "nginx_error", &distinct);
    // log4j texts behind distinct thread names (more than the memo of
    // whole texts holds) with a few tails: answered by the tail memo.
    let threads: Vec<String> = (0..50_000)
        .map(|i| {
            let tail = [
                "GET /search 200 48ms",
                "GET /api/v1/cart 200 7ms",
                "GET /healthz 200 61ms",
            ][i % 3];
            format!("INFO  [http-nio-8080-exec-{i}] com.shop.web.RequestLog - {tail}")
        })
        .collect();
    bench_cycling(
        &mut group,
        "no_match_thread_prefixed",
        &set,
        "timestamped",
        &threads,
    );
    group.finish();
}

/// `find` on each of `texts` in turn, over and over.
fn bench_cycling(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    set: &PatternSet,
    format: &str,
    texts: &[String],
) {
    let mut next = texts.iter().cycle();
    group.bench_function(name, |b| {
        b.iter(|| {
            let text = next.next().map(String::as_str).unwrap_or("");
            black_box(set.find(format, black_box(text)).is_some())
        })
    });
}

criterion_group!(benches, parsers, timestamps, writers, patterns);
criterion_main!(benches);
