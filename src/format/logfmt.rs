//! logfmt key=value lines (logrus text, log15/Grafana, slog text, Heroku router).

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// logfmt key=value lines (logrus text, log15/Grafana, slog text, Heroku router).
pub struct Logfmt;

impl LogFormat for Logfmt {
    fn name(&self) -> &'static str {
        "logfmt"
    }

    fn description(&self) -> &'static str {
        "logfmt key=value lines (logrus text, log15/Grafana, slog text, Heroku router)"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
