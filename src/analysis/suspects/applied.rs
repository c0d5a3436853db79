//! Which reload or restart carries out which change. A change (a deploy,
//! a config or weight change) is often followed by the mechanics that put
//! it into effect: `nginx -s reload`, `systemctl reload`, a SIGHUP, a
//! rolling restart of the deployment. Those are one cause, not several:
//! the change is the suspect and the reload its "applied at" evidence.
//!
//! The rule looks at what the two lines are about, never at their
//! wording: a reload or restart (a mechanical change,
//! [`super::is_mechanical`]) applies a substantive change made at most
//! [`APPLY_WINDOW_SECONDS`] before it when
//!
//! 1. both come from the same source, or from the same host (a folder or
//!    name part the inputs share, a `host` field), or
//! 2. the change names what the reload reloads: the unit, deployment,
//!    service or program in the reload's fields, or the software whose
//!    pattern caught it (`nginx` of `nginx.reload_signalled`), appears
//!    as a word of the change, or
//! 3. the change names a backend (a field or a word of it) that a request
//!    log on the reload's host, or in the reload's log's folder (a proxy
//!    writes its access and error logs side by side), routed requests to:
//!    the load balancer reloads to apply its new pool or weights.
//!
//! Only lines that are themselves a reload, restart or rollout step count
//! ([`is_reload`]); a line that is mechanics only by being next to a
//! change (a config test, a task header) is not "applied". Times are
//! compared to the second: logs that write whole seconds put a reload
//! in the same second "before" the change.

use std::collections::HashMap;

use crate::time::SEC;
use crate::timeline::Event;

/// A reload this soon after a change may carry it out (a rolling restart
/// takes minutes).
pub const APPLY_WINDOW_SECONDS: i64 = 600;
/// How much earlier than the change a reload may be logged: one log's
/// whole seconds against another's fractions.
const PRECISION_SECONDS: i64 = 1;

/// Words of a reload, restart or rollout step, in a pattern's id or in a
/// change log's own line.
const RELOAD_WORDS: &[&str] = &[
    "reload",
    "restart",
    "reconfigur",
    "reexec",
    "sighup",
    "new_worker",
    "rollout_waiting",
    "rollout_complete",
    "rolled out",
    "rolling",
];

/// Whether a change line is a reload, a restart or a rollout step (and so
/// may carry out a change), by the pattern that caught it or, for a
/// change log's own line, by its words.
pub fn is_reload(e: &Event) -> bool {
    let text = if e.origin == crate::event::Origin::ChangeSource {
        e.message.to_ascii_lowercase()
    } else {
        e.origin.id().to_ascii_lowercase()
    };
    RELOAD_WORDS.iter().any(|w| text.contains(w))
}

/// Fields that name what a line is about: the host it ran on, the service,
/// unit, deployment or program it concerns.
const SUBJECT_FIELDS: &[&str] = &[
    "host",
    "hostname",
    "service",
    "unit",
    "app",
    "application",
    "program",
    "deployment",
    "resource",
    "container",
    "daemonset",
    "statefulset",
];

/// Fields that hold a host.
const HOST_FIELDS: &[&str] = &["host", "hostname"];

/// Pattern namespaces (`patterns/*.toml`) that name a manager or a kind of
/// line, not the software being reloaded.
const GENERIC_NAMESPACES: &[&str] = &[
    "systemd",
    "k8s",
    "change",
    "deploy",
    "config",
    "app",
    "health",
    "crash",
    "alert",
    "net",
    "oom",
    "flag",
    "recovery",
    "http",
    "files",
    "disk",
    "connection",
    "circuit",
    "exception",
    "db",
];

/// What the linking looks at, once per incident.
pub struct Context<'a> {
    /// Each source's host names ([`crate::analysis::Analysis::hosts`]).
    pub hosts: &'a HashMap<String, Vec<String>>,
    /// Each backend's request logs ([`crate::analysis::Analysis::routes`]).
    pub routes: &'a HashMap<String, Vec<String>>,
}

/// A name as compared: lower case, the last path segment
/// (`deployment.apps/checkout` → `checkout`), without a systemd unit's
/// suffix (`nginx.service` → `nginx`) or quotes.
fn normalise(name: &str) -> String {
    let n = name
        .trim_matches(|c: char| c == '"' || c == '\'' || c == '`')
        .to_ascii_lowercase();
    let n = n.rsplit('/').next().unwrap_or(&n).to_string();
    for suffix in [".service", ".socket", ".target", ".timer", ".mount"] {
        if let Some(stem) = n.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    n
}

/// A name worth comparing: not a number, not a single letter.
fn meaningful(n: &str) -> bool {
    n.len() >= 2 && !n.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The words of a change: its message, title and field values, split on
/// what cannot be part of a name (`deployment/checkout` gives
/// `deployment`, `checkout` and the whole; `10.0.1.12:8080` stays one).
fn words(e: &Event) -> Vec<String> {
    let mut texts: Vec<&str> = vec![e.message.as_str()];
    texts.extend(e.title.as_deref());
    texts.extend(e.fields.values().map(String::as_str));
    let mut out: Vec<String> = Vec::new();
    for t in texts {
        for w in t.split(|c: char| !(c.is_alphanumeric() || "-_.:@/".contains(c))) {
            let w = w.trim_matches(|c: char| ".:-/".contains(c));
            if w.is_empty() {
                continue;
            }
            // The whole, its path segments, and a file's or unit's stem
            // (`haproxy.cfg` names `haproxy`).
            let stems = w
                .split('/')
                .filter_map(|p| p.split_once('.').map(|(s, _)| s));
            for part in std::iter::once(w).chain(w.split('/')).chain(stems) {
                let n = normalise(part);
                if meaningful(&n) && !out.contains(&n) {
                    out.push(n);
                }
            }
        }
    }
    out
}

/// What a reload reloads: its subject fields and the software whose
/// pattern caught it.
fn reloaded(e: &Event) -> Vec<String> {
    let mut out: Vec<String> = SUBJECT_FIELDS
        .iter()
        .filter(|k| !HOST_FIELDS.contains(k))
        .filter_map(|k| e.fields.get(*k))
        .map(|v| normalise(v))
        .filter(|n| meaningful(n))
        .collect();
    let id = e.origin.id();
    if let Some((ns, _)) = id.split_once('.') {
        let ns = ns.to_ascii_lowercase();
        if !GENERIC_NAMESPACES.contains(&ns.as_str()) && meaningful(&ns) {
            out.push(ns);
        }
    }
    out
}

/// The hosts of an event: its source's host names and its host fields.
fn hosts_of(ctx: &Context, e: &Event) -> Vec<String> {
    let mut out: Vec<String> = ctx.hosts.get(&e.source).cloned().unwrap_or_default();
    out.extend(
        HOST_FIELDS
            .iter()
            .filter_map(|k| e.fields.get(*k))
            .map(|v| normalise(v))
            .filter(|n| meaningful(n)),
    );
    out
}

/// Whether `reload` (a mechanical change) carries out `change` (a
/// substantive one), by the rule of this module's documentation; the
/// times are the ranking's (clock-corrected).
pub fn applies(
    ctx: &Context,
    reload: &Event,
    reload_at: i64,
    change: &Event,
    change_at: i64,
) -> bool {
    let window = -PRECISION_SECONDS * SEC..=APPLY_WINDOW_SECONDS * SEC;
    if !window.contains(&(reload_at - change_at)) {
        return false;
    }
    if reload.source == change.source {
        return true;
    }
    let reload_hosts = hosts_of(ctx, reload);
    let change_hosts = hosts_of(ctx, change);
    if reload_hosts.iter().any(|h| change_hosts.contains(h)) {
        return true;
    }
    let said = words(change);
    if reloaded(reload).iter().any(|n| said.contains(n)) {
        return true;
    }
    // A backend the change names, routed by a request log on the
    // reload's host or beside the reload's log.
    let beside = |log: &str| folder(log).is_some() && folder(log) == folder(&reload.source);
    ctx.routes.iter().any(|(backend, logs)| {
        said.contains(&normalise(backend))
            && logs.iter().any(|log| {
                log == &reload.source
                    || beside(log)
                    || ctx
                        .hosts
                        .get(log)
                        .is_some_and(|h| h.iter().any(|x| reload_hosts.contains(x)))
            })
    })
}

/// The folder an input is in (`nginx` of `nginx/error.log`, the archive
/// and folder of a member), `None` at the top.
fn folder(path: &str) -> Option<&str> {
    path.rsplit_once(['/', ':']).map(|(dir, _)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use crate::time::SEC;

    fn ev(source: &str, pattern: &str, message: &str, fields: &[(&str, &str)]) -> Event {
        let mut e = crate::analysis::suspects::tests::event(0, EventKind::Change, pattern, message);
        e.source = source.to_string();
        e.fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        e
    }

    #[test]
    fn names_are_compared_without_their_decoration() {
        assert_eq!(normalise("nginx.service"), "nginx");
        assert_eq!(normalise("deployment.apps/checkout"), "checkout");
        assert_eq!(normalise("\"Checkout\""), "checkout");
        let e = ev(
            "d.log",
            "x.y",
            "kubectl set image deployment/checkout app=v2",
            &[],
        );
        let w = words(&e);
        assert!(w.contains(&"checkout".to_string()), "{w:?}");
        assert!(w.contains(&"kubectl".to_string()));
    }

    #[test]
    fn the_rule_needs_a_shared_subject_and_the_order() {
        let hosts: HashMap<String, Vec<String>> = [
            ("lb/access.log".to_string(), vec!["lb".to_string()]),
            ("lb/error.log".to_string(), vec!["lb".to_string()]),
        ]
        .into_iter()
        .collect();
        let routes: HashMap<String, Vec<String>> = [(
            "10.0.1.12:8080".to_string(),
            vec!["lb/access.log".to_string()],
        )]
        .into_iter()
        .collect();
        let none = HashMap::new();
        let ctx = Context {
            hosts: &hosts,
            routes: &routes,
        };
        let weight = ev(
            "deploy.log",
            "lb.weight_set",
            "set weight=10",
            &[("target", "10.0.1.12:8080")],
        );
        let reload = ev(
            "lb/error.log",
            "nginx.reload_signalled",
            "signal process started",
            &[],
        );
        // Rule 3: the backend is routed by the reload's host.
        assert!(applies(&ctx, &reload, 3 * SEC, &weight, 0));
        // Never before the change (but within its second), never long after.
        assert!(applies(&ctx, &reload, -SEC / 2, &weight, 0));
        assert!(!applies(&ctx, &reload, -2 * SEC, &weight, 0));
        assert!(!applies(&ctx, &reload, 3600 * SEC, &weight, 0));
        // Without the route, nothing links them.
        let bare = Context {
            hosts: &none,
            routes: &none,
        };
        assert!(!applies(&bare, &reload, 3 * SEC, &weight, 0));
        // Rule 2: the change names the reloaded unit or software.
        let cmd = ev(
            "ops.log",
            "ops.command",
            "ran: systemctl reload haproxy",
            &[],
        );
        let systemd = ev(
            "syslog",
            "systemd.reloaded",
            "Reloaded haproxy.service.",
            &[("unit", "haproxy.service")],
        );
        assert!(applies(&bare, &systemd, 5 * SEC, &cmd, 0));
        let haproxy = ev("haproxy.log", "haproxy.reloading", "Reloading HAProxy", &[]);
        assert!(applies(&bare, &haproxy, 5 * SEC, &cmd, 0));
        let other = ev(
            "syslog",
            "systemd.reloaded",
            "Reloaded cron.service.",
            &[("unit", "cron.service")],
        );
        assert!(!applies(&bare, &other, 5 * SEC, &cmd, 0));
        // Rule 1: the same host field.
        let a = ev(
            "app.log",
            "config.changed",
            "config updated",
            &[("host", "web-3")],
        );
        let b = ev("sys.log", "app.restart", "restarting", &[("host", "web-3")]);
        assert!(applies(&bare, &b, 5 * SEC, &a, 0));
    }
}
