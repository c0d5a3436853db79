//! A large nginx access log for benchmarks, streamed with precomputed
//! pieces and hand-formatted numbers, with one planted outage whose truth
//! is counted while writing (flat memory).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use serde_json::{json, Value};

use crate::alerts::{self, AlertSpec};
use crate::clock::{at, clf, date, epoch_secs_frac, truth_time, MIN, SEC};
use crate::ops;
use crate::rng::{cumulative, Rng};
use crate::world::{path_for, ClientKind, Population, RouteKind, RouteTables, ROUTES};

const BACKENDS: [&[u8]; 3] = [b"10.0.1.11:8080", b"10.0.1.12:8080", b"10.0.1.13:8080"];

/// How long the access log is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Length {
    /// About this many bytes (the last line may go a little past).
    Bytes(u64),
    /// Exactly this many lines.
    Lines(u64),
}

/// The corpus's length and seed; the outage sits at the same shares of
/// the access log (in bytes or in lines) either way.
#[derive(Clone, Copy, Debug)]
pub struct BenchCfg {
    pub length: Length,
    pub seed: u64,
}

struct Sink {
    file: File,
    buf: Vec<u8>,
    written: u64,
}

impl Sink {
    fn new(path: &Path) -> io::Result<Sink> {
        Ok(Sink {
            file: File::create(path)?,
            buf: Vec::with_capacity(8 << 20),
            written: 0,
        })
    }
    #[inline]
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= (8 << 20) - 8192 {
            self.flush()?;
        }
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
    fn total(&self) -> u64 {
        self.written + self.buf.len() as u64
    }
}

#[inline]
fn itoa(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Seconds with three decimals from µs (`0.031`).
#[inline]
fn secs3(buf: &mut Vec<u8>, us: i64) {
    let ms = (us.max(0) as u64 + 500) / 1000;
    itoa(buf, ms / 1000);
    let r = ms % 1000;
    buf.extend_from_slice(&[
        b'.',
        b'0' + (r / 100) as u8,
        b'0' + (r / 10 % 10) as u8,
        b'0' + (r % 10) as u8,
    ]);
}

#[inline]
fn hex32(buf: &mut Vec<u8>, rng: &mut Rng) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for _ in 0..2 {
        let mut x = rng.next_u64();
        for _ in 0..16 {
            buf.push(HEX[(x & 15) as usize]);
            x >>= 4;
        }
    }
}

/// Parses `1G`, `500M`, `5M`, `64K` or plain bytes (binary multiples).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'B' => 1,
                _ => return Err(format!("unknown size unit in {s:?} (use K, M or G)")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("invalid size {s:?} (examples: 1G, 500M, 5M)"))?;
    if v.is_nan() || v <= 0.0 {
        return Err(format!("size must be positive, got {s:?}"));
    }
    Ok((v * mult as f64) as u64)
}

struct Window {
    /// Second of the first planted failure.
    start: Option<i64>,
    /// Second of the last planted failure so far.
    last_fail: i64,
    cum_total: u64,
    cum_failed: u64,
    final_total: u64,
    final_failed: u64,
    /// Per client: first second seen / failed inside the window.
    seen: Vec<i64>,
    failed: Vec<i64>,
    /// Clients and failures of the current second, to backfill the start.
    this_sec: Vec<(u32, bool)>,
}

/// Writes the corpus; returns the truth.
pub fn run(dir: &Path, cfg: &BenchCfg) -> io::Result<Value> {
    std::fs::create_dir_all(dir)?;
    let seed = cfg.seed;
    let mut rng = Rng::stream(seed, 100);
    let pop = Population::new(&mut Rng::stream(seed, 101), 50_000, true);
    let tables = RouteTables::new();
    let start = at(2024, 3, 9, 6, 0, 0, 0);
    // `total` is in the unit of `cfg.length`: the loop's progress, and the
    // outage and quiet stretches, are measured in it.
    let (total, est_lines) = match cfg.length {
        Length::Bytes(size) => (size, (size / 190).max(100)),
        Length::Lines(n) => (n, n.max(1)),
    };
    let span = 6 * 3600 * SEC;
    let dt = (span / est_lines as i64).max(1);

    // Precomputed pieces.
    let prefixes: Vec<Vec<u8>> = pop
        .clients
        .iter()
        .map(|c| format!("{} - - [", c.ip).into_bytes())
        .collect();
    let uas: Vec<Vec<u8>> = pop
        .clients
        .iter()
        .map(|c| format!("\"{}\" ", c.ua).into_bytes())
        .collect();
    let protos: Vec<&[u8]> = pop
        .clients
        .iter()
        .map(|c| {
            if c.proto == "HTTP/2.0" {
                &b" HTTP/2.0\" "[..]
            } else {
                &b" HTTP/1.1\" "[..]
            }
        })
        .collect();
    let mut prng = Rng::stream(seed, 102);
    let paths: Vec<Vec<Vec<u8>>> = ROUTES
        .iter()
        .map(|r| {
            (0..256)
                .map(|_| format!("{} {}", r.method, path_for(r, &mut prng)).into_bytes())
                .collect()
        })
        .collect();
    let referers: [&[u8]; 4] = [
        b"\"-\" ",
        b"\"https://shop.example.com/\" ",
        b"\"https://www.google.com/\" ",
        b"\"https://shop.example.com/category/deals\" ",
    ];
    let all_cum = cumulative(pop.clients.iter().enumerate().map(|(i, _)| {
        // Same skew as the scenarios: robots heavy, people Zipf-like.
        if pop.robots.contains(&(i as u32)) {
            800.0
        } else {
            let k = (i % 997 + 1) as f64;
            1.0 / (k.sqrt() * k.sqrt().sqrt())
        }
    }));

    let mut access = Sink::new(&dir.join("access.log"))?;
    let mut app = Sink::new(&dir.join("app.log"))?;
    let out_start = total * 60 / 100;
    let out_end = total * 67 / 100;
    let quiet_start = total * 58 / 100;
    let quiet_end = total * 69 / 100;
    let mut win = Window {
        start: None,
        last_fail: i64::MIN,
        cum_total: 0,
        cum_failed: 0,
        final_total: 0,
        final_failed: 0,
        seen: vec![i64::MAX; pop.clients.len()],
        failed: vec![i64::MAX; pop.clients.len()],
        this_sec: Vec::new(),
    };
    let mut outage: Option<(i64, i64)> = None; // (began, ended) times
    let mut outage_lines = 0u64;
    let mut t = start;
    let mut cur_sec = i64::MIN;
    let mut clf_buf: Vec<u8> = Vec::new();
    let mut lines = 0u64;

    loop {
        let pos = match cfg.length {
            Length::Bytes(_) => access.total(),
            Length::Lines(_) => lines,
        };
        if pos >= total {
            break;
        }
        t += (dt / 2) + rng.below(dt as u64) as i64;
        let sec = t.div_euclid(SEC);
        if sec != cur_sec {
            // Close the previous second for the window accounting.
            if win.start.is_some() && cur_sec == win.last_fail {
                win.final_total = win.cum_total;
                win.final_failed = win.cum_failed;
            }
            win.this_sec.clear();
            cur_sec = sec;
            clf_buf.clear();
            clf_buf.extend_from_slice(clf(sec * SEC, 0).as_bytes());
        }
        let in_outage = pos >= out_start && pos < out_end;
        if in_outage && outage.is_none() {
            outage = Some((t, t));
        }
        if let Some(o) = outage.as_mut() {
            if in_outage {
                o.1 = t;
            }
        }
        let quiet = pos >= quiet_start && pos < quiet_end;

        let x = rng.f64() * all_cum[all_cum.len() - 1];
        let client = all_cum
            .partition_point(|&c| c <= x)
            .min(pop.clients.len() - 1);
        let c = &pop.clients[client];
        let route = tables.draw(c.kind, &mut rng);
        let path = &paths[route.id as usize][rng.below(256) as usize];
        let b = &mut access.buf;
        b.extend_from_slice(&prefixes[client]);
        b.extend_from_slice(&clf_buf);
        b.extend_from_slice(b"] \"");
        b.extend_from_slice(path);
        b.extend_from_slice(protos[client]);

        let mut planted = false;
        let (status, bytes, upstream, up_status, up_us, total_us): (
            u16,
            u64,
            Option<usize>,
            u16,
            i64,
            i64,
        );
        if route.kind == RouteKind::Static {
            let st = if c.kind == ClientKind::Browser && rng.chance(0.3) {
                304
            } else {
                200
            };
            let by = if st == 304 { 0 } else { route.bytes as u64 };
            status = st;
            bytes = by;
            upstream = None;
            up_status = 0;
            up_us = 0;
            total_us = 200 + rng.below(20_000) as i64;
        } else {
            let r = rng.f64() * 17.0;
            let be = if in_outage {
                if r < 15.0 {
                    1
                } else if r < 16.0 {
                    0
                } else {
                    2
                }
            } else {
                (r as usize / 6).min(2)
            };
            let progress = if in_outage {
                ((pos - out_start) as f64 / ((out_end - out_start) as f64 * 0.08)).min(1.0)
            } else {
                0.0
            };
            let fail = in_outage && be == 1 && rng.chance(0.72 * progress);
            let mut us = (rng.lognormal(route.median_ms.max(1.0), 0.5) * 1000.0) as i64;
            if in_outage && be == 1 {
                us *= 1 + (20.0 * progress) as i64;
            }
            if fail {
                planted = true;
                if rng.chance(0.8) {
                    status = 504;
                    bytes = 167;
                    up_status = 504;
                    up_us = 10_000_000 + rng.below(3000) as i64;
                } else {
                    status = 502;
                    bytes = 157;
                    up_status = 502;
                    up_us = rng.below(2_000_000) as i64;
                }
            } else {
                let x = rng.f64();
                let st = if !quiet && x > 0.9994 {
                    500
                } else if (route.id == 1 || route.id == 7) && x < 0.02 {
                    404
                } else if route.id == 15 && x < 0.12 {
                    401
                } else {
                    route.ok
                };
                status = st;
                bytes = match st {
                    204 | 304 => 0,
                    404 => 94,
                    401 => 62,
                    500 => 95,
                    _ => (rng.lognormal(route.bytes.max(1.0), 0.35)) as u64,
                };
                up_status = st;
                up_us = us;
            }
            upstream = Some(be);
            total_us = up_us + 300 + rng.below(1500) as i64;
        }
        let failed = status >= 500;
        itoa(b, status as u64);
        b.push(b' ');
        itoa(b, bytes);
        b.push(b' ');
        b.extend_from_slice(
            referers[if c.kind == ClientKind::Browser {
                1 + rng.below(3) as usize
            } else {
                0
            }],
        );
        b.extend_from_slice(&uas[client]);
        match upstream {
            Some(be) => {
                b.extend_from_slice(BACKENDS[be]);
                b.push(b' ');
                itoa(b, up_status as u64);
                b.push(b' ');
                secs3(b, total_us);
                b.push(b' ');
                secs3(b, up_us);
            }
            None => {
                b.extend_from_slice(b"- - ");
                secs3(b, total_us);
                b.extend_from_slice(b" -");
            }
        }
        b.push(b'\n');
        lines += 1;

        // Truth accounting.
        win.this_sec.push((client as u32, failed));
        if planted {
            outage_lines += 1;
            if win.start.is_none() {
                win.start = Some(sec);
                // Earlier requests of this second belong to the window.
                for &(cl, f) in &win.this_sec[..win.this_sec.len() - 1] {
                    win.cum_total += 1;
                    win.seen[cl as usize] = win.seen[cl as usize].min(sec);
                    if f {
                        win.cum_failed += 1;
                        win.failed[cl as usize] = win.failed[cl as usize].min(sec);
                    }
                }
            }
            win.last_fail = sec;
        }
        if win.start.is_some() {
            win.cum_total += 1;
            win.seen[client] = win.seen[client].min(sec);
            if failed {
                win.cum_failed += 1;
                win.failed[client] = win.failed[client].min(sec);
            }
        }

        // App log: a sample of requests, and errors for the planted ones.
        if upstream.is_some() && ((planted && rng.below(100) < 15) || rng.below(1000) < 14) {
            let a = &mut app.buf;
            let ts = t - total_us + up_us;
            if planted {
                a.extend_from_slice(b"{\"level\":\"error\",\"ts\":");
            } else {
                a.extend_from_slice(b"{\"level\":\"info\",\"ts\":");
            }
            a.extend_from_slice(epoch_secs_frac(ts).as_bytes());
            if planted {
                a.extend_from_slice(b",\"caller\":\"db/pool.go:88\",\"msg\":\"acquire db connection failed\",\"request_id\":\"");
            } else {
                a.extend_from_slice(b",\"caller\":\"httpapi/middleware.go:57\",\"msg\":\"request completed\",\"request_id\":\"");
            }
            hex32(a, &mut rng);
            a.extend_from_slice(b"\",\"path\":\"");
            let p = path;
            let sp = p.iter().position(|&x| x == b' ').map_or(0, |i| i + 1);
            a.extend_from_slice(&p[sp..]);
            a.extend_from_slice(b"\",\"status\":");
            itoa(a, up_status as u64);
            a.extend_from_slice(b",\"duration_ms\":");
            secs3(a, up_us * 1000);
            if planted {
                a.extend_from_slice(b",\"error\":\"context deadline exceeded\"}\n");
            } else {
                a.extend_from_slice(b"}\n");
            }
            app.maybe_flush()?;
        }
        access.maybe_flush()?;
    }
    if win.start.is_some() && cur_sec == win.last_fail {
        win.final_total = win.cum_total;
        win.final_failed = win.cum_failed;
    }
    access.flush()?;
    app.flush()?;
    let end_t = t;

    // The change, the rollback and the alerts, now that their times are known.
    let (o_start, o_end) = outage.unwrap_or((start, start));
    let change = o_start - 80 * SEC;
    let rollback = o_end - 20 * SEC;
    let mut dl = crate::out::TextLog::new();
    dl.push(start + 12 * MIN, ops::pylog(start + 12 * MIN, 0, "INFO", "deploy", "starting deploy of shop-api v2.14.0 (build 8841) to app-1, app-2, app-3 [requested by ci]"));
    dl.push(
        start + 15 * MIN,
        ops::pylog(
            start + 15 * MIN,
            0,
            "INFO",
            "deploy",
            "finished deploy of shop-api v2.14.0 in 157s",
        ),
    );
    dl.push(
        change,
        ops::pylog(
            change,
            0,
            "INFO",
            "deploy",
            "applied lb config change: set weight=15 on backend 10.0.1.12:8080 (was 1)",
        ),
    );
    dl.push(
        rollback,
        ops::pylog(
            rollback,
            0,
            "INFO",
            "deploy",
            "applied lb config change: set weight=1 on backend 10.0.1.12:8080 (was 15)",
        ),
    );
    let (deploy_text, _) = dl.render();
    std::fs::write(dir.join("deploy.log"), deploy_text)?;
    let first_alert = o_start + 3 * MIN;
    let spec = AlertSpec {
        name: "HighErrorRate",
        labels: vec![("service", "shop".into()), ("severity", "page".into())],
        summary: "5xx ratio for shop above 5% for 2m".into(),
        description: "nginx on lb-01 is answering more than 5% of requests with 5xx.".into(),
        expr: "sum(rate(nginx_http_requests_total{status=~\"5..\"}[2m])) / sum(rate(nginx_http_requests_total[2m])) > 0.05",
        receiver: "pagerduty-storefront",
        starts: first_alert,
        ends: Some(rollback + 3 * MIN),
        repeat: 20 * MIN,
    };
    let (alerts_text, _) = alerts::log(&[spec], start, end_t, seed).render();
    std::fs::write(dir.join("alerts.log"), alerts_text)?;

    let s = win.start.unwrap_or(0);
    let e = win.last_fail;
    let clients_total = win.seen.iter().filter(|&&x| x <= e).count() as u64;
    let clients_affected = win.failed.iter().filter(|&&x| x <= e).count() as u64;
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            (a as f64 * 10_000.0 / b as f64).round() / 100.0
        }
    };
    Ok(json!({
        "scenario": "bench",
        "generator": "postmortem-gen",
        "seed": seed,
        "date": date(start),
        "timezone": "UTC",
        "traffic": {"requests": lines, "access_bytes": access.written, "app_bytes": app.written,
                    "first_request": truth_time(start, SEC), "last_request": truth_time(end_t - end_t.rem_euclid(SEC), SEC)},
        "incidents": [{
            "id": 1,
            "kind": "errors",
            "start": truth_time(s * SEC, SEC),
            "end": truth_time(e * SEC, SEC),
            "duration_seconds": e - s,
            "requests_total": win.final_total,
            "requests_failed": win.final_failed,
            "failed_pct": pct(win.final_failed, win.final_total),
            "clients_total": clients_total,
            "clients_affected": clients_affected,
            "clients_affected_pct": pct(clients_affected, clients_total),
            "planted_failures": outage_lines,
            "cause": {"kind": "change", "source": "deploy.log", "line": 3,
                      "message": ops::pylog(change, 0, "INFO", "deploy", "applied lb config change: set weight=15 on backend 10.0.1.12:8080 (was 1)"),
                      "at": truth_time(change, 1000)},
            "backend": "10.0.1.12:8080",
            "detected_at": truth_time(first_alert - first_alert.rem_euclid(1000), 1000),
            "mitigated_at": truth_time(rollback, 1000),
        }],
        "notes": ["bench corpus: one weight-change outage at 60-67% of access.log; 5xx outside it are rare background errors"],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("5M"), Ok(5 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("abc").is_err());
        assert!(parse_size("-1M").is_err());
        assert!(parse_size("5X").is_err());
    }

    #[test]
    fn number_formatting() {
        let mut b = Vec::new();
        itoa(&mut b, 0);
        b.push(b' ');
        itoa(&mut b, 18_446_744_073_709_551_615);
        b.push(b' ');
        secs3(&mut b, 10_000_499);
        b.push(b' ');
        secs3(&mut b, 31_600);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "0 18446744073709551615 10.000 0.032"
        );
    }
}
