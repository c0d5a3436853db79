//! Turns the simulated traffic into application log events per instance:
//! per-request lines (sampled), errors for the requests that failed inside
//! the app, pool statistics that show saturation, and the everyday noise of
//! a service (slow queries, reconnects, failed e-mails) so that "new error"
//! detection has a baseline.

use crate::applog::{after, render, Ev, Instance};
use crate::clock::{MIN, SEC};
use crate::out::TextLog;
use crate::rng::Rng;
use crate::traffic::{Fail, Plan, Traffic};

/// How chatty the applications are.
pub struct AppCfg {
    /// Share of successful requests that get a "request completed" line.
    pub request_sample: f64,
    /// Share of timed-out requests for which the app logs a pool error.
    pub pool_error_sample: f64,
    /// What the app logs for a planted failure it answered itself (500),
    /// instead of its usual panic/exception; `None`: the usual.
    pub planted_error: Option<Ev>,
}

/// A scenario-specific line (startup, crash, ...), optionally tagged so
/// the truth can cite it.
pub struct Extra {
    pub backend: usize,
    pub t: i64,
    pub ev: Ev,
    pub tag: Option<String>,
}

/// Builds one log per instance; `insts[i]` is backend `i`'s instance, or
/// `None` when that backend never runs (an offline server).
pub fn app_logs(
    traffic: &Traffic,
    plan: &Plan,
    insts: &[Option<Instance>],
    cfg: &AppCfg,
    extras: Vec<Extra>,
    seed: u64,
) -> Vec<Option<TextLog>> {
    let mut rng = Rng::stream(seed, 40);
    let mut logs: Vec<Option<TextLog>> = insts
        .iter()
        .map(|i| i.as_ref().map(|_| TextLog::new()))
        .collect();
    let minutes = ((plan.end - plan.start) / MIN + 1) as usize;
    // Per backend and minute: requests, failed inside the backend, busy µs.
    let mut load = vec![vec![(0u32, 0u32, 0i64); minutes]; insts.len()];
    let mut down: Vec<Vec<bool>> = vec![vec![false; minutes]; insts.len()];

    for r in &traffic.reqs {
        let mut t = r.t0;
        for a in &r.attempts {
            let b = a.backend;
            let m = ((t - plan.start).max(0) / MIN) as usize;
            if let Some(cell) = load[b].get_mut(m.min(minutes - 1)) {
                cell.0 += 1;
                cell.2 += a.us;
                if matches!(a.fail, Fail::Timeout | Fail::Closed) {
                    cell.1 += 1;
                }
            }
            if a.fail == Fail::Refused {
                if let Some(d) = down[b].get_mut(m.min(minutes - 1)) {
                    *d = true;
                }
            }
            let (Some(inst), Some(log)) = (&insts[b], logs[b].as_mut()) else {
                t += a.us;
                continue;
            };
            let route = r.route();
            match a.fail {
                Fail::None if rng.chance(cfg.request_sample) => {
                    let status = a.status.unwrap_or(200);
                    log.push(
                        after(t, a.us),
                        render(
                            inst,
                            after(t, a.us),
                            &Ev::Request {
                                method: route.method,
                                path: r.path.clone(),
                                status,
                                us: a.us,
                                rid: r.rid.clone(),
                            },
                        ),
                    );
                }
                Fail::None if a.us > 2 * SEC && rng.chance(0.5) => {
                    let at = after(t, a.us);
                    log.push(
                        at,
                        render(
                            inst,
                            at,
                            &Ev::Slow {
                                method: route.method,
                                path: r.path.clone(),
                                us: a.us,
                                rid: r.rid.clone(),
                            },
                        ),
                    );
                }
                Fail::App => {
                    let at = after(t, a.us);
                    let ev = match (&cfg.planted_error, r.planted) {
                        (Some(ev), Some(_)) => ev.clone(),
                        _ => Ev::AppError {
                            method: route.method,
                            path: r.path.clone(),
                            rid: r.rid.clone(),
                        },
                    };
                    log.push(at, render(inst, at, &ev));
                }
                Fail::Timeout | Fail::Closed if rng.chance(cfg.pool_error_sample) => {
                    let at = t + 5 * SEC + rng.range(0, 20_000);
                    log.push(
                        at,
                        render(
                            inst,
                            at,
                            &Ev::PoolTimeout {
                                method: route.method,
                                path: r.path.clone(),
                                rid: r.rid.clone(),
                            },
                        ),
                    );
                }
                _ => {}
            }
            t += a.us;
        }
    }

    for (b, inst) in insts.iter().enumerate() {
        let (Some(inst), Some(log)) = (inst, logs[b].as_mut()) else {
            continue;
        };
        let phase = rng.range(0, 60) * SEC + rng.range(0, 1000) * 1000;
        // Pool statistics once a minute: saturation shows as waiters.
        for m in 0..minutes {
            if down[b][m] {
                continue;
            }
            let (n, bad, busy) = load[b][m];
            let t = plan.start + m as i64 * MIN + phase;
            if t >= plan.end {
                break;
            }
            let conc = (busy as f64 / MIN as f64 * 1.4).ceil() as u32 + rng.below(3) as u32;
            let saturated = bad > 0 && bad * 10 >= n.max(1);
            let (active, waiting) = if saturated {
                (40, 20 + bad * 2 + rng.below(30) as u32)
            } else {
                (conc.min(40), 0)
            };
            let idle = 40u32.saturating_sub(active).min(12);
            log.push(
                t,
                render(
                    inst,
                    t,
                    &Ev::PoolStats {
                        active,
                        idle,
                        waiting,
                    },
                ),
            );
            if saturated && rng.chance(0.8) {
                for _ in 0..1 + rng.below(3) {
                    let at = t + rng.range(0, MIN);
                    let value = 300 + rng.below(4000) as u32;
                    log.push(at, render(inst, at, &Ev::Pressure { value }));
                }
            }
            if m % 5 == 2 {
                let at = t + 17 * SEC;
                let ev = Ev::CacheRefresh {
                    items: 48_000 + rng.below(900) as u32,
                    ms: 180 + rng.below(140) as u32,
                };
                log.push(at, render(inst, at, &ev));
            }
        }
        // Everyday noise, a few per hour.
        let hours = (plan.end - plan.start) as f64 / (3600.0 * SEC as f64);
        let mut noise = |rate_per_hour: f64, make: &dyn Fn(&mut Rng) -> Ev| {
            let n = rng.poisson(rate_per_hour * hours);
            for _ in 0..n {
                let at = rng.range(plan.start, plan.end);
                let m = ((at - plan.start) / MIN) as usize;
                if down[b].get(m).copied().unwrap_or(false) {
                    continue;
                }
                let ev = make(&mut rng);
                log.push(at, render(inst, at, &ev));
            }
        };
        noise(3.0, &|r| Ev::SlowQuery {
            ms: 600 + r.below(2400) as u32,
            which: r.index(3),
        });
        noise(0.5, &|_| Ev::RedisReconnect);
        noise(0.35, &|r| Ev::MailFailed {
            order: 700_000 + r.below(90_000) as u32,
        });
        noise(1.2, &|r| Ev::PaymentRetry {
            order: 700_000 + r.below(90_000) as u32,
        });
    }

    for x in extras {
        if let (Some(inst), Some(log)) = (&insts[x.backend], logs[x.backend].as_mut()) {
            let text = render(inst, x.t, &x.ev);
            match x.tag {
                Some(tag) => log.push_tagged(x.t, text, &tag),
                None => {
                    log.push(x.t, text);
                }
            }
        }
    }
    logs
}
