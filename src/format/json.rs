//! JSON lines (logrus, zap, zerolog, bunyan, pino, slog, structlog, ECS, journald, Traefik, tracing).

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// JSON lines (logrus, zap, zerolog, bunyan, pino, slog, structlog, ECS, journald, Traefik, tracing).
pub struct JsonLines;

impl LogFormat for JsonLines {
    fn name(&self) -> &'static str {
        "json"
    }

    fn description(&self) -> &'static str {
        "JSON lines (logrus, zap, zerolog, bunyan, pino, slog, structlog, ECS, journald, Traefik, tracing)"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
