//! nginx error log.

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// nginx error log.
pub struct NginxError;

impl LogFormat for NginxError {
    fn name(&self) -> &'static str {
        "nginx_error"
    }

    fn description(&self) -> &'static str {
        "nginx error log"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
