//! Caddy's JSON logs: its access log and its runtime log, often in the same
//! stream (Caddy writes both to stderr by default).
//!
//! ```text
//! {"level":"info","ts":1726651920.3685553,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"x.x.x.x","client_ip":"x.x.x.x","method":"GET","host":"foo.tld","uri":"/"},"duration":0.003550188,"status":200}
//! {"level":"error","ts":1773362148.3371034,"logger":"http.log.error","msg":"dial tcp 172.18.0.16:9000: connect: connection refused","request":{...},"duration":0.033341486,"status":502}
//! ```
//!
//! - Access entries (`logger` `http.log.access…`) are requests: `ts` is
//!   epoch seconds (or a text time with another `time_format`), `duration`
//!   seconds (or a duration string), the client `request.client_ip` (the
//!   real client when `trusted_proxies` is set) else `request.remote_ip`.
//!   Caddy does not log the upstream, so there is no backend.
//! - Everything else is a message, including `http.log.error` entries:
//!   they describe a request the access log already counts (with the same
//!   502), so counting them too would double the failures. Their client and
//!   host become fields. Other runtime lines are read by the JSON reader the
//!   registry hands this format, as any zap line, but never as requests (a
//!   `reverse_proxy` debug line carries a status and a request too).
//!
//! A line is Caddy's when its `logger` is one of Caddy's (`http…`, `tls…`,
//! `admin…`, `pki…`, `events`…), or when, without a logger, it is one of
//! the lines Caddy writes when it starts, reloads or stops (`using provided
//! configuration`, `serving initial configuration`, `shutdown complete`,
//! …): any other zap program writes logger-less lines too. Lines with a
//! `caller` are another zap program's.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::format::lex::json_object::value_time;
use crate::format::lex::{ip_of, trim_ascii, unit_duration_ms, Fields};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed, Request};
use crate::time::TimeCtx;

/// Caddy's JSON access and runtime logs.
pub struct Caddy {
    /// Reads the runtime lines (the JSON lines reader).
    runtime: &'static dyn LogFormat,
}

impl Caddy {
    pub const fn new(runtime: &'static dyn LogFormat) -> Caddy {
        Caddy { runtime }
    }
}

impl LogFormat for Caddy {
    fn name(&self) -> &'static str {
        "caddy"
    }

    fn description(&self) -> &'static str {
        "Caddy JSON logs (access entries are requests, runtime entries messages)"
    }

    fn role(&self) -> Role {
        Role::Front
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        self.read(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

/// The keys of a Caddy entry this reader uses; the rest (headers, TLS
/// details) are skipped unbuilt.
#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    logger: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<Value>,
    #[serde(borrow, default)]
    level: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    msg: Option<Cow<'a, str>>,
    #[serde(default)]
    caller: Option<serde::de::IgnoredAny>,
    #[serde(borrow, default)]
    request: Option<Req<'a>>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    duration: Option<Value>,
}

#[derive(Deserialize)]
struct Req<'a> {
    #[serde(borrow, default)]
    remote_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    client_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    uri: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    host: Option<Cow<'a, str>>,
}

impl Req<'_> {
    /// The client: `client_ip`, else `remote_ip`, without a port.
    fn client(&self) -> Option<String> {
        let ip = self
            .client_ip
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(self.remote_ip.as_deref())?;
        let host = ip_of(ip.as_bytes()).map_or(ip.as_bytes(), |(h, _)| h);
        std::str::from_utf8(host).ok().map(str::to_string)
    }
}

/// Namespaces of Caddy's own loggers.
fn is_caddy_logger(logger: &str) -> bool {
    let first = logger.split('.').next().unwrap_or(logger);
    matches!(
        first,
        "http" | "tls" | "admin" | "pki" | "events" | "caddy" | "layer4" | "watcher" | "storage"
    )
}

/// What Caddy itself says, with no logger, when it starts, reloads and
/// stops (a zap line without a logger is anyone's otherwise).
fn is_caddy_message(msg: &str) -> bool {
    const OWN: &[&str] = &[
        "using provided configuration",
        "using adjacent Caddyfile",
        "using config from file",
        "adapted config to JSON",
        "redirected default logger",
        "serving initial configuration",
        "autosaved config",
        "shutting down apps",
        "shutdown complete",
        "maxprocs:",
        "GOMEMLIMIT",
        "Caddyfile input is not formatted",
        "config is unchanged",
        "load complete",
        "stopped previous server",
        "SIGTERM:",
        "SIGINT:",
        "SIGQUIT:",
        "exiting",
    ];
    OWN.iter().any(|p| msg.starts_with(p))
}

impl Caddy {
    fn read<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
        let body = trim_ascii(line);
        if body.first() != Some(&b'{') || body.last() != Some(&b'}') {
            return None;
        }
        let entry: Entry<'a> = serde_json::from_slice(body).ok()?;
        if entry.caller.is_some() {
            return None;
        }
        let ts = entry.ts.as_ref()?;
        match entry.logger.as_deref() {
            Some(l) if is_caddy_logger(l) => {}
            Some(_) => return None,
            // Caddy's start-up and shut-down lines have no logger.
            None => {
                let own = entry.msg.as_deref().is_some_and(is_caddy_message);
                if !(ts.is_f64() && entry.level.is_some() && own) {
                    return None;
                }
            }
        }
        let at = value_time(ts, ctx)?;
        let logger = entry.logger.as_deref().unwrap_or("");
        if logger.starts_with("http.log.access") {
            if let Some(request) = access(&entry, ctx.details) {
                return Some(Parsed::Request { at, request });
            }
        }
        if logger.starts_with("http.log.error") {
            return Some(Parsed::Message {
                at,
                message: error_entry(entry),
            });
        }
        match self.runtime.parse(line, ctx) {
            // Runtime lines are never requests.
            Parsed::Request { .. } => Some(Parsed::Message {
                at,
                message: Message {
                    level: entry.level.as_deref().and_then(Level::from_word),
                    text: Cow::Owned(entry.msg.as_deref().unwrap_or("").to_string()),
                    fields: vec![(Cow::Borrowed("logger"), Cow::Owned(logger.to_string()))],
                },
            }),
            Parsed::Unparsed => None,
            other => Some(other),
        }
    }
}

/// An access entry's request; `None` without a status.
fn access<'a>(entry: &Entry<'a>, details: bool) -> Option<Request<'a>> {
    let status = match entry.status.as_ref()? {
        Value::Number(n) => u16::try_from(n.as_u64()?).ok()?,
        _ => return None,
    };
    if status != 0 && !(100..=599).contains(&status) {
        return None;
    }
    let req = entry.request.as_ref();
    let (method, path) = match (req, details) {
        (Some(r), true) => (r.method.clone(), r.uri.clone()),
        _ => (None, None),
    };
    Some(Request {
        status,
        failed: status >= 500,
        backend: None,
        client: req.and_then(Req::client).map(Cow::Owned),
        latency_ms: entry.duration.as_ref().and_then(duration_ms),
        method,
        path,
    })
}

/// `duration` in ms: seconds as a float (Caddy's default), a duration
/// string (`duration_format string`), or whole nanoseconds (`nano`).
fn duration_ms(v: &Value) -> Option<f64> {
    let ms = match v {
        Value::Number(n) if n.is_f64() => n.as_f64()? * 1e3,
        Value::Number(n) => {
            let whole = n.as_u64()? as f64;
            // A whole number of seconds under 1000, else nanoseconds.
            if whole < 1000.0 {
                whole * 1e3
            } else {
                whole / 1e6
            }
        }
        Value::String(s) => unit_duration_ms(s)?,
        _ => return None,
    };
    (ms.is_finite() && ms >= 0.0).then_some(ms)
}

/// An `http.log.error` entry as a message: its text, level, and the
/// request's client and host.
fn error_entry<'a>(entry: Entry<'a>) -> Message<'a> {
    let mut fields: Fields<'a> = Vec::new();
    if let Some(l) = entry.logger.clone() {
        fields.push((Cow::Borrowed("logger"), l));
    }
    if let Some(Value::Number(n)) = &entry.status {
        fields.push((Cow::Borrowed("status"), Cow::Owned(n.to_string())));
    }
    if let Some(r) = &entry.request {
        if let Some(c) = r.client() {
            fields.push((Cow::Borrowed("client"), Cow::Owned(c)));
        }
        if let Some(h) = r.host.clone() {
            fields.push((Cow::Borrowed("host"), h));
        }
    }
    Message {
        level: entry.level.as_deref().and_then(Level::from_word),
        text: entry.msg.unwrap_or(Cow::Borrowed("")),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::testkit::{
        check, each, format, message, mutated_line, random_bytes, request, unparsed,
    };
    use proptest::prelude::*;

    fn caddy() -> &'static dyn LogFormat {
        format("caddy")
    }

    /// Access entries: xsteadfastx/caddy-log-exporter's server test, and
    /// one with `client_ip` behind a trusted proxy (an access-log parser's
    /// test, rforced/ostiole `internal/requestlog`).
    const ACCESS: &[&str] = &[
        r#"{"level":"info","ts":1726651920.3685553,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"x.x.x.x","remote_port":"50440","client_ip":"x.x.x.x","proto":"HTTP/2.0","method":"GET","host":"foo.tld","uri":"/prometheus/cadvisor/src/commit/09f63dbfd2b38e76c204c8809fb4c2d1c9ad5879/vendor/github.com/golang/snappy/decode.go","headers":{"User-Agent":["facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"],"Accept":["*/*"]},"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"git.xsfx.dev"}},"bytes_read":0,"user_id":"","duration":0.003550188,"size":0,"status":200,"resp_headers":{"Server":["Caddy"],"Alt-Svc":["h3=\":443\"; ma=2592000"],"Content-Length":[""]}}"#,
        r#"{"level":"info","ts":1790480447.622,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"10.0.0.2","remote_port":"51234","client_ip":"203.0.113.9","proto":"HTTP/2.0","method":"GET","host":"vault.example.com","uri":"/notifications/hub"},"bytes_read":0,"user_id":"","duration":0.0123,"size":512,"status":101,"site":"vault","user_agent":"Bitwarden_Mobile/2026.9"}"#,
    ];

    /// Runtime lines from hoppscotch/hoppscotch#4575 (Caddy's start-up in
    /// Docker), and an `http.log.error` entry from a deployment report.
    const RUNTIME: &[&str] = &[
        r#"{"level":"info","ts":1732867793.0984097,"msg":"using provided configuration","config_file":"/etc/caddy/aio-subpath-access.Caddyfile","config_adapter":"caddyfile"}"#,
        r#"{"level":"warn","ts":1732867793.1013062,"logger":"admin","msg":"admin endpoint disabled"}"#,
        r#"{"level":"info","ts":1732867793.1015842,"logger":"tls.cache.maintenance","msg":"started background certificate maintenance","cache":"0xc0001dce80"}"#,
        r#"{"level":"warn","ts":1732867793.1026757,"logger":"tls","msg":"unable to get instance ID; storage clean stamps will be incomplete","error":"open /root/.local/share/caddy/instance.uuid: no such file or directory"}"#,
        r#"{"level":"error","ts":1773362148.3371034,"logger":"http.log.error","msg":"dial tcp 172.18.0.16:9000: connect: connection refused","request":{"remote_ip":"195.221.56.3","remote_port":"35764","client_ip":"195.221.56.3","proto":"HTTP/1.1","method":"GET","host":"auth.ai.datasquiz.net","uri":"/","headers":{"User-Agent":["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"],"Accept":["*/*"],"Accept-Encoding":["gzip","deflate"]},"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"http/1.1","server_name":"auth.ai.datasquiz.net","ech":false}},"duration":0.033341486,"status":502,"err_id":"4fw6nwdfr","err_trace":"reverseproxy.statusError (reverseproxy.go:1525)"}"#,
    ];

    #[test]
    fn access_entries_are_requests() {
        check(
            caddy(),
            &[
                (
                    ACCESS[0],
                    request()
                        .at("2024-09-18T09:32:00.368555Z")
                        .status(200)
                        .failed(false)
                        .client("x.x.x.x")
                        .backend(None)
                        .latency_near(3.550188)
                        .method("GET"),
                ),
                (
                    ACCESS[1],
                    request()
                        .status(101)
                        .client("203.0.113.9")
                        .path("/notifications/hub"),
                ),
                (
                    r#"{"level":"error","ts":1772500516.21,"logger":"http.log.access","msg":"handled request","request":{"method":"GET","uri":"/api/events.mux"},"status":502,"duration":0.000203}"#,
                    request().status(502).failed(true).client(None),
                ),
                (
                    r#"{"level":"info","ts":"2024-09-18T09:32:00.368Z","logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"[2001:db8::1]:51000"},"duration":"1.5ms","status":200}"#,
                    request().latency(1.5).client("2001:db8::1"),
                ),
            ],
        );
    }

    #[test]
    fn runtime_entries_are_messages() {
        check(
            caddy(),
            &[
                (
                    RUNTIME[0],
                    message()
                        .at("2024-11-29T08:09:53.098410Z")
                        .level(Level::Info)
                        .text("using provided configuration"),
                ),
                (
                    RUNTIME[1],
                    message().level(Level::Warn).text("admin endpoint disabled"),
                ),
                (RUNTIME[2], message().level(Level::Info)),
                (
                    RUNTIME[3],
                    message().level(Level::Warn).field(
                        "error",
                        "open /root/.local/share/caddy/instance.uuid: no such file or directory",
                    ),
                ),
                // The failed request is in the access log already.
                (
                    RUNTIME[4],
                    message()
                        .level(Level::Error)
                        .text("dial tcp 172.18.0.16:9000: connect: connection refused")
                        .field("client", "195.221.56.3")
                        .field("host", "auth.ai.datasquiz.net")
                        .field("status", "502"),
                ),
                // A reverse_proxy debug line carries a status: still a message.
                (
                    r#"{"level":"debug","ts":1646861401.5241024,"logger":"http.handlers.reverse_proxy","msg":"upstream roundtrip","upstream":"localhost:8080","duration":0.001,"request":{"remote_ip":"127.0.0.1","method":"GET","uri":"/"},"status":200}"#,
                    message().level(Level::Debug).text("upstream roundtrip"),
                ),
            ],
        );
    }

    #[test]
    fn other_zap_programs_are_not_caddy() {
        check(
            caddy(),
            &each(
                [
                    r#"{"level":"info","ts":1709973000.5,"msg":"request completed","path":"/api/orders","method":"GET","status":200}"#,
                    r#"{"level":"info","ts":1649944125.9843705,"caller":"zpagesextension/zpagesextension.go:53","msg":"Starting zPages extension","kind":"extension","name":"zpages"}"#,
                    r#"{"level":"info","ts":1649944125.98,"logger":"grpc","msg":"serving"}"#,
                    r#"{"level":"info","time":"2024-03-15T10:00:00Z","msg":"hello"}"#,
                    r#"{"ts":1649944125.98,"logger":"http.log.access","status":200"#,
                    r#"not json"#,
                ],
                unparsed(),
            ),
        );
    }

    #[test]
    fn detected_as_caddy_over_json() {
        let lines: Vec<&[u8]> = RUNTIME.iter().chain(ACCESS).map(|l| l.as_bytes()).collect();
        let got = crate::format::detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(got, Some("caddy"));
    }

    proptest! {
        #[test]
        fn mutated_lines_never_panic(line in mutated_line(ACCESS.iter().chain(RUNTIME))) {
            let _ = caddy().parse(&line, &mut TimeCtx::default());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in random_bytes(300)) {
            let _ = caddy().parse(&bytes, &mut TimeCtx::default());
        }
    }
}
