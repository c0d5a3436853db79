//! Application logs in the styles real services write: zap, pino, slog
//! (text and JSON), zerolog, logback/log4j with stack traces, and Python
//! logging with tracebacks. Events are semantic ([`Ev`]); each style words
//! them the way its language ecosystem does.

use crate::clock::{comma_ms, epoch_ms, epoch_secs_frac, rfc3339};

/// How an instance writes its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Go, uber-go/zap production JSON (`ts` epoch seconds).
    Zap,
    /// Node.js, pino (`level` 10..60, `time` epoch ms).
    Pino,
    /// Go, log/slog TextHandler (logfmt).
    SlogText,
    /// Go, log/slog JSONHandler.
    SlogJson,
    /// Go, zerolog (`message`, RFC 3339 seconds).
    Zerolog,
    /// Java, logback/log4j pattern with stack traces; local time.
    Log4j,
    /// Python logging with tracebacks; local time.
    Python,
}

/// One application instance.
#[derive(Clone, Debug)]
pub struct Instance {
    pub host: String,
    pub ip: String,
    pub pid: u32,
    pub style: Style,
    /// Offset of the host clock for styles that print local time.
    pub offset: i32,
    pub service: &'static str,
    pub version: &'static str,
    /// How far the host's clock is ahead of true time, µs (negative:
    /// behind); every line it writes is stamped that much off.
    pub skew: i64,
}

/// Something an application logs.
#[derive(Clone, Debug)]
pub enum Ev {
    Request {
        method: &'static str,
        path: String,
        status: u16,
        us: i64,
        rid: String,
    },
    Slow {
        method: &'static str,
        path: String,
        us: i64,
        rid: String,
    },
    AppError {
        method: &'static str,
        path: String,
        rid: String,
    },
    PoolTimeout {
        method: &'static str,
        path: String,
        rid: String,
    },
    PoolStats {
        active: u32,
        idle: u32,
        waiting: u32,
    },
    /// Saturation symptom: event loop lag, request queue, thread starvation.
    Pressure {
        value: u32,
    },
    CacheRefresh {
        items: u32,
        ms: u32,
    },
    SlowQuery {
        ms: u32,
        which: usize,
    },
    RedisReconnect,
    MailFailed {
        order: u32,
    },
    PaymentRetry {
        order: u32,
    },
    Starting,
    Listening,
    Stopping,
    /// The process dies (uncaught exception / panic / OOM).
    Fatal,
    /// A line in the service's own words: `level` is `info`, `warn`,
    /// `error` or `fatal`; `caller` the Go caller (or the logger name).
    Custom {
        level: &'static str,
        caller: &'static str,
        msg: String,
        fields: Vec<(&'static str, String)>,
    },
}

const QUERIES: &[&str] = &[
    "SELECT p.id, p.name, p.price, i.stock FROM products p JOIN inventory i ON i.product_id = p.id WHERE p.category_id = $1 ORDER BY p.rank LIMIT 24",
    "SELECT o.id, o.status, o.total FROM orders o WHERE o.customer_id = $1 ORDER BY o.created_at DESC LIMIT 20",
    "UPDATE carts SET updated_at = now(), item_count = item_count + 1 WHERE id = $1",
];

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    q(s)
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// logfmt value: bare when safe, quoted otherwise (as slog does).
fn lf(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b > b' ' && b != b'"' && b != b'=' && b < 0x7f)
    {
        s.to_string()
    } else {
        q(s)
    }
}

fn ms(us: i64) -> f64 {
    (us as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// Small JSON object writer that keeps key order.
struct Obj(String);

impl Obj {
    fn new() -> Obj {
        Obj(String::from("{"))
    }
    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&q(k));
        self.0.push(':');
    }
    fn s(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        self.0.push_str(&q(v));
        self
    }
    fn n(mut self, k: &str, v: impl std::fmt::Display) -> Obj {
        self.key(k);
        self.0.push_str(&v.to_string());
        self
    }
    fn raw(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        self.0.push_str(v);
        self
    }
    fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

const GO_PANIC_STACK: &str = "github.com/example/shop-api/internal/httpapi.(*Handler).recoverer.func1\n\t/src/internal/httpapi/recover.go:29\nruntime.gopanic\n\t/usr/local/go/src/runtime/panic.go:770\ngithub.com/example/shop-api/internal/pricing.(*Quote).Total\n\t/src/internal/pricing/quote.go:64\nnet/http.HandlerFunc.ServeHTTP\n\t/usr/local/go/src/net/http/server.go:2166";
const GO_POOL_STACK: &str = "github.com/example/shop-api/internal/db.(*Store).Acquire\n\t/src/internal/db/pool.go:88\ngithub.com/example/shop-api/internal/catalog.(*Repo).List\n\t/src/internal/catalog/repo.go:57\ngithub.com/example/shop-api/internal/httpapi.(*Handler).Products\n\t/src/internal/httpapi/products.go:39";

/// Renders one event in the instance's style (several lines for stack traces).
pub fn render(inst: &Instance, t: i64, ev: &Ev) -> String {
    let t = t + inst.skew;
    match inst.style {
        Style::Zap => zap(inst, t, ev),
        Style::Pino => pino(inst, t, ev),
        Style::SlogText => slog_text(inst, t, ev),
        Style::SlogJson => slog_json(inst, t, ev),
        Style::Zerolog => zerolog(inst, t, ev),
        Style::Log4j => log4j(inst, t, ev),
        Style::Python => python(inst, t, ev),
    }
}

/// Go message, level and fields shared by the Go styles.
enum GoLevel {
    Info,
    Warn,
    Error,
    Fatal,
}

type Fields = Vec<(&'static str, Val)>;

enum Val {
    S(String),
    N(String),
}

fn go_event(inst: &Instance, ev: &Ev) -> (GoLevel, &'static str, String, Fields) {
    use Val::{N, S};
    match ev {
        Ev::Request {
            method,
            path,
            status,
            us,
            rid,
        } => (
            GoLevel::Info,
            "httpapi/middleware.go:57",
            "request completed".into(),
            vec![
                ("request_id", S(rid.clone())),
                ("method", S(method.to_string())),
                ("path", S(path.clone())),
                ("status", N(status.to_string())),
                ("duration_ms", N(format!("{:.3}", ms(*us)))),
            ],
        ),
        Ev::Slow {
            method,
            path,
            us,
            rid,
        } => (
            GoLevel::Warn,
            "httpapi/middleware.go:61",
            "slow request".into(),
            vec![
                ("request_id", S(rid.clone())),
                ("method", S(method.to_string())),
                ("path", S(path.clone())),
                ("duration_ms", N(format!("{:.3}", ms(*us)))),
            ],
        ),
        Ev::AppError { method, path, rid } => (
            GoLevel::Error,
            "httpapi/recover.go:31",
            "panic recovered".into(),
            vec![
                ("request_id", S(rid.clone())),
                ("method", S(method.to_string())),
                ("path", S(path.clone())),
                (
                    "error",
                    S("runtime error: invalid memory address or nil pointer dereference".into()),
                ),
            ],
        ),
        Ev::PoolTimeout { method, path, rid } => (
            GoLevel::Error,
            "db/pool.go:88",
            "acquire db connection failed".into(),
            vec![
                ("request_id", S(rid.clone())),
                ("method", S(method.to_string())),
                ("path", S(path.clone())),
                ("pool", S("primary".into())),
                ("wait_ms", N("5000".into())),
                ("error", S("context deadline exceeded".into())),
            ],
        ),
        Ev::PoolStats {
            active,
            idle,
            waiting,
        } => (
            GoLevel::Info,
            "db/pool.go:131",
            "db pool stats".into(),
            vec![
                ("max_conns", N("40".into())),
                ("acquired", N(active.to_string())),
                ("idle", N(idle.to_string())),
                ("waiting", N(waiting.to_string())),
            ],
        ),
        Ev::Pressure { value } => (
            GoLevel::Warn,
            "httpapi/limiter.go:44",
            "request queue is long".into(),
            vec![("queued", N(value.to_string())), ("limit", N("256".into()))],
        ),
        Ev::CacheRefresh { items, ms } => (
            GoLevel::Info,
            "catalog/cache.go:74",
            "catalog cache refreshed".into(),
            vec![
                ("items", N(items.to_string())),
                ("duration_ms", N(ms.to_string())),
            ],
        ),
        Ev::SlowQuery { ms, which } => (
            GoLevel::Warn,
            "db/trace.go:40",
            "slow query".into(),
            vec![
                ("duration_ms", N(ms.to_string())),
                ("sql", S(QUERIES[which % QUERIES.len()].into())),
            ],
        ),
        Ev::RedisReconnect => (
            GoLevel::Warn,
            "cache/redis.go:52",
            "redis connection lost, reconnecting".into(),
            vec![(
                "error",
                S(format!(
                    "read tcp {}:41822->10.0.4.10:6379: i/o timeout",
                    inst.ip
                )),
            )],
        ),
        Ev::MailFailed { order } => (
            GoLevel::Error,
            "notify/mailer.go:93",
            "send order confirmation failed".into(),
            vec![
                ("order_id", N(order.to_string())),
                ("error", S("dial tcp 10.0.5.20:587: i/o timeout".into())),
            ],
        ),
        Ev::PaymentRetry { order } => (
            GoLevel::Warn,
            "payments/client.go:118",
            "payment provider timeout, retrying".into(),
            vec![
                ("order_id", N(order.to_string())),
                ("attempt", N("2".into())),
            ],
        ),
        Ev::Starting => (
            GoLevel::Info,
            "cmd/api/main.go:44",
            format!("starting {}", inst.service),
            vec![
                ("version", S(inst.version.into())),
                ("go", S("go1.22.1".into())),
            ],
        ),
        Ev::Listening => (
            GoLevel::Info,
            "cmd/api/main.go:71",
            "listening".into(),
            vec![("addr", S(":8080".into()))],
        ),
        Ev::Stopping => (
            GoLevel::Info,
            "cmd/api/main.go:88",
            "shutting down gracefully".into(),
            vec![("signal", S("terminated".into()))],
        ),
        Ev::Custom {
            level,
            caller,
            msg,
            fields,
        } => (
            match *level {
                "error" => GoLevel::Error,
                "warn" => GoLevel::Warn,
                "fatal" => GoLevel::Fatal,
                _ => GoLevel::Info,
            },
            *caller,
            msg.clone(),
            fields.iter().map(|(k, v)| (*k, S(v.clone()))).collect(),
        ),
        Ev::Fatal => (
            GoLevel::Fatal,
            "pricing/feed.go:57",
            "price feed refresh panicked".into(),
            vec![(
                "error",
                S("runtime error: index out of range [3] with length 3".into()),
            )],
        ),
    }
}

fn json_fields(mut o: Obj, fields: &Fields) -> Obj {
    for (k, v) in fields {
        o = match v {
            Val::S(s) => o.s(k, s),
            Val::N(n) => o.raw(k, n),
        };
    }
    o
}

fn zap(inst: &Instance, t: i64, ev: &Ev) -> String {
    let (lvl, caller, msg, fields) = go_event(inst, ev);
    let level = match lvl {
        GoLevel::Info => "info",
        GoLevel::Warn => "warn",
        GoLevel::Error => "error",
        GoLevel::Fatal => "fatal",
    };
    let o = Obj::new()
        .s("level", level)
        .raw("ts", &epoch_secs_frac(t))
        .s("caller", caller)
        .s("msg", &msg);
    let mut o = json_fields(o, &fields);
    match ev {
        Ev::AppError { .. } => o = o.s("stacktrace", GO_PANIC_STACK),
        Ev::PoolTimeout { .. } => o = o.s("stacktrace", GO_POOL_STACK),
        _ => {}
    }
    o.done()
}

fn slog_level(l: &GoLevel) -> &'static str {
    match l {
        GoLevel::Info => "INFO",
        GoLevel::Warn => "WARN",
        GoLevel::Error => "ERROR",
        // slog has no fatal; services log ERROR then exit.
        GoLevel::Fatal => "ERROR",
    }
}

fn slog_text(inst: &Instance, t: i64, ev: &Ev) -> String {
    let (lvl, _, msg, fields) = go_event(inst, ev);
    let mut s = format!(
        "time={} level={} msg={}",
        rfc3339(t, inst.offset, 3),
        slog_level(&lvl),
        lf(&msg)
    );
    for (k, v) in &fields {
        s.push(' ');
        s.push_str(k);
        s.push('=');
        match v {
            Val::S(x) => s.push_str(&lf(x)),
            Val::N(x) => s.push_str(x),
        }
    }
    s
}

fn slog_json(inst: &Instance, t: i64, ev: &Ev) -> String {
    let (lvl, _, msg, fields) = go_event(inst, ev);
    let o = Obj::new()
        .s("time", &rfc3339(t, inst.offset, 9))
        .s("level", slog_level(&lvl))
        .s("msg", &msg);
    json_fields(o, &fields).done()
}

fn zerolog(inst: &Instance, t: i64, ev: &Ev) -> String {
    let (lvl, _, msg, fields) = go_event(inst, ev);
    let level = match lvl {
        GoLevel::Info => "info",
        GoLevel::Warn => "warn",
        GoLevel::Error => "error",
        GoLevel::Fatal => "fatal",
    };
    let o = Obj::new().s("level", level).s("service", inst.service);
    json_fields(o, &fields)
        .s("time", &rfc3339(t, inst.offset, 0))
        .s("message", &msg)
        .done()
}

fn pino(inst: &Instance, t: i64, ev: &Ev) -> String {
    let head = |level: u32| {
        Obj::new()
            .n("level", level)
            .n("time", epoch_ms(t))
            .n("pid", inst.pid)
            .s("hostname", &inst.host)
    };
    let req = |method: &str, path: &str, rid: &str| {
        Obj::new()
            .s("id", rid)
            .s("method", method)
            .s("url", path)
            .done()
    };
    let err = |ty: &str, message: &str, stack: &str| {
        Obj::new()
            .s("type", ty)
            .s("message", message)
            .s("stack", &format!("{ty}: {message}\n{stack}"))
            .done()
    };
    match ev {
        Ev::Request {
            method,
            path,
            status,
            us,
            rid,
        } => head(30)
            .raw("req", &req(method, path, rid))
            .raw("res", &Obj::new().n("statusCode", status).done())
            .n("responseTime", us / 1000)
            .s("msg", "request completed")
            .done(),
        Ev::Slow {
            method,
            path,
            us,
            rid,
        } => head(40)
            .raw("req", &req(method, path, rid))
            .n("responseTime", us / 1000)
            .s("msg", "slow request")
            .done(),
        Ev::AppError { method, path, rid } => {
            let m = "Cannot read properties of undefined (reading 'price')";
            head(50)
                .raw("req", &req(method, path, rid))
                .raw(
                    "err",
                    &err(
                        "TypeError",
                        m,
                        "    at computeTotals (/app/src/checkout/totals.js:41:32)\n    at async submitCheckout (/app/src/checkout/routes.js:88:19)",
                    ),
                )
                .s("msg", m)
                .done()
        }
        Ev::PoolTimeout { method, path, rid } => {
            let m = "Knex: Timeout acquiring a connection. The pool is probably full. Are you missing a .transacting(trx) call?";
            head(50)
                .raw("req", &req(method, path, rid))
                .raw(
                    "err",
                    &err(
                        "KnexTimeoutError",
                        m,
                        "    at Client_PG.acquireConnection (/app/node_modules/knex/lib/client.js:312:26)\n    at async Runner.ensureConnection (/app/node_modules/knex/lib/execution/runner.js:287:28)\n    at async Runner.run (/app/node_modules/knex/lib/execution/runner.js:30:19)",
                    ),
                )
                .s("msg", m)
                .done()
        }
        Ev::PoolStats {
            active,
            idle,
            waiting,
        } => head(30)
            .raw(
                "pool",
                &Obj::new()
                    .n("used", active)
                    .n("free", idle)
                    .n("pendingAcquires", waiting)
                    .done(),
            )
            .s("msg", "db pool stats")
            .done(),
        Ev::Pressure { value } => head(40)
            .n("eventLoopDelayMs", value)
            .s("msg", "event loop delay is high")
            .done(),
        Ev::CacheRefresh { items, ms } => head(30)
            .n("items", items)
            .n("durationMs", ms)
            .s("msg", "catalog cache refreshed")
            .done(),
        Ev::SlowQuery { ms, which } => head(40)
            .n("durationMs", ms)
            .s("sql", QUERIES[which % QUERIES.len()])
            .s("msg", "slow query")
            .done(),
        Ev::RedisReconnect => head(40)
            .s(
                "msg",
                "[ioredis] Unhandled error event: Error: read ECONNRESET; reconnecting",
            )
            .done(),
        Ev::MailFailed { order } => head(50)
            .n("orderId", order)
            .raw(
                "err",
                &err(
                    "Error",
                    "connect ETIMEDOUT 10.0.5.20:587",
                    "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)",
                ),
            )
            .s("msg", "failed to send order confirmation")
            .done(),
        Ev::PaymentRetry { order } => head(40)
            .n("orderId", order)
            .n("attempt", 2)
            .s("msg", "payment provider timeout, retrying")
            .done(),
        Ev::Starting => head(30)
            .s("version", inst.version)
            .s("msg", &format!("starting {}", inst.service))
            .done(),
        Ev::Listening => head(30)
            .s("msg", "Server listening at http://0.0.0.0:8080")
            .done(),
        Ev::Stopping => head(30).s("msg", "received SIGTERM, closing server").done(),
        Ev::Custom {
            level, msg, fields, ..
        } => {
            let n = match *level {
                "fatal" => 60,
                "error" => 50,
                "warn" => 40,
                _ => 30,
            };
            let mut o = head(n);
            for (k, v) in fields {
                o = o.s(k, v);
            }
            o.s("msg", msg).done()
        }
        Ev::Fatal => {
            let m = "Cannot read properties of undefined (reading 'currency')";
            head(60)
                .raw(
                    "err",
                    &err(
                        "TypeError",
                        m,
                        "    at normalizePrice (/app/src/pricing/feed.js:57:28)\n    at Array.map (<anonymous>)\n    at PriceFeed.refresh (/app/src/pricing/feed.js:33:41)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
                    ),
                )
                .s("msg", "uncaught exception, exiting")
                .done()
        }
    }
}

fn thread(rid: &str) -> String {
    let n = rid
        .bytes()
        .take(4)
        .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(b as u32));
    format!("http-nio-8080-exec-{}", 1 + n % 200)
}

fn log4j(inst: &Instance, t: i64, ev: &Ev) -> String {
    let ts = comma_ms(t, inst.offset);
    let line = |level: &str, th: &str, logger: &str, msg: &str| {
        format!("{ts} {level:<5} [{th}] {logger} - {msg}")
    };
    match ev {
        Ev::Request {
            method,
            path,
            status,
            us,
            rid,
        } => line(
            "INFO",
            &thread(rid),
            "c.e.shop.web.RequestLoggingFilter",
            &format!("{method} {path} {status} {}ms rid={rid}", us / 1000),
        ),
        Ev::Slow {
            method,
            path,
            us,
            rid,
        } => line(
            "WARN",
            &thread(rid),
            "c.e.shop.web.RequestLoggingFilter",
            &format!("slow request {method} {path} took {}ms rid={rid}", us / 1000),
        ),
        Ev::AppError { method, path, rid } => format!(
            "{}\njava.lang.NullPointerException: Cannot invoke \"com.example.shop.cart.Cart.getItems()\" because \"cart\" is null\n\tat com.example.shop.checkout.CheckoutService.totals(CheckoutService.java:88)\n\tat com.example.shop.checkout.CheckoutController.submit(CheckoutController.java:54)\n\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)\n\t... 48 common frames omitted",
            line(
                "ERROR",
                &thread(rid),
                "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                &format!("Servlet.service() for servlet [dispatcherServlet] threw exception handling {method} {path} rid={rid}"),
            )
        ),
        Ev::PoolTimeout { method, path, rid } => format!(
            "{}\norg.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection\n\tat org.springframework.jdbc.datasource.DataSourceUtils.getConnection(DataSourceUtils.java:84)\n\tat com.example.shop.catalog.ProductRepository.findPage(ProductRepository.java:61)\nCaused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 5000ms (total=40, active=40, idle=0, waiting=112)\n\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)\n\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)\n\t... 61 common frames omitted",
            line(
                "ERROR",
                &thread(rid),
                "c.e.shop.web.ApiExceptionHandler",
                &format!("request failed: {method} {path} rid={rid}"),
            )
        ),
        Ev::PoolStats {
            active,
            idle,
            waiting,
        } => line(
            "DEBUG",
            "HikariPool-1 housekeeper",
            "com.zaxxer.hikari.pool.HikariPool",
            &format!(
                "HikariPool-1 - Pool stats (total={}, active={active}, idle={idle}, waiting={waiting})",
                active + idle
            ),
        ),
        Ev::Pressure { value } => line(
            "WARN",
            "http-nio-8080-Acceptor",
            "o.a.tomcat.util.net.NioEndpoint",
            &format!("All threads (200) are currently busy, waiting. Increase maxThreads (200) or check the servlet status; {value} connections queued"),
        ),
        Ev::CacheRefresh { items, ms } => line(
            "INFO",
            "scheduling-1",
            "c.e.shop.catalog.CatalogCache",
            &format!("catalog cache refreshed: {items} items in {ms} ms"),
        ),
        Ev::SlowQuery { ms, which } => line(
            "WARN",
            "http-nio-8080-exec-17",
            "c.e.shop.db.SlowQueryLogger",
            &format!("slow query ({ms} ms): {}", QUERIES[which % QUERIES.len()]),
        ),
        Ev::RedisReconnect => line(
            "INFO",
            "lettuce-eventExecutorLoop-1-3",
            "i.l.core.protocol.ConnectionWatchdog",
            "Reconnecting, last destination was redis-01.internal/10.0.4.10:6379",
        ),
        Ev::MailFailed { order } => format!(
            "{}\norg.springframework.mail.MailSendException: Mail server connection failed; nested exception is com.sun.mail.util.MailConnectException: Couldn't connect to host, port: smtp.internal, 587; timeout 5000\n\tat org.springframework.mail.javamail.JavaMailSenderImpl.doSend(JavaMailSenderImpl.java:447)\n\tat com.example.shop.notify.MailService.sendConfirmation(MailService.java:77)\nCaused by: java.net.SocketTimeoutException: Connect timed out\n\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:551)\n\t... 12 common frames omitted",
            line(
                "ERROR",
                "task-3",
                "c.e.shop.notify.MailService",
                &format!("failed to send order confirmation for order {order}"),
            )
        ),
        Ev::PaymentRetry { order } => line(
            "WARN",
            "http-nio-8080-exec-9",
            "c.e.shop.payment.PaymentClient",
            &format!("payment provider timeout after 5000 ms for order {order}, retrying (attempt 2/3)"),
        ),
        Ev::Starting => line(
            "INFO",
            "main",
            "c.e.shop.ShopApplication",
            &format!("Starting ShopApplication v{} using Java 17.0.10 with PID {}", inst.version, inst.pid),
        ),
        Ev::Listening => line(
            "INFO",
            "main",
            "o.s.b.w.embedded.tomcat.TomcatWebServer",
            "Tomcat started on port 8080 (http) with context path ''",
        ),
        Ev::Stopping => line(
            "INFO",
            "SpringApplicationShutdownHook",
            "o.s.b.w.e.tomcat.GracefulShutdown",
            "Commencing graceful shutdown. Waiting for active requests to complete",
        ),
        Ev::Custom {
            level,
            caller,
            msg,
            fields,
        } => {
            let mut m = msg.clone();
            for (k, v) in fields {
                m.push_str(&format!(" {k}={v}"));
            }
            let lvl = match *level {
                "fatal" | "error" => "ERROR",
                "warn" => "WARN",
                _ => "INFO",
            };
            line(lvl, "main", caller, &m)
        }
        Ev::Fatal => format!(
            "{}\njava.lang.OutOfMemoryError: Java heap space\n\tat java.base/java.util.Arrays.copyOf(Arrays.java:3541)\n\tat com.example.shop.pricing.PriceFeed.refresh(PriceFeed.java:57)",
            line(
                "ERROR",
                "scheduling-1",
                "c.e.shop.pricing.PriceFeed",
                "price feed refresh failed, exiting",
            )
        ),
    }
}

fn python(inst: &Instance, t: i64, ev: &Ev) -> String {
    let ts = comma_ms(t, inst.offset);
    let line = |level: &str, logger: &str, msg: &str| format!("{ts} {level} [{logger}] {msg}");
    match ev {
        Ev::Request {
            method,
            path,
            status,
            us,
            rid,
        } => line(
            "INFO",
            "shop.access",
            &format!("\"{method} {path} HTTP/1.1\" {status} {}ms rid={rid}", us / 1000),
        ),
        Ev::Slow {
            method,
            path,
            us,
            rid,
        } => line(
            "WARNING",
            "shop.access",
            &format!("slow request \"{method} {path}\" took {}ms rid={rid}", us / 1000),
        ),
        Ev::AppError { path, rid, .. } => format!(
            "{}\nTraceback (most recent call last):\n  File \"/app/shop/checkout/views.py\", line 88, in submit\n    total = compute_total(cart)\n  File \"/app/shop/checkout/totals.py\", line 41, in compute_total\n    return sum(item[\"price\"] * item[\"qty\"] for item in cart.items)\nKeyError: 'price'",
            line("ERROR", "django.request", &format!("Internal Server Error: {path} rid={rid}"))
        ),
        Ev::PoolTimeout { method, path, rid } => format!(
            "{}\nTraceback (most recent call last):\n  File \"/app/shop/db.py\", line 57, in session_scope\n    conn = engine.connect()\n  File \"/usr/local/lib/python3.11/site-packages/sqlalchemy/pool/impl.py\", line 164, in _do_get\n    raise exc.TimeoutError(\nsqlalchemy.exc.TimeoutError: QueuePool limit of size 20 overflow 10 reached, connection timed out, timeout 5.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)",
            line("ERROR", "shop.db", &format!("database unavailable for {method} {path} rid={rid}"))
        ),
        Ev::PoolStats {
            active,
            idle,
            waiting,
        } => line(
            "INFO",
            "shop.db",
            &format!(
                "pool status: Pool size: 20  Connections in pool: {idle} Current Overflow: {} Current Checked out connections: {active} waiting: {waiting}",
                (*active as i64 - 20).max(-20)
            ),
        ),
        Ev::Pressure { value } => line(
            "WARNING",
            "gunicorn.error",
            &format!("backlog of {value} requests waiting for a worker"),
        ),
        Ev::CacheRefresh { items, ms } => line(
            "INFO",
            "shop.catalog",
            &format!("catalog cache refreshed: {items} items in {ms} ms"),
        ),
        Ev::SlowQuery { ms, which } => line(
            "WARNING",
            "shop.db",
            &format!("slow query ({ms} ms): {}", QUERIES[which % QUERIES.len()]),
        ),
        Ev::RedisReconnect => line(
            "WARNING",
            "shop.cache",
            "redis connection lost (Error 104 while writing to socket. Connection reset by peer.), reconnecting",
        ),
        Ev::MailFailed { order } => line(
            "ERROR",
            "shop.notify",
            &format!("failed to send order confirmation for order {order}: [Errno 110] Connection timed out"),
        ),
        Ev::PaymentRetry { order } => line(
            "WARNING",
            "shop.payments",
            &format!("payment provider timeout for order {order}, retrying (attempt 2/3)"),
        ),
        Ev::Starting => line(
            "INFO",
            "gunicorn.error",
            &format!("Starting gunicorn 21.2.0 ({} {})", inst.service, inst.version),
        ),
        Ev::Listening => line(
            "INFO",
            "gunicorn.error",
            &format!("Listening at: http://0.0.0.0:8080 ({})", inst.pid),
        ),
        Ev::Stopping => line("INFO", "gunicorn.error", "Handling signal: term"),
        Ev::Custom {
            level,
            caller,
            msg,
            fields,
        } => {
            let mut m = msg.clone();
            for (k, v) in fields {
                m.push_str(&format!(" {k}={v}"));
            }
            let lvl = match *level {
                "fatal" => "CRITICAL",
                "error" => "ERROR",
                "warn" => "WARNING",
                _ => "INFO",
            };
            line(lvl, caller, &m)
        }
        Ev::Fatal => format!(
            "{}\nMemoryError",
            line("CRITICAL", "gunicorn.error", "WORKER TIMEOUT, worker exiting")
        ),
    }
}

/// The time an app writes a line for a request that took `us` from `t0`.
pub fn after(t0: i64, us: i64) -> i64 {
    t0 + us.max(0) + 150
}
