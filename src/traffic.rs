//! Which inputs are the service's request traffic. Decided once, here,
//! over all inputs; detection, impact, the second read, clock-skew
//! estimates and the report all take this decision instead of making
//! their own.
//!
//! The requests users saw are those of the front of the service (load
//! balancers, proxies, web servers). An application that also logs each
//! request it served would count the same traffic twice, and never sees
//! what the load balancer failed itself; so application request lines
//! count only when there is no front log. Among files that are not front
//! logs, those that are mostly request lines (JSON or logfmt access logs,
//! Heroku's router) are preferred to application logs that log a request
//! now and then.

use crate::format::{LogFormat, Role};
use crate::scan::FileResult;

/// What the request counts are based on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// Load balancer, proxy or web server access logs.
    Front,
    /// Files that are (nearly) all request lines, in a general format
    /// (JSON or logfmt access logs).
    AccessLogs,
    /// Request lines of application logs: there is nothing better.
    ApplicationRequests,
    /// No input logs requests.
    None,
}

/// The decision: which inputs' requests count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traffic {
    pub basis: Basis,
    /// Per input, in input order.
    counts: Vec<bool>,
}

impl Traffic {
    /// Decides over the scan results (in input order).
    pub fn decide(results: &[FileResult]) -> Traffic {
        let front: Vec<bool> = results.iter().map(is_front).collect();
        if front.iter().any(|&f| f) {
            return Traffic {
                basis: Basis::Front,
                counts: front,
            };
        }
        let access: Vec<bool> = results.iter().map(is_access_log).collect();
        if access.iter().any(|&a| a) {
            return Traffic {
                basis: Basis::AccessLogs,
                counts: access,
            };
        }
        let any: Vec<bool> = results
            .iter()
            .map(|r| r.partial.stats.requests > 0)
            .collect();
        let basis = if any.iter().any(|&a| a) {
            Basis::ApplicationRequests
        } else {
            Basis::None
        };
        Traffic { basis, counts: any }
    }

    /// Whether input `i`'s requests count.
    pub fn counts(&self, i: usize) -> bool {
        self.counts.get(i).copied().unwrap_or(false)
    }

    /// Whether any input's requests count.
    pub fn any(&self) -> bool {
        self.basis != Basis::None
    }

    /// Whether the requests come from logs written for requests (front or
    /// access logs), so error-ratio detection alone is trusted.
    pub fn from_request_logs(&self) -> bool {
        matches!(self.basis, Basis::Front | Basis::AccessLogs)
    }
}

/// Requests read by a front format (load balancers, proxies, web servers).
fn is_front(r: &FileResult) -> bool {
    r.partial.stats.requests > 0 && r.format.is_some_and(|f| f.request_role() == Role::Front)
}

/// A file that is (nearly) all request lines.
fn is_access_log(r: &FileResult) -> bool {
    let s = &r.partial.stats;
    // At least nine in ten of its records.
    s.requests > 0 && s.requests * 10 >= s.first_lines() * 9
}

/// The formats whose requests are front traffic (for documentation and tests).
pub fn front_formats() -> Vec<&'static str> {
    crate::format::registry()
        .iter()
        .filter(|f| f.request_role() == Role::Front)
        .map(|f: &&'static dyn LogFormat| f.name())
        .collect()
}
