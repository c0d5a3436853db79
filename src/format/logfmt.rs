//! logfmt key=value lines (logrus text, log15/Grafana, slog text, Heroku router).
//!
//! A line is space-separated `key=value` pairs; values holding spaces, `=`
//! or `"` are double-quoted with backslash escapes, and bare keys are
//! allowed. A line may start with a timestamp and a source tag, as Heroku
//! log drains write (`2024-03-15T10:00:00Z heroku[router]: at=info ...`).
//!
//! The format is strict so that it does not claim plain text logs that
//! happen to hold a `key=value` or two: the body must start with a pair,
//! hold at least two pairs and few bare words, and the line needs a time.

use std::borrow::Cow;

use crate::format::lex::{
    cap_value, status_code, strip_port, text, trim_ascii, unit_duration_ms, Fields, MAX_FIELDS,
};
use crate::format::{LogFormat, Role};
use crate::record::{Level, Message, Parsed, Request};
use crate::time::{parse_leading, parse_text_timestamp, Micros, TimeCtx};

/// logfmt key=value lines (logrus text, log15/Grafana, slog text, Heroku router).
pub struct Logfmt;

impl LogFormat for Logfmt {
    fn name(&self) -> &'static str {
        "logfmt"
    }

    fn description(&self) -> &'static str {
        "logfmt key=value lines (logrus text, log15/Grafana, slog text, Heroku router)"
    }

    fn role(&self) -> Role {
        Role::Application
    }

    fn parse<'a>(&self, line: &'a [u8], ctx: &mut TimeCtx) -> Parsed<'a> {
        parse_line(line, ctx).unwrap_or(Parsed::Unparsed)
    }
}

/// One token of a logfmt body.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Pair(&'a [u8], Cow<'a, str>),
    Bare(&'a [u8]),
}

/// Iterates over a logfmt body; yields `Err(())` at the first byte that
/// cannot start a key, after which the line is not logfmt.
struct Tokens<'a> {
    b: &'a [u8],
    i: usize,
}

/// The keys of the pairs of a logfmt body, read as [`Logfmt`] reads it
/// (a pair first, then pairs and bare words), or `None` when the body is
/// not logfmt: for telling logfmt lines that lack a time.
pub(crate) fn pair_keys(body: &[u8]) -> Option<Vec<&[u8]>> {
    let mut keys = Vec::new();
    for (n, tok) in (Tokens { b: body, i: 0 }).enumerate() {
        match tok.ok()? {
            Token::Pair(k, _) => keys.push(k),
            Token::Bare(_) if n == 0 => return None,
            Token::Bare(_) => {}
        }
    }
    Some(keys)
}

#[inline]
fn key_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'@'
}

/// After its first byte a key is, as go-logfmt reads it, any printable
/// byte but `=` and `"` (`tag#production=stopping`, `http.status:code=`).
#[inline]
fn key_byte(c: u8) -> bool {
    c.is_ascii_graphic() && c != b'=' && c != b'"'
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Result<Token<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.b;
        while b.get(self.i).is_some_and(|c| *c == b' ' || *c == b'\t') {
            self.i += 1;
        }
        let start = self.i;
        let first = *b.get(start)?;
        if !key_start(first) {
            self.i = b.len();
            return Some(Err(()));
        }
        let mut i = start + 1;
        while b.get(i).is_some_and(|c| key_byte(*c)) {
            i += 1;
        }
        let key = b.get(start..i)?;
        match b.get(i) {
            None | Some(b' ') | Some(b'\t') => {
                self.i = i;
                return Some(Ok(Token::Bare(key)));
            }
            Some(b'=') => {}
            Some(_) => {
                self.i = b.len();
                return Some(Err(()));
            }
        }
        i += 1;
        if b.get(i) == Some(&b'"') {
            // Quoted value; an unclosed quote (a cut line) runs to the end.
            // The closing quote is the first one followed by a space or the
            // end; one glued to more text before it is a quote the writer
            // did not escape (`msg="config: DomainFilter:["a.example"] …"`).
            // With no such quote the first one closes (and `a="b"c`, text
            // glued to it, is not logfmt).
            let vstart = i + 1;
            let mut j = vstart;
            let mut escaped = false;
            let mut first_quote = None;
            let mut end = b.len();
            while let Some(&c) = b.get(j) {
                if c == b'\\' {
                    escaped = true;
                    j += 2;
                    continue;
                }
                if c == b'"' {
                    if matches!(b.get(j + 1), None | Some(b' ') | Some(b'\t')) {
                        end = j;
                        break;
                    }
                    first_quote.get_or_insert(j);
                }
                j += 1;
            }
            if end == b.len() {
                end = first_quote.unwrap_or(end);
            }
            let raw = b.get(vstart..end.min(b.len())).unwrap_or_default();
            let value = if escaped { unescape(raw) } else { text(raw) };
            self.i = (end + 1).min(b.len());
            // Something glued to the closing quote (`a="b"c`) is not logfmt.
            if end < b.len() && !matches!(b.get(self.i), None | Some(b' ') | Some(b'\t')) {
                self.i = b.len();
                return Some(Err(()));
            }
            Some(Ok(Token::Pair(key, value)))
        } else {
            let vstart = i;
            while b.get(i).is_some_and(|c| *c != b' ' && *c != b'\t') {
                i += 1;
            }
            self.i = i;
            Some(Ok(Token::Pair(
                key,
                text(b.get(vstart..i).unwrap_or_default()),
            )))
        }
    }
}

/// Resolves `\"`, `\\`, `\n`, `\t`, `\r` in a quoted value.
fn unescape(raw: &[u8]) -> Cow<'_, str> {
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.iter();
    while let Some(&c) = it.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'r') => out.push(b'\r'),
            Some(&other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// A source tag after a leading timestamp: `heroku[router]:`, `app[web.1]:`,
/// `myapp:`. Returns the tag (without `:`) and the rest.
fn tag(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = b.iter().position(|c| *c == b' ')?;
    let tok = b.get(..end)?;
    let name = tok.strip_suffix(b":")?;
    if name.is_empty() || name.iter().any(|c| matches!(c, b'=' | b'"' | b':')) {
        return None;
    }
    Some((name, trim_ascii(b.get(end..)?)))
}

fn parse_line<'a>(line: &'a [u8], ctx: &mut TimeCtx) -> Option<Parsed<'a>> {
    let b = trim_ascii(line);
    let first = *b.first()?;
    if first == b'{' {
        return None;
    }

    // Optional leading timestamp and source tag.
    let mut prefix_at: Option<Micros> = None;
    let mut body = b;
    let mut heroku_source = false;
    if first.is_ascii_digit() || first == b'[' {
        let (stamp, used) = parse_leading(b)?;
        let rest = b.get(used..)?;
        if !matches!(rest.first(), Some(b' ') | Some(b'\t')) {
            return None;
        }
        prefix_at = Some(ctx.resolve(stamp));
        body = trim_ascii(rest);
        if let Some((name, rest)) = tag(body) {
            heroku_source = name.starts_with(b"heroku[") || name.starts_with(b"app[");
            body = rest;
        }
    }

    let mut pairs = 0usize;
    let mut bare = 0usize;
    let mut time_v: Option<Cow<'a, str>> = None;
    let mut level: Option<Level> = None;
    let mut level_rank = usize::MAX;
    let mut msg: Option<Cow<'a, str>> = None;
    let mut msg_rank = usize::MAX;
    let mut fields: Fields<'a> = Vec::new();
    let mut req = ReqKeys::default();
    let mut bad = false;

    for (n, tok) in (Tokens { b: body, i: 0 }).enumerate() {
        let Ok(tok) = tok else {
            bad = true;
            break;
        };
        let (key, value) = match tok {
            Token::Bare(_) if n == 0 => {
                bad = true;
                break;
            }
            Token::Bare(_) => {
                bare += 1;
                continue;
            }
            Token::Pair(k, v) => (k, v),
        };
        pairs += 1;
        match key {
            b"time" | b"ts" | b"t" | b"timestamp" | b"@timestamp" | b"datetime" => {
                if time_v.is_none() {
                    time_v = Some(value);
                }
                continue;
            }
            b"level" | b"lvl" | b"severity" | b"at" => {
                let rank = match key {
                    b"level" => 0,
                    b"lvl" => 1,
                    b"severity" => 2,
                    _ => 3,
                };
                if rank < level_rank {
                    if let Some(l) = Level::from_word(&value) {
                        level = Some(l);
                        level_rank = rank;
                    }
                }
                continue;
            }
            b"msg" | b"message" | b"desc" => {
                let rank = match key {
                    b"msg" => 0,
                    b"message" => 1,
                    _ => 2,
                };
                if rank < msg_rank {
                    // desc (Heroku's error text) stays a field too when a msg exists.
                    if let Some(old) = msg.take() {
                        if msg_rank == 2 && fields.len() < MAX_FIELDS {
                            fields.push((Cow::Borrowed("desc"), cap_value(old)));
                        }
                    }
                    msg = Some(value);
                    msg_rank = rank;
                    continue;
                }
            }
            _ => {}
        }
        req.take(key, &value);
        if fields.len() < MAX_FIELDS {
            fields.push((text(key), cap_value(value)));
        }
    }

    let at = time_v
        .as_deref()
        .and_then(|t| parse_text_timestamp(t, ctx))
        .or(prefix_at);

    if bad || pairs < 2 || bare * 2 > pairs {
        // Heroku drains mix router lines with the app's own free text.
        if heroku_source && !body.is_empty() {
            let t = text(body);
            let level = t.starts_with("Error ").then_some(Level::Error);
            return Some(Parsed::Message {
                at: prefix_at?,
                message: Message {
                    level,
                    text: t,
                    fields: Vec::new(),
                },
            });
        }
        return None;
    }
    let at = at?;

    if let Some(request) = req.request() {
        return Some(Parsed::Request { at, request });
    }
    Some(Parsed::Message {
        at,
        message: Message {
            level,
            text: msg.unwrap_or(Cow::Borrowed("")),
            fields,
        },
    })
}

/// The first address of a list (X-Forwarded-For), without its port.
fn first_host(s: &str) -> &str {
    strip_port(s.split(',').next().unwrap_or(s).trim())
}

/// Request-shaped pairs: Heroku router lines and other logfmt access logs.
#[derive(Default)]
struct ReqKeys<'a> {
    status: Option<u16>,
    method: Option<Cow<'a, str>>,
    path: Option<Cow<'a, str>>,
    client: Option<Cow<'a, str>>,
    backend: Option<Cow<'a, str>>,
    /// Heroku splits its latency into `connect` and `service`.
    connect_ms: Option<f64>,
    service_ms: Option<f64>,
    duration_ms: Option<f64>,
}

impl<'a> ReqKeys<'a> {
    // A `&Cow` rather than `&str`: borrowed values are kept without a copy.
    #[allow(clippy::ptr_arg)]
    fn take(&mut self, key: &[u8], value: &Cow<'a, str>) {
        let v = value.as_ref();
        let set = |slot: &mut Option<Cow<'a, str>>| {
            if slot.is_none() && !v.is_empty() && v != "-" {
                *slot = Some(value.clone());
            }
        };
        match key {
            b"status" | b"status_code" => self.status = self.status.or(status_code(v)),
            b"method" => set(&mut self.method),
            b"path" | b"uri" => set(&mut self.path),
            b"fwd" | b"client_ip" | b"remote_addr" | b"client" | b"ip" if self.client.is_none() => {
                // Heroku `fwd` is X-Forwarded-For: the client comes first.
                let client = match value {
                    Cow::Borrowed(s) => Cow::Borrowed(first_host(s)),
                    Cow::Owned(s) => Cow::Owned(first_host(s).to_string()),
                };
                if !client.is_empty() && client != "-" {
                    self.client = Some(client);
                }
            }
            b"dyno" | b"backend" | b"upstream" | b"upstream_addr" => set(&mut self.backend),
            b"connect" => self.connect_ms = self.connect_ms.or(unit_duration_ms(v)),
            b"service" => self.service_ms = self.service_ms.or(unit_duration_ms(v)),
            b"duration" | b"latency" | b"took" | b"elapsed" => {
                self.duration_ms = self.duration_ms.or(unit_duration_ms(v));
            }
            b"duration_ms" | b"latency_ms" => {
                self.duration_ms = self
                    .duration_ms
                    .or(v.parse().ok().filter(|n: &f64| *n >= 0.0));
            }
            b"request_time" => {
                self.duration_ms = self.duration_ms.or(v
                    .parse::<f64>()
                    .ok()
                    .filter(|n| *n >= 0.0)
                    .map(|s| s * 1e3));
            }
            _ => {}
        }
    }

    fn request(self) -> Option<Request<'a>> {
        let status = self.status?;
        if self.method.is_none() && self.path.is_none() {
            return None;
        }
        let latency_ms = match (self.connect_ms, self.service_ms) {
            (Some(c), Some(s)) => Some(c + s),
            (None, Some(s)) => Some(s),
            _ => self.duration_ms,
        };
        Some(Request {
            status,
            failed: Request::default_failed(status),
            backend: self.backend,
            client: self.client,
            latency_ms,
            method: self.method,
            path: self.path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::detect;
    use crate::format::testkit::{
        check, check_in, each, message, message_of, mutated_line, random_bytes, request, unparsed,
    };
    use crate::time::{YearAnchor, Zone};
    use proptest::prelude::*;

    const REAL_LINES: &[&str] = &[
        r#"time="2015-03-26T01:27:38-04:00" level=warning msg="The group's number increased tremendously!" number=122 omg=true"#,
        r#"t=2020-07-20T08:14:50+0000 lvl=eror msg="Data proxy error" logger=data-proxy-log userId=0"#,
        r#"time=2022-11-08T15:28:26.000-05:00 level=INFO msg=hello count=3"#,
        r#"2024-03-15T10:00:00.000000+00:00 heroku[router]: at=info method=GET path=/ host=myapp.herokuapp.com fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13"#,
        r#"2024-03-15T10:00:30.000000+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path="/checkout" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204, 10.1.2.3" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0"#,
        r#"t=2020-07-20T08:14:51+0000 lvl=dbug msg="Query \"x=1\" done" logger=sqlstore"#,
    ];

    #[test]
    fn logrus_text_formatter() {
        check(
            &Logfmt,
            &[(
                REAL_LINES[0],
                message()
                    .at("2015-03-26T05:27:38Z")
                    .level(Level::Warn)
                    .text("The group's number increased tremendously!")
                    .field("number", "122")
                    .field("omg", "true")
                    .field("time", None),
            )],
        );
        let (_, m) = message_of(Logfmt.parse(REAL_LINES[0].as_bytes(), &mut TimeCtx::default()));
        assert!(matches!(m.text, Cow::Borrowed(_)));
    }

    #[test]
    fn grafana_log15() {
        check(
            &Logfmt,
            &[
                (
                    REAL_LINES[1],
                    message()
                        .at("2020-07-20T08:14:50Z")
                        .level(Level::Error)
                        .text("Data proxy error")
                        .field("logger", "data-proxy-log"),
                ),
                (
                    REAL_LINES[5],
                    message().level(Level::Debug).text(r#"Query "x=1" done"#),
                ),
                (
                    r#"t=2020-07-20T08:14:50+0000 lvl=crit msg="Server shutdown" logger=server reason="System signal: terminated""#,
                    message()
                        .level(Level::Critical)
                        .field("reason", "System signal: terminated"),
                ),
            ],
        );
    }

    #[test]
    fn slog_text_handler() {
        check(
            &Logfmt,
            &[(
                REAL_LINES[2],
                message()
                    .at("2022-11-08T20:28:26Z")
                    .level(Level::Info)
                    .text("hello")
                    .field("count", "3"),
            )],
        );
    }

    #[test]
    fn heroku_router() {
        check(
            &Logfmt,
            &[
                (
                    REAL_LINES[3],
                    request()
                        .at("2024-03-15T10:00:00Z")
                        .status(200)
                        .failed(false)
                        .client("204.204.204.204")
                        .backend("web.1")
                        .latency(19.0)
                        .method("GET")
                        .path("/"),
                ),
                (
                    REAL_LINES[4],
                    request()
                        .at("2024-03-15T10:00:30Z")
                        .status(503)
                        .failed(true)
                        .client("204.204.204.204")
                        .latency(30_000.0)
                        .path("/checkout"),
                ),
                // As the Dev Center prints it, without a drain timestamp: no time, not a record.
                (
                    "at=info method=GET path=/ host=myapp.herokuapp.com fwd=\"204.204.204.204\" dyno=web.1 connect=1ms service=18ms status=200 bytes=13",
                    unparsed(),
                ),
            ],
        );
    }

    #[test]
    fn heroku_drain_free_text() {
        check(
            &Logfmt,
            &[
                (
                    "2024-03-15T10:00:00Z app[web.1]: Started GET \"/\" for 1.2.3.4",
                    message()
                        .at("2024-03-15T10:00:00Z")
                        .text("Started GET \"/\" for 1.2.3.4"),
                ),
                (
                    "2024-03-15T10:01:00Z heroku[web.1]: Error R14 (Memory quota exceeded)",
                    message().level(Level::Error),
                ),
                (
                    "2024-03-15T10:01:00Z app[web.1]: level=error msg=\"db down\" err=\"timeout\"",
                    message()
                        .level(Level::Error)
                        .text("db down")
                        .field("err", "timeout"),
                ),
            ],
        );
    }

    #[test]
    fn heroku_error_keeps_desc_when_message_exists() {
        check(
            &Logfmt,
            &[
                (
                    r#"2024-03-15T10:00:30Z heroku[router]: at=error code=H10 desc="App crashed" msg="x" host=a"#,
                    message()
                        .level(Level::Error)
                        .text("x")
                        .field("desc", "App crashed")
                        .field("code", "H10"),
                ),
                (
                    r#"2024-03-15T10:00:30Z heroku[router]: at=error code=H10 desc="App crashed" host=a"#,
                    message().text("App crashed"),
                ),
            ],
        );
    }

    #[test]
    fn values_with_equals_and_bare_keys() {
        check(
            &Logfmt,
            &[
                (
                    "ts=2024-03-09T08:41:12Z level=info msg=ok query=a=b&c=d cached",
                    message().field("query", "a=b&c=d"),
                ),
                (
                    "ts=2024-03-09T08:41:12Z level=info msg= empty=",
                    message().text(""),
                ),
            ],
        );
    }

    #[test]
    fn offsetless_time_uses_zone() {
        check_in(
            &Logfmt,
            || TimeCtx::new(Zone::Fixed(-3600), YearAnchor::End(0)),
            &[(
                "time=\"2024-03-09 08:41:12\" level=info msg=x",
                message().at("2024-03-09T09:41:12Z"),
            )],
        );
    }

    #[test]
    fn strictness() {
        let rows = each(
            [
                // Plain text logs with a pair or two.
                "2024-03-15 10:00:00 ERROR something failed user=bob id=3",
                "2024-03-15 10:00:00,123 INFO [main] started in 3s",
                "2024-03-15T10:00:00Z user=bob logged in from somewhere",
                "2023-11-03 08:45:48,440 p=1285948 u=ansible n=ansible | ↳  jump | SUCCESS | 991ms",
                "compute-0 : ok=311 changed=174 unreachable=0 failed=0 skipped=149 rescued=0 ignored=0",
                // One pair only, no time, JSON.
                "time=2024-03-15T10:00:00Z",
                "level=info msg=hello count=3",
                r#"{"time":"2024-03-15T10:00:00Z","level":"info","msg":"x"}"#,
                r#"time="2024-03-15T10:00:00Z"level=info msg=x"#,
                "",
                "   ",
            ],
            unparsed(),
        );
        check(&Logfmt, &rows);
    }

    /// external-dns (logrus text) as quoted in kubernetes-sigs/external-dns#393
    /// and #590 and dreamsofautonomy/homelab#3: trailing spaces, quotes
    /// the writer did not escape inside `msg`, `level=warning`.
    #[test]
    fn external_dns_logrus_lines() {
        check(
            &Logfmt,
            &[
                (
                    r#"time="2017-11-19T20:22:57Z" level=info msg="config: &{Master: KubeConfig: Sources:[service ingress] Namespace: FQDNTemplate: Compatibility: Provider:aws GoogleProject: DomainFilter:["kubeconf-17.kubernetes-cluster.com"] AzureConfigFile:/etc/kubernetes/azure.json AzureResourceGroup: Policy:sync Registry:txt TXTOwnerID:/hostedzone/ZxxxxxxxxxxxxxxxU TXTPrefix: Interval:1m0s Once:false DryRun:false LogFormat:text MetricsAddress::7979 Debug:false}" "#,
                    message()
                        .at("2017-11-19T20:22:57Z")
                        .level(Level::Info)
                        .text(r#"config: &{Master: KubeConfig: Sources:[service ingress] Namespace: FQDNTemplate: Compatibility: Provider:aws GoogleProject: DomainFilter:["kubeconf-17.kubernetes-cluster.com"] AzureConfigFile:/etc/kubernetes/azure.json AzureResourceGroup: Policy:sync Registry:txt TXTOwnerID:/hostedzone/ZxxxxxxxxxxxxxxxU TXTPrefix: Interval:1m0s Once:false DryRun:false LogFormat:text MetricsAddress::7979 Debug:false}"#),
                ),
                (
                    r#"time="2017-11-19T20:22:57Z" level=info msg="Connected to cluster at https://100.64.0.1:443" "#,
                    message()
                        .at("2017-11-19T20:22:57Z")
                        .text("Connected to cluster at https://100.64.0.1:443"),
                ),
                (
                    r#"time="2018-06-11T16:40:56Z" level=info msg="All records are already up to date""#,
                    message().at("2018-06-11T16:40:56Z").level(Level::Info),
                ),
                (
                    r#"time="2024-09-01T15:20:13Z" level=warning msg="Skipping unsupported endpoint pihole.k8s.local.cheverjohn.me TXT "heritage=external-dns,external-dns/owner=homelab,external-dns/resource=ingress/pihole-system/pihole"""#,
                    message()
                        .level(Level::Warn)
                        .text(r#"Skipping unsupported endpoint pihole.k8s.local.cheverjohn.me TXT "heritage=external-dns,external-dns/owner=homelab,external-dns/resource=ingress/pihole-system/pihole""#),
                ),
            ],
        );
    }

    #[test]
    fn unclosed_quote_runs_to_end() {
        check(
            &Logfmt,
            &[(
                r#"time=2024-03-15T10:00:00Z level=info msg="cut off"#,
                message().text("cut off"),
            )],
        );
    }

    #[test]
    fn detection_picks_logfmt() {
        let lines: Vec<&[u8]> = REAL_LINES.iter().map(|l| l.as_bytes()).collect();
        let f = detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(f, Some("logfmt"));
        // A Heroku drain: router lines mixed with the app's free text.
        let lines: Vec<&[u8]> = vec![
            REAL_LINES[3].as_bytes(),
            b"2024-03-15T10:00:00.100000+00:00 app[web.1]: Completed 200 OK in 12ms",
            REAL_LINES[4].as_bytes(),
            b"2024-03-15T10:00:31.000000+00:00 heroku[web.1]: Process exited with status 137",
        ];
        let f = detect(&lines, &mut TimeCtx::default()).map(|f| f.name());
        assert_eq!(f, Some("logfmt"));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in random_bytes(400)) {
            let mut ctx = TimeCtx::default();
            let _ = Logfmt.parse(&bytes, &mut ctx);
            let mut prefixed = b"time=2024-03-15T10:00:00Z a=".to_vec();
            prefixed.extend_from_slice(&bytes);
            let _ = Logfmt.parse(&prefixed, &mut ctx);
        }

        #[test]
        fn mutated_real_lines_never_panic(line in mutated_line(REAL_LINES)) {
            let _ = Logfmt.parse(&line, &mut TimeCtx::default());
        }
    }
}
