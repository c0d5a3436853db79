//! Operations logs: a Python deploy tool, Ansible's `log_path`, Terraform
//! `-json`, and RFC 3164 syslog from systemd, the kernel and friends.

use serde_json::{Map, Value};

use crate::clock::{comma_ms, rfc3339, syslog};

/// `%(asctime)s %(levelname)s %(name)s: %(message)s`
pub fn pylog(t: i64, offset: i32, level: &str, name: &str, msg: &str) -> String {
    format!("{} {level} {name}: {msg}", comma_ms(t, offset))
}

/// RFC 3164 file line: `Mar  9 08:36:17 host tag: msg`.
pub fn sys(t: i64, offset: i32, host: &str, tag: &str, msg: &str) -> String {
    format!("{} {host} {tag}: {msg}", syslog(t, offset))
}

/// Ansible `log_path` line.
pub fn ansible(t: i64, offset: i32, pid: u32, msg: &str) -> String {
    format!("{} p={pid} u=deploy n=ansible | {msg}", comma_ms(t, offset))
}

/// An Ansible banner (`TASK [x] ****...`) padded to 80 columns.
pub fn banner(text: &str) -> String {
    let stars = 80usize.saturating_sub(text.len() + 1).max(3);
    format!("{text} {}", "*".repeat(stars))
}

/// An Ansible PLAY RECAP host line, padded as Ansible pads it
/// (`%-26s` host, `name=%-4s` counters).
pub fn recap(host: &str, ok: u32, changed: u32, unreachable: u32, failed: u32) -> String {
    format!(
        "{host:<26} : ok={ok:<4} changed={changed:<4} unreachable={unreachable:<4} failed={failed:<4} skipped={:<4} rescued={:<4} ignored={:<4}",
        0, 0, 0
    )
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

/// The resource object of Terraform's machine-readable UI.
fn resource(addr: &str) -> Value {
    let (ty, name) = addr.split_once('.').unwrap_or((addr, ""));
    obj(vec![
        ("addr", addr.into()),
        ("module", "".into()),
        ("resource", addr.into()),
        ("implied_provider", "aws".into()),
        ("resource_type", ty.into()),
        ("resource_name", name.into()),
        ("resource_key", Value::Null),
    ])
}

/// Terraform `-json` UI messages.
pub enum Tf<'a> {
    Version,
    Planned {
        addr: &'a str,
        action: &'a str,
    },
    PlanSummary {
        add: u32,
        change: u32,
        remove: u32,
    },
    ApplyStart {
        addr: &'a str,
        id: &'a str,
    },
    ApplyComplete {
        addr: &'a str,
        id: &'a str,
        secs: u32,
    },
    ApplySummary {
        add: u32,
        change: u32,
        remove: u32,
    },
}

/// One Terraform `-json` line.
pub fn terraform(t: i64, offset: i32, msg: Tf) -> String {
    let ts = rfc3339(t, offset, 6);
    let head = |m: String| -> Vec<(&str, Value)> {
        vec![
            ("@level", "info".into()),
            ("@message", m.into()),
            ("@module", "terraform.ui".into()),
            ("@timestamp", ts.clone().into()),
        ]
    };
    let mut v = match msg {
        Tf::Version => {
            let mut h = head("Terraform 1.7.3".into());
            h.push(("terraform", "1.7.3".into()));
            h.push(("type", "version".into()));
            h.push(("ui", "1.2".into()));
            h
        }
        Tf::Planned { addr, action } => {
            let verb = match action {
                "update" => "Plan to update",
                "create" => "Plan to create",
                _ => "Plan to delete",
            };
            let mut h = head(format!("{addr}: {verb}"));
            h.push((
                "change",
                obj(vec![
                    ("resource", resource(addr)),
                    ("action", action.into()),
                ]),
            ));
            h.push(("type", "planned_change".into()));
            h
        }
        Tf::PlanSummary {
            add,
            change,
            remove,
        } => {
            let mut h = head(format!(
                "Plan: {add} to add, {change} to change, {remove} to destroy."
            ));
            h.push((
                "changes",
                obj(vec![
                    ("add", add.into()),
                    ("change", change.into()),
                    ("import", 0.into()),
                    ("remove", remove.into()),
                    ("operation", "plan".into()),
                ]),
            ));
            h.push(("type", "change_summary".into()));
            h
        }
        Tf::ApplyStart { addr, id } => {
            let mut h = head(format!("{addr}: Modifying... [id={id}]"));
            h.push((
                "hook",
                obj(vec![
                    ("resource", resource(addr)),
                    ("action", "update".into()),
                    ("id_key", "id".into()),
                    ("id_value", id.into()),
                ]),
            ));
            h.push(("type", "apply_start".into()));
            h
        }
        Tf::ApplyComplete { addr, id, secs } => {
            let mut h = head(format!(
                "{addr}: Modifications complete after {secs}s [id={id}]"
            ));
            h.push((
                "hook",
                obj(vec![
                    ("resource", resource(addr)),
                    ("action", "update".into()),
                    ("id_key", "id".into()),
                    ("id_value", id.into()),
                    ("elapsed_seconds", secs.into()),
                ]),
            ));
            h.push(("type", "apply_complete".into()));
            h
        }
        Tf::ApplySummary {
            add,
            change,
            remove,
        } => {
            let mut h = head(format!(
                "Apply complete! Resources: {add} added, {change} changed, {remove} destroyed."
            ));
            h.push((
                "changes",
                obj(vec![
                    ("add", add.into()),
                    ("change", change.into()),
                    ("import", 0.into()),
                    ("remove", remove.into()),
                    ("operation", "apply".into()),
                ]),
            ));
            h.push(("type", "change_summary".into()));
            h
        }
    };
    obj(std::mem::take(&mut v)).to_string()
}
