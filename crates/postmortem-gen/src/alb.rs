//! AWS Application Load Balancer access logs, split into the per-node,
//! per-interval files AWS delivers to S3.

use std::fmt::Write as _;

use crate::clock::{civil, rfc3339};
use crate::nginx::secs3;
use crate::rng::Rng;
use crate::traffic::{Fail, Req, Stack, Traffic};
use crate::world::RouteKind;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const LB_ID: &str = "50dc6c495c0c9188";
pub const NODES: [&str; 2] = ["10.0.1.87", "10.0.2.143"];
const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/3f6e2a51-9c4b-4d6e-8a1f-2b7c9d0e4f15";

/// The target group ARN of a backend's group.
pub fn tg_arn(group: &str) -> String {
    let id = format!("{:016x}", crate::rng::fnv(group.as_bytes()));
    format!("arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{group}/{id}")
}

fn times_minus1(s: &mut String, a: &str, b: &str, c: &str) {
    let _ = write!(s, "{a} {b} {c} ");
}

/// One ALB access-log line. `groups[b]` is backend b's target group name.
pub fn line(r: &Req, t: &Traffic, stack: &Stack, groups: &[String], rng: &mut Rng) -> String {
    let c = &t.pop.clients[r.client as usize];
    let route = r.route();
    let ty = if c.proto == "HTTP/2.0" { "h2" } else { "https" };
    let mut s = String::with_capacity(700);
    let _ = write!(
        s,
        "{ty} {} app/shop-alb/{LB_ID} {}:{} ",
        rfc3339(r.t1, 0, 6),
        c.ip,
        r.port
    );
    let a = r.attempts.last();
    match a {
        Some(a) => {
            let _ = write!(s, "{} ", stack.backends[a.backend].addr);
        }
        None => s.push_str("- "),
    }
    let req_proc = format!("0.00{}", rng.below(2));
    let answered = matches!(a.map(|a| a.fail), Some(Fail::None) | Some(Fail::App));
    if answered {
        let up = a.map_or(0, |a| a.us);
        times_minus1(&mut s, &req_proc, &secs3(up), "0.000");
    } else {
        times_minus1(&mut s, &req_proc, "-1", "-1");
    }
    let target_status = match a {
        Some(a) if answered => a.status.map_or("-".to_string(), |x| x.to_string()),
        _ => "-".to_string(),
    };
    let sent = if r.status == 460 { 0 } else { r.bytes + 290 };
    let _ = write!(
        s,
        "{} {} {} {} \"{} https://shop.example.com:443{} {}\" \"{}\" ",
        r.status, target_status, r.rx_bytes, sent, route.method, r.path, c.proto, c.ua
    );
    if c.proto == "HTTP/2.0" || rng.chance(0.7) {
        s.push_str("TLS_AES_128_GCM_SHA256 TLSv1.3 ");
    } else {
        s.push_str("ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ");
    }
    let group = a.map_or("-".to_string(), |a| tg_arn(&groups[a.backend]));
    let epoch = r.t0.div_euclid(1_000_000);
    let priority = match route.kind {
        RouteKind::Auth => "10",
        RouteKind::Api => "20",
        _ => "0",
    };
    let _ = write!(
        s,
        "{group} \"Root=1-{epoch:08x}-{}\" \"shop.example.com\" \"{CERT}\" {priority} {} \"forward\" \"-\" \"-\" ",
        &r.rid[..24],
        rfc3339(r.t0 - r.t0 % 1000, 0, 6),
    );
    match a {
        Some(a) => {
            let _ = write!(
                s,
                "\"{}\" \"{}\" \"-\" \"-\"",
                stack.backends[a.backend].addr, target_status
            );
        }
        None => s.push_str("\"-\" \"-\" \"-\" \"-\""),
    }
    s
}

/// Files as AWS names them, each covering `interval` µs for one node:
/// (relative path, text). Empty intervals write no file.
pub fn files(
    t: &Traffic,
    stack: &Stack,
    groups: &[String],
    interval: i64,
    seed: u64,
) -> Vec<(String, String)> {
    let mut rng = Rng::stream(seed, 70);
    let mut idx: Vec<usize> = (0..t.reqs.len()).collect();
    idx.sort_by_key(|&i| (t.reqs[i].t1, i));
    let mut out: Vec<(i64, usize, String)> = Vec::new();
    let mut current: [Option<(i64, usize)>; 2] = [None, None];
    for i in idx {
        let r = &t.reqs[i];
        let node = (r.node % 2) as usize;
        let slot = r.t1.div_euclid(interval) * interval + interval;
        let fi = match current[node] {
            Some((s, fi)) if s == slot => fi,
            _ => {
                out.push((slot, node, String::new()));
                current[node] = Some((slot, out.len() - 1));
                out.len() - 1
            }
        };
        let l = line(r, t, stack, groups, &mut rng);
        out[fi].2.push_str(&l);
        out[fi].2.push('\n');
    }
    out.sort_by_key(|(slot, node, _)| (*slot, *node));
    out.into_iter()
        .map(|(slot, node, text)| {
            let c = civil(slot, 0);
            let name = format!(
                "AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/{}/{:02}/{:02}/{ACCOUNT}_elasticloadbalancing_{REGION}_app.shop-alb.{LB_ID}_{}{:02}{:02}T{:02}{:02}Z_{}_{}.log",
                c.y, c.mo, c.d, c.y, c.mo, c.d, c.h, c.mi, NODES[node],
                &format!("{:016x}", crate::rng::fnv(format!("{slot}{node}{seed}").as_bytes()))[..8]
            );
            (name, text)
        })
        .collect()
}
