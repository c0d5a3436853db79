//! any line starting with a timestamp (log4j, Python, Go, ISO 8601), multi-line records.

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// any line starting with a timestamp (log4j, Python, Go, ISO 8601), multi-line records.
pub struct Timestamped;

impl LogFormat for Timestamped {
    fn name(&self) -> &'static str {
        "timestamped"
    }

    fn description(&self) -> &'static str {
        "any line starting with a timestamp (log4j, Python, Go, ISO 8601), multi-line records"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
