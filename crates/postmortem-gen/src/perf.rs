//! Throughput inputs, one format per file: lines of the shapes the
//! analyser reads (zap JSON, logfmt, RFC 3164 syslog, log4j with stack
//! traces, HAProxy, ALB, Envoy), a given share of them errors, with time
//! moving forward. No planted truth: they measure speed and memory, not
//! detection (the `bench` corpus does both for nginx).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use crate::clock::{at, epoch_secs_frac, haproxy, rfc3339, syslog};
use crate::rng::Rng;

/// The formats [`write`] knows, by the name the command line takes.
pub const FORMATS: &[&str] = &[
    "json", "logfmt", "syslog", "log4j", "haproxy", "alb", "envoy",
];

/// What to write: a format of [`FORMATS`], about `bytes` long, with
/// `error_share` of its records errors (failed requests for the access
/// formats).
#[derive(Clone, Debug)]
pub struct PerfCfg {
    pub format: String,
    pub bytes: u64,
    pub error_share: f64,
    pub seed: u64,
}

const PATHS: &[&str] = &[
    "/api/v1/products",
    "/api/v1/cart",
    "/api/v1/checkout",
    "/api/v1/orders",
    "/healthz",
    "/category/beauty",
    "/search",
];
const BACKENDS: &[&str] = &["10.0.1.11", "10.0.1.12", "10.0.1.13", "10.0.1.14"];
const ERRORS: &[&str] = &[
    "query failed: dial tcp 10.0.2.5:5432: connect: connection refused",
    "upstream request timeout after 3000ms",
    "payment gateway returned 503",
    "context deadline exceeded",
    "redis: connection pool timeout",
    "failed to publish event: broker not available",
];

/// Writes the file; returns the bytes written.
pub fn write(path: &Path, cfg: &PerfCfg) -> io::Result<u64> {
    if !FORMATS.contains(&cfg.format.as_str()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "unknown format {:?}; one of: {}",
                cfg.format,
                FORMATS.join(", ")
            ),
        ));
    }
    let mut file = io::BufWriter::with_capacity(8 << 20, File::create(path)?);
    let mut rng = Rng::stream(cfg.seed, 91);
    let mut t = at(2024, 3, 9, 6, 0, 0, 0);
    let mut line = String::with_capacity(4096);
    let mut written = 0u64;
    let mut n = 0u64;
    while written < cfg.bytes {
        // About 30 records a second: a few hundred MB span a day or so,
        // so per-second state grows as it would with real days of logs.
        t += 10_000 + rng.below(45_000) as i64;
        n += 1;
        let error = rng.chance(cfg.error_share);
        line.clear();
        record(&mut line, &cfg.format, t, n, error, &mut rng);
        file.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    file.flush()?;
    Ok(written)
}

fn record(s: &mut String, format: &str, t: i64, n: u64, error: bool, rng: &mut Rng) {
    let path = *rng.pick(PATHS);
    let backend = *rng.pick(BACKENDS);
    let err = *rng.pick(ERRORS);
    let ms = 1 + rng.below(80);
    let status = if error {
        *rng.pick(&[500u16, 502, 503, 504])
    } else {
        200
    };
    let id = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let _ = match format {
        "json" => {
            if error {
                writeln!(
                    s,
                    r#"{{"level":"error","ts":{},"caller":"store/orders.go:214","msg":"order lookup failed","request_id":"{id:016x}","path":"{path}/{}","error":"{err}","duration_ms":{ms}.{:03}}}"#,
                    epoch_secs_frac(t),
                    n % 50_000,
                    n % 1000
                )
            } else {
                writeln!(
                    s,
                    r#"{{"level":"info","ts":{},"caller":"httpapi/middleware.go:57","msg":"request completed","request_id":"{id:016x}","path":"{path}/{}","status":200,"duration_ms":{ms}.{:03}}}"#,
                    epoch_secs_frac(t),
                    n % 50_000,
                    n % 1000
                )
            }
        }
        "logfmt" => {
            if error {
                writeln!(
                    s,
                    r#"time={} level=error msg="order lookup failed" request_id={id:016x} path={path} err="{err}" duration_ms={ms}"#,
                    rfc3339(t, 0, 3)
                )
            } else {
                writeln!(
                    s,
                    r#"time={} level=info msg="request completed" request_id={id:016x} path={path} status=200 duration_ms={ms}"#,
                    rfc3339(t, 0, 3)
                )
            }
        }
        "syslog" => {
            let host = format!("web-{:02}", n % 7);
            if error {
                writeln!(
                    s,
                    "{} {host} shop-api[{}]: ERROR order lookup failed: {err}",
                    syslog(t, 0),
                    1200 + n % 40
                )
            } else if n.is_multiple_of(3) {
                writeln!(
                    s,
                    "{} {host} sshd[{}]: Accepted publickey for deploy from 10.0.4.{} port {} ssh2",
                    syslog(t, 0),
                    20_000 + n % 5000,
                    n % 250,
                    30_000 + n % 30_000
                )
            } else {
                writeln!(
                    s,
                    "{} {host} shop-api[{}]: INFO GET {path} 200 {ms}ms",
                    syslog(t, 0),
                    1200 + n % 40
                )
            }
        }
        "log4j" => {
            let stamp = rfc3339(t, 0, 3).replace('T', " ").replace(['Z'], "");
            let stamp = stamp.replacen('.', ",", 1);
            if error {
                let _ = writeln!(
                    s,
                    "{stamp} ERROR [http-nio-8080-exec-{}] com.shop.orders.OrderService - Order lookup failed for order {}",
                    n % 200,
                    n % 100_000
                );
                s.push_str("java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.\n");
                s.push_str("\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)\n");
                s.push_str("\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:197)\n");
                s.push_str("\tat com.shop.orders.OrderRepository.find(OrderRepository.java:88)\n");
                writeln!(
                    s,
                    "\tat com.shop.orders.OrderService.lookup(OrderService.java:{})",
                    40 + n % 9
                )
            } else {
                writeln!(
                    s,
                    "{stamp} INFO  [http-nio-8080-exec-{}] com.shop.web.RequestLog - GET {path} 200 {ms}ms",
                    n % 200
                )
            }
        }
        "haproxy" => writeln!(
            s,
            "{} lb-01 haproxy[{}]: 203.0.113.{}:{} [{}] www-https~ shop/{backend} 0/0/1/{ms}/{} {status} {} - - ---- 120/120/{}/{}/0 0/0 \"GET {path} HTTP/1.1\"",
            syslog(t, 0),
            4100 + n % 3,
            n % 250,
            30_000 + n % 30_000,
            haproxy(t - ms as i64 * 1000, 0),
            ms + 1,
            900 + n % 4000,
            n % 30,
            n % 10,
        ),
        "alb" => writeln!(
            s,
            "https {} app/shop-alb/50dc6c495c0c9188 203.0.113.{}:{} {backend}:8080 0.000 0.{ms:03} 0.000 {status} {status} 180 {} \"GET https://shop.example.com:443{path} HTTP/1.1\" \"Mozilla/5.0 (X11; Linux x86_64)\" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop/73e2d6bc24d8a067 \"Root=1-{:08x}-{id:024x}\" \"shop.example.com\" \"arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012\" 0 {} \"forward\" \"-\" \"-\" \"{backend}:8080\" \"{status}\" \"-\" \"-\"",
            rfc3339(t, 0, 6),
            n % 250,
            30_000 + n % 30_000,
            900 + n % 4000,
            t / 1_000_000,
            rfc3339(t - ms as i64 * 1000, 0, 6),
        ),
        "envoy" => {
            let flags = if error { "UF" } else { "-" };
            writeln!(
                s,
                "[{}] \"GET {path} HTTP/1.1\" {status} {flags} 0 {} {ms} {} \"203.0.113.{}\" \"Mozilla/5.0 (X11; Linux x86_64)\" \"{id:016x}-0000-4000-8000-{:012x}\" \"shop.example.com\" \"{backend}:8080\"",
                rfc3339(t - t.rem_euclid(1000), 0, 3),
                900 + n % 4000,
                ms.saturating_sub(1),
                n % 250,
                n % 1_000_000_000_000,
            )
        }
        _ => Ok(()),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_writes_about_the_size_with_its_error_share() {
        let dir = tempfile::tempdir().unwrap();
        for format in FORMATS {
            let path = dir.path().join(format!("{format}.log"));
            let cfg = PerfCfg {
                format: format.to_string(),
                bytes: 200_000,
                error_share: 0.5,
                seed: 3,
            };
            let written = write(&path, &cfg).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(written, text.len() as u64);
            assert!((200_000..210_000).contains(&written), "{format}: {written}");
            let records = text.lines().filter(|l| !l.starts_with(['\t', 'j'])).count();
            let errors = text
                .lines()
                .filter(|l| {
                    l.contains("error")
                        || l.contains("ERROR")
                        || [" 500 ", " 502 ", " 503 ", " 504 "]
                            .iter()
                            .any(|s| l.contains(s))
                })
                .count();
            let share = errors as f64 / records as f64;
            assert!((0.4..0.6).contains(&share), "{format}: {share}");
        }
        let bad = PerfCfg {
            format: "nope".into(),
            bytes: 10,
            error_share: 0.0,
            seed: 1,
        };
        assert!(write(&dir.path().join("x"), &bad).is_err());
    }
}
