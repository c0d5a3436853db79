//! The kubelet's own log (klog: `I0309 08:37:42.123456    2291
//! file.go:line] "message" key=value ...`, no year) for a container that
//! crashes and is restarted with a growing back-off (CrashLoopBackOff).

use crate::clock::klog;
use crate::out::TextLog;
use crate::rng::fnv;

/// The pod being restarted.
pub struct Pod<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub container: &'a str,
    pub ip: &'a str,
}

fn uid(pod: &Pod) -> String {
    let h = format!(
        "{:016x}{:016x}",
        fnv(pod.name.as_bytes()),
        fnv(pod.ip.as_bytes())
    );
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn cid(pod: &Pod, n: usize) -> String {
    let a = format!("{:016x}", fnv(format!("{}{n}", pod.name).as_bytes()));
    let b = format!("{:016x}", fnv(format!("{n}{}", pod.name).as_bytes()));
    format!("{a}{b}{a}{b}")
}

const PID: u32 = 2291;

fn line(level: char, t: i64, file: &str, msg: &str) -> String {
    format!("{level}{} {:>7} {file}] {msg}", klog(t), PID)
}

/// A container death at `t` (exit code), the n-th: returns the tag-worthy
/// line first.
pub fn died(log: &mut TextLog, pod: &Pod, t: i64, n: usize, exit: i32, tag: Option<&str>) {
    let p = format!("{}/{}", pod.namespace, pod.name);
    let u = uid(pod);
    let first = line(
        'I',
        t,
        "generic.go:334",
        &format!("\"Generic (PLEG): container finished\" podID=\"{u}\" containerID=\"{}\" exitCode={exit}", cid(pod, n)),
    );
    match tag {
        Some(tag) => log.push_tagged(t, first, tag),
        None => {
            log.push(t, first);
        }
    }
    log.push(
        t + 3_000,
        line(
            'I',
            t + 3_000,
            "kubelet.go:2457",
            &format!("\"SyncLoop (PLEG): event for pod\" pod=\"{p}\" event={{\"ID\":\"{u}\",\"Type\":\"ContainerDied\",\"Data\":\"{}\"}}", cid(pod, n)),
        ),
    );
}

/// The back-off before the next start.
pub fn backoff(log: &mut TextLog, pod: &Pod, t: i64, secs: u32) {
    let p = format!("{}/{}", pod.namespace, pod.name);
    let u = uid(pod);
    log.push(
        t,
        line(
            'E',
            t,
            "pod_workers.go:1298",
            &format!("\"Error syncing pod, skipping\" err=\"failed to \\\"StartContainer\\\" for \\\"{}\\\" with CrashLoopBackOff: \\\"back-off {secs}s restarting failed container={} pod={}_{}({u})\\\"\" pod=\"{p}\" podUID=\"{u}\"", pod.container, pod.container, pod.name, pod.namespace),
        ),
    );
}

/// The container started again (the n-th start) at `t`.
pub fn started(log: &mut TextLog, pod: &Pod, t: i64, n: usize) {
    let p = format!("{}/{}", pod.namespace, pod.name);
    let u = uid(pod);
    log.push(
        t,
        line(
            'I',
            t,
            "kubelet.go:2457",
            &format!("\"SyncLoop (PLEG): event for pod\" pod=\"{p}\" event={{\"ID\":\"{u}\",\"Type\":\"ContainerStarted\",\"Data\":\"{}\"}}", cid(pod, n + 1)),
        ),
    );
}

/// A failed readiness probe (connection refused while the app is down).
pub fn probe_failed(log: &mut TextLog, pod: &Pod, t: i64) {
    let p = format!("{}/{}", pod.namespace, pod.name);
    log.push(
        t,
        line(
            'I',
            t,
            "prober.go:107",
            &format!("\"Probe failed\" probeType=\"Readiness\" pod=\"{p}\" podUID=\"{}\" containerName=\"{}\" probeResult=\"failure\" output=\"Get \\\"http://{}/healthz\\\": dial tcp {}: connect: connection refused\"", uid(pod), pod.container, pod.ip, pod.ip),
        ),
    );
}

/// Ready again.
pub fn ready(log: &mut TextLog, pod: &Pod, t: i64, tag: Option<&str>) {
    let p = format!("{}/{}", pod.namespace, pod.name);
    let text = line(
        'I',
        t,
        "kubelet.go:2530",
        &format!("\"SyncLoop (probe)\" probe=\"readiness\" status=\"ready\" pod=\"{p}\""),
    );
    match tag {
        Some(tag) => log.push_tagged(t, text, tag),
        None => {
            log.push(t, text);
        }
    }
}
