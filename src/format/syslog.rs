//! syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files).

use crate::format::LogFormat;
use crate::record::Parsed;
use crate::time::TimeCtx;

/// syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files).
pub struct Syslog;

impl LogFormat for Syslog {
    fn name(&self) -> &'static str {
        "syslog"
    }

    fn description(&self) -> &'static str {
        "syslog RFC 3164 and RFC 5424 (and ISO-timestamped rsyslog files)"
    }

    fn parse<'a>(&self, _line: &'a [u8], _ctx: &mut TimeCtx) -> Parsed<'a> {
        Parsed::Unparsed
    }
}
