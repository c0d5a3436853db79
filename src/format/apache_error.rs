//! Apache httpd error log (2.2 and 2.4).

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// Apache httpd error log (2.2 and 2.4).
pub struct ApacheError;

impl LogFormat for ApacheError {
    fn name(&self) -> &'static str {
        "apache_error"
    }

    fn description(&self) -> &'static str {
        "Apache httpd error log (2.2 and 2.4)"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
